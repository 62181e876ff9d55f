"""The problem+json body (RFC 9457) as a pydantic model, for the OpenAPI document and schemas."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Problem(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: str = Field(description="A stable URI naming the kind of problem.")
    title: str
    status: int
    detail: str = Field(description="What went wrong, for a person.")
    instance: str | None = None
    errors: list[dict[str, Any]] | None = Field(
        None,
        description="What was wrong, item by item: field errors of a 422 (`loc`, `msg`, "
        "`type`), or the bad rows of a rejected import (`line`, `field`, "
        "`message`).",
    )
