"""Inputs an attacker (or a broken client) sends get a clear 4xx problem and change nothing:
never a 500. Each case here answered 500 once (issue 16, point 7)."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from tests.collections.conftest import ANNO, annotation, new_collection
from tests.conftest import Account, AccountFactory

DEEP = "[" * 5000 + "]" * 5000
BIG_INT = "9" * 5000


def _cursor(value: Any) -> str:
    raw = value if isinstance(value, bytes) else json.dumps(value).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _is_4xx_problem(response: httpx.Response) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["detail"]


@pytest.fixture
async def ann(make_account: AccountFactory) -> Account:
    return await make_account("ann")


@pytest.fixture
async def collection(client: httpx.AsyncClient, ann: Account) -> dict[str, Any]:
    return await new_collection(client, ann)


@pytest.fixture
async def glossary_id(client: httpx.AsyncClient, ann: Account) -> str:
    response = await client.post("/v1/glossaries", json={"name": "G"}, headers=ann.headers)
    return str(response.json()["id"])


async def _post_annotation(
    client: httpx.AsyncClient, ann: Account, collection: dict[str, Any], raw: str
) -> httpx.Response:
    return await client.post(
        collection["annotations_url"],
        content=raw.encode("utf-8", "surrogatepass"),
        headers={**ann.headers, "Content-Type": ANNO},
    )


def _with(**changes: Any) -> str:
    doc = annotation()
    for path, value in changes.items():
        node = doc
        *parents, last = path.split("__")
        for part in parents:
            node = node[part]
        node[last] = value
    return json.dumps(doc)


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(_with(target__source="http://[x/"), id="invalid-ipv6-target"),
        pytest.param(_with(target="http://[x/"), id="invalid-ipv6-plain-target"),
        pytest.param(
            json.dumps(annotation(note="a")).replace('"a"', '"\\ud800"'), id="lone-surrogate-note"
        ),
        pytest.param(
            _with(target__source="https://x.example/").replace("x.example", "x\\udfff.example"),
            id="lone-surrogate-target",
        ),
        pytest.param(_with(created="0001-01-01T00:00:00+01:00"), id="year-1-with-offset"),
        pytest.param(_with(created="9999-12-31T23:59:59-01:00"), id="year-9999-with-offset"),
        pytest.param(DEEP, id="deep-nesting"),
        pytest.param(
            _with(target__selector=[{"type": "TextPositionSelector", "start": 0, "end": 10**30}]),
            id="huge-position",
        ),
        pytest.param('{"a": ' + BIG_INT + "}", id="5000-digit-integer"),
    ],
)
async def test_annotation_post(
    client: httpx.AsyncClient, ann: Account, collection: dict[str, Any], raw: str
) -> None:
    _is_4xx_problem(await _post_annotation(client, ann, collection, raw))
    page = await client.get(collection["annotations_url"], headers=ann.headers)
    assert page.json()["total"] == 0


@pytest.mark.parametrize(
    "document",
    [
        pytest.param(DEEP, id="deep-nesting"),
        pytest.param('{"rows": [' + BIG_INT + "]}", id="5000-digit-integer"),
        pytest.param(json.dumps([annotation(source="http://[x/")]), id="invalid-ipv6-target"),
    ],
)
async def test_collection_import(
    client: httpx.AsyncClient, ann: Account, collection: dict[str, Any], document: str
) -> None:
    response = await client.post(
        f"/v1/collections/{collection['id']}/import",
        content=document,
        headers={**ann.headers, "Content-Type": "application/json"},
    )
    _is_4xx_problem(response)


@pytest.mark.parametrize(
    ("body", "fmt"),
    [
        pytest.param(DEEP.encode(), "json", id="deep-nesting"),
        pytest.param(('[{"term": ' + BIG_INT + "}]").encode(), "json", id="5000-digit-integer"),
        pytest.param(b'[{"term": "a\\ud800b"}]', "json", id="lone-surrogate"),
        pytest.param(
            b'{"\\u0074erms": [{"term": "x", "definition": "y"}]}', "json", id="escaped-key"
        ),
        pytest.param(
            b'<?xml version="1.0" encoding="UTF-7"?><tbx><text><body/></text></tbx>',
            "tbx",
            id="utf-7-tbx",
        ),
    ],
)
async def test_glossary_import(
    client: httpx.AsyncClient, ann: Account, glossary_id: str, body: bytes, fmt: str
) -> None:
    response = await client.post(
        f"/v1/glossaries/{glossary_id}/import",
        params={"format": fmt},
        content=body,
        headers={**ann.headers, "Content-Type": "application/octet-stream"},
    )
    if response.status_code == 200:  # the escaped key is a valid document: it must import
        assert fmt == "json"
        assert response.json()["created"] == 1
        return
    _is_4xx_problem(response)
    terms = await client.get(f"/v1/glossaries/{glossary_id}/terms", headers=ann.headers)
    assert terms.json()["items"] == []


CURSORS = [
    pytest.param(_cursor([1, "00000000-0000-0000-0000-000000000000"]), id="int-key"),
    pytest.param(_cursor(["x", "00000000-0000-0000-0000-000000000000"]), id="str-key"),
    pytest.param(_cursor([2**63, "00000000-0000-0000-0000-000000000000"]), id="2**63"),
    pytest.param(_cursor([10**30, "00000000-0000-0000-0000-000000000000"]), id="10**30"),
    pytest.param(_cursor({"c": "0001-01-01T00:00:00+01:00", "i": "x"}), id="year-1"),
    pytest.param(_cursor({"o": 10**30}), id="huge-offset"),
    pytest.param(_cursor(b'["\\ud800", "x"]'), id="lone-surrogate"),
    pytest.param(_cursor(DEEP.encode()), id="deep-nesting"),
    pytest.param("A" * 5_000, id="5000-characters"),
]


@pytest.mark.parametrize("cursor", CURSORS)
@pytest.mark.parametrize(
    "path",
    [
        "/v1/glossaries",
        "/v1/glossaries/{g}/terms",
        "/v1/glossaries/{g}/terms/00000000-0000-0000-0000-000000000000/history",
        "/v1/collections",
        "/v1/articles",
        "/v1/articles?q=chips",
        "{annotations}",
        "/v1/annotations?url=https://x.example/",
    ],
)
async def test_cursors(
    client: httpx.AsyncClient,
    ann: Account,
    collection: dict[str, Any],
    glossary_id: str,
    path: str,
    cursor: str,
) -> None:
    url = path.format(g=glossary_id, annotations=collection["annotations_url"])
    separator = "&" if "?" in url else "?"
    response = await client.get(f"{url}{separator}cursor={cursor}", headers=ann.headers)
    if response.status_code < 400:
        return  # a cursor the route does not read, or one that decodes to a valid position
    _is_4xx_problem(response)


@pytest.mark.parametrize("url", ["http://[x/", "https://x\udfff.example/"])
async def test_annotations_by_page(client: httpx.AsyncClient, ann: Account, url: str) -> None:
    response = await client.get(
        "/v1/annotations",
        params={"url": url.encode("utf-8", "surrogatepass").decode("latin-1")},
        headers=ann.headers,
    )
    assert response.status_code < 500, response.text


@pytest.mark.parametrize("published_at", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:00:00-05:00"])
async def test_article_dates_at_the_ends_of_time(
    client: httpx.AsyncClient, ann: Account, published_at: str
) -> None:
    response = await client.post(
        "/v1/articles",
        json={
            "url": "https://x.example/a",
            "title": "T",
            "text": "Words.",
            "published_at": published_at,
        },
        headers=ann.headers,
    )
    _is_4xx_problem(response)
