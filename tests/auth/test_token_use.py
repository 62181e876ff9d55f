"""A token's last use is recorded without holding up, or failing, the requests that use it."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, select, update
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from gloss.auth import service
from gloss.auth.service import LAST_USED_RESOLUTION, authenticate, hash_token
from gloss.db import READ_ONLY_OPTION
from gloss.models import ApiToken
from gloss.models.base import utcnow
from gloss.settings import Settings
from tests.conftest import AccountFactory, Database


@pytest.mark.commits
async def test_a_token_s_use_is_recorded_without_a_second_connection(
    settings: Settings, database: Database, make_account: AccountFactory
) -> None:
    """The minute a token's use falls due, the request records it after letting go of its own
    connection. It took a second pooled connection while holding its own: on a pool of one
    this waited for the pool's timeout, and under load as many requests at once as the pool
    had connections waited for each other (503s after 30 s, in the load benchmark)."""
    ann = await make_account("ann")
    stale = utcnow() - LAST_USED_RESOLUTION - timedelta(minutes=1)
    async with database.sessionmaker() as session, session.begin():
        await session.execute(update(ApiToken).values(last_used_at=stale))
    # One connection and no more, as when every other connection of the pool is taken.
    engine = create_async_engine(
        settings.resolved_database_url, pool_size=1, max_overflow=0, pool_timeout=2
    )
    try:
        reader = async_sessionmaker(engine.execution_options(**{READ_ONLY_OPTION: True}))
        async with reader() as session:
            principal = await asyncio.wait_for(authenticate(session, ann.token), timeout=10)
            assert principal.user.id == ann.user.id
        await service.uses_recorded()
        async with reader() as session:
            used = await session.scalar(
                select(ApiToken.last_used_at).where(ApiToken.token_hash == hash_token(ann.token))
            )
        assert used is not None
        assert used.replace(tzinfo=None) > stale.replace(tzinfo=None)
    finally:
        await engine.dispose()


@pytest.mark.commits
async def test_requests_at_once_leave_the_recording_to_one(
    settings: Settings, database: Database, make_account: AccountFactory
) -> None:
    """Requests with a token whose use is being recorded leave it to the one recording it (each
    of them wrote the same row before, one after the other)."""
    ann = await make_account("ann")
    stale = utcnow() - LAST_USED_RESOLUTION - timedelta(minutes=1)
    async with database.sessionmaker() as session, session.begin():
        await session.execute(update(ApiToken).values(last_used_at=stale))
    engine = create_async_engine(settings.resolved_database_url)
    statements: list[str] = []
    try:
        reader = async_sessionmaker(engine.execution_options(**{READ_ONLY_OPTION: True}))

        async def one() -> None:
            async with reader() as session:
                await authenticate(session, ann.token)

        @event.listens_for(engine.sync_engine, "before_cursor_execute")
        def seen(_connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            if statement.lstrip().upper().startswith("UPDATE API_TOKENS"):
                statements.append(statement)

        await asyncio.gather(*(one() for _ in range(8)))
        await service.uses_recorded()
        # One, or two when a request read the token just before the first recording committed
        # and checked just after it ended.
        assert 1 <= len(statements) <= 2, statements
    finally:
        await engine.dispose()
