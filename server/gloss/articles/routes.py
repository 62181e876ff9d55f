"""Routes: store, list, search and delete articles; bulk NDJSON ingest; related articles."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.responses import StreamingResponse
from starlette.requests import ClientDisconnect
from starlette.types import Receive, Scope, Send

from gloss.articles import bulk, related, service
from gloss.articles.schemas import (
    Article,
    ArticleCreate,
    ArticleSummary,
    ArticleWritten,
    Mention,
    RelatedArticle,
)
from gloss.auth.dependencies import CurrentPrincipal
from gloss.db import READ_ONLY_ROUTE, SessionDep, SessionMakerDep
from gloss.etags import check_if_match, make_etag
from gloss.models import Article as ArticleRow
from gloss.models import ArticleMention
from gloss.nlp.ranking import snippet
from gloss.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from gloss.runtime import NlpDep

router = APIRouter(prefix="/v1/articles", tags=["articles"])

NDJSON = "application/x-ndjson"


class DuplexStreamingResponse(StreamingResponse):
    """A streamed response whose body iterator itself reads the request body.

    StreamingResponse listens for a disconnect by calling receive() alongside the stream, which
    would swallow the request body the results are computed from; here the body iterator is the
    only reader, and Request.stream() raises ClientDisconnect if the client goes away.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:  # noqa: ARG002
        try:
            await self.stream_response(send)
        except OSError as exc:
            raise ClientDisconnect() from exc


def _etag(article: ArticleRow) -> str:
    return make_etag(article.id, article.version)


def _summary(article: ArticleRow) -> ArticleSummary:
    return ArticleSummary(
        id=article.id,
        team_id=article.team_id,
        url=article.url,
        canonical_url=article.canonical_url,
        title=article.title,
        source=article.source,
        published_at=article.published_at,
        tags=list(article.tags or []),
        snippet=snippet(article.text[:400]),
        duplicate_of=article.duplicate_of_id,
        created_at=article.created_at,
        updated_at=article.updated_at,
    )


def _article(article: ArticleRow, mentions: list[ArticleMention]) -> Article:
    return Article(
        **_summary(article).model_dump(),
        text=article.text,
        content_hash=article.content_hash,
        mentions=[
            Mention(
                kind=m.kind,
                key=m.key,
                label=m.label,
                text=m.text,
                count=m.count,
                salience=m.salience,
            )
            for m in mentions
        ],
    )


@router.post(
    "",
    response_model=ArticleWritten,
    summary="Store an article (the same URL updates it)",
    responses={200: {"description": "An article with this URL existed and was updated."}},
    status_code=status.HTTP_201_CREATED,
    # Read (and the spaCy pass) in the request's read-only transaction, then written in one
    # transaction of its own: SQLite's write lock is never held through the engine (ADR 0001).
    openapi_extra={READ_ONLY_ROUTE: True},
)
async def create_article(
    body: ArticleCreate,
    response: Response,
    principal: CurrentPrincipal,
    session: SessionDep,
    sessions: SessionMakerDep,
    nlp: NlpDep,
) -> ArticleWritten:
    plan = await service.plan_article(session, principal, body, nlp)
    await session.rollback()  # the read-only transaction ends before the writing one begins
    async with sessions() as writer, writer.begin():
        outcome = await service.store_article(writer, plan)
    article = outcome.article
    if outcome.status != "created":
        response.status_code = status.HTTP_200_OK
    response.headers["ETag"] = _etag(article)
    response.headers["Location"] = f"/v1/articles/{article.id}"
    return ArticleWritten(**_article(article, outcome.mentions).model_dump(), status=outcome.status)


@router.post(
    "/bulk",
    summary="Store many articles from NDJSON, one result line per input line",
    response_class=StreamingResponse,
    responses={200: {"content": {NDJSON: {}}}},
    # The request's transaction only authenticates; each batch commits in a transaction of its
    # own (ADR 0001), so a long stream holds no lock between batches.
    openapi_extra={READ_ONLY_ROUTE: True},
)
async def bulk_ingest(
    request: Request,
    principal: CurrentPrincipal,
    sessions: SessionMakerDep,
    nlp: NlpDep,
    team_id: Annotated[uuid.UUID | None, Query(description="Default: your only team.")] = None,
) -> StreamingResponse:
    team = service.writable_team(principal, team_id)

    async def results() -> AsyncIterator[bytes]:
        async for item in bulk.ingest_stream(sessions, team, request.stream(), nlp):
            yield (json.dumps(item, default=str) + "\n").encode()

    return DuplexStreamingResponse(results(), media_type=NDJSON)


@router.get("", response_model=Page[ArticleSummary], summary="My teams' articles; search with q")
async def list_articles(
    principal: CurrentPrincipal,
    session: SessionDep,
    q: Annotated[
        str | None, Query(max_length=500, description="Words every result contains.")
    ] = None,
    team_id: uuid.UUID | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> Page[ArticleSummary]:
    articles, next_cursor = await service.list_articles(
        session, principal, q, team_id, cursor, limit
    )
    return Page[ArticleSummary](items=[_summary(a) for a in articles], next_cursor=next_cursor)


@router.get("/{article_id}", response_model=Article, summary="One article, with its mentions")
async def get_article(
    article_id: uuid.UUID, response: Response, principal: CurrentPrincipal, session: SessionDep
) -> Article:
    article, mentions = await service.get_article(session, principal, article_id)
    response.headers["ETag"] = _etag(article)
    return _article(article, mentions)


@router.delete(
    "/{article_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete an article (editors)"
)
async def delete_article(
    article_id: uuid.UUID, request: Request, principal: CurrentPrincipal, session: SessionDep
) -> None:
    await service.delete_article(
        session,
        principal,
        article_id,
        precondition=lambda article: check_if_match(request, _etag(article)),
    )


@router.get(
    "/{article_id}/related",
    response_model=list[RelatedArticle],
    summary="Articles related to this one, in my teams",
)
async def related_articles(
    article_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: SessionDep,
    nlp: NlpDep,
    limit: Annotated[int, Query(ge=1, le=related.MAX_RELATED)] = 5,
) -> list[RelatedArticle]:
    return await related.related_for_article(session, principal, article_id, limit, nlp)
