"""Take the screenshots in docs/extension.md and README.md: `python -m tests.e2e.screenshots`
(`... screenshots firefox`: only Firefox's).

Starts a real Gloss server and Chromium with extension/dist, then Firefox ESR with
extension/dist-firefox, like the end-to-end tests.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from tests.e2e import browsers, harness, pages

OUT = harness.ROOT / "docs" / "img"
REAL_PAGE = harness.ROOT.parent / "shared" / "readability-test-pages" / "bbc-1"
# A glossary for the real page's subject.
POLITICS = [
    {
        "term": "gun control",
        "definition": "Laws and policies that limit who may own, carry or sell a firearm.",
        "aliases": ["gun safety laws"],
        "url": None,
    },
    {
        "term": "Congress",
        "definition": "The US legislature: the Senate and the House of Representatives.",
        "aliases": [],
        "url": None,
    },
]
# Stored articles naming DeepSeek and Obama, so their cards say what the team knows.
STORED = [
    {
        "url": f"https://wire.example/deepseek-{n}",
        "title": title,
        "text": text,
        "source": "Example Wire",
        "published_at": f"2026-11-{10 + n}T09:00:00Z",
    }
    for n, (title, text) in enumerate(
        [
            (
                "DeepSeek's model rattles chip stocks",
                "DeepSeek, the Hangzhou start-up, said its reasoning model was trained for a "
                "fraction of the usual cost. Shares of Nvidia fell on the news.",
            ),
            (
                "Regulators look at DeepSeek",
                "Regulators in Europe asked DeepSeek how it stores users' data. Microsoft and "
                "Nvidia declined to comment.",
            ),
            (
                "Obama to visit Kenya and Ethiopia",
                "President Obama will travel to Kenya, his father's homeland, and then to "
                "Ethiopia, the White House said. It is his first visit to Kenya as president.",
            ),
            (
                "Congress weighs the Iran nuclear deal",
                "Congress has 60 days to review the Iran nuclear deal. Barack Obama said he would "
                "veto any bill that blocked it; Republicans in the Senate oppose it.",
            ),
        ]
    )
]


def firefox_shots(server: harness.Server, port: int, work: Path) -> None:
    """The test page annotated in Firefox ESR, an entity's card open."""
    with browsers.launch("firefox", work) as browser:
        status = browser.configure(server, "http://127.0.0.1/*")
        assert "Connected" in status, status
        tab = browser.new_tab()
        tab.goto(f"http://127.0.0.1:{port}/article.html")
        tab.wait_state()
        tab.evaluate("() => window.scrollTo(0, 0)")
        point = tab.evaluate(
            """() => { const r = [...CSS.highlights.get('gloss-entity')]
                 .find(r => r.toString() === 'Hangzhou');
               const b = r.getClientRects()[0];
               return {x: b.left + b.width / 2, y: b.top + b.height / 2}; }"""
        )
        tab.move_mouse(point["x"] - 30, point["y"] - 30)
        tab.move_mouse(point["x"], point["y"], steps=3)
        tab.wait_frame("card")
        tab.frame_wait_for("card", "() => document.querySelector('.card')?.innerText")
        tab.evaluate("() => new Promise(r => setTimeout(r, 200))")  # the frame's first paint
        tab.screenshot(OUT / "extension-firefox-card.png")


