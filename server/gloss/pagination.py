"""Cursor paging: opaque cursors that encode the last row's sort key."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field

from gloss import safe_json
from gloss.errors import BadRequest

T = TypeVar("T")

# Cursors this server gives out are under 200 characters.
MAX_CURSOR_CHARS = 1024
DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page.")


def encode_cursor(key: Any) -> str:
    raw = json.dumps(key, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> Any:
    """What `encode_cursor` encoded; 400 for anything else (too long, not base64, JSON out of
    bounds: a forged cursor never reaches a query)."""
    if not cursor:
        return None
    if len(cursor) > MAX_CURSOR_CHARS:
        raise BadRequest("The cursor is not one this server gave out.")
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return safe_json.loads(base64.urlsafe_b64decode(padded.encode()), max_depth=4)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest("The cursor is not one this server gave out.") from exc


def decode_key_cursor(cursor: str | None, key_type: type) -> tuple[Any, str] | None:
    """A cursor encoding [sort key, id], checked: a forged one is 400, never a database error."""
    value = decode_cursor(cursor)
    if value is None:
        return None
    if not (
        isinstance(value, list)
        and len(value) == 2
        and isinstance(value[0], key_type)
        and not isinstance(value[0], bool)
        and isinstance(value[1], str)
    ):
        raise BadRequest("The cursor is not one this server gave out.")
    try:
        uuid.UUID(value[1])
    except ValueError as exc:
        raise BadRequest("The cursor is not one this server gave out.") from exc
    return value[0], value[1]
