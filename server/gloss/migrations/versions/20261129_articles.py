"""Articles, their mentions, and the full-text index (FTS5 on SQLite, tsvector on PostgreSQL).

Revision ID: 20261129_articles
Revises: 20261129_collections
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gloss.models.base import UTCDateTime

revision: str = "20261129_articles"
down_revision: str | None = "20261129_collections"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The full-text artefacts are not ORM models (a virtual table, triggers, a generated column);
# gloss.search owns them and `gloss articles reindex` rebuilds them from the stored articles.
SQLITE_FTS = [
    # External content: the index reads title and text from `articles` by doc_id, so the text
    # is stored once. Title and body are separate columns so BM25 can weight the title higher.
    "CREATE VIRTUAL TABLE articles_fts USING fts5("
    "title, text, content='articles', content_rowid='doc_id', "
    "tokenize='unicode61 remove_diacritics 0')",
    "CREATE VIRTUAL TABLE articles_fts_vocab USING fts5vocab(articles_fts, 'row')",
    # Triggers keep the index in step with every write, whichever code path makes it (ORM,
    # bulk executemany, cascades from a deleted team). A future batch migration that copies
    # `articles` must re-create them.
    "CREATE TRIGGER articles_fts_ai AFTER INSERT ON articles BEGIN "
    "INSERT INTO articles_fts(rowid, title, text) VALUES (new.doc_id, new.title, new.text); END",
    "CREATE TRIGGER articles_fts_ad AFTER DELETE ON articles BEGIN "
    "INSERT INTO articles_fts(articles_fts, rowid, title, text) "
    "VALUES ('delete', old.doc_id, old.title, old.text); END",
    "CREATE TRIGGER articles_fts_au AFTER UPDATE OF title, text, doc_id ON articles BEGIN "
    "INSERT INTO articles_fts(articles_fts, rowid, title, text) "
    "VALUES ('delete', old.doc_id, old.title, old.text); "
    "INSERT INTO articles_fts(rowid, title, text) VALUES (new.doc_id, new.title, new.text); END",
]
POSTGRES_FTS = [
    # `simple` (no stemming, no stop list) tokenises like SQLite's unicode61, so both backends
    # index the same words; the title is weight A, the body B.
    "ALTER TABLE articles ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('simple', coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('simple', coalesce(text, '')), 'B')) STORED",
    "CREATE INDEX ix_articles_search_vector ON articles USING gin (search_vector)",
]


def upgrade() -> None:
    op.create_table(
        "articles",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("doc_id", sa.BigInteger(), nullable=False),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("canonical_url", sa.String(2048), nullable=True),
        sa.Column("title", sa.String(1000), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("source", sa.String(200), nullable=True),
        sa.Column("published_at", UTCDateTime(), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("minhash_band0", sa.Integer(), nullable=False),
        sa.Column("minhash_band1", sa.Integer(), nullable=False),
        sa.Column("minhash_band2", sa.Integer(), nullable=False),
        sa.Column("minhash_band3", sa.Integer(), nullable=False),
        sa.Column("duplicate_of_id", sa.Uuid(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_articles_team_id_teams"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["duplicate_of_id"],
            ["articles.id"],
            name=op.f("fk_articles_duplicate_of_id_articles"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_articles")),
        sa.UniqueConstraint("doc_id", name=op.f("uq_articles_doc_id")),
        sa.UniqueConstraint("team_id", "url", name=op.f("uq_articles_team_id_url")),
    )
    op.create_index("ix_articles_team_id_content_hash", "articles", ["team_id", "content_hash"])
    op.create_index("ix_articles_team_id_created_at", "articles", ["team_id", "created_at"])
    op.create_index("ix_articles_team_id_canonical_url", "articles", ["team_id", "canonical_url"])
    for band in range(4):
        op.create_index(
            f"ix_articles_team_id_minhash_band{band}",
            "articles",
            ["team_id", f"minhash_band{band}"],
        )
    op.create_index(op.f("ix_articles_duplicate_of_id"), "articles", ["duplicate_of_id"])
    op.create_table(
        "article_mentions",
        sa.Column("article_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("key", sa.String(300), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("label", sa.String(40), nullable=True),
        sa.Column("text", sa.String(300), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("salience", sa.Float(), nullable=False),
        sa.Column("published_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_article_mentions_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_article_mentions_team_id_teams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("article_id", "kind", "key", name=op.f("pk_article_mentions")),
    )
    op.create_index(
        "ix_article_mentions_lookup", "article_mentions", ["team_id", "kind", "key", "salience"]
    )
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_FTS if dialect == "sqlite" else POSTGRES_FTS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("articles_fts_ai", "articles_fts_ad", "articles_fts_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS articles_fts_vocab")
        op.execute("DROP TABLE IF EXISTS articles_fts")
    op.drop_table("article_mentions")
    op.drop_table("articles")
