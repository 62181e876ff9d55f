"""Real pages in real Chromium: only the article is highlighted, and no highlight joins two blocks.

The pages are Mozilla Readability's test pages, beside the repository
(`<repo>/../shared/readability-test-pages`); each is served from 127.0.0.1 as saved, every other
request blocked, and annotated by the extension against the real server.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e import harness, pages

pytestmark = pytest.mark.e2e

PAGES = harness.ROOT.parent / "shared" / "readability-test-pages"
# A handful of news sites with heavy chrome: menus, share bars, "most read", comments, footers.
NAMES = ["bbc-1", "guardian-1", "ars-1", "aclu", "breitbart", "nytimes-2"]

# Each drawn entity or term with 20 characters of its own text nodes on each side, and whether
# its two ends are in the same block (the nearest ancestor not laid out inline).
HIGHLIGHTS = """() => {
  const block = (node) => {
    let el = node.nodeType === 1 ? node : node.parentElement;
    while (el && getComputedStyle(el).display.startsWith('inline')) el = el.parentElement;
    return el;
  };
  const out = [];
  for (const name of ['gloss-entity', 'gloss-term']) {
    for (const r of CSS.highlights.get(name) || []) {
      const before = r.startContainer.data.slice(Math.max(0, r.startOffset - 20), r.startOffset);
      const after = r.endContainer.data.slice(r.endOffset, r.endOffset + 20);
      out.push({text: r.toString(), quote: before + r.toString() + after,
                sameBlock: block(r.startContainer) === block(r.endContainer)});
    }
  }
  return out;
}"""


def block_the_web(page: Any, real_site: str) -> None:
    """The saved page's scripts, fonts and ads point at the web: block all but the page itself and
    Gloss's own frame."""
    allowed = (real_site + "/", "chrome-extension://")
    page.route(
        "**/*",
        lambda route: route.continue_() if route.request.url.startswith(allowed) else route.abort(),
    )


@pytest.fixture(scope="module")
def real_site(e2e_dir: Path) -> Iterator[str]:
    assert PAGES.is_dir(), f"the test pages are missing: expected {PAGES} (shared/ beside the repo)"
    root = e2e_dir / "real"
    root.mkdir(exist_ok=True)
    for name in NAMES:
        (root / name).mkdir(exist_ok=True)
        (root / name / "index.html").write_bytes((PAGES / name / "source.html").read_bytes())
    with harness.page_server(root) as port:
        yield f"http://127.0.0.1:{port}"  # an automatic site in the `configured` fixture


@pytest.mark.parametrize("name", NAMES)
def test_only_the_article_is_highlighted_and_no_highlight_joins_blocks(
    page: Any, real_site: str, name: str
) -> None:
    block_the_web(page, real_site)
    page.goto(f"{real_site}/{name}/index.html", wait_until="domcontentloaded")
    harness.wait_state(page, timeout=90000)
    drawn = page.evaluate(HIGHLIGHTS)
    assert len(drawn) >= 5, drawn
    expected = pages.readability_expected(PAGES / name)
    outside = [d["text"] for d in drawn if pages.squash(d["quote"]) not in expected]
    assert not outside, f"{len(outside)} of {len(drawn)} highlights outside the article: {outside}"
    across = [d["text"] for d in drawn if not d["sameBlock"]]
    assert not across, f"highlights across blocks: {across}"


def test_late_content_joins_the_article_only_inside_it(page: Any, real_site: str) -> None:
    block_the_web(page, real_site)
    page.goto(f"{real_site}/bbc-1/index.html", wait_until="domcontentloaded")
    harness.wait_state(page, timeout=90000)
    before = int(page.locator("html").get_attribute("data-gloss-count"))
    # A paragraph appended beside the story's longest paragraph, and a promo appended to the body
    # (as a late "most read" widget is), in the same batch.
    page.evaluate(
        """() => {
          const longest = [...document.querySelectorAll('p')]
            .sort((a, b) => b.textContent.length - a.textContent.length)[0];
          const p = document.createElement('p');
          p.textContent = 'Later, officials from Microsoft met engineers in Hangzhou.';
          longest.parentElement.appendChild(p);
          const promo = document.createElement('div');
          promo.id = 'late-promo';
          promo.innerHTML = '<p>Most watched: Nvidia opens an office in Paris with DeepSeek.</p>';
          document.body.appendChild(promo);
        }"""
    )
    page.wait_for_function(
        f"Number(document.documentElement.dataset.glossCount) >= {before + 2}", timeout=60000
    )
    in_promo = page.evaluate(
        """() => ['gloss-entity', 'gloss-term'].flatMap(k => [...(CSS.highlights.get(k) || [])])
             .filter(r => document.getElementById('late-promo').contains(r.startContainer))
             .map(r => r.toString())"""
    )
    assert in_promo == []


