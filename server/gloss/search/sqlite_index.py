"""The in-memory related index of a SQLite file, kept in step with every process's writes.

Built in a background thread, caught up through the `article_changes` log, and used only when
it shows exactly what the asking session sees.
"""

from __future__ import annotations

import dataclasses
import logging
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from gloss.db import READ_ONLY_OPTION
from gloss.nlp.ranking import tokens
from gloss.search.article_facts import ArticleFacts, Mention
from gloss.search.memory_index import ArticleIndex, IndexStats

log = logging.getLogger("gloss.search")
_T = TypeVar("_T")

# Up to this many changes since the index's mark are applied on the request's path (about
# 50 µs each); more go to the background thread, and queries use FTS5 until it is done.
INLINE_CATCH_UP = 64
# After a failed build or catch-up, the index is tried again this much later (FTS5 meanwhile).
RETRY_AFTER_S = 60.0
_BUSY_TIMEOUT_S = 0.05
CHANGE_SEQ_SQL = "SELECT coalesce(max(seq), 0) FROM article_changes"
_CHANGE_SEQ = text(CHANGE_SEQ_SQL)
_SEQ_KEY = "gloss.search.change_seq"


def article_terms(title: str, body: str) -> set[str]:
    """The distinct words of an article as FTS5 indexes them (title and text)."""
    return set(tokens(title)) | set(tokens(body))


@dataclass(frozen=True, slots=True)
class _Article:
    """An article as the index keeps it: its words and its facts."""

    id: uuid.UUID
    team_id: uuid.UUID
    terms: set[str]
    published_at: datetime | None
    duplicate_of_id: uuid.UUID | None
    mentions: list[Mention]


@dataclass(frozen=True, slots=True)
class _Change:
    key: int
    article: _Article | None  # None: the article is gone


