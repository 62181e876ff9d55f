"""Articles: ingest (with entity extraction and duplicate detection), search, and related."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession

from gloss.articles.repository import ArticleCard, ArticleRepository
from gloss.articles.schemas import ArticleCreate, RelatedArticle
from gloss.auth.service import Principal
from gloss.errors import BadRequest, NotFound
from gloss.models import Article, ArticleMention, Role
from gloss.models.base import utcnow
from gloss.nlp import dense
from gloss.nlp import related as ranking
from gloss.pagination import decode_cursor, encode_cursor
from gloss.search import DF_CAP, backend_for
from gloss.search.sqlite_index import live_index_for, remember_change_seq
from gloss.teams.access import require_member, require_role
from gloss.urls import normalize_url

MAX_RELATED = 50
# How many of the page's entities seed the "articles mentioning them" candidates.
MAX_QUERY_ENTITIES = 10
MORE_LIKE_THIS_TERMS = 20

IngestStatus = Literal["created", "updated", "unchanged"]


# --- the NLP engine seam -----------------------------------------------------------------------


class AnnotatingRuntime(Protocol):
    """What ingest needs of gloss.annotate.runtime.NlpRuntime: queue a text for the engine's
    one thread, which batches whatever is waiting through nlp.pipe; and sentence vectors."""

    @property
    def dense_model(self) -> str | None: ...

    @property
    def related_weights(self) -> ranking.Weights: ...

    async def annotate(
        self, text: str, glossaries: Sequence[Any], include: frozenset[str]
    ) -> Any: ...

    async def embed(self, documents: Sequence[str]) -> list[np.ndarray] | None: ...


async def team_glossaries(
    session: AsyncSession, nlp: AnnotatingRuntime, team_id: uuid.UUID
) -> list[Any]:
    """The team's glossaries compiled for the engine (cached by version in the runtime)."""
    from gloss.annotate.runtime import NlpRuntime
    from gloss.annotate.service import current_glossaries

    if not isinstance(nlp, NlpRuntime):
        return []
    _, compiled = await current_glossaries(session, nlp, [team_id])
    return list(compiled)


async def extract_mentions(
    nlp: AnnotatingRuntime | None,
    documents: Sequence[tuple[str, str]],
    glossaries: Sequence[Any] = (),
) -> list[list[ranking.MentionSummary]]:
    """Entities and glossary terms of each (title, text), summarised with their salience.

    The one place ingest meets the NLP engine: without one (GLOSS_LOAD_NLP=false) articles are
    stored without mentions, and `gloss articles reindex --mentions` adds them later.
    """
    if nlp is None or not documents:
        return [[] for _ in documents]
    texts = [f"{title}\n\n{text}" for title, text in documents]
    include = frozenset({"entities", "terms"})
    # Queued together, the runtime's worker takes them as one batch through nlp.pipe.
    results = await asyncio.gather(*(nlp.annotate(t, glossaries, include) for t in texts))
    summaries = []
    for (title, text), result in zip(documents, results, strict=True):
        spans = [
            ranking.MentionSpan("entity", e.key, e.label, e.text, e.start)
            for e in getattr(result, "entities", ())
        ] + [
            ranking.MentionSpan("term", t.term_id, None, t.text, t.start)
            for t in getattr(result, "terms", ())
        ]
        summaries.append(ranking.summarise_mentions(spans, len(title) + 2, len(text)))
    return summaries


@dataclass(frozen=True, slots=True)
class Analysis:
    """What ingest keeps of an article's NLP pass: its mentions and its sentence vector."""

    mentions: list[ranking.MentionSummary]
    vector: dense.Vector | None = None


async def analyse(
    nlp: AnnotatingRuntime | None,
    documents: Sequence[tuple[str, str]],
    glossaries: Sequence[Any] = (),
) -> list[Analysis]:
    """Mentions and vectors of each (title, text): the spaCy pass and the encoder run at the
    same time, each on its own thread."""
    if nlp is None or nlp.dense_model is None or not documents:
        return [Analysis(m) for m in await extract_mentions(nlp, documents, glossaries)]
    mentions, vectors = await asyncio.gather(
        extract_mentions(nlp, documents, glossaries), embed_documents(nlp, documents)
    )
    if vectors is None:
        return [Analysis(m) for m in mentions]
    return [Analysis(m, v) for m, v in zip(mentions, vectors, strict=True)]


