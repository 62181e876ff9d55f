"""The annotate caches: whole answers by request, and block readings by block, in this process
and, with GLOSS_CACHE_URL, in Redis shared by every replica (Redis lost: this process alone).

Keys hold the glossary versions used, which every request reads from the database, so a
glossary edit changes the keys on every replica at once and no entry is ever invalidated.
Redis is written behind the answer: a reader does not wait for the shared copy (ADR 0021)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from gloss.nlp.engine import Reading
from gloss.nlp.entities import Mention
from gloss.nlp.terms import TermSpec
from gloss.runtime import LRUCache

log = logging.getLogger("gloss.annotate.cache")

# Block readings are small (a few mentions and hits each) and many per page.
BLOCKS_PER_ANSWER = 8
# Seconds a Redis that failed is left alone before a request tries it again.
RETRY_AFTER_S = 1.0
# Bounds every Redis call: a cached answer is worth having only if it comes in milliseconds.
REDIS_TIMEOUT_S = 0.25
# Redis writes under way at most: past it (a Redis slower than the requests) a write is left
# out and counted; the process's own copy is kept all the same.
MAX_PENDING_WRITES = 64


@dataclass(frozen=True, slots=True)
class CachedSpans:
    """An answer's entities and terms as response JSON, with the entities' keys (for related
    articles)."""

    entity_keys: tuple[str, ...]
    spans_json: bytes

    def encode(self) -> bytes:
        return json.dumps(self.entity_keys).encode() + b"\n" + self.spans_json

    @classmethod
    def decode(cls, raw: bytes) -> CachedSpans:
        keys, _, spans = raw.partition(b"\n")
        return cls(tuple(json.loads(keys)), spans)


def answer_key(digest: str, versions: Sequence[Any], model: str, include: Any, unit: str) -> str:
    shape = f"{digest}|{list(versions)}|{model}|{sorted(include)}|{unit}"
    return "gloss:answer:" + hashlib.sha256(shape.encode()).hexdigest()


def block_keys(
    text: str, blocks: Sequence[tuple[int, int]], versions: Sequence[Any], model: str, include: Any
) -> list[str]:
    """The cache keys of `text`'s blocks (start, end): each block's own hash, with the
    glossary versions, model and options that its reading depends on."""
    rest = f"|{list(versions)}|{model}|{sorted(include)}".encode()
    sha256 = hashlib.sha256
    return [
        "gloss:block:" + sha256(sha256(text[s:e].encode()).hexdigest().encode() + rest).hexdigest()
        for s, e in blocks
    ]


def encode_reading(reading: Reading) -> bytes:
    """A block's reading as JSON (never pickle: the store is shared)."""
    return json.dumps(
        {
            "m": [
                [m.start, m.end, m.label, m.sentence_initial, m.prev_word] for m in reading.mentions
            ],
            "h": [
                [s, e, t.term_id, t.glossary_id, t.term, t.entity_label] for s, e, t in reading.hits
            ],
        },
        separators=(",", ":"),
    ).encode()


def decode_reading(raw: bytes) -> Reading:
    data = json.loads(raw)
    return Reading(
        mentions=[Mention(s, e, label, "model", si, prev) for s, e, label, si, prev in data["m"]],
        hits=[
            (s, e, TermSpec(term_id, glossary_id, term, entity_label=label))
            for s, e, term_id, glossary_id, term, label in data["h"]
        ],
    )


