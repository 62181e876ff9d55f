"""The NLP runtime a server process holds, beside its database engine (gloss.db): one spaCy engine
on one worker thread, texts that arrive together batched through one `nlp.pipe`, the sentence
encoder on a thread of its own, compiled glossaries by version, and the result caches.

Routes reach it through the `NlpDep` dependency; the CLI opens one with `load_runtime`."""

from __future__ import annotations

import asyncio
import gc
import hashlib
import logging
import threading
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Hashable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Annotated, Any, Literal

import numpy as np
from fastapi import Depends, Request
from threadpoolctl import threadpool_limits

from gloss.nlp import dense
from gloss.nlp.engine import DEFAULT_MODEL, Engine, EngineResult, Reading
from gloss.nlp.entities import Mention
from gloss.nlp.ranking import DEFAULT_WEIGHTS, PageText, Weights, with_dense_share
from gloss.nlp.terms import (
    BYTES_PER_PATTERN,
    CompiledGlossary,
    GlossaryBuilder,
    GlossaryCache,
    TermSpec,
)
from gloss.nlp.worker import NerProcess

log = logging.getLogger("gloss.nlp")

# Split pages kept for related articles: a page of 20k words holds about 2.5 MB of words and
# shingles, so at most 64 of them (most pages are a tenth of that).
PAGES_KEPT = 64
PAGE_WORDS_KEPT = 20_000


@dataclass(frozen=True, slots=True)
class TermInfo:
    """What a card and the annotate response show for a term, kept beside its compiled form."""

    term_id: str
    glossary_id: str
    term: str
    definition: str
    url: str | None


Priority = Literal["visible", "background"]


@dataclass(slots=True)
class _Job:
    text: str
    glossaries: tuple[CompiledGlossary, ...]
    include: frozenset[str]
    future: asyncio.Future[Any]
    owner: Hashable  # whose work it is (a team): the queue takes owners in turn
    priority: Priority = "visible"
    # The whole document pass too (an EngineResult), or the reading alone (a Reading).
    whole: bool = True
    # The request it is answered with (a page's blocks are jobs of their own, one request);
    # by default a request of its own.
    request: Hashable = field(default_factory=object)

    @property
    def call(self) -> tuple[object, ...]:
        """What the engine is asked: jobs alike in this are read in one call."""
        return (tuple(id(g) for g in self.glossaries), self.include, self.whole)


# A text longer than this runs in a batch of its own: batched with short pages it would make
# every one of them wait for it.
LONG_TEXT_CHARS = 20_000
# A batch holds at most this many characters (about one block of 300 words): a reader's first
# screen that arrives while it runs waits for it and no more. 4,000 made another reader's
# 300-word page 3.9x slower beside a 20,000-word page, 2,000 made it 2.1x (ADR 0016).
BATCH_CHARS = 2_000
# How long a long page's tail waits, at most, for other readers' requests on screen to be
# answered before it is prepared and queued (NlpRuntime.screens_read).
TAIL_WAIT_S = 0.5
# How long, at most, the engine thread leaves a request's text waiting while a reader's request
# with less left to read has its last blocks read by a process or is being finished
# (NlpRuntime._holder).
HOLD_S = 0.03
# A NER process that failed to start, or died, is started again after this long, then twice as
# long each time it fails again; meanwhile the engine thread reads everything.
PROCESS_RESTART_S = 1.0
PROCESS_RESTART_MAX_S = 60.0


# What a team new to a tier may have read before the teams already there, about a first screen
# (the visible part of a request, annotate.service.VISIBLE_CHARS, and a block more).
NEWCOMER_CHARS = 4_000

Tiers = tuple[Priority, ...]
EVERY_TIER: Tiers = ("visible", "background")
VISIBLE_ONLY: Tiers = ("visible",)


