"""One way to drive a browser with the built extension: Chromium through Playwright, Firefox ESR
through Marionette. Shared by tests/e2e/test_browsers.py and tests/benchmarks/bench_extension.py.

Both send real input (CDP's Input domain, WebDriver actions dispatched by Firefox itself), so the
page sees trusted events, as the extension requires. `evaluate` runs a JavaScript function in the
page's own world (what its scripts see), never in the content script's; a frame's role is `card`
or `save`, Gloss's own extension iframes.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.e2e import harness

BROWSERS = ("chromium", "firefox")

FIREFOX = os.environ.get("GLOSS_FIREFOX", "/usr/bin/firefox-esr")
FIREFOX_EXTENSION_DIR = harness.ROOT / "extension" / "dist-firefox"
# The profile fixes the add-on's moz-extension:// UUID (a random one per install otherwise), so
# tests can name the extension's pages.
FIREFOX_UUID = "5f1c2a7e-9b4d-4e1a-8c3f-6d2b0e9a4c71"

# A host name Firefox resolves to 127.0.0.1 (network.dns.localDomains), so a page served locally
# is on a site the extension has no access to until the reader grants it.
OTHER_HOST = "news.gloss-test.example"

VIEWPORT = {"width": 1100, "height": 800}
FRAME_TITLES = {"card": "Gloss card", "save": "Save to Gloss"}


def prerequisites_missing(name: str) -> list[str]:
    """What the browser tests need in `name` and this machine lacks, each with its fix."""
    if name == "chromium":
        return harness.browser_prerequisites_missing()
    missing = []
    if not Path(FIREFOX).exists():
        missing.append(f"no Firefox at {FIREFOX}: run `apt-get install -y firefox-esr`")
    try:
        import marionette_driver  # noqa: F401
    except ImportError:
        missing.append("no marionette-driver: run `pip install -e '.[dev]'`")
    if not (FIREFOX_EXTENSION_DIR / "manifest.json").exists():
        missing.append("no extension build in extension/dist-firefox: run `make extension`")
    return missing


def firefox_addon_id() -> str:
    """The add-on id build.mjs wrote into the Firefox manifest (FIREFOX_ID there)."""
    manifest = json.loads((FIREFOX_EXTENSION_DIR / "manifest.json").read_text(encoding="utf-8"))
    return str(manifest["browser_specific_settings"]["gecko"]["id"])


def frame_selector(role: str) -> str:
    return f"iframe[title='{FRAME_TITLES[role]}']"


# ---- A tab -------------------------------------------------------------------------------------


class Tab(ABC):
    """A browser tab. Subclasses give the primitives; what is built on them is shared."""

    def __init__(self, browser: Browser) -> None:
        self.browser = browser

    # The primitives -----------------------------------------------------------------------------

    @abstractmethod
    def goto(self, url: str) -> None: ...

    @abstractmethod
    def reload(self) -> None: ...

    @abstractmethod
    def go_back(self) -> None: ...

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def evaluate(self, fn: str, *args: Any) -> Any:
        """Call the JavaScript function `fn` (its source) with `args` in the page's own world;
        a promise is awaited."""

    @abstractmethod
    def frame_evaluate(self, role: str, fn: str, *args: Any) -> Any:
        """As `evaluate`, inside Gloss's own frame of this role."""

    @abstractmethod
    def move_mouse(self, x: float, y: float, steps: int = 1) -> None:
        """Move the pointer to (x, y) in viewport coordinates, in `steps` moves."""

    @abstractmethod
    def press(self, keys: str) -> None:
        """Press a key with modifiers held, as Playwright names them: `Alt+Shift+N`, `Escape`."""

    @abstractmethod
    def click(self, selector: str) -> None:
        """A real click in the middle of the first element matching `selector`."""

    @abstractmethod
    def fill(self, selector: str, text: str) -> None:
        """Replace the value of a text field by `text`, typed."""

    @abstractmethod
    def frame_click(self, role: str, selector: str) -> None: ...

    @abstractmethod
    def frame_fill(self, role: str, selector: str, text: str) -> None: ...

    @abstractmethod
    def screenshot(self, path: Path) -> None:
        """The viewport, extension frames included, as a PNG."""

    # Built on them ------------------------------------------------------------------------------

    def wait_for(self, fn: str, *args: Any, timeout: float = 30.0, what: str = "") -> Any:
        """Until `fn(...args)` in the page is truthy; returns its value."""
        return harness.wait_until(
            lambda: self.evaluate(fn, *args), timeout=timeout, interval=0.05, what=what or fn
        )

    def frame_wait_for(self, role: str, fn: str, *args: Any, timeout: float = 10.0) -> Any:
        def check() -> Any:
            try:
                return self.frame_evaluate(role, fn, *args)
            except FrameMissing:
                return None

        return harness.wait_until(check, timeout=timeout, interval=0.05, what=fn)

    def attr(self, name: str) -> str | None:
        """An attribute of <html> (Gloss's `data-gloss-*` state)."""
        return self.evaluate("n => document.documentElement.getAttribute(n)", name)

    def wait_state(self, state: str = "annotated", timeout: float = 60.0) -> None:
        self.wait_for(
            "s => document.documentElement.dataset.glossState === s",
            state,
            timeout=timeout,
            what=f"data-gloss-state={state}",
        )

    def title(self) -> str:
        return str(self.evaluate("() => document.title"))

    def text(self, selector: str) -> str:
        return str(self.evaluate("s => document.querySelector(s).innerText", selector))

    def check(self, selector: str, on: bool = True) -> None:
        """Click a checkbox if it is not in the state asked for, then wait for that state."""
        if bool(self.evaluate("s => document.querySelector(s).checked", selector)) != on:
            self.click(selector)
        self.wait_for("(s, on) => document.querySelector(s).checked === on", selector, on)

    def word_rect(self, word: str, nth: int = 0) -> dict[str, float]:
        """The on-screen box of the nth occurrence of `word` in the page's text, scrolled to."""
        rect = self.evaluate(harness.WORD_RECT, word, nth)
        assert rect, f"{word!r} is not on the page"
        return dict(rect)

    def hover_word(self, word: str, nth: int = 0) -> None:
        """The pointer comes to a word from a little above and left of it, as a reader's does."""
        box = self.word_rect(word, nth)
        self.move_mouse(box["x"] - 40, box["y"] - 40)
        self.move_mouse(box["x"], box["y"], steps=3)

    def select_text(self, text: str) -> None:
        """Select `text` (within one text node), then end the selection with the reader's own
        keys (Shift+Right, Shift+Left): Gloss answers only trusted events, never a script's."""
        self.evaluate(harness.SELECT_TEXT, text)
        self.press("Shift+ArrowRight")
        self.press("Shift+ArrowLeft")

    def frame_visible(self, role: str) -> bool:
        return bool(self.evaluate(FRAME_VISIBLE, frame_selector(role)))

    def wait_frame(self, role: str, visible: bool = True, timeout: float = 10.0) -> None:
        """Until Gloss's frame of this role is shown (or hidden, or gone)."""
        self.wait_for(
            "(s, v) => { const e = document.querySelector(s);"
            " return (!!e && getComputedStyle(e).visibility === 'visible') === v; }",
            frame_selector(role),
            visible,
            timeout=timeout,
            what=f"the {role} frame {'shown' if visible else 'hidden'}",
        )

    def frame_box(self, role: str) -> dict[str, float]:
        return dict(
            self.evaluate(
                "s => { const b = document.querySelector(s).getBoundingClientRect();"
                " return {x: b.left, y: b.top, width: b.width, height: b.height}; }",
                frame_selector(role),
            )
        )

    def frame_text(self, role: str, selector: str = "body") -> str:
        return str(
            self.frame_evaluate(
                role,
                "s => { const e = document.querySelector(s); return e ? e.innerText : ''; }",
                selector,
            )
        )

    def frame_select(self, role: str, selector: str, value: str) -> None:
        """Choose an option of a <select> in the frame (what a reader's choice fires: change)."""
        self.frame_evaluate(
            role,
            "(s, v) => { const e = document.querySelector(s); e.value = v;"
            " e.dispatchEvent(new Event('input', {bubbles: true}));"
            " e.dispatchEvent(new Event('change', {bubbles: true})); }",
            selector,
            value,
        )

    def drawn(self, *names: str) -> list[str]:
        """The text of every range drawn under these highlight names (entities and terms by
        default), whichever way the browser draws them."""
        return list(self.evaluate(DRAWN, list(names) or ["gloss-entity", "gloss-term"]))


