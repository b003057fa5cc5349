"""Question, reference, answer and review files in their native formats."""
import json

import pytest

from benchgate.arena.answers import AnswerFileError, read_answers
from benchgate.arena.plan import battle_pairs, build_units, switched
from benchgate.arena.questions import QuestionFileError, load_questions, load_references
from benchgate.arena.reviews import ReviewFileError, parse_rows, to_battles


def test_question_formats(arena_dir, tmp_path):
    mt = load_questions(arena_dir / "mt_bench" / "question.jsonl")
    assert len(mt) == 80 and mt[0].id == "81" and mt[0].raw_id == 81 and len(mt[0].turns) == 2
    assert {q.category for q in mt} == {"writing", "roleplay", "reasoning", "math", "coding",
                                        "extraction", "stem", "humanities"}
    es = load_questions(arena_dir / "evalscope" / "question.jsonl")
    assert len(es) == 80 and es[0].turns == ("How can I improve my time management skills?",)
    assert len(load_questions(arena_dir / "vicuna_bench" / "question.jsonl")) == 80
    hard = tmp_path / "hard.jsonl"
    hard.write_text(json.dumps({"question_id": "328c149ed45a41c0", "category": "arena-hard-v0.1",
                                "turns": [{"content": "Write a haiku."}]}) + "\n")
    assert load_questions(hard)[0].turns == ("Write a haiku.",)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question_id": 1, "text": "a"}\n{"question_id": 1, "text": "b"}\n')
    with pytest.raises(QuestionFileError, match=r"bad.jsonl:2: question_id 1 appears twice"):
        load_questions(bad)
    bad.write_text('{"question_id": "a/b", "text": "a"}\n')
    with pytest.raises(QuestionFileError, match="bad.jsonl:1: .*no '/'"):
        load_questions(bad)


def test_references(arena_dir, tmp_path):
    mt = load_questions(arena_dir / "mt_bench" / "question.jsonl")
    refs = load_references(arena_dir / "mt_bench" / "reference_answer" / "gpt-4.jsonl", mt)
    assert len(refs) == 30 and all(len(r) == 2 for r in refs.values())
    assert {q.category for q in mt if q.id in refs} == {"math", "reasoning", "coding"}
    es = load_questions(arena_dir / "evalscope" / "question.jsonl")
    ref = tmp_path / "ref.jsonl"
    ref.write_text(json.dumps({"text": es[3].turns[0], "answer": "REF"}) + "\n")
    assert load_references(ref, es) == {es[3].id: ("REF",)}


