"""A bounded load harness: N clients for T seconds against one or more Gloss replicas on
loopback, mixing the product's routes, then a check that no write was lost or half-made.

It stops by itself (a deadline per client, a timeout per request) and sends traffic only to the
URLs it is given, which the callers start on 127.0.0.1."""

from __future__ import annotations

import asyncio
import itertools
import random
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

ANNO_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
ANNO_TYPE = 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'

SENTENCES = [
    "DeepSeek said its reasoning models cut the cost of inference by half.",
    "Nvidia shares fell after analysts in New York questioned demand for its chips.",
    "The Two Sessions in Beijing set growth targets for the coming year.",
    "Researchers at Oxford University published a study on model distillation.",
    "Angela Merkel met Emmanuel Macron in Paris to discuss energy prices.",
    "Microsoft and OpenAI extended their partnership on cloud computing.",
    "The European Central Bank kept interest rates unchanged on Thursday.",
    "Toyota will build a battery plant in North Carolina, the company said.",
    "Pre-training on synthetic data remains controversial among researchers.",
    "Huawei unveiled a new smartphone with a chip made by SMIC in Shanghai.",
]
GLOSSARY = [
    ("inference", "Running a trained model to get answers."),
    ("distillation", "Training a small model to imitate a larger one."),
    ("reasoning model", "A model trained to work through problems step by step."),
    ("pre-training", "The first, largest stage of training a language model."),
    ("interest rate", "The price of borrowing money."),
]


@dataclass
class Sample:
    route: str
    status: int
    seconds: float


@dataclass
class LoadReport:
    clients: int
    duration_s: float
    samples: list[Sample] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    created_annotations: list[str] = field(default_factory=list)
    created_articles: list[str] = field(default_factory=list)
    rejected_definitions: list[tuple[str, str]] = field(default_factory=list)
    accepted_definitions: list[tuple[str, str]] = field(default_factory=list)
    lost_writes: list[str] = field(default_factory=list)
    # Per replica (its base URL): the annotate cache's lookups, read from /metrics after the run.
    cache: dict[str, CacheLookups] = field(default_factory=dict)

    @property
    def requests(self) -> int:
        return len(self.samples)

    def per_route(self) -> dict[str, dict[str, float]]:
        by_route: dict[str, list[float]] = defaultdict(list)
        for sample in self.samples:
            by_route[sample.route].append(sample.seconds * 1000)
        out = {}
        for route, times in sorted(by_route.items()):
            times.sort()
            out[route] = {
                "count": len(times),
                "rps": len(times) / self.duration_s,
                "p50": _percentile(times, 50),
                "p95": _percentile(times, 95),
                "p99": _percentile(times, 99),
            }
        return out

    def markdown_table(self) -> str:
        lines = [
            "| route | requests | req/s | p50 ms | p95 ms | p99 ms |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for route, s in self.per_route().items():
            lines.append(
                f"| {route} | {s['count']:.0f} | {s['rps']:.1f} | {s['p50']:.1f} | "
                f"{s['p95']:.1f} | {s['p99']:.1f} |"
            )
        return "\n".join(lines)


@dataclass
class CacheLookups:
    """One replica's annotate-cache lookups (answers and blocks): found in its own memory, found
    in the shared Redis (written there by this or another replica), or computed."""

    process_hits: float = 0
    redis_hits: float = 0
    computed: float = 0
    redis_errors: float = 0

    @property
    def lookups(self) -> float:
        return self.process_hits + self.redis_hits + self.computed

    @property
    def hit_rate(self) -> float:
        return (self.process_hits + self.redis_hits) / self.lookups if self.lookups else 0.0


async def cache_lookups(http: httpx.AsyncClient, base: str) -> CacheLookups:
    """A replica's cache counters from its Prometheus metrics. A lookup that misses the process
    goes on to Redis when one is configured, so "computed" is Redis's misses there, and the
    process's misses without one."""
    response = await http.get(f"{base}/metrics")
    response.raise_for_status()
    counts: dict[tuple[str, str, str], float] = defaultdict(float)
    errors = 0.0
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            if sample.name == "gloss_annotate_cache_lookups_total":
                labels = sample.labels
                counts[(labels["cache"], labels["tier"], labels["outcome"])] += sample.value
            elif sample.name == "gloss_cache_redis_errors_total":
                errors += sample.value
    process_hits = counts[("answer", "process", "hit")] + counts[("block", "process", "hit")]
    process_misses = counts[("answer", "process", "miss")] + counts[("block", "process", "miss")]
    redis_hits, redis_misses = counts[("any", "redis", "hit")], counts[("any", "redis", "miss")]
    shared = redis_hits + redis_misses > 0
    return CacheLookups(
        process_hits=process_hits,
        redis_hits=redis_hits,
        computed=redis_misses if shared else process_misses,
        redis_errors=errors,
    )


def _percentile(sorted_values: list[float], pct: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(pct / 100 * (len(sorted_values) - 1))))
    return sorted_values[index]


