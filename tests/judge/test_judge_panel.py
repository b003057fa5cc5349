"""A panel as the judge of judge metrics (`--judge-model panel:FILE`): the mean of the
members' ratings, the majority of their correct/incorrect verdicts, each member kept."""
import json

import pytest

from benchgate.fixtures.servers import FakeOpenAIServer
from benchgate.judge.metric import judge_scores, parse_spec
from benchgate.judge.model import JudgeReply
from benchgate.models.base import Generation
from benchgate.models.panel import panel_reply
from tests.judge.test_judge_metric import QA


class UsageServer(FakeOpenAIServer):
    """A scripted judge whose API reports a fixed `usage` for every call (hand-countable)."""

    def __init__(self, verdict: str, prompt_tokens: int, completion_tokens: int, **kw):
        super().__init__(responder=lambda p: f"My verdict: {verdict}", **kw)
        self.fixed = {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                      "total_tokens": prompt_tokens + completion_tokens}

    def _usage(self, prompt, text):
        return dict(self.fixed)


def _reply(*texts):
    return JudgeReply(panel_reply([(f"m{i}", Generation(t)) for i, t in enumerate(texts)]))


def test_panel_ratings_are_averaged_and_verdicts_voted():
    score, correct = parse_spec("score", "b"), parse_spec("correct", "b")
    scored = judge_scores(score, [_reply("Rating: [[9]]", "[[6]]", "no rating")])
    assert {k: v for k, v in scored.scores.items() if not k.startswith("_")} == {
        "judge_score": 7.5, "judge_score_member_m0": 9.0, "judge_score_member_m1": 6.0, "judge_parse_failure": 0.0}
    # every member was called once, the one that did not parse included; no usage reported: 0 tokens
    assert {k: v for k, v in scored.scores.items() if k.startswith("_")} == {
        **{f"_judge_calls_member_m{i}": 1.0 for i in range(3)}, **{f"_judge_tokens_member_m{i}": 0.0 for i in range(3)}}
    assert scored.details[0]["members"]["m2"]["verdict"] is None
    assert judge_scores(correct, [_reply("[[correct]]", "[[incorrect]]", "[[correct]]")]).scores["judge_correct"] == 1.0
    assert judge_scores(correct, [_reply("[[correct]]", "[[incorrect]]")]).scores["judge_correct"] == 0.5
    failed = judge_scores(score, [_reply("?", "??")])
    assert {k: v for k, v in failed.scores.items() if not k.startswith("_")} == {"judge_parse_failure": 1.0}


def test_general_qa_judged_by_a_panel(run_evals, tmp_path):
    servers = [FakeOpenAIServer(responder=lambda prompt, r=r: f"Rating: [[{r}]]").start() for r in (9, 6)]
    try:
        spec = {"members": [{"name": f"j{i}", "model": "gpt-4", "api_url": s.base_url} for i, s in enumerate(servers)]}
        (tmp_path / "panel.yaml").write_text(json.dumps(spec))
        run = run_evals("--model", "oracle", "--datasets", "general_qa", "--judge-model", f"panel:{tmp_path / 'panel.yaml'}",
                        "--dataset-args", json.dumps({"general_qa": {"path": str(QA), "judge": "score"}}))
    finally:
        for s in servers:
            s.stop()
    assert run.code == 0, run.out
    metrics = run.results["benchmarks"]["general_qa"]["metrics"]
    assert metrics["judge_score"]["score"] == pytest.approx(7.5)
    assert metrics["judge_score_member_j0"]["score"] == 9.0 and metrics["judge_score_member_j1"]["score"] == 6.0
    assert all(len(s.requests) == 4 for s in servers)  # every member judged every sample


def test_calls_and_tokens_per_member_in_results(run_evals, tmp_path):
    """results.json sums each member's calls and tokens (as its API reported them) per scope."""
    servers = [UsageServer("Rating: [[8]]", 120, 4).start(), UsageServer("Rating: [[6]]", 60, 9).start()]
    try:
        spec = {"members": [{"name": f"j{i}", "model": "gpt-4", "api_url": s.base_url} for i, s in enumerate(servers)]}
        (tmp_path / "panel.yaml").write_text(json.dumps(spec))
        run = run_evals("--model", "oracle", "--datasets", "general_qa", "--judge-model", f"panel:{tmp_path / 'panel.yaml'}",
                        "--dataset-args", json.dumps({"general_qa": {"path": str(QA), "judge": "score"}}))
    finally:
        for s in servers:
            s.stop()
    assert run.code == 0, run.out
    entry = run.results["benchmarks"]["general_qa"]
    samples = entry["n"]
    assert samples == 4 and all(len(s.requests) == samples for s in servers)
    metrics = entry["metrics"]
    # hand count: one call per member and sample; j0 4 x (120 + 4) = 496 tokens, j1 4 x (60 + 9) = 276
    assert metrics["judge_calls_member_j0"]["score"] == 4 and metrics["judge_calls_member_j1"]["score"] == 4
    assert metrics["judge_tokens_member_j0"]["score"] == 496 and metrics["judge_tokens_member_j1"]["score"] == 276
    assert metrics["judge_score"]["score"] == pytest.approx(7.0)
    for subset in entry["subsets"].values():  # each scope sums its own samples
        assert subset["metrics"]["judge_tokens_member_j0"]["score"] == 124 * subset["n"]
