"""The W3C Web Annotation Protocol test suite's assertions, against a served container.

A port, written here, of the MUST and SHOULD assertions of `annotation-protocol/server/
server-manual.html` in the web-platform-tests repository (the suite the W3C Web Annotation
Working Group used), one test per group of assertions, each named after the suite's own words.
Two adaptations, both what the protocol allows and what any client of Gloss does: every request
carries the caller's token, and the update sends the ETag it read as If-Match (Gloss requires
it, so a stale write answers 412 instead of losing a change). The suite's HTTPS assertion is a
deployment's: TLS ends at the proxy, and `GLOSS_PUBLIC_URL` makes the IRIs https
(test_protocol.py::test_public_url_makes_the_iris).
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import httpx
import pytest

from gloss.collections import routes as collection_routes
from tests.collections.conftest import ANNO, annotation, new_collection, post_annotation
from tests.conftest import Account, AccountFactory

MEDIA_TYPE = re.compile(r"application/ld\+json")
CONTAINER_TYPE = re.compile(
    r"<http://www\.w3\.org/ns/(ldp#BasicContainer|oa#AnnotationCollection)>; *rel=\"type\""
)
ANNOTATION_TYPE = re.compile(r"<http://www\.w3\.org/ns/ldp#Resource>; *rel=\"type\"")
CONSTRAINED_BY = re.compile(
    r"<http://www\.w3\.org/TR/annotation-protocol/>; *rel=\"http://www\.w3\.org/ns/ldp#constrainedBy\""
)
MINIMAL = 'return=representation;include="http://www.w3.org/ns/ldp#PreferMinimalContainer"'
# The suite's own annotation for the creation tests.
SUITE_ANNOTATION = {
    "@context": "http://www.w3.org/ns/anno.jsonld",
    "type": "Annotation",
    "body": {"type": "TextualBody", "value": "I like this page!"},
    "target": "http://www.example.com/index.html",
}


@pytest.fixture
async def served(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> tuple[Account, str, str]:
    """A container with more than one page of annotations, and one annotation's IRI."""
    ann = await make_account("ann")
    collection = await new_collection(client, ann)
    iri = ""
    for i in range(3):
        response = await post_annotation(client, ann, collection, annotation(start=i))
        iri = response.headers["location"]
    return ann, collection["annotations_url"], iri


async def test_container_musts(client: httpx.AsyncClient, served: tuple[Account, str, str]) -> None:
    ann, container, _ = served
    # 'Container MUST end in a "/" character'
    assert container.endswith("/")
    got = await client.get(container, headers=ann.headers)
    assert got.status_code == 200
    headers = got.headers
    # 'Containers MUST support GET, HEAD, OPTIONS (check Allow on GET)'
    for method in ("GET", "HEAD", "OPTIONS"):
        assert method in headers["allow"], method
    # 'Containers MUST have a Content-Type header with the application/ld+json media type'
    # and 'MUST response with the JSON-LD representation (by default)'
    assert MEDIA_TYPE.search(headers["content-type"])
    body = got.json()
    # 'MUST return a description of the container with BasicContainer' / 'AnnotationCollection'
    assert "BasicContainer" in body["type"]
    assert "AnnotationCollection" in body["type"]
    # 'Containers MUST return a Link header (rfc5988) on all responses', 'MUST have an ETag
    # header', 'MUST have a Vary header with Accept in the value'
    assert headers["link"]
    assert headers["etag"]
    assert "Accept" in headers["vary"]
    # 'Containers MUST advertise its type by including a link where the rel parameter value is
    # type and the target IRI is the appropriate Container Type'
    assert CONTAINER_TYPE.search(headers["link"])
    # '... MUST advertise that it imposes Annotation protocol specific constraints' (the
    # suite's own pattern only looks for a type link; the spec's link is checked here)
    assert CONSTRAINED_BY.search(headers["link"])
    # 'Containers MUST include a Content-Location header with the IRI as its value' and
    # "Container's Content-Location and `id` MUST match"
    assert headers["content-location"] == body["id"]


async def test_container_methods(
    client: httpx.AsyncClient, served: tuple[Account, str, str]
) -> None:
    ann, container, _ = served
    # 'Containers MUST support HEAD method', 'Containers MUST support OPTIONS method'
    assert (await client.head(container, headers=ann.headers)).status_code == 200
    assert (await client.options(container, headers=ann.headers)).status_code == 200


def _iri(node: str | dict[str, Any]) -> str:
    """A link the container gives as an IRI, or as an embedded object with its id."""
    return node if isinstance(node, str) else str(node["id"])


