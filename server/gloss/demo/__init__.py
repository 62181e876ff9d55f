"""The demo workspace: a dozen news articles and a glossary, so a new user sees Gloss work."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from importlib import resources

from sqlalchemy.ext.asyncio import AsyncSession

from gloss.articles.service import AnnotatingRuntime, ArticleInput, ingest_batch

DEMO_GLOSSARY_NAME = "Demo glossary"


def demo_articles() -> list[ArticleInput]:
    text = resources.files(__package__).joinpath("articles.jsonl").read_text(encoding="utf-8")
    articles = []
    for line in text.splitlines():
        if line.strip():
            row = json.loads(line)
            articles.append(
                ArticleInput(
                    url=row["url"],
                    title=row["title"],
                    text=row["text"],
                    source=row.get("source"),
                    published_at=_parse_time(row.get("published_at")),
                    tags=row.get("tags", []),
                )
            )
    return articles


def demo_glossary_csv() -> str:
    """The demo glossary in the CSV import format (term,definition,aliases,url,tags,...)."""
    return resources.files(__package__).joinpath("glossary.csv").read_text(encoding="utf-8")


@dataclass
class DemoResult:
    created: int
    updated: int
    unchanged: int


async def load_demo(
    session: AsyncSession, team_id: uuid.UUID, nlp: AnnotatingRuntime | None
) -> DemoResult:
    """Store the demo articles in the team; loading twice changes nothing (stored by URL)."""
    outcomes = await ingest_batch(session, team_id, demo_articles(), nlp)
    statuses = [o.status for o in outcomes]
    return DemoResult(
        created=statuses.count("created"),
        updated=statuses.count("updated"),
        unchanged=statuses.count("unchanged"),
    )


def _parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
