"""kill -9 mid article ingest, through the CLI and through a live server's NDJSON bulk route:
every acknowledged article survives, and running the ingest again completes it without
duplicates."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gloss.models import Article
from tests.faults.conftest import Deployment
from tests.live import run_cli
from tests.load.harness import SENTENCES

# commits: a live server and the CLI write from their own processes.
pytestmark = pytest.mark.commits

CLI_ARTICLES = 800
BULK_ARTICLES = 320


def _articles(count: int, tag: str) -> list[dict[str, str]]:
    return [
        {
            "url": f"https://feed.example/{tag}/{i}",
            "title": f"Story {i} of {tag}",
            "text": " ".join(SENTENCES[(i + k) % len(SENTENCES)] for k in range(3)) + f" {i}.",
        }
        for i in range(count)
    ]


async def _stored(maker: async_sessionmaker[AsyncSession], tag: str) -> tuple[int, int]:
    """(articles, distinct URLs) of this run's feed."""
    prefix = f"https://feed.example/{tag}/%"
    async with maker() as session:
        total = await session.scalar(
            select(func.count()).select_from(Article).where(Article.url.like(prefix))
        )
        distinct = await session.scalar(
            select(func.count(func.distinct(Article.url))).where(Article.url.like(prefix))
        )
    return int(total or 0), int(distinct or 0)


async def test_cli_ingest_killed_resumes_without_duplicates(
    deployment: Deployment, sessionmaker: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    tag = uuid.uuid4().hex[:8]
    source = tmp_path / "feed.jsonl"
    source.write_text(
        "".join(json.dumps(a) + "\n" for a in _articles(CLI_ARTICLES, tag)), encoding="utf-8"
    )
    checkpoint = source.with_name(source.name + ".gloss-progress")
    command = [sys.executable, "-m", "gloss", "articles", "ingest", str(source)]
    command += ["--batch-size", "10", "--no-progress"]
    process = subprocess.Popen(
        command,
        env={**os.environ, **deployment.env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not checkpoint.exists() and process.poll() is None:
            assert time.monotonic() < deadline, "the ingest never committed a batch"
            time.sleep(0.01)
        assert process.poll() is None, "the ingest finished before it could be killed"
        process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        process.wait(timeout=30)

    interrupted, distinct = await _stored(sessionmaker, tag)
    assert 0 < interrupted < CLI_ARTICLES
    assert interrupted == distinct
    # Whole batches only: the checkpoint is written after a batch commits, so at most the
    # batch in flight is stored beyond it.
    saved = json.loads(checkpoint.read_text(encoding="utf-8"))
    assert saved["line"] <= interrupted

    run_cli("articles", "ingest", str(source), "--no-progress", env=deployment.env)
    assert await _stored(sessionmaker, tag) == (CLI_ARTICLES, CLI_ARTICLES)
    assert not checkpoint.exists()


async def test_bulk_ingest_killed_keeps_acknowledged_lines_and_reruns_cleanly(
    deployment: Deployment, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    tag = uuid.uuid4().hex[:8]
    body = "".join(json.dumps(a) + "\n" for a in _articles(BULK_ARTICLES, tag)).encode()
    headers = {**deployment.headers, "Content-Type": "application/x-ndjson"}
    acknowledged: list[str] = []
    with deployment.serve() as server, httpx.Client(base_url=server.url, timeout=60) as http:
        try:
            with http.stream("POST", "/v1/articles/bulk", content=body, headers=headers) as stream:
                assert stream.status_code == 200
                for line in stream.iter_lines():
                    result = json.loads(line)
                    if result.get("status") == "created":
                        acknowledged.append(result["id"])
                    if len(acknowledged) >= 2 * 64:  # two batches in: kill it
                        server.kill()
                        break
        except httpx.HTTPError:
            pass  # the server died under the stream, as intended
        assert server.process.poll() is not None, "the bulk ingest finished before the kill"

    interrupted, distinct = await _stored(sessionmaker, tag)
    assert len(acknowledged) <= interrupted < BULK_ARTICLES
    assert interrupted == distinct
    with deployment.serve() as server, httpx.Client(base_url=server.url, timeout=120) as http:
        for article_id in acknowledged:
            found = http.get(f"/v1/articles/{article_id}", headers=deployment.headers)
            assert found.status_code == 200, found.text
        rerun = http.post("/v1/articles/bulk", content=body, headers=headers)
        assert rerun.status_code == 200
        summary = json.loads(rerun.text.splitlines()[-1])["summary"]
    # What was stored before the kill is recognised by URL, not stored twice.
    assert summary["created"] == BULK_ARTICLES - interrupted
    assert summary["unchanged"] == interrupted
    assert summary["error"] == 0
    assert await _stored(sessionmaker, tag) == (BULK_ARTICLES, BULK_ARTICLES)
