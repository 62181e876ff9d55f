"""Schemas of teams and their members."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from gloss.models import Role
from gloss.names import printable, visible

TeamName = Field(min_length=1, max_length=100, pattern=r"^[^\s/](?:.*[^\s])?$")


class TeamBase(BaseModel):
    name: str = TeamName


class TeamCreate(TeamBase):
    model_config = ConfigDict(extra="forbid")

    _visible = field_validator("name")(visible)


class Team(TeamBase):
    id: uuid.UUID
    role: Role = Field(description="The caller's role in the team.")
    created_at: datetime


class MemberCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user: str = Field(min_length=1, max_length=64, description="The user's name.")
    role: Role = Role.viewer

    _printable = field_validator("user")(printable)


class MemberUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role


class Member(BaseModel):
    user_id: uuid.UUID
    name: str
    display_name: str | None
    role: Role
    created_at: datetime


class Invitation(BaseModel):
    """An invitation to join a team: nothing of the team reaches the invited user until they
    accept it."""

    id: uuid.UUID
    team_id: uuid.UUID
    team_name: str
    user: str = Field(description="The invited user's name.")
    role: Role
    invited_by: str | None = Field(description="The name of the owner who invited them.")
    created_at: datetime
