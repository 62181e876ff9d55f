"""Routes: collections, their W3C Web Annotation Protocol containers, export, import, sharing."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import HTMLResponse
from starlette.responses import Response

from gloss.auth.dependencies import CurrentPrincipal
from gloss.collections import protocol, service
from gloss.collections.dependencies import (
    AnnotationInCollection,
    CollectionForEdit,
    CollectionForManage,
    CollectionForRead,
    IrisDep,
    shared_collection,
)
from gloss.collections.presenter import ANNO_MEDIA_TYPE, Iris, present_annotation
from gloss.collections.repository import AnnotationRow
from gloss.collections.schemas import (
    AnnotationData,
    AnnotationInvalid,
    Collection,
    CollectionCreate,
    CollectionUpdate,
    ImportReport,
    ShareLink,
    ShareLinkCreated,
    parse_w3c_annotation,
)
from gloss.collections.service import CollectionAccess
from gloss.collections.share import SHARE_PAGE_HEADERS, render_invalid_link
from gloss.db import SessionDep
from gloss.errors import BadRequest, NotFound, Unauthorized, Unprocessable
from gloss.etags import check_if_match, make_etag
from gloss.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page

router = APIRouter(tags=["collections"])

# Annotations per AnnotationPage; fixed so page IRIs name the same slice for every client.
PAGE_SIZE = 50

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")]
Cursor = Annotated[str | None, Query(description="`next_cursor` of the previous page.")]


def _collection(access: CollectionAccess, total: int, iris: Iris) -> Collection:
    c = access.collection
    return Collection(
        id=c.id,
        name=c.name,
        team_id=c.team_id,
        private=c.team_id is None,
        owner_id=c.owner_id,
        role=access.role,
        can_manage=access.can_manage,
        total=total,
        annotations_url=iris.container(c.id),
        created_at=c.created_at,
        updated_at=c.updated_at,
    )


def _collection_etag(access: CollectionAccess) -> str:
    return make_etag(*service.collection_etag_parts(access.collection))


def _annotation_etag(row: AnnotationRow) -> str:
    return make_etag(*service.annotation_etag_parts(row[0]))


# --- Collections ----------------------------------------------------------------------------


@router.post(
    "/v1/collections",
    response_model=Collection,
    status_code=status.HTTP_201_CREATED,
    summary="Create a collection for one of my teams, or a private one",
)
async def create_collection(
    body: CollectionCreate,
    principal: CurrentPrincipal,
    session: SessionDep,
    iris: IrisDep,
    response: Response,
) -> Collection:
    access = await service.create_collection(session, principal, body.name, body.team_id)
    response.headers["ETag"] = _collection_etag(access)
    response.headers["Location"] = iris.collection(access.collection.id)
    return _collection(access, 0, iris)


@router.get(
    "/v1/collections",
    response_model=Page[Collection],
    summary="The collections I can see: my teams' and my private ones",
)
async def list_collections(
    principal: CurrentPrincipal,
    session: SessionDep,
    iris: IrisDep,
    team_id: uuid.UUID | None = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[Collection]:
    items, next_cursor = await service.list_collections(
        session, principal, team_id=team_id, cursor=cursor, limit=limit
    )
    return Page(items=[_collection(a, n, iris) for a, n in items], next_cursor=next_cursor)


@router.get("/v1/collections/{collection_id}", response_model=Collection, summary="A collection")
async def get_collection(
    access: CollectionForRead, session: SessionDep, iris: IrisDep, response: Response
) -> Collection:
    total = await service.count_annotations(session, access.collection)
    response.headers["ETag"] = _collection_etag(access)
    return _collection(access, total, iris)


@router.patch(
    "/v1/collections/{collection_id}",
    response_model=Collection,
    summary="Rename, or move to another of my teams (owners and its creator)",
)
async def update_collection(
    body: CollectionUpdate,
    request: Request,
    access: CollectionForManage,
    principal: CurrentPrincipal,
    session: SessionDep,
    iris: IrisDep,
    response: Response,
) -> Collection:
    check_if_match(request, _collection_etag(access))
    updated = await service.update_collection(session, principal, access, body)
    response.headers["ETag"] = _collection_etag(updated)
    return _collection(updated, await service.count_annotations(session, updated.collection), iris)


@router.delete(
    "/v1/collections/{collection_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a collection with its annotations (owners and its creator)",
)
async def delete_collection(
    request: Request, access: CollectionForManage, session: SessionDep
) -> None:
    check_if_match(request, _collection_etag(access))
    await service.delete_collection(session, access)


# --- The W3C container ----------------------------------------------------------------------


@router.head(
    "/v1/collections/{collection_id}/annotations/",
    include_in_schema=False,
    response_class=Response,
)
@router.get(
    "/v1/collections/{collection_id}/annotations/",
    summary="The W3C Annotation container (AnnotationCollection), or one page (also HEAD)",
    response_class=Response,
)
async def get_container(
    request: Request,
    access: CollectionForRead,
    session: SessionDep,
    iris: IrisDep,
    page: Annotated[int | None, Query(ge=0, le=10_000_000)] = None,
    contained_iris: Annotated[int | None, Query(alias="iris", ge=0, le=1)] = None,
) -> Response:
    media_type = protocol.negotiate(request)
    preference = protocol.parse_prefer(request)
    use_iris = preference.iris if contained_iris is None else bool(contained_iris)
    if page is not None:
        doc, etag = await service.page_document(
            session, access, iris, index=page, contained_iris=use_iris, page_size=PAGE_SIZE
        )
        headers = protocol.page_headers(etag, doc["id"])
        return protocol.jsonld_response(request, doc, media_type=media_type, headers=headers)
    doc, etag = await service.container_document(
        session,
        access,
        iris,
        minimal=preference.minimal,
        contained_iris=use_iris,
        page_size=PAGE_SIZE,
    )
    headers = protocol.container_headers(etag, doc["id"], applied=preference.stated)
    return protocol.jsonld_response(request, doc, media_type=media_type, headers=headers)


@router.options(
    "/v1/collections/{collection_id}/annotations/",
    summary="What the container allows",
    response_class=Response,
)
async def options_container(access: CollectionForRead, iris: IrisDep) -> Response:
    location = iris.container(access.collection.id)
    headers = protocol.container_headers(None, location, applied=False)
    # 200 with an empty body, as the W3C protocol test suite expects of OPTIONS.
    return Response(status_code=status.HTTP_200_OK, headers=headers)


def _annotation_data(document: Any) -> AnnotationData:
    try:
        return parse_w3c_annotation(document)
    except AnnotationInvalid as exc:
        errors = [{"loc": ["body", *e["loc"]], "msg": e["msg"]} for e in exc.errors]
        raise Unprocessable(str(exc), extra={"errors": errors}) from exc


@router.post(
    "/v1/collections/{collection_id}/annotations/",
    status_code=status.HTTP_201_CREATED,
    summary="Create an annotation (W3C JSON-LD); the server assigns its IRI",
    response_class=Response,
    openapi_extra={"requestBody": {"content": {ANNO_MEDIA_TYPE: {"schema": {"type": "object"}}}}},
)
async def create_annotation(
    request: Request,
    access: CollectionForEdit,
    principal: CurrentPrincipal,
    session: SessionDep,
    iris: IrisDep,
) -> Response:
    media_type = protocol.negotiate(request)
    data = _annotation_data(await protocol.read_json_body(request))
    row = await service.create_annotation(session, principal, access, data)
    doc = present_annotation(row[0], row[1], iris)
    headers = protocol.annotation_headers(_annotation_etag(row), doc["id"])
    headers["Location"] = doc["id"]
    return protocol.jsonld_response(
        request, doc, status=status.HTTP_201_CREATED, media_type=media_type, headers=headers
    )


# --- One annotation -------------------------------------------------------------------------

ANNOTATION_PATH = "/v1/collections/{collection_id}/annotations/{annotation_id}"


@router.head(ANNOTATION_PATH, include_in_schema=False, response_class=Response)
@router.get(ANNOTATION_PATH, summary="An annotation (also HEAD)", response_class=Response)
async def get_annotation(request: Request, row: AnnotationInCollection, iris: IrisDep) -> Response:
    media_type = protocol.negotiate(request)
    doc = present_annotation(row[0], row[1], iris)
    headers = protocol.annotation_headers(_annotation_etag(row), doc["id"])
    return protocol.jsonld_response(request, doc, media_type=media_type, headers=headers)


@router.options(
    ANNOTATION_PATH,
    summary="What an annotation allows",
    response_class=Response,
)
async def options_annotation(row: AnnotationInCollection, iris: IrisDep) -> Response:
    iri = iris.annotation(row[0].collection_id, row[0].id)
    headers = protocol.annotation_headers(_annotation_etag(row), iri)
    return Response(status_code=status.HTTP_200_OK, headers=headers)


@router.put(
    ANNOTATION_PATH,
    summary="Replace an annotation; needs If-Match with its ETag (412 when stale)",
    response_class=Response,
    openapi_extra={"requestBody": {"content": {ANNO_MEDIA_TYPE: {"schema": {"type": "object"}}}}},
)
async def replace_annotation(
    request: Request,
    access: CollectionForEdit,
    row: AnnotationInCollection,
    session: SessionDep,
    iris: IrisDep,
) -> Response:
    media_type = protocol.negotiate(request)
    check_if_match(request, _annotation_etag(row), required=True)
    iri = iris.annotation(row[0].collection_id, row[0].id)
    document = await protocol.read_json_body(request)
    if isinstance(document, dict) and document.get("id") not in (None, iri):
        raise BadRequest("The annotation's id is its IRI and cannot change; PUT it unchanged.")
    row = await service.replace_annotation(session, access, row, _annotation_data(document))
    doc = present_annotation(row[0], row[1], iris)
    headers = protocol.annotation_headers(_annotation_etag(row), iri)
    return protocol.jsonld_response(request, doc, media_type=media_type, headers=headers)


@router.delete(
    ANNOTATION_PATH,
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete an annotation (If-Match honoured when sent)",
    response_class=Response,
)
async def delete_annotation(
    request: Request, access: CollectionForEdit, row: AnnotationInCollection, session: SessionDep
) -> Response:
    check_if_match(request, _annotation_etag(row))
    await service.delete_annotation(session, access, row)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- Finding highlights on a page -----------------------------------------------------------


@router.get(
    "/v1/annotations",
    summary="My visible annotations on a page, across all my collections",
    response_model=Page[dict[str, Any]],
)
async def search_annotations(
    principal: CurrentPrincipal,
    session: SessionDep,
    iris: IrisDep,
    url: Annotated[str, Query(min_length=1, max_length=4096, description="The page's URL.")],
    tag: Annotated[str | None, Query(max_length=100)] = None,
    q: Annotated[str | None, Query(max_length=500, description="Text in quote or note.")] = None,
    user: Annotated[str | None, Query(max_length=64, description="Creator's name.")] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[dict[str, Any]]:
    rows, next_cursor = await service.search_annotations(
        session, principal, url=url, tag=tag, q=q, user=user, cursor=cursor, limit=limit
    )
    return Page(items=[present_annotation(a, u, iris) for a, u in rows], next_cursor=next_cursor)


# --- Export and import ----------------------------------------------------------------------


@router.get(
    "/v1/collections/{collection_id}/export",
    summary="Export as W3C JSON-LD (the container and all its pages), Markdown or CSV",
    response_class=Response,
)
async def export_collection(
    access: CollectionForRead,
    session: SessionDep,
    iris: IrisDep,
    format: Literal["jsonld", "markdown", "csv"] = "jsonld",
) -> Response:
    text, media_type = await service.export_collection(session, access, iris, format, PAGE_SIZE)
    extension = {"jsonld": "jsonld", "markdown": "md", "csv": "csv"}[format]
    disposition = f'attachment; filename="collection-{access.collection.id}.{extension}"'
    return Response(text, media_type=media_type, headers={"Content-Disposition": disposition})


@router.post(
    "/v1/collections/{collection_id}/import",
    response_model=ImportReport,
    summary="Import W3C JSON-LD or Hypothesis API JSON; all or nothing",
)
async def import_annotations(
    request: Request,
    access: CollectionForEdit,
    principal: CurrentPrincipal,
    session: SessionDep,
    iris: IrisDep,
) -> ImportReport:
    document = await protocol.read_json_body(request)
    return await service.import_annotations(session, principal, access, document, iris)


# --- Sharing --------------------------------------------------------------------------------


@router.post(
    "/v1/collections/{collection_id}/share-links",
    response_model=ShareLinkCreated,
    status_code=status.HTTP_201_CREATED,
    summary="Create a read-only share link; its URL is shown once",
)
async def create_share_link(
    access: CollectionForManage, principal: CurrentPrincipal, session: SessionDep, iris: IrisDep
) -> ShareLinkCreated:
    link, secret = await service.create_share_link(session, principal, access)
    url = f"{iris.share_page(access.collection.id)}?key={secret}"
    return ShareLinkCreated(**ShareLink.model_validate(link).model_dump(), url=url)


@router.get(
    "/v1/collections/{collection_id}/share-links",
    response_model=list[ShareLink],
    summary="The collection's share links (never their keys)",
)
async def list_share_links(access: CollectionForManage, session: SessionDep) -> list[ShareLink]:
    return [ShareLink.model_validate(s) for s in await service.list_share_links(session, access)]


@router.delete(
    "/v1/collections/{collection_id}/share-links/{link_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Revoke a share link",
)
async def revoke_share_link(
    link_id: uuid.UUID, access: CollectionForManage, session: SessionDep
) -> None:
    await service.revoke_share_link(session, access, link_id)


@router.get(
    "/c/{collection_id}",
    response_class=HTMLResponse,
    summary="The collection's read-only web page (token or share link)",
    tags=["share page"],
)
async def share_page(
    collection_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    iris: IrisDep,
    key: str | None = None,
) -> Response:
    try:
        collection = await shared_collection(collection_id, request, session, key)
    except (Unauthorized, NotFound) as exc:
        if request.headers.get("authorization"):
            raise  # an API client: the problem document
        # A person following a link: a page saying so, whatever the reason (no key, a wrong or
        # revoked one, no such collection), so the page reveals nothing more than the problem.
        return HTMLResponse(
            render_invalid_link(), status_code=exc.status, headers=SHARE_PAGE_HEADERS
        )
    html = await service.share_page(session, collection, iris)
    return HTMLResponse(html, headers=SHARE_PAGE_HEADERS)
