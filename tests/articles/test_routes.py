"""Storing, reading, listing, searching and deleting articles over the API."""

from __future__ import annotations

import json

import httpx

from tests.api.test_errors import assert_problem
from tests.articles.conftest import CHIPS_1, CHIPS_2, CORPUS, RATES_1, FakeEngine, article
from tests.conftest import AccountFactory


async def test_create_normalises_the_url_and_returns_the_article(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann")
    body = {**CHIPS_1, "url": "HTTP://WWW.News.Example:80/chips/export-controls/?utm_source=x#top"}
    response = await client.post("/v1/articles", json=body, headers=ann.headers)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["status"] == "created"
    assert created["url"] == "https://news.example/chips/export-controls"
    assert created["team_id"] == str(ann.team.id)  # type: ignore[union-attr]
    assert created["tags"] == ["chips", "trade"]
    assert created["published_at"].startswith("2026-10-01T09:00:00")
    assert response.headers["etag"]
    assert response.headers["location"] == f"/v1/articles/{created['id']}"

    fetched = await client.get(f"/v1/articles/{created['id']}", headers=ann.headers)
    assert fetched.status_code == 200
    assert fetched.json()["text"] == CHIPS_1["text"]
    assert fetched.headers["etag"] == response.headers["etag"]


async def test_the_same_url_updates_instead_of_duplicating(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann")
    first = (await client.post("/v1/articles", json=CHIPS_1, headers=ann.headers)).json()
    again = await client.post(
        "/v1/articles",
        json={**CHIPS_1, "url": CHIPS_1["url"] + "?utm_campaign=autumn#comments"},
        headers=ann.headers,
    )
    assert again.status_code == 200
    assert again.json()["status"] == "unchanged"
    assert again.json()["id"] == first["id"]

    edited = {**CHIPS_1, "title": "Nvidia faces tighter export controls on AI chips"}
    updated = await client.post("/v1/articles", json=edited, headers=ann.headers)
    assert updated.status_code == 200
    assert updated.json()["status"] == "updated"
    assert updated.json()["id"] == first["id"]
    assert updated.json()["title"] == edited["title"]

    listed = (await client.get("/v1/articles", headers=ann.headers)).json()
    assert [a["id"] for a in listed["items"]] == [first["id"]]


async def test_the_canonical_url_finds_the_stored_article(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann")
    first = (await client.post("/v1/articles", json=CHIPS_1, headers=ann.headers)).json()
    amp = {**CHIPS_1, "url": "https://amp.news.example/x", "canonical_url": CHIPS_1["url"]}
    again = (await client.post("/v1/articles", json=amp, headers=ann.headers)).json()
    assert again["id"] == first["id"]


async def test_the_same_text_under_another_url_is_a_duplicate(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann")
    original = (await client.post("/v1/articles", json=CHIPS_1, headers=ann.headers)).json()
    syndicated = {
        **CHIPS_1,
        "url": "https://syndicate.example/story/123",
        # Whitespace and case do not make a new text.
        "text": "  " + CHIPS_1["text"].upper().replace(". ", ".\n\n"),
    }
    copy = (await client.post("/v1/articles", json=syndicated, headers=ann.headers)).json()
    assert copy["status"] == "created"
    assert copy["duplicate_of"] == original["id"]


async def test_a_nearly_identical_text_is_a_duplicate_but_a_new_story_is_not(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann")
    original = (await client.post("/v1/articles", json=CHIPS_1, headers=ann.headers)).json()
    near = {
        **CHIPS_1,
        "url": "https://mirror.example/nvidia",
        "text": CHIPS_1["text"].replace("Analysts expect", "Analysts now expect")
        + " Updated 10:42 GMT.",
    }
    copy = (await client.post("/v1/articles", json=near, headers=ann.headers)).json()
    assert copy["duplicate_of"] == original["id"]
    other = (await client.post("/v1/articles", json=CHIPS_2, headers=ann.headers)).json()
    assert other["duplicate_of"] is None


async def test_ingest_extracts_entities_once_with_the_engine(
    client: httpx.AsyncClient, make_account: AccountFactory, fake_engine: FakeEngine
) -> None:
    ann = await make_account("ann")
    created = (await client.post("/v1/articles", json=CHIPS_2, headers=ann.headers)).json()
    mentions = {m["key"]: m for m in created["mentions"]}
    assert set(mentions) == {"huawei", "nvidia", "shenzhen", "tsmc"}
    assert mentions["huawei"]["label"] == "ORG"
    assert mentions["huawei"]["count"] == 2
    # Named in the title and first: the story is about Huawei, not Shenzhen.
    assert mentions["huawei"]["salience"] > mentions["shenzhen"]["salience"]
    await client.post("/v1/articles", json=CHIPS_2, headers=ann.headers)
    assert len(fake_engine.texts) == 1  # an unchanged article is not annotated again


async def test_list_pages_with_a_cursor_and_searches_with_q(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann")
    for body in CORPUS:
        assert (await client.post("/v1/articles", json=body, headers=ann.headers)).is_success
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": "4", **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/v1/articles", params=params, headers=ann.headers)).json()
        seen += [a["url"] for a in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(a["url"] for a in CORPUS)

    found = await client.get("/v1/articles", params={"q": "interest rates"}, headers=ann.headers)
    assert {a["url"] for a in found.json()["items"]} == {
        "https://news.example/economy/ecb-rates",
        "https://news.example/economy/ecb-inflation",
    }
    # The title counts more than the body: the article titled with "wafer" comes first.
    wafer = await client.get("/v1/articles", params={"q": "wafer"}, headers=ann.headers)
    assert wafer.json()["items"][0]["url"] == "https://news.example/chips/tsmc-capacity"

    first = await client.get(
        "/v1/articles", params={"q": "semiconductor", "limit": "2"}, headers=ann.headers
    )
    rest = await client.get(
        "/v1/articles",
        params={"q": "semiconductor", "limit": "2", "cursor": first.json()["next_cursor"]},
        headers=ann.headers,
    )
    urls = [a["url"] for a in first.json()["items"] + rest.json()["items"]]
    assert sorted(urls) == sorted(a["url"] for a in CORPUS if "semiconductor" in a["text"])


async def test_delete_needs_a_fresh_etag_and_an_editor(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann")
    vic = await make_account("vic", role="viewer")
    created = await client.post("/v1/articles", json=RATES_1, headers=ann.headers)
    article_id = created.json()["id"]
    assert_problem(
        await client.delete(f"/v1/articles/{article_id}", headers=vic.headers), 403, "forbidden"
    )
    stale = {**ann.headers, "If-Match": '"stale"'}
    assert_problem(
        await client.delete(f"/v1/articles/{article_id}", headers=stale),
        412,
        "precondition-failed",
    )
    fresh = {**ann.headers, "If-Match": created.headers["etag"]}
    assert (await client.delete(f"/v1/articles/{article_id}", headers=fresh)).status_code == 204
    assert_problem(
        await client.get(f"/v1/articles/{article_id}", headers=ann.headers), 404, "not-found"
    )


async def test_viewers_cannot_store_and_other_teams_cannot_see(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann")
    vic = await make_account("vic", role="viewer")
    bob = await make_account("bob", team="team-b")
    assert_problem(
        await client.post("/v1/articles", json=RATES_1, headers=vic.headers), 403, "forbidden"
    )
    created = (await client.post("/v1/articles", json=RATES_1, headers=ann.headers)).json()
    assert_problem(
        await client.get(f"/v1/articles/{created['id']}", headers=bob.headers), 404, "not-found"
    )
    assert (await client.get("/v1/articles", headers=bob.headers)).json()["items"] == []
    found = await client.get("/v1/articles", params={"q": "inflation"}, headers=bob.headers)
    assert found.json()["items"] == []
    # The same URL in another team is that team's own article.
    own = await client.post("/v1/articles", json=RATES_1, headers=bob.headers)
    assert own.status_code == 201
    assert own.json()["id"] != created["id"]


async def test_a_member_of_several_teams_must_name_one(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann")
    await make_account("ann", team="team-b")
    assert_problem(
        await client.post("/v1/articles", json=RATES_1, headers=ann.headers), 400, "bad-request"
    )
    body = {**RATES_1, "team_id": str(ann.team.id)}  # type: ignore[union-attr]
    assert (await client.post("/v1/articles", json=body, headers=ann.headers)).status_code == 201


async def test_invalid_articles_are_422(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann")
    for bad in (
        article("javascript:alert(1)", "t", "x"),
        article("https://a.example/", "", "x"),
        {"url": "https://a.example/", "title": "t"},
        {**CHIPS_1, "colour": "red"},
    ):
        response = await client.post("/v1/articles", json=bad, headers=ann.headers)
        assert_problem(response, 422, "validation-error")


async def test_cursor_that_was_not_given_out_is_400(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann")
    response = await client.get("/v1/articles", params={"cursor": "bm9wZQ"}, headers=ann.headers)
    assert_problem(response, 400, "bad-request")


async def test_nul_characters_are_refused_not_a_database_error(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann")
    for field in ("title", "text", "source"):
        body = {**CHIPS_1, field: "a\x00b"}
        response = await client.post("/v1/articles", json=body, headers=ann.headers)
        assert_problem(response, 422, "validation-error")
    found = await client.get("/v1/articles", params={"q": "chips\x00"}, headers=ann.headers)
    assert found.status_code == 200


async def test_a_url_too_long_once_normalised_is_422_and_the_list_still_answers(
    client: httpx.AsyncClient, make_account: AccountFactory, no_engine: None
) -> None:
    ann = await make_account("ann")
    # 1,000 characters, each percent-encoded to 6 bytes or more when normalised: over 2,048.
    url = "https://news.example/" + "é" * 1000
    refused = await client.post(
        "/v1/articles", json=article(url, "Long", "A text."), headers=ann.headers
    )
    problem = assert_problem(refused, 422, "validation-error")
    assert "once normalised" in str(problem)
    bulk = await client.post(
        "/v1/articles/bulk",
        content=json.dumps(article(url, "Long", "A text.")) + "\n",
        headers={**ann.headers, "Content-Type": "application/x-ndjson"},
    )
    lines = [json.loads(line) for line in bulk.text.splitlines()]
    assert lines[0]["status"] == "error"
    assert lines[-1]["summary"]["error"] == 1
    # At the limit it is stored, and every member can still list and read.
    at_limit = "https://news.example/" + "a" * (2048 - len("https://news.example/"))
    stored = await client.post(
        "/v1/articles", json=article(at_limit, "Long", "A text."), headers=ann.headers
    )
    assert stored.status_code == 201, stored.text
    assert (await client.get("/v1/articles", headers=ann.headers)).status_code == 200
    one = await client.get(f"/v1/articles/{stored.json()['id']}", headers=ann.headers)
    assert one.status_code == 200
