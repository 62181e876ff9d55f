"""Routes: glossaries, their terms, term history, import and export."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from starlette.datastructures import UploadFile

from gloss.auth.dependencies import CurrentPrincipal
from gloss.db import SessionDep
from gloss.errors import UnsupportedMediaType
from gloss.etags import check_if_match
from gloss.glossaries import formats, history, schemas, service, transfer
from gloss.models import Glossary, Role, Term
from gloss.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from gloss.settings import SettingsDep

router = APIRouter(prefix="/v1/glossaries", tags=["glossaries"])

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
Cursor = Annotated[str | None, Query(max_length=1000)]


def _glossary_loader(needed: Role):  # type: ignore[no-untyped-def]  # returns a dependency
    async def load(
        glossary_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep
    ) -> Glossary:
        return await service.load_glossary(session, principal, glossary_id, needed)

    return load


GlossaryForRead = Annotated[Glossary, Depends(_glossary_loader(Role.viewer))]
GlossaryForEdit = Annotated[Glossary, Depends(_glossary_loader(Role.editor))]
GlossaryForOwner = Annotated[Glossary, Depends(_glossary_loader(Role.owner))]


async def _term_for_read(
    term_id: uuid.UUID, glossary: GlossaryForRead, session: SessionDep
) -> Term:
    return await service.load_term(session, glossary, term_id)


async def _term_for_edit(
    term_id: uuid.UUID, glossary: GlossaryForEdit, session: SessionDep
) -> Term:
    return await service.load_term(session, glossary, term_id)


TermForRead = Annotated[Term, Depends(_term_for_read)]
TermForEdit = Annotated[Term, Depends(_term_for_edit)]


def _names_a_version(request: Request) -> bool:
    """If-Match with an ETag (not absent, not `*`): the write must apply to that version."""
    return request.headers.get("if-match", "*").strip() != "*"


def _glossary(found: service.GlossaryView) -> schemas.Glossary:
    g = found.glossary
    return schemas.Glossary(
        id=g.id,
        team_id=g.team_id,
        name=g.name,
        description=g.description,
        version=g.version,
        term_count=found.term_count,
        created_at=g.created_at,
        updated_at=g.updated_at,
    )


# --- glossaries ------------------------------------------------------------------------------


@router.get("", response_model=Page[schemas.Glossary], summary="Glossaries of my teams")
async def list_glossaries(
    principal: CurrentPrincipal,
    session: SessionDep,
    team_id: uuid.UUID | None = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[schemas.Glossary]:
    found, next_cursor = await service.list_glossaries(session, principal, team_id, cursor, limit)
    return Page(items=[_glossary(g) for g in found], next_cursor=next_cursor)


@router.post(
    "",
    response_model=schemas.Glossary,
    status_code=status.HTTP_201_CREATED,
    summary="Create a glossary (editors and owners)",
)
async def create_glossary(
    body: schemas.GlossaryCreate,
    principal: CurrentPrincipal,
    session: SessionDep,
    response: Response,
) -> schemas.Glossary:
    created = await service.create_glossary(session, principal, body)
    response.headers["ETag"] = service.glossary_etag(created.glossary)
    response.headers["Location"] = f"/v1/glossaries/{created.glossary.id}"
    return _glossary(created)


@router.get("/{glossary_id}", response_model=schemas.Glossary, summary="One glossary")
async def get_glossary(
    glossary: GlossaryForRead, session: SessionDep, response: Response
) -> schemas.Glossary:
    response.headers["ETag"] = service.glossary_etag(glossary)
    return _glossary(await service.view(session, glossary))


@router.patch(
    "/{glossary_id}",
    response_model=schemas.Glossary,
    summary="Rename or describe a glossary (If-Match: its ETag)",
)
async def update_glossary(
    body: schemas.GlossaryUpdate,
    glossary: GlossaryForEdit,
    session: SessionDep,
    request: Request,
    response: Response,
) -> schemas.Glossary:
    check_if_match(request, service.glossary_etag(glossary))
    updated = await service.update_glossary(session, glossary, body)
    response.headers["ETag"] = service.glossary_etag(updated.glossary)
    return _glossary(updated)


@router.delete(
    "/{glossary_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a glossary and its terms (owners)",
)
async def delete_glossary(
    glossary: GlossaryForOwner, session: SessionDep, request: Request
) -> None:
    check_if_match(request, service.glossary_etag(glossary))
    await service.delete_glossary(session, glossary)


# --- terms -----------------------------------------------------------------------------------


@router.get(
    "/{glossary_id}/terms",
    response_model=Page[schemas.Term],
    summary="Terms in alphabetical order; `q` searches terms and aliases",
)
async def list_terms(
    glossary: GlossaryForRead,
    session: SessionDep,
    q: Annotated[str | None, Query(max_length=schemas.MAX_TERM_CHARS)] = None,
    match: schemas.SearchMatch = "prefix",
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[schemas.Term]:
    terms, next_cursor = await service.list_terms(
        session, glossary, q=q, match=match, cursor=cursor, limit=limit
    )
    return Page(items=[schemas.Term.model_validate(t) for t in terms], next_cursor=next_cursor)


@router.post(
    "/{glossary_id}/terms",
    response_model=schemas.Term,
    status_code=status.HTTP_201_CREATED,
    summary="Add a term (editors and owners); 409 when a form is another term's",
)
async def create_term(
    body: schemas.TermCreate,
    glossary: GlossaryForEdit,
    principal: CurrentPrincipal,
    session: SessionDep,
    response: Response,
    settings: SettingsDep,
) -> schemas.Term:
    term = await service.create_term(
        session, principal, glossary, body, team_limit=settings.max_terms_per_team
    )
    response.headers["ETag"] = service.term_etag(term)
    response.headers["Location"] = f"/v1/glossaries/{glossary.id}/terms/{term.id}"
    return schemas.Term.model_validate(term)


@router.get("/{glossary_id}/terms/{term_id}", response_model=schemas.Term, summary="One term")
async def get_term(term: TermForRead, response: Response) -> schemas.Term:
    response.headers["ETag"] = service.term_etag(term)
    return schemas.Term.model_validate(term)


@router.patch(
    "/{glossary_id}/terms/{term_id}",
    response_model=schemas.Term,
    summary="Change a term (If-Match: its ETag; 412 when stale, nothing changed)",
)
async def update_term(
    body: schemas.TermUpdate,
    glossary: GlossaryForEdit,
    term: TermForEdit,
    principal: CurrentPrincipal,
    session: SessionDep,
    request: Request,
    response: Response,
) -> schemas.Term:
    check_if_match(request, service.term_etag(term))
    updated = await service.update_term(
        session, principal, glossary, term, body, conditional=_names_a_version(request)
    )
    response.headers["ETag"] = service.term_etag(updated)
    return schemas.Term.model_validate(updated)


@router.delete(
    "/{glossary_id}/terms/{term_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a term (editors and owners); its history can restore it",
)
async def delete_term(
    glossary: GlossaryForEdit,
    term: TermForEdit,
    principal: CurrentPrincipal,
    session: SessionDep,
    request: Request,
) -> None:
    check_if_match(request, service.term_etag(term))
    await service.delete_term(
        session, principal, glossary, term, conditional=_names_a_version(request)
    )


@router.get(
    "/{glossary_id}/terms/{term_id}/history",
    response_model=Page[schemas.TermRevision],
    summary="Every change to a term, newest first (also of a deleted term)",
)
async def term_history(
    term_id: uuid.UUID,
    glossary: GlossaryForRead,
    session: SessionDep,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[schemas.TermRevision]:
    items, next_cursor = await history.term_history(session, glossary, term_id, cursor, limit)
    return Page(items=items, next_cursor=next_cursor)


@router.post(
    "/{glossary_id}/terms/{term_id}/restore",
    response_model=schemas.Term,
    status_code=status.HTTP_201_CREATED,
    summary="Bring back a deleted term from its history (editors and owners)",
)
async def restore_term(
    term_id: uuid.UUID,
    glossary: GlossaryForEdit,
    principal: CurrentPrincipal,
    session: SessionDep,
    response: Response,
    settings: SettingsDep,
    body: schemas.TermRestore | None = None,
) -> schemas.Term:
    revision_id = body.revision_id if body is not None else None
    term = await service.restore_term(
        session, principal, glossary, term_id, revision_id, team_limit=settings.max_terms_per_team
    )
    response.headers["ETag"] = service.term_etag(term)
    response.headers["Location"] = f"/v1/glossaries/{glossary.id}/terms/{term.id}"
    return schemas.Term.model_validate(term)


# --- files -----------------------------------------------------------------------------------


async def _upload(
    request: Request, fmt: schemas.ImportFormat | None
) -> tuple[bytes, schemas.ImportFormat]:
    """The file from the raw body (its Content-Type says the format) or from a multipart form
    field `file` (its filename or part type says it); `?format=` overrides both."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        form = await request.form()
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise UnsupportedMediaType("Send the file in a multipart field named 'file'.")
        data = await upload.read()
        fmt = (
            fmt
            or formats.format_for_filename(upload.filename)
            or formats.format_for_media_type(upload.content_type)
        )
    else:
        data = await request.body()
        fmt = fmt or formats.format_for_media_type(content_type)
    if fmt is None:
        raise UnsupportedMediaType(
            "Send the file as text/csv, application/json or application/x-tbx+xml "
            "(or say ?format=csv|json|tbx)."
        )
    return data, fmt


