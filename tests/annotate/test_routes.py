"""POST /v1/annotate and the hover card: contract, offsets, glossaries by version, cache, limits."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from gloss.annotate.schemas import AnnotateResponse
from tests.api.test_errors import assert_problem
from tests.conftest import Account, AccountFactory

ARTICLE = (
    "DeepSeek said on Monday that its new reasoning models cut the cost of inference. "
    "Analysts in Beijing expect the topic to come up at the Two Sessions, where Li Qiang "
    "will speak. Nvidia shares fell 3% after the announcement. Li also met Tim Cook."
)


async def create_glossary(
    client: httpx.AsyncClient, account: Account, terms: list[dict[str, Any]], name: str = "AI"
) -> str:
    assert account.team is not None
    created = await client.post(
        "/v1/glossaries",
        json={"name": name, "team_id": str(account.team.id)},
        headers=account.headers,
    )
    assert created.status_code == 201, created.text
    glossary_id: str = created.json()["id"]
    for term in terms:
        response = await client.post(
            f"/v1/glossaries/{glossary_id}/terms", json=term, headers=account.headers
        )
        assert response.status_code == 201, response.text
    return glossary_id


GLOSSARY = [
    {"term": "inference", "definition": "Running a trained model to get answers."},
    {"term": "reasoning model", "definition": "A model trained to think step by step."},
    {
        "term": "Two Sessions",
        "definition": "China's annual parliamentary meetings.",
        "case_sensitive": True,
    },
    {"term": "DeepSeek", "definition": "A Chinese AI company.", "entity_label": "ORG"},
]


async def annotate(client: httpx.AsyncClient, account: Account, **body: Any) -> dict[str, Any]:
    response = await client.post("/v1/annotate", json=body, headers=account.headers)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_contract_shape(client: httpx.AsyncClient, make_account: AccountFactory) -> None:
    ann = await make_account("ann")
    await create_glossary(client, ann, GLOSSARY)
    body = await annotate(client, ann, text=ARTICLE, url="https://example.com/a")
    assert set(body) == {
        "offsets",
        "text_sha256",
        "entities",
        "terms",
        "pending_glossaries",
        "related",
        "model",
        "elapsed_ms",
    }
    assert body["pending_glossaries"] == []  # every glossary here is small: compiled inline
    # The service renders the JSON itself; it must be exactly the documented model.
    assert AnnotateResponse.model_validate(body).model_dump(mode="json") == body
    assert body["offsets"] == "utf16"
    assert body["text_sha256"] == hashlib.sha256(ARTICLE.encode()).hexdigest()
    assert body["model"]["version"] == "3.8.0"
    for span in body["entities"] + body["terms"]:
        assert ARTICLE[span["start"] : span["end"]] == span["text"]
    found_terms = {t["term"] for t in body["terms"]}
    assert found_terms >= {"inference", "reasoning model", "Two Sessions", "DeepSeek"}
    term = next(t for t in body["terms"] if t["term"] == "inference")
    assert term["definition"] == "Running a trained model to get answers."
    labels = {e["text"]: e["label"] for e in body["entities"]}
    assert labels.get("DeepSeek") == "ORG"  # the glossary's label wins over the model
    assert labels.get("Nvidia") == "ORG"
    assert labels.get("Beijing") == "GPE"


async def test_offsets_in_both_units_with_astral_text(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann")
    await create_glossary(client, ann, GLOSSARY)
    text = "🎉🇨🇳 Big news: 北京 reports that 𝒶 DeepSeek model speeds up inference 👍🏽."
    utf16 = await annotate(client, ann, text=text, include=["terms"])
    codepoint = await annotate(client, ann, text=text, include=["terms"], offsets="codepoint")
    encoded = text.encode("utf-16-le")
    for t in utf16["terms"]:
        assert encoded[t["start"] * 2 : t["end"] * 2].decode("utf-16-le") == t["text"]
    for t in codepoint["terms"]:
        assert text[t["start"] : t["end"]] == t["text"]
    assert {t["text"] for t in utf16["terms"]} == {"DeepSeek", "inference"}
    first16 = min(t["start"] for t in utf16["terms"])
    first_cp = min(t["start"] for t in codepoint["terms"])
    assert first16 > first_cp  # the emoji before the span count twice in UTF-16


async def test_lone_surrogates_do_not_crash(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann")
    await create_glossary(client, ann, GLOSSARY)
    raw = '{"text": "\\ud83d broken \\udc00 then inference here"}'
    response = await client.post(
        "/v1/annotate",
        content=raw.encode(),
        headers={**ann.headers, "content-type": "application/json"},
    )
    assert response.status_code == 200, response.text
    terms = response.json()["terms"]
    assert [(t["start"], t["end"]) for t in terms] == [(16, 25)]


async def test_empty_and_whitespace_text_answer_empty(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann")
    for text in ("", "   \n\t  "):
        body = await annotate(client, ann, text=text)
        assert body["entities"] == []
        assert body["terms"] == []
        assert body["related"] == []


async def test_text_over_the_limit_is_413_naming_the_limit(
    app: FastAPI, client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann")
    limit = app.state.settings.max_annotate_chars
    response = await client.post(
        "/v1/annotate", json={"text": "a" * (limit + 1)}, headers=ann.headers
    )
    body = assert_problem(response, 413, "payload-too-large")
    assert str(limit) in str(body["detail"])
    assert body["limit_chars"] == limit


async def test_every_answer_on_screen_is_marked_answered(
    app: FastAPI, client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    """A request on screen holds back long pages' tails until its answer is sent: answered,
    refused or served from the cache, none is left marked as being answered."""
    ann = await make_account("ann")
    limit = app.state.settings.max_annotate_chars
    await annotate(client, ann, text=ARTICLE)
    await annotate(client, ann, text=ARTICLE)  # the cached repeat
    await annotate(client, ann, text=ARTICLE + " More.", priority="background")
    too_long = await client.post(
        "/v1/annotate", json={"text": "a" * (limit + 1)}, headers=ann.headers
    )
    assert too_long.status_code == 413
    assert app.state.nlp._answering == {}


async def test_include_limits_the_work(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann")
    await create_glossary(client, ann, GLOSSARY)
    only_terms = await annotate(client, ann, text=ARTICLE, include=["terms"])
    assert only_terms["entities"] == []
    assert only_terms["terms"]
    only_entities = await annotate(client, ann, text=ARTICLE, include=["entities"])
    assert only_entities["terms"] == []
    assert only_entities["entities"]


async def test_other_teams_glossaries_are_not_used_or_named(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann", team="a")
    bob = await make_account("bob", team="b")
    bobs = await create_glossary(client, bob, GLOSSARY)
    body = await annotate(client, ann, text=ARTICLE, include=["terms"])
    assert body["terms"] == []
    response = await client.post(
        "/v1/annotate", json={"text": ARTICLE, "glossary_ids": [bobs]}, headers=ann.headers
    )
    assert_problem(response, 404, "not-found")


async def test_named_glossaries_only(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann")
    first = await create_glossary(client, ann, GLOSSARY[:1], name="one")
    await create_glossary(client, ann, GLOSSARY[1:2], name="two")
    body = await annotate(client, ann, text=ARTICLE, include=["terms"], glossary_ids=[first])
    assert {t["term"] for t in body["terms"]} == {"inference"}


async def test_cache_hit_and_invalidation_after_a_glossary_edit(
    app: FastAPI, client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann")
    glossary_id = await create_glossary(client, ann, GLOSSARY)
    cache = app.state.annotate_cache.answers
    first = await annotate(client, ann, text=ARTICLE)
    hits = cache.hits
    second = await annotate(client, ann, text=ARTICLE)
    assert cache.hits == hits + 1
    assert second["terms"] == first["terms"]
    assert second["entities"] == first["entities"]

    added = await client.post(
        f"/v1/glossaries/{glossary_id}/terms",
        json={"term": "shares", "definition": "Units of a company's stock."},
        headers=ann.headers,
    )
    assert added.status_code == 201
    third = await annotate(client, ann, text=ARTICLE)
    assert "shares" in {t["term"] for t in third["terms"]}


@pytest.mark.commits  # the requests run at once (asyncio.gather), each on a connection of its own
async def test_concurrent_requests_match_one_by_one(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann")
    await create_glossary(client, ann, GLOSSARY)
    texts = [f"{ARTICLE} Paragraph {i} mentions inference in Paris." for i in range(12)]
    sequential = [await annotate(client, ann, text=t) for t in texts]
    # New texts (cache misses) all at once, so the worker batches them through nlp.pipe.
    fresh = [t.replace("Paris", "Lyon") for t in texts]
    expected = [await annotate(client, ann, text=t, include=["terms"]) for t in fresh]
    together = await asyncio.gather(
        *(annotate(client, ann, text=t, include=["terms", "entities"]) for t in fresh)
    )
    for one, many in zip(expected, together, strict=True):
        assert one["terms"] == many["terms"]
    assert all(s["entities"] for s in sequential)


async def test_term_card(client: httpx.AsyncClient, make_account: AccountFactory) -> None:
    ann = await make_account("ann")
    await create_glossary(client, ann, GLOSSARY)
    body = await annotate(client, ann, text=ARTICLE, include=["terms"])
    term = next(t for t in body["terms"] if t["term"] == "inference")
    response = await client.get(
        "/v1/annotate/card",
        params={"kind": "term", "term_id": term["term_id"]},
        headers=ann.headers,
    )
    assert response.status_code == 200, response.text
    card = response.json()
    assert card["kind"] == "term"
    assert card["term"]["definition"] == "Running a trained model to get answers."
    assert card["term"]["glossary_name"] == "AI"


async def test_entity_card_finds_the_glossary_entry(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann")
    await create_glossary(client, ann, GLOSSARY)
    body = await annotate(client, ann, text=ARTICLE, include=["entities"])
    deepseek = next(e for e in body["entities"] if e["text"] == "DeepSeek")
    response = await client.get(
        "/v1/annotate/card",
        params={"kind": "entity", "key": deepseek["key"], "label": "ORG", "text": "DeepSeek"},
        headers=ann.headers,
    )
    card = response.json()
    assert card["label"] == "ORG"
    assert card["term"]["definition"] == "A Chinese AI company."


@pytest.mark.parametrize(
    "params",
    [{"kind": "term"}, {"kind": "entity"}, {"kind": "person"}],
)
async def test_card_bad_queries_are_4xx(
    client: httpx.AsyncClient, make_account: AccountFactory, params: dict[str, str]
) -> None:
    ann = await make_account("ann")
    response = await client.get("/v1/annotate/card", params=params, headers=ann.headers)
    assert_problem(response, 422, "validation-error")


async def test_another_teams_term_card_is_404(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann", team="a")
    bob = await make_account("bob", team="b")
    await create_glossary(client, bob, GLOSSARY)
    body = await annotate(client, bob, text=ARTICLE, include=["terms"])
    response = await client.get(
        "/v1/annotate/card",
        params={"kind": "term", "term_id": body["terms"][0]["term_id"]},
        headers=ann.headers,
    )
    assert_problem(response, 404, "not-found")
