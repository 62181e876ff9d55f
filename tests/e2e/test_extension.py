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


def test_server_text_is_inert(page: Any, site: dict[str, Any], glossary: str) -> None:
    page.goto(site["auto"] + "/article.html")
    harness.wait_state(page)
    box = harness.word_rect(page, "sandboxing")
    page.mouse.move(box["x"], box["y"], steps=3)
    text = card_text(page)
    assert "<img src=x onerror=alert(1)>" in text
    assert harness.card_frame(page).locator("img").count() == 0
    assert page.dialogs == []


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


def test_a_short_article_goes_at_once_its_first_piece_alone(
    page: Any, site: dict[str, Any], glossary: str, configured: tuple[Any, str]
) -> None:
    """Issue 15: a 1,000-word article (four pieces) is sent as two requests at once, its first
    piece and the rest; both answers are drawn, offsets exact from the top of the page to its
    end."""
    harness.set_display(*configured, first_only=False)
    try:
        Path(site["root"] / "short.html").write_text(pages.long_article(1000, seed=21), "utf-8")
        page.add_init_script(DRAW_ORDER)
        page.goto(site["auto"] + "/short.html")
        harness.wait_state(page)
        assert page.locator("html").get_attribute("data-gloss-pieces") == "2/2"
        draws = page.evaluate("window.__draws")
        tops = sorted(t for d in draws for t in d["tops"])
        bottom = page.evaluate("document.querySelector('article').getBoundingClientRect().bottom")
        # Highlights down to the article's last screen: the rest came in its own request.
        assert tops
        assert tops[-1] > bottom - page.evaluate("innerHeight"), (tops[-1], bottom)
        terms = {t["term"].lower() for t in pages.GLOSSARY}
        terms |= {a.lower() for t in pages.GLOSSARY for a in t["aliases"]}
        drawn = page.evaluate(
            "[...(CSS.highlights.get('gloss-term') || [])].map(r => r.toString().toLowerCase())"
        )
        assert len(drawn) > 10, drawn
        assert set(drawn) <= terms, drawn
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
