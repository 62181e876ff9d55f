"""Glossaries and terms: create, edit with history, import and export, and what annotate reads."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from gloss.auth.service import Principal
from gloss.errors import (
    BadRequest,
    Conflict,
    NotFound,
    PayloadTooLarge,
    PreconditionFailed,
    Unprocessable,
)
from gloss.etags import make_etag
from gloss.glossaries import formats, schemas
from gloss.glossaries.repository import CONTENT_COLUMNS, GlossaryRepository, TermRepository
from gloss.glossaries.surface import Form, clash, fold, forms_of
from gloss.models import Glossary, Role, Term
from gloss.models.base import utcnow
from gloss.pagination import decode_cursor, encode_cursor
from gloss.teams.access import require_member, require_role
from gloss.teams.repository import TeamRepository

# (stage, done, total): the CLI draws a progress bar from it; the API passes None.
ProgressFn = Callable[[str, int, int], None]
MAX_REPORTED_CHANGES = 1_000
# Serialises a whole export in one call.
_TERM_LIST = TypeAdapter(list[schemas.Term])


@dataclass(frozen=True, slots=True)
class GlossaryView:
    glossary: Glossary
    term_count: int


def glossary_etag(glossary: Glossary) -> str:
    return make_etag("glossary", glossary.id, glossary.version)


def term_etag(term: Term) -> str:
    return make_etag("term", term.id, term.version)


def snapshot(term: Term) -> dict[str, Any]:
    """A term's content as history stores it (JSON-ready)."""
    data = {name: getattr(term, name) for name in CONTENT_COLUMNS}
    data["aliases"] = list(data["aliases"] or [])
    data["tags"] = list(data["tags"] or [])
    return data


def _row_snapshot(row: dict[str, Any]) -> dict[str, Any]:
    data = {name: row[name] for name in CONTENT_COLUMNS}
    data["aliases"] = list(data["aliases"] or [])
    data["tags"] = list(data["tags"] or [])
    return data


def _forms(content: dict[str, Any]) -> list[Form]:
    return forms_of(content["term"], content["aliases"], content["case_sensitive"])


def _form_rows(
    glossary_id: uuid.UUID, term_id: uuid.UUID, forms: list[Form]
) -> list[dict[str, Any]]:
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


def _revision_row(
    glossary_id: uuid.UUID,
    term_id: uuid.UUID,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    glossary_version: int,
    user_id: uuid.UUID | None,
    now: datetime,
) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "glossary_id": glossary_id,
        "term_id": term_id,
        "action": action,
        "before": before,
        "after": after,
        "glossary_version": glossary_version,
        "user_id": user_id,
        "created_at": now,
    }


# --- glossaries ------------------------------------------------------------------------------


async def load_glossary(
    session: AsyncSession, principal: Principal, glossary_id: uuid.UUID, needed: Role
) -> Glossary:
    """The glossary if the caller's role allows; another team's is 404, like a missing one."""
    glossary = await GlossaryRepository(session).get(glossary_id)
    if glossary is None:
        raise NotFound("No such glossary.")
    require_role(principal, glossary.team_id, needed, what="glossary")
    return glossary


async def glossary_by_name(
    session: AsyncSession, team_name: str, name: str, *, create: bool = False
) -> tuple[Glossary, bool]:
    """For the CLI, which names things: the team's glossary, made when missing if `create`.
    Returns the glossary and whether it was created."""
    team = await TeamRepository(session).get_by_name(team_name)
    if team is None:
        raise NotFound(f"No team named {team_name!r}.")
    repo = GlossaryRepository(session)
    glossary = await repo.get_by_name(team.id, name)
    if glossary is not None:
        return glossary, False
    if not create:
        raise NotFound(f"The team {team_name!r} has no glossary named {name!r}.")
    now = utcnow()
    glossary = await repo.create(
        Glossary(team_id=team.id, name=name, version=1, created_at=now, updated_at=now)
    )
    return glossary, True


async def view(session: AsyncSession, glossary: Glossary) -> GlossaryView:
    counts = await GlossaryRepository(session).term_counts([glossary.id])
    return GlossaryView(glossary, counts.get(glossary.id, 0))


