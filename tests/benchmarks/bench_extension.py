"""The browser extension in real Chromium and Firefox ESR, in one run: page load to highlights
drawn, script time to draw spans, and whether drawing moves any element of the page."""

from __future__ import annotations

import statistics
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from tests.e2e import browsers, harness, pages

HEADING = "## Extension in Chromium and Firefox"
# The section this one was called before Firefox joined it (tests/benchmarks/__main__.py drops it).
REPLACES = ["## Extension in Chromium"]

# Recorded in the page's own world (the script is the first in each page's head): the first
# highlight (the count leaves 0), the last (the page is marked annotated), long tasks on the main
# thread, and layout shifts.
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


def _with_timing(html: str) -> str:
    """The page with the timing script first in its head, so it runs before anything of Gloss's
    in either browser (Marionette has no init scripts)."""
    return html.replace("<head>", f"<head><script>{TIMING_SCRIPT}</script>", 1)


def run(quick: bool) -> str:
    repeats = 2 if quick else 5
    available = [b for b in browsers.BROWSERS if not browsers.prerequisites_missing(b)]
    missing = {
        b: browsers.prerequisites_missing(b)[0] for b in browsers.BROWSERS if b not in available
    }
    if not available:
        return f"{HEADING}\n\nNot measured: " + "; ".join(missing.values()) + "."
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        # Some 800 piece requests from one token in half a minute (two browsers, five runs,
        # three sizes): past the per-token limit of 1,200 a minute, which a reader never
        # reaches; the limit is off here, as in the load benchmark.
        server = harness.start_server(work, GLOSS_RATE_LIMIT_PER_MINUTE="0")
        try:
            server.create_glossary("AI desk", pages.GLOSSARY)
            site = work / "site"
            site.mkdir()
            # A different text for every run (seeded), so the server's result cache never answers;
            # each browser reads pages of its own for the same reason.
            sizes = {1000: "words-1000", 5000: "words-5000", 20000: "words-20000"}
            for name in available:
                (site / name).mkdir()
                for words, stem in sizes.items():
                    for i in range(repeats + 1):
                        text = _with_timing(pages.long_article(words, seed=i + 100 * len(name)))
                        (site / name / f"{stem}-{i}.html").write_text(text, encoding="utf-8")
            results: dict[str, dict[str, Any]] = {}
            with harness.page_server(site) as port:
                for name in available:
                    with browsers.launch(name, work) as browser:
                        browser.configure(server, "http://127.0.0.1/*")
                        # Every mention, not only the first: the drawing figures need the spans.
                        browser.set_display(first_only=False)
                        results[name] = _measure(browser, port, sizes, repeats)
                        results[name]["version"] = _version(browser)
            return _report(results, missing, server.kind, repeats)
        finally:
            server.stop()


def _version(browser: browsers.Browser) -> str:
    """The browser's name and full version, as its binary says it ("Chromium 143.0.7499.169",
    "Firefox 153.8.0esr")."""
    binary = harness.CHROMIUM if browser.name == "chromium" else browsers.FIREFOX
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=60)
    words = out.stdout.split()
    return " ".join(words[-2:] if browser.name == "firefox" else words[:2])


