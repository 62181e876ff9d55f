"""Fixtures for the NLP engine tests: the spaCy model is loaded once per session (it is slow)."""

from __future__ import annotations

import pytest

from gloss.nlp.engine import Engine


@pytest.fixture(scope="session")
def engine() -> Engine:
    return Engine.load()
