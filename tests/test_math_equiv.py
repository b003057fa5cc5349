"""MATH answer extraction and equivalence: examples plus hypothesis properties."""
from fractions import Fraction

import pytest
from hypothesis import given, settings, strategies as st

from benchgate.math_equiv import extract_math_answer, last_boxed, math_equal, normalize_final_answer

small = st.integers(min_value=-999, max_value=999)
positive = st.integers(min_value=1, max_value=999)


@pytest.mark.parametrize("text,expected", [
    (r"so $x = \boxed{5}$.", "5"),
    (r"\boxed{\frac{a}{b}}", r"\frac{a}{b}"),
    (r"first \boxed{1} then \boxed{\sqrt{\frac{1}{2}}}", r"\sqrt{\frac{1}{2}}"),
    (r"\fbox{7}", "7"),
    (r"the answer is \boxed 9$.", "9"),
    (r"\boxed{unbalanced", None),
    ("no box here", None),
])
def test_last_boxed(text, expected):
    assert last_boxed(text) == expected


def test_extraction_prefers_minervas_final_answer_sentence():
    text = ("We get $\\boxed{3}$.\nFinal Answer: The final answer is $4$. I hope it is correct.")
    assert extract_math_answer(text) == "$4$"
    # lm-eval appends "I hope it is correct." first: a response cut before its last "." counts
    assert extract_math_answer("Final Answer: The final answer is $4$. I hope it is correct") == "$4$"
    assert extract_math_answer("We get $\\boxed{3}$.") == "3"
    assert extract_math_answer("(no answer)") is None


@pytest.mark.parametrize("pred,gold,equal", [
    (r"\frac{1}{2}", "0.5", True), ("1/2", r"\dfrac12", True), (r"\tfrac{1}{2}", "0.5", True),
    (r"\$1,000", "1000", True), ("1,000,000", "1000000", True), ("10.", "10", True),
    ("**7**", "7", True), (r"\textbf{7}", "7", True), ("(B)", r"\text{(B)}", True),
    (r"x^2+2x", "x(x+2)", True), (r"[2,5)", r"[2, 5)", True), (r"90^\circ", "90", True),
    (r"3\sqrt{2}", r"\sqrt{18}", True), (r"\text{Evelyn}", "Evelyn", True),
    (r"5\text{ inches}", "5", True), ("x = 3", "3", True),
    ("6", "5", False), ("0.51", "0.5", False), (r"(2,5]", r"[2,5)", False), ("(C)", "(B)", False),
    (None, "5", False), ("", "5", False),
])
def test_equivalence_examples(pred, gold, equal):
    assert math_equal(pred, gold) is equal


@settings(max_examples=40, deadline=None)
@given(small, positive)
def test_fractions_decimals_and_slashes_agree(p, q):
    f = Fraction(p, q)
    frac = rf"\frac{{{f.numerator}}}{{{f.denominator}}}" if f.denominator != 1 else str(f.numerator)
    slash = f"{f.numerator}/{f.denominator}"
    assert math_equal(frac, slash) and math_equal(slash, frac)
    assert math_equal(rf"\dfrac{{{f.numerator}}}{{{f.denominator}}}", frac)
    if 10**6 % f.denominator == 0:  # a terminating decimal
        decimal = f"{float(f):.6f}".rstrip("0").rstrip(".")
        assert math_equal(decimal, frac)
    assert not math_equal(str(f.numerator + f.denominator), frac)


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=0, max_value=10**7), st.sampled_from(["", r"\$", "$"]),
       st.booleans(), st.sampled_from(["", "."]), st.booleans())
def test_numbers_with_dollar_commas_period_and_bold(n, dollar, commas, period, bold):
    shown = f"{n:,}" if commas else str(n)
    shown = f"{dollar}{shown}{period}" if dollar != "$" else f"${shown}${period}"
    if bold:
        shown = f"**{shown}**"
    assert math_equal(shown, str(n))
    assert not math_equal(shown, str(n + 1))


@settings(max_examples=30, deadline=None)
@given(st.sampled_from("abcxyz"), st.sampled_from("defmnq"), st.integers(0, 3))
def test_boxed_nesting_extracts_the_whole_expression(a, b, depth):
    inner = rf"\frac{{{a}}}{{{b}}}"
    for _ in range(depth):  # TeX groups inside the box: \boxed{{{\frac{a}{b}}}}
        inner = f"{{{inner}}}"
    text = rf"Thus $y = \boxed{{{inner}}}$, as claimed."
    assert last_boxed(text) == inner
    assert math_equal(extract_math_answer(text), rf"\frac{{{a}}}{{{b}}}")
    assert math_equal(extract_math_answer(text), f"{a}/{b}")


@given(st.sampled_from("ABCDE"), st.sampled_from(["({})", r"\text{{({})}}", "{}", "**({})**"]))
def test_letter_answers_in_parentheses(letter, dress):
    assert math_equal(dress.format(letter), f"({letter})")
    other = "E" if letter != "E" else "A"
    assert not math_equal(dress.format(letter), f"({other})")


def test_normalisation_is_minervas():
    assert normalize_final_answer(r"\dfrac12") == r"\frac{1}{2}"
    assert normalize_final_answer(r"\sqrt2") == r"\sqrt{2}"
    assert normalize_final_answer("x = 100,000") == "100000"
    assert normalize_final_answer(r"5 \text{ cm}") == "5"
