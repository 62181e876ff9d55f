"""Property-based: every JSON request body and every query parameter, filled with hostile values
(lone surrogates, deep nesting, huge numbers, extreme dates, control characters, odd keys), gets
an answer under 500 (issue 16, point 7). The routes are read from the OpenAPI document, so a new
route is covered the day it is added; the resources in their paths are a real world's
(tests/api/test_authorization_matrix.py builds it), so the bodies reach the code behind the
dependencies, not only a 404.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gloss.app import create_app
from gloss.auth.ratelimit import TokenBuckets
from gloss.settings import Settings
from tests.api.test_authorization_matrix import World, _path_params, build_world
from tests.collections.conftest import annotation
from tests.conftest import AccountFactory

JSON_TYPES = ("application/json", "application/ld+json")

HOSTILE_TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "\ud800",  # a lone surrogate (sent as the JSON escape)
            "a\udfffb",
            "\x00",
            "\u202e\u200b",
            "http://[x/",
            "javascript:alert(1)",
            "0001-01-01T00:00:00+01:00",
            "9999-12-31T23:59:59-05:00",
            "x" * 5000,
            '=HYPERLINK("http://evil")',
            "../../etc/passwd",
        ]
    ),
)
HOSTILE_NUMBER = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([2**63, -(2**63) - 1, 10**30]),
    st.floats(allow_nan=False, allow_infinity=False),
)
LEAF = st.one_of(st.none(), st.booleans(), HOSTILE_NUMBER, HOSTILE_TEXT)


def _json(keys: list[str]) -> st.SearchStrategy[Any]:
    """JSON values whose objects use the route's own field names (so validators run) as well
    as others."""
    key = st.one_of(st.sampled_from(keys), HOSTILE_TEXT) if keys else HOSTILE_TEXT
    return st.recursive(
        LEAF,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(key, inner, max_size=6)
        ),
        max_leaves=25,
    )


def _leaf_paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON document where a value sits."""
    paths = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            paths += _leaf_paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            paths += _leaf_paths(value, (*path, index))
    return paths


