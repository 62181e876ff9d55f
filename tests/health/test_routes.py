"""Health, readiness, metrics, request ids and CORS."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from fastapi import FastAPI
from sqlalchemy import Connection

from gloss.app import create_app
from gloss.models import Base
from gloss.settings import Settings


async def test_healthz_needs_no_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_reports_each_check(client: httpx.AsyncClient, app: FastAPI) -> None:
    # The NER process may still be loading its model: ready meanwhile, and said so.
    deadline = time.monotonic() + 90
    while not all(p.ready for p in app.state.nlp.processes):
        response = await client.get("/readyz")
        assert response.status_code == 200, response.text
        assert "the engine thread reads all" in response.json()["checks"]["ner_processes"]
        assert time.monotonic() < deadline
        await asyncio.sleep(0.1)
    response = await client.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json()["checks"] == {
        "database": "ok",
        "migrations": "ok",
        "nlp": "ok",
        "cache": "ok",
        "ner_processes": "ok",
    }
    assert "detail" not in response.json()


async def test_readyz_is_503_when_the_database_is_gone(tmp_path: object) -> None:
    settings = Settings(
        database_url="postgresql+asyncpg://postgres@127.0.0.1:1/none", load_nlp=False
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            response = await client.get("/readyz")
            assert response.status_code == 503
            assert response.headers["content-type"].startswith("application/problem+json")
            assert response.json()["checks"]["database"] == "unreachable"
            me = await client.get("/v1/me", headers={"Authorization": "Bearer gls_x"})
            assert me.status_code == 503
            assert me.json()["type"] == "https://gloss.dev/problems/service-unavailable"


async def test_metrics_count_requests_by_route_template(client: httpx.AsyncClient) -> None:
    await client.get("/healthz")
    await client.get("/v1/teams/00000000-0000-0000-0000-000000000000")
    text = (await client.get("/metrics")).text
    assert 'gloss_http_requests_total{method="GET",route="/healthz",status="200"}' in text
    assert 'route="/v1/teams/{team_id}",status="401"' in text
    assert "gloss_http_request_duration_seconds_bucket" in text


async def test_request_id_is_echoed_or_made(client: httpx.AsyncClient) -> None:
    echoed = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert echoed.headers["x-request-id"] == "abc-123"
    made = await client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert made.headers["x-request-id"] != "bad id with spaces"
    assert len(made.headers["x-request-id"]) == 32


async def test_cors_allows_only_configured_extension_origins(settings: Settings) -> None:
    configured = settings.model_copy(update={"cors_origins": ["chrome-extension://abcdef"]})
    app = create_app(configured)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        headers = {"Access-Control-Request-Method": "POST"}
        allowed = await client.options(
            "/v1/me", headers={**headers, "Origin": "chrome-extension://abcdef"}
        )
        assert allowed.headers["access-control-allow-origin"] == "chrome-extension://abcdef"
        denied = await client.options(
            "/v1/me", headers={**headers, "Origin": "https://evil.example"}
        )
        assert "access-control-allow-origin" not in denied.headers


def test_cors_setting_refuses_web_origins() -> None:
    with pytest.raises(ValueError, match="not a browser-extension origin"):
        Settings(cors_origins=["https://example.com"])


def _not_full_text_index(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    # The article search index is owned by gloss.search and built by the articles migration
    # with dialect-specific SQL (an FTS5 virtual table and its shadow tables on SQLite, a
    # generated tsvector column and its GIN index on PostgreSQL); no ORM model describes it.
    # Likewise the SQLite change log the in-memory related index catches up from.
    name = name or ""
    if type_ == "table" and (name.startswith("articles_fts") or name == "article_changes"):
        return False
    return name not in ("search_vector", "ix_articles_search_vector")


async def test_migrations_build_exactly_the_models(app: FastAPI) -> None:
    """The schema comes from Alembic; a model change without a migration fails here."""

    def diff(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(
            connection,
            opts={"include_object": _not_full_text_index},
        )
        return compare_metadata(context, Base.metadata)

    async with app.state.engine.connect() as connection:
        assert await connection.run_sync(diff) == []
