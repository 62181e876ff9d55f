"""W3C Web Annotation Protocol over HTTP: media types, Prefer and Accept, and response headers."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from starlette.responses import Response

from gloss import safe_json
from gloss.collections.presenter import ANNO_MEDIA_TYPE
from gloss.errors import BadRequest, NotAcceptable, UnsupportedMediaType

LDP = "http://www.w3.org/ns/ldp#"
OA = "http://www.w3.org/ns/oa#"
PREFER_MINIMAL = LDP + "PreferMinimalContainer"
PREFER_IRIS = OA + "PreferContainedIRIs"
PREFER_DESCRIPTIONS = OA + "PreferContainedDescriptions"

CONTAINER_ALLOW = "GET, HEAD, OPTIONS, POST"
ANNOTATION_ALLOW = "GET, HEAD, OPTIONS, PUT, DELETE"
CONSTRAINED_BY = (
    '<http://www.w3.org/TR/annotation-protocol/>; rel="http://www.w3.org/ns/ldp#constrainedBy"'
)
CONTAINER_LINK = f'<{LDP}BasicContainer>; rel="type", {CONSTRAINED_BY}'
ANNOTATION_LINK = f'<{LDP}Resource>; rel="type", <{OA}Annotation>; rel="type"'
JSON_TYPES = ("application/ld+json", "application/json")


class MalformedJson(BadRequest):
    slug, title = "malformed-json", "Malformed JSON"


@dataclass(frozen=True)
class ContainerPreference:
    """What the client asked the container to include (protocol 4.2.1)."""

    minimal: bool
    iris: bool
    stated: bool  # the client sent a preference we honoured (Preference-Applied)


def parse_prefer(request: Request) -> ContainerPreference:
    include: set[str] = set()
    omit: set[str] = set()
    minimal_return = False
    for header in request.headers.getlist("prefer"):
        for part in header.split(";"):
            name, _, value = part.strip().partition("=")
            value = value.strip().strip('"')
            name = name.strip().lower()
            if name == "return" and value == "minimal":
                minimal_return = True
            elif name == "include":
                include.update(value.split())
            elif name == "omit":
                omit.update(value.split())
    iris = PREFER_IRIS in include or (
        PREFER_DESCRIPTIONS in omit and PREFER_DESCRIPTIONS not in include
    )
    minimal = PREFER_MINIMAL in include or minimal_return
    stated = bool(include or omit or minimal_return)
    return ContainerPreference(minimal=minimal, iris=iris, stated=stated)


def _media_ranges(header: str) -> list[tuple[str, float]]:
    ranges = []
    for item in header.split(","):
        media, *params = (p.strip() for p in item.split(";"))
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if media:
            ranges.append((media.lower(), q))
    return ranges


def negotiate(request: Request) -> str:
    """JSON-LD with the anno profile, or plain JSON for a client that only takes that."""
    header = request.headers.get("accept")
    if not header:
        return ANNO_MEDIA_TYPE
    accepted = {media for media, q in _media_ranges(header) if q > 0}
    if accepted & {"*/*", "application/*", "application/ld+json"}:
        return ANNO_MEDIA_TYPE
    if "application/json" in accepted:
        return "application/json"
    raise NotAcceptable(f"Annotations are served as {ANNO_MEDIA_TYPE} (or application/json).")


async def read_json_body(request: Request) -> Any:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in JSON_TYPES:
        raise UnsupportedMediaType(f"Send the annotation as {ANNO_MEDIA_TYPE}.")
    try:
        return safe_json.loads(await request.body())
    except safe_json.JsonRefused as exc:
        raise MalformedJson(str(exc)) from exc


def jsonld_response(
    request: Request,
    body: Any,
    *,
    status: int = 200,
    media_type: str = ANNO_MEDIA_TYPE,
    headers: dict[str, str],
) -> Response:
    content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    headers = {**headers, "Content-Length": str(len(content))}
    if request.method == "HEAD":
        return Response(status_code=status, media_type=media_type, headers=headers)
    return Response(content, status_code=status, media_type=media_type, headers=headers)


def annotation_headers(etag: str, iri: str) -> dict[str, str]:
    return {
        "ETag": etag,
        "Allow": ANNOTATION_ALLOW,
        "Link": ANNOTATION_LINK,
        "Vary": "Accept",
        "Content-Location": iri,
    }


def container_headers(etag: str | None, location: str, applied: bool) -> dict[str, str]:
    headers = {
        "Allow": CONTAINER_ALLOW,
        "Link": CONTAINER_LINK,
        "Vary": "Accept, Prefer",
        "Accept-Post": ANNO_MEDIA_TYPE,
        "Content-Location": location,
    }
    if etag is not None:
        headers["ETag"] = etag
    if applied:
        headers["Preference-Applied"] = "return=representation"
    return headers


def page_headers(etag: str, location: str) -> dict[str, str]:
    return {
        "ETag": etag,
        "Allow": "GET, HEAD, OPTIONS",
        "Link": CONSTRAINED_BY,
        "Vary": "Accept",
        "Content-Location": location,
    }
