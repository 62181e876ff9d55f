"""SQL for glossaries, terms, their surface forms and revisions."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    Executable,
    Table,
    and_,
    bindparam,
    delete,
    func,
    or_,
    select,
    true,
    tuple_,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from gloss.errors import Conflict
from gloss.glossaries.surface import Form
from gloss.models import Glossary, Term, TermForm, TermRevision, User
from gloss.sqlite_async import INLINE_OPTION

# Rows per executemany: large enough to amortise round trips, small enough to keep
# PostgreSQL's bind-parameter limit and memory far away, and to move a progress bar.
BATCH = 2_000

# The columns that make a term's content (what history records and files carry).
CONTENT_COLUMNS = (
    "term",
    "definition",
    "aliases",
    "url",
    "tags",
    "case_sensitive",
    "entity_label",
)


# The tables behind the entities, for Core bulk statements (mapped classes type them loosely).
TERMS = cast(Table, Term.__table__)
FORMS = cast(Table, TermForm.__table__)
REVISIONS = cast(Table, TermRevision.__table__)


OnBatch = Callable[[int], None]


async def _executemany(
    session: AsyncSession,
    statement: Executable,
    rows: Sequence[dict[str, Any]],
    on_batch: OnBatch | None = None,
) -> None:
    for start in range(0, len(rows), BATCH):
        batch = list(rows[start : start + BATCH])
        await session.execute(statement, batch)
        if on_batch is not None:
            on_batch(len(batch))


def form_rows(
    glossary_id: uuid.UUID, term_id: uuid.UUID, forms: list[Form]
) -> list[dict[str, Any]]:
    """The term_forms rows of a term's forms."""
    return [
        {
            "glossary_id": glossary_id,
            "form": form.key,
            "folded": form.folded,
            "case_sensitive": form.case_sensitive,
            "term_id": term_id,
        }
        for form in forms
    ]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# What compiling a term needs, in the order `glossaries.service` reads it: shared by the full
# load and the changes-since read so the two can never disagree.
_MATCHING_FIELDS = (
    Term.id,
    Term.term,
    Term.aliases,
    Term.case_sensitive,
    Term.entity_label,
    Term.definition,
    Term.url,
)


def _terms_with_versions(glossary_ids: Sequence[uuid.UUID]) -> Executable:
    return (
        select(Glossary.id, Glossary.version, *_MATCHING_FIELDS)
        .select_from(Glossary)
        .outerjoin(Term, Term.glossary_id == Glossary.id)
        .where(Glossary.id.in_(glossary_ids))
        .order_by(Glossary.id, Term.sort_key, Term.id)
    )


# Every annotate request reads its teams' glossary versions: the statement is built once.
_VERSIONS = (
    select(Glossary.id, Glossary.version)
    .where(Glossary.team_id.in_(bindparam("team_ids", expanding=True)))
    .execution_options(**{INLINE_OPTION: True})
)


class GlossaryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, glossary_id: uuid.UUID) -> Glossary | None:
        return await self.session.get(Glossary, glossary_id, populate_existing=True)

    async def get_by_name(self, team_id: uuid.UUID, name: str) -> Glossary | None:
        return await self.session.scalar(
            select(Glossary).where(Glossary.team_id == team_id, Glossary.name == name)
        )

    async def list_for_teams(
        self, team_ids: Sequence[uuid.UUID], after: tuple[str, str] | None, limit: int
    ) -> list[Glossary]:
        query = select(Glossary).where(Glossary.team_id.in_(team_ids))
        if after is not None:
            name, last_id = after
            query = query.where(
                or_(
                    Glossary.name > name,
                    and_(Glossary.name == name, Glossary.id > uuid.UUID(last_id)),
                )
            )
        result = await self.session.scalars(query.order_by(Glossary.name, Glossary.id).limit(limit))
        return list(result)

    async def term_counts(self, glossary_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
        if not glossary_ids:
            return {}
        rows = await self.session.execute(
            select(Term.glossary_id, func.count())
            .where(Term.glossary_id.in_(glossary_ids))
            .group_by(Term.glossary_id)
        )
        return {glossary_id: int(count) for glossary_id, count in rows}

    async def create(self, glossary: Glossary) -> Glossary:
        self.session.add(glossary)
        try:
            await self.session.flush()
        except IntegrityError as exc:
            raise Conflict(f"The team already has a glossary named {glossary.name!r}.") from exc
        return glossary

    async def update_if_version(
        self, glossary_id: uuid.UUID, expected_version: int, values: dict[str, Any]
    ) -> bool:
        """The edit and the version check in one statement, so two writers holding the same
        ETag cannot both win, on any backend and from any process."""
        try:
            result = await self.session.execute(
                update(Glossary)
                .where(Glossary.id == glossary_id, Glossary.version == expected_version)
                .values(**values, version=Glossary.version + 1)
                .execution_options(synchronize_session=False)
            )
        except IntegrityError as exc:
            raise Conflict(
                f"The team already has a glossary named {values.get('name')!r}."
            ) from exc
        return bool(result.rowcount)  # type: ignore[attr-defined]  # CursorResult at runtime

    async def bump_version(self, glossary_id: uuid.UUID, now: datetime) -> int:
        await self.session.execute(
            update(Glossary)
            .where(Glossary.id == glossary_id)
            .values(version=Glossary.version + 1, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        version = await self.session.scalar(
            select(Glossary.version).where(Glossary.id == glossary_id)
        )
        assert version is not None  # the caller holds the glossary it is editing
        return int(version)

    async def lock(self, glossary_id: uuid.UUID) -> None:
        """Take the glossary's row lock until the transaction ends (PostgreSQL; SQLite's
        BEGIN IMMEDIATE already serialises every writer)."""
        await self.session.execute(
            select(Glossary.id).where(Glossary.id == glossary_id).with_for_update()
        )

    async def delete(self, glossary_id: uuid.UUID) -> None:
        await self.session.execute(delete(Glossary).where(Glossary.id == glossary_id))

    async def versions(self, team_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
        rows = await self.session.execute(_VERSIONS, {"team_ids": list(team_ids)})
        return {glossary_id: int(version) for glossary_id, version in rows}

    async def terms_with_versions(self, glossary_ids: Sequence[uuid.UUID]) -> list[tuple[Any, ...]]:
        """Glossary versions and their terms' matching fields in ONE statement, so the version
        and the terms come from the same snapshot (no edit can fall between them)."""
        result = await self.session.execute(_terms_with_versions(glossary_ids))
        return [tuple(row) for row in result]

    async def terms_with_versions_in_parts(
        self, glossary_id: uuid.UUID, size: int
    ) -> AsyncIterator[list[tuple[Any, ...]]]:
        """`terms_with_versions` of one glossary (one statement, one snapshot), handed out
        `size` rows at a time: the caller may let other tasks run between the parts (turning
        100k rows into objects in one go held the event loop for seconds)."""
        result = await self.session.execute(_terms_with_versions([glossary_id]))
        for part in result.partitions(size):
            yield [tuple(row) for row in part]

    async def changed_term_count(self, glossary_id: uuid.UUID, since: int) -> int:
        """How many distinct terms revisions after glossary version `since` touched."""
        count = await self.session.scalar(
            select(func.count(func.distinct(TermRevision.term_id))).where(
                TermRevision.glossary_id == glossary_id, TermRevision.glossary_version > since
            )
        )
        return int(count or 0)

    async def changed_terms(self, glossary_id: uuid.UUID, since: int) -> list[tuple[Any, ...]]:
        """The glossary's version, each term id revised after version `since`, and that term's
        current matching fields (None when it is gone), in ONE statement: one snapshot, so the
        version and the terms agree. Without changes: one row with a None term id."""
        touched = (
            select(TermRevision.term_id)
            .where(TermRevision.glossary_id == glossary_id, TermRevision.glossary_version > since)
            .distinct()
            .subquery()
        )
        result = await self.session.execute(
            select(
                Glossary.version,
                touched.c.term_id,
                *_MATCHING_FIELDS,
            )
            .select_from(Glossary)
            .outerjoin(touched, true())
            .outerjoin(Term, and_(Term.id == touched.c.term_id, Term.glossary_id == glossary_id))
            .where(Glossary.id == glossary_id)
        )
        return [tuple(row) for row in result]


class TermRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, glossary_id: uuid.UUID, term_id: uuid.UUID) -> Term | None:
        return await self.session.scalar(
            select(Term)
            .where(Term.id == term_id, Term.glossary_id == glossary_id)
            .execution_options(populate_existing=True)
        )

    async def exists(self, term_id: uuid.UUID) -> bool:
        return (await self.session.scalar(select(Term.id).where(Term.id == term_id))) is not None

    async def count_in_team(self, team_id: uuid.UUID) -> int:
        count = await self.session.scalar(
            select(func.count())
            .select_from(Term)
            .join(Glossary, Glossary.id == Term.glossary_id)
            .where(Glossary.team_id == team_id)
        )
        return int(count or 0)

    async def count(self, glossary_id: uuid.UUID) -> int:
        count = await self.session.scalar(
            select(func.count()).select_from(Term).where(Term.glossary_id == glossary_id)
        )
        return int(count or 0)

    async def page(
        self,
        glossary_id: uuid.UUID,
        *,
        search: str | None,
        substring: bool,
        after: tuple[str, str] | None,
        limit: int,
    ) -> list[Term]:
        query = select(Term).where(Term.glossary_id == glossary_id)
        if search:
            pattern = _escape_like(search) + "%"
            if substring:
                pattern = "%" + pattern
            # Any form (the term or an alias) matching finds the term.
            matching = select(TermForm.term_id).where(
                TermForm.glossary_id == glossary_id,
                TermForm.folded.like(pattern, escape="\\"),
            )
            query = query.where(Term.id.in_(matching))
        if after is not None:
            key, last_id = after
            query = query.where(
                or_(Term.sort_key > key, and_(Term.sort_key == key, Term.id > uuid.UUID(last_id)))
            )
        result = await self.session.scalars(query.order_by(Term.sort_key, Term.id).limit(limit))
        return list(result)

    async def all(self, glossary_id: uuid.UUID) -> list[Term]:
        result = await self.session.scalars(
            select(Term).where(Term.glossary_id == glossary_id).order_by(Term.sort_key, Term.id)
        )
        return list(result)

    async def all_rows(self, glossary_id: uuid.UUID) -> list[dict[str, Any]]:
        """Every term as a plain mapping, in list order: exports skip the ORM's per-object cost."""
        result = await self.session.execute(
            select(TERMS)
            .where(TERMS.c.glossary_id == glossary_id)
            .order_by(TERMS.c.sort_key, TERMS.c.id)
        )
        return [dict(row) for row in result.mappings()]

    async def forms_like(
        self, glossary_id: uuid.UUID, folded: Sequence[str]
    ) -> list[tuple[TermForm, str]]:
        """Stored forms that fold like any of these, with their term's text (to name it)."""
        rows = await self.session.execute(
            select(TermForm, Term.term)
            .join(Term, Term.id == TermForm.term_id)
            .where(TermForm.glossary_id == glossary_id, TermForm.folded.in_(list(folded)))
        )
        return [(form, term) for form, term in rows]

    async def all_forms(self, glossary_id: uuid.UUID) -> list[tuple[Any, ...]]:
        """(form, folded, case_sensitive, term_id) of every form in the glossary."""
        result = await self.session.execute(
            select(TermForm.form, TermForm.folded, TermForm.case_sensitive, TermForm.term_id).where(
                TermForm.glossary_id == glossary_id
            )
        )
        return [tuple(row) for row in result]

    async def add(self, term: Term) -> Term:
        self.session.add(term)
        await self.session.flush()
        return term

    async def insert_many(
        self, rows: Sequence[dict[str, Any]], on_batch: OnBatch | None = None
    ) -> None:
        # Core on the table, not the ORM entity: one executemany per batch, where the ORM's
        # bulk path emitted a statement per row here.
        await _executemany(self.session, TERMS.insert(), rows, on_batch)

    async def update_many(
        self, rows: Sequence[dict[str, Any]], on_batch: OnBatch | None = None
    ) -> None:
        """Bulk UPDATE by primary key; every row carries the same columns and `id`."""
        if not rows:
            return
        columns = [name for name in rows[0] if name != "id"]
        statement = (
            TERMS.update()
            .where(TERMS.c.id == bindparam("term_id"))
            .values({name: bindparam(name) for name in columns})
        )
        await _executemany(
            self.session,
            statement,
            [{**{k: v for k, v in row.items() if k != "id"}, "term_id": row["id"]} for row in rows],
            on_batch,
        )

    async def update_if_version(
        self, term_id: uuid.UUID, expected_version: int, values: dict[str, Any]
    ) -> bool:
        result = await self.session.execute(
            update(Term)
            .where(Term.id == term_id, Term.version == expected_version)
            .values(**values, version=Term.version + 1)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]  # CursorResult at runtime

    async def delete_if_version(self, term_id: uuid.UUID, expected_version: int) -> bool:
        await self.session.execute(delete(TermForm).where(TermForm.term_id == term_id))
        result = await self.session.execute(
            delete(Term).where(Term.id == term_id, Term.version == expected_version)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]  # CursorResult at runtime

    async def replace_forms(
        self,
        term_ids: Sequence[uuid.UUID],
        rows: Sequence[dict[str, Any]],
        on_batch: OnBatch | None = None,
    ) -> None:
        """Drop these terms' forms and insert the new ones; the primary key refuses a form
        another term claimed meanwhile (a concurrent writer), which is a 409."""
        for start in range(0, len(term_ids), BATCH):
            batch = list(term_ids[start : start + BATCH])
            await self.session.execute(delete(TermForm).where(TermForm.term_id.in_(batch)))
        try:
            await _executemany(self.session, FORMS.insert(), rows, on_batch)
        except IntegrityError as exc:
            raise Conflict(
                "Another term claimed one of these forms at the same moment; reload and retry."
            ) from exc

    async def add_revisions(
        self, rows: Sequence[dict[str, Any]], on_batch: OnBatch | None = None
    ) -> None:
        await _executemany(self.session, REVISIONS.insert(), rows, on_batch)

    async def revisions(
        self,
        glossary_id: uuid.UUID,
        term_id: uuid.UUID,
        before: tuple[int, str] | None,
        limit: int,
    ) -> list[tuple[TermRevision, str | None]]:
        query = (
            select(TermRevision, User.name)
            .outerjoin(User, User.id == TermRevision.user_id)
            .where(TermRevision.glossary_id == glossary_id, TermRevision.term_id == term_id)
        )
        if before is not None:
            version, last_id = before
            query = query.where(
                tuple_(TermRevision.glossary_version, TermRevision.id)
                < tuple_(version, uuid.UUID(last_id))
            )
        rows = await self.session.execute(
            query.order_by(TermRevision.glossary_version.desc(), TermRevision.id.desc()).limit(
                limit
            )
        )
        return [(revision, name) for revision, name in rows]

    async def revision(
        self, glossary_id: uuid.UUID, term_id: uuid.UUID, revision_id: uuid.UUID | None
    ) -> TermRevision | None:
        """The given revision of the term, or its latest one."""
        query = select(TermRevision).where(
            TermRevision.glossary_id == glossary_id, TermRevision.term_id == term_id
        )
        if revision_id is not None:
            query = query.where(TermRevision.id == revision_id)
        return await self.session.scalar(
            query.order_by(TermRevision.glossary_version.desc(), TermRevision.id.desc()).limit(1)
        )

    async def term_with_glossary(
        self, term_id: uuid.UUID, team_ids: Sequence[uuid.UUID]
    ) -> tuple[Term, Glossary] | None:
        """A term with its glossary, if it is in one of these teams' glossaries (for a card)."""
        if not team_ids:
            return None
        row = await self.session.execute(
            select(Term, Glossary)
            .join(Glossary, Glossary.id == Term.glossary_id)
            .where(Term.id == term_id, Glossary.team_id.in_(team_ids))
        )
        found = row.first()
        return (found[0], found[1]) if found else None

    async def term_for_form(
        self, folded: str, team_ids: Sequence[uuid.UUID]
    ) -> tuple[Term, Glossary] | None:
        """The glossary entry whose term or alias is this name, in the caller's teams."""
        if not team_ids:
            return None
        row = await self.session.execute(
            select(Term, Glossary)
            .join(TermForm, TermForm.term_id == Term.id)
            .join(Glossary, Glossary.id == Term.glossary_id)
            .where(TermForm.folded == folded, Glossary.team_id.in_(team_ids))
            .order_by(Glossary.name, Term.sort_key)
            .limit(1)
        )
        found = row.first()
        return (found[0], found[1]) if found else None
