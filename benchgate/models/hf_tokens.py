"""Per-token scores of whole texts on a local causal LM, batched: each token's log-probability
and the mean and variance of log p over the vocabulary at its position (membership scores:
Min-K% Prob, Min-K%++; docs/contamination.md).

The tokens of a text are scored as `loglikelihood_rolling` scores them: the text is encoded
without special tokens, the first token is predicted from the BOS (else EOS) token, and a text
longer than the model's window is cut into disjoint windows of targets, each given as much
preceding context as fits (benchgate.models.windows), so every token is scored exactly once.
"""
from __future__ import annotations

from typing import Callable, Sequence

import torch
import torch.nn.functional as F

from .base import TokenScores
from .batching import by_count
from .windows import rolling_windows, window_inputs

Progress = Callable[[int], None] | None


def distribution_stats(logits: torch.Tensor, targets: torch.Tensor
                       ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(log p of each target, mu, sigma^2) at each position of `logits` (positions x vocab):
    mu = sum_v p_v log p_v and sigma^2 = sum_v p_v (log p_v)^2 - mu^2, in float32 (Zhang et
    al., 2024, eq. for Min-K%++; the authors' run.py computes the same two sums)."""
    lp = F.log_softmax(logits.float(), dim=-1)
    p = lp.exp()
    plp = torch.where(p > 0, p * lp, torch.zeros_like(lp))  # 0 * -inf is 0 here, not nan
    mu = plp.sum(-1)
    var = (plp * lp).nan_to_num(0.0).sum(-1) - mu * mu
    return lp.gather(1, targets[:, None]).squeeze(1), mu, var


@torch.inference_mode()
def token_scores(model, encode: Callable[[list[str]], list[list[int]]], texts: Sequence[str],
                 prefix_token: int, pad_token: int, max_length: int, batch_size: int,
                 progress: Progress = None, count: Callable[[list[int]], None] | None = None
                 ) -> list[TokenScores]:
    """TokenScores of each text: rows of every text's windows, longest first, `batch_size`
    rows per forward (right padded), one log-softmax per row over its scored positions."""
    rows: list[tuple[int, list[int], list[int]]] = []  # (owner, model input, targets)
    for owner, toks in enumerate(encode(list(texts))):
        for ctx, targets in rolling_windows(toks, prefix_token, max_length):
            rows.append((owner, window_inputs(ctx, targets, max_length), targets))
    n_rows = [0] * len(texts)
    for owner, _, _ in rows:
        n_rows[owner] += 1
    parts: dict[int, list] = {}  # row -> (logprobs, mu, var)
    done_rows = [0] * len(texts)
    empty = sum(1 for n in n_rows if n == 0)
    if progress and empty:
        progress(empty)
    device = next(model.parameters()).device
    order = sorted(range(len(rows)), key=lambda i: (-len(rows[i][1]), i))
    for batch in by_count(order, batch_size):
        lens = [len(rows[i][1]) for i in batch]
        ids = torch.full((len(batch), max(lens)), pad_token, dtype=torch.long)
        for j, i in enumerate(batch):
            ids[j, :lens[j]] = torch.tensor(rows[i][1], dtype=torch.long)
        logits = model(input_ids=ids.to(device), use_cache=False).logits
        if count:
            count(lens)
        finished = 0
        for j, i in enumerate(batch):
            owner, _, targets = rows[i]
            target = torch.tensor(targets, dtype=torch.long, device=logits.device)
            lp, mu, var = distribution_stats(logits[j, lens[j] - len(targets):lens[j]], target)
            parts[i] = (lp.double().tolist(), mu.double().tolist(), var.double().tolist())
            done_rows[owner] += 1
            finished += done_rows[owner] == n_rows[owner]
        if progress and finished:
            progress(finished)
    out: list[list[list[float]]] = [[[], [], []] for _ in texts]
    for i, (owner, _, _) in enumerate(rows):  # rows of one text are in window order
        for acc, values in zip(out[owner], parts[i]):
            acc.extend(values)
    return [TokenScores(tuple(lp), tuple(mu), tuple(var)) for lp, mu, var in out]
