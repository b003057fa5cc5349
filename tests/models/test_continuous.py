"""Continuous batching (benchgate/models/continuous.py) against the fixed-batch path
(`continuous_batching=false`, transformers' own `generate`) on the smoke model."""
from __future__ import annotations

import dataclasses
import random

import pytest

from benchgate.models.base import GenerateRequest as G, GenerationConfig

HEADER = ("Q: What is the capital of France?\nA: Paris.\n\nQ: How many legs does a spider have?\n"
          "A: Eight.\n\nQ: What colour is the sky on a clear day?\nA: Blue.\n\n")


def _requests(n: int = 15) -> list[G]:
    """A mix: a shared few-shot header on two thirds of the prompts, prompts of different lengths,
    per-row limits from 1 to 16 tokens, no stop strings (see `_with_stops`)."""
    rng = random.Random(5)
    out = []
    for i in range(n):
        question = f"Q: What is {rng.randint(1, 999)} plus {rng.randint(1, 99)}{' and more' * rng.randint(0, 6)}?\nA:"
        out.append(G((HEADER if i % 3 else "") + question, max_new_tokens=rng.choice([1, 2, 5, 9, 16])))
    return out


def _with_stops(backend, reqs: list[G]) -> list[G]:
    """Every other request gets a stop string that its own full generation contains after a few
    characters (found with `backend`), so those rows end early, at different steps."""
    full = backend.generate(reqs)
    out = []
    for k, (r, g) in enumerate(zip(reqs, full)):
        stop = g.text[len(g.text) // 2:len(g.text) // 2 + 2] if k % 2 and len(g.text) > 8 else ""
        out.append(dataclasses.replace(r, stop=(stop, "\x00never")) if stop.strip() else r)
    return out


@pytest.fixture(scope="module")
def pair(smoke_path):
    """The same model twice: continuous batching on (the default) and off; batch 4."""
    from benchgate.models.hf import HFBackend

    args = {"batch_size": 4, "dtype": "float32", "device": "cpu"}
    on = HFBackend(smoke_path, args)
    off = HFBackend(smoke_path, {**args, "continuous_batching": False})
    yield on, off
    on.close()
    off.close()


def test_greedy_outputs_identical_to_fixed_batches(pair):
    on, off = pair
    reqs = _with_stops(off, _requests())
    assert on._continuous() and not off._continuous()
    got, want = on.generate(reqs), off.generate(reqs)
    assert got == want  # texts and usage (prompt and completion tokens)
    lengths = [g.usage["completion_tokens"] for g in got]
    limits = [r.max_new_tokens for r in reqs]
    assert any(n < lim for n, lim in zip(lengths, limits)), "no row stopped early: the test shows nothing"
    assert len(set(lengths)) > 3
    # rows left the batch: decode steps ran only for live rows, one token per live row per step
    # (the first token of each row comes from its prefill)
    assert on.stats["slot_steps"] == sum(n - 1 for n in lengths)
    assert on.stats["prefills"] > 1  # waiting prompts were admitted while others decoded


def test_prefix_off_gives_the_same_generations(pair, smoke_path):
    from benchgate.models.hf import HFBackend

    reqs = _with_stops(pair[1], _requests(9))
    plain = HFBackend(smoke_path, {"batch_size": 3, "dtype": "float32", "device": "cpu", "prefix_cache": False})
    assert plain._continuous()
    assert plain.generate(reqs) == pair[1].generate(reqs)
    plain.close()


def test_stop_from_generation_config_joins_the_requests_own(pair):
    on, off = pair
    reqs = _with_stops(off, _requests(8))
    full = on.generate(reqs)
    text = max(full, key=lambda g: len(g.text)).text
    extra = text[len(text) // 2:len(text) // 2 + 2]  # one the model emits
    base = on.generation
    try:
        for backend in (on, off):
            backend.generation = dataclasses.replace(base, stop=(extra,))
        got = [on.generate(reqs), off.generate(reqs)]
    finally:
        on.generation = off.generation = base
    merged = on.generate([dataclasses.replace(r, stop=tuple(dict.fromkeys(r.stop + (extra,)))) for r in reqs])
    assert got[0] == got[1] == merged
    assert all(extra not in g.text for g in merged)
    assert merged != full  # the extra stop changed something


def test_sampling_is_seeded_per_row_whatever_the_batch(smoke_path):
    from benchgate.models.hf import HFBackend

    cfg = GenerationConfig(do_sample=True, temperature=1.3, top_p=0.9, top_k=60, seed=3,
                           max_new_tokens=12, repetition_penalty=1.1)
    b = HFBackend(smoke_path, {"batch_size": 2}, cfg)
    reqs = _requests(6)
    together = b.generate(reqs)
    assert together == b.generate(reqs)
    alone = [b.generate([r])[0] for r in reqs[:3]]
    assert together[:3] == alone  # a row's sample does not depend on the rows beside it
    again = b.generate([dataclasses.replace(reqs[0], repeat=1)])[0]
    assert again != together[0]  # the i-th sample of a prompt (pass@k) draws anew
    b.generation = dataclasses.replace(cfg, seed=4)
    assert b.generate(reqs) != together
    b.close()


def test_greedy_with_repetition_penalty_matches_fixed_batches(smoke_path):
    from benchgate.models.hf import HFBackend

    cfg = GenerationConfig(repetition_penalty=1.3, max_new_tokens=10)
    on = HFBackend(smoke_path, {"batch_size": 3}, cfg)
    off = HFBackend(smoke_path, {"batch_size": 3, "continuous_batching": False}, cfg)
    reqs = _with_stops(off, _requests(9))
    assert on.generate(reqs) == off.generate(reqs)


def test_progress_counts_every_request(pair):
    seen = []
    reqs = _requests(9)
    pair[0].generate(reqs, progress=seen.append)
    assert sum(seen) == len(reqs)


@pytest.mark.parametrize("continuous", [True, False])
def test_each_result_is_reported_as_it_finishes(pair, continuous):
    backend = pair[0] if continuous else pair[1]
    reqs = _requests(7)
    seen: dict[int, object] = {}

    def on_result(i, gen):
        assert i not in seen
        seen[i] = gen
        if i == 2:
            raise RuntimeError("a failing callback does not stop generation")

    got = backend.generate(reqs, on_result=on_result)
    assert [seen[i] for i in range(len(reqs))] == got


def test_a_shared_header_is_attended_once_per_step_with_the_same_texts(pair):
    """Every prompt continues one few-shot header (BBH's, MMLU's): the slots hold each row's own
    tokens only and each decode step attends to the header once for all rows (rows ending at
    different steps, by limit and by stop string); the texts are those of transformers'
    `generate` per fixed batch. A call whose prompts do not all share it decodes as before."""
    on, off = pair
    reqs = _with_stops(off, [r for r in _requests(30) if r.prompt.startswith(HEADER)][:10])
    before = dict(on.stats)
    got = on.generate(reqs)
    assert on.prefix.shared_attention
    assert got == off.generate(reqs)
    steps = on.stats["steps"] - before.get("steps", 0)
    assert on.stats["header_steps"] - before.get("header_steps", 0) == steps > 0
    lengths = [g.usage["completion_tokens"] for g in got]
    assert len(set(lengths)) > 3, "rows did not end at different steps: the test shows less"
    before = dict(on.stats)
    mixed = _requests()
    assert on.generate(mixed) == off.generate(mixed)
    assert on.stats["header_steps"] == before["header_steps"] and on.stats["steps"] > before["steps"]


def test_a_fresh_batch_is_prefilled_whole_right_padded_and_unmasked(pair):
    """A fresh batch of prompts of different lengths, two of them on a cached prefix that holds
    a minority of the batch's tokens (GSM8K's case): every prompt is forwarded whole, right-padded,
    with no padding mask (causal attention skips the blocks above the diagonal; a masked batch
    cannot), then each row's keys/values are moved to the decode layout. The texts are those of
    transformers' `generate` (left-padded, masked) per fixed batch."""
    on, off = pair
    shared = "Q: Which of the colours of the rainbow, in the order they appear, starts with the letter"
    long = " and is also the name of a fruit, a flower or a stone that people wear" * 3
    reqs = [G(shared + " r?\nA:", max_new_tokens=5), G(shared + " b?\nA:", max_new_tokens=5),
            G("Name a planet" + long + "?\nA:", max_new_tokens=5), G("Which month" + long[:120] + "?\nA:", max_new_tokens=5)]
    prompts = [on._prompt_tokens(r, i) for i, r in enumerate(reqs)]
    plan = on.prefix.plan([p[:-1] for p in prompts], flat=True)
    cached = [plan.offset(i) for i in range(len(reqs))]
    assert cached[0] == cached[1] >= 16 and cached[2] == cached[3] == 0, cached
    assert 2 * sum(cached) < sum(map(len, prompts)), "the prefixes hold most tokens: the test shows less"
    want = off.generate(reqs)
    on.generate(reqs)  # (the backend's first use checks its prefix cache with forwards of its own)
    prefills: list = []  # (tokens per row, attention mask) of each forward of more than one token

    def spy(module, args, kwargs):
        if kwargs["input_ids"].shape[1] > 1:
            prefills.append((kwargs["input_ids"].shape[1], kwargs.get("attention_mask")))

    hook = on.model.register_forward_pre_hook(spy, with_kwargs=True)
    try:
        got = on.generate(reqs)
    finally:
        hook.remove()
    assert got == want
    assert [(n, m if m is None else tuple(m.shape)) for n, m in prefills] == [(max(map(len, prompts)), None)]


def test_fresh_batches_prefilled_a_few_rows_at_a_time_into_reused_buffers(pair, monkeypatch):
    """No shared prefix and one limit for all: every batch ends at once and the next starts
    fresh (left-padded, prefilled straight into the slot buffers of the finished one), here one
    row per forward; the texts are those of transformers' `generate` per fixed batch."""
    from benchgate.models import continuous

    on, off = pair
    rng = random.Random(11)
    reqs = [G(f"Q: What is {rng.randint(1, 999)} times {rng.randint(1, 99)}{' or less' * rng.randint(0, 5)}?\nA:",
              max_new_tokens=7) for _ in range(10)]
    monkeypatch.setattr(continuous, "PREFILL_TOKENS", 1)
    before = dict(on.stats)
    got = on.generate(reqs)
    assert got == off.generate(reqs)
    assert all(g.usage["completion_tokens"] == 7 for g in got), "a row stopped early: the test shows less"
    assert on.stats["prefills"] - before.get("prefills", 0) == 3  # 4 + 4 + 2 rows, batch 4
    assert on.stats["rebuilds"] - before.get("rebuilds", 0) == 0  # the first batch's buffers served all
