"""Teams: create, list mine, and manage members (owners only)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from gloss.auth.repository import UserRepository
from gloss.auth.service import Principal
from gloss.errors import Conflict, Forbidden, NotFound
from gloss.models import Membership, Role, Team, User
from gloss.teams.access import require_member, require_role
from gloss.teams.repository import TeamRepository


async def create_team(session: AsyncSession, principal: Principal, name: str) -> Team:
    repo = TeamRepository(session)
    if await repo.get_by_name(name) is not None:
        raise Conflict(f"A team named {name!r} already exists.")
    team = await repo.create(name)
    await repo.add_member(team.id, principal.user.id, Role.owner)
    principal.roles[team.id] = Role.owner
    principal.teams[team.id] = team
    return team


async def get_team(principal: Principal, team_id: uuid.UUID) -> tuple[Team, Role]:
    role = require_member(principal, team_id)
    return principal.teams[team_id], role


async def list_members(
    session: AsyncSession, principal: Principal, team_id: uuid.UUID
) -> list[tuple[Membership, User]]:
    require_member(principal, team_id)
    return await TeamRepository(session).members(team_id)


async def change_role(
    session: AsyncSession, principal: Principal, team_id: uuid.UUID, user_id: uuid.UUID, role: Role
) -> tuple[Membership, User]:
    require_role(principal, team_id, Role.owner)
    repo = TeamRepository(session)
    await _lock_as(repo, principal, team_id, Role.owner)
    membership = await repo.membership(team_id, user_id)
    if membership is None:
        raise NotFound("No such member.")
    if membership.role == Role.owner and role != Role.owner:
        await _keep_an_owner(repo, team_id)
    membership.role = role
    await session.flush()
    user = await UserRepository(session).get(user_id)
    assert user is not None  # the membership's foreign key guarantees it
    return membership, user


async def remove_member(
    session: AsyncSession, principal: Principal, team_id: uuid.UUID, user_id: uuid.UUID
) -> None:
    if user_id != principal.user.id:
        require_role(principal, team_id, Role.owner)
    else:
        require_member(principal, team_id)  # anyone may leave
    repo = TeamRepository(session)
    await _lock_as(repo, principal, team_id, Role.owner if user_id != principal.user.id else None)
    membership = await repo.membership(team_id, user_id)
    if membership is None:
        raise NotFound("No such member.")
    if membership.role == Role.owner:
        await _keep_an_owner(repo, team_id)
    await repo.delete_membership(membership)


async def _lock_as(
    repo: TeamRepository, principal: Principal, team_id: uuid.UUID, needed: Role | None
) -> None:
    """Lock the team's memberships, then check the caller's role again as it is now: two
    owners demoting each other at once are served one after the other, and the second is no
    longer an owner (without the lock, both saw two owners and the team kept none)."""
    await repo.lock(team_id)
    role = await repo.role_of(team_id, principal.user.id)
    if role is None:
        raise NotFound("No such team.")
    if needed is not None and not role.at_least(needed):
        raise Forbidden(f"This needs the {needed.value} role in the team; you are {role.value}.")


async def _keep_an_owner(repo: TeamRepository, team_id: uuid.UUID) -> None:
    if await repo.count_owners(team_id) <= 1:
        raise Conflict("A team must keep at least one owner; make someone else owner first.")
