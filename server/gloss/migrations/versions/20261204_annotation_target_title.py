"""Annotations keep the title of the page they were made on, as the extension sends it.

Revision ID: 20261204_annotation_target_title
Revises: 20261202_mention_lookup_covering
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261204_annotation_target_title"
down_revision: str | None = "20261202_mention_lookup_covering"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("annotations") as batch:
        batch.add_column(sa.Column("target_title", sa.String(length=1000), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("annotations") as batch:
        batch.drop_column("target_title")
