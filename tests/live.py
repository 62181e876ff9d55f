"""Real `gloss serve` processes on loopback for tests that need a whole server (browser,
several replicas, schemathesis): started on a free port, waited for, and always stopped."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx


async def pg_admin_execute(url: str, statement: str, timeout: float = 10) -> None:
    """Run one administrative statement (CREATE/DROP DATABASE) on the server behind `url`."""
    import asyncpg
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    connection = await asyncpg.connect(
        host=parsed.host or "127.0.0.1",
        port=parsed.port or 5432,
        user=parsed.username or "postgres",
        password=parsed.password,
        database=parsed.database or "postgres",
        timeout=timeout,
    )
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def gloss_process(
    *args: str, env: Mapping[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run `gloss ARGS` (`python -m gloss`) with `env` added to this process's environment."""
    return subprocess.run(
        [sys.executable, "-m", "gloss", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_cli(*args: str, env: Mapping[str, str], timeout: float = 120) -> str:
    """Run `gloss ARGS` and return its stdout; fail loudly with stderr."""
    result = gloss_process(*args, env=env, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"gloss {' '.join(args)} failed: {result.stderr}")
    return result.stdout


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(timeout=30)


@contextmanager
def live_server(
    env: Mapping[str, str],
    log_dir: Path,
    *,
    workers: int = 1,
    wait_for: str = "/readyz",
    timeout: float = 90,
) -> Iterator[LiveServer]:
    port = free_port()
    log_path = log_dir / f"server-{port}.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gloss",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(workers),
            ],
            env={**os.environ, **env},
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = LiveServer(f"http://127.0.0.1:{port}", process, log_path)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gloss serve exited early:\n{server.log()}")
            try:
                if httpx.get(server.url + wait_for, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"gloss serve did not become ready:\n{server.log()}")
            time.sleep(0.2)
        yield server
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
