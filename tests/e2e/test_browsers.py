"""The built extension in Chromium and in Firefox ESR, the same tests in both (marked e2e).

Each test runs once per browser (`[chromium]`, `[firefox]`): options and consent per site,
annotation on load, highlights drawn without changing the page, hover and keyboard cards in
Gloss's own frame, saving a highlight with a note and tags, re-anchoring after a reload, and the
popup. Each browser reads pages of its own (`/<browser>/…`), so highlights one saves are not
found by the other on the shared server.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e import browsers, harness, pages
from tests.e2e.conftest import require_browser

pytestmark = pytest.mark.e2e


# Module scope: one browser open at a time (Playwright's sync API holds the thread's event loop
# while it is open); pytest runs every test of one browser before starting the other.
@pytest.fixture(scope="module", params=browsers.BROWSERS)
def browser(
    request: pytest.FixtureRequest, e2e_dir: Path, gloss_server: harness.Server
) -> Iterator[browsers.Browser]:
    require_browser(request.param)
    with browsers.launch(request.param, e2e_dir / f"browsers-{request.param}") as b:
        yield b


@pytest.fixture(scope="module")
def configured(browser: browsers.Browser, gloss_server: harness.Server) -> browsers.Browser:
    status = browser.configure(gloss_server, "http://127.0.0.1/*")
    assert "Connected" in status, status
    return browser


@pytest.fixture
def tab(configured: browsers.Browser) -> Iterator[browsers.Tab]:
    t = configured.new_tab()
    yield t
    t.close()


@pytest.fixture
def own(site: dict[str, Any], browser: browsers.Browser) -> dict[str, Any]:
    """This browser's pages: the test article, on an automatic site and an on-demand one."""
    root = site["root"] / browser.name
    root.mkdir(exist_ok=True)
    for name in ("article.html", "edit.html", "dynamic.html"):
        (root / name).write_text(pages.main_article(), encoding="utf-8")
    return {
        "root": root,
        "auto": f"{site['auto']}/{browser.name}",
        "manual": f"{site['manual']}/{browser.name}",
    }


def card_text(tab: browsers.Tab) -> str:
    """The open card's text, once the frame shows it (fetched at 150 ms, shown at 400 ms)."""
    tab.wait_frame("card")
    tab.frame_wait_for("card", "() => document.querySelector('.card')")
    return tab.frame_text("card", ".card")


def test_the_options_page_checks_the_server_and_the_token(
    browser: browsers.Browser, gloss_server: harness.Server, site: dict[str, Any]
) -> None:
    status = browser.configure_with(gloss_server.base_url, "not-a-token", "http://127.0.0.1/*")
    assert "401" in status or "rejected" in status, status
    assert "gloss token create" in status, status
    # A web server that is not Gloss (the test pages' own) is said to be so, with its URL.
    status = browser.configure_with(site["auto"], gloss_server.token, "http://127.0.0.1/*")
    assert "not a Gloss server" in status, status
    assert site["auto"] in status, status
    # A URL without its scheme is fixed, and the status says what was saved.
    bare = gloss_server.base_url.removeprefix("http://")
    status = browser.configure_with(bare, gloss_server.token, "http://127.0.0.1/*")
    assert f"Using {gloss_server.base_url}" in status, status
    assert "Connected" in status, status
    status = browser.configure(gloss_server, "http://127.0.0.1/*")
    assert "Connected" in status, status
    assert "admin" in status, status


# Whether the page's browser has CSS Custom Highlights, and what Gloss drew with.
MECHANISM = """() => ({
  api: !!(globalThis.CSS && CSS.highlights) && typeof Highlight === 'function',
  highlights: globalThis.CSS && CSS.highlights
    ? [...CSS.highlights.keys()].filter(k => k.startsWith('gloss-')) : [],
  marks: document.querySelectorAll('gloss-mark').length,
})"""

