"""The in-memory related index of a SQLite database: the same answers as FTS5, teams kept
apart, and fresh after writes made through another engine or process."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import threading
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from gloss import sqlite_async
from gloss.app import create_app
from gloss.articles import related
from gloss.articles.ingest import ArticleInput, ingest_batch
from gloss.articles.related import related_for_text
from gloss.articles.repository import ArticleRepository
from gloss.db import create_engine, create_read_sessionmaker, create_sessionmaker
from gloss.models import Article, ArticleMention, Team
from gloss.nlp.ranking import MentionSummary
from gloss.search import DF_CAP, backend_for, sqlite_fts5, sqlite_index
from gloss.search.article_facts import Facts
from gloss.search.sqlite_index import LiveIndex, live_index_for
from gloss.settings import Settings
from tests.articles.conftest import CHIPS_1, CHIPS_2, CHIPS_3, CORPUS, DROUGHT, RATES_1

GROUPS: list[tuple[list[str], float]] = [
    (["accelerator", "accelerators"], 2.0),
    (["wafer", "wafers"], 1.0),
    (["inflation"], 0.5),
    (["chip", "chips"], 1.5),
]
TERMS = ["semiconductor", "inflation", "wafer", "wafers", "chips", "absent", "the"]


def _input(body: dict[str, Any], **changes: str) -> ArticleInput:
    body = {**body, **changes}
    return ArticleInput(url=body["url"], title=body["title"], text=body["text"])


@dataclass
class Store:
    """The app's sessions (with the index), and another engine on the same file: what another
    process would see and write."""

    maker: async_sessionmaker[AsyncSession]
    other: async_sessionmaker[AsyncSession]
    other_engine: AsyncEngine
    path: Path
    team_a: uuid.UUID
    team_b: uuid.UUID

    async def live(self) -> LiveIndex:
        async with self.maker() as session:
            live = live_index_for(session)
        assert live is not None
        await asyncio.to_thread(live.wait, 30)
        return live


async def _teams(maker: async_sessionmaker[AsyncSession]) -> tuple[uuid.UUID, uuid.UUID]:
    async with maker() as session, session.begin():
        a, b = Team(name="a"), Team(name="b")
        session.add_all([a, b])
        await session.flush()
        return a.id, b.id


@asynccontextmanager
async def _app_with_corpus(
    path: Path,
) -> AsyncIterator[tuple[async_sessionmaker[AsyncSession], uuid.UUID, uuid.UUID]]:
    """A served app on a SQLite file whose team a holds the test corpus."""
    url = f"sqlite+aiosqlite:///{path}"
    app = create_app(Settings(database_url=url, migrate_on_start=True, load_nlp=False))
    async with app.router.lifespan_context(app):
        maker = app.state.sessionmaker
        team_a, team_b = await _teams(maker)
        async with maker() as session, session.begin():
            await ingest_batch(session, team_a, [_input(b) for b in CORPUS])
        yield maker, team_a, team_b


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    path = tmp_path / "gloss.sqlite3"
    async with _app_with_corpus(path) as (maker, team_a, team_b):
        async with maker() as session, session.begin():
            # Team b has its own copy of a chips story under another URL.
            await ingest_batch(session, team_b, [_input(CHIPS_2, url="https://b.example/chips")])
        other_engine = create_engine(
            Settings(database_url=f"sqlite+aiosqlite:///{path}", load_nlp=False)
        )
        yield Store(maker, create_sessionmaker(other_engine), other_engine, path, team_a, team_b)
        await other_engine.dispose()


async def _answers(maker: async_sessionmaker[AsyncSession], team: uuid.UUID) -> dict[str, Any]:
    async with maker() as session:
        backend = backend_for(session)
        df = await backend.document_frequencies(session, [team], TERMS)
        hits = await backend.more_like_this(session, [team], GROUPS, 10)
        related = await related_for_text(session, [team], CHIPS_1["text"], None, [], 10)
    return {
        "df": df,
        "mlt": [(h.article_id, h.score) for h in hits],
        "related": [(r.url, r.score) for r in related],
    }


async def _mlt_urls(
    maker: async_sessionmaker[AsyncSession], team: uuid.UUID, groups: Any = GROUPS
) -> set[str]:
    async with maker() as session:
        hits = await backend_for(session).more_like_this(session, [team], groups, 500)
        rows = await session.execute(
            select(Article.url).where(Article.id.in_([h.article_id for h in hits]))
        )
        return set(rows.scalars())


async def test_the_index_gives_the_answers_of_fts5(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    live = await store.live()
    assert live.ready
    before = live.answered
    with_index = {team: await _answers(store.maker, team) for team in (store.team_a, store.team_b)}
    assert live.answered >= before + 6  # df and more-like-this, twice per team
    monkeypatch.setattr(sqlite_fts5, "live_index_for", lambda _session: None)
    with_fts5 = {team: await _answers(store.maker, team) for team in (store.team_a, store.team_b)}
    assert with_index == with_fts5
    assert with_index[store.team_a]["df"] == (
        7,  # every team's articles: idf is store-wide
        {"semiconductor": 4, "inflation": 2, "wafer": 1, "wafers": 3, "chips": 2, "the": 6},
    )


async def test_teams_are_kept_apart(store: Store) -> None:
    await store.live()
    assert await _mlt_urls(store.maker, store.team_b) == {"https://b.example/chips"}
    urls_a = await _mlt_urls(store.maker, store.team_a)
    assert "https://b.example/chips" not in urls_a
    assert {CHIPS_1["url"], CHIPS_2["url"], CHIPS_3["url"]} <= urls_a
    async with store.maker() as session:
        unknown = await backend_for(session).more_like_this(session, [uuid.uuid4()], GROUPS, 10)
    assert unknown == []


async def test_writes_through_another_engine_are_seen(store: Store) -> None:
    live = await store.live()
    kenya = [(["kenya"], 1.0)]
    new = _input(DROUGHT, url="https://other.example/kenya", title="Kenya rains return")
    async with store.other() as session, session.begin():
        await ingest_batch(session, store.team_a, [new])
    answered = live.answered
    assert await _mlt_urls(store.maker, store.team_a, kenya) == {DROUGHT["url"], new.url}
    assert live.answered == answered + 1  # caught up inline, answered from memory

    # An update must not keep the old words' postings.
    async with store.other() as session, session.begin():
        await ingest_batch(
            session,
            store.team_a,
            [_input(DROUGHT, title="Harvests", text="Wheat harvests in Ukraine beat forecasts.")],
        )
    assert await _mlt_urls(store.maker, store.team_a, kenya) == {new.url}
    assert await _mlt_urls(store.maker, store.team_a, [(["ukraine"], 1.0)]) == {DROUGHT["url"]}

    async with store.other() as session, session.begin():
        await session.execute(delete(Article).where(Article.url == new.url))
    assert await _mlt_urls(store.maker, store.team_a, kenya) == set()
    async with store.maker() as session:
        total, df = await backend_for(session).document_frequencies(
            session, [store.team_a], ["kenya", "ukraine"]
        )
    assert (total, df) == (7, {"ukraine": 1})
    assert live.declined == 0


async def test_another_process_writing_plain_sql_is_seen(store: Store) -> None:
    live = await store.live()
    script = (
        "import sqlite3, sys\n"
        "c = sqlite3.connect(sys.argv[1])\n"
        "c.execute(\"DELETE FROM articles WHERE url LIKE '%chips%'\")\n"
        "c.commit()\n"
    )
    await asyncio.to_thread(
        subprocess.run, [sys.executable, "-c", script, str(store.path)], check=True
    )
    assert await _mlt_urls(store.maker, store.team_a, [(["chips", "chip"], 1.0)]) == set()
    assert live.stats() is not None


async def test_a_sessions_own_uncommitted_writes_use_the_sql_path(store: Store) -> None:
    live = await store.live()
    kenya = [(["kenya"], 1.0)]
    new = _input(DROUGHT, url="https://news.example/kenya-2", title="Kenya again")
    async with store.maker() as session, session.begin():
        await ingest_batch(session, store.team_a, [new])
        declined = live.declined
        hits = await backend_for(session).more_like_this(session, [store.team_a], kenya, 10)
        assert len(hits) == 2  # its own article, found by FTS5
        assert live.declined == declined + 1
        await session.rollback()
    assert await _mlt_urls(store.maker, store.team_a, kenya) == {DROUGHT["url"]}


async def test_many_changes_are_applied_in_the_background(store: Store) -> None:
    live = await store.live()
    count = sqlite_index.INLINE_CATCH_UP + 20
    items = [
        _input(DROUGHT, url=f"https://bulk.example/{i}", text=f"Kenya report {i} rains")
        for i in range(count)
    ]
    async with store.other() as session, session.begin():
        await ingest_batch(session, store.team_a, items)
    # Whichever path answers (FTS5 while the thread catches up), the answer is complete.
    assert len(await _mlt_urls(store.maker, store.team_a, [(["kenya"], 1.0)])) == count + 1
    await asyncio.to_thread(live.wait, 30)
    answered = live.answered
    assert len(await _mlt_urls(store.maker, store.team_a, [(["kenya"], 1.0)])) == count + 1
    assert live.answered == answered + 1


async def test_fts5_answers_until_the_index_is_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()
    build = sqlite_index._build

    def slow_build(connection: sqlite3.Connection) -> Any:
        release.wait(30)
        return build(connection)

    monkeypatch.setattr(sqlite_index, "_build", slow_build)
    url = f"sqlite+aiosqlite:///{tmp_path / 'slow.sqlite3'}"
    app = create_app(Settings(database_url=url, migrate_on_start=True, load_nlp=False))
    async with app.router.lifespan_context(app):  # starts without waiting for the index
        maker = app.state.sessionmaker
        team_a, _ = await _teams(maker)
        async with maker() as session, session.begin():
            await ingest_batch(session, team_a, [_input(b) for b in CORPUS])
        async with maker() as session:
            live = live_index_for(session)
        assert live is not None
        assert not live.ready
        fts5 = await _answers(maker, team_a)
        release.set()
        await asyncio.to_thread(live.wait, 30)
        assert live.ready
        assert await _answers(maker, team_a) == fts5
        assert live.answered >= 2


async def test_the_setting_turns_the_index_off(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'off.sqlite3'}"
    settings = Settings(
        database_url=url, migrate_on_start=True, load_nlp=False, related_index=False
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        async with app.state.sessionmaker() as session:
            assert live_index_for(session) is None
            total, _ = await backend_for(session).document_frequencies(session, [], ["x"])
    assert total == 0
    assert DF_CAP > 0


async def test_a_failed_build_leaves_fts5_answering(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(_connection: sqlite3.Connection) -> Any:
        raise sqlite3.OperationalError("no such table: article_changes")

    monkeypatch.setattr(sqlite_index, "_build", broken)
    async with _app_with_corpus(tmp_path / "broken.sqlite3") as (maker, team_a, _):
        async with maker() as session:
            live = live_index_for(session)
        assert live is not None
        await asyncio.to_thread(live.wait, 30)
        assert not live.ready
        assert live.failed is not None
        assert "article_changes" in live.failed
        answers = await _answers(maker, team_a)
        assert CHIPS_2["url"] in [url for url, _ in answers["related"]]


async def test_a_related_query_reads_the_change_log_with_the_pages_copies(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The freshness check costs no statement of its own: the page's copies bring it along.
    live = await store.live()
    reader = create_read_sessionmaker(store.other_engine)
    statements: list[str] = []
    run = sqlite_async._run

    def record(connection: Any, opening: Any, statement: str, *rest: Any) -> Any:
        # On the database's thread, every statement's one stop (through SQLAlchemy or not).
        statements.append(statement)
        return run(connection, opening, statement, *rest)

    monkeypatch.setattr(sqlite_async, "_run", record)
    answered = live.answered
    async with reader() as session:
        related = await related_for_text(
            session, [store.team_a], CHIPS_1["text"], "https://elsewhere.example/", [], 5
        )
    assert related
    assert live.answered == answered + 2  # document frequencies and more-like-this
    reading_the_log = [s for s in statements if "article_changes" in s]
    assert len(reading_the_log) == 1
    assert "FROM articles" in reading_the_log[0]


async def _caught_up(store: Store) -> LiveIndex:
    """The app's index after a query has caught it up with what its session sees."""
    live = await store.live()
    async with store.maker() as session:
        seq = await sqlite_index.change_seq(session)
        assert live.document_frequencies(seq, ["chips"], DF_CAP) is not None
    return live


