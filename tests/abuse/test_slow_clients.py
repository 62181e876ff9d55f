"""Slow and stuck clients (slowloris headers, trickled bodies, silent sockets) do not starve
other clients of a live server."""

from __future__ import annotations

import asyncio
import contextlib
import time

import httpx
import pytest

from tests.abuse.conftest import Deployment

# commits: a live server process on the test database.
pytestmark = pytest.mark.commits

SLOW_CLIENTS = 50
TRICKLE_SECONDS = 8.0  # every slow client gives up by then; the test never waits for more
NORMAL_REQUEST_TIMEOUT = 15.0  # generous: this catches starvation, it measures nothing


async def _slow_client(host: str, port: int, kind: int, stop: asyncio.Event) -> None:
    """kind 0: never sends a byte; 1: trickles its headers; 2: trickles a declared body."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        if kind == 1:
            request = b"GET /v1/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer gls_"
        elif kind == 2:
            request = (
                b"POST /v1/teams HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b'Content-Length: 100000\r\n\r\n{"name": "'
            )
        else:
            request = b""
        deadline = time.monotonic() + TRICKLE_SECONDS
        for byte in request:
            if stop.is_set() or time.monotonic() > deadline:
                break
            writer.write(bytes([byte]))
            await writer.drain()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=0.2)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=max(0, deadline - time.monotonic()))
    except OSError:
        pass  # the server may drop a stuck client; that is fine
    finally:
        writer.transport.abort()
        del reader


async def test_slow_clients_do_not_starve_others(deployment: Deployment) -> None:
    headers = deployment.headers
    with deployment.serve() as server:
        url = httpx.URL(server.url)
        stop = asyncio.Event()
        slow = [
            asyncio.create_task(_slow_client(url.host, url.port or 80, n % 3, stop))
            for n in range(SLOW_CLIENTS)
        ]
        await asyncio.sleep(0.5)  # let them all connect and start dawdling
        try:
            async with httpx.AsyncClient(
                base_url=server.url, timeout=NORMAL_REQUEST_TIMEOUT
            ) as http:
                me = await http.get("/v1/me", headers=headers)
                assert me.status_code == 200, me.text
                team_id = me.json()["teams"][0]["id"]
                for i in range(10):
                    assert (await http.get("/healthz")).status_code == 200
                    listed = await http.get("/v1/glossaries", headers=headers)
                    assert listed.status_code == 200, listed.text
                    created = await http.post(
                        "/v1/collections",
                        json={"name": f"while slow clients dawdle {i}", "team_id": team_id},
                        headers=headers,
                    )
                    assert created.status_code == 201, created.text
                assert (await http.get("/readyz")).status_code == 200
        finally:
            stop.set()
            await asyncio.wait_for(asyncio.gather(*slow), timeout=30)
