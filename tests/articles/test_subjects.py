"""What a card says of a subject: the stored articles naming it, the latest few, a sentence
that names it, the names it appears with; never another subject's list, never the page."""

from __future__ import annotations

from typing import Any

import httpx

from tests.articles.conftest import CHIPS_1, CHIPS_2, CORPUS, FakeEngine, article
from tests.articles.test_related import _store
from tests.conftest import Account, AccountFactory


async def _card(
    client: httpx.AsyncClient, account: Account, key: str, **params: Any
) -> dict[str, Any]:
    response = await client.get(
        "/v1/annotate/card",
        params={"kind": "entity", "key": key, **params},
        headers=account.headers,
    )
    assert response.status_code == 200, response.text
    card: dict[str, Any] = response.json()
    return card


async def test_an_entity_card_says_what_the_store_knows_of_it(
    client: httpx.AsyncClient, make_account: AccountFactory, fake_engine: FakeEngine
) -> None:
    ann = await make_account("ann")
    ids = await _store(client, ann, CORPUS)
    card = await _card(client, ann, "huawei", text="Huawei", label="ORG")
    knowledge = card["knowledge"]
    assert knowledge["article_count"] == 2
    # Newest first, with what a reader needs to place them.
    assert [a["url"] for a in knowledge["latest"]] == [CHIPS_2["url"], CHIPS_1["url"]]
    assert knowledge["latest"][0]["article_id"] == ids[CHIPS_2["url"]]
    assert knowledge["latest"][0]["published_at"].startswith("2026-10-20")
    assert knowledge["latest"][1]["source"] == "Example News"
    # A whole sentence of a stored article, naming it.
    sentence = knowledge["sentence"]
    assert "Huawei" in sentence["text"]
    assert (
        sentence["text"]
        in (CHIPS_1["text"], CHIPS_2["text"])[sentence["article"]["url"] == CHIPS_2["url"]]
    )
    assert sentence["text"].endswith(".")
    # Both Huawei articles also name Nvidia and TSMC; never Huawei itself.
    together = {c["key"]: c["articles"] for c in knowledge["appears_with"]}
    assert together["nvidia"] == 2
    assert together["tsmc"] == 2
    assert "huawei" not in together
    assert {c["label"] for c in knowledge["appears_with"]} <= {"ORG", "GPE"}
    # Related articles are about Huawei: CHIPS_1 names it in passing, so only CHIPS_2.
    assert [r["url"] for r in card["related"]] == [CHIPS_2["url"]]
    assert card["related"][0]["reason"] == "about Huawei"


async def test_the_page_the_reader_is_on_is_counted_but_never_listed(
    client: httpx.AsyncClient, make_account: AccountFactory, fake_engine: FakeEngine
) -> None:
    ann = await make_account("ann")
    await _store(client, ann, CORPUS)
    # As the browser has the URL: tracking parameters and all.
    on_page = CHIPS_2["url"] + "?utm_source=feed"
    card = await _card(client, ann, "huawei", url=on_page)
    knowledge = card["knowledge"]
    assert knowledge["article_count"] == 2
    assert [a["url"] for a in knowledge["latest"]] == [CHIPS_1["url"]]
    assert knowledge["sentence"]["article"]["url"] == CHIPS_1["url"]
    # The only article about Huawei is the page itself: nothing is listed.
    assert card["related"] == []
    about_nvidia = await _card(client, ann, "nvidia", url=on_page)
    assert CHIPS_1["url"] in [r["url"] for r in about_nvidia["related"]]
    assert CHIPS_2["url"] not in [r["url"] for r in about_nvidia["related"]]


async def test_a_subject_nothing_names_gets_an_empty_card_not_the_pages_list(
    client: httpx.AsyncClient, make_account: AccountFactory, fake_engine: FakeEngine
) -> None:
    ann = await make_account("ann")
    await _store(client, ann, CORPUS)
    card = await _card(client, ann, "barack obama", text="Barack Obama", label="PERSON")
    assert card["title"] == "Barack Obama"
    assert card["knowledge"] == {
        "article_count": 0,
        "latest": [],
        "sentence": None,
        "appears_with": [],
    }
    assert card["related"] == []


