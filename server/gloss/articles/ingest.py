"""Article ingest: the engine's pass over new or changed texts (entities, glossary terms, the
sentence vector), then storing them with duplicate detection; and re-running that pass later."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession

from gloss.articles.repository import ArticleRepository
from gloss.articles.schemas import ArticleCreate
from gloss.glossaries import compiled as compiled_glossaries
from gloss.models import Article, ArticleMention
from gloss.models.base import utcnow
from gloss.nlp import dense, ranking
from gloss.nlp.terms import CompiledGlossary
from gloss.runtime import CompiledGlossaries
from gloss.urls import normalize_url

IngestStatus = Literal["created", "updated", "unchanged"]


class AnnotatingRuntime(Protocol):
    """What ingest needs of gloss.runtime.NlpRuntime: queue a text for the engine's
    one thread, which batches whatever is waiting through nlp.pipe; sentence vectors; and the
    glossaries it holds compiled (None: the runtime matches no glossary terms)."""

    @property
    def glossaries(self) -> CompiledGlossaries | None: ...

    @property
    def dense_model(self) -> str | None: ...

    @property
    def related_weights(self) -> ranking.Weights: ...

    async def annotate(
        self,
        text: str,
        glossaries: Sequence[CompiledGlossary],
        include: frozenset[str],
        owner: Hashable = None,
        priority: Literal["visible", "background"] = "visible",
    ) -> Any: ...

    async def embed(self, documents: Sequence[str]) -> list[np.ndarray] | None: ...


async def extract_mentions(
    nlp: AnnotatingRuntime | None,
    documents: Sequence[tuple[str, str]],
    glossaries: Sequence[CompiledGlossary] = (),
    owner: Hashable = None,
) -> list[list[ranking.MentionSummary]]:
    """Entities and glossary terms of each (title, text), summarised with their salience.

    The one place ingest meets the NLP engine: without one (GLOSS_LOAD_NLP=false) articles are
    stored without mentions, and `gloss articles reindex --mentions` adds them later.
    """
    if nlp is None or not documents:
        return [[] for _ in documents]
    texts = [f"{title}\n\n{text}" for title, text in documents]
    include = frozenset({"entities", "terms"})
    # Queued together, the runtime's worker takes them in batches through nlp.pipe, behind
    # whatever a reader has on screen.
    results = await asyncio.gather(
        *(nlp.annotate(t, glossaries, include, owner, "background") for t in texts)
    )
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
    glossaries: Sequence[CompiledGlossary] = (),
    owner: Hashable = None,
) -> list[Analysis]:
    """Mentions and vectors of each (title, text): the spaCy pass and the encoder run at the
    same time, each on its own thread."""
    if nlp is None or nlp.dense_model is None or not documents:
        return [Analysis(m) for m in await extract_mentions(nlp, documents, glossaries, owner)]
    mentions, vectors = await asyncio.gather(
        extract_mentions(nlp, documents, glossaries, owner), embed_documents(nlp, documents)
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
    text = ranking.PageText.of("", item.text)  # split into words once, for hash and shingles
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


@dataclass
class IngestPlan:
    """A batch read and analysed, ready to store: each item prepared, and the NLP pass of those
    whose text is new or changed (by index)."""

    team_id: uuid.UUID
    prepared: list[_Prepared]
    analyses: dict[int, Analysis]
    # What the plan found stored, by URL: reused when the batch is stored in the same
    # transaction, looked up again in another one.
    existing: dict[str, Article] = field(default_factory=dict)

    @property
    def lookup(self) -> list[str]:
        """The URLs (and canonical URLs) the batch may already be stored under."""
        urls = {p.url for p in self.prepared}
        return sorted(urls | {p.canonical_url for p in self.prepared if p.canonical_url})


async def plan_ingest(
    session: AsyncSession,
    team_id: uuid.UUID,
    items: Sequence[ArticleInput],
    nlp: AnnotatingRuntime | None = None,
) -> IngestPlan:
    """Read what is stored of `items` and run the engine, in one batched pass, on the texts
    that are new or changed. Only reads: a route runs it in its read-only transaction, so
    SQLite's write lock is not held through the spaCy pass."""
    plan = IngestPlan(team_id, [_prepare(item) for item in items], {})
    existing = plan.existing = await ArticleRepository(session).by_urls(team_id, plan.lookup)
    needs_nlp: list[int] = []
    in_batch: set[tuple[str, str, str]] = set()
    for index, p in enumerate(plan.prepared):
        found = _stored(existing, p)
        # A line repeating an earlier one of the batch will be "unchanged": no second pass.
        repeat = (p.url, p.item.title, p.item.text)
        if (found is None or _changed(found, p)[1]) and repeat not in in_batch:
            needs_nlp.append(index)
        in_batch.add(repeat)
    if nlp is not None and needs_nlp:
        documents = [(plan.prepared[i].item.title, plan.prepared[i].item.text) for i in needs_nlp]
        glossaries = await compiled_glossaries.for_team(session, nlp.glossaries, team_id)
        analyses = await analyse(nlp, documents, glossaries, team_id)
        plan.analyses = dict(zip(needs_nlp, analyses, strict=True))
    return plan


async def apply_ingest(
    session: AsyncSession, plan: IngestPlan, *, same_transaction: bool = False
) -> list[IngestOutcome]:
    """Store a planned batch: the same URL updates, the same text elsewhere is marked a
    duplicate. Planned in another transaction, the URLs are looked up again: another writer
    may have stored one since (it is then updated, or found unchanged)."""
    repo = ArticleRepository(session)
    existing = plan.existing if same_transaction else await repo.by_urls(plan.team_id, plan.lookup)
    outcomes: list[IngestOutcome] = []
    for index, p in enumerate(plan.prepared):
        found = _stored(existing, p)
        if found is not None:
            outcome = await _update(repo, found, p, plan.analyses.get(index))
        else:
            analysis = plan.analyses.get(index, Analysis([]))
            outcome = await _create(repo, plan.team_id, p, analysis)
            existing[p.url] = outcome.article
            if p.canonical_url:
                existing.setdefault(p.canonical_url, outcome.article)
        outcomes.append(outcome)
    return outcomes


async def ingest_batch(
    session: AsyncSession,
    team_id: uuid.UUID,
    items: Sequence[ArticleInput],
    nlp: AnnotatingRuntime | None = None,
) -> list[IngestOutcome]:
    """Plan and store `items` in one transaction (the CLI, bulk batches, the demo)."""
    plan = await plan_ingest(session, team_id, items, nlp)
    return await apply_ingest(session, plan, same_transaction=True)


def _stored(existing: dict[str, Article], p: _Prepared) -> Article | None:
    return existing.get(p.url) or (existing.get(p.canonical_url) if p.canonical_url else None)


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
        glossaries = await compiled_glossaries.for_team(session, nlp.glossaries, team_id)
        documents = [(a.title, a.text) for a in team_articles]
        analyses = await analyse(nlp, documents, glossaries, team_id)
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
