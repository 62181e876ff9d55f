"""Routes: teams and their members."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from gloss.auth.dependencies import CurrentPrincipal
from gloss.db import SessionDep
from gloss.models import Invitation as InvitationRow
from gloss.models import Membership, User
from gloss.models import Team as TeamRow
from gloss.teams import invitations, service
from gloss.teams.schemas import (
    Invitation,
    Member,
    MemberCreate,
    MemberUpdate,
    Team,
    TeamCreate,
)

router = APIRouter(prefix="/v1/teams", tags=["teams"])
# The invited user's side: their own invitations, to accept or decline.
invitations_router = APIRouter(prefix="/v1/invitations", tags=["teams"])


def _invitation(invitation: InvitationRow, team: TeamRow, inviter: str | None) -> Invitation:
    return Invitation(
        id=invitation.id,
        team_id=team.id,
        team_name=team.name,
        user=invitation.user_name,
        role=invitation.role,
        invited_by=inviter,
        created_at=invitation.created_at,
    )


def _member(membership: Membership, user: User) -> Member:
    return Member(
        user_id=user.id,
        name=user.name,
        display_name=user.display_name,
        role=membership.role,
        created_at=membership.created_at,
    )


@router.get("", response_model=list[Team], summary="The teams I belong to")
async def list_teams(principal: CurrentPrincipal) -> list[Team]:
    return [
        Team(id=team.id, name=team.name, role=principal.roles[team.id], created_at=team.created_at)
        for team in sorted(principal.teams.values(), key=lambda t: t.name)
    ]


@router.post(
    "", response_model=Team, status_code=status.HTTP_201_CREATED, summary="Create a team I own"
)
async def create_team(body: TeamCreate, principal: CurrentPrincipal, session: SessionDep) -> Team:
    team = await service.create_team(session, principal, body.name)
    return Team(
        id=team.id, name=team.name, role=principal.roles[team.id], created_at=team.created_at
    )


@router.get("/{team_id}", response_model=Team, summary="One of my teams")
async def get_team(team_id: uuid.UUID, principal: CurrentPrincipal) -> Team:
    team, role = await service.get_team(principal, team_id)
    return Team(id=team.id, name=team.name, role=role, created_at=team.created_at)


@router.get("/{team_id}/members", response_model=list[Member], summary="The team's members")
async def list_members(
    team_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep
) -> list[Member]:
    return [_member(m, u) for m, u in await service.list_members(session, principal, team_id)]


@router.post(
    "/{team_id}/members",
    response_model=Invitation,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Invite someone, by name, to join (owners): they join when they accept",
)
async def add_member(
    team_id: uuid.UUID, body: MemberCreate, principal: CurrentPrincipal, session: SessionDep
) -> Invitation:
    return _invitation(*await invitations.invite(session, principal, team_id, body.user, body.role))


@router.get(
    "/{team_id}/invitations",
    response_model=list[Invitation],
    summary="The team's pending invitations (owners)",
)
async def team_invitations(
    team_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep
) -> list[Invitation]:
    rows = await invitations.team_invitations(session, principal, team_id)
    return [_invitation(*row) for row in rows]


@router.delete(
    "/{team_id}/invitations/{invitation_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Withdraw an invitation (owners)",
)
async def withdraw_invitation(
    team_id: uuid.UUID, invitation_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep
) -> None:
    await invitations.withdraw(session, principal, team_id, invitation_id)


@router.patch(
    "/{team_id}/members/{user_id}", response_model=Member, summary="Change a role (owners)"
)
async def change_role(
    team_id: uuid.UUID,
    user_id: uuid.UUID,
    body: MemberUpdate,
    principal: CurrentPrincipal,
    session: SessionDep,
) -> Member:
    membership, user = await service.change_role(session, principal, team_id, user_id, body.role)
    return _member(membership, user)


@router.delete(
    "/{team_id}/members/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a member (owners), or leave the team",
)
async def remove_member(
    team_id: uuid.UUID, user_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep
) -> None:
    await service.remove_member(session, principal, team_id, user_id)


@invitations_router.get("", response_model=list[Invitation], summary="Invitations waiting for me")
async def my_invitations(principal: CurrentPrincipal, session: SessionDep) -> list[Invitation]:
    return [_invitation(*row) for row in await invitations.my_invitations(session, principal)]


@invitations_router.post(
    "/{invitation_id}/accept", response_model=Team, summary="Accept: join the team"
)
async def accept_invitation(
    invitation_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep
) -> Team:
    team, membership = await invitations.accept(session, principal, invitation_id)
    return Team(id=team.id, name=team.name, role=membership.role, created_at=team.created_at)


@invitations_router.post(
    "/{invitation_id}/decline",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Decline: the invitation is gone, nothing of the team reaches me",
)
async def decline_invitation(
    invitation_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep
) -> None:
    await invitations.decline(session, principal, invitation_id)
