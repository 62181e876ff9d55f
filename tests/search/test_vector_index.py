"""The in-memory vector index: exact answers in a team, removal and replacement, the IVF
index's agreement with the exact scan, and two replicas catching up from the change log (on
PostgreSQL when GLOSS_TEST_DATABASE_URL is set, else two engines on one SQLite file)."""

from __future__ import annotations

import uuid

import httpx
import numpy as np
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from gloss.db import create_engine, create_sessionmaker
from gloss.models import ArticleVector
from gloss.nlp import dense
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
