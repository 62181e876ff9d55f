"""The NLP runtime a server process holds: one engine in one worker thread, requests that arrive
together batched through one `nlp.pipe`, compiled glossaries by version, and a result cache."""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from gloss.nlp.engine import Engine, EngineResult
from gloss.nlp.terms import CompiledGlossary, GlossaryCache, TermSpec


@dataclass(frozen=True, slots=True)
class TermInfo:
    """What a card and the annotate response show for a term, kept beside its compiled form."""

    term_id: str
    glossary_id: str
    term: str
    definition: str
    url: str | None


@dataclass(slots=True)
class _Job:
    text: str
    glossaries: tuple[CompiledGlossary, ...]
    include: frozenset[str]
    future: asyncio.Future[EngineResult]


class LRUCache:
    """A small thread-safe LRU map; values are immutable response bodies."""

    def __init__(self, max_entries: int) -> None:
        self._max = max_entries
        self._data: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> Any | None:
        with self._lock:
            value = self._data.get(key)
            if value is None:
                self.misses += 1
                return None
            self._data.move_to_end(key)
            self.hits += 1
            return value

    def put(self, key: Hashable, value: Any) -> None:
        if self._max <= 0:
            return
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self._max:
                self._data.popitem(last=False)

    def __len__(self) -> int:
        return len(self._data)


@dataclass
class NlpRuntime:
    engine: Engine
    max_batch: int = 32
    cache_entries: int = 2048
    glossaries: GlossaryCache = field(init=False)
    results: LRUCache = field(init=False)
    _term_info: dict[tuple[str, int | str], dict[str, TermInfo]] = field(init=False)
    _queue: asyncio.Queue[_Job] | None = field(init=False, default=None)
    _worker: asyncio.Task[None] | None = field(init=False, default=None)
    _executor: ThreadPoolExecutor = field(init=False)

    def __post_init__(self) -> None:
        self.glossaries = GlossaryCache(self.engine.nlp)
        self.results = LRUCache(self.cache_entries)
        self._term_info = {}
        # spaCy pipelines are not re-entrant: every engine call runs on this one thread.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gloss-nlp")

    @property
    def model_name(self) -> str:
        return self.engine.name

    @property
    def model_version(self) -> str:
        return self.engine.version

    async def start(self) -> None:
        self._queue = asyncio.Queue()
        self._worker = asyncio.create_task(self._run(), name="gloss-nlp-batcher")

    async def stop(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            try:
                await self._worker
            except asyncio.CancelledError:
                pass
        self._executor.shutdown(wait=False, cancel_futures=True)

    # --- glossaries --------------------------------------------------------------------------

    def compiled(self, glossary_id: str, version: int | str) -> CompiledGlossary | None:
        """The compiled glossary if this process already holds this version."""
        current = self.glossaries.peek(glossary_id)
        if current is not None and current.version == version:
            return current
        return None

    async def compile(
        self,
        glossary_id: str,
        version: int | str,
        specs: Sequence[TermSpec],
        infos: Iterable[TermInfo],
    ) -> CompiledGlossary:
        """Compile a glossary version off the event loop (tokenising 100k terms takes a while)."""
        self._term_info[(glossary_id, version)] = {i.term_id: i for i in infos}
        for key in [k for k in self._term_info if k[0] == glossary_id and k[1] != version]:
            del self._term_info[key]
        loader: Callable[[], Sequence[TermSpec]] = lambda: specs  # noqa: E731
        return await asyncio.get_running_loop().run_in_executor(
            self._executor, self.glossaries.get, glossary_id, version, loader
        )

    def term_info(self, glossary_id: str, version: int | str, term_id: str) -> TermInfo | None:
        return self._term_info.get((glossary_id, version), {}).get(term_id)

    # --- annotation --------------------------------------------------------------------------

    async def annotate(
        self, text: str, glossaries: Sequence[CompiledGlossary], include: frozenset[str]
    ) -> EngineResult:
        """Queue one text; the worker batches it with whatever else is waiting."""
        if self._queue is None:
            raise RuntimeError("NlpRuntime.start() was not awaited")
        future: asyncio.Future[EngineResult] = asyncio.get_running_loop().create_future()
        await self._queue.put(_Job(text, tuple(glossaries), include, future))
        return await future

    async def _run(self) -> None:
        assert self._queue is not None
        loop = asyncio.get_running_loop()
        while True:
            batch = [await self._queue.get()]
            # Take what is already waiting, never wait for more: batching adds no latency.
            while len(batch) < self.max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            groups: dict[tuple[object, ...], list[_Job]] = {}
            for job in batch:
                if job.future.cancelled():
                    continue
                key = (tuple(id(g) for g in job.glossaries), job.include)
                groups.setdefault(key, []).append(job)
            for jobs in groups.values():
                try:
                    results = await loop.run_in_executor(
                        self._executor,
                        self.engine.annotate_many,
                        [j.text for j in jobs],
                        jobs[0].glossaries,
                        jobs[0].include,
                    )
                except Exception as exc:  # hand the failure to every waiting request
                    for job in jobs:
                        if not job.future.done():
                            job.future.set_exception(exc)
                    continue
                for job, result in zip(jobs, results, strict=True):
                    if not job.future.done():
                        job.future.set_result(result)
