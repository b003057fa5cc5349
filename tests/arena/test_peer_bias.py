"""Peer review statistics (agreement, Cohen's kappa, Peer Rank weights) and bias statistics,
checked on hand-worked cases."""
import pytest

from benchgate.arena.battles import Battle, Score
from benchgate.arena.bias import bias_stats
from benchgate.arena.peer import agreement, cohen_kappa, peer_rank_weights
from benchgate.arena.reviews import ReviewRow


def test_cohen_kappa_textbook_example():
    # 50 items: both yes 20, both no 15, A yes / B no 5, A no / B yes 10 -> p_o 0.7, p_e 0.5, kappa 0.4
    a = ["y"] * 20 + ["n"] * 15 + ["y"] * 5 + ["n"] * 10
    b = ["y"] * 20 + ["n"] * 15 + ["n"] * 5 + ["y"] * 10
    assert cohen_kappa(a, b) == pytest.approx(0.4)
    assert cohen_kappa(["x"] * 4, ["x"] * 4) is None  # chance agreement 1: undefined
    assert cohen_kappa(["a", "b"], ["b", "a"]) == pytest.approx(-1.0)


def test_agreement_pairs():
    labels = {1: {"j1": "model_a", "j2": "model_a", "j3": "tie"},
              2: {"j1": "model_b", "j2": "model_a"},
              3: {"j1": "tie", "j3": "tie"}}
    pairs = {(p["judge_a"], p["judge_b"]): p for p in agreement(labels)["pairs"]}
    assert pairs[("j1", "j2")]["n"] == 2 and pairs[("j1", "j2")]["agreement"] == 0.5
    assert pairs[("j1", "j3")]["agreement"] == 0.5 and pairs[("j2", "j3")]["n"] == 1
    assert agreement({1: {"only": "tie"}}) is None


def test_peer_rank_weights_by_hand():
    # x beats y (judged by z), x beats z (judged by y), y beats z (judged by x).
    # round 1 (equal weights): standings 1, 0.5, 0 -> weights 2, 1, 0
    # round 2: x (z:0 win, y:1 win) 1; y (z:0 loss, x:2 win) 1; z 0 -> weights 1.5, 1.5, 0
    # round 3: unchanged -> the fixed point
    battles = [Battle("x", "y", "model_a", judge="z"), Battle("x", "z", "model_a", judge="y"),
               Battle("y", "z", "model_a", judge="x")]
    weights, iterations = peer_rank_weights(battles, single=False)
    assert weights == pytest.approx({"x": 1.5, "y": 1.5, "z": 0.0}) and iterations == 3


def test_peer_rank_single_mode_is_a_fixed_point():
    scores = [Score("x", 9, judge="y"), Score("x", 8, judge="z"), Score("y", 4, judge="x"),
              Score("y", 6, judge="z"), Score("z", 2, judge="x"), Score("z", 5, judge="y")]
    w, _ = peer_rank_weights(scores, single=True)
    standing = {m: sum(w[s.judge] * s.score for s in scores if s.model == m) /
                sum(w[s.judge] for s in scores if s.model == m) for m in "xyz"}
    mean = sum(standing.values()) / 3
    assert w == pytest.approx({m: standing[m] / mean for m in "xyz"}, abs=1e-9)


def row(a, b, win, match, first=None, la=None, lb=None):
    return ReviewRow(a, b, win, match, first or a, len_a=la, len_b=lb)


def test_bias_always_first_judge():
    # a judge that always picks the first answer: every swapped match flips
    rows = [row("p", "q", "model_a", 1, "p"), row("q", "p", "model_a", 1, "p"),
            row("p", "r", "model_a", 2, "p"), row("r", "p", "model_a", 2, "p")]
    stats = bias_stats(rows, [Battle("p", "q", "tie"), Battle("p", "r", "tie")])
    assert stats["position_consistency"] == 0.0 and stats["swap_flips"] == 2
    assert stats["first_position_win_rate"] == 1.0 and stats["longer_answer_win_rate"] is None


def test_bias_consistent_judge_preferring_longer_answers():
    rows = [row("p", "q", "model_b", 1, "p"), row("q", "p", "model_a", 1, "p"),
            row("p", "q", "tie", 2, "p"), row("q", "p", "tie", 2, "p"), row("p", "q", None, 3, "p")]
    battles = [Battle("p", "q", "model_b", len_a=3, len_b=30), Battle("p", "q", "tie", len_a=5, len_b=9),
               Battle("r", "s", "model_a", len_a=50, len_b=10), Battle("r", "s", "model_b", len_a=7, len_b=7)]
    stats = bias_stats(rows, battles)
    assert stats["position_consistency"] == 1.0 and stats["swap_flips"] == 0
    assert stats["first_position_win_rate"] == 0.5  # one first-position win of two decisive
    assert stats["longer_answer_win_rate"] == 1.0 and stats["length_compared_battles"] == 2
