"""The one error hierarchy, and the handlers that render every error as problem+json (RFC 9457)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "https://gloss.dev/problems/"

log = logging.getLogger("gloss.errors")

# PostgreSQL: 22021 character_not_in_repertoire (NUL in text), 22P05 untranslatable_character
# (\u0000 in JSON).
UNSTORABLE_TEXT_SQLSTATES = frozenset({"22021", "22P05"})


class GlossError(Exception):
    """Base of every error a client may see; `slug` makes the stable problem `type`."""

    status: int = 400
    slug: str = "bad-request"
    title: str = "Bad request"

    def __init__(
        self,
        detail: str | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})

    @property
    def type(self) -> str:
        return PROBLEM_BASE + self.slug


class BadRequest(GlossError):
    status, slug, title = 400, "bad-request", "Bad request"


class Unauthorized(GlossError):
    status, slug, title = 401, "unauthorized", "Authentication required"

    def __init__(self, detail: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("headers", {"WWW-Authenticate": 'Bearer realm="gloss"'})
        super().__init__(detail, **kwargs)


class Forbidden(GlossError):
    status, slug, title = 403, "forbidden", "Not allowed for your role"


class NotFound(GlossError):
    status, slug, title = 404, "not-found", "Not found"


class MethodNotAllowed(GlossError):
    status, slug, title = 405, "method-not-allowed", "Method not allowed"


class NotAcceptable(GlossError):
    status, slug, title = 406, "not-acceptable", "Not acceptable"


class Conflict(GlossError):
    status, slug, title = 409, "conflict", "Conflict"


class PreconditionFailed(GlossError):
    status, slug, title = 412, "precondition-failed", "The resource has changed (stale ETag)"


class PayloadTooLarge(GlossError):
    status, slug, title = 413, "payload-too-large", "Payload too large"


class UnsupportedMediaType(GlossError):
    status, slug, title = 415, "unsupported-media-type", "Unsupported media type"


class Unprocessable(GlossError):
    status, slug, title = 422, "validation-error", "The request is not valid"


class PreconditionRequired(GlossError):
    status, slug, title = 428, "precondition-required", "If-Match is required"


class RateLimited(GlossError):
    status, slug, title = 429, "rate-limited", "Too many requests"


class ServiceUnavailable(GlossError):
    status, slug, title = 503, "service-unavailable", "Service unavailable"


_STATUS_ERRORS: dict[int, type[GlossError]] = {
    cls.status: cls
    for cls in (
        BadRequest,
        Unauthorized,
        Forbidden,
        NotFound,
        MethodNotAllowed,
        NotAcceptable,
        Conflict,
        PreconditionFailed,
        PayloadTooLarge,
        UnsupportedMediaType,
        Unprocessable,
        PreconditionRequired,
        RateLimited,
        ServiceUnavailable,
    )
}


def problem_response(
    status: int,
    slug: str,
    title: str,
    detail: str,
    *,
    instance: str | None = None,
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    body.update(extra or {})
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_MEDIA_TYPE)


def _field_errors(errors: Sequence[Any]) -> list[dict[str, Any]]:
    out = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        out.append({"loc": loc, "msg": error.get("msg", ""), "type": error.get("type", "")})
    return out


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(GlossError)
    async def _gloss_error(request: Request, exc: GlossError) -> JSONResponse:
        return problem_response(
            exc.status,
            exc.slug,
            exc.title,
            exc.detail,
            instance=request.url.path,
            headers=exc.headers,
            extra=exc.extra,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _field_errors(exc.errors())
        malformed = any(e["type"] == "json_invalid" for e in errors)
        if malformed:
            return problem_response(
                400,
                "malformed-json",
                "Malformed JSON",
                "The request body is not valid JSON.",
                instance=request.url.path,
                extra={"errors": errors},
            )
        summary = "; ".join(f"{'.'.join(e['loc'])}: {e['msg']}" for e in errors[:5])
        return problem_response(
            422,
            "validation-error",
            "The request is not valid",
            summary or "The request is not valid.",
            instance=request.url.path,
            extra={"errors": errors},
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        cls = _STATUS_ERRORS.get(exc.status_code)
        slug = cls.slug if cls else f"http-{exc.status_code}"
        title = cls.title if cls else "HTTP error"
        detail = exc.detail if isinstance(exc.detail, str) else title
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"No route {request.method} {request.url.path}."
        return problem_response(
            exc.status_code,
            slug,
            title,
            detail,
            instance=request.url.path,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(OperationalError)
    async def _db_down(request: Request, exc: OperationalError) -> JSONResponse:
        log.warning("database unavailable: %s", exc.orig)
        return _unavailable(request)

    @app.exception_handler(DBAPIError)
    async def _db_error(request: Request, exc: DBAPIError) -> JSONResponse:
        if exc.connection_invalidated:
            return _unavailable(request)
        if getattr(exc.orig, "sqlstate", None) in UNSTORABLE_TEXT_SQLSTATES:
            # PostgreSQL refuses NUL in text; SQLite stores it. Whatever field a schema forgot
            # to check, the client sent it, so it is a 422, not our 500.
            return problem_response(
                422,
                "validation-error",
                "The request is not valid",
                "The request contains a character that cannot be stored (NUL).",
                instance=request.url.path,
                extra={"errors": []},
            )
        log.exception("database error")
        return _internal(request)

    @app.exception_handler(PoolTimeoutError)
    async def _pool_exhausted(request: Request, exc: PoolTimeoutError) -> JSONResponse:
        # Every pooled connection stayed busy for GLOSS_DB_POOL_TIMEOUT_S: overloaded, so
        # "try again shortly", like a database that does not answer.
        log.warning("database pool exhausted: %s", exc)
        return _unavailable(request)

    @app.exception_handler(OSError)
    async def _os_error(request: Request, exc: OSError) -> JSONResponse:
        # asyncpg raises ConnectionRefusedError/OSError when PostgreSQL is down.
        log.warning("I/O error: %s", exc)
        return _unavailable(request)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return _internal(request)


def _unavailable(request: Request) -> JSONResponse:
    return problem_response(
        503,
        "service-unavailable",
        "Service unavailable",
        "The database is not reachable; try again shortly.",
        instance=request.url.path,
        headers={"Retry-After": "5"},
    )


def _internal(request: Request) -> JSONResponse:
    return problem_response(
        500,
        "internal-error",
        "Internal error",
        "Something went wrong on our side; it has been logged.",
        instance=request.url.path,
    )
