"""Scripted judges with planted behaviour on 127.0.0.1 (FakeOpenAIServer, a real HTTP server),
asked through the real OpenAI backend and scored by the llmbar benchmark: what each judge was
built to do must show in the scores."""
import hashlib
import math

import pytest

from benchgate.benchmark import RunContext
from benchgate.engine.items import import_benchmark
from benchgate.fixtures.servers import FakeOpenAIServer
from benchgate.models.base import GenerationConfig
from benchgate.models.openai_api import OpenAIBackend
from tests.conftest import ROOT

LLMBAR = import_benchmark(ROOT / "evals" / "llmbar.py")
JUDGES = ROOT.parent / "shared" / "judges"
ANSWER = {"A": "Output (a)", "B": "Output (b)"}


@pytest.fixture(scope="module")
def pairs():
    """Every (sample, its requests) of LLMBar, and the gold position and the longer answer's
    position of each prompt the judge will see (keyed by the user message)."""
    ctx = RunContext(JUDGES, "local", LLMBAR.effective_args({}), chat=True)
    out, facts = [], {}
    for subset in LLMBAR.subsets(ctx):
        for sample in LLMBAR.load(ctx, subset):
            requests = LLMBAR.requests(ctx, sample)
            d = sample.data
            for n, request in enumerate(requests):
                gold = ("A" if sample.target == 1 else "B") if n == 0 else ("B" if sample.target == 1 else "A")
                first, second = (d["output_1"], d["output_2"]) if n == 0 else (d["output_2"], d["output_1"])
                facts[request.prompt[-1]["content"]] = (gold, "A" if len(first) >= len(second) else "B")
            out.append((sample, requests))
    return ctx, out, facts


def _uniform(seed: str, prompt: str) -> float:
    return int.from_bytes(hashlib.sha256(f"{seed}\0{prompt}".encode()).digest()[:8], "big") / 2 ** 64


def planted(facts, p: float, seed: str):
    """Right (the gold) with probability p, decided by a seeded hash of the prompt."""
    def respond(prompt: str) -> str:
        gold, _ = facts[prompt]
        return ANSWER[gold if _uniform(seed, prompt) < p else ("B" if gold == "A" else "A")]
    return respond


def judge(responder, pairs):
    ctx, items, _ = pairs
    with FakeOpenAIServer(responder=responder) as server:
        backend = OpenAIBackend(server.base_url, "fake-model", {"concurrency": 32, "timeout": 10}, GenerationConfig())
        flat = [r for _, requests in items for r in requests]
        outputs = backend.generate(flat)
    scored, i = [], 0
    for sample, requests in items:
        scored.append(LLMBAR.score(ctx, sample, outputs[i:i + len(requests)]).scores)
        i += len(requests)
    return scored


def mean(scores, key):
    values = [s[key] for s in scores if key in s]
    return sum(values) / len(values)


def test_a_judge_right_with_probability_p_scores_p_within_its_binomial_interval(pairs):
    p = 0.7
    scores = judge(planted(pairs[2], p, "seed-1"), pairs)
    verdicts = 2 * len(scores)  # each verdict is an independent draw
    half = 1.959963984540054 * math.sqrt(p * (1 - p) / verdicts)
    assert abs(mean(scores, "acc") - p) <= half
    assert mean(scores, "parse_failure") == 0.0


def test_always_a_prefers_the_first_position_and_fails_swap_consistency(pairs):
    scores = judge(lambda prompt: "Output (a)", pairs)
    assert mean(scores, "first_position") == 1.0
    assert mean(scores, "agreement") == 0.0 and mean(scores, "acc_both") == 0.0
    assert mean(scores, "acc") == 0.5  # one of the two orders always right


def test_always_the_longer_answer_shows_full_length_bias(pairs):
    facts = pairs[2]
    scores = judge(lambda prompt: ANSWER[facts[prompt][1]], pairs)
    assert mean(scores, "longer_preferred") == 1.0
    unequal = [s for s in scores if "longer_preferred" in s]
    assert len(unequal) > 400 and mean(unequal, "agreement") == 1.0  # the longer one does not depend on the order
