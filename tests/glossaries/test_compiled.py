"""What annotate reads: glossary versions in one query and term records per glossary."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gloss.glossaries.compiled import TermRecord, glossary_versions, load_term_specs
from tests.conftest import Account
from tests.glossaries.conftest import add_term


async def test_versions_and_term_specs(
    client: httpx.AsyncClient,
    editor: Account,
    outsider: Account,
    glossary: dict[str, Any],
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    gid = uuid.UUID(glossary["id"])
    empty = (
        await client.post("/v1/glossaries", json={"name": "Empty"}, headers=editor.headers)
    ).json()
    term = (
        await add_term(
            client,
            editor,
            glossary["id"],
            term="DeepSeek",
            aliases=["Deep Seek"],
            entity_label="ORG",
            definition="A lab.",
        )
    ).json()
    await add_term(client, editor, glossary["id"], term="QT", case_sensitive=True)
    assert editor.team is not None
    assert outsider.team is not None

    async with sessionmaker() as session:
        versions = await glossary_versions(session, [editor.team.id])
        assert versions == {gid: 3, uuid.UUID(empty["id"]): 1}
        assert await glossary_versions(session, [outsider.team.id]) == {}
        assert await glossary_versions(session, []) == {}

        specs = await load_term_specs(session, [gid, uuid.UUID(empty["id"]), uuid.uuid4()])
    assert set(specs) == {gid, uuid.UUID(empty["id"])}
    assert specs[uuid.UUID(empty["id"])] == (1, [])
    version, records = specs[gid]
    assert version == 3
    assert records[0] == TermRecord(
        term_id=uuid.UUID(term["id"]),
        glossary_id=gid,
        term="DeepSeek",
        aliases=("Deep Seek",),
        case_sensitive=False,
        entity_label="ORG",
        definition="A lab.",
        url=None,
    )
    assert [(r.term, r.case_sensitive) for r in records] == [("DeepSeek", False), ("QT", True)]

    # An edit moves the version, so a process holding version 3 knows to rebuild.
    await client.delete(f"/v1/glossaries/{gid}/terms/{term['id']}", headers=editor.headers)
    async with sessionmaker() as session:
        assert (await glossary_versions(session, [editor.team.id]))[gid] == 4
        version, records = (await load_term_specs(session, [gid]))[gid]
    assert (version, [r.term for r in records]) == (4, ["QT"])
