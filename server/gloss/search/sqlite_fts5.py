"""Article search on SQLite: an external-content FTS5 index ranked by BM25, title weighted.

Related articles' document frequencies and more-like-this come from the in-memory index when it
stands at the session's view (gloss.search.sqlite_index), from FTS5 otherwise.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import Uuid, bindparam, text
from sqlalchemy.ext.asyncio import AsyncSession

from gloss.search import DF_CAP, Hit, Probe
from gloss.search.sqlite_index import (
    CHANGE_SEQ_SQL,
    change_seq,
    live_index_for,
    remember_change_seq,
)

# bm25() column weights: (title, text). A title word says more about the article than a body
# word; 3x is Lucene's and Elasticsearch's common title boost.
TITLE_WEIGHT = 3.0
BODY_WEIGHT = 1.0
# Ask FTS5 for this many best matches over all teams, then keep the caller's; only when that
# leaves too few (many other teams' articles match) is the query re-run filtered row by row.
_OVERFETCH = 4


def _quote(term: str) -> str:
    # Terms are word characters only (gloss.nlp.ranking.tokens), but quoting makes any FTS5
    # keyword ("AND", "NEAR") a plain word.
    return '"' + term.replace('"', '""') + '"'


_TEAM_IDS = bindparam("team_ids", expanding=True, type_=Uuid())


class SqliteFts5Backend:
    name = "sqlite-fts5"

    def probe(self, session: AsyncSession) -> Probe | None:
        # Where the in-memory index answers, the change sequence it is checked against is read
        # with the caller's first statement: one round trip less per related query.
        if live_index_for(session) is None:
            return None
        return Probe(CHANGE_SEQ_SQL, lambda seq: remember_change_seq(session, seq))

    async def document_frequencies(
        self,
        session: AsyncSession,
        team_ids: Sequence[uuid.UUID],  # noqa: ARG002  (idf is store-wide here, see below)
        terms: Sequence[str],
    ) -> tuple[int, dict[str, int]]:
        # The vocabulary table counts over every team's articles: idf is a statistic of the
        # language of the store, and sharing it leaks no article (only how common a word is).
        # One round trip: the article count, then each term's matches counted up to DF_CAP.
        # (fts5vocab would count a term by reading its whole posting list: for a common word
        # at 100k articles that is most of a related query's time.)
        unique = list(dict.fromkeys(terms))
        live = live_index_for(session)
        if live is not None and live.ready:
            answer = live.document_frequencies(await change_seq(session), unique, DF_CAP)
            if answer is not None:
                return answer
        statement = " UNION ALL ".join(
            ["SELECT NULL, count(*) FROM articles"]
            + [
                f"SELECT :t{i}, (SELECT count(*) FROM (SELECT 1 FROM articles_fts "
                f"WHERE articles_fts MATCH :q{i} LIMIT {DF_CAP}))"
                for i in range(len(unique))
            ]
        )
        params: dict[str, object] = {}
        for i, term in enumerate(unique):
            params[f"t{i}"] = term
            params[f"q{i}"] = _quote(term)
        rows = await session.execute(text(statement), params)
        total = 0
        frequencies: dict[str, int] = {}
        for term, count in rows:
            if term is None:
                total = int(count)
            elif count:
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
        per group, summed and ranked inside SQLite: bm25() reads every match's column sizes
        (about 5x the cost a row), and an OR of 20 words matches most of a topical store."""
        if not groups or not team_ids:
            return []
        live = live_index_for(session)
        if live is not None and live.ready:
            found = live.more_like_this(await change_seq(session), groups, team_ids, limit)
            if found is not None:
                return [Hit(article_id, score) for article_id, score in found]
        union = " UNION ALL ".join(
            f"SELECT rowid AS doc_id, :w{i} AS weight FROM articles_fts "
            f"WHERE articles_fts MATCH :q{i}"
            for i in range(len(groups))
        )
        params: dict[str, object] = {}
        for i, (forms, weight) in enumerate(groups):
            params[f"q{i}"] = " OR ".join(_quote(f) for f in forms)
            params[f"w{i}"] = weight
        statement = text(
            "SELECT a.id, a.team_id, s.score FROM ("
            f"  SELECT doc_id, sum(weight) AS score FROM ({union}) GROUP BY doc_id"
            "   ORDER BY score DESC, doc_id LIMIT :fetch"
            ") s JOIN articles a ON a.doc_id = s.doc_id ORDER BY s.score DESC, s.doc_id"
        )
        teams = {t.hex for t in team_ids}
        fetch = max(limit * _OVERFETCH, 100)
        while True:
            # The team is checked here, not in SQL, so the ranking runs once over the index;
            # if other teams' articles crowd the caller's out, ask for more.
            rows = (await session.execute(statement, {**params, "fetch": fetch})).all()
            hits = [
                Hit(_uuid(article_id), float(score))
                for article_id, team_id, score in rows
                if _uuid(team_id).hex in teams
            ]
            if len(hits) >= limit or len(rows) < fetch:
                return hits[:limit]
            fetch *= 4

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
