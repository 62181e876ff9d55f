"""Schemas of articles, ingest results and related articles."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from gloss.urls import is_web_url, normalize_url

MAX_URL_CHARS = 2048
IngestStatus = Literal["created", "updated", "unchanged", "error"]


def _no_nul(value: str | None) -> str | None:
    # PostgreSQL cannot store NUL in text; refuse it (422) rather than fail in the database.
    if value is not None and "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


class ArticleBase(BaseModel):
    """What every shape of a stored article shows (as stored: answers never re-check input
    rules, so a rule made stricter later cannot break reading what is stored)."""

    url: str = Field(description="The page's URL, normalised.")
    title: str
    canonical_url: str | None = Field(None, description="The page's rel=canonical URL.")
    source: str | None = Field(None, description="Publisher, e.g. 'Reuters'.")
    published_at: datetime | None = None
    tags: list[str] = Field(default_factory=list)


class ArticleCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=1, max_length=MAX_URL_CHARS, description="The page's URL.")
    title: str = Field(min_length=1, max_length=1000)
    canonical_url: str | None = Field(
        None, max_length=MAX_URL_CHARS, description="The page's rel=canonical URL, when it has one."
    )
    source: str | None = Field(None, max_length=200, description="Publisher, e.g. 'Reuters'.")
    published_at: datetime | None = None
    tags: list[str] = Field(default_factory=list, max_length=50)
    text: str = Field(min_length=1, max_length=2_000_000)
    team_id: uuid.UUID | None = Field(
        None, description="The team to store it in; default: the caller's only team."
    )

    @field_validator("title", "source", "text")
    @classmethod
    def _text(cls, value: str | None) -> str | None:
        return _no_nul(value)

    @field_validator("url", "canonical_url")
    @classmethod
    def _web_url(cls, value: str | None) -> str | None:
        _no_nul(value)
        if value is None:
            return None
        if not is_web_url(value):
            raise ValueError("must be an http(s) URL")
        # Stored normalised: percent-encoding can make a URL several times longer, and the
        # limit is on what is stored.
        if len(normalize_url(value)) > MAX_URL_CHARS:
            raise ValueError(f"is longer than {MAX_URL_CHARS} characters once normalised")
        return value

    @field_validator("published_at")
    @classmethod
    def _in_utc_range(cls, value: datetime | None) -> datetime | None:
        # Stored in UTC: 0001-01-01T00:00+01:00 is a valid date-time but not a UTC one.
        if value is not None and value.tzinfo is not None:
            try:
                value.astimezone(UTC)
            except OverflowError as exc:
                raise ValueError("is outside the years 1 to 9999 in UTC") from exc
        return value

    @field_validator("tags")
    @classmethod
    def _tags(cls, tags: list[str]) -> list[str]:
        cleaned = []
        for tag in tags:
            tag = tag.strip()
            _no_nul(tag)
            if not tag or len(tag) > 100:
                raise ValueError("tags are 1 to 100 characters")
            if tag not in cleaned:
                cleaned.append(tag)
        return cleaned


class Mention(BaseModel):
    kind: Literal["entity", "term"]
    key: str
    label: str | None
    text: str
    count: int
    salience: float


class ArticleSummary(ArticleBase):
    id: uuid.UUID
    team_id: uuid.UUID
    snippet: str
    duplicate_of: uuid.UUID | None = Field(
        None, description="The article this one repeats (same or nearly the same text)."
    )
    created_at: datetime
    updated_at: datetime


class Article(ArticleSummary):
    text: str
    content_hash: str
    mentions: list[Mention]


class IngestResult(BaseModel):
    """What happened to one submitted article (one line of a bulk upload)."""

    line: int | None = Field(None, description="The line number in a bulk upload, from 1.")
    status: IngestStatus
    id: uuid.UUID | None = None
    url: str | None = Field(None, description="The normalised URL the article is stored under.")
    duplicate_of: uuid.UUID | None = None
    error: dict[str, object] | None = Field(
        None, description="A problem object (type, title, detail) when status is error."
    )


class ArticleWritten(Article):
    status: IngestStatus


class RelatedArticle(BaseModel):
    """A stored article related to a page, an article, an entity or a term."""

    article_id: uuid.UUID
    url: str
    title: str
    snippet: str
    score: float = Field(ge=0, le=1)
    published_at: datetime | None
    reason: str = Field(
        default="",
        description='Why it is related, in a few words: "same story", "shares DeepSeek, '
        'Nvidia", "close in meaning", "similar wording", "about Nvidia" (a subject\'s list).',
    )
    duplicates: int = Field(
        default=0,
        ge=0,
        description="Stored copies of the same story grouped into this one (not listed).",
    )


class ArticleRef(BaseModel):
    """A stored article as a card names it."""

    article_id: uuid.UUID
    url: str
    title: str
    source: str | None
    published_at: datetime | None


class NamingSentence(BaseModel):
    """A sentence of a stored article that names the subject."""

    text: str
    article: ArticleRef


class CoMention(BaseModel):
    """A name that stored articles often give beside the subject."""

    key: str
    text: str
    label: str | None
    articles: int = Field(description="How many of the sampled articles name both.")


class SubjectKnowledge(BaseModel):
    """What the team's stored articles say about one entity or term."""

    article_count: int = Field(description="Stored articles naming it (copies counted once).")
    latest: list[ArticleRef] = Field(description="The latest few of them, newest first.")
    sentence: NamingSentence | None = Field(
        description="A sentence from the store that names it, from the article naming it most."
    )
    appears_with: list[CoMention] = Field(description="The names it most often appears with.")
