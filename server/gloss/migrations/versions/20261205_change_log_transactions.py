"""PostgreSQL's article change log keeps each change's transaction id, so an in-memory vector
index catches up with a change whose sequence value is below its mark (taken before, committed
after, the changes it saw).

Revision ID: 20261205_change_log_transactions
Revises: 20261204_vector_changes
Create Date: 2026-12-05
"""

from collections.abc import Sequence

from alembic import op

revision: str = "20261205_change_log_transactions"
down_revision: str | None = "20261204_vector_changes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite needs none: its writers take turns, so its sequences commit in order.
POSTGRES = [
    "ALTER TABLE article_changes ADD COLUMN xid xid8 NOT NULL DEFAULT pg_current_xact_id()",
    "CREATE INDEX ix_article_changes_xid ON article_changes (xid)",
    """CREATE OR REPLACE FUNCTION gloss_log_article_change(key BIGINT) RETURNS void AS $$
    BEGIN
      IF key IS NOT NULL THEN
        INSERT INTO article_changes(doc_id) VALUES (key)
        ON CONFLICT (doc_id) DO UPDATE
        SET seq = nextval('article_changes_seq_seq'), xid = pg_current_xact_id();
      END IF;
    END $$ LANGUAGE plpgsql""",
]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in POSTGRES:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        """CREATE OR REPLACE FUNCTION gloss_log_article_change(key BIGINT) RETURNS void AS $$
    BEGIN
      IF key IS NOT NULL THEN
        INSERT INTO article_changes(doc_id) VALUES (key)
        ON CONFLICT (doc_id) DO UPDATE SET seq = nextval('article_changes_seq_seq');
      END IF;
    END $$ LANGUAGE plpgsql"""
    )
    op.execute("DROP INDEX IF EXISTS ix_article_changes_xid")
    op.execute("ALTER TABLE article_changes DROP COLUMN IF EXISTS xid")
