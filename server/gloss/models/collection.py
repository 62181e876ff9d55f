"""Highlight collections, their annotations (stored as W3C Web Annotations) and share links."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from gloss.models.base import Base, IdMixin, utcnow


class Collection(IdMixin, Base):
    """A team's collection (visible to its members), or a private one (team_id is NULL)."""

    __tablename__ = "collections"

    team_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), index=True
    )
    owner_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    # Bumped by SQLAlchemy on every UPDATE, and checked in its WHERE clause: the ETag is made
    # from it, so a write that raced another one fails (412) instead of overwriting it.
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    __mapper_args__ = {"version_id_col": version}


class Annotation(IdMixin, Base):
    """One highlight or note; the W3C JSON-LD is rendered from these columns by the presenter."""

    __tablename__ = "annotations"
    __table_args__ = (
        Index("ix_annotations_collection_id_created_at", "collection_id", "created_at", "id"),
    )

    collection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("collections.id", ondelete="CASCADE")
    )
    creator_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # The page as the reader saw it, and the key it is found under (gloss.urls.normalize_url).
    target_source: Mapped[str] = mapped_column(Text)
    target_uri_normalized: Mapped[str] = mapped_column(String(2048), index=True)
    # The page's title as the reader's browser had it (the share page heads the page with it).
    target_title: Mapped[str | None] = mapped_column(String(1000))
    # The target was sent as a plain IRI (no selectors): it is given back the same way.
    target_is_iri: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Kept as sent (W3C Web Annotation Protocol): the client's canonical IRI, which the server
    # must never change, and the id a client gave the annotation before the server named it.
    canonical: Mapped[str | None] = mapped_column(String(2048))
    via: Mapped[str | None] = mapped_column(String(2048))
    # W3C selector objects as a JSON list, as hypothesis/h stores them.
    selectors: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # The quote and the note, lower-cased here in Python, so `q` is one LIKE that folds case
    # the same way on every backend (SQLite's lower() folds ASCII only).
    search_text: Mapped[str] = mapped_column(Text, default="")
    motivation: Mapped[str] = mapped_column(String(32))
    text: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The tags, lower-cased, one per line between newlines ("\nai\nchips\n"): a `LIKE` on it
    # filters by tag on SQLite and PostgreSQL alike without a JSON operator per dialect.
    tags_index: Mapped[str] = mapped_column(Text, default="\n")
    color: Mapped[str | None] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer)  # see Collection.version
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    __mapper_args__ = {"version_id_col": version}


class ShareLink(IdMixin, Base):
    """A revocable read-only link to a collection's share page; only the secret's hash is kept."""

    __tablename__ = "share_links"

    collection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("collections.id", ondelete="CASCADE"), index=True
    )
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
