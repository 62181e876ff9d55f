"""Glossaries and their terms: create, read, edit and delete, each term edit with its revision.

Import and export are in gloss.glossaries.transfer, reading history in gloss.glossaries.history,
and what annotate needs in gloss.glossaries.compiled."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from gloss.auth.service import Principal
from gloss.errors import Conflict, NotFound, PayloadTooLarge, PreconditionFailed, Unprocessable
from gloss.etags import make_etag
from gloss.glossaries import schemas
from gloss.glossaries.history import revision_row, snapshot
from gloss.glossaries.repository import GlossaryRepository, TermRepository, form_rows
from gloss.glossaries.surface import Form, clash, content_forms, fold
from gloss.models import Glossary, Role, Term
from gloss.models.base import utcnow
from gloss.pagination import decode_key_cursor, encode_cursor
from gloss.teams.access import require_member, require_role
from gloss.teams.repository import TeamRepository


@dataclass(frozen=True, slots=True)
class GlossaryView:
    glossary: Glossary
    term_count: int


def glossary_etag(glossary: Glossary) -> str:
    return make_etag("glossary", glossary.id, glossary.version)


def term_etag(term: Term) -> str:
    return make_etag("term", term.id, term.version)


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
    after = decode_key_cursor(cursor, str)
    repo = GlossaryRepository(session)
    glossaries = await repo.list_for_teams(team_ids, after, limit + 1)
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
    after = decode_key_cursor(cursor, str)
    terms = await TermRepository(session).page(
        glossary.id,
        # NUL cannot be in any stored form, and PostgreSQL refuses it in a parameter.
        search=fold(q.replace("\x00", "")) if q and q.replace("\x00", "").strip() else None,
        substring=match == "substring",
        after=after,
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
    team_limit: int | None,
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
    await check_team_room(terms, glossary.team_id, 1, team_limit)
    forms = content_forms(content)
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
    await terms.replace_forms([], form_rows(glossary.id, term.id, forms))
    await terms.add_revisions(
        [revision_row(glossary.id, term.id, action, None, content, version, user_id, now)]
    )
    return term


async def create_term(
    session: AsyncSession,
    principal: Principal,
    glossary: Glossary,
    body: schemas.TermCreate,
    *,
    team_limit: int | None = None,
) -> Term:
    return await _insert_term(
        session, glossary, principal.user.id, body.model_dump(), uuid.uuid4(), "create", team_limit
    )


async def check_team_room(
    terms: TermRepository, team_id: uuid.UUID, adding: int, team_limit: int | None
) -> None:
    """413 when `adding` more terms would take the team past `team_limit` across its
    glossaries (GLOSS_MAX_TERMS_PER_TEAM)."""
    if team_limit is None:
        return
    held = await terms.count_in_team(team_id)
    if held + adding > team_limit:
        raise PayloadTooLarge(
            f"The team's glossaries hold {held} terms; {adding} more would pass the limit of "
            f"{team_limit} a team may hold.",
            extra={"limit": team_limit},
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
    forms = content_forms(after)
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
    if forms != content_forms(before):
        await terms.replace_forms([current.id], form_rows(glossary.id, current.id, forms))
    await terms.add_revisions(
        [
            revision_row(
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
            revision_row(
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


async def restore_term(
    session: AsyncSession,
    principal: Principal,
    glossary: Glossary,
    term_id: uuid.UUID,
    revision_id: uuid.UUID | None,
    *,
    team_limit: int | None = None,
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
    return await _insert_term(
        session, glossary, principal.user.id, content, term_id, "restore", team_limit
    )
