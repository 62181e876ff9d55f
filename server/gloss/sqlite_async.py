"""aiosqlite with one thread hand-off per statement.

SQLAlchemy's aiosqlite adapter makes four trips to aiosqlite's worker thread for every
statement: create a cursor, execute, fetch the rows, close the cursor. Each trip is a queue put
and an event-loop wake-up (tens of microseconds, more on a busy machine), and on a cached
`POST /v1/annotate` these trips were most of the request. The cursor here does the whole
statement in one trip: the worker thread creates a cursor, executes, fetches every row (as
the stock adapter does for a non-streaming cursor), reads the description, row count and last
row id, and closes it. Everything else is SQLAlchemy's own aiosqlite dialect, so the URL stays
`sqlite+aiosqlite://`; `create_engine(..., module=dbapi())` hands it this DBAPI module.

A short read marked `INLINE_OPTION` skips the trip in a read-only transaction: it runs on the
caller's thread, as does the end of a read-only transaction (the connections are opened with
`check_same_thread=False`; the connection's execute mutex still keeps to one statement at a
time).

It uses aiosqlite's `Connection._execute` and `_conn`, as SQLAlchemy's adapter does itself for
`isolation_level`; pyproject.toml bounds both packages, and the whole test suite runs on it.
"""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Sequence
from typing import Any, cast

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

_Outcome = tuple[Any, int, int | None, list[Any] | None]

# An execution option for a read by key that SQLite answers in microseconds (the token check,
# the glossary versions of every annotate request): in a read-only transaction it runs on the
# caller's thread, since the hand-off to the connection's thread and back costs more than the
# statement. Reads in WAL mode take no lock a writer holds, so it never waits on one; a long
# statement must not have it (it would hold the event loop).
INLINE_OPTION = "gloss_inline"


def _run(
    connection: sqlite3.Connection,
    opening: Sequence[str],
    operation: str,
    parameters: Any,
    many: bool,
) -> _Outcome:
    """In aiosqlite's worker thread: the transaction's opening statements if they are still
    to be sent, then the whole statement, start to finish."""
    cursor = connection.cursor()
    try:
        for statement in opening:
            cursor.execute(statement)
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else None
        return description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """A buffered cursor whose statement runs in one trip to the worker thread."""

    __slots__ = ("_description", "_rowcount", "_lastrowid", "inline")
    # There is no aiosqlite cursor to close: the worker closed its sqlite3 cursor already.
    _awaitable_cursor_close = False

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection) -> None:
        # Not the base initialiser: it would make a trip to create an aiosqlite cursor.
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None
        # Set for each statement from its execution options (`INLINE_OPTION`).
        self.inline = False

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int:
        return self._lastrowid  # type: ignore[return-value]

    @property
    def arraysize(self) -> int:
        return 1

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        pass

    async def _trip(self, operation: str, parameters: Any, many: bool) -> None:
        connection = cast(OneTripConnection, self._adapt_connection)
        async with connection._execute_mutex:
            inline = self.inline and not many and connection.read_only
            opening = connection.take_opening()
            if inline:
                outcome = _run(self._connection._conn, opening, operation, parameters, many)
            else:
                outcome = await self._connection._execute(
                    _run, self._connection._conn, opening, operation, parameters, many
                )
            if opening:
                connection.opened()
        self._description, self._rowcount, self._lastrowid, rows = outcome
        self._rows = collections.deque(rows or ())

    async def _execute_async(self, operation: Any, parameters: Any) -> None:
        await self._trip(operation, parameters, many=False)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Sequence[Any]) -> None:
        await self._trip(operation, seq_of_parameters, many=True)

    async def _async_soft_close(self) -> None:
        pass

    def close(self) -> None:
        self._rows.clear()


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    """A connection that holds back a transaction's opening (`BEGIN`, and `PRAGMA query_only`
    when it changes) and sends it in the trip of the transaction's first statement. A
    deferred `BEGIN` takes no lock until that statement anyway, and `BEGIN IMMEDIATE` then
    waits for the write lock just the same; a transaction that runs no statement costs no
    trip at all."""

    __slots__ = ("opening", "query_only", "_opening_query_only")
    _cursor_cls = OneTripCursor  # type: ignore[assignment]  # a subclass of the stock one

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self.opening: tuple[str, ...] = ()
        # The query_only setting the connection has (None: not known), and the one the
        # held-back opening gives it.
        self.query_only: bool | None = None
        self._opening_query_only: bool | None = None

    def defer_begin(self, begin: str, *, query_only: bool) -> None:
        pragma = () if self.query_only is query_only else (f"PRAGMA query_only={int(query_only)}",)
        self.opening = (*pragma, begin)
        self._opening_query_only = query_only

    @property
    def read_only(self) -> bool:
        """The transaction is read-only (begun, or to begin with the next statement)."""
        return bool(self._opening_query_only if self.opening else self.query_only)

    def take_opening(self) -> tuple[str, ...]:
        """The held-back statements, to send now; the setting is unknown until they ran."""
        opening, self.opening = self.opening, ()
        if opening:
            self.query_only = None
        return opening

    def opened(self) -> None:
        """The opening statements ran."""
        self.query_only = self._opening_query_only

    def commit(self) -> None:
        if not self._settle():
            super().commit()

    def rollback(self) -> None:
        if self._settle():
            return
        raw = self._connection._connection
        if self.query_only and raw is not None:
            # Ending a read-only transaction releases its snapshot: no trip to the thread.
            raw.rollback()
            return
        super().rollback()

    def _settle(self) -> bool:
        """True when there is no transaction to end: its opening was never sent, or it has
        ended already (the pool's reset after a rollback). sqlite3 itself does nothing then;
        reading the flag here is safe, as no statement of this connection is in flight."""
        if self.opening:
            self.opening = ()
            return True
        raw = self._connection._connection  # None once closed: the stock path handles that
        return raw is not None and not raw.in_transaction


