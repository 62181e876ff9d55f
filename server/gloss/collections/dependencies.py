"""Dependencies that load a collection (or annotation) and check the caller may use it."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Request

from gloss.auth.dependencies import CurrentPrincipal, current_principal
from gloss.collections import service
from gloss.collections.presenter import Iris
from gloss.collections.repository import AnnotationRow
from gloss.collections.service import CollectionAccess
from gloss.db import SessionDep
from gloss.errors import Unauthorized
from gloss.models import Collection
from gloss.settings import SettingsDep


def get_iris(request: Request, settings: SettingsDep) -> Iris:
    base = settings.public_url or str(request.base_url)
    return Iris(base.rstrip("/"))


IrisDep = Annotated[Iris, Depends(get_iris)]


async def collection_for_read(
    collection_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep
) -> CollectionAccess:
    """Any member of the collection's team (its owner, for a private one); else 404."""
    return await service.get_access(session, principal, collection_id)


CollectionForRead = Annotated[CollectionAccess, Depends(collection_for_read)]


async def collection_for_edit(access: CollectionForRead) -> CollectionAccess:
    """Editors and owners add and change annotations; viewers get 403."""
    return service.require_edit(access)


CollectionForEdit = Annotated[CollectionAccess, Depends(collection_for_edit)]


async def collection_for_manage(access: CollectionForRead) -> CollectionAccess:
    """The team's owners and the collection's creator rename, move, delete and share it."""
    return service.require_manage(access)


CollectionForManage = Annotated[CollectionAccess, Depends(collection_for_manage)]


async def annotation_in_collection(
    annotation_id: uuid.UUID, access: CollectionForRead, session: SessionDep
) -> AnnotationRow:
    return await service.get_annotation(session, access, annotation_id)


AnnotationInCollection = Annotated[AnnotationRow, Depends(annotation_in_collection)]


async def shared_collection(
    collection_id: uuid.UUID, request: Request, session: SessionDep, key: str | None = None
) -> Collection:
    """The share page opens for a signed-in member (bearer token) or with a share link's key."""
    if request.headers.get("authorization"):
        principal = await current_principal(request, session)
        return (await service.get_access(session, principal, collection_id)).collection
    if key:
        return await service.shared_collection(session, collection_id, key)
    raise Unauthorized("Sign in with a token, or open the share link the owner gave you.")
