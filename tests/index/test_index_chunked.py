"""The copy-on-write containers a query snapshot shares with the one it was advanced from."""

import random

import pytest

from reprints.index import chunked
from reprints.index.chunked import Column, Groups


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_grown_column_is_a_list_and_leaves_the_one_it_came_from_as_it_was(seed, monkeypatch):
    monkeypatch.setattr(chunked, "CHUNK", 4)  # many chunks, partial last ones
    rng = random.Random(seed)
    values = [rng.choice([None, "a", "b", 3]) for _ in range(rng.randrange(0, 23))]
    column, model = Column(values), list(values)
    history = [(column, list(model))]
    for _ in range(30):
        n = len(model) + rng.choice([0, 0, 1, 5])
        column, model = column.grown(n), model + [None] * (n - len(model))
        for _ in range(rng.randrange(0, 4)):
            if model:
                d = rng.randrange(len(model))
                column[d] = model[d] = rng.random()
        history.append((column, list(model)))
        for older, seen in history:  # every earlier column still reads what it held
            assert len(older) == len(seen) and list(older) == seen
            assert [older[d] for d in range(len(seen))] == seen
    with pytest.raises(IndexError):
        column[len(model)]
    with pytest.raises(IndexError):
        column[-1] = 0


def test_groups_copied_and_changed_leave_the_original_as_it_was(monkeypatch):
    monkeypatch.setattr(chunked, "SHARDS", 4)
    groups = Groups.of([1, 2, 3, 4, 5], [10, 11, 10, 14, 11])
    assert dict(groups.items()) == {10: [1, 3], 11: [2, 5], 14: [4]}
    copy = groups.copy()
    copy.set(10, [3, 7])
    copy.set(14, [])
    copy.set(18, [9])  # same shard as 10 and 14
    assert dict(copy.items()) == {10: [3, 7], 11: [2, 5], 18: [9]}
    assert dict(groups.items()) == {10: [1, 3], 11: [2, 5], 14: [4]}
    assert copy.get(14, ()) == () and groups.get(14) == [4]
