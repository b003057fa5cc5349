"""The GSM8K `numbers` variant: safe arithmetic, the number reader and writer (hypothesis), hand-
computed rewrites, and the whole GSM8K test split (every kept item reproduces itself and every
written result with its original numbers; every drawn variant re-runs to what it writes)."""
from __future__ import annotations

import json
import random
import re
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchgate.variants.arithmetic import ANNOTATION, NotArithmetic, evaluate, literals
from benchgate.variants.base import Dropped
from benchgate.variants.numbers import (_format, analyse, draw, natural_cap, new_value, numbers_variant,
                                        question_tokens, rewrite)

GSM8K = Path(__file__).resolve().parents[2].parent / "shared" / "benchmarks" / "gsm8k" / "test.jsonl"


# -- safe arithmetic ------------------------------------------------------------------------------
@st.composite
def expressions(draw_, depth=3):
    """(expression text, its exact value computed independently of the parser)."""
    if depth == 0 or draw_(st.booleans()):
        n = draw_(st.integers(0, 10_000))
        decimals = draw_(st.integers(0, 2))
        return (f"{n / 10 ** decimals:.{decimals}f}" if decimals else str(n)), Fraction(n, 10 ** decimals)
    (a, va), (b, vb) = draw_(expressions(depth - 1)), draw_(expressions(depth - 1))
    op = draw_(st.sampled_from("+-*/"))
    if op == "/" and vb == 0:
        op = "+"
    value = {"+": va + vb, "-": va - vb, "*": va * vb, "/": va / vb if vb else None}[op]
    return f"({a}){op}({b})", value


@given(expressions())
def test_evaluate_computes_arithmetic_exactly(case):
    text, value = case
    assert evaluate(text) == value


@given(expressions(), st.integers(1, 999))
def test_evaluate_puts_new_values_at_their_literals(case, new):
    text, _ = case
    spans = literals(text)
    replaced = {start: Fraction(new) for start, _, _ in spans[:1]}
    rewritten = text[:spans[0][0]] + str(new) + text[spans[0][1]:]
    assert evaluate(text, replaced) == evaluate(rewritten)


@pytest.mark.parametrize("text", ["__import__('os').system('true')", "a+1", "len([1])", "2**1000",
                                  "1/0", "(1", "'1'+'2'", "True+1", "[1][0]", "1 if 1 else 2"])
def test_evaluate_refuses_everything_but_arithmetic(text):
    with pytest.raises(NotArithmetic):
        evaluate(text)


# -- reading and writing numbers ------------------------------------------------------------------
def _dec(v: Fraction) -> int:
    """The decimals a value needs."""
    return next(d for d in range(20) if (v * 10 ** d).denominator == 1)


values = st.one_of(st.integers(2, 10 ** 7).map(Fraction),
                   st.tuples(st.integers(1, 99_999), st.integers(1, 2)).map(lambda t: Fraction(t[0], 10 ** t[1])))


@given(values, st.booleans())
def test_format_writes_a_number_that_reads_back(value, commas):
    decimals = _dec(value)
    text = _format(value, decimals, commas)
    (token,) = question_tokens(f"He paid ${text} for it.")
    assert token.value == value and token.commas == ("," in text) and token.decimals == decimals
    if commas and value >= 1000:
        assert "," in text


@given(st.lists(values, min_size=1, max_size=5, unique=True), st.randoms(use_true_random=False))
def test_question_numbers_are_found_and_replaced_in_their_style(numbers, rng):
    texts = [_format(v, _dec(v), rng.random() < 0.5)
             for v in numbers]
    question = "".join(f"Item {w} costs ${t} each. " for w, t in zip("ABCDE", texts))
    tokens = question_tokens(question)
    assert [t.value for t in tokens] == numbers
    assert [question[t.start:t.end] for t in tokens] == texts


