"""Related articles: relevance, the caller's teams only, never the page itself or a copy."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gloss.articles import related
from gloss.articles import repository as related_repository
from gloss.articles.related import related_for_key, related_for_text
from gloss.articles.repository import ArticleRepository
from gloss.nlp import dense, ranking
from gloss.search.sqlite_index import LiveIndex, _registry
from tests.api.test_errors import assert_problem
from tests.articles.conftest import (
    CHIPS_1,
    CHIPS_2,
    CHIPS_3,
    CORPUS,
    DROUGHT,
    RATES_1,
    RATES_2,
    FakeEngine,
)
from tests.conftest import Account, AccountFactory


async def _store(
    client: httpx.AsyncClient, account: Account, bodies: list[dict[str, Any]]
) -> dict[str, str]:
    ids = {}
    for body in bodies:
        response = await client.post("/v1/articles", json=body, headers=account.headers)
        assert response.is_success, response.text
        ids[body["url"]] = response.json()["id"]
    return ids


async def test_related_of_an_article_ranks_its_topic_first(
    client: httpx.AsyncClient, make_account: AccountFactory, fake_engine: FakeEngine
) -> None:
    ann = await make_account("ann")
    ids = await _store(client, ann, CORPUS)
    response = await client.get(
        f"/v1/articles/{ids[CHIPS_1['url']]}/related", params={"limit": 3}, headers=ann.headers
    )
    assert response.status_code == 200, response.text
    related = response.json()
    assert {r["url"] for r in related[:2]} == {CHIPS_2["url"], CHIPS_3["url"]}
    assert all(0 <= r["score"] <= 1 for r in related)
    assert [r["score"] for r in related] == sorted((r["score"] for r in related), reverse=True)
    assert set(related[0]) == {
        "article_id",
        "url",
        "title",
        "snippet",
        "score",
        "published_at",
        "reason",
        "duplicates",
    }
    assert CHIPS_1["url"] not in {r["url"] for r in related}

    rates = await client.get(f"/v1/articles/{ids[RATES_1['url']]}/related", headers=ann.headers)
    assert rates.json()[0]["url"] == RATES_2["url"]
    # The card's date (read raw, made UTC in Python) is the stored article's.
    stored = await client.get(f"/v1/articles/{ids[RATES_2['url']]}", headers=ann.headers)
    assert rates.json()[0]["published_at"] == stored.json()["published_at"] is not None


async def test_the_page_itself_and_its_copies_are_never_related(
    client: httpx.AsyncClient,
    make_account: AccountFactory,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    ann = await make_account("ann")
    ids = await _store(client, ann, CORPUS)
    copy = {**CHIPS_1, "url": "https://syndicate.example/nvidia-controls"}
    near = {
        **CHIPS_1,
        "url": "https://mirror.example/nvidia",
        "text": "UPDATED: " + CHIPS_1["text"].replace("Analysts expect", "Analysts now expect"),
    }
    copies = await _store(client, ann, [copy, near])
    page_family = {ids[CHIPS_1["url"]], *copies.values()}

    # As the annotate endpoint asks: the page's URL as the browser has it (tracking
    # parameters, fragment, upper case host), its text, and the entity keys it found.
    assert ann.team is not None
    async with sessionmaker() as session:
        related = await related_for_text(
            session,
            [ann.team.id],
            CHIPS_1["text"],
            "HTTPS://News.Example/chips/export-controls?utm_source=feed#top",
            ["nvidia", "huawei"],
            10,
        )
    found = {str(r.article_id) for r in related}
    assert found
    assert not found & page_family
    assert str(ids[CHIPS_2["url"]]) in found

    # A stored article's related list never holds its copies either.
    for article_id in page_family:
        response = await client.get(f"/v1/articles/{article_id}/related", headers=ann.headers)
        assert not {r["article_id"] for r in response.json()} & page_family

    # An unstored page with the same text as a stored one: the copy is not "related".
    async with sessionmaker() as session:
        unsaved = await related_for_text(
            session, [ann.team.id], CHIPS_1["text"], "https://elsewhere.example/x", [], 10
        )
    assert not {str(r.article_id) for r in unsaved} & page_family


async def test_a_copy_under_another_url_is_left_out_as_if_it_were_the_page(
    client: httpx.AsyncClient,
    make_account: AccountFactory,
    sessionmaker: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # An article that opens with the whole page and goes on about other things: not a stored
    # duplicate (its whole text differs), but a copy of the page as far as a reader can tell,
    # and the lexically best match, which every lexical score is relative to.
    ann = await make_account("ann")
    await _store(client, ann, CORPUS)
    opener = {
        **CHIPS_1,
        "url": "https://aggregator.example/digest",
        "title": "Morning digest",
        "text": CHIPS_1["text"] + " " + DROUGHT["text"] + " " + RATES_1["text"],
    }
    created = await client.post("/v1/articles", json=opener, headers=ann.headers)
    assert created.json()["duplicate_of"] is None  # so only the copy check can leave it out
    assert ann.team is not None
    copies_seen: list[bool] = []
    contained = ranking.contained

    def spy(text: str, whole: set[str], threshold: float) -> bool:
        copies_seen.append(contained(text, whole, threshold))
        return copies_seen[-1]

    monkeypatch.setattr(ranking, "contained", spy)

    async def related(url: str) -> list[tuple[str, float]]:
        async with sessionmaker() as session:
            found = await related_for_text(
                session,
                [ann.team.id],
                CHIPS_1["text"],
                url,
                ["nvidia"],
                10,  # type: ignore[union-attr]
            )
        return [(str(r.article_id), r.score) for r in found]

    # Found as a copy while ranking, the answer is the one excluding it up front gives (as the
    # page's own URL does): the same articles with the same scores.
    lazily = await related("https://elsewhere.example/page")
    assert True in copies_seen
    eagerly = await related(opener["url"])
    assert created.json()["id"] not in {article_id for article_id, _ in lazily}
    assert lazily == eagerly
    assert lazily


async def test_another_teams_articles_never_appear(
    client: httpx.AsyncClient,
    make_account: AccountFactory,
    fake_engine: FakeEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    ann = await make_account("ann")
    bob = await make_account("bob", team="team-b")
    ann_ids = await _store(client, ann, [CHIPS_1, RATES_1])
    # Bob's team holds the best matches for Ann's page; she must still never see them.
    bob_ids = await _store(client, bob, [CHIPS_2, CHIPS_3, DROUGHT])
    response = await client.get(
        f"/v1/articles/{ann_ids[CHIPS_1['url']]}/related", params={"limit": 50}, headers=ann.headers
    )
    assert not {r["article_id"] for r in response.json()} & set(bob_ids.values())
    assert ann.team is not None
    assert bob.team is not None
    async with sessionmaker() as session:
        by_text = await related_for_text(
            session, [ann.team.id], CHIPS_2["text"], None, ["huawei", "nvidia"], 50
        )
        by_key = await related_for_key(session, [ann.team.id], "entity", "nvidia", 50)
        bobs = await related_for_key(session, [bob.team.id], "entity", "huawei", 50)
    assert {str(r.article_id) for r in by_text} <= set(ann_ids.values())
    assert [str(r.article_id) for r in by_key] == [ann_ids[CHIPS_1["url"]]]
    assert {str(r.article_id) for r in bobs} == {bob_ids[CHIPS_2["url"]]}
    assert_problem(
        await client.get(f"/v1/articles/{bob_ids[CHIPS_2['url']]}/related", headers=ann.headers),
        404,
        "not-found",
    )


async def test_related_for_an_entity_lists_the_articles_about_it(
    client: httpx.AsyncClient,
    make_account: AccountFactory,
    fake_engine: FakeEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    ann = await make_account("ann")
    ids = await _store(client, ann, CORPUS)
    assert ann.team is not None
    async with sessionmaker() as session:
        huawei = await related_for_key(session, [ann.team.id], "entity", "huawei", 5)
        lagarde = await related_for_key(session, [ann.team.id], "entity", "christine lagarde", 1)
        nobody = await related_for_key(session, [ann.team.id], "term", str(uuid.uuid4()), 5)
    # Huawei is the subject of CHIPS_2 (title, first word) and a side note in CHIPS_1: a
    # subject's list has the articles about it, not those naming it in passing.
    assert [str(r.article_id) for r in huawei] == [ids[CHIPS_2["url"]]]
    assert huawei[0].reason == "about huawei"
    assert len(lagarde) == 1
    assert str(lagarde[0].article_id) in {ids[RATES_1["url"]], ids[RATES_2["url"]]}
    assert nobody == []


async def test_related_limit_is_bounded(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann")
    ids = await _store(client, ann, CORPUS)
    url = f"/v1/articles/{ids[CHIPS_1['url']]}/related"
    assert len((await client.get(url, params={"limit": 1}, headers=ann.headers)).json()) == 1
    assert_problem(
        await client.get(url, params={"limit": 51}, headers=ann.headers), 422, "validation-error"
    )


async def test_related_for_an_empty_store_or_text_is_empty(
    make_account: AccountFactory, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    ann = await make_account("ann")
    assert ann.team is not None
    async with sessionmaker() as session:
        assert await related_for_text(session, [ann.team.id], "", None, [], 5) == []
        assert await related_for_text(session, [ann.team.id], CHIPS_1["text"], None, [], 5) == []
        assert await related_for_text(session, [], CHIPS_1["text"], None, ["nvidia"], 5) == []


async def test_mentions_can_be_extracted_after_ingest(
    client: httpx.AsyncClient,
    make_account: AccountFactory,
    sessionmaker: async_sessionmaker[AsyncSession],
    no_engine: None,
) -> None:
    """Articles stored without the engine get their entities from `reindex --mentions`."""
    from gloss.articles.ingest import refresh_mentions
    from gloss.articles.repository import ArticleRepository

    ann = await make_account("ann")
    await _store(client, ann, CORPUS)
    assert ann.team is not None
    async with sessionmaker() as session:
        assert await related_for_key(session, [ann.team.id], "entity", "huawei", 5) == []
    async with sessionmaker() as session, session.begin():
        articles = await ArticleRepository(session).page_by_id(None, 100)
        assert await refresh_mentions(session, FakeEngine(), articles) == len(CORPUS)
    async with sessionmaker() as session:
        found = await related_for_key(session, [ann.team.id], "entity", "huawei", 5)
    assert {r.url for r in found} == {CHIPS_2["url"]}


async def test_a_syndicated_story_is_listed_once_and_counts_its_copies(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    """The original and its syndicated copies (the same text elsewhere, or lightly edited)
    are one story: the best ranked is listed, the others counted in `duplicates`."""
    ann = await make_account("ann")
    ids = await _store(client, ann, CORPUS)
    wire = {**CHIPS_2, "url": "https://wire.example/huawei-chip", "source": "Wire"}
    edited = {
        **CHIPS_2,
        "url": "https://daily.example/huawei",
        "title": CHIPS_2["title"] + " (update)",
        "text": CHIPS_2["text"].replace("presented", "unveiled"),
    }
    copies = await _store(client, ann, [wire, edited])
    story = {ids[CHIPS_2["url"]], *copies.values()}
    response = await client.get(
        f"/v1/articles/{ids[CHIPS_1['url']]}/related", params={"limit": 10}, headers=ann.headers
    )
    related = response.json()
    listed = [r for r in related if r["article_id"] in story]
    assert len(listed) == 1
    assert listed[0]["duplicates"] == 2
    assert all(r["duplicates"] == 0 for r in related if r["article_id"] not in story)


async def test_each_related_article_says_why_it_is_related(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann")
    await _store(client, ann, CORPUS)
    response = await client.post(
        "/v1/annotate",
        json={
            "text": CHIPS_1["text"],
            "title": CHIPS_1["title"],
            "url": "https://reader.example/page",
            "include": ["entities", "related"],
        },
        headers=ann.headers,
    )
    assert response.status_code == 200, response.text
    related = response.json()["related"]
    assert related
    reasons = {r["url"]: r["reason"] for r in related}
    assert all(reasons.values())
    # CHIPS_2 names Huawei and Nvidia as the page does: its reason says so, by their names.
    assert reasons[CHIPS_2["url"]].startswith("shares ")
    assert {"Huawei", "Nvidia"} & set(reasons[CHIPS_2["url"]][len("shares ") :].split(", "))


@pytest.mark.commits  # the in-memory indexes answer only what is committed
async def test_the_indexes_answers_taken_beside_the_first_statement_are_the_same(
    app: FastAPI,
    client: httpx.AsyncClient,
    make_account: AccountFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """While the page's copies are looked for, the in-memory indexes answer as they stand;
    the answer is used when they stand at what the session sees, and is the one asking them
    afterwards gives. After a write they do not, and the usual path answers."""
    ann = await make_account("ann")
    assert ann.team is not None
    team_id = ann.team.id
    await _store(client, ann, CORPUS)
    live = live_index_for_app(app)
    if live is not None:
        await asyncio.to_thread(live.wait)
    held: list[bool] = []
    holds = related._Early.holds

    async def spy(self: related._Early, session: AsyncSession, fetch: int) -> bool:
        held.append(await holds(self, session, fetch))
        return held[-1]

    monkeypatch.setattr(related._Early, "holds", spy)

    text = CHIPS_1["text"] + " Analysts expect more of the same."  # not stored
    vector = None
    if app.state.nlp is not None and (model := app.state.nlp.dense_model) is not None:
        values = app.state.nlp.encoder.embed([dense.document("", text)])[0]
        vector = dense.Vector(model, values)

    async def ask() -> list[tuple[str, float, str]]:
        async with app.state.read_sessionmaker() as session:
            found = await related.related_for_text(
                session,
                [team_id],
                text,
                None,
                ["nvidia"],
                5,
                vector=vector,
            )
        return [(str(r.article_id), r.score, r.reason) for r in found]

    await ask()  # the indexes catch up with the articles just stored
    if live is not None:
        await asyncio.to_thread(live.wait)
    held.clear()
    early = await ask()
    with monkeypatch.context() as without:
        without.setattr(related, "_early", lambda *_args: None)
        assert await ask() == early
    assert early
    if live is None:  # PostgreSQL: no in-memory lexical index, nothing is taken early
        assert held == []
        return
    assert held == [True]
    # A write the indexes have not caught up with: the early answers do not hold.
    await _store(client, ann, [{**RATES_2, "url": "https://example.com/rates-again"}])
    again = await ask()
    assert held[-1] is False
    assert again


async def test_the_articles_naming_the_entities_read_with_the_copies_give_the_same_answer(
    app: FastAPI,
    client: httpx.AsyncClient,
    make_account: AccountFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On SQLite the statement that looks for the page's copies also finds the articles
    naming its entities; the cards statement then reads only their cards, and the answer is
    the one it gives finding them itself. A page with a stored copy asks for more of them
    than were read, and the cards statement finds them itself."""
    ann = await make_account("ann")
    assert ann.team is not None
    team_id = ann.team.id
    await _store(client, ann, CORPUS)
    asked: list[int] = []
    cards_and_mentions = ArticleRepository.cards_and_mentions

    async def spy(self: ArticleRepository, *args: Any, **kwargs: Any) -> Any:
        asked.append(kwargs.get("mentioning", 0))
        return await cards_and_mentions(self, *args, **kwargs)

    monkeypatch.setattr(ArticleRepository, "cards_and_mentions", spy)

    async def ask(text: str, url: str | None) -> list[tuple[str, float, str]]:
        async with app.state.read_sessionmaker() as session:
            found = await related.related_for_text(
                session, [team_id], text, url, ["nvidia", "tsmc"], 5
            )
        return [(str(r.article_id), r.score, r.reason) for r in found]

    sqlite = app.state.engine.dialect.name == "sqlite"
    page_group_and_mentioning = related._page_group_and_mentioning

    async def copies_alone(*args: Any) -> tuple[set[uuid.UUID], list[uuid.UUID] | None]:
        return await page_group_and_mentioning(*args[:-1], 0)

    for text, url, copies in (
        (CHIPS_1["text"] + " Analysts expect more of the same.", None, False),
        (CHIPS_1["text"], CHIPS_1["url"], True),
    ):
        asked.clear()
        answer = await ask(text, url)
        assert answer
        assert (asked == [0]) is (sqlite and not copies)
        with monkeypatch.context() as alone:
            alone.setattr(related, "_page_group_and_mentioning", copies_alone)
            asked.clear()
            assert await ask(text, url) == answer
            assert asked[0] > 0


