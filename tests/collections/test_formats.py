"""Export as W3C JSON-LD, Markdown and CSV; import W3C and Hypothesis JSON, all or nothing."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import httpx

from tests.api.test_errors import assert_problem
from tests.collections.conftest import annotation, new_collection, post_annotation
from tests.conftest import Account, AccountFactory

# The shape the Hypothesis API's /api/search returns (trimmed to the fields that matter).
HYPOTHESIS_EXPORT: dict[str, Any] = {
    "total": 4,
    "rows": [
        {
            "id": "Xq0bVk3FEe-yBw8AAAAA",
            "created": "2025-03-04T10:11:12.345678+00:00",
            "updated": "2025-03-05T08:00:00.000000+00:00",
            "user": "acct:ann@hypothes.is",
            "uri": "https://news.example/2026/11/chips",
            "text": "Demand is the story here.",
            "tags": ["ai", "Chips"],
            "group": "__world__",
            "permissions": {"read": ["group:__world__"]},
            "target": [
                {
                    "source": "https://news.example/2026/11/chips",
                    "selector": [
                        {
                            "type": "RangeSelector",
                            "endOffset": 48,
                            "startOffset": 28,
                            "endContainer": "/main[1]/p[1]",
                            "startContainer": "/main[1]/p[1]",
                        },
                        {"type": "TextPositionSelector", "start": 28, "end": 48},
                        {
                            "type": "TextQuoteSelector",
                            "exact": "demand for its chips",
                            "prefix": "Nvidia said on Tuesday that ",
                            "suffix": " remained strong across regions.",
                        },
                    ],
                }
            ],
            "document": {"title": ["Chips"]},
            "links": {"html": "https://hypothes.is/a/Xq0bVk3FEe-yBw8AAAAA"},
            "references": [],
        },
        {
            "id": "reply1",
            "created": "2025-03-04T11:00:00+00:00",
            "updated": "2025-03-04T11:00:00+00:00",
            "user": "acct:bob@hypothes.is",
            "uri": "https://news.example/2026/11/chips",
            "text": "Agreed.",
            "tags": [],
            "target": [{"source": "https://news.example/2026/11/chips"}],
            "references": ["Xq0bVk3FEe-yBw8AAAAA"],
        },
        {
            "id": "highlight1",
            "created": "2025-03-06T09:00:00+00:00",
            "updated": "2025-03-06T09:00:00+00:00",
            "user": "acct:ann@hypothes.is",
            "uri": "https://news.example/b",
            "text": "",
            "tags": [],
            "target": [
                {
                    "source": "https://news.example/b",
                    "selector": [{"type": "TextQuoteSelector", "exact": "Tuesday"}],
                }
            ],
        },
        {
            "id": "pagenote1",
            "created": "2025-03-07T09:00:00+00:00",
            "updated": "2025-03-07T09:00:00+00:00",
            "user": "acct:ann@hypothes.is",
            "uri": "https://news.example/c",
            "text": "Read this later.",
            "tags": ["todo"],
            "target": [{"source": "https://news.example/c"}],
        },
    ],
}


async def _export(
    client: httpx.AsyncClient, account: Account, cid: str, fmt: str
) -> httpx.Response:
    response = await client.get(
        f"/v1/collections/{cid}/export?format={fmt}", headers=account.headers
    )
    assert response.status_code == 200, response.text
    return response


async def _import(
    client: httpx.AsyncClient, account: Account, cid: str, document: Any
) -> httpx.Response:
    return await client.post(
        f"/v1/collections/{cid}/import", json=document, headers=account.headers
    )


def _annotations(exported: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [item for node in exported for item in node.get("items", [])]


def _portable(doc: dict[str, Any]) -> dict[str, Any]:
    """What must survive a round trip: everything but the server-assigned IRI."""
    return {k: v for k, v in doc.items() if k != "id"}


async def test_hypothesis_export_round_trips(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann")
    collection = await new_collection(client, ann)
    response = await _import(client, ann, collection["id"], HYPOTHESIS_EXPORT)
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["format"] == "hypothesis"
    assert report["imported"] == 3
    assert report["skipped"] == [{"index": 1, "reason": "a reply to another annotation"}]
    assert len(report["warnings"]) == 1
    assert "RangeSelector" in report["warnings"][0]
    assert all(iri.startswith(collection["annotations_url"]) for iri in report["ids"])

    exported = (await _export(client, ann, collection["id"], "jsonld")).json()
    first, highlight, page_note = _annotations(exported)
    assert first["motivation"] == "commenting"
    assert first["created"] == "2025-03-04T10:11:12.345678Z"
    assert first["modified"] == "2025-03-05T08:00:00Z"
    assert first["body"] == [
        {
            "type": "TextualBody",
            "value": "Demand is the story here.",
            "format": "text/plain",
            "purpose": "commenting",
        },
        {"type": "TextualBody", "value": "ai", "purpose": "tagging"},
        {"type": "TextualBody", "value": "Chips", "purpose": "tagging"},
    ]
    assert first["target"] == {
        "type": "SpecificResource",
        "source": "https://news.example/2026/11/chips",
        "title": "Chips",  # the row's document.title
        "selector": [
            {"type": "TextPositionSelector", "start": 28, "end": 48},
            {
                "type": "TextQuoteSelector",
                "exact": "demand for its chips",
                "prefix": "Nvidia said on Tuesday that ",
                "suffix": " remained strong across regions.",
            },
        ],
    }
    assert highlight["motivation"] == "highlighting"
    assert "body" not in highlight
    assert page_note["target"] == {"type": "SpecificResource", "source": "https://news.example/c"}
    assert page_note["body"][0]["value"] == "Read this later."
    # And the highlights are found again on their page.
    found = await client.get(
        "/v1/annotations", params={"url": "https://news.example/2026/11/chips"}, headers=ann.headers
    )
    assert [item["id"] for item in found.json()["items"]] == [first["id"]]


async def test_w3c_export_round_trips(
    client: httpx.AsyncClient, make_account: AccountFactory, monkeypatch: Any
) -> None:
    monkeypatch.setattr("gloss.collections.routes.PAGE_SIZE", 2)
    ann = await make_account("ann")
    source = await new_collection(client, ann, "Source")
    for doc in (
        annotation("Nvidia", note="Who?\nLine two", tags=("ai",), color="green"),
        annotation("Tuesday"),
        annotation("chips", source="https://news.example/ü b", tags=("x", "y")),
    ):
        assert (await post_annotation(client, ann, source, doc)).status_code == 201
    first_export = (await _export(client, ann, source["id"], "jsonld")).json()
    assert len(first_export) == 3  # the container and its two pages

    target = await new_collection(client, ann, "Target")
    report = (await _import(client, ann, target["id"], first_export)).json()
    assert report == {
        "format": "w3c",
        "imported": 3,
        "skipped": [],
        "warnings": [],
        "ids": report["ids"],
    }
    second_export = (await _export(client, ann, target["id"], "jsonld")).json()
    assert [_portable(d) for d in _annotations(second_export)] == [
        _portable(d) for d in _annotations(first_export)
    ]


async def test_import_reads_single_annotations_pages_and_embedded_collections(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann")
    collection = await new_collection(client, ann)
    cid = collection["id"]
    one = annotation("Nvidia")
    page = {
        "@context": "http://www.w3.org/ns/anno.jsonld",
        "type": "AnnotationPage",
        "items": [one],
    }
    embedded = {"type": "AnnotationCollection", "first": page}
    for document in (one, page, embedded, {"@graph": [one]}, [one, one]):
        response = await _import(client, ann, cid, document)
        assert response.status_code == 200, (document, response.text)
    listed = await client.get(f"/v1/collections/{cid}", headers=ann.headers)
    assert listed.json()["total"] == 6


async def test_import_is_all_or_nothing(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann")
    collection = await new_collection(client, ann)
    bad = annotation("Nvidia")
    bad["target"]["selector"][1] = {"type": "TextPositionSelector", "start": 5, "end": 1}
    document = [annotation("Tuesday"), bad, "http://example.org/anno/by-iri"]
    response = await _import(client, ann, collection["id"], document)
    body = assert_problem(response, 422, "validation-error")
    assert "nothing was imported" in str(body["detail"])
    assert [e["index"] for e in body["errors"]] == [1, 2]  # type: ignore[index]
    rows = dict(HYPOTHESIS_EXPORT)
    rows["rows"] = [*HYPOTHESIS_EXPORT["rows"], {"uri": "not a url", "target": []}]
    assert_problem(await _import(client, ann, collection["id"], rows), 422, "validation-error")
    assert_problem(await _import(client, ann, collection["id"], {}), 422, "validation-error")
    total = (await client.get(f"/v1/collections/{collection['id']}", headers=ann.headers)).json()
    assert total["total"] == 0


async def test_markdown_groups_by_page_with_links_and_notes(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann")
    collection = await new_collection(client, ann, "Chips *weekly*")
    await post_annotation(
        client, ann, collection, annotation("Nvidia", note="Who [said] it?", tags=("ai",))
    )
    await post_annotation(
        client, ann, collection, annotation("Tuesday", source="https://news.example/b")
    )
    await post_annotation(client, ann, collection, annotation("chips"))
    response = await _export(client, ann, collection["id"], "markdown")
    assert response.headers["content-type"].startswith("text/markdown")
    assert "attachment" in response.headers["content-disposition"]
    text = response.text
    assert text.startswith("# Chips \\*weekly\\*\n")
    sections = text.split("\n## ")[1:]
    assert len(sections) == 2
    assert sections[0].startswith(
        "[https://news.example/2026/11/chips?utm\\_source=x]"
        "(<https://news.example/2026/11/chips?utm_source=x>)"
    )
    assert "> Nvidia" in sections[0]
    assert "> chips" in sections[0]
    assert "Who \\[said\\] it?" in sections[0]
    assert "tags: ai" in sections[0]
    assert sections[1].startswith("[https://news.example/b](<https://news.example/b>)")


async def test_csv_has_one_row_per_annotation_and_defuses_formulas(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann")
    collection = await new_collection(client, ann)
    await post_annotation(
        client, ann, collection, annotation("Nvidia", note='=HYPERLINK("x")', tags=("a", "b"))
    )
    response = await _export(client, ann, collection["id"], "csv")
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 1
    row = rows[0]
    assert row["quote"] == "Nvidia"
    assert row["start"] == "0"
    assert row["end"] == "6"
    assert row["tags"] == "a|b"
    assert row["note"] == '\'=HYPERLINK("x")'
    assert row["creator"] == "ann"
    assert row["url"] == "https://news.example/2026/11/chips?utm_source=x"


async def test_unknown_export_format_is_422(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann")
    collection = await new_collection(client, ann)
    response = await client.get(
        f"/v1/collections/{collection['id']}/export?format=pdf", headers=ann.headers
    )
    assert_problem(response, 422, "validation-error")
    assert (
        json.loads((await _export(client, ann, collection["id"], "jsonld")).text)[0]["total"] == 0
    )
