"""Related articles: stored articles like a page (its distinctive words, the articles naming its
entities, sentence vectors), and the articles that mention one entity or term."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession

from gloss.articles.ingest import AnnotatingRuntime
from gloss.articles.repository import ArticleCard, ArticleRepository
from gloss.articles.schemas import RelatedArticle
from gloss.articles.service import get_article
from gloss.auth.service import Principal
from gloss.models.base import utcnow
from gloss.nlp import dense, ranking
from gloss.search import DF_CAP, backend_for
from gloss.search.article_facts import Facts
from gloss.search.memory_index import ArticleIndex
from gloss.search.sqlite_index import change_seq, live_index_for
from gloss.search.vector_index import LiveVectors, VectorIndex, live_vectors_for
from gloss.urls import normalize_url

MAX_RELATED = 50
# How many of the page's entities seed the "articles mentioning them" candidates.
MAX_QUERY_ENTITIES = 10
MORE_LIKE_THIS_TERMS = 20
# The sentence vectors' nearest taken as candidates beyond what the other sources fetch.
DENSE_EXTRA = 5


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
    limit = max(1, min(limit, MAX_RELATED))
    fetch = _fetch(limit, 0)
    # On SQLite, whose transaction reads one snapshot, the same statement finds the articles
    # naming the page's entities; they count if the page has no stored copy (as `fetch`
    # assumes), sparing the cards statement that lookup.
    mentioning = fetch if session.get_bind().dialect.name == "sqlite" else 0
    grouping = asyncio.ensure_future(
        _page_group_and_mentioning(
            session, team_ids, page_url, page.content_hash(), _query_keys(entity_keys), mentioning
        )
    )
    # While the database looks for the page's copies (on its own thread), the in-memory
    # indexes answer as they stand; their answers count if they stand at what the session
    # sees and the page has no stored copy (the usual case: a page not stored).
    early = None
    try:
        await asyncio.sleep(0)  # the statement goes out
        early = _early(session, team_ids, page, vector, fetch) if team_ids else None
    finally:
        excluded, mentioned = await grouping
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
        early=early,
        mentioned=(mentioning, mentioned) if mentioned is not None else None,
    )


def _query_keys(entity_keys: Sequence[str]) -> list[str]:
    """The page's entities that seed the "articles mentioning them" candidates."""
    return list(dict.fromkeys(entity_keys))[:MAX_QUERY_ENTITIES]


def _fetch(limit: int, excluded: int) -> int:
    """How many candidates each source gives: the page's own copies and duplicate groups are
    dropped after ranking."""
    return limit * 3 + excluded + 10


@dataclass(frozen=True, slots=True)
class _Early:
    """The in-memory indexes' answers for a page, taken before the session's change-log
    sequence was known, with the sequences they stand at."""

    fetch: int
    lexical_mark: int
    lexical: dict[uuid.UUID, float]
    vectors: LiveVectors | None
    vector_index: VectorIndex | None
    vector_mark: int
    nearest: dict[uuid.UUID, float]

    async def holds(self, session: AsyncSession, fetch: int) -> bool:
        """Whether these are the answers the session would get now."""
        if fetch != self.fetch:
            return False
        seq = await change_seq(session)
        if self.lexical_mark != seq:
            return False
        return self.vectors is None or (
            self.vector_mark == seq
            and self.vectors.mark == seq
            and self.vectors.index is self.vector_index
        )