class LiveIndex:
    """One database file's index, shared by the process's sessions.

    `mark` is the last change-log sequence applied. A session may use the index only when its
    own snapshot has the same latest sequence: a session with uncommitted writes, or reading
    an older snapshot, gets the SQL path instead, so the answer never differs from FTS5's.
    Every method is called from the event loop; the lock is only ever contended by the
    background thread, and a query that finds it taken uses the SQL path rather than wait.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._index: ArticleIndex | None = None
        # The articles' facts (team, date, duplicate link, entity mentions), in step with
        # `_index`: built, caught up and swapped with it.
        self._facts = ArticleFacts()
        self._mark = 0
        self._worker: threading.Thread | None = None
        self._connection: sqlite3.Connection | None = None
        self._closed = False
        # The last failure (a database not yet migrated, an I/O error): tried again later.
        self.failed: str | None = None
        self._retry_at = 0.0
        # Queries answered here and handed back to the SQL path (for tests and operators).
        self.answered = 0
        self.declined = 0

    @property
    def ready(self) -> bool:
        return self._index is not None

    def start(self) -> None:
        """Build the index in the background (if it is not built or being built)."""
        with self._lock:
            self._start_worker()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._index = None
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    def wait(self, timeout: float | None = None) -> None:
        """Until the background work started so far is done (for tests and benchmarks)."""
        worker = self._worker
        if worker is not None:
            worker.join(timeout)

    def stats(self) -> IndexStats | None:
        """The words' statistics, `bytes` counting the facts' arrays too."""
        with self._lock:
            if self._index is None:
                return None
            return _with_facts(self._index.stats(), self._facts)

    # --- queries (None: use the SQL path) ----------------------------------------------------

    def document_frequencies(
        self, seq: int, terms: Sequence[str], cap: int
    ) -> tuple[int, dict[str, int]] | None:
        return self._answer(seq, lambda index: (len(index), index.document_frequencies(terms, cap)))

    def more_like_this(
        self,
        seq: int,
        groups: Sequence[tuple[Sequence[str], float]],
        team_ids: Sequence[uuid.UUID],
        limit: int,
    ) -> list[tuple[uuid.UUID, float]] | None:
        return self._answer(seq, lambda index: index.more_like_this(groups, team_ids, limit))

    def peek(self, ask: Callable[[ArticleIndex], _T]) -> tuple[int, _T] | None:
        """`ask` the index as it stands, with the change-log sequence it stands at: for a
        caller that reads its session's sequence meanwhile (in the same trip as a statement it
        runs anyway) and uses the answer only if the two agree. None if it is not built or is
        busy; nothing is caught up here."""
        if not self._lock.acquire(blocking=False):
            return None
        try:
            if self._closed or self._index is None:
                return None
            return self._mark, ask(self._index)
        finally:
            self._lock.release()

    def peek_facts(self, ask: Callable[[ArticleFacts], _T]) -> tuple[int, _T] | None:
        """`peek` at the articles' facts (kept in step with the words)."""
        if not self._lock.acquire(blocking=False):
            return None
        try:
            if self._closed or self._index is None:
                return None
            return self._mark, ask(self._facts)
        finally:
            self._lock.release()

    def _answer(self, seq: int, ask: Callable[[ArticleIndex], _T]) -> _T | None:
        """`ask` the index if it stands at `seq` and is free; None sends the query to SQL."""
        if not self._lock.acquire(blocking=False):
            self.declined += 1
            return None
        try:
            index = self._at(seq)
            if index is None:
                self.declined += 1
                return None
            self.answered += 1
            return ask(index)
        finally:
            self._lock.release()

    def _at(self, seq: int) -> ArticleIndex | None:
        """The index if it is (or, with a few changes applied here, can be) at `seq`. Called
        with the lock held."""
        if self._closed or self._index is None:
            self._start_worker()
            return None
        if seq > self._mark and self._worker is None:
            if seq - self._mark > INLINE_CATCH_UP:
                self._start_worker()
            else:
                try:
                    if self._connection is None:
                        self._connection = _connect(self.path)
                    changes, mark = _read_changes(self._connection, self._mark)
                except sqlite3.Error:
                    log.warning("related index of %s: catching up failed", self.path, exc_info=True)
                    return None
                if mark < self._mark:  # the file was replaced by an older one: start again
                    self._index = None
                    self._start_worker()
                    return None
                self._apply(changes, mark)
                if self._index.needs_compaction() or self._facts.needs_compaction():
                    self._start_worker()
        return self._index if seq == self._mark else None

    # --- building and catching up ------------------------------------------------------------

    def _start_worker(self) -> None:
        if self._worker is not None or self._closed or time.monotonic() < self._retry_at:
            return
        self._worker = threading.Thread(
            target=self._work, name=f"gloss-related-index:{self.path}", daemon=True
        )
        self._worker.start()

    def _apply(self, changes: Iterable[_Change], mark: int) -> None:
        assert self._index is not None
        for change in changes:
            article = change.article
            if article is None:
                self._index.remove(change.key)
                self._facts.remove(change.key)
            else:
                self._index.add(change.key, article.id, article.team_id, article.terms)
                self._facts.add(
                    change.key,
                    article.id,
                    article.team_id,
                    article.published_at,
                    article.duplicate_of_id,
                    article.mentions,
                )
        self._mark = mark

    def _work(self) -> None:
        """Build the index if there is none, catch up with the log, compact; the lock is taken
        only to swap a built index in or to apply a batch of changes read without it."""
        try:
            connection = _connect(self.path)
            try:
                self._work_on(connection)
            finally:
                connection.close()
        except Exception as exc:  # the SQL path keeps answering; say why the index does not
            log.exception("the in-memory related index of %s failed", self.path)
            self.failed = repr(exc)
            self._retry_at = time.monotonic() + RETRY_AFTER_S
        finally:
            with self._lock:
                self._worker = None

    def _work_on(self, connection: sqlite3.Connection) -> None:
        if self._index is None:
            index, facts, mark = _build(connection)
            # Measured before it is shared: requests may change it as soon as it is.
            stats = _with_facts(index.stats(), facts)
            with self._lock:
                if self._closed:
                    return
                self._index, self._facts, self._mark = index, facts, mark
            log.info("related index of %s: %s", self.path, stats)
        while not self._closed:
            with self._lock:
                mark = self._mark
            changes, latest = _read_changes(connection, mark)
            with self._lock:
                if self._closed or self._index is None:
                    return
                if latest < mark:
                    self._index = None  # replaced by an older file; a new worker rebuilds
                    return
                if self._mark == mark:
                    self._apply(changes, latest)
                if not changes and self._mark == latest:
                    if self._index.needs_compaction():
                        self._index.compact()
                    if self._facts.needs_compaction():
                        self._facts.compact()
                    return


