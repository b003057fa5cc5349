"""What an EvalScope or FastChat user reads: battle order (tstamp), the two win rates, notes and
parse-failure warnings in the terminal, a gate on parse failures, and a dry run's summary table
agreeing with the leaderboard under it. Arena runs use a scripted judge on 127.0.0.1."""
import json
import random
import re

import pandas as pd
import pytest

from benchgate.arena import cli
from benchgate.arena.battles import Battle
from benchgate.arena.ratings import RatingParams, pairwise_rows
from benchgate.fixtures.servers import FakeOpenAIServer
from tests.arena.conftest import write_config
from tests.arena.test_ratings import ref_compute_elo


# -- EvalScope's rating, transcribed from modelscope/evalscope v0.9.0 (the last release with the
# -- arena pipeline): evaluator/rating_eval.py RatingEvaluate.preprocess + compute_elo_rating;
# -- its utils/arena_utils.py compute_elo is tests/arena/test_ratings.py's transcription.
def evalscope_elo_rating(path, sort=True) -> dict[str, float]:
    raw = pd.read_json(path, lines=True)
    if sort:
        raw = raw.sort_values(ascending=True, by=["tstamp"])
    battles = raw[raw["anony"]].reset_index(drop=True)
    rows = battles[["model_a", "model_b", "win"]].itertuples(index=False)
    return {m: round(r, 1) for m, r in ref_compute_elo(rows).items()}


@pytest.fixture
def shuffled_battles(arena_dir, tmp_path):
    lines = (arena_dir / "evalscope" / "qa_browser" / "battle.jsonl").read_text(encoding="utf-8").splitlines()
    random.Random(20).shuffle(lines)
    path = tmp_path / "battle_shuffled.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _rate(tmp_path, capsys, *args) -> tuple[dict, str]:
    out = tmp_path / "rated.json"
    assert cli.main(["rate", *map(str, args), "--bootstrap-rounds", "0", "--json", str(out)]) == 0
    text = capsys.readouterr().out
    return json.loads(out.read_text()), text


def test_shuffled_evalscope_battle_file_is_rated_in_tstamp_order(shuffled_battles, arena_dir, tmp_path, capsys):
    reference = evalscope_elo_rating(shuffled_battles)
    assert reference == {"my_model_v1": 1036.4, "my_model_v2": 963.6}  # EvalScope's number, whatever the file order
    rated, text = _rate(tmp_path, capsys, shuffled_battles)
    elo = {r["model"]: round(r["elo"], 1) for r in rated["leaderboard"]["*"]}
    assert elo == reference and rated["battle_order"] == "tstamp"
    assert "battles in tstamp order" in text
    # file order stays available, and is what EvalScope would give without its sort
    in_file_order, text = _rate(tmp_path, capsys, shuffled_battles, "--battle-order", "file")
    file_elo = {r["model"]: round(r["elo"], 1) for r in in_file_order["leaderboard"]["*"]}
    assert file_elo == evalscope_elo_rating(shuffled_battles, sort=False) != reference
    assert "battles in file order" in text


def test_rows_without_tstamp_go_last_and_a_bad_tstamp_names_the_line(tmp_path, capsys):
    rows = [{"model_a": "x", "model_b": "y", "win": "model_b"},
            {"model_a": "x", "model_b": "y", "win": "model_a", "tstamp": 2.0},
            {"model_a": "x", "model_b": "y", "win": "tie", "tstamp": 1.0}]
    path = tmp_path / "b.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    rated, _ = _rate(tmp_path, capsys, path)
    # by hand, K=32: tie at 1000/1000 (no change), x wins (+16), then y wins at 1016/984
    x = 1016 + 32 * (0 - 1 / (1 + 10 ** ((984 - 1016) / 400)))
    assert {r["model"]: r["elo"] for r in rated["leaderboard"]["*"]}["x"] == pytest.approx(x)
    path.write_text(json.dumps({**rows[1], "tstamp": "yesterday"}) + "\n")
    with pytest.raises(SystemExit) as stopped:  # a usage error (its exit code: README's table)
        cli.main(["rate", str(path)])
    assert stopped.value.code not in (0, None)
    assert f"{path}:1: tstamp must be a number" in capsys.readouterr().err


def test_the_two_win_rates_have_their_own_names():
    # a vs b: 2 wins, 1 loss, 1 tie. EvalScope's CSV win_rate = wins / battles = 2/4;
    # FastChat's ties-half rate = (2 + 0.5) / 4
    battles = [Battle("a", "b", "model_a")] * 2 + [Battle("a", "b", "model_b"), Battle("a", "b", "tie")]
    rows, _ = pairwise_rows(battles, RatingParams(bootstrap_rounds=0, baseline="b"))
    a = next(r for r in rows if r["model"] == "a")
    assert a["wins_per_battle"] == 0.5
    assert a["win_rate_ties_half"] == a["win_rate_adjusted"] == 0.625
    assert a["win_rate"] == a["win_rate_ties_half"]  # the deprecated name, kept for older readers


