"""The built extension in real Chromium against a real Gloss server (marked e2e)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e import harness, pages

pytestmark = pytest.mark.e2e


def card_text(page: Any) -> str:
    card = harness.card_frame(page).locator(".card")
    # The frame draws a card before it is shown (fetched at 150 ms, shown at 400 ms): wait for it.
    page.locator(harness.CARD_FRAME).wait_for(state="visible", timeout=10000)
    return str(card.inner_text(timeout=10000))


def open_popup(context: Any, extension_id: str, url_prefix: str) -> Any:
    popup = context.new_page()
    popup.goto(f"chrome-extension://{extension_id}/popup.html?tab=0")
    tab_id = popup.evaluate(
        "async (p) => (await chrome.tabs.query({})).find(t => t.url && t.url.startsWith(p)).id",
        url_prefix,
    )
    popup.goto(f"chrome-extension://{extension_id}/popup.html?tab={tab_id}")
    popup.wait_for_selector("#status:not(:text('…'))")
    return popup


def drawn_texts(page: Any, name: str | None = None) -> list[str]:
    """The text of every drawn entity and term range (of one highlight name, if given)."""
    return page.evaluate(
        """(name) => [...CSS.highlights.keys()]
             .filter(k => name ? k === name : (k === 'gloss-entity' || k === 'gloss-term'))
             .flatMap(k => [...CSS.highlights.get(k)].map(r => r.toString()))""",
        name,
    )


def test_options_page_checks_the_server_and_the_token(
    chromium: tuple[Any, str], gloss_server: harness.Server, site: dict[str, Any]
) -> None:
    context, extension_id = chromium
    bad = harness.Server.__new__(harness.Server)
    bad.base_url, bad.token = gloss_server.base_url, "not-a-token"
    status = harness.configure(context, extension_id, bad, "http://127.0.0.1/*")
    assert "401" in status or "rejected" in status, status
    assert "gloss token create" in status, status
    # A web server that is not Gloss (the test pages' own) is said to be so, with its URL.
    other = harness.Server.__new__(harness.Server)
    other.base_url, other.token = site["auto"], gloss_server.token
    status = harness.configure(context, extension_id, other, "http://127.0.0.1/*")
    assert "not a Gloss server" in status, status
    assert site["auto"] in status, status
    # A URL without its scheme is fixed, and the field shows what was saved.
    bare = harness.Server.__new__(harness.Server)
    bare.base_url = gloss_server.base_url.removeprefix("http://")
    bare.token = gloss_server.token
    status = harness.configure(context, extension_id, bare, "http://127.0.0.1/*")
    assert f"Using {gloss_server.base_url}" in status, status
    assert "Connected" in status, status
    status = harness.configure(context, extension_id, gloss_server, "http://127.0.0.1/*")
    assert "Connected" in status, status
    assert "admin" in status, status


def test_highlights_are_drawn_on_an_allowed_site(
    page: Any, site: dict[str, Any], glossary: str
) -> None:
    page.goto(site["auto"] + "/article.html")
    harness.wait_state(page)
    html = page.locator("html")
    count = int(html.get_attribute("data-gloss-count"))
    assert count >= 4, (
        count
    )  # terms, each once: inference, reasoning model, distillation, sandboxing
    # Drawn with the Highlight API: the page's DOM and text are untouched.
    assert (
        page.evaluate("CSS.highlights.has('gloss-term') && CSS.highlights.get('gloss-term').size")
        == 4
    )
    assert page.locator("gloss-mark").count() == 0
    assert page.evaluate("window.pageScriptRan") is True
    # Every drawn range covers exactly a glossary term or a name, never a shifted slice.
    drawn = page.evaluate(
        "() => [...CSS.highlights.keys()].filter(k => k.startsWith('gloss-'))"
        ".flatMap(k => [...CSS.highlights.get(k)].map(r => r.toString()))"
    )
    expected = {
        "inference",
        "reasoning model",
        "distillation",
        "sandboxing",
        "DeepSeek",
        "Hangzhou",
        "Nvidia",
        "Microsoft",
        "Beijing",
        "Paris",
    }
    assert set(drawn) >= {"inference", "reasoning model", "distillation", "sandboxing"}
    assert set(drawn) <= expected, sorted(set(drawn) - expected)
    assert "Gloss" not in page.locator("article").inner_text()


def test_hovering_a_term_shows_its_definition(
    page: Any, site: dict[str, Any], glossary: str
) -> None:
    page.goto(site["auto"] + "/article.html")
    harness.wait_state(page)
    box = harness.word_rect(page, "inference")
    page.mouse.move(box["x"] - 40, box["y"] - 40)
    page.mouse.move(box["x"], box["y"], steps=3)
    text = card_text(page)
    assert "Running a trained model" in text
    assert "inferencing" in text  # alias
    assert "AI desk" in text  # glossary name
    link = harness.card_frame(page).locator("a").first.get_attribute("href")
    assert link == "https://example.org/glossary/inference"
    # The card stays while the pointer is on it, and closes ~300 ms after it leaves.
    card_box = harness.card_frame(page).locator(".card").bounding_box()
    page.mouse.move(card_box["x"] + 10, card_box["y"] + 10, steps=4)
    page.wait_for_timeout(500)
    assert harness.card_frame(page).locator(".card").is_visible()
    page.mouse.move(5, 700)
    harness.wait_card_closed(page)


def test_an_entity_card_says_what_the_team_has_stored(
    page: Any, site: dict[str, Any], glossary: str, gloss_server: harness.Server
) -> None:
    for n, companion in enumerate(("Microsoft", "Microsoft and Google")):
        gloss_server.call(
            "POST",
            "/v1/articles",
            json={
                "url": f"https://wire.example/nvidia-{n}",
                "title": f"Nvidia results, part {n}",
                "text": f"Nvidia reported record sales on Tuesday. Executives at {companion} "
                "said demand for accelerators kept growing.",
                "source": "Example Wire",
                "published_at": f"2026-10-0{n + 1}T09:00:00Z",
            },
        )
    page.goto(site["auto"] + "/article.html")
    harness.wait_state(page)
    box = harness.word_rect(page, "Nvidia")
    page.mouse.move(box["x"] - 40, box["y"] - 40)
    page.mouse.move(box["x"], box["y"], steps=3)
    text = card_text(page)
    assert "Named in 2 stored articles" in text, text
    assert "Nvidia reported record sales on Tuesday." in text  # a sentence that names it
    assert "Nvidia results, part 1" in text  # the latest, with date and source
    assert "2026-10-02 · Example Wire" in text
    assert "Often with: Microsoft" in text
    # Nothing about any other subject: the page's own related list is not shown here.
    assert "related articles" in text.lower()
    titles = harness.card_frame(page).locator("ul.related li").all_inner_texts()
    assert set(titles) <= {"Nvidia results, part 0", "Nvidia results, part 1"}, titles


def test_keyboard_opens_a_card_and_escape_closes_it(
    page: Any, site: dict[str, Any], glossary: str
) -> None:
    page.goto(site["auto"] + "/article.html")
    harness.wait_state(page)
    page.keyboard.press("Alt+Shift+N")
    harness.card_frame(page).locator(".card").wait_for(state="visible", timeout=10000)
    first = card_text(page)
    page.keyboard.press("Alt+Shift+N")
    harness.wait_until(lambda: card_text(page) != first, timeout=10, what="the next card")
    page.keyboard.press("Escape")
    harness.wait_card_closed(page)


def test_server_text_is_inert(page: Any, site: dict[str, Any], glossary: str) -> None:
    page.goto(site["auto"] + "/article.html")
    harness.wait_state(page)
    box = harness.word_rect(page, "sandboxing")
    page.mouse.move(box["x"], box["y"], steps=3)
    text = card_text(page)
    assert "<img src=x onerror=alert(1)>" in text
    assert harness.card_frame(page).locator("img").count() == 0
    assert page.dialogs == []


def test_save_a_highlight_and_reanchor_it(
    page: Any,
    site: dict[str, Any],
    glossary: str,
    gloss_server: harness.Server,
    configured: tuple[Any, str],
) -> None:
    reading_list = gloss_server.create_collection("Reading list")
    url = site["auto"] + "/edit.html"
    page.goto(url)
    harness.wait_state(page)
    harness.select_text(page, pages.HIGHLIGHT)
    harness.save_frame(page).locator("button.pill").click()
    harness.save_frame(page).locator("select[name=collection]").select_option(reading_list)
    harness.save_frame(page).locator("textarea[name=note]").fill("Costs drive adoption")
    harness.save_frame(page).locator("input[name=tags]").fill("cost, adoption")
    harness.save_frame(page).locator("input[value=green]").check()
    harness.save_frame(page).locator("button.save").click()
    page.wait_for_function("document.documentElement.dataset.glossSaved === '1'")
    assert page.evaluate("CSS.highlights.get('gloss-saved-green').size") == 1
    stored = gloss_server.call("GET", "/v1/annotations", params={"url": url})["items"]
    assert len(stored) == 1
    target = stored[0]["target"]
    target = target[0] if isinstance(target, list) else target
    kinds = {s["type"]: s for s in target["selector"]}
    assert kinds["TextQuoteSelector"]["exact"] == pages.HIGHLIGHT
    # The page's title as the reader saw it, for the share page's heading.
    assert target["title"] == page.title()
    position = kinds["TextPositionSelector"]
    assert position["end"] - position["start"] == len(pages.HIGHLIGHT)

    page.reload()
    harness.wait_state(page)
    page.wait_for_function("document.documentElement.dataset.glossSaved === '1'")
    assert page.locator("html").get_attribute("data-gloss-anchors") == "position:1"

    # The article is edited a little: the passage is found again, fuzzily.
    Path(site["root"] / "edit.html").write_text(pages.main_article(edited=True), encoding="utf-8")
    page.reload()
    harness.wait_state(page)
    assert page.locator("html").get_attribute("data-gloss-saved") == "1"
    assert page.locator("html").get_attribute("data-gloss-anchors") == "fuzzy:1"
    drawn = page.evaluate("[...CSS.highlights.get('gloss-saved-green')][0].toString()")
    assert drawn == pages.HIGHLIGHT_EDITED

    # Rewritten entirely: the highlight is an orphan, listed in the popup, never dropped.
    Path(site["root"] / "edit.html").write_text(
        pages.article(["Something else entirely."]), encoding="utf-8"
    )
    page.reload()
    harness.wait_state(page)
    assert page.locator("html").get_attribute("data-gloss-orphans") == "1"
    context, extension_id = configured
    popup = open_popup(context, extension_id, url)
    popup.locator("#orphans li").wait_for()
    assert "cost of inference" in popup.locator("#orphans").inner_text()
    popup.close()


def test_other_sites_wait_for_the_reader(
    page: Any, site: dict[str, Any], glossary: str, configured: tuple[Any, str]
) -> None:
    context, extension_id = configured
    url = site["manual"] + "/article.html"
    page.goto(url)
    page.wait_for_load_state("load")
    page.wait_for_timeout(300)
    assert (
        page.locator("html").get_attribute("data-gloss-state") is None
    )  # nothing ran, nothing sent
    popup = open_popup(context, extension_id, url)
    assert "nothing is sent" in popup.inner_text("#status")
    popup.click("#annotate")
    harness.wait_state(page)
    # One click turns the site on; it stays on across a reload.
    popup.check("#site-toggle")
    page.reload()
    harness.wait_state(page)
    # And one click turns it off again.
    popup.uncheck("#site-toggle")
    page.wait_for_function("document.documentElement.dataset.glossState === 'idle'")
    page.reload()
    page.wait_for_load_state("load")
    page.wait_for_timeout(300)
    assert page.locator("html").get_attribute("data-gloss-state") is None
    popup.close()


def test_late_content_and_spa_navigation_are_annotated(
    page: Any, site: dict[str, Any], glossary: str, configured: tuple[Any, str]
) -> None:
    # Every mention: the late paragraph names terms the article has already named.
    harness.set_display(*configured, first_only=False)
    try:
        late_content_and_spa_navigation(page, site)
    finally:
        harness.set_display(*configured)


def late_content_and_spa_navigation(page: Any, site: dict[str, Any]) -> None:
    page.goto(site["auto"] + "/dynamic.html")
    harness.wait_state(page)
    before = int(page.locator("html").get_attribute("data-gloss-count"))
    page.evaluate(
        """() => { const p = document.createElement('p');
                   p.textContent = 'A late paragraph about distillation and inference.';
                   document.querySelector('article').appendChild(p); }"""
    )
    page.wait_for_function(f"Number(document.documentElement.dataset.glossCount) >= {before + 2}")
    page.evaluate(
        """() => { history.pushState({}, '', '/dynamic.html?page=2');
                   document.querySelector('article').innerHTML =
                     '<h1>Page two</h1><p>Only sandboxing here.</p>'; }"""
    )
    page.wait_for_function(
        """() => { const d = document.documentElement.dataset;
                   return d.glossCount === '1' && d.glossState === 'annotated'; }"""
    )


def test_a_server_that_is_down_shows_an_error_and_harms_nothing(
    page: Any,
    site: dict[str, Any],
    glossary: str,
    configured: tuple[Any, str],
    gloss_server: harness.Server,
) -> None:
    context, extension_id = configured
    down = harness.Server.__new__(harness.Server)
    down.base_url, down.token = f"http://127.0.0.1:{harness.free_port()}", gloss_server.token
    try:
        harness.configure(context, extension_id, down, "http://127.0.0.1/*")
        url = site["auto"] + "/article.html"
        page.goto(url)
        harness.wait_state(page, "error")
        assert page.locator("html").get_attribute("data-gloss-error") == "offline"
        assert page.evaluate("window.pageScriptRan") is True
        popup = open_popup(context, extension_id, url)
        assert "cannot be reached" in popup.inner_text("#status")
        popup.close()
    finally:
        harness.configure(context, extension_id, gloss_server, "http://127.0.0.1/*")


def test_a_killed_service_worker_and_the_back_forward_cache_recover(
    page: Any, site: dict[str, Any], glossary: str, configured: tuple[Any, str]
) -> None:
    context, extension_id = configured
    page.add_init_script("addEventListener('pageshow', e => { window.__restored = e.persisted; })")
    url = site["auto"] + "/article.html"
    page.goto(url)
    harness.wait_state(page)
    count = page.locator("html").get_attribute("data-gloss-count")

    # Back/forward cache: the page comes back as it was, highlights and state included. (A page
    # where a card was opened is not cached by Chromium, which keeps no page that embedded an
    # extension frame; the next part shows that such a page still comes back right.)
    page.goto(site["auto"] + "/dynamic.html")
    harness.wait_state(page)
    page.go_back(wait_until="commit")
    harness.wait_state(page)
    assert page.evaluate("window.__restored") is True
    assert page.locator("html").get_attribute("data-gloss-count") == count
    popup = open_popup(context, extension_id, url)
    popup.wait_for_selector("#status[data-state=annotated]")
    popup.close()

    # Stop the worker, as Chromium does after 30 s idle; the next message starts it again.
    internals = context.new_page()
    internals.goto("chrome://serviceworker-internals/")
    worker = internals.locator(".serviceworker-registration", has_text=extension_id)
    worker.get_by_role("button", name="Stop").click(timeout=10000)
    worker.get_by_text("STOPPED").wait_for(timeout=10000)
    internals.close()
    box = harness.word_rect(page, "distillation")
    page.mouse.move(box["x"], box["y"], steps=3)
    assert "Training a small model" in card_text(page)
    page.mouse.move(5, 700)

    # With a card opened, going away and back loads the page again: annotated as before.
    page.goto(site["auto"] + "/dynamic.html")
    harness.wait_state(page)
    page.go_back()
    harness.wait_state(page)
    assert page.locator("html").get_attribute("data-gloss-count") == count
    box = harness.word_rect(page, "distillation")
    page.mouse.move(box["x"], box["y"], steps=3)
    assert "Training a small model" in card_text(page)


CALM = [
    "DeepSeek, a Chinese company based in Hangzhou, released a reasoning model that made "
    "inference cheaper.",
    "Analysts at Nvidia said DeepSeek would push American rivals to cut the cost of inference.",
    "Engineers at DeepSeek in Hangzhou described the distillation they use, and Nvidia agreed.",
]


def test_a_calm_page_names_each_once_and_the_popup_switches_kinds(
    page: Any,
    site: dict[str, Any],
    glossary: str,
    configured: tuple[Any, str],
    gloss_server: harness.Server,
) -> None:
    context, extension_id = configured
    Path(site["root"] / "calm.html").write_text(
        pages.article(CALM, "DeepSeek and inference"), encoding="utf-8"
    )
    url = site["auto"] + "/calm.html"
    page.goto(url)
    harness.wait_state(page)
    # What the server names on this page, by label: the same text the content script sends.
    text = page.evaluate("document.querySelector('article').innerText")
    answer = gloss_server.call("POST", "/v1/annotate", json={"text": text, "include": ["entities"]})
    by_label: dict[str, set[str]] = {}
    for e in answer["entities"]:
        by_label.setdefault(e["label"], set()).add(e["text"])
    orgs, norps = by_label.get("ORG", set()), by_label.get("NORP", set())
    assert orgs, by_label
    assert norps, by_label

    drawn = drawn_texts(page)
    assert len(drawn) == len(set(drawn)), sorted(drawn)  # first mention: each name once
    assert drawn.count("DeepSeek") == 1, drawn
    assert drawn.count("inference") == 1, drawn
    assert not norps & set(drawn), drawn  # nationalities and groups: off by default
    assert int(page.locator("html").get_attribute("data-gloss-count")) == len(drawn)

    popup = open_popup(context, extension_id, url)
    try:
        assert not popup.is_checked("#kind-norp")
        assert popup.is_checked("#kind-org")
        assert not popup.is_checked("#every-mention")
        legend = popup.inner_text("#legend")
        assert "glossary terms" in legend, legend
        assert "dotted blue" in legend, legend
        # Organisations off: their highlights go, without a reload or a new request.
        popup.uncheck("#kind-org")
        page.wait_for_function(
            "names => ![...CSS.highlights.get('gloss-entity') || []]"
            ".some(r => names.includes(r.toString()))",
            arg=sorted(orgs),
        )
        assert "inference" in drawn_texts(page, "gloss-term")
        # Nationalities on, and every mention: drawn from the answer already held.
        popup.check("#kind-norp")
        popup.check("#every-mention")
        page.wait_for_function(
            "names => [...CSS.highlights.get('gloss-entity') || []]"
            ".some(r => names.includes(r.toString()))",
            arg=sorted(norps),
        )
        page.wait_for_function(
            "() => [...CSS.highlights.get('gloss-term')].filter(r => r.toString() === 'inference')"
            ".length >= 2"
        )
        # The keyboard still walks what is drawn, and its card opens.
        page.keyboard.press("Alt+Shift+N")
        harness.card_frame(page).locator(".card").wait_for(state="visible", timeout=10000)
        popup.uncheck("#kind-term")
        page.wait_for_function("!CSS.highlights.get('gloss-term')")
    finally:
        popup.close()
        harness.set_display(context, extension_id)
    # Remembered, and back to the calm default on the next load.
    page.reload()
    harness.wait_state(page)
    again = drawn_texts(page)
    assert again.count("DeepSeek") == 1, again
    assert not norps & set(again), again


def test_the_popup_shows_the_pattern_the_reader_allowed(
    page: Any, site: dict[str, Any], glossary: str, configured: tuple[Any, str]
) -> None:
    context, extension_id = configured
    url = site["auto"] + "/article.html"
    page.goto(url)
    harness.wait_state(page)
    popup = open_popup(context, extension_id, url)
    assert popup.inner_text("#site") == "allowed: http://127.0.0.1/*"
    popup.close()


def test_the_reader_joins_a_team_only_by_clicking_join(
    chromium: tuple[Any, str], gloss_server: harness.Server, e2e_dir: Path
) -> None:
    """Issue 16: nobody joins a team unasked. An owner invites; the invitation waits on the
    options page; a script's click does nothing; the reader's own click joins."""
    context, extension_id = chromium
    team = gloss_server.call("POST", "/v1/teams", json={"name": "Invite desk"})
    gloss_server.call("POST", f"/v1/teams/{team['id']}/members", json={"user": "carol"})
    carol = harness.Server.__new__(harness.Server)
    carol.base_url, carol.token = gloss_server.base_url, harness.user_token(e2e_dir, "carol")
    try:
        status = harness.configure(context, extension_id, carol, "http://127.0.0.1/*")
        assert "Invite desk" not in status, status  # not a member yet
        page = context.new_page()
        page.goto(f"chrome-extension://{extension_id}/options.html")
        item = page.locator("#invitation-list li")
        item.wait_for(timeout=30000)
        assert "Invite desk (as viewer, invited by admin)" in item.inner_text()
        # A script's click is not the reader's: nothing happens.
        page.evaluate("document.querySelector('#invitation-list button').click()")
        page.wait_for_timeout(500)
        assert "Invite desk" not in page.inner_text("#status")
        page.get_by_role("button", name="Join Invite desk").click()
        page.locator("#status", has_text="Invite desk").wait_for(timeout=30000)
        page.locator("#invitations").wait_for(state="hidden", timeout=10000)
        page.close()
    finally:
        harness.configure(context, extension_id, gloss_server, "http://127.0.0.1/*")


FIRST_DRAWN = """
(() => {
  // The highlights drawn by the first answer: their places on the page, and their text.
  new MutationObserver(() => {
    if (window.__firstDrawn || Number(document.documentElement.dataset.glossCount) === 0) return;
    window.__firstDrawn = ['gloss-entity', 'gloss-term']
      .flatMap(k => [...(CSS.highlights.get(k) || [])])
      .map(r => ({top: r.getBoundingClientRect().top + scrollY, text: r.toString()}));
  }).observe(document, {attributes: true, subtree: true, attributeFilter: ['data-gloss-count']});
})();
"""


def test_a_long_page_comes_in_pieces_what_is_on_screen_first(
    page: Any, site: dict[str, Any], glossary: str
) -> None:
    """Issue 15: the piece on screen is answered and drawn first, offsets exact in every piece."""
    html = pages.long_article(5000)
    paragraphs = html.split("<p>")
    middle = len(paragraphs) // 2
    paragraphs[middle] = '<a id="middle"></a>' + paragraphs[middle]
    Path(site["root"] / "long.html").write_text("<p>".join(paragraphs), encoding="utf-8")
    page.add_init_script(FIRST_DRAWN)
    page.goto(site["auto"] + "/long.html#middle")
    harness.wait_state(page)
    answered, total = page.locator("html").get_attribute("data-gloss-pieces").split("/")
    assert answered == total
    assert int(total) >= 10
    first = page.evaluate("window.__firstDrawn")
    assert first, "nothing was drawn"
    top = page.evaluate("document.getElementById('middle').getBoundingClientRect().top + scrollY")
    height = page.evaluate("innerHeight")
    # The first answer drawn is the one on screen (the page opened at #middle), not the top.
    assert all(top - height <= d["top"] <= top + 3 * height for d in first), (top, first)
    # Offsets are exact in every piece: each drawn range is a name or term of the text.
    terms = {t["term"] for t in pages.GLOSSARY} | {a for t in pages.GLOSSARY for a in t["aliases"]}
    drawn_terms = page.evaluate(
        "[...(CSS.highlights.get('gloss-term') || [])].map(r => r.toString().toLowerCase())"
    )
    assert drawn_terms
    assert set(drawn_terms) <= {t.lower() for t in terms}, drawn_terms


DRAW_ORDER = """
(() => {
  // Every highlight as it is first drawn: when, and its place on the page. A range is known by
  // its text node and offset, so only new ones are measured.
  window.__draws = [];
  const seen = new WeakMap();
  new MutationObserver(() => {
    const tops = [];
    for (const kind of ['gloss-entity', 'gloss-term']) {
      for (const r of (CSS.highlights.get(kind) || [])) {
        let offsets = seen.get(r.startContainer);
        if (!offsets) seen.set(r.startContainer, offsets = new Set());
        if (offsets.has(r.startOffset)) continue;
        offsets.add(r.startOffset);
        tops.push(r.getBoundingClientRect().top + scrollY);
      }
    }
    if (tops.length) window.__draws.push({at: performance.now(), tops});
  }).observe(document, {attributes: true, subtree: true, attributeFilter: ['data-gloss-count']});
})();
"""


def test_scrolling_moves_what_is_now_on_screen_to_the_front_of_the_queue(
    page: Any, site: dict[str, Any], glossary: str, configured: tuple[Any, str]
) -> None:
    """Issue 15: the reader jumps to the end of a long page while its pieces come in; the end
    is drawn within the next answers, before the middle of the page that was queued ahead."""
    # Every mention: the page's names recur, and only first mentions would leave the end bare.
    harness.set_display(*configured, first_only=False)
    try:
        _jump_to_the_end(page, site)
    finally:
        harness.set_display(*configured)


def _jump_to_the_end(page: Any, site: dict[str, Any]) -> None:
    Path(site["root"] / "scroll.html").write_text(pages.long_article(20_000, seed=15), "utf-8")
    page.add_init_script(DRAW_ORDER)
    page.goto(site["auto"] + "/scroll.html")
    page.wait_for_function("window.__draws.length >= 1", timeout=60000)
    view = page.evaluate(
        """() => {
          window.scrollTo(0, document.documentElement.scrollHeight);
          return {at: performance.now(), y: scrollY, height: innerHeight,
                  pieces: document.documentElement.dataset.glossPieces};
        }"""
    )
    harness.wait_state(page)
    draws = page.evaluate("window.__draws")
    answered, total = view["pieces"].split("/")
    assert int(total) - int(answered) > 20, f"too little was left to reorder: {view['pieces']}"
    end_top, height = view["y"], view["height"]
    # Before the jump nothing at the end was drawn: it was at the back of the queue.
    assert not [t for d in draws if d["at"] < view["at"] for t in d["tops"] if t >= end_top]
    at_end = [d["at"] for d in draws for t in d["tops"] if t >= end_top]
    middle = sorted(
        d["at"]
        for d in draws
        if d["at"] > view["at"]
        for t in d["tops"]
        if 3 * height < t < end_top - 3 * height
    )
    assert at_end, "nothing at the end of the page was drawn"
    assert len(middle) > 50, len(middle)
    # The end came within the next answers; most of the middle came after it.
    assert max(at_end) < middle[len(middle) // 2], (max(at_end), middle[0], middle[-1])
