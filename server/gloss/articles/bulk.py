"""Bulk ingest from NDJSON: parse line by line, store in batches, report every line."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterable, AsyncIterator, Sequence
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gloss.articles.ingest import AnnotatingRuntime, ArticleInput, ingest_batch
from gloss.articles.schemas import ArticleCreate, IngestResult
from gloss.errors import PROBLEM_BASE

log = logging.getLogger("gloss.articles.bulk")

# Lines per transaction and per engine pass: large enough for nlp.pipe to batch well, small
# enough that a client sees results as it streams and a failure costs little.
BATCH_LINES = 64
MAX_LINE_BYTES = 4 * 1024 * 1024


def _problem(slug: str, title: str, detail: str, **extra: Any) -> dict[str, object]:
    return {"type": PROBLEM_BASE + slug, "title": title, "detail": detail, **extra}


def parse_line(raw: bytes | str) -> ArticleInput | dict[str, object]:
    """One NDJSON line as an article to store, or the problem that stops it."""
    try:
        body = ArticleCreate.model_validate_json(raw)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False, include_context=False)
        if any(e["type"] == "json_invalid" for e in errors):
            return _problem("malformed-json", "Malformed JSON", "The line is not valid JSON.")
        detail = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors[:5])
        return _problem(
            "validation-error",
            "The line is not valid",
            detail,
            errors=[{"loc": [str(p) for p in e["loc"]], "msg": e["msg"]} for e in errors],
        )
    if body.team_id is not None:
        return _problem(
            "validation-error",
            "The line is not valid",
            "team_id: give the team once, as the team_id query parameter",
        )
    return ArticleInput.from_schema(body)


async def _lines(chunks: AsyncIterable[bytes]) -> AsyncIterator[tuple[int, bytes]]:
    """(line number from 1, line) of a byte stream, without holding more than one line."""
    pending = b""
    number = 0
    async for chunk in chunks:
        pending += chunk
        *complete, pending = pending.split(b"\n")
        for line in complete:
            number += 1
            yield number, line
        if len(pending) > MAX_LINE_BYTES:
            number += 1
            yield number, b"\x00too-long"
            pending = b""
            # Skip the rest of the over-long line.
            async for rest in chunks:
                if b"\n" in rest:
                    pending = rest.split(b"\n", 1)[1]
                    break
    if pending.strip():
        yield number + 1, pending


async def store_batch(
    sessionmaker: async_sessionmaker[AsyncSession],
    team_id: uuid.UUID,
    batch: Sequence[tuple[int, ArticleInput]],
    nlp: AnnotatingRuntime | None,
) -> list[IngestResult]:
    """Store a batch in one transaction; if the database refuses it, line by line so one bad
    article costs only its own line."""
    if not batch:
        return []
    try:
        async with sessionmaker() as session, session.begin():
            outcomes = await ingest_batch(session, team_id, [item for _, item in batch], nlp)
            results = [
                IngestResult(
                    line=line,
                    status=o.status,
                    id=o.article.id,
                    url=o.article.url,
                    duplicate_of=o.article.duplicate_of_id,
                )
                for (line, _), o in zip(batch, outcomes, strict=True)
            ]
        return results
    except Exception as exc:
        if len(batch) == 1:
            log.warning("bulk ingest: line %d failed: %s", batch[0][0], exc)
            return [
                IngestResult(
                    line=batch[0][0],
                    status="error",
                    error=_problem("not-stored", "Not stored", "The database refused it."),
                )
            ]
    results = []
    for entry in batch:
        results.extend(await store_batch(sessionmaker, team_id, [entry], nlp))
    return results


async def ingest_stream(
    sessionmaker: async_sessionmaker[AsyncSession],
    team_id: uuid.UUID,
    chunks: AsyncIterable[bytes],
    nlp: AnnotatingRuntime | None,
    batch_lines: int = BATCH_LINES,
) -> AsyncIterator[dict[str, Any]]:
    """Per-line results in line order, then a summary object with the counts."""
    counts = {"created": 0, "updated": 0, "unchanged": 0, "error": 0}
    pending: list[IngestResult | tuple[int, ArticleInput]] = []

    async def flush() -> list[IngestResult]:
        good = [p for p in pending if isinstance(p, tuple)]
        stored = iter(await store_batch(sessionmaker, team_id, good, nlp))
        ordered = [p if isinstance(p, IngestResult) else next(stored) for p in pending]
        pending.clear()
        return ordered

    async for number, raw in _lines(chunks):
        if not raw.strip():
            continue
        if raw == b"\x00too-long":
            parsed: ArticleInput | dict[str, object] = _problem(
                "payload-too-large", "Line too long", f"Lines are at most {MAX_LINE_BYTES} bytes."
            )
        else:
            parsed = parse_line(raw)
        if isinstance(parsed, dict):
            pending.append(IngestResult(line=number, status="error", error=parsed))
        else:
            pending.append((number, parsed))
        if len(pending) >= batch_lines:
            for result in await flush():
                counts[result.status] += 1
                yield result.model_dump(mode="json", exclude_none=True)
    for result in await flush():
        counts[result.status] += 1
        yield result.model_dump(mode="json", exclude_none=True)
    yield {"summary": counts, "lines": sum(counts.values())}
