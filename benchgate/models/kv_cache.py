"""Key/value caches of transformers decoder models: build one from tensors, read one back, and
run a batch of token rows on top of per-row cached prefixes of different lengths.

Works with the cache API of transformers 4.45 onwards (`past_key_values=`, `DynamicCache.update`)
and 5.x (`cache=`, `DynamicCache.layers`). A batch puts each row's prefix right-aligned in the
cache (zeros, masked out, before shorter ones) and its new tokens right-padded after it; position
ids count the real tokens only, so each row sees exactly what a full forward of its tokens sees.
"""
from __future__ import annotations

import inspect
from typing import Sequence

import torch

# one layer's (keys, values), each of shape (1, kv_heads, tokens, head_dim)
LayerKV = tuple[torch.Tensor, torch.Tensor]
KV = list[LayerKV]


def cache_kwarg(model) -> str | None:
    """The forward keyword that takes a cache (`cache` in transformers 5, else `past_key_values`)."""
    params = inspect.signature(model.forward).parameters
    for name in ("cache", "past_key_values"):
        if name in params:
            return name
    return None


def unsupported_reason(model) -> str | None:
    """Why cached prefixes cannot stand in for a full forward on this model, or None."""
    config = model.config
    if getattr(config, "is_encoder_decoder", False):
        return "encoder-decoder model"
    if cache_kwarg(model) is None:
        return "its forward takes no cache"
    text = config.get_text_config(decoder=True) if hasattr(config, "get_text_config") else config
    kinds = set(getattr(text, "layer_types", None) or ["full_attention"])
    if kinds != {"full_attention"}:
        return f"layer types {sorted(kinds)} (not all full attention)"
    if getattr(text, "sliding_window", None) and getattr(text, "use_sliding_window", True) is not False:
        return f"sliding-window attention ({text.sliding_window})"
    return None


def make_cache(layers: Sequence[LayerKV]):
    """A DynamicCache holding the given per-layer tensors (empty when `layers` is empty)."""
    from transformers import DynamicCache

    cache = DynamicCache()
    for i, (k, v) in enumerate(layers):
        cache.update(k, v, i)
    return cache


def cache_layers(cache) -> KV:
    """Per-layer (keys, values) of a cache returned by a forward."""
    if hasattr(cache, "layers"):
        return [(layer.keys, layer.values) for layer in cache.layers]
    if hasattr(cache, "key_cache"):
        return list(zip(cache.key_cache, cache.value_cache))
    return [(k, v) for k, v, *_ in cache]


def concat(chain: Sequence[KV]) -> KV:
    """One contiguous KV from consecutive segments (each a KV over the next positions)."""
    if len(chain) == 1:
        return chain[0]
    return [(torch.cat([seg[i][0] for seg in chain], dim=-2),
             torch.cat([seg[i][1] for seg in chain], dim=-2)) for i in range(len(chain[0]))]


def kv_length(chain: Sequence[KV]) -> int:
    return sum(seg[0][0].shape[-2] for seg in chain)


@torch.inference_mode()
def forward_on_prefixes(model, kwarg: str, chains: Sequence[Sequence[KV]], rows: Sequence[list[int]],
                        pad_token_id: int, logits_to_keep: int | None = None,
                        want_kv: bool = False) -> tuple[torch.Tensor | None, list[KV] | None]:
    """Forward `rows[j]` on top of the cached prefix `chains[j]` (segments, possibly none).

    Returns the logits (of the last `logits_to_keep` input positions when given) and, with
    `want_kv`, each row's own new KV (its real tokens only), copied so that it outlives the batch.
    The cached prefixes are only read, never changed.
    """
    device = next(model.parameters()).device
    past = [kv_length(c) if c else 0 for c in chains]
    lmax, width, batch = max(past), max(len(r) for r in rows), len(rows)
    ids = torch.full((batch, width), pad_token_id, dtype=torch.long)
    mask = torch.zeros((batch, lmax + width), dtype=torch.long)
    positions = torch.zeros((batch, width), dtype=torch.long)
    for j, r in enumerate(rows):
        ids[j, :len(r)] = torch.tensor(r, dtype=torch.long)
        mask[j, lmax - past[j]:lmax + len(r)] = 1
        positions[j] = past[j] + torch.arange(width)
    layers: KV = []
    if lmax:
        template = next(c for c in chains if c)[0]
        for i, (k0, v0) in enumerate(template):
            shape = (batch, k0.shape[1], lmax, k0.shape[3])
            keys = torch.zeros(shape, dtype=k0.dtype, device=k0.device)
            values = torch.zeros((batch, v0.shape[1], lmax, v0.shape[3]), dtype=v0.dtype, device=v0.device)
            for j, chain in enumerate(chains):
                offset = lmax - past[j]
                for seg in chain or ():
                    n = seg[i][0].shape[-2]
                    keys[j, :, offset:offset + n] = seg[i][0][0]
                    values[j, :, offset:offset + n] = seg[i][1][0]
                    offset += n
            layers.append((keys, values))
    kwargs = {kwarg: make_cache(layers), "use_cache": True}
    if logits_to_keep is not None:
        kwargs["logits_to_keep"] = logits_to_keep
    out = model(input_ids=ids.to(device), attention_mask=mask.to(device),
                position_ids=positions.to(device), **kwargs)
    new = None
    if want_kv:
        cache = getattr(out, "cache", None) or getattr(out, "past_key_values", None)
        full = cache_layers(cache)
        new = [[(k[j:j + 1, :, lmax:lmax + len(r)].clone(), v[j:j + 1, :, lmax:lmax + len(r)].clone())
                for k, v in full] for j, r in enumerate(rows)]
    return out.logits, new
