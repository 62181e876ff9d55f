"""Routes: liveness, readiness and Prometheus metrics (no token needed)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import text

from gloss.db import current_revision, head_revision

router = APIRouter(tags=["operations"])
log = logging.getLogger("gloss.health")


@router.get("/healthz", summary="The process is up")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Database reachable, migrations current, NLP pipeline loaded")
async def readyz(request: Request) -> JSONResponse:
    state = request.app.state
    checks: dict[str, Any] = {}
    try:
        # Bounded, so a load balancer's health check gets its 503 before its own timeout.
        async with asyncio.timeout(state.settings.db_connect_timeout_s):
            async with state.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
            checks["database"] = "ok"
            revision = await current_revision(state.engine)
        head = head_revision()
        checks["migrations"] = "ok" if revision == head else f"at {revision}, expected {head}"
    except Exception as exc:  # any failure to reach the database means "not ready"
        log.warning("readiness: database unreachable: %s", exc)
        checks["database"] = "unreachable"
        checks["migrations"] = "unknown"
    if state.settings.load_nlp:
        checks["nlp"] = "ok" if state.nlp is not None else "not loaded"
    ready = all(v == "ok" for v in checks.values())
    # The shared cache is reported, never a reason to leave the load balancer: without it
    # every request is answered, only computed here.
    cache = state.annotate_cache.status() if hasattr(state, "annotate_cache") else "ok"
    checks["cache"] = cache
    # So are NER processes: while one starts or restarts, the engine thread reads everything.
    runtime = state.nlp if state.settings.load_nlp else None
    if runtime is not None and runtime.processes:
        checks["ner_processes"] = runtime.process_status()
    if ready:
        body: dict[str, Any] = {"status": "ready", "checks": checks}
        slower = [f"{k}: {v}" for k, v in checks.items() if v != "ok"]
        if slower:
            body["detail"] = "; ".join(slower)
        return JSONResponse(body)
    return JSONResponse(
        {
            "type": "https://gloss.dev/problems/not-ready",
            "title": "Not ready",
            "status": 503,
            "detail": "; ".join(f"{k}: {v}" for k, v in checks.items() if v != "ok"),
            "checks": checks,
        },
        status_code=503,
        media_type="application/problem+json",
        headers={"Retry-After": "5"},
    )


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(request: Request) -> Response:
    return Response(
        request.app.state.metrics.render(),
        media_type="text/plain; version=0.0.4; charset=utf-8",
    )
