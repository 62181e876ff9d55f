"""The runtime's queue to the engine: visible text first, teams take turns, batches stay short."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from collections.abc import AsyncIterator, Callable, Hashable
from typing import Any

import pytest

from gloss import runtime as runtime_module
from gloss.nlp.engine import Engine
from gloss.runtime import (
    LONG_TEXT_CHARS,
    NEWCOMER_CHARS,
    FairQueue,
    NlpRuntime,
    _Job,
    load_runtime,
)


def _job(owner: Hashable, text: str = "A short page.") -> _Job:
    future: asyncio.Future[object] = asyncio.get_running_loop().create_future()
    return _Job(text, (), frozenset({"entities"}), future, owner)  # type: ignore[arg-type]  # a bare future stands for the engine result


def _background(job: _Job) -> _Job:
    job.priority = "background"
    return job


async def test_teams_take_turns_in_the_background() -> None:
    """One team's hundred queued texts (a bulk ingest) do not stand before another's."""
    queue = FairQueue()
    bulk = [_background(_job("team-a", f"article {i}")) for i in range(100)]
    for job in bulk:
        queue.put(job)
    other = _background(_job("team-b", "another team's article"))
    queue.put(other)
    first = await queue.get()
    batch = queue.batch(first, limit=4)
    assert [j.owner for j in batch] == ["team-a", "team-b", "team-a", "team-a"]
    # Within a team, first in, first out.
    assert [j.text for j in batch if j.owner == "team-a"] == ["article 0", "article 1", "article 2"]


async def test_a_team_s_hundred_texts_on_screen_do_not_stand_before_another_s_page() -> None:
    """On screen, the team with the least left to read goes first: a team's hundred small
    requests weigh what they hold together."""
    queue = FairQueue()
    for i in range(100):
        queue.put(_job("team-a", f"article {i}"))
    reader = _job("team-b", "the page a reader opened")
    queue.put(reader)
    batch = queue.batch(await queue.get(), limit=4)
    assert [j.owner for j in batch] == ["team-b", "team-a", "team-a", "team-a"]
    assert [j.text for j in batch[1:]] == ["article 0", "article 1", "article 2"]


def _request(owner: Hashable, blocks: list[str], tail: list[str]) -> list[_Job]:
    """A page's blocks as annotate queues them: its first screen visible, its tail in the
    background, all of one request."""
    request = object()
    jobs = [_job(owner, b) for b in blocks] + [_background(_job(owner, b)) for b in tail]
    for job in jobs:
        job.request = request
    return jobs


async def test_on_screen_the_request_answered_soonest_goes_first() -> None:
    """A 20,000-word page sent whole is answered once its tail is read: its first screen
    waits behind another reader's short page, which is answered as soon as it is read."""
    queue = FairQueue()
    long_page = _request("team-a", ["a" * 300] * 10, ["t" * 300] * 300)
    for job in long_page:
        queue.put(job)
    first = queue.take()  # a lane took the long page's first block
    assert first is long_page[0]
    short_page = _request("team-b", ["b" * 300] * 6, [])
    for job in short_page:
        queue.put(job)
    assert [queue.take() for _ in range(6)] == short_page
    assert queue.take() is long_page[1]
    # The first screens of two requests sent in pieces (nothing in the background): the one
    # with less left goes first, whoever came first.
    queue = FairQueue()
    bigger = _request("team-a", ["a" * 400] * 8, [])
    smaller = _request("team-b", ["b" * 400] * 3, [])
    for job in [*bigger, *smaller]:
        queue.put(job)
    assert [queue.take().owner for _ in range(4)] == ["team-b"] * 3 + ["team-a"]


async def test_a_batch_holds_only_what_is_read_in_one_call() -> None:
    """Texts asking the engine something else (another team's glossaries) are left for the
    next batch, which another lane can take: in this one they would wait for its call."""
    queue = FairQueue()
    glossary_a, glossary_b = object(), object()
    a = [_job("team-a", f"a {i}") for i in range(3)]
    b = [_job("team-b", f"b {i}") for i in range(3)]
    for job in a:
        job.glossaries = (glossary_a,)  # type: ignore[assignment]  # stands for a compiled one
    for job in b:
        job.glossaries = (glossary_b,)  # type: ignore[assignment]
    for pair in zip(a, b, strict=True):
        for job in pair:
            queue.put(job)
    assert queue.batch(queue.take(), limit=8) == a
    assert queue.batch(queue.take(), limit=8) == b
    # Teams asking the same (no glossaries, the same options) share a call.
    queue = FairQueue()
    same = [_job("team-c", "c"), _job("team-d", "d")]
    for job in same:
        queue.put(job)
    assert queue.batch(queue.take(), limit=8) == same


