"""SQL for users and tokens."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Update, bindparam, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from gloss.models import ApiToken, Membership, Role, Team, User
from gloss.sqlite_async import INLINE_OPTION

# Built once, not per request: building this join was a large part of the token check that
# every request makes.
_ACTIVE_BY_HASH = (
    select(ApiToken, User, Team, Membership.role)
    .join(User, User.id == ApiToken.user_id)
    .outerjoin(Membership, Membership.user_id == User.id)
    .outerjoin(Team, Team.id == Membership.team_id)
    .where(ApiToken.token_hash == bindparam("token_hash"), ApiToken.revoked_at.is_(None))
    .order_by(Team.name)
    .execution_options(**{INLINE_OPTION: True})
)


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


class TokenRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get_active_by_hash(
        self, token_hash: str
    ) -> tuple[ApiToken, User, list[tuple[Team, Role]]] | None:
        """An unrevoked token, its user, and the user's teams with their roles (by team name),
        in one query: every authenticated request starts here."""
        rows = (await self.session.execute(_ACTIVE_BY_HASH, {"token_hash": token_hash})).all()
        if not rows:
            return None
        token, user = rows[0][0], rows[0][1]
        return token, user, [(team, role) for _, _, team, role in rows if team is not None]

    async def count_active(self, user_id: uuid.UUID, now: datetime) -> int:
        count = await self.session.scalar(
            select(func.count())
            .select_from(ApiToken)
            .where(
                ApiToken.user_id == user_id,
                ApiToken.revoked_at.is_(None),
                or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > now),
            )
        )
        return int(count or 0)

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
