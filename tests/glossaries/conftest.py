"""Glossary fixtures: a team with an owner, an editor and a viewer, and one glossary."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import Account, AccountFactory


@pytest.fixture
async def owner(make_account: AccountFactory) -> Account:
    return await make_account("olga", team="desk", role="owner")


@pytest.fixture
async def editor(make_account: AccountFactory, owner: Account) -> Account:
    return await make_account("eddie", team="desk", role="editor")


@pytest.fixture
async def viewer(make_account: AccountFactory, owner: Account) -> Account:
    return await make_account("vic", team="desk", role="viewer")


@pytest.fixture
async def outsider(make_account: AccountFactory) -> Account:
    return await make_account("oscar", team="elsewhere", role="owner")


@pytest.fixture
async def glossary(client: httpx.AsyncClient, owner: Account) -> dict[str, Any]:
    assert owner.team is not None
    response = await client.post(
        "/v1/glossaries",
        json={"team_id": str(owner.team.id), "name": "AI policy", "description": "Terms"},
        headers=owner.headers,
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def add_term(
    client: httpx.AsyncClient, account: Account, glossary_id: str, **fields: Any
) -> httpx.Response:
    return await client.post(
        f"/v1/glossaries/{glossary_id}/terms", json=fields, headers=account.headers
    )