async def _stored_facts(store: Store) -> dict[uuid.UUID, Facts]:
    """Every article's facts as the database has them, with all its entity mentions."""
    async with store.other() as session:
        articles = (
            await session.execute(
                select(
                    Article.id,
                    Article.doc_id,
                    Article.team_id,
                    Article.published_at,
                    Article.duplicate_of_id,
                )
            )
        ).all()
        mentions = (
            await session.execute(
                select(
                    ArticleMention.article_id,
                    ArticleMention.key,
                    ArticleMention.salience,
                    ArticleMention.text,
                ).where(ArticleMention.kind == "entity")
            )
        ).all()
    named: dict[uuid.UUID, dict[str, tuple[float, str]]] = {}
    for article_id, key, salience, written in mentions:
        named.setdefault(article_id, {})[key] = (salience, written)
    return {
        row[0]: Facts(row[0], row[1], row[2], row[3], row[4], named.get(row[0], {}))
        for row in articles
    }


async def _kept_facts(live: LiveIndex, stored: dict[uuid.UUID, Facts]) -> dict[uuid.UUID, Facts]:
    keys = sorted({key for facts in stored.values() for key in facts.mentions} | {"absent"})
    peeked = live.peek_facts(lambda facts: facts.of([*stored, uuid.uuid4()], keys))
    assert peeked is not None
    return {facts.id: facts for facts in peeked[1]}