class FrameMissing(LookupError):
    """Gloss's frame of this role is not in the page (yet)."""


# What tabs evaluate, shared by both browsers.
FRAME_VISIBLE = """(s) => {
  const e = document.querySelector(s);
  return !!e && getComputedStyle(e).visibility === 'visible';
}"""

# CSS Custom Highlights where the browser has them; else the `gloss-mark` elements of the fallback.
DRAWN = """(names) => {
  if (globalThis.CSS && CSS.highlights) {
    return names.flatMap(n => [...(CSS.highlights.get(n) || [])].map(r => r.toString()));
  }
  const kinds = names.map(n => n.replace('gloss-', '').replace(/^saved-.*/, 'saved'));
  const out = [];
  for (const m of document.querySelectorAll('gloss-mark')) {
    if (!kinds.includes(m.dataset.kind)) continue;
    out.push(m.textContent);
  }
  return out;
}"""


# ---- A browser ---------------------------------------------------------------------------------


class Browser(ABC):
    name: str
    extension_base: str  # chrome-extension://<id>/ or moz-extension://<uuid>/

    @abstractmethod
    def new_tab(self) -> Tab: ...

    def extension_page(self, path: str) -> Tab:
        """One of the extension's own pages (options.html, popup.html?tab=…) in a new tab."""
        tab = self.new_tab()
        tab.goto(self.extension_base + path)
        return tab

    def configure(self, server: harness.Server, sites: str) -> str:
        """Fill the options page as a reader would; returns the status line once checked."""
        return self.configure_with(server.base_url, server.token, sites)

    def configure_with(self, base_url: str, token: str, sites: str) -> str:
        tab = self.extension_page("options.html")
        try:
            tab.wait_for("() => document.readyState === 'complete'")
            tab.fill("#server-url", base_url)
            tab.fill("#token", token)
            tab.fill("#sites", sites)
            tab.click("#save")
            tab.wait_for(
                "() => document.querySelector("
                "'#status[data-source=save][data-state=ok], #status[data-source=save]"
                "[data-state=error]')",
                what="the options page's check",
            )
            return tab.text("#status")
        finally:
            tab.close()

    def set_display(self, **change: Any) -> None:
        """Send what the popup sends when a box is clicked: the whole display, changed as asked."""
        display = harness.display(**change)
        ui = self.extension_page("options.html")
        try:
            reply = ui.evaluate(
                "d => chrome.runtime.sendMessage({type: 'ui/set-display', display: d})", display
            )
            assert reply["ok"], reply
        finally:
            ui.close()

    def popup(self, url_prefix: str) -> Tab:
        """The toolbar popup for the tab showing `url_prefix`, opened as a page of its own."""
        popup = self.extension_page("popup.html?tab=0")
        tab_id = popup.evaluate(
            "async p => (await chrome.tabs.query({})).find(t => t.url && t.url.startsWith(p)).id",
            url_prefix,
        )
        popup.goto(self.extension_base + f"popup.html?tab={tab_id}")
        popup.wait_for("() => (document.querySelector('#status')?.textContent || '…') !== '…'")
        return popup

    @abstractmethod
    def stop_background(self) -> None:
        """Stop the extension's background (Chromium's service worker, Firefox's event page), as
        the browser does when it has been idle; the next message starts it again."""

    @abstractmethod
    def close(self) -> None: ...


