"""Every annotation, collection and page Gloss serves or exports passes the W3C suite's musts."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.collections.conftest import annotation, new_collection, post_annotation
from tests.collections.w3c_suite import W3CSuite, locate
from tests.conftest import Account, AccountFactory

# Correct samples that trip a known flaw of the suite's 3.2-targetObjectsRecognized (ABOUT.md).
KNOWN_FLAWED_SAMPLES = {"anno11.json", "anno12.json", "anno13.json"}
# Page samples whose partOf is a bare IRI, which the page assertions do not accept (ABOUT.md).
BARE_PART_OF_SAMPLES = {"example42.json", "example43.json"}


@pytest.fixture(scope="session")
def w3c() -> W3CSuite:
    root, why = locate()
    if root is None:
        pytest.skip(why)
    return W3CSuite(root)


def _kind(document: dict[str, Any]) -> str:
    types = document.get("type")
    types = types if isinstance(types, list) else [types]
    if "AnnotationCollection" in types:
        return "collection"
    return "page" if "AnnotationPage" in types else "annotation"


def test_the_harness_tells_correct_from_incorrect_samples(w3c: W3CSuite) -> None:
    """The harness itself: the suite's correct samples pass, its incorrect ones fail."""
    correct = sorted((w3c.root / "tools/samples/correct").glob("*.json"))
    assert len(correct) > 30
    for path in correct:
        document = json.loads(path.read_text())
        failures = w3c.failures(_kind(document), document)
        if path.name in KNOWN_FLAWED_SAMPLES:
            assert failures == ["annotations/3.2-targetObjectsRecognized.json"]
        elif path.name in BARE_PART_OF_SAMPLES:
            assert "collections/pages/5.2-pagePartOfValidated.json" not in failures
            document["partOf"] = {"id": document["partOf"]}
            assert w3c.failures("page", document) == [], path.name
        else:
            assert failures == [], path.name
    refused = 0
    for path in sorted((w3c.root / "tools/samples/incorrect").glob("*.json")):
        try:
            document = json.loads(path.read_text())
        except ValueError:
            continue  # 17 are deliberately not JSON
        assert w3c.failures("annotation", document), path.name
        refused += 1
    assert refused > 10


async def _varied_collection(client: httpx.AsyncClient, ann: Account) -> dict[str, Any]:
    collection = await new_collection(client, ann, 'Chips <&> "quotes"')
    docs = [
        annotation(),
        annotation("Nvidia", note="Who said it?", tags=("ai", "chips"), color="#ffcc00"),
        annotation("Tuesday", source="https://exämple.org/päge one?q=ü", tags=("dates",)),
        {
            "@context": "http://www.w3.org/ns/anno.jsonld",
            "type": "Annotation",
            "body": {"type": "TextualBody", "value": "A note on the whole page 🚀"},
            "target": "https://news.example/2026/11/chips",
        },
        {
            "@context": "http://www.w3.org/ns/anno.jsonld",
            "type": "Annotation",
            "motivation": "highlighting",
            "target": {
                "source": "https://news.example/b",
                "selector": {"type": "TextQuoteSelector", "exact": "😀 emoji ✓"},
            },
        },
    ]
    for doc in docs:
        response = await post_annotation(client, ann, collection, doc)
        assert response.status_code == 201, response.text
    return collection


async def test_export_passes_every_must(
    client: httpx.AsyncClient,
    make_account: AccountFactory,
    w3c: W3CSuite,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("gloss.collections.routes.PAGE_SIZE", 2)
    ann = await make_account("ann")
    collection = await _varied_collection(client, ann)
    response = await client.get(
        f"/v1/collections/{collection['id']}/export?format=jsonld", headers=ann.headers
    )
    assert response.status_code == 200
    exported = response.json()
    kinds = [_kind(node) for node in exported]
    assert kinds == ["collection", "page", "page", "page"]
    items = 0
    for node in exported:
        assert w3c.failures(_kind(node), node) == [], node["id"]
        for item in node.get("items", []):
            assert w3c.failures("annotation", item) == [], item
            items += 1
    assert items == 5


async def test_served_containers_pages_and_annotations_pass_every_must(
    client: httpx.AsyncClient,
    make_account: AccountFactory,
    w3c: W3CSuite,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("gloss.collections.routes.PAGE_SIZE", 2)
    ann = await make_account("ann")
    collection = await _varied_collection(client, ann)
    url = collection["annotations_url"]
    prefers = [
        None,
        'return=representation;include="http://www.w3.org/ns/ldp#PreferMinimalContainer"',
        'return=representation;include="http://www.w3.org/ns/oa#PreferContainedIRIs"',
        'return=representation;include="http://www.w3.org/ns/oa#PreferContainedDescriptions"',
    ]
    annotation_iris: set[str] = set()
    for prefer in prefers:
        headers = {**ann.headers, **({"Prefer": prefer} if prefer else {})}
        container = (await client.get(url, headers=headers)).json()
        assert w3c.failures("collection", container) == []
        if isinstance(container["first"], dict):
            # A collection with its first page embedded is also a page document to the suite.
            assert w3c.failures("page", container) == []
    for iris in (0, 1):
        page_url: str | None = f"{url}?iris={iris}&page=0"
        while page_url:
            page = (await client.get(page_url, headers=ann.headers)).json()
            assert w3c.failures("page", page) == [], page_url
            for item in page["items"]:
                if isinstance(item, str):
                    annotation_iris.add(item)
                else:
                    assert w3c.failures("annotation", item) == []
            page_url = page.get("next")
    assert len(annotation_iris) == 5
    for iri in annotation_iris:
        served = (await client.get(iri, headers=ann.headers)).json()
        assert w3c.failures("annotation", served) == [], iri
    found = await client.get(
        "/v1/annotations",
        params={"url": "https://news.example/2026/11/chips"},
        headers=ann.headers,
    )
    assert len(found.json()["items"]) == 3
    for item in found.json()["items"]:
        assert w3c.failures("annotation", item) == []


def test_the_harness_checks_uris_and_times(w3c: W3CSuite) -> None:
    """Formats are really checked: a relative id and a loose date each fail a must."""
    good = {
        "@context": "http://www.w3.org/ns/anno.jsonld",
        "id": "https://gloss.test/anno/1",
        "type": "Annotation",
        "created": "2026-11-29T03:48:51.123456Z",
        "target": "https://news.example/",
    }
    assert w3c.failures("annotation", good) == []
    assert w3c.failures("annotation", {**good, "id": "anno 1"}) == [
        "annotations/3.1-annotationIdValidated.json"
    ]
    assert w3c.failures("annotation", {**good, "created": "29/11/2026"}) == [
        "annotations/3.3.1-annotationCreatedValidated.json"
    ]