# The article as served (parsed from the file again) against the article as it is now.
TEXT_AS_SERVED = """async () => {
  const served = new DOMParser().parseFromString(await (await fetch(location.href)).text(),
                                                 'text/html');
  const now = document.querySelector('article');
  return {served: served.querySelector('article').textContent, now: now.textContent,
          servedElements: served.querySelectorAll('article *').length,
          nowElements: now.querySelectorAll('*').length};
}"""


def test_an_allowed_site_is_annotated_on_load_and_the_page_is_unchanged(
    tab: browsers.Tab, own: dict[str, Any], glossary: str, browser: browsers.Browser
) -> None:
    tab.goto(own["auto"] + "/article.html")
    tab.wait_state()
    count = int(tab.attr("data-gloss-count") or 0)
    assert count >= 4, count  # terms, each once: inference, reasoning model, distillation, ...
    drawn = tab.drawn()
    assert len(drawn) == count, drawn
    # Every drawn range is exactly a glossary term or a name, never a shifted slice.
    terms = {"inference", "reasoning model", "distillation", "sandboxing"}
    names = {"DeepSeek", "Hangzhou", "Nvidia", "Microsoft", "Beijing", "Paris"}
    assert set(drawn) >= terms, drawn
    assert set(drawn) <= terms | names, sorted(set(drawn) - terms - names)

    # Drawn with CSS Custom Highlights where the browser has them (Chromium 105+, Firefox 140+),
    # else with `gloss-mark` elements; both browsers under test have them.
    how = tab.evaluate(MECHANISM)
    assert how["api"], f"{browser.name} has no CSS Custom Highlight API"
    assert "gloss-term" in how["highlights"], how
    assert how["marks"] == 0, how
    assert tab.evaluate("() => CSS.highlights.get('gloss-term').size") == 4
    # The page's text and elements are as served, and its own script ran.
    text = tab.evaluate(TEXT_AS_SERVED)
    assert text["now"] == text["served"]
    assert text["nowElements"] == text["servedElements"], text
    assert tab.evaluate("() => window.pageScriptRan") is True


# Run by the page first thing in its head: whether Gloss touched the page before its DOM was
# complete, whether Gloss was already running when the page's own DOMContentLoaded handler ran,
# and that handler adding a paragraph to the article (the only one that names sandboxing).
LOADING_PAGE_SCRIPT = """<script>
window.__glossWhileParsing = document.documentElement.hasAttribute('data-gloss-state');
document.addEventListener('DOMContentLoaded', () => {
  window.__glossAtDomContentLoaded = document.documentElement.getAttribute('data-gloss-state');
  const p = document.createElement('p');
  p.textContent = %s;
  document.querySelector('article h1').after(p);
});
</script>"""


def test_gloss_starts_as_the_page_loads_and_reads_it_after_the_page_s_own_handlers(
    tab: browsers.Tab, own: dict[str, Any], glossary: str
) -> None:
    """Issue 15: the content script is injected at document_start, so the worker is asked about
    the page while it loads, yet it touches nothing before DOMContentLoaded and reads the
    article only after the page's own DOMContentLoaded handlers have run."""
    added = pages.PARAGRAPHS[2]
    assert "sandboxing" in added
    html = pages.article([p for p in pages.PARAGRAPHS if p != added], "Cheaper inference")
    script = LOADING_PAGE_SCRIPT % json.dumps(added)
    (own["root"] / "loading.html").write_text(html.replace("<head>", "<head>" + script, 1), "utf-8")
    tab.goto(own["auto"] + "/loading.html")
    tab.wait_state()
    assert tab.evaluate("() => window.__glossWhileParsing") is False
    # Injected at document_end, the script would only start after the page's handlers ran.
    assert tab.evaluate("() => window.__glossAtDomContentLoaded") is not None
    drawn = tab.drawn()
    assert "sandboxing" in drawn, drawn
    assert tab.attr("data-gloss-pieces") == "1/1"


