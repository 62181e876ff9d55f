"""First-run set-up shared by `gloss init` and the tests: the admin, the default team, tokens."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from gloss.auth.repository import UserRepository
from gloss.auth.service import issue_token
from gloss.errors import NotFound
from gloss.models import Role, Team, User
from gloss.teams.repository import TeamRepository

ADMIN_USER = "admin"
DEFAULT_TEAM = "default"


@dataclass
class InitResult:
    created: bool
    token: str | None


async def initialise(session: AsyncSession, *, ensure_token: bool = False) -> InitResult:
    """Create the admin and the default team once; a second run changes nothing."""
    users = UserRepository(session)
    teams = TeamRepository(session)
    admin = await users.get_by_name(ADMIN_USER)
    created = admin is None
    if admin is None:
        admin = await users.create(ADMIN_USER, "Administrator")
    team = await teams.get_by_name(DEFAULT_TEAM)
    if team is None:
        team = await teams.create(DEFAULT_TEAM)
        created = True
    if await teams.membership(team.id, admin.id) is None:
        await teams.add_member(team.id, admin.id, Role.owner)
        created = True
    token = None
    if created or ensure_token:
        _, token = await issue_token(session, admin, "gloss init")
    return InitResult(created=created, token=token)


async def ensure_user_token(
    session: AsyncSession,
    user_name: str,
    team_name: str | None,
    role: Role | None,
    token_name: str = "cli",
) -> tuple[User, Team | None, str]:
    """`gloss token create`: the user (and membership) if missing, then a new token."""
    users = UserRepository(session)
    teams = TeamRepository(session)
    user = await users.get_by_name(user_name) or await users.create(user_name)
    team = None
    if team_name is not None:
        team = await teams.get_by_name(team_name)
        if team is None:
            raise NotFound(f"No team named {team_name!r}; run `gloss init` or create it first.")
        membership = await teams.membership(team.id, user.id)
        if membership is None:
            await teams.add_member(team.id, user.id, role or Role.editor)
        elif role is not None and membership.role != role:
            membership.role = role
    _, secret = await issue_token(session, user, token_name)
    return user, team, secret
