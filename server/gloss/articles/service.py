"""Articles: the team an article goes to, storing one, reading, deleting, listing and search."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from gloss.articles import ingest
from gloss.articles.ingest import AnnotatingRuntime, ArticleInput, IngestOutcome
from gloss.articles.repository import ArticleRepository
from gloss.articles.schemas import ArticleCreate
from gloss.auth.service import Principal
from gloss.errors import BadRequest, NotFound
from gloss.models import Article, ArticleMention, Role
from gloss.nlp import ranking
from gloss.pagination import decode_cursor, encode_cursor
from gloss.search import backend_for
from gloss.teams.access import require_member, require_role


def writable_team(principal: Principal, team_id: uuid.UUID | None) -> uuid.UUID:
    """The team an article goes to: the one named, or the caller's only team."""
    if team_id is None:
        if len(principal.roles) != 1:
            raise BadRequest("You are in several teams (or none): say which with team_id.")
        team_id = next(iter(principal.roles))
    require_role(principal, team_id, Role.editor)
    return team_id


def readable_teams(principal: Principal, team_id: uuid.UUID | None) -> list[uuid.UUID]:
    if team_id is not None:
        require_member(principal, team_id)
        return [team_id]
    return principal.team_ids


async def plan_article(
    session: AsyncSession,
    principal: Principal,
    body: ArticleCreate,
    nlp: AnnotatingRuntime | None,
) -> ingest.IngestPlan:
    """What storing one article will do, with the engine's pass over its text (reads only)."""
    team_id = writable_team(principal, body.team_id)
    return await ingest.plan_ingest(session, team_id, [ArticleInput.from_schema(body)], nlp)


async def store_article(session: AsyncSession, plan: ingest.IngestPlan) -> IngestOutcome:
    """Store a planned article; the outcome carries its mentions."""
    outcome = (await ingest.apply_ingest(session, plan))[0]
    outcome.mentions = await ArticleRepository(session).mentions(outcome.article.id)
    return outcome


async def get_article(
    session: AsyncSession, principal: Principal, article_id: uuid.UUID
) -> tuple[Article, list[ArticleMention]]:
    repo = ArticleRepository(session)
    article = await repo.get_in_teams(article_id, principal.team_ids)
    if article is None:
        raise NotFound("No such article.")
    return article, await repo.mentions(article.id)


async def delete_article(
    session: AsyncSession,
    principal: Principal,
    article_id: uuid.UUID,
    precondition: Callable[[Article], None] | None = None,
) -> Article:
    """Delete an article; `precondition` (the If-Match check) sees it first."""
    repo = ArticleRepository(session)
    article = await repo.get_in_teams(article_id, principal.team_ids)
    if article is None:
        raise NotFound("No such article.")
    require_role(principal, article.team_id, Role.editor, "article")
    if precondition is not None:
        precondition(article)
    await repo.delete(article)
    return article


async def list_articles(
    session: AsyncSession,
    principal: Principal,
    q: str | None,
    team_id: uuid.UUID | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[Article], str | None]:
    """The caller's articles, newest first; with `q`, those containing every word of it, best
    match first."""
    team_ids = readable_teams(principal, team_id)
    repo = ArticleRepository(session)
    position = decode_cursor(cursor)
    q = q.replace("\x00", "") if q else q
    if q is not None and q.strip():
        offset = position.get("o", 0) if isinstance(position, dict) else 0
        if not isinstance(offset, int) or offset < 0:
            raise BadRequest("The cursor is not one this server gave out.")
        words = list(dict.fromkeys(ranking.content_words(q) or ranking.tokens(q)))[:20]
        groups = [ranking.variants(w) for w in words]
        hits = await backend_for(session).search(session, team_ids, groups, limit + 1, offset)
        found = await repo.get_many([h.article_id for h in hits[:limit]])
        articles = [found[h.article_id] for h in hits[:limit] if h.article_id in found]
        more = len(hits) > limit
        return articles, encode_cursor({"o": offset + limit}) if more else None
    after = None
    if position is not None:
        try:
            after = (datetime.fromisoformat(position["c"]), uuid.UUID(position["i"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise BadRequest("The cursor is not one this server gave out.") from exc
    articles = await repo.list_page(team_ids, limit + 1, after)
    if len(articles) <= limit:
        return articles, None
    last = articles[limit - 1]
    return articles[:limit], encode_cursor({"c": last.created_at.isoformat(), "i": str(last.id)})
