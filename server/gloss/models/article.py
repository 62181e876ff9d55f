"""A team's stored articles and the entities and terms each one mentions."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from gloss.models.base import Base, IdMixin, TimestampMixin

# MinHash bands of the text's shingles (gloss.nlp.ranking): a near duplicate very likely
# agrees on one of them, so finding candidates is an exact, indexed lookup per band.
MINHASH_BANDS = 4


def new_doc_id() -> int:
    """The article's integer key for the full-text index (FTS5 rowids are integers)."""
    # 62 random bits: collisions are negligible at millions of rows, and it fits SQLite's
    # signed 64-bit rowid and PostgreSQL's bigint.
    return secrets.randbits(62) + 1


class Article(IdMixin, TimestampMixin, Base):
    __tablename__ = "articles"
    __table_args__ = (
        UniqueConstraint("team_id", "url"),
        Index("ix_articles_team_id_content_hash", "team_id", "content_hash"),
        Index("ix_articles_team_id_created_at", "team_id", "created_at"),
        Index("ix_articles_team_id_canonical_url", "team_id", "canonical_url"),
        *(
            Index(f"ix_articles_team_id_minhash_band{i}", "team_id", f"minhash_band{i}")
            for i in range(MINHASH_BANDS)
        ),
    )

    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    doc_id: Mapped[int] = mapped_column(BigInteger, unique=True, default=new_doc_id)
    url: Mapped[str] = mapped_column(String(2048))
    canonical_url: Mapped[str | None] = mapped_column(String(2048))
    title: Mapped[str] = mapped_column(String(1000))
    text: Mapped[str] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(200))
    published_at: Mapped[datetime | None]
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    content_hash: Mapped[str] = mapped_column(String(64))
    minhash_band0: Mapped[int] = mapped_column(Integer)
    minhash_band1: Mapped[int] = mapped_column(Integer)
    minhash_band2: Mapped[int] = mapped_column(Integer)
    minhash_band3: Mapped[int] = mapped_column(Integer)
    duplicate_of_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("articles.id", ondelete="SET NULL"), index=True
    )
    version: Mapped[int] = mapped_column(Integer, default=1)

    def set_fingerprint(self, content_hash: str, bands: list[int]) -> None:
        self.content_hash = content_hash
        self.minhash_band0, self.minhash_band1, self.minhash_band2, self.minhash_band3 = bands


class ArticleMention(Base):
    """An entity (key = the engine's entity key) or glossary term (key = term id) in an article.

    team_id and published_at are copied from the article so "articles of my teams mentioning X,
    by salience and recency" is one index range scan, not a join over every article.
    """

    __tablename__ = "article_mentions"
    # Covering: "the most salient mentions of this key" is an index range walk that needs no
    # table row, in the order the query asks (salience, then article id, both descending).
    __table_args__ = (
        Index(
            "ix_article_mentions_lookup",
            "team_id",
            "kind",
            "key",
            "salience",
            "article_id",
            "published_at",
        ),
    )

    article_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    label: Mapped[str | None] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(String(300))
    count: Mapped[int] = mapped_column(Integer)
    salience: Mapped[float] = mapped_column(Float)
    published_at: Mapped[datetime | None]


class ArticleVector(Base):
    """An article's sentence vector for the dense re-rank of related articles (gloss.nlp.dense):
    float16 bytes, with the model that made it, so vectors of another model are never compared.
    Its own table: the articles row (and its full-text triggers) is not rewritten to add one."""

    __tablename__ = "article_vectors"

    article_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    model: Mapped[str] = mapped_column(String(100))
    vector: Mapped[bytes] = mapped_column(LargeBinary)
