"""Team membership by consent: invitations; team names compared after NFKC and case folding.

Revision ID: 20261204_invitations
Revises: 20261204_annotation_as_sent
Create Date: 2026-12-04
"""

import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gloss.models.base import UTCDateTime

revision: str = "20261204_invitations"
down_revision: str | None = "20261204_annotation_as_sent"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _key(name: str) -> str:
    # gloss.names.name_key as of this migration (a migration never imports app code).
    return unicodedata.normalize("NFKC", name).casefold().strip()


def upgrade() -> None:
    with op.batch_alter_table("teams") as batch:
        batch.add_column(sa.Column("name_key", sa.String(length=100), nullable=True))
    teams = sa.table("teams", sa.column("id"), sa.column("name"), sa.column("name_key"))
    connection = op.get_bind()
    taken: set[str] = set()
    for team_id, name in connection.execute(sa.select(teams.c.id, teams.c.name)).all():
        key = _key(name)[:100]
        if key in taken:  # look-alikes stored before: the later one keeps a key of its own
            key = f"{key[:60]}#{team_id}"[:100]
        taken.add(key)
        connection.execute(teams.update().where(teams.c.id == team_id).values(name_key=key))
    with op.batch_alter_table("teams") as batch:
        batch.alter_column("name_key", existing_type=sa.String(length=100), nullable=False)
        batch.create_unique_constraint(op.f("uq_teams_name_key"), ["name_key"])

    op.create_table(
        "invitations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("user_name", sa.String(length=64), nullable=False),
        sa.Column(
            "role",
            sa.Enum("owner", "editor", "viewer", name="role", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("invited_by_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_invitations_team_id_teams"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["invited_by_id"],
            ["users.id"],
            name=op.f("fk_invitations_invited_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitations")),
        sa.UniqueConstraint("team_id", "user_name", name=op.f("uq_invitations_team_id_user_name")),
    )
    op.create_index(op.f("ix_invitations_user_name"), "invitations", ["user_name"])


def downgrade() -> None:
    op.drop_index(op.f("ix_invitations_user_name"), table_name="invitations")
    op.drop_table("invitations")
    with op.batch_alter_table("teams") as batch:
        batch.drop_constraint(op.f("uq_teams_name_key"), type_="unique")
        batch.drop_column("name_key")
