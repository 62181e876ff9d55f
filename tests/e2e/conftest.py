"""End-to-end fixtures: a real Gloss server, local article pages, Chromium with the extension."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e import harness, pages

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="session")
def e2e_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("e2e")


@pytest.fixture(scope="session")
def gloss_server(e2e_dir: Path) -> Iterator[harness.Server]:
    if not harness.chromium_available():
        pytest.skip(f"needs {harness.CHROMIUM} and extension/dist (make extension)")
    server = harness.start_server(e2e_dir)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def glossary(gloss_server: harness.Server) -> str:
    try:
        return gloss_server.create_glossary("AI desk", pages.GLOSSARY)
    except harness.MissingRoute as exc:
        pytest.skip(f"needs the glossaries endpoint on the server ({exc})")


@pytest.fixture(scope="session")
def site(e2e_dir: Path) -> Iterator[dict[str, Any]]:
    root = e2e_dir / "site"
    root.mkdir()
    (root / "article.html").write_text(pages.main_article(), encoding="utf-8")
    (root / "edit.html").write_text(pages.main_article(), encoding="utf-8")
    (root / "dynamic.html").write_text(pages.main_article(), encoding="utf-8")
    with harness.page_server(root) as port:
        # 127.0.0.1 is listed for automatic annotation; localhost is not (on demand only).
        yield {
            "root": root,
            "auto": f"http://127.0.0.1:{port}",
            "manual": f"http://localhost:{port}",
        }


# Module scope, not session: Playwright's sync API holds the thread's event loop while it is
# open, so the browser must be closed before the async API tests in later modules run.
@pytest.fixture(scope="module")
def chromium(e2e_dir: Path, gloss_server: harness.Server) -> Iterator[tuple[Any, str]]:
    with harness.browser(e2e_dir / "profile") as (context, extension_id):
        yield context, extension_id


@pytest.fixture(scope="module")
def configured(chromium: tuple[Any, str], gloss_server: harness.Server) -> tuple[Any, str]:
    context, extension_id = chromium
    status = harness.configure(context, extension_id, gloss_server, "http://127.0.0.1/*")
    assert "Connected" in status, status
    return chromium


@pytest.fixture
def page(configured: tuple[Any, str]) -> Iterator[Any]:
    context, _ = configured
    p = context.new_page()
    dialogs: list[str] = []
    p.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    p.dialogs = dialogs
    yield p
    p.close()
