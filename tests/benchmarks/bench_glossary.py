"""Glossary import: a 50,000-term CSV through `gloss glossary import` against a csv.reader parse."""

from __future__ import annotations

import csv
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from gloss.glossaries.formats import CSV_COLUMNS

FULL_TERMS = 50_000
QUICK_TERMS = 5_000
WORDS = (
    "model inference token reasoning distillation attack policy export control chip lab "
    "benchmark agent alignment safety compute cluster tariff subsidy semiconductor lithography "
    "café naïve façade Zürich 北京 深度 模型 😀"
).split()


def write_csv(path: Path, count: int) -> None:
    rng = random.Random(20261129)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        for index in range(count):
            words = rng.sample(WORDS, 2)
            term = f"{words[0]} {words[1]} {index}"
            writer.writerow(
                [
                    term,
                    " ".join(rng.choice(WORDS) for _ in range(25)),
                    f"{term} alias|{words[1]} {words[0]} {index}",
                    f"https://example.org/terms/{index}" if index % 3 == 0 else "",
                    "|".join(rng.sample(["policy", "tech", "china", "finance"], 2)),
                    "true" if index % 10 == 0 else "false",
                    "ORG" if index % 7 == 0 else "",
                ]
            )


def gloss(*args: str, env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "gloss", *args],
        env={**os.environ, **env, "GLOSS_LOAD_NLP": "false"},
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"gloss {' '.join(args)} failed:\n{result.stderr}")
    return elapsed, result


def run(quick: bool) -> str:
    count = QUICK_TERMS if quick else FULL_TERMS
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        source = folder / "terms.csv"
        write_csv(source, count)
        size_mb = source.stat().st_size / 1e6

        started = time.perf_counter()
        with source.open(encoding="utf-8", newline="") as handle:
            parsed = sum(1 for _ in csv.reader(handle)) - 1
        parse_s = time.perf_counter() - started
        assert parsed == count

        env = {"GLOSS_DATA_DIR": str(folder / "data")}
        gloss("init", env=env)
        startup_s, _ = gloss("glossary", "--help", env=env)
        import_s, result = gloss("glossary", "import", str(source), "--glossary", "Bench", env=env)
        assert f"{count} created" in result.stderr, result.stderr
        upsert_s, result = gloss(
            "glossary", "import", str(source), "-g", "Bench", "--mode", "upsert", env=env
        )
        assert f"{count} unchanged" in result.stderr, result.stderr
        export_s, _ = gloss(
            "glossary", "export", "-g", "Bench", "-o", str(folder / "out.csv"), env=env
        )

    work_s = max(import_s - startup_s, 1e-9)
    rows = [
        ("`csv.reader` parse (baseline)", parse_s),
        ("`gloss glossary import` (whole process)", import_s),
        (f"same, less process start-up ({startup_s:.2f} s for `gloss glossary --help`)", work_s),
        ("re-import `--mode upsert`, nothing changed", upsert_s),
        ("`gloss glossary export --format csv`", export_s),
    ]
    table = "\n".join(
        f"| {what} | {seconds:.3f} s | {count / seconds:,.0f} | {seconds / parse_s:,.0f}x |"
        for what, seconds in rows
    )
    command = (
        f"gloss glossary import terms.csv --glossary Bench  # {count:,} terms, {size_mb:.1f} MB"
    )
    return f"""## Glossary import

`{command}` on a fresh SQLite database, timed end to end as a subprocess (the progress bar
is drawn to stderr). Baseline: `csv.reader` parsing the same file in this process. Each term
has two aliases and two tags, so the import writes {count:,} terms, {3 * count:,} surface
forms (term and aliases, each checked for clashes) and {count:,} history rows in one
transaction.

| what | time | terms/s | vs. csv.reader |
|---|---:|---:|---:|
{table}

Run with `.venv/bin/python -m tests.benchmarks glossary` (`--quick` for {QUICK_TERMS:,} terms).
"""
