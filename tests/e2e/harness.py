"""Drive the built extension in Debian's Chromium against a Gloss server and local pages.

Shared by the end-to-end tests, tests/benchmarks/bench_extension.py and the screenshots script.
The server is the real one: `gloss init` on a temporary SQLite file, then `gloss serve`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
EXTENSION_DIR = ROOT / "extension" / "dist"
CHROMIUM = os.environ.get("GLOSS_CHROMIUM", "/usr/bin/chromium")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(
    check: Any, timeout: float = 30.0, interval: float = 0.05, what: str = "condition"
) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(interval)


@dataclass
class Server:
    base_url: str
    token: str
    process: subprocess.Popen[bytes]
    kind: str
    client: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.client = httpx.Client(
            base_url=self.base_url, headers={"Authorization": f"Bearer {self.token}"}, timeout=60
        )

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        r = self.client.request(method, path, **kwargs)
        if r.is_error:
            raise AssertionError(f"{method} {path} answered {r.status_code}: {r.text}")
        return r.json() if r.content else None

    def team_id(self) -> str:
        me = self.call("GET", "/v1/me")
        return str(me["teams"][0]["id"])

    def create_glossary(self, name: str, terms: list[dict[str, Any]]) -> str:
        team = self.team_id()
        g = self.call("POST", "/v1/glossaries", json={"name": name, "team_id": team})
        for t in terms:
            body = {k: v for k, v in t.items() if v is not None}
            self.call("POST", f"/v1/glossaries/{g['id']}/terms", json=body)
        return str(g["id"])

    def create_collection(self, name: str) -> str:
        c = self.call("POST", "/v1/collections", json={"name": name, "team_id": self.team_id()})
        return str(c["id"])

    def stop(self) -> None:
        self.client.close()
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def _server_env(workdir: Path) -> dict[str, str]:
    data = workdir / "gloss-data"
    return {
        **os.environ,
        "GLOSS_DATA_DIR": str(data),
        "GLOSS_DATABASE_URL": f"sqlite+aiosqlite:///{data / 'gloss.sqlite3'}",
    }


def user_token(workdir: Path, user: str) -> str:
    """A token for `user` (made if missing, in the default team) on the server of `workdir`,
    as an operator makes one: `gloss token create`."""
    made = subprocess.run(
        [sys.executable, "-m", "gloss", "token", "create", user, "--role", "viewer"],
        env=_server_env(workdir),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        cwd=ROOT,
    )
    return made.stdout.strip().splitlines()[-1]


def start_server(workdir: Path, **settings: str) -> Server:
    """`gloss serve` on a free port; `settings` are extra GLOSS_* variables."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**_server_env(workdir), **settings}
    (workdir / "gloss-data").mkdir(parents=True, exist_ok=True)
    init = subprocess.run(
        [sys.executable, "-m", "gloss", "init", "--ensure-token"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
        cwd=ROOT,
    )
    token = init.stdout.strip().splitlines()[-1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "gloss", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=ROOT,
    )
    kind = "gloss serve"

    def ready() -> bool:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            return httpx.get(base + "/readyz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    wait_until(ready, timeout=180, interval=0.2, what="the Gloss server")
    return Server(base_url=base, token=token, process=proc, kind=kind)


class _QuietHandler(SimpleHTTPRequestHandler):
    # Saved pages are UTF-8 and not all of them say so; a browser would guess windows-1252.
    extensions_map = {  # noqa: RUF012 - the base class's own class attribute, overridden
        **SimpleHTTPRequestHandler.extensions_map,
        ".html": "text/html; charset=utf-8",
    }

    def log_message(self, *args: Any) -> None:
        pass

    def send_head(self) -> Any:
        # Always the file as it is now: tests rewrite pages within the same second, which a
        # Last-Modified revalidation (one-second resolution) would answer with a stale 304.
        del self.headers["If-Modified-Since"]
        return super().send_head()

    def end_headers(self) -> None:
        # Revalidate every time (tests edit pages), but stay eligible for the back/forward cache,
        # which "no-store" would rule out.
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()


@contextlib.contextmanager
def page_server(directory: Path) -> Iterator[int]:
    """Serve `directory` on 127.0.0.1 (and so on localhost) at a free port."""
    handler = lambda *a, **k: _QuietHandler(*a, directory=str(directory), **k)  # noqa: E731
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(httpd.server_address[1])
    finally:
        httpd.shutdown()
        httpd.server_close()


def browser_prerequisites_missing() -> list[str]:
    """What the browser tests need and this machine lacks, each with the command that fixes it."""
    missing = []
    if not Path(CHROMIUM).exists():
        missing.append(f"no Chromium at {CHROMIUM}: run `apt-get install -y chromium`")
    if not (EXTENSION_DIR / "manifest.json").exists():
        missing.append("no extension build in extension/dist: run `make extension`")
    return missing


def chromium_available() -> bool:
    return not browser_prerequisites_missing()


@contextlib.contextmanager
def browser(profile: Path) -> Iterator[tuple[Any, str]]:
    """A persistent Chromium context with the built extension loaded; yields (context, id)."""
    from playwright.sync_api import sync_playwright

    if profile.exists():
        shutil.rmtree(profile)
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile),
            headless=True,
            executable_path=CHROMIUM,
            viewport={"width": 1100, "height": 800},
            # Playwright turns the back/forward cache off by default; readers have it on.
            ignore_default_args=["--disable-back-forward-cache"],
            args=[
                f"--disable-extensions-except={EXTENSION_DIR}",
                f"--load-extension={EXTENSION_DIR}",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--disable-sync",
                "--disable-quic",
            ],
        )
        try:
            workers = context.service_workers
            worker = (
                workers[0] if workers else context.wait_for_event("serviceworker", timeout=30000)
            )
            extension_id = worker.url.split("/")[2]
            yield context, extension_id
        finally:
            context.close()


