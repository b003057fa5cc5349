"""The `judge` fixture end to end: examples/judged (and a module written here) run by pytest (in
this process; under xdist in a subprocess) against a scripted OpenAI-compatible judge on
127.0.0.1 whose verdicts the test controls, so every score below is computed here by hand from
the data file and the script."""
from __future__ import annotations

import json

import pytest

from benchgate.fixtures.servers import FakeOpenAIServer
from tests.conftest import ROOT
from tests.integration.test_suite_layout import run_examples

pytestmark = pytest.mark.slow
ROWS = [json.loads(line) for line in (ROOT / "examples" / "judged" / "explanations.jsonl").read_text().splitlines()]
NO_VERDICT = "Why does bread rise?"  # the judge gives no [[verdict]] for this question
UNSURE = "Moon"  # ... and neither yes nor no to the conciseness question of this answer
SHORT = 130


def between(text: str, start: str, end: str) -> str:
    return text.split(start, 1)[1].split(end, 1)[0]


def script(prompt: str) -> str:
    if "[[correct]] or [[incorrect]]" in prompt:
        if NO_VERDICT in prompt:
            return "It is hard to say."
        same = between(prompt, "[Answer]\n", "\n[End of Answer]") == \
            between(prompt, "[Reference Answer]\n", "\n[End of Reference Answer]")
        return "Same result. [[correct]]" if same else "Different. [[incorrect]]"
    if prompt.startswith("Is the following explanation"):
        answer = prompt.split("Explanation: ", 1)[1]
        return "Perhaps" if UNSURE in answer else ("Yes" if len(answer) < SHORT else "No")
    return f"echo {prompt}"


def judge_args(server) -> list[str]:
    return ["--judge-model", "judge-x", "--judge-api-url", server.base_url, "-p", "no:randomly"]


def test_judged_example_with_a_judge_server(tmp_path, benchgate_home):
    with FakeOpenAIServer(responder=script, latency=0.05) as server:
        run = run_examples(tmp_path, benchgate_home, "examples/judged", "--model", "oracle", *judge_args(server),
                           name="oracle")
        assert run.code == 0, run.out[-3000:]
        assert len(server.requests) == 2 * len(ROWS)  # each prompt asked once: no wasted guess
        assert server.max_in_flight > 1  # batched: asked together, not one per test
        entry = run.results["benchmarks"]["explanations"]
        metrics = entry["metrics"]
        # oracle: answer == reference, so every parsed verdict is [[correct]]; one no verdict
        assert (entry["metric"], metrics["judge_correct"]["score"], metrics["judge_correct"]["n"]) == \
            ("judge_correct", 1.0, len(ROWS) - 1)
        assert metrics["judge_parse_failure"]["score"] == pytest.approx(1 / len(ROWS))
        assert "judge_parse_failure" in entry["lower_is_better"]
        concise = [len(r["answer"]) < SHORT for r in ROWS if UNSURE not in r["answer"]]
        assert metrics["concise"]["n"] == len(concise)
        assert metrics["concise"]["score"] == pytest.approx(sum(concise) / len(concise))
        assert metrics["concise_parse_failure"]["score"] == pytest.approx(1 / len(ROWS))
        assert run.results["judge"]["name"] == "judge-x"
        # each sample's judgments are the replies to its own prompts, as the server got them
        asked = {body["messages"][-1]["content"] for body in server.requests}
        for sample in run.samples():
            row = ROWS[sample["index"]]
            score, ask = sample["judgments"]
            assert score["prompt"] in asked and ask["prompt"] in asked
            assert f"[Question]\n{row['question']}\n" in score["prompt"]
            assert score["response"] == script(score["prompt"]) and ask["response"] == script(ask["prompt"])
            failed = row["question"] == NO_VERDICT
            assert (score["verdict"] is None) == failed and ("judge_correct" in sample["scores"]) != failed
        assert {b["max_tokens"] for b in server.requests if b["messages"][-1]["content"].startswith("Is the")} == {4}
        # cached: a second run asks the judge nothing and gives the same results
        again = run_examples(tmp_path, benchgate_home, "examples/judged", "--model", "oracle", *judge_args(server),
                             "--use-cache", name="again")
        assert again.code == 0 and len(server.requests) == 2 * len(ROWS)
        assert again.results["benchmarks"] == run.results["benchmarks"]
        # a wrong answer (the dummy model's) is judged incorrect, under xdist too
        server.reset()
        server.responder = script
        dummy = run_examples(tmp_path, benchgate_home, "examples/judged", "--model", "dummy", "--model-args",
                             "response=No idea.", *judge_args(server), "-n", "2", name="dummy")
        assert dummy.code == 0, dummy.out[-3000:]
        metrics = dummy.results["benchmarks"]["explanations"]["metrics"]
        assert (metrics["judge_correct"]["score"], metrics["judge_correct"]["n"]) == (0.0, len(ROWS) - 1)
        assert (metrics["concise"]["score"], metrics["concise"]["n"]) == (1.0, len(ROWS))
        # the six score prompts, and one conciseness prompt: the same answer for every case
        assert len(server.requests) == len(ROWS) + 1


def test_without_a_judge_the_tests_are_skipped_with_the_reason(tmp_path, benchgate_home):
    run = run_examples(tmp_path, benchgate_home, "examples/judged", "--model", "oracle", "-rs", name="nojudge")
    assert run.code == 0, run.out[-3000:]
    assert f"{len(ROWS)} skipped" in run.out
    assert "no judge configured: pass --judge-model" in run.out
    assert not (run.output_dir / "results.json").exists()  # nothing scored (never a 0), nothing written


def test_a_prompt_not_built_from_the_case_is_correct_and_not_guessed_again(tmp_path, benchgate_home):
    """Each test's judge prompt carries a call counter: the first test's guess for the group
    does not fit the second test, which marks the guess as missed; from then on every test
    asks only its own prompt. Every reply is still the one to the test's own prompt."""
    module = tmp_path / "evals_here" / "test_counter.py"
    module.parent.mkdir()
    (module.parent / "cases.jsonl").write_text("".join(json.dumps({"question": f"q{i}", "answer": f"a{i}"}) + "\n"
                                                       for i in range(5)))
    module.write_text(
        "import itertools\nimport pytest\nfrom benchgate import load_cases\n"
        "COUNTER = itertools.count()\n"
        "@pytest.mark.parametrize('case', load_cases('cases.jsonl'))\n"
        "def test_counter(case, model, judge, record):\n"
        "    answer = model.generate(case)\n"
        "    reply = judge.ask(f'call {next(COUNTER)} of {answer}')\n"
        "    record(ok=float(reply == 'echo call ' + str(case.index) + ' of ' + answer))\n")
    with FakeOpenAIServer(responder=script) as server:
        run = run_examples(tmp_path, benchgate_home, str(module), "--model", "oracle", *judge_args(server), name="c")
        assert run.code == 0, run.out[-3000:]
        assert run.results["benchmarks"]["counter"]["metrics"]["ok"] == {
            **run.results["benchmarks"]["counter"]["metrics"]["ok"], "score": 1.0, "n": 5}
        # one guessed batch of 5 (call 0 of every answer), then one own call for each of the 4 others
        assert len(server.requests) == 5 + 4
