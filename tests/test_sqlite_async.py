"""The SQLite driver path (gloss.sqlite_async with the transaction opening in gloss.db): one
trip to aiosqlite's thread per statement, the same DBAPI behaviour as the stock adapter, and
transactions that still begin where they did (snapshots, query_only, the write lock)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from gloss import sqlite_async
from gloss.db import create_engine, create_read_sessionmaker, create_sessionmaker
from gloss.settings import Settings


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'trips.sqlite3'}")
    engine = create_engine(settings)
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"))
        await connection.execute(text("INSERT INTO t (v) VALUES ('one'), ('two')"))
    yield engine
    await engine.dispose()


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The name of each function sent to an aiosqlite worker thread, in order."""
    sent: list[str] = []
    execute = aiosqlite.Connection._execute

    async def counting(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        sent.append(getattr(fn, "__name__", repr(fn)))
        return await execute(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counting)
    return sent


async def test_a_read_only_request_costs_one_trip_per_statement_and_none_to_end(
    engine: AsyncEngine, trips: list[str]
) -> None:
    maker = create_read_sessionmaker(engine)
    for _ in range(2):  # the second time the connection already has query_only set
        trips.clear()
        async with maker() as session:
            assert await session.scalar(text("SELECT count(*) FROM t")) == 2
            assert await session.scalar(text("SELECT v FROM t WHERE id = 2")) == "two"
            await session.rollback()
        # A read-only transaction ends on the caller's thread: it only lets go of a snapshot.
        assert trips == ["_run", "_run"]
    writer = create_sessionmaker(engine)
    trips.clear()
    async with writer() as session:
        await session.execute(text("UPDATE t SET v = 'two' WHERE id = 2"))
        await session.rollback()
    assert trips == ["_run", "rollback"]


async def test_a_read_only_session_closed_without_a_rollback_ends_its_transaction(
    engine: AsyncEngine, trips: list[str]
) -> None:
    """What a read-only request does (gloss.db.get_session): it only closes its session. The
    pool's reset ends the transaction, on the caller's thread, and lets go of its snapshot."""
    maker = create_read_sessionmaker(engine)
    async with maker() as session:
        assert await session.scalar(text("SELECT count(*) FROM t")) == 2
    assert trips == ["_run"]
    async with engine.connect() as connection:  # the same connection again (the pool is LIFO)
        raw = await connection.get_raw_connection()
        assert raw.driver_connection is not None
        assert not raw.driver_connection._conn.in_transaction
    async with create_sessionmaker(engine)() as session, session.begin():
        await session.execute(text("UPDATE t SET v = 'changed' WHERE id = 2"))
    async with maker() as session:
        assert await session.scalar(text("SELECT v FROM t WHERE id = 2")) == "changed"


def _thread_of(dbapi_connection: Any, _record: Any) -> None:
    """A SQL function naming the thread that runs the statement."""
    dbapi_connection.create_function("thread_id", 0, threading.get_ident)


async def test_a_short_read_marked_inline_runs_on_the_callers_thread_in_a_read_only_transaction(
    engine: AsyncEngine, trips: list[str]
) -> None:
    event.listen(engine.sync_engine, "connect", _thread_of)
    await engine.dispose()  # new connections, with the function
    here = threading.get_ident()
    # Reading a table starts the transaction's snapshot (a SELECT of no table would not).
    inline = text("SELECT thread_id() FROM t LIMIT 1").execution_options(
        **{sqlite_async.INLINE_OPTION: True}
    )
    plain = text("SELECT thread_id() FROM t LIMIT 1")
    async with create_read_sessionmaker(engine)() as session:
        await session.execute(plain)  # a connection made, with the function, query_only set
    async with create_read_sessionmaker(engine)() as session:
        trips.clear()
        assert await session.scalar(inline) == here  # the held-back BEGIN went with it
        assert trips == []
        assert await session.scalar(plain) != here
        assert trips == ["_run"]
        # The same snapshot: a write committed meanwhile is not seen by either path.
        async with engine.begin() as writer:
            await writer.execute(text("INSERT INTO t (v) VALUES ('three')"))
        count = text("SELECT count(*) FROM t")
        inline_count = count.execution_options(**{sqlite_async.INLINE_OPTION: True})
        assert await session.scalar(inline_count) == 2
        assert await session.scalar(count) == 2
        with pytest.raises(OperationalError, match="readonly"):  # still read-only inline
            await session.execute(
                text("DELETE FROM t").execution_options(**{sqlite_async.INLINE_OPTION: True})
            )
        await session.rollback()
    # In a writing transaction the option is ignored: a write may wait for the lock.
    async with create_sessionmaker(engine)() as session:
        trips.clear()
        assert await session.scalar(inline) != here
        assert trips == ["_run"]
        await session.rollback()
    async with create_read_sessionmaker(engine)() as session:
        assert await session.scalar(text("SELECT count(*) FROM t")) == 3


async def test_a_transaction_that_runs_nothing_costs_no_trip(
    engine: AsyncEngine, trips: list[str]
) -> None:
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))  # checked out and warmed
        await connection.commit()
        trips.clear()
        await connection.begin()
        await connection.rollback()
    assert trips == []


