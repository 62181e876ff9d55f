"""The browser extension in real Chromium: page load to highlights drawn, script time to draw
spans, and whether drawing moves any element of the page."""

from __future__ import annotations

import statistics
import tempfile
from pathlib import Path
from typing import Any

from tests.e2e import harness, pages

# Recorded in the page's own world: the first highlight (the count leaves 0), the last (the page
# is marked annotated), long tasks on the main thread, and layout shifts.
TIMING_SCRIPT = """
(() => {
  window.__longTasks = [];
  window.__shift = 0;
  try {
    new PerformanceObserver((l) => l.getEntries().forEach((e) => __longTasks.push(e.duration)))
      .observe({ type: 'longtask', buffered: true });
    new PerformanceObserver((l) => l.getEntries().forEach((e) => { window.__shift += e.value; }))
      .observe({ type: 'layout-shift', buffered: true });
  } catch (e) {}
  const mark = () => {
    const d = document.documentElement.dataset;
    if (Number(d.glossCount) > 0 && !window.__glossFirstAt) {
      window.__glossFirstAt = performance.now();
    }
    if (d.glossState === 'annotated' && !window.__glossDrawnAt) {
      window.__glossDrawnAt = performance.now();
    }
  };
  new MutationObserver(mark).observe(document, {
    attributes: true, subtree: true, attributeFilter: ['data-gloss-state', 'data-gloss-count'] });
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
            sizes = {1000: "words-1000", 5000: "words-5000", 20000: "words-20000"}
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
                # Every mention, not only the first: the drawing figures need the spans.
                harness.set_display(context, extension_id, first_only=False)
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
    pieces: dict[int, dict[str, Any]] = {}
    texts: dict[int, str] = {}
    for words, name in sizes.items():
        loads, drawn, spans, draw_ms, server_ms = [], [], 0, [], []
        first, last, long_tasks, shifts, n_pieces = [], [], [], [], ""
        for i in range(repeats + 1):  # the first run warms the server up and is dropped
            page = context.new_page()
            page.add_init_script(TIMING_SCRIPT)
            page.goto(f"http://127.0.0.1:{port}/{name}-{i}.html")
            harness.wait_state(page)
            page.wait_for_function("window.__glossDrawnAt !== undefined")
            t = page.evaluate(
                """[performance.getEntriesByType('navigation')[0].loadEventEnd,
                    window.__glossDrawnAt,
                    performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd,
                    window.__glossFirstAt, window.__longTasks, window.__shift]"""
            )
            loads.append(t[0])
            drawn.append(t[1])
            first.append(t[3] - t[2])
            last.append(t[1] - t[2])
            long_tasks.append(t[4])
            shifts.append(t[5])
            n_pieces = page.locator("html").get_attribute("data-gloss-pieces") or ""
            if i == 1:
                texts[words] = page.inner_text("article")
            spans = int(page.locator("html").get_attribute("data-gloss-count"))
            draw_ms.append(float(page.locator("html").get_attribute("data-gloss-draw-ms")))
            server_ms.append(float(page.locator("html").get_attribute("data-gloss-server-ms")))
            if words == 5000 and "baseline" not in draw:
                n, ms = page.evaluate(WRAP_BASELINE)
                draw["baseline"], draw["baseline_n"] = ms, n
            page.close()
        loads, drawn, draw_ms, server_ms = loads[1:], drawn[1:], draw_ms[1:], server_ms[1:]
        rows.append((words, spans, _median(loads), _median(drawn), _median(server_ms)))
        tasks = [d for run in long_tasks[1:] for d in run]
        pieces[words] = {
            "first": _median(first[1:]),
            "last": _median(last[1:]),
            "long": len(tasks) / max(1, len(long_tasks) - 1),
            "longest": max(tasks, default=0.0),
            "shift": max(shifts[1:], default=0.0),
            "pieces": n_pieces,
        }
        if words == 5000:
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
        f"| ratio Gloss / baseline | | | {per_1000 / baseline_per_1000:.3f} |",
        "",
        f"Layout: {len(before)} elements of the 1,000-word page measured before and after "
        f"{layout_spans} highlights were drawn: {moved} moved or resized "
        f"(largest change {worst:.1f} px).",
    ]
    lines += _pieces_table(pieces, texts, repeats)
    return "\n".join(lines)


def _bare_nlp_ms(texts: dict[int, str]) -> dict[int, float]:
    """The baseline for the last highlight: a bare `nlp(text)` of the same article text, in this
    process (the model loaded once and warmed first), median of three."""
    import time

    from gloss.nlp.engine import load_bare_model

    nlp = load_bare_model()
    nlp("Warm up the pipeline with a first sentence about Nvidia in Paris.")
    out = {}
    for words, text in texts.items():
        runs = []
        for _ in range(3):
            t0 = time.perf_counter()
            nlp(text)
            runs.append((time.perf_counter() - t0) * 1000)
        out[words] = _median(runs)
    return out


def _pieces_table(
    pieces: dict[int, dict[str, Any]], texts: dict[int, str], repeats: int
) -> list[str]:
    lines = [
        "",
        "### First highlight at once (issue 15)",
        "",
        "The article is sent in pieces of whole blocks (about 300 words), what is on screen first, "
        "two requests in flight; each answer is drawn as it comes. Times from the page's "
        "`DOMContentLoaded` to the first highlight and to the last; long tasks (over 50 ms) and "
        f"layout shift seen by the page's own `PerformanceObserver`; median of {repeats} runs. "
        "The baseline is a bare `nlp(text)` of the same article text with the same model, in the "
        "benchmark's process.",
        "",
        "| page | pieces | first highlight | last highlight | bare `nlp(text)` | last / bare "
        "| long tasks a load (longest) | layout shift |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    bare_ms = _bare_nlp_ms(texts)
    for words, p in pieces.items():
        bare = bare_ms.get(words, float("nan"))
        lines.append(
            f"| {words:,} words | {p['pieces'].split('/')[-1]} | {p['first']:.0f} ms | "
            f"{p['last']:.0f} ms | {bare:.0f} ms | {p['last'] / bare:.2f} | "
            f"{p['long']:.1f} ({p['longest']:.0f} ms) | {p['shift']:.3f} |"
        )
    return lines
