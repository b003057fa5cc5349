"""Answer extractors: examples from real model outputs plus hypothesis properties."""
from decimal import Decimal

from hypothesis import given, settings, strategies as st

from benchgate.extract import (extract_choice, extract_last_number, extract_number,
                               extract_strict_number, normalize_number, numbers_equal)

integers = st.integers(min_value=-10**9, max_value=10**9)


def fmt_thousands(n: int) -> str:
    return f"{n:,}"


@given(integers)
def test_strict_answer_format_roundtrips(n):
    assert extract_number(f"so it is 3 + 4.\n#### {n}") == str(n)


@given(integers, st.sampled_from(["", "$"]), st.booleans(), st.sampled_from(["", "."]))
def test_money_commas_and_trailing_period_normalise(n, dollar, commas, period):
    shown = fmt_thousands(n) if commas else str(n)
    sign, digits = ("-", shown[1:]) if shown.startswith("-") else ("", shown)
    text = f"The answer is {sign}{dollar}{digits}{period}"
    assert numbers_equal(extract_number(text), str(n))


@given(st.integers(min_value=0, max_value=10**6), st.integers(min_value=0, max_value=99))
def test_decimal_zeros_compare_equal(whole, cents):
    assert numbers_equal(f"${whole}.{cents:02d}", str(Decimal(f"{whole}.{cents:02d}")))
    assert numbers_equal(f"{whole}.00", str(whole))


@given(st.lists(integers, min_size=1, max_size=6))
def test_last_number_wins_without_markers(numbers):
    text = " then ".join(f"we get {n}" for n in numbers) + " apples"
    assert extract_last_number(text) == str(numbers[-1])
    assert extract_number(text) == str(numbers[-1])


@given(integers, integers)
def test_marker_order_strict_before_answer_is_before_last(a, b):
    assert extract_number(f"The answer is {a}. #### {b} and 7") == str(b)
    assert extract_number(f"The answer is {a}. Then 12 more") == str(a)


def test_real_gsm8k_answers():
    assert extract_number("Janet sells 16 - 3 - 4 = <<16-3-4=9>>9 duck eggs.\n#### 18") == "18"
    assert extract_number("She makes $18.00 every day. The answer is $18.00.") == "18.00"
    assert numbers_equal(extract_number("The answer is $29.00."), "29")
    assert extract_strict_number("The answer is 5") is None
    assert extract_number("no digits here") is None
    assert extract_number("The answer is 1,234,567.") == "1234567"
    assert not numbers_equal("12", "13")
    assert not numbers_equal(None, "1")


def test_normalize_number_rejects_non_numbers():
    assert normalize_number("$") is None
    assert normalize_number("1.2.3") is None
    assert normalize_number(" $1,000. ") == "1000"


@given(st.sampled_from("ABCD"), st.sampled_from([
    "The answer is ({})", "The answer is {}.", "Answer: {}", "answer: **{}**", "{}", " {}",
    "({}) because", "{}. It is right", "I think the correct answer is: {}",
    "Looking at option ({}), it fits.",
]))
def test_choice_formats(letter, template):
    assert extract_choice(template.format(letter)) == letter


def test_choice_ignores_lowercase_words_and_prefers_answer_phrase():
    assert extract_choice("A good guess: the answer is (C)") == "C"
    assert extract_choice("the answer is a tricky one, I pick (B)") == "B"
    assert extract_choice("nothing here") is None
    assert extract_choice("E", letters="ABCD") is None
    assert extract_choice("E", letters="ABCDE") == "E"


@given(st.sampled_from("ABCD"), st.sampled_from([
    "答案是{}", "答案：{}", "答案为（{}）", "所以答案是 {}。", "我选{}", "选择{}", "{}项正确", "{}选项是正确的",
    "根据题意，正确答案应该是{}",
]))
def test_chinese_choice_formats(letter, template):
    assert extract_choice(template.format(letter)) == letter


@settings(max_examples=300, deadline=None)
@given(st.text(st.sampled_from(list("0123456789.,$-# \nabTheanswris")), max_size=40),
       st.sampled_from([(r"#### (\-?[0-9\.\,]+)", 0), (r"(-?[$0-9.,]{2,})|(-?[0-9]+)", -1),
                        (r"(?<=the answer is )(.*)(?=.)", 0)]))
def test_regex_filter_is_lm_evals_regex_filter(text, pattern):
    """lm-evaluation-harness' RegexFilter (the reference, run here) on the same response."""
    from lm_eval.filters.extraction import RegexFilter

    from benchgate.extract import regex_filter

    (expected,), = RegexFilter(pattern[0], pattern[1]).apply([[text]], [{}])
    assert regex_filter(text, *pattern) == expected