def main() -> None:
    only_firefox = sys.argv[1:] == ["firefox"]
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        server = harness.start_server(work)
        try:
            server.create_glossary("AI desk", pages.GLOSSARY)
            server.create_glossary("Politics desk", POLITICS)
            server.create_collection("Reading list")
            for article in STORED:  # what the team has read: the entity card shows it
                server.call("POST", "/v1/articles", json=article)
            site = work / "site"
            site.mkdir()
            (site / "article.html").write_text(pages.main_article(), encoding="utf-8")
            # A saved real news page (Readability's test pages, beside the repository).
            (site / "real").mkdir()
            (site / "real" / "index.html").write_bytes((REAL_PAGE / "source.html").read_bytes())
            if only_firefox:
                with harness.page_server(site) as port:
                    firefox_shots(server, port, work)
                print(f"wrote the Firefox screenshot to {OUT}")
                return
            with harness.page_server(site) as port, harness.browser(work / "p") as (ctx, ext_id):
                # 1. Installing: chrome://extensions with developer mode on, Gloss loaded.
                page = ctx.new_page()
                page.goto("chrome://extensions")
                page.locator("#devMode").click()
                page.locator("#loadUnpacked").wait_for()
                page.screenshot(path=str(OUT / "extension-install.png"))
                page.close()

                # 2. Options: server, token, sites, and the status line.
                page = ctx.new_page()
                page.set_viewport_size({"width": 760, "height": 560})
                page.goto(f"chrome-extension://{ext_id}/options.html")
                page.fill("#server-url", server.base_url)
                page.fill("#token", server.token)
                page.fill("#sites", "http://127.0.0.1/*")
                page.click("#save")
                page.wait_for_selector("#status[data-state=ok]")
                page.screenshot(path=str(OUT / "extension-options.png"))
                page.close()

                # 3. A real news page as a reader first sees it: the article only, the first
                # mention of each name and term (its scripts and images are blocked).
                page = ctx.new_page()
                page.set_viewport_size({"width": 1100, "height": 800})
                local = f"http://127.0.0.1:{port}/"
                allowed = (local, "chrome-extension://")  # the page, and Gloss's own frame
                page.route(
                    "**/*",
                    lambda route: (
                        route.continue_()
                        if route.request.url.startswith(allowed)
                        else route.abort()
                    ),
                )
                page.goto(f"{local}real/index.html", wait_until="domcontentloaded")
                harness.wait_state(page, timeout=90000)
                # The story starts below the menus (no style sheet loads): scroll to its body.
                page.evaluate(
                    """() => { const r = [...CSS.highlights.values()].flatMap(h => [...h])
                      .find(r => r.startContainer.parentElement.closest('p'));
                    if (r) window.scrollTo(0, r.getBoundingClientRect().top + scrollY - 200); }"""
                )
                page.screenshot(path=str(OUT / "extension-real-page.png"))
                # An entity's card and a term's card on it.
                for name, text, shot in (
                    ("gloss-entity", "Obama", "extension-real-entity-card.png"),
                    ("gloss-term", "gun safety laws", "extension-real-term-card.png"),
                ):
                    point = harness.highlight_point(page, name, text)
                    assert point, f"{text} is not drawn"
                    page.mouse.move(point["x"] - 30, point["y"] - 30)
                    page.mouse.move(point["x"], point["y"], steps=3)
                    page.locator(harness.CARD_FRAME).wait_for(state="visible")
                    page.wait_for_timeout(200)
                    page.screenshot(path=str(OUT / shot))
                    page.mouse.move(5, 5)
                    harness.wait_card_closed(page)
                page.close()

                # 4. The highlighted test page, and a term's card.
                page = ctx.new_page()
                page.goto(f"http://127.0.0.1:{port}/article.html")
                harness.wait_state(page)
                page.screenshot(path=str(OUT / "extension-page.png"))
                box = harness.word_rect(page, "inference")  # its first mention: the headline
                page.mouse.move(box["x"], box["y"], steps=3)
                page.locator(harness.CARD_FRAME).wait_for(state="visible")
                page.wait_for_timeout(200)
                page.screenshot(path=str(OUT / "extension-card.png"))
                page.mouse.move(5, 700)
                harness.wait_card_closed(page)
                box = harness.word_rect(page, "DeepSeek")
                page.mouse.move(box["x"], box["y"], steps=3)
                harness.card_frame(page).locator(".card", has_text="DeepSeek").wait_for()
                page.locator(harness.CARD_FRAME).wait_for(state="visible")
                page.wait_for_timeout(200)
                page.screenshot(path=str(OUT / "extension-entity-card.png"))

                # 5. Saving a highlight: the compact form by the selection.
                page.mouse.move(5, 700)
                harness.wait_card_closed(page)
                harness.select_text(page, pages.HIGHLIGHT)
                form = harness.save_frame(page)
                form.locator("button.pill").click()
                form.locator("textarea[name=note]").fill("Costs drive adoption")
                form.locator("input[name=tags]").fill("cost, adoption")
                page.screenshot(path=str(OUT / "extension-save.png"))
                form.locator("button.save").click()
                page.wait_for_function("document.documentElement.dataset.glossSaved === '1'")

                # 6. The popup for that tab.
                popup = ctx.new_page()
                popup.set_viewport_size({"width": 330, "height": 600})
                popup.goto(f"chrome-extension://{ext_id}/popup.html?tab=0")
                tab_id = popup.evaluate(
                    "async () => (await chrome.tabs.query({}))"
                    ".find(t => t.url && t.url.includes('article.html')).id"
                )
                popup.goto(f"chrome-extension://{ext_id}/popup.html?tab={tab_id}")
                popup.wait_for_selector("#status[data-state=annotated]")
                popup.screenshot(path=str(OUT / "extension-popup.png"))
            # 7. Firefox: the same page, a card open (after Chromium: one browser at a time).
            with harness.page_server(site) as port:
                firefox_shots(server, port, work)
        finally:
            server.stop()
    print(f"wrote screenshots to {OUT}")


if __name__ == "__main__":
    main()
