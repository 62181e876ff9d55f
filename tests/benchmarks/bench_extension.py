"""The browser extension in real Chromium: page load to highlights drawn, script time to draw
spans, and whether drawing moves any element of the page."""

from __future__ import annotations

import statistics
import tempfile
from pathlib import Path
from typing import Any

from tests.e2e import harness, pages

# Recorded in the page's own world: when the content script marks the page annotated.
TIMING_SCRIPT = """
(() => {
  const mark = () => {
    const d = document.documentElement.dataset;
    if (d.glossState === 'annotated' && !window.__glossDrawnAt) {
      window.__glossDrawnAt = performance.now();
    }
  };
  new MutationObserver(mark).observe(document, {
    attributes: true, subtree: true, attributeFilter: ['data-gloss-state'] });
})();
"""

RECTS = """() => [...document.querySelectorAll('body *')].map(e => {
  const r = e.getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; })"""

# Baseline: wrapping the same ranges in <mark> elements, as a DOM-wrapping highlighter does.
WRAP_BASELINE = """() => {
  const all = (n) => [...(CSS.highlights.get(n) || [])];
  const ranges = [...all('gloss-term'), ...all('gloss-entity')];
  const t0 = performance.now();
  for (const r of ranges.reverse()) {
    if (r.startContainer !== r.endContainer) continue;
    const m = document.createElement('mark');
    try { r.surroundContents(m); } catch (e) {}
  }
  document.body.getBoundingClientRect();
  return [ranges.length, performance.now() - t0];
}"""


def _median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def run(quick: bool) -> str:
    repeats = 2 if quick else 5
    if not harness.chromium_available():
        return (
            "## Extension in Chromium\n\nNot measured: needs /usr/bin/chromium and extension/dist."
        )
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        server = harness.start_server(work)
        try:
            server.create_glossary("AI desk", pages.GLOSSARY)
            site = work / "site"
            site.mkdir()
            # A different text for every run (seeded), so the server's result cache never answers.
            sizes = {1000: "words-1000", 10000: "words-10000"}
            for words, name in sizes.items():
                for i in range(repeats + 1):
                    text = pages.long_article(words, seed=i)
                    (site / f"{name}-{i}.html").write_text(text, encoding="utf-8")
            with (
                harness.page_server(site) as port,
                harness.browser(work / "profile") as (
                    context,
                    extension_id,
                ),
            ):
                harness.configure(context, extension_id, server, "http://127.0.0.1/*")
                return _measure(context, extension_id, server, port, sizes, repeats)
        finally:
            server.stop()


def _measure(
    context: Any,
    extension_id: str,
    server: harness.Server,
    port: int,
    sizes: dict[int, str],
    repeats: int,
) -> str:
    rows = []
    draw: dict[str, float] = {}
    for words, name in sizes.items():
        loads, drawn, spans, draw_ms, server_ms = [], [], 0, [], []
        for i in range(repeats + 1):  # the first run warms the server up and is dropped
            page = context.new_page()
            page.add_init_script(TIMING_SCRIPT)
            page.goto(f"http://127.0.0.1:{port}/{name}-{i}.html")
            harness.wait_state(page)
            page.wait_for_function("window.__glossDrawnAt !== undefined")
            t = page.evaluate(
                """[performance.getEntriesByType('navigation')[0].loadEventEnd,
                    window.__glossDrawnAt]"""
            )
            loads.append(t[0])
            drawn.append(t[1])
            spans = int(page.locator("html").get_attribute("data-gloss-count"))
            draw_ms.append(float(page.locator("html").get_attribute("data-gloss-draw-ms")))
            server_ms.append(float(page.locator("html").get_attribute("data-gloss-server-ms")))
            if words == 10000 and "baseline" not in draw:
                n, ms = page.evaluate(WRAP_BASELINE)
                draw["baseline"], draw["baseline_n"] = ms, n
            page.close()
        loads, drawn, draw_ms, server_ms = loads[1:], drawn[1:], draw_ms[1:], server_ms[1:]
        rows.append((words, spans, _median(loads), _median(drawn), _median(server_ms)))
        if words == 10000:
            draw["ms"], draw["spans"] = _median(draw_ms), spans

    # Layout: snapshot every element, annotate on demand (localhost is not an automatic site),
    # snapshot again.
    page = context.new_page()
    page.goto(f"http://localhost:{port}/words-1000-1.html")
    page.wait_for_load_state("load")
    before = page.evaluate(RECTS)
    popup = context.new_page()
    popup.goto(f"chrome-extension://{extension_id}/popup.html?tab=0")
    tab_id = popup.evaluate(
        """async () => (await chrome.tabs.query({}))
             .find(t => t.url && t.url.includes('localhost')).id"""
    )
    popup.goto(f"chrome-extension://{extension_id}/popup.html?tab={tab_id}")
    popup.click("#annotate")
    harness.wait_state(page)
    after = page.evaluate(RECTS)
    moved = sum(1 for a, b in zip(before, after, strict=True) if a != b)
    worst = max(
        (
            max(abs(x - y) for x, y in zip(a, b, strict=True))
            for a, b in zip(before, after, strict=True)
        ),
        default=0.0,
    )
    layout_spans = page.locator("html").get_attribute("data-gloss-count")
    page.close()
    popup.close()

    per_1000 = draw["ms"] * 1000 / max(1, draw["spans"])
    baseline_per_1000 = draw["baseline"] * 1000 / max(1, draw["baseline_n"])
    lines = [
        "## Extension in Chromium",
        "",
        f"Debian's Chromium (headless) with extension/dist loaded, against `{server.kind}` on "
        f"loopback; local article pages, a different text each run; median of {repeats} runs "
        "after one warm-up. "
        "Times are from the page's navigation start (`performance.now()` in the page).",
        "",
        "| page | spans drawn | load event (baseline) | highlights drawn | drawn after load "
        "| of which the server's annotate (`elapsed_ms`) |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for words, spans, load, drawn_at, server in rows:
        lines.append(
            f"| {words:,} words | {spans} | {load:.0f} ms | {drawn_at:.0f} ms | "
            f"{drawn_at - load:.0f} ms | {server:.0f} ms |"
        )
    lines += [
        "",
        "Drawing is script time in the content script (ranges from the offset map, added to CSS "
        "Custom Highlights), against a baseline of wrapping the same ranges in `<mark>` elements "
        "in the page:",
        "",
        "| drawing | spans | script time | per 1,000 spans |",
        "| --- | ---: | ---: | ---: |",
        f"| Gloss (CSS Custom Highlight API) | {draw['spans']} | {draw['ms']:.1f} ms | "
        f"{per_1000:.1f} ms |",
        f"| baseline: `<mark>` wrapping | {draw['baseline_n']} | {draw['baseline']:.1f} ms | "
        f"{baseline_per_1000:.1f} ms |",
        f"| ratio Gloss / baseline | | | {per_1000 / baseline_per_1000:.2f} |",
        "",
        f"Layout: {len(before)} elements of the 1,000-word page measured before and after "
        f"{layout_spans} highlights were drawn: {moved} moved or resized "
        f"(largest change {worst:.1f} px).",
    ]
    return "\n".join(lines)
