"""The dense re-rank end to end: vectors stored at ingest, the page's vector in annotate, the
stored one for an article, and everything still working without the encoder."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import httpx
import numpy as np
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gloss.models import ArticleVector
from gloss.nlp import dense
from tests.articles.conftest import CHIPS_1, CORPUS, RATES_1
from tests.articles.test_related import _store
from tests.conftest import AccountFactory


async def _vectors(maker: async_sessionmaker[AsyncSession]) -> dict[uuid.UUID, ArticleVector]:
    async with maker() as session:
        return {v.article_id: v for v in await session.scalars(select(ArticleVector))}


@pytest.fixture
def without_dense(app: FastAPI) -> Iterator[None]:
    """The server as it runs without the model wheel (or with GLOSS_RELATED_DENSE=false)."""
    runtime = app.state.nlp
    encoder, runtime.encoder = runtime.encoder, None
    yield
    runtime.encoder = encoder


async def test_ingest_stores_the_vector_and_a_new_text_replaces_it(
    app: FastAPI,
    client: httpx.AsyncClient,
    make_account: AccountFactory,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    runtime = app.state.nlp
    assert runtime.dense_model == dense.MODEL_NAME
    ann = await make_account("ann")
    ids = await _store(client, ann, [CHIPS_1])
    article_id = uuid.UUID(ids[CHIPS_1["url"]])
    stored = (await _vectors(sessionmaker))[article_id]
    assert stored.model == dense.MODEL_NAME
    expected = runtime.encoder.embed([dense.document(CHIPS_1["title"], CHIPS_1["text"])])[0]
    assert stored.vector == dense.to_blob(expected)

    same = await client.post("/v1/articles", json=CHIPS_1, headers=ann.headers)
    assert same.json()["status"] == "unchanged"
    assert (await _vectors(sessionmaker))[article_id].vector == stored.vector

    changed = {**CHIPS_1, "text": RATES_1["text"]}
    assert (await client.post("/v1/articles", json=changed, headers=ann.headers)).is_success
    replaced = (await _vectors(sessionmaker))[article_id].vector
    expected = runtime.encoder.embed([dense.document(CHIPS_1["title"], RATES_1["text"])])[0]
    assert replaced == dense.to_blob(expected)

    await client.delete(f"/v1/articles/{article_id}", headers=ann.headers)
    assert await _vectors(sessionmaker) == {}


async def test_a_text_changed_without_the_encoder_loses_its_old_vector(
    app: FastAPI,
    client: httpx.AsyncClient,
    make_account: AccountFactory,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    ann = await make_account("ann")
    ids = await _store(client, ann, [CHIPS_1, RATES_1])
    runtime = app.state.nlp
    encoder, runtime.encoder = runtime.encoder, None
    try:
        changed = {**CHIPS_1, "text": CHIPS_1["text"] + " Shares fell."}
        assert (await client.post("/v1/articles", json=changed, headers=ann.headers)).is_success
    finally:
        runtime.encoder = encoder
    vectors = await _vectors(sessionmaker)
    assert uuid.UUID(ids[CHIPS_1["url"]]) not in vectors  # a vector of the old text would mislead
    assert uuid.UUID(ids[RATES_1["url"]]) in vectors


async def _scores(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, float]:
    response = await client.post(
        "/v1/annotate",
        json={
            "text": CHIPS_1["text"],
            "title": CHIPS_1["title"],
            "url": "https://elsewhere.example/page",
            "include": ["related"],
            "related_limit": 50,
        },
        headers=headers,
    )
    assert response.status_code == 200, response.text
    return {r["url"]: r["score"] for r in response.json()["related"]}


@contextlib.contextmanager
def _dense_off(runtime: Any) -> Iterator[None]:
    """The same runtime ranking with the dense share at 0, for the scores without vectors."""
    weights = runtime.related_weights
    runtime.related_weights = replace(weights, dense=0.0)
    try:
        yield
    finally:
        runtime.related_weights = weights


def _mixed(plain: float, page: np.ndarray, stored: bytes, w: float) -> float:
    """What a score with vectors must be: the plain score mixed with the clamped cosine (the
    default weights sum to 1, so the dense weight is its share)."""
    values = dense.from_blob(stored)
    assert values is not None
    return (1 - w) * plain + w * min(max(dense.cosine(page, values), 0.0), 1.0)


async def test_annotate_mixes_the_pages_vector_into_the_related_scores(
    app: FastAPI,
    client: httpx.AsyncClient,
    make_account: AccountFactory,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    runtime = app.state.nlp
    ann = await make_account("ann")
    ids = await _store(client, ann, CORPUS)
    mixed = await _scores(client, ann.headers)
    with _dense_off(runtime):
        plain = await _scores(client, ann.headers)
    # The lexical and entity candidates, and the nearest by the vectors over the whole store.
    assert set(plain) <= set(mixed)
    assert len(plain) >= 2
    page = await runtime.page_vector(CHIPS_1["title"], CHIPS_1["text"])
    vectors = await _vectors(sessionmaker)
    w = runtime.related_weights.dense
    assert w > 0
    for url, score in plain.items():
        stored = vectors[uuid.UUID(ids[url])].vector
        assert mixed[url] == pytest.approx(_mixed(score, page.values, stored, w), abs=2e-4), url


async def test_related_of_an_article_uses_its_stored_vector(
    app: FastAPI,
    client: httpx.AsyncClient,
    make_account: AccountFactory,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    runtime = app.state.nlp
    ann = await make_account("ann")
    ids = await _store(client, ann, CORPUS)
    path = f"/v1/articles/{ids[CHIPS_1['url']]}/related"
    mixed = {r["url"]: r["score"] for r in (await client.get(path, headers=ann.headers)).json()}
    with _dense_off(runtime):
        response = await client.get(path, params={"limit": 50}, headers=ann.headers)
        plain = {r["url"]: r["score"] for r in response.json()}
    vectors = await _vectors(sessionmaker)
    own = dense.from_blob(vectors[uuid.UUID(ids[CHIPS_1["url"]])].vector)
    assert own is not None
    w = runtime.related_weights.dense
    for url, score in mixed.items():
        if url not in plain:
            continue  # found by the vectors alone
        stored = vectors[uuid.UUID(ids[url])].vector
        assert score == pytest.approx(_mixed(plain[url], own, stored, w), abs=2e-4), url


async def test_without_the_encoder_nothing_is_embedded_and_related_still_answers(
    app: FastAPI,
    client: httpx.AsyncClient,
    make_account: AccountFactory,
    sessionmaker: async_sessionmaker[AsyncSession],
    without_dense: None,
) -> None:
    ann = await make_account("ann")
    ids = await _store(client, ann, CORPUS)
    assert await _vectors(sessionmaker) == {}
    related = await _scores(client, ann.headers)
    assert related
    assert CHIPS_1["url"] not in related  # the page's text, stored: never related to itself
    response = await client.get(f"/v1/articles/{ids[RATES_1['url']]}/related", headers=ann.headers)
    assert response.status_code == 200
    assert response.json()


async def test_an_article_stored_without_a_vector_is_ranked_by_the_rest(
    app: FastAPI,
    client: httpx.AsyncClient,
    make_account: AccountFactory,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    """Articles stored before vectors were kept keep their score without the dense share;
    `add_vectors` (what `gloss articles reindex --vectors` runs) fills them in."""
    from gloss.articles.ingest import add_vectors
    from gloss.articles.repository import ArticleRepository

    runtime = app.state.nlp
    ann = await make_account("ann")
    ids = await _store(client, ann, CORPUS)
    chips_2 = uuid.UUID(ids[CORPUS[1]["url"]])
    async with sessionmaker() as session, session.begin():
        await ArticleRepository(session).delete_vector(chips_2)
    mixed = await _scores(client, ann.headers)
    with _dense_off(runtime):
        plain = await _scores(client, ann.headers)
    assert mixed[CORPUS[1]["url"]] == plain[CORPUS[1]["url"]]

    async with sessionmaker() as session, session.begin():
        repo = ArticleRepository(session)
        missing = await repo.without_vector(dense.MODEL_NAME, None, 100)
        assert [a.id for a in missing] == [chips_2]
        assert await repo.count_without_vector(dense.MODEL_NAME) == 1
        assert await add_vectors(session, runtime, missing) == 1
    vectors = await _vectors(sessionmaker)
    assert len(vectors) == len(CORPUS)
    page = await runtime.page_vector(CHIPS_1["title"], CHIPS_1["text"])
    after = (await _scores(client, ann.headers))[CORPUS[1]["url"]]
    w = runtime.related_weights.dense
    expected = _mixed(plain[CORPUS[1]["url"]], page.values, vectors[chips_2].vector, w)
    assert after == pytest.approx(expected, abs=2e-4)


async def test_a_page_read_again_is_not_split_or_embedded_again_unless_it_is_huge(
    app: FastAPI,
) -> None:
    from gloss.runtime import PAGE_WORDS_KEPT

    runtime = app.state.nlp
    text = "Central banks raised interest rates again to fight inflation."
    page = runtime.page(("k1", "t"), "t", text)
    assert runtime.page(("k1", "t"), "t", text) is page
    vector = await runtime.page_vector("t", text, ("k1", "t"))
    assert await runtime.page_vector("t", text, ("k1", "t")) is vector
    huge = "word " * (PAGE_WORDS_KEPT + 1)
    assert runtime.page(("k2", ""), "", huge) is not runtime.page(("k2", ""), "", huge)
