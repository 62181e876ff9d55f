"""Rules for the names people give things (users, teams), shared by their schemas."""

from __future__ import annotations


def printable(value: str) -> str:
    """Names are one line of text: PostgreSQL refuses NUL, and no name needs a control code."""
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValueError("must not contain control characters")
    return value
