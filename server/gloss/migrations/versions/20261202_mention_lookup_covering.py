"""The mentions lookup index covers what "articles mentioning this key" reads.

Revision ID: 20261202_mention_lookup_covering
Revises: 20261201_article_vectors
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = "20261202_mention_lookup_covering"
down_revision: str | None = "20261201_article_vectors"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# With article_id and published_at in the index, the best mentions of a key are read from the
# index alone, in the order asked (salience, then article id, descending): no table lookup per
# mention and no sort per key. At 100k articles (the benchmark's corpus) that took the related
# call's cards statement from 1.32 to 0.77 ms of SQLite time, in a one-off measurement; `python
# -m tests.benchmarks articles` shows the whole call.
_OLD = ["team_id", "kind", "key", "salience"]
_NEW = [*_OLD, "article_id", "published_at"]


def upgrade() -> None:
    op.drop_index("ix_article_mentions_lookup", table_name="article_mentions")
    op.create_index("ix_article_mentions_lookup", "article_mentions", _NEW)


def downgrade() -> None:
    op.drop_index("ix_article_mentions_lookup", table_name="article_mentions")
    op.create_index("ix_article_mentions_lookup", "article_mentions", _OLD)
