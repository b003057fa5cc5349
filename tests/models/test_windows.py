"""Rolling windows: every token predicted exactly once, lm-eval semantics."""
from __future__ import annotations

import pytest

from benchgate.models.windows import rolling_windows, window_inputs

PREFIX = -1


def lm_eval_windows(token_list, prefix_token, max_seq_len, context_len=1):
    """Transcription of lm-eval's get_rolling_token_windows + make_disjoint_window (the oracle)."""
    pred_len = max_seq_len - context_len + 1
    predicted = 0
    first_seq_len = min(max_seq_len, len(token_list))
    out = []
    if not token_list:
        return out
    out.append(([prefix_token] + token_list[: first_seq_len - 1], token_list[:first_seq_len]))
    predicted += first_seq_len
    while predicted < len(token_list):
        window_pred_len = min(len(token_list) - predicted, pred_len)
        window_end = predicted + window_pred_len
        out.append((token_list[window_end - max_seq_len - 1: window_end - 1],
                    token_list[window_end - window_pred_len: window_end]))
        predicted += window_pred_len
    return [(a[: len(a) - (len(b) - 1)], b) for a, b in out]


@pytest.mark.parametrize("n", [0, 1, 2, 5, 15, 16, 17, 31, 32, 33, 50, 100])
@pytest.mark.parametrize("max_len", [1, 2, 3, 16])
def test_every_token_predicted_once(n, max_len):
    toks = list(range(100, 100 + n))
    windows = list(rolling_windows(toks, PREFIX, max_len))
    targets = [t for _, tg in windows for t in tg]
    assert targets == toks
    for ctx, tg in windows:
        inp = window_inputs(ctx, tg, max_len)
        assert 1 <= len(inp) <= max_len
        assert len(inp) >= len(tg)
        # input ends right before the last target, and input[i] precedes target i
        seq = [PREFIX] + toks
        end = seq.index(tg[-1])
        assert inp == seq[end - len(inp):end]
    assert [(list(a), list(b)) for a, b in windows] == lm_eval_windows(toks, PREFIX, max_len)


def test_last_window_gets_full_context():
    toks = list(range(40))
    windows = list(rolling_windows(toks, PREFIX, 16))
    assert [tg[0] for _, tg in windows] == [0, 16, 32]
    assert window_inputs(*windows[0], 16) == [PREFIX] + toks[:15]
    assert window_inputs(*windows[1], 16) == toks[15:31]
    assert window_inputs(*windows[2], 16) == toks[23:39]  # 16 tokens, not just 8


def test_bad_max_len():
    with pytest.raises(ValueError):
        list(rolling_windows([1, 2], PREFIX, 0))
