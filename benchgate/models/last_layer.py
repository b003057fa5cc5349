"""The last decoder layer computed only at the positions whose logits a forward keeps.

A forward that keeps a few positions' logits (`logits_to_keep`: a prompt's prefill keeps its last
position, a cached prefix one, a batch of right-padded prompts each row's end) still needs every
position's keys and values from every layer. But nothing reads the last layer's output at the
other positions: its queries, attention, output projection and MLP are wasted there (a quarter of
a 4-layer model's prefill). `install` makes that layer compute them at the kept positions only, as
llama.cpp does with its `inp_out_ids`. The keys and values, hence the cache, are computed as
before; the kept positions' logits are a full forward's up to float rounding.

How, without the model's own code:
- a forward pre-hook on the model reads `logits_to_keep` and the input's length;
- the last layer's output projection (`self_attn.o_proj`) and `mlp` get forwards that run on the
  kept rows only and leave zeros elsewhere (their modules and weights stay as they are);
- while such a forward runs with transformers' SDPA attention, the model runs under
  `NAME`: SDPA with the same masks, the last layer's queries cut to the kept rows.

`install` checks the result against plain forwards (a causal prefill's last position, each row's
end in a right-padded batch, a left-padded batch, rows on a cache) and removes itself when they
differ.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import torch

from .attention_names import register as register_attention
from .kv_cache import cache_kwarg

NAME = "benchgate_last_layer_rows"
# on log-probabilities, against a plain forward: float32, and half precision (its own rounding:
# two plain forwards of other batch shapes differ by ~1e-2 in bfloat16)
TOLERANCE = {torch.float32: 1e-4, None: 5e-2}


@dataclass
class _Rows:
    """The current forward's kept positions (None: compute every row) and input length."""

    kept: torch.Tensor | None = None
    width: int = 0
    on: bool = True  # False: every forward computes every row (the self-check's plain forwards)
    switched: bool = False  # this forward runs under NAME; "sdpa" is put back after it
    handles: list = field(default_factory=list)
    undo: list = field(default_factory=list)


def _layers(model):
    """The decoder layers of a causal LM (`model.model.layers` in transformers' families)."""
    inner = getattr(model, "model", None)
    layers = getattr(inner, "layers", None)
    return layers if isinstance(layers, torch.nn.ModuleList) and len(layers) else None


def unusable_reason(model) -> str | None:
    """Why the last layer of `model` cannot be cut to the kept rows, or None."""
    if getattr(model.config, "sub_configs", None):
        return "a model of several parts (sub-configs)"
    layers = _layers(model)
    if layers is None:
        return "no decoder layers at model.model.layers"
    last = layers[-1]
    attn = getattr(last, "self_attn", None)
    if not isinstance(getattr(attn, "o_proj", None), torch.nn.Module) or not isinstance(
            getattr(last, "mlp", None), torch.nn.Module):
        return "the last layer has no self_attn.o_proj and mlp"
    if getattr(attn, "layer_idx", None) != len(layers) - 1:
        return "the last layer's attention has no layer_idx"
    if not register_attention(NAME, _attention):
        return "this transformers has no AttentionInterface"
    return None


def _positions(keep: Any, width: int, device) -> torch.Tensor | None:
    """The input positions whose logits `logits_to_keep` keeps, when fewer than all."""
    if isinstance(keep, int) and not isinstance(keep, bool):
        return torch.arange(width - keep, width, device=device) if 0 < keep < width else None
    if isinstance(keep, torch.Tensor) and keep.dim() == 1 and 0 < len(keep) < width:
        return keep.to(device)
    return None


def _width(args, kwargs) -> int | None:
    ids = kwargs.get("input_ids", args[0] if args else None)
    if ids is None:
        ids = kwargs.get("inputs_embeds")
    return ids.shape[1] if isinstance(ids, torch.Tensor) and ids.dim() >= 2 else None


def _before(rows: _Rows, model, args, kwargs) -> None:
    width = _width(args, kwargs)
    keep = kwargs.get("logits_to_keep")
    rows.kept = _positions(keep, width, model.device) if width is not None and rows.on else None
    rows.width = width or 0
    rows.switched = rows.kept is not None and model.config._attn_implementation == "sdpa"
    if rows.switched:
        model.config._attn_implementation = NAME


def _after(rows: _Rows, model, args, kwargs, output) -> None:
    if rows.switched:
        model.config._attn_implementation = "sdpa"
    rows.kept, rows.switched = None, False


def _on_kept_rows(module: torch.nn.Module, rows: _Rows) -> None:
    """Make `module` (row-wise: a projection, an MLP) run on the kept rows of its input only."""
    plain = module.forward

    def forward(x: torch.Tensor) -> torch.Tensor:
        kept = rows.kept
        if kept is None or x.dim() != 3 or x.shape[1] != rows.width:
            return plain(x)
        kept = kept.to(x.device)  # a no-op but where a device map puts this layer elsewhere
        y = plain(x[:, kept])
        out = y.new_zeros((x.shape[0], x.shape[1], y.shape[-1]))
        out[:, kept] = y
        return out

    module.forward = forward
    rows.undo.append(lambda: module.__dict__.pop("forward", None))


