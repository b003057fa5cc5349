"""HFBackend.loglikelihood_rolling against naive token-by-token sums."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from benchgate.models.base import RollingLoglikelihoodRequest as RL

TEXT = ("Rain that falls on mountains flows downhill into streams, then rivers, and finally "
        "into the sea. Deserts receive very little rain, but 37 kinds of plants and 12 animals "
        "live there in 2024.")


def token_logprobs(model, inp: list[int]) -> torch.Tensor:
    """logprob of inp[i+1] given inp[:i+1], for every i (one plain forward)."""
    with torch.no_grad():
        lp = F.log_softmax(model(torch.tensor([inp])).logits[0].float(), -1)
    return lp[:-1].gather(1, torch.tensor(inp[1:])[:, None])[:, 0].double()


def test_rolling_within_max_length_is_full_context_sum(backend):
    toks = backend.tokenizer.encode(TEXT, add_special_tokens=False)
    expected = token_logprobs(backend.model, [backend.tokenizer.bos_token_id] + toks).sum().item()
    assert backend.loglikelihood_rolling([RL(TEXT)])[0] == pytest.approx(expected, abs=1e-4)


def test_rolling_longer_than_max_length(short_backend):
    """max_length 16: windows predict tokens [0,16) from BOS, [16,32) from tokens 15.., and the
    tail from the 16 tokens before its last target; every token once, summed token by token."""
    b = short_backend
    toks = b.tokenizer.encode(TEXT, add_special_tokens=False)
    n, L = len(toks), 16
    assert 2 * L < n < 3 * L, n
    total = 0.0
    for k in range(n):  # naive: each token by itself, with the context its window gives it
        if k < L:
            ctx = [b.tokenizer.bos_token_id] + toks[:k]
        elif k < 2 * L:
            ctx = toks[L - 1:k]
        else:
            ctx = toks[n - 1 - L:k]
        total += token_logprobs(b.model, ctx + [toks[k]])[-1].item()
    got = b.loglikelihood_rolling([RL("short text"), RL(TEXT), RL("")])
    assert got[1] == pytest.approx(total, abs=1e-4)
    assert got[2] == 0.0
    # a plain full-context sum differs (the windows really cut the context)
    full = token_logprobs(b.model, [b.tokenizer.bos_token_id] + toks).sum().item()
    assert abs(full - got[1]) > 1e-3


def test_rolling_progress(short_backend):
    seen = []
    short_backend.loglikelihood_rolling([RL(TEXT), RL(""), RL("a b c")], progress=seen.append)
    assert sum(seen) == 3
