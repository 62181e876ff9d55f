"""Rules for the names people give things (users, teams), shared by their schemas."""

from __future__ import annotations

import unicodedata

# Characters that show nothing, or nothing reliable: format characters (zero-width space and
# joiners, bidirectional marks), private use, unassigned, surrogates, and controls.
_INVISIBLE = {"Cf", "Co", "Cn", "Cs", "Cc"}


def printable(value: str) -> str:
    """Names are one line of text: PostgreSQL refuses NUL, and no name needs a control code."""
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValueError("must not contain control characters")
    return value


def visible(value: str) -> str:
    """A name a reader can tell apart: no invisible characters ("default" with a zero-width
    space would look like "default")."""
    printable(value)
    if any(unicodedata.category(c) in _INVISIBLE for c in value):
        raise ValueError("must not contain invisible characters (zero-width or format marks)")
    return value


def name_key(name: str) -> str:
    """What two names are compared by: NFKC (full-width, ligatures and other compatibility
    forms as their plain letters) and case folding, so "Default" and "ｄｅｆａｕｌｔ" are
    "default"."""
    return unicodedata.normalize("NFKC", name).casefold().strip()
