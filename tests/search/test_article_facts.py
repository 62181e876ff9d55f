"""The related ranking's facts of each article in memory: what is added is what is read, by id,
with only the mentions asked about, through replacement, removal and compaction."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from gloss.search.article_facts import ArticleFacts, Facts, Mention

TEAM_A, TEAM_B = uuid.uuid4(), uuid.uuid4()
MAY = datetime(2026, 5, 1, 8, 30, 15, 123456)  # naive: UTC, as SQLite gives it


def test_an_articles_facts_are_read_by_id_with_the_mentions_asked_about() -> None:
    facts = ArticleFacts()
    first, second, original = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    facts.add(
        11,
        first,
        TEAM_A,
        MAY,
        original,
        [
            Mention("nvidia", 0.8, "Nvidia"),
            Mention("tsmc", 0.25, "TSMC"),
            Mention("amd", 0.5, "AMD"),
        ],
    )
    facts.add(12, second, TEAM_B, None, None, [])
    found = facts.of([second, uuid.uuid4(), first], ["tsmc", "nvidia", "absent"])
    assert found == [
        Facts(second, 12, TEAM_B, None, None, {}),
        Facts(
            first,
            11,
            TEAM_A,
            MAY.replace(tzinfo=UTC),
            original,
            {"nvidia": (0.8, "Nvidia"), "tsmc": (0.25, "TSMC")},
        ),
    ]
    assert facts.of([first], []) == [
        Facts(first, 11, TEAM_A, MAY.replace(tzinfo=UTC), original, {})
    ]
    assert facts.key_of(second) == 12
    assert len(facts) == 2


def test_replaced_and_removed_articles_keep_nothing_stale_through_compaction() -> None:
    facts = ArticleFacts()
    ids = [uuid.uuid4() for _ in range(3000)]
    for key, article_id in enumerate(ids):
        facts.add(key, article_id, TEAM_A, MAY, None, [Mention(f"k{key % 7}", 0.1, f"K{key}")])
    # Replace a third (new mentions, a link, another team), remove a third.
    for key in range(0, 3000, 3):
        facts.add(key, ids[key], TEAM_B, None, ids[0], [Mention("new", 0.9, "New")])
    for key in range(1, 3000, 3):
        assert facts.remove(key)
    assert not facts.remove(1)
    assert facts.needs_compaction()
    before = facts.of(ids, ["new", "k2", "k5"])
    facts.compact()
    assert not facts.needs_compaction()
    after = facts.of(ids, ["new", "k2", "k5"])
    assert after == before
    assert len(after) == 2000
    by_id = {f.id: f for f in after}
    assert by_id[ids[3]] == Facts(ids[3], 3, TEAM_B, None, ids[0], {"new": (0.9, "New")})
    assert by_id[ids[5]] == Facts(
        ids[5], 5, TEAM_A, MAY.replace(tzinfo=UTC), None, {"k5": (0.1, "K5")}
    )
    assert ids[4] not in by_id
    # Written after compaction, read as written.
    facts.add(4, ids[4], TEAM_A, None, None, [Mention("k2", 0.4, "K two")])
    assert facts.of([ids[4]], ["k2"]) == [
        Facts(ids[4], 4, TEAM_A, None, None, {"k2": (0.4, "K two")})
    ]


def test_an_article_moved_to_another_key_is_found_under_the_new_one() -> None:
    # An update of doc_id logs the old key (gone) and the new one, in that order or the other.
    facts = ArticleFacts()
    article = uuid.uuid4()
    facts.add(1, article, TEAM_A, None, None, [])
    facts.add(2, article, TEAM_A, None, None, [])
    facts.remove(1)
    assert [f.key for f in facts.of([article], [])] == [2]
