"""Arena runs with real judges: a scripted OpenAI-compatible judge on 127.0.0.1 (pure position
bias, malformed text, 429/500, slow answers, a killed and resumed run), peer review, a local
reward model, and a real `transformers serve` (the session's, `smoke_served`)."""
import json
import os
import re
import signal
import subprocess
import sys
import time

import fastapi  # noqa: F401  `transformers serve` needs it; the test extra installs it (fail, never skip)
import pytest

from benchgate.fixtures.servers import FakeOpenAIServer
from tests.arena.conftest import write_config
from tests.conftest import ROOT

pytestmark = pytest.mark.slow

ANSWER = re.compile(r"\[The Start of Assistant ([AB])'s Answer\]\n(.*?)\n\[The End of Assistant", re.S)


def two(response_a="alpha answer", response_b="a clearly longer beta answer"):
    return {"m1": {"model_id_or_path": "dummy", "model_args": {"response": response_a}},
            "m2": {"model_id_or_path": "dummy", "model_args": {"response": response_b}}}


def answers_in(prompt):
    return dict(ANSWER.findall(prompt))


@pytest.fixture
def judge():
    with FakeOpenAIServer() as srv:
        yield srv


def judge_args(srv, *extra):
    return ("--judge-api-url", srv.base_url, "--judge-model-args",
            "concurrency=4,max_retries=3,backoff_base=0.01,backoff_max=0.02", *extra)


def test_position_bias_faults_and_parse_failures(run_arena, arena_dir, tmp_path, judge):
    """A judge that always says [[A]]: with swap_position every battle is a tie. Some requests
    get 429/500 first (retried), answers are slow, one question's verdicts are malformed."""
    questions = arena_dir / "mt_bench" / "question.jsonl"
    bad_question = json.loads(questions.read_text().splitlines()[1])["turns"][0]
    judge.latency = 0.02
    judge.responder = lambda p: "no verdict, sorry" if bad_question in p else "Both fine... [[A]]"
    judge.planner = lambda n, body: {0: "429@0.01", 1: "500", 5: "500"}.get(n)
    cfg = write_config(tmp_path / "cfg.yaml", questions, two(),
                       {"args": {"mode": "pairwise", "position_bias_mitigation": "swap_position",
                                 "turns": "first"}}, arena_dir / "judge_prompts.jsonl")
    judge.require_key = "sk-arena-judge-secret"
    run = run_arena(cfg, "--limit", "4", *judge_args(judge), "--judge-api-key", "sk-arena-judge-secret")
    assert run.code == 0, run.out
    written = run.out + "".join(f.read_text() for f in run.output_dir.rglob("*") if f.is_file())
    assert "sk-arena-judge-secret" not in written  # sent only in the Authorization header
    a = run.arena
    assert a["counts"]["judgments"] == 8 and len(judge.answered) == 8 and len(judge.requests) == 11
    assert a["counts"]["parse_failures"] == 2 and {f["id"] for f in a["parse_failures"]} == {"arena/82/m2-vs-m1"}
    assert all(f["text"] == "no verdict, sorry" for f in a["parse_failures"])
    board = {r["model"]: r for r in a["leaderboard"]["*"]}
    # 3 matches left, all ties (the disagreeing pair of verdicts); the failed match is not a tie
    assert (board["m1"]["win"], board["m1"]["loss"], board["m1"]["tie"]) == (0, 0, 3)
    assert a["bias"]["position_consistency"] == 0.0 and a["bias"]["swap_flips"] == 3
    assert a["bias"]["first_position_win_rate"] == 1.0
    assert board["m1"]["elo"] == board["m2"]["elo"] == 1000.0
    assert json.loads(json.dumps(judge.requests[2]))["messages"][0]["role"] == "system"


