"""Benchmarks: each `bench_*.py` module here has `run(quick: bool) -> str`, a Markdown section."""