class AnnotateCache:
    """Answers and block readings in process (LRU); with a Redis URL, in Redis too, read
    after the process's own and written behind the answer (`flushed` waits for the writes
    under way). Every Redis failure is counted, logged once, and answered as a miss; Redis
    is tried again after RETRY_AFTER_S."""

    def __init__(self, entries: int, url: str | None = None, ttl_s: int = 86_400) -> None:
        self.answers = LRUCache(entries)
        self.blocks = LRUCache(entries * BLOCKS_PER_ANSWER)
        self.url = url
        self.ttl_s = ttl_s
        self.redis_errors = 0
        self.redis_hits = 0
        self.redis_misses = 0
        self.redis_writes_skipped = 0
        self._writes: set[asyncio.Task[None]] = set()
        self._down_since: float | None = None
        self._retry_at = 0.0
        self._redis: Any = None
        if url:
            import redis.asyncio as redis

            self._redis = redis.Redis.from_url(
                url,
                socket_timeout=REDIS_TIMEOUT_S,
                socket_connect_timeout=REDIS_TIMEOUT_S,
                retry_on_timeout=False,
            )

    async def close(self) -> None:
        if self._redis is not None:
            await self.flushed()
            await self._redis.aclose()

    async def flushed(self) -> None:
        """Wait for the Redis writes under way (each bounded by REDIS_TIMEOUT_S)."""
        while self._writes:
            await asyncio.wait(list(self._writes))

    def _write_behind(self, write: Callable[[], Awaitable[object]]) -> None:
        """Write to Redis after the answer: the write's failure is counted as a read's is."""
        if len(self._writes) >= MAX_PENDING_WRITES:
            self.redis_writes_skipped += 1
            return

        async def written() -> None:
            try:
                await write()
            except Exception as exc:  # any failure of the store: the answer was sent regardless
                self._failed(exc)
                return
            self._succeeded()

        task = asyncio.create_task(written())
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)

    @property
    def shared(self) -> bool:
        return self._redis is not None

    @property
    def redis_up(self) -> bool:
        return self._redis is not None and self._down_since is None

    def status(self) -> str:
        """What /readyz says of the cache."""
        if self._redis is None:
            return "ok"
        if self._down_since is None:
            return "ok"
        return (
            f"redis unreachable for {time.monotonic() - self._down_since:.0f} s; "
            "answering from this process's cache"
        )

    def _usable(self) -> bool:
        return self._redis is not None and (
            self._down_since is None or time.monotonic() >= self._retry_at
        )

    def _failed(self, exc: BaseException) -> None:
        self.redis_errors += 1
        now = time.monotonic()
        if self._down_since is None:
            self._down_since = now
            log.warning("the shared cache (redis) failed, computing without it: %s", exc)
        self._retry_at = now + RETRY_AFTER_S

    def _succeeded(self) -> None:
        if self._down_since is not None:
            log.warning(
                "the shared cache (redis) is back after %.1f s", time.monotonic() - self._down_since
            )
            self._down_since = None

    # --- answers ---------------------------------------------------------------------------

    async def get_answer(self, key: str) -> CachedSpans | None:
        found: CachedSpans | None = self.answers.get(key)
        if found is not None or not self._usable():
            return found
        try:
            raw = await self._redis.get(key)
        except Exception as exc:  # any failure of the store: compute instead
            self._failed(exc)
            return None
        self._succeeded()
        if raw is None:
            self.redis_misses += 1
            return None
        self.redis_hits += 1
        found = CachedSpans.decode(raw)
        self.answers.put(key, found)
        return found

    def put_answer(self, key: str, spans: CachedSpans) -> None:
        self.answers.put(key, spans)
        if self._usable():
            self._write_behind(partial(self._redis.set, key, spans.encode(), ex=self.ttl_s))

    # --- block readings ------------------------------------------------------------------------

    async def get_blocks(self, keys: Sequence[str]) -> list[Reading | None]:
        found: list[Reading | None] = [self.blocks.get(k) for k in keys]
        missing = [i for i, r in enumerate(found) if r is None]
        if not missing or not self._usable():
            return found
        try:
            raws = await self._redis.mget([keys[i] for i in missing])
        except Exception as exc:  # any failure of the store: compute instead
            self._failed(exc)
            return found
        self._succeeded()
        for i, raw in zip(missing, raws, strict=True):
            if raw is None:
                self.redis_misses += 1
                continue
            self.redis_hits += 1
            reading = decode_reading(raw)
            self.blocks.put(keys[i], reading)
            found[i] = reading
        return found

    def put_blocks(self, readings: dict[str, Reading]) -> None:
        for key, reading in readings.items():
            self.blocks.put(key, reading)
        if not readings or not self._usable():
            return

        async def write() -> None:  # encoded after the answer too (readings are not changed)
            async with self._redis.pipeline(transaction=False) as pipe:
                for key, reading in readings.items():
                    pipe.set(key, encode_reading(reading), ex=self.ttl_s)
                await pipe.execute()

        self._write_behind(write)
