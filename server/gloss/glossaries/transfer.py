"""Glossary files in and out: an import checks every row before the first write (all or nothing,
with a report of every bad row), then writes in bulk; an export writes CSV, JSON or TBX."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from gloss.errors import PayloadTooLarge, Unprocessable
from gloss.glossaries import formats, schemas
from gloss.glossaries.history import revision_row, row_snapshot
from gloss.glossaries.repository import GlossaryRepository, TermRepository, form_rows
from gloss.glossaries.service import check_team_room
from gloss.glossaries.surface import Form, clash, content_forms, fold, forms_of
from gloss.models import Glossary
from gloss.models.base import utcnow

# (stage, done, total): the CLI draws a progress bar from it; the API passes None.
ProgressFn = Callable[[str, int, int], None]
MAX_REPORTED_CHANGES = 1_000
# Serialises a whole export in one call.
_TERM_LIST = TypeAdapter(list[schemas.Term])
# Rows checked between two progress reports.
_REPORT_EVERY = 5_000


def _no_progress(_stage: str, _done: int, _total: int) -> None:
    return None


@dataclass
class _Planned:
    """One valid row of the file, as it will be written."""

    line: int | None
    content: dict[str, Any]
    forms: list[Form]
    existing: dict[str, Any] | None  # the stored row it updates (upsert), else None
    term_id: uuid.UUID


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
    team_limit: int | None = None,
) -> schemas.ImportResult:
    """All or nothing: every row is checked before the first write, and any bad row rejects
    the file with a report of every bad row (422), leaving the glossary untouched."""
    report = progress or _no_progress
    parsed = _parse(data, fmt)
    report("checking", 0, len(parsed))
    valid, errors = _row_errors(parsed)

    terms = TermRepository(session)
    # Hold the glossary's row lock from the checks to the writes, so no edit falls between.
    await GlossaryRepository(session).lock(glossary.id)
    # Plain rows, not ORM objects: an upsert of a large glossary reads every stored term.
    stored = await terms.all_rows(glossary.id)
    planned = _plan(valid, stored, mode, errors, lambda n: report("checking", n, len(parsed)))
    errors += _form_clashes(planned, stored, await terms.all_forms(glossary.id))
    if errors:
        errors.sort(key=lambda e: (e.line is None, e.line or 0))
        raise Unprocessable(
            f"{len({(e.line, e.term) for e in errors})} bad row(s); nothing was imported.",
            extra={"errors": [e.model_dump() for e in errors]},
        )

    creates = [p for p in planned if p.existing is None]
    updates = [p for p in planned if p.existing is not None and p.content != p.existing]
    if len(stored) + len(creates) > schemas.MAX_TERMS_PER_GLOSSARY:
        raise PayloadTooLarge(
            f"The import would give the glossary {len(stored) + len(creates)} terms; it may "
            f"hold {schemas.MAX_TERMS_PER_GLOSSARY}.",
            extra={"limit": schemas.MAX_TERMS_PER_GLOSSARY},
        )
    await check_team_room(terms, glossary.team_id, len(creates), team_limit)
    result = _result(fmt, mode, dry_run, len(planned), creates, updates, glossary.version)
    if dry_run or not (creates or updates):
        return result
    result.glossary_version = await _write(
        session, glossary, user_id, stored, creates, updates, report
    )
    return result


def _parse(data: bytes, fmt: schemas.ImportFormat) -> list[formats.ParsedRow]:
    """The file's rows; a file too large, unreadable or with too many terms is refused whole."""
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
    return parsed


def _row_errors(
    rows: Sequence[formats.ParsedRow],
) -> tuple[list[tuple[int | None, dict[str, Any]]], list[schemas.RowError]]:
    """The rows that are valid terms on their own (line, content), and the others' errors."""
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


def _plan(
    valid: Sequence[tuple[int | None, dict[str, Any]]],
    stored: Sequence[dict[str, Any]],
    mode: schemas.ImportMode,
    errors: list[schemas.RowError],
    checked: Callable[[int], None],
) -> list[_Planned]:
    """Each valid row as a create or (upsert) an update of the stored term it names; a term
    twice in the file, or (create) already stored, is an error appended to `errors`."""
    stored_by_key = {forms_of(row["term"], (), row["case_sensitive"])[0].key: row for row in stored}
    planned: list[_Planned] = []
    seen_keys: dict[str, int | None] = {}
    for line, content in valid:
        forms = content_forms(content)
        key = forms[0].key  # the term's own form comes first
        problem = None
        if key in seen_keys:
            problem = f"the same term as {_where(seen_keys[key])}"
        else:
            seen_keys[key] = line
            if key in stored_by_key and mode == "create":
                problem = (
                    "the glossary already has this term (import with mode=upsert to update it)"
                )
        if problem is not None:
            errors.append(
                schemas.RowError(line=line, term=content["term"], field="term", message=problem)
            )
            continue
        existing = stored_by_key.get(key)
        planned.append(
            _Planned(
                line,
                content,
                forms,
                row_snapshot(existing) if existing is not None else None,
                existing["id"] if existing is not None else uuid.uuid4(),
            )
        )
        if len(planned) % _REPORT_EVERY == 0:
            checked(len(planned))
    return planned


