"""Collections and their annotations: who may do what, and each use case as one function."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from gloss.auth.service import Principal, hash_token
from gloss.collections import formats
from gloss.collections.presenter import (
    Iris,
    PageWindow,
    present_annotation,
    present_container,
    present_page,
)
from gloss.collections.repository import (
    AnnotationRepository,
    AnnotationRow,
    CollectionRepository,
    ShareLinkRepository,
)
from gloss.collections.schemas import AnnotationData, CollectionUpdate, ImportReport
from gloss.collections.share import render_share_page
from gloss.errors import BadRequest, Forbidden, NotFound, PreconditionFailed, Unprocessable
from gloss.etags import make_etag
from gloss.models import Annotation, Collection, Role, ShareLink, User
from gloss.models.base import utcnow
from gloss.pagination import decode_cursor, encode_cursor
from gloss.teams.access import require_member, require_role
from gloss.urls import normalize_url

SHARE_KEY_PREFIX = "glc_"


@dataclass
class CollectionAccess:
    """A collection the caller may see, with what they may do to it."""

    collection: Collection
    role: Role
    can_manage: bool

    @property
    def can_edit(self) -> bool:
        return self.role.at_least(Role.editor)


def _access(principal: Principal, collection: Collection | None) -> CollectionAccess:
    if collection is None:
        raise NotFound("No such collection.")
    if collection.team_id is None:
        # A private collection is its owner's alone; to anyone else it does not exist.
        if collection.owner_id != principal.user.id:
            raise NotFound("No such collection.")
        return CollectionAccess(collection, Role.owner, can_manage=True)
    role = require_member(principal, collection.team_id, "collection")
    # Team owners manage every collection of the team; its creator manages it while they may
    # still edit in the team.
    creator = collection.owner_id == principal.user.id and role.at_least(Role.editor)
    return CollectionAccess(collection, role, can_manage=role == Role.owner or creator)


async def get_access(
    session: AsyncSession, principal: Principal, collection_id: uuid.UUID
) -> CollectionAccess:
    return _access(principal, await CollectionRepository(session).get(collection_id))


def require_edit(access: CollectionAccess) -> CollectionAccess:
    if not access.can_edit:
        raise Forbidden(
            f"Adding or changing annotations needs the editor role; you are a {access.role.value}."
        )
    return access


def require_manage(access: CollectionAccess) -> CollectionAccess:
    if not access.can_manage:
        raise Forbidden("Only the team's owners and the collection's creator manage it.")
    return access


def collection_etag_parts(collection: Collection) -> tuple[object, ...]:
    return ("collection", collection.id, collection.version)


async def _flush(session: AsyncSession) -> None:
    try:
        await session.flush()
    except StaleDataError as exc:
        # Someone else wrote between our read and our write (version_id_col caught it).
        raise PreconditionFailed("The resource changed while you were writing; retry.") from exc


# --- Collections ----------------------------------------------------------------------------


async def create_collection(
    session: AsyncSession, principal: Principal, name: str, team_id: uuid.UUID | None
) -> CollectionAccess:
    if team_id is not None:
        role = require_role(principal, team_id, Role.editor)
    else:
        role = Role.owner
    now = utcnow()
    collection = Collection(
        team_id=team_id, owner_id=principal.user.id, name=name, created_at=now, updated_at=now
    )
    await CollectionRepository(session).add(collection)
    return CollectionAccess(collection, role, can_manage=True)


async def list_collections(
    session: AsyncSession,
    principal: Principal,
    *,
    team_id: uuid.UUID | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[tuple[CollectionAccess, int]], str | None]:
    if team_id is not None:
        require_member(principal, team_id)  # another team's list is a 404, as its glossaries
    after = decode_cursor(cursor)
    key = None
    if after is not None:
        try:
            key = (str(after[0]), uuid.UUID(str(after[1])))
        except (ValueError, IndexError, TypeError, KeyError) as exc:
            raise BadRequest("The cursor is not one this server gave out.") from exc
    repo = CollectionRepository(session)
    found = await repo.list_visible(
        principal.user.id, principal.team_ids, team_id=team_id, after=key, limit=limit + 1
    )
    more = len(found) > limit
    found = found[:limit]
    counts = await repo.counts([c.id for c in found])
    items = [(_access(principal, c), counts.get(c.id, 0)) for c in found]
    next_cursor = encode_cursor([found[-1].name, str(found[-1].id)]) if more else None
    return items, next_cursor


async def count_annotations(session: AsyncSession, collection: Collection) -> int:
    return (await CollectionRepository(session).counts([collection.id])).get(collection.id, 0)


async def update_collection(
    session: AsyncSession, principal: Principal, access: CollectionAccess, body: CollectionUpdate
) -> CollectionAccess:
    """Rename, and/or move to another of the caller's teams (or make it private)."""
    require_manage(access)
    collection = access.collection
    if "name" in body.model_fields_set and body.name is not None:
        collection.name = body.name
    if "team_id" in body.model_fields_set and body.team_id != collection.team_id:
        if body.team_id is not None:
            require_role(principal, body.team_id, Role.editor)
        elif collection.owner_id != principal.user.id:
            raise Forbidden("Only the collection's creator may make it private.")
        collection.team_id = body.team_id
    collection.updated_at = utcnow()
    await _flush(session)
    return _access(principal, collection)


