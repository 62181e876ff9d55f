"""SQL for teams and memberships."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gloss.models import Membership, Role, Team, User


class TeamRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, team_id: uuid.UUID) -> Team | None:
        return await self.session.get(Team, team_id)

    async def get_by_name(self, name: str) -> Team | None:
        return await self.session.scalar(select(Team).where(Team.name == name))

    async def create(self, name: str) -> Team:
        team = Team(name=name)
        self.session.add(team)
        await self.session.flush()
        return team

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
