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
from gloss.articles.repository import ArticleRepository
from gloss.articles.schemas import RelatedArticle
from gloss.auth.service import Principal
from gloss.errors import NotFound, Unprocessable
from gloss.glossaries.repository import TermRepository
from gloss.models import Glossary, Term
from gloss.nlp.dense import Vector, from_blob
from gloss.runtime import NlpRuntime


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
    nlp: NlpRuntime | None = None,
) -> Card:
    if kind == "term":
        if term_id is None:
            raise Unprocessable("A term card needs term_id.")
        return await _term_card(session, principal, term_id, url, related_limit, nlp)
    if not key:
        raise Unprocessable("An entity card needs key.")
    return await _entity_card(session, principal, key, label, text, url, related_limit, nlp)


async def _term_card(
    session: AsyncSession,
    principal: Principal,
    term_id: uuid.UUID,
    url: str | None,
    related_limit: int,
    nlp: NlpRuntime | None = None,
) -> Card:
    found = await TermRepository(session).term_with_glossary(term_id, principal.team_ids)
    if found is None:
        raise NotFound("No such term.")
    term, glossary = found
    excluded = await related.page_copies(session, principal.team_ids, url)
    vector = await _page_vector(session, principal, nlp, url, excluded)
    about = await _about(
        session, principal, "term", str(term.id), excluded, related_limit, vector, term.term
    )
    return Card(kind="term", title=term.term, term=_card_term(term, glossary), related=about)


async def _entity_card(
    session: AsyncSession,
    principal: Principal,
    key: str,
    label: str | None,
    text: str | None,
    url: str | None,
    related_limit: int,
    nlp: NlpRuntime | None = None,
) -> Card:
    entry = await TermRepository(session).term_for_form(key.casefold(), principal.team_ids)
    excluded = await related.page_copies(session, principal.team_ids, url)
    knowledge = await subjects.subject_knowledge(
        session, principal.team_ids, "entity", key, excluded
    )
    vector = await _page_vector(session, principal, nlp, url, excluded)
    name = text or (entry[0].term if entry else None)
    about = await _about(session, principal, "entity", key, excluded, related_limit, vector, name)
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
    vector: Vector | None = None,
    name: str | None = None,
) -> list[RelatedArticle]:
    """Stored articles about the subject (where it is central), the closest to the page the
    reader is on first among equally central ones; never the page itself."""
    if limit <= 0 or kind not in ("entity", "term"):
        return []
    return await related.related_for_key(
        session,
        principal.team_ids,
        "entity" if kind == "entity" else "term",
        key,
        limit,
        excluded=excluded,
        vector=vector,
        name=name,
    )


async def _page_vector(
    session: AsyncSession,
    principal: Principal,
    nlp: NlpRuntime | None,
    url: str | None,
    copies: set[uuid.UUID],
) -> Vector | None:
    """The sentence vector of the page the reader is on: a stored copy's, or the one this
    process computed when the page was annotated; None without the encoder or either."""
    model = nlp.dense_model if nlp is not None else None
    if model is None or nlp is None:
        return None
    repo = ArticleRepository(session)
    for article_id in sorted(copies):
        values = from_blob(await repo.vector(article_id, model))
        if values is not None:
            return Vector(model, values)
    return nlp.page_at(principal.team_ids, url)


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
