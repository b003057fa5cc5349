"""One batch of generation with a transformers model: left padding, seeding, stop strings."""
from __future__ import annotations

from typing import Sequence

import torch
from transformers import StoppingCriteriaList

from .base import Generation, GenerationConfig
from .base import cut_at_stop
from .stopping import StopCriteria


@torch.inference_mode()
def generate_batch(model, tokenizer, cfg: GenerationConfig, prompts: Sequence[list[int]],
                   stops: Sequence[tuple[str, ...]], limits: Sequence[int],
                   pad_token_id: int) -> list[Generation]:
    """Generate for token prompts in one left-padded batch.

    Row j stops at an EOS token, at `limits[j]` new tokens, or once its text contains one of
    `stops[j]`; the text is cut at the first stop string. `torch.manual_seed(cfg.seed)` is set
    before the call, so a batch is reproducible (sampled outputs depend on the batch's makeup).
    """
    device = next(model.parameters()).device
    width = max(len(p) for p in prompts)
    ids = torch.full((len(prompts), width), pad_token_id, dtype=torch.long)
    mask = torch.zeros((len(prompts), width), dtype=torch.long)
    for j, p in enumerate(prompts):
        ids[j, width - len(p):] = torch.tensor(p, dtype=torch.long)
        mask[j, width - len(p):] = 1
    criteria = StopCriteria(tokenizer, width, stops, limits)
    kwargs = dict(max_new_tokens=max(limits), do_sample=cfg.do_sample,
                  repetition_penalty=cfg.repetition_penalty, pad_token_id=pad_token_id)
    if cfg.do_sample:
        kwargs.update(temperature=cfg.temperature, top_p=cfg.top_p, top_k=cfg.top_k)
    else:
        kwargs.update(temperature=None, top_p=None, top_k=None)
    torch.manual_seed(cfg.seed)
    out = model.generate(input_ids=ids.to(device), attention_mask=mask.to(device),
                         stopping_criteria=StoppingCriteriaList([criteria]), **kwargs)
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