class FairQueue:
    """Jobs by priority, then by owner: visible text (what a reader has on screen) before
    background text (the tail of a long page, bulk ingest); within a tier, the owner (a team)
    that has had the least read so far goes first (least attained service), so one team's
    hundred queued texts do not stand in front of another team's one page, and a reader who
    opens a short page while another team's long page is read is served before the rest of
    the long page's first screen (ADR 0020). What an owner has had counts from when it last
    had nothing queued or being read, starting near what the others have had (a newcomer is
    ahead by at most NEWCOMER_CHARS). Within an owner and priority, first in, first out.
    Each taker names the tiers it serves (the server's own engine thread only visible text
    while a process reads the background, ADR 0019)."""

    def __init__(self) -> None:
        self._tiers: dict[Priority, OrderedDict[Hashable, deque[_Job]]] = {
            "visible": OrderedDict(),
            "background": OrderedDict(),
        }
        # Characters taken per (tier, owner); characters queued or being read per request;
        # and each owner's jobs queued or being read.
        self._served: dict[tuple[Priority, Hashable], int] = {}
        self._outstanding: dict[Hashable, int] = {}
        self._active: dict[Hashable, int] = {}
        self._waiting_chars: dict[Priority, int] = {"visible": 0, "background": 0}
        # Characters waiting per (request, tier).
        self._waiting_request: dict[tuple[Hashable, Priority], int] = {}
        # Per owner, its requests with visible text waiting (and how many of their jobs).
        self._on_screen: dict[Hashable, dict[Hashable, int]] = {}
        self._changed = asyncio.Event()

    def put(self, job: _Job) -> None:
        queues = self._tiers[job.priority]
        key = (job.priority, job.owner)
        if key not in self._served:
            # A team new to the tier goes before the others for at most NEWCOMER_CHARS, then
            # takes turns with them: it does not wait behind a long page's next block, and a
            # long-running ingest is not held up until the newcomer has had as much.
            others = [self._served.get((job.priority, o), 0) for o in queues if o != job.owner]
            self._served[key] = max(0, min(others, default=0) - NEWCOMER_CHARS)
        queues.setdefault(job.owner, deque()).append(job)
        self._active[job.owner] = self._active.get(job.owner, 0) + 1
        self._outstanding[job.request] = self._outstanding.get(job.request, 0) + len(job.text)
        self._waiting(job, +1)
        self._changed.set()

    def _waiting(self, job: _Job, change: int) -> None:
        """Count a job in (+1) or out of (-1) what waits."""
        self._waiting_chars[job.priority] += change * len(job.text)
        key = (job.request, job.priority)
        waiting = self._waiting_request.get(key, 0) + change * len(job.text)
        if waiting > 0:
            self._waiting_request[key] = waiting
        else:
            self._waiting_request.pop(key, None)
        if job.priority == "visible":
            requests = self._on_screen.setdefault(job.owner, {})
            left = requests.get(job.request, 0) + change
            if left > 0:
                requests[job.request] = left
            else:
                requests.pop(job.request, None)
                if not requests:
                    del self._on_screen[job.owner]

    def done(self, job: _Job) -> None:
        """A taken job was read (or dropped): once an owner has nothing queued or being
        read, what it was served is forgotten."""
        outstanding = self._outstanding.get(job.request, 0) - len(job.text)
        if outstanding > 0:
            self._outstanding[job.request] = outstanding
        else:
            self._outstanding.pop(job.request, None)
        left = self._active.get(job.owner, 0) - 1
        if left > 0:
            self._active[job.owner] = left
            return
        self._active.pop(job.owner, None)
        for tier in self._tiers:
            self._served.pop((tier, job.owner), None)

    def depth(self, tier: Priority) -> int:
        """Texts waiting in `tier`."""
        return sum(len(jobs) for jobs in self._tiers[tier].values())

    def left(self, request: Hashable) -> int:
        """Characters that `request` has queued or being read, in every tier."""
        return self._outstanding.get(request, 0)

    def chars(self, tiers: Tiers) -> int:
        """Characters waiting in `tiers`."""
        return sum(self._waiting_chars[t] for t in tiers)

    def waiting(self, job: _Job) -> int:
        """Characters of `job`'s request waiting (not yet taken) in `job`'s tier."""
        return self._waiting_request.get((job.request, job.priority), 0)

    def served(self, tier: Priority, owner: Hashable) -> int:
        """Characters of `tier` taken for `owner` since it last had nothing queued or read."""
        return self._served.get((tier, owner), 0)

    def has(self, tiers: Tiers = EVERY_TIER) -> bool:
        return any(self._tiers[t] for t in tiers)

    def empty(self) -> bool:
        return not self.has()

    def peek(self, tiers: Tiers = EVERY_TIER) -> _Job:
        """The job `take` would return, left in the queue."""
        tier, owner = self._next(tiers)
        return self._tiers[tier][owner][0]

    def request_waits(self, request: Hashable) -> bool:
        """Whether `request` has a job waiting (not taken) in any tier."""
        return any((request, t) in self._waiting_request for t in self._tiers)

    def take(self, tiers: Tiers = EVERY_TIER) -> _Job:
        """The next job, in the first of `tiers` that has one: the oldest of the owner served
        least, the one whose turn came first among equals; that owner goes last in turn."""
        return self._take_from(*self._next(tiers))

    def _next(self, tiers: Tiers) -> tuple[Priority, Hashable]:
        """The tier and owner of the job `take` returns."""
        tier = next(t for t in tiers if self._tiers[t])
        return tier, min(self._tiers[tier], key=lambda o: self._rank(tier, o))

    def _rank(self, tier: Priority, owner: Hashable) -> tuple[int, ...]:
        """Who goes first in a tier, lowest first. Visible text (a first screen, short, a
        reader waiting): the owner whose requests with visible text waiting have the least
        left to read, in every tier, as they will be answered soonest (a request is answered
        once all of its blocks are read: the first screen of a 20,000-word page sent whole
        helps nobody before its tail is read; a team's hundred small requests weigh as much
        as one request of their size), then the owner served least. Background text (long):
        the owner served least, so long jobs take turns."""
        served = self._served.get((tier, owner), 0)
        if tier == "visible":
            requests = self._on_screen.get(owner, {})
            return (sum(self._outstanding.get(r, 0) for r in requests), served)
        return (served,)

    def _take_from(self, tier: Priority, owner: Hashable) -> _Job:
        queues = self._tiers[tier]
        jobs = queues.pop(owner)
        job = jobs.popleft()
        if jobs:
            queues[owner] = jobs
        self._served[(tier, owner)] = self._served.get((tier, owner), 0) + len(job.text)
        self._waiting(job, -1)
        return job

    async def changed(self) -> None:
        """Wait for the next `put` or `wake`. A taker checks `has` first and calls this with no
        await in between, so nothing put meanwhile is missed."""
        self._changed.clear()
        await self._changed.wait()

    def wake(self) -> None:
        """Wake every waiting taker (what a taker serves has changed)."""
        self._changed.set()

    async def get(self, tiers: Tiers = EVERY_TIER) -> _Job:
        while not self.has(tiers):
            await self.changed()
        return self.take(tiers)

    def batch(
        self,
        first: _Job,
        limit: int,
        max_chars: int = BATCH_CHARS,
        tiers: Tiers = EVERY_TIER,
    ) -> list[_Job]:
        """`first` and what is already waiting in `tiers` that the engine reads in the same
        call (the same glossaries and options: `first`'s team's, or another team's alike), in
        turn, up to `limit` texts and `max_chars` characters; a long text runs alone. A job
        asking something else is left for the next batch, which another lane may be taking
        already: in this batch it would wait for this call to end."""
        batch = [first]
        chars = len(first.text)
        if chars > LONG_TEXT_CHARS:
            return batch
        while len(batch) < limit:
            place = self._next_like(first, tiers)
            if place is None:
                break
            tier, owner = place
            if chars + len(self._tiers[tier][owner][0].text) > max_chars:
                break  # the next batch's first
            job = self._take_from(tier, owner)
            chars += len(job.text)
            batch.append(job)
        return batch

    def _next_like(self, first: _Job, tiers: Tiers) -> tuple[Priority, Hashable] | None:
        """Where the next job read in the same call as `first` waits: in the first of `tiers`
        that has one, the owner served least whose next job asks what `first` asks."""
        call = first.call
        for tier in tiers:
            queues = self._tiers[tier]
            owners = sorted(queues, key=lambda o: self._rank(tier, o))
            for owner in owners:
                if queues[owner][0].call == call:
                    return tier, owner
        return None

    def put_back(self, jobs: Sequence[_Job]) -> None:
        """Jobs taken but not read (their reader failed), back at the front, in order."""
        for job in reversed(jobs):
            self._put_back(job)

    def _put_back(self, job: _Job) -> None:
        queues = self._tiers[job.priority]
        queues.setdefault(job.owner, deque()).appendleft(job)
        queues.move_to_end(job.owner, last=False)
        key = (job.priority, job.owner)
        self._served[key] = max(0, self._served.get(key, 0) - len(job.text))
        self._waiting(job, +1)
        self._changed.set()


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