async def create_glossary(
    session: AsyncSession, principal: Principal, body: schemas.GlossaryCreate
) -> GlossaryView:
    team_id = body.team_id
    if team_id is None:
        if len(principal.team_ids) != 1:
            raise Unprocessable("You are in several teams (or none); say which: team_id.")
        team_id = principal.team_ids[0]
    require_role(principal, team_id, Role.editor)
    repo = GlossaryRepository(session)
    if await repo.get_by_name(team_id, body.name) is not None:
        raise Conflict(f"The team already has a glossary named {body.name!r}.")
    now = utcnow()
    glossary = await repo.create(
        Glossary(
            team_id=team_id,
            name=body.name,
            description=body.description,
            version=1,
            created_at=now,
            updated_at=now,
            created_by=principal.user.id,
        )
    )
    return GlossaryView(glossary, 0)


async def list_glossaries(
    session: AsyncSession,
    principal: Principal,
    team_id: uuid.UUID | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[GlossaryView], str | None]:
    if team_id is not None:
        require_member(principal, team_id)
    team_ids = [team_id] if team_id is not None else principal.team_ids
    after = decode_cursor(cursor)
    repo = GlossaryRepository(session)
    glossaries = await repo.list_for_teams(team_ids, _pair(after, str), limit + 1)
    more = len(glossaries) > limit
    glossaries = glossaries[:limit]
    counts = await repo.term_counts([g.id for g in glossaries])
    next_cursor = encode_cursor([glossaries[-1].name, str(glossaries[-1].id)]) if more else None
    return [GlossaryView(g, counts.get(g.id, 0)) for g in glossaries], next_cursor


async def update_glossary(
    session: AsyncSession, glossary: Glossary, body: schemas.GlossaryUpdate
) -> GlossaryView:
    values = body.model_dump(exclude_unset=True)
    if not values:
        return await view(session, glossary)
    repo = GlossaryRepository(session)
    if "name" in values and values["name"] != glossary.name:
        other = await repo.get_by_name(glossary.team_id, values["name"])
        if other is not None:
            raise Conflict(f"The team already has a glossary named {values['name']!r}.")
    values["updated_at"] = utcnow()
    if not await repo.update_if_version(glossary.id, glossary.version, values):
        raise PreconditionFailed("The glossary changed since you read it; fetch it and retry.")
    updated = await repo.get(glossary.id)
    assert updated is not None  # we hold it in this transaction
    return await view(session, updated)


async def delete_glossary(session: AsyncSession, glossary: Glossary) -> None:
    await GlossaryRepository(session).delete(glossary.id)


# --- terms -----------------------------------------------------------------------------------


async def load_term(session: AsyncSession, glossary: Glossary, term_id: uuid.UUID) -> Term:
    term = await TermRepository(session).get(glossary.id, term_id)
    if term is None:
        raise NotFound("No such term in this glossary.")
    return term


async def list_terms(
    session: AsyncSession,
    glossary: Glossary,
    *,
    q: str | None,
    match: schemas.SearchMatch,
    cursor: str | None,
    limit: int,
) -> tuple[list[Term], str | None]:
    after = decode_cursor(cursor)
    terms = await TermRepository(session).page(
        glossary.id,
        # NUL cannot be in any stored form, and PostgreSQL refuses it in a parameter.
        search=fold(q.replace("\x00", "")) if q and q.replace("\x00", "").strip() else None,
        substring=match == "substring",
        after=_pair(after, str),
        limit=limit + 1,
    )
    more = len(terms) > limit
    terms = terms[:limit]
    next_cursor = encode_cursor([terms[-1].sort_key, str(terms[-1].id)]) if more else None
    return terms, next_cursor


async def _check_forms(
    repo: TermRepository, glossary_id: uuid.UUID, forms: list[Form], term_id: uuid.UUID | None
) -> None:
    """409 naming the other term when any of these forms is one the matcher would confuse."""
    for stored, other_term in await repo.forms_like(glossary_id, [f.folded for f in forms]):
        if stored.term_id == term_id:
            continue
        other = Form(stored.form, stored.folded, stored.case_sensitive, stored.form)
        for form in forms:
            if clash(form, other):
                raise Conflict(
                    f"{form.surface!r} is already a form of the term {other_term!r} "
                    "in this glossary.",
                    extra={
                        "conflicting_term_id": str(stored.term_id),
                        "conflicting_term": other_term,
                    },
                )


