"""BFCL multi-turn: the agent loop over bfcl-eval's simulated APIs (imported from the bfcl-eval
package, installed without its dependencies into the test's BENCHGATE_HOME when missing), the
oracle (ground-truth calls per turn) scoring 1.0 on all 800 cases in both modes, wrong 0,
perturbed call sequences caught by the state and response checks, the skip without the package,
and the engine's follow-up rounds through a real run (concurrent API conversations, replay)."""
import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchgate.agent import multi_turn
from benchgate.agent import multi_turn_runner as mr
from benchgate.agent.prompt_mode import system_prompt
from benchgate.benchmark import RunContext
from benchgate.engine.items import import_benchmark
from benchgate.fixtures.servers import FakeOpenAIServer
from benchgate.models.base import Generation
from tests.conftest import ROOT

BFCL = import_benchmark(ROOT / "evals" / "bfcl.py")
MULTI = ["multi_turn_base", "multi_turn_miss_func", "multi_turn_miss_param", "multi_turn_long_context"]


@pytest.fixture(scope="module")
def bfcl_eval_path(tmp_path_factory) -> str:
    """A folder where `bfcl_eval` imports from: the installed package, or bfcl-eval 2026.3.23
    installed there with `pip install --no-deps` (plus mpmath) for this test session."""
    if multi_turn.missing_reason() is None:
        import bfcl_eval

        return str(Path(bfcl_eval.__file__).parents[1])
    target = tmp_path_factory.mktemp("bfcl_eval")
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target),
                           "bfcl-eval==2026.3.23", "mpmath"], capture_output=True, text=True)
    assert proc.returncode == 0, f"installing bfcl-eval for the multi-turn tests failed: {proc.stderr[-2000:]}"
    sys.path.insert(0, str(target))
    assert multi_turn.missing_reason() is None
    return str(target)


def ctx(data, **args):
    return RunContext(dataset_dir=data, dataset_hub="local", args=BFCL.effective_args(args), chat=True)


def converse(c, sample, answer):
    """Run a sample's agent loop in-process; `answer(request, step)` gives each answer text."""
    outputs, requests = [], BFCL.requests(c, sample)
    while requests:
        outputs.append(Generation(answer(requests[0], len(outputs))))
        requests = BFCL.followups(c, sample, outputs)
    return outputs, BFCL.score(c, sample, outputs)


@pytest.mark.no_cover  # a sweep over a whole data set: not traced (docs/testing.md, "Coverage")
@pytest.mark.parametrize("mode", ["fc", "prompt"])
def test_oracle_scores_every_case_and_wrong_none(bfcl_eval_path, agent_dir, mode):
    c = ctx(agent_dir, mode=mode)
    for subset in MULTI:
        assert BFCL.skip_reason(c, subset) is None
        samples = BFCL.load(c, subset)
        assert len(samples) == 200 and all(s.error is None for s in samples)
        for s in samples:
            _, oracle = converse(c, s, lambda r, i: str(r.oracle))
            assert oracle.scores["acc"] == 1.0, (s.id, oracle.extracted)
            _, wrong = converse(c, s, lambda r, i: str(r.wrong))
            assert wrong.scores["acc"] == 0.0, s.id
    metrics = BFCL.corpus_metrics([{"acc": 1.0, f"_{m}": 1.0} for m in MULTI] + [{"acc": 0.0, "_multi_turn_base": 0.0}])
    assert metrics["multi_turn_acc"] == pytest.approx((0.5 + 1 + 1 + 1) / 4)


def test_the_kept_dialogue_asks_what_a_fresh_replay_asks(bfcl_eval_path, agent_dir):
    """The engine's rounds advance each sample's kept Dialogue by the new answer; answers that do
    not continue the ones it played (another first answer, another second one) replay afresh.
    Each next request equals the one a fresh context (nothing kept) asks for."""
    c = ctx(agent_dir, mode="prompt")
    sample = BFCL.load(c, "multi_turn_base")[0]
    first = Generation(str(BFCL.requests(c, sample)[0].oracle))
    second = Generation(str(BFCL.followups(c, sample, [first])[0].oracle))
    other = Generation("[cd(folder='nowhere')]")
    for answers in ([first, second], [first, other], [other], [first, second, Generation("Done.")], [first]):
        fresh = BFCL.followups(ctx(agent_dir, mode="prompt"), sample, answers)
        assert BFCL.followups(c, sample, answers) == fresh and fresh, answers
    finished, _ = converse(ctx(agent_dir, mode="prompt"), sample, lambda r, i: str(r.oracle))
    assert BFCL.followups(c, sample, finished) == [] == BFCL.followups(c, sample, finished + [other])
    docs, held = multi_turn.function_docs(agent_dir / "bfcl", sample.data)
    dialogue = mr.Dialogue({**sample.data, "question": sample.data["question"][:1]}, docs, held, "prompt",
                           system_prompt, lambda d: d)
    dialogue.answer("Done.")  # no call: the one turn ends, and with it the conversation
    assert dialogue.next is None and dialogue.conv.finished
    with pytest.raises(ValueError, match="finished"):
        dialogue.answer("Done.")
    # answers past the end are not played, by the replay nor by the kept dialogue
    one_turn = {**sample.data, "question": sample.data["question"][:1]}
    conv, step = mr.converse(one_turn, docs, held, ["Done.", "[pwd()]"], "prompt", system_prompt, lambda d: d)
    assert step is None and conv.calls == [[]] and len(conv.messages) == len(dialogue.conv.messages)


