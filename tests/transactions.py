"""A test's database work in one transaction that is rolled back at the end, whatever it committed.

As in SQLAlchemy's "Joining a Session into an External Transaction" (and hypothesis/h's tests):
one connection per test, one outer transaction on it, and every session the app or a fixture
opens during the test joins it with a SAVEPOINT (`join_transaction_mode="create_savepoint"`),
so the code under test's commits and rollbacks are savepoint releases and rollbacks, and the
outer transaction is rolled back when the test ends.

Two things production does with a second connection are kept here on the one connection:
- A read-only request's session still cannot write: its savepoint runs with
  `PRAGMA query_only=ON` on SQLite (as production's read-only transactions do) and
  `SET TRANSACTION READ ONLY` on PostgreSQL (stricter than production, which relies on the
  rollback; a route that writes in a read-only request would fail on SQLite anyway).
- The one write such a request makes, a token's last-used time, goes in production in a short
  transaction of its own (`gloss.auth.service._touch`). Here it is held back and applied in a
  savepoint of its own right after the read-only session ends, so it outlives that session's
  rollback as it does in production.

One connection runs one statement at a time, and savepoints nest: sessions may nest (a fixture's
inside a request's is fine) but two tasks may not hold sessions at once. A test that runs
requests concurrently fails loudly here; it needs `@pytest.mark.commits`.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Executable, event
from sqlalchemy.engine import IteratorResult, Result
from sqlalchemy.engine.result import SimpleResultMetaData
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from gloss import sqlite_async

# Where a test session finds the test's shared state (session.info is a copy of the maker's
# info dict, so the object itself is shared).
_SHARED = "gloss.tests.shared"
_READ_ONLY = "gloss.tests.read_only"
_TOUCHES = "gloss.tests.touches"
# gloss.auth.repository._touch_statement, as SQLAlchemy renders it without a dialect.
_TOUCH_SQL = re.compile(r"UPDATE api_tokens SET last_used_at=:\w+ WHERE api_tokens\.id = :\w+")


class ConcurrentSessions(RuntimeError):
    """Two sessions at once on a rolled-back test's one connection."""


@dataclass
class _Shared:
    """What the test's sessions share: the connection, and which sessions are open, in order."""

    connection: Connection
    open: list[tuple[Session, asyncio.Task[Any] | None]] = field(default_factory=list)

    def opened(self, session: Session) -> None:
        task = asyncio.current_task()
        if self.open and self.open[-1][1] is not task:
            raise ConcurrentSessions(
                "Two tasks hold sessions at once on the test's one connection (the test runs "
                "requests concurrently): mark it @pytest.mark.commits."
            )
        self.open.append((session, task))

    def closed(self, session: Session) -> None:
        if not self.open or self.open[-1][0] is not session:
            raise ConcurrentSessions(
                "A session ended while one opened after it is still open (savepoints nest): "
                "mark the test @pytest.mark.commits."
            )
        self.open.pop()


class JoinedSession(Session):
    """A session on the test's connection (events below keep the bookkeeping)."""


class ReadOnlyJoinedSession(JoinedSession):
    """A read-only request's session on the test's connection: its savepoint cannot write."""


def _shared(session: Session) -> _Shared:
    shared: _Shared = session.info[_SHARED]
    return shared


@event.listens_for(JoinedSession, "after_begin", propagate=True)
def _after_begin(session: Session, transaction: SessionTransaction, connection: Connection) -> None:
    if transaction.parent is not None:
        return  # a savepoint inside the session's own (begin_nested)
    _shared(session).opened(session)
    if session.info.get(_READ_ONLY):
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("PRAGMA query_only=ON")
        else:
            connection.exec_driver_sql("SET TRANSACTION READ ONLY")


@event.listens_for(JoinedSession, "after_transaction_end", propagate=True)
def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    shared = session.info.get(_SHARED)
    if transaction.parent is not None or shared is None:
        return
    if not any(s is session for s, _ in shared.open):
        return  # the transaction never reached the connection
    shared.closed(session)
    if not session.info.get(_READ_ONLY):
        return
    connection = shared.connection
    if connection.dialect.name == "sqlite":
        # Not transactional: it outlives the savepoint's rollback. (PostgreSQL's read-only
        # setting ended with the savepoint.)
        connection.exec_driver_sql("PRAGMA query_only=OFF")
    touches: list[Executable] = session.info.pop(_TOUCHES, [])
    for statement in touches:
        with connection.begin_nested():
            connection.execute(statement)


@event.listens_for(ReadOnlyJoinedSession, "do_orm_execute", propagate=True)
def _hold_back_touch(state: ORMExecuteState) -> Result[Any] | None:
    if not state.is_update or not _TOUCH_SQL.fullmatch(str(state.statement)):
        return None
    state.session.info.setdefault(_TOUCHES, []).append(state.statement)
    return IteratorResult(SimpleResultMetaData([]), iter(()))


def _joined(
    maker: async_sessionmaker[AsyncSession],
    connection: AsyncConnection,
    shared: _Shared,
    *,
    read_only: bool = False,
) -> async_sessionmaker[AsyncSession]:
    """`maker`'s sessions (same options), on `connection`, each in a savepoint of its own."""
    info = {**maker.kw.get("info", {}), _SHARED: shared, _READ_ONLY: read_only}
    kw = {
        **maker.kw,
        "bind": connection,
        "info": info,
        "join_transaction_mode": "create_savepoint",
        "sync_session_class": ReadOnlyJoinedSession if read_only else JoinedSession,
    }
    return async_sessionmaker(class_=maker.class_, **kw)


@dataclass(frozen=True)
class RolledBack:
    """The test's connection and the sessionmakers that join its transaction."""

    connection: AsyncConnection
    sessionmaker: async_sessionmaker[AsyncSession]
    read_sessionmaker: async_sessionmaker[AsyncSession]


@asynccontextmanager
async def rolled_back(
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    read_sessionmaker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[RolledBack]:
    """One connection in one transaction, rolled back on exit; sessionmakers like the given
    ones whose sessions join it."""
    async with engine.connect() as connection:
        assert connection.sync_connection is not None
        shared = _Shared(connection.sync_connection)
        outer = await connection.begin()
        try:
            yield RolledBack(
                connection,
                _joined(sessionmaker, connection, shared),
                _joined(read_sessionmaker, connection, shared, read_only=True),
            )
        finally:
            if outer.is_active:
                await outer.rollback()
            if connection.dialect.name == "sqlite":
                # The shim remembers the connection's query_only setting to skip the PRAGMA
                # when a transaction's opening would not change it; a test may have left it
                # anywhere, so make the next transaction on this connection set it.
                raw = (await connection.get_raw_connection()).dbapi_connection
                if isinstance(raw, sqlite_async.OneTripConnection):
                    raw.query_only = None