# A full compile runs on the engine's thread this many terms (then pattern texts) at a time, so
# every team's annotations go between its steps: a step takes some 10 to 30 ms (a few take
# hundreds, when spaCy's tables grow), a 100k-term glossary some 600 steps; smaller steps made
# the whole compile slower (`python -m tests.benchmarks compile`).
COMPILE_STEP = 500
# Glossaries of up to this many terms are compiled on the request that first needs a version;
# larger ones in the background, the version held before (if any) served meanwhile.
INLINE_COMPILE_TERMS = 5_000

# CPython's full (generation 2) garbage collections hold the GIL, pausing every thread, for
# as long as it takes to scan every object it tracks. A 100k-term compile set off 14 of them
# (up to 1 s each under load) as its terms became objects: one runs whenever the oldest
# generation grows by a quarter. While a compile is in flight they wait (this third threshold
# is never reached); young collections go on, and the one full collection owed runs soon after
# the compile ends (`python -m tests.benchmarks compile`). The compiled structures are acyclic:
# a replaced version is freed by reference counting, not by a collection
# (tests/nlp/test_terms.py).
DEFERRED_FULL_COLLECTIONS = 1_000_000


class _FullCollections:
    """Full collections deferred while any compile is in flight (process-wide, like the gc's
    own thresholds; touched on the event loop only)."""

    def __init__(self) -> None:
        self._compiles = 0
        self._threshold = 10

    @contextmanager
    def deferred(self) -> Iterator[None]:
        if self._compiles == 0:
            young, middle, self._threshold = gc.get_threshold()
            gc.set_threshold(young, middle, DEFERRED_FULL_COLLECTIONS)
        self._compiles += 1
        try:
            yield
        finally:
            self._compiles -= 1
            if self._compiles == 0:
                young, middle, _ = gc.get_threshold()
                gc.set_threshold(young, middle, self._threshold)


FULL_COLLECTIONS = _FullCollections()
_start_up_frozen = False


def freeze_start_up_heap() -> None:
    """Move what start-up made (the spaCy pipeline, the encoder, every module) out of the
    collector's scans, once a process: collected first, so no garbage is frozen; what is
    frozen is still freed by reference counting."""
    global _start_up_frozen
    if not _start_up_frozen:
        _start_up_frozen = True
        gc.collect()
        gc.freeze()


TermLoader = Callable[[], Awaitable[tuple[int, Sequence[TermSpec], Sequence[TermInfo]] | None]]


@dataclass(slots=True)
class _Build:
    """A compile of one glossary in flight: the version it was started for, and its task."""

    version: int | str
    task: asyncio.Task[CompiledGlossary | None]
    background: bool


