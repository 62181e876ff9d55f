"""Database failures a client can meet are 503 problems with Retry-After, never a 500."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from gloss.errors import install_error_handlers


async def test_an_exhausted_pool_is_503_with_retry_after() -> None:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/busy")
    async def busy() -> None:
        raise PoolTimeoutError("QueuePool limit of size 10 overflow 10 reached")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://gloss.test") as client:
        response = await client.get("/busy")
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"] == "https://gloss.dev/problems/service-unavailable"
    assert int(response.headers["retry-after"]) > 0