def _early(
    session: AsyncSession,
    team_ids: Sequence[uuid.UUID],
    page: ranking.PageText,
    vector: dense.Vector | None,
    fetch: int,
) -> _Early | None:
    """The more-like-this candidates from the in-memory lexical index and the page's nearest
    from the vector index, as they stand (no SQL: the session is busy). None where an index
    is not there to ask (PostgreSQL, a build under way)."""
    live = live_index_for(session)
    if live is None or not live.ready:
        return None
    asked, frequencies = page.candidates()
    unique = list(dict.fromkeys(asked))

    def more_like_this(index: ArticleIndex) -> dict[uuid.UUID, float]:
        # What `_more_like_this` asks the backend, asked of the index directly.
        document_frequencies = index.document_frequencies(unique, DF_CAP)
        terms = ranking.select_terms(
            frequencies,
            document_frequencies,
            len(index),
            limit=MORE_LIKE_THIS_TERMS,
            saturated=DF_CAP,
        )
        groups = ranking.query_groups(terms, document_frequencies)
        return dict(index.more_like_this(groups, team_ids, fetch)) if groups else {}

    answer = live.peek(more_like_this)
    if answer is None:
        return None
    vectors = vector_index = None
    vector_mark = -1
    nearest: dict[uuid.UUID, float] = {}
    if vector is not None:
        vectors = live_vectors_for(session, vector.model)
        if vectors.building or vectors.mark < 0 or vectors.in_flight:
            return None
        vector_index, vector_mark = vectors.index, vectors.mark
        nearest = dict(vector_index.search(vector.values, team_ids, fetch + DENSE_EXTRA))
    return _Early(fetch, answer[0], answer[1], vectors, vector_index, vector_mark, nearest)


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


async def page_group_of(
    session: AsyncSession, team_ids: Sequence[uuid.UUID], url: str | None, page: ranking.PageText
) -> set[uuid.UUID]:
    """The stored copies of the page at `url` with this text (never its related articles)."""
    return await _page_group(session, team_ids, _normalized(url), page.content_hash())


async def _page_group(
    session: AsyncSession, team_ids: Sequence[uuid.UUID], url: str | None, content_hash: str
) -> set[uuid.UUID]:
    """The page's stored copies; the same statement reads what the search backend asks for."""
    group, _ = await _page_group_and_mentioning(session, team_ids, url, content_hash, [], 0)
    return group


async def _page_group_and_mentioning(
    session: AsyncSession,
    team_ids: Sequence[uuid.UUID],
    url: str | None,
    content_hash: str,
    keys: Sequence[str],
    mentioning: int,
) -> tuple[set[uuid.UUID], list[uuid.UUID] | None]:
    """`_page_group`, and with `mentioning`, the ids of that many articles naming `keys` most
    saliently (None when not asked)."""
    probe = backend_for(session).probe(session)
    group, value, mentioned = await ArticleRepository(session).page_group_and_mentioning(
        team_ids,
        url,
        content_hash,
        probe.sql if probe is not None else None,
        keys=keys,
        mentioning=mentioning,
    )
    if probe is not None:
        probe.keep(value or 0)
    return group, mentioned


async def related_for_key(
    session: AsyncSession,
    team_ids: Sequence[uuid.UUID],
    kind: Literal["entity", "term"],
    key: str,
    limit: int,
    *,
    excluded: set[uuid.UUID] | None = None,
    vector: dense.Vector | None = None,
    name: str | None = None,
) -> list[RelatedArticle]:
    """The caller's articles about an entity (by its key) or a glossary term (by its id):
    those where it is central (salience at least CENTRAL_SALIENCE, not a name in passing),
    ranked by how central it is and, given the `vector` of the page the reader is on, by
    their closeness to it (ranking.subject_ranking); one article per group of duplicates,
    none of the `excluded` (the page the reader is on, and its copies)."""
    limit = max(1, min(limit, MAX_RELATED))
    key = key.replace("\x00", "")
    excluded = excluded or set()
    repo = ArticleRepository(session)
    rows = await repo.mentioning(team_ids, kind, [key], min((limit + len(excluded)) * 4, 500))
    central = [r for r in rows if r[2] >= ranking.CENTRAL_SALIENCE]
    cards, _, _ = await repo.cards_and_mentions(
        [r[0] for r in central],
        team_ids,
        kind,
        [],
        vector_model=vector.model if vector is not None else None,
    )
    vectors = _stored_vectors(cards) if vector is not None else None
    closeness = {
        article_id: _cosine(vector, vectors.get(article_id)) if vectors is not None else None
        for article_id in cards
    }
    ranked = [
        (uuid.UUID(key), score)
        for key, score in ranking.subject_ranking(
            [(str(r[0]), r[2], r[3], closeness.get(r[0])) for r in central if r[0] in cards]
        )
    ]
    about = f"about {name or key}"

    def why(article_id: uuid.UUID) -> str:
        near = closeness.get(article_id)
        if near is not None and near >= ranking.SAME_STORY_COSINE:
            return f"{about}; same story"
        return about

    return _present(ranked, cards, limit, excluded, why=why, vectors=vectors)


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


