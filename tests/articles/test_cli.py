"""`gloss articles ingest` resumes after an interrupt; `reindex`; the demo workspace."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import pytest

from gloss.articles.cli import ingest_file
from gloss.settings import Settings
from tests.articles.conftest import CORPUS
from tests.live import gloss_process
from tests.test_cli import gloss


@pytest.fixture
def workspace(tmp_path: Path) -> tuple[dict[str, str], Path]:
    env = {"GLOSS_DATA_DIR": str(tmp_path / "data")}
    assert gloss("init", env=env).returncode == 0
    return env, tmp_path / "data" / "gloss.sqlite3"


def _count(db: Path, sql: str = "select count(*) from articles") -> int:
    with sqlite3.connect(db) as connection:
        return int(connection.execute(sql).fetchone()[0])


def _jsonl(path: Path) -> Path:
    lines = [
        json.dumps({**CORPUS[i % len(CORPUS)], "url": f"https://feed.example/{i}"})
        for i in range(10)
    ]
    lines.insert(4, '{"url": "https://feed.example/broken"')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


class Interrupted(KeyboardInterrupt):
    pass


def test_an_interrupted_ingest_resumes_without_duplicates(
    workspace: tuple[dict[str, str], Path], tmp_path: Path
) -> None:
    env, db = workspace
    source = _jsonl(tmp_path / "feed.jsonl")
    settings = Settings(data_dir=Path(env["GLOSS_DATA_DIR"]), load_nlp=False)

    def stop(done: int) -> None:
        raise Interrupted(f"after {done}")

    with pytest.raises(Interrupted):
        asyncio.run(
            ingest_file(settings, source, "default", batch_size=3, show_progress=False,
                        after_batch=stop)
        )  # fmt: skip
    assert _count(db) == 3
    checkpoint = json.loads((tmp_path / "feed.jsonl.gloss-progress").read_text())
    assert checkpoint["line"] == 3

    resumed = gloss("articles", "ingest", str(source), "--batch-size", "3", env=env)
    assert resumed.returncode == 2, resumed.stderr  # 2: a bad line was reported
    assert "resumed after line 3" in resumed.stderr
    assert "line 5:" in resumed.stderr
    assert "10 created, 0 updated, 0 unchanged, 1 bad lines" in resumed.stderr
    assert _count(db) == 10
    assert not (tmp_path / "feed.jsonl.gloss-progress").exists()

    again = gloss("articles", "ingest", str(source), env=env)
    assert "0 created, 0 updated, 10 unchanged, 1 bad lines" in again.stderr
    assert _count(db) == 10


def test_ingest_into_a_missing_team_fails_clearly(
    workspace: tuple[dict[str, str], Path], tmp_path: Path
) -> None:
    env, _ = workspace
    source = _jsonl(tmp_path / "feed.jsonl")
    result = gloss("articles", "ingest", str(source), "--team", "nope", env=env)
    assert result.returncode == 1
    assert "No team named 'nope'" in result.stderr


def test_reindex_rebuilds_the_search_index(
    workspace: tuple[dict[str, str], Path], tmp_path: Path
) -> None:
    env, db = workspace
    gloss("articles", "ingest", str(_jsonl(tmp_path / "feed.jsonl")), env=env)
    with sqlite3.connect(db) as connection:
        connection.execute("INSERT INTO articles_fts(articles_fts) VALUES ('delete-all')")
    assert _count(db, "select count(*) from articles_fts where articles_fts match 'inflation'") == 0
    result = gloss("articles", "reindex", env=env)
    assert result.returncode == 0, result.stderr
    assert "sqlite-fts5 index over 10 articles" in result.stderr
    assert _count(db, "select count(*) from articles_fts where articles_fts match 'inflation'") > 0


def test_reindex_vectors_adds_the_missing_ones(
    workspace: tuple[dict[str, str], Path], tmp_path: Path
) -> None:
    env, db = workspace
    source = _jsonl(tmp_path / "feed.jsonl")
    stored = gloss("articles", "ingest", str(source), env=env)  # without the NLP engine
    assert "10 created" in stored.stderr, stored.stderr  # and the one broken line reported
    assert _count(db, "select count(*) from article_vectors") == 0
    with_nlp = {**env, "GLOSS_LOAD_NLP": "true"}
    result = gloss_process("articles", "reindex", "--vectors", env=with_nlp)
    assert result.returncode == 0, result.stderr
    assert "added 10 vectors" in result.stderr
    assert "10/10" in result.stdout  # the progress bar
    assert _count(db, "select count(*) from article_vectors where length(vector) = 768") == 10
    again = gloss_process("articles", "reindex", "--vectors", env=with_nlp)
    assert "added 0 vectors" in again.stderr
    off = gloss_process(
        "articles", "reindex", "--vectors", env={**with_nlp, "GLOSS_RELATED_DENSE": "false"}
    )
    assert off.returncode == 1
    assert "needs the sentence encoder" in off.stderr


def test_init_demo_loads_the_demo_once_and_gloss_demo_is_idempotent(tmp_path: Path) -> None:
    env = {"GLOSS_DATA_DIR": str(tmp_path / "data")}
    first = gloss("init", "--demo", env=env)
    assert first.returncode == 0, first.stderr
    assert "glossary terms 12 created" in first.stderr
    assert "articles 12 created" in first.stderr
    db = tmp_path / "data" / "gloss.sqlite3"
    assert _count(db) == 12
    again = gloss("init", "--demo", env=env)
    assert "Demo" not in again.stderr  # not a fresh database: nothing loaded
    demo = gloss("demo", env=env)
    assert demo.returncode == 0, demo.stderr
    assert "terms 0 created, 12 unchanged" in demo.stderr
    assert "articles 0 created, 0 updated, 12 unchanged" in demo.stderr
    assert _count(db) == 12
