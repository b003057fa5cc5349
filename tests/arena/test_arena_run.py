"""Whole arena runs: dry runs, the output contract of docs/results.md, -n 2 (worker
processes) against a serial run, re-rating a run's reviews, gates, EvalScope's shipped configs.
`benchgate` and `pytest` commands that are not about a process run in this process
(`run_benchgate`, `run_pytest`), as `python -m ...` would run them."""
import json

import pytest

from tests.arena.conftest import (evalscope_config, one_per_category, write_baseline_answers,
                                  write_config)
from tests.conftest import ArenaRun, run_benchgate, run_pytest

pytestmark = pytest.mark.slow

FOUR = {"m1": {"model_id_or_path": "dummy", "model_args": {"response": "short"}},
        "m2": {"model_id_or_path": "dummy", "model_args": {"response": "a much longer answer"}},
        "m3": {"model_id_or_path": "dummy"},
        "m4": {"model_id_or_path": "dummy", "model_args": {"response": "four"}}}
SWAP = {"args": {"mode": "pairwise", "position_bias_mitigation": "swap_position"}}
ROW_KEYS = {"model_a", "model_b", "scores", "win", "anony", "tstamp", "language", "question_id",
            "category", "question", "output_a", "output_b", "id", "judge", "order", "verdict",
            "judge_output", "display_category"}
ROW_KEYS_SINGLE = ROW_KEYS - {"model_a", "model_b", "scores", "win", "output_a", "output_b"} | {"model", "score"}
ARENA_KEYS = {"mode", "models", "baseline_model", "judges", "position_bias_mitigation", "dry_run",
              "counts", "leaderboard", "matrices", "bias", "agreement", "parse_failures", "files"}
BOARD_KEYS = {"model", "elo", "bt_rating", "bt_ci95", "win_rate_vs_baseline", "win", "loss", "tie",
              "win_rate_adjusted", "battles", "score", "score_ci95"}


def strip_time(rows):
    return [{k: v for k, v in r.items() if k != "tstamp"} for r in rows]



def test_dry_run_contract_serial_xdist_shards_and_rate_agree(run_arena, arena_dir, tmp_path, benchgate_home):
    cfg = write_config(tmp_path / "cfg.yaml", one_per_category(arena_dir, tmp_path), FOUR, SWAP,
                       arena_dir / "judge_prompts.jsonl",
                       reference_file=arena_dir / "mt_bench" / "reference_answer" / "gpt-4.jsonl")
    args = ("--dry-run", "--group-size", "12")  # 2 questions (12 units) a group
    out = tmp_path / "serial"  # `benchgate arena CONFIG`, as run_arena's cmd= would run it
    serial = ArenaRun(run_benchgate(["arena", cfg, "--output-dir", out, "--cache-path", tmp_path / "cache.sqlite",
                                     *args], env={"BENCHGATE_HOME": str(benchgate_home)}), out)
    assert serial.code == 0, serial.out
    a = serial.arena
    assert ARENA_KEYS <= set(a) and a["dry_run"] and a["mode"] == "pairwise"
    assert a["models"] == ["m1", "m2", "m3", "m4"] and a["position_bias_mitigation"] == "swap_position"
    # 8 questions x 6 pairs = 48 units; 2 turns x 2 orders each
    assert a["counts"]["units"] == 48 and a["counts"]["judgments"] == 192
    rows = serial.reviews()
    assert len(rows) == 192 and all(ROW_KEYS <= set(r) for r in rows)
    failed = [r for r in rows if r["verdict"] is None]
    assert a["counts"]["parse_failures"] == len(failed) == len(a["parse_failures"]) > 0  # dry run draws some
    assert all(r["win"] is None and r["judge_output"].endswith("no verdict") for r in failed)
    # FastChat's rule (swap_rule tie): a match with a failed verdict is dropped, never a tie
    matches = {(r["id"], r["turn"]) for r in rows}
    dropped = {(r["id"], r["turn"]) for r in failed}
    assert a["counts"]["battles"] == len(matches - dropped)
    board = a["leaderboard"]["*"]
    assert {r["model"] for r in board} == {"m1", "m2", "m3", "m4"} and all(BOARD_KEYS <= set(r) for r in board)
    assert sum(r["battles"] for r in board) == 2 * a["counts"]["battles"]
    assert set(a["leaderboard"]) == {"*", "writing", "roleplay", "reasoning", "math", "coding",
                                     "extraction", "stem", "humanities"}
    assert a["matrices"]["battles"]["m1"]["m2"] == sum(
        1 for r in rows if {r["model_a"], r["model_b"]} == {"m1", "m2"} and r["order"] == "ab"
        and (r["id"], r["turn"]) not in dropped)
    # FastChat: reference-guided templates for math, reasoning and coding, multi-turn for turn 2
    used = {(r["category"], r["turn"], r["template"]) for r in rows}
    for category in ("math", "reasoning", "coding"):
        assert {(category, 1, "pair-math-v1"), (category, 2, "pair-math-v1-multi-turn")} <= used
    assert ("writing", 2, "pair-v2-multi-turn") in used and ("stem", 1, "pair-v2") in used
    math_prompt = next(s["judgments"][0]["prompt"] for s in serial.samples() if s["category"] == "math")
    assert "[The Start of Reference Answer]" in math_prompt
    assert set(serial.results["benchmarks"]["arena"]["subsets"]) == {"m1", "m2", "m3", "m4"}
    samples = serial.samples()
    assert len(samples) == 48 and samples[0]["benchmark"] == "arena"
    assert {"model_a", "model_b", "question", "answers", "judgments", "scores"} <= set(samples[0])
    assert (serial.output_dir / "arena" / "answers" / "m2.jsonl").read_text().count("a much longer answer") == 16

    parallel = run_arena(cfg, *args, "-n", "2", output="parallel")  # `pytest arena` from the root
    assert parallel.code == 0, parallel.out
    assert parallel.results["timings"]["workers"] == 2
    assert parallel.arena == a
    assert parallel.results["benchmarks"] == serial.results["benchmarks"]
    assert strip_time(parallel.reviews()) == strip_time(rows)

    picked = run_arena(cfg, *args, "-k", "m4 and not q81", output="k")  # pytest selection
    assert picked.code == 0, picked.out
    ids = {s["id"] for s in picked.samples()}
    assert len(ids) == 3 * 7 and all("m4" in i and not i.startswith("arena/81/") for i in ids)

    shards = [run_arena(cfg, *args, "--shard", f"{i}/2", output=f"shard{i}") for i in (1, 2)]
    assert all(s.code == 0 for s in shards) and 0 < len(shards[0].samples()) < 48
    merged = tmp_path / "merged"
    proc = run_benchgate(["merge", *(s.output_dir for s in shards), "--output-dir", merged])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads((merged / "results.json").read_text())["arena"] == a  # rated on the merged records

    out = tmp_path / "rated.json"
    rate = run_benchgate(["arena", "rate", serial.output_dir / "arena" / "reviews.jsonl", "--json", out])
    assert rate.returncode == 0, rate.stderr
    rated = json.loads(out.read_text())
    assert rated["leaderboard"] == a["leaderboard"] and rated["bias"] == a["bias"]
    assert rated["matrices"] == a["matrices"]