class OneTripDbapi(AsyncAdapt_aiosqlite_dbapi):
    """SQLAlchemy's aiosqlite DBAPI shim, handing out connections with one-trip cursors."""

    def connect(self, *arg: Any, **kw: Any) -> OneTripConnection:
        creator = kw.pop("async_creator_fn", None)
        connection = creator(*arg, **kw) if creator else self.aiosqlite.connect(*arg, **kw)
        if not creator:
            # As SQLAlchemy does: a daemon worker never keeps the interpreter alive.
            connection._thread.daemon = True
        return OneTripConnection(self, await_(connection))


def dbapi() -> OneTripDbapi:
    return OneTripDbapi(aiosqlite, sqlite3)


# --- rows without SQLAlchemy's execution --------------------------------------------------------

_CONNECTION_KEY = "gloss.sqlite_async.connection"


async def one_trip_connection(session: AsyncSession) -> OneTripConnection | None:
    """The session's connection as this module's DBAPI connection (its transaction begun),
    or None on another driver. Kept for the transaction's other statements."""
    cached = session.info.get(_CONNECTION_KEY)
    transaction = session.get_transaction()
    if cached is not None and transaction is not None and cached[0] is transaction:
        connection: OneTripConnection = cached[1]
        return connection
    if session.get_bind().dialect.driver != "aiosqlite":
        return None
    raw = await (await session.connection()).get_raw_connection()
    found = raw.dbapi_connection
    if not isinstance(found, OneTripConnection):
        return None
    session.info[_CONNECTION_KEY] = (session.get_transaction(), found)
    return found


async def fetch_all(
    connection: OneTripConnection, operation: str, parameters: Sequence[Any]
) -> list[Any]:
    """A read statement's rows as sqlite3 gives them (tuples of its own types), in the one
    trip a statement takes through SQLAlchemy, on the connection's transaction: for the hot
    statements of a related query, where SQLAlchemy's execution (the parameters' processing,
    the compiled cache's key, the result and its rows) was a good part of a statement's
    time. Errors are SQLAlchemy's, as from `session.execute`."""
    async with connection._execute_mutex:
        opening = connection.take_opening()
        try:
            outcome: _Outcome = await connection._connection._execute(
                _run, connection._connection._conn, opening, operation, parameters, False
            )
        except sqlite3.Error as error:
            raise DBAPIError.instance(
                operation, parameters, error, sqlite3.Error, hide_parameters=True
            ) from error
        if opening:
            connection.opened()
    return outcome[3] or []
