"""Request ids on every response and log line, a 500 included; statement parameters never in
an error; database files private."""

from __future__ import annotations

import io
import json
import logging
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from gloss.app import create_app
from gloss.db import create_engine
from gloss.observability import LOGGERS
from gloss.settings import Settings


@pytest.fixture
def json_log() -> Iterator[Callable[[], io.StringIO]]:
    """Captures the log Gloss writes (call it after create_app, which configures logging); the
    loggers' handlers are put back afterwards."""
    saved = {
        name: (logging.getLogger(name).handlers[:], logging.getLogger(name).propagate)
        for name in LOGGERS
    }

    def capture() -> io.StringIO:
        stream = io.StringIO()
        handler = logging.getLogger("gloss").handlers[0]
        assert isinstance(handler, logging.StreamHandler)
        handler.setStream(stream)
        return stream

    yield capture
    for name, (handlers, propagate) in saved.items():
        logging.getLogger(name).handlers[:] = handlers
        logging.getLogger(name).propagate = propagate


async def test_a_500_carries_its_request_id_and_so_do_its_log_lines(
    tmp_path: Path, json_log: Callable[[], io.StringIO]
) -> None:
    app = create_app(Settings(data_dir=tmp_path, load_nlp=False, log_format="json"))
    log = json_log()

    @app.get("/boom")
    async def boom() -> None:
        logging.getLogger("gloss.test").warning("about to fail")
        raise RuntimeError("a bug")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://gloss.test") as client:
        response = await client.get("/boom", headers={"X-Request-ID": "req-42"})
    assert response.status_code == 500
    assert response.headers["x-request-id"] == "req-42"
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "https://gloss.dev/problems/internal-error"
    assert "a bug" not in response.text
    entries = [json.loads(line) for line in log.getvalue().splitlines()]
    by_logger = {e["logger"]: e for e in entries}
    # The line written inside the route, the error with its traceback, the access line.
    assert by_logger["gloss.test"]["request_id"] == "req-42"
    assert by_logger["gloss.errors"]["request_id"] == "req-42"
    assert "RuntimeError: a bug" in by_logger["gloss.errors"]["exc"]
    assert by_logger["gloss.access"]["request_id"] == "req-42"
    assert by_logger["gloss.access"]["status"] == 500


async def test_a_failing_statement_never_shows_its_parameters(tmp_path: Path) -> None:
    engine = create_engine(Settings(data_dir=tmp_path))
    try:
        async with engine.connect() as connection:
            with pytest.raises(DBAPIError) as failure:
                await connection.execute(
                    text("SELECT * FROM no_such_table WHERE x = :v"), {"v": "a reader's note"}
                )
    finally:
        await engine.dispose()
    assert "no_such_table" in str(failure.value)
    assert "a reader's note" not in str(failure.value)


async def test_the_database_file_and_its_new_folder_are_private(tmp_path: Path) -> None:
    data = tmp_path / "fresh"
    engine = create_engine(Settings(data_dir=data))
    try:
        async with engine.connect() as connection:
            await connection.execute(text("CREATE TABLE t (x int)"))
            await connection.commit()
    finally:
        await engine.dispose()
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    for path in data.iterdir():  # the database and its -wal/-shm files
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
