"""Annotate after a term edit patches the compiled glossary instead of compiling it again."""

from __future__ import annotations

import json
from typing import Any

import httpx
from fastapi import FastAPI

from tests.annotate.test_routes import ARTICLE, GLOSSARY, annotate, create_glossary
from tests.conftest import AccountFactory


def _terms(body: dict[str, Any]) -> dict[str, str]:
    return {t["text"]: t["definition"] for t in body["terms"]}


async def test_edits_reach_annotate_without_a_full_compile(
    app: FastAPI, client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann")
    gid = await create_glossary(client, ann, GLOSSARY)
    runtime = app.state.nlp
    first = await annotate(client, ann, text=ARTICLE)
    assert "inference" in _terms(first)
    full, incremental = runtime.glossaries.full_compiles, runtime.glossaries.incremental_updates
    terms_url = f"/v1/glossaries/{gid}/terms"
    listed = (await client.get(terms_url, headers=ann.headers)).json()["items"]
    by_term = {t["term"]: t for t in listed}

    # Add a term, change one's surface and definition, delete one.
    added = await client.post(
        terms_url, json={"term": "shares", "definition": "Stock."}, headers=ann.headers
    )
    assert added.status_code == 201
    inference = by_term["inference"]
    changed = await client.patch(
        f"{terms_url}/{inference['id']}",
        json={"term": "Analysts", "definition": "People who analyse."},
        headers=ann.headers,
    )
    assert changed.status_code == 200, changed.text
    deleted = await client.delete(
        f"{terms_url}/{by_term['reasoning model']['id']}", headers=ann.headers
    )
    assert deleted.status_code == 204, deleted.text

    second = _terms(await annotate(client, ann, text=ARTICLE))
    assert second.get("shares") == "Stock."
    assert second.get("Analysts") == "People who analyse."
    assert "inference" not in second
    assert "reasoning models" not in second
    assert "Two Sessions" in second
    assert runtime.glossaries.full_compiles == full
    assert runtime.glossaries.incremental_updates == incremental + 1

    # A stale If-Match is refused and changes nothing; annotate still agrees with the data.
    stale = await client.patch(
        f"{terms_url}/{inference['id']}",
        json={"definition": "never"},
        headers={**ann.headers, "If-Match": '"stale"'},
    )
    assert stale.status_code == 412
    third = _terms(await annotate(client, ann, text=ARTICLE))
    assert third == second
    assert runtime.glossaries.full_compiles == full

    # Restoring the deleted term comes back through the history too.
    restored = await client.post(
        f"{terms_url}/{by_term['reasoning model']['id']}/restore", headers=ann.headers
    )
    assert restored.status_code == 201, restored.text
    fourth = _terms(await annotate(client, ann, text=ARTICLE))
    assert "reasoning models" in fourth
    assert runtime.glossaries.full_compiles == full


async def test_a_large_import_falls_back_to_a_full_compile(
    app: FastAPI, client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann")
    gid = await create_glossary(client, ann, GLOSSARY)
    runtime = app.state.nlp
    await annotate(client, ann, text=ARTICLE)
    full, incremental = runtime.glossaries.full_compiles, runtime.glossaries.incremental_updates
    rows = [{"term": f"filler term {i}", "definition": "x"} for i in range(60)]
    rows.append({"term": "shares", "definition": "Stock."})
    imported = await client.post(
        f"/v1/glossaries/{gid}/import",
        content=json.dumps(rows).encode(),
        headers={**ann.headers, "content-type": "application/json"},
    )
    assert imported.status_code in (200, 201), imported.text
    found = _terms(await annotate(client, ann, text=ARTICLE))
    assert found.get("shares") == "Stock."
    assert runtime.glossaries.full_compiles == full + 1
    assert runtime.glossaries.incremental_updates == incremental


async def test_a_rename_moves_the_version_without_a_compile(
    app: FastAPI, client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann")
    gid = await create_glossary(client, ann, GLOSSARY)
    runtime = app.state.nlp
    first = _terms(await annotate(client, ann, text=ARTICLE))
    full, incremental = runtime.glossaries.full_compiles, runtime.glossaries.incremental_updates
    url = f"/v1/glossaries/{gid}"
    etag = (await client.get(url, headers=ann.headers)).headers["etag"]
    renamed = await client.patch(
        url, json={"name": "Renamed"}, headers={**ann.headers, "If-Match": etag}
    )
    assert renamed.status_code == 200, renamed.text
    stale = await client.patch(
        url, json={"name": "Again"}, headers={**ann.headers, "If-Match": etag}
    )
    assert stale.status_code == 412
    assert _terms(await annotate(client, ann, text=ARTICLE)) == first
    assert runtime.glossaries.full_compiles == full
    assert runtime.glossaries.incremental_updates == incremental + 1
