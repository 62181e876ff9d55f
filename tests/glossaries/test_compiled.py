"""Compiled glossaries are rebuilt only when their version moves, and only those."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gloss.glossaries.compiled import CompiledGlossaries
from gloss.glossaries.service import TermRecord
from tests.conftest import Account
from tests.glossaries.conftest import add_term


def _terms(
    glossary_id: uuid.UUID, version: int, records: list[TermRecord]
) -> tuple[int, list[str]]:
    return version, [r.term for r in records]


async def test_only_changed_glossaries_are_rebuilt(
    client: httpx.AsyncClient,
    editor: Account,
    owner: Account,
    glossary: dict[str, Any],
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    assert editor.team is not None
    first = uuid.UUID(glossary["id"])
    second = uuid.UUID(
        (await client.post("/v1/glossaries", json={"name": "Two"}, headers=editor.headers)).json()[
            "id"
        ]
    )
    await add_term(client, editor, glossary["id"], term="inference")
    cache: CompiledGlossaries[tuple[int, list[str]]] = CompiledGlossaries(_terms)
    teams = [editor.team.id]

    async def compiled(**kwargs: Any) -> dict[uuid.UUID, tuple[int, list[str]]]:
        async with sessionmaker() as session:
            return await cache.get(session, teams, **kwargs)

    assert await compiled() == {first: (2, ["inference"]), second: (1, [])}
    assert cache.compilations == 2
    await compiled()
    assert cache.compilations == 2  # nothing moved, nothing rebuilt

    await add_term(client, editor, str(second), term="token")
    assert (await compiled())[second] == (2, ["token"])
    assert cache.compilations == 3  # only the edited glossary

    assert await compiled(glossary_ids=[first, uuid.uuid4()]) == {first: (2, ["inference"])}

    await client.delete(f"/v1/glossaries/{second}", headers=owner.headers)
    assert set(await compiled()) == {first}
    assert cache.compilations == 3