def test_perturbed_sequences_fail_the_right_check(bfcl_eval_path, agent_dir):
    c = ctx(agent_dir, mode="prompt")
    sample = BFCL.load(c, "multi_turn_base")[0]
    assert sample.target[0] == ["cd(folder='document')", "mkdir(dir_name='temp')",
                                "mv(source='final_report.pdf', destination='temp')"]

    def with_first(text):
        return lambda r, i: text if i == 0 else str(r.oracle)

    # the first turn's last step missing: the file was not moved
    _, s = converse(c, sample, with_first("[cd(folder='document'), mkdir(dir_name='temp')]"))
    assert s.extracted["error_type"] == "multi_turn:instance_state_mismatch"
    # a wrong argument: another directory made
    _, s = converse(c, sample, with_first("[cd(folder='document'), mkdir(dir_name='tmp'), "
                                          "mv(source='final_report.pdf', destination='temp')]"))
    assert s.scores["acc"] == 0.0
    # an extra harmless read-only call (ls) changes neither state nor the needed results
    _, s = converse(c, sample, with_first("[ls(), cd(folder='document'), mkdir(dir_name='temp'), "
                                          "mv(source='final_report.pdf', destination='temp')]"))
    assert s.scores["acc"] == 1.0 and s.extracted["calls"][0][0][0] == "ls()"
    # no call in a turn that needs calls
    _, s = converse(c, sample, with_first("I will not do that."))
    assert s.extracted["error_type"] == "multi_turn:empty_turn_model_response"
    # a call the APIs reject is an error shown to the model, not a crash
    outputs, s = converse(c, sample, lambda r, i: "[cd(folder='nowhere')]" if i == 0 else "Done.")
    shown = BFCL.followups(c, sample, outputs[:1])[0].prompt[-1]["content"]
    assert "cd(folder='nowhere')" in shown and "No such" in shown or "Error" in shown
    # more than 20 steps in one turn: force-terminated
    _, s = converse(c, sample, lambda r, i: "[pwd()]")
    assert s.extracted["error_type"] == "multi_turn:force_terminated"


def test_skipped_with_the_install_command_when_bfcl_eval_is_absent(agent_dir, monkeypatch):
    monkeypatch.setattr(multi_turn, "PREFIX", "bfcl_eval_not_installed.func_source_code")
    reason = BFCL.skip_reason(ctx(agent_dir), "multi_turn_base")
    assert "pip install --no-deps bfcl-eval==2026.3.23 mpmath" in reason


def oracle_script(agent_dir, n: int) -> dict:
    """The oracle's answer (tool calls, or a text) for every step of the first n conversations,
    keyed by the conversation so far, for a scripted server."""
    c = ctx(agent_dir)
    samples = BFCL.load(c, "multi_turn_base")[:n]
    script: dict[str, list] = {}
    for s in samples:
        outputs, requests = [], BFCL.requests(c, s)
        while requests:
            key = json.dumps(requests[0].prompt, sort_keys=True)
            script[key] = json.loads(requests[0].oracle)["tool_calls"] if requests[0].oracle.startswith("{") \
                else requests[0].oracle
            outputs.append(Generation(str(requests[0].oracle)))
            requests = BFCL.followups(c, s, outputs)
    return script


def scripted_server(script: dict, latency: float = 0.0) -> FakeOpenAIServer:
    def answer(body):
        return script[json.dumps(body["messages"], sort_keys=True)]

    return FakeOpenAIServer(latency=latency, responder=lambda prompt: "Done.", tool_responder=lambda b: (
        lambda a: a if isinstance(a, list) else None)(answer(b)))


def test_api_multi_turn_run_and_replay(bfcl_eval_path, run_evals, agent_dir):
    """A real run: the engine's follow-up rounds over the API (tool calls, tool messages back),
    every step recorded, and replay of samples.jsonl serving each conversation's answers in order."""
    script = oracle_script(agent_dir, 6)
    env = {"PYTHONPATH": f"{ROOT}:{bfcl_eval_path}"}
    args = ("--datasets", "bfcl", "--dataset-dir", str(agent_dir), "--limit", "6",
            "--dataset-args", '{"bfcl": {"subset_list": ["multi_turn_base"]}}')
    with scripted_server(script) as server:
        run = run_evals("--api-url", server.base_url, "--model", "fake-model", *args, env=env)
        assert run.code == 0, run.out[-3000:]
        assert len(server.requests) == len(script)
        assert any(m["role"] == "tool" for body in server.requests for m in body["messages"])
    assert run.results["benchmarks"]["bfcl"]["score"] == 1.0
    record = next(r for r in run.samples() if r["id"] == "bfcl/multi_turn_base/0")
    assert isinstance(record["response"], list) and len(record["response"]) > 4
    assert record["extracted"]["calls"][0] == [["cd(folder='document')", "mkdir(dir_name='temp')",
                                                "mv(source='final_report.pdf',destination='temp')"]]
    replay = run_evals("--model", f"replay:{run.output_dir / 'samples.jsonl'}", *args, env=env)
    assert replay.code == 0, replay.out[-3000:]
    assert replay.results["benchmarks"]["bfcl"]["score"] == 1.0


