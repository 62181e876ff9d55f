"""Large glossaries compile off the request path: annotate serves the version held before (or
none of the glossary) and says so in `pending_glossaries`, other teams' annotations go on while
the compile runs, and the answer made with the older version is never served for the newer.

The compile is held at a gate between two of its steps (the engine's thread is free there, as
it is between any two steps), so nothing here depends on timing. "Large" is lowered to two terms
for these tests (`CompiledGlossaries.inline_terms`; GLOSS_INLINE_COMPILE_TERMS in a server)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from gloss.nlp.terms import GlossaryBuilder
from gloss.runtime import CompiledGlossaries
from tests.annotate.test_routes import ARTICLE, GLOSSARY, annotate, create_glossary
from tests.conftest import AccountFactory

# The background compile reads the terms in a session of its own, beside the requests' ones.
pytestmark = pytest.mark.commits


class Gate:
    """Holds compiles of one glossary after their first step until `release()`."""

    def __init__(self, glossaries: CompiledGlossaries, monkeypatch: pytest.MonkeyPatch) -> None:
        self.glossary_id: str | None = None
        self.reached = asyncio.Event()
        self._open = asyncio.Event()
        self.fail_next = False
        step: Callable[[GlossaryBuilder], Awaitable[bool]] = glossaries._step

        async def gated(builder: GlossaryBuilder) -> bool:
            if builder.glossary_id == self.glossary_id and self.fail_next:
                self.fail_next = False
                raise RuntimeError("a compile that fails (test)")
            done = await step(builder)
            if builder.glossary_id == self.glossary_id and builder.steps == 1:
                self.reached.set()
                await self._open.wait()
            return done

        monkeypatch.setattr(glossaries, "_step", gated)
        monkeypatch.setattr(glossaries, "inline_terms", 2)

    def hold(self, glossary_id: str) -> None:
        self.glossary_id = glossary_id
        self.reached.clear()
        self._open.clear()

    def release(self) -> None:
        self._open.set()


def _terms(body: dict[str, Any]) -> dict[str, str]:
    return {t["text"]: t["definition"] for t in body["terms"]}


async def test_a_large_glossary_compiles_in_the_background_and_the_answer_says_so(
    app: FastAPI,
    client: httpx.AsyncClient,
    make_account: AccountFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    runtime = app.state.nlp
    glossaries: CompiledGlossaries = runtime.glossaries
    gate = Gate(glossaries, monkeypatch)
    ann = await make_account("ann", team="team-a")
    bob = await make_account("bob", team="team-b")
    gid = await create_glossary(client, ann, GLOSSARY)  # four terms: "large" here
    await create_glossary(client, bob, [{"term": "shares", "definition": "Bob's shares."}])
    version = (await client.get(f"/v1/glossaries/{gid}", headers=ann.headers)).json()["version"]

    # Never compiled, large: the answer comes at once, without the glossary, and says so.
    gate.hold(gid)
    first = await annotate(client, ann, text=ARTICLE, include=["entities", "terms"])
    assert first["terms"] == []
    assert first["pending_glossaries"] == [
        {"glossary_id": gid, "version": version, "served_version": None}
    ]
    assert first["entities"]  # the rest of the answer is whole
    await gate.reached.wait()  # the compile is under way, held between two steps

    # Meanwhile another team's page goes through the engine (its small glossary compiled
    # inline), and asking again starts no second compile of the same glossary.
    started = glossaries.background_compiles
    other = await annotate(client, bob, text=ARTICLE, include=["entities", "terms"])
    assert _terms(other) == {"shares": "Bob's shares."}
    assert other["pending_glossaries"] == []
    again = await annotate(client, ann, text=ARTICLE, include=["entities", "terms"])
    assert again["pending_glossaries"] == first["pending_glossaries"]
    assert glossaries.background_compiles == started
    assert glossaries.building(gid) == version

    gate.release()
    await glossaries.settled()
    done = await annotate(client, ann, text=ARTICLE, include=["entities", "terms"])
    assert done["pending_glossaries"] == []
    assert "inference" in _terms(done)

    # An import too large to patch: the new version compiles in the background and the
    # version held is served meanwhile, with the notice.
    rows = [{"term": f"filler term {i}", "definition": "x"} for i in range(60)]
    rows.append({"term": "shares", "definition": "Stock."})
    imported = await client.post(
        f"/v1/glossaries/{gid}/import",
        content=json.dumps(rows).encode(),
        headers={**ann.headers, "content-type": "application/json"},
    )
    assert imported.status_code in (200, 201), imported.text
    newest = (await client.get(f"/v1/glossaries/{gid}", headers=ann.headers)).json()["version"]
    full = glossaries.full_compiles
    gate.hold(gid)
    during = await annotate(client, ann, text=ARTICLE, include=["entities", "terms"])
    assert during["pending_glossaries"] == [
        {"glossary_id": gid, "version": newest, "served_version": version}
    ]
    assert _terms(during) == _terms(done)  # the previous version's terms, "shares" not yet
    await gate.reached.wait()
    assert _terms(await annotate(client, bob, text=ARTICLE)) == {"shares": "Bob's shares."}
    gate.release()
    await glossaries.settled()
    assert glossaries.full_compiles == full + 1

    # The same page again: the answer made with the older version is not served for the new.
    after = await annotate(client, ann, text=ARTICLE, include=["entities", "terms"])
    assert after["pending_glossaries"] == []
    assert _terms(after).get("shares") == "Stock."
    assert after["text_sha256"] == during["text_sha256"]


async def test_a_failed_compile_is_logged_and_tried_again_on_the_next_request(
    app: FastAPI,
    client: httpx.AsyncClient,
    make_account: AccountFactory,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    glossaries: CompiledGlossaries = app.state.nlp.glossaries
    gate = Gate(glossaries, monkeypatch)
    ann = await make_account("ann", team="team-a")
    gid = await create_glossary(client, ann, GLOSSARY)
    gate.glossary_id = gid
    gate.release()
    gate.fail_next = True
    failed = glossaries.failed_compiles
    with caplog.at_level(logging.ERROR, logger="gloss.nlp"):
        first = await annotate(client, ann, text=ARTICLE, include=["terms"])
        await glossaries.settled()
    assert first["pending_glossaries"][0]["served_version"] is None
    assert glossaries.failed_compiles == failed + 1
    assert any(
        "failed; the next request for it tries again" in r.getMessage() for r in caplog.records
    )
    assert glossaries.building(gid) is None

    retried = await annotate(client, ann, text=ARTICLE, include=["terms"])
    assert retried["pending_glossaries"] == first["pending_glossaries"]  # started again
    await glossaries.settled()
    ready = await annotate(client, ann, text=ARTICLE, include=["terms"])
    assert ready["pending_glossaries"] == []
    assert "inference" in _terms(ready)


async def test_a_small_glossary_that_fails_to_compile_is_pending_not_a_500(
    app: FastAPI,
    client: httpx.AsyncClient,
    make_account: AccountFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    glossaries: CompiledGlossaries = app.state.nlp.glossaries
    gate = Gate(glossaries, monkeypatch)
    monkeypatch.setattr(glossaries, "inline_terms", 100)  # compiled on the request
    ann = await make_account("ann", team="team-a")
    gid = await create_glossary(client, ann, GLOSSARY)
    gate.glossary_id = gid
    gate.release()
    gate.fail_next = True
    first = await annotate(client, ann, text=ARTICLE, include=["terms"])
    assert first["terms"] == []
    assert [p["glossary_id"] for p in first["pending_glossaries"]] == [gid]
    second = await annotate(client, ann, text=ARTICLE, include=["terms"])
    assert second["pending_glossaries"] == []
    assert "inference" in _terms(second)


async def test_ingest_waits_for_a_compile_in_flight(
    app: FastAPI,
    client: httpx.AsyncClient,
    make_account: AccountFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Ingest stores what the newest glossary finds, so it waits for the compile (whose steps
    leave the engine's thread to others meanwhile)."""
    glossaries: CompiledGlossaries = app.state.nlp.glossaries
    gate = Gate(glossaries, monkeypatch)
    ann = await make_account("ann", team="team-a")
    gid = await create_glossary(client, ann, GLOSSARY)
    gate.hold(gid)
    pending = await annotate(client, ann, text=ARTICLE, include=["terms"])
    assert pending["pending_glossaries"]
    await gate.reached.wait()
    stored = asyncio.create_task(
        client.post(
            "/v1/articles",
            json={"url": "https://example.com/a", "title": "A", "text": ARTICLE},
            headers=ann.headers,
        )
    )
    gate.release()
    response = await stored
    assert response.status_code == 201, response.text
    # Stored with the glossary's terms: the ingest used the compile it waited for.
    terms = {m["text"] for m in response.json()["mentions"] if m["kind"] == "term"}
    assert "inference" in terms