_IMPORT_BODY = {
    "requestBody": {
        "required": True,
        "description": "The file, with its media type (or a multipart field `file`).",
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
            "application/x-tbx+xml": {"schema": {"type": "string"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            },
        },
    }
}


@router.post(
    "/{glossary_id}/import",
    response_model=schemas.ImportResult,
    summary="Import a CSV, JSON or TBX file: all or nothing; mode=upsert updates by term",
    openapi_extra=_IMPORT_BODY,
)
async def import_terms(
    glossary: GlossaryForEdit,
    principal: CurrentPrincipal,
    session: SessionDep,
    request: Request,
    settings: SettingsDep,
    format: schemas.ImportFormat | None = None,  # noqa: A002  (the query parameter's name)
    mode: schemas.ImportMode = "create",
    dry_run: bool = False,
) -> schemas.ImportResult:
    data, fmt = await _upload(request, format)
    return await transfer.import_terms(
        session,
        glossary,
        principal.user.id,
        data,
        fmt,
        mode=mode,
        dry_run=dry_run,
        team_limit=settings.max_terms_per_team,
    )


@router.get(
    "/{glossary_id}/export",
    summary="The glossary as a CSV, JSON or TBX file",
    response_class=Response,
)
async def export_terms(
    glossary: GlossaryForRead,
    session: SessionDep,
    format: schemas.ImportFormat = "json",  # noqa: A002  (the query parameter's name)
) -> Response:
    data = await transfer.export_terms(session, glossary, format)
    filename = f"glossary-{glossary.id}.{format}"
    return Response(
        data,
        media_type=formats.MEDIA_TYPES[format],
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "ETag": service.glossary_etag(glossary),
        },
    )
