"""The sentence encoder of the related re-rank (gloss.nlp.dense) against a bare `nlp(text)` of the
spaCy model on the same texts, with numpy's BLAS on one thread (as the server runs it) and on
its default."""

from __future__ import annotations

import os
import random
import statistics
import time
from collections.abc import Callable

from threadpoolctl import threadpool_limits

from gloss.nlp import dense
from gloss.nlp.engine import load_bare_model
from tests.benchmarks.bench_nlp import SEED, make_article


def _interleaved_ms(
    first: Callable[[str], object], second: Callable[[str], object], texts: list[str]
) -> tuple[float, float]:
    """Median milliseconds of each call, text by text in turn, so that drifts in the
    machine's speed hit both alike."""
    first(texts[0])  # warm: first-call allocations are not per-text work
    second(texts[0])
    a, b = [], []
    for text in texts:
        started = time.perf_counter()
        first(text)
        middle = time.perf_counter()
        second(text)
        a.append(middle - started)
        b.append(time.perf_counter() - middle)
    return statistics.median(a) * 1000, statistics.median(b) * 1000


def run(quick: bool) -> str:
    rng = random.Random(SEED)
    texts = [make_article(150, rng) for _ in range(8 if quick else 30)]
    encoder = dense.Encoder.load()
    bare = load_bare_model()
    tokens = statistics.median(len(encoder.tokenizer.encode(t)) for t in texts)

    def embed(text: str) -> object:
        return encoder.embed([text])

    rows = []
    for label, threads in (("one BLAS thread (the server)", 1), ("numpy's default", None)):
        with threadpool_limits(limits=threads, user_api="blas"):
            encoder_ms, bare_ms = _interleaved_ms(embed, bare, texts)
        rows.append((label, encoder_ms, bare_ms))
    lines = [
        "## Sentence encoder (dense re-rank) against bare spaCy",
        "",
        f"`gloss.nlp.dense.Encoder.embed` of one news-style text (its first {int(tokens)} "
        "word pieces, the length the model was trained at), against a bare `nlp(text)` of the full "
        "en_core_web_sm pipeline on the same texts of about 150 words; medians over "
        f"{len(texts)} texts. The server limits numpy's BLAS to one thread, beside spaCy's "
        f"(ADR 0008). {os.cpu_count()} cores.",
        "",
        "| BLAS threads | encoder | bare nlp(text) | encoder / bare |",
        "|---|---:|---:|---:|",
    ]
    for label, encoder_ms, bare_ms in rows:
        lines.append(
            f"| {label} | {encoder_ms:.1f} ms | {bare_ms:.1f} ms | {encoder_ms / bare_ms:.2f} |"
        )
    return "\n".join(lines)
