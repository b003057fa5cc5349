"""A panel of scripted judges on 127.0.0.1 as the arena's reviewer (`--judge-model
panel:FILE`): each member's verdict is read by the arena's parser and kept in the judgment,
the majority decides."""
import json

import pytest

from benchgate.fixtures.servers import FakeOpenAIServer
from benchgate.judge.panel_verdicts import panel_aware
from benchgate.judge.verdicts import VerdictError, parse_pair_fastchat, parse_rating_fastchat
from benchgate.models.base import Generation
from benchgate.models.panel import panel_reply
from tests.arena.conftest import write_config
from tests.arena.test_arena_judges import two

pytestmark = pytest.mark.slow


def _reply(*texts):
    return panel_reply([(f"j{i}", Generation(t)) for i, t in enumerate(texts)])


def test_panel_verdict_rules():
    pair = panel_aware(parse_pair_fastchat, "pairwise")
    assert pair(_reply("[[A]]", "[[B]]", "[[A]]")).winner == "A"
    assert pair(_reply("[[A]]", "[[B]]", "no idea")).winner == "tie"
    assert pair(_reply("[[A]]", "[[B]]", "no idea")).label == "tie (j0: A, j1: B, j2: none)"
    with pytest.raises(VerdictError):
        pair(_reply("?", "??"))
    assert pair("[[B]]").winner == "B"  # one judge's text as before
    assert panel_aware(parse_rating_fastchat, "single")(_reply("[[8]]", "[[5]]")).rating == 6.5


def test_arena_with_a_panel_reviewer(run_arena, arena_dir, tmp_path):
    servers = [FakeOpenAIServer(responder=lambda p, v=v: f"My verdict: {v}").start() for v in ("[[A]]", "[[A]]", "[[B]]")]
    try:
        spec = {"members": [{"name": f"j{i}", "model": "judge", "api_url": s.base_url} for i, s in enumerate(servers)]}
        (tmp_path / "panel.json").write_text(json.dumps(spec))
        cfg = write_config(tmp_path / "cfg.yaml", arena_dir / "mt_bench" / "question.jsonl", two(),
                           {"args": {"mode": "pairwise", "turns": "first"}}, arena_dir / "judge_prompts.jsonl")
        run = run_arena(cfg, "--limit", "3", "--judge-model", f"panel:{tmp_path / 'panel.json'}")
    finally:
        for s in servers:
            s.stop()
    assert run.code == 0, run.out
    assert all(len(s.requests) == run.arena["counts"]["judgments"] for s in servers)  # every member judged all
    records = [j for r in (json.loads(line) for line in (run.output_dir / "samples.jsonl").read_text().splitlines())
               for j in r.get("judgments", [])]
    assert records and all(j["verdict"] == "A (j0: A, j1: A, j2: B)" for j in records)
    assert run.arena["counts"]["parse_failures"] == 0
    # every judgment A, A, B: P_i = 1/3, P_e = (2/3)^2 + (1/3)^2 = 5/9 -> kappa (1/3 - 5/9) / (4/9) = -0.5
    assert run.arena["panel"]["fleiss_kappa"] == pytest.approx(-0.5)
    assert [m["name"] for m in run.arena["panel"]["members"]] == ["j0", "j1", "j2"]


def test_panel_agreement_from_judgment_labels():
    from benchgate.arena.panel import panel_agreement

    labels = ["A (j0: A, j1: A, j2: B)", "B (j0: B, j1: B, j2: B)", "A (j0: A, j1: none, j2: A)",
              "B (j0: B, j1: A, j2: B)"]
    block = panel_agreement([{"judgments": [{"verdict": v} for v in labels]}, {"judgments": [{"verdict": "A"}]}])
    assert block["judgments"] == 4 and block["complete"] == 3
    assert [m["parse_failures"] for m in block["members"]] == [0, 1, 0]
    # hand-computed: complete rows AAB, BBB, BAB -> P_i = 1/3, 1, 1/3; P_bar = 5/9; p_A = 3/9, p_B = 6/9
    # P_e = 1/9 + 4/9 = 5/9 -> kappa 0
    assert block["fleiss_kappa"] == pytest.approx(0.0)
    assert block["pairs"][0] == {"judge_a": "j0", "judge_b": "j1", "n": 3, "agreement": pytest.approx(2 / 3),
                                 "cohen_kappa": pytest.approx(0.4)}
    assert panel_agreement([{"judgments": [{"verdict": "A"}]}]) is None
