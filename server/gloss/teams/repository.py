"""SQL for teams and memberships."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from gloss.errors import Conflict
from gloss.models import Invitation, Membership, Role, Team, User
from gloss.names import name_key


class TeamRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, team_id: uuid.UUID) -> Team | None:
        return await self.session.get(Team, team_id)

    async def get_by_name(self, name: str) -> Team | None:
        """The team whose name is this one as names are compared (gloss.names.name_key)."""
        return await self.session.scalar(select(Team).where(Team.name_key == name_key(name)))

    async def create(self, name: str) -> Team:
        """The new team; 409 when the name was taken meanwhile (another request's create
        committed between the caller's check and this insert: the unique index decides)."""
        team = Team(name=name)  # name_key is filled from the name (models/team.py)
        try:
            async with self.session.begin_nested():
                self.session.add(team)
                await self.session.flush()
        except IntegrityError as exc:
            raise Conflict(f"A team named {name!r} already exists.") from exc
        return team

    async def lock(self, team_id: uuid.UUID) -> None:
        """Take the team's row lock until the transaction ends, so membership changes of one
        team are serialised (PostgreSQL; SQLite's writers are serialised by BEGIN IMMEDIATE)."""
        await self.session.execute(select(Team.id).where(Team.id == team_id).with_for_update())

    async def role_of(self, team_id: uuid.UUID, user_id: uuid.UUID) -> Role | None:
        """The member's role as stored now (not as the session last loaded it)."""
        role = await self.session.scalar(
            select(Membership.role).where(
                Membership.team_id == team_id, Membership.user_id == user_id
            )
        )
        return Role(role) if role is not None else None

    async def members(self, team_id: uuid.UUID) -> list[tuple[Membership, User]]:
        rows = await self.session.execute(
            select(Membership, User)
            .join(User, User.id == Membership.user_id)
            .where(Membership.team_id == team_id)
            .order_by(User.name)
        )
        return [(m, u) for m, u in rows]

    async def membership(self, team_id: uuid.UUID, user_id: uuid.UUID) -> Membership | None:
        return await self.session.scalar(
            select(Membership).where(Membership.team_id == team_id, Membership.user_id == user_id)
        )

    async def add_member(self, team_id: uuid.UUID, user_id: uuid.UUID, role: Role) -> Membership:
        membership = Membership(team_id=team_id, user_id=user_id, role=role)
        self.session.add(membership)
        await self.session.flush()
        return membership

    async def count_owners(self, team_id: uuid.UUID) -> int:
        count = await self.session.scalar(
            select(func.count())
            .select_from(Membership)
            .where(Membership.team_id == team_id, Membership.role == Role.owner)
        )
        return int(count or 0)

    async def delete_membership(self, membership: Membership) -> None:
        await self.session.delete(membership)
        await self.session.flush()

    # --- invitations ------------------------------------------------------------------------

    async def invitation(self, team_id: uuid.UUID, user_name: str) -> Invitation | None:
        return await self.session.scalar(
            select(Invitation).where(
                Invitation.team_id == team_id, Invitation.user_name == user_name
            )
        )

    async def add_invitation(self, invitation: Invitation) -> Invitation:
        """The stored invitation; 409 when one for this name was made meanwhile."""
        try:
            async with self.session.begin_nested():
                self.session.add(invitation)
                await self.session.flush()
        except IntegrityError as exc:
            raise Conflict(f"{invitation.user_name!r} is already invited.") from exc
        return invitation

    async def invitation_row(self, condition: Any) -> tuple[Invitation, Team, str | None] | None:
        rows = await self._invitations(condition)
        return rows[0] if rows else None

    async def team_invitations(
        self, team_id: uuid.UUID
    ) -> list[tuple[Invitation, Team, str | None]]:
        return await self._invitations(Invitation.team_id == team_id)

    async def invitations_for(self, user_name: str) -> list[tuple[Invitation, Team, str | None]]:
        return await self._invitations(Invitation.user_name == user_name)

    async def _invitations(self, condition: Any) -> list[tuple[Invitation, Team, str | None]]:
        inviter = aliased(User)
        rows = await self.session.execute(
            select(Invitation, Team, inviter.name)
            .join(Team, Team.id == Invitation.team_id)
            .outerjoin(inviter, inviter.id == Invitation.invited_by_id)
            .where(condition)
            .order_by(Invitation.created_at, Invitation.id)
        )
        return [(i, t, n) for i, t, n in rows]

    async def delete_invitation(self, invitation: Invitation) -> None:
        await self.session.delete(invitation)
        await self.session.flush()