def test_evalscope_configs_run_after_path_changes(run_arena, arena_dir, tmp_path, smoke_path,
                                                  few_evalscope_questions):
    for name in ("cfg_arena", "cfg_pairwise_baseline", "cfg_single"):
        folder = tmp_path / name
        folder.mkdir()
        if name == "cfg_pairwise_baseline":
            write_baseline_answers(folder, few_evalscope_questions)
        # a real local checkpoint for the first (revision, precision...), the built-in model after
        model = smoke_path if name == "cfg_arena" else "dummy"
        cfg = evalscope_config(arena_dir, name, folder, model, few_evalscope_questions)
        run = run_arena(cfg, "--dry-run", "--generation-config", "max_new_tokens=8", output=f"out-{name}")
        assert run.code == 0, run.out
        a = run.arena
        if name == "cfg_arena":  # pairwise, no mitigation, metrics [elo]
            assert a["models"] == ["chatglm3-6b", "Qwen-7B"] and a["counts"]["judgments"] == 3
            assert (folder / "arena" / "reports" / "elo_rating_origin.csv").read_text().startswith(",Model,Elo_Rating")
            answers = (folder / "arena" / "answers" / "answer_chatglm3-6b.jsonl").read_text().splitlines()
            assert len(answers) == 3 and json.loads(answers[0])["model_id"] == "chatglm3-6b"
        elif name == "cfg_pairwise_baseline":  # against text_davinci_003, both orders
            assert a["baseline_model"] == "text_davinci_003" and a["counts"]["judgments"] == 6
            assert {r["order"] for r in run.reviews()} == {"ab", "ba"}
            assert (folder / "arena" / "reports" / "rating_pairwise_baseline.csv").read_text().startswith("model,win,loss,tie")
        else:
            assert a["mode"] == "single" and a["counts"]["judgments"] == 3
            assert all(ROW_KEYS_SINGLE <= set(r) for r in run.reviews())
        assert (folder / "arena" / "reviews").is_dir()  # reviews_gen.review_file written too


def test_config_error_is_a_usage_error_naming_the_key(run_arena, arena_dir, tmp_path):
    cfg = write_config(tmp_path / "cfg.yaml", arena_dir / "mt_bench" / "question.jsonl", FOUR,
                       {"args": {"mode": "pairwise", "position_bias_mitigation": "swap_both"}},
                       arena_dir / "judge_prompts.jsonl")
    run = run_arena(cfg, "--dry-run")
    assert run.code == 4 and "reviews_gen.reviewer.args.position_bias_mitigation" in run.out
    bare = run_pytest(["evals/arena", "-q", "-p", "no:cacheprovider"])
    assert bare.returncode != 0 and "--arena-config" in bare.stdout + bare.stderr