@pytest.mark.timing  # a wall-clock ratio: runs alone
def test_api_run_concurrent_conversations(bfcl_eval_path, run_evals, agent_dir):
    """The engine asks each conversation's next step after every round; the rounds of a group
    go to the API together, so 50 ms per answer at concurrency 32 beats concurrency 1 by far.
    Concurrency 1 answers one step after another, so its time per step is measured on the
    first 8 conversations (a quarter of the wait) and counted for all 32 conversations' steps."""
    env = {"PYTHONPATH": f"{ROOT}:{bfcl_eval_path}"}
    times, steps = {}, {}
    for concurrency, conversations in ((32, 32), (1, 8)):
        script = oracle_script(agent_dir, conversations)
        steps[concurrency] = sum(1 for _ in script)
        with scripted_server(script, latency=0.05) as server:
            run = run_evals("--api-url", server.base_url, "--model", "fake-model", "--datasets", "bfcl",
                            "--dataset-dir", str(agent_dir), "--limit", str(conversations),
                            "--model-args", f"concurrency={concurrency}",
                            "--dataset-args", '{"bfcl": {"subset_list": ["multi_turn_base"]}}', env=env,
                            output=f"c{concurrency}")
            assert run.code == 0, run.out[-3000:]
            assert len(server.requests) == steps[concurrency]  # every step asked (no cache hit)
            stamps = [t for ts in server.attempts.values() for t in ts]
            times[concurrency] = max(stamps) - min(stamps) + 0.05
            assert run.results["benchmarks"]["bfcl"]["score"] == 1.0
            assert server.max_in_flight >= min(concurrency, 16)
    assert server.max_in_flight == 1  # concurrency 1 (the last server): one step at a time
    serial = times[1] / steps[1] * steps[32]  # concurrency 1's time for the 32 conversations
    # the time spent answering (first request to last answer): 50 ms per step one at a time vs
    # 10 rounds of up to 32 conversations at once (ideal ~21x). Measured 12.4-15.7x at load
    # average 4-5 and 9.8-15.0x at ~8 on the shared 2-core machine (docs/performance.md "Tool
    # use"): the issue's 10x in 10 of 11 runs, not in all, so the bound stays at 5x
    print(f"multi_turn_base, 32 conversations, {steps[32]} steps, 50 ms per answer: concurrency 1 "
          f"{times[1]:.2f} s for {steps[1]} steps ({serial:.2f} s for all), concurrency 32 {times[32]:.2f} s "
          f"({serial / times[32]:.1f}x)")
    assert serial > 5 * times[32], (times, steps)


def test_verdicts_agree_with_bfcl_evals_multi_turn_checker(bfcl_eval_path, agent_dir):
    """1,148 conversations (benchmarks/bfcl_multi_turn_outputs.py: the ground truth, a missing
    step, a changed argument, an extra read-only call, a turn without calls, a turn reversed),
    judged by bfcl-eval 2026.3.23's multi_turn_checker in a separate environment
    (benchmarks/bfcl_reference_verdicts.py, verdicts committed): benchgate's agent loop, played
    with the same calls, gives the same verdict and error type on every one."""
    path = ROOT / "tests" / "agent" / "data" / "bfcl_multi_turn_reference_verdicts.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    assert len(rows) == 1148
    folder = agent_dir / "bfcl"
    cases = {}
    for category in MULTI:
        for line in open(folder / f"BFCL_v4_{category}.json", encoding="utf-8"):
            case = json.loads(line)
            cases[case["id"]] = case
    truths = {a["id"]: a["ground_truth"] for category in MULTI for a in map(json.loads, open(
        folder / "possible_answer" / f"BFCL_v4_{category}.json", encoding="utf-8"))}
    disagreements, kinds = [], set()
    for r in rows:
        case, truth = cases[r["case_id"]], truths[r["case_id"]]
        docs, held = multi_turn.function_docs(folder, case)
        answers = [a for turn in r["calls"] for a in ["[" + ", ".join(step) + "]" for step in turn] + ["Done."]]
        conv, step = mr.converse(case, docs, held, answers, "prompt", system_prompt, lambda d: d)
        states, results = mr.ground_truth_states(case, truth)
        valid, error_type, _ = mr.verdict(conv, truth, states, results)
        ref = r["reference"]
        kinds.add(ref["error_type"])
        if step is not None or valid != ref["valid"] or (not valid and error_type != ref["error_type"]):
            disagreements.append((r["case_id"], r["label"], valid, error_type, ref))
    assert disagreements == []
    assert kinds == {None, "multi_turn:empty_turn_model_response", "multi_turn:instance_state_mismatch",
                     "multi_turn:execution_response_mismatch"}
