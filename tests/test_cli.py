"""The `gloss` CLI: init is idempotent, token create prints only a working token."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import httpx
import pytest

from gloss.app import create_app
from gloss.settings import Settings
from tests.live import gloss_process


def gloss(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return gloss_process(*args, env={**env, "GLOSS_LOAD_NLP": "false"})


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    return {"GLOSS_DATA_DIR": str(tmp_path / "data")}


async def _me(database_url: str, token: str) -> httpx.Response:
    app = create_app(Settings(database_url=database_url, load_nlp=False))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return await client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})


def test_init_twice_leaves_one_admin_and_one_team(cli_env: dict[str, str], tmp_path: Path) -> None:
    first = gloss("init", env=cli_env)
    assert first.returncode == 0, first.stderr
    token = first.stdout.strip()
    assert token.startswith("gls_")
    assert "shown once" in first.stderr

    second = gloss("init", env=cli_env)
    assert second.returncode == 0, second.stderr
    assert second.stdout == ""
    assert "nothing changed" in second.stderr

    url = f"sqlite+aiosqlite:///{tmp_path / 'data' / 'gloss.sqlite3'}"
    me = asyncio.run(_me(url, token))
    assert me.status_code == 200
    assert me.json()["name"] == "admin"
    assert [(t["name"], t["role"]) for t in me.json()["teams"]] == [("default", "owner")]

    import sqlite3

    with sqlite3.connect(tmp_path / "data" / "gloss.sqlite3") as db:
        assert db.execute("select count(*) from users").fetchone() == (1,)
        assert db.execute("select count(*) from teams").fetchone() == (1,)
        assert db.execute("select count(*) from memberships").fetchone() == (1,)


def test_init_ensure_token_prints_a_new_working_token(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    gloss("init", env=cli_env)
    again = gloss("init", "--ensure-token", env=cli_env)
    assert again.returncode == 0, again.stderr
    url = f"sqlite+aiosqlite:///{tmp_path / 'data' / 'gloss.sqlite3'}"
    assert asyncio.run(_me(url, again.stdout.strip())).status_code == 200


def test_token_create_prints_only_the_token(cli_env: dict[str, str], tmp_path: Path) -> None:
    gloss("init", env=cli_env)
    created = gloss("token", "create", "vic", "--role", "viewer", env=cli_env)
    assert created.returncode == 0, created.stderr
    lines = created.stdout.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("gls_")
    url = f"sqlite+aiosqlite:///{tmp_path / 'data' / 'gloss.sqlite3'}"
    me = asyncio.run(_me(url, lines[0])).json()
    assert me["name"] == "vic"
    assert [(t["name"], t["role"]) for t in me["teams"]] == [("default", "viewer")]


def test_token_create_for_a_missing_team_fails_clearly(cli_env: dict[str, str]) -> None:
    gloss("init", env=cli_env)
    created = gloss("token", "create", "vic", "--team", "nope", env=cli_env)
    assert created.returncode == 1
    assert created.stdout == ""
    assert "No team named 'nope'" in created.stderr


def test_help_reads_well(cli_env: dict[str, str]) -> None:
    result = gloss("--help", env=cli_env)
    assert result.returncode == 0
    for command in ("init", "serve", "token"):
        assert command in result.stdout