def _with(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    copy = json.loads(json.dumps(document))
    node = copy
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return copy


def _mutated(valid: Any) -> st.SearchStrategy[Any]:
    """A valid document with one value anywhere in it made hostile: the body passes the
    structure checks and the hostile value reaches the code that reads it."""
    return st.builds(_with, st.just(valid), st.sampled_from(_leaf_paths(valid)), _json([]))


# Documents the W3C routes read by hand (not through a schema): mutated from a valid one.
W3C_BODIES = {
    ("POST", "/v1/collections/{collection_id}/annotations/"): annotation(note="a note"),
    ("POST", "/v1/collections/{collection_id}/import"): [annotation(note="a note")],
}


def _field_names(schema: dict[str, Any], components: dict[str, Any]) -> list[str]:
    """Every property name the body schema mentions, following $refs one level down."""
    names: list[str] = []
    stack = [schema]
    seen = 0
    while stack and seen < 50:
        seen += 1
        node = stack.pop()
        if "$ref" in node:
            node = components.get(node["$ref"].rsplit("/", 1)[-1], {})
        names += list(node.get("properties", {}))
        stack += [v for v in node.get("properties", {}).values() if isinstance(v, dict)]
        for combo in ("anyOf", "oneOf", "allOf"):
            stack += [v for v in node.get(combo, []) if isinstance(v, dict)]
    return sorted(set(names))


def _operations() -> list[tuple[str, str, list[str], list[str]]]:
    """(method, path, body field names or [] for no JSON body, query parameter names)."""
    document = create_app(Settings(load_nlp=False)).openapi()
    components = document.get("components", {}).get("schemas", {})
    found = []
    for path, item in document["paths"].items():
        if not path.startswith(("/v1/", "/c/")):
            continue
        for method, operation in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            content = operation.get("requestBody", {}).get("content", {})
            json_type = next((t for t in JSON_TYPES if t in content), None)
            body_fields = (
                _field_names(content[json_type].get("schema", {}), components) if json_type else []
            )
            query = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
            if json_type or query:
                found.append((method.upper(), path, body_fields if json_type else [], query))
    return sorted(found)


OPERATIONS = _operations()
# Routes that take a JSON body (and writes, which take one even where the schema names none).
BODY_OPERATIONS = [op for op in OPERATIONS if op[2] or op[0] in ("POST", "PUT", "PATCH")]
QUERY_OPERATIONS = [op for op in OPERATIONS if op[3]]
SETTINGS = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
async def world(
    client: httpx.AsyncClient, make_account: AccountFactory, app: FastAPI
) -> AsyncIterator[World]:
    """A world to aim at, with the rate limit off: hundreds of requests from one token would
    otherwise be 429s, and a 429 answers before the code the value is meant to reach."""
    limits = app.state.rate_limits
    app.state.rate_limits = TokenBuckets(per_minute=0, burst=0)
    try:
        yield await build_world(client, make_account, 0)
    finally:
        app.state.rate_limits = limits


def test_the_operations_were_read() -> None:
    assert len(OPERATIONS) >= 25
    assert any(path == "/v1/annotate" for _, path, _, _ in OPERATIONS)


@pytest.mark.parametrize(
    ("method", "path", "fields", "query"),
    BODY_OPERATIONS,
    ids=[f"{op[0]} {op[1]}" for op in BODY_OPERATIONS],
)
@SETTINGS
@given(data=st.data())
async def test_hostile_bodies_never_get_a_500(
    client: httpx.AsyncClient,
    world: World,
    app: FastAPI,
    method: str,
    path: str,
    fields: list[str],
    query: list[str],
    data: st.DataObject,
) -> None:
    valid = W3C_BODIES.get((method, path))
    body = data.draw(_mutated(valid) if valid is not None else _json(fields))
    response = await client.request(
        method,
        _path_params(path, world),
        content=json.dumps(body).encode(),  # ASCII: a lone surrogate travels as \\udXXX
        headers={**world.accounts["owner"].headers, "Content-Type": "application/json"},
    )
    assert response.status_code < 500, (method, path, body, response.text[:300])


@pytest.mark.parametrize(
    ("method", "path", "fields", "query"),
    QUERY_OPERATIONS,
    ids=[f"{op[0]} {op[1]}" for op in QUERY_OPERATIONS],
)
@SETTINGS
@given(data=st.data())
async def test_hostile_query_parameters_never_get_a_500(
    client: httpx.AsyncClient,
    world: World,
    method: str,
    path: str,
    fields: list[str],
    query: list[str],
    data: st.DataObject,
) -> None:
    params = {
        name: data.draw(
            HOSTILE_TEXT.map(lambda s: s.encode("utf-8", "surrogatepass").decode("latin-1"))
        )
        for name in query
    }
    response = await client.request(
        method,
        _path_params(path, world),
        params=params,
        headers=world.accounts["owner"].headers,
    )
    assert response.status_code < 500, (method, path, params, response.text[:300])


HOSTILE_VALUES: list[Any] = [
    "\ud800",
    "a\udfffb",
    "\x00",
    "http://[x/",
    "0001-01-01T00:00:00+01:00",
    "x" * 5000,
    2**63,
    10**30,
    -1,
    None,
    [],
    {},
    [[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]],
]


@pytest.mark.parametrize(("method", "path"), sorted(W3C_BODIES))
async def test_every_value_of_a_w3c_document_made_hostile(
    client: httpx.AsyncClient, world: World, method: str, path: str
) -> None:
    """The W3C routes read their documents by hand: each value of a valid one, replaced by
    each hostile value in turn (a sweep, where random draws would rarely hit the one field
    that matters), answers under 500."""
    valid = W3C_BODIES[(method, path)]
    url = _path_params(path, world)
    headers = {**world.accounts["owner"].headers, "Content-Type": "application/ld+json"}
    for where in _leaf_paths(valid):
        for value in HOSTILE_VALUES:
            body = _with(valid, where, value)
            response = await client.request(
                method, url, content=json.dumps(body).encode(), headers=headers
            )
            assert response.status_code < 500, (where, value, response.text[:300])