def configure(context: Any, extension_id: str, server: Server, sites: str) -> str:
    """Fill the options page as a reader would; returns the status line once checked."""
    page = context.new_page()
    page.goto(f"chrome-extension://{extension_id}/options.html")
    page.fill("#server-url", server.base_url)
    page.fill("#token", server.token)
    page.fill("#sites", sites)
    page.click("#save")
    page.wait_for_selector(
        "#status[data-source=save][data-state=ok], #status[data-source=save][data-state=error]",
        timeout=30000,
    )
    text = page.inner_text("#status")
    page.close()
    return text


def wait_state(page: Any, state: str = "annotated", timeout: float = 60000) -> None:
    page.wait_for_function(
        "s => document.documentElement.dataset.glossState === s", arg=state, timeout=timeout
    )


# Page scripts shared by this module's Playwright helpers and tests/e2e/browsers.py.
WORD_RECT = """(word, nth) => {
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  let n = 0;
  for (let t = walker.nextNode(); t; t = walker.nextNode()) {
    let i = -1;
    while ((i = t.data.indexOf(word, i + 1)) !== -1) {
      if (n++ === nth) {
        const r = document.createRange();
        r.setStart(t, i); r.setEnd(t, i + word.length);
        t.parentElement.scrollIntoView({block: 'center'});
        const b = r.getClientRects()[0];
        return {x: b.left + b.width / 2, y: b.top + b.height / 2,
                left: b.left, top: b.top, width: b.width, height: b.height};
      }
    }
  }
  return null;
}"""

SELECT_TEXT = """(text) => {
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let t = walker.nextNode(); t; t = walker.nextNode()) {
    const i = t.data.indexOf(text);
    if (i !== -1 && t.parentElement.checkVisibility({visibilityProperty: true})) {
      t.parentElement.scrollIntoView({block: 'center'});
      getSelection().setBaseAndExtent(t, i, t, i + text.length);
      return;
    }
  }
  throw new Error('text not found: ' + text);
}"""


def word_rect(page: Any, word: str, nth: int = 0) -> dict[str, float]:
    """The on-screen box of the nth occurrence of `word` in the page's text."""
    return page.evaluate(f"([word, nth]) => ({WORD_RECT})(word, nth)", [word, nth])


def select_text(page: Any, text: str) -> None:
    """Select the first occurrence of `text` (within one text node) as the reader would finish it.

    The selection is set in place, then the reader's own key presses (Shift+Right, Shift+Left: the
    same selection again) end it: Gloss answers only trusted events, never a script's mouseup.
    """
    page.evaluate(SELECT_TEXT, text)
    page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("Shift+ArrowLeft")


# Gloss's own frames: cards, the save button and form live in chrome-extension:// iframes, which
# the page cannot read but the test driver can (Playwright reaches out-of-process frames).
CARD_FRAME = "iframe[title='Gloss card']"
# axe-core, pinned in extension/package.json, evaluated in a page or a frame by the a11y tests.
AXE = ROOT / "extension" / "node_modules" / "axe-core" / "axe.min.js"
SAVE_FRAME = "iframe[title='Save to Gloss']"


def card_frame(page: Any) -> Any:
    return page.frame_locator(CARD_FRAME)


def save_frame(page: Any) -> Any:
    return page.frame_locator(SAVE_FRAME)


def wait_card_closed(page: Any, timeout: float = 5000) -> None:
    page.locator(CARD_FRAME).wait_for(state="hidden", timeout=timeout)


def highlight_point(page: Any, name: str, text: str | None = None) -> dict[str, float] | None:
    """The middle of the first drawn range of highlight `name` (with this text, if given),
    scrolled into view; None when there is none."""
    return page.evaluate(
        """([name, text]) => {
          const r = [...(CSS.highlights.get(name) || [])]
            .find(r => text === null || r.toString().toLowerCase() === text.toLowerCase());
          if (!r) return null;
          r.startContainer.parentElement.scrollIntoView({block: 'center'});
          const b = r.getClientRects()[0];
          return {x: b.left + Math.min(b.width / 2, 20), y: b.top + b.height / 2};
        }""",
        [name, text],
    )


def display(**change: Any) -> dict[str, Any]:
    """The whole display the popup sends when a box is clicked: the default, changed as asked
    (`first_only=False`, `person=False`, ...)."""
    return {
        "firstOnly": change.pop("first_only", True),
        "kinds": {
            "person": True,
            "org": True,
            "place": True,
            "other": True,
            "norp": False,
            "term": True,
            **change,
        },
    }


def set_display(context: Any, extension_id: str, **change: Any) -> None:
    """Send what the popup sends when a box is clicked: the whole display, changed as asked."""
    ui = context.new_page()
    ui.goto(f"chrome-extension://{extension_id}/options.html")
    reply = ui.evaluate(
        "d => chrome.runtime.sendMessage({type: 'ui/set-display', display: d})",
        display(**change),
    )
    assert reply["ok"], reply
    ui.close()
