"""Per-row stopping for batched generation: stop strings and per-request token limits."""
from __future__ import annotations

from typing import Sequence

import torch
from transformers import StoppingCriteria


class StopCriteria(StoppingCriteria):
    """Marks row i done when its generated text contains one of `stops[i]` or it has produced
    `limits[i]` tokens; records in `finished_at[i]` how many tokens the row had generated then."""

    def __init__(self, tokenizer, prompt_len: int, stops: Sequence[Sequence[str]],
                 limits: Sequence[int]):
        self.tokenizer = tokenizer
        self.prompt_len = prompt_len
        self.stops = [tuple(s for s in row if s) for row in stops]
        self.limits = list(limits)
        self.finished_at: list[int | None] = [None] * len(self.limits)

    def __call__(self, input_ids: torch.LongTensor, scores, **kwargs) -> torch.BoolTensor:
        n = input_ids.shape[1] - self.prompt_len
        done = []
        for i, fin in enumerate(self.finished_at):
            if fin is None:
                hit = n >= self.limits[i]
                if not hit and self.stops[i]:
                    text = self.tokenizer.decode(input_ids[i, self.prompt_len:].tolist(),
                                                 skip_special_tokens=True)
                    hit = any(s in text for s in self.stops[i])
                if hit:
                    self.finished_at[i] = n
                    fin = n
            done.append(fin is not None)
        return torch.tensor(done, dtype=torch.bool, device=input_ids.device)
