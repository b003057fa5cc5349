"""LLMBar's Swap (swap-and-synthesize) with a live judge: a scripted judge on 127.0.0.1 whose
first round agrees across the two orders on a planted half of the pairs (answering the gold)
and otherwise always prefers the output shown first, and whose synthesize round always answers
"Output (b)". The run goes through the engine (the synthesize round is a follow-up round), and
every figure is counted by hand from the data and the planted rule."""
import hashlib
import json

import pytest

from benchgate.benchmark import RunContext
from benchgate.fixtures.servers import FakeOpenAIServer
from tests.conftest import ROOT, run_pytest
from tests.judge_eval.conftest import JUDGES, LLMBAR

DEBATE = "# Debate between Assistant (a) and Assistant (b)"
FIRST_WINS = "Output (a) is clearly better than Output (b). Therefore, Output (a) is better."


def consistent(instruction: str) -> bool:
    """The planted half: pairs whose first round answers the gold in both orders."""
    return hashlib.sha256(instruction.encode()).digest()[0] < 128


@pytest.fixture(scope="module")
def natural():
    """The Natural set, and for each first-round prompt the judge can see (the API gets the
    system and user messages joined, without a chat template) the gold's position in it and
    whether its pair is of the planted half."""
    samples, seen = None, {}
    for chat in (True, False):
        ctx = RunContext(JUDGES, "local", LLMBAR.effective_args({"prompt": "Swap"}), chat=chat)
        samples = LLMBAR.load(ctx, "Natural")
        for s in samples:
            for n, request in enumerate(LLMBAR.requests(ctx, s)):
                text = request.prompt[-1]["content"] if chat else request.prompt
                gold = ("A" if s.target == 1 else "B") if n == 0 else ("B" if s.target == 1 else "A")
                seen[text] = (gold, consistent(s.data["input"]))
    return samples, seen


def responder(seen):
    def respond(prompt: str) -> str:
        if DEBATE in prompt:
            return "Output (b)"
        gold, agrees = seen[prompt]
        return f"Therefore, Output ({gold.lower()}) is better." if agrees else FIRST_WINS
    return respond


def run(tmp_path, server, prompt: str, name: str):
    out = tmp_path / name
    proc = run_pytest([str(ROOT / "evals"), "-q", "-p", "no:cacheprovider", "--model", "fake-model", "--api-url",
                       server.base_url, "--model-args", "concurrency=16", "--datasets", "llmbar", "--dataset-args",
                       json.dumps({"llmbar": {"prompt": prompt, "subset_list": "Natural"}}), "--dataset-dir",
                       str(JUDGES), "--output-dir", str(out), "--cache-path", str(tmp_path / "cache.sqlite")],
                      env={"BENCHGATE_HOME": str(tmp_path / "home")})
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    metrics = json.loads((out / "results.json").read_text())["benchmarks"]["llmbar"]["metrics"]
    return {k: v["score"] for k, v in metrics.items()}, out


