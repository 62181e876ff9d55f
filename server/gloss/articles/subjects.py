"""What the team's stored articles say about one subject (an entity by its key, or a glossary
term by its id), for a hover card: how many name it, the latest few, a sentence that names it,
and the names it most often appears with. Nothing here is about any other subject."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from gloss.articles.repository import ArticleRepository, MentioningArticle
from gloss.articles.schemas import ArticleRef, CoMention, NamingSentence, SubjectKnowledge
from gloss.nlp.ranking import sentence_naming

LATEST = 3
# The articles naming an entity most saliently that "appears with" counts over: enough for the
# common companions, bounded so a name in 100k articles costs what one in 200 does.
CO_MENTION_SAMPLE = 200
CO_MENTIONS = 5


async def subject_knowledge(
    session: AsyncSession,
    team_ids: Sequence[uuid.UUID],
    kind: Literal["entity", "term"],
    key: str,
    excluded: set[uuid.UUID],
) -> SubjectKnowledge:
    """What the store knows of the subject; the `excluded` articles (the page the reader is on
    and its copies) are counted but never listed or quoted."""
    key = key.replace("\x00", "")
    repo = ArticleRepository(session)
    count = await repo.count_mentioning(team_ids, kind, key)
    if count == 0:
        return SubjectKnowledge(article_count=0, latest=[], sentence=None, appears_with=[])
    newest = await repo.latest_mentioning(team_ids, kind, key, (LATEST + len(excluded)) * 3)
    listed = _one_per_story(newest, excluded)
    together = (
        await repo.co_mentioned(team_ids, key, CO_MENTION_SAMPLE, CO_MENTIONS)
        if kind == "entity"
        else []
    )
    return SubjectKnowledge(
        article_count=count,
        latest=[_ref(a) for a in listed[:LATEST]],
        sentence=await _sentence(repo, listed),
        appears_with=[
            CoMention(key=k, text=text, label=label, articles=n) for k, text, label, n in together
        ],
    )


def _one_per_story(
    articles: Sequence[MentioningArticle], excluded: set[uuid.UUID]
) -> list[MentioningArticle]:
    seen: set[uuid.UUID] = set()
    kept = []
    for article in articles:
        story = article.duplicate_of_id or article.id
        if article.id in excluded or story in excluded or story in seen:
            continue
        seen.add(story)
        kept.append(article)
    return kept


async def _sentence(
    repo: ArticleRepository, articles: Sequence[MentioningArticle]
) -> NamingSentence | None:
    """A sentence naming the subject, from the listed article that names it most saliently."""
    for article in sorted(articles, key=lambda a: -a.salience)[:LATEST]:
        text = await repo.text_of(article.id)
        found = sentence_naming(text or "", article.mention_text)
        if found is not None:
            return NamingSentence(text=found, article=_ref(article))
    return None


def _ref(article: MentioningArticle) -> ArticleRef:
    return ArticleRef(
        article_id=article.id,
        url=article.url,
        title=article.title,
        source=article.source,
        published_at=article.published_at,
    )