async def _insert_term(
    session: AsyncSession,
    glossary: Glossary,
    user_id: uuid.UUID | None,
    content: dict[str, Any],
    term_id: uuid.UUID,
    action: str,
) -> Term:
    glossaries, terms = GlossaryRepository(session), TermRepository(session)
    now = utcnow()
    # Bumping first takes the glossary's row lock, so edits of one glossary queue here and
    # the form check below cannot race another writer's (the primary key is the backstop).
    version = await glossaries.bump_version(glossary.id, now)
    if await terms.count(glossary.id) >= schemas.MAX_TERMS_PER_GLOSSARY:
        raise PayloadTooLarge(
            f"The glossary has the most terms it may have ({schemas.MAX_TERMS_PER_GLOSSARY}).",
            extra={"limit": schemas.MAX_TERMS_PER_GLOSSARY},
        )
    forms = _forms(content)
    await _check_forms(terms, glossary.id, forms, None)
    term = await terms.add(
        Term(
            id=term_id,
            glossary_id=glossary.id,
            sort_key=fold(content["term"]),
            version=1,
            created_at=now,
            updated_at=now,
            created_by=user_id,
            updated_by=user_id,
            **content,
        )
    )
    await terms.replace_forms([], _form_rows(glossary.id, term.id, forms))
    await terms.add_revisions(
        [_revision_row(glossary.id, term.id, action, None, content, version, user_id, now)]
    )
    return term


async def create_term(
    session: AsyncSession, principal: Principal, glossary: Glossary, body: schemas.TermCreate
) -> Term:
    return await _insert_term(
        session, glossary, principal.user.id, body.model_dump(), uuid.uuid4(), "create"
    )


