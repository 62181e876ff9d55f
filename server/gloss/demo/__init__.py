"""The demo workspace: a dozen news articles and a glossary, so a new user sees Gloss work."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from importlib import resources

from sqlalchemy.ext.asyncio import AsyncSession

from gloss.articles.ingest import AnnotatingRuntime, ArticleInput, ingest_batch
from gloss.glossaries import service as glossaries
from gloss.glossaries import transfer

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
    terms_created: int
    terms_unchanged: int


async def load_demo(
    session: AsyncSession, team_name: str, nlp: AnnotatingRuntime | None
) -> DemoResult:
    """The demo glossary, then the demo articles (so their terms are found at ingest), in the
    team; loading twice changes nothing (terms upserted, articles stored by URL)."""
    glossary, _ = await glossaries.glossary_by_name(
        session, team_name, DEMO_GLOSSARY_NAME, create=True
    )
    imported = await transfer.import_terms(
        session, glossary, None, demo_glossary_csv().encode("utf-8"), "csv", mode="upsert"
    )
    outcomes = await ingest_batch(session, glossary.team_id, demo_articles(), nlp)
    statuses = [o.status for o in outcomes]
    return DemoResult(
        created=statuses.count("created"),
        updated=statuses.count("updated"),
        unchanged=statuses.count("unchanged"),
        terms_created=imported.created,
        terms_unchanged=imported.unchanged,
    )


def _parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
