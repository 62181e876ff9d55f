"""GET /v1/annotations?url=: the caller's visible highlights on a page, for re-anchoring."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api.test_errors import assert_problem
from tests.collections.conftest import annotation, new_collection, post_annotation
from tests.conftest import Account, AccountFactory

PAGE = "https://news.example/2026/11/chips"


async def _find(client: httpx.AsyncClient, account: Account, **params: Any) -> dict[str, Any]:
    response = await client.get("/v1/annotations", params=params, headers=account.headers)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def _quotes(found: dict[str, Any]) -> list[str]:
    return [item["target"]["selector"][0]["exact"] for item in found["items"]]


async def test_finds_across_my_collections_by_normalised_url(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann", team="desk")
    bob = await make_account("bob", team="desk", role="editor")
    eve = await make_account("eve", team="other")
    team = await new_collection(client, ann, "Team")
    mine = await new_collection(client, ann, "Mine", private=True)
    bobs_private = await new_collection(client, bob, "Bob's", private=True)
    others = await new_collection(client, eve, "Eve's")
    await post_annotation(client, ann, team, annotation("Nvidia", source=PAGE + "?utm_source=rss"))
    await post_annotation(
        client, bob, team, annotation("Tuesday", source="http://www.news.example/2026/11/chips/")
    )
    await post_annotation(client, ann, mine, annotation("chips", source=PAGE + "#section"))
    await post_annotation(client, bob, bobs_private, annotation("demand", source=PAGE))
    await post_annotation(client, eve, others, annotation("regions", source=PAGE))
    await post_annotation(
        client, ann, team, annotation("Nvidia", source="https://news.example/other")
    )

    found = await _find(client, ann, url="HTTPS://News.Example/2026/11/chips?fbclid=1")
    assert _quotes(found) == ["Nvidia", "Tuesday", "chips"]
    assert found["next_cursor"] is None
    # The stored target keeps the URL as the reader saw it.
    assert found["items"][0]["target"]["source"] == PAGE + "?utm_source=rss"
    assert _quotes(await _find(client, bob, url=PAGE)) == ["Nvidia", "Tuesday", "demand"]
    assert _quotes(await _find(client, eve, url=PAGE)) == ["regions"]


async def test_filters_by_tag_text_and_user(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann", team="desk")
    bob = await make_account("bob", team="desk", role="editor")
    team = await new_collection(client, ann)
    await post_annotation(client, ann, team, annotation("Nvidia", tags=("AI", "chips")))
    await post_annotation(
        client, bob, team, annotation("Tuesday", note="The 100% date_x", tags=("dates",))
    )
    await post_annotation(client, bob, team, annotation("regions", tags=("ai-policy",)))

    assert _quotes(await _find(client, ann, url=PAGE, tag="ai")) == ["Nvidia"]
    assert _quotes(await _find(client, ann, url=PAGE, tag="AI-policy")) == ["regions"]
    assert _quotes(await _find(client, ann, url=PAGE, tag="nothing")) == []
    assert _quotes(await _find(client, ann, url=PAGE, q="nvid")) == ["Nvidia"]
    assert _quotes(await _find(client, ann, url=PAGE, q="100% date_")) == ["Tuesday"]
    # LIKE wildcards in q are taken literally.
    assert _quotes(await _find(client, ann, url=PAGE, q="%")) == ["Tuesday"]
    assert _quotes(await _find(client, ann, url=PAGE, q="_")) == ["Tuesday"]
    assert _quotes(await _find(client, ann, url=PAGE, user="bob")) == ["Tuesday", "regions"]
    assert _quotes(await _find(client, ann, url=PAGE, user="nobody")) == []
    assert _quotes(await _find(client, ann, url=PAGE, user="bob", tag="dates")) == ["Tuesday"]


async def test_pages_with_a_cursor(client: httpx.AsyncClient, make_account: AccountFactory) -> None:
    ann = await make_account("ann")
    team = await new_collection(client, ann)
    words = ["Nvidia", "said", "on", "Tuesday", "that"]
    for word in words:
        await post_annotation(client, ann, team, annotation(word))
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"url": PAGE, "limit": 2}
        if cursor:
            params["cursor"] = cursor
        found = await _find(client, ann, **params)
        seen += _quotes(found)
        cursor = found["next_cursor"]
        if not cursor:
            break
    assert seen == words


async def test_needs_a_url_and_a_valid_cursor(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann")
    assert_problem(
        await client.get("/v1/annotations", headers=ann.headers), 422, "validation-error"
    )
    bad = await client.get(
        "/v1/annotations", params={"url": PAGE, "cursor": "e30"}, headers=ann.headers
    )
    assert_problem(bad, 400, "bad-request")


async def test_text_search_folds_case_beyond_ascii(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann")
    team = await new_collection(client, ann)
    doc = annotation("Nvidia", note="ÜBER-Effizienz und ÉNERGIE")
    doc["target"]["selector"][0]["exact"] = "Straße"
    await post_annotation(client, ann, team, doc)
    for q in ("über", "énergie", "STRASSE".lower().replace("ss", "ß"), "Über-effizienz"):
        assert _quotes(await _find(client, ann, url=PAGE, q=q)) == ["Straße"], q
