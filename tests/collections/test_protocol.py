"""W3C Web Annotation Protocol: every header, status and Prefer case, containers and annotations."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from gloss.app import create_app
from gloss.settings import Settings
from tests.api.test_errors import assert_problem
from tests.collections.conftest import ANNO, annotation, new_collection, post_annotation
from tests.conftest import Account, AccountFactory

LDP = "http://www.w3.org/ns/ldp#"
MINIMAL = f'return=representation;include="{LDP}PreferMinimalContainer"'
IRIS = 'return=representation;include="http://www.w3.org/ns/oa#PreferContainedIRIs"'
DESCRIPTIONS = 'return=representation;include="http://www.w3.org/ns/oa#PreferContainedDescriptions"'


async def _collection_with(
    client: httpx.AsyncClient, account: Account, count: int
) -> tuple[dict[str, Any], list[str]]:
    collection = await new_collection(client, account)
    iris = []
    for i in range(count):
        response = await post_annotation(client, account, collection, annotation(start=i))
        iris.append(response.headers["location"])
    return collection, iris


# --- POST -----------------------------------------------------------------------------------


async def test_post_creates_under_the_container(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann")
    collection = await new_collection(client, ann)
    doc = annotation(note="Strong demand", tags=("ai",), color="#FFCC00")
    doc["id"] = "http://elsewhere.example/anno/1"  # the server assigns the IRI
    response = await post_annotation(client, ann, collection, doc)
    assert response.status_code == 201
    body = response.json()
    location = response.headers["location"]
    assert location.startswith(collection["annotations_url"])
    assert body["id"] == location
    assert response.headers["content-type"] == ANNO
    assert response.headers["etag"].startswith('"')
    assert response.headers["allow"] == "GET, HEAD, OPTIONS, PUT, DELETE"
    assert f'<{LDP}Resource>; rel="type"' in response.headers["link"]
    assert "Accept" in response.headers["vary"]
    assert body["motivation"] == "commenting"
    assert body["color"] == "#ffcc00"
    assert body["creator"]["nickname"] == "ann"
    assert body["body"] == [
        {
            "type": "TextualBody",
            "value": "Strong demand",
            "format": "text/plain",
            "purpose": "commenting",
        },
        {"type": "TextualBody", "value": "ai", "purpose": "tagging"},
    ]
    assert body["target"]["source"] == doc["target"]["source"]
    assert body["target"]["selector"] == doc["target"]["selector"]


async def test_post_accepts_plain_json_and_a_single_selector(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann")
    collection = await new_collection(client, ann)
    doc = {
        "type": "Annotation",
        "target": {
            "source": "https://a.example/",
            "selector": {"type": "TextQuoteSelector", "exact": "x", "prefix": "p" * 100},
        },
    }
    response = await client.post(collection["annotations_url"], json=doc, headers=ann.headers)
    assert response.status_code == 201, response.text
    selector = response.json()["target"]["selector"]
    # Context is kept to the 32 characters next to the quote.
    assert selector == [{"type": "TextQuoteSelector", "exact": "x", "prefix": "p" * 32}]
    assert response.json()["motivation"] == "highlighting"


async def test_post_refuses_other_media_types_and_malformed_json(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann")
    collection = await new_collection(client, ann)
    url = collection["annotations_url"]
    as_text = await client.post(
        url, content=json.dumps(annotation()), headers={**ann.headers, "Content-Type": "text/plain"}
    )
    assert_problem(as_text, 415, "unsupported-media-type")
    broken = await client.post(
        url, content=b'{"type": "Annot', headers={**ann.headers, "Content-Type": ANNO}
    )
    assert_problem(broken, 400, "malformed-json")


def _with_selectors(*selectors: dict[str, Any]) -> dict[str, Any]:
    doc = annotation()
    doc["target"]["selector"] = list(selectors)
    return doc


QUOTE = {"type": "TextQuoteSelector", "exact": "chips"}


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (_with_selectors({"type": "TextPositionSelector", "start": 9, "end": 3}), "start must not"),
        (_with_selectors({"type": "TextPositionSelector", "start": -1, "end": 3}), "between 0"),
        (_with_selectors({"type": "TextPositionSelector", "start": "1", "end": 3}), "integer"),
        (_with_selectors({"type": "TextQuoteSelector", "exact": ""}), "non-empty"),
        (_with_selectors({"type": "TextQuoteSelector", "exact": "x" * 10_001}), "longer than"),
        (_with_selectors({**QUOTE, "prefix": "p" * 1001}), "longer than"),
        (_with_selectors(QUOTE, QUOTE), "more than one TextQuoteSelector"),
        (_with_selectors({"type": "CssSelector", "value": "#main"}), "only TextQuoteSelector"),
        ({**annotation(), "type": "Note"}, "must be Annotation"),
        ({**annotation(), "@context": "http://schema.org/"}, "anno.jsonld"),
        ({**annotation(), "motivation": "bookmarking"}, "must be one of"),
        ({**annotation(), "motivation": "commenting"}, "needs a note"),
        ({**annotation(), "color": "url(javascript:x)"}, "colour"),
        ({**annotation(), "body": "http://example.org/body"}, "TextualBody"),
        ({**annotation(), "target": [annotation()["target"]] * 2}, "exactly one target"),
        ({k: v for k, v in annotation().items() if k != "target"}, "exactly one target"),
        ({**annotation(), "target": {"source": "page.html"}}, "absolute"),
        ({**annotation(), "target": {"source": "javascript:alert(1)"}}, "not a page"),
        (
            {**annotation(), "body": [{"value": f"t{i}", "purpose": "tagging"} for i in range(33)]},
            "at most 32",
        ),
        ([annotation()], "JSON object"),
    ],
)
async def test_post_validates_with_a_clear_422(
    client: httpx.AsyncClient, make_account: AccountFactory, doc: Any, message: str
) -> None:
    ann = await make_account("ann")
    collection = await new_collection(client, ann)
    response = await client.post(
        collection["annotations_url"],
        content=json.dumps(doc),
        headers={**ann.headers, "Content-Type": ANNO},
    )
    body = assert_problem(response, 422, "validation-error")
    assert message in str(body["detail"]), body
    assert body["errors"]
    assert (await client.get(collection["annotations_url"], headers=ann.headers)).json()[
        "total"
    ] == 0


# --- One annotation: GET, HEAD, OPTIONS, PUT, DELETE ----------------------------------------


async def test_get_head_and_options_of_an_annotation(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann")
    _, (iri,) = await _collection_with(client, ann, 1)
    got = await client.get(iri, headers=ann.headers)
    assert got.status_code == 200
    assert got.headers["content-type"] == ANNO
    assert got.headers["allow"] == "GET, HEAD, OPTIONS, PUT, DELETE"
    assert f"<{LDP}Resource>" in got.headers["link"]
    assert got.headers["vary"].startswith("Accept")
    assert got.headers["content-location"] == iri
    assert got.json()["id"] == iri

    head = await client.head(iri, headers=ann.headers)
    assert head.status_code == 200
    assert head.content == b""
    for name in ("etag", "allow", "link", "vary", "content-type", "content-length"):
        assert head.headers[name] == got.headers[name], name

    options = await client.options(iri, headers=ann.headers)
    assert options.status_code == 200
    assert options.headers["allow"] == got.headers["allow"]
    assert options.headers["link"] == got.headers["link"]


async def test_accept_is_negotiated(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann")
    _, (iri,) = await _collection_with(client, ann, 1)
    for accept in ("application/ld+json", "*/*", ANNO, "text/html, application/ld+json;q=0.5"):
        response = await client.get(iri, headers={**ann.headers, "Accept": accept})
        assert response.headers["content-type"] == ANNO, accept
    plain = await client.get(iri, headers={**ann.headers, "Accept": "application/json"})
    assert plain.headers["content-type"] == "application/json"
    refused = await client.get(iri, headers={**ann.headers, "Accept": "text/html"})
    assert_problem(refused, 406, "not-acceptable")


async def test_put_needs_if_match_and_refuses_stale(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann")
    _, (iri,) = await _collection_with(client, ann, 1)
    original = await client.get(iri, headers=ann.headers)
    etag = original.headers["etag"]
    changed = {
        **original.json(),
        "motivation": "commenting",
        "body": {"type": "TextualBody", "value": "Now a note"},
    }
    content = json.dumps(changed)
    headers = {**ann.headers, "Content-Type": ANNO}

    missing = await client.put(iri, content=content, headers=headers)
    assert_problem(missing, 428, "precondition-required")

    updated = await client.put(iri, content=content, headers={**headers, "If-Match": etag})
    assert updated.status_code == 200, updated.text
    assert updated.headers["etag"] != etag
    assert updated.headers["content-type"] == ANNO
    assert updated.json()["body"][0]["value"] == "Now a note"
    assert updated.json()["motivation"] == "commenting"
    assert updated.json()["created"] == original.json()["created"]

    stale = await client.put(
        iri,
        content=json.dumps({**changed, "body": {"type": "TextualBody", "value": "Lost"}}),
        headers={**headers, "If-Match": etag},
    )
    body = assert_problem(stale, 412, "precondition-failed")
    assert body
    assert stale.headers["etag"] == updated.headers["etag"]
    assert (await client.get(iri, headers=ann.headers)).json()["body"][0]["value"] == "Now a note"


async def test_put_cannot_change_the_id_or_send_invalid(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann")
    _, (iri,) = await _collection_with(client, ann, 1)
    got = await client.get(iri, headers=ann.headers)
    headers = {**ann.headers, "Content-Type": ANNO, "If-Match": got.headers["etag"]}
    moved = {**got.json(), "id": iri + "-other"}
    assert_problem(
        await client.put(iri, content=json.dumps(moved), headers=headers), 400, "bad-request"
    )
    invalid = {**got.json(), "motivation": "commenting"}
    assert_problem(
        await client.put(iri, content=json.dumps(invalid), headers=headers), 422, "validation-error"
    )


async def test_delete_answers_204_and_honours_if_match(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann")
    _, (iri,) = await _collection_with(client, ann, 1)
    stale = await client.delete(iri, headers={**ann.headers, "If-Match": '"old"'})
    assert_problem(stale, 412, "precondition-failed")
    etag = (await client.get(iri, headers=ann.headers)).headers["etag"]
    deleted = await client.delete(iri, headers={**ann.headers, "If-Match": etag})
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert_problem(await client.get(iri, headers=ann.headers), 404, "not-found")
    assert_problem(await client.delete(iri, headers=ann.headers), 404, "not-found")


async def test_an_annotation_is_only_found_under_its_own_container(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann")
    _, (iri,) = await _collection_with(client, ann, 1)
    other = await new_collection(client, ann, "Other")
    wrong = other["annotations_url"] + iri.rsplit("/", 1)[1]
    assert_problem(await client.get(wrong, headers=ann.headers), 404, "not-found")


async def test_unsupported_methods_answer_405(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann")
    collection, (iri,) = await _collection_with(client, ann, 1)
    assert_problem(await client.patch(iri, headers=ann.headers), 405, "method-not-allowed")
    assert_problem(
        await client.put(collection["annotations_url"], headers=ann.headers),
        405,
        "method-not-allowed",
    )


# --- The container: GET, HEAD, OPTIONS, Prefer, pages ---------------------------------------


async def test_container_default_embeds_the_first_page_of_descriptions(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann")
    collection, iris = await _collection_with(client, ann, 2)
    url = collection["annotations_url"]
    response = await client.get(url, headers=ann.headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == ANNO
    assert response.headers["allow"] == "GET, HEAD, OPTIONS, POST"
    assert f'<{LDP}BasicContainer>; rel="type"' in response.headers["link"]
    assert f'rel="{LDP}constrainedBy"' in response.headers["link"]
    assert "<http://www.w3.org/TR/annotation-protocol/>" in response.headers["link"]
    assert response.headers["accept-post"] == ANNO
    assert {"Accept", "Prefer"} <= {v.strip() for v in response.headers["vary"].split(",")}
    assert response.headers["content-location"] == f"{url}?iris=0"
    assert response.headers["etag"].startswith('"')
    assert "preference-applied" not in response.headers
    doc = response.json()
    assert doc["@context"] == [
        "http://www.w3.org/ns/anno.jsonld",
        "http://www.w3.org/ns/ldp.jsonld",
    ]
    assert doc["type"] == ["BasicContainer", "AnnotationCollection"]
    assert doc["id"] == f"{url}?iris=0"
    assert doc["total"] == 2
    assert doc["label"] == "Chips"
    assert doc["first"]["type"] == "AnnotationPage"
    assert [item["id"] for item in doc["first"]["items"]] == iris
    assert doc["last"] == f"{url}?iris=0&page=0"


@pytest.mark.parametrize(
    ("prefer", "embedded", "as_iris", "variant"),
    [
        (MINIMAL, False, False, 0),
        (IRIS, True, True, 1),
        (DESCRIPTIONS, True, False, 0),
        (
            f'return=representation;include="{LDP}PreferMinimalContainer '
            'http://www.w3.org/ns/oa#PreferContainedIRIs"',
            False,
            True,
            1,
        ),
        (
            'return=representation;omit="http://www.w3.org/ns/oa#PreferContainedDescriptions"',
            True,
            True,
            1,
        ),
    ],
)
async def test_container_honours_prefer(
    client: httpx.AsyncClient,
    make_account: AccountFactory,
    prefer: str,
    embedded: bool,
    as_iris: bool,
    variant: int,
) -> None:
    ann = await make_account("ann")
    collection, iris = await _collection_with(client, ann, 2)
    url = collection["annotations_url"]
    response = await client.get(url, headers={**ann.headers, "Prefer": prefer})
    assert response.status_code == 200
    assert response.headers["preference-applied"] == "return=representation"
    assert response.headers["content-location"] == f"{url}?iris={variant}"
    doc = response.json()
    assert doc["total"] == 2
    assert doc["last"] == f"{url}?iris={variant}&page=0"
    if not embedded:
        assert doc["first"] == f"{url}?iris={variant}&page=0"
        return
    items = doc["first"]["items"]
    assert items == iris if as_iris else [item["id"] for item in items] == iris


async def test_container_etags_differ_by_preference_and_change_with_content(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann")
    collection, _ = await _collection_with(client, ann, 1)
    url = collection["annotations_url"]
    plain = (await client.get(url, headers=ann.headers)).headers["etag"]
    minimal = (await client.get(url, headers={**ann.headers, "Prefer": MINIMAL})).headers["etag"]
    assert plain != minimal
    assert (await client.get(url, headers=ann.headers)).headers["etag"] == plain
    await post_annotation(client, ann, collection, annotation("Nvidia"))
    assert (await client.get(url, headers=ann.headers)).headers["etag"] != plain


async def test_container_pages(
    client: httpx.AsyncClient, make_account: AccountFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("gloss.collections.routes.PAGE_SIZE", 2)
    ann = await make_account("ann")
    collection, iris = await _collection_with(client, ann, 5)
    url = collection["annotations_url"]
    container = (await client.get(url, headers=ann.headers)).json()
    assert container["first"]["next"] == f"{url}?iris=0&page=1"
    assert "prev" not in container["first"]
    assert container["last"] == f"{url}?iris=0&page=2"

    middle = await client.get(f"{url}?iris=1&page=1", headers=ann.headers)
    assert middle.status_code == 200
    assert middle.headers["content-type"] == ANNO
    assert middle.headers["content-location"] == f"{url}?iris=1&page=1"
    assert middle.headers["etag"].startswith('"')
    page = middle.json()
    assert page["@context"] == "http://www.w3.org/ns/anno.jsonld"
    assert page["type"] == "AnnotationPage"
    assert page["id"] == f"{url}?iris=1&page=1"
    assert page["partOf"] == {"id": f"{url}?iris=1", "total": 5, "label": "Chips"}
    assert page["startIndex"] == 2
    assert page["prev"] == f"{url}?iris=1&page=0"
    assert page["next"] == f"{url}?iris=1&page=2"
    assert page["items"] == iris[2:4]

    last = (await client.get(f"{url}?iris=0&page=2", headers=ann.headers)).json()
    assert "next" not in last
    assert [item["id"] for item in last["items"]] == iris[4:]
    assert_problem(await client.get(f"{url}?page=3", headers=ann.headers), 404, "not-found")
    assert_problem(await client.get(f"{url}?page=-1", headers=ann.headers), 422, "validation-error")
    head = await client.head(f"{url}?iris=1&page=1", headers=ann.headers)
    assert head.content == b""
    assert head.headers["etag"] == middle.headers["etag"]


async def test_an_empty_container(client: httpx.AsyncClient, make_account: AccountFactory) -> None:
    ann = await make_account("ann")
    collection = await new_collection(client, ann)
    doc = (await client.get(collection["annotations_url"], headers=ann.headers)).json()
    assert doc["total"] == 0
    assert "first" not in doc
    assert "last" not in doc
    page = await client.get(collection["annotations_url"] + "?page=0", headers=ann.headers)
    assert page.json()["items"] == []


async def test_container_head_and_options(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann")
    collection, _ = await _collection_with(client, ann, 1)
    url = collection["annotations_url"]
    got = await client.get(url, headers=ann.headers)
    head = await client.head(url, headers=ann.headers)
    assert head.status_code == 200
    assert head.content == b""
    for name in ("etag", "allow", "link", "accept-post", "content-location", "content-length"):
        assert head.headers[name] == got.headers[name], name
    options = await client.options(url, headers=ann.headers)
    assert options.status_code == 200
    assert options.headers["allow"] == "GET, HEAD, OPTIONS, POST"
    assert options.headers["accept-post"] == ANNO
    assert "BasicContainer" in options.headers["link"]


async def test_public_url_makes_the_iris(
    make_account: AccountFactory, settings: Settings, app: FastAPI
) -> None:
    """Behind a proxy the IRIs use settings.public_url, not the request's host."""
    ann = await make_account("ann")
    public = settings.model_copy(update={"public_url": "https://gloss.example.org/"})
    app.state.settings = public
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://10.0.0.5") as client:
            collection = await new_collection(client, ann)
            created = await post_annotation(client, ann, collection, annotation())
    finally:
        app.state.settings = settings
    assert created.headers["location"].startswith(
        f"https://gloss.example.org/v1/collections/{collection['id']}/annotations/"
    )


