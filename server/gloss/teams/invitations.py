"""Team membership by consent: an owner invites a user by name, the user accepts or declines.

Until the user accepts, they are not a member, so nothing of the team (its glossary terms in
their annotations, its collections in their save form) reaches them. Inviting a name nobody
has yet looks the same as inviting a user, so an owner cannot learn who exists."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from gloss.auth.repository import UserRepository
from gloss.auth.service import Principal
from gloss.errors import Conflict, NotFound
from gloss.models import Invitation, Membership, Role, Team
from gloss.teams.access import require_role
from gloss.teams.repository import TeamRepository

InvitationRow = tuple[Invitation, Team, str | None]


async def invite(
    session: AsyncSession, principal: Principal, team_id: uuid.UUID, user_name: str, role: Role
) -> InvitationRow:
    require_role(principal, team_id, Role.owner)
    repo = TeamRepository(session)
    user = await UserRepository(session).get_by_name(user_name)
    if user is not None and await repo.membership(team_id, user.id) is not None:
        raise Conflict(f"{user_name!r} is already a member of this team.")
    if await repo.invitation(team_id, user_name) is not None:
        raise Conflict(f"{user_name!r} is already invited.")
    invitation = await repo.add_invitation(
        Invitation(team_id=team_id, user_name=user_name, role=role, invited_by_id=principal.user.id)
    )
    return invitation, principal.teams[team_id], principal.user.name


async def team_invitations(
    session: AsyncSession, principal: Principal, team_id: uuid.UUID
) -> list[InvitationRow]:
    require_role(principal, team_id, Role.owner)
    return await TeamRepository(session).team_invitations(team_id)


async def withdraw(
    session: AsyncSession, principal: Principal, team_id: uuid.UUID, invitation_id: uuid.UUID
) -> None:
    require_role(principal, team_id, Role.owner)
    repo = TeamRepository(session)
    found = await repo.invitation_row(
        (Invitation.id == invitation_id) & (Invitation.team_id == team_id)
    )
    if found is None:
        raise NotFound("No such invitation.")
    await repo.delete_invitation(found[0])


async def my_invitations(session: AsyncSession, principal: Principal) -> list[InvitationRow]:
    return await TeamRepository(session).invitations_for(principal.user.name)


async def _mine(
    session: AsyncSession, principal: Principal, invitation_id: uuid.UUID
) -> InvitationRow:
    """One of the caller's invitations; another user's is 404, like a missing one."""
    found = await TeamRepository(session).invitation_row(
        (Invitation.id == invitation_id) & (Invitation.user_name == principal.user.name)
    )
    if found is None:
        raise NotFound("No such invitation.")
    return found


async def accept(
    session: AsyncSession, principal: Principal, invitation_id: uuid.UUID
) -> tuple[Team, Membership]:
    """Join the team with the invited role; the invitation is used up."""
    invitation, team, _ = await _mine(session, principal, invitation_id)
    repo = TeamRepository(session)
    await repo.lock(team.id)
    membership = await repo.membership(team.id, principal.user.id)
    if membership is None:
        membership = await repo.add_member(team.id, principal.user.id, invitation.role)
    await repo.delete_invitation(invitation)
    principal.roles[team.id] = membership.role
    principal.teams[team.id] = team
    return team, membership


async def decline(session: AsyncSession, principal: Principal, invitation_id: uuid.UUID) -> None:
    invitation, _, _ = await _mine(session, principal, invitation_id)
    await TeamRepository(session).delete_invitation(invitation)
