"""A hostile page script against the extension, in real Chromium (issue 16, point 1).

The page fakes the reader's keys, pointer, focus and selection, reads everything it can reach,
forges the frame handshake and embeds Gloss's frame itself: it gets nothing and stores nothing.
The reader's own hover, keyboard and save still work on the same page.
"""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

import pytest

from tests.e2e import harness, pages

pytestmark = pytest.mark.e2e

NOTE = "Confidential note about the committee"
RELATED = "Nvidia quietly plans a cheaper chip"
COLLECTION = "Secret plans"
# Team data the page must never read: definitions, the glossary's name, a collection's name, a
# teammate's note, the title of a stored article.
SECRETS = [
    *("Running a trained model", "Training a small model", "AI desk"),
    *(COLLECTION, NOTE, RELATED),
]


def stored_on(server: harness.Server, url: str) -> list[dict[str, Any]]:
    return list(server.call("GET", "/v1/annotations", params={"url": url})["items"])


def test_a_page_script_cannot_read_or_drive_gloss(
    page: Any,
    site: dict[str, Any],
    glossary: str,
    gloss_server: harness.Server,
    configured: tuple[Any, str],
) -> None:
    _, extension_id = configured
    (site["root"] / "hostile.html").write_text(pages.hostile_article(), encoding="utf-8")
    query = urllib.parse.urlencode({"secrets": json.dumps(SECRETS), "ext": extension_id})
    url = f"{site['auto']}/hostile.html?{query}"
    collection = gloss_server.create_collection(COLLECTION)
    gloss_server.call(
        "POST",
        "/v1/articles",
        json={
            "url": "https://wire.example/nvidia-chip",
            "title": RELATED,
            "text": "Nvidia plans a cheaper chip for inference, people familiar with it said.",
            "team_id": gloss_server.team_id(),
        },
    )
    teammate = "Engineers in Beijing described the sandboxing they use"
    gloss_server.call(
        "POST",
        f"/v1/collections/{collection}/annotations/",
        json={
            "type": "Annotation",
            "body": [{"type": "TextualBody", "value": NOTE, "purpose": "commenting"}],
            "target": {
                "source": url,
                "selector": [{"type": "TextQuoteSelector", "exact": teammate}],
            },
        },
    )
    assert len(stored_on(gloss_server, url)) == 1

    page.goto(url)
    harness.wait_state(page)
    page.wait_for_function("document.documentElement.dataset.glossSaved === '1'")

    # The attack, before the reader does anything.
    page.evaluate("__attack(1)")
    found = page.evaluate("__hostile")
    assert found["leaks"] == [], found
    assert found["replies"] == [], "a forged handshake got an answer"
    assert set(found["frames"]) <= {"null", "blocked"}, found["frames"]
    # No card, no save button: Gloss made no frame for the page's fake events.
    assert page.locator(harness.CARD_FRAME).count() == 0
    assert page.locator(harness.SAVE_FRAME).count() == 0
    # Gloss's frame, embedded by the page and driven with a forged channel, shows nothing.
    assert page.frame_locator("#rogue").locator("#root").inner_html() == ""
    # Nothing was stored in the reader's name.
    assert len(stored_on(gloss_server, url)) == 1

    # The reader's own pointer opens a card; the page, watching, still reads nothing.
    box = harness.word_rect(page, "Nvidia")
    page.mouse.move(box["x"] - 40, box["y"] - 40)
    page.mouse.move(box["x"], box["y"], steps=3)
    page.locator(harness.CARD_FRAME).wait_for(state="visible", timeout=10000)
    assert RELATED in harness.card_frame(page).locator(".card").inner_text()
    # The teammate's note shows on hover of their highlight, in Gloss's frame only.
    page.mouse.move(5, 700)
    harness.wait_card_closed(page)
    box = harness.word_rect(page, "sandboxing")
    page.mouse.move(box["x"], box["y"], steps=3)
    harness.card_frame(page).locator(".saved", has_text=NOTE).wait_for(timeout=10000)
    page.locator(harness.CARD_FRAME).wait_for(state="visible", timeout=10000)
    page.mouse.move(5, 700)
    harness.wait_card_closed(page)

    # The attack again, now that Gloss's frames exist (and with the keyboard's card open).
    page.keyboard.press("Alt+Shift+N")
    page.locator(harness.CARD_FRAME).wait_for(state="visible", timeout=10000)
    shown = harness.card_frame(page).locator("[role=dialog]").inner_text()
    page.evaluate("__attack(2)")
    found = page.evaluate("__hostile")
    assert found["leaks"] == [], found
    assert found["replies"] == [], "a forged handshake got an answer"
    assert set(found["frames"]) <= {"null", "blocked"}, found["frames"]
    # The forged "show this card" did not replace what the reader is reading.
    assert harness.card_frame(page).locator("[role=dialog]").inner_text() == shown
    assert len(stored_on(gloss_server, url)) == 1
    page.keyboard.press("Escape")
    harness.wait_card_closed(page)

    # The reader's own selection and clicks save a highlight.
    harness.select_text(page, pages.HIGHLIGHT)
    form = harness.save_frame(page)
    form.locator("button.pill").click()
    form.locator("select[name=collection]").select_option(collection)
    form.locator("textarea[name=note]").fill("Mine")
    form.locator("button.save").click()
    harness.wait_until(lambda: len(stored_on(gloss_server, url)) == 2, what="the reader's save")
    assert page.evaluate("__hostile.leaks") == []