async def test_cors_exposes_the_protocol_headers(
    make_account: AccountFactory, settings: Settings, app: FastAPI
) -> None:
    ann = await make_account("ann")
    origin = "chrome-extension://abcdef"
    configured = create_app(settings.model_copy(update={"cors_origins": [origin]}))
    configured.state.sessionmaker = app.state.sessionmaker
    transport = httpx.ASGITransport(app=configured)
    async with httpx.AsyncClient(transport=transport, base_url="http://gloss.test") as client:
        collection = await new_collection(client, ann)
        response = await client.post(
            collection["annotations_url"],
            content=json.dumps(annotation()),
            headers={**ann.headers, "Content-Type": ANNO, "Origin": origin},
        )
        preflight = await client.options(
            collection["annotations_url"],
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "PUT",
                "Access-Control-Request-Headers": "If-Match, Prefer, Content-Type",
            },
        )
    assert response.headers["access-control-allow-origin"] == origin
    exposed = {
        h.strip().lower() for h in response.headers["access-control-expose-headers"].split(",")
    }
    wanted = {"etag", "location", "link", "allow", "vary", "content-location", "accept-post"}
    assert wanted | {"preference-applied"} <= exposed
    assert preflight.status_code == 200
    assert "PUT" in preflight.headers["access-control-allow-methods"]