async def test_rows_counts_ids_and_many_come_back_as_from_sqlite3(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        inserted = await connection.execute(text("INSERT INTO t (v) VALUES ('three')"))
        assert inserted.lastrowid == 3
        assert inserted.rowcount == 1
        many = await connection.execute(
            text("INSERT INTO t (v) VALUES (:v)"), [{"v": "four"}, {"v": "five"}]
        )
        assert many.rowcount == 2
        updated = await connection.execute(text("UPDATE t SET v = upper(v) WHERE id > 3"))
        assert updated.rowcount == 2
        returned = await connection.execute(text("DELETE FROM t WHERE id >= 4 RETURNING id, v"))
        assert sorted(tuple(r) for r in returned) == [(4, "FOUR"), (5, "FIVE")]
        empty = await connection.execute(text("SELECT v FROM t WHERE id = 99"))
        assert empty.first() is None
        assert list(empty.keys()) == ["v"]
        rows = (await connection.execute(text("SELECT id, v FROM t ORDER BY id"))).all()
        assert [tuple(r) for r in rows] == [(1, "one"), (2, "two"), (3, "three")]


async def test_a_read_only_transaction_reads_one_snapshot(engine: AsyncEngine) -> None:
    # The deferred BEGIN goes out with the first statement, so the second read still sees
    # the database as the first one did, whatever a writer commits in between (WAL).
    reader = create_read_sessionmaker(engine)
    writer = create_sessionmaker(engine)
    async with reader() as reading:
        assert await reading.scalar(text("SELECT v FROM t WHERE id = 1")) == "one"
        async with writer() as writing, writing.begin():
            await writing.execute(text("UPDATE t SET v = 'changed' WHERE id = 1"))
        assert await reading.scalar(text("SELECT v FROM t WHERE id = 1")) == "one"
        await reading.rollback()
    async with reader() as reading:
        assert await reading.scalar(text("SELECT v FROM t WHERE id = 1")) == "changed"


async def test_a_write_in_a_read_only_transaction_fails_and_the_connection_writes_again(
    engine: AsyncEngine,
) -> None:
    reader = create_read_sessionmaker(engine)
    writer = create_sessionmaker(engine)
    async with reader() as reading:
        with pytest.raises(OperationalError, match="readonly"):
            await reading.execute(text("UPDATE t SET v = 'lost' WHERE id = 1"))
        await reading.rollback()
    # The pool hands the same connection out next (LIFO); writing switches query_only off.
    async with writer() as writing, writing.begin():
        await writing.execute(text("UPDATE t SET v = 'kept' WHERE id = 1"))
    async with reader() as reading:
        assert await reading.scalar(text("SELECT v FROM t WHERE id = 1")) == "kept"
        with pytest.raises(OperationalError, match="readonly"):
            await reading.execute(text("DELETE FROM t"))


async def test_a_writing_transaction_holds_the_write_lock_from_its_first_statement(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    # BEGIN IMMEDIATE goes out with the first statement, a read: from then on no other writer
    # can begin (this one gives up at once instead of waiting out a busy timeout).
    writer = create_sessionmaker(engine)
    other = sqlite3.connect(tmp_path / "trips.sqlite3", timeout=0, isolation_level=None)
    try:
        async with writer() as first, first.begin():
            other.execute("BEGIN IMMEDIATE")  # nothing holds the lock before the first statement
            other.execute("ROLLBACK")
            assert await first.scalar(text("SELECT count(*) FROM t")) == 2
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
    finally:
        other.close()


async def test_ending_a_transaction_on_a_closed_connection_is_quiet(engine: AsyncEngine) -> None:
    # The pool may reset a connection whose aiosqlite thread has already stopped.
    async with engine.connect() as connection:
        raw = await connection.get_raw_connection()
        adapted = raw.dbapi_connection
        assert adapted is not None
        await connection.rollback()
        await raw.driver_connection.close()  # type: ignore[union-attr]
        adapted.rollback()
        adapted.commit()
        await connection.invalidate()


async def test_fetch_all_reads_rows_in_one_trip_that_opens_the_transaction(
    engine: AsyncEngine, trips: list[str]
) -> None:
    """The related query's statements bypass SQLAlchemy's execution: one trip, on the session's
    transaction (its held-back opening sent with it), rows as sqlite3 gives them."""
    maker = create_read_sessionmaker(engine)
    async with maker() as session:
        connection = await sqlite_async.one_trip_connection(session)
        assert connection is not None
        assert await sqlite_async.one_trip_connection(session) is connection  # kept
        trips.clear()
        rows = await sqlite_async.fetch_all(
            connection, "SELECT id, v FROM t WHERE id IN (SELECT value FROM json_each(?))", ("[2]",)
        )
        assert rows == [(2, "two")]
        assert trips == ["_run"]
        # The opening went with it: the snapshot holds, and the transaction is read-only.
        async with engine.begin() as writer:
            await writer.execute(text("INSERT INTO t (v) VALUES ('three')"))
        assert await session.scalar(text("SELECT count(*) FROM t")) == 2
        with pytest.raises(OperationalError):
            await sqlite_async.fetch_all(connection, "DELETE FROM t", ())
        await session.rollback()


async def test_fetch_all_fails_as_sqlalchemy_does(engine: AsyncEngine) -> None:
    async with create_read_sessionmaker(engine)() as session:
        connection = await sqlite_async.one_trip_connection(session)
        assert connection is not None
        with pytest.raises(OperationalError, match="no such table"):
            await sqlite_async.fetch_all(connection, "SELECT * FROM missing", ())
        # The connection goes on working.
        assert await sqlite_async.fetch_all(connection, "SELECT v FROM t WHERE id = 1", ()) == [
            ("one",)
        ]
