"""PostgreSQL going away behind a live server: /readyz and the API answer 503 problems with
Retry-After (never a hang, never a 500), and the service comes back by itself."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy.engine import make_url

from tests.faults.conftest import Deployment
from tests.faults.tcp_proxy import TcpProxy

# commits: a live server process writes; the test reads what it committed.
pytestmark = pytest.mark.commits

UNAVAILABLE = "https://gloss.dev/problems/service-unavailable"
# Generous: the server's own timeouts are 2 s here; this only catches a hang.
REQUEST_TIMEOUT = 30


@pytest.fixture
def proxied(
    database_url: str, request: pytest.FixtureRequest
) -> Iterator[tuple[Deployment, TcpProxy]]:
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        pytest.skip(
            "needs PostgreSQL (GLOSS_TEST_DATABASE_URL): an embedded SQLite file cannot go away "
            "under a live process the way a network database does"
        )
    deployment: Deployment = request.getfixturevalue("deployment")
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    port = proxy.start()
    through = url.set(host="127.0.0.1", port=port).render_as_string(hide_password=False)
    deployment.env.update(
        GLOSS_DATABASE_URL=through,
        GLOSS_DB_CONNECT_TIMEOUT_S="2",
        GLOSS_DB_COMMAND_TIMEOUT_S="2",
        GLOSS_DB_POOL_TIMEOUT_S="2",
        GLOSS_DB_POOL_SIZE="3",
    )
    try:
        yield deployment, proxy
    finally:
        proxy.stop()


def _assert_unavailable(response: httpx.Response) -> None:
    where = f"{response.request.method} {response.request.url.path}"
    assert response.status_code == 503, f"{where}: {response.status_code} {response.text}"
    assert response.headers["content-type"].startswith("application/problem+json"), where
    assert int(response.headers["retry-after"]) > 0, where


async def test_database_outage_is_503_and_heals_by_itself(
    proxied: tuple[Deployment, TcpProxy],
) -> None:
    deployment, proxy = proxied
    headers = deployment.headers
    with deployment.serve() as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=REQUEST_TIMEOUT) as http:
            me = await http.get("/v1/me", headers=headers)
            assert me.status_code == 200, me.text
            team_id = me.json()["teams"][0]["id"]
            # Fill the pool with live connections, so the cut strands some of them.
            warm = await asyncio.gather(
                *(http.get("/v1/glossaries", headers=headers) for _ in range(6))
            )
            assert {r.status_code for r in warm} == {200}

            proxy.cut()
            for _ in range(2):  # pooled connections first, then fresh connection attempts
                ready = await http.get("/readyz")
                _assert_unavailable(ready)
                assert ready.json()["checks"]["database"] == "unreachable"
                answers = await asyncio.gather(
                    http.get("/v1/me", headers=headers),
                    http.get("/v1/glossaries", headers=headers),
                    http.post(
                        "/v1/glossaries",
                        json={"team_id": team_id, "name": f"during outage {time.time()}"},
                        headers=headers,
                    ),
                    http.get("/v1/collections", headers=headers),
                )
                for response in answers:
                    _assert_unavailable(response)
                    assert response.json()["type"] == UNAVAILABLE

            proxy.restore()
            deadline = time.monotonic() + 30
            while (await http.get("/readyz")).status_code != 200:
                assert time.monotonic() < deadline, "the server did not recover by itself"
                await asyncio.sleep(0.2)
            assert (await http.get("/v1/me", headers=headers)).status_code == 200
            created = await http.post(
                "/v1/glossaries", json={"team_id": team_id, "name": "after"}, headers=headers
            )
            assert created.status_code == 201, created.text
        log = server.log()
    assert " 500 " not in log
    assert "unhandled error" not in log
