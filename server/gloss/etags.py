"""ETags and If-Match for every mutable resource: a stale precondition is 412, nothing changed."""

from __future__ import annotations

import hashlib

from fastapi import Request

from gloss.errors import PreconditionFailed, PreconditionRequired


def make_etag(*parts: object) -> str:
    """A strong ETag from what identifies a version of a resource (id and version counter)."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:32]
    return f'"{digest}"'


def _matches(header: str, etag: str) -> bool:
    candidates = [c.strip() for c in header.split(",")]
    # If-Match uses strong comparison (RFC 9110 13.1.1): a weak tag never matches.
    return "*" in candidates or etag in candidates


def check_if_match(request: Request, current_etag: str, *, required: bool = False) -> None:
    header = request.headers.get("if-match")
    if header is None:
        if required:
            raise PreconditionRequired("Send If-Match with the ETag you last read.")
        return
    if not _matches(header, current_etag):
        raise PreconditionFailed(
            "The resource changed since you read it; fetch it again and retry.",
            headers={"ETag": current_etag},
        )
