"""The in-memory vector index: exact answers in a team, removal and replacement, the IVF
index's agreement with the exact scan, and two replicas catching up from the change log (on
PostgreSQL when GLOSS_TEST_DATABASE_URL is set, else two engines on one SQLite file)."""

from __future__ import annotations

import uuid

import httpx
import numpy as np
import pytest
from fastapi import FastAPI
from sqlalchemy import delete, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from gloss.db import create_engine, create_sessionmaker
from gloss.models import Article, ArticleVector
from gloss.models.article import new_doc_id
from gloss.nlp import dense
from gloss.search import vector_index
from gloss.search.vector_index import LiveVectors, VectorIndex
from gloss.settings import Settings
from tests.articles.conftest import CHIPS_1, CHIPS_2, RATES_1
from tests.articles.test_related import _store
from tests.conftest import AccountFactory

TEAM_A, TEAM_B = uuid.uuid4(), uuid.uuid4()


def _unit(values: np.ndarray) -> np.ndarray:
    return (values / np.linalg.norm(values, axis=-1, keepdims=True)).astype(np.float32)


def _clustered(count: int, dimensions: int = 32, seed: int = 7) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((max(4, count // 50), dimensions))
    points = centres[rng.integers(0, len(centres), count)]
    return _unit(points + 0.3 * rng.standard_normal((count, dimensions)))


def test_vectors_are_copies_of_the_keys_it_has_kept_whatever_is_written_later() -> None:
    index = VectorIndex(dimensions=3)
    first, second = _unit(np.array([1.0, 0.0, 0.0])), _unit(np.array([0.0, 1.0, 0.0]))
    index.add(1, uuid.uuid4(), TEAM_A, first)
    index.add(2, uuid.uuid4(), TEAM_A, second)
    taken = index.vectors([2, 9, 1])
    assert sorted(taken) == [1, 2]
    np.testing.assert_array_equal(taken[1], first)
    np.testing.assert_array_equal(taken[2], second)
    index.add(1, uuid.uuid4(), TEAM_A, second)  # replaced, then the dead compacted out
    index.remove(2)
    index.refresh()
    np.testing.assert_array_equal(taken[1], first)
    assert index.vectors([]) == {}
    assert index.vectors([2]) == {}


def test_the_exact_scan_answers_within_the_teams_best_first() -> None:
    index = VectorIndex(dimensions=3)
    ids = [uuid.uuid4() for _ in range(4)]
    index.add(1, ids[0], TEAM_A, _unit(np.array([1.0, 0.0, 0.0])))
    index.add(2, ids[1], TEAM_A, _unit(np.array([1.0, 1.0, 0.0])))
    index.add(3, ids[2], TEAM_B, _unit(np.array([1.0, 0.1, 0.0])))
    index.add(4, ids[3], TEAM_A, _unit(np.array([0.0, 0.0, 1.0])))
    query = _unit(np.array([1.0, 0.0, 0.0]))
    found = index.search(query, [TEAM_A], 2)
    assert [i for i, _ in found] == [ids[0], ids[1]]
    assert found[0][1] == pytest.approx(1.0)
    assert [i for i, _ in index.search(query, [TEAM_B], 5)] == [ids[2]]
    assert [i for i, _ in index.search(query, [TEAM_A, TEAM_B], 2)] == [ids[0], ids[2]]
    assert index.search(query, [uuid.uuid4()], 5) == []
    # A removed article is gone; one added again under its key replaces the old vector.
    assert index.remove(1)
    assert not index.remove(1)
    index.add(2, ids[1], TEAM_A, _unit(np.array([0.0, 1.0, 0.0])))
    found = index.search(_unit(np.array([0.0, 1.0, 0.0])), [TEAM_A], 1)
    assert found[0][0] == ids[1]
    assert found[0][1] == pytest.approx(1.0)
    assert len(index) == 3


def test_the_ivf_index_agrees_with_the_exact_scan() -> None:
    vectors = _clustered(3000)
    index = VectorIndex(dimensions=32, ann_min=1000)
    ids = [uuid.uuid4() for _ in range(len(vectors))]
    teams = [TEAM_A if i % 4 else TEAM_B for i in range(len(vectors))]
    index.add_many(list(range(len(vectors))), ids, teams, vectors)
    index.refresh()
    assert index.approximate
    queries = _unit(vectors[:50] + 0.05 * np.random.default_rng(1).standard_normal((50, 32)))
    recall = []
    for query in queries:
        exact = {i for i, _ in index.search(query, [TEAM_A], 10, exact=True)}
        approximate = [i for i, _ in index.search(query, [TEAM_A], 10)]
        assert len(approximate) == 10
        recall.append(len(exact & set(approximate)) / 10)
    assert np.mean(recall) >= 0.95
    # Writes after the build reach the IVF index too, and removals are never answered.
    new = uuid.uuid4()
    index.add(10_000, new, TEAM_A, queries[0])
    assert index.search(queries[0], [TEAM_A], 1)[0][0] == new
    index.remove(10_000)
    assert new not in {i for i, _ in index.search(queries[0], [TEAM_A], 10)}
    # A team too small to fill an answer from the IVF's candidates gets the exact scan.
    lonely = uuid.uuid4()
    index.add(20_000, lonely, TEAM_C := uuid.uuid4(), _unit(-vectors[5]))
    assert [i for i, _ in index.search(vectors[5], [TEAM_C], 3)] == [lonely]


def test_compaction_keeps_every_live_vector() -> None:
    vectors = _clustered(3000)
    index = VectorIndex(dimensions=32)
    ids = [uuid.uuid4() for _ in range(len(vectors))]
    index.add_many(list(range(3000)), ids, [TEAM_A] * 3000, vectors)
    for key in range(0, 3000, 2):
        index.remove(key)
    index.refresh()
    assert len(index) == 1500
    assert index.stats().articles == 1500
    assert index.search(vectors[7], [TEAM_A], 1)[0][0] == ids[7]
    assert index.search(vectors[8], [TEAM_A], 1)[0][0] != ids[8]


async def _stored(
    app: FastAPI, make_account: AccountFactory, count: int, seed: int
) -> tuple[uuid.UUID, LiveVectors]:
    """Ann's team with `count` articles written straight to the tables, and a live index of
    them, not yet built."""
    ann = await make_account("ann")
    assert ann.team is not None
    async with app.state.engine.begin() as connection:
        await _write(connection, _article_rows(ann.team.id, count, seed=seed))
    return ann.team.id, LiveVectors(dense.MODEL_NAME)


async def _count(live: LiveVectors, maker: object) -> int:
    async with maker() as session:  # type: ignore[operator]
        return len(await live.current(session))


@pytest.mark.commits  # a second engine (a second replica) must see the first one's commits
async def test_two_replicas_catch_up_from_the_change_log(
    app: FastAPI,
    client: httpx.AsyncClient,
    make_account: AccountFactory,
    settings: Settings,
) -> None:
    if app.state.nlp is None or app.state.nlp.dense_model is None:
        pytest.skip("the sentence encoder's wheel is not installed")
    ann = await make_account("ann")
    assert ann.team is not None
    replica_a = app.state.read_sessionmaker
    other = create_engine(settings)
    replica_b = create_sessionmaker(other)
    try:
        live_a, live_b = LiveVectors(dense.MODEL_NAME), LiveVectors(dense.MODEL_NAME)
        ids = await _store(client, ann, [CHIPS_1, RATES_1])
        assert await _count(live_a, replica_a) == 2
        assert await _count(live_b, replica_b) == 2
        built = live_b.index

        # Replica A takes a new article, a changed text and a delete.
        ids |= await _store(client, ann, [CHIPS_2])
        changed = {**CHIPS_1, "text": RATES_1["text"] + " Rates again."}
        assert (await client.post("/v1/articles", json=changed, headers=ann.headers)).is_success
        deleted = await client.delete(f"/v1/articles/{ids[RATES_1['url']]}", headers=ann.headers)
        assert deleted.is_success

        async with replica_b() as session:
            index = await live_b.current(session)
            assert index is built  # caught up, not rebuilt
            vector = await session.scalar(
                select(ArticleVector.vector).where(
                    ArticleVector.article_id == uuid.UUID(ids[CHIPS_2["url"]])
                )
            )
        values = dense.from_blob(vector)
        assert values is not None
        found = index.search(values, [ann.team.id], 5)
        assert [str(i) for i, _ in found][0] == ids[CHIPS_2["url"]]
        assert ids[RATES_1["url"]] not in {str(i) for i, _ in found}
        assert len(found) == 2
        # CHIPS_1's vector is now that of its new text, close to the rates story.
        rates = dense.from_blob(
            dense.to_blob(app.state.nlp.encoder.embed([dense.document("", RATES_1["text"])])[0])
        )
        assert rates is not None
        assert str(index.search(rates, [ann.team.id], 1)[0][0]) == ids[CHIPS_1["url"]]
        assert await _count(live_a, replica_a) == 2
    finally:
        await other.dispose()


async def test_a_warm_index_is_built_in_the_background_and_none_answers_meanwhile(
    app: FastAPI, client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    if app.state.nlp is None or app.state.nlp.dense_model is None:
        pytest.skip("the sentence encoder's wheel is not installed")
    ann = await make_account("ann")
    await _store(client, ann, [CHIPS_1, RATES_1])
    reader = app.state.read_sessionmaker
    live = LiveVectors(dense.MODEL_NAME)
    live.building = True  # as while `warm` runs
    async with reader() as session:
        assert await live.current(session) is None
    live.building = False
    await live.warm(reader)
    assert live.mark >= 0
    built = live.index
    assert len(built) == 2
    async with reader() as session:
        assert await live.current(session) is built


def _article_rows(team_id: uuid.UUID, count: int, seed: int) -> tuple[list[dict], list[dict]]:
    """`count` articles of the team with unit vectors, as rows of articles and article_vectors
    (the columns ingest writes; the text does not matter here)."""
    vectors = _unit(np.random.default_rng(seed).standard_normal((count, dense.DIMENSIONS)))
    articles, stored = [], []
    for i, vector in enumerate(vectors):
        article_id = uuid.uuid4()
        articles.append(
            {
                "id": article_id,
                "team_id": team_id,
                "doc_id": new_doc_id(),
                "url": f"https://example.com/{seed}/{i}",
                "title": f"Article {i}",
                "text": f"Article {i} of batch {seed}.",
                "tags": [],
                "content_hash": f"{seed:032x}{i:032x}",
                **{f"minhash_band{b}": i for b in range(4)},
                "version": 1,
            }
        )
        stored.append(
            {"article_id": article_id, "model": dense.MODEL_NAME, "vector": dense.to_blob(vector)}
        )
    return articles, stored


async def _write(connection: AsyncConnection, rows: tuple[list[dict], list[dict]]) -> None:
    await connection.execute(insert(Article.__table__), rows[0])
    await connection.execute(insert(ArticleVector.__table__), rows[1])


@pytest.mark.commits  # the held transaction and the others are connections of their own
async def test_a_change_committed_below_the_mark_is_caught_up(
    app: FastAPI, make_account: AccountFactory
) -> None:
    """On PostgreSQL a sequence value is taken at write, visible at commit: a transaction that
    holds one while hundreds of later changes commit (more than any re-read window) shows its
    change below the index's mark, and the next query still applies it."""
    engine = app.state.engine
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite's writers take turns: its sequences become visible in order")
    reader = app.state.read_sessionmaker
    team_id, live = await _stored(app, make_account, 1, seed=1)
    assert await _count(live, reader) == 1
    late = _article_rows(team_id, 1, seed=2)
    async with engine.connect() as held:
        await held.begin()
        await _write(held, late)  # its change takes a sequence value now
        async with engine.begin() as connection:
            await _write(connection, _article_rows(team_id, 300, seed=3))
        assert await _count(live, reader) == 301
        marked = live.mark
        await held.commit()
    async with reader() as session:
        index = await live.current(session)
        assert index is not None
        latest = await session.scalar(text("SELECT max(seq) FROM article_changes"))
    assert latest == marked  # nothing above the mark: only the finished transaction says so
    assert len(index) == 302
    vector = dense.from_blob(late[1][0]["vector"])
    assert vector is not None
    assert index.search(vector, [team_id], 1)[0][0] == late[0][0]["id"]


@pytest.mark.commits
async def test_a_catch_up_pages_through_every_change(
    app: FastAPI, make_account: AccountFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More changes since the mark than a page holds are all applied, in one catch-up."""
    monkeypatch.setattr(vector_index, "CATCH_UP_PAGE", 7)
    engine = app.state.engine
    reader = app.state.read_sessionmaker
    team_id, live = await _stored(app, make_account, 2, seed=4)
    assert await _count(live, reader) == 2
    built = live.index
    many = _article_rows(team_id, 30, seed=5)
    async with engine.begin() as connection:
        await _write(connection, many)
        await connection.execute(
            delete(Article.__table__).where(Article.__table__.c.id == many[0][0]["id"])
        )
    assert await _count(live, reader) == 31
    assert live.index is built  # caught up, not rebuilt
    for article, stored in zip(many[0][1:], many[1][1:], strict=True):
        vector = dense.from_blob(stored["vector"])
        assert vector is not None
        assert live.index.search(vector, [team_id], 1)[0][0] == article["id"]


@pytest.mark.commits  # the two requests are sessions of their own
async def test_an_older_snapshot_does_not_rebuild_the_index(
    app: FastAPI, make_account: AccountFactory
) -> None:
    """A request that began before a write which another request has caught the index up
    with sees the log behind the index: it is answered without the index (on SQLite, whose
    read transaction keeps its first snapshot), and the index is not built again."""
    engine = app.state.engine
    reader = app.state.read_sessionmaker
    team_id, live = await _stored(app, make_account, 2, seed=6)
    async with reader() as early:
        built = await live.current(early)
        assert built is not None
        async with engine.begin() as connection:
            await _write(connection, _article_rows(team_id, 1, seed=7))
        assert await _count(live, reader) == 3
        later = await live.current(early)
        assert later is None or later is built
    assert live.index is built
    assert await _count(live, reader) == 3
