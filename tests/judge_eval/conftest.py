"""Planted-behaviour judges for the judge tests: the LLMBar pairs with the gold and the longer
answer's position of every prompt, and scripted responders."""
import hashlib

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
