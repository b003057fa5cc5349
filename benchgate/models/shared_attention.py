"""Attention for a batch whose rows all continue one cached prefix (an MMLU subject's few-shot
header), without a per-row copy of that prefix and without a padding mask.

The rows' queries attend to the prefix's keys/values as one long block of queries (the rows
folded into it: one large attention call instead of a batch of small ones), and to their own
tokens causally (rows right-padded, so a real token never sees a pad). The two partial
attentions are merged by their log-sum-exps, which is exact up to float rounding (the
decomposition of Hydragen, Juravsky et al. 2024). CPU only (`aten::_scaled_dot_product_flash_
attention_for_cpu` returns the log-sum-exp), transformers 5 (`AttentionInterface`, and the
model passes extra forward keywords down to its attention). The backend's self-check compares
it with full forwards before it is used, as it does for the cached prefixes themselves.

`forward_packed_on_prefixes` serves a batch whose rows continue several prefixes (the choices of
HellaSwag or ARC samples: a few rows per sample context): the rows are packed into one sequence
without padding (so the linear layers and the LM head see real tokens only). The first tokens
that all rows on one prefix share (a stem) are packed once. Each such run of rows (a block)
attends in one call to its prefix and its own packed tokens, under a mask that lets every token
see the prefix, the tokens before it in its own row (or stem), and a row's tokens the whole stem.
Small blocks make the masked call cheaper than a prefix call merged with a padded causal call
over every row (~2.4 against ~11 ms a layer for a HellaSwag batch of 8 samples on this project's
benchmark model, ad hoc).
"""
from __future__ import annotations

import contextlib
from typing import Iterator, Sequence

import torch
import torch.nn.functional as F

from .attention_names import register as register_attention
from .prefix_tree import common_prefix

NAME = "benchgate_shared_prefix"


def _flash():
    return getattr(torch.ops.aten, "_scaled_dot_product_flash_attention_for_cpu", None)


