"""Helpers for the collection tests: a W3C annotation to post, and a collection to post it to."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.conftest import Account

ANNO = 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'
PAGE = "https://news.example/2026/11/chips?utm_source=x"
TEXT = "Nvidia said on Tuesday that demand for its chips remained strong across regions."


def annotation(
    exact: str = "demand for its chips",
    *,
    source: str = PAGE,
    note: str | None = None,
    tags: tuple[str, ...] = (),
    color: str | None = None,
    start: int | None = None,
) -> dict[str, Any]:
    """A W3C annotation as the extension posts it: quote with 32 characters of context, and the
    position in UTF-16 units."""
    index = TEXT.find(exact)
    position = start if start is not None else max(index, 0)
    body: list[dict[str, Any]] = []
    if note is not None:
        body.append({"type": "TextualBody", "value": note, "purpose": "commenting"})
    body += [{"type": "TextualBody", "value": t, "purpose": "tagging"} for t in tags]
    doc: dict[str, Any] = {
        "@context": "http://www.w3.org/ns/anno.jsonld",
        "type": "Annotation",
        "motivation": "commenting" if note else "highlighting",
        "target": {
            "source": source,
            "selector": [
                {
                    "type": "TextQuoteSelector",
                    "exact": exact,
                    "prefix": TEXT[max(index - 32, 0) : max(index, 0)],
                    "suffix": TEXT[index + len(exact) : index + len(exact) + 32],
                },
                {"type": "TextPositionSelector", "start": position, "end": position + len(exact)},
            ],
        },
    }
    if body:
        doc["body"] = body
    if color:
        doc["color"] = color
    return doc


async def new_collection(
    client: httpx.AsyncClient, account: Account, name: str = "Chips", *, private: bool = False
) -> dict[str, Any]:
    team_id = None if private or account.team is None else str(account.team.id)
    response = await client.post(
        "/v1/collections", json={"name": name, "team_id": team_id}, headers=account.headers
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def post_annotation(
    client: httpx.AsyncClient, account: Account, collection: dict[str, Any], doc: dict[str, Any]
) -> httpx.Response:
    return await client.post(
        collection["annotations_url"],
        content=json.dumps(doc),
        headers={**account.headers, "Content-Type": ANNO},
    )
