"""The request session: a write is committed before its response leaves, so a client never
holds a 201 for a row a crash could still lose."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import Message, Receive, Scope, Send

from gloss.db import create_engine
from gloss.settings import Settings
from tests.collections.conftest import ANNO, annotation
from tests.conftest import AccountFactory


async def test_commit_happens_before_the_response_is_sent(
    app: FastAPI, make_account: AccountFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[str] = []
    commit = AsyncSession.commit

    async def recording_commit(self: AsyncSession) -> None:
        events.append("commit")
        await commit(self)

    monkeypatch.setattr(AsyncSession, "commit", recording_commit)

    async def recording_app(scope: Scope, receive: Receive, send: Send) -> None:
        async def recording_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                events.append(f"response {message['status']}")
            await send(message)

        await app(scope, receive, recording_send)

    account = await make_account("ann")
    assert account.team is not None
    transport = httpx.ASGITransport(app=recording_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gloss.test") as client:
        created = await client.post(
            "/v1/collections",
            json={"name": "C", "team_id": str(account.team.id)},
            headers=account.headers,
        )
        assert created.status_code == 201, created.text
        events.clear()
        posted = await client.post(
            f"/v1/collections/{created.json()['id']}/annotations/",
            content=json.dumps(annotation()),
            headers={**account.headers, "Content-Type": ANNO},
        )
    assert posted.status_code == 201, posted.text
    assert events == ["commit", "response 201"]


def test_every_revision_id_fits_alembics_version_column() -> None:
    """alembic_version.version_num is VARCHAR(32): PostgreSQL refuses a longer id."""
    from alembic.script import ScriptDirectory

    from gloss.db import alembic_config

    revisions = list(ScriptDirectory.from_config(alembic_config()).walk_revisions())
    assert len(revisions) >= 9
    assert [r.revision for r in revisions if len(r.revision) > 32] == []


async def test_sqlite_connections_read_through_a_memory_map_of_the_configured_size(
    tmp_path: Path,
) -> None:
    for mmap_mb, expected in ((16, 16 * 2**20), (0, 0)):
        settings = Settings(
            database_url=f"sqlite+aiosqlite:///{tmp_path / f'map-{mmap_mb}.sqlite3'}",
            sqlite_mmap_mb=mmap_mb,
            load_nlp=False,
        )
        engine = create_engine(settings)
        try:
            async with engine.connect() as connection:
                assert await connection.scalar(text("PRAGMA mmap_size")) == expected
        finally:
            await engine.dispose()
