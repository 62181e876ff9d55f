"""The annotate cache by block and shared in Redis: what a changed page costs, a glossary edit
seen through another replica, and Redis going away and coming back."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from gloss.annotate import cache as cache_module
from gloss.annotate.cache import AnnotateCache, decode_reading, encode_reading
from gloss.annotate.service import SHORT_PAGE_CHARS, VISIBLE_CHARS, split_blocks
from gloss.app import create_app
from gloss.settings import Settings
from tests.annotate.test_routes import ARTICLE, GLOSSARY, annotate, create_glossary
from tests.conftest import AccountFactory
from tests.redis_server import PrivateRedis, free_port

PAGE = "\n\n".join(
    [
        "Barack Obama arrived in Berlin on Tuesday for talks on trade.",
        ARTICLE,
        "Later that day Obama met business leaders; DeepSeek was not among them.",
        "Subscribe to our newsletter. Follow us on social media.",
    ]
)


@pytest.fixture
def redis_server() -> Iterator[PrivateRedis]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (.ci/run installs it)")
    server = PrivateRedis()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@asynccontextmanager
async def replica(app: FastAPI, url: str | None, entries: int = 64) -> AsyncIterator[FastAPI]:
    """Another server process in all that matters here: its own annotate cache (shared only
    through `url`), the same database and, to spare loading a second model, the same engine
    (each request still reads its glossaries' versions from the database)."""
    other = create_app(Settings(database_url=str(app.state.settings.database_url), load_nlp=False))
    for name in ("engine", "sessionmaker", "read_sessionmaker", "nlp"):
        setattr(other.state, name, getattr(app.state, name))
    other.state.annotate_cache = AnnotateCache(entries, url)
    other.state.metrics.watch_cache(other.state.annotate_cache)
    try:
        yield other
    finally:
        await other.state.annotate_cache.close()


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gloss.test")


def test_blocks_are_cut_at_blank_lines() -> None:
    text = "One.\n\nTwo two.\n \n\nThree\nstill three.\n\n   \n\n"
    assert [text[s:e] for s, e in split_blocks(text)] == ["One.", "Two two.", "Three\nstill three."]


def test_a_reading_survives_the_shared_store() -> None:
    from gloss.nlp.engine import Reading
    from gloss.nlp.entities import Mention
    from gloss.nlp.terms import TermSpec

    reading = Reading(
        mentions=[Mention(0, 5, "ORG", "model", True, "")],
        hits=[(7, 12, TermSpec("t1", "g1", "shares", entity_label=None))],
    )
    assert decode_reading(encode_reading(reading)) == reading


async def test_a_changed_page_reads_only_its_changed_block(
    app: FastAPI, client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann")
    await create_glossary(client, ann, GLOSSARY)
    blocks = app.state.annotate_cache.blocks
    first = await annotate(client, ann, text=PAGE, include=["entities", "terms"])
    misses = blocks.misses
    changed = PAGE.replace("on Tuesday", "on Wednesday")
    second = await annotate(client, ann, text=changed, include=["entities", "terms"])
    assert blocks.misses == misses + 1  # one block read again, three from the cache
    # The document pass still runs across blocks: "Obama" alone, two blocks later, is linked
    # to the full name, whichever blocks came from the cache.
    keys = {e["text"]: e["key"] for e in second["entities"]}
    assert keys["Obama"] == keys["Barack Obama"]
    # Every term found again, shifted by the two characters "Wednesday" adds.
    assert [(t["text"], t["start"] - 2) for t in second["terms"]] == [
        (t["text"], t["start"]) for t in first["terms"]
    ]
    # And the joined answer is the one a fresh read of the whole page gives.
    fresh = AnnotateCache(8)
    app.state.annotate_cache, kept = fresh, app.state.annotate_cache
    try:
        again = await annotate(client, ann, text=changed, include=["entities", "terms"])
    finally:
        app.state.annotate_cache = kept
    assert again["entities"] == second["entities"]
    assert again["terms"] == second["terms"]


async def test_a_long_page_queues_its_first_screen_before_looking_up_its_tail(
    app: FastAPI, client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    """The blocks that start in a visible request's first VISIBLE_CHARS characters are queued
    as visible text before the rest of the page is even looked up in the cache; the rest is
    queued as background text, and the answer is the whole page's (ADR 0020, ADR 0021)."""
    ann = await make_account("ann")
    page = _paragraphs(120, about="the harbour")
    assert len(page) > SHORT_PAGE_CHARS
    with _watching_queue(app) as (events, requests):
        body = await annotate(client, ann, text=page, include=["entities"])
    first_screen = sum(1 for s, _e in split_blocks(page) if s < VISIBLE_CHARS)
    assert events == [
        ("looked up", first_screen),
        ("queued", ("visible", first_screen)),
        ("looked up", 120 - first_screen),
        ("queued", ("background", 120 - first_screen)),
    ]
    # Both parts are one request to the queue, ranked by what the whole page has left to read.
    assert requests[0] is requests[1] is not None
    assert sum(e["text"] == "Angela Merkel" for e in body["entities"]) == 120


async def test_a_short_page_is_visible_whole(
    app: FastAPI, client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    """A page of at most SHORT_PAGE_CHARS has no tail to leave for later: every block of a
    visible request is queued as visible text, at once; a background request stays background."""
    ann = await make_account("ann")
    page = _paragraphs(80, about="the railways")
    assert 2 * VISIBLE_CHARS < len(page) <= SHORT_PAGE_CHARS
    with _watching_queue(app) as (events, _requests):
        body = await annotate(client, ann, text=page, include=["entities"])
        tail = page.replace("trade", "steel")
        await annotate(client, ann, text=tail, include=["entities"], priority="background")
    assert events == [
        ("looked up", 80),
        ("queued", ("visible", 80)),
        ("looked up", 80),
        ("queued", ("background", 80)),
    ]
    assert sum(e["text"] == "Angela Merkel" for e in body["entities"]) == 80


def _paragraphs(n: int, about: str) -> str:
    """A page of `n` paragraphs, each naming Angela Merkel once (`about` keeps it apart from
    another test's page in the app's block cache)."""
    return "\n\n".join(
        f"Paragraph {i}: Angela Merkel spoke in Berlin about trade, tariffs and {about}."
        for i in range(n)
    )


@contextmanager
def _watching_queue(app: FastAPI) -> Iterator[tuple[list[tuple[str, object]], list[object]]]:
    """Record the blocks the app looks up in its cache and queues (their priority and number),
    and the request they are queued for."""
    events: list[tuple[str, object]] = []
    runtime, cache = app.state.nlp, app.state.annotate_cache
    queue_blocks, look_up = runtime.read_all, cache.get_blocks

    requests: list[object] = []

    def read_all(
        texts: list[str], glossaries: Any, include: Any, owner: Any, priority: str, request: Any
    ) -> Any:
        events.append(("queued", (priority, len(texts))))
        requests.append(request)
        return queue_blocks(texts, glossaries, include, owner, priority, request)

    async def get_blocks(keys: list[str]) -> Any:
        events.append(("looked up", len(keys)))
        return await look_up(keys)

    runtime.read_all, cache.get_blocks = read_all, get_blocks
    try:
        yield events, requests
    finally:
        del runtime.read_all, cache.get_blocks


async def test_a_glossary_edit_is_seen_through_another_replica(
    app: FastAPI, client: httpx.AsyncClient, make_account: AccountFactory, redis_server: Any
) -> None:
    ann = await make_account("ann")
    glossary_id = await create_glossary(client, ann, GLOSSARY)
    async with (
        replica(app, redis_server.url) as a,
        replica(app, redis_server.url) as b,
        _client(a) as ca,
        _client(b) as cb,
    ):
        before = await annotate(ca, ann, text=PAGE, include=["entities", "terms"])
        await a.state.annotate_cache.flushed()  # A writes Redis after answering
        # B has never seen the page: its answer comes from Redis, as A left it.
        assert await annotate(cb, ann, text=PAGE, include=["entities", "terms"]) == {
            **before,
            "elapsed_ms": pytest.approx(0, abs=1e9),
        }
        assert b.state.annotate_cache.redis_hits == 1
        # An edit through A; B, which cached the old answer itself, sees it at once.
        added = await ca.post(
            f"/v1/glossaries/{glossary_id}/terms",
            json={"term": "newsletter", "definition": "Mail a site sends its readers."},
            headers=ann.headers,
        )
        assert added.status_code == 201, added.text
        after = await annotate(cb, ann, text=PAGE, include=["entities", "terms"])
        assert "newsletter" in {t["term"] for t in after["terms"]}
        assert {t["term"] for t in before["terms"]} < {t["term"] for t in after["terms"]}
        # And A, from Redis or its own, agrees.
        assert (await annotate(ca, ann, text=PAGE, include=["entities", "terms"]))[
            "terms"
        ] == after["terms"]


@pytest.mark.commits
async def test_redis_going_away_and_coming_back(
    app: FastAPI,
    client: httpx.AsyncClient,
    make_account: AccountFactory,
    redis_server: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(cache_module, "RETRY_AFTER_S", 0.0)
    ann = await make_account("ann")
    await create_glossary(client, ann, GLOSSARY)
    async with replica(app, redis_server.url, entries=0) as a, _client(a) as ca:
        shared = a.state.annotate_cache
        first = await annotate(ca, ann, text=PAGE, include=["entities", "terms"])
        assert shared.redis_up

        redis_server.stop()
        down = await annotate(ca, ann, text=PAGE, include=["entities", "terms"])
        await shared.flushed()  # its writes behind the answer fail too
        assert down["entities"] == first["entities"]
        assert down["terms"] == first["terms"]
        assert not shared.redis_up
        ready = await ca.get("/readyz")
        assert ready.status_code == 200  # still serving: the cache is no reason to stop
        assert "redis unreachable" in ready.json()["detail"]
        metrics = (await ca.get("/metrics")).text
        assert "gloss_cache_redis_up 0.0" in metrics
        assert "gloss_cache_redis_errors_total 0.0" not in metrics

        redis_server.start()
        back = await annotate(ca, ann, text=PAGE, include=["entities", "terms"])
        assert back["terms"] == first["terms"]
        assert shared.redis_up
        assert (await ca.get("/readyz")).json()["checks"]["cache"] == "ok"
        assert "gloss_cache_redis_up 1.0" in (await ca.get("/metrics")).text


async def test_nothing_listens_at_the_cache_url(
    app: FastAPI, client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann")
    url = f"redis://127.0.0.1:{free_port()}/0"
    async with replica(app, url) as a, _client(a) as ca:
        body = await annotate(ca, ann, text=PAGE)
        assert body["entities"]
        assert not a.state.annotate_cache.redis_up
        assert a.state.annotate_cache.redis_errors >= 1


class _HeldRedis:
    """A Redis whose writes wait until released (or fail when told to)."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.written: dict[str, tuple[bytes, int]] = {}
        self.fail = False

    async def set(self, key: str, value: bytes, ex: int) -> None:
        await self.release.wait()
        if self.fail:
            raise ConnectionError("redis went away")
        self.written[key] = (value, ex)


async def test_redis_is_written_behind_the_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    """A reader never waits for the shared copy: the process's own is there at once, Redis's
    once the write is done; past MAX_PENDING_WRITES writes under way one is left out and
    counted; a failed write counts as a failed read does; closing waits for the writes."""
    monkeypatch.setattr(cache_module, "MAX_PENDING_WRITES", 2)
    cache = AnnotateCache(8)
    held = _HeldRedis()
    cache._redis = held  # a shared cache whose writes are held
    spans = [cache_module.CachedSpans((f"k{i}",), b"[]") for i in range(3)]
    for i, answer in enumerate(spans):
        cache.put_answer(f"a{i}", answer)  # returns at once
    assert [await cache.get_answer(f"a{i}") for i in range(3)] == spans  # this process's
    assert held.written == {}
    assert cache.redis_writes_skipped == 1
    flushed = asyncio.create_task(cache.flushed())
    await asyncio.sleep(0.01)
    assert not flushed.done()
    held.release.set()
    await asyncio.wait_for(flushed, 1)
    assert held.written == {f"a{i}": (spans[i].encode(), cache.ttl_s) for i in range(2)}
    assert cache.redis_up
    assert cache.redis_errors == 0

    held.fail = True
    cache.put_answer("a3", spans[0])
    await cache.flushed()
    assert cache.redis_errors == 1
    assert not cache.redis_up
