"""Another team's small annotate while a large glossary compiles, against the same annotate
alone: compiled in steps in the background (now), and in one call on the engine's thread, on
the request (as before)."""

from __future__ import annotations

import asyncio
import gc
import os
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from gloss.app import create_app
from gloss.nlp.terms import GlossaryBuilder
from gloss.runtime import CompiledGlossaries
from tests.benchmarks.bench_annotate import _csv
from tests.benchmarks.bench_nlp import SEED, make_article, make_terms
from tests.benchmarks.world import admin_and_other_team, bench_settings

SMALL_PAGE_WORDS = 150


class GcPauses:
    """Every garbage collection CPython runs while in use, timed by generation (gc.callbacks):
    a collection holds the GIL, so it pauses every thread."""

    def __init__(self) -> None:
        self.pauses: dict[int, list[float]] = {0: [], 1: [], 2: []}
        self._began = 0.0

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._began = time.perf_counter()
        else:
            self.pauses[info["generation"]].append(time.perf_counter() - self._began)

    def __enter__(self) -> GcPauses:
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self._callback)

    def full(self) -> list[float]:
        return self.pauses[2]


ALONE = 15
SPANS = ["entities", "terms"]


async def _measure(quick: bool) -> dict[str, Any]:
    size = 10_000 if quick else 100_000
    rng = random.Random(SEED)
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(bench_settings(tmp, related_dense=False))
        async with app.router.lifespan_context(app):
            admin, bob_token = await admin_and_other_team(app)
            transport = httpx.ASGITransport(app=app)
            async with (
                httpx.AsyncClient(
                    transport=transport,
                    base_url="http://bench",
                    headers={"Authorization": f"Bearer {admin}"},
                    timeout=600,
                ) as ann,
                httpx.AsyncClient(
                    transport=transport,
                    base_url="http://bench",
                    headers={"Authorization": f"Bearer {bob_token}"},
                    timeout=600,
                ) as bob_client,
            ):
                return await _rounds(app.state.nlp.glossaries, ann, bob_client, size, rng)


async def _rounds(
    glossaries: CompiledGlossaries,
    ann: httpx.AsyncClient,
    bob: httpx.AsyncClient,
    size: int,
    rng: random.Random,
) -> dict[str, Any]:
    team = (await ann.get("/v1/me")).json()["teams"][0]["id"]
    corpus = make_article(20_000, random.Random(SEED))
    big = (await ann.post("/v1/glossaries", json={"name": "big", "team_id": team})).json()["id"]
    started = time.perf_counter()
    imported = await ann.post(
        f"/v1/glossaries/{big}/import",
        content=_csv(make_terms(size, rng, corpus)),
        headers={"Content-Type": "text/csv"},
    )
    imported.raise_for_status()
    import_s = time.perf_counter() - started
    bob_team = (await bob.get("/v1/me")).json()["teams"][0]["id"]
    small = (await bob.post("/v1/glossaries", json={"name": "small", "team_id": bob_team})).json()[
        "id"
    ]
    small_csv = _csv(make_terms(20, rng, corpus))
    (
        await bob.post(
            f"/v1/glossaries/{small}/import",
            content=small_csv,
            headers={"Content-Type": "text/csv"},
        )
    ).raise_for_status()

    async def bob_page() -> float:
        """Bob's annotate of a new small page (never cached), in seconds."""
        text = make_article(SMALL_PAGE_WORDS, rng)
        began = time.perf_counter()
        response = await bob.post("/v1/annotate", json={"text": text, "include": SPANS})
        response.raise_for_status()
        return time.perf_counter() - began

    await bob_page()  # compiles Bob's small glossary
    alone = [await bob_page() for _ in range(ALONE)]

    # Now: Ann's first page with the big glossary starts its compile in the background.
    began = time.perf_counter()
    first = await ann.post("/v1/annotate", json={"text": "A first page.", "include": SPANS})
    first.raise_for_status()
    ann_first_s = time.perf_counter() - began
    assert first.json()["pending_glossaries"], "the big glossary should compile in the background"
    during: list[float] = []
    # Timed until the pages after it too: a full collection put off during the compile runs
    # soon after it.
    with GcPauses() as pauses:
        while glossaries.building(big) is not None:
            during.append(await bob_page())
        await glossaries.settled()
        compile_s = time.perf_counter() - began
        assert glossaries.at(big, first.json()["pending_glossaries"][0]["version"]) is not None
        after = [await bob_page() for _ in range(ALONE)]
    alone += after

    # As before: the same compile in one call on the engine's thread, on Ann's request; Bob's
    # page arrives just after it started.
    before_s, ann_before_s = await _one_call_compile(glossaries, ann, big, bob_page)
    alone_ms = statistics.median(alone) * 1000
    return {
        "terms": size,
        "import_s": import_s,
        "alone_ms": alone_ms,
        "during_median_ms": statistics.median(during) * 1000,
        "during_max_ms": max(during) * 1000,
        "during_pages": len(during),
        "after_max_ms": max(after) * 1000,
        "ann_first_ms": ann_first_s * 1000,
        "compile_s": compile_s,
        "before_ms": before_s * 1000,
        "ann_before_s": ann_before_s,
        "full_gcs": len(pauses.full()),
        "full_gc_ms": sum(pauses.full()) * 1000,
        "full_gc_max_ms": max(pauses.full(), default=0.0) * 1000,
        "young_gc_max_ms": max(pauses.pauses[0] + pauses.pauses[1], default=0.0) * 1000,
        "frozen": gc.get_freeze_count(),
        "tracked": len(gc.get_objects()),
    }


