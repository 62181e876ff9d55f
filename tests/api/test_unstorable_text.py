"""NUL in what a client sends is a 422, never a 500: names refuse control characters, and
anything PostgreSQL cannot store (NUL in text) is answered as invalid input."""

from __future__ import annotations

import json

import httpx

from tests.api.test_errors import assert_problem
from tests.collections.conftest import ANNO, annotation
from tests.conftest import AccountFactory


async def test_names_with_control_characters_are_422(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    owner = await make_account("olga")
    assert owner.team is not None
    h = owner.headers
    assert_problem(await client.post("/v1/teams", json={"name": "a\x00b"}, headers=h), 422,
                   "validation-error")  # fmt: skip
    members = f"/v1/teams/{owner.team.id}/members"
    for user in ("nul\x00", "bell\x07", "line\nbreak"):
        response = await client.post(members, json={"user": user}, headers=h)
        assert_problem(response, 422, "validation-error")
    response = await client.post("/v1/tokens", json={"name": "t\x00"}, headers=h)
    assert_problem(response, 422, "validation-error")


async def test_nul_anywhere_else_is_stored_or_422_never_500(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    """SQLite stores NUL, PostgreSQL refuses it: either is fine, a 500 is not."""
    owner = await make_account("olga")
    assert owner.team is not None
    h = owner.headers
    created = await client.post(
        "/v1/collections", json={"name": "C\x00D", "team_id": str(owner.team.id)}, headers=h
    )
    if created.status_code != 201:
        assert_problem(created, 422, "validation-error")
    plain = await client.post(
        "/v1/collections", json={"name": "Plain", "team_id": str(owner.team.id)}, headers=h
    )
    assert plain.status_code == 201, plain.text
    posted = await client.post(
        f"/v1/collections/{plain.json()['id']}/annotations/",
        content=json.dumps(annotation(note="a note with \x00 inside")),
        headers={**h, "Content-Type": ANNO},
    )
    if posted.status_code != 201:
        assert_problem(posted, 422, "validation-error")
