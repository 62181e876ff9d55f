"""Bearer tokens: required, hashed at rest, listable without secrets, revocable."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
from fastapi import FastAPI
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


async def test_a_token_may_expire(
    client: httpx.AsyncClient,
    make_account: AccountFactory,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    ann = await make_account("ann")
    soon = datetime.now(UTC) + timedelta(hours=1)
    created = await client.post(
        "/v1/tokens", json={"name": "an hour", "expires_at": soon.isoformat()}, headers=ann.headers
    )
    assert created.status_code == 201, created.text
    assert created.json()["expires_at"].startswith(soon.strftime("%Y-%m-%dT%H:%M"))
    fresh = {"Authorization": f"Bearer {created.json()['token']}"}
    assert (await client.get("/v1/me", headers=fresh)).status_code == 200
    # An hour later (moved back in the database rather than waiting):
    async with sessionmaker() as session, session.begin():
        token = await session.scalar(
            select(ApiToken).where(ApiToken.id == uuid.UUID(created.json()["id"]))
        )
        assert token is not None
        token.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    expired = await client.get("/v1/me", headers=fresh)
    assert_problem(expired, 401, "unauthorized")
    assert "expired" in expired.json()["detail"]
    for when in ("2000-01-01T00:00:00Z", "0001-01-01T00:00:00+01:00", "tomorrow"):
        refused = await client.post(
            "/v1/tokens", json={"name": "x", "expires_at": when}, headers=ann.headers
        )
        assert_problem(refused, 422, "validation-error")


async def test_a_user_holds_a_bounded_number_of_tokens(
    client: httpx.AsyncClient, make_account: AccountFactory, app: FastAPI
) -> None:
    ann = await make_account("ann")  # holds one token already
    limit = app.state.settings.max_tokens_per_user
    for i in range(limit - 1):
        made = await client.post("/v1/tokens", json={"name": f"t{i}"}, headers=ann.headers)
        assert made.status_code == 201, made.text
    refused = await client.post("/v1/tokens", json={"name": "one more"}, headers=ann.headers)
    problem = assert_problem(refused, 409, "conflict")
    assert problem["limit"] == limit
    # Revoking one makes room.
    first = (await client.get("/v1/tokens", headers=ann.headers)).json()[-1]
    await client.delete(f"/v1/tokens/{first['id']}", headers=ann.headers)
    again = await client.post("/v1/tokens", json={"name": "one more"}, headers=ann.headers)
    assert again.status_code == 201
