"""Glossaries compiled for the NLP engine: which versions a request uses, and bringing this
process's compiled copies up to date (patched with the terms changed since, or compiled in full).

Annotate and article ingest both come here; the compiled copies live in the process's runtime
(gloss.runtime.CompiledGlossaries), the terms in the database."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gloss.errors import NotFound
from gloss.glossaries.repository import GlossaryRepository, TermRepository
from gloss.nlp.terms import CompiledGlossary, TermSpec
from gloss.runtime import CompiledGlossaries, TermInfo, TermLoader

# Beyond this many changed terms (or this share of the glossary) a full compile is about as
# fast as patching, and it also drops the patterns removed terms leave behind.
MAX_INCREMENTAL_TERMS = 2_000
MAX_INCREMENTAL_SHARE = 0.2
# ...but a few changes are always patched: the share rule only matters where compiling costs.
ALWAYS_INCREMENTAL_TERMS = 50


@dataclass(frozen=True, slots=True)
class TermRecord:
    """A term as the matcher and a card need it (the columns both term queries select)."""

    term_id: uuid.UUID
    glossary_id: uuid.UUID
    term: str
    aliases: tuple[str, ...]
    case_sensitive: bool
    entity_label: str | None
    definition: str
    url: str | None


@dataclass(frozen=True, slots=True)
class TermChanges:
    """What changed in a glossary after some version: the terms to add or replace (their
    current state) and the ids of terms deleted, as of `version`."""

    version: int
    upserts: list[TermRecord]
    removed_ids: list[uuid.UUID]


@dataclass(frozen=True, slots=True)
class PendingGlossary:
    """A glossary whose newest version this process is still compiling (in the background,
    or to be tried again after a failed compile): `served_version` is what the caller got
    instead, None when the glossary is not applied at all yet."""

    glossary_id: uuid.UUID
    version: int
    served_version: int | None


@dataclass(frozen=True, slots=True)
class CurrentGlossaries:
    """The glossaries a request uses: (id, version) pairs of what it was given (sorted by
    id), the compiled glossaries in that order, and those whose newest version is pending."""

    versions: list[tuple[uuid.UUID, int]]
    compiled: list[CompiledGlossary]
    pending: list[PendingGlossary]


async def current(
    session: AsyncSession,
    glossaries: CompiledGlossaries,
    team_ids: Sequence[uuid.UUID],
    requested: Sequence[uuid.UUID] | None = None,
    *,
    background: async_sessionmaker[AsyncSession] | None = None,
) -> CurrentGlossaries:
    """These teams' glossaries (or the `requested` ones among them) at their current versions,
    compiling only those whose version moved since this process last compiled them (an edit
    through any process counts).

    With `background` (sessions to read terms in), a glossary of more than
    `glossaries.inline_terms` terms that needs a full compile is compiled in the background
    and the version held before (or nothing) is served meanwhile, listed in `pending`; so is
    one whose compile failed (it is tried again on the next request). Without it, every
    compile is waited for (ingest: its mentions are stored)."""
    versions = await glossary_versions(session, team_ids)
    if requested is not None:
        missing = [str(g) for g in requested if g not in versions]
        if missing:
            raise NotFound(f"No such glossary: {', '.join(missing)}.")
        versions = {g: versions[g] for g in requested}
    used: dict[uuid.UUID, CompiledGlossary] = {}
    pending: list[PendingGlossary] = []

    def serve_held(glossary_id: uuid.UUID) -> None:
        held = glossaries.held(str(glossary_id))
        if held is not None and isinstance(held.version, int):
            used[glossary_id] = held
            if held.version >= versions[glossary_id]:
                return  # as new as this request's snapshot (compiled by another meanwhile)
        served = held.version if held is not None and isinstance(held.version, int) else None
        pending.append(PendingGlossary(glossary_id, versions[glossary_id], served))

    stale: list[uuid.UUID] = []
    for glossary_id, version in versions.items():
        compiled = glossaries.at(str(glossary_id), version)
        if compiled is not None:
            used[glossary_id] = compiled
        elif background is not None and glossaries.compiling_in_background(str(glossary_id)):
            serve_held(glossary_id)
        else:
            if background is None and glossaries.building(str(glossary_id)) is not None:
                await glossaries.wait(str(glossary_id))  # this caller uses the newest
                compiled = glossaries.at(str(glossary_id), version)
                if compiled is not None:
                    used[glossary_id] = compiled
                    continue
            stale.append(glossary_id)
    # A glossary held at an older version is patched with the terms changed since then (one
    # edit of a 100k-term glossary: milliseconds instead of seconds of compiling); the rest,
    # and any the history cannot bring up to date, are compiled in full.
    full: list[uuid.UUID] = []
    for glossary_id in stale:
        held = glossaries.held_version(str(glossary_id))
        patched = None
        if held is not None:
            patched = await _patch(session, glossaries, glossary_id, held)
        if patched is None:
            full.append(glossary_id)
        else:
            used[glossary_id] = patched
    if full and background is not None:
        counts = await GlossaryRepository(session).term_counts(full)
        large = {g for g in full if counts.get(g, 0) > glossaries.inline_terms}
        for glossary_id in sorted(large):
            glossaries.compile_in_background(
                str(glossary_id), versions[glossary_id], _loader(background, glossary_id)
            )
            serve_held(glossary_id)
        full = [g for g in full if g not in large]
    for glossary_id, (version, records) in (await load_term_specs(session, full)).items():
        gid = str(glossary_id)
        # The terms and their version come from one snapshot, which may be newer than the
        # version read above: that snapshot is what this request uses.
        versions[glossary_id] = version
        specs = [_spec(gid, r) for r in records]
        infos = [_info(gid, r) for r in records]
        try:
            used[glossary_id] = await glossaries.compile(gid, version, specs, infos)
        except Exception:
            if background is None:
                raise
            serve_held(glossary_id)  # logged by the compile; tried again on the next request
    ordered = sorted(used.items())
    return CurrentGlossaries(
        versions=[(g, _version(c)) for g, c in ordered],
        compiled=[c for _, c in ordered],
        pending=sorted(pending, key=lambda p: p.glossary_id),
    )


def _version(compiled: CompiledGlossary) -> int:
    return int(compiled.version)


# Rows of a background compile's terms turned into objects at a time (a few milliseconds),
# between which other requests run.
LOAD_PART_ROWS = 500


def _loader(maker: async_sessionmaker[AsyncSession], glossary_id: uuid.UUID) -> TermLoader:
    """Reads a glossary's version and terms for a background compile, in a session of its own
    (the request that started it is long answered), a part at a time."""

    async def load() -> tuple[int, list[TermSpec], list[TermInfo]] | None:
        gid = str(glossary_id)
        version: int | None = None
        specs: list[TermSpec] = []
        infos: list[TermInfo] = []
        async with maker() as session:
            parts = GlossaryRepository(session).terms_with_versions_in_parts(
                glossary_id, LOAD_PART_ROWS
            )
            async for part in parts:
                for _g, row_version, term_id, term, aliases, case, label, definition, url in part:
                    version = int(row_version)
                    if term_id is None:
                        continue
                    tid = str(term_id)
                    # Straight from the row (no TermRecord): 100k terms make fewer objects.
                    specs.append(TermSpec(tid, gid, term, tuple(aliases or ()), bool(case), label))
                    infos.append(TermInfo(tid, gid, term, definition, url))
                await asyncio.sleep(0)  # let other requests run between the parts
        if version is None:
            return None  # deleted meanwhile
        return version, specs, infos

    return load


def _info(gid: str, r: TermRecord) -> TermInfo:
    return TermInfo(str(r.term_id), gid, r.term, r.definition, r.url)


def _spec(gid: str, r: TermRecord) -> TermSpec:
    return TermSpec(
        term_id=str(r.term_id),
        glossary_id=gid,
        term=r.term,
        aliases=r.aliases,
        case_sensitive=r.case_sensitive,
        entity_label=r.entity_label,
    )


async def _patch(
    session: AsyncSession, glossaries: CompiledGlossaries, glossary_id: uuid.UUID, held: int
) -> CompiledGlossary | None:
    """Bring the held glossary from version `held` to the current one with only the terms
    changed since; the glossary so patched, or None when a full compile is needed."""
    changes = await term_changes_since(session, glossary_id, held)
    if changes is None:
        return None
    gid = str(glossary_id)
    compiled = await glossaries.update(
        gid,
        held,
        changes.version,
        [_spec(gid, r) for r in changes.upserts],
        [_info(gid, r) for r in changes.upserts],
        [str(t) for t in changes.removed_ids],
    )
    if compiled is None or not isinstance(compiled.version, int):
        return None
    return compiled


async def for_team(
    session: AsyncSession, glossaries: CompiledGlossaries | None, team_id: uuid.UUID
) -> list[CompiledGlossary]:
    """The team's glossaries compiled for the engine (none where the runtime compiles none)."""
    if glossaries is None:
        return []
    return (await current(session, glossaries, [team_id])).compiled


