"""A change log of articles on SQLite, so each process's in-memory related index catches up.

Revision ID: 20261130_article_changes
Revises: 20261129_articles
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

revision: str = "20261130_article_changes"
down_revision: str | None = "20261129_articles"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Like the FTS5 index, the log is not an ORM model: gloss.search.sqlite_index owns it. Triggers
# fill it on every write path (ORM, executemany, cascades from a deleted team). One row per
# article key, moved to a new, higher `seq` by each change (AUTOINCREMENT never reuses one), so
# "what changed since seq N" is a range scan and the table stays as long as the articles ever
# stored. Delete-then-insert rather than INSERT OR REPLACE: an outer statement's conflict clause
# would override the trigger's.
_LOG = (
    "DELETE FROM article_changes WHERE doc_id = {row}.doc_id; "
    "INSERT INTO article_changes(doc_id) VALUES ({row}.doc_id);"
)
SQLITE = [
    "CREATE TABLE article_changes ("
    "seq INTEGER PRIMARY KEY AUTOINCREMENT, doc_id BIGINT NOT NULL UNIQUE)",
    "CREATE TRIGGER article_changes_ai AFTER INSERT ON articles BEGIN "
    + _LOG.format(row="new")
    + " END",
    "CREATE TRIGGER article_changes_ad AFTER DELETE ON articles BEGIN "
    + _LOG.format(row="old")
    + " END",
    "CREATE TRIGGER article_changes_au AFTER UPDATE OF title, text, doc_id, team_id ON articles "
    "BEGIN " + _LOG.format(row="old") + " " + _LOG.format(row="new") + " END",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("article_changes_ai", "article_changes_ad", "article_changes_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS article_changes")