def test_hovering_a_term_shows_its_card_in_gloss_s_frame(
    tab: browsers.Tab, own: dict[str, Any], glossary: str, browser: browsers.Browser
) -> None:
    tab.goto(own["auto"] + "/article.html")
    tab.wait_state()
    tab.hover_word("inference")
    text = card_text(tab)
    assert "Running a trained model" in text
    assert "inferencing" in text  # alias
    assert "AI desk" in text  # glossary name
    link = tab.frame_evaluate("card", "() => document.querySelector('a').getAttribute('href')")
    assert link == "https://example.org/glossary/inference"
    # The card is the extension's own page, which the page's scripts cannot read.
    card = browsers.frame_selector("card")
    src = tab.evaluate("s => document.querySelector(s).src", card)
    assert src.startswith(browser.extension_base + "frame.html?role=card"), src
    assert tab.evaluate("s => document.querySelector(s).contentDocument === null", card) is True
    # The card stays while the pointer is on it, and closes once the pointer leaves both.
    box = tab.frame_box("card")
    tab.move_mouse(box["x"] + 10, box["y"] + 10, steps=4)
    tab.frame_wait_for("card", "() => document.querySelector('.card')")
    # Past the 300 ms grace the pointer would have left; the card must still be there.
    tab.evaluate("() => new Promise(r => setTimeout(r, 500))")
    assert tab.frame_visible("card")
    tab.move_mouse(5, 700, steps=2)
    tab.wait_frame("card", visible=False)


def test_the_keyboard_opens_a_card_moves_on_and_escape_closes_it(
    tab: browsers.Tab, own: dict[str, Any], glossary: str
) -> None:
    tab.goto(own["auto"] + "/article.html")
    tab.wait_state()
    tab.evaluate("() => document.querySelector('#more-link').focus()")
    tab.press("Alt+Shift+N")
    first = card_text(tab)
    # Focus is in the card, on the dialog itself, so a screen reader reads it whole.
    tab.wait_for("() => document.activeElement?.title === 'Gloss card'", what="focus in the card")
    label = "() => document.querySelector('[role=dialog]')?.getAttribute('aria-label')"
    tab.frame_wait_for("card", "() => document.activeElement?.getAttribute('role') === 'dialog'")
    first_label = tab.frame_evaluate("card", label)
    # Tab goes through the card's links and buttons and stays in the card.
    reached = []
    for _ in range(6):
        tab.press("Tab")
        reached.append(
            tab.frame_evaluate(
                "card", "() => (a => `${a.tagName}:${a.textContent}`)(document.activeElement)"
            )
        )
        assert tab.evaluate("() => document.activeElement?.title") == "Gloss card"
    assert any(r.startswith("BUTTON:×") for r in reached), reached
    # The next highlight from inside the card; screen readers hear which one.
    tab.press("Alt+Shift+N")
    harness.wait_until(
        lambda: tab.frame_evaluate("card", label) not in (None, first_label),
        timeout=10,
        what="the next card",
    )
    assert card_text(tab) != first
    assert "Gloss:" in tab.text("gloss-live")
    # Escape closes it and puts the focus back where the reader was.
    tab.press("Escape")
    tab.wait_frame("card", visible=False)
    assert tab.evaluate("() => document.activeElement.id") == "more-link"


