"""SQL for users and tokens."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Update, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from gloss.models import ApiToken, Membership, Role, Team, User


class UserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, user_id: uuid.UUID) -> User | None:
        return await self.session.get(User, user_id)

    async def get_by_name(self, name: str) -> User | None:
        return await self.session.scalar(select(User).where(User.name == name))

    async def create(self, name: str, display_name: str | None = None) -> User:
        user = User(name=name, display_name=display_name)
        self.session.add(user)
        await self.session.flush()
        return user

    async def roles(self, user_id: uuid.UUID) -> list[tuple[Team, Role]]:
        rows = await self.session.execute(
            select(Team, Membership.role)
            .join(Membership, Membership.team_id == Team.id)
            .where(Membership.user_id == user_id)
            .order_by(Team.name)
        )
        return [(team, role) for team, role in rows]


class TokenRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get_active_by_hash(self, token_hash: str) -> tuple[ApiToken, User] | None:
        row = await self.session.execute(
            select(ApiToken, User)
            .join(User, User.id == ApiToken.user_id)
            .where(ApiToken.token_hash == token_hash, ApiToken.revoked_at.is_(None))
        )
        found = row.first()
        return (found[0], found[1]) if found else None

    async def list_for_user(self, user_id: uuid.UUID) -> list[ApiToken]:
        result = await self.session.scalars(
            select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.created_at)
        )
        return list(result)

    async def get_for_user(self, token_id: uuid.UUID, user_id: uuid.UUID) -> ApiToken | None:
        return await self.session.scalar(
            select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user_id)
        )

    async def add(self, token: ApiToken) -> ApiToken:
        self.session.add(token)
        await self.session.flush()
        return token

    async def touch(self, token_id: uuid.UUID, when: datetime) -> None:
        await self.session.execute(_touch_statement(token_id, when))

    @staticmethod
    async def touch_on(connection: AsyncConnection, token_id: uuid.UUID, when: datetime) -> None:
        await connection.execute(_touch_statement(token_id, when))


def _touch_statement(token_id: uuid.UUID, when: datetime) -> Update:
    return update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=when)
