"""HFBackend.generate: greedy determinism, batching, stop strings, chat templates, limits."""
from __future__ import annotations

import dataclasses
import re

import pytest

from benchgate.models.base import BackendError, GenerateRequest as G, GenerationConfig
from benchgate.models.base import cut_at_stop

PROMPTS = ["The Sun is", "Question: What is 2 + 3?\nAnswer:", "Plants make their own food by",
           "Q: How many legs does a spider have?\nA:", "Numbers: 12, 7, 300. Their sum is"]


def test_greedy_deterministic(backend):
    reqs = [G(p, max_new_tokens=12) for p in PROMPTS]
    a, b = backend.generate(reqs), backend.generate(reqs)
    assert a == b
    assert all(g.text for g in a)


def test_batched_equals_unbatched(backend):
    reqs = [G(p, max_new_tokens=12) for p in PROMPTS]
    batched = backend.generate(reqs)  # batch_size 4: two batches, left padded
    single = [backend.generate([r])[0] for r in reqs]
    assert batched == single
    assert len({g.text for g in batched}) > 1


def test_max_new_tokens(backend, smoke_path):
    from benchgate.models.hf import HFBackend

    got = backend.generate([G(PROMPTS[0], max_new_tokens=7), G(PROMPTS[1], max_new_tokens=2)])
    assert [g.usage["completion_tokens"] for g in got] == [7, 2]
    assert got[0].usage["prompt_tokens"] == len(backend.tokenizer.encode(PROMPTS[0], add_special_tokens=False))
    small = HFBackend(smoke_path, {}, GenerationConfig(max_new_tokens=3))
    assert small.generate([G(PROMPTS[0])])[0].usage["completion_tokens"] == 3
    assert got[0].text.startswith(small.generate([G(PROMPTS[0])])[0].text)


def test_stop_strings_cut_and_stop_early(backend):
    full = backend.generate([G(PROMPTS[2], max_new_tokens=30)])[0]
    assert full.usage["completion_tokens"] == 30
    m = re.search(r"[A-Za-z]{2}", full.text[4:])
    assert m, full.text
    stop = m.group(0)
    cut = backend.generate([G(PROMPTS[2], stop=(stop, "\x00never"), max_new_tokens=30)])[0]
    assert cut.text == full.text[:full.text.index(stop)]
    assert stop not in cut.text
    assert cut.usage["completion_tokens"] < 30  # generation stopped early, not just cut
    # mixed batch: only the request with the stop string is cut
    both = backend.generate([G(PROMPTS[2], stop=(stop,), max_new_tokens=30),
                             G(PROMPTS[2], max_new_tokens=30)])
    assert [g.text for g in both] == [cut.text, full.text]


def test_cut_at_stop():
    assert cut_at_stop("abc\n\nQ: next", ("Q:", "\n\n")) == "abc"
    assert cut_at_stop("abc", ()) == "abc"
    assert cut_at_stop("abc", ("",)) == "abc"


def test_chat_template(smoke_path, backend):
    from benchgate.models.hf import HFBackend

    chat = HFBackend(smoke_path, {"batch_size": 2}, chat_template=True)
    msgs = ({"role": "user", "content": "What is 2 + 3?"},)
    via_flag = chat.generate([G("What is 2 + 3?", max_new_tokens=8)])[0]
    via_messages = backend.generate([G(msgs, max_new_tokens=8)])[0]
    text = backend.tokenizer.apply_chat_template([dict(m) for m in msgs], tokenize=False,
                                                 add_generation_prompt=True)
    assert text.startswith("<s><|user|>\n") and text.endswith("<|assistant|>\n")
    via_plain = backend.generate([G(text, max_new_tokens=8)])[0]
    assert via_flag == via_messages == via_plain
    assert via_flag.usage["prompt_tokens"] == len(backend.tokenizer.encode(text, add_special_tokens=False))
    assert via_flag != backend.generate([G("What is 2 + 3?", max_new_tokens=8)])[0]


def test_chat_without_template_is_clear_error(smoke_path):
    from benchgate.models.hf import HFBackend

    b = HFBackend(smoke_path, {})
    b.tokenizer.chat_template = None
    with pytest.raises(BackendError, match="chat template"):
        b.generate([G(({"role": "user", "content": "hi"},))])


def test_sampling_is_seeded(smoke_path):
    from benchgate.models.hf import HFBackend

    cfg = GenerationConfig(do_sample=True, temperature=1.5, top_p=0.95, top_k=100, seed=7,
                           max_new_tokens=10, repetition_penalty=1.1)
    b = HFBackend(smoke_path, {"batch_size": 2}, cfg)
    reqs = [G(p) for p in PROMPTS[:3]]
    first, again = b.generate(reqs), b.generate(reqs)
    assert first == again
    b.generation = dataclasses.replace(cfg, seed=8)
    assert b.generate(reqs) != first


def test_generate_progress(backend):
    seen = []
    backend.generate([G(p, max_new_tokens=2) for p in PROMPTS], progress=seen.append)
    assert sum(seen) == len(PROMPTS)
