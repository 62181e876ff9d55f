"""Glossary terms: compile a team's terms into spaCy phrase matchers and find them in a Doc."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from spacy.matcher import PhraseMatcher

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

# One match key per matcher, not one per term: adding 100k distinct keys costs four times as
# much as one key, and the matched tokens themselves identify the term (see `_surfaces`).
_CI_KEY = "gloss-terms-ci"
_CS_KEY = "gloss-terms-cs"


@dataclass(frozen=True, slots=True)
class TermSpec:
    """One glossary term as the engine needs it: what to look for and how."""

    term_id: str
    glossary_id: str
    term: str
    aliases: tuple[str, ...] = ()
    case_sensitive: bool = False
    # An OntoNotes label ("ORG", "PERSON"...) when the team says this term names an entity;
    # it then overrides the statistical model wherever the term occurs.
    entity_label: str | None = None


class TokenMatch(NamedTuple):
    """A term found in a Doc, in token indices (the engine turns it into character offsets).

    A NamedTuple rather than a dataclass: the matcher makes one per hit, and tuples are the
    cheapest Python object to build.
    """

    start: int
    end: int
    term: TermSpec


@dataclass(slots=True)
class CompiledGlossary:
    """A glossary's terms compiled against one spaCy vocabulary; immutable once built."""

    glossary_id: str
    version: int | str
    terms: tuple[TermSpec, ...]
    pattern_count: int
    _ci_matcher: PhraseMatcher | None = field(repr=False)
    _cs_matcher: PhraseMatcher | None = field(repr=False)
    # Token-hash tuple of each pattern -> the terms it is a form of (LOWER hashes for the
    # case-insensitive matcher, ORTH hashes for the case-sensitive one).
    _ci_surfaces: dict[tuple[int, ...], tuple[TermSpec, ...]] = field(repr=False)
    _cs_surfaces: dict[tuple[int, ...], tuple[TermSpec, ...]] = field(repr=False)

    @property
    def has_entity_terms(self) -> bool:
        """True when some term carries an entity label (then it must run even without terms)."""
        return any(t.entity_label for t in self.terms)

    def match(self, doc: Doc) -> list[TokenMatch]:
        """Every match of every term in `doc`, overlaps included (the engine resolves them)."""
        found: list[TokenMatch] = []
        if self._ci_matcher is not None:
            surfaces = self._ci_surfaces
            for _key, start, end in self._ci_matcher(doc):
                # The matched tokens' hashes say which term it was; reading them for the few
                # matched tokens is cheaper than exporting the whole Doc's LOWER column.
                if end - start == 1:
                    key: tuple[int, ...] = (doc[start].lower,)
                else:
                    key = tuple([doc[i].lower for i in range(start, end)])
                for spec in surfaces.get(key, ()):
                    found.append(TokenMatch(start, end, spec))
        if self._cs_matcher is not None:
            surfaces = self._cs_surfaces
            for _key, start, end in self._cs_matcher(doc):
                key = tuple([doc[i].orth for i in range(start, end)])
                for spec in surfaces.get(key, ()):
                    found.append(TokenMatch(start, end, spec))
        return found


# --- surface variants --------------------------------------------------------------------------

_IRREGULAR_PLURALS = {
    "man": "men",
    "woman": "women",
    "child": "children",
    "person": "people",
    "mouse": "mice",
    "foot": "feet",
    "tooth": "teeth",
    "analysis": "analyses",
    "hypothesis": "hypotheses",
    "thesis": "theses",
    "crisis": "crises",
    "criterion": "criteria",
    "phenomenon": "phenomena",
    "index": "indices",
    "matrix": "matrices",
    "vertex": "vertices",
}
_WORD = re.compile(r"^[A-Za-z](?:[A-Za-z'’-]*[A-Za-z])?$")
_SPACES = re.compile(r"\s+")
_INNER_HYPHEN = re.compile(r"(?<=[A-Za-z0-9])[-‐‑](?=[A-Za-z0-9])")


