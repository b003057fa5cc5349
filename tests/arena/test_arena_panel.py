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
from tests.judge.test_judge_panel import UsageServer

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


def test_arena_config_panel_reviewer(run_arena, arena_dir, tmp_path):
    """`reviews_gen.reviewer.args.panel`: three judges, each with its own model, URL, key and
    args; majority vote, each member's verdict kept, agreement and per-member calls and tokens."""
    servers = [UsageServer("[[A]]", 100, 3), UsageServer("[[A]]", 50, 2), UsageServer("[[B]]", 10, 1)]
    servers[0].require_key = "k0-secret-value"
    for s in servers:
        s.start()
    try:
        panel = [{"name": "gpt", "model": "judge-gpt", "api_url": servers[0].base_url, "api_key_env": "PANEL_K0",
                  "model_args": {"concurrency": 2}},
                 {"name": "qwen", "model": "judge-qwen", "api_url": servers[1].base_url},
                 {"name": "small", "model": "judge-small", "api_url": servers[2].base_url}]
        cfg = write_config(tmp_path / "cfg.yaml", arena_dir / "mt_bench" / "question.jsonl", two(),
                           {"args": {"mode": "pairwise", "turns": "first", "panel": panel, "max_tokens": 77}},
                           arena_dir / "judge_prompts.jsonl")
        run = run_arena(cfg, "--limit", "3", env={"PANEL_K0": "k0-secret-value"})
    finally:
        for s in servers:
            s.stop()
    assert run.code == 0, run.out
    # hand count: 3 questions x 1 pair (m2-vs-m1) x 1 turn x 1 order = 3 judgments, each asked of every member
    assert run.arena["counts"]["judgments"] == 3
    for s, model in zip(servers, ("judge-gpt", "judge-qwen", "judge-small")):
        assert len(s.requests) == 3 and {r["model"] for r in s.requests} == {model}
        assert all(r["max_tokens"] == 77 for r in s.requests)  # the reviewer's decoding for every member
    assert set(servers[0].auth_headers) == {"Bearer k0-secret-value"}  # its own key, from its own variable
    assert all(h != "Bearer k0-secret-value" for s in servers[1:] for h in s.auth_headers)
    judgments = [j for r in run.samples() for j in r.get("judgments", [])]
    assert len(judgments) == 3 and all(j["verdict"] == "A (gpt: A, qwen: A, small: B)" for j in judgments)
    assert {j["judge"] for j in judgments} == {"panel"}
    block = run.arena["panel"]
    assert block["fleiss_kappa"] == pytest.approx(-0.5)  # A, A, B every time (see test above)
    members = {m["name"]: m for m in block["members"]}
    assert {n: (m["calls"], m["prompt_tokens"], m["completion_tokens"], m["tokens"]) for n, m in members.items()} == {
        "gpt": (3, 300, 9, 309), "qwen": (3, 150, 6, 156), "small": (3, 30, 3, 33)}
    assert [(p["judge_a"], p["judge_b"], p["agreement"]) for p in block["pairs"]] == [
        ("gpt", "qwen", 1.0), ("gpt", "small", 0.0), ("qwen", "small", 0.0)]
    assert "k0-secret-value" not in (run.output_dir / "results.json").read_text()
    assert "k0-secret-value" not in (run.output_dir / "samples.jsonl").read_text()


def test_config_panel_from_a_file_and_its_errors(arena_dir, tmp_path):
    """`panel: FILE` (relative to the config) reads a `--judge-model panel:FILE` file; a panel
    that cannot work stops with the key named."""
    from benchgate.arena.config import ArenaConfigError, load_arena_config

    questions = arena_dir / "mt_bench" / "question.jsonl"
    (tmp_path / "jury.yaml").write_text(json.dumps({"members": [{"name": "a", "model": "x", "api_url": "http://h/v1"},
                                                               {"name": "b", "model": "y"}]}))

    def load(args, kind=None):
        reviewer = {"args": {"mode": "pairwise", **args}, **({"kind": kind} if kind else {})}
        return load_arena_config(write_config(tmp_path / "cfg.yaml", questions, two(), reviewer,
                                              arena_dir / "judge_prompts.jsonl"))

    spec = load({"panel": "jury.yaml"}).reviewer
    assert [m["name"] for m in spec.panel] == ["a", "b"] and spec.panel_source == str(tmp_path / "jury.yaml")
    assert spec.model is None  # no default gpt-4 beside a panel
    assert load({"panel": "jury.yaml"}).settings()["reviewer"]["panel"][0] == {
        "name": "a", "model": "x", "api_url": "http://h/v1", "model_args": {}}
    bad = [({"panel": [{"name": "a", "model": "x"}]}, None, "at least two judges"),
           ({"panel": [{"name": "a", "model": "x"}, {"name": "a", "model": "y"}]}, None, "more than once"),
           ({"panel": [{"name": "a", "model": "x", "api_key": "s3cret"}, {"name": "b", "model": "y"}]}, None,
            "unknown key"),
           ({"panel": "jury.yaml", "model": "gpt-4"}, None, "reviews_gen.reviewer.args.model: give each panel member"),
           ({"panel": "jury.yaml", "model_args": {"timeout": 3}}, None, "reviews_gen.reviewer.args.model_args"),
           ({"panel": "missing.yaml"}, None, "not found"),
           ({"panel": "jury.yaml"}, "reward_model", "not of reviewer.kind 'reward_model'")]
    for args, kind, message in bad:
        with pytest.raises(ArenaConfigError, match=message) as e:
            load(args, kind)
        assert "reviews_gen.reviewer.args" in str(e.value) and "s3cret" not in str(e.value)