async def test_the_characters_waiting_are_counted_by_tier() -> None:
    queue = FairQueue()
    queue.put(_job("team-a", "x" * 100))
    queue.put(_background(_job("team-a", "y" * 50)))
    assert queue.chars(("visible",)) == 100
    assert queue.chars(("visible", "background")) == 150
    taken = queue.take()
    assert queue.chars(("visible",)) == 0
    queue.put_back([taken])
    assert queue.chars(("visible",)) == 100


async def test_what_a_request_has_waiting_is_counted_by_tier() -> None:
    """A lane's share of a page on screen is of that page's blocks waiting there (not of the
    long page's tail, nor of another reader's page behind it)."""
    queue = FairQueue()
    page = _request("team-a", ["a" * 100, "b" * 60], ["t" * 1_000])
    other = _request("team-b", ["c" * 30], [])
    for job in [*page, *other]:
        queue.put(job)
    assert queue.waiting(page[0]) == 160
    assert queue.waiting(page[2]) == 1_000
    assert queue.waiting(other[0]) == 30
    first = queue.take()
    assert first is other[0]  # the request answered soonest
    assert queue.waiting(other[0]) == 0
    taken = queue.take()
    assert queue.waiting(page[0]) == 160 - len(taken.text)
    queue.put_back([taken])
    assert queue.waiting(page[0]) == 160


async def test_the_team_served_least_goes_first() -> None:
    """A reader who opens a page while another team's first screen is being read is served
    before the rest of that screen: within a tier, the team that has had the least read goes
    first (ADR 0020)."""
    queue = FairQueue()
    long_screen = [_job("team-a", f"block {i} " + "x" * 300) for i in range(6)]
    for job in long_screen:
        queue.put(job)
    taken = [queue.take(), queue.take()]  # the two lanes each took one of its blocks
    assert taken == long_screen[:2]
    short_page = [_job("team-b", f"short {i} " + "y" * 300) for i in range(2)]
    for job in short_page:
        queue.put(job)
    assert [queue.take(), queue.take()] == short_page
    # Once the teams have had as much, they take turns again.
    assert queue.served("visible", "team-b") == queue.served("visible", "team-a")
    assert queue.take() is long_screen[2]


async def test_what_a_team_was_served_is_forgotten_when_it_has_nothing_left() -> None:
    queue = FairQueue()
    first = [_job("team-a", "x" * 500) for _ in range(2)]
    for job in first:
        queue.put(job)
    read = [queue.take(), queue.take()]
    assert queue.served("visible", "team-a") == 1000
    queue.done(read[0])
    assert queue.served("visible", "team-a") == 1000  # one still being read
    queue.done(read[1])
    assert queue.served("visible", "team-a") == 0
    # A job taken but put back (its batch was full) is not counted as served.
    again = _job("team-a", "z" * 200)
    queue.put(again)
    queue.put_back([queue.take()])
    assert queue.served("visible", "team-a") == 0


