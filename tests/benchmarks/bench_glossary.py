"""Glossary import: a 50,000-term CSV through `gloss glossary import` against a csv.reader parse."""

from __future__ import annotations

import csv
import os
import random
import resource
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


def gloss(*args: str, env: dict[str, str]) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """Wall seconds, CPU seconds (user + system of the child) and the result."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "gloss", *args],
        env={**os.environ, **env, "GLOSS_LOAD_NLP": "false"},
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if result.returncode != 0:
        raise RuntimeError(f"gloss {' '.join(args)} failed:\n{result.stderr}")
    return wall, cpu, result


def run(quick: bool) -> str:
    count = QUICK_TERMS if quick else FULL_TERMS
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        source = folder / "terms.csv"
        write_csv(source, count)
        size_mb = source.stat().st_size / 1e6

        started, cpu_started = time.perf_counter(), time.process_time()
        with source.open(encoding="utf-8", newline="") as handle:
            parsed = sum(1 for _ in csv.reader(handle)) - 1
        parse = (time.perf_counter() - started, time.process_time() - cpu_started)
        assert parsed == count

        env = {"GLOSS_DATA_DIR": str(folder / "data")}
        gloss("init", env=env)
        startup = gloss("glossary", "--help", env=env)
        imported = gloss("glossary", "import", str(source), "--glossary", "Bench", env=env)
        assert f"{count} created" in imported[2].stderr, imported[2].stderr
        assert "writing" in imported[2].stderr  # the progress bar was drawn
        upserted = gloss(
            "glossary", "import", str(source), "-g", "Bench", "--mode", "upsert", env=env
        )
        assert f"{count} unchanged" in upserted[2].stderr, upserted[2].stderr
        exported = gloss(
            "glossary", "export", "-g", "Bench", "-o", str(folder / "out.csv"), env=env
        )

    rows = [
        ("`csv.reader` parse (baseline, in this process)", parse[0], parse[1]),
        ("`gloss glossary import` (whole process)", imported[0], imported[1]),
        (
            "same, less process start-up (`gloss glossary --help`)",
            imported[0] - startup[0],
            imported[1] - startup[1],
        ),
        ("re-import `--mode upsert`, nothing changed", upserted[0], upserted[1]),
        ("`gloss glossary export --format csv`", exported[0], exported[1]),
    ]
    table = "\n".join(
        f"| {what} | {wall:.2f} s | {cpu:.2f} s | {count / wall:,.0f} | {count / cpu:,.0f} | "
        f"{cpu / parse[1]:,.0f}x |"
        for what, wall, cpu in rows
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

| what | wall | CPU | terms/s (wall) | terms/s (CPU) | CPU vs. csv.reader |
|---|---:|---:|---:|---:|---:|
{table}

CPU is the process's user + system time, the steadier figure on a shared machine (wall time
also counts waiting for other processes' use of the cores): the 1-minute load average was
{load_before:.1f} when this run started.

Run with `.venv/bin/python -m tests.benchmarks glossary` (`--quick` for {QUICK_TERMS:,} terms).
"""
