"""The FastAPI application: `create_app(settings)` wires storage, NLP, middleware and routes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from sqlalchemy.ext.asyncio import AsyncEngine

from gloss import __version__
from gloss.annotate.cache import AnnotateCache
from gloss.annotate.routes import router as annotate_router
from gloss.articles.routes import router as articles_router
from gloss.auth.ratelimit import TokenBuckets
from gloss.auth.routes import router as auth_router
from gloss.auth.service import uses_recorded
from gloss.collections.routes import router as collections_router
from gloss.db import create_engine, create_read_sessionmaker, create_sessionmaker, migrate
from gloss.errors import PROBLEM_MEDIA_TYPE, install_error_handlers
from gloss.errors_schema import Problem
from gloss.glossaries.routes import router as glossaries_router
from gloss.health.routes import router as health_router
from gloss.limits import BodyLimitMiddleware
from gloss.observability import Metrics, ObservabilityMiddleware, configure_logging
from gloss.search.sqlite_index import LiveIndex, attach, detach
from gloss.search.vector_index import live_vectors_at
from gloss.settings import Settings
from gloss.teams.routes import invitations_router
from gloss.teams.routes import router as teams_router

log = logging.getLogger("gloss.app")

# Headers a browser client must be able to read (W3C Web Annotation Protocol, paging, ETags).
EXPOSED_HEADERS = [
    "ETag",
    "Location",
    "Link",
    "Allow",
    "Vary",
    "Content-Location",
    "Accept-Post",
    "Preference-Applied",
    "Retry-After",
    "X-Request-ID",
]

_PROBLEM_CONTENT = {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
# Documented on every route so the OpenAPI document tells clients (and schemathesis) the truth.
PROBLEM_RESPONSES: dict[int | str, dict[str, object]] = {
    status: {"model": Problem, "description": description, "content": _PROBLEM_CONTENT}
    for status, description in (
        (400, "Bad request (e.g. malformed JSON)"),
        (401, "Missing, unknown or revoked token"),
        (403, "Your role does not allow this"),
        (404, "Not found, or another team's"),
        (409, "Conflicts with what is stored"),
        (412, "Stale If-Match: the resource changed"),
        (413, "Payload too large"),
        (415, "Unsupported media type"),
        (422, "Validation error, with field errors"),
        (428, "If-Match required"),
        (429, "Rate limited"),
        (503, "Database unavailable"),
    )
}


def _attach_related_index(settings: Settings, engine: AsyncEngine) -> LiveIndex | None:
    """Start building the in-memory related index of a SQLite file (in the background)."""
    database = engine.url.database
    if not settings.related_index or engine.dialect.name != "sqlite":
        return None
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return attach(database)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_logging(settings.log_format, settings.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings)
        app.state.engine = engine
        app.state.sessionmaker = create_sessionmaker(engine)
        app.state.read_sessionmaker = create_read_sessionmaker(engine)
        if settings.migrate_on_start:
            before, after = await migrate(engine)
            if before != after:
                log.info("migrated database from %s to %s", before, after)
        related_index = _attach_related_index(settings, engine)
        cache = AnnotateCache(
            settings.annotate_cache_entries, settings.cache_url, settings.cache_ttl_s
        )
        app.state.annotate_cache = cache
        app.state.metrics.watch_cache(cache)
        runtime = None
        if settings.load_nlp:
            from gloss.runtime import load_runtime

            runtime = await load_runtime(
                cache_entries=settings.annotate_cache_entries,
                dense_model=settings.related_dense,
                dense_weight=settings.related_dense_weight,
                glossary_memory_mb=settings.compiled_glossaries_mb,
                inline_compile_terms=settings.inline_compile_terms,
                ner_processes=settings.ner_processes,
            )
            app.state.nlp = runtime
        # The vector index of related articles, built in the background (ADR 0017).
        warming = None
        if runtime is not None and runtime.dense_model is not None:
            live = live_vectors_at(
                engine.url.render_as_string(hide_password=True), runtime.dense_model
            )
            warming = asyncio.create_task(live.warm(app.state.read_sessionmaker))
        try:
            yield
        finally:
            if warming is not None and not warming.done():
                warming.cancel()
            if runtime is not None:
                await runtime.stop()
            if related_index is not None:
                detach(related_index)
            await cache.close()
            await uses_recorded()
            await engine.dispose()

    app = FastAPI(
        title="Gloss",
        version=__version__,
        summary="Entities, glossary terms, related articles and team highlights for any page.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.metrics = Metrics()
    app.state.rate_limits = TokenBuckets(settings.rate_limit_per_minute, settings.rate_limit_burst)
    app.state.nlp = None
    install_error_handlers(app)

    for router in (
        annotate_router,
        health_router,
        auth_router,
        teams_router,
        invitations_router,
        glossaries_router,
        collections_router,
        articles_router,
    ):
        app.include_router(router, responses=PROBLEM_RESPONSES)

    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"],
        allow_headers=["Authorization", "Content-Type", "If-Match", "Prefer", "Accept"],
        expose_headers=EXPOSED_HEADERS,
        max_age=600,
    )
    app.add_middleware(ObservabilityMiddleware, metrics=app.state.metrics)
    return app
