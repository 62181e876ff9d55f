"""Every error is application/problem+json with a stable type; nothing a client sends is a 500."""

from __future__ import annotations

import httpx

from gloss.settings import Settings
from tests.conftest import AccountFactory

PROBLEM = "application/problem+json"


def assert_problem(response: httpx.Response, status: int, slug: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status
    assert body["type"] == f"https://gloss.dev/problems/{slug}"
    assert isinstance(body["detail"], str)
    assert body["detail"]
    return body  # type: ignore[no-any-return]


async def test_unknown_route_is_problem_404(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.get("/v1/nothing-here"), 404, "not-found")
    assert "/v1/nothing-here" in str(body["detail"])


async def test_wrong_method_is_problem_405(client: httpx.AsyncClient) -> None:
    assert_problem(await client.put("/healthz"), 405, "method-not-allowed")


async def test_malformed_json_is_problem_400(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    account = await make_account("ann")
    response = await client.post(
        "/v1/teams",
        content=b'{"name": "x"',
        headers={**account.headers, "content-type": "application/json"},
    )
    assert_problem(response, 400, "malformed-json")


async def test_wrong_type_is_problem_422_with_field_errors(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    account = await make_account("ann")
    response = await client.post("/v1/teams", json={"name": 42}, headers=account.headers)
    body = assert_problem(response, 422, "validation-error")
    errors = body["errors"]
    assert isinstance(errors, list)
    assert errors[0]["loc"] == ["body", "name"]


async def test_unknown_field_is_422(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    account = await make_account("ann")
    response = await client.post(
        "/v1/teams", json={"name": "x", "colour": "red"}, headers=account.headers
    )
    assert_problem(response, 422, "validation-error")


async def test_bad_uuid_in_path_is_422(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    account = await make_account("ann")
    response = await client.get("/v1/teams/not-a-uuid", headers=account.headers)
    assert_problem(response, 422, "validation-error")


async def test_body_over_the_limit_is_413(
    client: httpx.AsyncClient, make_account: AccountFactory, settings: Settings
) -> None:
    account = await make_account("ann")
    limit = settings.max_body_bytes
    response = await client.post(
        "/v1/teams",
        content=b"x" * (limit + 1),
        headers={**account.headers, "content-type": "application/json"},
    )
    body = assert_problem(response, 413, "payload-too-large")
    assert body["limit_bytes"] == limit
