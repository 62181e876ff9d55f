"""Routes: who am I, and my API tokens."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from gloss.auth import service
from gloss.auth.dependencies import CurrentPrincipal
from gloss.auth.schemas import Me, TeamMembershipOut, Token, TokenCreate, TokenCreated
from gloss.db import SessionDep
from gloss.settings import SettingsDep

router = APIRouter(prefix="/v1", tags=["people"])


@router.get("/me", response_model=Me, summary="The caller and their teams")
async def get_me(principal: CurrentPrincipal) -> Me:
    user = principal.user
    teams = [
        TeamMembershipOut(id=team_id, name=principal.teams[team_id].name, role=role)
        for team_id, role in principal.roles.items()
    ]
    return Me(id=user.id, name=user.name, display_name=user.display_name, teams=teams)


@router.get("/tokens", response_model=list[Token], summary="My API tokens (never their secrets)")
async def list_tokens(principal: CurrentPrincipal, session: SessionDep) -> list[Token]:
    tokens = await service.list_tokens(session, principal.user)
    return [Token.model_validate(t) for t in tokens]


@router.post(
    "/tokens",
    response_model=TokenCreated,
    status_code=status.HTTP_201_CREATED,
    summary="Create a token; its secret is shown once",
)
async def create_token(
    body: TokenCreate, principal: CurrentPrincipal, session: SessionDep, settings: SettingsDep
) -> TokenCreated:
    token, secret = await service.issue_token(
        session,
        principal.user,
        body.name,
        expires_at=body.expires_at,
        limit=settings.max_tokens_per_user,
    )
    return TokenCreated(**Token.model_validate(token).model_dump(), token=secret)


@router.delete(
    "/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Revoke one of my tokens"
)
async def revoke_token(
    token_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep
) -> None:
    await service.revoke_token(session, principal.user, token_id)
