"""Issuing, checking and revoking API tokens; who the caller is."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from gloss.auth.repository import TokenRepository
from gloss.db import READ_ONLY_OPTION
from gloss.errors import Conflict, NotFound, Unauthorized
from gloss.models import ApiToken, Role, Team, User
from gloss.models.base import utcnow

log = logging.getLogger(__name__)

TOKEN_PREFIX = "gls_"
# Writing last_used_at on every request would turn every read into a write; a minute is precise
# enough for "is this token still in use?".
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass
class Principal:
    """The authenticated caller and the roles they hold, loaded once per request."""

    user: User
    token_id: uuid.UUID
    roles: dict[uuid.UUID, Role] = field(default_factory=dict)
    teams: dict[uuid.UUID, Team] = field(default_factory=dict)

    @property
    def team_ids(self) -> list[uuid.UUID]:
        return list(self.roles)

    def role_in(self, team_id: uuid.UUID) -> Role | None:
        return self.roles.get(team_id)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def new_token_secret() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


async def issue_token(
    session: AsyncSession,
    user: User,
    name: str,
    *,
    expires_at: datetime | None = None,
    limit: int | None = None,
) -> tuple[ApiToken, str]:
    """A new token and its secret; with `limit`, refused (409) when the user already holds
    that many active tokens (a token could otherwise mint tokens without end)."""
    if limit is not None:
        active = await TokenRepository(session).count_active(user.id, utcnow())
        if active >= limit:
            raise Conflict(
                f"You hold {active} active tokens, the most allowed; revoke one first.",
                extra={"limit": limit},
            )
    secret = new_token_secret()
    token = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=hash_token(secret),
        prefix=secret[: len(TOKEN_PREFIX) + 6],
        expires_at=expires_at,
    )
    await TokenRepository(session).add(token)
    return token, secret


async def authenticate(session: AsyncSession, raw: str) -> Principal:
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        raise Unauthorized("The token is not valid.")
    digest = hash_token(raw)
    found = await TokenRepository(session).get_active_by_hash(digest)
    # The lookup is by hash; compare again in constant time so no timing depends on the secret.
    if found is None or not hmac.compare_digest(found[0].token_hash, digest):
        raise Unauthorized("The token is not valid or has been revoked.")
    token, user, roles = found
    now = utcnow()
    if token.expires_at is not None and token.expires_at <= now:
        raise Unauthorized("The token has expired; create a new one.")
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        await _touch(session, token.id, now)
    principal = Principal(user=user, token_id=token.id)
    for team, role in roles:
        principal.roles[team.id] = role
        principal.teams[team.id] = team
    return principal


async def _touch(session: AsyncSession, token_id: uuid.UUID, when: datetime) -> None:
    """Record the token's use, in a short transaction of its own once a connection is free, not
    in the request: a read-only transaction cannot write (SQLite would have to upgrade its read
    lock, which fails under load), and the request must not wait for it. When a request took a
    second pooled connection for it while holding its own, as many requests at once as the pool
    has connections waited for each other until the pool's timeout: the minute a busy token's
    use fell due, all of them failed with a 503 after 30 s. (A session on a connection rather
    than an engine, a test's joined transaction, records it in its own transaction.)"""
    bind = session.bind
    if not isinstance(bind, AsyncEngine):
        await TokenRepository(session).touch(token_id, when)
        return
    if token_id in _recording:
        return  # this process records it already
    task = asyncio.create_task(_record_use(bind, token_id, when))
    _recording[token_id] = task
    task.add_done_callback(lambda _done: _recording.pop(token_id, None))


# The tasks recording a token's use in this process, by token (one at a time per token).
_recording: dict[uuid.UUID, asyncio.Task[None]] = {}


async def _record_use(engine: AsyncEngine, token_id: uuid.UUID, when: datetime) -> None:
    try:
        writer = engine.execution_options(**{READ_ONLY_OPTION: False})
        async with writer.begin() as connection:
            await TokenRepository.touch_on(connection, token_id, when)
    except Exception:
        # The last use is a hint for the token list; the request was answered anyway.
        log.warning("could not record the use of token %s", token_id, exc_info=True)


async def uses_recorded(timeout: float = 5.0) -> None:
    """Wait for the token uses this event loop is recording (at shutdown, before the engine is
    disposed)."""
    loop = asyncio.get_running_loop()
    mine = {task for task in _recording.values() if task.get_loop() is loop}
    if mine:
        await asyncio.wait(mine, timeout=timeout)


async def list_tokens(session: AsyncSession, user: User) -> list[ApiToken]:
    return await TokenRepository(session).list_for_user(user.id)


async def revoke_token(session: AsyncSession, user: User, token_id: uuid.UUID) -> ApiToken:
    token = await TokenRepository(session).get_for_user(token_id, user.id)
    if token is None:
        raise NotFound("No such token.")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        await session.flush()
    return token
