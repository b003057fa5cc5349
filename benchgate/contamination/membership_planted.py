"""Planted contamination for the membership check: the built-in smoke model fine-tuned on
benchmark items until it has memorised them, so that a membership score must tell those items
from unseen ones (docs/contamination.md, "Membership scores from the model").

The split and the training are seeded and the model is cached under $BENCHGATE_HOME
(`planted-<hash>/`, built beside and renamed into place as the smoke model is), so a test
suite or a docs command trains it once per home.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

from benchgate.contamination.membership_text import load_samples, sample_text
from benchgate.models.smoke import SMOKE_MODEL_NAME, benchgate_home, build_once_into, smoke_model_path

PLANTED_VERSION = 1  # part of the cache key: bump when the training changes


@dataclass(frozen=True)
class TrainConfig:
    """How the smoke model memorises the planted texts (seeded; the cache key holds all of it)."""

    epochs: int = 5
    batch_size: int = 4
    lr: float = 5e-3
    seed: int = 0


def planted_split(dataset_dir: str | Path, n: int = 200, seed: int = 0, benchmark: str = "mmlu",
                  text: str = "item") -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(members, non-members): two disjoint seeded draws of `n` test samples each, as
    (sample id, scored text)."""
    loaded = load_samples([benchmark], [Path(dataset_dir)], "local")
    order = list(range(len(loaded)))
    random.Random(f"planted/{seed}").shuffle(order)
    picked = [(loaded[i][0].id, sample_text(loaded[i][0], text)) for i in order[:2 * n]]
    return picked[:n], picked[n:]


def members_lines(members: Sequence[tuple[str, str]], non_members: Sequence[tuple[str, str]]) -> str:
    """The `--members` JSONL of a planted split."""
    rows = [{"id": i, "member": True} for i, _ in members] + [{"id": i, "member": False} for i, _ in non_members]
    return "".join(json.dumps(r) + "\n" for r in rows)


def planted_model_path(texts: Sequence[str], config: TrainConfig = TrainConfig()) -> str:
    """Directory of the smoke model fine-tuned on `texts` (trained on first use, then cached)."""
    key = hashlib.sha256(json.dumps({"texts": list(texts), "config": config.__dict__, "base": SMOKE_MODEL_NAME,
                                     "version": PLANTED_VERSION}).encode()).hexdigest()[:16]
    base = benchgate_home() / f"planted-{key}"
    if base.is_dir():
        return str(base)
    smoke = smoke_model_path()
    return build_once_into(base, lambda tmp: train(smoke, list(texts), tmp, config))


def train(base: str, texts: list[str], out_dir: str | Path, config: TrainConfig) -> None:
    """Fine-tune the causal LM at `base` on `texts` (each as BOS + its tokens, as the membership
    scores read it) with AdamW for `config.epochs` seeded passes; save model and tokenizer.

    On one torch thread (`one_torch_thread`): the smoke model's matrices are too small to share
    out, and more threads only spin (one epoch: 2.3 CPU-s on one thread, 20.8 on two)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(base)
    with one_torch_thread(torch), torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32)
        model.train()
        bos = tokenizer.bos_token_id if tokenizer.bos_token_id is not None else tokenizer.eos_token_id
        rows = [[bos] + ids for ids in tokenizer(texts, add_special_tokens=False)["input_ids"]]
        optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=0.0)
        rng = random.Random(config.seed)
        order = sorted(range(len(rows)), key=lambda i: len(rows[i]))
        batches = [order[i:i + config.batch_size] for i in range(0, len(order), config.batch_size)]
        for _ in range(config.epochs):
            rng.shuffle(batches)
            for batch in batches:
                width = max(len(rows[i]) for i in batch)
                ids = torch.full((len(batch), width), tokenizer.pad_token_id, dtype=torch.long)
                labels = torch.full((len(batch), width), -100, dtype=torch.long)
                mask = torch.zeros((len(batch), width), dtype=torch.long)
                for j, i in enumerate(batch):
                    ids[j, :len(rows[i])] = torch.tensor(rows[i])
                    labels[j, :len(rows[i])] = torch.tensor(rows[i])
                    mask[j, :len(rows[i])] = 1
                loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
                loss.backward()
                optimizer.step()
                optimizer.zero_grad()
    model.eval()
    model.save_pretrained(out_dir, safe_serialization=True)
    tokenizer.save_pretrained(out_dir)


@contextlib.contextmanager
def one_torch_thread(torch) -> Iterator[None]:
    """torch's intra-op threads set to one inside the block, restored after it."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