async def embed_documents(
    nlp: AnnotatingRuntime, documents: Sequence[tuple[str, str]]
) -> list[dense.Vector] | None:
    """The sentence vectors of each (title, text), or None without an encoder."""
    model = nlp.dense_model
    if model is None:
        return None
    values = await nlp.embed([dense.document(title, text) for title, text in documents])
    return None if values is None else [dense.Vector(model, v) for v in values]


# --- ingest ------------------------------------------------------------------------------------


@dataclass
class ArticleInput:
    """One article to store, as submitted (the URL not yet normalised)."""

    url: str
    title: str
    text: str
    canonical_url: str | None = None
    source: str | None = None
    published_at: datetime | None = None
    tags: list[str] = field(default_factory=list)

    @classmethod
    def from_schema(cls, body: ArticleCreate) -> ArticleInput:
        return cls(
            url=body.url,
            title=body.title,
            text=body.text,
            canonical_url=body.canonical_url,
            source=body.source,
            published_at=body.published_at,
            tags=list(body.tags),
        )


@dataclass
class IngestOutcome:
    status: IngestStatus
    article: Article
    mentions_changed: bool = False
    mentions: list[ArticleMention] = field(default_factory=list)


@dataclass
class _Prepared:
    item: ArticleInput
    url: str
    canonical_url: str | None
    content_hash: str
    shingles: set[str]
    bands: list[int]


def _prepare(item: ArticleInput) -> _Prepared:
    text = ranking.Page.of("", item.text)  # split into words once, for hash and shingles
    shingles = text.shingles()
    canonical = normalize_url(item.canonical_url) if item.canonical_url else None
    url = normalize_url(item.url)
    return _Prepared(
        item=item,
        url=url,
        canonical_url=canonical if canonical != url else None,
        content_hash=text.content_hash(),
        shingles=shingles,
        bands=ranking.minhash_bands(shingles),
    )


def _changed(article: Article, p: _Prepared) -> tuple[bool, bool]:
    """(anything changed, the title or text changed: mentions must be extracted again)."""
    item = p.item
    text_changed = article.title != item.title or article.text != item.text
    changed = text_changed or (
        article.canonical_url,
        article.source,
        article.published_at,
        list(article.tags or []),
    ) != (p.canonical_url, item.source, item.published_at, item.tags)
    return changed, text_changed


async def ingest_batch(
    session: AsyncSession,
    team_id: uuid.UUID,
    items: Sequence[ArticleInput],
    nlp: AnnotatingRuntime | None = None,
    *,
    commit_before_nlp: bool = False,
) -> list[IngestOutcome]:
    """Store `items` in the team: the same URL updates, the same text elsewhere is marked a
    duplicate; entities of new or changed texts are extracted in one batched engine pass.

    `commit_before_nlp` is for a request's own session (nothing written yet but a token's last
    use): the transaction ends before the spaCy pass, so SQLite's write lock is not held
    through it, and the URLs are looked up again afterwards."""
    repo = ArticleRepository(session)
    prepared = [_prepare(item) for item in items]
    lookup = {p.url for p in prepared} | {p.canonical_url for p in prepared if p.canonical_url}
    existing = await repo.by_urls(team_id, sorted(lookup))

    needs_nlp: list[int] = []
    in_batch: set[tuple[str, str, str]] = set()
    for index, p in enumerate(prepared):
        found = existing.get(p.url) or (existing.get(p.canonical_url) if p.canonical_url else None)
        # A line repeating an earlier one of the batch will be "unchanged": no second pass.
        repeat = (p.url, p.item.title, p.item.text)
        if (found is None or _changed(found, p)[1]) and repeat not in in_batch:
            needs_nlp.append(index)
        in_batch.add(repeat)
    extracted: dict[int, Analysis] = {}
    if nlp is not None and needs_nlp:
        documents = [(prepared[i].item.title, prepared[i].item.text) for i in needs_nlp]
        glossaries = await team_glossaries(session, nlp, team_id)
        if commit_before_nlp:
            await session.commit()
        analyses = await analyse(nlp, documents, glossaries)
        extracted = dict(zip(needs_nlp, analyses, strict=True))
        if commit_before_nlp:
            # Another request may have stored one of these URLs meanwhile.
            existing = await repo.by_urls(team_id, sorted(lookup))

    outcomes: list[IngestOutcome] = []
    for index, p in enumerate(prepared):
        found = existing.get(p.url) or (existing.get(p.canonical_url) if p.canonical_url else None)
        if found is not None:
            outcome = await _update(repo, found, p, extracted.get(index))
        else:
            outcome = await _create(repo, team_id, p, extracted.get(index, Analysis([])))
            existing[p.url] = outcome.article
            if p.canonical_url:
                existing.setdefault(p.canonical_url, outcome.article)
        outcomes.append(outcome)
    return outcomes


