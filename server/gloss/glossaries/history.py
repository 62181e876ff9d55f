"""Term history: what a revision stores of a term, and reading a term's revisions.

Every path that changes a term writes a revision with the glossary version it bumped to, in the
same transaction (gloss.glossaries.compiled reads them to patch compiled glossaries)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from gloss.errors import NotFound
from gloss.glossaries import schemas
from gloss.glossaries.repository import CONTENT_COLUMNS, TermRepository
from gloss.models import Glossary, Term
from gloss.pagination import decode_key_cursor, encode_cursor


def snapshot(term: Term) -> dict[str, Any]:
    """A term's content as history stores it (JSON-ready)."""
    data = {name: getattr(term, name) for name in CONTENT_COLUMNS}
    data["aliases"] = list(data["aliases"] or [])
    data["tags"] = list(data["tags"] or [])
    return data


def row_snapshot(row: dict[str, Any]) -> dict[str, Any]:
    """A stored term row's content as history stores it."""
    data = {name: row[name] for name in CONTENT_COLUMNS}
    data["aliases"] = list(data["aliases"] or [])
    data["tags"] = list(data["tags"] or [])
    return data


def revision_row(
    glossary_id: uuid.UUID,
    term_id: uuid.UUID,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    glossary_version: int,
    user_id: uuid.UUID | None,
    now: datetime,
) -> dict[str, Any]:
    """A term_revisions row: one change of a term, with the glossary version it made."""
    return {
        "id": uuid.uuid4(),
        "glossary_id": glossary_id,
        "term_id": term_id,
        "action": action,
        "before": before,
        "after": after,
        "glossary_version": glossary_version,
        "user_id": user_id,
        "created_at": now,
    }


async def term_history(
    session: AsyncSession, glossary: Glossary, term_id: uuid.UUID, cursor: str | None, limit: int
) -> tuple[list[schemas.TermRevision], str | None]:
    """A term's changes, newest first (a deleted term's too)."""
    before = decode_key_cursor(cursor, int)
    rows = await TermRepository(session).revisions(glossary.id, term_id, before, limit + 1)
    if not rows and before is None:
        raise NotFound("No such term in this glossary, and no history of one.")
    more = len(rows) > limit
    rows = rows[:limit]
    items = [
        schemas.TermRevision(
            id=revision.id,
            term_id=revision.term_id,
            action=revision.action,
            before=revision.before,
            after=revision.after,
            glossary_version=revision.glossary_version,
            user_id=revision.user_id,
            user_name=user_name,
            created_at=revision.created_at,
        )
        for revision, user_name in rows
    ]
    last = rows[-1][0] if rows else None
    next_cursor = (
        encode_cursor([last.glossary_version, str(last.id)]) if more and last is not None else None
    )
    return items, next_cursor
