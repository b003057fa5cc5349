"""Group token sequences by shared prefixes, so that each shared prefix is forwarded once.

`prefix_forest(keys, min_len)` sorts the sequences and splits them recursively into runs whose
longest common prefix (LCP) is at least `min_len` tokens longer than the enclosing node's: each
such run becomes a node (the run's LCP), and the search goes on inside it, so a few-shot header
shared by every sample becomes a root and the context shared by one sample's choices a child.
Sequences that share fewer than `min_len` new tokens with any other stay on the enclosing node,
or are left out (`loose`) at the top level.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence


@dataclass(eq=False)
class PrefixNode:
    """A prefix of `length` tokens shared by every row in its subtree (`keys[rep][:length]`)."""

    length: int
    rep: int  # a row whose key starts with this prefix
    parent: "PrefixNode | None" = None
    children: list["PrefixNode"] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)  # rows computed directly on top of this node

    def subtree_rows(self) -> list[int]:
        out, stack = [], [self]
        while stack:
            node = stack.pop()
            out += node.rows
            stack += node.children
        return out

    def depth(self) -> int:
        d, node = 0, self.parent
        while node is not None:
            d, node = d + 1, node.parent
        return d


def common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    """Length of the longest common prefix of two sequences."""
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


def prefix_forest(keys: Sequence[Sequence[int]], min_len: int
                  ) -> tuple[list[PrefixNode], list[int]]:
    """(root nodes, loose rows) for the sequences `keys`.

    Every row index appears exactly once: in the `rows` of one node, or in `loose`. A node's
    prefix is a true prefix of every key in its subtree, is at least `min_len` tokens long and at
    least `min_len` tokens longer than its parent's, and its subtree holds at least two rows.
    """
    if min_len < 1:
        raise ValueError(f"min_len must be >= 1, got {min_len}")
    order = sorted(range(len(keys)), key=lambda i: tuple(keys[i]))
    adj = [common_prefix(keys[order[i]], keys[order[i + 1]]) for i in range(len(order) - 1)]
    roots: list[PrefixNode] = []
    loose: list[int] = []
    # explicit stack of (start, end, depth, parent): order[start:end] all share `depth` tokens
    stack: list[tuple[int, int, int, PrefixNode | None]] = [(0, len(order), 0, None)]
    while stack:
        start, end, depth, parent = stack.pop()
        i = start
        while i < end:
            j, lcp = i, None
            while j + 1 < end and adj[j] >= depth + min_len:
                lcp = adj[j] if lcp is None else min(lcp, adj[j])
                j += 1
            if lcp is None:  # a run of one: computed on top of the enclosing node
                (parent.rows if parent is not None else loose).append(order[i])
            else:
                node = PrefixNode(lcp, order[i], parent)
                (parent.children if parent is not None else roots).append(node)
                stack.append((i, j + 1, lcp, node))
            i = j + 1
    return roots, loose