def test_reask_and_json_verdicts(run_arena, arena_dir, tmp_path, judge):
    """reask_unparsed: a judgment with no verdict is asked once more (one batched call)."""
    from benchgate.arena.judging import REASK

    judge.responder = lambda p: "[[B]]" if p == REASK else "Thinking... no label yet"
    cfg = write_config(tmp_path / "cfg.yaml", arena_dir / "mt_bench" / "question.jsonl", two(),
                       {"args": {"mode": "pairwise", "turns": "first", "reask_unparsed": True}},
                       arena_dir / "judge_prompts.jsonl")
    run = run_arena(cfg, "--limit", "3", *judge_args(judge))
    assert run.code == 0, run.out
    assert len(judge.requests) == 6 and run.arena["counts"]["parse_failures"] == 0
    assert run.arena["counts"]["reasked"] == 3
    judgments = [j for s in run.samples() for j in s["judgments"]]
    assert all(j["attempts"] == 2 and j["verdict"] == "B" for j in judgments)
    assert [m["role"] for m in judge.requests[-1]["messages"]] == ["system", "user", "assistant", "user"]


def test_killed_run_resumes_without_asking_twice(run_arena, arena_dir, tmp_path, judge, benchgate_home):
    """SIGKILL mid-judging, then --use-cache: no judgment the judge answered is asked again."""
    # the longer answer is shown first when it comes first in the prompt (both templates)
    judge.responder = lambda p: "[[A]]" if p.find("clearly longer") < p.find("alpha answer") else "[[B]]"
    judge.planner = lambda n, body: "hang" if n >= 10 else None
    judge.hang_seconds = 60
    cfg = write_config(tmp_path / "cfg.yaml", arena_dir / "mt_bench" / "question.jsonl", two(),
                       {"args": {"mode": "pairwise", "position_bias_mitigation": "swap_position"}},
                       arena_dir / "judge_prompts.jsonl")
    cmd = [sys.executable, "-m", "pytest", "arena", "-q", "-p", "no:cacheprovider", "--arena-config", str(cfg),
           "--limit", "6", "--output-dir", str(tmp_path / "first"), "--cache-path", str(tmp_path / "cache.sqlite"),
           *judge_args(judge)]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "BENCHGATE_HOME": str(benchgate_home)})
    try:
        deadline = time.monotonic() + 300
        while len(judge.answered) < 10 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.1)
        assert len(judge.answered) == 10, "the judge was not reached"
        time.sleep(1.0)  # the answers reach the client and its cache
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    first = list(judge.answered)
    judge.planner = None
    n_before = len(judge.requests)
    run = run_arena(cfg, "--limit", "6", "--use-cache", *judge_args(judge), output="second")
    assert run.code == 0, run.out
    asked_again = [r["messages"][-1]["content"] for r in judge.requests[n_before:]]
    assert not set(asked_again) & set(first)
    assert len(asked_again) == 24 - 10 and len(set(asked_again)) == len(asked_again)  # 6 x 2 turns x 2 orders
    assert run.arena["counts"]["judgments"] == 24 and run.arena["counts"]["parse_failures"] == 0
    cached = sum(j["cached"] for s in run.samples() for j in s["judgments"])
    assert cached == 10
    # a judge that prefers the longer answer in both orders: m2 wins every battle
    board = {r["model"]: r for r in run.arena["leaderboard"]["*"]}
    assert board["m2"]["win"] == 12 and board["m2"]["loss"] == 0
    assert run.arena["bias"]["position_consistency"] == 1.0 and run.arena["bias"]["longer_answer_win_rate"] == 1.0


