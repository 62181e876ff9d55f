"""Schemas of people and their API tokens."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

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

    expires_at: datetime | None = Field(
        None, description="When the token stops working (ISO 8601, in the future); default never."
    )

    _printable = field_validator("name")(printable)

    @field_validator("expires_at")
    @classmethod
    def _future(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        try:
            value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        except OverflowError as exc:
            raise ValueError("is outside the years 1 to 9999 in UTC") from exc
        if value <= datetime.now(UTC):
            raise ValueError("must be in the future")
        return value


class Token(TokenBase):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    prefix: str = Field(description="The first characters of the token, to recognise it.")
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    expires_at: datetime | None


class TokenCreated(Token):
    token: str = Field(description="The secret; shown this once and never stored.")
