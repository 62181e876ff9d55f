"""Annotating a page: glossaries by version, the page's blocks read by the batched engine (or
found in the cache), one document pass over them, offsets in the unit the client asked for;
answers and block readings cached by text hash, glossary versions, model and options."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import time
import uuid
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

from pydantic import TypeAdapter
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gloss.annotate.cache import AnnotateCache, CachedSpans, answer_key, block_keys
from gloss.annotate.schemas import (
    ALL_INCLUDES,
    AnnotateRequest,
    Entity,
    ModelInfo,
    PendingGlossary,
    TermHit,
)
from gloss.articles import related as articles
from gloss.articles.schemas import RelatedArticle
from gloss.auth.service import Principal
from gloss.errors import PayloadTooLarge, ServiceUnavailable
from gloss.glossaries import compiled as compiled_glossaries
from gloss.nlp.dense import Vector
from gloss.nlp.engine import Reading, TermMatch, split_chunks
from gloss.nlp.offsets import sanitize_lone_surrogates
from gloss.nlp.ranking import PageText
from gloss.nlp.terms import CompiledGlossary
from gloss.runtime import CompiledGlossaries, NlpRuntime, Priority

log = logging.getLogger("gloss.annotate")


def _require_runtime(runtime: NlpRuntime | None) -> NlpRuntime:
    if runtime is None:
        raise ServiceUnavailable("The NLP pipeline is not loaded on this server.")
    return runtime


async def annotate(
    session: AsyncSession,
    principal: Principal,
    runtime: NlpRuntime | None,
    body: AnnotateRequest,
    max_chars: int,
    cache: AnnotateCache,
    *,
    request: Hashable,
    background: async_sessionmaker[AsyncSession] | None = None,
) -> AnnotateOutcome:
    """Annotate a page. With `background` (read-only sessions), large glossaries whose new
    version needs a full compile are compiled in the background, and the answer lists them
    under `pending_glossaries` with the version it used. `request` is what the engine's
    queue knows the request by (see NlpRuntime.answering)."""
    started = time.perf_counter()
    runtime = _require_runtime(runtime)
    if len(body.text) > max_chars:
        raise PayloadTooLarge(
            f"The text has {len(body.text)} characters; the limit is {max_chars}.",
            extra={"limit_chars": max_chars},
        )
    include = frozenset(body.include or ALL_INCLUDES)
    # A browser may send lone UTF-16 surrogates; U+FFFD keeps every offset where it was.
    text = sanitize_lone_surrogates(body.text)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    model = ModelInfo(name=runtime.model_name, version=runtime.model_version)

    wants_related = "related" in include and body.related_limit > 0 and bool(text.strip())
    # The page's sentence vector is computed on the encoder's thread while spaCy reads the page.
    page_key = (digest, body.title or "")
    vector = (
        asyncio.ensure_future(runtime.page_vector(body.title or "", text, page_key))
        if wants_related and runtime.dense_model is not None
        else None
    )
    try:
        entity_keys, spans_json, pending = await _spans(
            session, principal, runtime, cache, body, text, digest, include, background, request
        )
        related: list[RelatedArticle] = []
        if wants_related:
            page = runtime.page(page_key, body.title or "", text)
            settled = await _settled(vector)
            if settled is not None:
                runtime.remember_page(principal.team_ids, body.url, settled)
            related = await _related_for_page(
                session, principal, runtime, page, body, entity_keys, settled
            )
    finally:
        if vector is not None and not vector.done():
            vector.cancel()
    return AnnotateOutcome(
        offsets=body.offsets,
        text_sha256=digest,
        spans_json=spans_json,
        pending=pending,
        related=related,
        model=model,
        started=started,
    )


async def _settled(vector: asyncio.Future[Vector | None] | None) -> Vector | None:
    """The page's vector; if the encoder failed, related articles are ranked without it."""
    if vector is None:
        return None
    try:
        return await vector
    except Exception:
        log.exception("the page's sentence vector failed; related ranked without it")
        return None


