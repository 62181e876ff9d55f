"""Two `gloss serve` processes on one database share nothing else: an edit through one is
what the other serves on its next request, and one ETag still lets only one writer win."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import Account, AccountFactory

# commits: two server processes on the test database.
pytestmark = [pytest.mark.slow, pytest.mark.commits]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gloss serve exited: {log.read_text()}")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gloss serve did not come up: {log.read_text()}")


@pytest.fixture
def two_servers(database_url: str, app: FastAPI, tmp_path: Path) -> Iterator[list[str]]:
    """`app` has migrated the run's database; both servers use it and nothing else."""
    processes: list[subprocess.Popen[bytes]] = []
    urls = []
    try:
        for index in range(2):
            port = _free_port()
            log = tmp_path / f"server-{index}.log"
            env = {
                **os.environ,
                "GLOSS_DATABASE_URL": database_url,
                "GLOSS_LOAD_NLP": "false",
                "GLOSS_DATA_DIR": str(tmp_path / f"data-{index}"),
            }
            with log.open("wb") as sink:
                process = subprocess.Popen(
                    [sys.executable, "-m", "gloss", "serve", "--port", str(port), "--no-migrate"],
                    env=env,
                    stdout=sink,
                    stderr=subprocess.STDOUT,
                )
            processes.append(process)
            urls.append(f"http://127.0.0.1:{port}")
        for url, process, index in zip(urls, processes, range(2), strict=True):
            _wait_until_up(url, process, tmp_path / f"server-{index}.log")
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


async def test_an_edit_through_one_process_is_served_by_the_other(
    two_servers: list[str], make_account: AccountFactory
) -> None:
    editor: Account = await make_account("eddie", team="desk", role="editor")
    one_url, other_url = two_servers
    async with (
        httpx.AsyncClient(base_url=one_url, headers=editor.headers, timeout=30) as one,
        httpx.AsyncClient(base_url=other_url, headers=editor.headers, timeout=30) as other,
    ):
        created = await one.post("/v1/glossaries", json={"name": "Shared"})
        assert created.status_code == 201, created.text
        gid = created.json()["id"]
        seen = await other.get(f"/v1/glossaries/{gid}")
        assert (seen.status_code, seen.json()["version"]) == (200, 1)
        assert (await other.get(f"/v1/glossaries/{gid}/terms")).json()["items"] == []

        term = await one.post(
            f"/v1/glossaries/{gid}/terms", json={"term": "DeepSeek", "entity_label": "ORG"}
        )
        assert term.status_code == 201, term.text
        listed = (await other.get(f"/v1/glossaries/{gid}/terms")).json()["items"]
        assert [t["term"] for t in listed] == ["DeepSeek"]
        assert (await other.get(f"/v1/glossaries/{gid}")).json()["version"] == 2

        # The same form through the other process is a clash: the database is the arbiter.
        clash = await other.post(f"/v1/glossaries/{gid}/terms", json={"term": "deepseek"})
        assert clash.status_code == 409

        # One ETag, one PATCH through each process at once: exactly one wins.
        url = f"/v1/glossaries/{gid}/terms/{term.json()['id']}"
        etag = term.headers["etag"]
        responses = await asyncio.gather(
            one.patch(url, json={"definition": "via one"}, headers={"If-Match": etag}),
            other.patch(url, json={"definition": "via other"}, headers={"If-Match": etag}),
        )
        assert sorted(r.status_code for r in responses) == [200, 412], [r.text for r in responses]
        winner = next(r for r in responses if r.status_code == 200).json()["definition"]
        assert (await one.get(url)).json()["definition"] == winner
        assert (await other.get(url)).json()["definition"] == winner
        assert (await one.get(f"/v1/glossaries/{gid}")).json()["version"] == 3