async def _one_call_compile(
    glossaries: CompiledGlossaries,
    ann: httpx.AsyncClient,
    big: str,
    bob_page: Callable[[], Awaitable[float]],
) -> tuple[float, float]:
    """Bob's page, and Ann's request, while the big glossary compiles as it did before this
    change: on the request, in one call on the engine's thread."""
    stepwise = glossaries._step
    entered = asyncio.Event()

    async def whole(builder: GlossaryBuilder) -> bool:
        def run() -> bool:
            while not builder.step():
                pass
            return True

        entered.set()
        return await asyncio.get_running_loop().run_in_executor(glossaries._executor, run)

    glossaries._cache.evict(big)
    glossaries._step = whole  # type: ignore[method-assign]  # the benchmark's "before"
    inline = glossaries.inline_terms
    glossaries.inline_terms = 10**9
    try:
        began = time.perf_counter()
        request = asyncio.create_task(
            ann.post("/v1/annotate", json={"text": "Another page.", "include": SPANS})
        )
        await entered.wait()
        bob_s = await bob_page()
        (await request).raise_for_status()
        return bob_s, time.perf_counter() - began
    finally:
        glossaries._step = stepwise  # type: ignore[method-assign]
        glossaries.inline_terms = inline


def run(quick: bool) -> str:
    load_before = os.getloadavg()[0]
    r = asyncio.run(_measure(quick))
    load_after = os.getloadavg()[0]
    alone = r["alone_ms"]
    return "\n".join(
        [
            "## Another team's page while a large glossary compiles",
            "",
            f"`POST /v1/annotate` of a new {SMALL_PAGE_WORDS}-word page (entities and terms, a "
            "20-term glossary, never cached) by a user of one team, through the whole app (ASGI, "
            "SQLite), while a glossary of another team compiles for the first time "
            f"({r['terms']:,} seeded synthetic terms, seed {SEED}, imported through the API in "
            f"{r['import_s']:.1f} s). **Alone**: the same kind of page with nothing compiling, "
            f"median of {2 * ALONE} (half before, half after). **Now**: the other team's first "
            "page starts the compile in the background (it runs a step of 500 terms or "
            "pattern texts at a time on the engine's thread) and this user's pages go one "
            "after another until it is done. **Before**: the same compile in one call on the "
            "engine's thread, on the other team's request, as the code did before; one page "
            f"sent just after it began. Load average {load_before:.1f} before, "
            f"{load_after:.1f} after, on {os.cpu_count()} cores.",
            "",
            "| while the other team's glossary compiles | this team's page | vs. alone |",
            "|---|---:|---:|",
            f"| nothing compiling (baseline) | {alone:.0f} ms | 1.0 |",
            f"| now, in the background: median of {r['during_pages']} pages "
            f"| {r['during_median_ms']:.0f} ms | **{r['during_median_ms'] / alone:.1f}** |",
            f"| now, in the background: slowest of them | {r['during_max_ms']:.0f} ms "
            f"| {r['during_max_ms'] / alone:.1f} |",
            f"| before, one call on the engine's thread | {r['before_ms']:.0f} ms "
            f"| {r['before_ms'] / alone:.1f} |",
            "",
            f"The other team's own first page: answered in {r['ann_first_ms']:.0f} ms without "
            "the glossary (listed in `pending_glossaries`), which was ready "
            f"{r['compile_s']:.1f} s later (with this team's pages going between its steps); "
            f"before, that request waited {r['ann_before_s']:.1f} s for the compile.",
            "",
            f"The slowest of the {ALONE} pages just after it: {r['after_max_ms']:.0f} ms. "
            "Garbage collections from the compile's start to the last of those pages (timed "
            "with `gc.callbacks`; "
            f"each pauses every thread): {r['full_gcs']} full (generation 2) ones, "
            f"{r['full_gc_ms']:.0f} ms in all, the longest {r['full_gc_max_ms']:.0f} ms; the "
            f"longest young (generation 0 or 1) one {r['young_gc_max_ms']:.0f} ms. At the end "
            f"the collector tracked {r['tracked']:,} objects; {r['frozen']:,} more were "
            "frozen (`gc.freeze()`, out of its scans).",
        ]
    )