# ----------------------------------------------------------------------------- arena runs
@pytest.fixture
def judge():
    with FakeOpenAIServer() as srv:
        yield srv


def _models():
    return {"m1": {"model_id_or_path": "dummy", "model_args": {"response": "alpha answer"}},
            "m2": {"model_id_or_path": "dummy", "model_args": {"response": "beta"}},
            "m3": {"model_id_or_path": "dummy", "model_args": {"response": "gamma"}}}


@pytest.mark.slow
def test_unparsed_judgments_warn_loudly_gate_and_notes_reach_the_terminal(run_arena, arena_dir, tmp_path, judge):
    judge.responder = lambda prompt: "Both answers have merit."  # never a verdict
    models = _models()
    models["m3"]["output_file"] = str(tmp_path / "m3.jsonl")
    models["m1"]["output_file"] = str(tmp_path / "m1.jsonl")
    models["m2"]["output_file"] = str(tmp_path / "m2.jsonl")
    cfg = write_config(tmp_path / "cfg.yaml", arena_dir / "mt_bench" / "question.jsonl", models,
                       {"args": {"mode": "pairwise", "position_bias_mitigation": "swap_position", "turns": "first"}},
                       arena_dir / "judge_prompts.jsonl",
                       target_answers=[str(tmp_path / "m1.jsonl"), str(tmp_path / "m2.jsonl")])
    args = ("--limit", "5", "--judge-api-url", judge.base_url, "--judge-model-args", "max_retries=0")
    run = run_arena(cfg, *args)
    text = " ".join(run.out.split())
    assert run.code == 0 and "5 passed" in text  # every unit test passes: the warning must say it
    assert run.arena["counts"] == {"units": 5, "judgments": 10, "parse_failures": 10, "reasked": 0, "battles": 0}
    assert ("WARNING: 10 of 10 judgments (100%) failed to parse, more than rating_gen.parse_failure_warn "
            "(20%): the leaderboard rests on the 0 that parsed") in text
    assert run.arena["warnings"] and run.arena["warnings"][0].startswith("10 of 10 judgments (100%)")
    # the notes of results.json are on the console too
    assert "note: answers_gen.m3 is not in reviews_gen.target_answers: not reviewed (not run)" in text
    assert run.results["benchmarks"]["arena"]["metrics"]["parse_failure_rate"]["score"] == 1.0
    gated = run_arena(cfg, *args, "--use-cache", "--gate", "arena:parse_failure_rate=0.2")
    assert gated.code == 1
    assert ("gate arena:parse_failure_rate: parse_failure_rate = 1.0000 is over the threshold 0.2000 "
            "(lower is better)") in " ".join(gated.out.split())
    # below the threshold: no warning
    judge.responder = lambda prompt: "[[A]]"
    fine = run_arena(cfg, *args, "--gate", "arena:parse_failure_rate=0.2", output="fine")
    assert fine.code == 0 and "WARNING" not in fine.out and fine.arena["warnings"] == []


@pytest.mark.slow
def test_a_dry_runs_summary_table_agrees_with_the_leaderboard(run_arena, arena_dir, tmp_path):
    cfg = write_config(tmp_path / "cfg.yaml", arena_dir / "mt_bench" / "question.jsonl", _models(),
                       {"args": {"mode": "pairwise", "position_bias_mitigation": "swap_position"}},
                       arena_dir / "judge_prompts.jsonl", rating={"baseline_model": "m2"})
    run = run_arena(cfg, "--dry-run", "--limit", "20")
    assert run.code == 0, run.out
    lines = run.out.splitlines()
    summary = [line.split() for line in lines if line.startswith("  subset: ")]
    summary = [(cells[1], cells[2], float(cells[5])) for cells in summary]  # model, metric, score
    start = next(i for i, line in enumerate(lines) if line.startswith("arena (pairwise, dry run)"))
    # the scores table first, then the leaderboard (both under "benchgate summary")
    at = [i for i, line in enumerate(lines) if line.startswith("  subset: ") or "benchgate summary" in line]
    assert "benchgate summary" in lines[at[0]] and at[-1] < start, lines
    header = re.split(r"\s{2,}", lines[start + 1].strip())
    board = [re.split(r"\s{2,}", line.strip()) for line in lines[start + 3:start + 6]]
    board = {row[0].replace(" (baseline)", ""): dict(zip(header, row)) for row in board}
    # the same models in the same order (best first), and every score printed in the summary
    # is the leaderboard's number in the column of the same name
    assert [model for model, _, _ in summary] == list(board)
    for model, metric, score in summary:
        assert metric in header, (metric, header)
        assert float(board[model][metric]) == pytest.approx(score, abs=5e-5)
    # and both are what results.json holds
    rows = {r["model"]: r for r in run.arena["leaderboard"]["*"]}
    assert [r["model"] for r in run.arena["leaderboard"]["*"]] == list(board)
    for model, metric, score in summary:
        assert rows[model][metric] == pytest.approx(score, abs=5e-5)
