"""Fault fixtures: a deployment on the test database that tests start, kill and start again."""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import Database
from tests.live import LiveServer, live_server, run_cli


@dataclass
class Deployment:
    """`gloss init` done once; `serve()` starts a server on loopback, as often as a test likes."""

    env: dict[str, str]
    token: str
    log_dir: Path

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def serve(self, **env: str) -> AbstractContextManager[LiveServer]:
        return live_server({**self.env, **env}, self.log_dir)


@pytest.fixture
def deployment(database_url: str, database: Database, tmp_path: Path) -> Deployment:
    """`database` is requested so the test database is migrated before and emptied after; the
    servers' writes are committed, so the test must be marked `@pytest.mark.commits`."""
    assert database.commits, "a test with a live server needs @pytest.mark.commits"
    env = {
        "GLOSS_DATABASE_URL": database_url,
        "GLOSS_DATA_DIR": str(tmp_path),
        "GLOSS_RATE_LIMIT_PER_MINUTE": "0",
        # These tests are about storage; without spaCy a server starts in a second or two.
        "GLOSS_LOAD_NLP": "false",
    }
    token = run_cli("init", "--ensure-token", env=env).strip()
    return Deployment(env, token, tmp_path)