async def test_a_newcomer_goes_first_for_a_first_screen_then_takes_turns() -> None:
    """A team that has long been ingesting is not held up until a newcomer has had as much:
    the newcomer is ahead by at most NEWCOMER_CHARS."""
    queue = FairQueue()
    for _ in range(400):
        queue.put(_background(_job("ingest", "i" * 1000)))
    for _ in range(100):  # 100,000 characters read for the ingest so far
        queue.take()
    for _ in range(40):
        queue.put(_background(_job("newcomer", "n" * 1000)))
    owners = [queue.take().owner for _ in range(12)]
    ahead = NEWCOMER_CHARS // 1000
    assert owners[:ahead] == ["newcomer"] * ahead
    assert owners[ahead:] == ["ingest", "newcomer"] * ((12 - ahead) // 2)


async def test_a_long_text_runs_alone_and_loses_no_place() -> None:
    queue = FairQueue()
    long_page = _background(_job("team-a", "x" * (LONG_TEXT_CHARS + 1)))
    short = [_background(_job("team-b", "one")), _background(_job("team-c", "two"))]
    queue.put(short[0])
    queue.put(long_page)
    queue.put(short[1])
    first = await queue.get()
    # The short pages go together; the long one waits for the next batch, first in line.
    assert queue.batch(first, limit=8) == [short[0]]
    long_batch = queue.batch(await queue.get(), limit=8)
    assert long_batch == [long_page]
    assert queue.batch(await queue.get(), limit=8) == [short[1]]
    assert queue.empty()


async def test_get_waits_for_work() -> None:
    queue = FairQueue()
    waiting = asyncio.create_task(queue.get())
    await asyncio.sleep(0)
    assert not waiting.done()
    job = _job("team-a")
    queue.put(job)
    assert await asyncio.wait_for(waiting, timeout=5) is job


async def test_visible_text_goes_before_background_text() -> None:
    """The tail of a long page and bulk ingest wait behind what any reader has on screen."""
    queue = FairQueue()
    tail = [_job("team-a", f"tail {i}") for i in range(5)]
    for job in tail:
        job.priority = "background"
        queue.put(job)
    screen = _job("team-b", "a first screen")
    queue.put(screen)
    assert await queue.get() is screen
    assert [j.text for j in queue.batch(await queue.get(), limit=3)] == [
        "tail 0",
        "tail 1",
        "tail 2",
    ]


async def test_a_batch_holds_at_most_its_characters() -> None:
    queue = FairQueue()
    blocks = [_job("team-a", "x" * 1500) for _ in range(4)]
    for job in blocks:
        queue.put(job)
    first = await queue.get()
    assert queue.batch(first, limit=32, max_chars=4000) == blocks[:2]
    assert queue.batch(await queue.get(), limit=32, max_chars=4000) == blocks[2:]
    assert queue.empty()


async def test_a_taker_of_visible_text_leaves_the_background_to_others() -> None:
    queue = FairQueue()
    tail = _job("team-a", "tail")
    tail.priority = "background"
    queue.put(tail)
    visible_taker = asyncio.create_task(queue.get(("visible",)))
    await asyncio.sleep(0.01)
    assert not visible_taker.done()
    assert await queue.get() is tail
    screen = _job("team-b", "a first screen")
    queue.put(screen)
    assert await asyncio.wait_for(visible_taker, timeout=5) is screen


# --- engines in processes of their own (ADR 0019) ---------------------------------------------

ENTITIES = frozenset({"entities"})
TEXTS = [f"Angela Merkel met Emmanuel Macron in Paris on day {i}." for i in range(6)]


async def _until(condition: Callable[[], bool], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


@pytest.fixture(scope="module")
async def with_process() -> AsyncIterator[NlpRuntime]:
    runtime = await load_runtime(dense_model=False, ner_processes=1)
    await _until(lambda: runtime.processes[0].ready)
    yield runtime
    await runtime.stop()


async def _read_in_background(runtime: NlpRuntime) -> list[object]:
    return list(
        await asyncio.gather(
            *runtime.read_all(TEXTS, (), ENTITIES, owner="team", priority="background")
        )
    )


async def test_background_text_is_read_in_the_process(with_process: NlpRuntime) -> None:
    """While the process runs, the engine thread reads only visible text: every background
    text is read there, and reads as the thread would have read it."""
    process = with_process.processes[0]
    before = process.texts_read
    readings = await _read_in_background(with_process)
    assert process.texts_read - before == len(TEXTS)
    assert readings == with_process.engine.read_many(TEXTS, (), ENTITIES)
    assert with_process.queued("background") == with_process.queued("visible") == 0
    assert all(r.mentions for r in readings)  # type: ignore[attr-defined]  # Readings


async def test_a_killed_process_loses_no_text_and_comes_back(with_process: NlpRuntime) -> None:
    process = with_process.processes[0]
    killed = process.pid
    assert killed is not None
    os.kill(killed, signal.SIGKILL)
    readings = await asyncio.wait_for(_read_in_background(with_process), timeout=90)
    assert readings == with_process.engine.read_many(TEXTS, (), ENTITIES)
    await _until(lambda: process.ready and process.pid != killed)
    assert process.failures >= 1
    assert process.starts >= 2
    before = process.texts_read
    await _read_in_background(with_process)
    assert process.texts_read - before == len(TEXTS)


async def test_a_process_that_cannot_start_leaves_everything_to_the_thread(
    with_process: NlpRuntime,
) -> None:
    # The same engine object: the module's runtime is idle while this one reads.
    runtime = NlpRuntime(with_process.engine, ner_processes=1, ner_model="/no/such/model")
    await runtime.start()
    try:
        process = runtime.processes[0]
        readings = await asyncio.wait_for(_read_in_background(runtime), timeout=60)
        assert readings == with_process.engine.read_many(TEXTS, (), ENTITIES)
        await _until(lambda: process.failures >= 1)
        assert not process.ready
        assert process.texts_read == 0
    finally:
        await runtime.stop()


class _Holding:
    """The engine, holding every batch the model reads on the engine thread until released
    (calling `between` meanwhile, as the real one does after each chunk)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self.holding = threading.Event()
        self.held: list[str] = []
        self.release = threading.Event()
        # The model's calls on the engine thread: their texts, and how many were read.
        self.calls: list[tuple[list[str], int]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._engine, name)

    def read_many(
        self, texts: Any, glossaries: Any, include: Any, mentions: Any = None, between: Any = None
    ) -> Any:
        if mentions is None:
            self.held = list(texts)
            self.holding.set()
            while not self.release.wait(0.005):
                if between is not None:
                    between()
        read = self._engine.read_many(texts, glossaries, include, mentions, between)
        if mentions is None:
            self.calls.append((list(texts), len(read)))
        return read


class _HeldMentions:
    """A process's `mentions`, each call held until `release` is set; the calls' texts and how
    many of them were read."""

    def __init__(self, process: Any) -> None:
        self._mentions = process.mentions
        self.holding, self.release = asyncio.Event(), asyncio.Event()
        self.calls: list[tuple[list[str], int]] = []

    async def __call__(self, texts: Any) -> Any:
        self.holding.set()
        await self.release.wait()
        found = await self._mentions(texts)
        self.calls.append((list(texts), len(found)))
        return found


async def test_a_process_s_reading_is_matched_while_the_thread_reads_another_batch(
    with_process: NlpRuntime,
) -> None:
    """The glossaries of the visible text a process read are matched on the engine thread
    between the chunks of its batch in hand when its request has no more left to read than
    the batch's: a reader whose short page the process read does not wait for another
    reader's batch on the thread to end. A longer page's matching, and an ingest's, wait for
    the batch."""
    holding = _Holding(with_process.engine)
    runtime = NlpRuntime(holding, ner_processes=1)  # type: ignore[arg-type]  # a wrapped engine
    await runtime.start()
    process = runtime.processes[0]
    reference = with_process.engine.read_many(TEXTS, (), ENTITIES)
    try:
        await _until(lambda: process.ready)
        # Two readers' pages of two texts: each lane takes one, and the thread holds its
        # batch; the process's page is matched meanwhile.
        pages = [
            runtime.read_all(TEXTS[i : i + 2], (), ENTITIES, owner=o)
            for i, o in ((0, "a"), (2, "b"))
        ]
        await _until(holding.holding.is_set)
        page_futures = [f for p in pages for f in p]
        elsewhere = 4 - len(holding.held)
        await _until(lambda: sum(f.done() for f in page_futures) == elsewhere)
        # A shorter page: matched while the batch is held.
        short = runtime.read_all(TEXTS[4:5], (), ENTITIES, owner="d")
        assert await asyncio.wait_for(short[0], 60) == reference[4]
        # A longer page and an ingest's text: read by the process, matched after the batch.
        longer = runtime.read_all(TEXTS[:3], (), ENTITIES, owner="e")
        ingest = runtime.read_all(TEXTS[5:], (), ENTITIES, owner="c", priority="background")
        await _until(lambda: process.texts_read == elsewhere + 1 + 3 + 1)
        await asyncio.sleep(0.1)
        assert not any(f.done() for f in [*longer, *ingest])
        assert sum(f.done() for f in page_futures) == elsewhere  # the batch is still held
    finally:
        holding.release.set()
    try:
        read = await asyncio.wait_for(
            asyncio.gather(*(f for p in pages for f in p), *longer, *ingest), timeout=60
        )
        assert read == [*reference[:4], *reference[:3], reference[5]]
    finally:
        await runtime.stop()


async def test_a_request_ranked_before_the_thread_s_batch_has_it_stop_at_the_end_of_a_text(
    with_process: NlpRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reader's first screen that arrives while the engine thread reads a batch of a page
    with more left to read (a long page's first screen) does not wait for the whole batch:
    the thread stops at the end of the text in hand, puts the rest back at the front of its
    line, reads the newcomer's text next, then the rest. Nothing is lost or read twice."""
    holding = _Holding(with_process.engine)
    runtime = NlpRuntime(holding, ner_processes=1)  # type: ignore[arg-type]  # a wrapped engine
    await runtime.start()
    process = runtime.processes[0]
    reference = with_process.engine.read_many(TEXTS, (), ENTITIES)
    in_process = _HeldMentions(process)
    try:
        await _until(lambda: process.ready)
        monkeypatch.setattr(process, "mentions", in_process)
        # The process holds an ingest's text; a long page's four texts on screen and its tail
        # come in, and the thread takes two (its share) and holds them.
        ingest = runtime.read_all(TEXTS[:1], (), ENTITIES, owner="c", priority="background")
        await asyncio.wait_for(in_process.holding.wait(), 60)
        page = object()
        first_screen = runtime.read_all(TEXTS[:4], (), ENTITIES, owner="a", request=page)
        tail = runtime.read_all(
            TEXTS[4:5], (), ENTITIES, owner="a", priority="background", request=page
        )
        await _until(holding.holding.is_set)
        held = holding.held
        assert len(held) == 2
        # Another reader's page, with less left to read: nobody can take it yet.
        short = runtime.read_all(TEXTS[5:6], (), ENTITIES, owner="b")
        holding.release.set()
        assert await asyncio.wait_for(short[0], 60) == reference[5]
        assert holding.calls[0] == (held, 1)  # stopped after the first text
        assert holding.calls[1][0][0] == TEXTS[5]  # the newcomer's text next
        in_process.release.set()
        read = await asyncio.wait_for(asyncio.gather(*first_screen, *tail, *ingest), 60)
        assert read == [*reference[:5], reference[0]]
        thread_read = [t for texts, count in holding.calls for t in texts[:count]]
        assert thread_read.count(held[1]) == 1  # the text put back, read once, after
        assert thread_read.index(held[1]) > thread_read.index(TEXTS[5])
        assert runtime.queued("visible") == runtime.queued("background") == 0
    finally:
        holding.release.set()
        in_process.release.set()
        await runtime.stop()


async def test_a_process_gives_way_to_a_reader_at_the_end_of_a_text(
    with_process: NlpRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Visible text that comes in while the process reads the background (or a page with
    more left to read) has the process stop at the end of the text in hand: it answers for
    the texts read, the rest go back to the front of their line and are read once, later.
    A page with more left to read than the batch's does not stop it."""
    runtime = NlpRuntime(with_process.engine, ner_processes=1)
    await runtime.start()
    process = runtime.processes[0]
    reference = with_process.engine.read_many(TEXTS, (), ENTITIES)
    held = _HeldMentions(process)
    holding, release, calls = held.holding, held.release, held.calls
    try:
        await _until(lambda: process.ready)
        monkeypatch.setattr(process, "mentions", held)
        before = process.texts_read
        ingest = runtime.read_all(TEXTS[:3], (), ENTITIES, owner="c", priority="background")
        await asyncio.wait_for(holding.wait(), 60)
        short = runtime.read_all(TEXTS[5:6], (), ENTITIES, owner="b")
        assert process._stop is not None
        assert process._stop.is_set()  # asked to give way before the batch reached it
        release.set()
        assert await asyncio.wait_for(short[0], 60) == reference[5]
        assert await asyncio.wait_for(asyncio.gather(*ingest), 60) == reference[:3]
        assert calls[0] == (TEXTS[:3], 1)  # stopped after the first text
        read = [t for texts, count in calls for t in texts[:count]]
        assert sorted(t for t in read if t in TEXTS[:3]) == TEXTS[:3]  # each read once
        assert process.texts_read - before == len(read)
        assert runtime.queued("visible") == runtime.queued("background") == 0

        # A page on screen in the process's hands; a longer page comes in: no stop.
        holding.clear()
        release.clear()
        calls.clear()
        page = runtime.read_all(TEXTS[:2], (), ENTITIES, owner="a", request="short page")
        await asyncio.wait_for(holding.wait(), 60)
        longer = runtime.read_all(TEXTS[:4], (), ENTITIES, owner="d", request="longer page")
        assert not process._stop.is_set()  # more left to read than the batch: no stop
        release.set()
        assert await asyncio.wait_for(asyncio.gather(*page, *longer), 60) == [
            *reference[:2],
            *reference[:4],
        ]
        assert all(count == len(texts) for texts, count in calls)
    finally:
        release.set()
        await runtime.stop()


async def test_a_long_page_s_tail_waits_for_readers_being_answered(
    with_process: NlpRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A long page's tail is prepared once no other request on screen is being answered (at
    most TAIL_WAIT_S): its own request does not count, nor does a background one, and one
    never marked answered is not waited for past TAIL_WAIT_S."""
    runtime = NlpRuntime(with_process.engine)  # never started: nothing is read
    monkeypatch.setattr(runtime_module, "TAIL_WAIT_S", 0.3)
    long_page, reader = object(), object()
    runtime.answering(long_page, "visible")
    runtime.answering("ingest", "background")
    await asyncio.wait_for(runtime.screens_read(long_page), 0.1)  # nobody else on screen

    runtime.answering(reader, "visible")
    waiting = asyncio.create_task(runtime.screens_read(long_page))
    await asyncio.sleep(0.05)
    assert not waiting.done()
    runtime.answered(reader)
    await asyncio.wait_for(waiting, 0.1)

    runtime.answering(reader, "visible")  # never answered
    started = time.monotonic()
    await asyncio.wait_for(runtime.screens_read(long_page), 1)
    assert 0.25 < time.monotonic() - started < 0.9
    await asyncio.wait_for(runtime.screens_read(long_page), 0.1)  # not waited for again


async def test_the_thread_leaves_a_page_alone_while_a_reader_with_less_left_is_answered(
    with_process: NlpRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While a reader's request is finished (all its text read, its spans not yet finished),
    the engine thread takes no batch of a page with more left to read, at most HOLD_S: the
    event loop finishing the answer shares the interpreter's lock with that thread. A request
    that never queued text (answered from the cache) holds nothing back."""
    runtime = NlpRuntime(with_process.engine, ner_processes=1)
    await runtime.start()
    process = runtime.processes[0]
    reference = with_process.engine.read_many(TEXTS, (), ENTITIES)
    held = _HeldMentions(process)
    holding, release = held.holding, held.release
    queue = runtime._queue
    assert queue is not None
    try:
        await _until(lambda: process.ready)
        # The process holds an ingest's text: whatever else is read, the thread reads.
        monkeypatch.setattr(process, "mentions", held)
        ingest = runtime.read_all(TEXTS[:1], (), ENTITIES, owner="c", priority="background")
        await asyncio.wait_for(holding.wait(), 60)
        monkeypatch.setattr(runtime_module, "HOLD_S", 60)
        # No request here is answered for long enough to be let go as stale: HOLD_S alone
        # bounds the hold.
        monkeypatch.setattr(runtime_module, "TAIL_WAIT_S", 60)

        reader, page = object(), object()
        runtime.answering(reader, "visible")
        (read,) = runtime.read_all(TEXTS[1:2], (), ENTITIES, owner="b", request=reader)
        assert await asyncio.wait_for(read, 60) == reference[1]
        # The reader's text is read; its answer is being finished. Another page comes in.
        runtime.answering(page, "visible")
        other = runtime.read_all(TEXTS[2:4], (), ENTITIES, owner="a", request=page)
        await asyncio.sleep(0.2)
        assert queue.depth("visible") == 2  # left waiting, not taken
        runtime.spans_finished(reader)  # the answer's rendering and sending are not waited for
        assert await asyncio.wait_for(asyncio.gather(*other), 60) == reference[2:4]
        runtime.answered(reader)
        runtime.answered(page)

        # A request answered from the cache (nothing queued) holds nothing back.
        cached = object()
        runtime.answering(cached, "visible")
        third = runtime.read_all(TEXTS[4:5], (), ENTITIES, owner="a")
        assert await asyncio.wait_for(third[0], 30) == reference[4]
        runtime.answered(cached)

        # A reader never marked answered holds the thread back for HOLD_S, no longer.
        monkeypatch.setattr(runtime_module, "HOLD_S", 0.3)
        runtime.answering(reader, "visible")
        (read,) = runtime.read_all(TEXTS[5:6], (), ENTITIES, owner="b", request=reader)
        assert await asyncio.wait_for(read, 60) == reference[5]
        late = runtime.read_all(TEXTS[1:2], (), ENTITIES, owner="a")
        assert await asyncio.wait_for(late[0], 60) == reference[1]
        release.set()
        assert await asyncio.wait_for(ingest[0], 60) == reference[0]
    finally:
        release.set()
        await runtime.stop()
