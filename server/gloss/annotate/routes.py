"""Routes: annotate a page's text, and the hover card of a term or entity."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from gloss.annotate import cards, service
from gloss.annotate.schemas import AnnotateRequest, AnnotateResponse, Card
from gloss.auth.dependencies import CurrentPrincipal
from gloss.db import READ_ONLY_ROUTE, SessionDep, get_read_sessionmaker
from gloss.runtime import NlpDep, get_nlp
from gloss.settings import get_settings

router = APIRouter(prefix="/v1/annotate", tags=["annotate"])


@router.post(
    "",
    response_model=AnnotateResponse,
    summary="Entities, glossary terms and related articles of a page's text",
    openapi_extra={READ_ONLY_ROUTE: True},
)
async def annotate(
    body: AnnotateRequest,
    principal: CurrentPrincipal,
    session: SessionDep,
    request: Request,
) -> Response:
    # The hot path reads the runtime and settings through the dependencies' own functions,
    # called directly: two more resolved dependencies cost about 0.2 ms of a 2 ms cached
    # repeat (`python -m tests.benchmarks annotate --quick`, three runs each way).
    nlp, settings = get_nlp(request), get_settings(request)
    outcome = await service.annotate(
        session,
        principal,
        nlp,
        body,
        settings.max_annotate_chars,
        request.app.state.annotate_cache,
        background=get_read_sessionmaker(request),
    )
    # Rendered by the service (the response_model documents it): no second validation pass.
    return Response(outcome.render(), media_type="application/json")


@router.get("/card", response_model=Card, summary="What the hover card shows for a term or entity")
async def card(
    principal: CurrentPrincipal,
    session: SessionDep,
    nlp: NlpDep,
    kind: Annotated[Literal["term", "entity"], Query()],
    term_id: Annotated[uuid.UUID | None, Query(description="For kind=term.")] = None,
    key: Annotated[
        str | None, Query(max_length=300, description="For kind=entity: the entity's key.")
    ] = None,
    label: Annotated[str | None, Query(max_length=32)] = None,
    text: Annotated[str | None, Query(max_length=300)] = None,
    url: Annotated[
        str | None,
        Query(max_length=4096, description="The page the reader is on: never listed."),
    ] = None,
    related_limit: Annotated[int, Query(ge=0, le=50)] = 5,
) -> Card:
    return await cards.card(
        session,
        principal,
        kind=kind,
        term_id=term_id,
        key=key,
        label=label,
        text=text,
        url=url,
        related_limit=related_limit,
        nlp=nlp,
    )
