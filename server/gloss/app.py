"""The FastAPI application: `create_app(settings)` wires storage, NLP, middleware and routes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from gloss import __version__
from gloss.articles.routes import router as articles_router
from gloss.auth.routes import router as auth_router
from gloss.db import create_engine, create_sessionmaker, migrate
from gloss.errors import install_error_handlers
from gloss.health.routes import router as health_router
from gloss.limits import BodyLimitMiddleware
from gloss.observability import Metrics, ObservabilityMiddleware, configure_logging
from gloss.settings import Settings
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


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_logging(settings.log_format, settings.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings)
        app.state.engine = engine
        app.state.sessionmaker = create_sessionmaker(engine)
        if settings.migrate_on_start:
            before, after = await migrate(engine)
            if before != after:
                log.info("migrated database from %s to %s", before, after)
        if settings.load_nlp:
            from gloss.nlp.engine import Engine  # type: ignore[import-not-found]

            app.state.nlp_engine = await asyncio.to_thread(Engine.load)
        try:
            yield
        finally:
            await engine.dispose()

    app = FastAPI(
        title="Gloss",
        version=__version__,
        summary="Entities, glossary terms, related articles and team highlights for any page.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.metrics = Metrics()
    app.state.nlp_engine = None
    install_error_handlers(app)

    for router in (health_router, auth_router, teams_router, articles_router):
        app.include_router(router)

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
