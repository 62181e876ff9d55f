"""SQL the annotate path needs: visible glossaries with their versions, terms to compile, and
glossary entries for hover cards."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gloss.models import Glossary, Term, TermForm


class AnnotateRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def glossary_versions(
        self, team_ids: Sequence[uuid.UUID], glossary_ids: Sequence[uuid.UUID] | None
    ) -> list[tuple[uuid.UUID, int]]:
        """(id, version) of the glossaries the caller reads: one indexed query per request,
        which is how every process notices another's edit on its next request."""
        if not team_ids:
            return []
        query = select(Glossary.id, Glossary.version).where(Glossary.team_id.in_(team_ids))
        if glossary_ids is not None:
            query = query.where(Glossary.id.in_(glossary_ids))
        rows = await self.session.execute(query.order_by(Glossary.id))
        return [(gid, version) for gid, version in rows]

    async def terms_to_compile(self, glossary_id: uuid.UUID) -> list[Any]:
        rows = await self.session.execute(
            select(
                Term.id,
                Term.term,
                Term.aliases,
                Term.case_sensitive,
                Term.entity_label,
                Term.definition,
                Term.url,
            ).where(Term.glossary_id == glossary_id)
        )
        return list(rows)

    async def term_with_glossary(
        self, term_id: uuid.UUID, team_ids: Sequence[uuid.UUID]
    ) -> tuple[Term, Glossary] | None:
        if not team_ids:
            return None
        row = await self.session.execute(
            select(Term, Glossary)
            .join(Glossary, Glossary.id == Term.glossary_id)
            .where(Term.id == term_id, Glossary.team_id.in_(team_ids))
        )
        found = row.first()
        return (found[0], found[1]) if found else None

    async def term_for_form(
        self, folded: str, team_ids: Sequence[uuid.UUID]
    ) -> tuple[Term, Glossary] | None:
        """The glossary entry whose term or alias is this name, in the caller's teams."""
        if not team_ids:
            return None
        row = await self.session.execute(
            select(Term, Glossary)
            .join(TermForm, TermForm.term_id == Term.id)
            .join(Glossary, Glossary.id == Term.glossary_id)
            .where(TermForm.folded == folded, Glossary.team_id.in_(team_ids))
            .order_by(Glossary.name, Term.sort_key)
            .limit(1)
        )
        found = row.first()
        return (found[0], found[1]) if found else None
