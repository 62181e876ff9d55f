"""Articles: ingest throughput and related-article latency at 1k, 10k, 100k and 1M stored
articles, against tantivy (an embedded Rust search engine) over the same seeded corpus."""

from __future__ import annotations

import asyncio
import gc
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gloss.articles.ingest import ArticleInput, ingest_batch
from gloss.articles.related import related_for_text
from gloss.articles.repository import SNIPPET_SOURCE_CHARS
from gloss.db import create_engine, create_read_sessionmaker, create_sessionmaker, migrate
from gloss.models import Article, ArticleMention, ArticleVector, Team
from gloss.models.article import new_doc_id
from gloss.nlp import dense, ranking
from gloss.search import DF_CAP, backend_for
from gloss.search.sqlite_index import LiveIndex, attach, detach
from gloss.search.vector_index import forget as forget_vector_indexes
from gloss.search.vector_index import live_vectors_for
from gloss.settings import Settings

SEED = 20261129
TOPICS = 60
# Rare words of each topic, and how many of them an article has.
TAIL_WORDS = 1000
TAIL_PER_ARTICLE = 5
SYLLABLES = (
    "ka lo mi ren tas vor del pi su ran ket mon bra zel fi dor gu lin sa ter no vel cor "
    "mar tin pol sek ra ve ul om is an"
).split()
NOW = datetime(2026, 11, 29, tzinfo=UTC)


# --- the seeded corpus -------------------------------------------------------------------------


class Corpus:
    """News-like articles: each about one topic (its own words and names) in a shared language
    of common words, a second topic mixed in, names recurring within a topic."""

    def __init__(self, seed: int = SEED) -> None:
        rng = random.Random(seed)
        words: set[str] = set()
        while len(words) < 10_000:
            words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 3, 3, 4)))))
        pool = sorted(words)
        rng.shuffle(pool)
        self.common = pool[:3000]
        self.topic_words = [pool[3000 + t * 80 : 3000 + (t + 1) * 80] for t in range(TOPICS)]
        names = [w.capitalize() for w in pool[3000 + TOPICS * 80 :]]
        self.topic_names = [
            [f"{names[2 * (t * 12 + i)]} {names[2 * (t * 12 + i) + 1]}" for i in range(12)]
            for t in range(TOPICS)
        ]
        self.seed = seed
        # Zipf-like weights: a few words carry most of the text, as in real language.
        self.common_weights = [1 / (i + 1) for i in range(len(self.common))]
        self.topic_weights = [1 / (i + 1) ** 0.8 for i in range(80)]
        # Each topic's long tail: rare words, a few in each article (as real news has rare
        # names and terms), so that a topic keeps words in fewer than DF_CAP articles at a
        # million (without them every word of this vocabulary is in thousands there, and
        # more-like-this, which skips such words, would have none to ask for).
        tail_rng = random.Random(f"{seed}:tail")
        tail: set[str] = set()
        while len(tail) < TOPICS * TAIL_WORDS:
            word = "".join(tail_rng.choice(SYLLABLES) for _ in range(tail_rng.choice((3, 4, 4))))
            if word not in words:
                tail.add(word)
        rare = sorted(tail)
        tail_rng.shuffle(rare)
        self.topic_tail = [rare[t * TAIL_WORDS : (t + 1) * TAIL_WORDS] for t in range(TOPICS)]

    def article(self, n: int) -> tuple[dict[str, Any], list[str]]:
        """Article `n` (the same for the same n and seed) and its entity keys."""
        rng = random.Random(self.seed * 1_000_003 + n)
        topic = rng.randrange(TOPICS)
        second = rng.randrange(TOPICS)
        cast = rng.sample(self.topic_names[topic], 3) + rng.sample(self.topic_names[second], 1)
        length = rng.randint(120, 220)
        kinds = rng.choices(
            ("common", "topic", "second", "name"), (0.62, 0.27, 0.07, 0.04), k=length
        )
        common = iter(rng.choices(self.common, self.common_weights, k=length))
        own = iter(rng.choices(self.topic_words[topic], self.topic_weights, k=length))
        other = iter(rng.choices(self.topic_words[second], self.topic_weights, k=length))
        body: list[str] = []
        mentioned: list[str] = []
        for i, kind in enumerate(kinds):
            if kind == "name":
                name = cast[0] if i < 20 else rng.choice(cast)
                mentioned.append(name)
                body.append(name)
            else:
                body.append(next(common if kind == "common" else own if kind == "topic" else other))
            if i % 16 == 15:
                body[-1] += "."
        # The long tail from a generator of its own: the rest of the article is as before.
        # Two of its rare words are in the title too (a headline names what is particular to
        # the story), so they are among the page's most frequent words, the ones asked about.
        extra = random.Random(f"{self.seed}:{n}:tail")
        rare = extra.sample(self.topic_tail[topic], TAIL_PER_ARTICLE)
        for word in rare:
            body.insert(extra.randrange(len(body) + 1), word)
        title = " ".join(
            [cast[0]]
            + rng.choices(self.topic_words[topic][:20], k=4)
            + rng.choices(self.common, k=2)
            + rare[:2]
        )
        text = " ".join(body) + "."
        published = NOW - timedelta(days=rng.randrange(730), minutes=rng.randrange(1440))
        article = {
            "url": f"https://bench.example/{topic}/{n}",
            "title": title,
            "text": text,
            "published_at": published,
            "topic": topic,
        }
        return article, [cast[0], *mentioned]


