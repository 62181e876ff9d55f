"""Glossaries, terms, their surface forms and term revisions.

Revision ID: 20261129_glossaries
Revises: 20261129_teams
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gloss.models.base import UTCDateTime

revision: str = "20261129_glossaries"
down_revision: str | None = "20261129_teams"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "glossaries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_glossaries_team_id_teams"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_glossaries_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_glossaries")),
        sa.UniqueConstraint("team_id", "name", name=op.f("uq_glossaries_team_id_name")),
    )
    op.create_table(
        "terms",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("glossary_id", sa.Uuid(), nullable=False),
        sa.Column("term", sa.String(200), nullable=False),
        sa.Column("sort_key", sa.String(400), nullable=False),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("aliases", sa.JSON(), nullable=False),
        sa.Column("url", sa.String(2000), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("case_sensitive", sa.Boolean(), nullable=False),
        sa.Column("entity_label", sa.String(32), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["glossary_id"],
            ["glossaries.id"],
            name=op.f("fk_terms_glossary_id_glossaries"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_terms_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"],
            ["users.id"],
            name=op.f("fk_terms_updated_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_terms")),
    )
    op.create_index("ix_terms_glossary_id_sort_key", "terms", ["glossary_id", "sort_key", "id"])
    op.create_table(
        "term_forms",
        sa.Column("glossary_id", sa.Uuid(), nullable=False),
        sa.Column("form", sa.String(400), nullable=False),
        sa.Column("folded", sa.String(400), nullable=False),
        sa.Column("case_sensitive", sa.Boolean(), nullable=False),
        sa.Column("term_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["glossary_id"],
            ["glossaries.id"],
            name=op.f("fk_term_forms_glossary_id_glossaries"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["term_id"], ["terms.id"], name=op.f("fk_term_forms_term_id_terms"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("glossary_id", "form", name=op.f("pk_term_forms")),
    )
    op.create_index(op.f("ix_term_forms_term_id"), "term_forms", ["term_id"])
    op.create_index("ix_term_forms_glossary_id_folded", "term_forms", ["glossary_id", "folded"])
    op.create_table(
        "term_revisions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("glossary_id", sa.Uuid(), nullable=False),
        sa.Column("term_id", sa.Uuid(), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("glossary_version", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["glossary_id"],
            ["glossaries.id"],
            name=op.f("fk_term_revisions_glossary_id_glossaries"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_term_revisions_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_term_revisions")),
    )
    op.create_index(
        "ix_term_revisions_glossary_id_term_id", "term_revisions", ["glossary_id", "term_id"]
    )


def downgrade() -> None:
    op.drop_table("term_revisions")
    op.drop_table("term_forms")
    op.drop_table("terms")
    op.drop_table("glossaries")
