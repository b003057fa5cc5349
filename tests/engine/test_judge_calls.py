"""The `judge` fixture's template guess: a judge prompt read back as slots over a case's values."""
from __future__ import annotations

from hypothesis import assume, given, strategies as st

from benchgate.engine.judge_calls import Slot, fill, template_of

words = st.text(alphabet="abcdefgh XYZ.\n", min_size=1, max_size=12)


def test_hand_case():
    values = {"answer": "Paris", "prompt": "Capital of France?", "target": "Paris is it", "data.q": None}
    text = 'Q: "Capital of France?"\nA: Paris\nReference: Paris is it\nVerdict:'
    template = template_of(text, values)
    assert template == ('Q: "', Slot(("prompt",)), '"\nA: ', Slot(("answer",)), "\nReference: ",
                        Slot(("target",)), "\nVerdict:")
    assert fill(template, {"answer": "Rome", "prompt": "Capital of Italy?", "target": "Rome it is"}) == \
        'Q: "Capital of Italy?"\nA: Rome\nReference: Rome it is\nVerdict:'
    assert fill(template, {"answer": None, "prompt": "x", "target": "y"}) is None  # an unknown answer


def test_a_value_found_more_often_than_it_is_named_or_empty_is_no_slot():
    assert template_of("yes or yes", {"answer": "yes"}) == ("yes or yes",)
    assert template_of("abc", {"answer": ""}) == ("abc",)


def test_equal_values_share_a_slot_filled_only_where_they_agree():
    # an oracle's answer is its target: both places are one slot of both names
    template = template_of("ref: Rome\nans: Rome", {"answer": "Rome", "target": "Rome"})
    assert template == ("ref: ", Slot(("answer", "target")), "\nans: ", Slot(("answer", "target")))
    assert fill(template, {"answer": "Oslo", "target": "Oslo"}) == "ref: Oslo\nans: Oslo"
    assert fill(template, {"answer": "Oslo", "target": "Bergen"}) is None  # which is which: unknown


@given(words, words, words, words)
def test_filling_back_the_own_values_gives_the_prompt(before, answer, middle, prompt):
    text = before + answer + middle + prompt
    values = {"answer": answer, "prompt": prompt}
    assert fill(template_of(text, values), values) == text


@given(words, words, words, words, words)
def test_other_values_land_in_the_slots(before, after, answer, other, prompt_other):
    text = before + "<<" + answer + ">>" + after
    assume(text.count(answer) == 1)
    template = template_of(text, {"answer": answer})
    assert fill(template, {"answer": other}) == before + "<<" + other + ">>" + after