@given(values, st.integers(0, 10_000))
def test_new_value_keeps_magnitude_and_type(value, seed):
    decimals = _dec(value)
    new = new_value(value, decimals, random.Random(seed))
    assert new != value and new not in (0, 1)
    assert (new * 10 ** decimals).denominator == 1  # no more decimals than the original
    digits = lambda v: len(str(int(v * 10 ** decimals)).rstrip("0"))  # noqa: E731 - significant digits
    zeros = lambda v: len(str(int(v * 10 ** decimals))) - digits(v)  # noqa: E731 - trailing zeros
    assert digits(new) == digits(value) and zeros(new) == zeros(value)


def test_number_words_fixed_forms_and_percentages():
    q = "Jen did sixteen flips at 3:00 on the 2nd day, ate 3/4 of a pie, and paid 15% of $1,200.50."
    tokens = question_tokens(q)
    found = [(q[t.start:t.end], t.kind, t.value, t.percent) for t in tokens]
    assert found == [("sixteen", "word", 16, False), ("3:00", "fixed", 0, False), ("2nd", "fixed", 0, False),
                     ("3/4", "fixed", 0, False), ("15", "num", 15, True), ("1,200.50", "num", Fraction("1200.5"), False)]
    assert natural_cap("He works 50 weeks a year", len("He works 50")) == 52
    assert natural_cap("He has 50 apples", len("He has 50")) is None


# -- hand-computed rewrites -----------------------------------------------------------------------
JANET = ("Janet’s ducks lay 16 eggs per day. She eats three for breakfast every morning and bakes muffins "
         "for her friends every day with four. She sells the remainder at the farmers' market daily for $2 "
         "per fresh duck egg. How much in dollars does she make every day at the farmers' market?",
         "Janet sells 16 - 3 - 4 = <<16-3-4=9>>9 duck eggs a day.\nShe makes 9 * 2 = $<<9*2=18>>18 every "
         "day at the farmer’s market.\n#### 18")
JOSH = ("Josh decides to try flipping a house.  He buys a house for $80,000 and then puts in $50,000 in "
        "repairs.  This increased the value of the house by 150%.  How much profit did he make?",
        "The cost of the house and repairs came out to 80,000+50,000=$<<80000+50000=130000>>130,000\nHe "
        "increased the value of the house by 80,000*1.5=<<80000*1.5=120000>>120,000\nSo the new value of the "
        "house is 120,000+80,000=$<<120000+80000=200000>>200,000\nSo he made a profit of "
        "200,000-130,000=$<<200000-130000=70000>>70,000\n#### 70000")
ROBE = ("A robe takes 2 bolts of blue fiber and half that much white fiber.  How many bolts in total does it take?",
        "It takes 2/2=<<2/2=1>>1 bolt of white fiber\nSo the total amount of fabric is 2+1=<<2+1=3>>3 bolts of "
        "fabric\n#### 3")


def test_janet_with_new_numbers_by_hand():
    # 20 eggs, eats 5, bakes with 6, $3 an egg: (20 - 5 - 6) * 3 = 27, worked by hand
    new = rewrite(analyse(*JANET), {Fraction(16): Fraction(20), Fraction(3): Fraction(5),
                                    Fraction(4): Fraction(6), Fraction(2): Fraction(3)})
    assert new.question.startswith("Janet’s ducks lay 20 eggs per day. She eats 5 for breakfast")
    assert "every day with 6." in new.question and "daily for $3 per" in new.question
    assert new.answer == ("Janet sells 20 - 5 - 6 = <<20-5-6=9>>9 duck eggs a day.\nShe makes 9 * 3 = "
                          "$<<9*3=27>>27 every day at the farmer’s market.\n#### 27")
    assert new.final == "27"


def test_josh_percentages_and_thousands_by_hand():
    # $60,000 house, $30,000 repairs, +200%: value 60,000 * 2 + 60,000 = 180,000; profit 90,000
    new = rewrite(analyse(*JOSH), {Fraction(80000): Fraction(60000), Fraction(50000): Fraction(30000),
                                   Fraction(150): Fraction(200)})
    assert "for $60,000 and then puts in $30,000" in new.question and "by 200%." in new.question
    assert "60,000*2.0=<<60000*2.0=120000>>120,000" in new.answer  # 1.5 was written with one decimal
    assert new.final == "90000" and new.answer.endswith("180,000-90,000=$<<180000-90000=90000>>90,000\n#### 90000")


