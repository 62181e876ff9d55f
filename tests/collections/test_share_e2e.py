"""The share page in real Chromium, served by a real `gloss serve`: rendered, escaped, revocable."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.collections.conftest import ANNO, annotation

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
EVIL = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A `gloss serve` subprocess on a free loopback port, and the admin token."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing (apt-get install -y chromium)")
    pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    data = tmp_path_factory.mktemp("e2e")
    env = {
        **os.environ,
        "GLOSS_DATA_DIR": str(data),
        "GLOSS_LOAD_NLP": "false",
        "GLOSS_DATABASE_URL": f"sqlite+aiosqlite:///{data / 'gloss.sqlite3'}",
    }
    gloss = [sys.executable, "-m", "gloss"]
    init = subprocess.run([*gloss, "init"], env=env, capture_output=True, text=True, check=True)
    token = init.stdout.strip()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [*gloss, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60  # a wait for start-up, not a timing assertion
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                stderr = process.stderr.read().decode() if process.stderr else ""
                pytest.fail(f"gloss serve did not start: {stderr}")
            time.sleep(0.2)
        yield base, token
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def _seed(base: str, token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers) as api:
        team = api.get("/v1/teams").json()[0]
        collection = api.post("/v1/collections", json={"name": EVIL, "team_id": team["id"]}).json()
        docs = [
            annotation("Nvidia", note=EVIL, tags=("ai", "<b>x</b>"), color="green"),
            annotation("Tuesday", source="https://b.example/story"),
            annotation("chips"),
        ]
        for doc in docs:
            created = api.post(
                collection["annotations_url"],
                content=json.dumps(doc),
                headers={"Content-Type": ANNO},
            )
            assert created.status_code == 201, created.text
        link = api.post(f"/v1/collections/{collection['id']}/share-links").json()
    return collection, link


def test_share_page_in_chromium(server: tuple[str, str]) -> None:
    from playwright.sync_api import sync_playwright

    base, token = server
    collection, link = _seed(base, token)
    dialogs: list[str] = []
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page()
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on(
                "console",
                lambda m: errors.append(m.text) if m.type == "error" else None,
            )
            response = page.goto(link["url"])
            assert response is not None
            assert response.status == 200

            # User text is shown as text, never run.
            assert page.locator("h1").inner_text() == EVIL
            assert page.evaluate("window.__pwned") is None
            assert page.locator("script").count() == 0
            assert page.locator("img").count() == 0
            assert dialogs == []
            # The hash-allowed stylesheet applied, and nothing broke the CSP.
            assert errors == []
            green = page.locator("li.highlight.c-green")
            assert green.evaluate("e => getComputedStyle(e).borderLeftColor") == "rgb(52, 199, 89)"

            # Grouped by article, each highlight linking back to its page.
            headings = page.locator("section.page h2 a")
            assert headings.all_inner_texts() == [
                "https://news.example/2026/11/chips?utm_source=x",
                "https://b.example/story",
            ]
            assert page.locator("section.page").nth(0).locator("li.highlight").count() == 2
            links = page.locator("li.highlight a").evaluate_all("els => els.map(e => e.href)")
            assert links == [
                "https://news.example/2026/11/chips?utm_source=x#:~:text=Nvidia",
                "https://news.example/2026/11/chips?utm_source=x#:~:text=chips",
                "https://b.example/story#:~:text=Tuesday",
            ]
            assert page.locator("p.note").inner_text() == EVIL

            # A member signed in by token sees it too; once revoked, the link opens nothing.
            context = browser.new_context(extra_http_headers={"Authorization": f"Bearer {token}"})
            member = context.new_page().goto(f"{base}/c/{collection['id']}")
            assert member is not None
            assert member.status == 200
            httpx.delete(
                f"{base}/v1/collections/{collection['id']}/share-links/{link['id']}",
                headers={"Authorization": f"Bearer {token}"},
            ).raise_for_status()
            again = page.goto(link["url"])
            assert again is not None
            assert again.status == 404
        finally:
            browser.close()