def test_swap_runs_the_synthesize_round_where_the_orders_disagree(tmp_path, natural):
    samples, seen = natural
    n = len(samples)
    agree = [s for s in samples if consistent(s.data["input"])]
    split = [s for s in samples if not consistent(s.data["input"])]
    assert 20 < len(agree) < 80
    # by hand: agreeing pairs are right in both orders; the others go to the synthesize round,
    # which answers (b): the row's output 2 in the original order, output 1 when swapped
    expected = {"acc_original": (len(agree) + sum(s.target == 2 for s in split)) / n,
                "acc_swapped": (len(agree) + sum(s.target == 1 for s in split)) / n,
                "acc_both": len(agree) / n, "agreement": len(agree) / n,
                "synthesized": len(split) / n, "parse_failure": 0.0}
    expected["acc"] = (expected["acc_original"] + expected["acc_swapped"]) / 2
    with FakeOpenAIServer(responder=responder(seen)) as server:
        swap, out = run(tmp_path, server, "Swap", "swap")
        asked = list(server.requests)
        server.requests.clear()
        cot, _ = run(tmp_path, server, "CoT", "cot")
    assert {k: swap[k] for k in expected} == pytest.approx(expected)
    assert len(asked) == 2 * n + 2 * len(split)  # two orders, plus two for each disagreeing pair
    debates = [r for r in asked if DEBATE in r["messages"][-1]["content"]]
    assert len(debates) == 2 * len(split) and all(r["max_tokens"] == 50 for r in debates)
    for r in debates:  # both first-round replies said "(a)": the swapped one is shown reversed to (b)
        user = r["messages"][-1]["content"]  # the debate's two explanations as shown
        said_a = user.split("who thinks Output (a) is better:\n")[1].split("\n## ")[0]
        said_b = user.split("who thinks Output (b) is better:\n")[1].split("\n\n# Which")[0]
        assert said_a == FIRST_WINS
        assert said_b == "Output (b) is clearly better than Output (a). Therefore, Output (b) is better."
    # the same judge under CoT (no synthesize round): its first-position answers stand
    assert cot["acc_original"] == pytest.approx((len(agree) + sum(s.target == 1 for s in split)) / n)
    assert cot["agreement"] == pytest.approx(len(agree) / n) and "synthesized" not in cot
    # samples.jsonl keeps all four replies, and replaying it reproduces the run without a model
    records = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]
    assert sorted(len(r["response"]) for r in records) == sorted([2] * len(agree) + [4] * len(split))
    proc = run_pytest([str(ROOT / "evals"), "-q", "-p", "no:cacheprovider", "--model", f"replay:{out / 'samples.jsonl'}",
                       "--datasets", "llmbar", "--dataset-args",
                       json.dumps({"llmbar": {"prompt": "Swap", "subset_list": "Natural"}}), "--dataset-dir",
                       str(JUDGES), "--output-dir", str(tmp_path / "replayed"), "--cache-path",
                       str(tmp_path / "cache.sqlite")],
                      env={"BENCHGATE_HOME": str(tmp_path / "home")})
    assert proc.returncode == 0, proc.stdout[-3000:]
    replayed = json.loads((tmp_path / "replayed" / "results.json").read_text())["benchmarks"]["llmbar"]["metrics"]
    assert {k: replayed[k]["score"] for k in expected} == pytest.approx(expected)


def test_swap_needs_both_orders():
    from benchgate.judge_eval.protocol import protocol_for

    with pytest.raises(ValueError, match="needs llmbar with \"swap\": true"):
        protocol_for(LLMBAR.effective_args({"prompt": "Swap", "swap": False}), JUDGES / "llmbar")


def test_a_panel_member_whose_orders_disagree_synthesizes_alone(natural):
    """Swap with a panel: each member runs the strategy as one judge would; the synthesize round
    goes only to the member whose two orders disagreed (j0: always the first shown, then "Output
    (b)"), and the panel votes on the members' final verdicts. j1 answers the gold in both orders,
    so in the row's order the panel is right when j0's (b) is the gold (output 2), else a tie."""
    from benchgate.models.base import GenerationConfig
    from benchgate.models.openai_api import OpenAIBackend
    from benchgate.models.panel import PanelBackend

    samples, seen = natural
    samples = samples[:12]
    ctx = RunContext(JUDGES, "local", LLMBAR.effective_args({"prompt": "Swap"}), chat=True)

    def first_then_b(prompt):
        return "Output (b)" if DEBATE in prompt else FIRST_WINS

    def gold(prompt):
        return f"Therefore, Output ({seen[prompt][0].lower()}) is better."

    servers = [FakeOpenAIServer(responder=first_then_b).start(), FakeOpenAIServer(responder=gold).start()]
    try:
        panel = PanelBackend([(f"j{i}", OpenAIBackend(s.base_url, "fake-model", {"concurrency": 8}, GenerationConfig()))
                              for i, s in enumerate(servers)])
        first = panel.generate([r for s in samples for r in LLMBAR.requests(ctx, s)])
        rounds = [first[2 * i:2 * i + 2] for i in range(len(samples))]
        more = [LLMBAR.followups(ctx, s, out) for s, out in zip(samples, rounds)]
        later = panel.generate([r for m in more for r in m])
        panel.close()
    finally:
        for s in servers:
            s.stop()
    assert all(len(m) == 2 and {r.panel_member for r in m} == {"j0"} for m in more)
    assert [len(s.requests) for s in servers] == [4 * len(samples), 2 * len(samples)]
    i = 0
    for s, out, m in zip(samples, rounds, more):
        scores = LLMBAR.score(ctx, s, list(out) + later[i:i + 2]).scores
        i += 2
        assert scores["acc_member_j1"] == 1.0 and scores["acc_member_j0"] == 0.5  # (b) right in one order
        assert scores["acc_original"] == float(s.target == 2) and scores["acc_swapped"] == float(s.target == 1)
        assert scores["_calls_member_j0"] == 4.0  # two first-round calls and two synthesize calls
        assert scores["_calls_member_j1"] == 2.0 and scores["synthesized"] == 1.0
