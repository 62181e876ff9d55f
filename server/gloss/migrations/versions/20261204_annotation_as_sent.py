"""Annotations keep what the client sent that the protocol asks to keep: the page's title (for
the share page), a plain-IRI target as a plain IRI, `canonical`, and the id a client gave it
(as `via`).

Revision ID: 20261204_annotation_as_sent
Revises: 20261202_mention_lookup_covering
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261204_annotation_as_sent"
down_revision: str | None = "20261202_mention_lookup_covering"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("annotations") as batch:
        batch.add_column(sa.Column("target_title", sa.String(length=1000), nullable=True))
        batch.add_column(
            sa.Column("target_is_iri", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("canonical", sa.String(length=2048), nullable=True))
        batch.add_column(sa.Column("via", sa.String(length=2048), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("annotations") as batch:
        batch.drop_column("via")
        batch.drop_column("canonical")
        batch.drop_column("target_is_iri")
        batch.drop_column("target_title")