@dataclass
class Workspace:
    """What the set-up created, shared by every client."""

    headers: dict[str, str]
    glossary_id: str
    term_ids: list[str]
    collection_id: str
    pages: list[tuple[str, str]]  # (url, text) of pages annotated again and again


async def set_up(client: httpx.AsyncClient, base: str, token: str) -> Workspace:
    headers = {"Authorization": f"Bearer {token}"}
    me = (await client.get(f"{base}/v1/me", headers=headers)).json()
    team_id = me["teams"][0]["id"]
    glossary = await client.post(
        f"{base}/v1/glossaries",
        json={"name": f"load-{uuid.uuid4().hex[:8]}", "team_id": team_id},
        headers=headers,
    )
    glossary.raise_for_status()
    glossary_id = glossary.json()["id"]
    term_ids = []
    for term, definition in GLOSSARY:
        created = await client.post(
            f"{base}/v1/glossaries/{glossary_id}/terms",
            json={"term": term, "definition": definition},
            headers=headers,
        )
        created.raise_for_status()
        term_ids.append(created.json()["id"])
    collection = await client.post(
        f"{base}/v1/collections",
        json={"name": f"load-{uuid.uuid4().hex[:8]}", "team_id": team_id},
        headers=headers,
    )
    collection.raise_for_status()
    rng = random.Random(7)
    pages = [
        (f"https://news.example/repeat/{i}", " ".join(rng.sample(SENTENCES, 6))) for i in range(5)
    ]
    return Workspace(headers, glossary_id, term_ids, collection.json()["id"], pages)


