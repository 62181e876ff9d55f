"""Re-rank Gloss's related articles with dense vectors, on the related evaluation set."""
import asyncio, sys, tempfile, statistics
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
import numpy as np
import minilm_numpy as minilm
from gloss.articles import evaluation as E
from gloss.articles.repository import ArticleRepository
from gloss.articles.service import ArticleInput, ingest_batch, related_for_text
from gloss.db import create_engine, create_sessionmaker, migrate
from gloss.models import Team
from gloss.search.sqlite_index import attach, detach
from gloss.settings import Settings

async def main():
    articles = E.load_set()
    by_url = {a.url: a for a in articles}
    mode = sys.argv[1] if len(sys.argv) > 1 else "full"
    if mode == "full":
        emb = {a.url: minilm.embed(a.title + ". " + a.text) for a in articles}
    else:
        WE = minilm.W["embeddings.word_embeddings.weight"]
        tok = minilm.TOK
        if mode == "distilled":
            vocab_ids = sorted({i for a in articles for i in tok.encode(a.title + ". " + a.text).ids})
            table = {}
            for i in vocab_ids:
                ids = [101, i, 102]
                table[i] = minilm.embed_ids(ids) if hasattr(minilm, "embed_ids") else None
        def static(text):
            ids = [i for i in tok.encode(text).ids if i not in (101, 102)]
            v = np.mean([table[i] if mode == "distilled" else WE[i] for i in ids], axis=0)
            return v / np.linalg.norm(v)
        emb = {a.url: static(a.title + ". " + a.text) for a in articles}
    nlp = await E._nlp(True)
    with tempfile.TemporaryDirectory() as folder:
        engine = create_engine(Settings(database_url=f"sqlite+aiosqlite:///{Path(folder)/'e.sqlite3'}", load_nlp=False))
        await migrate(engine)
        maker = create_sessionmaker(engine)
        async with maker() as s, s.begin():
            team = Team(name="e"); s.add(team); await s.flush()
            outcomes = await ingest_batch(s, team.id, [ArticleInput(url=a.url, title=a.title, text=a.text, published_at=a.published_at) for a in articles], nlp)
        live = attach(str(Path(folder)/'e.sqlite3')); await asyncio.to_thread(live.wait)
        keys = {}
        async with maker() as s:
            repo = ArticleRepository(s)
            for o in outcomes:
                keys[o.article.url] = [m.key for m in await repo.mentions(o.article.id) if m.kind == "entity"]
        cands = {}
        for q in articles:
            async with maker() as s:
                rel = await related_for_text(s, [team.id], q.text, q.url, keys.get(q.url, []), 10, title=q.title)
            cands[q.url] = [(r.url, r.score) for r in rel]
        detach(live); await engine.dispose()
    await nlp.stop()
    for w in (0.0, 0.2, 0.35, 0.5, 0.7, 1.0):
        P, N = [], []
        for q in articles:
            scored = sorted(((1 - w) * s + w * float(emb[q.url] @ emb[u]), u) for u, s in cands[q.url])[::-1]
            found = [by_url[u] for _, u in scored[:5]]
            P.append(E.precision_at(q, found, 3)); N.append(E.ndcg_at(q, found, articles, 5))
        print(f"rerank top-10 w={w}: P@3 {statistics.mean(P):.3f} nDCG@5 {statistics.mean(N):.3f}")
    P, N = [], []
    for q in articles:
        ranked = sorted(((float(emb[q.url] @ emb[a.url]), a.url) for a in articles if a.url != q.url), reverse=True)
        found = [by_url[u] for _, u in ranked[:5]]
        P.append(E.precision_at(q, found, 3)); N.append(E.ndcg_at(q, found, articles, 5))
    print(f"dense only over all: P@3 {statistics.mean(P):.3f} nDCG@5 {statistics.mean(N):.3f}")
asyncio.run(main())