def _measure(
    browser: browsers.Browser, port: int, sizes: dict[int, str], repeats: int
) -> dict[str, Any]:
    rows = []
    draw: dict[str, float] = {}
    pieces: dict[int, dict[str, Any]] = {}
    texts: dict[int, str] = {}
    draw_by_size: dict[int, float] = {}
    base = f"http://127.0.0.1:{port}/{browser.name}"
    observed: list[str] = []
    for words, name in sizes.items():
        loads, drawn, spans, draw_ms, server_ms = [], [], 0, [], []
        first, last, long_tasks, shifts, n_pieces = [], [], [], [], ""
        for i in range(repeats + 1):  # the first run warms the server up and is dropped
            tab = browser.new_tab()
            tab.goto(f"{base}/{name}-{i}.html")
            tab.wait_state()
            tab.wait_for("() => window.__glossDrawnAt !== undefined")
            t = tab.evaluate(
                """() => [performance.getEntriesByType('navigation')[0].loadEventEnd,
                    window.__glossDrawnAt,
                    performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd,
                    window.__glossFirstAt, window.__longTasks, window.__shift,
                    PerformanceObserver.supportedEntryTypes]"""
            )
            loads.append(t[0])
            drawn.append(t[1])
            first.append(t[3] - t[2])
            last.append(t[1] - t[2])
            long_tasks.append(t[4])
            shifts.append(t[5])
            observed = t[6]
            n_pieces = tab.attr("data-gloss-pieces") or ""
            if i == 1:
                texts[words] = tab.text("article")
            spans = int(tab.attr("data-gloss-count") or 0)
            draw_ms.append(float(tab.attr("data-gloss-draw-ms") or "nan"))
            server_ms.append(float(tab.attr("data-gloss-server-ms") or "nan"))
            if words == 5000 and "baseline" not in draw:
                n, ms = tab.evaluate(WRAP_BASELINE)
                draw["baseline"], draw["baseline_n"] = ms, n
            tab.close()
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
            "spans": spans,
        }
        draw_by_size[words] = _median(draw_ms)
        if words == 5000:
            draw["ms"], draw["spans"] = _median(draw_ms), spans

    # Layout: snapshot every element, annotate on demand (localhost is not an automatic site),
    # snapshot again.
    url = f"http://localhost:{port}/{browser.name}/words-1000-1.html"
    tab = browser.new_tab()
    tab.goto(url)
    tab.wait_for("() => document.readyState === 'complete'")
    before = tab.evaluate(RECTS)
    popup = browser.popup(url)
    popup.click("#annotate")
    tab.wait_state()
    after = tab.evaluate(RECTS)
    moved = sum(1 for a, b in zip(before, after, strict=True) if a != b)
    worst = max(
        (
            max(abs(x - y) for x, y in zip(a, b, strict=True))
            for a, b in zip(before, after, strict=True)
        ),
        default=0.0,
    )
    layout_spans = tab.attr("data-gloss-count")
    tab.close()
    popup.close()
    return {
        "rows": rows,
        "draw": draw,
        "draw_by_size": draw_by_size,
        "pieces": pieces,
        "texts": texts,
        "layout": {"elements": len(before), "moved": moved, "worst": worst, "spans": layout_spans},
        "longtask": "longtask" in observed,
        "layout_shift": "layout-shift" in observed,
    }


