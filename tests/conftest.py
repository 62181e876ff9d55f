"""Test fixtures: one migrated database per run (SQLite, or PostgreSQL when
GLOSS_TEST_DATABASE_URL is set), one app, an httpx client over ASGI, and a clean database per test.

Each test that uses the app runs in one transaction rolled back at the end, which every session
(the app's, the fixtures') joins with a savepoint, so commits under test are savepoint releases
(tests/transactions.py); a test marked `@pytest.mark.commits` (concurrent requests, other
processes or connections) commits for real, and every row is deleted after it."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import delete, literal, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gloss.app import create_app
from gloss.auth.repository import UserRepository
from gloss.auth.service import issue_token
from gloss.models import Base, Role, Team, User
from gloss.search.vector_index import forget as forget_vector_indexes
from gloss.settings import Settings
from gloss.teams.repository import TeamRepository
from tests.live import pg_admin_execute
from tests.transactions import rolled_back

PG_ENV = "GLOSS_TEST_DATABASE_URL"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh database for this run. On PostgreSQL a uniquely named database, so parallel
    runs on one server never share state; unreachable PostgreSQL fails the run (no skip)."""
    base = os.environ.get(PG_ENV)
    if not base:
        path: Path = tmp_path_factory.mktemp("db") / "gloss-test.sqlite3"
        yield f"sqlite+aiosqlite:///{path}"
        return
    name = f"gloss_test_{uuid.uuid4().hex[:12]}"
    try:
        asyncio.run(pg_admin_execute(base, f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        pytest.exit(f"{PG_ENV} is set but PostgreSQL is unreachable: {exc}", returncode=3)
    yield make_url(base).set(database=name).render_as_string(hide_password=False)
    asyncio.run(pg_admin_execute(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=tmp_path_factory.mktemp("data"),
        migrate_on_start=True,
        load_nlp=True,
    )


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@dataclass(frozen=True)
class Database:
    """How this test reaches the database: `sessionmaker` and `read_sessionmaker` are what the
    app uses during the test (the test's transaction's, or the app's own under `commits`)."""

    commits: bool
    sessionmaker: async_sessionmaker[AsyncSession]
    read_sessionmaker: async_sessionmaker[AsyncSession]


@pytest.fixture
async def database(app: FastAPI, request: pytest.FixtureRequest) -> AsyncIterator[Database]:
    """The test's database: by default one transaction rolled back at the end, which the app's
    sessions and the fixtures' join; under `@pytest.mark.commits`, real commits and every
    row deleted at the end."""
    state = app.state
    writer: async_sessionmaker[AsyncSession] = state.sessionmaker
    reader: async_sessionmaker[AsyncSession] = state.read_sessionmaker
    if request.node.get_closest_marker("commits") is not None:
        try:
            yield Database(commits=True, sessionmaker=writer, read_sessionmaker=reader)
        finally:
            await _delete_every_row(writer)
        return
    async with rolled_back(state.engine, writer, reader) as test:
        state.sessionmaker, state.read_sessionmaker = test.sessionmaker, test.read_sessionmaker
        try:
            yield Database(
                commits=False,
                sessionmaker=test.sessionmaker,
                read_sessionmaker=test.read_sessionmaker,
            )
        finally:
            state.sessionmaker, state.read_sessionmaker = writer, reader
    # What the rollback cannot undo: rows committed through another connection or process.
    # They would leak into later tests, so remove them and fail this one.
    leaked = await _tables_with_rows(reader)
    if leaked:
        await _delete_every_row(writer)
        pytest.fail(
            f"rows committed outside the test's transaction (in {', '.join(leaked)}): a test "
            "whose writes go through another connection or process needs @pytest.mark.commits"
        )


async def _delete_every_row(maker: async_sessionmaker[AsyncSession]) -> None:
    async with maker() as session, session.begin():
        for table in reversed(Base.metadata.sorted_tables):
            await session.execute(delete(table))


async def _tables_with_rows(maker: async_sessionmaker[AsyncSession]) -> list[str]:
    """The tables that are not empty, in one statement."""
    tables = Base.metadata.sorted_tables
    query = select(*(select(literal(1)).select_from(t).exists().label(t.name) for t in tables))
    async with maker() as session:
        row = (await session.execute(query)).one()
    return [table.name for table, has_rows in zip(tables, row, strict=True) if has_rows]


@pytest.fixture(autouse=True)
def _fresh_vector_indexes() -> None:
    """Each test's rows are rolled back, and SQLite reuses the sequences of a rolled-back change
    log: the process's vector indexes start again with each test."""
    forget_vector_indexes()


@pytest.fixture(autouse=True)
def _database_per_test(request: pytest.FixtureRequest) -> None:
    """Every test that uses the app's database gets `database` (rolled back, or cleaned)
    before any other fixture of its, so fixtures that write join the test's transaction."""
    if "app" in request.fixturenames:
        request.getfixturevalue("database")


@pytest.fixture
def sessionmaker(database: Database) -> async_sessionmaker[AsyncSession]:
    """Sessions for the test's own reads and writes, in the same transaction as the app's."""
    return database.sessionmaker


@pytest.fixture
async def client(app: FastAPI, database: Database) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gloss.test") as c:
        yield c


@dataclass
class Account:
    """A user with a token, ready to call the API."""

    user: User
    token: str
    team: Team | None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


AccountFactory = Callable[..., Awaitable[Account]]


@pytest.fixture
def make_account(sessionmaker: async_sessionmaker[AsyncSession]) -> AccountFactory:
    """`await make_account("ann", team="news", role="editor")`: the user, team and membership
    are created when missing."""

    async def factory(name: str, team: str | None = "team-a", role: str = "owner") -> Account:
        async with sessionmaker() as session, session.begin():
            users, teams = UserRepository(session), TeamRepository(session)
            user = await users.get_by_name(name) or await users.create(name)
            team_row = None
            if team is not None:
                team_row = await teams.get_by_name(team) or await teams.create(team)
                if await teams.membership(team_row.id, user.id) is None:
                    await teams.add_member(team_row.id, user.id, Role(role))
            _, secret = await issue_token(session, user, "test")
        return Account(user=user, token=secret, team=team_row)

    return factory
