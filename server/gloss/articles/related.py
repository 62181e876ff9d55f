"""Related articles: stored articles like a page (its distinctive words, the articles naming its
entities, sentence vectors), and the articles that mention one entity or term."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from gloss.articles.ingest import AnnotatingRuntime
from gloss.articles.repository import ArticleCard, ArticleRepository
from gloss.articles.schemas import RelatedArticle
from gloss.articles.service import get_article
from gloss.auth.service import Principal
from gloss.models.base import utcnow
from gloss.nlp import dense, ranking
from gloss.search import DF_CAP, backend_for
from gloss.urls import normalize_url

MAX_RELATED = 50
# How many of the page's entities seed the "articles mentioning them" candidates.
MAX_QUERY_ENTITIES = 10
MORE_LIKE_THIS_TERMS = 20


async def related_for_text(
    session: AsyncSession,
    team_ids: Sequence[uuid.UUID],
    text: str,
    url: str | None,
    entity_keys: Sequence[str],
    limit: int,
    *,
    title: str = "",
    weights: ranking.Weights = ranking.DEFAULT_WEIGHTS,
    vector: dense.Vector | None = None,
) -> list[RelatedArticle]:
    """Stored articles related to a page: a more-like-this query from its most distinctive
    words plus the articles naming its entities, re-ranked by lexical score, shared entities
    and recency, and by the similarity of the page's `vector` to theirs where given. Never
    the page itself (by normalised URL) nor a copy of its text."""
    return await related_for_page(
        session,
        team_ids,
        ranking.PageText.of(title, text),
        url,
        entity_keys,
        limit,
        weights=weights,
        vector=vector,
    )


async def related_for_page(
    session: AsyncSession,
    team_ids: Sequence[uuid.UUID],
    page: ranking.PageText,
    url: str | None,
    entity_keys: Sequence[str],
    limit: int,
    *,
    weights: ranking.Weights = ranking.DEFAULT_WEIGHTS,
    vector: dense.Vector | None = None,
) -> list[RelatedArticle]:
    """`related_for_text` of a page already split into words (the annotate cache keeps it)."""
    page_url = _normalized(url)
    excluded = await _page_group(session, team_ids, page_url, page.content_hash())
    return await _related(
        session,
        team_ids,
        page=page,
        entity_keys=entity_keys,
        limit=limit,
        excluded=excluded,
        reference=utcnow(),
        weights=weights,
        vector=vector,
    )


async def related_for_article(
    session: AsyncSession,
    principal: Principal,
    article_id: uuid.UUID,
    limit: int,
    nlp: AnnotatingRuntime | None = None,
) -> list[RelatedArticle]:
    """Related articles of a stored article, in the caller's teams; with the runtime's
    sentence encoder, re-ranked by the article's stored vector."""
    article, mentions = await get_article(session, principal, article_id)
    vector = None
    weights = ranking.DEFAULT_WEIGHTS
    if nlp is not None and (model := nlp.dense_model) is not None:
        weights = nlp.related_weights
        values = dense.from_blob(await ArticleRepository(session).vector(article.id, model))
        vector = dense.Vector(model, values) if values is not None else None
    excluded = await _page_group(session, principal.team_ids, article.url, article.content_hash)
    excluded.add(article.id)
    if article.duplicate_of_id:
        excluded.add(article.duplicate_of_id)
    keys = [m.key for m in mentions if m.kind == "entity"]
    return await _related(
        session,
        principal.team_ids,
        page=ranking.PageText.of(article.title, article.text),
        entity_keys=keys,
        limit=limit,
        excluded=excluded,
        reference=article.published_at or utcnow(),
        weights=weights,
        vector=vector,
    )


async def _page_group(
    session: AsyncSession, team_ids: Sequence[uuid.UUID], url: str | None, content_hash: str
) -> set[uuid.UUID]:
    """The page's stored copies; the same statement reads what the search backend asks for."""
    probe = backend_for(session).probe(session)
    group, value = await ArticleRepository(session).page_group(
        team_ids, url, content_hash, probe.sql if probe is not None else None
    )
    if probe is not None:
        probe.keep(value or 0)
    return group


async def related_for_key(
    session: AsyncSession,
    team_ids: Sequence[uuid.UUID],
    kind: Literal["entity", "term"],
    key: str,
    limit: int,
    *,
    excluded: set[uuid.UUID] | None = None,
) -> list[RelatedArticle]:
    """The caller's articles that mention an entity (by its key) or a glossary term (by its
    id), the most salient and recent first; one article per group of duplicates, none of the
    `excluded` (the page the reader is on, and its copies)."""
    limit = max(1, min(limit, MAX_RELATED))
    key = key.replace("\x00", "")
    repo = ArticleRepository(session)
    rows = await repo.mentioning(team_ids, kind, [key], min(limit * 4, 500))
    ranked = ranking.key_ranking([(str(r[0]), r[2], r[3]) for r in rows], utcnow())
    cards = await repo.cards([uuid.UUID(k) for k, _ in ranked], team_ids)
    return _present(ranked, cards, limit, excluded or set())


async def page_copies(
    session: AsyncSession, team_ids: Sequence[uuid.UUID], url: str | None
) -> set[uuid.UUID]:
    """The stored articles that are the page at `url` (by URL or canonical URL)."""
    page_url = _normalized(url)
    if page_url is None or not team_ids:
        return set()
    group, _ = await ArticleRepository(session).page_group(team_ids, page_url, None)
    return group


