"""Online backup and restore of the SQLite database (PostgreSQL has pg_dump/pg_restore)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.engine import make_url

from gloss.errors import BadRequest

Progress = Callable[[int, int], None]


def sqlite_path(database_url: str) -> Path:
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise BadRequest(
            "gloss backup/restore work on the SQLite file; for PostgreSQL use pg_dump and "
            "pg_restore (see docs/operations.md)."
        )
    return Path(url.database)


def _copy(
    source: sqlite3.Connection, target: sqlite3.Connection, progress: Progress | None
) -> None:
    def report(_status: int, remaining: int, total: int) -> None:
        if progress is not None:
            progress(total - remaining, total)

    # The online backup API copies a consistent snapshot while the server keeps serving.
    source.backup(target, pages=256, progress=report)


def backup(database_url: str, destination: Path, progress: Progress | None = None) -> Path:
    source_path = sqlite_path(database_url)
    if not source_path.exists():
        raise BadRequest(f"There is no database at {source_path}.")
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".partial")
    partial.unlink(missing_ok=True)
    with sqlite3.connect(source_path) as source, sqlite3.connect(partial) as target:
        _copy(source, target, progress)
    _verify(partial)
    partial.replace(destination)  # the backup appears whole or not at all
    return destination


def restore(database_url: str, source: Path, progress: Progress | None = None) -> Path:
    target_path = sqlite_path(database_url)
    if not source.exists():
        raise BadRequest(f"There is no backup at {source}.")
    _verify(source)
    target_path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(source) as src, sqlite3.connect(target_path) as target:
        _copy(src, target, progress)
    return target_path


def _verify(path: Path) -> None:
    with sqlite3.connect(path) as db:
        try:
            (result,) = db.execute("PRAGMA integrity_check").fetchone()
            has_schema = db.execute(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name='alembic_version'"
            ).fetchone()
        except sqlite3.DatabaseError as exc:
            raise BadRequest(f"{path} is not a SQLite database: {exc}") from exc
    if result != "ok":
        raise BadRequest(f"{path} failed the integrity check: {result}")
    if not has_schema:
        raise BadRequest(f"{path} is not a Gloss database (no migration history).")
