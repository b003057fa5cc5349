"""BFCL through the real engine against a scripted OpenAI-compatible server on 127.0.0.1 that
answers with native tool calls (streamed, arguments split across chunks): the ground truth
scores 1.0, the Agent dimension, per-category and subset gates, the record of each sample, and
replay of samples.jsonl without a model (multi-turn runs: tests/evals/test_bfcl_multi_turn.py)."""
import json

from benchgate.benchmark import RunContext
from benchgate.engine.items import import_benchmark
from benchgate.fixtures.servers import FakeOpenAIServer
from tests.conftest import ROOT

BFCL = import_benchmark(ROOT / "evals" / "bfcl.py")
SUBSETS = ["simple_python", "parallel", "irrelevance", "live_multiple"]


def _answers(agent_dir) -> dict[str, object]:
    """The oracle's answer per user message: tool calls, or the text declining."""
    ctx = RunContext(agent_dir, "local", BFCL.effective_args({}), chat=True)
    answers = {}
    for subset in SUBSETS:
        for sample in BFCL.load(ctx, subset)[:4]:
            oracle = BFCL.requests(ctx, sample)[0].oracle
            wire = json.loads(oracle) if oracle.startswith("{") else oracle
            answers[sample.data["question"][0][-1]["content"]] = wire["tool_calls"] if isinstance(wire, dict) else wire
    return answers


def test_api_fc_run_scores_gates_and_replays(run_evals, agent_dir):
    answers = _answers(agent_dir)
    server = FakeOpenAIServer(tool_responder=lambda body: (
        lambda a: a if isinstance(a, list) else None)(answers[body["messages"][-1]["content"]]),
        responder=lambda prompt: answers[prompt] if isinstance(answers[prompt], str) else "")
    with server:
        run = run_evals("--api-url", server.base_url, "--model", "fake-model", "--datasets", "bfcl",
                        "--dataset-dir", str(agent_dir), "--limit", "4", "--model-args", "stream=true,concurrency=4",
                        "--dataset-args", json.dumps({"bfcl": {"subset_list": SUBSETS}}),
                        "--gate", "bfcl=0.6", "--gate", "bfcl/live_multiple=0.5")
        assert all(body.get("tools") and body.get("stream") for body in server.requests)
    assert run.code == 0, run.out[-3000:]
    res = run.results
    entry = res["benchmarks"]["bfcl"]
    assert entry["metric"] == "overall_acc" and entry["score"] == 1.0 and entry["n"] == 16
    assert entry["metrics"]["non_live_acc"]["score"] == 1.0 and entry["metrics"]["irrelevance_acc"]["score"] == 1.0
    assert set(entry["subsets"]) == set(SUBSETS)
    assert res["dimensions"]["Agent"]["benchmarks"]["bfcl"]["score"] == 1.0
    assert all(c["passed"] for c in res["gates"]["checks"])
    records = {r["id"]: r for r in run.samples()}
    rec = records["bfcl/parallel/0"]
    assert rec["extracted"]["case_id"] == "parallel_0" and rec["extracted"]["error_type"] is None
    assert len(rec["extracted"]["calls"]) == len(rec["extracted"]["expected"]) == 2
    # replay: re-score the saved answers with no model
    replay = run_evals("--model", f"replay:{run.output_dir / 'samples.jsonl'}", "--datasets", "bfcl",
                       "--dataset-dir", str(agent_dir), "--limit", "4",
                       "--dataset-args", json.dumps({"bfcl": {"subset_list": SUBSETS}}))
    assert replay.code == 0, replay.out[-3000:]
    assert replay.results["benchmarks"]["bfcl"]["score"] == 1.0


def test_documented_oracle_command_with_gates(run_evals, agent_dir):
    """The command of docs/benchmarks/bfcl.md (prompt mode, two subsets, both gates), limited."""
    run = run_evals("--datasets", "bfcl", "--dataset-dir", str(agent_dir), "--model", "oracle", "--limit", "20",
                    "--dataset-args", '{"bfcl": {"mode": "prompt", "subset_list": ["simple_python", "live_multiple"]}}',
                    "--gate", "bfcl=0.6", "--gate", "bfcl/live_multiple=0.5")
    assert run.code == 0, run.out[-3000:]
    entry = run.results["benchmarks"]["bfcl"]
    assert entry["score"] == 1.0 and entry["n"] == 40 and set(entry["subsets"]) == {"simple_python", "live_multiple"}
    wrong = run_evals("--datasets", "bfcl", "--dataset-dir", str(agent_dir), "--model", "wrong", "--limit", "20",
                      "--dataset-args", '{"bfcl": {"mode": "prompt", "subset_list": ["simple_python", "live_multiple"]}}',
                      "--gate", "bfcl=0.6")
    assert wrong.code != 0 and wrong.results["benchmarks"]["bfcl"]["score"] == 0.0
