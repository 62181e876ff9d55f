"""SQL for collections, their annotations and share links."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from gloss.models import Annotation, Collection, ShareLink, User

AnnotationRow = tuple[Annotation, User | None]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class CollectionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, collection_id: uuid.UUID) -> Collection | None:
        return await self.session.get(Collection, collection_id)

    async def add(self, collection: Collection) -> Collection:
        self.session.add(collection)
        await self.session.flush()
        return collection

    @staticmethod
    def visible_to(user_id: uuid.UUID, team_ids: Sequence[uuid.UUID]) -> ColumnElement[bool]:
        """Collections of the caller's teams, and the caller's own private ones."""
        private = and_(Collection.team_id.is_(None), Collection.owner_id == user_id)
        if not team_ids:
            return private
        return or_(Collection.team_id.in_(team_ids), private)

    async def list_visible(
        self,
        user_id: uuid.UUID,
        team_ids: Sequence[uuid.UUID],
        *,
        team_id: uuid.UUID | None,
        after: tuple[str, uuid.UUID] | None,
        limit: int,
    ) -> list[Collection]:
        query = select(Collection).where(self.visible_to(user_id, team_ids))
        if team_id is not None:
            query = query.where(Collection.team_id == team_id)
        if after is not None:
            name, last_id = after
            query = query.where(
                or_(Collection.name > name, and_(Collection.name == name, Collection.id > last_id))
            )
        result = await self.session.scalars(
            query.order_by(Collection.name, Collection.id).limit(limit)
        )
        return list(result)

    async def counts(self, collection_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
        if not collection_ids:
            return {}
        rows = await self.session.execute(
            select(Annotation.collection_id, func.count())
            .where(Annotation.collection_id.in_(collection_ids))
            .group_by(Annotation.collection_id)
        )
        return {cid: int(n) for cid, n in rows}

    async def delete(self, collection: Collection) -> None:
        # Explicit, so the annotations go even where a backend would not cascade.
        await self.session.execute(
            delete(Annotation).where(Annotation.collection_id == collection.id)
        )
        await self.session.execute(
            delete(ShareLink).where(ShareLink.collection_id == collection.id)
        )
        await self.session.delete(collection)
        await self.session.flush()


class AnnotationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def _with_creator(self) -> Select[Annotation, User]:
        return select(Annotation, User).outerjoin(User, User.id == Annotation.creator_id)

    async def get(self, collection_id: uuid.UUID, annotation_id: uuid.UUID) -> AnnotationRow | None:
        row = (
            await self.session.execute(
                self._with_creator().where(
                    Annotation.id == annotation_id, Annotation.collection_id == collection_id
                )
            )
        ).first()
        return (row[0], row[1]) if row else None

    async def add(self, annotation: Annotation) -> Annotation:
        self.session.add(annotation)
        await self.session.flush()
        return annotation

    async def add_all(self, annotations: Sequence[Annotation]) -> None:
        self.session.add_all(annotations)
        await self.session.flush()

    async def delete(self, annotation: Annotation) -> None:
        await self.session.delete(annotation)
        await self.session.flush()

    async def stats(self, collection_id: uuid.UUID) -> tuple[int, datetime | None]:
        """How many annotations, and when the latest was changed (for the container's ETag)."""
        row = (
            await self.session.execute(
                select(func.count(), func.max(Annotation.updated_at)).where(
                    Annotation.collection_id == collection_id
                )
            )
        ).one()
        latest = row[1]
        if isinstance(latest, str):  # SQLite's max() hands back the stored text
            latest = datetime.fromisoformat(latest)
        return int(row[0]), latest

    async def page(self, collection_id: uuid.UUID, offset: int, limit: int) -> list[AnnotationRow]:
        rows = await self.session.execute(
            self._with_creator()
            .where(Annotation.collection_id == collection_id)
            .order_by(Annotation.created_at, Annotation.id)
            .offset(offset)
            .limit(limit)
        )
        return [(a, u) for a, u in rows]

    async def all_in(self, collection_id: uuid.UUID) -> list[AnnotationRow]:
        rows = await self.session.execute(
            self._with_creator()
            .where(Annotation.collection_id == collection_id)
            .order_by(Annotation.created_at, Annotation.id)
        )
        return [(a, u) for a, u in rows]

    async def search(
        self,
        visible: ColumnElement[bool],
        *,
        url_normalized: str,
        tag: str | None,
        q: str | None,
        user: str | None,
        after: tuple[datetime, uuid.UUID] | None,
        limit: int,
    ) -> list[AnnotationRow]:
        query = (
            self._with_creator()
            .join(Collection, Collection.id == Annotation.collection_id)
            .where(visible, Annotation.target_uri_normalized == url_normalized)
        )
        if tag:
            pattern = f"%\n{_escape_like(tag.strip().lower())}\n%"
            query = query.where(Annotation.tags_index.like(pattern, escape="\\"))
        if q:
            pattern = f"%{_escape_like(q.lower())}%"
            query = query.where(Annotation.search_text.like(pattern, escape="\\"))
        if user:
            query = query.where(User.name == user)
        if after is not None:
            created, last_id = after
            query = query.where(
                or_(
                    Annotation.created_at > created,
                    and_(Annotation.created_at == created, Annotation.id > last_id),
                )
            )
        rows = await self.session.execute(
            query.order_by(Annotation.created_at, Annotation.id).limit(limit)
        )
        return [(a, u) for a, u in rows]


class ShareLinkRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, link: ShareLink) -> ShareLink:
        self.session.add(link)
        await self.session.flush()
        return link

    async def list_for(self, collection_id: uuid.UUID) -> list[ShareLink]:
        result = await self.session.scalars(
            select(ShareLink)
            .where(ShareLink.collection_id == collection_id)
            .order_by(ShareLink.created_at, ShareLink.id)
        )
        return list(result)

    async def get(self, collection_id: uuid.UUID, link_id: uuid.UUID) -> ShareLink | None:
        return await self.session.scalar(
            select(ShareLink).where(
                ShareLink.id == link_id, ShareLink.collection_id == collection_id
            )
        )

    async def get_active_by_hash(self, token_hash: str) -> ShareLink | None:
        return await self.session.scalar(
            select(ShareLink).where(
                ShareLink.token_hash == token_hash, ShareLink.revoked_at.is_(None)
            )
        )
