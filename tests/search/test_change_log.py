"""The article change log records every write that changes what an in-memory index keeps of an
article, whatever writes it (on PostgreSQL when GLOSS_TEST_DATABASE_URL is set, else SQLite):
here the ones only the related ranking's facts read (a date, a duplicate link, mentions
replaced without the article), and another replica catching up with them."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from sqlalchemy import delete, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from gloss.articles.repository import ArticleRepository
from gloss.db import create_engine, create_read_sessionmaker
from gloss.models import Article, ArticleMention
from gloss.nlp import dense
from gloss.nlp.ranking import MentionSummary
from gloss.search.vector_index import LiveVectors
from gloss.settings import Settings
from tests.conftest import AccountFactory
from tests.search.test_vector_index import _article_rows, _write

_A = Article.__table__.c
_NVIDIA = MentionSummary("entity", "nvidia", "ORG", "Nvidia", 2, 0.8)


async def _mentions_refreshed(session: AsyncSession, copy: uuid.UUID, _original: uuid.UUID) -> None:
    # As `refresh_mentions` does: the article itself is not written.
    article = await session.get(Article, copy)
    assert article is not None
    await ArticleRepository(session).replace_mentions(article, [_NVIDIA])


async def _mentions_dropped(session: AsyncSession, copy: uuid.UUID, _original: uuid.UUID) -> None:
    await session.execute(delete(ArticleMention).where(ArticleMention.article_id == copy))


async def _mention_rewritten(session: AsyncSession, copy: uuid.UUID, _original: uuid.UUID) -> None:
    await session.execute(
        update(ArticleMention).where(ArticleMention.article_id == copy).values(salience=0.3)
    )


async def _date_changed(session: AsyncSession, copy: uuid.UUID, _original: uuid.UUID) -> None:
    moment = datetime(2026, 3, 1, 12, tzinfo=UTC)
    await session.execute(update(Article).where(_A.id == copy).values(published_at=moment))


async def _linked(session: AsyncSession, copy: uuid.UUID, original: uuid.UUID) -> None:
    await session.execute(update(Article).where(_A.id == copy).values(duplicate_of_id=original))


async def _original_deleted(session: AsyncSession, _copy: uuid.UUID, original: uuid.UUID) -> None:
    # The copy's link is set to NULL by the foreign key, not by any statement of ours.
    await session.execute(delete(Article).where(_A.id == original))


_Change = Callable[[AsyncSession, uuid.UUID, uuid.UUID], Awaitable[None]]


async def _seq_of(engine: AsyncEngine, doc_id: int) -> int | None:
    async with engine.connect() as connection:
        value = await connection.scalar(
            text("SELECT seq FROM article_changes WHERE doc_id = :doc_id"), {"doc_id": doc_id}
        )
    return None if value is None else int(value)


async def _latest(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int(
            await connection.scalar(text("SELECT coalesce(max(seq), 0) FROM article_changes"))
        )


async def _two_articles(
    app: FastAPI, make_account: AccountFactory, *, linked: bool = False
) -> tuple[dict, dict]:
    """Two articles of Ann's team, the second with a mention (and, `linked`, a duplicate of
    the first)."""
    ann = await make_account("ann")
    assert ann.team is not None
    rows = _article_rows(ann.team.id, 2, seed=21)
    # Every row names the column (an executemany takes its columns from the first row).
    rows[0][0]["duplicate_of_id"] = None
    rows[0][1]["duplicate_of_id"] = rows[0][0]["id"] if linked else None
    async with app.state.engine.begin() as connection:
        await _write(connection, rows)
    async with app.state.sessionmaker() as session, session.begin():
        article = await session.get(Article, rows[0][1]["id"])
        assert article is not None
        await ArticleRepository(session).replace_mentions(
            article, [MentionSummary("entity", "amd", "ORG", "AMD", 1, 0.5)]
        )
    return rows[0][0], rows[0][1]


@pytest.mark.commits  # the change is read back by connections of their own
@pytest.mark.parametrize(
    "change",
    [
        _mentions_refreshed,
        _mentions_dropped,
        _mention_rewritten,
        _date_changed,
        _linked,
        _original_deleted,
    ],
)
async def test_a_write_the_related_facts_read_moves_the_article_in_the_log(
    app: FastAPI, make_account: AccountFactory, change: _Change
) -> None:
    original, copy = await _two_articles(app, make_account, linked=change is _original_deleted)
    engine = app.state.engine
    logged = await _seq_of(engine, copy["doc_id"])
    assert logged is not None
    latest = await _latest(engine)
    async with app.state.sessionmaker() as session, session.begin():
        await change(session, copy["id"], original["id"])
    moved = await _seq_of(engine, copy["doc_id"])
    assert moved is not None
    assert moved > latest


@pytest.mark.commits
async def test_a_write_no_index_reads_is_not_logged(
    app: FastAPI, make_account: AccountFactory
) -> None:
    # Tags are neither words, vectors nor facts: the log stays as it was.
    _, copy = await _two_articles(app, make_account)
    engine = app.state.engine
    latest = await _latest(engine)
    async with app.state.sessionmaker() as session, session.begin():
        await session.execute(update(Article).where(_A.id == copy["id"]).values(tags=["x"]))
    assert await _latest(engine) == latest


@pytest.mark.commits  # a second engine (a second replica) must see the first one's commits
async def test_another_replica_catches_up_with_a_mention_refresh(
    app: FastAPI, make_account: AccountFactory, settings: Settings
) -> None:
    """A replica's in-memory index (the vector index, on both databases) stands at the log's
    latest change after another replica refreshed an article's mentions, caught up rather
    than built again, the article kept."""
    _, copy = await _two_articles(app, make_account)
    other = create_engine(settings)
    try:
        replica_b = create_read_sessionmaker(other)
        live = LiveVectors(dense.MODEL_NAME)
        async with replica_b() as session:
            built = await live.current(session)
        assert built is not None
        assert len(built) == 2
        before = live.mark
        async with app.state.sessionmaker() as session, session.begin():
            await _mentions_refreshed(session, copy["id"], uuid.uuid4())
        latest = await _latest(app.state.engine)
        assert latest > before
        async with replica_b() as session:
            index = await live.current(session)
            stored = await session.scalar(
                select(ArticleMention.key).where(ArticleMention.article_id == copy["id"])
            )
        assert stored == "nvidia"
        assert index is built
        assert live.mark == latest
        assert len(index) == 2
    finally:
        await other.dispose()
