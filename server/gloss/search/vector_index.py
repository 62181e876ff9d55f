"""Articles' sentence vectors in memory: the dense candidates of related articles over the whole
store, on SQLite and on every PostgreSQL replica alike.

`VectorIndex` is pure (numpy, and faiss for the approximate search): exact inner products up to
`ANN_MIN` articles, an IVF index (faiss-cpu's IndexIVFFlat) beyond. `LiveVectors` keeps one in
step with the database through the `article_changes` log (its triggers log an article's every
write and its vector's), checking the log's latest sequence on each query: the first query
builds it, later ones apply what changed since.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from gloss.nlp import dense
from gloss.search.positions import PositionTable, grown
from gloss.search.sqlite_index import change_seq

log = logging.getLogger("gloss.search")

# Up to this many live articles every query is an exact scan (memory-bound: about 4 ms per
# 20,000 here); past it an IVF index answers, and the exact scan is the fallback for a team
# too small to fill an answer from the index's candidates.
ANN_MIN = 20_000
# The IVF's lists: about 4·√n, at most ANN_LISTS (k-means over 40 sample points a list is the
# build's main cost), each query scanning `nprobe` of them (chosen for recall ≥ 0.98 at 10
# against the exact scan; see tests.benchmarks.bench_articles).
ANN_LISTS = 1024
ANN_NPROBE = 24
# Retrain the IVF when the articles have doubled or a quarter of its entries are dead.
_RETRAIN_GROWTH = 2.0
_RETRAIN_DEAD = 0.25


@dataclass(frozen=True, slots=True)
class VectorStats:
    articles: int
    approximate: bool
    bytes: int


class VectorIndex:
    """Unit vectors by article key (`doc_id`), with the article's id and team.

    Not thread-safe: the owner serialises access."""

    def __init__(self, dimensions: int = dense.DIMENSIONS, *, ann_min: int = ANN_MIN) -> None:
        self.dimensions = dimensions
        self.ann_min = ann_min
        # Per position: the article's key, id, team number and liveness, and its vector.
        self._positions = PositionTable()
        self._vectors: npt.NDArray[np.float32] = np.zeros((0, dimensions), np.float32)
        self._ann: Any = None  # a faiss index over positions, when built
        self._pending: list[int] = []  # positions added since, not yet in the IVF
        self._ann_trained_on = 0
        self._ann_dead = 0

    def __len__(self) -> int:
        return len(self._positions)

    # --- writes --------------------------------------------------------------------------------

    def add(self, key: int, article_id: uuid.UUID, team_id: uuid.UUID, vector: np.ndarray) -> None:
        """Index an article's vector; one already under `key` is replaced."""
        self.remove(key)
        position, grew = self._positions.append(key, article_id, team_id)
        if grew:
            self._grow_vectors()
        self._vectors[position] = vector
        if self._ann is not None:
            self._pending.append(position)  # into the IVF in one call, before the next query

    def add_many(
        self,
        keys: Sequence[int],
        article_ids: Sequence[uuid.UUID],
        team_ids: Sequence[uuid.UUID],
        vectors: np.ndarray,
    ) -> None:
        """`add` for many keys at once (a build): new keys before an IVF exists go in as
        slices, the rest one by one."""
        fresh = (
            self._ann is None
            and len(set(keys)) == len(keys)
            and not any(key in self._positions for key in keys)
        )
        if not fresh:
            for key, article_id, team_id, vector in zip(
                keys, article_ids, team_ids, vectors, strict=True
            ):
                self.add(key, article_id, team_id, vector)
            return
        positions, grew = self._positions.extend(keys, article_ids, team_ids)
        if grew:
            self._grow_vectors()
        self._vectors[positions.start : positions.stop] = vectors

    def remove(self, key: int) -> bool:
        if self._positions.remove(key) is None:
            return False
        if self._ann is not None:
            self._ann_dead += 1
        return True

    def refresh(self) -> None:
        """Compact the dead out, and build or retrain the IVF index when the size calls for it
        (after a build, and after a catch-up)."""
        live = len(self._positions)
        if self._positions.dead > max(1024, live // 4):
            self._compact()
        if live < self.ann_min:
            self._ann = None
            return
        if (
            self._ann is None
            or live > _RETRAIN_GROWTH * self._ann_trained_on
            or self._ann_dead > _RETRAIN_DEAD * self._ann_trained_on
        ):
            self._build_ann()
        self._flush()

    def _flush(self) -> None:
        if self._ann is not None and self._pending:
            positions = np.array(self._pending, np.int64)
            self._ann.add_with_ids(np.ascontiguousarray(self._vectors[positions]), positions)
        self._pending = []

    def _compact(self) -> None:
        self._vectors = self._vectors[self._positions.compact()]
        self._ann = None  # positions moved: built again by `refresh`
        self._pending = []

    def _build_ann(self) -> None:
        import faiss

        table = self._positions
        live = np.flatnonzero(table.alive[: table.used])
        lists = min(ANN_LISTS, max(16, int(4 * math.sqrt(len(live)))))
        quantizer = faiss.IndexFlatIP(self.dimensions)
        index = faiss.IndexIVFFlat(quantizer, self.dimensions, lists, faiss.METRIC_INNER_PRODUCT)
        # k-means on a sample: 40 points a list is what faiss asks for.
        rng = np.random.default_rng(len(live))
        sample = live if len(live) <= 40 * lists else rng.choice(live, 40 * lists, replace=False)
        index.train(np.ascontiguousarray(self._vectors[np.sort(sample)]))
        index.add_with_ids(np.ascontiguousarray(self._vectors[live]), live.astype(np.int64))
        index.nprobe = ANN_NPROBE
        # One query at a time on one thread: faiss's OpenMP workers, left spinning after
        # each search, would take the core the database thread and the event loop need.
        faiss.omp_set_num_threads(1)
        self._ann = index
        self._pending = []
        self._ann_trained_on = len(live)
        self._ann_dead = 0

    def _grow_vectors(self) -> None:
        """The vectors' rows to the position table's capacity (it has just grown; the rows
        of the positions it has just handed out are written after this)."""
        self._vectors = grown(self._vectors, self._positions.capacity, len(self._vectors))

    # --- reads ---------------------------------------------------------------------------------

    def vector(self, key: int) -> np.ndarray | None:
        """The vector stored under `key` (a view: read it before the next write), or None."""
        position = self._positions.position_of.get(key)
        return None if position is None else self._vectors[position]

    def vectors(self, keys: Sequence[int]) -> dict[int, np.ndarray]:
        """Copies of the vectors stored under those of `keys` it has (taken in one gather, so
        they stay as they are whatever is written later)."""
        position_of = self._positions.position_of
        found = [(key, position) for key in keys if (position := position_of.get(key)) is not None]
        if not found:
            return {}
        rows = self._vectors[[position for _, position in found]]
        return {key: rows[i] for i, (key, _) in enumerate(found)}

    @property
    def approximate(self) -> bool:
        return self._ann is not None

    def search(
        self,
        query: np.ndarray,
        team_ids: Sequence[uuid.UUID],
        limit: int,
        *,
        exact: bool = False,
    ) -> list[tuple[uuid.UUID, float]]:
        """The `limit` articles of the teams whose vectors are closest to `query` (a unit
        vector), with their cosines, best first."""
        teams = self._positions.team_numbers_of(team_ids)
        if not teams or limit <= 0 or not self._positions:
            return []
        query = np.asarray(query, np.float32).reshape(-1)
        self._flush()
        if self._ann is not None and not exact:
            found = self._search_ann(query, teams, limit)
            if found is not None:
                return found
        return self._search_exact(query, teams, limit)

    def _search_exact(
        self, query: np.ndarray, teams: list[int], limit: int
    ) -> list[tuple[uuid.UUID, float]]:
        table = self._positions
        used = table.used
        scores = self._vectors[:used] @ query
        wanted = table.alive[:used]
        if len(teams) < len(table.team_numbers):
            wanted = wanted & np.isin(table.teams[:used], teams)
        scores = np.where(wanted, scores, -np.inf)
        count = min(limit, int(wanted.sum()))
        if count == 0:
            return []
        top = np.argpartition(-scores, count - 1)[:count] if count < used else np.arange(used)
        top = top[np.argsort(-scores[top], kind="stable")][:count]
        return list(zip(table.article_ids(top), scores[top].tolist(), strict=True))

    def _search_ann(
        self, query: np.ndarray, teams: list[int], limit: int
    ) -> list[tuple[uuid.UUID, float]] | None:
        """From the IVF index, over-fetched past dead and other teams' entries; None when
        that does not fill the answer (the exact scan answers then)."""
        fetch = limit * 2 + 10
        table = self._positions
        alive, team_of = table.alive, table.teams
        every_team = len(teams) == len(table.team_numbers)
        scores, positions = self._ann.search(query.reshape(1, -1), fetch)
        # Best first, as faiss gives them (-1 past its last hit); the live ones of the teams,
        # as columns rather than one numpy scalar at a time.
        found = positions[0] >= 0
        hits, hit_scores = positions[0][found], scores[0][found]
        keep = alive[hits]
        if not every_team:
            keep &= np.isin(team_of[hits], teams)
        hits, hit_scores = hits[keep][:limit], hit_scores[keep][:limit]
        out = list(zip(table.article_ids(hits), hit_scores.tolist(), strict=True))
        if len(out) == limit:
            return out
        live_in_teams = (
            len(table)
            if every_team
            else int(np.isin(team_of[: table.used][alive[: table.used]], teams).sum())
        )
        return out if len(out) == live_in_teams else None

    def stats(self) -> VectorStats:
        size = (self._vectors.nbytes + self._positions.nbytes) + len(
            self._positions
        ) * 100  # the key → position dict, about 100 bytes an entry
        if self._ann is not None:
            # The IVF keeps its own float32 copy and an 8-byte id per entry.
            size += self._ann.ntotal * (4 * self.dimensions + 8)
        return VectorStats(len(self._positions), self._ann is not None, size)


# --- kept in step with a database ---------------------------------------------------------------

# A query whose change log is behind the index's mark comes from an older snapshot (a request
# that began before a write another has caught the index up with); when every query has been
# behind for this long, the database was replaced by an older copy: the index is built again.
BEHIND_REBUILD_S = 10.0
# Rows of a catch-up read at a time (by sequence), so a catch-up after a bulk import neither
# holds every change in memory at once nor stops at any count.
CATCH_UP_PAGE = 2_000
_CATCH_UP = {
    "sqlite": (
        "SELECT c.seq, c.doc_id, a.id, a.team_id, v.vector FROM article_changes c "
        "LEFT JOIN articles a ON a.doc_id = c.doc_id "
        "LEFT JOIN article_vectors v ON v.article_id = a.id AND v.model = :model "
        "WHERE c.seq > :after ORDER BY c.seq LIMIT :page"
    ),
    # With the changes of the transactions that were in flight at the last mark and have
    # finished since, by transaction id (their sequence values may be below the mark).
    "postgresql": (
        "SELECT c.seq, c.doc_id, a.id, a.team_id, v.vector FROM article_changes c "
        "LEFT JOIN articles a ON a.doc_id = c.doc_id "
        "LEFT JOIN article_vectors v ON v.article_id = a.id AND v.model = :model "
        "WHERE c.seq > :after AND (c.seq > :mark "
        "OR c.xid = ANY(CAST(CAST(:finished AS text) AS xid8[]))) "
        "ORDER BY c.seq LIMIT :page"
    ),
}
# PostgreSQL: the latest sequence and, in the same snapshot, the transactions in progress.
_PG_PROBE = text("SELECT coalesce(max(seq), 0), pg_current_snapshot()::text FROM article_changes")


@dataclass(frozen=True, slots=True)
class _Snapshot:
    """Which transactions a PostgreSQL snapshot saw in progress: those in `running`, and every
    one from `next_xid` on (not started yet)."""

    running: frozenset[int]
    next_xid: int

    @classmethod
    def parse(cls, value: str) -> _Snapshot:
        # pg_snapshot's text form: xmin:xmax:xip,xip,...
        _, xmax, running = value.split(":")
        return cls(frozenset(int(x) for x in running.split(",") if x), int(xmax))

    def in_progress(self, xid: int) -> bool:
        return xid in self.running or xid >= self.next_xid


class LiveVectors:
    """One database's vectors of one model, for this process; the event loop's only.

    It applies what the asking session's snapshot shows; the routes that ask (annotate, an
    article's related) read in read-only transactions, so what it applies is committed.
    `gloss serve` builds it in the background at start-up (`warm`); a query that comes while
    a build runs gets None (related then ranks the words' and names' candidates by their
    vectors, as before this index). Without `warm` the first query builds it.

    On PostgreSQL a sequence value is taken at write and becomes visible at commit, so a
    transaction in flight when the mark was read may later show changes below it, however
    many changes committed meanwhile. The mark is read with the snapshot's transactions in
    progress (`in_flight`); once one of them has finished, a catch-up reads its changes by
    transaction id (the log keeps it), besides those above the mark. SQLite's writers take
    turns, so its sequences become visible in order."""

    def __init__(self, model: str, *, ann_min: int = ANN_MIN) -> None:
        self.model = model
        self.index = VectorIndex(ann_min=ann_min)
        self.mark = -1  # the last change-log sequence applied; -1 before the build
        # PostgreSQL: the transactions in progress when `mark` was read.
        self.in_flight: frozenset[int] = frozenset()
        self.build_seconds = 0.0
        self.building = False
        self._lock = asyncio.Lock()
        self._behind_since: float | None = None  # since when every query's log was behind

    async def current(self, session: AsyncSession) -> VectorIndex | None:
        """The index as of the session's snapshot of the change log, or None while a
        background build runs."""
        if self.building:
            return None
        seq, snapshot = await _probe(session)
        if seq == self.mark and not self._finished(snapshot):
            return self.index
        if 0 <= seq < self.mark:
            # A snapshot older than the index: a request that began before a write which
            # another request has since caught the index up with. The index shows more than
            # this request sees, so it ranks without it (as during a build). Only when every
            # query has been behind for a while has the log gone back (the database replaced
            # by an older copy), and the index is built afresh.
            now = time.monotonic()
            if self._behind_since is None:
                self._behind_since = now
            if now - self._behind_since < BEHIND_REBUILD_S:
                return None
        self._behind_since = None
        async with self._lock:
            if self.building:
                return None
            if self.mark < 0 or seq < self.mark:
                # First use; or the log went back (the database was replaced by an older copy):
                # build afresh.
                await self._build(session)
            elif seq != self.mark or self._finished(snapshot):
                await self._catch_up(session, seq, snapshot)
        return self.index

    def _finished(self, snapshot: _Snapshot | None) -> frozenset[int]:
        """The transactions in flight at the mark that `snapshot` sees finished."""
        if snapshot is None or not self.in_flight:
            return frozenset()
        return frozenset(x for x in self.in_flight if not snapshot.in_progress(x))

    async def warm(self, maker: Any) -> None:
        """Build in the background from a session of its own (`gloss serve` at start-up)."""
        if self.mark >= 0 or self.building:
            return
        self.building = True
        try:
            async with self._lock, maker() as session:
                await self._build(session)
        except Exception:  # logged; the first query that finds no index builds it
            log.exception("vector index build failed")
        finally:
            self.building = False

    async def _build(self, session: AsyncSession) -> None:
        started = time.perf_counter()
        index = VectorIndex(ann_min=self.index.ann_min)
        # The mark first: a change committed while the rows are read is applied again by
        # the next catch-up, which is harmless.
        seq, snapshot = await _probe(session)
        result = await session.stream(
            text(
                "SELECT a.doc_id, a.id, a.team_id, v.vector FROM articles a "
                "JOIN article_vectors v ON v.article_id = a.id WHERE v.model = :model"
            ),
            {"model": self.model},
        )
        async for rows in result.partitions(BUILD_BATCH):
            # The numpy work off the event loop, a batch at a time.
            await asyncio.to_thread(_add_rows, index, rows)
        await asyncio.to_thread(index.refresh)
        self.index = index
        self.mark = seq
        self.in_flight = snapshot.running if snapshot is not None else frozenset()
        self.build_seconds = time.perf_counter() - started
        log.info("vector index built: %d articles in %.1f s", len(index), self.build_seconds)

    async def _catch_up(self, session: AsyncSession, seq: int, snapshot: _Snapshot | None) -> None:
        """Apply the changes above the mark and those of the finished transactions, a page at
        a time, each article as it is now (applying one twice is harmless)."""
        dialect = session.get_bind().dialect.name
        statement = text(_CATCH_UP["postgresql" if dialect == "postgresql" else "sqlite"])
        finished = self._finished(snapshot)
        params: dict[str, object] = {"model": self.model, "page": CATCH_UP_PAGE}
        if dialect == "postgresql":
            params |= {"mark": self.mark, "finished": "{" + ",".join(map(str, finished)) + "}"}
        after = 0 if finished else self.mark
        while True:
            rows = (await session.execute(statement, {**params, "after": after})).all()
            for _, key, article_id, team_id, blob in rows:
                values = dense.from_blob(blob)
                if article_id is None or values is None:
                    self.index.remove(int(key))
                else:
                    self.index.add(int(key), _as_uuid(article_id), _as_uuid(team_id), values)
            if len(rows) < CATCH_UP_PAGE:
                break
            after = int(rows[-1][0])
        self.index.refresh()
        self.mark = seq
        self.in_flight = snapshot.running if snapshot is not None else frozenset()


async def _probe(session: AsyncSession) -> tuple[int, _Snapshot | None]:
    """The latest change-log sequence in the session's snapshot and, on PostgreSQL, that
    snapshot's transactions in progress."""
    if session.get_bind().dialect.name != "postgresql":
        # The SQLite backend read the sequence with the request's first statement already
        # (its probe); change_seq asks only where it did not.
        return await change_seq(session), None
    row = (await session.execute(_PG_PROBE)).one()
    return int(row[0]), _Snapshot.parse(row[1])


# Rows of a build read and added at a time.
BUILD_BATCH = 20_000


def _add_rows(index: VectorIndex, rows: Sequence[Any]) -> None:
    keys, ids, teams, blobs = [], [], [], []
    for key, article_id, team_id, blob in rows:
        if blob is None or len(blob) != dense.DIMENSIONS * 2:
            continue
        keys.append(int(key))
        ids.append(_as_uuid(article_id))
        teams.append(_as_uuid(team_id))
        blobs.append(blob)
    if blobs:
        vectors = np.frombuffer(b"".join(blobs), "<f2").reshape(-1, dense.DIMENSIONS)
        index.add_many(keys, ids, teams, vectors.astype(np.float32))


def _as_uuid(value: object) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


_registry: dict[tuple[str, str], LiveVectors] = {}


def live_vectors_for(session: AsyncSession, model: str) -> LiveVectors:
    """The process's vector index of the session's database and `model` (created empty, built
    by `warm` or its first query)."""
    return live_vectors_at(
        session.get_bind().engine.url.render_as_string(hide_password=True), model
    )


def live_vectors_at(where: str, model: str) -> LiveVectors:
    """The same by the database URL (`engine.url.render_as_string(hide_password=True)`)."""
    live = _registry.get((where, model))
    if live is None:
        live = _registry[(where, model)] = LiveVectors(model)
    return live


def forget(session_or_url: AsyncSession | str | None = None) -> None:
    """Drop the process's indexes (all, or one database's): tests, and a database replaced."""
    if session_or_url is None:
        _registry.clear()
        return
    where = (
        session_or_url
        if isinstance(session_or_url, str)
        else session_or_url.get_bind().engine.url.render_as_string(hide_password=True)
    )
    for key in [k for k in _registry if k[0] == where]:
        del _registry[key]
