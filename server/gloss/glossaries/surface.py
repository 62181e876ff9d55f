"""Surface forms compared the way the matcher will compare them, and which of them clash."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


def collapse(text: str) -> str:
    """NFC with runs of whitespace made one space: "Two  Sessions" and "Two Sessions" are one
    form, and a composed "é" equals a decomposed one."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def fold(text: str) -> str:
    # lower(), not casefold(): spaCy's LOWER attribute, which the PhraseMatcher compares, is
    # str.lower(), so "Straße" and "strasse" are different forms for the matcher too.
    return collapse(text).lower()


def form_key(text: str, case_sensitive: bool) -> str:
    return collapse(text) if case_sensitive else fold(text)


@dataclass(frozen=True, slots=True)
class Form:
    key: str
    folded: str
    case_sensitive: bool
    surface: str


def forms_of(term: str, aliases: Iterable[str], case_sensitive: bool) -> list[Form]:
    """The term and its aliases as forms, without repeats (an alias equal to the term is
    redundant, not an error)."""
    seen: dict[str, Form] = {}
    for surface in (term, *aliases):
        collapsed = collapse(surface)
        folded = collapsed.lower()
        key = collapsed if case_sensitive else folded
        if key and key not in seen:
            seen[key] = Form(key, folded, case_sensitive, surface)
    return list(seen.values())


def clash(a: Form, b: Form) -> bool:
    """Would the matcher find both at one place? Identical keys always; a case-insensitive
    form also claims every casing of itself, so it clashes with a case-sensitive one that
    folds to it ("us" and "US"). Two case-sensitive forms differing in case do not ("QT", "Qt")."""
    if a.key == b.key:
        return True
    return a.folded == b.folded and not (a.case_sensitive and b.case_sensitive)


def content_forms(content: Mapping[str, Any]) -> list[Form]:
    """The forms of a term's content (its `term`, `aliases` and `case_sensitive`)."""
    return forms_of(content["term"], content["aliases"], content["case_sensitive"])
