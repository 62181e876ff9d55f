"""Who waits for what in the NLP queue: the annotate benchmark's two readers (another team's
300-word page sent just after a 20,000-word page) with every job queued, every batch taken (by
which lane) and every engine call's start and end traced (a diagnostic, not part of
`make bench`).

    python -m tests.benchmarks.queue_trace [--rounds 25] [--show 3]

Prints the short page's median time alone and beside the long page (as `bench_annotate` does),
each split in three (queued, its blocks read, answered after its last block), then the
timelines of the `--show` slowest rounds, in milliseconds from the short page's request: `put`
(a block queued: team, characters, tier), `take` (a batch: lane, its blocks), `call+`/`call-`
(an engine-thread call for a batch's blocks, its lane: the engine thread's own batches, or a
process lane's matching task), `gc+`/`gc-` (a full garbage collection in the server's process,
which holds every thread of it).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import statistics
import time
import uuid
from collections.abc import Hashable, Sequence
from typing import Any

import httpx

from gloss import runtime
from tests.benchmarks.bench_annotate import _unique, two_readers
from tests.benchmarks.bench_nlp import SEED, make_article

Event = tuple[float, str, str, list[tuple[Hashable, int, str]]]


class Trace:
    """The runtime's queue and lanes, wrapped to record what happens when."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def record(self, kind: str, lane: str, jobs: Sequence[runtime._Job]) -> None:
        self.events.append(
            (time.perf_counter(), kind, lane, [(j.owner, len(j.text), j.priority) for j in jobs])
        )

    def install(self) -> None:
        trace = self
        next_batch, read_on_thread = (
            runtime.NlpRuntime._next_batch,
            runtime.NlpRuntime._read_on_thread,
        )
        put = runtime.FairQueue.put

        def lane() -> str:
            task = asyncio.current_task()
            return task.get_name() if task is not None else "?"

        async def traced_next_batch(
            self: runtime.NlpRuntime, tiers: Any, hold: bool = False
        ) -> list[runtime._Job]:
            batch = await next_batch(self, tiers, hold)
            trace.record("take", lane(), batch)
            return batch

        async def traced_read_on_thread(
            self: runtime.NlpRuntime, jobs: Sequence[runtime._Job], mentions: Any = None
        ) -> None:
            trace.record("call+", lane(), jobs)
            await read_on_thread(self, jobs, mentions)
            trace.record("call-", lane(), jobs)

        def traced_put(self: runtime.FairQueue, job: runtime._Job) -> None:
            trace.record("put", "", [job])
            put(self, job)

        def collected(phase: str, info: dict[str, int]) -> None:
            if info["generation"] == 2:
                trace.events.append(
                    (time.perf_counter(), "gc+" if phase == "start" else "gc-", "", [])
                )

        gc.callbacks.append(collected)
        runtime.NlpRuntime._next_batch = traced_next_batch  # type: ignore[method-assign]
        runtime.NlpRuntime._read_on_thread = traced_read_on_thread  # type: ignore[method-assign]
        runtime.FairQueue.put = traced_put  # type: ignore[method-assign]

    def show(self, start: float, end: float, names: dict[Hashable, str]) -> None:
        """The events up to `end`, from `start`; a run of blocks queued together for one
        team and tier on one line, at the first block's time."""
        run: tuple[float, Hashable, str, int] | None = None  # (ms, owner, tier, blocks)

        def flush() -> None:
            if run is not None:
                ms, owner, tier, count = run
                print(f"{ms:7.1f} put   {names.get(owner, '?')}: {count} {tier} blocks")

        for at, kind, lane, jobs in self.events:
            if at > end:
                break
            ms = (at - start) * 1000
            if kind == "put":
                owner, _chars, tier = jobs[0]
                if run is not None and run[1:3] == (owner, tier):
                    run = (run[0], owner, tier, run[3] + 1)
                    continue
                flush()
                run = (ms, owner, tier, 1)
                continue
            flush()
            run = None
            blocks = ", ".join(
                f"{names.get(o, '?')} {c}{'' if t == 'visible' else ' bg'}" for o, c, t in jobs
            )
            print(f"{ms:7.1f} {kind:5} {lane[-12:]:>12}: {blocks}")
        flush()


