"""The position table both in-memory indexes keep: positions in order, growth, removal,
compaction that keeps the live ones' order, and team numbers."""

from __future__ import annotations

import uuid

import numpy as np

from gloss.search.positions import PositionTable, grown

TEAM_A, TEAM_B = uuid.uuid4(), uuid.uuid4()


def test_positions_are_handed_out_in_order_with_each_articles_id_and_team() -> None:
    table = PositionTable()
    ids = [uuid.uuid4() for _ in range(3)]
    assert table.append(10, ids[0], TEAM_A) == (0, True)  # the first grows the arrays
    assert table.capacity == 1024
    assert table.append(20, ids[1], TEAM_B) == (1, False)
    assert table.append(30, ids[2], TEAM_A) == (2, False)
    assert len(table) == 3
    assert 20 in table
    assert 40 not in table
    assert table.position_of == {10: 0, 20: 1, 30: 2}
    assert table.keys[:3].tolist() == [10, 20, 30]
    assert table.teams[:3].tolist() == [0, 1, 0]
    assert table.article_id(1) == ids[1]
    assert table.article_ids(np.array([2, 0])) == [ids[2], ids[0]]
    assert table.article_ids(np.array([], np.int64)) == []
    assert table.team_numbers_of([TEAM_B, uuid.uuid4(), TEAM_A]) == [1, 0]


def test_a_removed_key_leaves_a_dead_position_until_compaction_renumbers_in_order() -> None:
    table = PositionTable()
    ids = {key: uuid.uuid4() for key in (1, 2, 3, 4)}
    for key, article_id in ids.items():
        table.append(key, article_id, TEAM_A)
    assert table.remove(2) == 1
    assert table.remove(2) is None
    # Replaced: the old position dies, the key takes a new one at the end.
    assert table.remove(3) == 2
    new_three = uuid.uuid4()
    assert table.append(3, new_three, TEAM_B) == (4, False)
    assert table.dead == 2
    assert table.used == 5
    assert len(table) == 3
    assert table.alive[:5].tolist() == [True, False, False, True, True]

    keep = table.compact()
    assert keep.tolist() == [0, 3, 4]
    assert table.position_of == {1: 0, 4: 1, 3: 2}
    assert table.article_ids(np.arange(3)) == [ids[1], ids[4], new_three]
    assert table.teams.tolist() == [0, 0, 1]
    assert table.dead == 0
    assert table.used == 3
    assert table.capacity == 3
    # Appending after a compaction grows from the compacted size.
    assert table.append(5, uuid.uuid4(), TEAM_A) == (3, True)
    assert table.keys[:4].tolist() == [1, 4, 3, 5]


def test_extend_adds_many_keys_as_slices_and_grows_past_twice_the_capacity_if_needed() -> None:
    table = PositionTable()
    table.append(0, uuid.uuid4(), TEAM_A)
    keys = list(range(1, 3001))
    ids = [uuid.uuid4() for _ in keys]
    teams = [TEAM_A if k % 2 else TEAM_B for k in keys]
    positions, grew = table.extend(keys, ids, teams)
    assert positions == range(1, 3001)
    assert grew
    assert table.capacity == 3001
    assert table.position_of[3000] == 3000
    assert table.article_id(1500) == ids[1499]
    assert table.teams[1:5].tolist() == [0, 1, 0, 1]
    assert table.extend([], [], []) == (range(3001, 3001), False)


def test_grown_keeps_the_used_rows_of_any_shape_and_zeros_the_rest() -> None:
    rows = np.arange(6, dtype=np.float32).reshape(3, 2)
    out = grown(rows, 5, 2)
    assert out.shape == (5, 2)
    assert out.dtype == np.float32
    assert out.tolist() == [[0, 1], [2, 3], [0, 0], [0, 0], [0, 0]]