async def test_copies_count_once_and_other_teams_articles_not_at_all(
    client: httpx.AsyncClient, make_account: AccountFactory, fake_engine: FakeEngine
) -> None:
    ann = await make_account("ann")
    bob = await make_account("bob", team="team-b")
    await _store(client, ann, CORPUS)
    await _store(client, ann, [{**CHIPS_2, "url": "https://syndicate.example/huawei"}])
    await _store(
        client,
        bob,
        [article("https://b.example/huawei", "Huawei in Berlin", "Huawei opened in Berlin.")],
    )
    knowledge = (await _card(client, ann, "huawei"))["knowledge"]
    assert knowledge["article_count"] == 2
    assert len(knowledge["latest"]) == 2
    assert "https://b.example/huawei" not in {a["url"] for a in knowledge["latest"]}
    assert "berlin" not in {c["key"] for c in knowledge["appears_with"]}
    bobs = (await _card(client, bob, "huawei"))["knowledge"]
    assert bobs["article_count"] == 1
    assert [c["key"] for c in bobs["appears_with"]] == ["berlin"]


async def test_a_term_card_never_lists_the_page(
    client: httpx.AsyncClient, make_account: AccountFactory, fake_engine: FakeEngine
) -> None:
    ann = await make_account("ann")
    await _store(client, ann, CORPUS)
    glossary = await client.post("/v1/glossaries", json={"name": "Chips"}, headers=ann.headers)
    term = await client.post(
        f"/v1/glossaries/{glossary.json()['id']}/terms",
        json={"term": "wafer", "definition": "A thin slice of silicon."},
        headers=ann.headers,
    )
    response = await client.get(
        "/v1/annotate/card",
        params={"kind": "term", "term_id": term.json()["id"], "url": CHIPS_1["url"]},
        headers=ann.headers,
    )
    assert response.status_code == 200, response.text
    card = response.json()
    assert card["term"]["definition"] == "A thin slice of silicon."
    assert card["knowledge"] is None
    assert CHIPS_1["url"] not in {r["url"] for r in card["related"]}


HUAWEI_PHONES = {
    "url": "https://news.example/phones/huawei-mate",
    "title": "Huawei launches a new Mate phone",
    "text": "Huawei launched its new Mate phone in Shenzhen with a brighter screen, a larger "
    "battery and a camera that Huawei says beats rivals in low light. Huawei will sell the "
    "phone in China first.",
    "published_at": "2026-11-20T09:00:00Z",
}


async def test_a_subjects_articles_come_closest_to_the_page_first(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    """Two articles about Huawei, one on chips and one on phones (the newer, and Huawei the
    more central): on a page about chips the chips story comes first; on a page about phones,
    the phones story."""
    ann = await make_account("ann")
    await _store(client, ann, [*CORPUS, HUAWEI_PHONES])
    pages = {
        "https://reader.example/chips": "Chip makers race to build accelerators for AI "
        "inference as export controls bite and Nvidia and Huawei compete for data centres.",
        "https://reader.example/phones": "The new phone has a brighter screen and a larger "
        "battery, and its camera does well in low light, reviewers of Huawei's Mate say.",
    }
    first = {}
    for url, text in pages.items():
        response = await client.post(
            "/v1/annotate",
            json={"text": text, "url": url, "include": ["related"]},
            headers=ann.headers,
        )
        assert response.status_code == 200, response.text
        card = await _card(client, ann, "huawei", text="Huawei", url=url)
        urls = [r["url"] for r in card["related"]]
        assert set(urls) == {CHIPS_2["url"], HUAWEI_PHONES["url"]}
        assert all(r["reason"].startswith("about Huawei") for r in card["related"])
        first[url] = urls[0]
    assert first["https://reader.example/chips"] == CHIPS_2["url"]
    assert first["https://reader.example/phones"] == HUAWEI_PHONES["url"]