async def delete_collection(session: AsyncSession, access: CollectionAccess) -> None:
    require_manage(access)
    await CollectionRepository(session).delete(access.collection)


# --- Annotations ----------------------------------------------------------------------------


def _apply(annotation: Annotation, data: AnnotationData) -> None:
    annotation.target_source = data.source
    annotation.target_uri_normalized = normalize_url(data.source)[:2048]
    annotation.target_title = data.title
    annotation.target_is_iri = data.target_is_iri and not data.selectors
    annotation.selectors = data.selectors
    annotation.search_text = f"{data.quote or ''}\n{data.text or ''}".lower()
    annotation.motivation = data.motivation
    annotation.text = data.text
    annotation.tags = data.tags
    annotation.tags_index = "\n" + "".join(f"{t.lower()}\n" for t in data.tags)
    annotation.color = data.color


def _new_annotation(
    collection: Collection, creator: User, data: AnnotationData, *, keep_times: bool
) -> Annotation:
    now = utcnow()
    created = (data.created or now) if keep_times else now
    modified = (data.modified or created) if keep_times else now
    annotation = Annotation(
        id=uuid.uuid4(),
        collection_id=collection.id,
        creator_id=creator.id,
        created_at=created,
        updated_at=max(created, modified),
    )
    _apply(annotation, data)
    return annotation


async def create_annotation(
    session: AsyncSession, principal: Principal, access: CollectionAccess, data: AnnotationData
) -> AnnotationRow:
    require_edit(access)
    annotation = _new_annotation(access.collection, principal.user, data, keep_times=False)
    annotation.canonical = data.canonical
    # The id a client gave its document is not ours to keep as the id: it is kept as `via`.
    annotation.via = data.sent_id
    await AnnotationRepository(session).add(annotation)
    return annotation, principal.user


async def get_annotation(
    session: AsyncSession, access: CollectionAccess, annotation_id: uuid.UUID
) -> AnnotationRow:
    row = await AnnotationRepository(session).get(access.collection.id, annotation_id)
    if row is None:
        raise NotFound("No such annotation in this collection.")
    return row


def annotation_etag_parts(annotation: Annotation) -> tuple[object, ...]:
    return ("annotation", annotation.id, annotation.version)


async def replace_annotation(
    session: AsyncSession, access: CollectionAccess, row: AnnotationRow, data: AnnotationData
) -> AnnotationRow:
    """PUT: the new description replaces the old; creator and created stay."""
    require_edit(access)
    annotation, creator = row
    _apply(annotation, data)
    # `canonical` is maintained without change once set (W3C Web Annotation Protocol).
    if annotation.canonical is None:
        annotation.canonical = data.canonical
    annotation.updated_at = max(utcnow(), annotation.created_at)
    await _flush(session)
    return annotation, creator


