"""SQL for articles and their mentions (full-text search lives in gloss.search)."""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    Executable,
    Integer,
    Select,
    String,
    Uuid,
    bindparam,
    delete,
    func,
    insert,
    literal_column,
    null,
    select,
    tuple_,
    type_coerce,
    union_all,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement, UnaryExpression
from sqlalchemy.sql.operators import custom_op
from sqlalchemy.sql.sqltypes import NullType, TypeEngine

from gloss import sqlite_async
from gloss.models import Article, ArticleMention, ArticleVector
from gloss.nlp.ranking import MentionSummary


@dataclass(frozen=True, slots=True)
class ArticleCard:
    """The columns a related-articles answer needs, without the full text."""

    id: uuid.UUID
    team_id: uuid.UUID
    url: str
    title: str
    opening: str
    published_at: datetime | None
    duplicate_of_id: uuid.UUID | None
    # The sentence vector, when asked for and stored; with `keys` instead, the article's
    # integer key (its vector is read from the in-memory index then).
    vector: bytes | int | None = None


@dataclass(frozen=True, slots=True)
class MentioningArticle:
    """An article that names a subject, as a card lists it."""

    id: uuid.UUID
    url: str
    title: str
    source: str | None
    published_at: datetime | None
    duplicate_of_id: uuid.UUID | None
    mention_text: str
    salience: float


# The opening of the text is enough for a snippet; reading whole articles for 50 candidates
# would be most of a related query's time.
SNIPPET_SOURCE_CHARS = 400
# Past this many (team, key) pairs, `mentioning` asks one IN query rather than one per pair.
_MENTIONING_ARMS = 40
# Table columns, not ORM attributes: the statements of a related query are plain Core, so
# SQLAlchemy skips the ORM's per-execution compile state and row loading (about half of the
# cards statement's time).
_A = Article.__table__.c
_M = ArticleMention.__table__.c
_MENTIONS = ArticleMention.__table__
_MENTION_COLUMNS = (_M.article_id, _M.key, _M.salience, _M.published_at)
_V = ArticleVector.__table__.c
_VECTORS = ArticleVector.__table__
# A column read as the driver returns it (no result processing): the cards statement's ids
# and dates, each converted once per card rather than once per row and column.
_RAW = NullType()


class ArticleRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @property
    def _on_sqlite(self) -> bool:
        return self.session.get_bind().dialect.name == "sqlite"

    async def _rows(self, statement: Executable, params: dict[str, object]) -> Sequence[Any]:
        """The rows of one of the related query's read statements (built for the session's
        database by the builders below): on SQLite through aiosqlite, straight from sqlite3
        in the one trip a statement takes (`gloss.sqlite_async.fetch_all`, the statement
        compiled once), the values as sqlite3 gives them; elsewhere through SQLAlchemy, as
        Core rows."""
        on_sqlite = self._on_sqlite
        connection = await sqlite_async.one_trip_connection(self.session) if on_sqlite else None
        if connection is None:
            return (await self.session.execute(statement, _bound(params, on_sqlite))).all()
        compiled = _sqlite_compiled(statement)
        return await sqlite_async.fetch_all(connection, compiled.sql, compiled.values(params))

    async def get(self, article_id: uuid.UUID) -> Article | None:
        return await self.session.get(Article, article_id)

    async def get_in_teams(
        self, article_id: uuid.UUID, team_ids: Sequence[uuid.UUID]
    ) -> Article | None:
        return await self.session.scalar(
            select(Article).where(Article.id == article_id, Article.team_id.in_(team_ids))
        )

    async def by_urls(self, team_id: uuid.UUID, urls: Sequence[str]) -> dict[str, Article]:
        """Articles of the team stored under any of `urls`, as url or canonical url."""
        if not urls:
            return {}
        # Two indexed lookups: SQLite answers an OR across two columns with a table scan.
        ids = union_all(
            select(Article.id).where(Article.team_id == team_id, Article.url.in_(urls)),
            select(Article.id).where(Article.team_id == team_id, Article.canonical_url.in_(urls)),
        )
        matching = ids.subquery()
        rows = await self.session.scalars(
            select(Article).where(Article.id.in_(select(matching.c.id)))
        )
        found: dict[str, Article] = {}
        for article in rows:
            found.setdefault(article.url, article)
            if article.canonical_url:
                found.setdefault(article.canonical_url, article)
        return found

    async def duplicate_candidates(
        self, team_id: uuid.UUID, content_hash: str, bands: Sequence[int]
    ) -> list[tuple[uuid.UUID, str, uuid.UUID | None, str]]:
        """(id, content hash, duplicate_of, text) of the articles with the same text hash or a
        shared MinHash band: the near duplicates are very likely among them."""
        columns = [
            Article.content_hash,
            Article.minhash_band0,
            Article.minhash_band1,
            Article.minhash_band2,
            Article.minhash_band3,
        ]
        values: list[object] = [content_hash, *bands]
        ids = union_all(
            *(
                select(Article.id).where(Article.team_id == team_id, column == value)
                for column, value in zip(columns, values, strict=True)
            )
        )
        rows = await self.session.execute(
            select(Article.id, Article.content_hash, Article.duplicate_of_id, Article.text).where(
                Article.id.in_(select(ids.subquery().c.id))
            )
        )
        return [(r[0], r[1], r[2], r[3]) for r in rows]

    async def add(self, article: Article) -> Article:
        self.session.add(article)
        await self.session.flush()
        return article

    async def delete(self, article: Article) -> None:
        await self.session.delete(article)
        await self.session.flush()

    async def list_page(
        self,
        team_ids: Sequence[uuid.UUID],
        limit: int,
        after: tuple[datetime, uuid.UUID] | None,
    ) -> list[Article]:
        """Newest first; `after` is the (created_at, id) of the last article already shown."""
        statement = select(Article).where(Article.team_id.in_(team_ids))
        if after is not None:
            statement = statement.where(
                tuple_(Article.created_at, Article.id) < tuple_(after[0], after[1])
            )
        statement = statement.order_by(Article.created_at.desc(), Article.id.desc()).limit(limit)
        return list(await self.session.scalars(statement))

    async def get_many(self, article_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Article]:
        if not article_ids:
            return {}
        rows = await self.session.scalars(select(Article).where(Article.id.in_(article_ids)))
        return {a.id: a for a in rows}

    async def cards(
        self, article_ids: Sequence[uuid.UUID], team_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, ArticleCard]:
        cards, _, _ = await self.cards_and_mentions(article_ids, team_ids, "entity", [])
        return cards

    async def cards_and_mentions(
        self,
        article_ids: Sequence[uuid.UUID],
        team_ids: Sequence[uuid.UUID],
        kind: str,
        keys: Sequence[str],
        *,
        mentioning: int = 0,
        vector_model: str | None = None,
        doc_ids: bool = False,
    ) -> tuple[dict[uuid.UUID, ArticleCard], dict[uuid.UUID, dict[str, float]], dict[str, str]]:
        """The cards of the team's `article_ids` and, in the same statement, the salience in
        each of the `keys` it mentions, and a name each key is written as (for reasons). With
        `mentioning`, the cards of the articles `mentioning(team_ids, kind, keys, mentioning)`
        finds come in that statement too; with `vector_model`, each card carries its article's
        vector of that model, if stored; with `doc_ids` instead, its integer key (where an
        in-memory vector index has the vectors: reading them is most of the statement's
        rows' bytes)."""
        mentioning = mentioning if keys and team_ids else 0
        if not article_ids and not mentioning:
            return {}, {}, {}
        params: dict[str, object] = {"ids": list(article_ids)}
        if keys:
            params |= {"kind": kind, "keys": list(keys)}
        on_sqlite = self._on_sqlite
        candidates = None
        if mentioning:
            candidates, more = _mentioning(team_ids, kind, keys, mentioning, on_sqlite)
            params |= more
        if vector_model is not None:
            params["vector_model"] = vector_model
        extra = "vector" if vector_model is not None else "doc_id" if doc_ids else None
        statement = _cards_statement(bool(keys), candidates, extra, on_sqlite)
        rows = await self._rows(statement, params)
        width = 8 if extra is not None else 7
        # The team filter is applied here rather than in SQL: with both in the WHERE clause
        # SQLite may walk the team's index instead of looking up the ids. The ids and dates
        # come as the driver gives them (SQLite: hex and text; asyncpg: UUIDs and datetimes),
        # converted once per card rather than once per row.
        teams: dict[object, uuid.UUID] = {t.hex: t for t in team_ids} | {t: t for t in team_ids}
        cards: dict[uuid.UUID, ArticleCard] = {}
        shared: dict[uuid.UUID, dict[str, float]] = {}
        names: dict[str, str] = {}
        # SQLite's ids are hex: those asked for are known already (the rest are made once).
        by_raw: dict[object, uuid.UUID] = {a.hex: a for a in article_ids} if on_sqlite else {}
        for row in rows:
            team_id = teams.get(row[1])
            if team_id is None:
                continue
            article_id = by_raw.get(row[0])
            if article_id is None:
                article_id = by_raw[row[0]] = _as_uuid(row[0])
            if article_id not in cards:
                duplicate_of = row[6]
                cards[article_id] = ArticleCard(
                    article_id,
                    team_id,
                    row[2],
                    row[3],
                    row[4],
                    _as_utc(row[5]),
                    None if duplicate_of is None else _as_uuid(duplicate_of),
                    row[7] if width == 8 else None,
                )
            if keys and row[width] is not None:
                shared.setdefault(article_id, {})[row[width]] = row[width + 1]
                names.setdefault(row[width], row[width + 2])
        return cards, shared, names

    async def page_group(
        self,
        team_ids: Sequence[uuid.UUID],
        url: str | None,
        content_hash: str | None,
        probe_sql: str | None = None,
    ) -> tuple[set[uuid.UUID], int | None]:
        """Ids of the stored copies of a page: by url or canonical url, or by the same text;
        and, in the same statement, the value of `probe_sql` (a scalar query) where given."""
        group, value, _ = await self.page_group_and_mentioning(
            team_ids, url, content_hash, probe_sql
        )
        return group, value

    async def page_group_and_mentioning(
        self,
        team_ids: Sequence[uuid.UUID],
        url: str | None,
        content_hash: str | None,
        probe_sql: str | None = None,
        *,
        kind: str = "entity",
        keys: Sequence[str] = (),
        mentioning: int = 0,
    ) -> tuple[set[uuid.UUID], int | None, list[uuid.UUID] | None]:
        """`page_group` and, in the same statement, the ids of the articles
        `mentioning(team_ids, kind, keys, mentioning)` finds (None when not asked): what
        `cards_and_mentions` would read with `mentioning`, read while the caller works."""
        mentioning = mentioning if keys and team_ids else 0
        params: dict[str, object] = {"team_ids": list(team_ids)}
        if url:
            params["url"] = url
        if content_hash:
            params["content_hash"] = content_hash
        if not url and not content_hash and probe_sql is None and not mentioning:
            return set(), None, None
        on_sqlite = self._on_sqlite
        candidates = None
        if mentioning:
            candidates, more = _mentioning(team_ids, kind, keys, mentioning, on_sqlite)
            params |= more
        statement = _page_group_statement(
            bool(url), bool(content_hash), probe_sql, candidates, on_sqlite
        )
        group: set[uuid.UUID] = set()
        value = None
        mentioned: list[uuid.UUID] | None = [] if mentioning else None
        for row in await self._rows(statement, params):
            if row[0] is None:  # the probe's row
                value = int(row[2])
            elif row[2] is not None:  # an article mentioning the keys
                assert mentioned is not None
                mentioned.append(_as_uuid(row[0]))
            else:
                group.add(_as_uuid(row[0]))
                if row[1] is not None:
                    group.add(_as_uuid(row[1]))
        return group, value, mentioned

    async def duplicates_of(self, article_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
        if not article_ids:
            return set()
        rows = await self.session.scalars(
            select(Article.id).where(Article.duplicate_of_id.in_(article_ids))
        )
        return set(rows)

    # --- mentions ------------------------------------------------------------------------------

    async def replace_mentions(
        self,
        article: Article,
        mentions: Sequence[MentionSummary],
    ) -> None:
        await self.session.execute(
            delete(ArticleMention).where(ArticleMention.article_id == article.id)
        )
        if mentions:
            await self.session.execute(
                insert(ArticleMention),
                [_mention_row(article, m) for m in mentions],
            )

    async def replace_vector(self, article_id: uuid.UUID, model: str, vector: bytes) -> None:
        await self.delete_vector(article_id)
        await self.session.execute(
            insert(ArticleVector).values(article_id=article_id, model=model, vector=vector)
        )

    async def delete_vector(self, article_id: uuid.UUID) -> None:
        await self.session.execute(delete(ArticleVector).where(_V.article_id == article_id))

    async def vector(self, article_id: uuid.UUID, model: str) -> bytes | None:
        return await self.session.scalar(
            select(_V.vector).where(_V.article_id == article_id, _V.model == model)
        )

    async def vectors_of(
        self, article_ids: Sequence[uuid.UUID], model: str
    ) -> dict[uuid.UUID, bytes]:
        """The stored vectors of `model` of the articles that have one."""
        if not article_ids:
            return {}
        rows = await self.session.execute(
            select(_V.article_id, _V.vector).where(
                _V.article_id.in_(article_ids), _V.model == model
            )
        )
        return {row[0]: row[1] for row in rows}

    async def without_vector(
        self, model: str, after: uuid.UUID | None, limit: int
    ) -> list[Article]:
        """Articles with no vector of `model`, by id after `after` (a backfill's pages)."""
        statement = (
            select(Article)
            .outerjoin(_VECTORS, (_V.article_id == Article.id) & (_V.model == model))
            .where(_V.article_id.is_(None))
            .order_by(Article.id)
            .limit(limit)
        )
        if after is not None:
            statement = statement.where(Article.id > after)
        return list(await self.session.scalars(statement))

    async def count_without_vector(self, model: str) -> int:
        return (
            await self.session.scalar(
                select(func.count())
                .select_from(Article.__table__)
                .outerjoin(_VECTORS, (_V.article_id == _A.id) & (_V.model == model))
                .where(_V.article_id.is_(None))
            )
            or 0
        )

    async def mentions(self, article_id: uuid.UUID) -> list[ArticleMention]:
        rows = await self.session.scalars(
            select(ArticleMention)
            .where(ArticleMention.article_id == article_id)
            .order_by(ArticleMention.salience.desc(), ArticleMention.key)
        )
        return list(rows)

    async def mentioning(
        self, team_ids: Sequence[uuid.UUID], kind: str, keys: Sequence[str], limit: int
    ) -> list[tuple[uuid.UUID, str, float, datetime | None]]:
        """(article id, key, salience, published) of the team's articles that mention any of
        `keys`, most salient first (ties by article id)."""
        if not keys or not team_ids:
            return []
        statement, params = _mentioning(team_ids, kind, keys, limit, self._on_sqlite)
        rows = await self.session.execute(statement, _bound(params, self._on_sqlite))
        return [(_as_uuid(r[0]), r[1], r[2], r[3]) for r in rows]

    async def count_mentioning(self, team_ids: Sequence[uuid.UUID], kind: str, key: str) -> int:
        """How many of the team's articles mention the key, an original and its copies once."""
        if not team_ids:
            return 0
        group = func.coalesce(Article.duplicate_of_id, Article.id)
        total = await self.session.scalar(
            select(func.count(func.distinct(group)))
            .select_from(ArticleMention)
            .join(Article, Article.id == ArticleMention.article_id)
            .where(
                ArticleMention.team_id.in_(team_ids),
                ArticleMention.kind == kind,
                ArticleMention.key == key,
            )
        )
        return int(total or 0)

    async def latest_mentioning(
        self, team_ids: Sequence[uuid.UUID], kind: str, key: str, limit: int
    ) -> list[MentioningArticle]:
        """The team's newest articles mentioning the key (by publication, else storage time),
        with how each names it and how saliently."""
        if not team_ids:
            return []
        when = func.coalesce(Article.published_at, Article.created_at)
        rows = await self.session.execute(
            select(
                Article.id,
                Article.url,
                Article.title,
                Article.source,
                Article.published_at,
                Article.duplicate_of_id,
                ArticleMention.text,
                ArticleMention.salience,
            )
            .join(Article, Article.id == ArticleMention.article_id)
            .where(
                ArticleMention.team_id.in_(team_ids),
                ArticleMention.kind == kind,
                ArticleMention.key == key,
            )
            .order_by(when.desc(), Article.id.desc())
            .limit(limit)
        )
        return [MentioningArticle(*row) for row in rows]

    async def co_mentioned(
        self, team_ids: Sequence[uuid.UUID], key: str, sample: int, limit: int
    ) -> list[tuple[str, str, str | None, int]]:
        """(key, text, label, articles) of the entities named most often beside `key`, in the
        `sample` articles naming it most saliently (a bounded walk of the lookup index)."""
        if not team_ids:
            return []
        naming = (
            select(ArticleMention.article_id)
            .where(
                ArticleMention.team_id.in_(team_ids),
                ArticleMention.kind == "entity",
                ArticleMention.key == key,
            )
            .order_by(ArticleMention.salience.desc(), ArticleMention.article_id.desc())
            .limit(sample)
            .subquery()
        )
        other = aliased(ArticleMention)
        together = func.count()
        rows = await self.session.execute(
            select(other.key, func.max(other.text), func.max(other.label), together)
            .join(naming, naming.c.article_id == other.article_id)
            .where(other.kind == "entity", other.key != key)
            .group_by(other.key)
            .order_by(together.desc(), func.max(other.salience).desc(), other.key)
            .limit(limit)
        )
        return [(r[0], r[1], r[2], int(r[3])) for r in rows]

    async def text_of(self, article_id: uuid.UUID) -> str | None:
        text: str | None = await self.session.scalar(
            select(Article.text).where(Article.id == article_id)
        )
        return text

    async def count(self, team_ids: Sequence[uuid.UUID]) -> int:
        total = await self.session.scalar(
            select(func.count()).select_from(Article).where(Article.team_id.in_(team_ids))
        )
        return int(total or 0)

    async def page_by_id(self, after: uuid.UUID | None, limit: int) -> list[Article]:
        """Every team's articles in id order, `limit` at a time (for re-extraction)."""
        statement = select(Article).order_by(Article.id).limit(limit)
        if after is not None:
            statement = statement.where(Article.id > after)
        return list(await self.session.scalars(statement))

    async def count_all(self) -> int:
        return int(await self.session.scalar(select(func.count()).select_from(Article)) or 0)


_MentionSelect = Select[uuid.UUID, str, float, datetime | None]


def _mentioning(
    team_ids: Sequence[uuid.UUID],
    kind: str,
    keys: Sequence[str],
    limit: int,
    on_sqlite: bool = False,
) -> tuple[_MentionSelect, dict[str, object]]:
    """The statement of `mentioning` and its parameters (lists as Python lists: `_bound` or
    `_SqliteStatement.values` makes them what the statement takes)."""
    if len(team_ids) * len(keys) > _MENTIONING_ARMS:
        return _mentioning_by_in(on_sqlite), {
            "m_teams": list(team_ids),
            "kind": kind,
            "m_keys": list(keys),
            "limit": limit,
        }
    pairs = [(t, k) for t in team_ids for k in dict.fromkeys(keys)]
    params: dict[str, object] = {"kind": kind, "limit": limit}
    for i, (team_id, key) in enumerate(pairs):
        params[f"team_{i}"] = team_id
        params[f"key_{i}"] = key
    return _mentioning_by_pair(len(pairs)), params


@functools.lru_cache(maxsize=2)
def _mentioning_by_in(on_sqlite: bool) -> _MentionSelect:
    """For many (team, key) pairs: one IN over every key, read and sorted whole."""
    return (
        select(*_MENTION_COLUMNS)
        .where(
            _in(_M.team_id, "m_teams", Uuid(), on_sqlite),
            _M.kind == bindparam("kind", type_=String()),
            _in(_M.key, "m_keys", String(), on_sqlite),
        )
        .order_by(_M.salience.desc(), _M.article_id.desc())
        .limit(bindparam("limit", type_=Integer()))
    )


@functools.lru_cache(maxsize=_MENTIONING_ARMS)
def _mentioning_by_pair(pairs: int) -> _MentionSelect:
    """The best `limit` mentions of each (team, key) pair, merged: each arm walks the
    covering lookup index backwards, already in (salience, article id) descending order, and
    stops, where one IN over every key would read and sort all
    their mentions (a name in 500 articles: most of a related query's time). Built once per
    number of pairs, with parameters, so SQLAlchemy's compiled cache serves it."""
    limit = bindparam("limit", type_=Integer())
    arms = [
        select(
            select(*_MENTION_COLUMNS)
            .where(
                _M.team_id == bindparam(f"team_{i}", type_=Uuid()),
                _M.kind == bindparam("kind", type_=String()),
                _M.key == bindparam(f"key_{i}", type_=String()),
            )
            .order_by(_M.salience.desc(), _M.article_id.desc())
            .limit(limit)
            .subquery()
        )
        for i in range(pairs)
    ]
    merged = union_all(*arms).subquery()
    return (
        select(*merged.c)
        .order_by(merged.c.salience.desc(), merged.c.article_id.desc())
        .limit(limit)
    )


@functools.lru_cache(maxsize=128)
def _page_group_statement(
    by_url: bool,
    by_hash: bool,
    probe_sql: str | None,
    candidates: _MentionSelect | None = None,
    on_sqlite: bool = False,
) -> Executable:
    """One indexed lookup per condition (SQLite answers an OR of them with a table scan);
    built once, with parameters, so SQLAlchemy's compiled cache serves it. With a probe: one
    more row, (NULL, NULL, the probe's value); with `candidates` (a `_mentioning` statement),
    a row (article id, NULL, 1) for each article it finds."""
    conditions = []
    if by_url:
        url = bindparam("url", type_=String())
        conditions += [_A.url == url, _A.canonical_url == url]
    if by_hash:
        conditions.append(_A.content_hash == bindparam("content_hash", type_=String()))
    arms = [
        select(_A.id, _A.duplicate_of_id, null()).where(
            _in(_A.team_id, "team_ids", Uuid(), on_sqlite), condition
        )
        for condition in conditions
    ]
    if probe_sql is not None:
        arms.append(select(null(), null(), literal_column(f"({probe_sql})")))
    if candidates is not None:
        found = candidates.subquery()
        arms.append(select(found.c.article_id, null(), literal_column("1")))
    return union_all(*arms) if len(arms) > 1 else arms[0]


@functools.lru_cache(maxsize=128)
def _cards_statement(
    with_mentions: bool,
    candidates: _MentionSelect | None = None,
    extra: Literal["vector", "doc_id"] | None = None,
    on_sqlite: bool = False,
) -> Executable:
    """Card columns by article id, and of the articles `candidates` (a `_mentioning`
    statement) finds; with `extra` "vector", the article's vector of `vector_model` (or NULL),
    with "doc_id", its integer key; with mentions, one row per mentioned key of `keys` (the
    primary key of article_mentions answers each article's lookup)."""
    wanted: ColumnElement[bool] = _in(_A.id, "ids", Uuid(), on_sqlite)
    if candidates is not None:
        found = candidates.subquery()
        wanted = wanted | _A.id.in_(select(found.c.article_id))
    statement = (
        select(
            type_coerce(_A.id, _RAW),
            type_coerce(_A.team_id, _RAW),
            _A.url,
            _A.title,
            func.substr(_A.text, 1, SNIPPET_SOURCE_CHARS),
            type_coerce(_A.published_at, _RAW),
            type_coerce(_A.duplicate_of_id, _RAW),
        )
        .select_from(_A.id.table)
        .where(wanted)
    )
    if extra == "doc_id":
        statement = statement.add_columns(_A.doc_id)
    elif extra == "vector":
        statement = statement.add_columns(_V.vector).outerjoin(
            _VECTORS,
            (_V.article_id == _A.id) & (_V.model == bindparam("vector_model", type_=String())),
        )
    if not with_mentions:
        return statement
    # On SQLite each article's mentions are one range of the primary key (article, kind)
    # with the keys filtered in it, not one lookup per key: with the unary plus the key is not
    # an index term. A page's ten names made that ten lookups for each of some 80 articles,
    # half of the statement's time in SQLite.
    key = UnaryExpression(_M.key, operator=custom_op("+"), type_=String()) if on_sqlite else _M.key
    return statement.add_columns(_M.key, _M.salience, _M.text).outerjoin(
        _MENTIONS,
        (_M.article_id == _A.id)
        & (_M.kind == bindparam("kind", type_=String()))
        & _in(key, "keys", String(), on_sqlite),
    )


def _in(
    column: ColumnElement[Any], name: str, type_: TypeEngine[Any], on_sqlite: bool
) -> ColumnElement[bool]:
    """`column IN` the list parameter `name`: on SQLite one JSON array read by json_each
    (the statement's text is then the same for any length, so SQLAlchemy renders it once and
    sqlite3's statement cache prepares it once); elsewhere an expanding parameter."""
    if not on_sqlite:
        return column.in_(bindparam(name, expanding=True, type_=type_))
    listed: Select[Any] = select(literal_column("value")).select_from(
        func.json_each(bindparam(name, type_=String()))
    )
    return column.in_(listed.scalar_subquery())


# The list parameters `_in` reads on SQLite as a JSON array.
_LISTS = frozenset({"ids", "keys", "team_ids", "m_teams", "m_keys"})


def _sqlite_value(value: object) -> object:
    """A parameter as sqlite3 takes it where SQLAlchemy would bind it: a UUID as the 32 hex
    digits the Uuid type stores on SQLite."""
    return value.hex if isinstance(value, uuid.UUID) else value


def _bound(params: dict[str, object], on_sqlite: bool) -> dict[str, object]:
    """`params` for SQLAlchemy's execution: on SQLite, the lists `_in` reads as JSON."""
    if not on_sqlite:
        return params
    return {name: _json_list(value) if name in _LISTS else value for name, value in params.items()}


def _json_list(values: object) -> str:
    assert isinstance(values, list | tuple)
    return json.dumps([_sqlite_value(v) for v in values])


@dataclass(frozen=True, slots=True)
class _SqliteStatement:
    """A statement built for SQLite, compiled once: its text with positional parameters, the
    name of each in order (a name used twice comes twice), and the values of those the
    statement carries itself (a literal SQLAlchemy made a parameter: a substring's bounds,
    an OFFSET 0)."""

    sql: str
    names: tuple[str, ...]
    literals: dict[str, object]

    def values(self, params: dict[str, object]) -> tuple[object, ...]:
        out = []
        for name in self.names:
            value = params[name] if name in params else self.literals[name]
            out.append(_json_list(value) if name in _LISTS else _sqlite_value(value))
        return tuple(out)


@functools.lru_cache(maxsize=256)
def _sqlite_compiled(statement: Executable) -> _SqliteStatement:
    assert isinstance(statement, ClauseElement)
    compiled = statement.compile(dialect=_SQLITE)
    assert isinstance(compiled, SQLCompiler)
    assert compiled.positiontup is not None
    literals = {name: bind.value for name, bind in compiled.binds.items() if not bind.required}
    return _SqliteStatement(compiled.string, tuple(compiled.positiontup), literals)


_SQLITE = sqlite.dialect()


def _mention_row(article: Article, mention: MentionSummary) -> dict[str, Any]:
    return {
        "article_id": article.id,
        "kind": mention.kind,
        "key": mention.key[:300],
        "team_id": article.team_id,
        "label": mention.label,
        "text": mention.text[:300],
        "count": mention.count,
        "salience": mention.salience,
        "published_at": article.published_at,
    }


def _as_utc(value: object) -> datetime | None:
    """A date read raw (`_RAW`), as `UTCDateTime` reads it: SQLite's text (naive, UTC) or
    a driver's datetime, made timezone-aware UTC."""
    if value is None:
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    assert isinstance(moment, datetime)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _as_uuid(value: object) -> uuid.UUID:
    # A compound select returns SQLite's stored form (hex) rather than a uuid.UUID.
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