def test_a_highlight_is_saved_with_a_note_and_tags_and_re_anchored(
    tab: browsers.Tab,
    own: dict[str, Any],
    glossary: str,
    gloss_server: harness.Server,
    configured: browsers.Browser,
) -> None:
    collection = gloss_server.create_collection(f"Reading list ({configured.name})")
    url = own["auto"] + "/edit.html"
    tab.goto(url)
    tab.wait_state()
    tab.select_text(pages.HIGHLIGHT)
    tab.wait_frame("save")
    tab.frame_click("save", "button.pill")
    tab.frame_wait_for("save", "() => document.querySelector('select[name=collection]')")
    tab.frame_select("save", "select[name=collection]", collection)
    tab.frame_fill("save", "textarea[name=note]", "Costs drive adoption")
    tab.frame_fill("save", "input[name=tags]", "cost, adoption")
    tab.frame_click("save", "input[value=green]")
    tab.frame_click("save", "button.save")
    tab.wait_for("() => document.documentElement.dataset.glossSaved === '1'")
    assert tab.drawn("gloss-saved-green") == [pages.HIGHLIGHT]
    tab.wait_frame("save", visible=False)

    stored = gloss_server.call("GET", "/v1/annotations", params={"url": url})["items"]
    assert len(stored) == 1
    bodies = {b["value"]: b.get("purpose") for b in stored[0]["body"]}
    assert bodies == {
        "Costs drive adoption": "commenting",
        "cost": "tagging",
        "adoption": "tagging",
    }
    assert stored[0]["color"] == "green"
    target = stored[0]["target"]
    target = target[0] if isinstance(target, list) else target
    kinds = {s["type"]: s for s in target["selector"]}
    assert kinds["TextQuoteSelector"]["exact"] == pages.HIGHLIGHT
    assert target["title"] == tab.title()
    # UTF-16 offsets in the page's text, the same in both browsers.
    position = kinds["TextPositionSelector"]
    assert position["end"] - position["start"] == len(pages.HIGHLIGHT)

    # Found again by its position after a reload.
    tab.reload()
    tab.wait_state()
    tab.wait_for("() => document.documentElement.dataset.glossSaved === '1'")
    assert tab.attr("data-gloss-anchors") == "position:1"
    assert tab.drawn("gloss-saved-green") == [pages.HIGHLIGHT]

    # The article is edited a little: the passage is found again, fuzzily.
    (own["root"] / "edit.html").write_text(pages.main_article(edited=True), encoding="utf-8")
    tab.reload()
    tab.wait_state()
    assert tab.attr("data-gloss-saved") == "1"
    assert tab.attr("data-gloss-anchors") == "fuzzy:1"
    assert tab.drawn("gloss-saved-green") == [pages.HIGHLIGHT_EDITED]

    # Rewritten entirely: an orphan, listed in the popup, never dropped.
    (own["root"] / "edit.html").write_text(
        pages.article(["Something else entirely."]), encoding="utf-8"
    )
    tab.reload()
    tab.wait_state()
    assert tab.attr("data-gloss-orphans") == "1"
    popup = configured.popup(url)
    try:
        popup.wait_for("() => document.querySelector('#orphans li')")
        assert "cost of inference" in popup.text("#orphans")
    finally:
        popup.close()


def test_other_sites_wait_for_the_reader_and_one_click_turns_a_site_on_and_off(
    tab: browsers.Tab, own: dict[str, Any], glossary: str, configured: browsers.Browser
) -> None:
    url = own["manual"] + "/article.html"
    tab.goto(url)
    # Loaded, and nothing ran: the content script is not even in the page.
    tab.evaluate("() => new Promise(r => setTimeout(r, 300))")
    assert tab.attr("data-gloss-state") is None
    popup = configured.popup(url)
    try:
        assert "nothing is sent" in popup.text("#status")
        assert not popup.evaluate("() => document.querySelector('#site-toggle').checked")
        popup.click("#annotate")
        tab.wait_state()
        # One click turns the site on; it stays on across a reload.
        popup.check("#site-toggle")
        tab.reload()
        tab.wait_state()
        # And one click turns it off again: the page goes quiet, and stays so after a reload.
        popup.check("#site-toggle", on=False)
        tab.wait_state("idle")
        assert tab.drawn() == []
        tab.reload()
        tab.evaluate("() => new Promise(r => setTimeout(r, 300))")
        assert tab.attr("data-gloss-state") is None
    finally:
        popup.close()


def test_the_popup_shows_the_page_s_state_and_the_pattern_the_reader_allowed(
    tab: browsers.Tab, own: dict[str, Any], glossary: str, configured: browsers.Browser
) -> None:
    url = own["auto"] + "/article.html"
    tab.goto(url)
    tab.wait_state()
    count = tab.attr("data-gloss-count")
    popup = configured.popup(url)
    try:
        assert popup.text("#site") == "allowed: http://127.0.0.1/*"
        popup.wait_for("() => document.querySelector('#status').dataset.state === 'annotated'")
        assert popup.text("#status").startswith(f"{count} annotations on this page"), popup.text(
            "#status"
        )
        assert popup.evaluate("() => document.querySelector('#site-toggle').checked") is True
        assert "glossary terms" in popup.text("#legend")
        # A kind switched off in the popup leaves the open page at once, without a reload.
        popup.check("#kind-term", on=False)
        tab.wait_for("() => !(CSS.highlights.get('gloss-term')?.size)", what="terms gone")
        popup.check("#kind-term")
        tab.wait_for("() => CSS.highlights.get('gloss-term')?.size === 4", what="terms back")
    finally:
        popup.close()


