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


def _reply(*texts):
    return JudgeReply(panel_reply([(f"m{i}", Generation(t)) for i, t in enumerate(texts)]))


def test_panel_ratings_are_averaged_and_verdicts_voted():
    score, correct = parse_spec("score", "b"), parse_spec("correct", "b")
    scored = judge_scores(score, [_reply("Rating: [[9]]", "[[6]]", "no rating")])
    assert scored.scores == {"judge_score": 7.5, "judge_score_member_m0": 9.0, "judge_score_member_m1": 6.0,
                             "judge_parse_failure": 0.0}
    assert scored.details[0]["members"]["m2"]["verdict"] is None
    assert judge_scores(correct, [_reply("[[correct]]", "[[incorrect]]", "[[correct]]")]).scores["judge_correct"] == 1.0
    assert judge_scores(correct, [_reply("[[correct]]", "[[incorrect]]")]).scores["judge_correct"] == 0.5
    failed = judge_scores(score, [_reply("?", "??")])
    assert failed.scores == {"judge_parse_failure": 1.0}


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
