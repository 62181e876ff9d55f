"""A short load run in every CI: concurrent clients on real servers, no errors, no lost writes.
The long run (50 clients, 60 s, SQLite and PostgreSQL replicas) is `make soak`."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.conftest import Database
from tests.live import live_server, run_cli
from tests.load.harness import run_load
from tests.redis_server import PrivateRedis

# commits: concurrent clients on live server processes.
pytestmark = [pytest.mark.slow, pytest.mark.commits]


def test_short_load_on_the_test_database(
    database_url: str, database: Database, tmp_path: Path
) -> None:
    """On SQLite one server; on PostgreSQL two replicas sharing the database and a Redis
    cache: what one replica computed, the other finds there."""
    env = {
        "GLOSS_DATABASE_URL": database_url,
        "GLOSS_RATE_LIMIT_PER_MINUTE": "0",
        "GLOSS_DATA_DIR": str(tmp_path),
    }
    token = run_cli("init", "--ensure-token", env=env).strip()
    if not database_url.startswith("postgresql"):
        with live_server(env, tmp_path) as only:
            report = asyncio.run(run_load([only.url], token, clients=8, seconds=6))
    else:
        redis = PrivateRedis()
        redis.start()
        try:
            shared = {**env, "GLOSS_CACHE_URL": redis.url}
            with live_server(shared, tmp_path) as first, live_server(shared, tmp_path) as second:
                report = asyncio.run(run_load([first.url, second.url], token, clients=8, seconds=6))
        finally:
            redis.stop()
        # Each repeated page is computed by one replica and found in Redis by the other.
        assert sum(c.redis_hits for c in report.cache.values()) > 0, report.cache
        assert all(c.redis_errors == 0 for c in report.cache.values()), report.cache
    assert report.errors == []
    assert all(c.lookups > 0 for c in report.cache.values()), report.cache
    assert report.lost_writes == []
    assert report.created_annotations, "the mix must have written annotations"
    assert report.accepted_definitions, "the mix must have edited terms"
    routes = set(report.per_route())
    assert {"POST /v1/annotate (new page)", "POST annotation", "PATCH term (If-Match)"} <= routes
