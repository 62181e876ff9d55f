"""Article search on PostgreSQL: a weighted tsvector (title A, body B) with a GIN index."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import Uuid, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from gloss.search import DF_CAP, Hit, Probe

# ts_rank weights for {D, C, B, A}: the body (B) counts 0.4, the title (A) 1.0, the same 2.5x
# order of boost as the BM25 column weights on SQLite.
RANK_WEIGHTS = "{0.1, 0.2, 0.4, 1.0}"

_TEAM_IDS = bindparam("team_ids", type_=ARRAY(Uuid()))


def _lexeme(term: str) -> str:
    # A quoted lexeme in tsquery syntax; terms are word characters, quoting is belt and braces.
    return "'" + term.replace("'", "''").replace("\\", "\\\\") + "'"


class PostgresBackend:
    name = "postgresql-fts"

    def probe(self, session: AsyncSession) -> Probe | None:  # noqa: ARG002
        return None  # every answer comes from the database in its own statement

    async def document_frequencies(
        self, session: AsyncSession, team_ids: Sequence[uuid.UUID], terms: Sequence[str]
    ) -> tuple[int, dict[str, int]]:
        total = await session.scalar(
            text("SELECT count(*) FROM articles WHERE team_id = ANY(:team_ids)").bindparams(
                _TEAM_IDS
            ),
            {"team_ids": list(team_ids)},
        )
        if not terms:
            return int(total or 0), {}
        counts = ", ".join(
            f"(SELECT count(*) FROM (SELECT 1 FROM articles WHERE team_id = ANY(:team_ids) "
            f"AND search_vector @@ CAST(:t{i} AS tsquery) LIMIT {DF_CAP}) s{i})"
            for i in range(len(terms))
        )
        params: dict[str, object] = {"team_ids": list(team_ids)}
        params.update({f"t{i}": _lexeme(t) for i, t in enumerate(terms)})
        row = (await session.execute(text(f"SELECT {counts}").bindparams(_TEAM_IDS), params)).one()
        return int(total or 0), {t: int(c) for t, c in zip(terms, row, strict=True) if c}

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
        query = " & ".join("(" + " | ".join(_lexeme(t) for t in group) + ")" for group in terms)
        statement = text(
            f"SELECT id, ts_rank('{RANK_WEIGHTS}', search_vector, CAST(:query AS tsquery)) "
            "AS score FROM articles "
            "WHERE team_id = ANY(:team_ids) AND search_vector @@ CAST(:query AS tsquery) "
            "ORDER BY score DESC, id LIMIT :limit OFFSET :offset"
        ).bindparams(_TEAM_IDS)
        rows = await session.execute(
            statement,
            {"query": query, "team_ids": list(team_ids), "limit": limit, "offset": offset},
        )
        return [Hit(r[0], float(r[1])) for r in rows]

    async def more_like_this(
        self,
        session: AsyncSession,
        team_ids: Sequence[uuid.UUID],
        groups: Sequence[tuple[Sequence[str], float]],
        limit: int,
    ) -> list[Hit]:
        if not groups or not team_ids:
            return []
        terms = [(" | ".join(_lexeme(f) for f in forms), weight) for forms, weight in groups]
        # ts_rank knows no idf, so each term is ranked on its own and weighted by its tf-idf
        # in the page: a BM25-like sum that a rare shared word dominates, as on SQLite.
        parts = " + ".join(
            f"ts_rank('{RANK_WEIGHTS}', search_vector, CAST(:t{i} AS tsquery)) * :w{i}"
            for i in range(len(terms))
        )
        statement = text(
            f"SELECT id, ({parts}) AS score FROM articles "
            "WHERE team_id = ANY(:team_ids) AND search_vector @@ CAST(:query AS tsquery) "
            "ORDER BY score DESC, id LIMIT :limit"
        ).bindparams(_TEAM_IDS)
        params: dict[str, object] = {
            "query": " | ".join(f"({q})" for q, _ in terms),
            "team_ids": list(team_ids),
            "limit": limit,
        }
        for i, (query, weight) in enumerate(terms):
            params[f"t{i}"] = query
            params[f"w{i}"] = weight
        rows = await session.execute(statement, params)
        return [Hit(r[0], float(r[1])) for r in rows]

    async def rebuild(self, session: AsyncSession) -> None:
        # search_vector is a generated column, always in step with title and text; what can
        # decay is the GIN index (bloat after many updates), so rebuild that.
        await session.execute(text("REINDEX INDEX ix_articles_search_vector"))
