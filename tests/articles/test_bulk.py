"""Bulk NDJSON ingest: good lines are stored, bad lines are reported with their numbers."""

from __future__ import annotations

import json

import httpx

from tests.api.test_errors import assert_problem
from tests.articles.conftest import CHIPS_1, CHIPS_2, CORPUS, RATES_1, FakeEngine
from tests.conftest import AccountFactory


def ndjson(*lines: object) -> bytes:
    return b"\n".join(
        line if isinstance(line, bytes) else json.dumps(line).encode() for line in lines
    )


async def test_bad_lines_are_reported_and_good_ones_stored(
    client: httpx.AsyncClient, make_account: AccountFactory, fake_engine: FakeEngine
) -> None:
    ann = await make_account("ann")
    body = ndjson(
        CHIPS_1,
        b'{"url": "https://a.example/broken", "title": ',
        {"url": "https://a.example/no-text", "title": "No text"},
        b"",
        CHIPS_2,
        {**CHIPS_1, "url": CHIPS_1["url"] + "?utm_source=x"},
        {**RATES_1, "team_id": str(ann.team.id)},  # type: ignore[union-attr]
        RATES_1,
    )
    response = await client.post(
        "/v1/articles/bulk",
        content=body,
        headers={**ann.headers, "content-type": "application/x-ndjson"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-ndjson")
    results = [json.loads(line) for line in response.text.splitlines()]
    summary = results.pop()
    by_line = {r["line"]: r for r in results}
    assert sorted(by_line) == [1, 2, 3, 5, 6, 7, 8]
    assert by_line[1]["status"] == "created"
    assert by_line[2]["status"] == "error"
    assert by_line[2]["error"]["type"] == "https://gloss.dev/problems/malformed-json"
    assert by_line[3]["status"] == "error"
    assert "text" in by_line[3]["error"]["detail"]
    assert by_line[5]["status"] == "created"
    assert by_line[6] == {**by_line[6], "status": "unchanged", "id": by_line[1]["id"]}
    assert by_line[7]["status"] == "error"
    assert by_line[8]["status"] == "created"
    assert summary == {
        "summary": {"created": 3, "updated": 0, "unchanged": 1, "error": 3},
        "lines": 7,
    }
    listed = (await client.get("/v1/articles", headers=ann.headers)).json()["items"]
    assert len(listed) == 3
    # Each new text annotated once (the repeated line is not annotated again).
    assert len(fake_engine.texts) == 3


async def test_bulk_streams_in_batches_and_keeps_line_order(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann")
    lines = [
        {**CORPUS[i % len(CORPUS)], "url": f"https://bulk.example/{i}", "text": f"story {i} " * 5}
        for i in range(150)
    ]
    lines[70] = {"url": "not a url", "title": "x", "text": "y"}
    response = await client.post(
        "/v1/articles/bulk",
        params={"team_id": str(ann.team.id)},  # type: ignore[union-attr]
        content=ndjson(*lines) + b"\n",
        headers=ann.headers,
    )
    results = [json.loads(line) for line in response.text.splitlines()]
    assert [r["line"] for r in results[:-1]] == list(range(1, 151))
    assert results[70]["status"] == "error"
    assert results[-1]["summary"]["created"] == 149


async def test_bulk_needs_an_editor(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    await make_account("ann")
    vic = await make_account("vic", role="viewer")
    response = await client.post("/v1/articles/bulk", content=ndjson(CHIPS_1), headers=vic.headers)
    assert_problem(response, 403, "forbidden")
