"""Article search on SQLite: an external-content FTS5 index ranked by BM25, title weighted."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import Uuid, bindparam, text
from sqlalchemy.ext.asyncio import AsyncSession

from gloss.search import Hit

# bm25() column weights: (title, text). A title word says more about the article than a body
# word; 3x is Lucene's and Elasticsearch's common title boost.
TITLE_WEIGHT = 3.0
BODY_WEIGHT = 1.0
# Ask FTS5 for this many best matches over all teams, then keep the caller's; only when that
# leaves too few (many other teams' articles match) is the query re-run filtered row by row.
_OVERFETCH = 4


def _quote(term: str) -> str:
    # Terms are word characters only (gloss.nlp.related.tokens), but quoting makes any FTS5
    # keyword ("AND", "NEAR") a plain word.
    return '"' + term.replace('"', '""') + '"'


_TEAM_IDS = bindparam("team_ids", expanding=True, type_=Uuid())
_VOCAB_SLICE = 40


class SqliteFts5Backend:
    name = "sqlite-fts5"

    async def document_frequencies(
        self,
        session: AsyncSession,
        team_ids: Sequence[uuid.UUID],  # noqa: ARG002  (idf is store-wide here, see below)
        terms: Sequence[str],
    ) -> tuple[int, dict[str, int]]:
        # The vocabulary table counts over every team's articles: idf is a statistic of the
        # language of the store, and sharing it leaks no article (only how common a word is).
        # One round trip: the article count and the vocabulary rows (a NULL term is the count).
        # fts5vocab answers `term IN (...)` by one index seek per term only for short lists
        # (longer ones may be planned as a scan of the whole vocabulary), hence the slices.
        unique = list(dict.fromkeys(terms))
        slices = [unique[i : i + _VOCAB_SLICE] for i in range(0, len(unique), _VOCAB_SLICE)]
        statement = " UNION ALL ".join(
            ["SELECT NULL, count(*) FROM articles"]
            + [
                f"SELECT term, doc FROM articles_fts_vocab WHERE term IN :s{i}"
                for i in range(len(slices))
            ]
        )
        rows = await session.execute(
            text(statement).bindparams(
                *(bindparam(f"s{i}", expanding=True) for i in range(len(slices)))
            ),
            {f"s{i}": part for i, part in enumerate(slices)},
        )
        total = 0
        frequencies: dict[str, int] = {}
        for term, count in rows:
            if term is None:
                total = int(count)
            else:
                frequencies[term] = int(count)
        return total, frequencies

    async def search(
        self,
        session: AsyncSession,
        team_ids: Sequence[uuid.UUID],
        terms: Sequence[Sequence[str]],
        limit: int,
        offset: int = 0,
    ) -> list[Hit]:
        if not terms or not team_ids:
            return []
        query = " AND ".join("(" + " OR ".join(_quote(t) for t in group) + ")" for group in terms)
        return await self._ranked(session, team_ids, query, limit, offset)

    async def more_like_this(
        self,
        session: AsyncSession,
        team_ids: Sequence[uuid.UUID],
        groups: Sequence[tuple[Sequence[str], float]],
        limit: int,
    ) -> list[Hit]:
        """The sum of the weights of the groups each article contains, from one doclist scan
        per group: bm25() reads every match's column sizes and costs about 5x more per row,
        and an OR of 20 words matches most of a topical store."""
        if not groups or not team_ids:
            return []
        union = " UNION ALL ".join(
            f"SELECT {i}, rowid FROM articles_fts WHERE articles_fts MATCH :q{i}"
            for i in range(len(groups))
        )
        params = {
            f"q{i}": " OR ".join(_quote(f) for f in forms) for i, (forms, _) in enumerate(groups)
        }
        scores: dict[int, float] = {}
        for index, doc_id in await session.execute(text(union), params):
            scores[doc_id] = scores.get(doc_id, 0.0) + groups[index][1]
        # Best first, then the caller's teams: look up rows in growing slices, so another
        # team's articles can never crowd the caller's out.
        ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
        hits: list[Hit] = []
        step = max(limit * _OVERFETCH, 100)
        for start in range(0, len(ranked), step):
            chunk = ranked[start : start + step]
            # The team is checked here, not in SQL: given both, SQLite may walk the team's
            # index instead of looking up the doc ids.
            rows = await session.execute(
                text(
                    "SELECT doc_id, id, team_id FROM articles WHERE doc_id IN :doc_ids"
                ).bindparams(bindparam("doc_ids", expanding=True)),
                {"doc_ids": [d for d, _ in chunk]},
            )
            teams = {t.hex for t in team_ids}
            found = {
                doc_id: _uuid(article_id)
                for doc_id, article_id, team_id in rows
                if _uuid(team_id).hex in teams
            }
            hits.extend(Hit(found[d], score) for d, score in chunk if d in found)
            if len(hits) >= limit:
                break
        return hits[:limit]

    async def _ranked(
        self,
        session: AsyncSession,
        team_ids: Sequence[uuid.UUID],
        query: str,
        limit: int,
        offset: int,
    ) -> list[Hit]:
        wanted = limit + offset
        fetch = wanted * _OVERFETCH
        # FTS5 computes bm25 for every match either way; ranking first without the join lets
        # it stop early, and the join then only touches the best `fetch` rows.
        fast = text(
            "SELECT a.id, m.score FROM ("
            f"  SELECT rowid AS doc_id, bm25(articles_fts, {TITLE_WEIGHT}, {BODY_WEIGHT}) AS score"
            "   FROM articles_fts WHERE articles_fts MATCH :query ORDER BY score LIMIT :fetch"
            ") m JOIN articles a ON a.doc_id = m.doc_id "
            "WHERE a.team_id IN :team_ids ORDER BY m.score, a.id"
        ).bindparams(_TEAM_IDS)
        params = {"query": query, "fetch": fetch, "team_ids": list(team_ids)}
        rows = (await session.execute(fast, params)).all()
        if len(rows) < wanted and await self._more_matches(session, query, fetch):
            filtered = text(
                "SELECT a.id, bm25(articles_fts, "
                f"{TITLE_WEIGHT}, {BODY_WEIGHT}) AS score "
                "FROM articles_fts JOIN articles a ON a.doc_id = articles_fts.rowid "
                "WHERE articles_fts MATCH :query AND a.team_id IN :team_ids "
                "ORDER BY score, a.id LIMIT :wanted"
            ).bindparams(_TEAM_IDS)
            params["wanted"] = wanted
            rows = (await session.execute(filtered, params)).all()
        # bm25() is lower-is-better and negative; flip it so every backend is higher-is-better.
        return [Hit(_uuid(r[0]), -float(r[1])) for r in rows[offset:wanted]]

    async def _more_matches(self, session: AsyncSession, query: str, fetched: int) -> bool:
        count = await session.scalar(
            text(
                "SELECT count(*) FROM (SELECT 1 FROM articles_fts "
                "WHERE articles_fts MATCH :query LIMIT :cap)"
            ),
            {"query": query, "cap": fetched + 1},
        )
        return int(count or 0) > fetched

    async def rebuild(self, session: AsyncSession) -> None:
        await session.execute(text("INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')"))
        await session.execute(text("INSERT INTO articles_fts(articles_fts) VALUES ('optimize')"))


def _uuid(value: object) -> uuid.UUID:
    # Raw SQL returns SQLite's stored form (32 hex digits) rather than a uuid.UUID.
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
