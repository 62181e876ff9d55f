"""The model's reading of texts in a process of its own (ADR 0019).

A server's engine thread holds the interpreter's lock while spaCy reads, so a long page's tail
read there slows every other reader's request in the process, however the queue orders them.
An `NerProcess` is a second engine, in a spawned process: the runtime sends it batches of texts
and gets back each text's mentions (`Engine.mentions_many`), small plain objects; the
glossaries, compiled in the server's process, are matched there. A batch gives way like the
engine thread's (ADR 0021): `give_way` has the process stop at the end of the text in hand and
answer for the texts read so far. Nothing here knows the web or the database."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.synchronize import Event

from gloss.nlp.engine import DEFAULT_MODEL, Engine
from gloss.nlp.entities import Mention

log = logging.getLogger("gloss.nlp")

# The child's engine, loaded once by the pool's initializer, and the event the server sets
# for it to stop its batch at the end of the text in hand.
_engine: Engine | None = None
_stop: Event | None = None


def _load(model: str, chunk_chars: int, batch_size: int, stop: Event | None = None) -> None:
    global _engine, _stop
    _stop = stop
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
    return _engine.mentions_many(texts, _stop.is_set if _stop is not None else None)


class NerProcess:
    """One engine in a spawned process, started by `start` (the model loads there, a few seconds
    of one core) and answering `mentions` one batch at a time.

    If the process dies (killed, out of memory), `mentions` raises and `ready` turns false; the
    caller reads the batch itself and may `start` it again. `give_way` while a batch is read
    has `mentions` answer for a prefix of its texts (the rest are for the caller to queue
    again)."""

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
        self._stop: Event | None = None
        # Pools shut down without waiting (from the event loop), joined by `aclose`.
        self._closed: list[ProcessPoolExecutor] = []

    async def start(self) -> bool:
        """Spawn the process and load the model there; True once it has answered."""
        self.close()
        self.starts += 1
        context = multiprocessing.get_context("spawn")
        self._stop = context.Event()
        self._pool = ProcessPoolExecutor(
            max_workers=1,
            mp_context=context,
            initializer=_load,
            initargs=(self.model, self.chunk_chars, self.batch_size, self._stop),
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
        """Each text's mentions, read in the process: of every text, or of the texts read
        before `give_way` was called (a prefix, at least one). Raises if the process is gone
        (then `ready` is false) or the model failed on the batch."""
        if self._pool is None or self._stop is None or not self.ready:
            raise RuntimeError("the NER process is not running")
        stop = self._stop
        try:
            found = await asyncio.get_running_loop().run_in_executor(
                self._pool, _mentions, list(texts)
            )
        except BrokenProcessPool:
            self.failures += 1
            self.close()
            raise
        finally:
            # One batch at a time: a call to give way (even one made before the batch reached
            # the process) is for this batch only.
            stop.clear()
        self.texts_read += len(found)
        return found

    def give_way(self) -> None:
        """Have the batch being read (or about to be) stop at the end of the text in hand (see
        `mentions`)."""
        if self._stop is not None:
            self._stop.set()

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