async def delete_annotation(
    session: AsyncSession, access: CollectionAccess, row: AnnotationRow
) -> None:
    require_edit(access)
    try:
        await AnnotationRepository(session).delete(row[0])
    except StaleDataError as exc:
        raise PreconditionFailed("The annotation changed while you were deleting it.") from exc


async def container_stats(
    session: AsyncSession, collection: Collection
) -> tuple[int, datetime | None]:
    return await AnnotationRepository(session).stats(collection.id)


async def annotation_page(
    session: AsyncSession, collection: Collection, offset: int, limit: int
) -> list[AnnotationRow]:
    return await AnnotationRepository(session).page(collection.id, offset, limit)


async def search_annotations(
    session: AsyncSession,
    principal: Principal,
    *,
    url: str,
    tag: str | None,
    q: str | None,
    user: str | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[AnnotationRow], str | None]:
    """The caller's visible annotations on one page, across all their collections."""
    after = decode_cursor(cursor)
    key = None
    if after is not None:
        try:
            key = (datetime.fromisoformat(str(after[0])), uuid.UUID(str(after[1])))
        except (ValueError, IndexError, TypeError, KeyError) as exc:
            raise BadRequest("The cursor is not one this server gave out.") from exc
    try:
        url_normalized = normalize_url(url)[:2048]
    except ValueError as exc:  # e.g. "Invalid IPv6 URL" for http://[x/
        raise BadRequest(f"The url is not a valid URL: {exc}.") from exc
    visible = CollectionRepository.visible_to(principal.user.id, principal.team_ids)
    rows = await AnnotationRepository(session).search(
        visible,
        url_normalized=url_normalized,
        tag=tag,
        q=q,
        user=user,
        after=key,
        limit=limit + 1,
    )
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if more:
        last = rows[-1][0]
        next_cursor = encode_cursor([last.created_at.isoformat(), str(last.id)])
    return rows, next_cursor


# --- Export and import ----------------------------------------------------------------------


async def export_collection(
    session: AsyncSession, access: CollectionAccess, iris: Iris, fmt: str, page_size: int
) -> tuple[str, str]:
    """The collection in one of formats.EXPORT_FORMATS; returns (text, media type)."""
    collection = access.collection
    rows = await AnnotationRepository(session).all_in(collection.id)
    docs = [present_annotation(a, u, iris) for a, u in rows]
    return formats.export(fmt, collection, docs, iris, page_size)


async def import_annotations(
    session: AsyncSession,
    principal: Principal,
    access: CollectionAccess,
    document: Any,
    iris: Iris,
) -> ImportReport:
    """All or nothing: every item is validated first, and one bad item stores none."""
    require_edit(access)
    plan = formats.parse_import(document)
    if plan.errors:
        raise Unprocessable(
            f"{len(plan.errors)} of the {plan.seen} items are not valid; nothing was imported.",
            extra={"format": plan.format, "errors": plan.errors},
        )
    annotations = [
        _new_annotation(access.collection, principal.user, data, keep_times=True)
        for data in plan.items
    ]
    await AnnotationRepository(session).add_all(annotations)
    return ImportReport(
        format=plan.format,
        imported=len(annotations),
        skipped=plan.skipped,
        warnings=plan.warnings,
        ids=[iris.annotation(a.collection_id, a.id) for a in annotations],
    )


# --- Sharing --------------------------------------------------------------------------------


async def create_share_link(
    session: AsyncSession, principal: Principal, access: CollectionAccess
) -> tuple[ShareLink, str]:
    require_manage(access)
    secret = SHARE_KEY_PREFIX + secrets.token_urlsafe(24)
    link = ShareLink(
        collection_id=access.collection.id,
        created_by=principal.user.id,
        token_hash=hash_token(secret),
        prefix=secret[: len(SHARE_KEY_PREFIX) + 6],
        created_at=utcnow(),
    )
    await ShareLinkRepository(session).add(link)
    return link, secret