def pluralize(word: str) -> str:
    """English plural of one word, by the regular rules plus common irregular nouns."""
    lower = word.lower()
    if lower in _IRREGULAR_PLURALS:
        plural = _IRREGULAR_PLURALS[lower]
        return word[: len(word) - len(lower)] + plural if word.islower() else _recase(plural, word)
    if word.isupper() and len(word) > 1:
        return word + "s"  # acronyms: "GPU" -> "GPUs", "LLM" -> "LLMs"
    if lower.endswith(("s", "x", "z", "ch", "sh")):
        return word + "es"
    if lower.endswith("y") and len(lower) > 1 and lower[-2] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


def _looks_plural(word: str) -> bool:
    lower = word.lower()
    return lower.endswith("s") and not lower.endswith(("ss", "us", "is"))


def _recase(plural: str, like: str) -> str:
    return plural.capitalize() if like[:1].isupper() else plural


def surface_variants(surface: str) -> list[str]:
    """The forms of one term or alias a reader would count as the same term.

    Plurals of the last word ("reasoning model" -> "reasoning models") and of the head before
    "of" ("head of state" -> "heads of state"); hyphenated compounds also written open or closed
    ("pre-training" -> "pre training", "pretraining"). The term is normally singular; other
    forms come from aliases.
    """
    base = _SPACES.sub(" ", surface).strip()
    if not base:
        return []
    forms = [base]
    if _INNER_HYPHEN.search(base):
        forms.append(_INNER_HYPHEN.sub(" ", base))
        forms.append(_INNER_HYPHEN.sub("", base))
    variants: list[str] = []
    for form in forms:
        variants.append(form)
        words = form.split(" ")
        # The head of an English noun phrase is its last word, or the word before "of".
        head = words.index("of", 1) - 1 if "of" in words[1:-1] else len(words) - 1
        word = words[head]
        if _WORD.match(word) and len(word) > 1 and not _looks_plural(word):
            variants.append(" ".join([*words[:head], pluralize(word), *words[head + 1 :]]))
    return list(dict.fromkeys(variants))


# --- compiling ---------------------------------------------------------------------------------


def compile_glossary(
    glossary_id: str,
    version: int | str,
    terms: Iterable[TermSpec],
    nlp: Language,
) -> CompiledGlossary:
    """Compile `terms` into phrase matchers on `nlp`'s vocabulary.

    Case-insensitive terms match on LOWER, case-sensitive ones on the exact ORTH. Patterns are
    tokenised by the pipeline's own tokenizer so they split exactly as page text does (which is
    also why a term never matches inside a word: matching works on whole tokens).
    """
    specs = tuple(terms)
    ci_surfaces: dict[tuple[int, ...], list[int]] = {}
    cs_surfaces: dict[tuple[int, ...], list[int]] = {}
    wanted: list[tuple[int, str]] = []
    for index, spec in enumerate(specs):
        seen: set[str] = set()
        for surface in (spec.term, *spec.aliases):
            for variant in surface_variants(surface):
                if variant not in seen:
                    seen.add(variant)
                    wanted.append((index, variant))

    unique = list(dict.fromkeys(text for _, text in wanted))
    # spaCy types `Language.tokenizer` as a plain callable; the real Tokenizer has `.pipe`.
    tokenizer: Any = nlp.tokenizer
    docs = dict(zip(unique, tokenizer.pipe(unique, batch_size=1000), strict=True))

    ci_docs: dict[tuple[int, ...], Doc] = {}
    cs_docs: dict[tuple[int, ...], Doc] = {}
    for index, text in wanted:
        doc = docs[text]
        if len(doc) == 0:
            continue
        if specs[index].case_sensitive:
            key = tuple(t.orth for t in doc)
            _append_unique(cs_surfaces.setdefault(key, []), index)
            cs_docs.setdefault(key, doc)
        else:
            key = tuple(t.lower for t in doc)
            _append_unique(ci_surfaces.setdefault(key, []), index)
            ci_docs.setdefault(key, doc)

    ci_matcher = cs_matcher = None
    if ci_docs:
        ci_matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
        ci_matcher.add(_CI_KEY, list(ci_docs.values()))
    if cs_docs:
        cs_matcher = PhraseMatcher(nlp.vocab, attr="ORTH")
        cs_matcher.add(_CS_KEY, list(cs_docs.values()))
    return CompiledGlossary(
        glossary_id=glossary_id,
        version=version,
        terms=specs,
        pattern_count=len(ci_docs) + len(cs_docs),
        _ci_matcher=ci_matcher,
        _cs_matcher=cs_matcher,
        _ci_surfaces={k: tuple(specs[i] for i in v) for k, v in ci_surfaces.items()},
        _cs_surfaces={k: tuple(specs[i] for i in v) for k, v in cs_surfaces.items()},
    )


