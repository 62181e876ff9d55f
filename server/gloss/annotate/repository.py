"""SQL the hover cards need: a term with its glossary, or the glossary entry for a name."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gloss.models import Glossary, Term, TermForm


class AnnotateRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

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
