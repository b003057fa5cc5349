"""The judge as a metric of ordinary benchmarks (--dataset-args '{"general_qa": {"judge": ...}}'),
with a scripted judge on 127.0.0.1: batched after the model, cached, parse failures excluded."""
import json

import pytest

from benchgate.fixtures.servers import FakeOpenAIServer
from benchgate.judge.metric import BUILTIN, JudgeInput, judge_prompts, judge_scores, parse_correct, parse_spec
from benchgate.judge.model import JudgeReply
from benchgate.judge.verdicts import VerdictError
from tests.conftest import ROOT

pytestmark = pytest.mark.slow
QA = ROOT / "tests" / "fixtures" / "general_qa" / "qa_en.jsonl"


def test_spec_prompts_and_scores_without_a_server(tmp_path):
    assert parse_spec(None, "x") is None
    spec = parse_spec("score", "general_qa")
    inp = JudgeInput("What is 2+2?", "4", "Four.")
    (p,) = judge_prompts(spec, inp, "general_qa")
    assert "[Reference Answer]\nFour." in p.user and p.messages[0]["role"] == "system"
    assert judge_prompts(spec, JudgeInput("Q", "A"), "t")[0].user.count("Reference") == 0
    scored = judge_scores(spec, [JudgeReply("Rating: [[9]]")])
    assert scored.scores == {"judge_score": 9.0, "judge_parse_failure": 0.0}
    assert judge_scores(spec, [JudgeReply("great answer")]).scores == {"judge_parse_failure": 1.0}
    correct = parse_spec({"metric": "correct"}, "x")
    assert judge_scores(correct, [JudgeReply("not [[correct]]... final: [[incorrect]]")]).scores["judge_correct"] == 0.0
    with pytest.raises(VerdictError):
        parse_correct("correct!")
    with pytest.raises(ValueError, match="general_qa.judge.metric"):
        parse_spec({"metric": "bleu"}, "general_qa")
    with pytest.raises(ValueError, match="needs a reference"):
        judge_prompts(correct, JudgeInput("Q", "A"), "t")
    own = tmp_path / "t.jsonl"
    own.write_text(json.dumps({"name": "mine", "type": "single", "system_prompt": "s",
                               "prompt_template": "Q={question} A={answer}", "output_format": "[[rating]]"}) + "\n")
    mine = parse_spec({"metric": "score", "prompt_file": str(own), "template": "mine"}, "x")
    assert judge_prompts(mine, inp, "t")[0].user == "Q=What is 2+2? A=4"
    assert BUILTIN["score"].output_format == "[[rating]]"


def test_general_qa_judge_score_and_correct(run_evals, tmp_path):
    ratings = {"Paris": 9, "Mars": 7}

    def responder(prompt):
        if "[[correct]]" in prompt:  # the correctness template
            return "[[correct]]" if "Mars" in prompt.split("[Answer]")[1] else "[[incorrect]]"
        answer = prompt.split("[Answer]\n")[1]
        for word, r in ratings.items():
            if word in answer:
                return f"Rating: [[{r}]]"
        return "I cannot rate this."

    with FakeOpenAIServer(responder=responder) as judge:
        args = ["--model", "oracle", "--datasets", "general_qa", "--judge-model", "gpt-4",
                "--judge-api-url", judge.base_url]
        score = json.dumps({"general_qa": {"path": str(QA), "judge": "score"}})
        run = run_evals(*args, "--dataset-args", score)
        assert run.code == 0, run.out
        samples = {s["index"]: s for s in run.samples()}
        assert samples[0]["scores"]["judge_score"] == 9.0 and samples[1]["scores"]["judge_score"] == 7.0
        unrated = [s for s in samples.values() if "judge_score" not in s["scores"]]
        assert all(s["scores"]["judge_parse_failure"] == 1.0 for s in unrated) and unrated
        metrics = run.results["benchmarks"]["general_qa"]["metrics"]
        assert metrics["judge_score"]["n"] == 4 - len(unrated)  # failures excluded, never a 0
        assert metrics["judge_score"]["score"] == pytest.approx(8.0)
        assert metrics["judge_parse_failure"]["score"] == pytest.approx(len(unrated) / 4)
        assert samples[0]["judgments"][0]["verdict"] == 9.0 and "[Reference Answer]" in samples[0]["judgments"][0]["prompt"]
        assert run.results["judge"]["name"] == "gpt-4" and run.results["judge"]["kind"] == "generative"
        n = len(judge.requests)
        assert n == 4
        again = run_evals(*args, "--dataset-args", score, "--use-cache")
        assert again.code == 0 and len(judge.requests) == n  # cached: the judge is asked nothing
        correct = run_evals(*args, "--dataset-args", json.dumps({"general_qa": {"path": str(QA), "judge": "correct"}}),
                            "--gate", "general_qa:judge_correct=0.25")
        assert correct.code == 0, correct.out
        assert correct.results["benchmarks"]["general_qa"]["metrics"]["judge_correct"]["score"] == pytest.approx(0.25)
    missing = run_evals("--model", "oracle", "--datasets", "general_qa", "--dataset-args", score)
    assert missing.code == 4 and "general_qa.judge needs a judge model: pass --judge-model" in missing.out