async def glossary_versions(
    session: AsyncSession, team_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """Every glossary of these teams with its version, in one query: cheap enough to run on
    every annotate request, so a process learns of another's edit on its next request."""
    if not team_ids:
        return {}
    return await GlossaryRepository(session).versions(team_ids)


async def term_changes_since(
    session: AsyncSession, glossary_id: uuid.UUID, version: int
) -> TermChanges | None:
    """The terms changed in a glossary since `version`, or None when the caller should load
    the whole glossary (too many changes, or the glossary is gone or older than `version`).

    Complete because every path that changes a term writes a revision with the glossary
    version it bumped to, in the same transaction: create, update, delete and restore
    (`_insert_term`, `update_term`, `delete_term`) and import (one per created or updated row;
    imports never delete). Edits of the glossary's own fields bump the version without
    revisions, and change no term. A revision is the term id only: its current row is the
    state to compile, so several edits of one term since `version` cost one.
    """
    repo = GlossaryRepository(session)
    count = await repo.changed_term_count(glossary_id, version)
    if count > MAX_INCREMENTAL_TERMS:
        return None
    if count > ALWAYS_INCREMENTAL_TERMS and count > MAX_INCREMENTAL_SHARE * (
        await TermRepository(session).count(glossary_id)
    ):
        return None
    rows = await repo.changed_terms(glossary_id, version)
    if not rows or int(rows[0][0]) < version:
        return None
    current = int(rows[0][0])
    upserts: list[TermRecord] = []
    removed: list[uuid.UUID] = []
    for _v, touched, term_id, term, aliases, case_sensitive, label, definition, url in rows:
        if touched is None:
            continue
        if term_id is None:
            removed.append(touched)
            continue
        upserts.append(
            _term_record(
                glossary_id, term_id, term, aliases, case_sensitive, label, definition, url
            )
        )
    if len(upserts) + len(removed) > MAX_INCREMENTAL_TERMS:  # grew since the count
        return None
    return TermChanges(version=current, upserts=upserts, removed_ids=removed)


async def load_term_specs(
    session: AsyncSession, glossary_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[int, list[TermRecord]]]:
    """The terms of these glossaries with the version they belong to (one statement, one
    snapshot). Call it only for glossaries whose version differs from the compiled one."""
    if not glossary_ids:
        return {}
    out: dict[uuid.UUID, tuple[int, list[TermRecord]]] = {}
    rows = await GlossaryRepository(session).terms_with_versions(glossary_ids)
    for (
        glossary_id,
        version,
        term_id,
        term,
        aliases,
        case_sensitive,
        label,
        definition,
        url,
    ) in rows:
        records = out.setdefault(glossary_id, (int(version), []))[1]
        if term_id is not None:
            records.append(
                _term_record(
                    glossary_id, term_id, term, aliases, case_sensitive, label, definition, url
                )
            )
    return out


def _term_record(
    glossary_id: uuid.UUID,
    term_id: uuid.UUID,
    term: str,
    aliases: Sequence[str] | None,
    case_sensitive: bool | None,
    label: str | None,
    definition: str,
    url: str | None,
) -> TermRecord:
    """A term row as the matcher needs it (the columns both term queries select)."""
    return TermRecord(
        term_id=term_id,
        glossary_id=glossary_id,
        term=term,
        aliases=tuple(aliases or ()),
        case_sensitive=bool(case_sensitive),
        entity_label=label,
        definition=definition,
        url=url,
    )
