"""Where each article sits in an in-memory index: dense positions with the article's key, id,
team and liveness, as the lexical and the vector index both keep them (pure, numpy)."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from typing import TypeVar

import numpy as np
import numpy.typing as npt

ID = np.dtype((np.void, 16))  # a UUID's 16 bytes
_S = TypeVar("_S", bound=np.generic)


class PositionTable:
    """Positions handed out in order, one per article added; a removed article's position is
    marked dead (its owner's arrays keep their rows) until `compact` drops the dead and
    renumbers the rest, keeping their order. The per-position arrays are public, for the
    owner's vectorised reads, and longer than `used` (`capacity`): the owner grows its own
    per-position arrays to `capacity` when `append` or `extend` says it grew.

    Not thread-safe: the owner serialises access."""

    __slots__ = ("alive", "dead", "ids", "keys", "position_of", "team_numbers", "teams", "used")

    def __init__(self) -> None:
        self.keys: npt.NDArray[np.int64] = np.zeros(0, np.int64)
        self.ids: npt.NDArray[np.void] = np.zeros(0, ID)
        self.teams: npt.NDArray[np.int32] = np.zeros(0, np.int32)
        self.alive: npt.NDArray[np.bool_] = np.zeros(0, np.bool_)
        self.used = 0
        self.dead = 0
        self.position_of: dict[int, int] = {}
        self.team_numbers: dict[uuid.UUID, int] = {}

    def __len__(self) -> int:
        return len(self.position_of)

    def __contains__(self, key: int) -> bool:
        return key in self.position_of

    @property
    def capacity(self) -> int:
        return len(self.alive)

    # --- writes --------------------------------------------------------------------------------

    def append(self, key: int, article_id: uuid.UUID, team_id: uuid.UUID) -> tuple[int, bool]:
        """A new position for a key not in the table (remove it first); (the position,
        whether the arrays grew)."""
        position = self.used
        grew = position == len(self.alive)
        if grew:
            self._grow(max(1024, 2 * position))
        self.used += 1
        self.keys[position] = key
        self.ids[position] = np.frombuffer(article_id.bytes, ID)[0]
        self.teams[position] = self.team_numbers.setdefault(team_id, len(self.team_numbers))
        self.alive[position] = True
        self.position_of[key] = position
        return position, grew

    def extend(
        self, keys: Sequence[int], article_ids: Sequence[uuid.UUID], team_ids: Sequence[uuid.UUID]
    ) -> tuple[range, bool]:
        """`append` for many distinct keys none of which is in the table, as slices; (their
        positions, whether the arrays grew)."""
        start, end = self.used, self.used + len(keys)
        grew = end > len(self.alive)
        if grew:
            self._grow(max(1024, 2 * len(self.alive), end))
        self.keys[start:end] = keys
        self.ids[start:end] = np.frombuffer(b"".join(a.bytes for a in article_ids), ID)
        numbers = self.team_numbers
        self.teams[start:end] = [numbers.setdefault(t, len(numbers)) for t in team_ids]
        self.alive[start:end] = True
        self.position_of.update(zip(keys, range(start, end), strict=True))
        self.used = end
        return range(start, end), grew

    def remove(self, key: int) -> int | None:
        """Mark the key's position dead; its position, or None when the key was not there."""
        position = self.position_of.pop(key, None)
        if position is None:
            return None
        self.alive[position] = False
        self.dead += 1
        return position

    def compact(self) -> npt.NDArray[np.intp]:
        """Drop the dead positions, renumbering the live ones in order; returns the old
        positions kept (the owner's arrays, indexed by them, follow)."""
        keep = np.flatnonzero(self.alive[: self.used])
        self.keys = self.keys[keep]
        self.ids = self.ids[keep]
        self.teams = self.teams[keep]
        self.alive = np.ones(len(keep), np.bool_)
        self.used = len(keep)
        self.dead = 0
        self.position_of = dict(zip(self.keys.tolist(), range(self.used), strict=True))
        return keep

    def _grow(self, capacity: int) -> None:
        self.keys = grown(self.keys, capacity, self.used)
        self.ids = grown(self.ids, capacity, self.used)
        self.teams = grown(self.teams, capacity, self.used)
        self.alive = grown(self.alive, capacity, self.used)

    # --- reads ---------------------------------------------------------------------------------

    def team_numbers_of(self, team_ids: Collection[uuid.UUID]) -> list[int]:
        """The numbers of the teams that have had an article here (others have none)."""
        return [self.team_numbers[t] for t in team_ids if t in self.team_numbers]

    def article_id(self, position: int) -> uuid.UUID:
        return uuid.UUID(bytes=self.ids[position].tobytes())

    def article_ids(self, positions: npt.NDArray[np.integer]) -> list[uuid.UUID]:
        raw = self.ids[positions].tobytes()
        return [uuid.UUID(bytes=raw[i : i + 16]) for i in range(0, len(raw), 16)]

    @property
    def nbytes(self) -> int:
        return self.keys.nbytes + self.ids.nbytes + self.teams.nbytes + self.alive.nbytes


def grown(values: npt.NDArray[_S], capacity: int, used: int) -> npt.NDArray[_S]:
    """A per-position array (rows of any shape) with its first `used` rows, grown to
    `capacity` rows (the rest zero): the table's own, and its owner's."""
    out = np.zeros((capacity, *values.shape[1:]), values.dtype)
    out[:used] = values[:used]
    return out