def _append_unique(indices: list[int], index: int) -> None:
    if not indices or indices[-1] != index:
        indices.append(index)


def resolve_overlaps(matches: Sequence[TokenMatch]) -> list[TokenMatch]:
    """Keep the longest of overlapping matches (earliest first on a tie), in text order.

    Matches on exactly the same tokens all survive: two glossaries (or two terms) defining the
    same words are both worth showing on the card.
    """
    if not matches:
        return []
    # Most pages have no overlapping terms, and the matcher reports matches by start: check
    # both in one pass and stop there.
    last_start = last_end = reach = -1
    for m in matches:
        if m.start == last_start and m.end == last_end:
            continue  # the same span again, for another term
        if m.start < last_start or m.start < reach:
            break
        last_start, last_end = m.start, m.end
        reach = max(reach, m.end)
    else:
        return list(matches)
    taken = bytearray(max(m.end for m in matches))
    kept: list[TokenMatch] = []
    last: TokenMatch | None = None
    # Longest first; a stable sort keeps matches on identical spans next to each other.
    for m in sorted(matches, key=_longest_first):
        if last is not None and m.start == last.start and m.end == last.end:
            kept.append(m)
            continue
        if any(taken[m.start : m.end]):
            continue
        taken[m.start : m.end] = b"\x01" * (m.end - m.start)
        kept.append(m)
        last = m
    kept.sort(key=_start)
    return kept


def _start(m: TokenMatch) -> int:
    return m.start


def _longest_first(m: TokenMatch) -> tuple[int, int]:
    return (m.start - m.end, m.start)


# --- caching -----------------------------------------------------------------------------------


class GlossaryCache:
    """Compiled glossaries keyed by (glossary_id, version); a new version replaces the old one.

    Compiling is the expensive step (tokenising every surface), so a glossary is compiled once
    per version, and only glossaries whose version changed are compiled again. Safe to share
    between threads: compiles of one glossary are serialised by a per-glossary lock, and a
    compiled glossary is never mutated, so requests holding the old version finish on it.
    """

    def __init__(self, nlp: Language, max_glossaries: int = 256) -> None:
        self._nlp = nlp
        self._max = max_glossaries
        self._compiled: dict[str, CompiledGlossary] = {}
        self._lock = threading.Lock()
        self._glossary_locks: dict[str, threading.Lock] = {}

    def get(
        self,
        glossary_id: str,
        version: int | str,
        load_terms: Callable[[], Iterable[TermSpec]],
    ) -> CompiledGlossary:
        """The compiled glossary at `version`, compiling it from `load_terms()` if needed."""
        current = self._compiled.get(glossary_id)
        if current is not None and current.version == version:
            return current
        with self._lock:
            glossary_lock = self._glossary_locks.setdefault(glossary_id, threading.Lock())
        with glossary_lock:
            current = self._compiled.get(glossary_id)
            if current is not None and current.version == version:
                return current
            compiled = compile_glossary(glossary_id, version, load_terms(), self._nlp)
            with self._lock:
                self._compiled.pop(glossary_id, None)
                self._compiled[glossary_id] = compiled  # most recent last, for eviction
                while len(self._compiled) > self._max:
                    oldest = next(iter(self._compiled))
                    del self._compiled[oldest]
            return compiled

    def peek(self, glossary_id: str) -> CompiledGlossary | None:
        """The compiled glossary held for `glossary_id`, whatever its version."""
        return self._compiled.get(glossary_id)

    def evict(self, glossary_id: str) -> None:
        """Forget a glossary (deleted, or its team lost access)."""
        with self._lock:
            self._compiled.pop(glossary_id, None)

    def __len__(self) -> int:
        return len(self._compiled)

    def __contains__(self, key: Hashable) -> bool:
        if not isinstance(key, tuple) or len(key) != 2:
            return False
        compiled = self._compiled.get(key[0])
        return compiled is not None and compiled.version == key[1]
