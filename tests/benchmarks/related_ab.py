"""The related query of this tree against an older one's, in one process on one store: the
articles benchmark's 40 pages asked of each in turn, page by page, the order rotated (the
query that runs second on a page finds the same articles in the CPU's caches, which is worth
more than most changes), with the answers compared (a diagnostic, not part of `make bench`).

    git archive COMMIT | tar -x -C /tmp/gloss-before
    python -m tests.benchmarks.related_ab --before /tmp/gloss-before [--store PATH] [--rounds 6]

The older tree's `gloss/articles/related.py` and `repository.py` are loaded beside this
tree's (the rest of the package is this tree's, so the two may differ in those two files
only). The store is related_stages's (built there if missing).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from sqlalchemy import text

from gloss.articles import related
from tests.benchmarks import bench_articles, related_stages


def _load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _before(tree: Path) -> Callable[..., Any]:
    """The older tree's `related_for_text`, with its own repository."""
    articles = tree / "server" / "gloss" / "articles"
    repository = _load("gloss_before_repository", articles / "repository.py")
    older = _load("gloss_before_related", articles / "related.py")
    older.ArticleRepository = repository.ArticleRepository  # type: ignore[attr-defined]
    ask: Callable[..., Any] = older.related_for_text  # type: ignore[attr-defined]
    return ask


async def measure(path: Path, before: Callable[..., Any], rounds: int) -> None:
    variants = {"this tree": related.related_for_text, "before": before}
    names = list(variants)
    times: dict[str, list[float]] = {name: [] for name in names}
    answers: dict[str, list[Any]] = {name: [] for name in names}
    async with related_stages.opened(path) as (reader, pages, team_id):
        for round_ in range(rounds):  # the first warms SQLite's and the OS's caches
            for number, page in enumerate(pages):
                turn = (round_ * len(pages) + number) % len(names)
                for name in names[turn:] + names[:turn]:
                    async with reader() as session:
                        await session.execute(text("SELECT 1"))  # as the request's token check
                        started = time.perf_counter()
                        found = await bench_articles.ask_related(
                            variants[name], session, team_id, page
                        )
                        elapsed = time.perf_counter() - started
                    if round_:
                        times[name].append(elapsed)
                        answers[name].append(
                            [(r.url, r.score, r.reason, r.duplicates) for r in found]
                        )
    same = sum(a == b for a, b in zip(answers[names[0]], answers[names[1]], strict=True))
    print("| code | median | p90 | mean |\n|---|---:|---:|---:|")
    for name in names:
        ordered = sorted(times[name])
        print(
            f"| {name} | {statistics.median(ordered) * 1000:.2f} ms "
            f"| {ordered[int(0.9 * len(ordered))] * 1000:.2f} ms "
            f"| {statistics.mean(ordered) * 1000:.2f} ms |"
        )
    print(f"\nthe same answers (URLs, scores, reasons, duplicates): {same}/{len(times[names[0]])}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--before", type=Path, required=True)
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--store", type=Path, default=None)
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args()
    path = related_stages.store(args.size, args.store)
    before = _before(args.before)
    load = os.getloadavg()[0]
    print(f"{args.size:,} stored articles, {args.rounds - 1} measured rounds of 40 pages each")
    asyncio.run(measure(path, before, args.rounds))
    print(f"load {load:.1f} at the start and {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
