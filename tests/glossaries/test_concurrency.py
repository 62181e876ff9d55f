"""Concurrent writers: with one ETag exactly one PATCH wins; one form goes to one term."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tests.conftest import Account
from tests.glossaries.conftest import add_term

# commits: concurrent requests need connections of their own.
pytestmark = pytest.mark.commits

G = "/v1/glossaries"


async def test_concurrent_patches_with_one_etag_exactly_one_wins(
    client: httpx.AsyncClient, editor: Account, owner: Account, glossary: dict[str, Any]
) -> None:
    gid = glossary["id"]
    term = (await add_term(client, editor, gid, term="inference")).json()
    url = f"{G}/{gid}/terms/{term['id']}"
    for round_ in range(5):
        read = await client.get(url, headers=editor.headers)
        etag = read.headers["etag"]
        responses = await asyncio.gather(
            *(
                client.patch(
                    url,
                    json={"definition": f"round {round_} by {who.user.name}"},
                    headers={**who.headers, "If-Match": etag},
                )
                for who in (editor, owner)
            )
        )
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [200, 412], [r.text for r in responses]
        winner = next(r for r in responses if r.status_code == 200).json()
        now = (await client.get(url, headers=editor.headers)).json()
        assert now["definition"] == winner["definition"]
        assert now["version"] == read.json()["version"] + 1
    history = (await client.get(f"{url}/history", headers=editor.headers)).json()["items"]
    assert [i["action"] for i in history].count("update") == 5


async def test_concurrent_creates_of_one_form_give_it_to_one_term(
    client: httpx.AsyncClient, editor: Account, owner: Account, glossary: dict[str, Any]
) -> None:
    gid = glossary["id"]
    responses = await asyncio.gather(
        add_term(client, editor, gid, term="Token", definition="by editor"),
        add_term(client, owner, gid, term="token", definition="by owner"),
        add_term(client, owner, gid, term="tokens", aliases=["TOKEN"]),
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201, 409, 409], [r.text for r in responses]
    listed = (await client.get(f"{G}/{gid}/terms", headers=editor.headers)).json()["items"]
    assert len(listed) == 1


async def test_concurrent_patches_without_if_match_both_apply_to_the_current_term(
    client: httpx.AsyncClient, editor: Account, owner: Account, glossary: dict[str, Any]
) -> None:
    gid = glossary["id"]
    term = (await add_term(client, editor, gid, term="inference")).json()
    url = f"{G}/{gid}/terms/{term['id']}"
    responses = await asyncio.gather(
        client.patch(url, json={"definition": "Running a model."}, headers=editor.headers),
        client.patch(url, json={"tags": ["ml"]}, headers={**owner.headers, "If-Match": "*"}),
    )
    assert [r.status_code for r in responses] == [200, 200], [r.text for r in responses]
    now = (await client.get(url, headers=editor.headers)).json()
    assert (now["definition"], now["tags"], now["version"]) == ("Running a model.", ["ml"], 3)
    history = (await client.get(f"{url}/history", headers=editor.headers)).json()["items"]
    # Each revision's "before" is the term as the other edit left it: nothing is lost.
    assert history[0]["before"] == history[1]["after"]
