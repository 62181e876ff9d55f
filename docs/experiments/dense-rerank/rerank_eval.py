"""Variants of the dense re-rank on the related evaluation set (`make eval` measures the shipped
one). Gloss's 10 best related articles of each page, without vectors, are re-ranked by
`(1 - w) * score + w * cosine`; "dense only" ranks all other articles by cosine alone.

    .venv/bin/python docs/experiments/dense-rerank/rerank_eval.py full     # the model
    .venv/bin/python docs/experiments/dense-rerank/rerank_eval.py input    # averaged input embeddings
    .venv/bin/python docs/experiments/dense-rerank/rerank_eval.py tokens   # 48 to 128 word pieces
"""

import asyncio
import statistics
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np

from gloss.articles import evaluation as E
from gloss.articles.repository import ArticleRepository
from gloss.articles.ingest import ArticleInput, ingest_batch
from gloss.articles.related import related_for_text
from gloss.db import create_engine, create_sessionmaker, migrate
from gloss.models import Team
from gloss.nlp import dense
from gloss.nlp.ranking import DEFAULT_WEIGHTS
from gloss.search.sqlite_index import attach, detach
from gloss.settings import Settings

WITHOUT_VECTORS = replace(DEFAULT_WEIGHTS, dense=0.0)


async def candidates(articles: list[E.LabelledArticle]) -> dict[str, list[tuple[str, float]]]:
    """Gloss's 10 best related articles of each page, scored without vectors."""
    nlp = await E._nlp(True)
    found = {}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "e.sqlite3"
        engine = create_engine(Settings(database_url=f"sqlite+aiosqlite:///{path}", load_nlp=False))
        await migrate(engine)
        maker = create_sessionmaker(engine)
        async with maker() as s, s.begin():
            team = Team(name="e")
            s.add(team)
            await s.flush()
            inputs = [
                ArticleInput(url=a.url, title=a.title, text=a.text, published_at=a.published_at)
                for a in articles
            ]
            outcomes = await ingest_batch(s, team.id, inputs, nlp)
        live = attach(str(path))
        await asyncio.to_thread(live.wait)
        for q, o in zip(articles, outcomes, strict=True):
            async with maker() as s:
                keys = [m.key for m in await ArticleRepository(s).mentions(o.article.id)]
                rel = await related_for_text(
                    s, [team.id], q.text, q.url, keys, 10, title=q.title, weights=WITHOUT_VECTORS
                )
            found[q.url] = [(r.url, r.score) for r in rel]
        detach(live)
        await engine.dispose()
    await nlp.stop()
    return found


def scores(articles, cands, vectors, weight):
    by_url = {a.url: a for a in articles}
    precision, ndcg = [], []
    for q in articles:
        if weight is None:  # dense only, over every other article
            ranked = sorted((a.url for a in articles if a.url != q.url),
                            key=lambda u: -float(vectors[q.url] @ vectors[u]))
        else:
            ranked = [u for _, u in sorted(
                (((1 - weight) * s + weight * float(vectors[q.url] @ vectors[u])), u)
                for u, s in cands[q.url]
            )[::-1]]
        found = [by_url[u] for u in ranked[:5]]
        precision.append(E.precision_at(q, found, 3))
        ndcg.append(E.ndcg_at(q, found, articles, 5))
    return statistics.mean(precision), statistics.mean(ndcg)


def main() -> None:
    mode = sys.argv[1] if len(sys.argv) > 1 else "full"
    articles = E.load_set()
    encoder = dense.Encoder.load()
    cands = asyncio.run(candidates(articles))
    documents = {a.url: dense.document(a.title, a.text) for a in articles}

    def model(max_tokens):
        return {u: encoder.embed_ids(encoder.tokenizer.encode(d, max_tokens))
                for u, d in documents.items()}

    def averaged_inputs():
        out = {}
        for u, d in documents.items():
            v = encoder._words[encoder.tokenizer.encode(d)[1:-1]].mean(0)
            out[u] = v / np.linalg.norm(v)
        return out

    if mode == "tokens":
        for n in (48, 64, 96, 128):
            p, g = scores(articles, cands, model(n), 0.5)
            print(f"{n} word pieces, w=0.5: P@3 {p:.3f} nDCG@5 {g:.3f}")
        return
    vectors = averaged_inputs() if mode == "input" else model(dense.MAX_TOKENS)
    for w in (0.0, 0.3, 0.5, 0.7, 1.0):
        p, g = scores(articles, cands, vectors, w)
        print(f"re-rank top 10, w={w}: P@3 {p:.3f} nDCG@5 {g:.3f}")
    p, g = scores(articles, cands, vectors, None)
    print(f"dense only over all: P@3 {p:.3f} nDCG@5 {g:.3f}")


if __name__ == "__main__":
    main()
