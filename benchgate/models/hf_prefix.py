"""Shared-prefix reuse for the local backend: forward each shared token prefix once and compute
the rest of every request on top of its key/value cache.

`PrefixReuse.plan(keys)` groups token sequences with `prefix_tree.prefix_forest`, looks the
top-level prefixes up in a small store of recently computed ones (so a few-shot header is
forwarded once per prediction group, not once per backend call), and computes the KV of every
node, level by level, in batches. The result says, for each sequence, which cached prefix (a
chain of KV segments) it continues from, if any.
"""
from __future__ import annotations

import warnings
from collections import OrderedDict
from dataclasses import dataclass
from typing import Sequence

import torch
import torch.nn.functional as F

from .batching import by_footprint
from .kv_cache import KV, concat, forward_on_prefixes, unsupported_reason, cache_kwarg
from .prefix_tree import PrefixNode, common_prefix, prefix_forest
from .shared_attention import forward_packed_on_prefixes, unusable_reason

DEFAULT_MIN_TOKENS = 16  # shorter shared prefixes are not worth an extra forward
STORE_ENTRIES = 2  # top-level prefixes kept across backend calls


@dataclass
class Plan:
    """Where each key continues from: `parent[i]` (None: no cached prefix) and its KV chain."""

    parent: list[PrefixNode | None]
    chains: dict[int, list[KV]]  # id(node) -> KV segments from position 0 to node.length

    def chain(self, i: int) -> list[KV]:
        node = self.parent[i]
        return self.chains[id(node)] if node is not None else []

    def offset(self, i: int) -> int:
        node = self.parent[i]
        return node.length if node is not None else 0


