"""Teams and memberships with a role (owner, editor, viewer)."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Enum, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gloss.models.base import Base, IdMixin, utcnow
from gloss.names import name_key

if TYPE_CHECKING:
    from gloss.models.user import User


class Role(enum.StrEnum):
    owner = "owner"
    editor = "editor"
    viewer = "viewer"

    @property
    def rank(self) -> int:
        return {"viewer": 0, "editor": 1, "owner": 2}[self.value]

    def at_least(self, other: Role) -> bool:
        return self.rank >= other.rank


def _key_of_name(context: Any) -> str:
    return name_key(context.get_current_parameters()["name"])


class Team(IdMixin, Base):
    __tablename__ = "teams"

    name: Mapped[str] = mapped_column(String(100), unique=True)
    # The name as names are compared (gloss.names.name_key): "Default" is taken by "default".
    # Filled from the name on insert when not given.
    name_key: Mapped[str] = mapped_column(String(100), unique=True, default=_key_of_name)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(back_populates="team", lazy="raise")


class Membership(IdMixin, Base):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("team_id", "user_id"),)

    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[Role] = mapped_column(
        Enum(Role, name="role", native_enum=False, length=16, validate_strings=True)
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    team: Mapped[Team] = relationship(back_populates="memberships", lazy="raise")
    user: Mapped[User] = relationship(back_populates="memberships", lazy="raise")


class Invitation(IdMixin, Base):
    """An owner's invitation of a user, by name, to join a team with a role; the membership is
    made only when that user accepts. A name nobody has yet is invited all the same, so an
    invitation says nothing about which users exist."""

    __tablename__ = "invitations"
    __table_args__ = (UniqueConstraint("team_id", "user_name"),)

    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    user_name: Mapped[str] = mapped_column(String(64), index=True)
    role: Mapped[Role] = mapped_column(
        Enum(Role, name="role", native_enum=False, length=16, validate_strings=True)
    )
    invited_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
