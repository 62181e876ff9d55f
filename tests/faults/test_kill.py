"""kill -9 of a live server mid-write: after a restart a glossary import is whole or absent,
and every annotation the client got a 201 for is there, whole."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gloss.models import Annotation, Term, TermForm, TermRevision
from tests.collections.conftest import ANNO, annotation
from tests.faults.conftest import Deployment

# commits: a live server process writes; the test reads what it committed.
pytestmark = pytest.mark.commits

IMPORT_TERMS = 6_000
WRITERS = 6
MAX_WRITES_PER_WRITER = 400  # bounds the stream even if the kill never came


def _csv(terms: int, tag: str) -> bytes:
    rows = ["term,definition,aliases"]
    rows += [
        f"{tag} term {i},Definition number {i} of {tag}.,{tag} alias {i}" for i in range(terms)
    ]
    return ("\n".join(rows) + "\n").encode()


def _glossary(http: httpx.Client, base: str, headers: dict[str, str], name: str) -> str:
    team_id = http.get(f"{base}/v1/me", headers=headers).json()["teams"][0]["id"]
    created = http.post(
        f"{base}/v1/glossaries", json={"team_id": team_id, "name": name}, headers=headers
    )
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def _import(http: httpx.Client, base: str, headers: dict[str, str], gid: str, data: bytes) -> Any:
    return http.post(
        f"{base}/v1/glossaries/{gid}/import",
        content=data,
        headers={**headers, "Content-Type": "text/csv"},
    )


async def _counts(maker: async_sessionmaker[AsyncSession], gid: str) -> tuple[int, int, int]:
    glossary_id = uuid.UUID(gid)
    async with maker() as session:
        terms = await session.scalar(
            select(func.count()).select_from(Term).where(Term.glossary_id == glossary_id)
        )
        forms = await session.scalar(
            select(func.count()).select_from(TermForm).where(TermForm.glossary_id == glossary_id)
        )
        revisions = await session.scalar(
            select(func.count())
            .select_from(TermRevision)
            .where(TermRevision.glossary_id == glossary_id)
        )
    return int(terms or 0), int(forms or 0), int(revisions or 0)


async def test_import_killed_midway_is_whole_or_absent(
    deployment: Deployment, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    headers = deployment.headers
    data = _csv(IMPORT_TERMS, "k")
    outcome: dict[str, Any] = {}
    with deployment.serve() as server, httpx.Client(timeout=120) as http:
        base = server.url
        # A whole import first, to learn how long one takes on this machine and backend.
        rehearsal = _glossary(http, base, headers, "rehearsal")
        started = time.monotonic()
        whole = _import(http, base, headers, rehearsal, data)
        took = time.monotonic() - started
        assert whole.status_code == 200, whole.text
        assert whole.json()["created"] == IMPORT_TERMS

        gid = _glossary(http, base, headers, "target")
        before = http.get(f"{base}/v1/glossaries/{gid}", headers=headers).json()

        def send() -> None:
            try:
                outcome["response"] = _import(http, base, headers, gid, data)
            except httpx.HTTPError as exc:
                outcome["error"] = exc

        sender = threading.Thread(target=send)
        sender.start()
        # Halfway through on this machine: the rows are being written.
        time.sleep(took / 2)
        server.kill()
        sender.join(timeout=60)
        assert not sender.is_alive()

    with deployment.serve() as server, httpx.Client(timeout=30) as http:
        after = http.get(f"{server.url}/v1/glossaries/{gid}", headers=headers).json()
    stored = await _counts(sessionmaker, gid)
    assert (after["term_count"], after["version"]) in {
        (0, before["version"]),
        (IMPORT_TERMS, before["version"] + 1),
    }, (after, before)
    if "response" in outcome and outcome["response"].status_code == 200:
        assert after["term_count"] == IMPORT_TERMS  # the client was told it is stored
    # No half-made import: terms, their surface forms and revisions all there, or none.
    whole_counts = await _counts(sessionmaker, rehearsal)
    assert stored in {(0, 0, 0), whole_counts}, (stored, whole_counts)


async def test_annotation_stream_killed_loses_no_acknowledged_write(
    deployment: Deployment, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    headers = deployment.headers
    acknowledged: list[str] = []
    unexpected: list[str] = []
    attempts = 0
    with deployment.serve() as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
            me = (await http.get("/v1/me", headers=headers)).json()
            created = await http.post(
                "/v1/collections",
                json={"name": "Under fire", "team_id": me["teams"][0]["id"]},
                headers=headers,
            )
            assert created.status_code == 201, created.text
            container = f"/v1/collections/{created.json()['id']}/annotations/"
            cid = uuid.UUID(created.json()["id"])

            async def writer(number: int) -> None:
                nonlocal attempts
                for i in range(MAX_WRITES_PER_WRITER):
                    doc = annotation("demand for its chips", note=f"writer {number} note {i}")
                    attempts += 1
                    try:
                        response = await http.post(
                            container, json=doc, headers={**headers, "Content-Type": ANNO}
                        )
                    except httpx.HTTPError:
                        return  # the server is gone
                    if response.status_code == 201:
                        acknowledged.append(response.headers["location"])
                    else:
                        unexpected.append(f"{response.status_code} {response.text[:200]}")

            writers = [asyncio.create_task(writer(n)) for n in range(WRITERS)]
            deadline = time.monotonic() + 30
            while len(acknowledged) < 60 and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
            server.kill()
            await asyncio.wait_for(asyncio.gather(*writers), timeout=60)

    assert unexpected == []
    assert acknowledged, "the stream wrote nothing before the kill"
    with deployment.serve() as server:
        async with httpx.AsyncClient(timeout=30) as http:
            missing = []
            for location in acknowledged:
                path = httpx.URL(location).path
                response = await http.get(server.url + path, headers=headers)
                if response.status_code != 200:
                    missing.append(f"{path}: {response.status_code}")
                    continue
                selectors = response.json()["target"]["selector"]
                assert {s["type"] for s in selectors} == {
                    "TextQuoteSelector",
                    "TextPositionSelector",
                }
    assert missing == []
    async with sessionmaker() as session:
        rows = (
            await session.scalars(select(Annotation).where(Annotation.collection_id == cid))
        ).all()
    assert len(acknowledged) <= len(rows) <= attempts
    # Stored means whole: no row without its selectors, source or note.
    assert [r.id for r in rows if len(r.selectors) != 2 or not r.target_source or not r.text] == []
