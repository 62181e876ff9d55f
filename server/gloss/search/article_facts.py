"""What related articles rank each candidate by besides its words and vector, in memory: its team,
publication date, duplicate link and entity mentions (pure, numpy).

No web or database imports: the SQLite backend feeds it beside the lexical index
(gloss.search.sqlite_index), from the same change log, so a related query reads the cards of
the articles it shows and nothing of the rest.
"""

from __future__ import annotations

import uuid
from array import array
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from gloss.search.positions import ID, PositionTable, grown

# Compact when dead positions, or mention rows of dead positions, reach this share.
_COMPACT_SHARE = 0.25
_COMPACT_MINIMUM = 1_000


class Mention(NamedTuple):
    """An entity an article names: its key, salience, and the text the article writes it as."""

    key: str
    salience: float
    text: str


class Facts(NamedTuple):
    """One article's facts, with its mentions of the keys asked about (key: salience, text).
    A tuple: a related query makes some 80 of them."""

    id: uuid.UUID
    key: int
    team_id: uuid.UUID
    published_at: datetime | None
    duplicate_of_id: uuid.UUID | None
    mentions: dict[str, tuple[float, str]]


class ArticleFacts:
    """Facts by article key (`doc_id`), found by article id.

    Per position (gloss.search.positions): the date (UTC), the duplicate link, and a range of
    the mention rows; the mention rows are three flat arrays
    (key number, salience, text number), the strings numbered once. A replaced article's old
    rows stay until `compact`.

    Not thread-safe: the owner serialises access."""

    def __init__(self) -> None:
        self._positions = PositionTable()
        # By the id's integer (a dict of UUIDs hashes them in Python): the article's key.
        self._key_of: dict[int, int] = {}
        self._published: npt.NDArray[np.object_] = np.zeros(0, object)
        self._duplicate_of: npt.NDArray[np.void] = np.zeros(0, ID)
        self._has_duplicate: npt.NDArray[np.bool_] = np.zeros(0, np.bool_)
        self._start: npt.NDArray[np.int64] = np.zeros(0, np.int64)
        self._count: npt.NDArray[np.int32] = np.zeros(0, np.int32)
        self._mention_keys: array[int] = array("i")
        self._saliences: array[float] = array("d")
        self._mention_texts: array[int] = array("i")
        self._dead_rows = 0
        self._numbers: dict[str, int] = {}
        self._strings: list[str] = []
        self._teams: list[uuid.UUID] = []

    def __len__(self) -> int:
        return len(self._positions)

    def __contains__(self, key: int) -> bool:
        return key in self._positions

    # --- writes --------------------------------------------------------------------------------

    def add(
        self,
        key: int,
        article_id: uuid.UUID,
        team_id: uuid.UUID,
        published_at: datetime | None,
        duplicate_of_id: uuid.UUID | None,
        mentions: Iterable[Mention],
    ) -> None:
        """Keep an article's facts; those already under `key` are replaced."""
        self.remove(key)
        table = self._positions
        position, grew = table.append(key, article_id, team_id)
        if grew:
            self._grow()
        if len(table.team_numbers) > len(self._teams):
            self._teams.append(team_id)
        self._key_of[article_id.int] = key
        self._published[position] = _utc(published_at)
        self._has_duplicate[position] = duplicate_of_id is not None
        if duplicate_of_id is not None:
            self._duplicate_of[position] = np.frombuffer(duplicate_of_id.bytes, ID)[0]
        self._start[position] = len(self._mention_keys)
        count = 0
        for mention in mentions:
            self._mention_keys.append(self._number(mention.key))
            self._saliences.append(mention.salience)
            self._mention_texts.append(self._number(mention.text))
            count += 1
        self._count[position] = count

    def remove(self, key: int) -> bool:
        """Forget the article under `key`; False when there was none."""
        table = self._positions
        position = table.position_of.get(key)
        if position is None:
            return False
        number = table.article_id(position).int
        if self._key_of.get(number) == key:
            del self._key_of[number]
        table.remove(key)
        self._dead_rows += int(self._count[position])
        return True

    def needs_compaction(self) -> bool:
        table = self._positions
        return max(table.dead, self._dead_rows) > max(
            _COMPACT_MINIMUM, _COMPACT_SHARE * max(table.used, len(self._mention_keys))
        )

    def compact(self) -> None:
        """Drop the dead positions and their mention rows."""
        table = self._positions
        keep = table.compact()
        starts, counts = self._start[keep], self._count[keep]
        rows = _ranges(starts, counts)
        self._mention_keys = array("i", np.frombuffer(self._mention_keys, np.int32)[rows])
        self._saliences = array("d", np.frombuffer(self._saliences, np.float64)[rows])
        self._mention_texts = array("i", np.frombuffer(self._mention_texts, np.int32)[rows])
        self._start = np.cumsum(counts, dtype=np.int64) - counts
        self._count = counts
        self._published = self._published[keep]
        self._duplicate_of = self._duplicate_of[keep]
        self._has_duplicate = self._has_duplicate[keep]
        self._dead_rows = 0

    def _grow(self) -> None:
        capacity, used = self._positions.capacity, self._positions.used - 1
        self._published = grown(self._published, capacity, used)
        self._duplicate_of = grown(self._duplicate_of, capacity, used)
        self._has_duplicate = grown(self._has_duplicate, capacity, used)
        self._start = grown(self._start, capacity, used)
        self._count = grown(self._count, capacity, used)

    def _number(self, value: str) -> int:
        number = self._numbers.get(value)
        if number is None:
            number = self._numbers[value] = len(self._strings)
            self._strings.append(value)
        return number

    # --- reads ---------------------------------------------------------------------------------

    def key_of(self, article_id: uuid.UUID) -> int | None:
        return self._key_of.get(article_id.int)

    def of(self, article_ids: Sequence[uuid.UUID], keys: Sequence[str]) -> list[Facts]:
        """The facts of those of `article_ids` kept here, in their order, each with its
        mentions of `keys`."""
        table = self._positions
        key_of = self._key_of
        found = [
            (article_id, key)
            for article_id in article_ids
            if (key := key_of.get(article_id.int)) is not None
        ]
        if not found:
            return []
        position_of = table.position_of
        positions = np.fromiter((position_of[key] for _, key in found), np.int64, len(found))
        shared = self._mentions_of(positions, keys)
        published = self._published[positions].tolist()
        has_duplicate = self._has_duplicate[positions].tolist()
        duplicates = self._duplicate_of[positions].tobytes()
        team_ids = self._teams
        teams = table.teams[positions].tolist()
        return [
            Facts(
                article_id,
                key,
                team_ids[teams[i]],
                published[i],
                uuid.UUID(bytes=duplicates[16 * i : 16 * i + 16]) if has_duplicate[i] else None,
                shared.get(i, _NONE),
            )
            for i, (article_id, key) in enumerate(found)
        ]

    def _mentions_of(
        self, positions: npt.NDArray[np.int64], keys: Sequence[str]
    ) -> dict[int, dict[str, tuple[float, str]]]:
        """By the index into `positions`: the mentions of `keys` there."""
        wanted = [n for k in keys if (n := self._numbers.get(k)) is not None]
        if not wanted:
            return {}
        counts = self._count[positions]
        rows = _ranges(self._start[positions], counts)
        mention_keys = np.frombuffer(self._mention_keys, np.int32)[rows]
        # A comparison per key (a page asks about ten at most): np.isin would build a table
        # spanning the key numbers, as many as the distinct strings.
        found = mention_keys == wanted[0]
        for number in wanted[1:]:
            found |= mention_keys == number
        hits = np.flatnonzero(found)
        if not len(hits):
            return {}
        owner = np.repeat(np.arange(len(positions)), counts)[hits].tolist()
        hit_rows = rows[hits]
        saliences = np.frombuffer(self._saliences, np.float64)[hit_rows].tolist()
        texts = np.frombuffer(self._mention_texts, np.int32)[hit_rows].tolist()
        strings = self._strings
        out: dict[int, dict[str, tuple[float, str]]] = {}
        for i, number, salience, text in zip(
            owner, mention_keys[hits].tolist(), saliences, texts, strict=True
        ):
            out.setdefault(i, {})[strings[number]] = (salience, strings[text])
        return out

    @property
    def nbytes(self) -> int:
        return (
            self._positions.nbytes
            + self._published.nbytes  # the pointers: each date is a Python object besides
            + self._duplicate_of.nbytes
            + self._has_duplicate.nbytes
            + self._start.nbytes
            + self._count.nbytes
            + len(self._mention_keys) * 16
        )


# No mentions of the keys asked about (shared: read it, do not change it).
_NONE: dict[str, tuple[float, str]] = {}


def _utc(moment: datetime | None) -> datetime | None:
    """A date as the cards statement reads it: timezone-aware UTC (a naive one is UTC, as the
    database keeps it)."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _ranges(starts: npt.NDArray[np.int64], counts: npt.NDArray[np.int32]) -> npt.NDArray[np.int64]:
    """The rows `starts[i]:starts[i] + counts[i]` of every i, in order, as one index array."""
    total = int(counts.sum())
    if not total:
        return np.zeros(0, np.int64)
    ends = np.cumsum(counts, dtype=np.int64)
    return np.repeat(starts - (ends - counts), counts) + np.arange(total, dtype=np.int64)
