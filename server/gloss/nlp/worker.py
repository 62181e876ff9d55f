"""The model's reading of texts in a process of its own (ADR 0019).

A server's engine thread holds the interpreter's lock while spaCy reads, so a long page's tail
read there slows every other reader's request in the process, however the queue orders them.
An `NerProcess` is a second engine, in a spawned process: the runtime sends it whole batches of
texts and gets back each text's mentions (`Engine.mentions_many`), small plain objects; the
glossaries, compiled in the server's process, are matched there. Nothing here knows the web or
the database."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from gloss.nlp.engine import DEFAULT_MODEL, Engine
from gloss.nlp.entities import Mention

log = logging.getLogger("gloss.nlp")

# The child's engine, loaded once by the pool's initializer.
_engine: Engine | None = None


def _load(model: str, chunk_chars: int, batch_size: int) -> None:
    global _engine
    from threadpoolctl import threadpool_limits

    # Ctrl-C in a terminal reaches the whole process group: the server stops this process
    # itself, after its requests, instead of it dying under a batch.
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    # The server's process has a thread of its own on the other core: one BLAS thread here.
    threadpool_limits(limits=1, user_api="blas")
    _engine = Engine.load(model, chunk_chars=chunk_chars, batch_size=batch_size)


def _hello() -> tuple[str, int]:
    """The model version the child loaded, and its process id."""
    if _engine is None:  # pragma: no cover - the initializer failed, and the pool with it
        raise RuntimeError("the engine did not load")
    return _engine.version, os.getpid()


def _mentions(texts: list[str]) -> list[list[Mention]]:
    if _engine is None:  # pragma: no cover - as above
        raise RuntimeError("the engine did not load")
    return _engine.mentions_many(texts)


class NerProcess:
    """One engine in a spawned process, started by `start` (the model loads there, a few seconds
    of one core) and answering `mentions` one batch at a time.

    If the process dies (killed, out of memory), `mentions` raises and `ready` turns false; the
    caller reads the batch itself and may `start` it again."""

    def __init__(
        self, model: str = DEFAULT_MODEL, *, chunk_chars: int, batch_size: int, version: str
    ) -> None:
        self.model = model
        self.chunk_chars = chunk_chars
        self.batch_size = batch_size
        # The version the server's own engine reads with: a process that loaded another model
        # (a different package installed since) is not used, or a block's reading would depend
        # on which engine read it.
        self.version = version
        self.ready = False
        self.pid: int | None = None
        """The process's id while it runs."""
        self.starts = 0
        self.failures = 0
        self.texts_read = 0
        """Texts this process has read, over its restarts."""
        self._pool: ProcessPoolExecutor | None = None
        # Pools shut down without waiting (from the event loop), joined by `aclose`.
        self._closed: list[ProcessPoolExecutor] = []

    async def start(self) -> bool:
        """Spawn the process and load the model there; True once it has answered."""
        self.close()
        self.starts += 1
        self._pool = ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_load,
            initargs=(self.model, self.chunk_chars, self.batch_size),
        )
        try:
            version, pid = await asyncio.get_running_loop().run_in_executor(self._pool, _hello)
        except Exception:
            log.exception("the NER process did not start; its work is read in the server's own")
            self.failures += 1
            self.close()
            return False
        if version != self.version:
            log.error(
                "the NER process loaded model version %s, the server %s: not used",
                version,
                self.version,
            )
            self.close()
            return False
        self.pid = pid
        self.ready = True
        return True

    async def mentions(self, texts: Sequence[str]) -> list[list[Mention]]:
        """Each text's mentions, read in the process. Raises if the process is gone (then
        `ready` is false) or the model failed on the batch."""
        if self._pool is None or not self.ready:
            raise RuntimeError("the NER process is not running")
        try:
            found = await asyncio.get_running_loop().run_in_executor(
                self._pool, _mentions, list(texts)
            )
        except BrokenProcessPool:
            self.failures += 1
            self.close()
            raise
        self.texts_read += len(texts)
        return found

    def close(self) -> None:
        """Stop the process without waiting for it (see `aclose`)."""
        self.ready = False
        self.pid = None
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._closed.append(self._pool)
            self._pool = None

    async def aclose(self) -> None:
        """Stop the process and wait, off the event loop, for it and any earlier one to exit
        (their queues' semaphores are released only then)."""
        self.close()
        while self._closed:
            pool = self._closed.pop()
            await asyncio.to_thread(pool.shutdown, wait=True)