def _normalized(url: str | None) -> str | None:
    """The page's URL as articles are stored under it; None for no URL or one that is not a
    URL (a page's URL is whatever the browser sent, so it excludes nothing then)."""
    # NUL can reach here from a page; PostgreSQL refuses it in a parameter, and no URL has it.
    url = url.replace("\x00", "") if url else None
    if not url:
        return None
    try:
        return normalize_url(url)
    except ValueError:
        return None


async def _related(
    session: AsyncSession,
    team_ids: Sequence[uuid.UUID],
    *,
    page: ranking.PageText,
    entity_keys: Sequence[str],
    limit: int,
    excluded: set[uuid.UUID],
    reference: datetime,
    weights: ranking.Weights = ranking.DEFAULT_WEIGHTS,
    vector: dense.Vector | None = None,
) -> list[RelatedArticle]:
    limit = max(1, min(limit, MAX_RELATED))
    if not team_ids:
        return []
    repo = ArticleRepository(session)
    # Over-fetch: the page's own copies and duplicate groups are dropped after ranking.
    fetch = limit * 3 + len(excluded) + 10
    lexical = await _more_like_this(session, team_ids, page, fetch)
    keys = list(dict.fromkeys(entity_keys))[:MAX_QUERY_ENTITIES]
    excluded |= await repo.duplicates_of(sorted(excluded))
    # The lexical candidates' cards, and with them (one statement) the `fetch` articles
    # naming the page's entities most saliently.
    cards, shared = await repo.cards_and_mentions(
        sorted(set(lexical) - excluded),
        team_ids,
        "entity",
        keys,
        mentioning=fetch,
        vector_model=vector.model if vector is not None else None,
    )
    cards = {
        article_id: card
        for article_id, card in cards.items()
        if article_id not in excluded and card.duplicate_of_id not in excluded
    }
    is_copy = _CopyCheck(page, cards)
    # The lexically best set the scale every lexical score is relative to: copies among
    # them go before ranking (until the first that is no copy).
    for article_id in sorted(cards, key=lambda a: -lexical.get(a, 0.0)):
        if not is_copy(article_id):
            break
        del cards[article_id]
    candidates = {
        str(article_id): ranking.Candidate(
            lexical=lexical.get(article_id, 0.0),
            shared_salience=shared.get(article_id, {}),
            published_at=card.published_at,
            similarity=_similarity(vector, card.vector),
        )
        for article_id, card in cards.items()
    }
    ranked = ranking.rerank(candidates, keys, reference, weights)
    return _present(ranked, cards, limit, excluded, is_copy)


async def _more_like_this(
    session: AsyncSession, team_ids: Sequence[uuid.UUID], page: ranking.PageText, fetch: int
) -> dict[uuid.UUID, float]:
    """The `fetch` articles sharing most of the page's distinctive words, with their scores."""
    backend = backend_for(session)
    asked, frequencies = page.candidates()
    total, document_frequencies = await backend.document_frequencies(session, team_ids, asked)
    terms = ranking.select_terms(
        frequencies,
        document_frequencies,
        total,
        limit=MORE_LIKE_THIS_TERMS,
        saturated=DF_CAP,
    )
    groups = ranking.query_groups(terms, document_frequencies)
    hits = await backend.more_like_this(session, team_ids, groups, fetch)
    return {h.article_id: h.score for h in hits}


class _CopyCheck:
    """Whether a candidate is a copy of the page under another URL (its opening nearly all in
    the page): never related. The check costs a tokenisation, so it is asked only where the
    answer matters (the lexically best, and the ranked articles as they are presented), and
    kept; the answer is the one checking every candidate first would give."""

    def __init__(self, page: ranking.PageText, cards: dict[uuid.UUID, ArticleCard]) -> None:
        self._shingles = page.shingles()
        self._cards = cards
        self._known: dict[uuid.UUID, bool] = {}

    def __call__(self, article_id: uuid.UUID) -> bool:
        if article_id not in self._known:
            self._known[article_id] = ranking.contained(
                self._cards[article_id].opening, self._shingles, ranking.NEAR_DUPLICATE_JACCARD
            )
        return self._known[article_id]


def _similarity(vector: dense.Vector | None, stored: bytes | None) -> float | None:
    if vector is None:
        return None
    values = dense.from_blob(stored)
    return dense.cosine(vector.values, values) if values is not None else None


def _present(
    ranked: Sequence[tuple[str, float]],
    cards: dict[uuid.UUID, ArticleCard],
    limit: int,
    excluded: set[uuid.UUID],
    is_copy: Callable[[uuid.UUID], bool] = lambda _article_id: False,
) -> list[RelatedArticle]:
    """The best `limit`, one per duplicate group (an original and its copies are one story),
    none a copy of the page."""
    seen: set[uuid.UUID] = set()
    out: list[RelatedArticle] = []
    for key, score in ranked:
        card = cards.get(uuid.UUID(key))
        if card is None or is_copy(card.id):
            continue
        group = card.duplicate_of_id or card.id
        if group in seen or group in excluded:
            continue
        seen.add(group)
        out.append(
            RelatedArticle(
                article_id=card.id,
                url=card.url,
                title=card.title,
                snippet=ranking.snippet(card.opening),
                score=score,
                published_at=card.published_at,
            )
        )
        if len(out) == limit:
            break
    return out
