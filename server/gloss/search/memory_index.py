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

from gloss.search.positions import PositionTable

# Each article has a dense position; a term's postings are the positions of the articles
# containing it, in increasing order. A base segment holds them as one array sliced by term
# offsets (CSR); articles added since live in a small per-term delta; a removed article's
# position is marked dead. `compact` folds the delta in and drops the dead, so the base stays
# one array whatever the churn.
_POSITION = np.int32
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
        # Per position: the article's key, id, team number, and whether it lives.
        self._positions = PositionTable()

    def __len__(self) -> int:
        return len(self._positions)

    def __contains__(self, key: int) -> bool:
        return key in self._positions

    # --- writes --------------------------------------------------------------------------------

    def add(
        self, key: int, article_id: uuid.UUID, team_id: uuid.UUID, terms: Iterable[str]
    ) -> None:
        """Index an article's distinct `terms`; an article already indexed under `key` is
        replaced (its old postings die with its old position)."""
        self.remove(key)
        position, _ = self._positions.append(key, article_id, team_id)
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
        return self._positions.remove(key) is not None

    def needs_compaction(self) -> bool:
        total = len(self._postings) + self._delta_postings
        threshold = max(_COMPACT_MINIMUM, _COMPACT_SHARE * total)
        return self._delta_postings > threshold or self._positions.dead > max(
            _COMPACT_MINIMUM // 50, _COMPACT_SHARE * self._positions.used
        )

    def compact(self) -> None:
        """Fold the delta into the base and drop dead positions (renumbering the live ones).

        Memory stays near one copy of the postings: the first build (all delta) is a
        concatenation, later ones insert a delta that is at most a share of the base."""
        alive = self._positions.alive[: self._positions.used]
        term_count = len(self._term_ids)
        dead = self._positions.dead > 0
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
        if dead:
            self._positions.compact()  # the same renumbering: live positions keep their order

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
            dead = self._positions.dead
            if dead and count < cap + dead:
                count = int(np.count_nonzero(self._positions.alive[postings]))
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
        table = self._positions
        teams = table.team_numbers_of(team_ids)
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
        keep = table.alive[positions]
        team_of = table.teams[positions]
        keep &= team_of == teams[0] if len(teams) == 1 else np.isin(team_of, teams)
        positions, scores = positions[keep], scores[keep]
        if len(positions) > limit:
            # Everything scoring at least the limit-th best, ties included, then the exact order.
            threshold = np.partition(scores, len(scores) - limit)[len(scores) - limit]
            best = scores >= threshold
            positions, scores = positions[best], scores[best]
        order = np.lexsort((table.keys[positions], -scores))[:limit]
        return list(zip(table.article_ids(positions[order]), scores[order].tolist(), strict=True))

    def stats(self) -> IndexStats:
        delta_bytes = sum(a.buffer_info()[1] * a.itemsize for a in self._delta.values())
        return IndexStats(
            articles=len(self),
            terms=len(self._term_ids),
            postings=len(self._postings),
            delta_postings=self._delta_postings,
            dead_positions=self._positions.dead,
            bytes=self._offsets.nbytes
            + self._postings.nbytes
            + self._positions.nbytes
            + delta_bytes,
        )


def _segment_sums(
    flags: npt.NDArray[np.bool_], offsets: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """How many of `flags` are set in each segment `offsets[i]:offsets[i + 1]`, empty
    segments (anywhere, the last included) counting 0. (`np.add.reduceat` answers an empty
    segment with the element at its start, and cannot start one at the array's end.)"""
    running = np.concatenate(([0], np.cumsum(flags, dtype=np.int64)))
    return running[offsets[1:]] - running[offsets[:-1]]