async def list_share_links(session: AsyncSession, access: CollectionAccess) -> list[ShareLink]:
    require_manage(access)
    return await ShareLinkRepository(session).list_for(access.collection.id)


async def revoke_share_link(
    session: AsyncSession, access: CollectionAccess, link_id: uuid.UUID
) -> None:
    require_manage(access)
    link = await ShareLinkRepository(session).get(access.collection.id, link_id)
    if link is None:
        raise NotFound("No such share link.")
    if link.revoked_at is None:
        link.revoked_at = utcnow()
        await session.flush()


async def shared_collection(
    session: AsyncSession, collection_id: uuid.UUID, key: str
) -> Collection:
    """The collection a share key opens; a wrong, revoked or foreign key is 404."""
    link = None
    if key.startswith(SHARE_KEY_PREFIX) and len(key) < 200:
        link = await ShareLinkRepository(session).get_active_by_hash(hash_token(key))
    if link is None or link.collection_id != collection_id:
        raise NotFound("No such collection, or the share link was revoked.")
    collection = await CollectionRepository(session).get(collection_id)
    if collection is None:
        raise NotFound("No such collection.")
    return collection


async def share_page_rows(session: AsyncSession, collection: Collection) -> list[AnnotationRow]:
    return await AnnotationRepository(session).all_in(collection.id)


# --- The W3C container and its pages --------------------------------------------------------


def _items(rows: list[AnnotationRow], iris: Iris, contained_iris: bool) -> list[Any]:
    if contained_iris:
        return [iris.annotation(a.collection_id, a.id) for a, _ in rows]
    return [present_annotation(a, u, iris) for a, u in rows]


async def container_document(
    session: AsyncSession,
    access: CollectionAccess,
    iris: Iris,
    *,
    minimal: bool,
    contained_iris: bool,
    page_size: int,
) -> tuple[dict[str, Any], str]:
    """The container's description (with its first page unless minimal) and its ETag."""
    collection = access.collection
    repo = AnnotationRepository(session)
    total, latest = await repo.stats(collection.id)
    etag = make_etag(
        "container", collection.id, collection.version, total, latest, minimal, contained_iris
    )
    first_page = None
    if total and not minimal:
        rows = await repo.page(collection.id, 0, page_size)
        window = PageWindow(0, page_size, total)
        first_page = present_page(
            collection,
            iris,
            window,
            _items(rows, iris, contained_iris),
            contained_iris=contained_iris,
            embedded=True,
        )
    doc = present_container(
        collection,
        iris,
        total=total,
        modified=latest,
        page_size=page_size,
        contained_iris=contained_iris,
        first_page=first_page,
    )
    return doc, etag


async def page_document(
    session: AsyncSession,
    access: CollectionAccess,
    iris: Iris,
    *,
    index: int,
    contained_iris: bool,
    page_size: int,
) -> tuple[dict[str, Any], str]:
    collection = access.collection
    repo = AnnotationRepository(session)
    total, latest = await repo.stats(collection.id)
    window = PageWindow(index, page_size, total)
    if index > window.last_index:
        raise NotFound(f"The container has pages 0 to {window.last_index}.")
    rows = await repo.page(collection.id, window.start, page_size)
    doc = present_page(
        collection, iris, window, _items(rows, iris, contained_iris), contained_iris=contained_iris
    )
    etag = make_etag(
        "page", collection.id, collection.version, total, latest, index, contained_iris
    )
    return doc, etag


async def share_page(session: AsyncSession, collection: Collection, iris: Iris) -> str:
    rows = await AnnotationRepository(session).all_in(collection.id)
    return render_share_page(collection.name, [present_annotation(a, u, iris) for a, u in rows])