async def test_the_indexs_facts_are_the_databases_after_writes_of_another_process(
    store: Store,
) -> None:
    """Team, date, duplicate link and entity mentions of every article, as stored, after
    another engine changed each of them alone (the change log's triggers on those)."""
    live = await _caught_up(store)
    async with store.other() as session:
        ids = {
            url: article_id
            for url, article_id in (await session.execute(select(Article.url, Article.id))).all()
        }
    chips_1, chips_2, rates = ids[CHIPS_1["url"]], ids[CHIPS_2["url"]], ids[RATES_1["url"]]
    stored = await _stored_facts(store)
    assert await _kept_facts(live, stored) == stored
    async with store.other() as session, session.begin():
        await session.execute(
            update(Article)
            .where(Article.id == chips_1)
            .values(published_at=datetime(2026, 2, 3, 4, 5, 6, 789, tzinfo=UTC))
        )
    async with store.other() as session, session.begin():
        await session.execute(
            update(Article).where(Article.id == chips_2).values(duplicate_of_id=rates)
        )
    async with store.other() as session, session.begin():
        article = await session.get(Article, chips_1)
        assert article is not None
        await ArticleRepository(session).replace_mentions(
            article,
            [
                MentionSummary("entity", "nvidia", "ORG", "Nvidia", 3, 0.9),
                MentionSummary("entity", "tsmc", "ORG", "TSMC", 1, 0.2),
                MentionSummary("term", "chips", None, "chips", 2, 0.5),
            ],
        )
    live = await _caught_up(store)
    stored = await _stored_facts(store)
    kept = await _kept_facts(live, stored)
    assert kept == stored
    assert kept[chips_1].mentions == {"nvidia": (0.9, "Nvidia"), "tsmc": (0.2, "TSMC")}
    assert kept[chips_2].duplicate_of_id == rates
    # The original deleted: its copy's link set to NULL by the foreign key, the original gone.
    async with store.other() as session, session.begin():
        await session.execute(delete(Article).where(Article.id == rates))
    live = await _caught_up(store)
    stored = await _stored_facts(store)
    kept = await _kept_facts(live, stored)
    assert kept == stored
    assert rates not in kept
    assert kept[chips_2].duplicate_of_id is None
    # Built afresh from the file (as at a server's start), the same.
    built = LiveIndex(str(store.path))
    built.start()
    await asyncio.to_thread(built.wait, 30)
    try:
        assert await _kept_facts(built, stored) == stored
    finally:
        built.close()


