"""Verdict parsers against the reference rules re-implemented from the sources' text:
FastChat fastchat/llm_judge/common.py (run_judge_pair / run_judge_single) and arena-hard-auto
gen_judgment.py (get_score)."""
import ast
import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchgate.judge.verdicts import (VerdictError, get_parser, parse_arena_hard, parse_json_pair,
                                      parse_json_rating, parse_pair_fastchat,
                                      parse_pair_ratings_fastchat, parse_rating_fastchat)

SETTINGS = settings(max_examples=100, deadline=None)


# --- references, written from the sources ------------------------------------------------
def ref_fastchat_pair(judgment):
    if "[[A]]" in judgment:
        return "A"
    elif "[[B]]" in judgment:
        return "B"
    elif "[[C]]" in judgment:
        return "tie"
    return "error"


def ref_fastchat_rating(judgment):
    match = re.search(r"\[\[(\d+\.?\d*)\]\]", judgment)
    if not match:
        match = re.search(r"\[(\d+\.?\d*)\]", judgment)
    return ast.literal_eval(match.groups()[0]) if match else -1


def ref_fastchat_two(judgment, tie_delta=0.1):
    match = re.search(r"\[\[(\d+\.?\d*),\s?(\d+\.?\d*)\]\]", judgment)
    if not match:
        match = re.search(r"\[(\d+\.?\d*),\s?(\d+\.?\d*)\]", judgment)
    if not match:
        return "error"
    scores = [ast.literal_eval(s.strip()) for s in match.groups()]
    if abs(scores[0] - scores[1]) <= tie_delta:
        return "tie"
    return "A" if scores[0] > scores[1] else "B"


def ref_arena_hard(judgment):
    matches = [m for m in re.compile(r"\[\[([AB<>=]+)\]\]").findall(judgment) if m != ""]
    if len(set(matches)) == 0:
        return None, True
    if len(set(matches)) == 1:
        return matches[0].strip("\n"), False
    return None, False


# texts built from fragments a judge writes, so verdict tokens actually occur
FRAGMENTS = ["[[A]]", "[[B]]", "[[C]]", "[A]", "[[", "]]", "Rating: ", "[[7]]", "[8.5]", "[[10]]",
             "[3]", "[[A>>B]]", "[[A>B]]", "[[A=B]]", "[[B>A]]", "[[B>>A]]", "[[A<B]]", "[[7, 3]]",
             "[4,4.05]", " tie ", "\n", "Assistant A is better. ", "x", "0", "12", "[[", "[2."]
texts = st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=5), max_size=8).map("".join)
# integer literals with leading zeros are a SyntaxError for FastChat's literal_eval: keep them out
no_leading_zero = texts.filter(lambda t: not re.search(r"\[\[?0\d", t))


@SETTINGS
@given(texts)
def test_pair_matches_fastchat(text):
    expected = ref_fastchat_pair(text)
    if expected == "error":
        with pytest.raises(VerdictError):
            parse_pair_fastchat(text)
    else:
        assert parse_pair_fastchat(text).winner == expected


@SETTINGS
@given(no_leading_zero)
def test_rating_matches_fastchat(text):
    expected = ref_fastchat_rating(text)
    if expected == -1:
        with pytest.raises(VerdictError):
            parse_rating_fastchat(text)
    else:
        assert parse_rating_fastchat(text).rating == float(expected)


@SETTINGS
@given(no_leading_zero)
def test_pair_ratings_match_fastchat(text):
    expected = ref_fastchat_two(text)
    if expected == "error":
        with pytest.raises(VerdictError):
            parse_pair_ratings_fastchat(text)
    else:
        assert parse_pair_ratings_fastchat(text).winner == expected


LABELS = {"A>>B": ("A", 2), "A>B": ("A", 1), "A=B": ("tie", 1), "B>A": ("B", 1), "B>>A": ("B", 2)}


@SETTINGS
@given(texts)
def test_arena_hard_matches_reference(text):
    label, try_again = ref_arena_hard(text)
    if label in LABELS:
        v = parse_arena_hard(text)
        assert (v.winner, v.strength) == LABELS[label] and v.label == label
    else:
        # no label (try again), two different labels, or a label arena-hard weighs 0 (dropped)
        with pytest.raises(VerdictError) as e:
            parse_arena_hard(text)
        assert e.value.retryable == try_again