def _merge(before: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    # Re-validate the merged term: an update of case_sensitive alone changes which aliases
    # repeat the term, and the rules are TermBase's.
    return schemas.TermCreate.model_validate({**before, **changes}).model_dump()


async def _locked_current(
    session: AsyncSession, glossary: Glossary, term: Term, *, conditional: bool
) -> tuple[Term, int]:
    """Take the glossary's row lock (every term edit does, first), then the term as it is now.
    With If-Match, a term changed since the caller read it is 412; without, the edit applies
    to the current term. Returns the term and the glossary's new version."""
    seen_version = term.version  # the reload below refreshes this same object
    version = await GlossaryRepository(session).bump_version(glossary.id, utcnow())
    current = await TermRepository(session).get(glossary.id, term.id)
    if current is None:
        raise NotFound("No such term in this glossary (it was deleted meanwhile).")
    if conditional and current.version != seen_version:
        raise PreconditionFailed("The term changed since you read it; fetch it and retry.")
    return current, version


async def update_term(
    session: AsyncSession,
    principal: Principal,
    glossary: Glossary,
    term: Term,
    body: schemas.TermUpdate,
    *,
    conditional: bool = False,
) -> Term:
    """`conditional`: the caller sent an If-Match naming the version it read."""
    changes = body.model_dump(exclude_unset=True)
    if _merge(snapshot(term), changes) == snapshot(term):
        return term  # nothing to change: no version moves
    current, version = await _locked_current(session, glossary, term, conditional=conditional)
    before = snapshot(current)
    after = _merge(before, changes)
    terms = TermRepository(session)
    forms = _forms(after)
    await _check_forms(terms, glossary.id, forms, current.id)
    now = utcnow()
    values = {
        **after,
        "sort_key": fold(after["term"]),
        "updated_at": now,
        "updated_by": principal.user.id,
    }
    # Under the lock nobody else can change the term; the version in the WHERE clause is the
    # backstop that makes the check atomic whatever the isolation level.
    if not await terms.update_if_version(current.id, current.version, values):
        raise PreconditionFailed("The term changed since you read it; fetch it and retry.")
    if forms != _forms(before):
        await terms.replace_forms([current.id], _form_rows(glossary.id, current.id, forms))
    await terms.add_revisions(
        [
            _revision_row(
                glossary.id, current.id, "update", before, after, version, principal.user.id, now
            )
        ]
    )
    return await load_term(session, glossary, current.id)


async def delete_term(
    session: AsyncSession,
    principal: Principal,
    glossary: Glossary,
    term: Term,
    *,
    conditional: bool = False,
) -> None:
    current, version = await _locked_current(session, glossary, term, conditional=conditional)
    before = snapshot(current)
    terms = TermRepository(session)
    if not await terms.delete_if_version(current.id, current.version):
        raise PreconditionFailed("The term changed since you read it; fetch it and retry.")
    await terms.add_revisions(
        [
            _revision_row(
                glossary.id,
                current.id,
                "delete",
                before,
                None,
                version,
                principal.user.id,
                utcnow(),
            )
        ]
    )


async def term_history(
    session: AsyncSession, glossary: Glossary, term_id: uuid.UUID, cursor: str | None, limit: int
) -> tuple[list[schemas.TermRevision], str | None]:
    before = decode_cursor(cursor)
    rows = await TermRepository(session).revisions(
        glossary.id, term_id, _pair(before, int), limit + 1
    )
    if not rows and before is None:
        raise NotFound("No such term in this glossary, and no history of one.")
    more = len(rows) > limit
    rows = rows[:limit]
    items = [
        schemas.TermRevision(
            id=revision.id,
            term_id=revision.term_id,
            action=revision.action,
            before=revision.before,
            after=revision.after,
            glossary_version=revision.glossary_version,
            user_id=revision.user_id,
            user_name=user_name,
            created_at=revision.created_at,
        )
        for revision, user_name in rows
    ]
    last = rows[-1][0] if rows else None
    next_cursor = (
        encode_cursor([last.glossary_version, str(last.id)]) if more and last is not None else None
    )
    return items, next_cursor


async def restore_term(
    session: AsyncSession,
    principal: Principal,
    glossary: Glossary,
    term_id: uuid.UUID,
    revision_id: uuid.UUID | None,
) -> Term:
    """Bring a deleted term back, with its id, as it was before deletion (or at a revision)."""
    terms = TermRepository(session)
    # The revision first: a term id from another glossary is 404 here, never "exists".
    revision = await terms.revision(glossary.id, term_id, revision_id)
    if revision is None:
        raise NotFound("No such revision of a term in this glossary.")
    if await terms.exists(term_id):
        raise Conflict("The term exists; edit it instead of restoring it.")
    state = revision.before if revision.action == "delete" else revision.after
    if state is None:
        raise Conflict("That revision holds no version of the term to restore.")
    content = schemas.TermCreate.model_validate(state).model_dump()
    return await _insert_term(session, glossary, principal.user.id, content, term_id, "restore")


# --- import and export -----------------------------------------------------------------------


@dataclass
class _Planned:
    line: int | None
    content: dict[str, Any]
    forms: list[Form]
    existing: dict[str, Any] | None  # the stored row it updates (upsert), else None
    term_id: uuid.UUID


def _row_errors(
    rows: Sequence[formats.ParsedRow],
) -> tuple[list[tuple[int | None, dict[str, Any]]], list[schemas.RowError]]:
    valid: list[tuple[int | None, dict[str, Any]]] = []
    errors: list[schemas.RowError] = []
    for row in rows:
        term_text = row.data.get("term") if isinstance(row.data.get("term"), str) else None
        if row.error is not None:
            errors.append(schemas.RowError(line=row.line, term=term_text, message=row.error))
            continue
        try:
            content = schemas.TermImport.model_validate(row.data).model_dump()
        except ValidationError as exc:
            for error in exc.errors():
                location = ".".join(str(part) for part in error["loc"]) or None
                errors.append(
                    schemas.RowError(
                        line=row.line, term=term_text, field=location, message=error["msg"]
                    )
                )
            continue
        valid.append((row.line, content))
    return valid, errors


def _where(line: int | None) -> str:
    return f"line {line}" if line is not None else "another row"


async def import_terms(
    session: AsyncSession,
    glossary: Glossary,
    user_id: uuid.UUID | None,
    data: bytes,
    fmt: schemas.ImportFormat,
    *,
    mode: schemas.ImportMode = "create",
    dry_run: bool = False,
    progress: ProgressFn | None = None,
) -> schemas.ImportResult:
    """All or nothing: every row is checked before the first write, and any bad row rejects
    the file with a report of every bad row (422), leaving the glossary untouched."""
    if len(data) > schemas.MAX_IMPORT_BYTES:
        raise PayloadTooLarge(
            f"The file is larger than the limit of {schemas.MAX_IMPORT_BYTES} bytes.",
            extra={"limit_bytes": schemas.MAX_IMPORT_BYTES},
        )
    try:
        parsed = formats.parse(data, fmt)
    except formats.FormatError as exc:
        raise Unprocessable(
            exc.message,
            extra={"errors": [schemas.RowError(line=exc.line, message=exc.message).model_dump()]},
        ) from exc
    if len(parsed) > schemas.MAX_TERMS_PER_GLOSSARY:
        raise PayloadTooLarge(
            f"The file has {len(parsed)} terms; a glossary holds at most "
            f"{schemas.MAX_TERMS_PER_GLOSSARY}.",
            extra={"limit": schemas.MAX_TERMS_PER_GLOSSARY},
        )
    total = len(parsed)
    if progress:
        progress("checking", 0, total)
    valid, errors = _row_errors(parsed)

    glossaries, terms = GlossaryRepository(session), TermRepository(session)
    now = utcnow()
    # Hold the glossary's row lock from the checks to the writes, so no edit falls between.
    await glossaries.lock(glossary.id)
    # Plain rows, not ORM objects: an upsert of a large glossary reads every stored term.
    stored = await terms.all_rows(glossary.id)
    stored_by_key = {forms_of(row["term"], (), row["case_sensitive"])[0].key: row for row in stored}

    planned: list[_Planned] = []
    seen_keys: dict[str, int | None] = {}
    for line, content in valid:
        forms = _forms(content)
        key = forms[0].key  # the term's own form comes first
        if key in seen_keys:
            errors.append(
                schemas.RowError(
                    line=line,
                    term=content["term"],
                    field="term",
                    message=f"the same term as {_where(seen_keys[key])}",
                )
            )
            continue
        seen_keys[key] = line
        existing = stored_by_key.get(key)
        if existing is not None and mode == "create":
            errors.append(
                schemas.RowError(
                    line=line,
                    term=content["term"],
                    field="term",
                    message="the glossary already has this term (import with mode=upsert "
                    "to update it)",
                )
            )
            continue
        planned.append(
            _Planned(
                line,
                content,
                forms,
                _row_snapshot(existing) if existing is not None else None,
                existing["id"] if existing is not None else uuid.uuid4(),
            )
        )
        if progress and len(planned) % 5_000 == 0:
            progress("checking", len(planned), total)

    # Surface forms: those of stored terms this file does not rewrite, then the file's own.
    updated_ids = {plan.term_id for plan in planned if plan.existing is not None}
    stored_text = {row["id"]: row["term"] for row in stored}
    claims: dict[str, list[tuple[Form, uuid.UUID, str]]] = {}
    for form_key_, folded, case_sensitive, owner in await terms.all_forms(glossary.id):
        if owner not in updated_ids:
            form = Form(form_key_, folded, case_sensitive, form_key_)
            claims.setdefault(folded, []).append((form, owner, f"the term {stored_text[owner]!r}"))
    for plan in planned:
        for form in plan.forms:
            bucket = claims.setdefault(form.folded, [])
            other = next((c for c in bucket if c[1] != plan.term_id and clash(form, c[0])), None)
            if other is not None:
                errors.append(
                    schemas.RowError(
                        line=plan.line,
                        term=plan.content["term"],
                        field="aliases" if form.surface != plan.content["term"] else "term",
                        message=f"{form.surface!r} is already a form of {other[2]}",
                    )
                )
            else:
                bucket.append(
                    (form, plan.term_id, f"{plan.content['term']!r} ({_where(plan.line)})")
                )

    if errors:
        errors.sort(key=lambda e: (e.line is None, e.line or 0))
        raise Unprocessable(
            f"{len({(e.line, e.term) for e in errors})} bad row(s); nothing was imported.",
            extra={"errors": [e.model_dump() for e in errors]},
        )

    creates = [plan for plan in planned if plan.existing is None]
    updates = [
        plan for plan in planned if plan.existing is not None and plan.content != plan.existing
    ]
    if len(stored) + len(creates) > schemas.MAX_TERMS_PER_GLOSSARY:
        raise PayloadTooLarge(
            f"The import would give the glossary {len(stored) + len(creates)} terms; it may "
            f"hold {schemas.MAX_TERMS_PER_GLOSSARY}.",
            extra={"limit": schemas.MAX_TERMS_PER_GLOSSARY},
        )
    changes = [
        schemas.ImportChange(line=p.line, term=p.content["term"], action="create") for p in creates
    ] + [
        schemas.ImportChange(line=p.line, term=p.content["term"], action="update") for p in updates
    ]
    changes.sort(key=lambda c: (c.line is None, c.line or 0))
    result = schemas.ImportResult(
        format=fmt,
        mode=mode,
        dry_run=dry_run,
        rows=len(planned),
        created=len(creates),
        updated=len(updates),
        unchanged=len(planned) - len(creates) - len(updates),
        glossary_version=glossary.version,
        changes=changes[:MAX_REPORTED_CHANGES],
        changes_truncated=len(changes) > MAX_REPORTED_CHANGES,
    )
    if dry_run or not (creates or updates):
        return result

    version = await glossaries.bump_version(glossary.id, now)
    stored_versions = {row["id"]: row["version"] for row in stored}
    reformed = [p for p in updates if p.forms != _forms(p.existing or {})]
    form_rows = [
        row for p in creates + reformed for row in _form_rows(glossary.id, p.term_id, p.forms)
    ]
    # Rows of every table count towards the bar: forms and history are most of the writing.
    to_write = 2 * (len(creates) + len(updates)) + len(form_rows)
    written = 0

    def tick(count: int) -> None:
        nonlocal written
        written += count
        if progress:
            progress("writing", written, to_write)

    await terms.insert_many(
        [
            {
                "id": p.term_id,
                "glossary_id": glossary.id,
                "sort_key": fold(p.content["term"]),
                "version": 1,
                "created_at": now,
                "updated_at": now,
                "created_by": user_id,
                "updated_by": user_id,
                **p.content,
            }
            for p in creates
        ],
        tick,
    )
    await terms.update_many(
        [
            {
                "id": p.term_id,
                "sort_key": fold(p.content["term"]),
                "updated_at": now,
                "updated_by": user_id,
                # Bumped so an ETag read before the import goes stale.
                "version": stored_versions[p.term_id] + 1,
                **p.content,
            }
            for p in updates
        ],
        tick,
    )
    await terms.replace_forms([p.term_id for p in reformed], form_rows, tick)
    await terms.add_revisions(
        [
            _revision_row(
                glossary.id, p.term_id, "import", p.existing, p.content, version, user_id, now
            )
            for p in creates + updates
        ],
        tick,
    )
    result.glossary_version = version
    return result


async def export_terms(
    session: AsyncSession, glossary: Glossary, fmt: schemas.ImportFormat
) -> bytes:
    rows = await TermRepository(session).all_rows(glossary.id)
    # Stored terms were validated on the way in: construct, don't re-validate (3x faster).
    terms = [schemas.Term.model_construct(**row) for row in rows]
    items = _TERM_LIST.dump_python(terms, mode="json")
    return formats.write(items, fmt, glossary.name)


def _pair(value: Any, key_type: type) -> tuple[Any, str] | None:
    """A decoded cursor [sort key, id], checked: a forged one is 400, never a database error."""
    if value is None:
        return None
    if not (
        isinstance(value, list)
        and len(value) == 2
        and isinstance(value[0], key_type)
        and not isinstance(value[0], bool)
        and isinstance(value[1], str)
    ):
        raise BadRequest("The cursor is not one this server gave out.")
    try:
        uuid.UUID(value[1])
    except ValueError as exc:
        raise BadRequest("The cursor is not one this server gave out.") from exc
    return value[0], value[1]