# ---- Chromium: Playwright over CDP ---------------------------------------------------------------


class ChromiumTab(Tab):
    def __init__(self, browser: ChromiumBrowser, page: Any) -> None:
        super().__init__(browser)
        self.page = page

    def goto(self, url: str) -> None:
        self.page.goto(url)

    def reload(self) -> None:
        self.page.reload()

    def go_back(self) -> None:
        self.page.go_back(wait_until="commit")

    def close(self) -> None:
        self.page.close()

    def evaluate(self, fn: str, *args: Any) -> Any:
        return self.page.evaluate(f"(args) => ({fn})(...args)", list(args))

    def _frame(self, role: str) -> Any:
        handle = self.page.query_selector(frame_selector(role))
        frame = handle.content_frame() if handle else None
        if frame is None:
            raise FrameMissing(role)
        return frame

    def frame_evaluate(self, role: str, fn: str, *args: Any) -> Any:
        return self._frame(role).evaluate(f"(args) => ({fn})(...args)", list(args))

    def move_mouse(self, x: float, y: float, steps: int = 1) -> None:
        self.page.mouse.move(x, y, steps=steps)

    def press(self, keys: str) -> None:
        self.page.keyboard.press(keys)

    def click(self, selector: str) -> None:
        self.page.click(selector)

    def fill(self, selector: str, text: str) -> None:
        self.page.fill(selector, text)

    def frame_click(self, role: str, selector: str) -> None:
        self.page.frame_locator(frame_selector(role)).locator(selector).first.click()

    def frame_fill(self, role: str, selector: str, text: str) -> None:
        self.page.frame_locator(frame_selector(role)).locator(selector).first.fill(text)

    def screenshot(self, path: Path) -> None:
        self.page.screenshot(path=str(path))