class _Card(Protocol):
    """What ranking reads of a candidate: an `ArticleCard`, or only its facts (`Facts`, from
    the in-memory index) until it is shown."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def duplicate_of_id(self) -> uuid.UUID | None: ...
    @property
    def published_at(self) -> datetime | None: ...


class _Details:
    """The candidates' cards read so far (every one, on the SQL path; None: not in the caller's
    teams any more), noting the ones asked for and not read yet."""

    def __init__(self, cards: dict[uuid.UUID, ArticleCard | None]) -> None:
        self.cards = cards
        self.missing: set[uuid.UUID] = set()

    def get(self, article_id: uuid.UUID) -> ArticleCard | None:
        if article_id in self.cards:
            return self.cards[article_id]
        self.missing.add(article_id)
        return None


@dataclass
class Gathered:
    """A page's candidates and what ranking and presenting them needs; ranked by `rank` (the
    evaluation ranks one gathering under many weights) or `rank_reading`."""

    ids: list[uuid.UUID]  # in the order their cards came
    lexical: dict[uuid.UUID, float]
    similarity: dict[uuid.UUID, float | None]
    shared: dict[uuid.UUID, dict[str, float]]
    keys: list[str]
    cards: dict[uuid.UUID, _Card]
    details: _Details
    names: dict[str, str]
    excluded: set[uuid.UUID]
    reference: datetime
    is_copy: Callable[[uuid.UUID], bool]
    vectors: dict[uuid.UUID, np.ndarray] | None  # the cards' sentence vectors, with the page's
    team_ids: Sequence[uuid.UUID]


async def gather(
    session: AsyncSession,
    team_ids: Sequence[uuid.UUID],
    *,
    page: ranking.PageText,
    entity_keys: Sequence[str],
    limit: int,
    excluded: set[uuid.UUID],
    reference: datetime,
    vector: dense.Vector | None = None,
    early: _Early | None = None,
    mentioned: tuple[int, list[uuid.UUID]] | None = None,
    read_cards: bool = True,
) -> Gathered:
    """The candidates of a page from the three sources: its sentence vector's nearest over
    the whole store (the in-memory vector index), its distinctive words (more-like-this), and
    the articles naming its entities most saliently. `early`: the indexes' answers taken
    while the page's copies were looked for, used if they still hold; `mentioned`: the
    articles naming the entities, read in the same transaction with the number asked for,
    used if that is the number wanted. The candidates' team, date, duplicate link and
    mentions of the page's entities come from the in-memory index when it stands at the
    session's snapshot (else with their cards, in one statement); `read_cards` False leaves
    the cards of the articles shown to `rank_reading`."""
    repo = ArticleRepository(session)
    fetch = _fetch(limit, len(excluded))
    live = live_vectors_for(session, vector.model) if vector is not None else None
    index = None
    mark = -1  # the vector index's, when it answered
    held = early is not None and await early.holds(session, fetch)
    if early is not None and held:
        lexical, nearest = early.lexical, early.nearest
        index, mark = early.vector_index, early.vector_mark
    else:
        lexical = await _more_like_this(session, team_ids, page, fetch)
        nearest = {}
        if live is not None and vector is not None:
            # None while the index is built at start-up: the other sources' candidates then,
            # with their vectors read from the database.
            index = await live.current(session)
            mark = live.mark
            if index is not None:
                nearest = dict(index.search(vector.values, team_ids, fetch + DENSE_EXTRA))
    keys = _query_keys(entity_keys)
    excluded |= await repo.duplicates_of(sorted(excluded))
    # The candidates' cards, and with them (one statement) the `fetch` articles naming the
    # page's entities most saliently, unless they were read already.
    wanted = set(lexical) | set(nearest)
    read_mentioned = mentioned is not None and mentioned[0] == fetch
    if mentioned is not None and read_mentioned:
        wanted.update(mentioned[1])
    asked = sorted(wanted - excluded, key=_as_int)
    facts = None
    if held and (read_mentioned or not keys) and (vector is None or index is not None):
        facts = await _facts_of(session, asked, keys)
    cards: dict[uuid.UUID, _Card]
    full: dict[uuid.UUID, ArticleCard] = {}
    if facts is not None:
        cards, shared, names = _from_facts(facts, team_ids)
        details = _Details({})
    else:
        full, shared, names = await repo.cards_and_mentions(
            asked,
            team_ids,
            "entity",
            keys,
            mentioning=0 if read_mentioned else fetch,
            vector_model=vector.model if vector is not None and index is None else None,
            doc_ids=index is not None,
        )
        cards = dict(full)
        details = _Details(dict(full))
    if excluded:
        cards = {
            article_id: card
            for article_id, card in cards.items()
            if article_id not in excluded and card.duplicate_of_id not in excluded
        }
    if facts is not None and read_cards:
        read = await repo.cards(list(cards), team_ids)
        details.cards.update({article_id: read.get(article_id) for article_id in cards})
    vectors = None
    if live is not None and index is not None and live.index is index and live.mark == mark:
        # The index stands at this session's snapshot: its vectors are the stored ones, by
        # each article's integer key (its facts', or read with its card).
        vectors = _indexed_vectors(
            {a: c.key for a, c in cards.items() if isinstance(c, Facts)}
            if facts is not None
            else {a: c.vector for a, c in full.items() if a in cards and isinstance(c.vector, int)},
            index,
        )
    elif live is not None:
        # Without the index, the vectors came with the cards; if it moved on while they were
        # read (another request caught it up), this snapshot's are read now.
        blobs = (
            {a: c.vector for a, c in full.items() if a in cards and isinstance(c.vector, bytes)}
            if index is None
            else await repo.vectors_of(list(cards), live.model)
        )
        vectors = _decoded(blobs)
    similarity = {
        article_id: _cosine(vector, vectors.get(article_id) if vectors is not None else None)
        if (near := nearest.get(article_id)) is None
        else near
        for article_id in cards
    }
    return Gathered(
        list(cards),
        lexical,
        similarity,
        shared,
        keys,
        cards,
        details,
        names,
        excluded,
        reference,
        _CopyCheck(page, details, similarity),
        vectors,
        team_ids,
    )


async def _facts_of(
    session: AsyncSession, article_ids: Sequence[uuid.UUID], keys: Sequence[str]
) -> list[Facts] | None:
    """The articles' facts from the in-memory index, if it stands at the session's snapshot
    (the change-log sequence read with the request's first statement)."""
    live = live_index_for(session)
    if live is None:
        return None
    peeked = live.peek_facts(lambda facts: facts.of(article_ids, keys))
    if peeked is None or peeked[0] != await change_seq(session):
        return None
    return peeked[1]


def _from_facts(
    facts: Sequence[Facts], team_ids: Sequence[uuid.UUID]
) -> tuple[dict[uuid.UUID, _Card], dict[uuid.UUID, dict[str, float]], dict[str, str]]:
    """What `cards_and_mentions` answers, from the facts (in the order of its rows: by id,
    each article's mentions by key), the cards without their text."""
    teams = set(team_ids)
    cards: dict[uuid.UUID, _Card] = {}
    shared: dict[uuid.UUID, dict[str, float]] = {}
    names: dict[str, str] = {}
    for fact in facts:
        if fact.team_id not in teams:
            continue
        cards[fact.id] = fact
        if fact.mentions:
            saliences = shared[fact.id] = {}
            for key in sorted(fact.mentions):
                salience, text = fact.mentions[key]
                saliences[key] = salience
                names.setdefault(key, text)
    return cards, shared, names


# A ranking of the candidates without the lexically best copies of the page: (ids, scores,
# their order).
_Ranking = tuple[list[uuid.UUID], ranking.Scored, list[int]]


def rank(
    gathered: Gathered, limit: int, weights: ranking.Weights = ranking.DEFAULT_WEIGHTS
) -> list[RelatedArticle]:
    """The best `limit` of the gathered candidates, each with its reason, one per story
    (every card read: `gather` with `read_cards`)."""
    listing = _listing(gathered, limit, weights, {})
    if gathered.details.missing:
        raise LookupError("cards not read: gather them with read_cards, or use rank_reading")
    return _shown(listing, gathered.details)


async def rank_reading(
    session: AsyncSession,
    gathered: Gathered,
    limit: int,
    weights: ranking.Weights = ranking.DEFAULT_WEIGHTS,
) -> list[RelatedArticle]:
    """`rank`, reading the cards it needs and has not: one statement, the cards of the
    articles listed and of the lexically best, each taken for no copy of the page until its
    text is read; ranked again only if one of them is a copy after all."""
    rankings: dict[tuple[uuid.UUID, ...], _Ranking] = {}
    repo = ArticleRepository(session)
    details = gathered.details
    while True:
        listing = _listing(gathered, limit, weights, rankings)
        missing = details.missing
        if not missing:
            return _shown(listing, details)
        asked = sorted(missing, key=_as_int)
        missing.clear()
        read = await repo.cards(asked, gathered.team_ids)
        details.cards.update({article_id: read.get(article_id) for article_id in asked})
        if all(read.get(a) is not None and not gathered.is_copy(a) for a in asked):
            return _shown(listing, details)  # what it took for granted holds


def _listing(
    gathered: Gathered,
    limit: int,
    weights: ranking.Weights,
    rankings: dict[tuple[uuid.UUID, ...], _Ranking],
) -> _Listing:
    """`rank`'s list with the cards read so far, noting those it lacked in
    `gathered.details` (each taken meanwhile for no copy of the page, and shown)."""
    lexical = gathered.lexical

    def by_lexical(article_id: uuid.UUID) -> float:
        return -lexical.get(article_id, 0.0)

    # The lexically best set the scale every lexical score is relative to: copies among
    # them go before ranking (until the first that is no copy). The best (the first of
    # equals, as in the sorted order) is usually none.
    copies = []
    if gathered.ids and gathered.is_copy(min(gathered.ids, key=by_lexical)):
        for article_id in sorted(gathered.ids, key=by_lexical):
            if not gathered.is_copy(article_id):
                break
            copies.append(article_id)
    known = rankings.get(tuple(copies))
    if known is None:
        dropped = set(copies)
        ids = [a for a in gathered.ids if a not in dropped] if dropped else gathered.ids
        similarity = gathered.similarity
        cards = gathered.cards
        candidates = ranking.Columns(
            # The ids' hex digits: in the order of their canonical form (the same digits
            # with dashes in the same places), made without its formatting.
            [article_id.hex for article_id in ids],
            np.fromiter((lexical.get(a, 0.0) for a in ids), np.float64, len(ids)),
            np.fromiter(
                (np.nan if (c := similarity[a]) is None else c for a in ids), np.float64, len(ids)
            ),
            [gathered.shared.get(a, {}) for a in ids],
            [cards[a].published_at for a in ids],
        )
        scored = ranking.score(candidates, gathered.keys, gathered.reference, weights)
        known = rankings[tuple(copies)] = (ids, scored, scored.order())
    ids, scored, order = known
    # Rounded as they are read: `_present` reads a few more than `limit`, not all.
    ranked = ((ids[row], round(float(scored.score[row]), 4)) for row in order)
    row_of = {article_id: row for row, article_id in enumerate(ids)}

    def why(article_id: uuid.UUID) -> str:
        row = row_of[article_id]
        shared = gathered.shared.get(article_id, {})
        names = [gathered.names.get(key, key) for key, _ in sorted(shared.items(), key=_by_value)]
        return ranking.reason(scored.signals(row), names, weights)

    remaining = {a: c for a, c in gathered.cards.items() if a not in copies} if copies else None
    return _list(
        ranked,
        gathered.cards if remaining is None else remaining,
        limit,
        gathered.excluded,
        gathered.is_copy,
        details=gathered.details,
        why=why,
        vectors=gathered.vectors,
    )


def _by_value(item: tuple[str, float]) -> float:
    return -item[1]


def _as_int(article_id: uuid.UUID) -> int:
    # The order of `uuid.UUID`'s own comparison, without its Python-level `__lt__`.
    return article_id.int


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
    early: _Early | None = None,
    mentioned: tuple[int, list[uuid.UUID]] | None = None,
) -> list[RelatedArticle]:
    limit = max(1, min(limit, MAX_RELATED))
    if not team_ids:
        return []
    gathered = await gather(
        session,
        team_ids,
        page=page,
        entity_keys=entity_keys,
        limit=limit,
        excluded=excluded,
        reference=reference,
        vector=vector,
        early=early,
        mentioned=mentioned,
        read_cards=False,
    )
    return await rank_reading(session, gathered, limit, weights)


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
    the page, or its sentence vector as good as the page's): never related. The text check
    costs a tokenisation (and its card's text), so it is asked only where the answer matters
    (the lexically best, and the ranked articles as they are presented), and kept; the answer
    is the one checking every candidate first would give. A card not read yet answers "no"
    for now, and is noted in `details` to be read."""

    def __init__(
        self,
        page: ranking.PageText,
        details: _Details,
        similarity: dict[uuid.UUID, float | None] | None = None,
    ) -> None:
        self._shingles = page.shingles()
        self._details = details
        self._similarity = similarity or {}
        self._known: dict[uuid.UUID, bool] = {}

    def __call__(self, article_id: uuid.UUID) -> bool:
        known = self._known.get(article_id)
        if known is not None:
            return known
        cosine = self._similarity.get(article_id)
        if cosine is not None and cosine >= ranking.NEAR_COPY_COSINE:
            self._known[article_id] = True
            return True
        card = self._details.get(article_id)
        if card is None:
            return False  # not read yet (noted), or not there to show
        self._known[article_id] = ranking.contained(
            card.opening, self._shingles, ranking.NEAR_DUPLICATE_JACCARD
        )
        return self._known[article_id]


def _cosine(vector: dense.Vector | None, values: np.ndarray | None) -> float | None:
    if vector is None or values is None:
        return None
    return dense.cosine(vector.values, values)


def _stored_vectors(cards: dict[uuid.UUID, ArticleCard]) -> dict[uuid.UUID, np.ndarray]:
    """The cards' vectors as the database stores them (read with the cards)."""
    return _decoded({a: c.vector for a, c in cards.items() if isinstance(c.vector, bytes)})


def _decoded(blobs: dict[uuid.UUID, bytes]) -> dict[uuid.UUID, np.ndarray]:
    out = {}
    for article_id, blob in blobs.items():
        values = dense.from_blob(blob)
        if values is not None:
            out[article_id] = values
    return out


def _indexed_vectors(keys: dict[uuid.UUID, int], index: VectorIndex) -> dict[uuid.UUID, np.ndarray]:
    """The cards' vectors from the in-memory index, by each card's integer key (copies: the
    index may grow or compact later)."""
    keyed = {key: article_id for article_id, key in keys.items()}
    return {keyed[key]: values for key, values in index.vectors(list(keyed)).items()}


@dataclass
class _Listing:
    """The articles listed, best first, with their scores and the copies grouped under each."""

    listed: list[tuple[uuid.UUID, float]]
    duplicates: list[int]
    why: Callable[[uuid.UUID], str] | None


def _present(
    ranked: Iterable[tuple[uuid.UUID, float]],
    cards: dict[uuid.UUID, ArticleCard],
    limit: int,
    excluded: set[uuid.UUID],
    *,
    why: Callable[[uuid.UUID], str] | None = None,
    vectors: dict[uuid.UUID, np.ndarray] | None = None,
) -> list[RelatedArticle]:
    """`_list` of cards read, shown."""
    details = _Details(dict(cards))
    return _shown(_list(ranked, cards, limit, excluded, why=why, vectors=vectors), details)


def _list(
    ranked: Iterable[tuple[uuid.UUID, float]],
    cards: Mapping[uuid.UUID, _Card],
    limit: int,
    excluded: set[uuid.UUID],
    is_copy: Callable[[uuid.UUID], bool] = lambda _article_id: False,
    *,
    details: _Details | None = None,
    why: Callable[[uuid.UUID], str] | None = None,
    vectors: dict[uuid.UUID, np.ndarray] | None = None,
) -> _Listing:
    """The best `limit`, one per story, none a copy of the page. A story is a duplicate group
    (an original and the copies ingest found) and, with `vectors` (the cards' sentence
    vectors, when the page has one), the near-copies among the candidates (sentence vectors at
    NEAR_COPY_COSINE or closer): the best ranked is listed,
    and counts the others in `duplicates` (those ranked within `limit` past the last listed:
    a copy scores about as its original does). `cards` may hold only the candidates' facts:
    `details` then notes the listed ones whose cards it has not read."""
    seen: dict[uuid.UUID, int] = {}
    listed_vectors: list[tuple[int, np.ndarray]] = []
    listed: list[tuple[uuid.UUID, float]] = []
    duplicates: list[int] = []
    after = 0  # candidates read past a full list, for the copies of the listed
    for article_id, score in ranked:
        if len(listed) == limit:
            after += 1
            if after > limit:
                break
        card = cards.get(article_id)
        if card is None or (len(listed) < limit and is_copy(card.id)):
            continue
        group = card.duplicate_of_id or card.id
        if group in excluded:
            continue
        at = seen.get(group)
        values = vectors.get(card.id) if vectors is not None else None
        if at is None and values is not None:
            at = next(
                (
                    i
                    for i, other in listed_vectors
                    if dense.cosine(values, other) >= ranking.NEAR_COPY_COSINE
                ),
                None,
            )
        if at is not None:
            if at < len(listed):
                duplicates[at] += 1
            continue
        if len(listed) == limit:
            continue
        if details is not None and details.get(article_id) is None and article_id in details.cards:
            continue  # read, and not there to show
        seen[group] = len(listed)
        if values is not None:
            listed_vectors.append((len(listed), values))
        listed.append((article_id, score))
        duplicates.append(0)
    return _Listing(listed, duplicates, why)


def _shown(listing: _Listing, details: _Details) -> list[RelatedArticle]:
    out = []
    for (article_id, score), copies in zip(listing.listed, listing.duplicates, strict=True):
        card = details.cards[article_id]
        assert card is not None
        out.append(
            RelatedArticle(
                article_id=card.id,
                url=card.url,
                title=card.title,
                snippet=ranking.snippet(card.opening),
                score=score,
                published_at=card.published_at,
                reason=listing.why(card.id) if listing.why is not None else "",
                duplicates=copies,
            )
        )
    return out