async def test_pages_link_to_their_container_and_to_each_other(
    client: httpx.AsyncClient,
    served: tuple[Account, str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ann, container, _ = served
    monkeypatch.setattr(collection_routes, "PAGE_SIZE", 2)  # three annotations: two pages
    body = (await client.get(container, headers=ann.headers)).json()
    first = (await client.get(_iri(body["first"]), headers=ann.headers)).json()
    last = (await client.get(_iri(body["last"]), headers=ann.headers)).json()
    assert first["id"] != last["id"], "the fixture makes more than one page"
    # 'Annotation Pages must have a link to the container they are part of, using partOf'
    partof = first["partOf"]
    assert (partof["id"] if isinstance(partof, dict) else partof) == body["id"]
    # 'MUST have a link to the previous page (if not the first page)' and 'to the next page
    # (if not the last page)'
    assert "prev" in last
    assert "next" in first


async def test_annotation_musts(
    client: httpx.AsyncClient, served: tuple[Account, str, str]
) -> None:
    ann, _, iri = served
    got = await client.get(iri, headers=ann.headers)
    headers = got.headers
    # 'Annotations MUST support GET, HEAD, OPTIONS (check Allow on GET)'
    for method in ("GET", "HEAD", "OPTIONS"):
        assert method in headers["allow"], method
    # 'MUST have a Content-Type header with the application/ld+json media type'
    assert MEDIA_TYPE.search(headers["content-type"])
    # 'MUST have a Link header entry where the target IRI is http://www.w3.org/ns/ldp#Resource
    # and the rel parameter value is type'
    assert ANNOTATION_TYPE.search(headers["link"])
    # 'MUST have an ETag header', 'MUST have a Vary header with Accept in the value'
    assert headers["etag"]
    assert "Accept" in headers["vary"]
    # 'Annotations MUST support HEAD method', 'Annotations MUST support OPTIONS method'
    assert (await client.head(iri, headers=ann.headers)).status_code == 200
    assert (await client.options(iri, headers=ann.headers)).status_code == 200


async def test_creation_update_and_deletion(
    client: httpx.AsyncClient, served: tuple[Account, str, str]
) -> None:
    ann, container, _ = served
    sent = {**SUITE_ANNOTATION, "canonical": f"urn:uuid:{uuid.uuid4()}"}
    created = await client.post(
        container,
        content=json.dumps(sent),
        headers={**ann.headers, "Content-Type": "application/ld+json"},
    )
    body = created.json()
    # 'Created Annotation MUST have an id property' that 'starts with the Container IRI'
    assert body["id"].startswith(container)
    # 'Created Annotation MUST preserve any canonical IRI'
    assert body["canonical"] == sent["canonical"]
    # 'Annotation Server MUST respond with a 201 Created code if the creation is successful'
    assert created.status_code == 201
    # '[RECOMMENDED] Location header SHOULD match the id of the new Annotation'
    assert created.headers["location"] == body["id"]

    # 'Annotation update must be done with the PUT method'
    changed = {**body, "target": "http://other.example/"}
    put = await client.put(
        body["id"],
        content=json.dumps(changed),
        headers={**ann.headers, "Content-Type": ANNO, "If-Match": created.headers["etag"]},
    )
    assert put.status_code == 200, put.text
    assert put.json()["target"] == changed["target"]

    # 'Annotation deletion with DELETE method MUST return a 204 status'
    deleted = await client.delete(body["id"], headers=ann.headers)
    assert deleted.status_code == 204


async def test_container_shoulds(
    client: httpx.AsyncClient, served: tuple[Account, str, str]
) -> None:
    ann, container, _ = served
    response = await client.get(container, headers={**ann.headers, "Prefer": MINIMAL})
    body: dict[str, Any] = response.json()
    # '[RECOMMENDED] SHOULD include the total property', 'a link to the first page ... using
    # `first`' and 'to the last page ... using `last`'
    assert body["total"] == 3
    assert "first" in body
    assert "last" in body
    # 'Response contains annotations via `items` / `ldp:contains` when it SHOULD NOT'
    assert "items" not in body
    assert "ldp:contains" not in body
    # '[RECOMMENDED] SHOULD include Prefer in the Vary header'
    assert "Prefer" in response.headers["vary"]
    # '[RECOMMENDED] SHOULD NOT [receive] the Prefer header when requesting the page'
    assert "prefer" not in response.headers
    # 'SHOULD return the full annotation descriptions': each item of the first page is whole
    first = body["first"]
    page = (
        await client.get(first if isinstance(first, str) else first["id"], headers=ann.headers)
    ).json()
    assert page["items"]
    for item in page["items"]:
        assert "@context" in item
