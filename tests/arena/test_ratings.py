"""Ratings: the numeric facts of ../shared/arena/README.md, EvalScope's Elo on the real review
file in file order, FastChat's inconsistent-verdict rule, arena-hard's anchoring and weights."""
import math
from collections import defaultdict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchgate.arena.battles import Battle
from benchgate.arena.ratings import (RatingParams, category_function, load_category_mapping,
                                     pairwise_rows, single_rows)
from benchgate.arena.reviews import parse_rows, read_review_file, to_battles
from benchgate.arena.summary import summarize
from benchgate.metrics.elo import bradley_terry_fit


def ref_compute_elo(battles, k=32, scale=400, base=10, init_rating=1000):
    """EvalScope llmuses/utils/arena_utils.py compute_elo, over (model_a, model_b, win) rows."""
    rating = defaultdict(lambda: init_rating)
    for model_a, model_b, win in battles:
        ra, rb = rating[model_a], rating[model_b]
        ea = 1 / (1 + base ** ((rb - ra) / scale))
        eb = 1 / (1 + base ** ((ra - rb) / scale))
        if win == "model_a":
            sa = 1
        elif win == "model_b":
            sa = 0
        elif win in ["tie", "tie (bothbad)"]:
            sa = 0.5
        else:
            raise Exception(f"unexpected vote {win}")
        rating[model_a] += k * (sa - ea)
        rating[model_b] += k * (1 - sa - eb)
    return dict(rating)


def params(**kw):
    return RatingParams(bootstrap_rounds=kw.pop("bootstrap_rounds", 0), **kw)


def test_one_win_from_1000_gives_1016_984():
    rows, _ = pairwise_rows([Battle("a", "b", "model_a")], params())
    assert {r["model"]: r["elo"] for r in rows} == {"a": 1016.0, "b": 984.0}


def test_predicted_win_rate_is_075_at_190_85_points():
    # three wins for every loss: BT MLE puts a at 400*log10(3) = +190.85 over b; anchored at b
    battles = [Battle("a", "b", "model_a")] * 3 + [Battle("a", "b", "model_b")]
    rows, _ = pairwise_rows(battles, params(baseline="b"))
    a = next(r for r in rows if r["model"] == "a")
    b = next(r for r in rows if r["model"] == "b")
    assert b["bt_rating"] == pytest.approx(1000.0, abs=1e-9)  # the baseline anchor
    assert a["bt_rating"] - b["bt_rating"] == pytest.approx(190.85, abs=0.005)
    assert a["win_rate_vs_baseline"] == pytest.approx(0.75, abs=1e-9)
    assert a["win_rate_ties_half"] == a["win_rate_adjusted"] == pytest.approx(0.75)


def test_evalscope_battle_file_elo_in_file_order(arena_dir):
    path = arena_dir / "evalscope" / "qa_browser" / "battle.jsonl"
    import json

    raw = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    expected = ref_compute_elo([(r["model_a"], r["model_b"], r["win"]) for r in raw if r["anony"]])
    review = read_review_file(path)
    assert review.default_rule == "separate" and len(review.rows) == 634
    result = summarize(review, params(), category_function(None))
    got = {r["model"]: r["elo"] for r in result["leaderboard"]["*"]}
    assert got == pytest.approx(expected, abs=1e-9)
    # the FastChat counts: each row a battle, ties counted for both
    wins = {m: sum(1 for r in raw if (r["win"] == "model_a" and r["model_a"] == m) or
                   (r["win"] == "model_b" and r["model_b"] == m)) for m in expected}
    ties = sum(1 for r in raw if r["win"] == "tie")
    for row in result["leaderboard"]["*"]:
        assert row["win"] == wins[row["model"]] and row["tie"] == ties
        n = row["win"] + row["loss"] + row["tie"]
        assert row["win_rate_adjusted"] == pytest.approx((row["win"] + 0.5 * row["tie"]) / n)


def test_category_leaderboards_use_the_mapping(arena_dir):
    folder = arena_dir / "evalscope" / "qa_browser"
    mapping = load_category_mapping(folder / "category_mapping.yaml")
    display = category_function(mapping)
    assert display("数学解题") == "数学解题" and display("头脑风暴") == "文本生成"
    assert display("AI个人信息") == "其他"  # listed nowhere: the '*' group
    result = summarize(read_review_file(folder / "battle.jsonl"), params(), display)
    import json

    raw = [json.loads(line) for line in (folder / "battle.jsonl").read_text(encoding="utf-8").splitlines()]
    for name, rows in result["leaderboard"].items():
        if name == "*":
            continue
        subset = [(r["model_a"], r["model_b"], r["win"]) for r in raw if display(r["category"]) == name]
        assert {r["model"]: r["elo"] for r in rows} == pytest.approx(ref_compute_elo(subset), abs=1e-9)
    assert set(result["leaderboard"]) == {"*"} | {display(r["category"]) for r in raw}