class CompiledGlossaries:
    """The glossaries this process holds compiled for the engine, one version each, with what
    a card shows of their terms.

    Compiles and patches run on the engine's thread, so a batch of annotations sees each
    glossary wholly at one version; a full compile runs there a step at a time
    (`GlossaryBuilder`), so other teams' annotations are not held up behind it. At most one
    compile of a glossary is in flight at a time, and at most one in the background at all."""

    def __init__(
        self,
        cache: GlossaryCache,
        executor: ThreadPoolExecutor,
        inline_terms: int = INLINE_COMPILE_TERMS,
    ) -> None:
        self._cache = cache
        self._executor = executor
        self.inline_terms = inline_terms
        self._term_info: dict[tuple[str, int | str], dict[str, TermInfo]] = {}
        self._building: dict[str, _Build] = {}
        self._background = asyncio.Semaphore(1)
        # How each stale glossary was brought up to date (tests and metrics read these).
        self.full_compiles = 0
        self.incremental_updates = 0
        self.background_compiles = 0
        self.failed_compiles = 0

    def at(self, glossary_id: str, version: int | str) -> CompiledGlossary | None:
        """The compiled glossary if this process already holds this version."""
        current = self._cache.peek(glossary_id)
        if current is not None and current.version == version:
            return current
        return None

    def held(self, glossary_id: str) -> CompiledGlossary | None:
        """The compiled glossary this process holds, whatever its version."""
        return self._cache.peek(glossary_id)

    def building(self, glossary_id: str) -> int | str | None:
        """The version a compile in flight was started for, if one is."""
        build = self._building.get(glossary_id)
        return build.version if build is not None else None

    def compiling_in_background(self, glossary_id: str) -> bool:
        build = self._building.get(glossary_id)
        return build is not None and build.background

    async def compile(
        self,
        glossary_id: str,
        version: int | str,
        specs: Sequence[TermSpec],
        infos: Iterable[TermInfo],
    ) -> CompiledGlossary:
        """Compile a glossary version, waiting for it; a compile of the same glossary already
        in flight is waited for first (one at a time), and its result used when it is at least
        this version. The compile goes on if the caller is cancelled."""
        while (build := self._building.get(glossary_id)) is not None:
            try:
                await asyncio.shield(build.task)
            except Exception:  # logged by the build's own callback
                pass
            held = self._cache.peek(glossary_id)
            if held is not None and _at_least(held.version, version):
                return held
        kept = list(infos)

        async def given() -> tuple[int, Sequence[TermSpec], Sequence[TermInfo]]:
            return int(version), specs, kept

        compiled = await asyncio.shield(self._start(glossary_id, version, given, background=False))
        if compiled is None:  # pragma: no cover  # `given` always loads
            raise RuntimeError(f"glossary {glossary_id} was not compiled")
        return compiled

    def compile_in_background(self, glossary_id: str, version: int, load: TermLoader) -> None:
        """Start compiling a glossary from `load()` (its version and terms, read in a session of
        its own; None when it is gone) unless a compile of it is in flight. Background compiles
        run one at a time; a failure is logged, and the next request for the glossary starts
        another."""
        if glossary_id not in self._building:
            self.background_compiles += 1
            self._start(glossary_id, version, load, background=True)

    async def wait(self, glossary_id: str) -> None:
        """Wait until no compile of this glossary is in flight (whatever its outcome)."""
        while (build := self._building.get(glossary_id)) is not None:
            await asyncio.wait([build.task])

    async def settled(self) -> None:
        """Wait until no compile is in flight (tests, and callers that must use the newest)."""
        while self._building:
            await asyncio.gather(
                *(b.task for b in list(self._building.values())), return_exceptions=True
            )

    def close(self) -> None:
        for build in self._building.values():
            build.task.cancel()

    def _start(
        self, glossary_id: str, version: int | str, load: TermLoader, *, background: bool
    ) -> asyncio.Task[CompiledGlossary | None]:
        async def run() -> CompiledGlossary | None:
            if background:
                async with self._background:
                    return await self._load_and_build(glossary_id, load)
            return await self._load_and_build(glossary_id, load)

        def finished(task: asyncio.Task[CompiledGlossary | None]) -> None:
            # In the task's first done callback, so whoever awaits the task finds it gone.
            if self._building.get(glossary_id) is build:
                del self._building[glossary_id]
            if task.cancelled() or task.exception() is None:
                return
            self.failed_compiles += 1
            log.error(
                "compiling glossary %s failed; the next request for it tries again",
                glossary_id,
                exc_info=task.exception(),
            )

        task = asyncio.create_task(run(), name=f"gloss-compile-{glossary_id}")
        build = _Build(version, task, background)
        self._building[glossary_id] = build
        task.add_done_callback(finished)
        return task

    async def _load_and_build(self, glossary_id: str, load: TermLoader) -> CompiledGlossary | None:
        with FULL_COLLECTIONS.deferred():
            return await self._load_and_build_now(glossary_id, load)

    async def _load_and_build_now(
        self, glossary_id: str, load: TermLoader
    ) -> CompiledGlossary | None:
        loaded = await load()
        if loaded is None:
            return None
        version, specs, infos = loaded
        held = self._cache.peek(glossary_id)
        if held is not None and _at_least(held.version, version):
            return held  # brought this far meanwhile (patched)
        self.full_compiles += 1
        builder = self._cache.builder(glossary_id, version, specs, COMPILE_STEP)
        while not await self._step(builder):
            pass
        built = await asyncio.get_running_loop().run_in_executor(self._executor, builder.result)
        # Held and given its cards in one go on the event loop: no request sees one without
        # the other.
        compiled = self._cache.install(built)
        if compiled is built:
            self._term_info[(glossary_id, version)] = {i.term_id: i for i in infos}
        # What a card shows of versions no longer held, and of glossaries the cache dropped
        # (over its memory bound), goes too.
        for key in list(self._term_info):
            held = self._cache.peek(key[0])
            if held is None or held.version != key[1]:
                del self._term_info[key]
        return compiled

    async def _step(self, builder: GlossaryBuilder) -> bool:
        """One step of a full compile on the engine's thread; True when it is done. Between
        steps the thread runs whatever else was queued (annotations of every team)."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, builder.step)

    def held_version(self, glossary_id: str) -> int | None:
        """The version of the glossary this process holds compiled, if any, and if it is worth
        patching (a glossary carrying many dead patterns is better compiled afresh)."""
        current = self._cache.peek(glossary_id)
        if current is None or not isinstance(current.version, int):
            return None
        if current.stale_patterns > max(1000, current.pattern_count // 4):
            return None
        return current.version

    async def update(
        self,
        glossary_id: str,
        base: int,
        version: int,
        upserts: Sequence[TermSpec],
        upsert_infos: Iterable[TermInfo],
        removed_ids: Sequence[str],
    ) -> CompiledGlossary | None:
        """Patch the held glossary from `base` to `version` with the terms changed since
        `base`; None when the held one cannot be patched (the caller compiles in full).

        The patch mutates the compiled glossary in place on the engine thread, so it is
        serialised with every annotation: a batch sees the glossary wholly at one version. A
        request that picked the object up at `base` and is still queued then annotates with
        the newer terms, and its term lookups at `base` find nothing (as after a full compile
        replaced the object): it shows fewer cards, never a term under the wrong version.
        """
        compiled = await asyncio.get_running_loop().run_in_executor(
            self._executor,
            self._cache.update,
            glossary_id,
            base,
            version,
            upserts,
            removed_ids,
        )
        if compiled is None:
            return None
        held = compiled.version
        if (glossary_id, held) not in self._term_info:
            old = next((k for k in self._term_info if k[0] == glossary_id), None)
            if held != version or old is None:
                return None  # no definitions to patch: the caller's full path supplies them
            infos = dict(self._term_info[old])
            for term_id in removed_ids:
                infos.pop(term_id, None)
            infos.update({i.term_id: i for i in upsert_infos})
            self._term_info[(glossary_id, held)] = infos
        for key in [k for k in self._term_info if k[0] == glossary_id and k[1] != held]:
            del self._term_info[key]
        self.incremental_updates += 1
        return compiled

    def term_info(self, glossary_id: str, version: int | str, term_id: str) -> TermInfo | None:
        return self._term_info.get((glossary_id, version), {}).get(term_id)


def _at_least(held: int | str, version: int | str) -> bool:
    """A held version is as new as `version` (versions of the server's glossaries are ints)."""
    if isinstance(held, int) and isinstance(version, int):
        return held >= version
    return held == version


@dataclass
class NlpRuntime:
    engine: Engine
    max_batch: int = 32
    cache_entries: int = 2048
    # The sentence encoder of the related articles' dense re-rank; None leaves it out.
    encoder: dense.Encoder | None = None
    # How related articles are ranked (the dense share among them).
    related_weights: Weights = DEFAULT_WEIGHTS
    # The memory compiled glossaries may hold (GLOSS_COMPILED_GLOSSARIES_MB).
    glossary_memory_mb: int = 2048
    # Larger glossaries compile in the background (GLOSS_INLINE_COMPILE_TERMS).
    inline_compile_terms: int = INLINE_COMPILE_TERMS
    # Engines in processes of their own (GLOSS_NER_PROCESSES); the model they load.
    ner_processes: int = 0
    ner_model: str = DEFAULT_MODEL
    glossaries: CompiledGlossaries = field(init=False)
    page_vectors: LRUCache = field(init=False)
    pages: LRUCache = field(init=False)
    _queue: FairQueue | None = field(init=False, default=None)
    _worker: asyncio.Task[None] | None = field(init=False, default=None)
    _executor: ThreadPoolExecutor = field(init=False)
    processes: list[NerProcess] = field(init=False, default_factory=list)
    _reading: dict[Priority, int] = field(
        init=False, default_factory=lambda: {"visible": 0, "background": 0}
    )
    _lanes: list[asyncio.Task[None]] = field(init=False, default_factory=list)
    # The process lanes' batches being matched on the engine thread, and their calls waiting
    # for it.
    _matching: set[asyncio.Task[None]] = field(init=False, default_factory=set)
    _urgent: deque[_Urgent] = field(init=False, default_factory=deque)
    _urgent_lock: threading.Lock = field(init=False, default_factory=threading.Lock)
    # What the requests of the engine thread's batch in hand have left to read, while it
    # reads in chunks (None otherwise); set when a request with less left puts visible text
    # in the queue: the thread then stops at the end of the text in hand (see `_put`).
    _thread_left: int | None = field(init=False, default=None)
    _overtaken: threading.Event = field(init=False, default_factory=threading.Event)
    # The same for each process's batch in hand: whether it is all background, and what its
    # requests have left (the process stops at the end of its text in hand, see `_put`).
    _process_held: dict[NerProcess, tuple[bool, int]] = field(init=False, default_factory=dict)
    # The requests with visible text being answered (see `answering`), and an event set when
    # one is (or its spans are finished, see `spans_finished`).
    _answering: dict[Hashable, float] = field(init=False, default_factory=dict)
    _answered: asyncio.Event = field(init=False, default_factory=asyncio.Event)
    # Of those, the ones that have put text in the queue and whose spans are not yet finished
    # (see `_holder`).
    _read_for: set[Hashable] = field(init=False, default_factory=set)

    def __post_init__(self) -> None:
        self.page_vectors = LRUCache(self.cache_entries)
        # Pages split into words for related articles (ranking.PageText), by the same keys: a
        # few, since a long page's words and shingles take megabytes (see NlpRuntime.page).
        self.pages = LRUCache(min(self.cache_entries, PAGES_KEPT))
        # spaCy pipelines are not re-entrant: every engine call runs on this one thread.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gloss-nlp")
        max_patterns = self.glossary_memory_mb * 1024 * 1024 // BYTES_PER_PATTERN
        cache = GlossaryCache(self.engine.nlp, max_patterns=max_patterns)
        self.glossaries = CompiledGlossaries(cache, self._executor, self.inline_compile_terms)
        # The encoder has a thread of its own: a page's vector is computed while spaCy reads
        # it (numpy's matrix products release the GIL), on the second core where there is one.
        self._dense_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gloss-dense")

    @property
    def model_name(self) -> str:
        return self.engine.name

    @property
    def model_version(self) -> str:
        return self.engine.version

    async def start(self) -> None:
        self._queue = FairQueue()
        self._worker = asyncio.create_task(self._run(), name="gloss-nlp-batcher")
        engine = self.engine
        for number in range(self.ner_processes):
            process = NerProcess(
                self.ner_model,
                chunk_chars=engine.chunk_chars,
                batch_size=engine.batch_size,
                version=engine.version,
            )
            self.processes.append(process)
            lane = self._run_process(process)
            self._lanes.append(asyncio.create_task(lane, name=f"gloss-ner-process-{number}"))

    async def stop(self) -> None:
        lanes = [*self._lanes, *([self._worker] if self._worker is not None else [])]
        for task in [*lanes, *self._matching]:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
        for process in self.processes:
            await process.aclose()
        self.glossaries.close()
        self._executor.shutdown(wait=False, cancel_futures=True)
        self._dense_executor.shutdown(wait=False, cancel_futures=True)

    # --- sentence vectors --------------------------------------------------------------------

    @property
    def dense_model(self) -> str | None:
        """The name stored vectors are kept under, or None without an encoder."""
        return dense.MODEL_NAME if self.encoder is not None else None

    async def embed(self, documents: Sequence[str]) -> list[np.ndarray] | None:
        """Unit vectors of `documents` (see dense.document), or None without an encoder."""
        if self.encoder is None:
            return None
        if not documents:
            return []
        vectors = await asyncio.get_running_loop().run_in_executor(
            self._dense_executor, self.encoder.embed, documents
        )
        return list(vectors)

    def page(self, key: Hashable, title: str, text: str) -> PageText:
        """The page split into words for related articles, kept for a page read again when
        it is no longer than PAGE_WORDS_KEPT words."""
        page: PageText | None = self.pages.get(key)
        if page is None:
            page = PageText.of(title, text)
            if len(page.words) <= PAGE_WORDS_KEPT:
                self.pages.put(key, page)
        return page

    async def page_vector(
        self, title: str, text: str, key: Hashable | None = None
    ) -> dense.Vector | None:
        """A page's vector, cached by `key` (by default a hash of its title and text): a page
        read again is not encoded again."""
        model = self.dense_model
        if model is None:
            return None
        if key is None:
            key = hashlib.sha256(f"{title}\x00{text}".encode("utf-8", "surrogatepass")).digest()
        cached: dense.Vector | None = self.page_vectors.get(key)
        if cached is not None:
            return cached
        vectors = await self.embed([dense.document(title, text)])
        if not vectors:
            return None
        vector = dense.Vector(model, vectors[0])
        self.page_vectors.put(key, vector)
        return vector

    def remember_page(
        self, team_ids: Sequence[uuid.UUID], url: str | None, vector: dense.Vector
    ) -> None:
        """The vector of the page a reader of these teams annotated at `url`: the hover cards
        of that page rank a subject's articles by their closeness to it."""
        if url:
            self.page_vectors.put(("url", tuple(sorted(team_ids)), url), vector)

    def page_at(self, team_ids: Sequence[uuid.UUID], url: str | None) -> dense.Vector | None:
        """The vector `remember_page` kept for the page at `url`, if this process has it."""
        if not url:
            return None
        found: dense.Vector | None = self.page_vectors.get(("url", tuple(sorted(team_ids)), url))
        return found

    # --- annotation --------------------------------------------------------------------------

    async def annotate(
        self,
        text: str,
        glossaries: Sequence[CompiledGlossary],
        include: frozenset[str],
        owner: Hashable = None,
        priority: Priority = "visible",
    ) -> EngineResult:
        """Queue one text; the worker batches it with whatever else is waiting, visible text
        first, taking the owners (teams) of queued texts in turn."""
        result: EngineResult = await self._queued(
            _Job(text, tuple(glossaries), include, self._future(), owner, priority)
        )
        return result

    def read_all(
        self,
        texts: Sequence[str],
        glossaries: Sequence[CompiledGlossary],
        include: frozenset[str],
        owner: Hashable = None,
        priority: Priority = "visible",
        request: Hashable | None = None,
    ) -> list[asyncio.Future[Reading]]:
        """Queue blocks for their readings alone, each a job of its own; their futures, in
        order (cancelling one leaves it unread). Blocks given the same `request` are
        answered together: the queue ranks them by what that request has left to read."""
        if self._queue is None:
            raise RuntimeError("NlpRuntime.start() was not awaited")
        kept = tuple(glossaries)
        together = object() if request is None else request
        jobs = [
            _Job(t, kept, include, self._future(), owner, priority, whole=False, request=together)
            for t in texts
        ]
        if jobs:
            self._put(jobs)
        return [job.future for job in jobs]

    async def finish(self, text: str, reading: Reading, include: frozenset[str]) -> EngineResult:
        """The document pass over a page's joined reading; a long page's off the event loop."""
        terms = "terms" in include and bool(reading.hits)
        if len(text) <= LONG_TEXT_CHARS:
            return self.engine.finish(text, reading, include, terms=terms)
        return await asyncio.to_thread(self.engine.finish, text, reading, include, terms=terms)

    def answering(self, request: Hashable, priority: Priority) -> None:
        """A request with visible text is being answered, until `answered` (its answer sent,
        or it failed): a long page's tail waits for it before it is prepared (see
        `screens_read`)."""
        if priority == "visible":
            self._answering[request] = time.monotonic()

    def spans_finished(self, request: Hashable) -> None:
        """`request`'s text is read and its spans finished: it no longer holds the engine
        thread back (see `_holder`)."""
        if request in self._read_for:
            self._read_for.discard(request)
            self._answered.set()

    def answered(self, request: Hashable) -> None:
        self._read_for.discard(request)
        if self._answering.pop(request, None) is not None:
            self._answered.set()

    async def screens_read(self, request: Hashable) -> None:
        """Before a long page's tail is prepared and queued (its blocks' keys, their cache
        lookup, their jobs: milliseconds of the event loop, whose thread shares the
        interpreter's lock with the engine thread), wait until no other request with visible
        text is being answered, at most TAIL_WAIT_S: their readers are not slowed by work
        that is read after theirs anyway. `request` no longer counts as one (two long pages
        do not wait for each other)."""
        self._answering.pop(request, None)
        self._read_for.discard(request)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + TAIL_WAIT_S
        while self._answering:
            # One never marked answered (a response never sent) is not waited for again.
            stale = time.monotonic() - TAIL_WAIT_S
            for old in [r for r, since in self._answering.items() if since < stale]:
                del self._answering[old]
                self._read_for.discard(old)
            if not self._answering:
                return
            self._answered.clear()
            try:
                await asyncio.wait_for(self._answered.wait(), deadline - loop.time())
            except TimeoutError:
                return

    def _future(self) -> asyncio.Future[Any]:
        return asyncio.get_running_loop().create_future()

    async def _queued(self, job: _Job) -> Any:
        if self._queue is None:
            raise RuntimeError("NlpRuntime.start() was not awaited")
        self._put([job])
        return await job.future

    def _put(self, jobs: Sequence[_Job]) -> None:
        """Queue one request's jobs. Visible text of a request with less left to read than
        a lane's batch in hand (so ranked before it), or any visible text while a process
        reads the background, has that lane stop its batch at the end of the text in hand
        and put the rest back: a reader's first screen waits for a block of a long page, not
        for a batch, and is read by every lane at once."""
        assert self._queue is not None
        for job in jobs:
            self._queue.put(job)
            if job.request in self._answering:
                self._read_for.add(job.request)
        if not any(j.priority == "visible" for j in jobs):
            return
        left = self._queue.left(jobs[0].request)
        held = self._thread_left
        if held is not None and left < held:
            self._overtaken.set()
        for process, (background, held) in self._process_held.items():
            if background or left < held:
                process.give_way()

    def queued(self, tier: Priority) -> int:
        """Texts of `tier` waiting for the engine or being read."""
        waiting = self._queue.depth(tier) if self._queue is not None else 0
        return waiting + self._reading[tier]

    def process_status(self) -> str:
        """ "ok" when every NER process reads; otherwise what reads meanwhile (for /readyz)."""
        waiting = [p for p in self.processes if not p.ready]
        if not waiting:
            return "ok"
        state = "starting" if all(p.failures == 0 for p in waiting) else "restarting"
        return f"{len(waiting)} of {len(self.processes)} {state}; the engine thread reads all"

    def _thread_tiers(self) -> Tiers:
        """What the engine thread reads: only visible text while a process reads the rest."""
        return VISIBLE_ONLY if any(p.ready for p in self.processes) else EVERY_TIER

    async def _next_batch(self, tiers: Callable[[], Tiers], hold: bool = False) -> list[_Job]:
        """The next batch from the tiers a lane serves (asked again after every change: a
        process that starts or fails changes what the engine thread serves). With `hold`
        (the engine thread), none while a request ranked before it is finished on the event
        loop or has its last blocks read by a process, at most HOLD_S: the event loop's
        thread shares the interpreter's lock with the engine thread, and a reader's last
        milliseconds took twice as long beside another page's first screen being read."""
        queue = self._queue
        assert queue is not None
        loop = asyncio.get_running_loop()
        deadline: float | None = None
        while True:
            while not queue.has(tiers()):
                await queue.changed()
            if not hold or self._holder() is None:
                break
            now = loop.time()
            deadline = now + HOLD_S if deadline is None else deadline
            if now >= deadline:
                break
            self._answered.clear()
            try:
                await asyncio.wait_for(self._answered.wait(), deadline - now)
            except TimeoutError:
                pass
        served = tiers()
        # Take what is already waiting, never wait for more: batching adds no latency. A lane
        # takes its share among the lanes that read the tier (the background only the
        # processes, while one runs): on screen, of the first request's text waiting, so a
        # reader's page is read by every lane at once, whatever else waits behind it; in the
        # background, of everything waiting there.
        first = queue.take(served)
        ready = sum(p.ready for p in self.processes)
        lanes = ready if first.priority == "background" and ready else 1 + ready
        waiting = (
            queue.waiting(first) if first.priority == "visible" else queue.chars(("background",))
        )
        share = -(-(waiting + len(first.text)) // lanes)
        max_chars = min(BATCH_CHARS, max(share, len(first.text)))
        batch = queue.batch(first, self.max_batch, max_chars, tiers=served)
        for job in batch:
            self._reading[job.priority] += 1
        return batch

    def _groups(self, batch: Sequence[_Job]) -> list[list[_Job]]:
        """The batch's live jobs by what the engine is asked (glossaries, include, whole)."""
        groups: dict[tuple[object, ...], list[_Job]] = {}
        for job in batch:
            if job.future.cancelled():
                self._read(job)
                continue
            groups.setdefault(job.call, []).append(job)
        return list(groups.values())

    def _read(self, job: _Job) -> None:
        """A taken job is no longer being read."""
        self._reading[job.priority] -= 1
        assert self._queue is not None
        self._queue.done(job)

    def _deliver(self, jobs: Sequence[_Job], results: Sequence[object] | BaseException) -> None:
        for i, job in enumerate(jobs):
            self._read(job)
            if job.future.done():
                continue
            if isinstance(results, BaseException):  # hand the failure to every waiting request
                job.future.set_exception(results)
            else:
                job.future.set_result(results[i])

    async def _run(self) -> None:
        """The engine thread's lane: the model and the glossaries in this process."""
        while True:
            for jobs in self._groups(await self._next_batch(self._thread_tiers, hold=True)):
                await self._read_on_thread(jobs)

    def _holder(self) -> Hashable | None:
        """A reader's request, being answered, that has nothing left waiting in the queue and
        less left to read than the next the engine thread would take: its last blocks are
        read by a process, or its spans are being finished on the event loop. Only beside a
        process (the thread alone reads everything), and not one answered for longer than
        TAIL_WAIT_S (whatever keeps it, it is not its last milliseconds)."""
        queue = self._queue
        assert queue is not None
        tiers = self._thread_tiers()
        if not self._read_for or tiers == EVERY_TIER or not queue.has(tiers):
            return None
        following = queue.peek(tiers).request
        left = queue.left(following)
        stale = time.monotonic() - TAIL_WAIT_S
        for request in self._read_for:
            if request is following or queue.request_waits(request):
                continue
            if queue.left(request) < left and self._answering.get(request, 0) > stale:
                return request
        return None

    async def _run_process(self, process: NerProcess) -> None:
        """A process's lane: visible text when the engine thread is busy, and the background
        (the tails of long pages, ingest). The model reads there; the glossaries are matched
        and whole answers finished on the engine thread, which takes a few milliseconds."""
        assert self._queue is not None
        backoff = PROCESS_RESTART_S
        matching: list[asyncio.Task[None]] = []  # this lane's, on the engine thread
        while True:
            if not process.ready:
                if not await process.start():
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, PROCESS_RESTART_MAX_S)
                    continue
                backoff = PROCESS_RESTART_S
                log.info("NER process %s ready (start %d)", process.pid, process.starts)
                self._queue.wake()  # the engine thread now leaves the background to it
            batch = await self._next_batch(lambda: EVERY_TIER)
            groups = self._groups(batch)
            model_jobs = [j for jobs in groups for j in jobs if "entities" in j.include]
            try:
                read: list[list[Mention]] = []
                if model_jobs:
                    background = all(j.priority == "background" for j in model_jobs)
                    self._process_held[process] = (background, self._left(model_jobs))
                    try:
                        read = await process.mentions([j.text for j in model_jobs])
                    finally:
                        del self._process_held[process]
                found = iter(read)
            except BrokenProcessPool:
                log.error("the NER process died; its batch is read by the engine thread")
                again = [j for jobs in groups for j in jobs]
                for job in again:
                    self._reading[job.priority] -= 1
                self._queue.put_back(again)
                self._queue.wake()
                continue
            except Exception as exc:
                for jobs in groups:
                    self._deliver(jobs, exc)
                continue
            if len(read) < len(model_jobs):  # it gave way: the rest back to the front
                groups = self._put_back_unread(groups, model_jobs[len(read) :])
            # The glossaries are matched on the engine thread while the process reads its
            # next batch. A background batch's matching is handed over once the earlier ones
            # are done, so an ingest read here does not pile work up on the thread; a visible
            # batch's at once.
            matching = [t for t in matching if not t.done()]
            if matching and all(j.priority == "background" for j in batch):
                await asyncio.wait(matching)
            for jobs in groups:
                mentions = [next(found) for _ in jobs] if "entities" in jobs[0].include else None
                task = asyncio.create_task(self._read_on_thread(jobs, mentions))
                self._matching.add(task)
                task.add_done_callback(self._matching.discard)
                matching.append(task)

    async def _read_on_thread(
        self, jobs: Sequence[_Job], mentions: Sequence[Sequence[Mention]] | None = None
    ) -> None:
        """One group's readings (or whole answers) on the engine thread, handed to its
        requests; with `mentions` (a process read them) only the glossaries are matched: for
        visible text between the chunks of whatever the thread is reading (it takes a few
        milliseconds: a reader does not wait for the thread's batch in hand to end), for
        background text after it."""
        run: Callable[..., Sequence[object]] = (
            self.engine.annotate_many if jobs[0].whole else self.engine.read_many
        )
        call = partial(run, [j.text for j in jobs], jobs[0].glossaries, jobs[0].include)
        try:
            if mentions is not None and any(j.priority == "visible" for j in jobs):
                urgent = _Urgent(partial(call, mentions), self._left(jobs))
                with self._urgent_lock:
                    self._urgent.append(urgent)
                self._executor.submit(self._run_urgent)  # if the thread has nothing in hand
                results = await asyncio.wrap_future(urgent.future)
            else:
                between = None
                if self.processes and mentions is None:
                    left = self._left(jobs)
                    between = partial(self._between, left)
                    self._overtaken.clear()
                    self._thread_left = left
                try:
                    results = await asyncio.get_running_loop().run_in_executor(
                        self._executor, partial(call, mentions, between)
                    )
                finally:
                    if between is not None:
                        self._thread_left = None
        except Exception as exc:
            self._deliver(jobs, exc)
            return
        read = len(results)
        self._deliver(jobs[:read], results)
        if read < len(jobs):  # overtaken: the rest goes back to the front of its line
            rest = jobs[read:]
            for job in rest:
                self._reading[job.priority] -= 1
            assert self._queue is not None
            self._queue.put_back(rest)

    def _put_back_unread(
        self, groups: list[list[_Job]], unread: Sequence[_Job]
    ) -> list[list[_Job]]:
        """Put a process's `unread` jobs back at the front of their lines; the groups left."""
        assert self._queue is not None
        for job in unread:
            self._reading[job.priority] -= 1
        self._queue.put_back(unread)
        gone = {id(j) for j in unread}
        kept = [[j for j in jobs if id(j) not in gone] for jobs in groups]
        return [jobs for jobs in kept if jobs]

    def _between(self, left: int) -> bool:
        """On the engine thread, between the chunks of a batch whose requests have `left`
        characters left: the matching that comes first on screen, then whether a request
        ranked before the batch waits (the thread stops at the end of its text)."""
        self._run_urgent(left)
        return self._overtaken.is_set()

    def _left(self, jobs: Sequence[_Job]) -> int:
        """What the requests of `jobs` have left to read, the least of them: the queue's rank
        of a batch on screen (see `FairQueue._rank`)."""
        assert self._queue is not None
        return min(self._queue.left(j.request) for j in jobs)

    def _run_urgent(self, ahead_of: int | None = None) -> None:
        """On the engine thread: what waits to be matched there (see `_read_on_thread`); between
        the chunks of a batch whose requests have `ahead_of` characters left, only what comes
        before it on screen (its requests have no more left), so a reader's batch is not held
        up by the matching of a page answered later."""
        while True:
            with self._urgent_lock:
                urgent = next(
                    (u for u in self._urgent if ahead_of is None or u.left <= ahead_of), None
                )
                if urgent is None:
                    return
                self._urgent.remove(urgent)
            urgent.run()


class _Urgent:
    """A call for the engine thread, run between the chunks of the batch in hand or on its
    own, whichever comes first."""

    def __init__(self, call: Callable[[], Sequence[object]], left: int) -> None:
        self._call = call
        self.left = left  # what its requests have left to read (NlpRuntime._left)
        self.future: Future[Sequence[object]] = Future()

    def run(self) -> None:
        """Run the call (once: `_run_urgent` takes it out of the line first), unless the
        awaiting request was cancelled."""
        if not self.future.set_running_or_notify_cancel():
            return
        try:
            self.future.set_result(self._call())
        except BaseException as exc:  # handed to the awaiting request
            self.future.set_exception(exc)


async def load_runtime(
    *,
    cache_entries: int = 2048,
    dense_model: bool = True,
    dense_weight: float | None = None,
    glossary_memory_mb: int = 2048,
    inline_compile_terms: int = INLINE_COMPILE_TERMS,
    ner_processes: int = 0,
) -> NlpRuntime:
    """The spaCy engine and, with `dense_model` and the model's wheel installed, the sentence
    encoder, loaded side by side off the event loop; the runtime is started."""
    engine_loading = asyncio.to_thread(Engine.load)
    encoder = None
    if dense_model:
        folder = dense.model_dir()
        if folder is None:
            log.warning(
                "related articles are ranked without sentence vectors: the model package "
                "%s is not installed (requirements/model.txt)",
                dense.MODEL_PACKAGE,
            )
        else:
            engine, encoder = await asyncio.gather(
                engine_loading, asyncio.to_thread(dense.Encoder.load, folder)
            )
            # The encoder's matrix products run beside spaCy's thread. With OpenBLAS's
            # default of a thread per core, its spinning threads and spaCy fought over the
            # cores: a new page's annotate took 176-240 ms against 143-168 ms with one BLAS
            # thread (1k words, `python -m tests.benchmarks annotate --quick`), while the
            # encoder alone goes from 30 to 46 ms. Only numpy's BLAS is limited; spaCy's
            # layers use their own.
            threadpool_limits(limits=1, user_api="blas")
    if encoder is None:
        engine = await engine_loading
    weights = DEFAULT_WEIGHTS if dense_weight is None else with_dense_share(dense_weight)
    runtime = NlpRuntime(
        engine,
        cache_entries=cache_entries,
        encoder=encoder,
        related_weights=weights,
        glossary_memory_mb=glossary_memory_mb,
        inline_compile_terms=inline_compile_terms,
        ner_processes=ner_processes,
    )
    freeze_start_up_heap()
    await runtime.start()
    return runtime


def get_nlp(request: Request) -> NlpRuntime | None:
    """The process's runtime, or None when this server runs without the engine
    (GLOSS_LOAD_NLP=false): routes that need it answer 503, ingest stores without mentions."""
    runtime: NlpRuntime | None = request.app.state.nlp
    return runtime


NlpDep = Annotated[NlpRuntime | None, Depends(get_nlp)]
