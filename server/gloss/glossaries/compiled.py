"""A process's compiled glossaries, rebuilt only for the glossaries whose version moved.

Processes share nothing but the database: each request asks for every glossary's version (one
query) and recompiles just the stale ones, so an edit made through any process is matched by
every process from its next request on."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from gloss.glossaries.service import TermRecord, glossary_versions, load_term_specs

T = TypeVar("T")
Compile = Callable[[uuid.UUID, int, list[TermRecord]], T]


class CompiledGlossaries(Generic[T]):
    """`compile(glossary_id, version, records)` builds whatever the matcher uses (for the NLP
    engine, `compile_glossary` over TermSpecs); it runs in a worker thread, as building a
    matcher is CPU work that would otherwise stall the event loop."""

    def __init__(self, compile: Compile[T]) -> None:
        self._compile = compile
        self._compiled: dict[uuid.UUID, tuple[int, T]] = {}
        self._lock = asyncio.Lock()
        self.compilations = 0  # how many glossaries were (re)built, for metrics and tests

    async def get(
        self,
        session: AsyncSession,
        team_ids: Sequence[uuid.UUID],
        glossary_ids: Sequence[uuid.UUID] | None = None,
    ) -> dict[uuid.UUID, T]:
        """The compiled glossaries of these teams (or just these ids among them), current as
        of this call."""
        versions = await glossary_versions(session, team_ids)
        if glossary_ids is not None:
            versions = {g: versions[g] for g in glossary_ids if g in versions}
        stale = [g for g, v in versions.items() if self._version(g) != v]
        if stale:
            # One compile at a time: two requests seeing the same edit build it once.
            async with self._lock:
                stale = [g for g in stale if self._version(g) != versions[g]]
                loaded = await load_term_specs(session, stale) if stale else {}
                for glossary_id, (version, records) in loaded.items():
                    current = self._version(glossary_id)
                    if current is not None and current > version:
                        continue  # another request already built a newer one
                    built = await asyncio.to_thread(self._compile, glossary_id, version, records)
                    self._compiled[glossary_id] = (version, built)
                    self.compilations += 1
        # A deleted glossary is no longer among the versions, so it is never returned; its
        # entry stays until `forget` (the cache does not know which team it belonged to).
        return {g: self._compiled[g][1] for g in versions if g in self._compiled}

    def forget(self, glossary_ids: Sequence[uuid.UUID]) -> None:
        for glossary_id in glossary_ids:
            self._compiled.pop(glossary_id, None)

    def _version(self, glossary_id: uuid.UUID) -> int | None:
        entry = self._compiled.get(glossary_id)
        return entry[0] if entry is not None else None