class ChromiumBrowser(Browser):
    name = "chromium"

    def __init__(self, context: Any, extension_id: str) -> None:
        self.context = context
        self.extension_id = extension_id
        self.extension_base = f"chrome-extension://{extension_id}/"

    def new_tab(self) -> Tab:
        return ChromiumTab(self, self.context.new_page())

    def stop_background(self) -> None:
        internals = self.context.new_page()
        try:
            internals.goto("chrome://serviceworker-internals/")
            worker = internals.locator(".serviceworker-registration", has_text=self.extension_id)
            worker.get_by_role("button", name="Stop").click(timeout=10000)
            worker.get_by_text("STOPPED").wait_for(timeout=10000)
        finally:
            internals.close()

    def close(self) -> None:
        pass  # harness.browser() closes the context


# ---- Firefox: Marionette, Firefox's own remote protocol ------------------------------------------

_KEYS = {
    "Alt": "\ue00a",
    "Shift": "\ue008",
    "Control": "\ue009",
    "Meta": "\ue03d",
    "Escape": "\ue00c",
    "Tab": "\ue004",
    "Enter": "\ue007",
    "ArrowLeft": "\ue012",
    "ArrowUp": "\ue013",
    "ArrowRight": "\ue014",
    "ArrowDown": "\ue015",
}

# The function is called with the script's arguments; its value (a promise awaited) or its error
# comes back. Run with sandbox=None: in the page's own world, as Playwright's evaluate is.
_CALL = """
const done = arguments[arguments.length - 1];
const args = Array.prototype.slice.call(arguments, 0, -1);
Promise.resolve().then(() => (%s)(...args)).then(
  (value) => done({ok: true, value: value === undefined ? null : value}),
  (error) => done({ok: false,
                   error: String(error && error.stack ? error + '\\n' + error.stack : error)}));
"""


