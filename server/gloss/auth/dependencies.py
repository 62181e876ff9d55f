"""The `CurrentPrincipal` dependency: a valid bearer token, or 401."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from gloss.auth.service import Principal, authenticate
from gloss.db import SessionDep
from gloss.errors import Unauthorized


async def current_principal(request: Request, session: SessionDep) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        raise Unauthorized("Send an API token as 'Authorization: Bearer <token>'.")
    principal = await authenticate(session, credentials.strip())
    buckets = getattr(request.app.state, "rate_limits", None)
    if buckets is not None:
        # Per token, and per user: more tokens do not buy more requests.
        buckets.check(principal.token_id)
        buckets.check(("user", principal.user.id), "Too many requests for this user")
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
