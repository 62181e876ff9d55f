"""Fixtures for articles: a stand-in NLP engine (no spaCy), and a small news corpus."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI

from gloss.nlp.ranking import DEFAULT_WEIGHTS

# Names the stand-in engine recognises, with their OntoNotes labels.
GAZETTEER = {
    "Huawei": "ORG",
    "Nvidia": "ORG",
    "TSMC": "ORG",
    "European Central Bank": "ORG",
    "Christine Lagarde": "PERSON",
    "Berlin": "GPE",
    "Taiwan": "GPE",
    "Shenzhen": "GPE",
    "Kenya": "GPE",
}
_NAMES = re.compile("|".join(re.escape(n) for n in sorted(GAZETTEER, key=len, reverse=True)))


@dataclass
class Span:
    start: int
    end: int
    text: str
    label: str
    key: str


@dataclass
class Result:
    entities: list[Span] = field(default_factory=list)
    terms: list[Any] = field(default_factory=list)


class FakeEngine:
    """Stands in for the NLP runtime: finds gazetteer names, records the texts it was given."""

    dense_model = None  # no sentence encoder: related is ranked without vectors
    glossaries = None  # no compiled glossaries: it finds no terms
    related_weights = DEFAULT_WEIGHTS

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.calls: list[tuple[int, frozenset[str]]] = []

    async def embed(self, documents: Sequence[str]) -> None:
        del documents  # nothing to embed with

    async def annotate(
        self,
        text: str,
        glossaries: Sequence[Any],
        include: frozenset[str],
        owner: Any = None,
        priority: str = "visible",
    ) -> Result:
        del owner, priority  # one engine call at a time here: no queue to be fair in
        self.texts.append(text)
        self.calls.append((len(glossaries), include))
        return Result(
            entities=[
                Span(m.start(), m.end(), m.group(), GAZETTEER[m.group()], m.group().lower())
                for m in _NAMES.finditer(text)
            ]
        )


@pytest.fixture
def no_engine(app: FastAPI) -> Iterator[None]:
    """A server without the NLP engine (GLOSS_LOAD_NLP=false): articles get no mentions."""
    previous = app.state.nlp
    app.state.nlp = None
    yield
    app.state.nlp = previous


@pytest.fixture
def fake_engine(app: FastAPI) -> Iterator[FakeEngine]:
    engine = FakeEngine()
    # The app is shared by the session: put back whatever runtime other tests installed.
    previous = app.state.nlp
    app.state.nlp = engine
    yield engine
    app.state.nlp = previous


def article(url: str, title: str, text: str, **extra: Any) -> dict[str, Any]:
    return {"url": url, "title": title, "text": text, **extra}


CHIPS_1 = article(
    "https://news.example/chips/export-controls",
    "Nvidia faces new export controls on AI chips",
    "Nvidia said new export controls would restrict sales of its accelerator chips to "
    "Chinese customers. Analysts expect Huawei to gain share with its own accelerator "
    "designs, while TSMC keeps manufacturing the most advanced wafers in Taiwan. "
    "The semiconductor restrictions cover high bandwidth memory as well.",
    published_at="2026-10-01T09:00:00Z",
    source="Example News",
    tags=["chips", "trade"],
)
CHIPS_2 = article(
    "https://news.example/chips/huawei-accelerator",
    "Huawei unveils accelerator to rival Nvidia",
    "Huawei presented an accelerator chip in Shenzhen that it says matches Nvidia on "
    "inference workloads. The semiconductor design is manufactured without TSMC after "
    "export controls cut off access to advanced wafers and high bandwidth memory.",
    published_at="2026-10-20T09:00:00Z",
)
CHIPS_3 = article(
    "https://news.example/chips/tsmc-capacity",
    "TSMC expands advanced wafer capacity in Taiwan",
    "TSMC will add advanced wafer capacity in Taiwan as demand for accelerator chips from "
    "Nvidia keeps growing. The semiconductor foundry also plans packaging lines for high "
    "bandwidth memory stacks.",
    published_at="2026-09-15T09:00:00Z",
)
RATES_1 = article(
    "https://news.example/economy/ecb-rates",
    "European Central Bank holds interest rates",
    "The European Central Bank held interest rates steady as inflation eased across the "
    "euro area. Christine Lagarde said the governing council would watch wage growth and "
    "energy prices before any cut to borrowing costs.",
    published_at="2026-10-25T09:00:00Z",
)
RATES_2 = article(
    "https://news.example/economy/ecb-inflation",
    "Inflation slows, Lagarde signals patience on rates",
    "Christine Lagarde said inflation in the euro area slowed again, but the European "
    "Central Bank wants more evidence from wage growth before lowering interest rates and "
    "borrowing costs.",
    published_at="2026-11-02T09:00:00Z",
)
DROUGHT = article(
    "https://news.example/climate/kenya-drought",
    "Drought threatens harvests in Kenya",
    "A third failed rainy season has left maize harvests in northern Kenya at risk. Farmers "
    "are selling livestock as pasture and water points dry up, and aid agencies warn of "
    "rising food prices.",
    published_at="2026-08-10T09:00:00Z",
)
CORPUS = [CHIPS_1, CHIPS_2, CHIPS_3, RATES_1, RATES_2, DROUGHT]