class Client:
    def __init__(
        self,
        number: int,
        http: httpx.AsyncClient,
        bases: list[str],
        workspace: Workspace,
        report: LoadReport,
        deadline: float,
    ) -> None:
        self.number = number
        self.http = http
        self.bases = itertools.cycle(bases[number % len(bases) :] + bases[: number % len(bases)])
        self.ws = workspace
        self.report = report
        self.deadline = deadline
        self.rng = random.Random(number)

    async def call(
        self, route: str, method: str, path: str, expected: tuple[int, ...], **kwargs: Any
    ) -> httpx.Response | None:
        url = next(self.bases) + path
        headers = {**self.ws.headers, **kwargs.pop("headers", {})}
        started = time.perf_counter()
        try:
            response = await self.http.request(method, url, headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            self.report.errors.append(f"{route}: {type(exc).__name__} {exc}")
            return None
        self.report.samples.append(
            Sample(route, response.status_code, time.perf_counter() - started)
        )
        if response.status_code not in expected:
            self.report.errors.append(f"{route}: {response.status_code} {response.text[:200]}")
            return None
        return response

    async def run(self) -> None:
        actions = [
            (self.annotate_new, 3),
            (self.annotate_repeat, 3),
            (self.write_annotation, 2),
            (self.read_annotations, 2),
            (self.edit_term, 1),
            (self.store_article, 1),
        ]
        weighted = [a for a, weight in actions for _ in range(weight)]
        while time.monotonic() < self.deadline:
            await self.rng.choice(weighted)()

    async def annotate_new(self) -> None:
        text = " ".join(self.rng.sample(SENTENCES, 5)) + f" Ref {uuid.uuid4().hex[:6]}."
        await self.call(
            "POST /v1/annotate (new page)",
            "POST",
            "/v1/annotate",
            (200,),
            json={"text": text, "url": f"https://news.example/{uuid.uuid4().hex}"},
        )

    async def annotate_repeat(self) -> None:
        url, text = self.rng.choice(self.ws.pages)
        await self.call(
            "POST /v1/annotate (repeat page)",
            "POST",
            "/v1/annotate",
            (200,),
            json={"text": text, "url": url},
        )

    async def write_annotation(self) -> None:
        url, text = self.rng.choice(self.ws.pages)
        start = self.rng.randrange(0, len(text) - 20)
        exact = text[start : start + 20]
        body = {
            "@context": ANNO_CONTEXT,
            "type": "Annotation",
            "motivation": "commenting",
            "body": [
                {
                    "type": "TextualBody",
                    "value": f"note {uuid.uuid4().hex[:8]}",
                    "purpose": "commenting",
                }
            ],
            "target": {
                "source": url,
                "selector": [
                    {
                        "type": "TextQuoteSelector",
                        "exact": exact,
                        "prefix": text[max(0, start - 32) : start],
                        "suffix": text[start + 20 : start + 52],
                    },
                    {"type": "TextPositionSelector", "start": start, "end": start + 20},
                ],
            },
        }
        response = await self.call(
            "POST annotation",
            "POST",
            f"/v1/collections/{self.ws.collection_id}/annotations/",
            (201,),
            json=body,
            headers={"Content-Type": ANNO_TYPE},
        )
        if response is not None:
            self.report.created_annotations.append(response.headers["location"])

    async def store_article(self) -> None:
        text = " ".join(self.rng.sample(SENTENCES, 4))
        response = await self.call(
            "POST /v1/articles",
            "POST",
            "/v1/articles",
            (201,),
            json={
                "url": f"https://news.example/stored/{uuid.uuid4().hex}",
                "title": f"Story {uuid.uuid4().hex[:8]}",
                "text": text,
            },
        )
        if response is not None:
            self.report.created_articles.append(response.json()["id"])

    async def read_annotations(self) -> None:
        url, _ = self.rng.choice(self.ws.pages)
        await self.call(
            "GET /v1/annotations?url=", "GET", "/v1/annotations", (200,), params={"url": url}
        )

    async def edit_term(self) -> None:
        term_id = self.rng.choice(self.ws.term_ids)
        path = f"/v1/glossaries/{self.ws.glossary_id}/terms/{term_id}"
        current = await self.call("GET term", "GET", path, (200,))
        if current is None:
            return
        # Let other clients race for the same ETag now and then.
        await asyncio.sleep(self.rng.random() * 0.02)
        definition = f"edited by client {self.number} as {uuid.uuid4().hex[:10]}"
        response = await self.call(
            "PATCH term (If-Match)",
            "PATCH",
            path,
            (200, 412),
            json={"definition": definition},
            headers={"If-Match": current.headers["etag"]},
        )
        if response is None:
            return
        target = (
            self.report.accepted_definitions
            if response.status_code == 200
            else self.report.rejected_definitions
        )
        target.append((term_id, definition))


async def verify(http: httpx.AsyncClient, base: str, ws: Workspace, report: LoadReport) -> None:
    """Every 201 (annotation, article) is there afterwards; every 412 changed nothing; every
    200 is in history."""
    for location in report.created_annotations:
        response = await http.get(location.replace(_origin(location), base), headers=ws.headers)
        if response.status_code != 200:
            report.lost_writes.append(f"annotation {location}: {response.status_code}")
    for article_id in report.created_articles:
        response = await http.get(f"{base}/v1/articles/{article_id}", headers=ws.headers)
        if response.status_code != 200:
            report.lost_writes.append(f"article {article_id}: {response.status_code}")
    stored: set[tuple[str, str]] = set()
    for term_id in ws.term_ids:
        cursor: str | None = None
        while True:
            history = await http.get(
                f"{base}/v1/glossaries/{ws.glossary_id}/terms/{term_id}/history",
                params={"limit": 200, **({"cursor": cursor} if cursor else {})},
                headers=ws.headers,
            )
            history.raise_for_status()
            page = history.json()
            for revision in page["items"]:
                after = revision.get("after") or {}
                stored.add((term_id, after.get("definition", "")))
            cursor = page.get("next_cursor")
            if not cursor:
                break
    for item in report.rejected_definitions:
        if item in stored:
            report.lost_writes.append(f"a 412 PATCH was stored anyway: {item}")
    for item in report.accepted_definitions:
        if item not in stored:
            report.lost_writes.append(f"a 200 PATCH is missing from history: {item}")


def _origin(url: str) -> str:
    parts = httpx.URL(url)
    return f"{parts.scheme}://{parts.netloc.decode()}"


async def run_load(
    bases: list[str], token: str, clients: int, seconds: float, timeout: float = 30.0
) -> LoadReport:
    limits = httpx.Limits(max_connections=clients * 2, max_keepalive_connections=clients)
    async with httpx.AsyncClient(timeout=timeout, limits=limits) as http:
        workspace = await set_up(http, bases[0], token)
        report = LoadReport(clients=clients, duration_s=seconds)
        started = time.monotonic()
        deadline = started + seconds
        await asyncio.gather(
            *(Client(i, http, bases, workspace, report, deadline).run() for i in range(clients))
        )
        report.duration_s = time.monotonic() - started
        await verify(http, bases[-1], workspace, report)
    # On connections of their own: the load's pooled ones may be left half-used by it.
    async with httpx.AsyncClient(timeout=timeout) as http:
        for base in bases:
            report.cache[base] = await cache_lookups(http, base)
    return report
