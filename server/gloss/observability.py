"""Request ids, structured logs and Prometheus metrics, as one ASGI middleware."""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import time
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gloss.errors import PROBLEM_BASE

if TYPE_CHECKING:
    from gloss.annotate.cache import AnnotateCache

REQUEST_ID_HEADER = b"x-request-id"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
log = logging.getLogger("gloss.access")
errors_log = logging.getLogger("gloss.errors")
# The request being served, for every log line written while serving it (any logger).
current_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "gloss_request_id", default=None
)
_INTERNAL_ERROR = json.dumps(
    {
        "type": PROBLEM_BASE + "internal-error",
        "title": "Internal error",
        "status": 500,
        "detail": "Something went wrong on our side; it has been logged.",
    }
).encode()


class Metrics:
    """Per-app registry, so several apps in one process (tests) never clash."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "gloss_http_requests",
            "HTTP requests by route template, method and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "gloss_http_request_duration_seconds",
            "HTTP request latency by route template and method.",
            ["method", "route"],
            registry=self.registry,
            buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )

    def watch_cache(self, cache: AnnotateCache) -> None:
        """The annotate cache's lookups and the shared store's health, read at each scrape."""
        self.registry.register(_CacheCollector(cache))

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _CacheCollector(Collector):
    def __init__(self, cache: AnnotateCache) -> None:
        self._cache = cache

    def collect(self) -> Iterator[Metric]:
        cache = self._cache
        lookups = CounterMetricFamily(
            "gloss_annotate_cache_lookups",
            "Annotate cache lookups by cache (answer, block), tier (process, redis) and outcome.",
            labels=["cache", "tier", "outcome"],
        )
        for name, lru in (("answer", cache.answers), ("block", cache.blocks)):
            lookups.add_metric([name, "process", "hit"], lru.hits)
            lookups.add_metric([name, "process", "miss"], lru.misses)
        lookups.add_metric(["any", "redis", "hit"], cache.redis_hits)
        lookups.add_metric(["any", "redis", "miss"], cache.redis_misses)
        yield lookups
        up = GaugeMetricFamily(
            "gloss_cache_redis_up",
            "1 while the shared cache (GLOSS_CACHE_URL) answers, 0 while requests compute "
            "without it; absent without one.",
        )
        if cache.shared:
            up.add_metric([], 1 if cache.redis_up else 0)
            yield up
        yield CounterMetricFamily(
            "gloss_cache_redis_errors",
            "Failed calls to the shared cache, each answered as a miss.",
            value=cache.redis_errors,
        )
        yield CounterMetricFamily(
            "gloss_cache_redis_writes_skipped",
            "Writes to the shared cache left out because too many were under way (the "
            "process's own copy kept).",
            value=cache.redis_writes_skipped,
        )


class ObservabilityMiddleware:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(REQUEST_ID_HEADER, b"").decode("latin-1")
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        token = current_request_id.set(request_id)
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID_HEADER, request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            # Nothing inside answered: log it here, with the request id, and answer the
            # problem ourselves, so the 500 carries X-Request-ID and no plain traceback is
            # printed by the server beneath.
            errors_log.exception("unhandled error")
            status = 500
            if not response_started:
                await send_with_id(
                    {
                        "type": "http.response.start",
                        "status": 500,
                        "headers": [
                            (b"content-type", b"application/problem+json"),
                            (b"content-length", str(len(_INTERNAL_ERROR)).encode()),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": _INTERNAL_ERROR})
        finally:
            current_request_id.reset(token)
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            method = scope["method"]
            self.metrics.requests.labels(method, template, str(status)).inc()
            self.metrics.latency.labels(method, template).observe(elapsed)
            # The path template, never the query string: tokens or page URLs must not be logged.
            log.info(
                "%s %s %s %.1fms",
                method,
                template,
                status,
                elapsed * 1000,
                extra={
                    "request_id": request_id,
                    "method": method,
                    "route": template,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                },
            )


class RequestIdFilter(logging.Filter):
    """Stamps every record with the request being served, when there is one."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            request_id = current_request_id.get()
            if request_id is not None:
                record.request_id = request_id
        return True


class JsonFormatter(logging.Formatter):
    _FIELDS = ("request_id", "method", "route", "status", "duration_ms")

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for name in self._FIELDS:
            if hasattr(record, name):
                entry[name] = getattr(record, name)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


# The loggers whose lines Gloss formats: its own, and the server's it runs under.
LOGGERS = ("gloss", "uvicorn", "uvicorn.error", "uvicorn.access")


def configure_logging(log_format: str, level: str) -> None:
    """One handler for Gloss's and uvicorn's loggers: JSON lines with `GLOSS_LOG_FORMAT=json`
    (uvicorn's own start-up and error lines too), each stamped with its request id."""
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RequestIdFilter())
    for name in LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.propagate = False
    logging.getLogger("gloss").setLevel(level.upper())