def test_baseline_mode_answer_files_and_gates(run_arena, arena_dir, tmp_path, judge):
    """pairwise_baseline against answers replayed from FastChat and EvalScope files; the gate
    on the win rate against the baseline (and its CI lower bound) decides the exit code."""
    qs = [json.loads(x) for x in (arena_dir / "mt_bench" / "question.jsonl").read_text().splitlines()[:5]]
    fastchat = tmp_path / "model_answer" / "vicuna-7b.jsonl"
    fastchat.parent.mkdir()
    fastchat.write_text("".join(json.dumps({"question_id": q["question_id"], "model_id": "vicuna-7b",
                                            "choices": [{"index": 0, "turns": ["good answer", "good again"]}]}) + "\n"
                                for q in qs))
    base = tmp_path / "baseline.jsonl"
    base.write_text("".join(json.dumps({"question_id": q["question_id"], "model": "base",
                                        "category": q["category"], "turns": ["poor", "poor"]}) + "\n"
                            for q in qs))
    judge.responder = lambda p: "[[A]]" if answers_in(p).get("A", "").startswith("good") else "[[B]]"
    models = {"vicuna": {"answers_file": str(fastchat)}, "base": {"answers_file": str(base)},
              "dry": {"model_id_or_path": "dummy", "model_args": {"response": "good enough"}}}
    cfg = write_config(tmp_path / "cfg.yaml", arena_dir / "mt_bench" / "question.jsonl", models,
                       {"args": {"mode": "pairwise_baseline", "position_bias_mitigation": "swap_position",
                                 "turns": "first"}},
                       arena_dir / "judge_prompts.jsonl", rating={"metrics": ["pairwise"], "baseline_model": "base"})
    run = run_arena(cfg, "--limit", "5", *judge_args(judge), "--gate", "arena/vicuna:win_rate_ties_half=0.9",
                    "--gate", "arena/vicuna:win_rate_ties_half_ci_low=0.9")
    assert run.code == 0, run.out
    assert [u.split("/")[-1] for u in {s["id"] for s in run.samples()}].count("vicuna-vs-base") == 5
    board = {r["model"]: r for r in run.arena["leaderboard"]["*"]}
    assert board["vicuna"]["win_rate_ties_half"] == 1.0 and board["base"]["is_baseline"]
    assert board["base"]["bt_rating"] is None  # every battle won: the MLE does not exist
    assert {c["gate"] for c in run.results["gates"]["checks"]} == {"arena/vicuna:win_rate_ties_half",
                                                                   "arena/vicuna:win_rate_ties_half_ci_low"}
    assert "deprecated" not in run.out
    # the old name still gates (same value), with a deprecation warning on the console and in results.json
    failing = run_arena(cfg, "--limit", "5", "--use-cache", *judge_args(judge), "--gate", "arena/base:win_rate=0.5",
                        "--gate", "arena/dry:win_rate=0.999")
    assert failing.code == 1
    assert "no 'win_rate' score for arena/base" in failing.out  # the baseline has no win rate against itself
    assert failing.results["gates"]["checks"] == [{"gate": "arena/dry:win_rate", "metric": "win_rate", "score": 1.0,
                                                   "threshold": 0.999, "passed": True, "direction": "at least"}]
    deprecation = ("gate arena/dry:win_rate: arena metric 'win_rate' is deprecated: it is 'win_rate_ties_half' "
                   "(ties count half, against the baseline when there is one)")
    assert deprecation in " ".join(failing.out.split())
    assert any(w.startswith(deprecation) for w in failing.results["warnings"])


def test_single_mode_scores_and_score_gate(run_arena, arena_dir, tmp_path, judge):
    judge.responder = lambda p: ("Rating: [[8]]" if "alpha answer" in p else "Rating: [[3]]"
                                 if "beta" in p else "[[unreadable]]")
    cfg = write_config(tmp_path / "cfg.yaml", arena_dir / "mt_bench" / "question.jsonl",
                       {**two(), "m3": {"model_id_or_path": "dummy", "model_args": {"response": "gamma"}}},
                       {"args": {"mode": "single"}}, arena_dir / "judge_prompts.jsonl")
    run = run_arena(cfg, "--limit", "3", *judge_args(judge), "--gate", "arena/m1:score=7.5",
                    "--gate", "arena/m2:score=3.5")
    assert run.code == 1 and "gate arena/m2:score: score = 3.0000 is under the threshold 3.5000" in run.out
    board = {r["model"]: r for r in run.arena["leaderboard"]["*"]}
    assert board["m1"]["score"] == 8.0 and board["m2"]["score"] == 3.0 and board["m1"]["turns"] == {"1": 8.0, "2": 8.0}
    assert "m3" not in board and run.arena["counts"]["parse_failures"] == 6  # never a zero
    assert {r["template"] for r in run.reviews()} == {"single-v1", "single-v1-multi-turn"}
    assert all(r["score"] is None for r in run.reviews() if r["model"] == "m3")


