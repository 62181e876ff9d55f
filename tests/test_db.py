"""The request session: a write is committed before its response leaves, so a client never
holds a 201 for a row a crash could still lose."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
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


async def test_making_an_engine_keeps_this_process_s_locks_on_the_database_file(
    tmp_path: Path,
) -> None:
    """Making an engine for a SQLite file this process already reads leaves its locks alone.
    It opened and closed the file to set its mode, and closing any descriptor of a file drops
    every POSIX lock the process holds on it, SQLite's included: another process could then
    take the file for itself (reset its write-ahead log) under the open connections, which read
    a "malformed" database afterwards (the kill tests, run after a test that made a second
    engine)."""
    path = tmp_path / "gloss.sqlite3"
    reader = sqlite3.connect(path)
    try:
        assert reader.execute("PRAGMA journal_mode=WAL").fetchone() == ("wal",)
        reader.execute("CREATE TABLE t (x)")
        reader.commit()
        reader.execute("BEGIN")
        assert reader.execute("SELECT count(*) FROM t").fetchone() == (0,)  # a read under way
        engine = create_engine(Settings(database_url=f"sqlite+aiosqlite:///{path}", load_nlp=False))
        await engine.dispose()
        # Another process asks for the file to itself: it must find it in use.
        other = subprocess.run(
            [sys.executable, "-c", TAKE_THE_FILE, str(path)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert "database is locked" in other.stderr, (other.stdout, other.stderr)
    finally:
        reader.close()


# Leaving write-ahead logging needs the file to oneself; no waiting for it.
TAKE_THE_FILE = (
    "import sqlite3, sys\n"
    "connection = sqlite3.connect(sys.argv[1], timeout=0)\n"
    "print(connection.execute('PRAGMA journal_mode=DELETE').fetchone())\n"
)
