"""Reward-model judges: a sequence-classification checkpoint with one output (a scalar head),
loaded with `AutoModelForSequenceClassification.from_pretrained`.

A conversation is scored as the tokenizer's chat template renders it (without a generation
prompt); a tokenizer without a chat template gets ``"User: ...\\n\\nAssistant: ..."``. Inputs
longer than `max_length` keep their last tokens (the answer being scored).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Sequence

import torch

from benchgate.models.args import is_reward_model  # noqa: F401 - kept importable from here
from benchgate.models.base import BackendError, RewardRequest
from benchgate.models.batching import by_count
from benchgate.models.fingerprint import content_hash
from benchgate.models.release import drop_model

ACCEPTED_ARGS = ("batch_size", "device", "dtype", "precision", "max_length", "revision",
                 "trust_remote_code")
Progress = Callable[[int], None] | None


def conversation_text(tokenizer, messages: Sequence[dict]) -> tuple[str, bool]:
    """(text, whether special tokens are still to be added) for a conversation."""
    if getattr(tokenizer, "chat_template", None):
        return tokenizer.apply_chat_template([dict(m) for m in messages], tokenize=False), False
    names = {"user": "User", "assistant": "Assistant", "system": "System"}
    return "\n\n".join(f"{names.get(m['role'], m['role'])}: {m['content']}" for m in messages), True


class RewardModelBackend:
    """`reward(requests)` -> one float per conversation, in batches (right padded)."""

    def __init__(self, path: str, model_args: dict | None = None):
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        args = dict(model_args or {})
        unknown = sorted(set(args) - set(ACCEPTED_ARGS))
        if unknown:
            raise ValueError(f"unknown model_args key(s) {unknown} for a reward model; "
                             f"accepted: {list(ACCEPTED_ARGS)}")
        dtype = str(args.pop("precision", args.pop("dtype", "auto"))).replace("torch.", "")
        self.path = str(path)
        self.name = Path(self.path.rstrip("/")).name if os.path.isdir(self.path) else self.path
        self.revision = args.get("revision")
        self.batch_size = int(args.get("batch_size", 8))
        self.max_length = args.get("max_length")
        trust = bool(args.get("trust_remote_code", False))
        self.tokenizer = AutoTokenizer.from_pretrained(self.path, revision=self.revision,
                                                       trust_remote_code=trust)
        self.model = AutoModelForSequenceClassification.from_pretrained(
            self.path, revision=self.revision, trust_remote_code=trust,
            dtype=dtype if dtype == "auto" else getattr(torch, dtype))
        if self.model.config.num_labels != 1:
            raise BackendError(f"{self.path} is a classifier with {self.model.config.num_labels} "
                               f"labels; a reward model has one (a scalar head)")
        device = args.get("device") or ("cuda" if torch.cuda.is_available() else "cpu")
        self.model.to(device).eval()
        self.device = next(self.model.parameters()).device
        self.pad_token_id = self.model.config.pad_token_id
        if self.pad_token_id is None:  # the model cannot find the last token in a padded row
            self.batch_size = 1
        self.generation = None
        self._fingerprint: dict | None = None

    def fingerprint(self) -> dict:
        if self._fingerprint is None:
            self._fingerprint = {
                "backend": "hf-reward", "model": self.path, "revision": self.revision,
                "dtype": str(self.model.dtype).replace("torch.", ""),
                "content_sha256": content_hash(self.path) if os.path.isdir(self.path) else None}
        return dict(self._fingerprint)

    def _encode(self, messages: Sequence[dict]) -> list[int]:
        text, special = conversation_text(self.tokenizer, messages)
        ids = self.tokenizer(text, add_special_tokens=special)["input_ids"]
        if self.max_length and len(ids) > self.max_length:
            ids = ids[-self.max_length:]
        return ids

    @torch.inference_mode()
    def reward(self, requests: Sequence[RewardRequest], progress: Progress = None) -> list[float]:
        """The scalar score of each conversation."""
        encoded = [self._encode(r.messages) for r in requests]
        order = sorted(range(len(encoded)), key=lambda i: -len(encoded[i]))
        out: list[float] = [0.0] * len(encoded)
        for idx in by_count(order, self.batch_size):
            width = max(len(encoded[i]) for i in idx)
            pad = self.pad_token_id if self.pad_token_id is not None else 0
            ids = torch.full((len(idx), width), pad, dtype=torch.long)
            mask = torch.zeros((len(idx), width), dtype=torch.long)
            for row, i in enumerate(idx):
                ids[row, :len(encoded[i])] = torch.tensor(encoded[i], dtype=torch.long)
                mask[row, :len(encoded[i])] = 1
            try:
                logits = self.model(input_ids=ids.to(self.device),
                                    attention_mask=mask.to(self.device)).logits
            except Exception as e:  # noqa: BLE001 - re-raised with context
                raise BackendError(f"reward batch of {len(idx)} failed on {self.name}: "
                                   f"{type(e).__name__}: {e}") from e
            for row, i in enumerate(idx):
                out[i] = float(logits[row, 0].float().item())
            if progress:
                progress(len(idx))
        return out

    def close(self) -> None:
        """Free the model."""
        drop_model(self)
