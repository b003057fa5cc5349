"""Rolling loglikelihood windows, with the semantics of lm-evaluation-harness.

`rolling_windows(tokens, prefix, max_len)` splits a token list into (input, targets) pairs so
that every token is predicted exactly once: the first window predicts tokens[0] from the prefix
(BOS/EOS) token, windows do not overlap in their targets, and the last window is given as much
preceding context as fits in `max_len` (lm-eval's get_rolling_token_windows with context_len=1
followed by make_disjoint_window).
"""
from __future__ import annotations

from typing import Iterator, Sequence


def rolling_windows(tokens: Sequence[int], prefix_token: int, max_len: int
                    ) -> Iterator[tuple[list[int], list[int]]]:
    """Yield (context, targets): feeding `(context + targets)[:-1]` predicts `targets`.

    `context` holds the tokens before the window's targets that the model sees (possibly empty
    for inner windows, whose single-token context is then the last token of the previous window).
    Every window's model input, `(context + targets)[:-1]`, has at most `max_len` tokens.
    """
    if max_len < 1:
        raise ValueError(f"max_len must be >= 1, got {max_len}")
    toks = list(tokens)
    n = len(toks)
    if n == 0:
        return
    first = min(max_len, n)
    yield [prefix_token], toks[:first]
    done = first
    while done < n:
        count = min(n - done, max_len)
        end = done + count
        # the model input is the max_len tokens before `end`; targets are the last `count` of
        # those positions shifted by one, so the context is input tokens not themselves targets.
        start = max(0, end - max_len - 1)
        yield toks[start:done], toks[done:end]
        done = end


def window_inputs(context: Sequence[int], targets: Sequence[int], max_len: int) -> list[int]:
    """The model input for a window: `(context + targets)[-(max_len + 1):][:-1]`."""
    return (list(context) + list(targets))[-(max_len + 1):][:-1]