def test_a_number_that_may_be_a_unit_constant_drops_the_item():
    # "2 bolts" and "half" (2) both reach 2/2: no rewrite can tell which 2 is which
    with pytest.raises(Dropped, match="ambiguous"):
        analyse(*ROBE)


def test_a_step_without_annotation_drops_the_item():
    with pytest.raises(Dropped, match="maps to nothing"):
        analyse("Tom has 5 cats and 7 dogs. How many pets?", "He has 5+7 = 12 pets, so 12*3=<<12*3=36>>36 legs\n#### 36")


def test_an_integer_result_that_would_become_a_fraction_is_redrawn():
    plan = analyse("Sam splits 48 apples among 6 friends. How many does each get?",
                   "Each gets 48/6=<<48/6=8>>8 apples\n#### 8")
    with pytest.raises(Dropped, match="integer"):
        rewrite(plan, {Fraction(48): Fraction(47), Fraction(6): Fraction(6)})
    for seed in range(20):  # every draw that is kept divides evenly
        new = draw(plan, random.Random(seed))
        a, b = (int(x) for x in re.findall(r"\d+", new.question))
        assert a % b == 0 and new.final == str(a // b) != "8"


# -- the whole test split -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def split():
    return [json.loads(line) for line in GSM8K.read_text(encoding="utf-8").splitlines()]


def _rerun(answer: str) -> list[tuple[Fraction, Fraction]]:
    """(value, written result) of every annotation of an answer, read with a plain regex."""
    out = []
    for m in ANNOTATION.finditer(answer):
        expression, written = m.group(1).rsplit("=", 1)
        out.append((evaluate(expression), Fraction(written.replace(",", ""))))
    return out


def test_the_original_numbers_reproduce_every_original_answer(split):
    kept = 0
    for i, row in enumerate(split):
        try:
            plan = analyse(row["question"], row["answer"])
        except Dropped:
            continue
        kept += 1
        same = rewrite(plan, {})  # every number mapped to itself
        assert same.question == row["question"], i
        assert same.answer == row["answer"], i
        assert same.final == row["answer"].rsplit("####", 1)[1].strip(), i
        assert all(value == written for value, written in _rerun(row["answer"])), i
    assert len(split) == 1319 and kept > 500  # the share is reported in docs/contamination.md


def test_every_drawn_variant_reruns_to_what_it_writes(split):
    kept = 0
    for i, row in enumerate(split):
        try:
            new = numbers_variant(row["question"], row["answer"], random.Random(f"variant/numbers/7/gsm8k/main/{i}"))
        except Dropped:
            continue
        kept += 1
        assert new.question != row["question"], i
        steps = _rerun(new.answer)
        assert steps and all(value == written for value, written in steps), (i, new.answer)
        final = Fraction(new.final)
        old = Fraction(row["answer"].rsplit("####", 1)[1].strip().replace(",", ""))
        assert final != old, i  # memory of the original answer cannot score
        assert final in {w for _, w in steps} and (final.denominator == 1) == (old.denominator == 1), i
        assert (final > 0) == (old > 0), i
        assert new.answer.endswith(f"#### {new.final}")
    assert kept > 500


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 1318), st.integers(0, 10 ** 6))
def test_the_same_seed_gives_the_same_variant(index, seed):
    row = json.loads(GSM8K.read_text(encoding="utf-8").splitlines()[index])
    try:
        a = numbers_variant(row["question"], row["answer"], random.Random(seed))
    except Dropped as e:
        with pytest.raises(Dropped, match=re.escape(str(e))):
            numbers_variant(row["question"], row["answer"], random.Random(seed))
        return
    assert numbers_variant(row["question"], row["answer"], random.Random(seed)) == a
