"""Run every benchmark module and write docs/benchmarks.md (`make bench`)."""

from __future__ import annotations

import argparse
import importlib
import inspect
import pkgutil
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import tests.benchmarks as package

ROOT = Path(__file__).resolve().parents[2]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("names", nargs="*", help="only these modules, e.g. nlp (for bench_nlp)")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    parser.add_argument(
        "--million", action="store_true", help="articles: measure a million stored articles too"
    )
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks.md")
    args = parser.parse_args(argv)

    modules = sorted(
        m.name for m in pkgutil.iter_modules(package.__path__) if m.name.startswith("bench_")
    )
    if args.names:
        modules = [m for m in modules if m.removeprefix("bench_") in args.names]
    command = "make bench" if not argv else "python -m tests.benchmarks " + " ".join(argv)
    sections = []
    for name in modules:
        print(f"== {name}", file=sys.stderr, flush=True)
        started = time.perf_counter()
        module = importlib.import_module(f"tests.benchmarks.{name}")
        options = {"quick": args.quick}
        if args.million and "million" in inspect.signature(module.run).parameters:
            options["million"] = True
        section = module.run(**options).strip()
        sections.append(_with_command(section, name, args.quick, options.get("million", False)))
        print(f"   {time.perf_counter() - started:.1f}s", file=sys.stderr, flush=True)

    header = (
        "# Benchmarks\n\n"
        "Each section is written by its own module in tests/benchmarks/ and names the command "
        "that produced it; `make bench` runs them all. "
        f"Last written by `{command}` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"Python {platform.python_version()}, {platform.machine()}, "
        f"{_cpu_count()} cores. Every figure is a ratio against a baseline run in the same "
        "process, or an absolute time next to its baseline. Never edit this file by hand.\n"
    )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    existing = _existing_sections(args.output) if args.names else {}
    # A module whose section was renamed names the old heading (REPLACES): its new section takes
    # the old one's place rather than leaving it behind.
    renamed = {
        old: section.splitlines()[0]
        for name, section in zip(modules, sections, strict=True)
        for old in getattr(sys.modules[f"tests.benchmarks.{name}"], "REPLACES", [])
    }
    existing = {renamed.get(k, k): v for k, v in existing.items()}
    for section in sections:
        existing[section.splitlines()[0]] = section
    args.output.write_text(header + "\n" + "\n\n".join(existing.values()) + "\n", encoding="utf-8")
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


def _with_command(section: str, module: str, quick: bool, million: bool = False) -> str:
    """Every section says which command produced it, whatever its module wrote."""
    command = f"python -m tests.benchmarks {module.removeprefix('bench_')}"
    if quick:
        command += " --quick"
    if million:
        command += " --million"
    if f"`{command}`" in section:
        return section
    return f"{section}\n\nProduced by `{command}`."


def _cpu_count() -> int:
    import os

    return os.cpu_count() or 1


def _existing_sections(path: Path) -> dict[str, str]:
    """Sections already in the file by `## ` heading, so a partial run keeps the others."""
    if not path.exists():
        return {}
    sections: dict[str, str] = {}
    current: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            if current:
                sections[current[0]] = "\n".join(current).strip()
            current = [line]
        elif current:
            current.append(line)
    if current:
        sections[current[0]] = "\n".join(current).strip()
    return sections


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
