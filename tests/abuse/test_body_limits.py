"""Bounded request bodies on a live server: a chunked body with no Content-Length that grows
past GLOSS_MAX_BODY_BYTES is a 413 problem on every kind of route that reads a body."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from tests.abuse.conftest import Deployment
from tests.collections.conftest import ANNO

# commits: a live server process on the test database.
pytestmark = pytest.mark.commits

LIMIT = 64 * 1024


def _chunks(first: bytes, filler: bytes, total: int) -> Iterator[bytes]:
    """A body streamed in 8 KiB chunks: httpx sends an iterator chunked, with no length."""
    yield first
    sent = len(first)
    while sent < total:
        chunk = filler * (8192 // len(filler))
        sent += len(chunk)
        yield chunk


def _assert_too_large(response: httpx.Response) -> None:
    where = f"{response.request.method} {response.request.url.path}"
    assert response.status_code == 413, f"{where}: {response.status_code} {response.text}"
    assert response.headers["content-type"].startswith("application/problem+json"), where
    body = response.json()
    assert body["type"] == "https://gloss.dev/problems/payload-too-large", where
    assert body["limit_bytes"] == LIMIT, where


def test_streamed_bodies_over_the_limit_are_413(deployment: Deployment) -> None:
    headers = deployment.headers
    with (
        deployment.serve(GLOSS_MAX_BODY_BYTES=str(LIMIT)) as server,
        httpx.Client(base_url=server.url, timeout=30) as http,
    ):
        team_id = http.get("/v1/me", headers=headers).json()["teams"][0]["id"]
        glossary = http.post(
            "/v1/glossaries", json={"team_id": team_id, "name": "G"}, headers=headers
        )
        collection = http.post(
            "/v1/collections", json={"name": "C", "team_id": team_id}, headers=headers
        )
        gid, cid = glossary.json()["id"], collection.json()["id"]
        total = 4 * LIMIT
        cases = [
            # A JSON route (FastAPI parses the body)...
            ("/v1/annotate", "application/json", b'{"text": "', b"word "),
            ("/v1/teams", "application/json", b'{"name": "', b"x"),
            # ...a file upload read by the route itself...
            (f"/v1/glossaries/{gid}/import", "text/csv", b"term,definition\n", b"a,b\n"),
            # ...and the W3C container, which reads JSON-LD by hand.
            (f"/v1/collections/{cid}/annotations/", ANNO, b'{"type": "Annotation", "x": "', b"y"),
        ]
        for path, content_type, first, filler in cases:
            response = http.post(
                path,
                content=_chunks(first, filler, total),
                headers={**headers, "Content-Type": content_type},
            )
            assert "content-length" not in response.request.headers
            _assert_too_large(response)
        # A declared length over the limit is refused before a byte of the body is read.
        declared = http.post(
            "/v1/teams",
            content=json.dumps({"name": "x" * (2 * LIMIT)}).encode(),
            headers={**headers, "Content-Type": "application/json"},
        )
        _assert_too_large(declared)
        # The server is still fine, and a body under the limit still works.
        ok = http.post("/v1/teams", json={"name": "small enough"}, headers=headers)
        assert ok.status_code == 201, ok.text
        log = server.log()
    assert " 500 " not in log
    assert "unhandled error" not in log
