"""API tokens may expire (an optional expires_at).

Revision ID: 20261204_token_expiry
Revises: 20261204_invitations
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gloss.models.base import UTCDateTime

revision: str = "20261204_token_expiry"
down_revision: str | None = "20261204_invitations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("expires_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("expires_at")