async def test_what_the_client_sent_is_kept_as_the_protocol_asks(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    """W3C Web Annotation Protocol: `canonical` is maintained without change (a MUST), an `id`
    sent on creation is kept as `via` (a SHOULD), and a plain-IRI target stays one."""
    ann = await make_account("ann")
    collection = await new_collection(client, ann)
    doc = {
        "@context": "http://www.w3.org/ns/anno.jsonld",
        "id": "http://client.example/annotations/1",
        "type": "Annotation",
        "canonical": "urn:uuid:dbfb1861-0ecf-41ad-be94-a584e5c4f1df",
        "body": {"type": "TextualBody", "value": "A page note.", "purpose": "commenting"},
        "target": "https://news.example/2026/11/chips",
    }
    created = await post_annotation(client, ann, collection, doc)
    assert created.status_code == 201, created.text
    stored = created.json()
    assert stored["id"] != doc["id"]
    assert stored["via"] == doc["id"]
    assert stored["canonical"] == doc["canonical"]
    assert stored["target"] == doc["target"]
    got = (await client.get(stored["id"], headers=ann.headers)).json()
    assert (got["target"], got["canonical"], got["via"]) == (
        doc["target"],
        doc["canonical"],
        doc["id"],
    )

    # PUT it back as read: nothing changes shape.
    etag = created.headers["etag"]
    same = await client.put(
        stored["id"],
        content=json.dumps(got),
        headers={**ann.headers, "Content-Type": ANNO, "If-Match": etag},
    )
    assert same.status_code == 200, same.text
    assert same.json()["target"] == doc["target"]
    # A PUT cannot change canonical; a target sent as an object comes back as one.
    changed = {**got, "canonical": "urn:uuid:00000000-0000-4000-8000-000000000000"}
    changed["target"] = annotation()["target"]
    put = await client.put(
        stored["id"],
        content=json.dumps(changed),
        headers={**ann.headers, "Content-Type": ANNO, "If-Match": same.headers["etag"]},
    )
    assert put.status_code == 200, put.text
    assert put.json()["canonical"] == doc["canonical"]
    assert put.json()["target"]["type"] == "SpecificResource"
    assert put.json()["via"] == doc["id"]


@pytest.mark.parametrize("bad", [{"canonical": "not an iri"}, {"canonical": 5}, {"id": "a b"}])
async def test_a_canonical_or_id_that_is_not_an_iri_is_refused(
    client: httpx.AsyncClient, make_account: AccountFactory, bad: dict[str, Any]
) -> None:
    ann = await make_account("ann")
    collection = await new_collection(client, ann)
    response = await post_annotation(client, ann, collection, {**annotation(), **bad})
    assert_problem(response, 422, "validation-error")
