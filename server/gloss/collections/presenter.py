"""Renders stored collections and annotations as W3C JSON-LD, as hypothesis/h's presenters do."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from gloss.collections.schemas import ANNO_CONTEXT, LDP_CONTEXT
from gloss.models import Annotation, Collection, User

ANNO_MEDIA_TYPE = 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'


def w3c_time(value: datetime) -> str:
    """xsd:dateTime in UTC with a Z; fractions of a second only when there are some, so an
    export imported again keeps its order."""
    spec = "microseconds" if value.microsecond else "seconds"
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec=spec) + "Z"


@dataclass(frozen=True)
class Iris:
    """Absolute IRIs of this server's resources, from settings.public_url or the request."""

    base: str

    def container(self, collection_id: uuid.UUID) -> str:
        return f"{self.base}/v1/collections/{collection_id}/annotations/"

    def annotation(self, collection_id: uuid.UUID, annotation_id: uuid.UUID) -> str:
        return f"{self.container(collection_id)}{annotation_id}"

    def container_variant(self, collection_id: uuid.UUID, iris: bool) -> str:
        return f"{self.container(collection_id)}?iris={int(iris)}"

    def page(self, collection_id: uuid.UUID, page: int, iris: bool) -> str:
        return f"{self.container_variant(collection_id, iris)}&page={page}"

    def collection(self, collection_id: uuid.UUID) -> str:
        return f"{self.base}/v1/collections/{collection_id}"

    def share_page(self, collection_id: uuid.UUID) -> str:
        return f"{self.base}/c/{collection_id}"

    def creator(self, user: User) -> str:
        # An acct: IRI, as hypothesis/h names its users: stable and needs no route of its own.
        host = urlsplit(self.base).hostname or "localhost"
        return f"acct:{user.name}@{host}"


def present_annotation(
    annotation: Annotation, creator: User | None, iris: Iris, *, context: bool = True
) -> dict[str, Any]:
    """One annotation as W3C JSON-LD: a note and tags as TextualBody bodies, the page and its
    selectors as a SpecificResource target, the colour as a Gloss extension property."""
    doc: dict[str, Any] = {}
    if context:
        doc["@context"] = ANNO_CONTEXT
    doc["id"] = iris.annotation(annotation.collection_id, annotation.id)
    doc["type"] = "Annotation"
    doc["motivation"] = annotation.motivation
    if creator is not None:
        agent: dict[str, Any] = {
            "id": iris.creator(creator),
            "type": "Person",
            "nickname": creator.name,
        }
        if creator.display_name:
            agent["name"] = creator.display_name
        doc["creator"] = agent
    doc["created"] = w3c_time(annotation.created_at)
    doc["modified"] = w3c_time(annotation.updated_at)
    bodies: list[dict[str, Any]] = []
    if annotation.text:
        bodies.append(
            {
                "type": "TextualBody",
                "value": annotation.text,
                "format": "text/plain",
                "purpose": "commenting",
            }
        )
    bodies.extend(
        {"type": "TextualBody", "value": tag, "purpose": "tagging"} for tag in annotation.tags
    )
    if bodies:
        doc["body"] = bodies
    if annotation.target_is_iri:
        doc["target"] = annotation.target_source  # sent as a plain IRI, given back as one
    else:
        target: dict[str, Any] = {"type": "SpecificResource", "source": annotation.target_source}
        if annotation.target_title:
            target["title"] = annotation.target_title
        if annotation.selectors:
            target["selector"] = [dict(s) for s in annotation.selectors]
        doc["target"] = target
    if annotation.canonical:
        doc["canonical"] = annotation.canonical
    if annotation.via:
        doc["via"] = annotation.via
    if annotation.color:
        doc["color"] = annotation.color
    return doc


@dataclass(frozen=True)
class PageWindow:
    """Which slice of a container one AnnotationPage shows."""

    index: int
    size: int
    total: int

    @property
    def last_index(self) -> int:
        return max(0, (self.total - 1) // self.size)

    @property
    def start(self) -> int:
        return self.index * self.size


def present_container(
    collection: Collection,
    iris: Iris,
    *,
    total: int,
    modified: datetime | None,
    page_size: int,
    contained_iris: bool,
    first_page: dict[str, Any] | None,
) -> dict[str, Any]:
    """The container as an LDP BasicContainer and W3C AnnotationCollection (protocol 4.2)."""
    cid = collection.id
    doc: dict[str, Any] = {
        "@context": [ANNO_CONTEXT, LDP_CONTEXT],
        "id": iris.container_variant(cid, contained_iris),
        "type": ["BasicContainer", "AnnotationCollection"],
        "label": collection.name,
        "total": total,
        "created": w3c_time(collection.created_at),
        "modified": w3c_time(max(filter(None, (collection.updated_at, modified)))),
    }
    if total:
        window = PageWindow(0, page_size, total)
        doc["first"] = first_page if first_page is not None else iris.page(cid, 0, contained_iris)
        doc["last"] = iris.page(cid, window.last_index, contained_iris)
    return doc


def present_page(
    collection: Collection,
    iris: Iris,
    window: PageWindow,
    items: list[Any],
    *,
    contained_iris: bool,
    embedded: bool = False,
) -> dict[str, Any]:
    """One AnnotationPage; `partOf` is embedded with the total, as the W3C suite expects."""
    cid = collection.id
    doc: dict[str, Any] = {}
    if not embedded:
        doc["@context"] = ANNO_CONTEXT
    doc["id"] = iris.page(cid, window.index, contained_iris)
    doc["type"] = "AnnotationPage"
    if not embedded:
        doc["partOf"] = {
            "id": iris.container_variant(cid, contained_iris),
            "total": window.total,
            "label": collection.name,
        }
    doc["startIndex"] = window.start
    if window.index < window.last_index:
        doc["next"] = iris.page(cid, window.index + 1, contained_iris)
    if window.index > 0:
        doc["prev"] = iris.page(cid, window.index - 1, contained_iris)
    doc["items"] = items
    return doc