def test_the_back_forward_cache_and_a_stopped_background_recover(
    tab: browsers.Tab, own: dict[str, Any], glossary: str, configured: browsers.Browser
) -> None:
    url = own["auto"] + "/article.html"
    tab.goto(url)
    tab.wait_state()
    count = tab.attr("data-gloss-count")
    tab.evaluate("() => addEventListener('pageshow', e => { window.__restored = e.persisted; })")

    # Back/forward cache: the page comes back as it was, highlights and state included.
    tab.goto(own["auto"] + "/dynamic.html")
    tab.wait_state()
    tab.go_back()
    tab.wait_state()
    assert tab.evaluate("() => window.__restored") is True
    assert tab.attr("data-gloss-count") == count
    popup = configured.popup(url)
    try:
        popup.wait_for("() => document.querySelector('#status').dataset.state === 'annotated'")
    finally:
        popup.close()

    # Stop the background, as the browser does when it is idle; the next message starts it.
    configured.stop_background()
    tab.hover_word("distillation")
    assert "Training a small model" in card_text(tab)
    tab.move_mouse(5, 700)

    # With a card opened, going away and back: annotated as before. (Chromium keeps no page that
    # embedded an extension frame in its cache and loads it again; Firefox may restore it.)
    tab.goto(own["auto"] + "/dynamic.html")
    tab.wait_state()
    tab.go_back()
    tab.wait_state()
    assert tab.attr("data-gloss-count") == count
    tab.hover_word("distillation")
    assert "Training a small model" in card_text(tab)


# Firefox only: Chromium's permission prompt is the browser's own dialog, which Playwright cannot
# answer, and Chromium's loopback access cannot be taken back by the extension; Firefox's prompt
# is answered by a test preference (browsers.py).
@pytest.mark.parametrize("browser", ["firefox"], indirect=True, scope="module")
def test_host_access_is_asked_for_in_the_reader_s_click(
    tab: browsers.Tab,
    site: dict[str, Any],
    own: dict[str, Any],
    glossary: str,
    gloss_server: harness.Server,
    configured: browsers.Browser,
) -> None:
    """Host access asked for at run time: the options page's Save asks for the server and the
    listed sites in the reader's click (Firefox refuses a request made after any other await in
    it), loopback included, since a Firefox reader can take back what the manifest granted."""
    port = site["auto"].rsplit(":", 1)[1]
    url = f"http://{browsers.OTHER_HOST}:{port}/{configured.name}/article.html"
    tab.goto(url)
    assert tab.title() == "Cheaper inference"  # served, and not read: no access, no consent
    assert tab.attr("data-gloss-state") is None
    pattern = "http://*.gloss-test.example/*"
    try:
        status = configured.configure(gloss_server, f"http://127.0.0.1/*\n{pattern}")
        assert "Connected" in status, status
        tab.reload()
        tab.wait_state()
        assert int(tab.attr("data-gloss-count") or 0) >= 4

        # The reader takes loopback access back (about:addons, Permissions): Save asks again.
        options = configured.extension_page("options.html")
        try:
            removed = options.evaluate(
                "() => chrome.permissions.remove({origins: ['http://127.0.0.1/*']})"
            )
            assert removed is True
            assert (
                options.evaluate(
                    "() => chrome.permissions.contains({origins: ['http://127.0.0.1/*']})"
                )
                is False
            )
        finally:
            options.close()
        status = configured.configure(gloss_server, "http://127.0.0.1/*")
        assert "Connected" in status, status
    finally:
        configured.configure(gloss_server, "http://127.0.0.1/*")
