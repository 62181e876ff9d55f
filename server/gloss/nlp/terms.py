"""Glossary terms: compile a team's terms into spaCy phrase matchers and find them in a Doc."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from spacy.attrs import LOWER, ORTH
from spacy.matcher import PhraseMatcher

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokenizer import Tokenizer
    from spacy.tokens import Doc

# One match key per matcher, not one per term: adding 100k distinct keys costs four times as
# much as one key, and the matched tokens themselves identify the term (see `_surfaces`).
_CI_KEY = "gloss-terms-ci"
_CS_KEY = "gloss-terms-cs"
_COMPILE_BATCH = 2000


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


_Surfaces = dict[tuple[int, ...], tuple["TermSpec", ...]]


class TokenMatch(NamedTuple):
    """A term found in a Doc, in token indices (the engine turns it into character offsets).

    A NamedTuple rather than a dataclass: the matcher makes one per hit, and tuples are the
    cheapest Python object to build.
    """

    start: int
    end: int
    term: TermSpec


@dataclass(slots=True, weakref_slot=True)
class CompiledGlossary:
    """A glossary's terms compiled against one spaCy vocabulary.

    Changed only by `apply`, which must run on the thread that runs every match (the NLP
    runtime's single worker): a match then sees the glossary wholly before or wholly after an
    update, and `version` is written last so a reader on another thread that sees the new
    version sees the whole update.
    """

    glossary_id: str
    version: int | str
    terms: tuple[TermSpec, ...]
    pattern_count: int
    _ci_matcher: PhraseMatcher | None = field(repr=False)
    _cs_matcher: PhraseMatcher | None = field(repr=False)
    # Token-hash tuple of each pattern -> the terms it is a form of (LOWER hashes for the
    # case-insensitive matcher, ORTH hashes for the case-sensitive one).
    _ci_surfaces: _Surfaces = field(repr=False)
    _cs_surfaces: _Surfaces = field(repr=False)
    # Patterns still in a matcher that no term has any more: spaCy can only remove a whole
    # match key (all patterns of the matcher), so `apply` leaves them and `match_terms` drops
    # their spans before overlaps are resolved. Keyed like the surfaces above.
    _ci_dead: set[tuple[int, ...]] = field(default_factory=set, repr=False)
    _cs_dead: set[tuple[int, ...]] = field(default_factory=set, repr=False)
    _positions: dict[str, int] | None = field(default=None, repr=False)

    @property
    def stale_patterns(self) -> int:
        """Patterns left in the matchers by removed terms (a full compile drops them)."""
        return len(self._ci_dead) + len(self._cs_dead)

    def apply(
        self,
        version: int | str,
        upserts: Iterable[TermSpec],
        removed_ids: Iterable[str],
        nlp: Language,
        tokenizer: Tokenizer | None = None,
    ) -> None:
        """Patch the glossary in place to `version`: `upserts` are the current form of added or
        changed terms, `removed_ids` the deleted ones. Matches afterwards equal those of a fresh
        `compile_glossary` of the resulting term set. Run it on the matching thread only.

        `tokenizer`: a `pattern_tokenizer(nlp)` to reuse; copying one costs far more than
        tokenising a few terms."""
        new_specs = {s.term_id: s for s in upserts}
        gone = set(removed_ids) - new_specs.keys()
        if self._positions is None:
            self._positions = {s.term_id: i for i, s in enumerate(self.terms)}
        positions = self._positions
        terms = list(self.terms)
        tokenizer = tokenizer or pattern_tokenizer(nlp)
        # Old forms out first: a surface an edited term keeps is taken out and put back.
        for term_id in gone | new_specs.keys():
            index = positions.get(term_id)
            if index is not None:
                self._unlink(terms[index], tokenizer)
        ci_new: list[Doc] = []
        cs_new: list[Doc] = []
        for term_id, spec in new_specs.items():
            index = positions.get(term_id)
            if index is None:
                positions[term_id] = len(terms)
                terms.append(spec)
            else:
                terms[index] = spec
        touched: list[tuple[_Surfaces, tuple[int, ...]]] = []
        for spec in new_specs.values():
            self._link(spec, tokenizer, ci_new, cs_new, touched)
        if gone:
            terms = [t for t in terms if t.term_id not in gone]
            self._positions = positions = {s.term_id: i for i, s in enumerate(terms)}
        if ci_new:
            if self._ci_matcher is None:
                self._ci_matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
            self._ci_matcher.add(_CI_KEY, ci_new)
        if cs_new:
            if self._cs_matcher is None:
                self._cs_matcher = PhraseMatcher(nlp.vocab, attr="ORTH")
            self._cs_matcher.add(_CS_KEY, cs_new)
        # Keep each surface's terms in list order, as a fresh compile lists them.
        for surfaces, key in touched:
            specs = surfaces[key]
            if len(specs) > 1:
                surfaces[key] = tuple(sorted(specs, key=lambda s: positions[s.term_id]))
        self.terms = tuple(terms)
        self.pattern_count = len(self._ci_surfaces) + len(self._cs_surfaces)
        self.version = version  # last: see the class docstring

    def _forms(self, spec: TermSpec, tokenizer: Tokenizer) -> list[tuple[tuple[int, ...], Doc]]:
        """The token-hash keys (and pattern Docs) `compile_glossary` makes for one term."""
        seen: set[str] = set()
        texts = []
        for surface in (spec.term, *spec.aliases):
            for variant in surface_variants(surface):
                if variant not in seen:
                    seen.add(variant)
                    texts.append(variant)
        forms = []
        for doc in tokenizer.pipe(texts):
            if len(doc) == 0:
                continue
            if spec.case_sensitive:
                forms.append((tuple([t.orth for t in doc]), doc))
            else:
                forms.append((tuple([t.lower for t in doc]), doc))
        return forms

    def _unlink(self, spec: TermSpec, tokenizer: Tokenizer) -> None:
        surfaces, dead = self._side(spec)
        for key, _doc in self._forms(spec, tokenizer):
            held = surfaces.get(key)
            if held is None:
                continue
            kept = tuple(s for s in held if s.term_id != spec.term_id)
            if kept:
                surfaces[key] = kept
            else:
                del surfaces[key]
                dead.add(key)

    def _link(
        self,
        spec: TermSpec,
        tokenizer: Tokenizer,
        ci_new: list[Doc],
        cs_new: list[Doc],
        touched: list[tuple[_Surfaces, tuple[int, ...]]],
    ) -> None:
        surfaces, dead = self._side(spec)
        for key, doc in self._forms(spec, tokenizer):
            touched.append((surfaces, key))
            held = surfaces.get(key)
            if held is None:
                if key in dead:
                    dead.discard(key)  # the pattern is still in the matcher: live again
                else:
                    (cs_new if spec.case_sensitive else ci_new).append(doc)
                surfaces[key] = (spec,)
            elif all(s.term_id != spec.term_id for s in held):
                surfaces[key] = (*held, spec)

    def _side(self, spec: TermSpec) -> tuple[_Surfaces, set[tuple[int, ...]]]:
        if spec.case_sensitive:
            return self._cs_surfaces, self._cs_dead
        return self._ci_surfaces, self._ci_dead

    @property
    def has_entity_terms(self) -> bool:
        """True when some term carries an entity label (then it must run even without terms)."""
        return any(t.entity_label for t in self.terms)

    def match(self, doc: Doc) -> list[TokenMatch]:
        """Every match of every term in `doc`, overlaps included (`match_terms` resolves them)."""
        found: list[TokenMatch] = []
        for matcher, surfaces, attr, _dead in self._matchers():
            # Dead patterns need no filtering here: `_identify` finds no term for them.
            spans = [(start, end, 0) for _key, start, end in matcher(doc)]
            found.extend(_identify(doc, spans, [(surfaces, attr)]))
        return found

    def _matchers(self) -> list[tuple[PhraseMatcher, _Surfaces, int, set[tuple[int, ...]]]]:
        pairs = []
        if self._ci_matcher is not None:
            pairs.append((self._ci_matcher, self._ci_surfaces, LOWER, self._ci_dead))
        if self._cs_matcher is not None:
            pairs.append((self._cs_matcher, self._cs_surfaces, ORTH, self._cs_dead))
        return pairs


def _live(
    doc: Doc, found: list[tuple[int, int, int]], attr: int, dead: set[tuple[int, ...]]
) -> list[tuple[int, int, int]]:
    """Drop matches of patterns no term has any more (left in the matcher by `apply`)."""
    lengths = {len(k) for k in dead}
    kept = []
    for m in found:
        start, end = m[1], m[2]
        if end - start in lengths:
            if attr == LOWER:
                key = tuple([doc[i].lower for i in range(start, end)])
            else:
                key = tuple([doc[i].orth for i in range(start, end)])
            if key in dead:
                continue
        kept.append(m)
    return kept


def match_terms(doc: Doc, glossaries: Iterable[CompiledGlossary]) -> list[TokenMatch]:
    """The terms of all `glossaries` in `doc`, overlaps resolved (see `resolve_overlaps`).

    Overlaps are resolved on bare spans first, and only the surviving spans are looked up to
    find their terms: on a page dense with terms that halves the Python work per match.
    """
    found_by_source: list[list[tuple[int, int, int]]] = []  # (key, start token, end token)
    sources: list[tuple[_Surfaces, int]] = []
    for glossary in glossaries:
        for matcher, surfaces, attr, dead in glossary._matchers():
            found = matcher(doc)
            if found and dead:
                # Before resolving: a dead longer pattern must not hide a live shorter one.
                found = _live(doc, found, attr, dead)
            if found:
                sources.append((surfaces, attr))
                found_by_source.append(found)
    if len(found_by_source) == 1:
        # One matcher (the usual case): its own (key, start, end) tuples, no copies.
        return _identify(doc, _resolve(found_by_source[0], 1), sources, 1)
    spans = [  # (start token, end token, source index)
        (start, end, source)
        for source, found in enumerate(found_by_source)
        for _key, start, end in found
    ]
    return _identify(doc, _resolve(spans), sources)


def _identify(
    doc: Doc,
    spans: Sequence[tuple[int, int, int]],
    sources: Sequence[tuple[_Surfaces, int]],
    at: int = 0,
) -> list[TokenMatch]:
    """The terms behind each matched span: the matched tokens' hashes name the pattern.

    Spans are (start, end, source index) with `at` 0, or one source's (key, start, end)
    with `at` 1."""
    found: list[TokenMatch] = []
    append = found.append
    new = tuple.__new__  # what TokenMatch._make does, without its Python-level wrapper
    if len(spans) * 8 > len(doc):
        # Many matches: exporting each needed column of the Doc once beats reading tokens.
        exported: dict[int, list[int]] = {}
        columns = []
        for _surfaces, attr in sources:
            if attr not in exported:
                exported[attr] = doc.to_array(attr).tolist()
            columns.append(exported[attr])
        lookups = [surfaces.get for surfaces, _attr in sources]
        if at:
            lookup, column = lookups[0], columns[0]
            for _key, start, end in spans:
                for spec in lookup(tuple(column[start:end]), ()):
                    append(new(TokenMatch, (start, end, spec)))
            return found
        for start, end, source in spans:
            for spec in lookups[source](tuple(columns[source][start:end]), ()):
                append(new(TokenMatch, (start, end, spec)))
        return found
    for m in spans:
        start, end = m[at], m[at + 1]
        surfaces, attr = sources[0 if at else m[2]]
        if attr == LOWER:
            key = tuple([doc[i].lower for i in range(start, end)])
        else:
            key = tuple([doc[i].orth for i in range(start, end)])
        for spec in surfaces.get(key, ()):
            append(new(TokenMatch, (start, end, spec)))
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
    builder = GlossaryBuilder(glossary_id, version, terms, nlp)
    while not builder.step():
        pass
    return builder.result()


class GlossaryBuilder:
    """`compile_glossary` in steps of bounded work, so a large glossary (a 100k-term one takes
    seconds) can be compiled on the engine's one thread between annotations instead of holding
    it: `step()` until it returns True, then `result()`. Every step must run on the thread that
    matches (it tokenises against the shared vocabulary). The result is what one
    `compile_glossary` call makes of the same terms.
    """

    def __init__(
        self,
        glossary_id: str,
        version: int | str,
        terms: Iterable[TermSpec],
        nlp: Language,
        *,
        terms_per_step: int = _COMPILE_BATCH,
        texts_per_step: int = _COMPILE_BATCH,
    ) -> None:
        self.glossary_id = glossary_id
        self.version = version
        self._nlp = nlp
        self._specs = tuple(terms)
        self._terms_per_step = terms_per_step
        self._texts_per_step = texts_per_step
        self._next_term = 0
        self._next_text = 0
        # Each surface text (and variant) with the terms that have it, in first-seen order.
        self._by_text: dict[str, list[int]] = {}
        self._texts: list[str] | None = None
        self._ci_surfaces: dict[tuple[int, ...], list[int]] = {}
        self._cs_surfaces: dict[tuple[int, ...], list[int]] = {}
        self._tokenizer: Tokenizer | None = None
        self._ci_matcher: PhraseMatcher | None = None
        self._cs_matcher: PhraseMatcher | None = None
        self._ci_final: _Surfaces = {}
        self._cs_final: _Surfaces = {}
        self._pending: list[tuple[_Surfaces, tuple[int, ...], list[int]]] | None = None
        self._next_final = 0
        self.steps = 0

    def step(self) -> bool:
        """Do the next bounded piece of work; True when nothing is left."""
        self.steps += 1
        if self._next_term < len(self._specs):
            self._collect_surfaces()
            return False
        if self._texts is None:
            self._texts = list(self._by_text)
            self._tokenizer = pattern_tokenizer(self._nlp)
            self._ci_matcher = PhraseMatcher(self._nlp.vocab, attr="LOWER")
            self._cs_matcher = PhraseMatcher(self._nlp.vocab, attr="ORTH")
        if self._next_text < len(self._texts):
            self._add_patterns()
            return False
        return self._finish_surfaces()

    def _finish_surfaces(self) -> bool:
        """Each pattern's terms as the tuples the matcher reads, a step's worth of patterns at
        a time (200k of them at once took a while); True when every one is done."""
        if self._pending is None:
            self._pending = [
                *((self._ci_final, k, v) for k, v in self._ci_surfaces.items()),
                *((self._cs_final, k, v) for k, v in self._cs_surfaces.items()),
            ]
        specs = self._specs
        stop = min(len(self._pending), self._next_final + self._texts_per_step * 4)
        for final, key, indices in self._pending[self._next_final : stop]:
            final[key] = tuple(specs[i] for i in indices)
        self._next_final = stop
        return stop >= len(self._pending)

    def _collect_surfaces(self) -> None:
        stop = min(len(self._specs), self._next_term + self._terms_per_step)
        by_text = self._by_text
        for index in range(self._next_term, stop):
            spec = self._specs[index]
            seen: set[str] = set()
            for surface in (spec.term, *spec.aliases):
                for variant in surface_variants(surface):
                    if variant not in seen:
                        seen.add(variant)
                        by_text.setdefault(variant, []).append(index)
        self._next_term = stop

    def _add_patterns(self) -> None:
        """Tokenise and add one batch of texts: only one batch of pattern Docs is alive at a
        time (all 200k Docs of a 100k-term glossary at once took over a gigabyte)."""
        assert self._texts is not None
        assert self._tokenizer is not None
        assert self._ci_matcher is not None
        assert self._cs_matcher is not None
        batch = self._texts[self._next_text : self._next_text + self._texts_per_step]
        self._next_text += len(batch)
        specs, ci_surfaces, cs_surfaces = self._specs, self._ci_surfaces, self._cs_surfaces
        ci_new: list[Doc] = []
        cs_new: list[Doc] = []
        for text, doc in zip(batch, self._tokenizer.pipe(batch), strict=True):
            if len(doc) == 0:
                continue
            ci_key = cs_key = None
            for index in self._by_text[text]:
                if specs[index].case_sensitive:
                    cs_key = cs_key or tuple([t.orth for t in doc])
                    if cs_key not in cs_surfaces:
                        cs_new.append(doc)
                    _append_unique(cs_surfaces.setdefault(cs_key, []), index)
                else:
                    ci_key = ci_key or tuple([t.lower for t in doc])
                    if ci_key not in ci_surfaces:
                        ci_new.append(doc)
                    _append_unique(ci_surfaces.setdefault(ci_key, []), index)
        if ci_new:
            self._ci_matcher.add(_CI_KEY, ci_new)
        if cs_new:
            self._cs_matcher.add(_CS_KEY, cs_new)

    def result(self) -> CompiledGlossary:
        """The compiled glossary (after the last step)."""
        if self._pending is None or self._next_final < len(self._pending):
            raise RuntimeError("GlossaryBuilder.result() before its last step")
        ci_surfaces, cs_surfaces = self._ci_final, self._cs_final
        return CompiledGlossary(
            glossary_id=self.glossary_id,
            version=self.version,
            terms=self._specs,
            pattern_count=len(ci_surfaces) + len(cs_surfaces),
            _ci_matcher=self._ci_matcher if ci_surfaces else None,
            _cs_matcher=self._cs_matcher if cs_surfaces else None,
            _ci_surfaces=ci_surfaces,
            _cs_surfaces=cs_surfaces,
        )


def pattern_tokenizer(nlp: Language) -> Tokenizer:
    """A copy of the pipeline's tokenizer (same rules, same vocabulary) for glossary patterns.

    A spaCy tokenizer caches at most 10,000 words and then stops caching; tokenising a big
    glossary with the pipeline's own tokenizer would fill that cache with glossary words and
    leave every page word on the slow path (measured: 30 times slower tokenising).
    """
    from spacy.tokenizer import Tokenizer

    copy = Tokenizer(nlp.vocab)
    copy.from_bytes(nlp.tokenizer.to_bytes(exclude=["vocab"]))  # type: ignore[union-attr]
    return copy


def _append_unique(indices: list[int], index: int) -> None:
    if not indices or indices[-1] != index:
        indices.append(index)


def resolve_overlaps(matches: Sequence[TokenMatch]) -> list[TokenMatch]:
    """Keep the longest of overlapping matches (earliest first on a tie), in text order.

    Matches on exactly the same tokens all survive: two glossaries (or two terms) defining the
    same words are both worth showing on the card.
    """
    return [TokenMatch._make(m) for m in _resolve(matches)]


_Span = TypeVar("_Span", bound=tuple[int, int, Any])


def _resolve(matches: Sequence[_Span], at: int = 0) -> list[_Span]:
    """Longest-match-wins over tuples whose start and end tokens are at `at` and `at + 1`,
    in one sweep over clusters.

    Only spans that overlap need resolving, and they come in small clusters; a cluster is
    resolved longest first (earliest on a tie), every lone span goes straight through.
    """
    if not matches:
        return []
    # Already sorted per matcher: a near-linear pass.
    ordered = sorted(matches, key=itemgetter(at))
    result: list[_Span] = []
    cluster: list[_Span] = []
    reach = -1
    for m in ordered:
        if m[at] >= reach:
            if len(cluster) == 1:
                result.append(cluster[0])
            elif cluster:
                result.extend(_resolve_cluster(cluster, at, reach))
            cluster = [m]
            reach = m[at + 1]
        else:
            cluster.append(m)
            if m[at + 1] > reach:
                reach = m[at + 1]
    if len(cluster) == 1:
        result.append(cluster[0])
    else:
        result.extend(_resolve_cluster(cluster, at, reach))
    return result


def _resolve_cluster(cluster: list[_Span], at: int, reach: int) -> list[_Span]:
    """Longest first (earliest on a tie): a span is kept when its tokens are all free, or
    when it covers exactly the tokens of a kept one (two terms on the same words).

    `cluster` is in text order and `reach` its furthest end. Most clusters are one term and
    the shorter terms inside it ("interest rate" over "interest" and "rate"): a span over
    the whole cluster is then the longest, and it (with any span on the same tokens) is all
    that is kept."""
    first = cluster[0][at]
    whole = [m for m in cluster if m[at + 1] == reach and m[at] == first]
    if whole:
        return whole
    kept: list[_Span] = []
    taken: set[int] = set()
    kept_spans: set[tuple[int, int]] = set()
    # The cluster is in text order, and a stable sort keeps it on equal lengths.
    for m in sorted(cluster, key=lambda m: m[at] - m[at + 1]):
        start, end = m[at], m[at + 1]
        if (start, end) in kept_spans:
            kept.append(m)
        elif taken.isdisjoint(range(start, end)):
            kept.append(m)
            kept_spans.add((start, end))
            taken.update(range(start, end))
    kept.sort(key=itemgetter(at))
    return kept


# --- caching -----------------------------------------------------------------------------------


# What one compiled pattern holds in memory, about: compiling a 100,000-term glossary of one-
# to three-word terms (170,741 patterns with variants) kept 222.8 MiB traced by tracemalloc,
# 1,368 bytes a pattern (a one-off measurement on 2026-12-04, as bench_nlp's glossaries are
# built; the report was about 250 MB a glossary).
BYTES_PER_PATTERN = 1_400


class GlossaryCache:
    """Compiled glossaries keyed by (glossary_id, version); a new version replaces the old one.

    Compiling is the expensive step (tokenising every surface), so a glossary is compiled once
    per version, and only glossaries whose version changed are compiled again (or patched by
    `update`). Compiles of one glossary are serialised by a per-glossary lock; a compiled
    glossary is only mutated by `update`, which must run on the thread that matches.
    """

    def __init__(
        self, nlp: Language, max_glossaries: int = 256, max_patterns: int | None = None
    ) -> None:
        self._nlp = nlp
        self._max = max_glossaries
        # A bound on memory: the patterns (surfaces and their variants) of every glossary held,
        # about 1.4 KB each compiled (BYTES_PER_PATTERN). The newest glossary is always kept.
        self._max_patterns = max_patterns
        self._compiled: dict[str, CompiledGlossary] = {}
        self._lock = threading.Lock()
        self._glossary_locks: dict[str, threading.Lock] = {}
        self._tokenizer: Tokenizer | None = None  # for `update`, made on first use

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
            self._hold(compiled)
            return compiled

    def install(self, compiled: CompiledGlossary) -> CompiledGlossary:
        """Hold a glossary compiled elsewhere (by a `GlossaryBuilder`, in steps), unless a
        newer or equal version is held already (patched meanwhile): the one held is returned.
        The bounds apply as for `get`."""
        with self._lock:
            glossary_lock = self._glossary_locks.setdefault(compiled.glossary_id, threading.Lock())
        with glossary_lock:
            current = self._compiled.get(compiled.glossary_id)
            if (
                current is not None
                and isinstance(current.version, int)
                and isinstance(compiled.version, int)
                and current.version >= compiled.version
            ):
                return current
            self._hold(compiled)
            return compiled

    def _hold(self, compiled: CompiledGlossary) -> None:
        with self._lock:
            self._compiled.pop(compiled.glossary_id, None)
            self._compiled[compiled.glossary_id] = compiled  # most recent last, for eviction
            while len(self._compiled) > self._max or self._over_budget():
                oldest = next(iter(self._compiled))
                del self._compiled[oldest]

    def update(
        self,
        glossary_id: str,
        base: int,
        version: int,
        upserts: Iterable[TermSpec],
        removed_ids: Iterable[str],
    ) -> CompiledGlossary | None:
        """Patch the held glossary from `base` to `version` with the terms changed between them;
        None when it cannot (nothing held, or held at a version older than `base`), and then
        the caller compiles in full. Run it on the matching thread (see `CompiledGlossary`).

        A glossary held at a version between `base` and `version` is patched too: the changes
        since `base` include those since its version, and each change is the term's current
        state, so applying one twice gives the same result.
        """
        with self._lock:
            glossary_lock = self._glossary_locks.setdefault(glossary_id, threading.Lock())
        with glossary_lock:
            current = self._compiled.get(glossary_id)
            if current is None or not isinstance(current.version, int):
                return None
            if current.version >= version:
                return current
            if current.version < base:
                return None
            if self._tokenizer is None:
                self._tokenizer = pattern_tokenizer(self._nlp)
            current.apply(version, upserts, removed_ids, self._nlp, self._tokenizer)
            return current

    def _over_budget(self) -> bool:
        if self._max_patterns is None or len(self._compiled) <= 1:
            return False
        return sum(c.pattern_count for c in self._compiled.values()) > self._max_patterns

    def builder(
        self,
        glossary_id: str,
        version: int | str,
        terms: Iterable[TermSpec],
        steps_of: int = _COMPILE_BATCH,
    ) -> GlossaryBuilder:
        """A compile of `terms` in steps against this cache's vocabulary; `install` the result."""
        return GlossaryBuilder(
            glossary_id, version, terms, self._nlp, terms_per_step=steps_of, texts_per_step=steps_of
        )

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