def live_index_for_app(app: FastAPI) -> LiveIndex | None:
    """The app's in-memory lexical index (SQLite only)."""
    database = app.state.engine.url.database
    entry = _registry.get(database or "")
    return entry[0] if entry is not None else None


async def test_the_related_statements_read_on_sqlite_without_sqlalchemy_read_the_same(
    app: FastAPI,
    client: httpx.AsyncClient,
    make_account: AccountFactory,
    fake_engine: FakeEngine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On SQLite the copies and cards statements go straight to sqlite3 (lists as JSON
    arrays, values as sqlite3 gives them); what they read is what SQLAlchemy's execution of
    the same statements reads, another team's articles left out. (On PostgreSQL both runs
    go through SQLAlchemy.)"""
    ann = await make_account("ann")
    bob = await make_account("bob", team="team-b")
    assert ann.team is not None
    assert bob.team is not None
    ann_ids = await _store(client, ann, CORPUS)
    bob_ids = await _store(client, bob, [{**CHIPS_2, "url": "https://bob.example/chips"}])
    every = [uuid.UUID(i) for i in [*ann_ids.values(), *bob_ids.values()]]
    keys = ["nvidia", "huawei", "tsmc", "nobody"]
    sqlite = app.state.engine.dialect.name == "sqlite"

    async def read() -> tuple[Any, ...]:
        async with app.state.read_sessionmaker() as session:
            repo = ArticleRepository(session)
            cards = await repo.cards_and_mentions(every, [ann.team.id], "entity", keys)
            mentioning = await repo.cards_and_mentions(
                [], [ann.team.id], "entity", keys, mentioning=3, doc_ids=True
            )
            copies = await repo.page_group_and_mentioning(
                [ann.team.id],
                CHIPS_1["url"],
                ranking.content_hash(CHIPS_3["text"]),
                "SELECT 7" if sqlite else None,
                keys=keys,
                mentioning=3 if sqlite else 0,  # (only SQLite asks it there)
            )
        return cards, mentioning, copies

    trips: list[str] = []
    fetch_all = related_repository.sqlite_async.fetch_all

    async def counted(connection: Any, operation: str, parameters: Any) -> list[Any]:
        trips.append(operation)
        return await fetch_all(connection, operation, parameters)

    with monkeypatch.context() as straight:
        straight.setattr(related_repository.sqlite_async, "fetch_all", counted)
        direct = await read()
    assert len(trips) == (3 if sqlite else 0)
    with monkeypatch.context() as through_sqlalchemy:
        through_sqlalchemy.setattr(related_repository.sqlite_async, "one_trip_connection", _none)
        assert await read() == direct
    (cards, shared, names), (named, _, _), (group, probe, mentioned) = direct
    assert set(cards) == {uuid.UUID(i) for i in ann_ids.values()}
    assert cards[uuid.UUID(ann_ids[CHIPS_1["url"]])].url == CHIPS_1["url"]
    assert shared[uuid.UUID(ann_ids[CHIPS_1["url"]])].keys() == {"nvidia", "huawei", "tsmc"}
    assert names["nvidia"] == "Nvidia"
    assert len(named) == 3
    assert all(isinstance(card.vector, int) for card in named.values())  # the doc_id
    assert uuid.UUID(ann_ids[CHIPS_1["url"]]) in group  # by its URL
    assert len(group) > 1  # and by the other page's text
    assert probe == (7 if sqlite else None)
    assert mentioned is None if not sqlite else set(mentioned or ()) == set(named)


async def _none(_session: AsyncSession) -> None:
    return None