def _with_facts(stats: IndexStats, facts: ArticleFacts) -> IndexStats:
    return dataclasses.replace(stats, bytes=stats.bytes + facts.nbytes)


def _connect(path: str) -> sqlite3.Connection:
    # Autocommit: each statement reads the latest committed state, and nothing holds a read
    # snapshot (which would keep the WAL from being checkpointed) between catch-ups. A WAL
    # reader does not wait for writers; in the rare case it must (the file being recovered),
    # it gives up within 50 ms, since a small catch-up runs on the event loop: the query then
    # takes the SQL path and the index tries again later.
    connection = sqlite3.connect(
        path, timeout=_BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
    )
    connection.execute("PRAGMA query_only=ON")
    return connection


def _build(connection: sqlite3.Connection) -> tuple[ArticleIndex, ArticleFacts, int]:
    """Every stored article, and the log's sequence at the same snapshot."""
    index = ArticleIndex()
    facts = ArticleFacts()
    teams: dict[str, uuid.UUID] = {}
    connection.execute("BEGIN")
    try:
        mark = int(
            connection.execute("SELECT coalesce(max(seq), 0) FROM article_changes").fetchone()[0]
        )
        # The articles and their entity mentions both in the articles' rowid order, read side
        # by side: each article's mentions are consumed as it is added, never all held at
        # once (a million articles name some ten million). CROSS JOIN keeps the articles the
        # outer loop (each one's mentions a range of their primary key), so nothing is sorted.
        mentions = connection.execute(
            "SELECT a.rowid, m.key, m.salience, m.text FROM articles a "
            "CROSS JOIN article_mentions m ON m.article_id = a.id AND m.kind = 'entity' "
            "ORDER BY a.rowid"
        )
        pending = mentions.fetchone()
        rows = connection.execute(
            "SELECT rowid, doc_id, id, team_id, title, text, published_at, duplicate_of_id "
            "FROM articles ORDER BY rowid"
        )
        for rowid, key, article_id, team_id, title, body, published_at, duplicate_of_id in rows:
            named = []
            while pending is not None and pending[0] <= rowid:
                if pending[0] == rowid:
                    named.append(Mention(pending[1], pending[2], pending[3]))
                pending = mentions.fetchone()
            team = teams.get(team_id) or teams.setdefault(team_id, uuid.UUID(str(team_id)))
            article = uuid.UUID(str(article_id))
            index.add(key, article, team, article_terms(title, body))
            facts.add(
                key,
                article,
                team,
                _moment(published_at),
                None if duplicate_of_id is None else uuid.UUID(str(duplicate_of_id)),
                named,
            )
    finally:
        connection.execute("ROLLBACK")
    index.compact()
    facts.compact()
    return index, facts, mark