@SETTINGS
@given(st.sampled_from(["A", "B", "tie", "C", "a", "Tie"]), st.text(max_size=20), st.text(max_size=20))
def test_json_pair_finds_the_last_object(winner, before, after):
    text = before.replace("{", "(") + json.dumps({"reason": "x", "winner": winner}) + after.replace("{", "(")
    expected = {"a": "A", "b": "B", "c": "tie", "tie": "tie"}[winner.lower()]
    assert parse_json_pair(text).winner == expected


# EvalScope's own judge reply (evalscope/benchmarks/general_arena/general_arena_adapter.py,
# `BattleVerdict`): {"reasoning": str, "verdict": one of the five labels}, found anywhere in the
# reply (a <think> block or a ```json fence around it). Its scores (general_arena/utils.py):
# A>>B 1.0 and A>B 0.75 for A, A=B a tie, B>A and B>>A for B; strong labels as arena-hard's.
EVALSCOPE_VERDICTS = {"A>>B": ("A", 2), "A>B": ("A", 1), "A=B": ("tie", 1), "B>A": ("B", 1),
                      "B>>A": ("B", 2)}


@SETTINGS
@given(st.sampled_from(sorted(EVALSCOPE_VERDICTS)), st.text(max_size=40),
       st.sampled_from(["{}", "```json\n{}\n```", "<think>hmm</think>\n{}", "Verdict:\n{}\nDone."]))
def test_json_pair_accepts_evalscopes_verdict_form(label, reasoning, wrapper):
    reply = wrapper.replace("{}", json.dumps({"reasoning": reasoning, "verdict": label}, ensure_ascii=False))
    v = parse_json_pair(reply)
    assert (v.winner, v.strength, v.label) == (*EVALSCOPE_VERDICTS[label], label)


def test_json_pair_rejects_labels_outside_evalscopes_scale():
    for bad in ("A>>>B", "A<B", "a>b", "B=A"):
        with pytest.raises(VerdictError):
            parse_json_pair(json.dumps({"reasoning": "", "verdict": bad}))


@SETTINGS
@given(st.integers(1, 10) | st.floats(0, 10, allow_nan=False), st.text(max_size=20))
def test_json_rating(value, noise):
    text = noise.replace("{", "(") + "\n" + json.dumps({"rating": value})
    assert parse_json_rating(text).rating == float(value)


def test_json_failures_and_last_object_wins():
    with pytest.raises(VerdictError):
        parse_json_pair('{"winner": "D"}')
    with pytest.raises(VerdictError):
        parse_json_rating('{"rating": "high"} no verdict')
    assert parse_json_pair('{"winner": "A"} on second thought {"winner": "B"}').winner == "B"


def test_fastchat_examples_by_hand():
    assert parse_pair_fastchat("Both good, but [[B]] wins. Not [[C]].").winner == "B"
    assert parse_pair_fastchat("[[C]]").winner == "tie"
    assert parse_rating_fastchat("Rating: [[7]]").rating == 7.0
    assert parse_rating_fastchat("I give it [8.5] out of 10").rating == 8.5  # single-bracket fallback
    assert parse_pair_ratings_fastchat("[[7, 7.05]]").winner == "tie"  # within TIE_DELTA
    with pytest.raises(VerdictError):
        parse_rating_fastchat("Rating: seven")  # FastChat: -1, dropped; never a zero


def test_parser_registry():
    assert get_parser("lmsys_parser", "[[A]]", "pairwise") is parse_pair_fastchat
    assert get_parser("lmsys_parser", "[[rating]]", "single") is parse_rating_fastchat
    assert get_parser("arena_hard", "[[A]]", "pairwise") is parse_arena_hard
    assert get_parser("json", "[[A]]", "single") is parse_json_rating
    with pytest.raises(ValueError, match="unknown parser"):
        get_parser("regex", "[[A]]", "pairwise")


@SETTINGS
@given(st.lists(st.sampled_from(["[[correct]]", "[[incorrect]]", "[[ Correct ]]", "correct", "[[x]]", " so "]),
                max_size=6).map("".join))
def test_correct_parser_takes_the_last_verdict(text):
    from benchgate.judge.metric import parse_correct

    found = re.findall(r"\[\[\s*(correct|incorrect)\s*\]\]", text, re.IGNORECASE)
    if not found:
        with pytest.raises(VerdictError):
            parse_correct(text)
    else:
        assert parse_correct(text) == (found[-1].lower() == "correct")