def synthetic_vector(topic: int, n: int) -> np.ndarray:
    """A stand-in sentence vector for article `n` of `topic`: the topic's centre plus as much
    noise again (articles of one topic have cosines near 0.5, of two topics near 0), so the
    dense re-rank does its real work on realistic numbers. Computing all-MiniLM-L6-v2 for
    100k articles would take over an hour here; relevance with the real model is in
    docs/quality.md."""
    centre = np.random.default_rng((SEED, topic)).normal(size=dense.DIMENSIONS)
    noise = np.random.default_rng((SEED, topic, n)).normal(size=dense.DIMENSIONS)
    vector = centre / np.linalg.norm(centre) + noise / np.linalg.norm(noise)
    return (vector / np.linalg.norm(vector)).astype(np.float32)


def _mention_rows(
    article_id: uuid.UUID, team_id: uuid.UUID, article: dict[str, Any], names: list[str]
) -> list[dict[str, Any]]:
    spans = [
        ranking.MentionSpan("entity", name.lower(), "PERSON", name, i * 7 + len(article["title"]))
        for i, name in enumerate(names[1:])
    ] + [ranking.MentionSpan("entity", names[0].lower(), "PERSON", names[0], 0)]
    return [
        {
            "article_id": article_id,
            "kind": m.kind,
            "key": m.key,
            "team_id": team_id,
            "label": m.label,
            "text": m.text,
            "count": m.count,
            "salience": m.salience,
            "published_at": article["published_at"],
        }
        for m in ranking.summarise_mentions(spans, len(article["title"]), len(article["text"]))
    ]


# --- timing helpers ----------------------------------------------------------------------------


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@dataclass
class Latency:
    median_ms: float
    p95_ms: float


def _latency(samples: list[float]) -> Latency:
    return Latency(statistics.median(samples) * 1000, _percentile(samples, 0.95) * 1000)


# --- the Gloss side ----------------------------------------------------------------------------


async def _new_store(path: Path) -> tuple[Any, async_sessionmaker[AsyncSession], uuid.UUID]:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{path}", load_nlp=False)
    engine = create_engine(settings)
    await migrate(engine)
    maker = create_sessionmaker(engine)
    async with maker() as session, session.begin():
        team = Team(name="bench")
        session.add(team)
        await session.flush()
        team_id = team.id
    return engine, maker, team_id


async def _bulk_load(
    maker: async_sessionmaker[AsyncSession],
    team_id: uuid.UUID,
    corpus: Corpus,
    numbers: range,
    chunk: int = 5000,
) -> float:
    """Insert articles with executemany (FTS5 triggers index them); returns seconds spent in
    the database (generating the text is not counted)."""
    spent = 0.0
    for start in range(numbers.start, numbers.stop, chunk):
        rows, mentions, vectors = [], [], []
        for n in range(start, min(start + chunk, numbers.stop)):
            article, names = corpus.article(n)
            article_id = uuid.uuid4()
            vector = dense.to_blob(synthetic_vector(article["topic"], n))
            vectors.append({"article_id": article_id, "model": dense.MODEL_NAME, "vector": vector})
            rows.append(
                {
                    "id": article_id,
                    "team_id": team_id,
                    "doc_id": new_doc_id(),
                    "url": article["url"],
                    "canonical_url": None,
                    "title": article["title"],
                    "text": article["text"],
                    "source": "bench",
                    "published_at": article["published_at"],
                    "tags": [],
                    "content_hash": ranking.content_hash(article["text"]),
                    # Random bands: duplicate detection is not what this corpus measures, and
                    # MinHash of 100k texts in Python would dominate the build.
                    **{f"minhash_band{b}": random.getrandbits(31) for b in range(4)},
                    "duplicate_of_id": None,
                    "version": 1,
                    "created_at": NOW,
                    "updated_at": NOW,
                }
            )
            mentions.extend(_mention_rows(article_id, team_id, article, names))
        started = time.perf_counter()
        async with maker() as session, session.begin():
            await session.execute(insert(Article.__table__), rows)
            await session.execute(insert(ArticleMention.__table__), mentions)
            await session.execute(insert(ArticleVector.__table__), vectors)
        spent += time.perf_counter() - started
    return spent


