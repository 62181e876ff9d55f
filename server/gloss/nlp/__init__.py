"""The NLP engine: pure functions and plain data (no web or database imports)."""