def test_config_panel_member_that_cannot_be_reached_stops_the_run(run_arena, arena_dir, tmp_path):
    with UsageServer("[[A]]", 1, 1) as up:
        panel = [{"name": "up", "model": "j", "api_url": up.base_url},
                 {"name": "down", "model": "j", "api_url": "http://127.0.0.1:9/v1", "model_args": {"max_retries": 0}}]
        cfg = write_config(tmp_path / "cfg.yaml", arena_dir / "mt_bench" / "question.jsonl", two(),
                           {"args": {"mode": "pairwise", "turns": "first", "panel": panel}},
                           arena_dir / "judge_prompts.jsonl")
        run = run_arena(cfg, "--limit", "2")
    assert run.code == 4, run.out
    assert "panel member 'down'" in run.out


def test_config_panel_in_single_mode_averages_ratings(run_arena, arena_dir, tmp_path):
    servers = [UsageServer(f"Rating: [[{r}]]", 7, 1).start() for r in (8, 5)]
    try:
        panel = [{"name": f"r{i}", "model": "judge", "api_url": s.base_url} for i, s in enumerate(servers)]
        cfg = write_config(tmp_path / "cfg.yaml", arena_dir / "mt_bench" / "question.jsonl", two(),
                           {"args": {"mode": "single", "turns": "first", "panel": panel}}, arena_dir / "judge_prompts.jsonl")
        run = run_arena(cfg, "--limit", "2")
    finally:
        for s in servers:
            s.stop()
    assert run.code == 0, run.out
    board = {r["model"]: r for r in run.arena["leaderboard"]["*"]}
    assert board["m1"]["score"] == 6.5 and board["m2"]["score"] == 6.5  # (8 + 5) / 2 for every answer
    # 2 questions x 2 models x 1 turn = 4 judgments per member, 8 tokens each
    assert [(m["name"], m["calls"], m["tokens"]) for m in run.arena["panel"]["members"]] == [("r0", 4, 32), ("r1", 4, 32)]


def test_a_panel_member_without_a_verdict_is_asked_once_more(run_arena, arena_dir, tmp_path):
    """reask_unparsed with a panel: the member whose reply held no verdict (j2, which answers
    only when pressed) is asked again alone, continuing its own conversation; its two texts are
    read together, so the panel's verdict gets its vote; counted in counts.reasked, the member's
    `reasked` and its calls. Without reask_unparsed j2 never votes."""
    from benchgate.arena.judging import REASK

    def pressed(prompt):
        return "[[B]]" if prompt == REASK else "Thinking... no label yet"

    def run(reask: bool, out: str):
        servers = [UsageServer("[[A]]", 100, 3), UsageServer("[[A]]", 50, 2),
                   FakeOpenAIServer(responder=pressed)]
        for s in servers:
            s.start()
        try:
            panel = [{"name": f"j{i}", "model": "judge", "api_url": s.base_url} for i, s in enumerate(servers)]
            cfg = write_config(tmp_path / f"{out}.yaml", arena_dir / "mt_bench" / "question.jsonl", two(),
                               {"args": {"mode": "pairwise", "turns": "first", "panel": panel,
                                         "reask_unparsed": reask}}, arena_dir / "judge_prompts.jsonl")
            result = run_arena(cfg, "--limit", "3", output=out)
        finally:
            for s in servers:
                s.stop()
        assert result.code == 0, result.out
        return result, servers

    run_on, servers = run(True, "reask")
    assert [len(s.requests) for s in servers] == [3, 3, 6]  # 3 judgments; only j2 asked again
    again = servers[2].requests[3:]
    assert all([m["role"] for m in r["messages"]] == ["system", "user", "assistant", "user"] for r in again)
    assert all(r["messages"][2]["content"] == "Thinking... no label yet" for r in again)  # its own reply
    judgments = [j for r in run_on.samples() for j in r.get("judgments", [])]
    assert all(j["verdict"] == "A (j0: A, j1: A, j2: B)" and j["attempts"] == 2 and j["reasked_members"] == ["j2"]
               for j in judgments)
    a = run_on.arena
    assert a["counts"]["reasked"] == 3 and a["counts"]["parse_failures"] == 0
    members = {m["name"]: m for m in a["panel"]["members"]}
    assert {n: (m["reasked"], m["calls"], m["parse_failures"]) for n, m in members.items()} == {
        "j0": (0, 3, 0), "j1": (0, 3, 0), "j2": (3, 6, 0)}
    assert a["panel"]["fleiss_kappa"] == pytest.approx(-0.5)  # A, A, B on every judgment, as above

    run_off, servers = run(False, "plain")
    assert [len(s.requests) for s in servers] == [3, 3, 3]
    off = run_off.arena
    assert off["counts"]["reasked"] == 0
    assert {m["name"]: m["parse_failures"] for m in off["panel"]["members"]} == {"j0": 0, "j1": 0, "j2": 3}
    assert off["panel"]["complete"] == 0 and off["panel"]["fleiss_kappa"] is None
