"""Hover cards: what the team knows about one glossary term or one entity, and nothing else.

A term card: its glossary entry (definition, aliases, the glossary) and the stored articles
about it. An entity card: the glossary entry that types it, if any, what the stored articles
say of it (gloss.articles.subjects) and the articles about it. The page the reader is on is
never listed as its own related article."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from gloss.annotate.schemas import Card, CardTerm
from gloss.articles import related, subjects
from gloss.articles.schemas import RelatedArticle
from gloss.auth.service import Principal
from gloss.errors import NotFound, Unprocessable
from gloss.glossaries.repository import TermRepository
from gloss.models import Glossary, Term


async def card(
    session: AsyncSession,
    principal: Principal,
    *,
    kind: str,
    term_id: uuid.UUID | None,
    key: str | None,
    label: str | None,
    text: str | None,
    url: str | None,
    related_limit: int,
) -> Card:
    if kind == "term":
        if term_id is None:
            raise Unprocessable("A term card needs term_id.")
        return await _term_card(session, principal, term_id, url, related_limit)
    if not key:
        raise Unprocessable("An entity card needs key.")
    return await _entity_card(session, principal, key, label, text, url, related_limit)


async def _term_card(
    session: AsyncSession,
    principal: Principal,
    term_id: uuid.UUID,
    url: str | None,
    related_limit: int,
) -> Card:
    found = await TermRepository(session).term_with_glossary(term_id, principal.team_ids)
    if found is None:
        raise NotFound("No such term.")
    term, glossary = found
    excluded = await related.page_copies(session, principal.team_ids, url)
    about = await _about(session, principal, "term", str(term.id), excluded, related_limit)
    return Card(kind="term", title=term.term, term=_card_term(term, glossary), related=about)


async def _entity_card(
    session: AsyncSession,
    principal: Principal,
    key: str,
    label: str | None,
    text: str | None,
    url: str | None,
    related_limit: int,
) -> Card:
    entry = await TermRepository(session).term_for_form(key.casefold(), principal.team_ids)
    excluded = await related.page_copies(session, principal.team_ids, url)
    knowledge = await subjects.subject_knowledge(
        session, principal.team_ids, "entity", key, excluded
    )
    about = await _about(session, principal, "entity", key, excluded, related_limit)
    return Card(
        kind="entity",
        title=text or (entry[0].term if entry else key),
        label=label,
        term=_card_term(*entry) if entry else None,
        knowledge=knowledge,
        related=about,
    )


async def _about(
    session: AsyncSession,
    principal: Principal,
    kind: str,
    key: str,
    excluded: set[uuid.UUID],
    limit: int,
) -> list[RelatedArticle]:
    """Stored articles about the subject (naming it most saliently), never the page itself."""
    if limit <= 0 or kind not in ("entity", "term"):
        return []
    return await related.related_for_key(
        session,
        principal.team_ids,
        "entity" if kind == "entity" else "term",
        key,
        limit,
        excluded=excluded,
    )


def _card_term(term: Term, glossary: Glossary) -> CardTerm:
    return CardTerm(
        term_id=term.id,
        glossary_id=glossary.id,
        glossary_name=glossary.name,
        term=term.term,
        definition=term.definition or "",
        aliases=list(term.aliases or ()),
        url=term.url,
        tags=list(term.tags or ()),
        entity_label=term.entity_label,
    )