def test_answer_formats(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text(
        json.dumps({"question_id": 81, "answer_id": "x", "model_id": "vicuna-13b-v1.3",
                    "choices": [{"index": 0, "turns": ["t1", "t2"]}], "tstamp": 1}) + "\n" +
        json.dumps({"question_id": 1, "text": "q", "category": "c", "model_id": "ZhipuAI/chatglm3-6b",
                    "metadata": {}, "answer": "ans"}) + "\n" +
        json.dumps({"question_id": 2, "model": "m", "category": "c", "turns": ["x"]}) + "\n")
    assert read_answers(path) == {"vicuna-13b-v1.3": {"81": ("t1", "t2")}, "chatglm3-6b": {"1": ("ans",)},
                                  "m": {"2": ("x",)}}
    path.write_text('{"question_id": 1, "response": "?"}\n')
    with pytest.raises(AnswerFileError, match="a.jsonl:1: not an answer"):
        read_answers(path)


def test_evalscope_pair_order_and_randomize_order():
    import random

    import numpy as np

    # EvalScope get_battle_pairs: the lower triangle, np.where order
    models = ["A", "B", "C", "D"]
    mat = np.tril(np.ones((4, 4)), k=-1)
    x, y = np.where(mat == 1)
    assert battle_pairs(models, "pairwise") == [(models[i], models[j]) for i, j in zip(x, y)]
    assert battle_pairs(models, "pairwise_baseline") == [("A", "D"), ("B", "D"), ("C", "D")]
    # EvalScope random_seeded_choice(seed='is_switched_outputs' + text + str(random_seed), [False, True])
    for text in ("How can I improve my time management skills?", "中文回答：1+200*300", ""):
        expected = random.Random("is_switched_outputs" + text + "123").choices([False, True], k=1)[0]
        assert switched(text, 123) == expected


def test_units_ids_orders_and_peer_judges(arena_dir):
    qs = load_questions(arena_dir / "mt_bench" / "question.jsonl")[:2]
    units = build_units(qs, ["a", "b", "c"], "pairwise", "swap_position", 123, "all", judges=["a", "b", "c"])
    assert [u.id for u in units][:3] == ["arena/81/b-vs-a", "arena/82/b-vs-a", "arena/81/c-vs-a"]
    assert all(u.orders == ("ab", "ba") and u.turns == (1, 2) for u in units)
    assert all(set(u.judges).isdisjoint(u.models) and len(u.judges) == 1 for u in units)
    assert [u.seq for u in units] == list(range(6))
    single = build_units(qs, ["a"], "single", "swap_position", 123, "last")
    assert single[0].id == "arena/81/a" and single[0].orders == (None,) and single[0].turns == (2,)
    with pytest.raises(ValueError, match="no candidate can judge"):
        build_units(qs, ["a", "b"], "pairwise", "none", 1, "all", judges=["a", "b"])


def test_review_rows_of_every_format():
    lines = [
        ({"model_a": "x", "model_b": "y", "win_1": "model_a", "win_2": "model_b", "anony": True,
          "question_id": 1}, "f:1"),
        ({"model_a": "x", "model_b": "y", "win_1": "tie", "win_2": "tie", "question_id": 2}, "f:2"),
        ({"model_a": "x", "model_b": "y", "win_1": "model_b", "win_2": "model_b", "question_id": 3}, "f:3"),
        ({"model_a": "x", "model_b": "y", "win": "model_a", "anony": False, "question_id": 4}, "f:4"),
    ]
    review = parse_rows(lines, "f")
    assert review.default_rule == "tie" and len(review.rows) == 6  # the anony=False row left out
    battles = to_battles(review.rows, "tie")
    # EvalScope get_single_pairwise_rating: disagreement -> tie; agreement -> the winner
    assert [b.winner for b in battles] == ["tie", "tie", "model_b"]
    with pytest.raises(ReviewFileError, match=r"f:1: unexpected verdict 'model_c'"):
        parse_rows([({"model_a": "x", "model_b": "y", "win": "model_c"}, "f:1")], "f")
    with pytest.raises(ReviewFileError, match="mixes pairwise and single"):
        parse_rows([({"model_a": "x", "model_b": "y", "win": "tie"}, "f:1"),
                    ({"model": "x", "score": 3}, "f:2")], "f")
    single = parse_rows([({"model": "x", "score": -1, "judge": ["gpt-4", "single-v1"], "turn": 1}, "f:1"),
                         ({"model": "x", "score": 8, "turn": 2}, "f:2")], "f")
    assert [r.score for r in single.rows] == [None, 8.0] and single.rows[0].judge == "gpt-4"


def test_swap_rules():
    from benchgate.arena.battles import combine

    agree, disagree, failed = [("model_a", 1), ("model_a", 2)], [("model_a", 1), ("tie", 1)], [("model_b", 1), (None, 1)]
    assert combine(agree, "tie") == [("model_a", 1)]  # agreeing: one battle, the weaker strength
    assert combine(disagree, "tie") == [("tie", 1)]  # FastChat: disagreement is a tie
    assert combine(failed, "tie") == [] and combine(failed, "drop") == []  # a failed judgment drops the match
    assert combine(disagree, "drop") == [] and combine(agree, "drop") == [("model_a", 1)]
    assert combine(disagree, "separate") == disagree and combine(failed, "separate") == [("model_b", 1)]
