"""`batching.by_footprint`: runs of items within the footprint of `size` rows of the longest."""
from __future__ import annotations

from hypothesis import given, strategies as st

from benchgate.models.batching import by_count, by_footprint


def padded(run: list[int]) -> int:
    """rows x width, as a right-padded batch of rows of these lengths"""
    return len(run) * max(run)


def packed(run: list[int]) -> int:
    return sum(run)


lengths = st.lists(st.integers(1, 60), max_size=80)


@given(lengths, st.integers(1, 12), st.sampled_from([padded, packed]))
def test_runs_cover_the_items_in_order_within_the_budget_and_are_maximal(items, size, footprint):
    runs = list(by_footprint(items, footprint, size))
    assert [x for run in runs for x in run] == items
    assert all(runs)
    if not items:
        assert runs == []
        return
    budget = max([size * max(items)] + [footprint(b) for b in by_count(items, size)])
    for k, run in enumerate(runs):
        assert len(run) == 1 or footprint(run) <= budget
        if k + 1 < len(runs):  # the next item did not fit
            assert footprint(run + runs[k + 1][:1]) > budget


def test_short_rows_fill_the_footprint_of_the_longest():
    """Hand-computed: size 4, longest row 10 -> a budget of 40 tokens."""
    rows = [10, 9] + [2] * 18 + [3]
    assert list(by_count(rows, 4))[0] == [10, 9, 2, 2]  # before: 6 batches
    # packed: 10 + 9 + ten 2s = 39 (one more: 41); then eight 2s and the 3 = 19
    assert [len(r) for r in by_footprint(rows, packed, 4)] == [12, 9]
    # padded: 4 rows x 10 = 40; sixteen 2s = 32 (the 3 would make 17 x 3 = 51); the 3
    assert [len(r) for r in by_footprint(rows, padded, 4)] == [4, 16, 1]


def test_a_fixed_batch_larger_than_size_times_the_largest_item_still_fits():
    """Prefix forwards: a row is padded to the batch's longest own tokens on a copy of its
    longest parent, so two items of 11 tokens each, (parent 10, own 1) and (1, 10), make a
    batch of 2 x 20 = 40. The fixed batches' footprint (40) is the floor of the budget, not
    2 x 11 = 22: by_count's batches are kept whole."""
    def prefix_forward(run: list[tuple[int, int]]) -> int:
        return len(run) * (max(p for p, _ in run) + max(o for _, o in run))

    items = [(10, 1), (1, 10), (10, 1), (1, 10)]
    assert list(by_footprint(items, prefix_forward, 2)) == [items[:2], items[2:]]
