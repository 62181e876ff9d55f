"""End-to-end fixtures: a real Gloss server, local article pages, Chromium (and, for
test_browsers.py, Firefox ESR) with the extension."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e import browsers, harness, pages

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="session")
def e2e_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("e2e")


# The one way to leave the browser tests out: say so. A missing browser or build fails them, so a
# fresh machine never passes `make test` without having run the extension in Chromium and Firefox.
SKIP_ENV = "GLOSS_SKIP_BROWSER_TESTS"


def require_browser(name: str = "chromium") -> None:
    """Skip when the reader opted out; otherwise fail naming the browser that is missing and the
    one command that fixes it."""
    missing = browsers.prerequisites_missing(name)
    if not missing:
        return
    if os.environ.get(SKIP_ENV) == "1":
        pytest.skip(f"{SKIP_ENV}=1: {name} browser tests left out ({missing[0]})")
    pytest.fail(
        f"The browser tests cannot run in {name}: "
        + "; ".join(missing)
        + f". (Set {SKIP_ENV}=1 to leave them out knowingly.)",
        pytrace=False,
    )


@pytest.fixture(scope="session")
def gloss_server(e2e_dir: Path) -> Iterator[harness.Server]:
    server = harness.start_server(e2e_dir)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def glossary(gloss_server: harness.Server) -> str:
    return gloss_server.create_glossary("AI desk", pages.GLOSSARY)


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
    require_browser("chromium")
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
