"""Routes: annotate a page's text, and the hover card of a term or entity."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from starlette.types import Receive, Scope, Send

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
    # Until its answer is sent, a reader's request on screen holds back the preparing of a
    # long page's tail (NlpRuntime.answering).
    key = object()
    if nlp is not None:
        nlp.answering(key, body.priority)
    try:
        outcome = await service.annotate(
            session,
            principal,
            nlp,
            body,
            settings.max_annotate_chars,
            request.app.state.annotate_cache,
            background=get_read_sessionmaker(request),
            request=key,
        )
    except BaseException:
        if nlp is not None:
            nlp.answered(key)
        raise
    # Rendered by the service (the response_model documents it): no second validation pass.
    return _Sent(
        outcome.render(), (lambda: nlp.answered(key)) if nlp is not None else (lambda: None)
    )


class _Sent(Response):
    """A JSON answer that calls `on_sent` once it has been sent (or sending failed)."""

    media_type = "application/json"

    def __init__(self, content: bytes, on_sent: Callable[[], None]) -> None:
        super().__init__(content)
        self._on_sent = on_sent

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._on_sent()


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
