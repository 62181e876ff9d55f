"""Articles' words in memory, for related articles: df and more-like-this (pure, numpy).

No web or database imports: the SQLite backend feeds it (gloss.search.sqlite_index).
"""

from __future__ import annotations

import uuid
from array import array
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

# Each article has a dense position; a term's postings are the positions of the articles
# containing it, in increasing order. A base segment holds them as one array sliced by term
# offsets (CSR); articles added since live in a small per-term delta; a removed article's
# position is marked dead. `compact` folds the delta in and drops the dead, so the base stays
# one array whatever the churn.
_POSITION = np.int32
_ID = np.dtype((np.void, 16))
# Fold the delta into the base when it holds this share of the postings (or dead positions
# reach this share of all positions): queries then slice one array per term again.
_COMPACT_SHARE = 0.25
_COMPACT_MINIMUM = 50_000


@dataclass(frozen=True, slots=True)
class IndexStats:
    articles: int
    terms: int
    postings: int
    delta_postings: int
    dead_positions: int
    bytes: int


class ArticleIndex:
    """Which articles contain which words, keyed by the article's integer key (its `doc_id`).

    Not thread-safe: the owner serialises access.
    """

    def __init__(self) -> None:
        self._term_ids: dict[str, int] = {}
        self._offsets: npt.NDArray[np.int64] = np.zeros(1, np.int64)
        self._postings: npt.NDArray[np.int32] = np.zeros(0, _POSITION)
        self._delta: dict[int, array[int]] = {}
        self._delta_postings = 0
        # Per position: the article's key, id (UUID bytes), team number, and whether it lives.
        self._keys: npt.NDArray[np.int64] = np.zeros(0, np.int64)
        self._ids: npt.NDArray[np.void] = np.zeros(0, _ID)
        self._teams: npt.NDArray[np.int32] = np.zeros(0, np.int32)
        self._alive: npt.NDArray[np.bool_] = np.zeros(0, np.bool_)
        self._used = 0
        self._dead = 0
        self._position_of: dict[int, int] = {}
        self._team_numbers: dict[uuid.UUID, int] = {}

    def __len__(self) -> int:
        return len(self._position_of)

    def __contains__(self, key: int) -> bool:
        return key in self._position_of

    # --- writes --------------------------------------------------------------------------------

    def add(
        self, key: int, article_id: uuid.UUID, team_id: uuid.UUID, terms: Iterable[str]
    ) -> None:
        """Index an article's distinct `terms`; an article already indexed under `key` is
        replaced (its old postings die with its old position)."""
        self.remove(key)
        position = self._used
        if position == len(self._alive):
            self._grow(max(1024, 2 * position))
        self._used += 1
        self._keys[position] = key
        self._ids[position] = np.frombuffer(article_id.bytes, _ID)[0]
        self._teams[position] = self._team_numbers.setdefault(team_id, len(self._team_numbers))
        self._alive[position] = True
        self._position_of[key] = position
        term_ids = self._term_ids
        delta = self._delta
        added = 0
        for term in set(terms):
            term_id = term_ids.get(term)
            if term_id is None:
                term_id = term_ids[term] = len(term_ids)
            postings = delta.get(term_id)
            if postings is None:
                postings = delta[term_id] = array("i")
            postings.append(position)
            added += 1
        self._delta_postings += added

    def remove(self, key: int) -> bool:
        """Forget the article under `key`; False when there was none."""
        position = self._position_of.pop(key, None)
        if position is None:
            return False
        self._alive[position] = False
        self._dead += 1
        return True

    def needs_compaction(self) -> bool:
        total = len(self._postings) + self._delta_postings
        threshold = max(_COMPACT_MINIMUM, _COMPACT_SHARE * total)
        return self._delta_postings > threshold or self._dead > max(
            _COMPACT_MINIMUM // 50, _COMPACT_SHARE * self._used
        )

    def compact(self) -> None:
        """Fold the delta into the base and drop dead positions (renumbering the live ones).

        Memory stays near one copy of the postings: the first build (all delta) is a
        concatenation, later ones insert a delta that is at most a share of the base."""
        alive = self._alive[: self._used]
        term_count = len(self._term_ids)
        dead = self._dead > 0
        # The live positions' new numbers (positions keep their order).
        renumber = (np.cumsum(alive, dtype=np.int64) - 1).astype(_POSITION) if dead else None

        base_counts = np.zeros(term_count, np.int64)
        lengths = np.diff(self._offsets)
        base = self._postings
        if len(base) and renumber is not None:
            keep = alive[base]
            base_counts[: len(lengths)] = _segment_sums(keep, self._offsets)
            base = renumber[base[keep]]
        else:
            base_counts[: len(lengths)] = lengths

        counts = base_counts
        if self._delta:
            order = sorted(self._delta)
            arrays = [np.frombuffer(self._delta[t], np.int32) for t in order]
            delta_lengths = np.fromiter(map(len, arrays), np.int64, len(order))
            delta = np.concatenate(arrays)
            del arrays  # views pin the delta's buffers
            if renumber is not None:
                live = alive[delta]
                delta_lengths = _segment_sums(live, np.concatenate(([0], np.cumsum(delta_lengths))))
                delta = renumber[delta[live]]
            counts = base_counts.copy()
            counts[order] += delta_lengths
            if len(base):
                # A term's new postings go right after its base ones (their positions are
                # higher); a new term's after everything.
                ends = np.cumsum(base_counts)
                base = np.insert(base, np.repeat(ends[order], delta_lengths), delta)
            else:
                base = delta
        self._postings = np.ascontiguousarray(base, _POSITION)
        self._offsets = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
        self._delta = {}
        self._delta_postings = 0
        if not dead:
            return
        live_positions = np.flatnonzero(alive)
        self._keys = self._keys[live_positions]
        self._ids = self._ids[live_positions]
        self._teams = self._teams[live_positions]
        self._alive = np.ones(len(live_positions), np.bool_)
        self._used = len(live_positions)
        self._dead = 0
        self._position_of = dict(zip(self._keys.tolist(), range(self._used), strict=True))

    def _grow(self, capacity: int) -> None:
        def grown(values: npt.NDArray[np.generic]) -> npt.NDArray[np.generic]:
            out = np.zeros(capacity, values.dtype)
            out[: len(values)] = values
            return out

        self._keys = grown(self._keys)  # type: ignore[assignment]
        self._ids = grown(self._ids)  # type: ignore[assignment]
        self._teams = grown(self._teams)  # type: ignore[assignment]
        self._alive = grown(self._alive)  # type: ignore[assignment]

    # --- reads ---------------------------------------------------------------------------------

    def _postings_of(self, term_id: int) -> npt.NDArray[np.int32]:
        """The term's positions, dead ones included, in increasing order."""
        if term_id < len(self._offsets) - 1:
            base = self._postings[self._offsets[term_id] : self._offsets[term_id + 1]]
        else:
            base = self._postings[:0]
        delta = self._delta.get(term_id)
        if not delta:
            return base
        # A copy: a view would pin the array's buffer and forbid later appends.
        return np.concatenate((base, np.frombuffer(delta, np.int32).copy()))

    def document_frequencies(self, terms: Iterable[str], cap: int) -> dict[str, int]:
        """How many articles contain each term, counted up to `cap`; absent terms left out."""
        out: dict[str, int] = {}
        for term in terms:
            term_id = self._term_ids.get(term)
            if term_id is None:
                continue
            postings = self._postings_of(term_id)
            count = len(postings)
            # Dead positions are few (compaction drops them): only a list that could fall
            # under the cap because of them is counted live.
            if self._dead and count < cap + self._dead:
                count = int(np.count_nonzero(self._alive[postings]))
            if count:
                out[term] = min(count, cap)
        return out

    def more_like_this(
        self,
        groups: Sequence[tuple[Sequence[str], float]],
        team_ids: Collection[uuid.UUID],
        limit: int,
    ) -> list[tuple[uuid.UUID, float]]:
        """The team's articles containing any word of the weighted groups, each scored by the
        sum of the weights of the groups it contains; best first, ties by key."""
        teams = [self._team_numbers[t] for t in team_ids if t in self._team_numbers]
        if not teams or limit <= 0:
            return []
        chunks: list[npt.NDArray[np.int32]] = []
        weights: list[float] = []
        for forms, weight in groups:
            lists = [
                self._postings_of(term_id)
                for term_id in {self._term_ids.get(f) for f in forms}
                if term_id is not None
            ]
            if not lists:
                continue
            # An article with both "chip" and "chips" counts the group once.
            positions = lists[0] if len(lists) == 1 else np.unique(np.concatenate(lists))
            chunks.append(positions)
            weights.append(weight)
        if not chunks:
            return []
        positions, inverse = np.unique(np.concatenate(chunks), return_inverse=True)
        lengths = [len(chunk) for chunk in chunks]
        scores = np.bincount(inverse, weights=np.repeat(np.asarray(weights, np.float64), lengths))
        keep = self._alive[positions]
        team_of = self._teams[positions]
        keep &= team_of == teams[0] if len(teams) == 1 else np.isin(team_of, teams)
        positions, scores = positions[keep], scores[keep]
        if len(positions) > limit:
            # Everything scoring at least the limit-th best, ties included, then the exact order.
            threshold = np.partition(scores, len(scores) - limit)[len(scores) - limit]
            best = scores >= threshold
            positions, scores = positions[best], scores[best]
        order = np.lexsort((self._keys[positions], -scores))[:limit]
        raw = self._ids[positions[order]].tobytes()
        return [
            (uuid.UUID(bytes=raw[16 * i : 16 * i + 16]), score)
            for i, score in enumerate(scores[order].tolist())
        ]

    def stats(self) -> IndexStats:
        delta_bytes = sum(a.buffer_info()[1] * a.itemsize for a in self._delta.values())
        arrays = (self._offsets, self._postings, self._keys, self._ids, self._teams, self._alive)
        return IndexStats(
            articles=len(self),
            terms=len(self._term_ids),
            postings=len(self._postings),
            delta_postings=self._delta_postings,
            dead_positions=self._dead,
            bytes=sum(a.nbytes for a in arrays) + delta_bytes,
        )


def _segment_sums(
    flags: npt.NDArray[np.bool_], offsets: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """How many of `flags` are set in each segment `offsets[i]:offsets[i + 1]`, empty
    segments (anywhere, the last included) counting 0. (`np.add.reduceat` answers an empty
    segment with the element at its start, and cannot start one at the array's end.)"""
    running = np.concatenate(([0], np.cumsum(flags, dtype=np.int64)))
    return running[offsets[1:]] - running[offsets[:-1]]