async def _rounds(rounds: int, show: int) -> None:
    trace = Trace()
    trace.install()
    rng = random.Random(SEED + 1)
    async with two_readers(rng) as (_app, _timed, ann, bob_client, _redis):
        names: dict[Hashable, str] = {}
        for who, name in ((ann, "ann"), (bob_client, "bob")):
            names[uuid.UUID((await who.get("/v1/me")).json()["teams"][0]["id"])] = name
        spans = {"include": ["entities", "terms"]}

        async def post(client: httpx.AsyncClient, text: str) -> tuple[float, float]:
            started = time.perf_counter()
            (await client.post("/v1/annotate", json={**spans, "text": text})).raise_for_status()
            return started, time.perf_counter()

        bob = next(k for k, v in names.items() if v == "bob")
        alone: list[float] = []
        together: list[tuple[float, float, float, list[Event]]] = []
        phases: dict[str, list[tuple[float, float, float]]] = {"alone": [], "beside": []}
        for r in range(rounds):
            trace.events.clear()
            start, end = await post(bob_client, _unique(make_article(300, rng), f"alone{r}"))
            alone.append(end - start)
            phases["alone"] += _phases(trace.events, bob, start, end)
            trace.events.clear()
            long_task = asyncio.create_task(
                post(ann, _unique(make_article(20_000, rng), f"long{r}"))
            )
            await asyncio.sleep(0)  # the long page's request goes first
            start, end = await post(bob_client, _unique(make_article(300, rng), f"with{r}"))
            await long_task
            phases["beside"] += _phases(trace.events, bob, start, end)
            together.append((end - start, start, end, list(trace.events)))
    base = statistics.median(alone)
    times = [t for t, *_ in together]
    print(
        f"300 words alone {base * 1000:.1f} ms; beside a 20,000-word page "
        f"{statistics.median(times) * 1000:.1f} ms: {statistics.median(times) / base:.2f}x "
        f"(worst {max(times) / base:.2f}x), {rounds} rounds"
    )
    for name, split in phases.items():
        queued, read, after = (statistics.median(p) * 1000 for p in zip(*split, strict=True))
        print(
            f"{name}: queued after {queued:.1f} ms, its blocks read in {read:.1f} ms, "
            f"answered {after:.1f} ms after its last block (medians)"
        )
    collected = [
        took
        for took, start, end, events in together
        if any(kind == "gc+" and start <= at <= end for at, kind, _lane, _jobs in events)
    ]
    print(
        f"a full garbage collection ran during the short page in {len(collected)} of "
        f"{rounds} rounds"
        + (f" (median {statistics.median(collected) / base:.2f}x)" if collected else "")
    )
    for took, start, end, events in sorted(together, key=lambda t: t[0], reverse=True)[:show]:
        print(f"\n--- the short page beside the long one: {took * 1000:.0f} ms")
        trace.events = events
        trace.show(start, end, names)


def _phases(
    events: Sequence[Event], owner: Hashable, start: float, end: float
) -> list[tuple[float, float, float]]:
    """The short page's request in three: from its start to its first block queued, from
    there to its last block read (the end of the last engine-thread call with one of its
    blocks), and from there to its answer."""
    puts = [at for at, kind, _l, jobs in events if kind == "put" and jobs[0][0] == owner]
    reads = [
        at
        for at, kind, _l, jobs in events
        if kind == "call-" and any(o == owner for o, _c, _t in jobs)
    ]
    if not puts or not reads:
        return []
    return [(puts[0] - start, max(reads) - puts[0], end - max(reads))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=25)
    parser.add_argument("--show", type=int, default=3, help="timelines of the slowest rounds")
    args = parser.parse_args()
    asyncio.run(_rounds(args.rounds, args.show))


if __name__ == "__main__":
    main()