def _read_changes(connection: sqlite3.Connection, mark: int) -> tuple[list[_Change], int]:
    """The articles changed since `mark` as they are now, and the log's latest sequence
    (lower than `mark` only if the database was replaced by an older copy). One read
    transaction: the articles and their mentions as of one snapshot."""
    connection.execute("BEGIN")
    try:
        latest = int(
            connection.execute("SELECT coalesce(max(seq), 0) FROM article_changes").fetchone()[0]
        )
        if latest <= mark:
            return [], latest
        rows = connection.execute(
            "SELECT c.seq, c.doc_id, a.id, a.team_id, a.title, a.text, a.published_at, "
            "a.duplicate_of_id FROM article_changes c "
            "LEFT JOIN articles a ON a.doc_id = c.doc_id WHERE c.seq > ? ORDER BY c.seq",
            (mark,),
        ).fetchall()
        mentions = _mentions(connection, mark)
    finally:
        connection.execute("ROLLBACK")
    changes = [
        _Change(
            key,
            None
            if article_id is None
            else _Article(
                uuid.UUID(str(article_id)),
                uuid.UUID(str(team_id)),
                article_terms(title, body),
                _moment(published_at),
                None if duplicate_of_id is None else uuid.UUID(str(duplicate_of_id)),
                mentions.get(article_id, []),
            ),
        )
        for _, key, article_id, team_id, title, body, published_at, duplicate_of_id in rows
    ]
    return changes, int(rows[-1][0]) if rows else mark


def _mentions(connection: sqlite3.Connection, after: int) -> dict[str, list[Mention]]:
    """The entity mentions of the articles changed since the sequence `after`, by the
    article's id as stored."""
    rows = connection.execute(
        "SELECT m.article_id, m.key, m.salience, m.text FROM article_changes c "
        "JOIN articles a ON a.doc_id = c.doc_id "
        "JOIN article_mentions m ON m.article_id = a.id AND m.kind = 'entity' "
        "WHERE c.seq > ?",
        (after,),
    )
    out: dict[str, list[Mention]] = {}
    for article_id, key, salience, written in rows:
        mentions = out.get(article_id)
        if mentions is None:
            mentions = out[article_id] = []
        mentions.append(Mention(key, salience, written))
    return out


def _moment(value: str | None) -> datetime | None:
    """A date as SQLite stores it (naive UTC text)."""
    return None if value is None else datetime.fromisoformat(value)


# --- one index per database file in this process -----------------------------------------------

_registry: dict[str, tuple[LiveIndex, int]] = {}
_registry_lock = threading.Lock()


def attach(path: str) -> LiveIndex:
    """The index of the database file at `path` (as written in the database URL), shared by
    the process's apps; its build starts in the background."""
    with _registry_lock:
        live, users = _registry.get(path, (None, 0))
        if live is None:
            live = LiveIndex(path)
        _registry[path] = (live, users + 1)
    live.start()
    return live


def detach(live: LiveIndex) -> None:
    with _registry_lock:
        current, users = _registry.get(live.path, (None, 0))
        if current is not live:
            return
        if users > 1:
            _registry[live.path] = (live, users - 1)
            return
        del _registry[live.path]
    live.close()


def live_index_for(session: AsyncSession) -> LiveIndex | None:
    """The attached, built index of the session's database, if any."""
    if not _registry:
        return None
    bind = session.get_bind()
    entry = _registry.get(bind.engine.url.database or "")
    return entry[0] if entry is not None else None


async def change_seq(session: AsyncSession) -> int:
    """The latest change-log sequence in the session's snapshot (its own writes included).

    A read-only transaction's snapshot is fixed at its first read (WAL), so its answer is
    kept for the transaction's other questions; a writing one may change it, so it is asked
    each time."""
    cached = session.info.get(_SEQ_KEY)
    if cached is not None and cached[0] is session.get_transaction():
        return int(cached[1])
    seq = int(await session.scalar(_CHANGE_SEQ) or 0)
    remember_change_seq(session, seq)
    return seq


def remember_change_seq(session: AsyncSession, seq: int) -> None:
    """Keep a sequence another statement of this transaction read (`CHANGE_SEQ_SQL` as one
    of its columns), as `change_seq` keeps its own: the related query then asks no more."""
    if session.get_bind().get_execution_options().get(READ_ONLY_OPTION):
        session.info[_SEQ_KEY] = (session.get_transaction(), seq)