def test_cards_keyboard_saving_and_axe_on_a_real_page(
    page: Any, real_site: str, gloss_server: harness.Server
) -> None:
    """On a real BBC page: a term card and an entity card with their content, the keyboard's path
    through a card, axe-core clean on what Gloss adds, and saving into a new collection, then
    editing the saved highlight."""
    gloss_server.create_glossary(
        "Politics desk",
        [{"term": "gun control", "definition": "Laws that limit who may own a gun.", "url": None}],
    )
    block_the_web(page, real_site)
    url = f"{real_site}/bbc-1/index.html"
    page.goto(url, wait_until="domcontentloaded")
    harness.wait_state(page, timeout=90000)

    # A term card: its definition and glossary (hovering the mention that is drawn).
    box = harness.highlight_point(page, "gloss-term", "gun control")
    assert box, "the glossary term is not drawn"
    page.mouse.move(box["x"] - 40, box["y"] - 40)
    page.mouse.move(box["x"], box["y"], steps=3)
    page.locator(harness.CARD_FRAME).wait_for(state="visible", timeout=10000)
    card = harness.card_frame(page).locator(".card")
    assert "Laws that limit who may own a gun." in card.inner_text()
    assert "Politics desk" in card.inner_text()
    page.mouse.move(5, 5)
    harness.wait_card_closed(page)

    # The keyboard: the first highlight (an entity), its card focused, Tab stays in it, Escape.
    page.keyboard.press("Alt+Shift+N")
    page.locator(harness.CARD_FRAME).wait_for(state="visible", timeout=10000)
    dialog = harness.card_frame(page).locator("[role=dialog]")
    text = dialog.inner_text()
    assert "entity" in text.lower() or "glossary term" in text.lower(), text
    assert "Obama" in text, text  # the story's first name is the president's
    frame = next(f for f in page.frames if "frame.html?role=card" in f.url)
    for _ in range(3):
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement?.title") == "Gloss card"
    assert frame.evaluate("document.activeElement.closest('[role=dialog]') !== null")
    # axe-core: nothing serious in the card, nor in what Gloss adds to the page.
    source = harness.AXE.read_text(encoding="utf-8")
    frame.evaluate(source)
    in_card = frame.evaluate("axe.run(document, {resultTypes: ['violations']})")
    page.evaluate(source)
    ours = page.evaluate(
        """axe.run({include: [["iframe[data-gloss-ui]"], ["gloss-live"]]},
                   {iframes: false, resultTypes: ['violations']})"""
    )
    serious = [
        v["id"]
        for v in in_card["violations"] + ours["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == []
    page.keyboard.press("Escape")
    harness.wait_card_closed(page)

    # Save into a new collection, then edit the highlight from its card.
    passage = "the greatest frustration of his presidency"
    harness.select_text(page, passage)
    form = harness.save_frame(page)
    form.locator("button.pill").click()
    form.locator("select[name=collection]").select_option("__new__")
    form.locator("input[name=new-collection]").fill("Obama interview")
    form.locator("button.save").click()
    page.wait_for_function("document.documentElement.dataset.glossSaved === '1'")
    stored = gloss_server.call("GET", "/v1/annotations", params={"url": url})["items"]
    assert len(stored) == 1
    box = harness.highlight_point(page, "gloss-saved-yellow")
    assert box, "the saved highlight is not drawn"
    page.mouse.move(box["x"], box["y"], steps=3)
    page.locator(harness.CARD_FRAME).wait_for(state="visible", timeout=10000)
    harness.card_frame(page).locator("button.edit").click()
    harness.card_frame(page).locator("textarea[name=note]").fill("His own words")
    harness.card_frame(page).locator("form button.save").click()
    harness.card_frame(page).locator(".saved", has_text="His own words").wait_for(timeout=10000)
    stored = gloss_server.call("GET", "/v1/annotations", params={"url": url})["items"]
    assert [b["value"] for b in stored[0]["body"]] == ["His own words"]


def _drawn(page: Any, name: str) -> list[str]:
    return list(
        page.evaluate(
            "n => [...(CSS.highlights.get(n) || [])].map(r => r.toString())",
            name,
        )
    )


def test_a_calm_real_page_first_mentions_and_kinds(
    page: Any, real_site: str, configured: tuple[Any, str]
) -> None:
    """The BBC story: each name drawn once by default; switching people off leaves organisations
    and places; every mention draws a name again where it recurs."""
    context, extension_id = configured
    block_the_web(page, real_site)
    page.goto(f"{real_site}/bbc-1/index.html", wait_until="domcontentloaded")
    harness.wait_state(page, timeout=90000)
    entities = _drawn(page, "gloss-entity")
    assert len(entities) == len(set(entities)), sorted(entities)
    assert entities.count("Obama") <= 1
    assert {"Obama", "BBC", "Kenya"} <= set(entities), entities
    try:
        harness.set_display(context, extension_id, person=False)
        page.wait_for_function(
            "!([...(CSS.highlights.get('gloss-entity') || [])].some(r => r.toString() === 'Obama'))"
        )
        assert {"BBC", "Kenya"} <= set(_drawn(page, "gloss-entity"))
        harness.set_display(context, extension_id, first_only=False)
        page.wait_for_function(
            "[...(CSS.highlights.get('gloss-entity') || [])]"
            ".filter(r => r.toString().endsWith('Obama')).length >= 5"
        )
    finally:
        harness.set_display(context, extension_id)
