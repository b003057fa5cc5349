"""How many rows one forward takes: `batch_size` rows, or, where rows are short and many, as
many as fit the footprint of `batch_size` rows of the longest.

A batch of `batch_size` rows of the longest row is the activation footprint a user accepts by
choosing `batch_size`. Rows computed on a cached prefix are often much shorter than the longest
(HellaSwag's choices: ~15 tokens on a ~30-token context), and a forward of a few hundred
tokens is bound by per-call overhead, not arithmetic; so the other batches take rows up to that
footprint instead of a fixed count (vLLM's `max_num_batched_tokens`, with the budget taken
from `batch_size`).
"""
from __future__ import annotations

from typing import Callable, Iterator, Sequence, TypeVar

T = TypeVar("T")


def by_count(items: Sequence[T], size: int) -> Iterator[list[T]]:
    """Consecutive runs of `size` items (the last one shorter)."""
    for start in range(0, len(items), size):
        yield list(items[start:start + size])


def by_footprint(items: Sequence[T], footprint: Callable[[list[T]], int], size: int) -> Iterator[list[T]]:
    """Consecutive runs of `items`, each as long as `footprint(run)` (the forward's size, in
    tokens) stays within the larger of: `size` times the largest item's footprint (`size` rows
    of the longest row), and the largest footprint of `by_count(items, size)`'s batches. So no
    forward is larger than a fixed batch of `size` rows could have been; a run holds at least
    one item. `footprint` must not shrink when an item is added."""
    if not items:
        return
    budget = max(size * max(footprint([item]) for item in items),
                 max(footprint(batch) for batch in by_count(items, size)))
    run: list[T] = []
    for item in items:
        if run and footprint(run + [item]) > budget:
            yield run
            run = []
        run.append(item)
    if run:
        yield run