def test_peer_review_never_judges_its_own_battles(run_arena, arena_dir, tmp_path):
    """Four API candidates answer and judge each other; a judge prefers the answer of the
    higher-numbered model, except m3 who prefers the lower one; Peer Rank weighting on."""
    servers = []
    try:
        def persona(k):
            def respond(prompt):
                shown = answers_in(prompt)
                if not shown:
                    return f"answer from m{k}"
                a, b = (int(shown[x][-1]) for x in "AB")
                return "[[A]]" if (a > b) != (k == 3) else "[[B]]"
            return respond

        for k in range(1, 5):
            servers.append(FakeOpenAIServer(responder=persona(k), model=f"m{k}").start())
        models = {f"m{k}": {"model_id_or_path": f"m{k}", "api_url": s.base_url,
                            "model_args": {"concurrency": 2}} for k, s in enumerate(servers, 1)}
        cfg = write_config(tmp_path / "cfg.yaml", arena_dir / "mt_bench" / "question.jsonl", models,
                           {"kind": "peer", "args": {"mode": "pairwise", "turns": "first",
                                                     "weighting": "peer_rank"}},
                           arena_dir / "judge_prompts.jsonl")
        run = run_arena(cfg, "--limit", "2")
        assert run.code == 0, run.out
        for k, srv in enumerate(servers, 1):
            judged = [b["messages"][-1]["content"] for b in srv.requests if "[User Question]" in b["messages"][-1]["content"]]
            assert judged and not any(f"from m{k}" in p for p in judged)  # never its own answer
        a = run.arena
        assert {j["name"] for j in a["judges"]} == {"m1", "m2", "m3", "m4"} and a["judges"][0]["kind"] == "peer"
        pairs = {(p["judge_a"], p["judge_b"]): p for p in a["agreement"]["pairs"]}
        assert pairs[("m1", "m2")]["agreement"] == 1.0 and pairs[("m3", "m4")]["agreement"] == 0.0
        assert pairs[("m1", "m2")]["n"] == 2  # they share one battle (m3 vs m4) per question
        weights = a["peer"]["weights"]
        assert a["peer"]["weighting"] == "peer_rank" and weights["m4"] > weights["m1"]
    finally:
        for s in servers:
            s.stop()


def reward_expected(reward_model_path, arena_dir, answers):
    from tests.judge.test_reward import direct_scores

    qs = [json.loads(x) for x in (arena_dir / "mt_bench" / "question.jsonl").read_text().splitlines()[:2]]
    conversations = [(m, q["question_id"], [{"role": "user", "content": q["turns"][0]},
                                            {"role": "assistant", "content": a}])
                     for m, a in answers.items() for q in qs]
    scores = direct_scores(reward_model_path, [c for _, _, c in conversations])
    return {(m, qid): s for (m, qid, _), s in zip(conversations, scores)}


def test_reward_model_judge_pairwise(run_arena, arena_dir, tmp_path, reward_model_path):
    """A local reward model judges (one pytest run): the higher scalar score wins."""
    cfg = write_config(tmp_path / "cfg.yaml", arena_dir / "mt_bench" / "question.jsonl", two("yes", "no, it is not"),
                       {"kind": "reward_model", "args": {"model": reward_model_path, "mode": "pairwise",
                                                         "position_bias_mitigation": "swap_position",
                                                         "tie_margin": 0.0, "turns": "first"}})
    run = run_arena(cfg, "--limit", "2")
    assert run.code == 0, run.out
    expected = reward_expected(reward_model_path, arena_dir, {"m1": "yes", "m2": "no, it is not"})
    rows = run.reviews()
    assert len(rows) == 4
    for row in rows:
        sa, sb = (expected[(row[k], row["question_id"])] for k in ("model_a", "model_b"))
        assert row["scores"] == pytest.approx([sa, sb], abs=1e-5)
        assert row["win"] == ("model_a" if sa > sb else "model_b")
    assert run.arena["bias"]["position_consistency"] == 1.0  # scores do not depend on the order
    assert run.arena["judges"][0]["kind"] == "reward_model"