def ref_fastchat_pairwise(matches):
    """FastChat show_result.display_result_pairwise over (model_1, model_2, g1, g2) matches."""
    res = defaultdict(lambda: {"win": 0, "loss": 0, "tie": 0})
    for m1, m2, g1, g2 in matches:
        if g1 == "error" or g2 == "error":
            continue
        if g1 == "tie" or g1 != g2:
            res[m1]["tie"] += 1
            res[m2]["tie"] += 1
        else:
            winner, loser = (m1, m2) if g1 == "model_1" else (m2, m1)
            res[winner]["win"] += 1
            res[loser]["loss"] += 1
    return {m: {**c, "win_rate_adjusted": (c["win"] + 0.5 * c["tie"]) / (c["win"] + c["loss"] + c["tie"])}
            for m, c in res.items()}


verdict = st.sampled_from(["model_1", "model_2", "tie", "error"])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([("x", "y"), ("y", "z"), ("x", "z")]), verdict, verdict),
                min_size=1, max_size=30))
def test_fastchat_inconsistent_verdict_rule(judged):
    matches = [(a, b, g1, g2) for (a, b), g1, g2 in judged]
    lines = [({"model_1": a, "model_2": b, "g1_winner": g1, "g2_winner": g2, "judge": ["gpt-4", "pair-v2"],
               "question_id": i, "turn": 1}, f"f:{i + 1}") for i, (a, b, g1, g2) in enumerate(matches)]
    review = parse_rows(lines, "f")
    expected = ref_fastchat_pairwise(matches)
    if not expected:
        assert to_battles(review.rows, "tie") == []
        return
    result = summarize(review, params(), category_function(None))
    got = {r["model"]: r for r in result["leaderboard"]["*"]}
    assert set(got) == set(expected)
    for m, e in expected.items():
        assert (got[m]["win"], got[m]["loss"], got[m]["tie"]) == (e["win"], e["loss"], e["tie"])
        assert got[m]["win_rate_adjusted"] == pytest.approx(e["win_rate_adjusted"])


def test_strong_verdict_weight_equals_duplicated_battles():
    # arena-hard counts [[A>>B]] as 3 battles; a weight of 3 is the same Bradley-Terry fit
    base = [("a", "b", "model_a"), ("b", "c", "model_b"), ("a", "c", "tie"), ("c", "a", "model_a"),
            ("b", "a", "model_a")]
    strong = ("a", "b", "model_b")
    dup = bradley_terry_fit(base + [strong] * 3)
    weighted = bradley_terry_fit(base + [strong], weights=[1] * len(base) + [3])
    assert weighted == pytest.approx(dup, abs=1e-9)
    anchored = bradley_terry_fit(base + [strong], weights=[1] * len(base) + [3], anchor="c")
    assert anchored["c"] == pytest.approx(1000.0)
    assert anchored["a"] - anchored["c"] == pytest.approx(dup["a"] - dup["c"], abs=1e-9)


def test_bootstrap_ci_is_seeded_and_brackets_the_estimate():
    battles = ([Battle("a", "b", "model_a")] * 14 + [Battle("a", "b", "model_b")] * 6 +
               [Battle("b", "c", "model_a")] * 12 + [Battle("b", "c", "tie")] * 8 +
               [Battle("c", "a", "model_b")] * 9 + [Battle("c", "a", "model_a")] * 5)
    p = RatingParams(bootstrap_rounds=200, seed=7, baseline="c", quantiles=(0.05, 0.95))
    rows, _ = pairwise_rows(battles, p)
    again, _ = pairwise_rows(battles, p)
    assert rows == again
    for r in rows:
        lo, hi = r["bt_ci95"]
        assert lo <= r["bt_rating"] <= hi
        if r["model"] != "c":
            lo, hi = r["win_rate_ties_half_ci95"]
            assert lo <= r["win_rate_ties_half"] <= hi
            assert r["win_rate_vs_baseline_ci95"][0] <= r["win_rate_vs_baseline"] <= r["win_rate_vs_baseline_ci95"][1]


def test_bt_without_mle_is_a_note_not_a_crash():
    rows, notes = pairwise_rows([Battle("a", "b", "model_a")] * 3, params())
    assert all(r["bt_rating"] is None for r in rows) and "Bradley-Terry" in notes[0]
    assert {r["model"]: r["elo"] for r in rows} == pytest.approx(
        ref_compute_elo([("a", "b", "model_a")] * 3))


def test_single_mode_means_and_ci():
    from benchgate.arena.battles import Score

    scores = [Score("m", s, turn=t) for s, t in [(7, 1), (8, 1), (5, 2), (6, 2)]] + [Score("n", 9, turn=1)]
    rows = single_rows(scores)
    m = next(r for r in rows if r["model"] == "m")
    assert m["score"] == 6.5 and m["turns"] == {"1": 7.5, "2": 5.5}
    from scipy.stats import norm

    half = norm.ppf(0.975) * math.sqrt(sum((x - 6.5) ** 2 for x in (7, 8, 5, 6)) / 3) / 2
    assert m["score_ci95"] == pytest.approx([6.5 - half, 6.5 + half])
    assert rows[0]["model"] == "n" and rows[0]["score_ci95"] is None
