"""Cards, the keyboard and saving in Gloss's own frame, in real Chromium (issues 14 and 16).

The save form creates a collection and remembers the last one per site; a saved highlight's card
shows its note and tags and edits or deletes it; the keyboard goes into a card and back; axe-core
finds no serious or critical violation on a page with highlights and an open card.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e import harness, pages

pytestmark = pytest.mark.e2e


def annotations_on(server: harness.Server, url: str) -> list[dict[str, Any]]:
    return list(server.call("GET", "/v1/annotations", params={"url": url})["items"])


def open_form(page: Any, text: str) -> Any:
    harness.select_text(page, text)
    form = harness.save_frame(page)
    form.locator("button.pill").click()
    form.locator("select[name=collection]").wait_for()
    return form


def test_the_save_form_creates_a_collection_and_remembers_it(
    page: Any, site: dict[str, Any], glossary: str, gloss_server: harness.Server
) -> None:
    (site["root"] / "create.html").write_text(pages.main_article(), encoding="utf-8")
    url = site["auto"] + "/create.html"
    team = gloss_server.call("GET", "/v1/me")["teams"][0]
    gloss_server.create_collection("Another list")
    page.goto(url)
    harness.wait_state(page)

    form = open_form(page, pages.HIGHLIGHT)
    # Each collection says which team shares it.
    labels = form.locator("select[name=collection] option").all_inner_texts()
    assert f"Another list · {team['name']}" in labels, labels
    form.locator("select[name=collection]").select_option(label=f"Another list · {team['name']}")
    assert not form.locator(".new-collection").is_visible()
    form.locator("select[name=collection]").select_option("__new__")
    assert form.locator(".new-collection").is_visible()
    form.locator("input[name=new-collection]").fill("Field notes")
    assert form.locator("select[name=team]").input_value() == team["id"]
    form.locator("textarea[name=note]").fill("Worth a follow-up")
    form.locator("button.save").click()
    harness.wait_until(lambda: len(annotations_on(gloss_server, url)) == 1, what="the save")
    created = [
        c
        for c in gloss_server.call("GET", "/v1/collections")["items"]
        if c["name"] == "Field notes"
    ]
    assert len(created) == 1
    assert created[0]["team_id"] == team["id"]
    assert created[0]["total"] == 1
    page.locator(harness.SAVE_FRAME).wait_for(state="hidden")

    # The next save on this site starts in the collection used last here.
    form = open_form(page, "Engineers in Beijing described")
    assert form.locator("select[name=collection]").input_value() == created[0]["id"]
    # The form sits beside the text, not over the passage it saves.
    frame_box = page.locator(harness.SAVE_FRAME).bounding_box()
    line = harness.word_rect(page, "Engineers")
    overlaps = not (
        frame_box["x"] >= line["left"] + line["width"]
        or frame_box["x"] + frame_box["width"] <= line["left"]
        or frame_box["y"] >= line["top"] + line["height"]
        or frame_box["y"] + frame_box["height"] <= line["top"]
    )
    assert not overlaps, (frame_box, line)
    page.keyboard.press("Escape")
    page.locator(harness.SAVE_FRAME).wait_for(state="hidden")


def test_a_saved_highlight_shows_its_note_and_can_be_edited_and_deleted(
    page: Any, site: dict[str, Any], glossary: str, gloss_server: harness.Server
) -> None:
    (site["root"] / "saved.html").write_text(pages.main_article(), encoding="utf-8")
    url = site["auto"] + "/saved.html"
    collection = gloss_server.create_collection("Desk notes")
    passage = "Engineers in Beijing described the sandboxing they use"
    gloss_server.call(
        "POST",
        f"/v1/collections/{collection}/annotations/",
        json={
            "type": "Annotation",
            "body": [
                {"type": "TextualBody", "value": "First note", "purpose": "commenting"},
                {"type": "TextualBody", "value": "security", "purpose": "tagging"},
            ],
            "target": {
                "source": url,
                "selector": [{"type": "TextQuoteSelector", "exact": passage}],
            },
        },
    )
    page.goto(url)
    harness.wait_state(page)
    page.wait_for_function("document.documentElement.dataset.glossSaved === '1'")

    box = harness.word_rect(page, "Beijing")
    page.mouse.move(box["x"], box["y"], steps=3)
    card = harness.card_frame(page).locator(".saved")
    page.locator(harness.CARD_FRAME).wait_for(state="visible", timeout=10000)
    assert "First note" in card.inner_text()
    assert harness.card_frame(page).locator(".tags li").all_inner_texts() == ["security"]

    # Edit: a new note, a tag more, another colour.
    harness.card_frame(page).locator("button.edit").click()
    form = harness.card_frame(page).locator("form")
    form.locator("textarea[name=note]").fill("Second note")
    form.locator("input[name=tags]").fill("security, sandbox")
    form.locator("input[value=blue]").check()
    form.locator("button.save").click()
    harness.card_frame(page).locator(".saved", has_text="Second note").wait_for(timeout=10000)
    stored = annotations_on(gloss_server, url)
    values = {b["value"]: b.get("purpose") for b in stored[0]["body"]}
    assert values == {"Second note": "commenting", "security": "tagging", "sandbox": "tagging"}
    assert stored[0]["color"] == "blue"
    page.wait_for_function("CSS.highlights.get('gloss-saved-blue')?.size === 1")

    # Delete asks once more, then the highlight leaves the server and the page.
    harness.card_frame(page).locator("button.delete").click()
    assert "whole team" in harness.card_frame(page).locator("button.delete").inner_text()
    harness.card_frame(page).locator("button.delete").click()
    harness.wait_until(lambda: annotations_on(gloss_server, url) == [], what="the delete")
    page.wait_for_function("document.documentElement.dataset.glossSaved === '0'")
    harness.wait_card_closed(page)


def _serious(results: dict[str, Any]) -> list[str]:
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']]}"
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_axe_finds_nothing_serious_with_highlights_and_an_open_card(
    page: Any, site: dict[str, Any], glossary: str
) -> None:
    page.goto(site["auto"] + "/article.html")
    harness.wait_state(page)
    page.keyboard.press("Alt+Shift+N")
    page.locator(harness.CARD_FRAME).wait_for(state="visible", timeout=10000)
    source = harness.AXE.read_text(encoding="utf-8")
    page.evaluate(source)
    on_page = page.evaluate("axe.run(document, {iframes: false, resultTypes: ['violations']})")
    assert _serious(on_page) == []
    frame = next(f for f in page.frames if "frame.html?role=card" in f.url)
    frame.evaluate(source)
    in_card = frame.evaluate("axe.run(document, {resultTypes: ['violations']})")
    assert _serious(in_card) == []
    page.keyboard.press("Escape")

    # And in the save form.
    open_form(page, pages.HIGHLIGHT)
    frame = next(f for f in page.frames if "frame.html?role=save" in f.url)
    frame.evaluate(source)
    assert _serious(frame.evaluate("axe.run(document, {resultTypes: ['violations']})")) == []