class FirefoxTab(Tab):
    def __init__(self, browser: FirefoxBrowser, handle: str) -> None:
        super().__init__(browser)
        self.ff = browser
        self.handle = handle
        self.pointer = (0.0, 0.0)

    @property
    def m(self) -> Any:
        self.ff.switch_to(self.handle)
        return self.ff.marionette

    def goto(self, url: str) -> None:
        if url.startswith("moz-extension://"):
            # WebDriver's navigation refuses extension pages; the browser's own chrome may.
            m = self.m
            with m.using_context("chrome"):
                m.execute_script(
                    """const [url] = arguments;
                    const principal = Services.scriptSecurityManager.getSystemPrincipal();
                    gBrowser.selectedBrowser.fixupAndLoadURIString(
                      url, {triggeringPrincipal: principal});""",
                    script_args=[url],
                )
            harness.wait_until(lambda: self._loaded(url), timeout=30, what=f"{url} loaded")
        else:
            self.m.navigate(url)

    def _loaded(self, url: str) -> bool:
        try:
            return self.m.get_url() == url and self.evaluate(
                "() => document.readyState === 'complete'"
            )
        except Exception:  # noqa: BLE001 - the page is between two documents
            return False

    def reload(self) -> None:
        self.m.refresh()

    def go_back(self) -> None:
        self.m.go_back()

    def close(self) -> None:
        self.ff.close_tab(self.handle)

    def _run(self, fn: str, args: tuple[Any, ...]) -> Any:
        reply = self.ff.marionette.execute_async_script(
            _CALL % fn, script_args=list(args), sandbox=None
        )
        if not reply["ok"]:
            raise RuntimeError(f"in the page: {reply['error']}")
        return reply["value"]

    def evaluate(self, fn: str, *args: Any) -> Any:
        self.m  # noqa: B018 - switch to this tab
        return self._run(fn, args)

    @contextlib.contextmanager
    def _in_frame(self, role: str) -> Iterator[Any]:
        from marionette_driver.by import By
        from marionette_driver.errors import NoSuchElementException

        m = self.m
        m.switch_to_default_content()
        try:
            element = m.find_element(By.CSS_SELECTOR, frame_selector(role))
        except NoSuchElementException as e:
            raise FrameMissing(role) from e
        m.switch_to_frame(element)
        try:
            yield m
        finally:
            m.switch_to_default_content()

    def frame_evaluate(self, role: str, fn: str, *args: Any) -> Any:
        with self._in_frame(role):
            return self._run(fn, args)

    def move_mouse(self, x: float, y: float, steps: int = 1) -> None:
        m = self.m
        seq = m.actions.sequence("pointer", "mouse", {"pointerType": "mouse"})
        x0, y0 = self.pointer
        for i in range(1, steps + 1):
            seq.pointer_move(round(x0 + (x - x0) * i / steps), round(y0 + (y - y0) * i / steps))
        seq.perform()
        self.pointer = (x, y)

    def press(self, keys: str) -> None:
        *mods, key = keys.split("+")
        value = _KEYS.get(key, key)
        seq = self.m.actions.sequence("key", "keyboard")
        for mod in mods:
            seq.key_down(_KEYS[mod])
        seq.key_down(value).key_up(value)
        for mod in reversed(mods):
            seq.key_up(_KEYS[mod])
        seq.perform()

    def _element(self, selector: str) -> Any:
        from marionette_driver.by import By

        return self.m.find_element(By.CSS_SELECTOR, selector)

    def click(self, selector: str) -> None:
        self._element(selector).click()

    def fill(self, selector: str, text: str) -> None:
        element = self._element(selector)
        element.clear()
        element.send_keys(text)

    def frame_click(self, role: str, selector: str) -> None:
        from marionette_driver.by import By

        with self._in_frame(role) as m:
            m.find_element(By.CSS_SELECTOR, selector).click()

    def frame_fill(self, role: str, selector: str, text: str) -> None:
        from marionette_driver.by import By

        with self._in_frame(role) as m:
            element = m.find_element(By.CSS_SELECTOR, selector)
            element.clear()
            element.send_keys(text)

    def screenshot(self, path: Path) -> None:
        path.write_bytes(self.m.screenshot(format="binary", full=False))


class FirefoxBrowser(Browser):
    name = "firefox"
    extension_base = f"moz-extension://{FIREFOX_UUID}/"

    def __init__(self, marionette: Any) -> None:
        self.marionette = marionette
        self.current: str | None = marionette.current_window_handle
        self._spare: str | None = self.current  # the window Firefox opened with, used first

    def switch_to(self, handle: str) -> None:
        if handle != self.current:
            self.marionette.switch_to_window(handle, focus=True)
            self.current = handle

    def new_tab(self) -> Tab:
        if self._spare is not None:
            handle, self._spare = self._spare, None
        else:
            # A window per tab: a background tab's timers are throttled to one a second, which
            # would slow a card's 150 ms dwell; a window of its own keeps each page in front.
            handle = self.marionette.open(type="window", focus=True)["handle"]
        self.current = None
        self.switch_to(handle)
        self._fit_viewport()
        return FirefoxTab(self, handle)

    def _fit_viewport(self) -> None:
        m = self.marionette
        inner = m.execute_script("return [window.innerWidth, window.innerHeight]")
        if inner == [VIEWPORT["width"], VIEWPORT["height"]]:
            return
        rect = m.window_rect
        m.set_window_rect(
            width=rect["width"] + VIEWPORT["width"] - inner[0],
            height=rect["height"] + VIEWPORT["height"] - inner[1],
        )

    def close_tab(self, handle: str) -> None:
        self.switch_to(handle)
        handles = self.marionette.window_handles
        if len(handles) == 1:
            # Firefox quits with its last window: keep it, blank, for the next tab.
            self.marionette.navigate("about:blank")
            self._spare = handle
            return
        self.marionette.close()
        self.current = None
        self.switch_to(next(h for h in handles if h != handle))

    def stop_background(self) -> None:
        # What about:debugging's "Terminate background script" does.
        m = self.marionette
        with m.using_context("chrome"):
            state = m.execute_async_script(
                """const [id, done] = arguments;
                const extension = WebExtensionPolicy.getByID(id).extension;
                extension.terminateBackground({disableResetIdleForTest: true}).then(
                  () => done(extension.backgroundState), (e) => done(String(e)));""",
                script_args=[firefox_addon_id()],
            )
        assert state == "stopped", state

    def close(self) -> None:
        pass  # firefox() ends the process


