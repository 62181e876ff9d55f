"""Article search: one interface, a backend per database (SQLite FTS5 or PostgreSQL FTS)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

# Document frequencies are counted up to this many articles: a word in more is common whatever
# the exact count, and counting its every posting would cost more than the related query.
DF_CAP = 500


@dataclass(frozen=True, slots=True)
class Hit:
    """An article the index found, with its relevance (higher is better)."""

    article_id: uuid.UUID
    score: float


@dataclass(frozen=True, slots=True)
class Probe:
    """One number a backend wants read in the same round trip as a statement its caller runs
    anyway (`sql`, a scalar query), and what it does with the value (`keep`)."""

    sql: str
    keep: Callable[[int], None]


class SearchBackend(Protocol):
    name: str

    def probe(self, session: AsyncSession) -> Probe | None:
        """What this backend wants read beside the related query's first statement (the
        SQLite backend: the change sequence its in-memory index checks freshness against)."""
        ...

    async def document_frequencies(
        self, session: AsyncSession, team_ids: Sequence[uuid.UUID], terms: Sequence[str]
    ) -> tuple[int, dict[str, int]]:
        """(number of articles, articles containing each term, counted up to DF_CAP): the
        statistics of idf. Terms no article contains are left out."""
        ...

    async def search(
        self,
        session: AsyncSession,
        team_ids: Sequence[uuid.UUID],
        terms: Sequence[Sequence[str]],
        limit: int,
        offset: int = 0,
    ) -> list[Hit]:
        """Articles containing, for every group of `terms`, one of its words (a word and its
        plural); title matches weighted above body matches."""
        ...

    async def more_like_this(
        self,
        session: AsyncSession,
        team_ids: Sequence[uuid.UUID],
        groups: Sequence[tuple[Sequence[str], float]],
        limit: int,
    ) -> list[Hit]:
        """Articles containing any word of the weighted groups (a word and its plural, weighted
        by its importance in the page), the most matched weight first."""
        ...

    async def rebuild(self, session: AsyncSession) -> None:
        """Rebuild the index from the stored articles."""
        ...


def backend_for_dialect(dialect: str) -> SearchBackend:
    """The backend for a database, by its SQLAlchemy dialect name (from the database URL)."""
    if dialect == "sqlite":
        from gloss.search.sqlite_fts5 import SqliteFts5Backend

        return SqliteFts5Backend()
    if dialect == "postgresql":
        from gloss.search.postgres import PostgresBackend

        return PostgresBackend()
    raise ValueError(f"No article search backend for the {dialect!r} database.")


def backend_for(session: AsyncSession) -> SearchBackend:
    return backend_for_dialect(session.get_bind().dialect.name)
