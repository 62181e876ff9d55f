"""Schemas of people and their API tokens."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from gloss.models import Role
from gloss.names import printable


class TeamMembershipOut(BaseModel):
    id: uuid.UUID
    name: str
    role: Role


class Me(BaseModel):
    id: uuid.UUID
    name: str
    display_name: str | None
    teams: list[TeamMembershipOut]


class TokenBase(BaseModel):
    name: str = Field(min_length=1, max_length=100, description="What the token is for.")


class TokenCreate(TokenBase):
    model_config = ConfigDict(extra="forbid")

    _printable = field_validator("name")(printable)


class Token(TokenBase):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    prefix: str = Field(description="The first characters of the token, to recognise it.")
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreated(Token):
    token: str = Field(description="The secret; shown this once and never stored.")
