"""Sentence vectors of articles, for the dense re-rank of related articles.

Revision ID: 20261201_article_vectors
Revises: 20261130_article_changes
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261201_article_vectors"
down_revision: str | None = "20261130_article_changes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Articles stored before this revision have no vector; `gloss articles reindex --vectors`
    # adds them, and related ranks an article without one by the other signals alone.
    op.create_table(
        "article_vectors",
        sa.Column("article_id", sa.Uuid(), nullable=False),
        sa.Column("model", sa.String(100), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("article_id"),
    )


def downgrade() -> None:
    op.drop_table("article_vectors")
