"""Routes: teams and their members."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from gloss.auth.dependencies import CurrentPrincipal
from gloss.db import SessionDep
from gloss.models import Membership, User
from gloss.teams import service
from gloss.teams.schemas import Member, MemberCreate, MemberUpdate, Team, TeamCreate

router = APIRouter(prefix="/v1/teams", tags=["teams"])


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
    response_model=Member,
    status_code=status.HTTP_201_CREATED,
    summary="Add a member (owners)",
)
async def add_member(
    team_id: uuid.UUID, body: MemberCreate, principal: CurrentPrincipal, session: SessionDep
) -> Member:
    membership, user = await service.add_member(session, principal, team_id, body.user, body.role)
    return _member(membership, user)


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
