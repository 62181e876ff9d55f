"""`gloss backup` / `gloss restore` on SQLite: a consistent copy, verified, restored whole."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

import pytest

from gloss.backup import backup, restore
from gloss.errors import BadRequest
from tests.live import gloss_process


def gloss(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return gloss_process(*args, env={**env, "GLOSS_LOAD_NLP": "false"})


def test_backup_and_restore_through_the_cli(tmp_path: Path) -> None:
    env = {"GLOSS_DATA_DIR": str(tmp_path / "data")}
    assert gloss("init", env=env).returncode == 0
    assert gloss("token", "create", "vic", env=env).returncode == 0
    saved = tmp_path / "backups" / "gloss.bak"
    result = gloss("backup", str(saved), env=env)
    assert result.returncode == 0, result.stderr
    assert "Backup written" in result.stderr

    # Lose the database, then restore it.
    database = tmp_path / "data" / "gloss.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    result = gloss("restore", str(saved), "--yes", env=env)
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(database) as db:
        names = {row[0] for row in db.execute("select name from users")}
    assert names == {"admin", "vic"}


def test_restore_refuses_a_file_that_is_not_a_gloss_database(tmp_path: Path) -> None:
    junk = tmp_path / "junk.bak"
    junk.write_bytes(b"not a database at all" * 100)
    url = f"sqlite+aiosqlite:///{tmp_path / 'gloss.sqlite3'}"
    with pytest.raises(BadRequest, match="not a SQLite database"):
        restore(url, junk)
    empty = tmp_path / "empty.sqlite3"
    sqlite3.connect(empty).close()
    with pytest.raises(BadRequest, match="not a Gloss database"):
        restore(url, empty)
    assert not (tmp_path / "gloss.sqlite3").exists()


def test_backup_of_postgresql_points_to_pg_dump(tmp_path: Path) -> None:
    with pytest.raises(BadRequest, match="pg_dump"):
        backup("postgresql+asyncpg://postgres@127.0.0.1/test", tmp_path / "x.bak")