def _attention(module, query, key, value, attention_mask, **kwargs):
    """SDPA; in the last layer of a forward with kept rows, for those query rows only (the
    others' output is zero, and nothing reads it)."""
    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    rows: _Rows | None = getattr(module, "_benchgate_rows", None)
    kept = rows.kept if rows is not None else None
    width = query.shape[2]
    if kept is None or width != rows.width:
        return sdpa_attention_forward(module, query, key, value, attention_mask, **kwargs)
    kept = kept.to(query.device)
    if attention_mask is None:  # causal: each kept row sees the cache and its own position
        past = key.shape[2] - width
        mask = torch.arange(key.shape[2], device=query.device) <= (past + kept)[:, None]
        mask = mask[None, None]
    else:
        mask = attention_mask[:, :, kept] if attention_mask.shape[2] == width else attention_mask
    out, weights = sdpa_attention_forward(module, query[:, :, kept], key, value, mask, **kwargs)
    full = out.new_zeros((out.shape[0], width, *out.shape[2:]))
    full[:, kept] = out
    return full, weights


def install(model) -> str | None:
    """Cut the last layer of `model` to the kept rows of every forward given `logits_to_keep`.
    Returns None when installed, else why not (nothing is changed then). Checked against plain
    forwards first."""
    reason = unusable_reason(model)
    if reason:
        return reason
    last = _layers(model)[-1]
    rows = _Rows()
    _on_kept_rows(last.self_attn.o_proj, rows)
    _on_kept_rows(last.mlp, rows)
    last.self_attn._benchgate_rows = rows
    rows.undo.append(lambda: last.self_attn.__dict__.pop("_benchgate_rows", None))
    rows.handles = [model.register_forward_pre_hook(lambda m, a, k: _before(rows, m, a, k), with_kwargs=True),
                    model.register_forward_hook(lambda m, a, k, o: _after(rows, m, a, k, o),
                                                with_kwargs=True, always_call=True)]
    try:
        differs = _self_check(model, rows)
    except Exception as e:  # noqa: BLE001 - any failure means: do not use it
        differs = f"self-check failed: {type(e).__name__}: {e}"
    if differs:
        _uninstall(rows)
        warnings.warn(f"the last layer computes every position for this model ({differs})",
                      RuntimeWarning, stacklevel=2)
    return differs


def _uninstall(rows: _Rows) -> None:
    for handle in rows.handles:
        handle.remove()
    for undo in rows.undo:
        undo()


@torch.inference_mode()
def _self_check(model, rows: _Rows) -> str | None:
    """None when the kept rows' log-probabilities equal a plain forward's (within TOLERANCE): the last
    position of a causal batch, each row's end in a right-padded one, the last positions of a
    left-padded batch, and rows that continue a cache."""
    from transformers import DynamicCache

    vocab = int(getattr(model.config, "vocab_size", 0) or 0)
    if vocab < 8:
        return "unknown vocabulary size"
    device = model.device
    ids = torch.tensor([[(7 * i + 3) % vocab for i in range(24)],
                        [(11 * i + 5) % vocab for i in range(24)]], device=device)
    mask = torch.ones_like(ids)
    mask[0, :5] = 0
    ends = torch.tensor([9, 23], device=device)
    rows.on = False
    try:
        full = model(input_ids=ids).logits
        padded = model(input_ids=ids, attention_mask=mask).logits
    finally:
        rows.on = True
    kwarg = cache_kwarg(model) or "past_key_values"
    cache = DynamicCache()
    model(input_ids=ids[:, :10], use_cache=True, **{kwarg: cache})
    checks = [
        ("the last position", model(input_ids=ids, logits_to_keep=1).logits, full[:, -1:]),
        ("each row's end", model(input_ids=ids, logits_to_keep=ends).logits, full[:, ends]),
        ("a left-padded batch", model(input_ids=ids, attention_mask=mask, logits_to_keep=3).logits,
         padded[:, -3:]),
        ("rows on a cache", model(input_ids=ids[:, 10:], use_cache=True, **{kwarg: cache},
                                  logits_to_keep=torch.tensor([2, 13], device=device)).logits,
         full[:, [12, 23]])]
    tolerance = TOLERANCE.get(model.dtype, TOLERANCE[None])
    for what, got, want in checks:
        diff = (got.float().log_softmax(-1) - want.float().log_softmax(-1)).abs().max().item()
        if not diff <= tolerance:
            return f"{what}: log-probabilities differ from a plain forward by {diff:.2g}"
    return None
