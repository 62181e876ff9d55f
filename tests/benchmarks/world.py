"""The app the in-process benchmarks run against: a temporary SQLite database, no rate limit, large
bodies allowed; and a second team with its own member, for "another team's page" figures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI

from gloss.auth.repository import UserRepository
from gloss.auth.service import issue_token
from gloss.bootstrap import initialise
from gloss.models import Role
from gloss.settings import Settings
from gloss.teams.repository import TeamRepository


def bench_settings(tmp: str | Path, **overrides: Any) -> Settings:
    return Settings(
        database_url=f"sqlite+aiosqlite:///{Path(tmp) / 'bench.sqlite3'}",
        migrate_on_start=True,
        rate_limit_per_minute=0,
        max_body_bytes=64 * 1024 * 1024,
        log_level="WARNING",
        **overrides,
    )


async def admin_and_other_team(app: FastAPI) -> tuple[str, str]:
    """The admin's token, and the token of bob, owner of a team of his own ("other")."""
    async with app.state.sessionmaker() as session, session.begin():
        admin = (await initialise(session)).token
        teams, users = TeamRepository(session), UserRepository(session)
        bob = await users.create("bob")
        other = await teams.create("other")
        await teams.add_member(other.id, bob.id, Role.owner)
        _, bob_token = await issue_token(session, bob, "bench")
    return admin, bob_token
