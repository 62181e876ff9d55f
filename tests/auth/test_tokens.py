"""Bearer tokens: required, hashed at rest, listable without secrets, revocable."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gloss.auth.service import hash_token
from gloss.models import ApiToken
from tests.api.test_errors import assert_problem
from tests.conftest import AccountFactory


async def test_me_without_token_is_401_with_challenge(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/me")
    assert_problem(response, 401, "unauthorized")
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_me_with_unknown_token_is_401(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/me", headers={"Authorization": "Bearer gls_nope"})
    assert_problem(response, 401, "unauthorized")


async def test_me_with_wrong_scheme_is_401(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    account = await make_account("ann")
    response = await client.get("/v1/me", headers={"Authorization": f"Basic {account.token}"})
    assert_problem(response, 401, "unauthorized")


async def test_me_lists_my_teams_and_roles(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    account = await make_account("ann", team="news", role="editor")
    await make_account("ann", team="research", role="viewer")
    response = await client.get("/v1/me", headers=account.headers)
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "ann"
    assert {(t["name"], t["role"]) for t in body["teams"]} == {
        ("news", "editor"),
        ("research", "viewer"),
    }


async def test_tokens_are_stored_only_as_hashes(
    client: httpx.AsyncClient,
    make_account: AccountFactory,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    account = await make_account("ann")
    created = await client.post("/v1/tokens", json={"name": "laptop"}, headers=account.headers)
    assert created.status_code == 201
    secret = created.json()["token"]
    async with sessionmaker() as session:
        rows = (await session.scalars(select(ApiToken))).all()
    stored = {r.token_hash for r in rows}
    assert hash_token(secret) in stored
    assert secret not in stored
    assert all(secret not in (r.token_hash, r.prefix, r.name) for r in rows)


async def test_create_list_and_revoke_token(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    account = await make_account("ann")
    created = (
        await client.post("/v1/tokens", json={"name": "laptop"}, headers=account.headers)
    ).json()
    new_headers = {"Authorization": f"Bearer {created['token']}"}
    assert (await client.get("/v1/me", headers=new_headers)).status_code == 200

    listed = (await client.get("/v1/tokens", headers=account.headers)).json()
    assert {t["name"] for t in listed} == {"test", "laptop"}
    assert all("token" not in t for t in listed)
    laptop = next(t for t in listed if t["name"] == "laptop")
    assert laptop["last_used_at"] is not None  # it was just used for /v1/me

    revoked = await client.delete(f"/v1/tokens/{created['id']}", headers=account.headers)
    assert revoked.status_code == 204
    assert_problem(await client.get("/v1/me", headers=new_headers), 401, "unauthorized")
    assert (await client.get("/v1/me", headers=account.headers)).status_code == 200


async def test_cannot_revoke_another_users_token(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann")
    bob = await make_account("bob")
    bobs = (await client.get("/v1/tokens", headers=bob.headers)).json()
    response = await client.delete(f"/v1/tokens/{bobs[0]['id']}", headers=ann.headers)
    assert_problem(response, 404, "not-found")
    assert (await client.get("/v1/me", headers=bob.headers)).status_code == 200