async def _find_duplicate(
    repo: ArticleRepository, team_id: uuid.UUID, p: _Prepared, itself: uuid.UUID | None
) -> uuid.UUID | None:
    """The original this text repeats: an earlier article with the same or nearly the same
    words (shingle Jaccard at least 0.7), followed to the root of its duplicate chain."""
    for article_id, content_hash, duplicate_of, text in await repo.duplicate_candidates(
        team_id, p.content_hash, p.bands
    ):
        if article_id == itself:
            continue
        if (
            content_hash == p.content_hash
            or ranking.jaccard(ranking.shingles(text), p.shingles) >= ranking.NEAR_DUPLICATE_JACCARD
        ):
            return duplicate_of or article_id
    return None


async def _create(
    repo: ArticleRepository,
    team_id: uuid.UUID,
    p: _Prepared,
    analysis: Analysis,
) -> IngestOutcome:
    item = p.item
    article = Article(
        team_id=team_id,
        url=p.url,
        canonical_url=p.canonical_url,
        title=item.title,
        text=item.text,
        source=item.source,
        published_at=item.published_at,
        tags=item.tags,
        duplicate_of_id=await _find_duplicate(repo, team_id, p, None),
    )
    article.set_fingerprint(p.content_hash, p.bands)
    await repo.add(article)
    if analysis.mentions:
        await repo.replace_mentions(article, analysis.mentions)
    if analysis.vector is not None:
        await _replace_vector(repo, article.id, analysis.vector)
    return IngestOutcome("created", article, mentions_changed=bool(analysis.mentions))


async def _update(
    repo: ArticleRepository,
    article: Article,
    p: _Prepared,
    analysis: Analysis | None,
) -> IngestOutcome:
    changed, text_changed = _changed(article, p)
    if not changed:
        return IngestOutcome("unchanged", article)
    item = p.item
    article.title = item.title
    article.text = item.text
    article.canonical_url = p.canonical_url
    article.source = item.source
    article.published_at = item.published_at
    article.tags = item.tags
    article.version += 1
    article.updated_at = utcnow()
    if text_changed:
        article.set_fingerprint(p.content_hash, p.bands)
        article.duplicate_of_id = await _find_duplicate(repo, article.team_id, p, article.id)
    await repo.session.flush()
    if analysis is not None:
        await repo.replace_mentions(article, analysis.mentions)
        await _replace_vector(repo, article.id, analysis.vector)
    elif text_changed:
        # Changed without the engine: a vector of the old text would mislead.
        await repo.delete_vector(article.id)
    return IngestOutcome("updated", article, mentions_changed=analysis is not None)


async def _replace_vector(
    repo: ArticleRepository, article_id: uuid.UUID, vector: dense.Vector | None
) -> None:
    if vector is None:
        await repo.delete_vector(article_id)
    else:
        await repo.replace_vector(article_id, vector.model, dense.to_blob(vector.values))


async def refresh_mentions(
    session: AsyncSession, nlp: AnnotatingRuntime, articles: Sequence[Article]
) -> int:
    """Extract the entities and terms (and, with the encoder, the vectors) of stored articles
    again (after they were stored without the engine, or a glossary changed); returns how
    many articles were done."""
    repo = ArticleRepository(session)
    by_team: dict[uuid.UUID, list[Article]] = {}
    for article in articles:
        by_team.setdefault(article.team_id, []).append(article)
    for team_id, team_articles in by_team.items():
        glossaries = await team_glossaries(session, nlp, team_id)
        analyses = await analyse(nlp, [(a.title, a.text) for a in team_articles], glossaries)
        for article, analysis in zip(team_articles, analyses, strict=True):
            await repo.replace_mentions(article, analysis.mentions)
            if analysis.vector is not None:
                await _replace_vector(repo, article.id, analysis.vector)
    return len(articles)