def _repeat_heads(t: torch.Tensor, heads: int) -> torch.Tensor:
    return t if t.shape[1] == heads else t.repeat_interleave(heads // t.shape[1], dim=1)


def _attention(module, query, key, value, attention_mask, scaling=None, dropout=0.0,
               shared_prefix=None, packed=None, own_mask=None, **kwargs):
    """transformers attention function: the merged prefix + own-token attention when the
    forward was given `shared_prefix` (per layer (keys, values), each (1, kv_heads, P, dim)) or
    `packed` (a `Packing`), else plain SDPA. `own_mask` (rows, 1, 1, own columns, additive):
    the own tokens are a cache's left-padded columns (a decode step), not causal."""
    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    if packed is not None:
        return _packed_attention(module, query, key, value, scaling, packed)
    if shared_prefix is None:
        return sdpa_attention_forward(module, query, key, value, attention_mask, scaling=scaling,
                                      dropout=dropout, **kwargs)
    flash = _flash()
    pk, pv = shared_prefix[module.layer_idx]
    batch, heads, width, dim = query.shape
    pk, pv = _repeat_heads(pk, heads), _repeat_heads(pv, heads)
    key, value = _repeat_heads(key, heads), _repeat_heads(value, heads)
    folded = query.transpose(0, 1).reshape(1, heads, batch * width, dim)
    out_p, lse_p = flash(folded, pk, pv, 0.0, False, scale=scaling)
    out_p = out_p.reshape(heads, batch, width, dim).transpose(0, 1)
    lse_p = lse_p.reshape(heads, batch, width).transpose(0, 1)
    if own_mask is None:
        out_s, lse_s = flash(query, key, value, 0.0, True, scale=scaling)
    else:
        out_s, lse_s = flash(query, key, value, 0.0, False, attn_mask=own_mask, scale=scaling)
    out = _merge(out_p, lse_p, out_s, lse_s, query.dtype)
    return out.transpose(1, 2).contiguous(), None


class Packing:
    """The blocks of a packed batch: (first token, end token, the prefix's per-layer (keys,
    values), mask), one per run of rows on one cached prefix. `mask` (1, 1, tokens, prefix +
    tokens), additive, built in the weights' dtype: every token of the block sees the whole prefix and
    the earlier tokens of its own segment (the stem, or a row's tokens after it); a row's tokens
    also see the whole stem."""

    def __init__(self, blocks: Sequence[tuple[int, int, Sequence, torch.Tensor]]):
        self.blocks = blocks


def _block_mask(past: int, segments: Sequence[int], stem: int, dtype: torch.dtype) -> torch.Tensor:
    """`Packing`'s mask of a block of `segments` (lengths, the stem's first when `stem` > 0)
    on a prefix of `past` tokens."""
    seg = torch.repeat_interleave(torch.arange(len(segments)), torch.tensor(segments))
    at = torch.arange(len(seg))
    seen = (seg[:, None] == seg[None, :]) & (at[None, :] <= at[:, None])
    seen[stem:, :stem] = True
    mask = torch.zeros((1, 1, len(seg), past + len(seg)), dtype=dtype)
    mask[0, 0, :, past:].masked_fill_(~seen, float("-inf"))
    return mask


def _merge(out_p, lse_p, out_s, lse_s, dtype):
    """Attention over prefix + own tokens from its two parts and their log-sum-exps."""
    lse = torch.logaddexp(lse_p, lse_s)
    return (out_p.float() * (lse_p - lse).exp().unsqueeze(-1)
            + out_s.float() * (lse_s - lse).exp().unsqueeze(-1)).to(dtype)


def _packed_attention(module, query, key, value, scaling, packed: Packing):
    """`_attention` for one packed sequence (batch 1): returns (1, tokens, heads, dim)."""
    heads = query.shape[1]
    outs = []
    for first, end, prefix, mask in packed.blocks:
        pk, pv = prefix[module.layer_idx]
        keys = _repeat_heads(torch.cat([pk, key[:, :, first:end]], dim=-2), heads)
        values = _repeat_heads(torch.cat([pv, value[:, :, first:end]], dim=-2), heads)
        mask = mask.to(query.device, query.dtype)  # built in the weights' dtype; a no-op then
        outs.append(F.scaled_dot_product_attention(query[:, :, first:end], keys, values,
                                                   attn_mask=mask, scale=scaling))
    return torch.cat(outs, dim=2).transpose(1, 2).contiguous(), None


def _no_mask(*args, **kwargs) -> None:
    """The attention here builds what it needs; no mask for transformers to make."""
    return None


def unusable_reason(model) -> str | None:
    """Why this model cannot use the shared-prefix attention, or None."""
    if _flash() is None:
        return "this torch has no CPU flash attention"
    if next(model.parameters()).device.type != "cpu":
        return "not on the CPU"
    if getattr(model.config, "sub_configs", None):
        return "a model of several parts (sub-configs)"
    if getattr(model.config, "_attn_implementation", None) != "sdpa":
        return f"attention implementation {getattr(model.config, '_attn_implementation', None)!r}, not sdpa"
    if not register_attention(NAME, _attention, _no_mask):
        return "this transformers has no AttentionInterface"
    return None


@contextlib.contextmanager
def _implementation(model) -> Iterator[None]:
    config = model.config
    before = config._attn_implementation
    config._attn_implementation = NAME
    try:
        yield
    finally:
        config._attn_implementation = before


def on_shared_prefix(model, prefix: Sequence[tuple[torch.Tensor, torch.Tensor]], own: torch.Tensor, **forward):
    """A forward (`forward`: the model's keywords, a cache of the rows' own tokens among them)
    whose rows all continue `prefix` (per layer contiguous (keys, values), (1, kv_heads, P, dim)),
    attended to once for all rows; `own` (rows, columns): 1 where a row's cached own token or
    new token is, 0 on its left padding. The new tokens' position ids count the prefix."""
    mask = torch.zeros(own.shape, dtype=prefix[0][0].dtype, device=own.device)
    mask.masked_fill_(own == 0, float("-inf"))
    with _implementation(model):
        return model(shared_prefix=prefix, own_mask=mask[:, None, None, :], **forward)


@torch.inference_mode()
def forward_on_shared_prefix(model, prefix: Sequence[tuple[torch.Tensor, torch.Tensor]],
                             rows: Sequence[list[int]], pad_token_id: int,
                             logits_to_keep: int | None = None) -> torch.Tensor:
    """Logits of `rows` (right-padded) each continuing the same cached `prefix` (per layer
    keys and values of shape (1, kv_heads, P, dim)); `logits_to_keep` as in the model."""
    device = next(model.parameters()).device
    length = prefix[0][0].shape[-2]
    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), pad_token_id, dtype=torch.long)
    for j, r in enumerate(rows):
        ids[j, :len(r)] = torch.tensor(r, dtype=torch.long)
    positions = (length + torch.arange(width)).expand(len(rows), width)
    kwargs = {"logits_to_keep": logits_to_keep} if logits_to_keep is not None else {}
    shared = [(k.contiguous(), v.contiguous()) for k, v in prefix]
    with _implementation(model):
        out = model(input_ids=ids.to(device), position_ids=positions.to(device), use_cache=False,
                    shared_prefix=shared, **kwargs)
    return out.logits


