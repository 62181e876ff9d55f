"""Incremental glossary updates: patching 1 or 100 changed terms against a full compile."""

from __future__ import annotations

import random
import time
from dataclasses import replace

from gloss.nlp.engine import Engine
from gloss.nlp.terms import CompiledGlossary, TermSpec, pattern_tokenizer
from tests.benchmarks.bench_nlp import SEED, _paragraphs, make_terms

REPEATS = 3


def _edits(
    terms: list[TermSpec], count: int, rng: random.Random, tag: str
) -> tuple[list[TermSpec], list[str]]:
    """`count` changes in the mix an editor makes: a new surface, a new alias, a deletion, an
    added term (a quarter each; one change is a new surface)."""
    upserts: list[TermSpec] = []
    removed: list[str] = []
    for i, spec in enumerate(rng.sample(terms, count)):
        kind = i % 4
        if kind == 0:
            upserts.append(replace(spec, term=f"{spec.term} {tag}{i}"))
        elif kind == 1:
            upserts.append(replace(spec, aliases=(*spec.aliases, f"alias {tag} {i}")))
        elif kind == 2:
            removed.append(spec.term_id)
        else:
            upserts.append(TermSpec(f"new-{tag}-{i}", spec.glossary_id, f"novel {tag} term {i}"))
    return upserts, removed


def _time_updates(
    engine: Engine, compiled: CompiledGlossary, terms: list[TermSpec], count: int, version: int
) -> tuple[float, int]:
    """Best of REPEATS updates of `count` terms, each a different change set, in seconds."""
    rng = random.Random(SEED + count)
    tokenizer = pattern_tokenizer(engine.nlp)  # held by GlossaryCache in the server
    best = float("inf")
    for r in range(REPEATS):
        upserts, removed = _edits(terms, count, rng, f"v{version}r{r}")
        live = {t.term_id for t in compiled.terms}
        removed = [t for t in removed if t in live]
        started = time.perf_counter()
        compiled.apply(version, upserts, removed, engine.nlp, tokenizer)
        best = min(best, time.perf_counter() - started)
        version += 1
        terms = list(compiled.terms)
    return best, version


def run(quick: bool) -> str:
    """Run the benchmark and return its Markdown section."""
    size = 10_000 if quick else 100_000
    engine = Engine.load()
    terms = make_terms(size, random.Random(SEED), "\n\n".join(_paragraphs()))
    started = time.perf_counter()
    compiled = engine.compile_glossary("bench", 1, terms)
    full_s = time.perf_counter() - started

    rows = []
    version = 2
    for count in (1, 100):
        update_s, version = _time_updates(engine, compiled, list(compiled.terms), count, version)
        rows.append(
            f"| {size:,} | {count} | {update_s * 1000:.1f} ms | {full_s:.2f} s "
            f"| **{full_s / update_s:,.0f}×** |"
        )
    return "\n".join(
        [
            "## Incremental glossary updates (`tests/benchmarks/bench_incremental.py`)",
            "",
            "A compiled glossary patched in place (`CompiledGlossary.apply`) with the changed "
            "terms only (a quarter each: new surface, new alias, deleted, added), against one "
            f"full compile of the same glossary (seeded synthetic terms, seed {SEED}). Update "
            f"times are the best of {REPEATS} different change sets; the full compile ran once.",
            "",
            "| terms | changed | update | full compile | full / update |",
            "|---:|---:|---:|---:|---:|",
            *rows,
            "",
            f"Stale patterns left in the matchers afterwards: {compiled.stale_patterns:,} "
            f"of {compiled.pattern_count:,} live.",
        ]
    )