async def add_vectors(
    session: AsyncSession, nlp: AnnotatingRuntime, articles: Sequence[Article]
) -> int:
    """Store the sentence vectors of articles that have none (stored before vectors were
    kept, or without the encoder); returns how many were stored."""
    vectors = await embed_documents(nlp, [(a.title, a.text) for a in articles])
    if not vectors:
        return 0
    repo = ArticleRepository(session)
    for article, vector in zip(articles, vectors, strict=True):
        await _replace_vector(repo, article.id, vector)
    return len(articles)


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


async def create_article(
    session: AsyncSession,
    principal: Principal,
    body: ArticleCreate,
    nlp: AnnotatingRuntime | None,
) -> IngestOutcome:
    team_id = writable_team(principal, body.team_id)
    items = [ArticleInput.from_schema(body)]
    outcome = (await ingest_batch(session, team_id, items, nlp, commit_before_nlp=True))[0]
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


# --- listing and search ------------------------------------------------------------------------


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


# --- related -----------------------------------------------------------------------------------


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
        ranking.Page.of(title, text),
        url,
        entity_keys,
        limit,
        weights=weights,
        vector=vector,
    )


async def related_for_page(
    session: AsyncSession,
    team_ids: Sequence[uuid.UUID],
    page: ranking.Page,
    url: str | None,
    entity_keys: Sequence[str],
    limit: int,
    *,
    weights: ranking.Weights = ranking.DEFAULT_WEIGHTS,
    vector: dense.Vector | None = None,
) -> list[RelatedArticle]:
    """`related_for_text` of a page already split into words (the annotate cache keeps it)."""
    # NUL can reach here from a page; PostgreSQL refuses it in a parameter, and no URL has it.
    url = url.replace("\x00", "") if url else None
    page_url = normalize_url(url) if url else None
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
        page=ranking.Page.of(article.title, article.text),
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
    """The page's stored copies; where the in-memory related index answers (SQLite), the
    same statement reads the change sequence the index will be checked against."""
    repo = ArticleRepository(session)
    if live_index_for(session) is None:
        return await repo.page_group(team_ids, url, content_hash)
    group, seq = await repo.page_group_and_change_seq(team_ids, url, content_hash)
    remember_change_seq(session, seq)
    return group


async def related_for_key(
    session: AsyncSession,
    team_ids: Sequence[uuid.UUID],
    kind: Literal["entity", "term"],
    key: str,
    limit: int,
) -> list[RelatedArticle]:
    """The caller's articles that mention an entity (by its key) or a glossary term (by its
    id), the most salient and recent first; one article per group of duplicates."""
    limit = max(1, min(limit, MAX_RELATED))
    key = key.replace("\x00", "")
    repo = ArticleRepository(session)
    rows = await repo.mentioning(team_ids, kind, [key], min(limit * 4, 500))
    ranked = ranking.key_ranking([(str(r[0]), r[2], r[3]) for r in rows], utcnow())
    cards = await repo.cards([uuid.UUID(k) for k, _ in ranked], team_ids)
    return _present(ranked, cards, limit, set())


async def _related(
    session: AsyncSession,
    team_ids: Sequence[uuid.UUID],
    *,
    page: ranking.Page,
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
    # Over-fetch: the page's own copies and duplicate groups are dropped after ranking.
    fetch = limit * 3 + len(excluded) + 10
    hits = await backend.more_like_this(session, team_ids, groups, fetch)
    lexical = {h.article_id: h.score for h in hits}
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

    # A copy of the page under another URL (its opening nearly all in the page) is never
    # related. The check costs a tokenisation, so it is asked only where the answer matters:
    # of the lexically best (they set the scale every lexical score is relative to) until one
    # is no copy, and of the ranked articles as they are presented. The answer is the one
    # checking every candidate first would give.
    copies: dict[uuid.UUID, bool] = {}
    page_shingles = page.shingles()

    def is_copy(article_id: uuid.UUID) -> bool:
        if article_id not in copies:
            copies[article_id] = ranking.contained(
                cards[article_id].opening, page_shingles, ranking.NEAR_DUPLICATE_JACCARD
            )
        return copies[article_id]

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
