"""Glossaries, their terms, the surface forms they claim, and every change to a term."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gloss.models.base import Base, IdMixin, utcnow


class Glossary(IdMixin, Base):
    __tablename__ = "glossaries"
    __table_args__ = (UniqueConstraint("team_id", "name"),)

    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    # Incremented in the same transaction as every edit of the glossary or its terms, so any
    # process can tell from one cheap query whether its compiled matcher is stale.
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )


class Term(IdMixin, Base):
    __tablename__ = "terms"
    __table_args__ = (Index("ix_terms_glossary_id_sort_key", "glossary_id", "sort_key", "id"),)

    glossary_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("glossaries.id", ondelete="CASCADE"))
    term: Mapped[str] = mapped_column(String(200))
    # The term lower-cased with whitespace collapsed: the order of lists and the prefix search.
    sort_key: Mapped[str] = mapped_column(String(400))
    definition: Mapped[str] = mapped_column(Text, default="")
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    url: Mapped[str | None] = mapped_column(String(2000))
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    case_sensitive: Mapped[bool] = mapped_column(default=False)
    entity_label: Mapped[str | None] = mapped_column(String(32))
    # Per-term counter behind the term's ETag; the conditional UPDATE checks it atomically.
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    updated_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )


class TermForm(Base):
    """One surface form (the term or an alias) as it will be matched; the primary key makes
    the database refuse a second term claiming it, even from two processes at once."""

    __tablename__ = "term_forms"
    __table_args__ = (Index("ix_term_forms_glossary_id_folded", "glossary_id", "folded"),)

    glossary_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("glossaries.id", ondelete="CASCADE"), primary_key=True
    )
    # Lower-cased unless the term is case-sensitive; whitespace collapsed.
    form: Mapped[str] = mapped_column(String(400), primary_key=True)
    # Always lower-cased: finds a case-sensitive "US" clashing with a case-insensitive "us".
    folded: Mapped[str] = mapped_column(String(400))
    case_sensitive: Mapped[bool] = mapped_column(default=False)
    term_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("terms.id", ondelete="CASCADE"), index=True
    )


class TermRevision(IdMixin, Base):
    """A change to a term: who, when, the term before and after (None when absent)."""

    __tablename__ = "term_revisions"
    __table_args__ = (Index("ix_term_revisions_glossary_id_term_id", "glossary_id", "term_id"),)

    glossary_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("glossaries.id", ondelete="CASCADE"))
    # No foreign key: the history of a deleted term is what restores it.
    term_id: Mapped[uuid.UUID]
    action: Mapped[str] = mapped_column(String(16))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    glossary_version: Mapped[int]
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