def _report(
    results: dict[str, dict[str, Any]], missing: dict[str, str], kind: str, repeats: int
) -> str:
    names = " and ".join(r["version"] for r in results.values())
    lines = [
        HEADING,
        "",
        f"{names}, headless, each with the built extension loaded (extension/dist, "
        f"extension/dist-firefox as a temporary add-on), one after the other against the same "
        f"`{kind}` on loopback; local article pages, a different text each run; median of "
        f"{repeats} runs after one warm-up. Times are from the page's navigation start "
        "(`performance.now()` in the page; Firefox rounds it to 1 ms).",
    ]
    for name, why in missing.items():
        lines += ["", f"**Not measured in {name}**: {why}."]
    lines += [
        "",
        "| browser | page | spans drawn | load event (baseline) | highlights drawn "
        "| drawn after load | of which the server's annotate (`elapsed_ms`) |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results.values():
        for words, spans, load, drawn_at, server in r["rows"]:
            lines.append(
                f"| {r['version']} | {words:,} words | {spans} | {load:.0f} ms | "
                f"{drawn_at:.0f} ms | {drawn_at - load:.0f} ms | {server:.0f} ms |"
            )
    lines += [
        "",
        "Drawing is script time in the content script (ranges from the offset map, added to CSS "
        "Custom Highlights), against a baseline of wrapping the same ranges in `<mark>` elements "
        "in the page, in the same browser, on the 5,000-word page:",
        "",
        "| browser | drawing | spans | script time | per 1,000 spans |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for r in results.values():
        d = r["draw"]
        per_1000 = d["ms"] * 1000 / max(1, d["spans"])
        baseline_per_1000 = d["baseline"] * 1000 / max(1, d["baseline_n"])
        lines += [
            f"| {r['version']} | Gloss (CSS Custom Highlight API) | {d['spans']} | "
            f"{d['ms']:.1f} ms | {per_1000:.1f} ms |",
            f"| {r['version']} | baseline: `<mark>` wrapping | {d['baseline_n']} | "
            f"{d['baseline']:.1f} ms | {baseline_per_1000:.1f} ms |",
            f"| {r['version']} | ratio Gloss / baseline | | | "
            f"{per_1000 / baseline_per_1000 if baseline_per_1000 else float('nan'):.3f} |",
        ]
    lines.append("")
    for r in results.values():
        lay = r["layout"]
        lines.append(
            f"Layout in {r['version']}: {lay['elements']} elements of the 1,000-word page "
            f"measured before and after {lay['spans']} highlights were drawn: {lay['moved']} "
            f"moved or resized (largest change {lay['worst']:.1f} px)."
        )
        lines.append("")
    lines += _pieces_table(results, repeats)
    lines += _side_by_side(results)
    return "\n".join(lines).rstrip()


def _bare_nlp_ms(texts: dict[str, dict[int, str]]) -> dict[str, dict[int, float]]:
    """The baseline for the last highlight: a bare `nlp(text)` of the same article text each
    browser read, in this process (the model loaded once and warmed first), median of three."""
    import time

    from gloss.nlp.engine import load_bare_model

    nlp = load_bare_model()
    nlp("Warm up the pipeline with a first sentence about Nvidia in Paris.")
    out: dict[str, dict[int, float]] = {}
    for name, by_size in texts.items():
        out[name] = {}
        for words, text in by_size.items():
            runs = []
            for _ in range(3):
                t0 = time.perf_counter()
                nlp(text)
                runs.append((time.perf_counter() - t0) * 1000)
            out[name][words] = _median(runs)
    return out


def _pieces_table(results: dict[str, dict[str, Any]], repeats: int) -> list[str]:
    lines = [
        "### First highlight at once (issue 15)",
        "",
        "The article is sent in pieces of whole blocks (about 300 words), what is on screen first, "
        "two requests in flight; a short article (at most 8,000 characters, so the 1,000-word "
        "page) as its first piece and the rest, at once. Each answer is drawn as it comes. "
        "Times from the page's "
        "`DOMContentLoaded` to the first highlight and to the last; long tasks (over 50 ms) and "
        f"layout shift seen by the page's own `PerformanceObserver`; median of {repeats} runs. "
        "The baseline is a bare `nlp(text)` of the same article text with the same model, in the "
        "benchmark's process. Firefox has neither the Long Tasks nor the Layout Instability API "
        "(n/a); what its layout does is measured element by element above.",
        "",
        "| browser | page | pieces | first highlight | last highlight | bare `nlp(text)` "
        "| last / bare | long tasks a load (longest) | layout shift |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    bare_ms = _bare_nlp_ms({name: r["texts"] for name, r in results.items()})
    for name, r in results.items():
        for words, p in r["pieces"].items():
            bare = bare_ms[name].get(words, float("nan"))
            long = f"{p['long']:.1f} ({p['longest']:.0f} ms)" if r["longtask"] else "n/a"
            shift = f"{p['shift']:.3f}" if r["layout_shift"] else "n/a"
            lines.append(
                f"| {r['version']} | {words:,} words | {p['pieces'].split('/')[-1]} | "
                f"{p['first']:.0f} ms | {p['last']:.0f} ms | {bare:.0f} ms | "
                f"{p['last'] / bare:.2f} | {long} | {shift} |"
            )
    return lines


def _side_by_side(results: dict[str, dict[str, Any]]) -> list[str]:
    """Issue 18: the same figures for each browser, one row each, per page size."""
    lines = [
        "",
        "### Chromium and Firefox side by side (issue 18)",
        "",
        "The figures above, one row per browser: first and last highlight after "
        "`DOMContentLoaded`, the content script's script time to draw every span of the page "
        "(its last drawing), and layout: the page's cumulative layout shift where the browser "
        "reports it, and elements of the 1,000-word page moved by drawing.",
        "",
        "| page | browser | spans | first highlight | all highlights | drawing time "
        "| layout shift | elements moved |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    sizes = list(next(iter(results.values()))["pieces"])
    for words in sizes:
        for r in results.values():
            p = r["pieces"][words]
            shift = f"{p['shift']:.3f}" if r["layout_shift"] else "n/a"
            lay = r["layout"]
            lines.append(
                f"| {words:,} words | {r['version']} | {p['spans']} | {p['first']:.0f} ms | "
                f"{p['last']:.0f} ms | {r['draw_by_size'][words]:.1f} ms | {shift} | "
                f"{lay['moved']} of {lay['elements']} |"
            )
    return lines
