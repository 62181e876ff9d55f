"""Team access checks every domain uses: not a member is 404, a lower role is 403."""

from __future__ import annotations

import uuid

from gloss.auth.service import Principal
from gloss.errors import Forbidden, NotFound
from gloss.models import Role


def require_member(principal: Principal, team_id: uuid.UUID, what: str = "team") -> Role:
    role = principal.role_in(team_id)
    if role is None:
        # Another team's resource is indistinguishable from a missing one.
        raise NotFound(f"No such {what}.")
    return role


def require_role(
    principal: Principal, team_id: uuid.UUID, needed: Role, what: str = "team"
) -> Role:
    role = require_member(principal, team_id, what)
    if not role.at_least(needed):
        raise Forbidden(f"This needs the {needed.value} role in the team; you are {role.value}.")
    return role
