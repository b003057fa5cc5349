"""prefix_forest: every sequence placed once, prefixes true and long enough, nothing worth sharing
left out (checked against a brute-force pairwise LCP)."""
from __future__ import annotations

from hypothesis import given, settings, strategies as st

from benchgate.models.prefix_tree import PrefixNode, common_prefix, prefix_forest

# small alphabets and shared stems, so that long common prefixes actually occur
stems = st.lists(st.integers(0, 3), min_size=0, max_size=30)
seqs = st.lists(st.tuples(st.integers(0, 2), st.lists(st.integers(0, 3), max_size=12)), max_size=25)


def build(stem_list, items):
    stems_ = stem_list or [[]]
    return [list(stems_[k % len(stems_)]) + tail for k, tail in items]


def walk(nodes):
    for n in nodes:
        yield n
        yield from walk(n.children)


@settings(max_examples=300, deadline=None)
@given(st.lists(stems, min_size=1, max_size=3), seqs, st.integers(1, 8))
def test_forest_invariants(stem_list, items, min_len):
    keys = build(stem_list, items)
    roots, loose = prefix_forest(keys, min_len)
    placed = list(loose) + [i for n in walk(roots) for i in n.rows]
    assert sorted(placed) == list(range(len(keys)))  # each row exactly once
    for node in walk(roots):
        prefix = keys[node.rep][:node.length]
        assert len(prefix) == node.length >= min_len
        below = node.subtree_rows()
        assert len(below) >= 2
        assert all(keys[i][:node.length] == prefix for i in below)  # a true prefix
        parent_len = node.parent.length if node.parent else 0
        assert node.length - parent_len >= min_len
        # the node's length is the rows' longest common prefix (nothing shareable is cut off)
        assert node.length == min(common_prefix(keys[below[0]], keys[i]) for i in below[1:])
        for child in node.children:
            assert child.parent is node
    # a loose row shares fewer than min_len tokens with every other row
    for i in loose:
        assert all(common_prefix(keys[i], keys[j]) < min_len for j in range(len(keys)) if j != i)
    # two rows placed on different top-level trees share fewer than min_len tokens
    tree_of = {}
    for r, root in enumerate(roots):
        for i in root.subtree_rows():
            tree_of[i] = r
    for i in tree_of:
        for j in tree_of:
            if tree_of[i] != tree_of[j]:
                assert common_prefix(keys[i], keys[j]) < min_len


def test_header_and_sample_levels():
    header = list(range(100, 140))  # 40 tokens shared by every sample
    samples = [[1000 + 50 * s + t for t in range(20)] for s in range(3)]  # 20 tokens per sample
    keys = [header + q + [7000 + c] for q in samples for c in range(4)] + [[9, 9]]
    roots, loose = prefix_forest(keys, 16)
    assert loose == [12]
    (root,) = roots
    assert root.length == 40 and root.rows == []
    assert sorted(c.length for c in root.children) == [60, 60, 60]
    assert sorted(sorted(c.rows) for c in root.children) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]


def test_identical_keys_and_prefix_of_another():
    keys = [[1] * 20, [1] * 20, [1] * 25]
    roots, loose = prefix_forest(keys, 16)
    assert loose == [] and len(roots) == 1 and roots[0].length == 20
    assert sorted(roots[0].subtree_rows()) == [0, 1, 2]


def test_min_len_checked():
    import pytest

    with pytest.raises(ValueError):
        prefix_forest([[1]], 0)
    assert prefix_forest([], 4) == ([], [])


def test_nodes_own_their_lists_and_collect_their_subtree():
    a, b = PrefixNode(3, 0), PrefixNode(3, 0)
    a.rows.append(1)
    a.children += [PrefixNode(5, 2, parent=a, rows=[2, 3], children=[PrefixNode(7, 4, rows=[4])]),
                   PrefixNode(6, 5, parent=a, rows=[5])]
    assert b.rows == [] and b.children == []  # no list shared between nodes
    assert sorted(a.subtree_rows()) == [1, 2, 3, 4, 5] and b.subtree_rows() == []