def _form_clashes(
    planned: Sequence[_Planned],
    stored: Sequence[dict[str, Any]],
    stored_forms: Sequence[tuple[str, str, bool, uuid.UUID]],
) -> list[schemas.RowError]:
    """Rows with a form the matcher would confuse with another term's: the forms of stored
    terms this file does not rewrite come first, then the file's own, in order."""
    updated_ids = {plan.term_id for plan in planned if plan.existing is not None}
    stored_text = {row["id"]: row["term"] for row in stored}
    claims: dict[str, list[tuple[Form, uuid.UUID, str]]] = {}
    for key, folded, case_sensitive, owner in stored_forms:
        if owner not in updated_ids:
            form = Form(key, folded, case_sensitive, key)
            claims.setdefault(folded, []).append((form, owner, f"the term {stored_text[owner]!r}"))
    errors: list[schemas.RowError] = []
    for plan in planned:
        for form in plan.forms:
            bucket = claims.setdefault(form.folded, [])
            other = next((c for c in bucket if c[1] != plan.term_id and clash(form, c[0])), None)
            if other is None:
                bucket.append(
                    (form, plan.term_id, f"{plan.content['term']!r} ({_where(plan.line)})")
                )
                continue
            errors.append(
                schemas.RowError(
                    line=plan.line,
                    term=plan.content["term"],
                    field="aliases" if form.surface != plan.content["term"] else "term",
                    message=f"{form.surface!r} is already a form of {other[2]}",
                )
            )
    return errors


def _result(
    fmt: schemas.ImportFormat,
    mode: schemas.ImportMode,
    dry_run: bool,
    rows: int,
    creates: Sequence[_Planned],
    updates: Sequence[_Planned],
    version: int,
) -> schemas.ImportResult:
    """The report of an import: counts, and the changes row by row (the first thousand)."""
    changes = [
        schemas.ImportChange(line=p.line, term=p.content["term"], action="create") for p in creates
    ] + [
        schemas.ImportChange(line=p.line, term=p.content["term"], action="update") for p in updates
    ]
    changes.sort(key=lambda c: (c.line is None, c.line or 0))
    return schemas.ImportResult(
        format=fmt,
        mode=mode,
        dry_run=dry_run,
        rows=rows,
        created=len(creates),
        updated=len(updates),
        unchanged=rows - len(creates) - len(updates),
        glossary_version=version,
        changes=changes[:MAX_REPORTED_CHANGES],
        changes_truncated=len(changes) > MAX_REPORTED_CHANGES,
    )


async def _write(
    session: AsyncSession,
    glossary: Glossary,
    user_id: uuid.UUID | None,
    stored: Sequence[dict[str, Any]],
    creates: Sequence[_Planned],
    updates: Sequence[_Planned],
    report: ProgressFn,
) -> int:
    """Write the checked rows, their forms and their revisions; the glossary's new version."""
    terms = TermRepository(session)
    now = utcnow()
    version = await GlossaryRepository(session).bump_version(glossary.id, now)
    stored_versions = {row["id"]: row["version"] for row in stored}
    reformed = [p for p in updates if p.forms != content_forms(p.existing or {})]
    forms = [
        row for p in [*creates, *reformed] for row in form_rows(glossary.id, p.term_id, p.forms)
    ]
    # Rows of every table count towards the bar: forms and history are most of the writing.
    to_write = 2 * (len(creates) + len(updates)) + len(forms)
    written = 0

    def tick(count: int) -> None:
        nonlocal written
        written += count
        report("writing", written, to_write)

    await terms.insert_many([_new_row(glossary, user_id, now, p) for p in creates], tick)
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
    await terms.replace_forms([p.term_id for p in reformed], forms, tick)
    await terms.add_revisions(
        [
            revision_row(
                glossary.id, p.term_id, "import", p.existing, p.content, version, user_id, now
            )
            for p in [*creates, *updates]
        ],
        tick,
    )
    return version


def _new_row(
    glossary: Glossary, user_id: uuid.UUID | None, now: datetime, p: _Planned
) -> dict[str, Any]:
    return {
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


async def export_terms(
    session: AsyncSession, glossary: Glossary, fmt: schemas.ImportFormat
) -> bytes:
    rows = await TermRepository(session).all_rows(glossary.id)
    # Stored terms were validated on the way in: construct, don't re-validate (3x faster).
    terms = [schemas.Term.model_construct(**row) for row in rows]
    items = _TERM_LIST.dump_python(terms, mode="json")
    return formats.write(items, fmt, glossary.name)