# The triggers a bulk seed turns off while it writes (FTS5's and the change log's), by name.
_SEED_TRIGGERS = (
    "articles_fts_",
    "article_changes_",
    "article_vector_changes_",
    "article_mention_changes_",
)


async def _bulk_seed(
    maker: async_sessionmaker[AsyncSession],
    team_id: uuid.UUID,
    corpus: Corpus,
    numbers: range,
) -> float:
    """`_bulk_load` for the million: the same rows of articles, mentions and vectors, written
    with the FTS5 and change-log triggers off, which then writes what they would have: the
    FTS5 index rebuilt from the articles in one pass, and one change-log entry per new article
    (the state ingest leaves). Its rate is in the ingest table beside the triggers' (at a
    million it was no faster than `_bulk_load` at 100k; it is kept as the path that does the
    FTS5 work once). Returns seconds in the database."""
    started = time.perf_counter()
    async with maker() as session, session.begin():
        triggers = (
            await session.execute(
                text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
            )
        ).all()
        dropped = [(n, sql) for n, sql in triggers if n.startswith(_SEED_TRIGGERS)]
        for name, _ in dropped:
            await session.execute(text(f'DROP TRIGGER "{name}"'))
        last = await session.scalar(text("SELECT coalesce(max(rowid), 0) FROM articles"))
    spent = time.perf_counter() - started
    try:
        spent += await _bulk_load(maker, team_id, corpus, numbers, chunk=20_000)
    finally:
        started = time.perf_counter()
        async with maker() as session, session.begin():
            for _, sql in dropped:
                await session.execute(text(sql))
            await session.execute(
                text(
                    "INSERT INTO article_changes(doc_id) SELECT doc_id FROM articles "
                    "WHERE rowid > :last ORDER BY rowid"
                ),
                {"last": last},
            )
            await backend_for(session).rebuild(session)
        spent += time.perf_counter() - started
    return spent


async def _service_ingest(corpus: Corpus, count: int, nlp: Any, first: int) -> float:
    """Articles per second through the ingest service (normalise, fingerprint, duplicate
    check, store, mentions), 64 a transaction as the bulk endpoint does."""
    with tempfile.TemporaryDirectory() as folder:
        engine, maker, team_id = await _new_store(Path(folder) / "ingest.sqlite3")
        items = []
        for n in range(first, first + count):
            article, _ = corpus.article(n)
            items.append(
                ArticleInput(
                    url=article["url"],
                    title=article["title"],
                    text=article["text"],
                    published_at=article["published_at"],
                )
            )
        started = time.perf_counter()
        for i in range(0, len(items), 64):
            async with maker() as session, session.begin():
                await ingest_batch(session, team_id, items[i : i + 64], nlp)
        elapsed = time.perf_counter() - started
        await engine.dispose()
    return count / elapsed


@dataclass
class QueryPage:
    title: str
    text: str
    url: str
    keys: list[str]
    vector: dense.Vector


@dataclass
class GlossRun:
    related: Latency
    lexical: Latency
    terms: list[list[str]]  # the words each page's more-like-this asked for
    on_topic: float
    answers: list[list[str]]  # the related URLs of each page
    peer_job: Latency | None = None  # tantivy's job on the same pages, interleaved


async def _related_latencies(
    maker: async_sessionmaker[AsyncSession],
    team_id: uuid.UUID,
    pages: list[QueryPage],
    vectors: bool = True,
    peer: TantivyPeer | None = None,
) -> GlossRun:
    """`related_for_text` end to end (with the page's vector, as `POST /v1/annotate` passes
    it, unless `vectors` is off), and the lexical more-like-this query alone, in read-only
    sessions as `POST /v1/annotate` has them (after the request's first statement). With
    `peer`, tantivy's share of the job on each page right after Gloss's: the machine is
    shared and its speed drifts, so the two are timed side by side."""
    full: list[float] = []
    peer_times: list[float] = []
    lexical: list[float] = []
    on_topic: list[float] = []
    terms_used: list[list[str]] = []
    answers: list[list[str]] = []
    for round_ in range(2):  # the first round warms SQLite's page cache
        for page in pages:
            async with maker() as session:
                # POST /v1/annotate has checked the caller's token in this session before it
                # asks for related articles: the connection is checked out and the read
                # transaction begun (a cost of every request, not of related).
                await session.execute(text("SELECT 1"))
                started = time.perf_counter()
                found = await ask_related(related_for_text, session, team_id, page, vectors)
                elapsed = time.perf_counter() - started
            assert found, "the benchmark corpus should always have related articles"
            peer_elapsed = peer.job(page) if peer is not None else 0.0
            async with maker() as session:
                backend = backend_for(session)
                frequencies = ranking.term_frequencies(page.title, page.text)
                total, df = await backend.document_frequencies(
                    session, [team_id], ranking.candidate_terms(frequencies)
                )
                terms = ranking.select_terms(frequencies, df, total, limit=20, saturated=DF_CAP)
                groups = ranking.query_groups(terms, df)
                started = time.perf_counter()
                await backend.more_like_this(session, [team_id], groups, 25)
                lexical_elapsed = time.perf_counter() - started
            if round_:
                topic = page.url.split("/")[3]
                on_topic.append(sum(r.url.split("/")[3] == topic for r in found) / len(found))
                answers.append([r.url for r in found])
                full.append(elapsed)
                peer_times.append(peer_elapsed)
                lexical.append(lexical_elapsed)
                terms_used.append([f for forms, _ in groups for f in forms])
    return GlossRun(
        _latency(full),
        _latency(lexical),
        terms_used,
        statistics.mean(on_topic),
        answers,
        _latency(peer_times) if peer is not None else None,
    )


