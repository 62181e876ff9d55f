"""Both search backends give the same answers for the same articles (ties aside)."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gloss.app import create_app
from gloss.articles.ingest import ArticleInput, ingest_batch
from gloss.articles.related import related_for_text
from gloss.articles.repository import ArticleRepository
from gloss.models import Team
from gloss.search import backend_for, backend_for_dialect
from gloss.settings import Settings
from tests.articles.conftest import CHIPS_1, CHIPS_2, CHIPS_3, CORPUS, RATES_1, RATES_2

QUERIES = [
    [["semiconductor"]],
    [["interest"], ["rates"]],
    [["wafer"]],
    [["wafer", "wafers"]],
    [["kenya"]],
    [["nothing"]],
]


def _input(body: dict[str, Any]) -> ArticleInput:
    return ArticleInput(
        url=body["url"], title=body["title"], text=body["text"], tags=body.get("tags", [])
    )


async def _answers(maker: async_sessionmaker[AsyncSession], nlp: Any) -> dict[str, Any]:
    """Search and more-like-this answers over CORPUS, by URL, in one fresh team; the articles
    are stored with the NLP runtime (`nlp`), so with their entities and sentence vectors."""
    async with maker() as session, session.begin():
        team = Team(name=f"t-{uuid.uuid4().hex[:8]}")
        session.add(team)
        await session.flush()
        stored = await ingest_batch(session, team.id, [_input(b) for b in CORPUS], nlp)
    urls = {o.article.id: o.article.url for o in stored}
    answers: dict[str, Any] = {}
    async with maker() as session:
        backend = backend_for(session)
        for terms in QUERIES:
            hits = await backend.search(session, [team.id], terms, 10)
            answers["+".join("|".join(group) for group in terms)] = [
                urls[h.article_id] for h in hits
            ]
        mlt = await backend.more_like_this(
            session,
            [team.id],
            [
                (["accelerator", "accelerators"], 2.0),
                (["wafer", "wafers"], 1.0),
                (["inflation"], 1.0),
            ],
            10,
        )
        answers["mlt"] = [urls[h.article_id] for h in mlt]
        total, df = await backend.document_frequencies(
            session, [team.id], ["semiconductor", "inflation", "absent"]
        )
        answers["df"] = (total, df)
        related = await related_for_text(session, [team.id], CHIPS_1["text"], None, [], 10)
        answers["related"] = [r.url for r in related]
        repo = ArticleRepository(session)
        answers["vectors"] = {
            url: await repo.vector(article_id, nlp.dense_model) for article_id, url in urls.items()
        }
        vector = await nlp.page_vector(CHIPS_1["title"], CHIPS_1["text"])
        dense_related = await related_for_text(
            session, [team.id], CHIPS_1["text"], None, [], 10, title=CHIPS_1["title"],
            weights=nlp.related_weights, vector=vector,
        )  # fmt: skip
        answers["related with vectors"] = [r.url for r in dense_related]
    return answers


def _check(answers: dict[str, Any]) -> None:
    """The answers every backend must give (order only where scores differ clearly)."""
    chips = {CHIPS_1["url"], CHIPS_2["url"], CHIPS_3["url"]}
    assert set(answers["semiconductor"]) == chips
    assert set(answers["interest+rates"]) == {RATES_1["url"], RATES_2["url"]}
    assert answers["wafer"] == [CHIPS_3["url"]]  # words as written: no stemming in the index
    assert answers["wafer|wafers"][0] == CHIPS_3["url"]  # in its title
    assert set(answers["wafer|wafers"]) == chips
    assert answers["kenya"] == ["https://news.example/climate/kenya-drought"]
    assert answers["nothing"] == []
    assert set(answers["mlt"]) == chips | {RATES_1["url"], RATES_2["url"]}
    assert answers["df"] == (6, {"semiconductor": 3, "inflation": 2})
    assert set(answers["related"][:2]) == {CHIPS_2["url"], CHIPS_3["url"]}
    assert CHIPS_1["url"] not in answers["related"]
    assert set(answers["related with vectors"][:2]) == {CHIPS_2["url"], CHIPS_3["url"]}
    assert all(len(v) == 768 for v in answers["vectors"].values()), "float16 x 384 per article"


async def test_the_configured_backend_gives_the_expected_answers(
    app: FastAPI, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    _check(await _answers(sessionmaker, app.state.nlp))


@pytest.fixture
async def sqlite_maker(tmp_path: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'peer.sqlite3'}"
    app = create_app(Settings(database_url=url, migrate_on_start=True, load_nlp=False))
    async with app.router.lifespan_context(app):
        yield app.state.sessionmaker


@pytest.mark.skipif(
    not os.environ.get("GLOSS_TEST_DATABASE_URL"), reason="needs PostgreSQL to compare with"
)
async def test_sqlite_and_postgresql_agree(
    app: FastAPI,
    sessionmaker: async_sessionmaker[AsyncSession],
    sqlite_maker: async_sessionmaker[AsyncSession],
) -> None:
    on_postgres = await _answers(sessionmaker, app.state.nlp)
    on_sqlite = await _answers(sqlite_maker, app.state.nlp)
    for key in on_postgres:
        if key in ("df", "vectors"):  # the same bytes back from bytea and from a BLOB
            assert on_postgres[key] == on_sqlite[key]
        else:
            # The ranking functions differ (BM25 against ts_rank), so articles that match
            # equally well (one body mention each) may swap; the orders that matter are pinned
            # for both backends by _check.
            assert set(on_postgres[key]) == set(on_sqlite[key]), key
    _check(on_postgres)
    _check(on_sqlite)


def test_the_backend_follows_the_database_url() -> None:
    assert backend_for_dialect("sqlite").name == "sqlite-fts5"
    assert backend_for_dialect("postgresql").name == "postgresql-fts"
    with pytest.raises(ValueError, match="mysql"):
        backend_for_dialect("mysql")