async def test_related_answers_from_the_facts_are_the_sql_paths(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A related query ranks by the in-memory facts where they stand at its snapshot, and
    reads the cards of the articles shown only: the answers (scores, reasons, duplicate
    counts) are those of reading every candidate's card and mentions in SQL."""
    async with store.other() as session, session.begin():
        rows = (await session.execute(select(Article).where(Article.team_id == store.team_a))).all()
        repo = ArticleRepository(session)
        for number, (article,) in enumerate(rows):
            await repo.replace_mentions(
                article,
                [
                    MentionSummary("entity", "nvidia", "ORG", f"Nvidia {number}", 1, 0.1 * number),
                    MentionSummary("entity", f"only-{number}", "ORG", "Only", 1, 0.5),
                ],
            )
        await session.execute(
            update(Article)
            .where(Article.url == CHIPS_3["url"])
            .values(published_at=datetime(2026, 1, 1, tzinfo=UTC))
        )
    await _caught_up(store)
    reader = create_read_sessionmaker(store.other_engine)
    used: list[bool] = []
    facts_of = related._facts_of

    async def spy(*args: Any) -> Any:
        found = await facts_of(*args)
        used.append(found is not None)
        return found

    async def answers() -> list[tuple[str, float, str, int]]:
        async with reader() as session:
            found = await related_for_text(
                session,
                [store.team_a],
                # Not its stored text (that would be a copy the page's statement finds): a
                # copy of it the text check finds among the candidates.
                CHIPS_1["text"] + " Shares fell.",
                "https://elsewhere.example/",
                ["nvidia", "only-2", "only-4"],
                3,
                title=CHIPS_1["title"],
            )
        return [(r.url, r.score, r.reason, r.duplicates) for r in found]

    monkeypatch.setattr(related, "_facts_of", spy)
    from_facts = await answers()
    assert used == [True]
    monkeypatch.setattr(related, "_facts_of", _none)
    from_sql = await answers()
    assert from_facts == from_sql
    assert any("shares Nvidia" in reason for _, _, reason, _ in from_facts)


async def _none(*_args: Any) -> None:
    return None