def _rss_mib() -> float:
    """The process's resident memory (Linux; 0 elsewhere)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


CATCH_UP = 1000


async def _vector_index(
    reader: async_sessionmaker[AsyncSession],
    maker: async_sessionmaker[AsyncSession],
    team_id: uuid.UUID,
    corpus: Corpus,
    pages: list[QueryPage],
    later: range,
) -> tuple[VectorResult, float]:
    """Build the process's vector index from scratch (as a server's first related query
    does), store the `later` articles and time its catch-up from the change log, then time
    its answers against the exact scan; (the result, seconds the bulk load took)."""
    forget_vector_indexes()
    gc.collect()
    before = _rss_mib()
    started = time.perf_counter()
    async with reader() as session:
        live = live_vectors_for(session, dense.MODEL_NAME)
        index = await live.current(session)
    build_s = time.perf_counter() - started
    gc.collect()
    grown = _rss_mib() - before
    loaded = await _bulk_load(maker, team_id, corpus, later)
    started = time.perf_counter()
    async with reader() as session:
        caught = await live.current(session)
    catch_up_s = time.perf_counter() - started
    assert caught is index
    served: list[float] = []
    exact: list[float] = []
    recall: list[float] = []
    for round_ in range(2):
        for page in pages:
            started = time.perf_counter()
            answer = index.search(page.vector.values, [team_id], 10)
            served_s = time.perf_counter() - started
            started = time.perf_counter()
            truth = index.search(page.vector.values, [team_id], 10, exact=True)
            exact_s = time.perf_counter() - started
            if round_:
                served.append(served_s)
                exact.append(exact_s)
                recall.append(len({a for a, _ in answer} & {t for t, _ in truth}) / len(truth))
    stats = index.stats()
    return (
        VectorResult(
            build_s,
            stats.bytes,
            grown,
            stats.approximate,
            _latency(served),
            _latency(exact),
            statistics.mean(recall),
            catch_up_s,
        ),
        loaded,
    )


MILLION = 1_000_000


async def _indexed(path: Path) -> tuple[LiveIndex, float, float]:
    """Attach the in-memory related index as `gloss serve` does; (it, seconds to build, MiB
    the process grew by)."""
    gc.collect()
    before = _rss_mib()
    started = time.perf_counter()
    live = attach(str(path))
    await asyncio.to_thread(live.wait)
    elapsed = time.perf_counter() - started
    assert live.ready, live.failed
    gc.collect()
    return live, elapsed, _rss_mib() - before


# --- the peer: tantivy -------------------------------------------------------------------------


class TantivyPeer:
    def __init__(self) -> None:
        import tantivy

        builder = tantivy.SchemaBuilder()
        builder.add_text_field("title", stored=True)
        builder.add_text_field("body", stored=False)
        # What a related answer shows, stored as Gloss reads it: the URL and the opening.
        builder.add_text_field("url", stored=True, index_option="basic", tokenizer_name="raw")
        builder.add_text_field("opening", stored=True, index_option="basic", tokenizer_name="raw")
        builder.add_integer_field("n", stored=True, indexed=False)
        self.tantivy = tantivy
        self.index = tantivy.Index(builder.build())
        self.writer = self.index.writer(heap_size=256_000_000, num_threads=2)

    def add(self, corpus: Corpus, numbers: range) -> float:
        articles = [corpus.article(n)[0] for n in numbers]
        started = time.perf_counter()
        for n, article in zip(numbers, articles, strict=True):
            self.writer.add_document(
                self.tantivy.Document(
                    title=article["title"],
                    body=article["text"],
                    url=article["url"],
                    opening=article["text"][:SNIPPET_SOURCE_CHARS],
                    n=n,
                )
            )
        self.writer.commit()
        self.writer.wait_merging_threads()
        self.writer = self.index.writer(heap_size=256_000_000, num_threads=2)
        self.index.reload()
        return time.perf_counter() - started

    def _query(self, terms: list[str]) -> Any:
        return self.index.parse_query(
            " ".join(terms), ["title", "body"], field_boosts={"title": 3.0}
        )

    def query_latency(self, queries: list[list[str]]) -> Latency:
        """The lexical query alone: the words Gloss's more-like-this asked for, top 25."""
        searcher = self.index.searcher()
        samples = []
        for round_ in range(2):
            for terms in queries:
                started = time.perf_counter()
                hits = searcher.search(self._query(terms), 25).hits
                elapsed = time.perf_counter() - started
                assert hits
                if round_:
                    samples.append(elapsed)
        return _latency(samples)

    def job(self, page: QueryPage) -> float:
        """The part of a related answer tantivy can do, done by tantivy, timed: the page's
        words (the same pure code as Gloss), their document frequencies from tantivy's term
        dictionary (title and body), the same term selection, the query, and the stored URL,
        title and opening of the 25 hits. Not done: entities, duplicates, re-ranking."""
        searcher = self.index.searcher()
        started = time.perf_counter()
        asked, frequencies = ranking.PageText.of(page.title, page.text).candidates()
        df = {}
        for term in asked:
            count = max(searcher.doc_freq("title", term), searcher.doc_freq("body", term))
            if count:
                df[term] = min(count, DF_CAP)
        terms = ranking.select_terms(frequencies, df, searcher.num_docs, limit=20, saturated=DF_CAP)
        groups = ranking.query_groups(terms, df)
        hits = searcher.search(self._query([f for g, _ in groups for f in g]), 25).hits
        cards = [searcher.doc(address) for _, address in hits]
        shown = [(c["url"][0], c["title"][0], c["opening"][0]) for c in cards]
        elapsed = time.perf_counter() - started
        assert shown
        return elapsed


