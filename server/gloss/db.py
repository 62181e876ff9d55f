"""The database: async engine, the request session (commits on success), and migrations."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi import Depends, Request
from sqlalchemy import Connection, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from gloss import sqlite_async
from gloss.settings import Settings

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def create_engine(settings: Settings) -> AsyncEngine:
    url = make_url(settings.resolved_database_url)
    # The timeouts make a database that stops answering (a partition, a stuck server) a 503
    # within seconds, not a hang.
    # hide_parameters: a failing statement's error (and so its log line) never carries the
    # values bound to it, which are the users' text.
    kwargs: dict[str, Any] = {"pool_timeout": settings.db_pool_timeout_s, "hide_parameters": True}
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:" and not url.database.startswith("file:"):
            _private_file(Path(url.database))
        kwargs["connect_args"] = {"timeout": settings.sqlite_busy_timeout_ms / 1000}
        # The connection returned last is the next one out: its query_only setting (below)
        # most often already fits, and fewer connections stay warm.
        kwargs["pool_use_lifo"] = True
        if url.get_driver_name() == "aiosqlite":
            kwargs["module"] = sqlite_async.dbapi()
            # A short read runs on the event loop's thread (sqlite_async.INLINE_OPTION); the
            # connection's own thread runs the rest. One statement at a time either way.
            kwargs["connect_args"]["check_same_thread"] = False
    else:
        # A server can restart or drop a connection; pre-ping replaces a broken one before
        # use. (A SQLite file's connection cannot break that way, and the ping is a trip.)
        kwargs["pool_pre_ping"] = True
        kwargs["pool_size"] = settings.db_pool_size
        kwargs["max_overflow"] = settings.db_pool_size
        if url.get_backend_name() == "postgresql" and url.get_driver_name() == "asyncpg":
            kwargs["connect_args"] = {
                "timeout": settings.db_connect_timeout_s,
                "command_timeout": settings.db_command_timeout_s,
            }
    engine = create_async_engine(url, **kwargs)
    if url.get_backend_name() == "sqlite":
        _configure_sqlite(engine, settings.sqlite_busy_timeout_ms, settings.sqlite_mmap_mb)
    return engine


def _private_file(path: Path) -> None:
    """The database file readable by its owner only (0600), in a folder only its owner can
    list (0700) when Gloss makes the folder; SQLite gives its -wal and -shm files the mode of
    the database file.

    An existing file is never opened here: closing any descriptor of it drops every POSIX lock
    this process holds on it, SQLite's included ("How To Corrupt An SQLite Database File",
    2.2), and a second engine made in a process whose connections were open (a test's, a
    command's) let another process reset the write-ahead log under them: they then read a
    "malformed" database."""
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700)
        path.parent.chmod(0o700)  # mkdir's mode is cut by the umask
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600))
    except FileExistsError:
        pass
    path.chmod(0o600)


def _configure_sqlite(engine: AsyncEngine, busy_timeout_ms: int, mmap_mb: int) -> None:
    """WAL for concurrent readers, enforced foreign keys, a busy timeout for writers, and reads
    through a memory map."""

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # aiosqlite opens connections in autocommit-off mode; PRAGMAs must run outside a
        # transaction, so use the raw cursor before SQLAlchemy begins one.
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # A related query looks up some 80 articles by id in a file of hundreds of MB: through
        # the map, a page the OS has cached is read in place rather than copied by a system
        # call into the connection's own 2 MB cache (which such a store keeps missing). The map
        # is address space, not memory: the pages are the OS's cache, shared by every
        # connection and process.
        cursor.execute(f"PRAGMA mmap_size={int(mmap_mb) * 2**20}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _inline(_conn: Any, cursor: Any, _s: Any, _p: Any, context: Any, _many: bool) -> None:
        if isinstance(cursor, sqlite_async.OneTripCursor):
            options = context.execution_options if context is not None else {}
            cursor.inline = bool(options.get(sqlite_async.INLINE_OPTION))

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # A writing transaction takes the write lock up front (BEGIN IMMEDIATE), so writers
        # queue on busy_timeout instead of failing when a read lock cannot be upgraded; a
        # read-only one (READ_ONLY_OPTION) begins deferred and never waits for writers (WAL).
        # query_only makes a write in a read-only transaction fail loudly, never vanish.
        read_only = bool(connection.get_execution_options().get(READ_ONLY_OPTION))
        begin = "BEGIN" if read_only else "BEGIN IMMEDIATE"
        dbapi_connection = connection.connection.dbapi_connection
        if isinstance(dbapi_connection, sqlite_async.OneTripConnection):
            # Sent with the transaction's first statement, in the same trip to the thread.
            dbapi_connection.defer_begin(begin, query_only=read_only)
        else:
            connection.exec_driver_sql(f"PRAGMA query_only={'ON' if read_only else 'OFF'}")
            connection.exec_driver_sql(begin)


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


def create_read_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions for requests that only read: on SQLite they never queue behind a writer."""
    return create_sessionmaker(engine.execution_options(**{READ_ONLY_OPTION: True}))


READ_ONLY_OPTION = "gloss_read_only"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Marks a route that only reads although its method is POST (the page text is in the body).
READ_ONLY_ROUTE = "x-gloss-read-only"


def is_read_only(request: Request) -> bool:
    if request.method in SAFE_METHODS:
        return True
    route = request.scope.get("route")
    return bool((getattr(route, "openapi_extra", None) or {}).get(READ_ONLY_ROUTE))


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request: commit when the route returns (before the response goes out),
    roll back on any error. A read-only request's transaction is rolled back, never committed."""
    state = request.app.state
    read_only = is_read_only(request)
    maker: async_sessionmaker[AsyncSession] = (
        state.read_sessionmaker if read_only else state.sessionmaker
    )
    async with maker() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        else:
            # A read-only transaction is rolled back when the session closes (its connection
            # goes back to the pool, which rolls it back): no rollback of its own first, which
            # took 0.15 ms of a cached annotate of about 1.5 ms (a local timing script, ADR
            # 0021); tests/test_sqlite_async.py holds that closing ends the transaction.
            if not read_only:
                await session.commit()


def get_sessionmaker(request: Request) -> async_sessionmaker[AsyncSession]:
    """The app's writing sessions, for a route that writes in transactions of its own (after a
    spaCy pass, or per batch of a stream) instead of in the request's."""
    maker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    return maker


SessionMakerDep = Annotated[async_sessionmaker[AsyncSession], Depends(get_sessionmaker)]


def get_read_sessionmaker(request: Request) -> async_sessionmaker[AsyncSession]:
    """The app's read-only sessions, for work a request starts that outlives it (a large
    glossary compiled in the background)."""
    maker: async_sessionmaker[AsyncSession] = request.app.state.read_sessionmaker
    return maker


# scope="function": the commit runs when the route returns, before the response is sent. The
# default ("request") would send a 201 first and commit afterwards, so a crash or a failing
# commit in between would lose a write the client was told is stored.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def migrate(engine: AsyncEngine) -> tuple[str | None, str | None]:
    """Apply every pending migration; returns (revision before, revision after)."""

    def _upgrade(connection: Connection) -> tuple[str | None, str | None]:
        before = MigrationContext.configure(connection).get_current_revision()
        command.upgrade(alembic_config(connection), "head")
        after = MigrationContext.configure(connection).get_current_revision()
        return before, after

    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Several replicas may start at once; one migrates while the others wait.
            await connection.execute(text("SELECT pg_advisory_xact_lock(7431004)"))
        return await connection.run_sync(_upgrade)


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as connection:
        return await connection.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )
