"""Service rules the HTTP tests cannot reach: a write that raced another one changes nothing."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gloss.auth.service import authenticate
from gloss.collections import service
from gloss.collections.schemas import parse_w3c_annotation
from gloss.errors import PreconditionFailed
from tests.collections.conftest import annotation, new_collection, post_annotation
from tests.conftest import AccountFactory


async def test_a_write_that_lost_a_race_is_412_and_changes_nothing(
    client: httpx.AsyncClient,
    make_account: AccountFactory,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    ann = await make_account("ann")
    collection = await new_collection(client, ann)
    iri = (await post_annotation(client, ann, collection, annotation())).headers["location"]
    collection_id = uuid.UUID(collection["id"])
    annotation_id = uuid.UUID(iri.rsplit("/", 1)[1])
    first_edit = parse_w3c_annotation(annotation(note="first", tags=("one",)))
    second_edit = parse_w3c_annotation(annotation(note="second"))

    # The late writer read version 1 (and so passed If-Match) before the early one wrote.
    async with sessionmaker() as late:
        principal = await authenticate(late, ann.token)
        access = await service.get_access(late, principal, collection_id)
        late_row = await service.get_annotation(late, access, annotation_id)
        await late.commit()  # ends the read (SQLite serialises whole transactions)
        async with sessionmaker() as early, early.begin():
            early_principal = await authenticate(early, ann.token)
            early_access = await service.get_access(early, early_principal, collection_id)
            row = await service.get_annotation(early, early_access, annotation_id)
            await service.replace_annotation(early, early_access, row, first_edit)
        with pytest.raises(PreconditionFailed):
            await service.replace_annotation(late, access, late_row, second_edit)
        await late.rollback()

    stored = (await client.get(iri, headers=ann.headers)).json()
    assert stored["body"][0]["value"] == "first"
