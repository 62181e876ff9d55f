"""A loopback TCP proxy a test can cut like a network partition (every byte stalls, new
connections hang) and restore (stalled connections are dropped, new ones pass)."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import Future
from typing import Any

CHUNK = 65536


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._open: asyncio.Event | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[Any]] = set()

    # --- called from the test's thread ----------------------------------------------------

    def start(self) -> int:
        self._thread.start()
        self._run(self._start())
        return self.port

    def cut(self) -> None:
        self._run(self._cut())

    def restore(self) -> None:
        self._run(self._restore())

    def stop(self) -> None:
        self._run(self._stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def _run(self, coroutine: Any) -> Any:
        future: Future[Any] = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        return future.result(timeout=10)

    # --- on the proxy's own loop ----------------------------------------------------------

    async def _start(self) -> None:
        self._open = asyncio.Event()
        self._open.set()
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _cut(self) -> None:
        assert self._open is not None
        self._open.clear()

    async def _restore(self) -> None:
        assert self._open is not None
        # What lived through the partition is gone for good, as after a real one.
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()
        self._open.set()

    async def _stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        for task in list(self._tasks):
            task.cancel()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        assert self._open is not None
        self._writers.add(writer)
        try:
            await self._open.wait()  # a connection made during the cut hangs
            if writer.is_closing():
                return
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except (OSError, asyncio.CancelledError):
            writer.transport.abort()
            return
        self._writers.add(up_writer)
        for source, sink in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.create_task(self._pump(source, sink))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _pump(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        assert self._open is not None
        try:
            while data := await source.read(CHUNK):
                await self._open.wait()  # during a cut, bytes go nowhere
                if sink.is_closing():
                    return
                sink.write(data)
                await sink.drain()
        except (OSError, asyncio.CancelledError):
            pass
        finally:
            sink.transport.abort()
