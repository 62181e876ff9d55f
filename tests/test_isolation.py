"""Tests do not see each other's rows: a test's writes, committed by the code under test, are gone
in the next test, whether it ran in a rolled-back transaction (the default) or committed for real
(`@pytest.mark.commits`). The pairs run in file order; the second of each looks for the first's."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from gloss.db import READ_ONLY_OPTION, create_engine
from gloss.models import Collection, Team
from gloss.settings import Settings
from tests.conftest import AccountFactory, Database
from tests.transactions import ConcurrentSessions

PROBE = "isolation probe"


@pytest.fixture
async def other_connection(settings: Settings) -> AsyncIterator[AsyncEngine]:
    """An engine of its own, reading only (on SQLite a writer would wait for the test's write
    lock): it sees only what is committed."""
    engine = create_engine(settings)
    yield engine.execution_options(**{READ_ONLY_OPTION: True})
    await engine.dispose()


async def _probes(maker: async_sessionmaker[AsyncSession]) -> int:
    async with maker() as session:
        return int(await session.scalar(select(func.count()).where(Collection.name == PROBE)) or 0)


async def _probes_outside(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        count = await connection.scalar(select(func.count()).where(Collection.name == PROBE))
        return int(count or 0)


async def _post_probe(client: httpx.AsyncClient, make_account: AccountFactory) -> None:
    account = await make_account("ivy")
    assert account.team is not None
    response = await client.post(
        "/v1/collections",
        json={"name": PROBE, "team_id": str(account.team.id)},
        headers=account.headers,
    )
    assert response.status_code == 201, response.text
    listed = await client.get("/v1/collections", headers=account.headers)
    assert PROBE in {c["name"] for c in listed.json()["items"]}, listed.text


async def test_rolled_back_a_committed_write_is_seen_only_by_this_test(
    client: httpx.AsyncClient,
    make_account: AccountFactory,
    database: Database,
    sessionmaker: async_sessionmaker[AsyncSession],
    other_connection: AsyncEngine,
) -> None:
    assert not database.commits
    await _post_probe(client, make_account)
    assert await _probes(sessionmaker) == 1
    assert await _probes_outside(other_connection) == 0  # the route's commit was a savepoint's


async def test_rolled_back_the_previous_tests_write_is_gone(
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    other_connection: AsyncEngine,
) -> None:
    assert await _probes(sessionmaker) == 0
    assert await _probes_outside(other_connection) == 0


@pytest.mark.commits  # what it tests: the commit mode's own clean-up
async def test_committing_a_committed_write_is_seen_by_other_connections(
    client: httpx.AsyncClient,
    make_account: AccountFactory,
    database: Database,
    sessionmaker: async_sessionmaker[AsyncSession],
    other_connection: AsyncEngine,
) -> None:
    assert database.commits
    await _post_probe(client, make_account)
    assert await _probes(sessionmaker) == 1
    assert await _probes_outside(other_connection) == 1


async def test_committing_the_previous_tests_write_is_gone(
    sessionmaker: async_sessionmaker[AsyncSession], other_connection: AsyncEngine
) -> None:
    assert await _probes(sessionmaker) == 0
    assert await _probes_outside(other_connection) == 0


async def test_a_sessions_rollback_undoes_only_its_own_savepoint(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with sessionmaker() as session, session.begin():
        await session.execute(insert(Team).values(name="kept"))
    async with sessionmaker() as session:
        await session.execute(insert(Team).values(name="undone"))
        await session.rollback()
    async with sessionmaker() as session:
        names = set(await session.scalars(select(Team.name)))
    assert names == {"kept"}


async def test_a_read_only_session_cannot_write_and_the_next_session_can(
    database: Database,
) -> None:
    async with database.read_sessionmaker() as session:
        with pytest.raises(DBAPIError):
            await session.execute(insert(Team).values(name="from a read"))
        await session.rollback()
    async with database.sessionmaker() as session, session.begin():
        await session.execute(insert(Team).values(name="from a write"))
    async with database.read_sessionmaker() as session:
        assert set(await session.scalars(select(Team.name))) == {"from a write"}


async def test_a_read_only_request_still_records_the_tokens_use(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    account = await make_account("ivy")
    assert (await client.get("/v1/me", headers=account.headers)).status_code == 200
    tokens = (await client.get("/v1/tokens", headers=account.headers)).json()
    assert [t["last_used_at"] is not None for t in tokens] == [True]


async def test_sessions_of_two_tasks_at_once_fail_loudly(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    entered = asyncio.Event()
    release = asyncio.Event()

    async def hold() -> None:
        async with sessionmaker() as session:
            await session.execute(select(1))
            entered.set()
            await release.wait()

    holder = asyncio.create_task(hold())
    await entered.wait()
    try:
        with pytest.raises(ConcurrentSessions):
            async with sessionmaker() as session:
                await session.execute(select(1))
    finally:
        release.set()
        await holder
