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
        total = await session.scalar(text("SELECT count(*) FROM articles"))
        if not terms:
            return int(total or 0), {}
        rows = await session.execute(
            text("SELECT term, doc FROM articles_fts_vocab WHERE term IN :terms").bindparams(
                bindparam("terms", expanding=True)
            ),
            {"terms": list(terms)},
        )
        return int(total or 0), {term: int(doc) for term, doc in rows}

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
        terms: Sequence[tuple[str, float]],
        limit: int,
    ) -> list[Hit]:
        if not terms or not team_ids:
            return []
        query = " OR ".join(_quote(t) for t, _ in terms)
        return await self._ranked(session, team_ids, query, limit, 0)

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
