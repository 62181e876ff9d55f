"""Reading quality on real pages: are the highlights in the article the reader came for?

Over Mozilla Readability's 130 test pages (`<repo>/../shared/readability-test-pages`), each
`source.html` is opened in Debian's Chromium (served from 127.0.0.1, every other request blocked)
and its text extracted by the extension's own extractor, injected as a bundle: the article finder
of this branch, and the extractor of the base commit (BASE_COMMIT, read with `git show`) on the
same loaded page. Each text is annotated by a real `gloss serve` (entities and terms), and every
span is checked against the expected article (`expected.html` and the title of
`expected-metadata.json`).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.e2e import harness, pages

ROOT = Path(__file__).resolve().parents[2]
PAGES = ROOT.parent / "shared" / "readability-test-pages"
EXTENSION = ROOT / "extension"
# The extractor before the article finder: the base of the `readability` branch.
BASE_COMMIT = "8192dd3"

# Words of a site's interface, never of an article's names; a highlight on one of them is chrome.
INTERFACE_WORDS = {
    "share", "subscribe", "email", "next", "previous", "view", "popular", "sign in", "sign up",
    "log in", "login", "register", "menu", "comments", "comment", "newsletter", "newsletters",
    "follow", "print", "home", "search", "more", "read more", "advertisement", "privacy",
    "cookies", "contact", "contact us", "skip", "close", "top", "related", "trending", "tweet",
    "copy link", "back", "sections", "most read", "watch", "listen", "save", "reply",
}  # fmt: skip

# Built into one script, evaluated in the page: both extractors, each returning its text and its
# segments (start, end); the article finder also timed.
ENTRY = """
import { extractArticle } from "%(article)s";
import { extractText, mainRoot } from "%(legacy)s";
const segs = (ex) => ex.segments.map((s) => [s.start, s.end]);
globalThis.__glossBench = {
  article() {
    const t0 = performance.now();
    const ex = extractArticle(document);
    const ms = performance.now() - t0;
    return { text: ex.text, segs: segs(ex), ms, found: ex.scope.nodes !== null };
  },
  legacy() {
    const ex = extractText(mainRoot(document));
    return { text: ex.text, segs: segs(ex) };
  },
};
"""


def _bundle(work: Path) -> str:
    """The two extractors as one IIFE script (esbuild from extension/node_modules)."""
    legacy = work / "legacy_extract.ts"
    source = subprocess.run(
        ["git", "show", f"{BASE_COMMIT}:extension/src/content/extract/extract.ts"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    legacy.write_text(source, encoding="utf-8")
    entry = EXTENSION / ".bench-entry.ts"
    entry.write_text(
        ENTRY
        % {
            "article": (EXTENSION / "src/content/extract/article").as_posix(),
            "legacy": legacy.with_suffix("").as_posix(),
        },
        encoding="utf-8",
    )
    out = work / "bench.js"
    # The extension's own build settings for Readability (build.mjs's plugin), one IIFE script.
    build = (
        "import { build } from 'esbuild';"
        "import { readabilityPatch } from './scripts/readability-patch.mjs';"
        f"await build({{ entryPoints: [{json.dumps(str(entry))}], outfile: {json.dumps(str(out))},"
        " bundle: true, format: 'iife', target: ['chrome111'], logLevel: 'warning',"
        " plugins: [readabilityPatch] });"
    )
    try:
        subprocess.run(
            ["node", "--input-type=module", "-e", build], cwd=EXTENSION, check=True, timeout=120
        )
    finally:
        entry.unlink(missing_ok=True)
    return out.read_text(encoding="utf-8")


def _blocks(segs: list[list[int]]) -> list[tuple[int, int]]:
    """Blocks as (start, end): runs of segments with no break between them."""
    out: list[tuple[int, int]] = []
    for start, end in segs:
        if out and out[-1][1] == start:
            out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def _block_of(blocks: list[tuple[int, int]], start: int, end: int) -> tuple[int, int] | None:
    for b0, b1 in blocks:
        if b0 <= start and end <= b1:
            return b0, b1
    return None


def score(ex: dict[str, Any], spans: list[dict[str, Any]], expected: str) -> dict[str, Any]:
    """Spans inside the expected article (with up to 20 characters of context of their block),
    spans across blocks, spans on interface words."""
    text = ex["text"]
    blocks = _blocks(ex["segs"])
    inside = across = interface = 0
    examples: list[str] = []
    for s in spans:
        start, end = s["start"], s["end"]
        block = _block_of(blocks, start, end)
        if block is None:
            across += 1
            b0, b1 = start, end
        else:
            b0, b1 = block
        quote = pages.squash(text[max(b0, start - 20) : min(b1, end + 20)])
        if quote and quote in expected:
            inside += 1
        if text[start:end].strip().lower() in INTERFACE_WORDS:
            interface += 1
            around = " ".join(text[max(b0, start - 30) : min(b1, end + 30)].split())
            examples.append(f"{text[start:end]!r} in “{around}”")
    return {
        "spans": len(spans),
        "inside": inside,
        "across": across,
        "interface": interface,
        "examples": examples,
    }


def _annotate(server: harness.Server, text: str, url: str) -> list[dict[str, Any]] | None:
    if not text.strip():
        return []
    r = server.client.post(
        "/v1/annotate", json={"text": text, "url": url, "include": ["entities", "terms"]}
    )
    if r.status_code != 200:
        return None
    body = r.json()
    return list(body["entities"]) + list(body["terms"])


def _load(context: Any, port: int, name: str, script: str) -> Any:
    page = context.new_page()
    page.goto(
        f"http://127.0.0.1:{port}/{name}/source.html", wait_until="domcontentloaded", timeout=30000
    )
    try:
        page.wait_for_load_state("load", timeout=5000)
    except Exception:  # noqa: BLE001 - a page still loading is read as it is, as the reader sees it
        pass
    page.evaluate(script)
    return page


def _big_page() -> str:
    """A 20,000-word article dressed as a news site: every paragraph in its own wrappers with a
    share links, a long menu and a "most read" list."""
    html = pages.long_article(20000)
    html = html.replace("<p>", '<div class="row"><div class="col"><p>').replace(
        "</p>",
        '</p><div class="share"><a href="#">Share</a> <a href="#">Email</a></div></div></div>',
    )
    menu = "".join(f'<li><a href="/s{i}">Section {i}</a></li>' for i in range(300))
    most_read = "".join(
        f'<li><a href="/m{i}">Story number {i} of the day</a></li>' for i in range(200)
    )
    return html.replace("<body>", f"<body><header><ul>{menu}</ul></header>").replace(
        "</body>", f'<aside class="most-read"><h2>Most read</h2><ol>{most_read}</ol></aside></body>'
    )


def _big_page_cost(context: Any, port: int, script: str, repeats: int) -> dict[str, float]:
    """Readability on a clone of a 20,000-word page: script time of the whole article finding."""
    times = []
    elements = words = 0
    for _ in range(repeats):
        page = _load(context, port, "_big", script)
        times.append(page.evaluate("__glossBench.article().ms"))
        elements, words = page.evaluate(
            "[document.getElementsByTagName('*').length,"
            " document.body.innerText.split(/\\s+/).length]"
        )
        page.close()
    return {
        "median": statistics.median(times),
        "max": max(times),
        "elements": elements,
        "words": words,
    }


def run(quick: bool) -> str:
    title = "## Reading quality on real pages"
    if not harness.chromium_available() or not PAGES.is_dir():
        return f"{title}\n\nNot measured: needs /usr/bin/chromium, extension/dist and {PAGES}."
    names = sorted(p.name for p in PAGES.iterdir() if (p / "source.html").exists())
    if quick:
        names = names[:20]
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        script = _bundle(work)
        site = work / "site"
        site.symlink_to(PAGES)
        big = work / "_big"
        big.mkdir()
        (big / "source.html").write_text(_big_page(), encoding="utf-8")
        server = harness.start_server(work)
        try:
            server.create_glossary("AI desk", pages.GLOSSARY)
            with (
                harness.page_server(work) as port,
                sync_playwright() as p,
            ):
                browser = p.chromium.launch(
                    executable_path=harness.CHROMIUM, headless=True, args=["--no-sandbox"]
                )
                context = browser.new_context(bypass_csp=True, java_script_enabled=True)
                local = f"http://127.0.0.1:{port}/"
                context.route(
                    "**/*",
                    lambda route: (
                        route.continue_() if route.request.url.startswith(local) else route.abort()
                    ),
                )
                started = time.perf_counter()
                rows = _measure(context, port, names, script, server)
                elapsed = time.perf_counter() - started
                cost = _big_page_cost(context, port, script, 3 if quick else 5)
                browser.close()
        finally:
            server.stop()
    return _report(title, rows, cost, elapsed, quick)


def _measure(
    context: Any, port: int, names: list[str], script: str, server: harness.Server
) -> list[dict[str, Any]]:
    rows = []
    for name in names:
        folder = PAGES / name
        expected = pages.readability_expected(folder)
        page = _load(context, port, f"site/{name}", script)
        try:
            new = page.evaluate("__glossBench.article()")
            old = page.evaluate("__glossBench.legacy()")
        finally:
            page.close()
        row: dict[str, Any] = {"name": name, "ms": new["ms"], "found": new["found"]}
        for key, ex in (("before", old), ("after", new)):
            spans = _annotate(server, ex["text"], f"https://example.org/{name}")
            if spans is None:
                row[key] = None
            else:
                row[key] = score(ex, spans, expected)
        rows.append(row)
    return rows


def _totals(rows: list[dict[str, Any]], key: str) -> dict[str, Any]:
    got = [r[key] for r in rows if r[key] is not None]
    spans = sum(g["spans"] for g in got)
    inside = sum(g["inside"] for g in got)
    worst = sorted(
        ((g["inside"] / g["spans"], r["name"]) for r in rows if (g := r[key]) and g["spans"]),
    )[:5]
    return {
        "annotated": sum(1 for g in got if g["spans"] > 0),
        "refused": len(rows) - len(got),
        "spans": spans,
        "inside": inside,
        "share": inside / spans if spans else float("nan"),
        "mean": statistics.mean(g["inside"] / g["spans"] for g in got if g["spans"]),
        "across": sum(g["across"] for g in got),
        "interface": sum(g["interface"] for g in got),
        "worst": worst,
        "examples": [f"{r['name']}: {e}" for r in rows if (g := r[key]) for e in g["examples"]],
    }


def _report(
    title: str, rows: list[dict[str, Any]], cost: dict[str, float], elapsed: float, quick: bool
) -> str:
    before, after = _totals(rows, "before"), _totals(rows, "after")
    n = len(rows)
    found = sum(1 for r in rows if r["found"])
    ms = [r["ms"] for r in rows]
    slowest = max(rows, key=lambda r: r["ms"])
    command = "python -m tests.benchmarks readability" + (" --quick" if quick else "")

    def line(label: str, t: dict[str, Any]) -> str:
        return (
            f"| {label} | {t['annotated']} / {n} | {t['spans']:,} | {t['share']:.1%} "
            f"({t['inside']:,}) | "
            f"{t['mean']:.1%} | {t['across']} | {t['interface']} |"
        )

    worst = ", ".join(f"{name} {share:.0%}" for share, name in after["worst"])
    return "\n".join(
        [
            title,
            "",
            f"`{command}`: Mozilla Readability's test pages ({n} real pages, "
            "`<repo>/../shared/readability-test-pages`), each opened in Debian's Chromium "
            "(headless, served from 127.0.0.1, every other request blocked). Both extractors "
            "read the same loaded page (injected as a bundle, as the content script runs): "
            f"**before**, the extractor of the base commit `{BASE_COMMIT}` (the `<main>`/"
            "`<article>` holding half of the body's `textContent`, else the body); **after**, "
            "the article found by `@mozilla/readability` on a clone, mapped back to the page's "
            "text nodes. Each text is annotated by a real `gloss serve` (entities and terms). A "
            "highlight is **inside** when it, with up to 20 characters of its block on each "
            "side, is in the text of `expected.html` plus its title (whitespace ignored). "
            "**Interface words**: highlights whose whole text is one of "
            f"{len(INTERFACE_WORDS)} words of a site's interface (Share, Subscribe, Email, "
            "Next, View, Popular, Sign in, Menu, Comments, Newsletter, Follow, Print, ...).",
            "",
            "| extractor | pages annotated | highlights | inside the article | inside, mean of "
            "pages | across blocks | on interface words |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
            line("before (base commit)", before),
            line("after (Readability)", after),
            "",
            f"Readability found an article on {found} of {n} pages (the others are read whole, "
            "minus their chrome). Lowest shares after: "
            f"{worst or 'none'}. Pages the server refused (413): before {before['refused']}, "
            f"after {after['refused']}. Interface words highlighted after: "
            + ("; ".join(after["examples"]) or "none")
            + ".",
            "",
            "Cost of finding the article (clone, Readability, mapping, extraction), script time "
            f"in the page: median {statistics.median(ms):.1f} ms, max {max(ms):.1f} ms over "
            f"these pages ({slowest['name']}); on a {cost['words']:,}-word page of "
            f"{cost['elements']:,} elements "
            f'(a long article in a news site\'s wrappers, menu and "most read" list) median '
            f"{cost['median']:.0f} ms, max {cost['max']:.0f} ms. The page runs it once, in an "
            f"idle callback after load. The run took {elapsed:.0f} s.",
        ]
    )
