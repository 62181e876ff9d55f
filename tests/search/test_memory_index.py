"""The in-memory article index agrees with a brute-force reference through adds, updates,
removals and compactions."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from hypothesis import given, settings
from hypothesis import strategies as st

from gloss.search.memory_index import ArticleIndex

TEAM_A = uuid.UUID(int=1)
TEAM_B = uuid.UUID(int=2)
WORDS = ["chip", "chips", "wafer", "rate", "rates", "bank", "drought", "kenya"]


class Reference:
    """The same answers by brute force over the stored word sets."""

    def __init__(self) -> None:
        self.articles: dict[int, tuple[uuid.UUID, uuid.UUID, set[str]]] = {}

    def add(self, key: int, article_id: uuid.UUID, team: uuid.UUID, terms: Sequence[str]) -> None:
        self.articles[key] = (article_id, team, set(terms))

    def remove(self, key: int) -> None:
        self.articles.pop(key, None)

    def document_frequencies(self, terms: Sequence[str], cap: int) -> dict[str, int]:
        out = {}
        for term in terms:
            count = sum(term in words for _, _, words in self.articles.values())
            if count:
                out[term] = min(count, cap)
        return out

    def more_like_this(
        self, groups: Sequence[tuple[Sequence[str], float]], teams: set[uuid.UUID], limit: int
    ) -> list[tuple[uuid.UUID, float]]:
        scored = []
        for key, (article_id, team, words) in self.articles.items():
            if team not in teams:
                continue
            score = sum(weight for forms, weight in groups if words & set(forms))
            if score:
                scored.append((-score, key, article_id))
        scored.sort()
        return [(article_id, -score) for score, _, article_id in scored[:limit]]


def _article(key: int) -> uuid.UUID:
    return uuid.UUID(int=key * 7919 + 11)


def test_answers_document_frequencies_and_more_like_this() -> None:
    index = ArticleIndex()
    index.add(1, _article(1), TEAM_A, ["chip", "wafer", "bank"])
    index.add(2, _article(2), TEAM_A, ["chips", "wafer"])
    index.add(3, _article(3), TEAM_B, ["chip", "rate"])
    assert len(index) == 3
    assert index.document_frequencies(["chip", "wafer", "absent", "rate"], 500) == {
        "chip": 2,
        "wafer": 2,
        "rate": 1,
    }
    assert index.document_frequencies(["chip"], 1) == {"chip": 1}  # capped
    hits = index.more_like_this([(["chip", "chips"], 2.0), (["wafer"], 1.0)], [TEAM_A], 10)
    # Article 1 has both "chip" and "wafer" (3.0), article 2 has "chips" and "wafer": the
    # group counts once however many of its forms an article has.
    assert hits == [(_article(1), 3.0), (_article(2), 3.0)]
    assert index.more_like_this([(["chip"], 1.0)], [TEAM_B], 10) == [(_article(3), 1.0)]
    assert index.more_like_this([(["chip"], 1.0)], [uuid.UUID(int=9)], 10) == []


def test_an_update_replaces_the_old_words_and_a_removal_forgets_them() -> None:
    index = ArticleIndex()
    index.add(1, _article(1), TEAM_A, ["chip", "wafer"])
    index.add(2, _article(2), TEAM_A, ["chip"])
    index.add(1, _article(1), TEAM_A, ["drought"])  # the article's text changed
    assert index.document_frequencies(["chip", "wafer", "drought"], 500) == {
        "chip": 1,
        "drought": 1,
    }
    assert index.more_like_this([(["wafer"], 1.0)], [TEAM_A], 5) == []
    assert index.remove(2)
    assert not index.remove(2)
    assert index.more_like_this([(["chip"], 1.0)], [TEAM_A], 5) == []
    index.compact()
    assert len(index) == 1
    assert index.document_frequencies(["chip", "drought"], 500) == {"drought": 1}
    assert index.more_like_this([(["drought"], 1.0)], [TEAM_A], 5) == [(_article(1), 1.0)]
    assert index.stats().dead_positions == 0


def test_ties_are_broken_by_key_and_the_limit_keeps_the_best() -> None:
    index = ArticleIndex()
    for key in (50, 10, 40, 20, 30):
        index.add(key, _article(key), TEAM_A, ["chip"] + (["wafer"] if key == 40 else []))
    hits = index.more_like_this([(["chip"], 1.0), (["wafer"], 0.5)], [TEAM_A], 3)
    assert hits == [(_article(40), 1.5), (_article(10), 1.0), (_article(20), 1.0)]


operations = st.lists(
    st.one_of(
        st.tuples(
            st.just("add"),
            st.integers(1, 30),
            st.sampled_from([TEAM_A, TEAM_B]),
            st.lists(st.sampled_from(WORDS), max_size=6),
        ),
        st.tuples(st.just("remove"), st.integers(1, 30)),
        st.tuples(st.just("compact")),
    ),
    max_size=60,
)
queries = st.lists(
    st.tuples(
        st.lists(st.sampled_from(WORDS), min_size=1, max_size=2, unique=True),
        # Halves and integers: sums are exact, so ties are ties on both sides.
        st.integers(1, 8).map(lambda n: n / 2),
    ),
    min_size=1,
    max_size=5,
)


@settings(max_examples=1000, deadline=None)
@given(
    operations=operations,
    groups=queries,
    teams=st.sampled_from([{TEAM_A}, {TEAM_B}, {TEAM_A, TEAM_B}]),
    limit=st.integers(1, 12),
    cap=st.integers(1, 6),
)
def test_matches_a_brute_force_reference(
    operations: list[tuple[object, ...]],
    groups: list[tuple[list[str], float]],
    teams: set[uuid.UUID],
    limit: int,
    cap: int,
) -> None:
    index, reference = ArticleIndex(), Reference()
    for operation in operations:
        if operation[0] == "add":
            _, key, team, words = operation
            assert isinstance(key, int)
            assert isinstance(team, uuid.UUID)
            index.add(key, _article(key), team, words)  # type: ignore[arg-type]
            reference.add(key, _article(key), team, words)  # type: ignore[arg-type]
        elif operation[0] == "remove":
            key = operation[1]
            assert isinstance(key, int)
            index.remove(key)
            reference.remove(key)
        else:
            index.compact()
        assert len(index) == len(reference.articles)
    assert index.document_frequencies(WORDS, cap) == reference.document_frequencies(WORDS, cap)
    assert index.more_like_this(groups, teams, limit) == reference.more_like_this(
        groups, teams, limit
    )
    index.compact()
    assert index.more_like_this(groups, teams, limit) == reference.more_like_this(
        groups, teams, limit
    )


def test_compaction_after_a_word_lost_every_article_and_new_ones_came() -> None:
    index = ArticleIndex()
    index.add(1, _article(1), TEAM_A, ["chip", "wafer"])
    index.add(2, _article(2), TEAM_A, ["rate"])
    index.compact()
    index.remove(1)  # "chip" and "wafer" now have no live article
    index.add(3, _article(3), TEAM_B, ["bank", "chip"])
    index.compact()
    index.add(4, _article(4), TEAM_A, ["wafer"])
    index.remove(2)
    index.compact()
    assert index.document_frequencies(WORDS, 10) == {"chip": 1, "bank": 1, "wafer": 1}
    assert index.more_like_this([(["chip"], 1.0), (["wafer"], 2.0)], [TEAM_A, TEAM_B], 5) == [
        (_article(4), 2.0),
        (_article(3), 1.0),
    ]
    assert len(index) == 2


def test_compaction_keeps_every_posting_before_a_word_left_with_none() -> None:
    # Found by the property test: the last word's postings all died, and the segment sums
    # of the compaction cut the word before it short ("chip" lost article 4).
    index = ArticleIndex()
    index.add(19, _article(19), TEAM_B, ["chip"])
    index.add(6, _article(6), TEAM_A, ["chips"])
    index.add(4, _article(4), TEAM_B, ["chip"])
    index.add(6, _article(6), TEAM_B, [])
    index.compact()
    index.add(6, _article(6), TEAM_A, [])
    index.compact()
    assert index.document_frequencies(WORDS, 10) == {"chip": 2}
    assert index.more_like_this([(["chip"], 1.0)], [TEAM_B], 5) == [
        (_article(4), 1.0),
        (_article(19), 1.0),
    ]
