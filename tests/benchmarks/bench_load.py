"""Load benchmark: 50 clients against one SQLite server and two PostgreSQL replicas sharing a
Redis cache on loopback; errors, timeouts, lost writes, throughput, latency per route and the
cache's hit rate across the replicas (`make soak`)."""

from __future__ import annotations

import asyncio
import os
import tempfile
import uuid
from pathlib import Path

from sqlalchemy.engine import make_url

from tests.live import live_server, pg_admin_execute, run_cli
from tests.load.harness import LoadReport, run_load
from tests.redis_server import PrivateRedis

CLIENTS = 50
PG_BASE = os.environ.get("GLOSS_BENCH_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")


def _load(
    database_url: str, replicas: int, seconds: float, work: Path, cache_url: str | None = None
) -> LoadReport:
    env = {
        **({"GLOSS_CACHE_URL": cache_url} if cache_url else {}),
        "GLOSS_DATABASE_URL": database_url,
        "GLOSS_DATA_DIR": str(work),
        "GLOSS_RATE_LIMIT_PER_MINUTE": "0",
        "GLOSS_LOG_LEVEL": "WARNING",
    }
    token = run_cli("init", "--ensure-token", env=env).strip()
    with live_server(env, work) as first:
        if replicas == 1:
            return asyncio.run(run_load([first.url], token, clients=CLIENTS, seconds=seconds))
        with live_server(env, work) as second:
            bases = [first.url, second.url]
            return asyncio.run(run_load(bases, token, clients=CLIENTS, seconds=seconds))


def _postgres(seconds: float, work: Path) -> LoadReport | str:
    name = f"gloss_bench_{uuid.uuid4().hex[:12]}"
    try:
        asyncio.run(pg_admin_execute(PG_BASE, f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # no server to measure is a result to report, not a crash
        return f"PostgreSQL at {make_url(PG_BASE).render_as_string()} not reachable ({exc})."
    try:
        url = make_url(PG_BASE).set(database=name).render_as_string(hide_password=False)
        redis = PrivateRedis()
        redis.start()
        try:
            return _load(url, 2, seconds, work, cache_url=redis.url)
        finally:
            redis.stop()
    finally:
        asyncio.run(pg_admin_execute(PG_BASE, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _timeouts(report: LoadReport) -> int:
    return sum("Timeout" in error for error in report.errors)


def _summary_row(label: str, report: LoadReport) -> str:
    errors = len(report.errors) - _timeouts(report)
    writes = len(report.created_annotations) + len(report.created_articles)
    writes += len(report.accepted_definitions)
    return (
        f"| {label} | {report.requests} | {report.requests / report.duration_s:.1f} | "
        f"{errors} | {_timeouts(report)} | {writes} | {len(report.lost_writes)} |"
    )


def _cache_rows(label: str, report: LoadReport) -> list[str]:
    rows = []
    for number, c in enumerate(report.cache.values(), start=1):
        where = label if len(report.cache) == 1 else f"{label}: replica {number}"
        rows.append(
            f"| {where} | {c.lookups:.0f} | {c.process_hits:.0f} | {c.redis_hits:.0f} "
            f"| {c.computed:.0f} | **{c.hit_rate:.0%}** | {c.redis_errors:.0f} |"
        )
    return rows


def run(quick: bool) -> str:
    seconds = 10.0 if quick else 60.0
    load_before = os.getloadavg()[0]
    results: list[tuple[str, LoadReport]] = []
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="gloss-soak-") as tmp:
        work = Path(tmp)
        sqlite_dir = work / "sqlite"
        sqlite_dir.mkdir()
        sqlite_url = f"sqlite+aiosqlite:///{sqlite_dir / 'gloss.sqlite3'}"
        results.append(("SQLite, one server", _load(sqlite_url, 1, seconds, sqlite_dir)))
        pg_dir = work / "postgres"
        pg_dir.mkdir()
        postgres = _postgres(seconds, pg_dir)
        if isinstance(postgres, str):
            notes.append(postgres)
        else:
            results.append(("PostgreSQL, two replicas, one Redis", postgres))

    lines = [
        f"## Load: {CLIENTS} clients for {seconds:.0f} s",
        "",
        "Command: `make soak` (`python -m tests.benchmarks load`; `--quick` runs 10 s). "
        f"{CLIENTS} concurrent clients on loopback mix page annotation (new and repeated "
        "pages), highlight writes and reads, term edits racing on If-Match, and article "
        "storage, with rate limits off (`GLOSS_RATE_LIMIT_PER_MINUTE=0`). Afterwards every "
        "acknowledged write is read back: a write counts as lost if a 201 is not there, a 200 "
        "edit is missing from the term's history, or a 412 edit was stored anyway. "
        f"Load average on the machine before the run: {load_before:.1f} on "
        f"{os.cpu_count()} cores (other work there slows every figure).",
        "",
        "| backend | requests | req/s | errors | timeouts | acknowledged writes | lost writes |",
        "|---|---:|---:|---:|---:|---:|---:|",
        *(_summary_row(label, report) for label, report in results),
        "",
        "The annotate cache (answers and blocks; `gloss_annotate_cache_lookups_total` read from "
        "each server's `/metrics` after the run). The PostgreSQL replicas share a redis-server "
        "of the benchmark's own (`GLOSS_CACHE_URL`): a lookup missing a replica's own memory "
        "is found in Redis when either replica computed it before. Term edits during the run "
        "change the glossary's version, and with it every key made with the older one, so "
        "repeated pages are computed again after each edit.",
        "",
        "| server | lookups | in its memory | in Redis | computed | hit rate | Redis errors |",
        "|---|---:|---:|---:|---:|---:|---:|",
        *(row for label, report in results for row in _cache_rows(label, report)),
        "",
    ]
    for label, report in results:
        lines += [f"{label}, latency per route:", "", report.markdown_table(), ""]
        if report.errors:
            lines += ["First errors:", "", *(f"- `{e[:160]}`" for e in report.errors[:5]), ""]
    lines += [f"- {note}" for note in notes]
    return "\n".join(lines).strip() + "\n"