class PrefixReuse:
    """Prefix KV reuse for one model; `enabled` is False where the model cannot do it."""

    def __init__(self, model, pad_token_id: int, batch_size: int, min_tokens: int = DEFAULT_MIN_TOKENS,
                 enabled: bool = True, keep_arg: bool = True):
        self.model = model
        self.pad_token_id = pad_token_id
        self.batch_size = batch_size
        self.min_tokens = min_tokens
        self.keep_arg = keep_arg
        self.kwarg = cache_kwarg(model)
        self._enabled = enabled
        self._checked = not enabled
        self.reason: str | None = None if enabled else "turned off (prefix_cache=false)"
        self.shared_attention = False  # set by the self-check (see shared_attention.py)
        self.packed = False  # rows on several prefixes packed into one sequence (idem)
        self.store: OrderedDict[tuple, KV] = OrderedDict()
        self.stats = {"prefix_forward_tokens": 0, "prefix_reused_tokens": 0, "packed_rows": 0,
                      "packed_forwards": 0}

    @property
    def enabled(self) -> bool:
        """True once a self-check on this model showed cached prefixes give full-forward numbers."""
        if not self._checked:
            self._checked = True
            self.reason = unsupported_reason(self.model) or self._self_check()
            if self.reason:
                self._enabled = False
                warnings.warn(f"prefix reuse off for this model ({self.reason}): full forwards",
                              RuntimeWarning, stacklevel=2)
        return self._enabled

    def _self_check(self) -> str | None:
        """Compare batched prefix reuse (two rows, prefixes of different lengths) with plain
        forwards on a few tokens; a model whose positions or masks ignore the cache differs.
        Then the same for two rows on one prefix with the shared-prefix attention, which is
        used only where it passes too, and for rows on two prefixes packed into one sequence."""
        vocab = int(getattr(self.model.config, "vocab_size", 0) or 0)
        if vocab < 8:
            return "unknown vocabulary size"
        toks = [(7 * i + 3) % vocab for i in range(40)]
        other = [(11 * i + 5) % vocab for i in range(40)]
        saved, self.store = self.store, OrderedDict()
        min_tokens, self.min_tokens = self.min_tokens, 4
        try:
            plan = self.plan([toks[:17], toks[:17] + other[:3], toks[:9], toks[:9] + other[:5]])
            if [plan.offset(0), plan.offset(2)] != [17, 9]:
                return f"unexpected plan {[plan.offset(0), plan.offset(2)]}"
            reason = self._compare(plan, [(0, toks[:24]), (2, toks[:9] + other[:12])], False)
            if reason:
                return reason
            if unusable_reason(self.model) is None:  # else: each row gets its own copy of the prefix
                differs = self._compare(plan, [(0, toks[:24]), (0, toks[:17] + other[:9])], True)
                self.shared_attention = differs is None
                if differs:
                    warnings.warn(f"shared-prefix attention off for this model ({differs}): each row "
                                  f"gets its own copy of the prefix", RuntimeWarning, stacklevel=3)
                else:  # rows on several prefixes, packed without padding; each pair of rows
                    # on one prefix shares its first own tokens (a stem, one row all stem)
                    differs = self._compare(plan, [(0, toks[:24]), (0, toks[:20] + other[:6]),
                                                   (2, toks[:9] + other[:12]), (2, toks[:9] + other[:3])],
                                            True, packed=True)
                    self.packed = differs is None
                    if differs:
                        warnings.warn(f"packed rows off for this model ({differs}): rows on different "
                                      f"prefixes are padded", RuntimeWarning, stacklevel=3)
        except Exception as e:  # noqa: BLE001 - any failure means: do not use it
            return f"self-check failed: {type(e).__name__}: {e}"
        finally:
            self.store, self.min_tokens = saved, min_tokens
            self.stats = {k: 0 for k in self.stats}
        return None

    def _compare(self, plan: Plan, rows: list[tuple[int, list[int]]], shared: bool,
                 packed: bool = False) -> str | None:
        """None when rows forwarded on the plan's prefixes give a full forward's numbers
        (`packed`: with `forward_packed_on_prefixes`, the last 5 positions of each row, or all
        of a shorter row's own)."""
        chains = [plan.chain(i) for i, _ in rows]
        starts = [plan.offset(i) for i, _ in rows]
        own = [r[s:] for (_, r), s in zip(rows, starts)]
        try:
            if packed:
                merged = {id(c): concat(c) for c in chains}
                keep = [min(5, len(o)) for o in own]
                logits, at = forward_packed_on_prefixes(self.model, [merged[id(c)] for c in chains], own, keep)
                row_logits = [logits[a] for a in at]
                starts = [len(r) - k for (_, r), k in zip(rows, keep)]
            else:
                logits, _ = forward_on_prefixes(self.model, self.kwarg, chains, own, self.pad_token_id,
                                                shared_attention=shared)
                row_logits = list(logits)
        except Exception as e:  # noqa: BLE001 - any failure means: do not use it
            return f"self-check failed: {type(e).__name__}: {e}"
        device = next(self.model.parameters()).device
        tol = 1e-3 if self.model.dtype == torch.float32 else 5e-2
        for j, ((_, r), s) in enumerate(zip(rows, starts)):
            full = self.model(input_ids=torch.tensor([r], device=device), use_cache=False).logits
            want = F.log_softmax(full[0, s:].float(), -1)
            got = F.log_softmax(row_logits[j][:len(r) - s].float(), -1)
            diff = (want - got).abs().max().item()
            if not diff <= tol:
                return f"self-check differs from a full forward by {diff:.3g}"
        return None

    # ------------------------------------------------------------------ planning
    def plan(self, keys: Sequence[Sequence[int]], flat: bool = False) -> Plan:
        """Group `keys` (token sequences whose cached part may be reused) and compute the KV of
        every shared prefix; each key later continues from `plan.parent[i]`. `flat`: top-level
        prefixes only (generation extends one prefix per batch)."""
        roots, loose = prefix_forest(keys, self.min_tokens)
        if flat:
            for root in roots:
                root.rows, root.children = root.subtree_rows(), []
        parent: list[PrefixNode | None] = [None] * len(keys)
        chains: dict[int, list[KV]] = {}
        virtual: dict[tuple, PrefixNode] = {}

        def from_store(tokens: Sequence[int], limit: int) -> PrefixNode | None:
            best, best_len = None, 0
            for entry in self.store:
                n = min(common_prefix(entry, tokens), limit)
                if n > best_len:
                    best, best_len = entry, n
            if best is None or best_len < self.min_tokens:
                return None
            self.store.move_to_end(best)
            node = virtual.get((best, best_len))
            if node is None:
                node = virtual[(best, best_len)] = PrefixNode(best_len, -1)
                chains[id(node)] = [[(k[:, :, :best_len], v[:, :, :best_len]) for k, v in self.store[best]]]
            self.stats["prefix_reused_tokens"] += best_len
            return node

        pending: list[PrefixNode] = []
        for root in roots:
            hit = from_store(keys[root.rep], root.length)
            if hit is not None and hit.length == root.length:
                chains[id(root)] = chains[id(hit)]
            else:
                root.parent = hit
                pending.append(root)
        for i in loose:
            hit = from_store(keys[i], len(keys[i]))
            if hit is not None:
                hit.rows.append(i)
        for node in list(virtual.values()) + roots:
            stack = [node]
            while stack:
                n = stack.pop()
                for i in n.rows:
                    parent[i] = n
                stack += n.children
                if n is not node:
                    pending.append(n)
        self._compute(pending, keys, chains)
        self._remember(roots, keys, chains)
        return Plan(parent, chains)

    def _compute(self, pending: list[PrefixNode], keys, chains: dict[int, list[KV]]) -> None:
        """KV of every pending node, parents first, in batches of similar length, each as large
        as the largest batch of `batch_size` nodes (`batching.by_footprint`; a row is padded to
        the batch's longest own tokens, on a copy of its longest parent)."""
        by_depth: dict[int, list[PrefixNode]] = {}
        for node in pending:
            by_depth.setdefault(node.depth(), []).append(node)

        def footprint(batch: list[PrefixNode]) -> int:
            parents = [n.parent.length if n.parent else 0 for n in batch]
            return len(batch) * (max(parents) + max(n.length - p for n, p in zip(batch, parents)))

        for depth in sorted(by_depth):
            nodes = sorted(by_depth[depth], key=lambda n: -n.length)
            for batch in by_footprint(nodes, footprint, self.batch_size):
                base = [chains[id(n.parent)] if n.parent is not None else [] for n in batch]
                rows = [list(keys[n.rep][n.parent.length if n.parent else 0:n.length]) for n in batch]
                _, new = forward_on_prefixes(self.model, self.kwarg, base, rows, self.pad_token_id,
                                             logits_to_keep=1 if self.keep_arg else None, want_kv=True)
                self.stats["prefix_forward_tokens"] += sum(len(r) for r in rows)
                for n, b, kv in zip(batch, base, new):
                    chains[id(n)] = b + [kv]

    def _remember(self, roots: list[PrefixNode], keys, chains) -> None:
        """Keep the most shared top-level prefix of this call for the next calls."""
        if not roots:
            return
        best = max(roots, key=lambda n: (len(n.subtree_rows()), n.length))
        tokens = tuple(keys[best.rep][:best.length])
        if tokens not in self.store:
            self.store[tokens] = [(k.contiguous(), v.contiguous()) for k, v in concat(chains[id(best)])]
        self.store.move_to_end(tokens)
        while len(self.store) > STORE_ENTRIES:
            self.store.popitem(last=False)

    def clear(self) -> None:
        self.store.clear()