@torch.inference_mode()
def forward_packed_on_prefixes(model, chains: Sequence, rows: Sequence[list[int]],
                               keep: Sequence[int]) -> tuple[torch.Tensor, list[list[int]]]:
    """(logits, at): one forward of the rows `rows[j]`, each continuing the cached prefix
    `chains[j]` (per layer keys and values, (1, kv_heads, P, dim)), packed without padding.
    Consecutive rows on the same prefix object attend to it in one call, and their common
    first tokens (a stem: a HellaSwag context's last token, which each choice's row starts with)
    are forwarded once, as a continuation of that prefix for the rest of each row. `logits`
    (positions, vocab) holds each kept position once; `at[j]` indexes in it the last `keep[j]`
    positions of row j, in order."""
    weight = next(model.parameters())
    device = weight.device
    tokens, positions, packing, row_tokens = _pack(chains, rows, weight.dtype)
    kept = sorted({t for row, k in zip(row_tokens, keep) for t in row[len(row) - k:]})
    index = {t: i for i, t in enumerate(kept)}
    at = [[index[t] for t in row[len(row) - k:]] for row, k in zip(row_tokens, keep)]
    with _implementation(model):
        out = model(input_ids=torch.tensor([tokens], device=device),
                    position_ids=torch.tensor([positions], device=device), use_cache=False,
                    packed=packing, logits_to_keep=torch.tensor(kept, device=device))
    return out.logits[0], at


def _pack(chains: Sequence, rows: Sequence[list[int]], dtype: torch.dtype
          ) -> tuple[list[int], list[int], Packing, list[list[int]]]:
    """(tokens, position ids, `Packing`, the packed index of each token of each row) of the
    rows packed into one sequence: per run of rows on one prefix, their stem once, then what
    follows it in each row."""
    tokens: list[int] = []
    positions: list[int] = []
    blocks: list[tuple] = []
    row_tokens: list[list[int]] = []
    j = 0
    while j < len(rows):
        end = j + 1
        while end < len(rows) and chains[end] is chains[j]:
            end += 1
        prefix = chains[j]
        past = prefix[0][0].shape[-2]
        stem = _stem(rows[j:end])
        first = len(tokens)
        segments = [stem] if stem else []  # the block's packed segments: stem, rows' own tokens
        tokens += rows[j][:stem]
        positions += range(past, past + stem)
        for row in rows[j:end]:
            own = row[stem:]
            row_tokens.append(list(range(first, first + stem)) + list(range(len(tokens), len(tokens) + len(own))))
            if own:
                tokens += own
                positions += range(past + stem, past + len(row))
                segments.append(len(own))
        blocks.append((first, len(tokens), prefix, _block_mask(past, segments, stem, dtype)))
        j = end
    return tokens, positions, Packing(blocks), row_tokens


def _stem(rows: Sequence[list[int]]) -> int:
    """How many first tokens all `rows` (two or more) share; 0 for a single row."""
    if len(rows) < 2:
        return 0
    return min(common_prefix(rows[0], row) for row in rows[1:])
