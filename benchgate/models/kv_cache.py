"""Key/value caches of transformers decoder models: build one from tensors, read one back, and
run a batch of token rows on top of per-row cached prefixes of different lengths.

Works with the cache API of transformers 4.45 onwards (`past_key_values=`, `DynamicCache.update`)
and 5.x (`cache=`, `DynamicCache.layers`). A batch puts each row's prefix right-aligned in the
cache (zeros, masked out, before shorter ones) and its new tokens right-padded after it; position
ids count the real tokens only, so each row sees exactly what a full forward of its tokens sees.
With transformers 5 the batch's cache is one preallocated buffer per layer (`BufferLayer`): the
prefix is copied in once and the forward writes its new keys/values after it in place, instead
of concatenating (three copies of every prefix per batch).
"""
from __future__ import annotations

import inspect
from typing import Sequence

import torch

from .shared_attention import forward_on_shared_prefix

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


def _buffer_layer_class():
    try:
        from transformers.cache_utils import DynamicLayer
    except ImportError:  # transformers 4.x: DynamicCache concatenates, as before
        return None

    class BufferLayer(DynamicLayer):
        """A DynamicLayer over preallocated (batch, heads, room, dim) buffers holding `length`
        cached positions; `update` writes the new positions after them in place."""

        def __init__(self, keys: torch.Tensor, values: torch.Tensor, length: int):
            super().__init__()
            self._k, self._v = keys, values
            self.keys, self.values = keys[:, :, :length], values[:, :, :length]
            self.device, self.is_initialized = keys.device, True

        @classmethod
        def empty(cls, room: int, batch: int | None = None) -> "BufferLayer":
            """A layer whose first update allocates its buffers (`buffers`: keys, values), `batch`
            rows (default: those of that update) of `room` positions (heads, dim and dtype those
            of that update), and writes it at the start of their first rows."""
            layer = cls.__new__(cls)
            DynamicLayer.__init__(layer)
            layer._room, layer._batch = room, batch
            return layer

        def update(self, key_states, value_states, *args, **kwargs):
            if not self.is_initialized:  # `empty`: allocate the buffers now
                k, v, rows = key_states, value_states, self._batch or key_states.shape[0]
                self.buffers = (k.new_empty((rows, k.shape[1], self._room, k.shape[3])),
                                v.new_empty((rows, v.shape[1], self._room, v.shape[3])))
                self._k, self._v = self.buffers[0][:k.shape[0]], self.buffers[1][:v.shape[0]]
                self.keys, self.values = self._k[:, :, :0], self._v[:, :, :0]
                self.device, self.is_initialized = k.device, True
            n, w = self.keys.shape[-2], key_states.shape[-2]
            if n + w > self._k.shape[-2]:  # more than the room made for: concatenate
                return super().update(key_states, value_states, *args, **kwargs)
            self._k[:, :, n:n + w] = key_states
            self._v[:, :, n:n + w] = value_states
            self.keys, self.values = self._k[:, :, :n + w], self._v[:, :, :n + w]
            if n == 0:  # the same numbers, contiguous: attention reads them without a copy
                return key_states, value_states
            return self.keys, self.values

    return BufferLayer


BufferLayer = _buffer_layer_class()


def _buffered_cache(chains: Sequence[Sequence[KV]], past: list[int], lmax: int, width: int):
    """A DynamicCache of BufferLayers: row j's prefix right-aligned in positions [:lmax] (zeros
    before a shorter one, masked out), room for `width` new positions after it."""
    from transformers import DynamicCache

    template = next(c for c in chains if c)[0]
    batch, shared = len(chains), all(c is chains[0] for c in chains)
    layers = []
    for i, (k0, v0) in enumerate(template):
        bufs = []
        for which, t in enumerate((k0, v0)):  # 0: keys, 1: values
            buf = torch.empty((batch, t.shape[1], lmax + width, t.shape[3]), dtype=t.dtype, device=t.device)
            if shared:  # every row continues the same prefix: one broadcast copy
                offset = 0
                for seg in chains[0]:
                    n = seg[i][0].shape[-2]
                    buf[:, :, offset:offset + n] = seg[i][which]
                    offset += n
            else:
                for j, chain in enumerate(chains):
                    offset = lmax - past[j]
                    buf[j, :, :offset] = 0  # before a shorter prefix: masked, but never garbage
                    for seg in chain or ():
                        n = seg[i][0].shape[-2]
                        buf[j, :, offset:offset + n] = seg[i][which][0]
                        offset += n
            bufs.append(buf)
        layers.append(BufferLayer(bufs[0], bufs[1], lmax))
    cache = DynamicCache()
    cache.layers = layers
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
                        want_kv: bool = False, shared_attention: bool = False
                        ) -> tuple[torch.Tensor | None, list[KV] | None]:
    """Forward `rows[j]` on top of the cached prefix `chains[j]` (segments, possibly none).

    Returns the logits (of the last `logits_to_keep` input positions when given) and, with
    `want_kv`, each row's own new KV (its real tokens only), copied so that it outlives the batch.
    The cached prefixes are only read, never changed. `shared_attention`: when every row
    continues the same prefix and no KV is wanted, attend to it once for all rows
    (`shared_attention.forward_on_shared_prefix`) instead of copying it into a padded batch.
    """
    if shared_attention and not want_kv and chains and chains[0] and all(c is chains[0] for c in chains):
        return forward_on_shared_prefix(model, concat(chains[0]), rows, pad_token_id, logits_to_keep), None
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
    if lmax and BufferLayer is not None:
        cache = _buffered_cache(chains, past, lmax, width)
    else:
        cache = make_cache(_padded_prefixes(chains, past, lmax, batch))
    kwargs = {kwarg: cache, "use_cache": True}
    if logits_to_keep is not None:
        kwargs["logits_to_keep"] = logits_to_keep
    # without left padding (every prefix as long) the right padding needs no mask: causal
    # attention never reaches it, and attention then skips the blocks above the diagonal
    # (the same numbers, bit for bit, faster)
    attention = mask.to(device) if any(p != lmax for p in past) else None
    out = model(input_ids=ids.to(device), attention_mask=attention,
                position_ids=positions.to(device), **kwargs)
    new = None
    if want_kv:
        cache = getattr(out, "cache", None) or getattr(out, "past_key_values", None)
        full = cache_layers(cache)
        new = [[(k[j:j + 1, :, lmax:lmax + len(r)].clone(), v[j:j + 1, :, lmax:lmax + len(r)].clone())
                for k, v in full] for j, r in enumerate(rows)]
    return out.logits, new


def _padded_prefixes(chains: Sequence[Sequence[KV]], past: list[int], lmax: int, batch: int) -> KV:
    """Per layer, the rows' prefixes right-aligned in (batch, heads, lmax, dim) zero tensors."""
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
    return layers