# --- the run -----------------------------------------------------------------------------------


@dataclass
class SizeResult:
    size: int
    indexed: GlossRun  # the SQLite default: the in-memory related index and page vectors
    lexical_only: GlossRun  # the in-memory index without vectors (GLOSS_RELATED_DENSE=false)
    fts5: GlossRun  # GLOSS_RELATED_INDEX=false (and no vectors): FTS5 answers
    peer_job: Latency
    peer_query: Latency
    same_answers: int  # pages whose related list was the same on both Gloss paths
    build_s: float
    index_bytes: int
    rss_growth_mib: float
    vectors: VectorResult | None = None


@dataclass
class VectorResult:
    """The in-memory vector index at one size (gloss.search.vector_index)."""

    build_s: float
    bytes: int
    rss_growth_mib: float
    approximate: bool
    search: Latency  # the index's answer alone (what related asks of it), as served
    exact: Latency  # the exact scan over every vector
    recall_at_10: float  # of the served answer against the exact scan
    catch_up_s: float  # applying CATCH_UP new articles from the change log


def _progress(message: str) -> None:
    print(f"   {message}", file=sys.stderr, flush=True)


async def _measure(quick: bool, million: bool = False) -> dict[str, Any]:
    load_before = os.getloadavg()[0]
    corpus = Corpus()
    # GLOSS_BENCH_LARGEST caps the sizes; the million comes with --million (it takes this
    # machine about half an hour more).
    largest = int(os.environ.get("GLOSS_BENCH_LARGEST", MILLION))
    every = (1_000, 10_000, 100_000, *((MILLION,) if million else ()))
    sizes = [500, 2000] if quick else [s for s in every if s <= largest]
    query_count = 10 if quick else 40
    pages = _query_pages(query_count)

    from gloss.runtime import load_runtime

    ingest_plain = await _service_ingest(corpus, 300 if quick else 2000, None, 20_000_000)
    ingest_nlp: dict[str, float] = {}
    for label, with_vectors in (("spacy", False), ("vectors", True)):
        runtime = await load_runtime(dense_model=with_vectors)
        try:
            assert (runtime.dense_model is not None) == with_vectors
            ingest_nlp[label] = await _service_ingest(
                corpus, 64 if quick else 256, runtime, 30_000_000
            )
        finally:
            await runtime.stop()
    _progress(
        f"ingest: {ingest_plain:.0f}/s without NLP, {ingest_nlp['spacy']:.0f}/s with spaCy, "
        f"{ingest_nlp['vectors']:.0f}/s with spaCy and vectors"
    )

    results: list[SizeResult] = []
    bulk_seconds = 0.0
    peer = TantivyPeer()
    peer_seconds = 0.0
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.sqlite3"
        engine, maker, team_id = await _new_store(path)
        # Related is asked in read-only sessions, as POST /v1/annotate asks it.
        reader = create_read_sessionmaker(engine)
        stored = 0
        bulk_count = 0
        seeded: tuple[int, float] | None = None
        for size in sizes:
            # The last tenth (at most CATCH_UP) is stored after the vector index is built: it
            # measures the catch-up.
            catch = min(CATCH_UP, (size - stored) // 10)
            if size >= MILLION:
                seed_seconds = await _bulk_seed(maker, team_id, corpus, range(stored, size - catch))
                seeded = (size - catch - stored, seed_seconds)
            else:
                bulk_seconds += await _bulk_load(
                    maker, team_id, corpus, range(stored, size - catch)
                )
                bulk_count = size - catch
            vectors, loaded = await _vector_index(
                reader, maker, team_id, corpus, pages, range(size - catch, size)
            )
            # Merge the index segments the bulk load left, as `gloss articles reindex` does
            # (tantivy's side likewise waits for its merges).
            started = time.perf_counter()
            async with maker() as session, session.begin():
                await backend_for(session).rebuild(session)
            if size < MILLION:
                bulk_seconds += loaded + time.perf_counter() - started
                bulk_count = size
            peer_seconds += await asyncio.to_thread(peer.add, corpus, range(stored, size))
            stored = size
            gc.collect()
            # First without the in-memory index (GLOSS_RELATED_INDEX=false), then with it,
            # built from scratch as at a server's start.
            fts5 = await _related_latencies(reader, team_id, pages, vectors=False)
            live, build_s, rss_growth = await _indexed(path)
            try:
                lexical_only = await _related_latencies(reader, team_id, pages, vectors=False)
                indexed = await _related_latencies(reader, team_id, pages, peer=peer)
                stats = live.stats()
                assert live.declined == 0, "the index should answer every benchmark query"
            finally:
                detach(live)
            assert indexed.peer_job is not None
            peer_job = indexed.peer_job
            peer_query = peer.query_latency(indexed.terms)
            same = sum(a == b for a, b in zip(lexical_only.answers, fts5.answers, strict=True))
            results.append(
                SizeResult(
                    size,
                    indexed,
                    lexical_only,
                    fts5,
                    peer_job,
                    peer_query,
                    same,
                    build_s,
                    stats.bytes if stats else 0,
                    rss_growth,
                    vectors,
                )
            )
            _progress(
                f"{size}: related {indexed.related.median_ms:.2f} ms "
                f"(without vectors {lexical_only.related.median_ms:.2f}, "
                f"FTS5 path {fts5.related.median_ms:.2f}), tantivy job "
                f"{peer_job.median_ms:.2f} ms; lexical {indexed.lexical.median_ms:.2f} ms "
                f"(FTS5 {fts5.lexical.median_ms:.2f}), tantivy {peer_query.median_ms:.2f} ms; "
                f"index built in {build_s:.1f} s; vectors built in {vectors.build_s:.1f} s, "
                f"search {vectors.search.median_ms:.2f} ms (exact {vectors.exact.median_ms:.2f}), "
                f"recall {vectors.recall_at_10:.3f}, catch-up {vectors.catch_up_s:.2f} s"
            )
        await engine.dispose()
    return {
        "sizes": results,
        "ingest_plain": ingest_plain,
        "ingest_nlp": ingest_nlp,
        "bulk_rate": bulk_count / bulk_seconds,
        "seed_rate": seeded[0] / seeded[1] if seeded else None,
        "peer_rate": stored / peer_seconds,
        "queries": query_count,
        "quick": quick,
        "load": (load_before, os.getloadavg()[0]),
    }


def _label(size: int) -> str:
    return f"{size // 1000}k" if size >= 1000 else str(size)


def render(measured: dict[str, Any]) -> str:
    sizes: list[SizeResult] = measured["sizes"]
    largest = sizes[-1]
    lines = [
        "## Articles: ingest and related articles",
        "",
        f"A seeded corpus (`tests/benchmarks/bench_articles.py`, seed {SEED}): news-like "
        f"articles of 120 to 220 words, {TOPICS} topics with their own words and recurring "
        "names in a shared Zipf-distributed vocabulary. The store grows in one SQLite file "
        "(FTS5, WAL); tantivy, an embedded Rust search engine, indexes the same articles in "
        f"memory. Each size runs {measured['queries']} unseen pages, twice (the first round "
        "warms caches, the second is measured), in read-only sessions as `POST /v1/annotate` "
        "has them. Load average "
        f"{measured['load'][0]:.1f} at the start and {measured['load'][1]:.1f} at the end "
        f"on {os.cpu_count()} cores (the machine is shared; load inflates the Python-side "
        "figures, with their thread hand-offs to the SQLite worker, more than tantivy's).",
        "",
        "Whole jobs, top 5 for Gloss, top 25 for tantivy:",
        "",
        "- **related**: `related_for_text` end to end as the SQLite default runs it "
        "(`GLOSS_RELATED_INDEX=true`, `GLOSS_RELATED_DENSE=true`): the page's words, document "
        "frequencies and the more-like-this query from the in-memory index; the page's "
        "copies, the articles naming its entities, duplicate exclusion and the cards with "
        "shared entities from SQLite; the page's nearest by sentence vector and the "
        "candidates' vectors from the in-memory vector index; re-ranking (with the "
        "cosine of the page's vector, given as `POST /v1/annotate` gives it: computed beside "
        "the spaCy pass, see the annotate section) and snippets. The stored vectors here are "
        "synthetic (a topic's centre plus noise: `synthetic_vector`), since the real model "
        "over 100k articles would take over an hour; their cost is the same. The million "
        "(with `--million`) is the same synthetic corpus, its articles past 100k written by "
        "`_bulk_seed`: the rows ingest writes, with the FTS5 and change-log triggers off "
        "while they are written and their work done after in one pass each.",
        "- **no vectors**: the same without sentence vectors (`GLOSS_RELATED_DENSE=false`).",
        "- **related, FTS5**: without vectors and with `GLOSS_RELATED_INDEX=false` (document "
        "frequencies and more-like-this as FTS5 queries), the figure before the index.",
        "- **tantivy, same job**: what tantivy can do of it: the page's words and the same "
        "term selection (the same pure code), document frequencies from tantivy's term "
        "dictionary, the query, and the stored URL, title and opening of its 25 hits. "
        "It has no entities, duplicates or re-ranking to do. It runs on each page right "
        "after Gloss's related call, so both are timed under the same machine conditions "
        "(this machine's speed drifts from minute to minute).",
        "",
        "The lexical query alone (the page's most distinctive words and their plurals, within "
        "a budget of 4,000 postings; top 25):",
        "",
        "- **index**: Gloss's in-memory index; **FTS5**: the same query as FTS5 doclist "
        "scans; **tantivy**: the same words as one disjunctive query, title boosted 3x.",
        "- **on topic**: the share of the 5 related articles from the page's own topic (the "
        "corpus's label; equal scores are ordered by the store's random ids, so it moves by a "
        "few points from one built store to the next), with vectors and (in brackets) "
        "without; **same**: pages whose 5 related articles were identical with and without "
        "the index (both without vectors), on the same store.",
        "",
        "| stored articles | related median | related p95 | no vectors | related, FTS5 "
        "| tantivy, same job | related / tantivy job | lexical: index | lexical: FTS5 "
        "| lexical: tantivy | index / tantivy | on topic | same |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in sizes:
        lines.append(
            f"| {r.size:,} | {r.indexed.related.median_ms:.2f} ms "
            f"| {r.indexed.related.p95_ms:.2f} ms | {r.lexical_only.related.median_ms:.2f} ms "
            f"| {r.fts5.related.median_ms:.2f} ms "
            f"| {r.peer_job.median_ms:.2f} ms "
            f"| {r.indexed.related.median_ms / r.peer_job.median_ms:.1f}x "
            f"| {r.indexed.lexical.median_ms:.2f} ms | {r.fts5.lexical.median_ms:.2f} ms "
            f"| {r.peer_query.median_ms:.2f} ms "
            f"| {r.indexed.lexical.median_ms / r.peer_query.median_ms:.1f}x "
            f"| {r.indexed.on_topic:.0%} ({r.lexical_only.on_topic:.0%}) "
            f"| {r.same_answers}/{len(r.indexed.answers)} |"
        )
    hundred_k = next((r for r in sizes if r.size == 100_000), largest)
    ratio = hundred_k.indexed.related.median_ms / hundred_k.peer_job.median_ms
    lines += [
        "",
        f"Target at {largest.size:,} articles: related under 20 ms median: "
        f"**{'met' if largest.indexed.related.median_ms < 20 else 'missed'}** "
        f"({largest.indexed.related.median_ms:.2f} ms, p95 {largest.indexed.related.p95_ms:.2f} "
        f"ms); at {hundred_k.size:,}, within 3x tantivy's share of the job: "
        f"**{'met' if ratio <= 3 else 'missed'}** ({ratio:.1f}x).",
        "",
        "The in-memory vector index (`gloss.search.vector_index`; the dense candidates over "
        "the whole store), built from the SQLite file as a server's first related query "
        "builds it, with all but the last tenth (at most 1,000) of the articles stored; "
        "those are then stored and the index catches up from the change log. Up to 20,000 "
        "articles it answers by an exact scan; beyond, by faiss-cpu's IndexIVFFlat (about "
        "4·√n lists, 24 probed), whose top 10 is compared with the exact scan's for the "
        f"{measured['queries']} pages (**recall@10**). The vectors are synthetic at every "
        "size (`synthetic_vector`: a topic's centre plus as much noise again). **memory**: "
        "the index's arrays (and the IVF's own copy); **RSS**: what the process grew by in "
        "the build.",
        "",
        "| stored articles | search | search p95 | exact scan | recall@10 | build | catch-up "
        "| memory | RSS |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in sizes:
        v = r.vectors
        if v is None:
            continue
        lines.append(
            f"| {r.size:,} | {v.search.median_ms:.2f} ms "
            f"{'(IVF)' if v.approximate else '(exact)'} | {v.search.p95_ms:.2f} ms "
            f"| {v.exact.median_ms:.2f} ms | {v.recall_at_10:.3f} | {v.build_s:.1f} s "
            f"| {v.catch_up_s * 1000:.0f} ms ({min(CATCH_UP, r.size // 10):,}) "
            f"| {v.bytes / 2**20:.0f} MiB | {v.rss_growth_mib:+.0f} MiB |"
        )
    approximate = [r.vectors for r in sizes if r.vectors is not None and r.vectors.approximate]
    if approximate:
        worst = min(v.recall_at_10 for v in approximate)
        lines += [
            "",
            f"Target: recall@10 of the approximate index at least 0.98: "
            f"**{'met' if worst >= 0.98 else 'missed'}** (lowest {worst:.3f}).",
        ]
    if sizes[-1].size < MILLION:
        lines += [
            "",
            "A million stored articles: `python -m tests.benchmarks articles --million` (about "
            "half an hour more here); not in this run.",
        ]
    lines += [
        "",
        "The in-memory index, built from the SQLite file at each size as at a server's start "
        "(in a background thread; FTS5 answers meanwhile): "
        + "; ".join(
            f"{_label(r.size)} in {r.build_s:.1f} s, {r.index_bytes / 2**20:.1f} MiB of arrays, "
            f"the process's RSS {r.rss_growth_mib:+.0f} MiB"
            for r in sizes
        )
        + " (RSS also counts the term and key dictionaries and what the allocator keeps).",
        "",
        "```mermaid",
        "xychart-beta",
        '    title "Related-article latency (median) against corpus size"',
        "    x-axis [" + ", ".join(f'"{_label(r.size)}"' for r in sizes) + "]",
        '    y-axis "milliseconds"',
        "    line [" + ", ".join(f"{r.fts5.related.median_ms:.2f}" for r in sizes) + "]",
        "    line [" + ", ".join(f"{r.indexed.related.median_ms:.2f}" for r in sizes) + "]",
        "    line [" + ", ".join(f"{r.peer_job.median_ms:.2f}" for r in sizes) + "]",
        "```",
        "",
        "Lines, top to bottom: related with FTS5 only, related with the in-memory index, "
        "tantivy doing the same job's lexical part.",
        "",
        "| ingest path | articles per second |",
        "|---|---:|",
        f"| `ingest_batch` (API and CLI path), no NLP, 64 per transaction "
        f"| {measured['ingest_plain']:.0f} |",
    ]
    lines += [
        f"| `ingest_batch` with the spaCy engine (entities, terms) "
        f"| {measured['ingest_nlp']['spacy']:.0f} |",
        f"| `ingest_batch` with the spaCy engine and sentence vectors (the default) "
        f"| {measured['ingest_nlp']['vectors']:.0f} |",
    ]
    lines += [
        f"| bulk `executemany` with FTS5 triggers (how this corpus was built to 100k) "
        f"| {measured['bulk_rate']:.0f} |",
    ]
    if measured.get("seed_rate"):
        lines += [
            "| bulk seed, triggers off, then FTS5 rebuilt and the change log written (to the "
            f"million: `_bulk_seed`) | {measured['seed_rate']:.0f} |",
        ]
    lines += [
        f"| tantivy peer: add and commit the same articles | {measured['peer_rate']:.0f} |",
        "",
        "Ingest with NLP is bound by the spaCy pass (`gloss articles ingest` and the bulk "
        "endpoint batch it through `nlp.pipe`) and the sentence encoder, which run side by "
        "side on their own threads; without them, by fingerprinting and the duplicate lookup "
        "per article.",
    ]
    if measured["quick"]:
        lines += ["", "_Quick run (smaller sizes): not the published figures._"]
    return "\n".join(lines)


def run(quick: bool, million: bool = False) -> str:
    return render(asyncio.run(_measure(quick, million)))


async def ask_related(
    ask: Callable[..., Awaitable[Any]],
    session: AsyncSession,
    team_id: uuid.UUID,
    page: QueryPage,
    vectors: bool = True,
) -> Any:
    """`ask` (`related_for_text`, or an older tree's) for five articles related to `page`, as
    annotate asks it for one team."""
    return await ask(
        session,
        [team_id],
        page.text,
        page.url,
        page.keys,
        5,
        title=page.title,
        vector=page.vector if vectors else None,
    )


def _query_pages(count: int) -> list[QueryPage]:
    corpus = Corpus()
    pages = []
    for i in range(count):
        article, names = corpus.article(10_000_000 + i)
        vector = dense.Vector(dense.MODEL_NAME, synthetic_vector(article["topic"], 10_000_000 + i))
        # The page's entity keys as the engine gives them (the stored mentions' keys are the
        # names lowered), each once.
        keys = list(dict.fromkeys(name.lower() for name in names))
        pages.append(QueryPage(article["title"], article["text"], article["url"], keys, vector))
    return pages