async def _spans(
    session: AsyncSession,
    principal: Principal,
    runtime: NlpRuntime,
    cache: AnnotateCache,
    body: AnnotateRequest,
    text: str,
    digest: str,
    include: frozenset[str],
    background: async_sessionmaker[AsyncSession] | None,
    request: Hashable,
) -> tuple[Sequence[str], bytes, list[PendingGlossary]]:
    """The page's entity keys and its entities and terms as the response's JSON, from the
    cache when this page was read with these glossary versions, model and options; and the
    glossaries whose newest version was not used (still being compiled)."""
    engine_include = frozenset(include & {"entities", "terms"})
    if not text.strip() or not engine_include:
        return [], _NO_SPANS, []
    requested = list(dict.fromkeys(body.glossary_ids)) if body.glossary_ids else None
    glossaries = await compiled_glossaries.current(
        session, runtime.glossaries, principal.team_ids, requested, background=background
    )
    versions, compiled = glossaries.versions, glossaries.compiled
    pending = [
        PendingGlossary(
            glossary_id=p.glossary_id, version=p.version, served_version=p.served_version
        )
        for p in glossaries.pending
    ]
    # The versions actually used (a pending glossary's older one, or none of it): an answer
    # made with an older version is never served for the newer one.
    model = runtime.model_version
    key = answer_key(digest, versions, model, engine_include, body.offsets)
    cached = await cache.get_answer(key)
    if cached is not None:
        return cached.entity_keys, cached.spans_json, pending
    # The caller's first team is whose turn it takes in the engine's queue.
    owner = principal.team_ids[0] if principal.team_ids else principal.user.id
    reading = await _reading(
        runtime, cache, text, compiled, versions, engine_include, owner, body.priority, request
    )
    result = await runtime.finish(text, reading, engine_include)
    result = result.in_unit(text, body.offsets)
    entities = [
        Entity(start=e.start, end=e.end, text=e.text, label=e.label, key=e.key)
        for e in result.entities
    ]
    terms = _term_hits(runtime.glossaries, result.terms, {str(g): v for g, v in versions})
    spans = CachedSpans(tuple(e.key for e in entities), _spans_json(entities, terms))
    runtime.spans_finished(request)
    cache.put_answer(key, spans)
    return spans.entity_keys, spans.spans_json, pending


# Blocks are cut at blank lines (the extension's block separator); a block longer than this is
# cut as the engine cuts a long text (between sentences).
BLOCK_CHARS = 4_000
# Of a visible request, the blocks that start in its first this many characters are visible (a
# screenful and more); the rest of a long page is read behind every reader's visible blocks.
VISIBLE_CHARS = 3_000
# A page this short (about 1,300 words) has no tail to leave for later: a visible request of at
# most this many characters is visible whole. Its blocks past VISIBLE_CHARS, read as background,
# waited for a process's lane while the engine thread idled (the extension's pieces likewise:
# SHORT_ARTICLE_CHARS in extension/src/content/pieces.ts).
SHORT_PAGE_CHARS = 8_000
_BLOCK_BREAK = re.compile(r"\n[ \t\r\f\v]*\n\s*")


def split_blocks(text: str) -> list[tuple[int, int]]:
    """(start, end) of the text's blocks: between blank lines, long ones cut in pieces."""
    blocks: list[tuple[int, int]] = []
    start = 0
    for brk in [*_BLOCK_BREAK.finditer(text), None]:
        end = brk.start() if brk is not None else len(text)
        if text[start:end].strip():
            block = text[start:end]
            blocks.extend((start + s, start + e) for s, e in split_chunks(block, BLOCK_CHARS))
        if brk is not None:
            start = brk.end()
    return blocks