def _firefox_prefs(port: int) -> dict[str, Any]:
    return {
        "marionette.port": port,
        # The add-on's pages at a known address: moz-extension://<FIREFOX_UUID>/.
        "extensions.webextensions.uuids": json.dumps({firefox_addon_id(): FIREFOX_UUID}),
        "browser.shell.checkDefaultBrowser": False,
        "browser.startup.homepage_override.mstone": "ignore",
        "browser.aboutwelcome.enabled": False,
        "datareporting.policy.dataSubmissionEnabled": False,
        "toolkit.telemetry.reportingpolicy.firstRun": False,
        "app.update.disabledForTesting": True,
        "browser.tabs.warnOnClose": False,
        "browser.sessionstore.resume_from_crash": False,
        # No traffic to Mozilla's services during a test run.
        "services.settings.server": "http://127.0.0.1:9/",
        "network.connectivity-service.enabled": False,
        "browser.safebrowsing.update.enabled": False,
        "extensions.getAddons.cache.enabled": False,
        "extensions.update.enabled": False,
        # The reader's "Allow" in the prompt of permissions.request() (a doorhanger in the
        # browser's own UI): granted at once. Firefox still requires the request to come from
        # the reader's own click, as it does with the prompt.
        "extensions.webextOptionalPermissionPrompts": False,
        # A site that is not loopback, served by the test's page server: its access is asked for
        # at run time, unlike 127.0.0.1 and localhost (granted by the manifest).
        "network.dns.localDomains": OTHER_HOST,
    }


@contextlib.contextmanager
def firefox(profile: Path) -> Iterator[FirefoxBrowser]:
    """Firefox ESR, headless, on a fresh profile, with extension/dist-firefox installed as a
    temporary add-on (as about:debugging's "Load Temporary Add-on" does)."""
    from marionette_driver.addons import Addons
    from marionette_driver.marionette import Marionette

    if profile.exists():
        shutil.rmtree(profile)
    profile.mkdir(parents=True)
    port = harness.free_port()
    prefs = _firefox_prefs(port)
    (profile / "user.js").write_text(
        "".join(f"user_pref({json.dumps(k)}, {json.dumps(v)});\n" for k, v in prefs.items()),
        encoding="utf-8",
    )
    log = (profile.parent / f"{profile.name}.log").open("wb")
    process = subprocess.Popen(
        [
            FIREFOX,
            "--marionette",
            # The chrome context: it opens moz-extension:// pages, which WebDriver may not.
            "-remote-allow-system-access",
            "-headless",
            "-no-remote",
            "-profile",
            str(profile),
            f"--window-size={VIEWPORT['width']},{VIEWPORT['height']}",
            "about:blank",
        ],
        env={**os.environ, "MOZ_HEADLESS": "1"},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    marionette = Marionette(host="127.0.0.1", port=port)
    try:
        marionette.raise_for_port(timeout=60)
        marionette.start_session()
        marionette.timeout.script = 60
        marionette.timeout.page_load = 60
        Addons(marionette).install(str(FIREFOX_EXTENSION_DIR), temp=True)
        browser = FirefoxBrowser(marionette)
        yield browser
    finally:
        with contextlib.suppress(Exception):
            marionette.delete_session()
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@contextlib.contextmanager
def launch(name: str, workdir: Path) -> Iterator[Browser]:
    """The named browser with the built extension loaded, on a fresh profile under `workdir`."""
    if name == "chromium":
        with harness.browser(workdir / "chromium-profile") as (context, extension_id):
            yield ChromiumBrowser(context, extension_id)
    elif name == "firefox":
        with firefox(workdir / "firefox-profile") as browser:
            yield browser
    else:
        raise ValueError(f"no such browser: {name}")


def main() -> int:
    """`python -m tests.e2e.browsers`: which browsers the tests can run in, and how to get the
    missing ones (make test prints it first)."""
    missing = {name: prerequisites_missing(name) for name in BROWSERS}
    for name, what in missing.items():
        if what:
            print(f"!! The browser tests cannot run in {name}: {'; '.join(what)}.", flush=True)
        else:
            print(f"Browser tests: {name} ready.", flush=True)
    return 1 if any(missing.values()) else 0


if __name__ == "__main__":
    raise SystemExit(main())
