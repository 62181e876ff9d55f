"""Where a related query's time goes: `related_for_text` on the articles benchmark's corpus and
pages, with each stage timed (a diagnostic, not part of `make bench`).

    python -m tests.benchmarks.related_stages [--size 100000] [--store PATH] [--rounds 4]

The store is built once with the benchmark's bulk load (about two minutes for 100k here) and
kept at PATH for later runs. Stages overlap: the copies statement runs on the database's
thread while the in-memory indexes answer on the event loop.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import text

import gloss.sqlite_async
from gloss.articles import related
from gloss.articles.repository import ArticleRepository
from gloss.db import create_engine, create_read_sessionmaker
from gloss.nlp import dense, ranking
from gloss.search import backend_for
from gloss.search.sqlite_index import attach, detach
from gloss.search.vector_index import live_vectors_for
from gloss.settings import Settings
from tests.benchmarks import bench_articles

_spent: dict[str, float] = {}


def _add(stage: str, seconds: float) -> None:
    _spent[stage] = _spent.get(stage, 0.0) + seconds


def _timed(stage: str, function: Callable[..., Any]) -> Callable[..., Any]:
    if asyncio.iscoroutinefunction(function):

        @functools.wraps(function)
        async def timed_async(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await function(*args, **kwargs)
            finally:
                _add(stage, time.perf_counter() - started)

        return timed_async

    @functools.wraps(function)
    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            _add(stage, time.perf_counter() - started)

    return timed


def _instrument() -> None:
    related._page_group_and_mentioning = _timed(
        "copies (and the articles naming the entities) statement, wall",
        related._page_group_and_mentioning,
    )
    related._early = _timed("in-memory answers (words, more-like-this, vectors)", related._early)
    ArticleRepository.cards_and_mentions = _timed(  # type: ignore[method-assign]
        "cards statement, wall", ArticleRepository.cards_and_mentions
    )
    related._indexed_vectors = _timed(
        "candidates' vectors from the index", related._indexed_vectors
    )
    related._facts_of = _timed(
        "candidates' facts from the index (team, date, duplicate link, mentions)",
        related._facts_of,
    )
    related._listing = _timed("ranking and listing", related._listing)
    related._shown = _timed("presenting", related._shown)
    page_of = ranking.PageText.of.__func__  # type: ignore[attr-defined]
    ranking.PageText.of = classmethod(  # type: ignore[method-assign,assignment]
        _timed("the page split into words", page_of)
    )
    for name in ("content_hash", "shingles", "candidates"):
        setattr(
            ranking.PageText,
            name,
            _timed(f"the page's {name.replace('_', ' ')}", getattr(ranking.PageText, name)),
        )
    run = gloss.sqlite_async._run

    def in_sqlite(connection: Any, opening: Any, operation: str, *rest: Any) -> Any:
        started = time.perf_counter()
        try:
            return run(connection, opening, operation, *rest)
        finally:
            # On the database's thread: the cards statement is the one reading openings.
            if "substr(" in operation:
                _add("cards statement, in SQLite", time.perf_counter() - started)

    gloss.sqlite_async._run = in_sqlite


async def _build(path: Path, size: int) -> None:
    engine, maker, team_id = await bench_articles._new_store(path)
    await bench_articles._bulk_load(maker, team_id, bench_articles.Corpus(), range(size))
    async with maker() as session, session.begin():
        await backend_for(session).rebuild(session)
    await engine.dispose()


def store(size: int, path: Path | None = None) -> Path:
    """The benchmark's store of `size` articles at `path` (by default one kept in the temp
    folder for the next run), built first if it is not there."""
    path = path or Path(tempfile.gettempdir()) / f"gloss-related-stages-{size}.sqlite3"
    if not path.exists():
        print(f"building {size:,} articles at {path}", flush=True)
        asyncio.run(_build(path, size))
    return path


@asynccontextmanager
async def opened(path: Path) -> AsyncIterator[tuple[Any, list[Any], uuid.UUID]]:
    """The store at `path` opened for reading as the server does (its in-memory indexes
    loaded): a read sessionmaker, the benchmark's 40 query pages, and the store's team."""
    engine = create_engine(Settings(database_url=f"sqlite+aiosqlite:///{path}", load_nlp=False))
    reader = create_read_sessionmaker(engine)
    live = attach(str(path))
    try:
        await asyncio.to_thread(live.wait)
        async with reader() as session:
            team_id = uuid.UUID(str(await session.scalar(text("SELECT id FROM teams"))))
            await live_vectors_for(session, dense.MODEL_NAME).current(session)
        yield reader, bench_articles._query_pages(40), team_id
    finally:
        detach(live)
        await engine.dispose()


async def measure(path: Path, rounds: int) -> dict[str, list[float]]:
    _instrument()
    samples: dict[str, list[float]] = {}
    async with opened(path) as (reader, pages, team_id):
        for round_ in range(rounds):  # the first warms SQLite's and the OS's caches
            for page in pages:
                async with reader() as session:
                    await session.execute(text("SELECT 1"))  # as the request's token check
                    _spent.clear()
                    started = time.perf_counter()
                    await bench_articles.ask_related(
                        related.related_for_text, session, team_id, page
                    )
                    _add("related_for_text", time.perf_counter() - started)
                if round_:
                    for stage, seconds in _spent.items():
                        samples.setdefault(stage, []).append(seconds)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--store", type=Path, default=None)
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    path = store(args.size, args.store)
    load = os.getloadavg()[0]
    samples = asyncio.run(measure(path, args.rounds))
    print(
        f"{args.size:,} stored articles, {len(samples['related_for_text'])} queries, load "
        f"{load:.1f} at the start and {os.getloadavg()[0]:.1f} at the end\n"
    )
    print("| stage | median |\n|---|---:|")
    for stage, values in sorted(samples.items(), key=lambda item: -statistics.median(item[1])):
        print(f"| {stage} | {statistics.median(values) * 1000:.2f} ms |")


if __name__ == "__main__":
    main()