async def _reading(
    runtime: NlpRuntime,
    cache: AnnotateCache,
    text: str,
    compiled: Sequence[CompiledGlossary],
    versions: Sequence[tuple[uuid.UUID, int]],
    include: frozenset[str],
    owner: Hashable,
    priority: Priority,
    request: Hashable,
) -> Reading:
    """The page's reading, joined from its blocks': the cached ones, and the others read by
    the engine, each a job of its own in the queue (so another reader's visible block goes
    between them). The visible blocks are looked up and queued first; the rest of a long
    page (its keys, its cache lookup) after the event loop has served whatever else is
    waiting, such as another reader's request (ADR 0020), and once no other reader's visible
    text waits to be read (ADR 0021)."""
    blocks = split_blocks(text)
    model = runtime.model_version
    cut = len(blocks)
    if priority == "visible" and len(text) > SHORT_PAGE_CHARS:
        cut = next((i for i, (s, _e) in enumerate(blocks) if s >= VISIBLE_CHARS), len(blocks))
    parts: list[tuple[list[tuple[int, int]], Priority]] = [
        (blocks[:cut], priority),
        (blocks[cut:], "background"),
    ]
    keys: list[str] = []
    readings: list[Reading | None] = []
    todo: dict[str, None] = {}  # the keys of the blocks read, in the order they are queued
    waiting: list[asyncio.Future[Reading]] = []
    for number, (part, part_priority) in enumerate(parts):
        if not part:
            continue
        if number:
            await asyncio.sleep(0)
            await runtime.screens_read(request)
        part_keys = block_keys(text, part, versions, model, include)
        found = await cache.get_blocks(part_keys)
        texts: list[str] = []
        for (s, e), k, r in zip(part, part_keys, found, strict=True):
            if r is None and k not in todo:  # a block repeated on the page is read once
                todo[k] = None
                texts.append(text[s:e])
        waiting += runtime.read_all(texts, compiled, include, owner, part_priority, request)
        keys += part_keys
        readings += found
    if todo:
        try:
            read = await asyncio.gather(*waiting)
        except BaseException:
            for future in waiting:
                future.cancel()  # what is still queued is not read for nobody
            raise
        fresh = dict(zip(todo, read, strict=True))
        cache.put_blocks(fresh)
        readings = [r if r is not None else fresh[k] for k, r in zip(keys, readings, strict=True)]
    return Reading.join(
        (s, r) for (s, _e), r in zip(blocks, readings, strict=True) if r is not None
    )


def _term_hits(
    glossaries: CompiledGlossaries,
    found: Sequence[TermMatch],
    versions: dict[str, int],
) -> list[TermHit]:
    """The engine's term matches with what a card shows of each term, at the version used."""
    hits: list[TermHit] = []
    for t in found:
        info = glossaries.term_info(t.glossary_id, versions[t.glossary_id], t.term_id)
        if info is None:  # compiled by another request for a newer version meanwhile
            continue
        hits.append(
            TermHit(
                start=t.start,
                end=t.end,
                text=t.text,
                term_id=uuid.UUID(t.term_id),
                glossary_id=uuid.UUID(t.glossary_id),
                term=info.term,
                definition=info.definition,
                url=info.url,
            )
        )
    return hits


_ENTITIES = TypeAdapter(list[Entity])
_TERMS = TypeAdapter(list[TermHit])
_RELATED = TypeAdapter(list[RelatedArticle])
_PENDING = TypeAdapter(list[PendingGlossary])
_NO_SPANS = b'"entities":[],"terms":[]'


def _spans_json(entities: list[Entity], terms: list[TermHit]) -> bytes:
    return b'"entities":' + _ENTITIES.dump_json(entities) + b',"terms":' + _TERMS.dump_json(terms)


@dataclass(frozen=True, slots=True)
class AnnotateOutcome:
    """An annotate answer whose spans are already JSON: a cached page is sent as stored bytes
    instead of being validated and serialised again (thousands of spans on a long page)."""

    offsets: str
    text_sha256: str
    spans_json: bytes
    pending: list[PendingGlossary]
    related: list[RelatedArticle]
    model: ModelInfo
    started: float

    def render(self) -> bytes:
        """The AnnotateResponse document, byte for byte what the model would serialise."""
        elapsed = round((time.perf_counter() - self.started) * 1000, 3)
        return b"".join(
            (
                b'{"offsets":"',
                self.offsets.encode(),
                b'","text_sha256":"',
                self.text_sha256.encode(),
                b'",',
                self.spans_json,
                b',"pending_glossaries":',
                _PENDING.dump_json(self.pending),
                b',"related":',
                _RELATED.dump_json(self.related),
                b',"model":',
                self.model.model_dump_json().encode(),
                b',"elapsed_ms":',
                repr(elapsed).encode(),
                b"}",
            )
        )


async def _related_for_page(
    session: AsyncSession,
    principal: Principal,
    runtime: NlpRuntime,
    page: PageText,
    body: AnnotateRequest,
    entity_keys: Sequence[str],
    vector: Vector | None,
) -> list[RelatedArticle]:
    return await articles.related_for_page(
        session,
        principal.team_ids,
        page,
        body.url,
        list(entity_keys),
        body.related_limit,
        weights=runtime.related_weights,
        vector=vector,
    )