def test_reward_model_judge_single_and_tie_margin(arena_dir, tmp_path, reward_model_path):
    """Single mode scores are the reward; a tie margin larger than every gap makes ties."""
    from types import SimpleNamespace

    from benchgate.arena.candidates import make_candidate
    from benchgate.arena.config import CandidateSpec, ReviewerSpec
    from benchgate.arena.judging import ArenaJudging
    from benchgate.arena.plan import build_units
    from benchgate.arena.questions import load_questions
    from benchgate.engine.options import ModelOptions
    from benchgate.judge.model import Judge

    answers = {"m1": "yes", "m2": "no, it is not"}
    run_options = SimpleNamespace(model_hub="modelscope", api_key=None, seed=0, use_cache=False,
                                  cache_path=tmp_path / "c.sqlite")
    candidates = {m: make_candidate(CandidateSpec(m, m, model="dummy", model_args={"response": a}), run_options)
                  for m, a in answers.items()}
    judge = Judge(ModelOptions(model=reward_model_path, cache_path=tmp_path / "c.sqlite"), name="rm")
    qs = load_questions(arena_dir / "mt_bench" / "question.jsonl")[:2]
    expected = reward_expected(reward_model_path, arena_dir, answers)

    def judged(mode, margin):
        reviewer = ReviewerSpec(kind="reward_model", mode=mode, turns="first", tie_margin=margin)
        judging = ArenaJudging(candidates=candidates, judges={"rm": judge}, judge_kind="reward_model",
                               templates=[], references={}, reviewer=reviewer, seed=0, dry_run=False)
        units = build_units(qs, list(answers), mode, "none", 123, "first")
        return [j for o in judging.run(units).values() for j in o.judgments]

    for j, (m, q) in zip(judged("single", 0.0), [(m, q.raw_id) for m in answers for q in qs]):
        assert j.verdict.rating == pytest.approx(expected[(m, q)], abs=1e-5)
    gap = max(abs(expected[("m1", q.raw_id)] - expected[("m2", q.raw_id)]) for q in qs)
    assert all(j.winner() == "tie" for j in judged("pairwise", gap + 1e-6))
    assert all(j.winner() != "tie" for j in judged("pairwise", 0.0))


def test_transformers_serve_as_the_judge(run_arena, arena_dir, tmp_path, smoke_path, smoke_served):
    """The session's `transformers serve` of the smoke model (`smoke_served`) judges."""
    cfg = write_config(tmp_path / "cfg.yaml", arena_dir / "mt_bench" / "question.jsonl", two(),
                       {"args": {"mode": "pairwise", "position_bias_mitigation": "swap_position",
                                 "turns": "first", "max_tokens": 8}}, arena_dir / "judge_prompts.jsonl")
    run = run_arena(cfg, "--limit", "2", "--judge-api-url", smoke_served, "--judge-model", smoke_path,
                    "--judge-model-args", "concurrency=2")
    assert run.code == 0, run.out
    judgments = [j for s in run.samples() for j in s["judgments"]]
    assert len(judgments) == 4 and all(isinstance(j["response"], str) for j in judgments)
    # the random smoke model writes no verdict: every judgment is a listed parse failure, with
    # the text the judge wrote (so the count cannot hold by nothing being judged)
    assert all(j["response"].strip() and j["verdict"] is None for j in judgments), judgments
    listed = run.arena["parse_failures"]
    assert run.arena["counts"]["parse_failures"] == len(listed) == 4
    assert sorted(f["text"] for f in listed) == sorted(j["response"] for j in judgments)
    assert run.arena["judges"][0]["name"] == "smoke-model-v1"
