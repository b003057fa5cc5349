"""One batch of generation with a transformers model: left padding, seeding, stop strings."""
from __future__ import annotations

import hashlib
import json
from typing import Sequence

import torch
from transformers import StoppingCriteriaList

from .base import Generation, GenerationConfig
from .base import cut_at_stop
from .kv_cache import KV, make_cache
from .stopping import StopCriteria


@torch.inference_mode()
def generate_batch(model, tokenizer, cfg: GenerationConfig, prompts: Sequence[list[int]],
                   stops: Sequence[tuple[str, ...]], limits: Sequence[int],
                   pad_token_id: int, prefix: tuple[str, int, KV] | None = None) -> list[Generation]:
    """Generate for token prompts in one left-padded batch.

    With `prefix` = (cache keyword, P, KV of the first P tokens), every prompt starts with those
    P tokens and they are not forwarded again: the batch is laid out as the shared prefix, then
    each prompt's rest left-padded, with the padding masked (positions count real tokens only,
    so each row decodes as it would alone). Row j stops at an EOS token, at `limits[j]` new tokens, or once its text contains one of
    `stops[j]`; the text is cut at the first stop string. `torch.manual_seed(cfg.seed)` is set
    before the call, so a batch is reproducible (sampled outputs depend on the batch's makeup).
    """
    device = next(model.parameters()).device
    shared = prefix[1] if prefix else 0
    width = max(len(p) for p in prompts)
    ids = torch.full((len(prompts), width), pad_token_id, dtype=torch.long)
    mask = torch.zeros((len(prompts), width), dtype=torch.long)
    if shared:
        ids[:, :shared] = torch.tensor(prompts[0][:shared], dtype=torch.long)
        mask[:, :shared] = 1
    for j, p in enumerate(prompts):
        ids[j, width - len(p) + shared:] = torch.tensor(p[shared:], dtype=torch.long)
        mask[j, width - len(p) + shared:] = 1
    extra = {}
    if shared:  # each row gets its own copy of the prefix cache: generate extends it in place
        keyword, _, kv = prefix
        extra[keyword] = make_cache([(k.expand(len(prompts), -1, -1, -1).contiguous(),
                                      v.expand(len(prompts), -1, -1, -1).contiguous()) for k, v in kv])
    criteria = StopCriteria(tokenizer, width, stops, limits)
    kwargs = dict(max_new_tokens=max(limits), do_sample=cfg.do_sample,
                  repetition_penalty=cfg.repetition_penalty, pad_token_id=pad_token_id)
    if cfg.do_sample:
        kwargs.update(temperature=cfg.temperature, top_p=cfg.top_p, top_k=cfg.top_k)
    else:
        kwargs.update(temperature=None, top_p=None, top_k=None)
    torch.manual_seed(cfg.seed)
    out = model.generate(input_ids=ids.to(device), attention_mask=mask.to(device),
                         stopping_criteria=StoppingCriteriaList([criteria]), **kwargs, **extra)
    eos = model.generation_config.eos_token_id
    eos = set([eos] if isinstance(eos, int) else (eos or [])) | {tokenizer.eos_token_id}
    gens = []
    for j, row in enumerate(out[:, width:].tolist()):
        n = min(len(row), limits[j])
        if criteria.finished_at[j] is not None:
            n = min(n, criteria.finished_at[j])
        hit = next((k for k, t in enumerate(row[:n]) if t in eos), None)
        if hit is not None:
            n = hit + 1
        text = tokenizer.decode(row[:n], skip_special_tokens=True)
        gens.append(Generation(cut_at_stop(text, stops[j]),
                               usage={"prompt_tokens": len(prompts[j]), "completion_tokens": n}))
    return gens


def row_seed(seed: int, prompt: Sequence[int], repeat: int = 0) -> int:
    """The sampling seed of one request under continuous batching: from the configured seed, the
    prompt's tokens and the repeat number (pass@k), so a row samples the same text whatever
    rows share its batch."""
    blob = json.dumps([seed, list(prompt), repeat]).encode()
    return int.from_bytes(hashlib.sha256(blob).digest()[:8], "little") >> 1
