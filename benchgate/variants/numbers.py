"""The GSM8K `numbers` variant: the question's numbers replaced by new ones of the same
magnitude and type, the answer recomputed by re-running the solution's calculator annotations
(`<<16*3=48>>`) with the new values.

How an item is rewritten (`analyse`, then `rewrite`):

1. The question's numbers are read: digits ("80,000", "2.50", "150%") and the number words
   two..twenty, thirty..ninety. Fractions ("3/4"), times ("3:00", "9 a.m."), ordinals ("2nd"), 0 and 1
   stay as they are (fixed), and so does a number the solution never uses (changing it cannot
   change the answer, and it may be a count the text relies on: "the two websites").
2. Every number of the solution is mapped to where it comes from: a number of the question
   (or its percentage, 150% -> 1.5), the result of an annotation (an earlier one inside an
   annotation), or a unit constant whose cue word the item has (2 for "half", 60 for "hour",
   100 for "%": `CUES`). A number that maps to nothing (a step done without an annotation), or
   to two different things, drops the item; so does a substituted number that equals a cued
   constant, an annotation that does not re-run to its written result exactly, or a final
   answer that is no annotation's result.
3. A seeded draw gives each distinct question number a new value: same number of significant
   digits, same trailing zeros, same decimals, never 0 or 1, never equal to another number of
   the item; a percentage of at most 100 stays at most 100. The annotations are re-run in order
   with the new values (each earlier result propagates). A draw is kept only if every result
   keeps its type: an integer stays an integer, a non-integer has at most 2 decimals (or its
   own number of decimals), the sign stays the same, and the final answer changes (else
   memory of the original answer would still score); else the next draw (at most `MAX_DRAWS`).
4. The question and solution are written again with the new numbers in the original's style
   (thousands commas, decimals), the solution ending with `#### <new answer>`.

With every number mapped to itself (`rewrite(plan, {})`) the item comes back unchanged, and
every annotation and the final answer re-run to what is written (tests/variants: the whole
test split).
"""
from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from benchgate.variants.arithmetic import ANNOTATION, NotArithmetic, evaluate, literals, to_fraction
from benchgate.variants.base import Dropped

MAX_DRAWS = 200
MAX_DECIMALS = 2  # a non-integer result may have this many decimals (money), or its own number

WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty".split())}
WORDS.update({w: 10 * i for i, w in enumerate("thirty forty fifty sixty seventy eighty ninety".split(), 3)})
for _w in ("zero", "one"):  # 0 and 1 are never replaced
    del WORDS[_w]

# unit constants a solution may use without the question writing them, with the words that
# justify them (matched at the start of a word, in the question or the solution)
CUES: dict[Fraction, tuple[str, ...]] = {
    Fraction(1, 2): ("half", "halves"), Fraction(1, 4): ("quarter",),
    Fraction(2): ("half", "halves", "twice", "double", "pair", "couple", "both", "twin", "parents",
                  "bicycle", "biweekly"),
    Fraction(3): ("triple", "thrice", "third"), Fraction(4): ("quarter", "fourth"),
    Fraction(5): ("nickel", "fifth"), Fraction(6): ("sixth",), Fraction(8): ("eighth",), Fraction(7): ("week",), Fraction(10): ("dime", "decade", "tenth"),
    Fraction(12): ("dozen", "month", "year", "foot", "feet", "inch"), Fraction(24): ("day", "hour"),
    Fraction(25): ("quarter",), Fraction(30): ("month",), Fraction(52): ("week", "year"),
    Fraction(60): ("hour", "minute", "second"), Fraction(100): ("percent", "%", "cent", "century"),
    Fraction(1, 100): ("percent", "%"),
    Fraction(365): ("year",), Fraction(1000): ("thousand",), Fraction(28): ("february",),
    Fraction(29): ("february", "leap"), Fraction(31): ("january", "march", "may", "july", "august",
                                                       "october", "december"),
}
ALWAYS = (Fraction(0), Fraction(1))

_WORDS = "|".join(sorted(WORDS, key=len, reverse=True))
_PARTS = r"(?:halves|thirds|quarters|fourths|fifths|sixths|sevenths|eighths|ninths|tenths)\b"  # "two thirds"
_NUMBER = r"(?:(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+)"
# in the question: fixed forms first (fraction, time, ordinal), then numbers, then number words
_QUESTION = re.compile(
    r"(?P<fixed>(?<![\w.,/])\d+(?:/\d+|:\d+|(?:st|nd|rd|th)\b|\s*(?:[ap]\.m\.|[ap]m\b|o'clock))"
    rf"|(?<![\w-])(?:{_WORDS})-[a-z]+|(?<![\w.,/-])(?:{_WORDS}|\d+)\s+{_PARTS})"
    rf"|(?P<num>(?<![\w.,/:]){_NUMBER}(?![\d/:]|\.\d|,\d))\s?(?P<pct>%|percent)?"
    rf"|(?P<word>(?<![\w-])(?:{_WORDS})(?![\w-]))",
    re.IGNORECASE)
# in the solution text: times and ordinals are fixed, "2/2" is arithmetic written out
_SOLUTION = re.compile(rf"(?P<fixed>(?<![\w.,])\d+(?::\d+|(?:st|nd|rd|th)\b))"
                       rf"|(?P<num>(?<![\w.,:]){_NUMBER}(?![\d:]|\.\d|,\d))")
SUBSTITUTED_KINDS = ("q", "pct", "pct+", "pct-", "rest")  # sources that are question numbers
_FINAL = re.compile(r"\n?####\s*(.+?)\s*$")


# a count of <unit> per <period> has a natural maximum ("50 weeks a year" stays <= 52)
PER_PERIOD = {("week", "year"): 52, ("day", "week"): 7, ("hour", "day"): 24, ("day", "year"): 365,
              ("month", "year"): 12, ("minute", "hour"): 60, ("second", "minute"): 60,
              ("day", "month"): 31, ("hour", "week"): 168}
_PER = re.compile(r"\s+(?:[a-z]+\s+){0,2}?(week|day|hour|month|minute|second)s?\s+(?:a|per|each|every|in\s+a|of\s+the)\s+"
                  r"(year|week|day|month|hour|minute)\b", re.IGNORECASE)


def natural_cap(question: str, end: int) -> int | None:
    """The largest value a number ending at `end` can take by what follows it ("50 weeks a
    year": 52), None when nothing caps it."""
    m = _PER.match(question, end)
    return PER_PERIOD.get((m.group(1).lower(), m.group(2).lower())) if m else None


@dataclass(frozen=True)
class Token:
    """A number as written: its span, value and style."""

    start: int
    end: int
    value: Fraction
    kind: str  # "num", "word" or "fixed"
    commas: bool = False
    decimals: int = 0
    percent: bool = False


@dataclass
class Step:
    """One annotation: its span in the solution, its expression and what each literal is."""

    start: int
    end: int
    expression: str
    result: Fraction
    result_decimals: int
    result_text: str
    links: list[tuple[int, tuple]]  # (offset of the literal in the expression, source)


@dataclass
class Plan:
    """What `analyse` found: the question's numbers, the annotations and the solution's
    numbers, each linked to its source: ("q", value), ("pct", value) (a question percentage
    / 100), ("r", step) or ("const", value)."""

    question: str
    solution: str
    answer_text: str
    question_tokens: list[Token]
    steps: list[Step]
    text_tokens: list[tuple[Token, tuple]]  # solution numbers outside annotations
    answer_source: tuple
    substituted: list[Fraction] = field(default_factory=list)  # distinct question values replaced
    percents: set[Fraction] = field(default_factory=set)
    fixed: set[Fraction] = field(default_factory=set)  # values of fixed forms (3/4, 3:00, 2nd)
    constants: set[Fraction] = field(default_factory=set)  # the unit constants the item cues


def _decimals(text: str) -> int:
    return len(text.split(".", 1)[1]) if "." in text else 0


def question_tokens(question: str) -> list[Token]:
    """The numbers of a question, in order."""
    out = []
    for m in _QUESTION.finditer(question):
        if m.group("fixed"):
            out.append(Token(m.start(), m.end(), Fraction(0), "fixed"))
        elif m.group("num"):
            text = m.group("num")
            value = to_fraction(text)
            kind = "fixed" if value in ALWAYS else "num"
            out.append(Token(m.start("num"), m.end("num"), value, kind, "," in text, _decimals(text),
                             bool(m.group("pct"))))
        else:
            out.append(Token(m.start(), m.end(), Fraction(WORDS[m.group("word").lower()]), "word"))
    return out


def fixed_values(text: str) -> set[Fraction]:
    """The values a fixed form stands for: each of its numbers ("7:11": 7 and 11, "two-thirds":
    2), and a fraction's value ("3/4": also 0.75)."""
    values = {Fraction(int(d)) for d in re.findall(r"\d+", text)}
    values |= {Fraction(WORDS[w]) for w in re.findall(r"[a-z]+", text.lower()) if w in WORDS}
    m = re.fullmatch(r"(\d+)/(\d+)", text)
    if m and int(m.group(2)):
        values.add(Fraction(int(m.group(1)), int(m.group(2))))
    return values


def solution_tokens(text: str, offset: int = 0) -> list[Token]:
    """The numbers of a stretch of solution text (outside annotations)."""
    out = []
    for m in _SOLUTION.finditer(text):
        if m.group("fixed"):
            out.append(Token(offset + m.start(), offset + m.end(), Fraction(int(re.match(r"\d+", m.group()).group())),
                             "fixed"))
        else:
            t = m.group("num")
            out.append(Token(offset + m.start(), offset + m.end(), to_fraction(t), "num", "," in t, _decimals(t)))
    return out


def constants(question: str, solution: str) -> set[Fraction]:
    """The unit constants the item justifies (`CUES`), plus 0 and 1."""
    words = re.findall(r"[a-z]+|%", (question + " " + solution).lower())
    cued = {value for value, cues in CUES.items() if any(w.startswith(c) for w in words for c in cues)}
    return cued | set(ALWAYS)


def split_answer(answer: str) -> tuple[str, str]:
    """(worked solution, final answer text) of a GSM8K answer ("... #### 18")."""
    m = _FINAL.search(answer)
    if m is None or "####" in answer[:m.start()]:
        raise Dropped("the answer has no single final '#### N'")
    return answer[:m.start()], m.group(1)


def analyse(question: str, answer: str) -> Plan:
    """Map every number of the solution to its source, or raise Dropped saying why not."""
    solution, final = split_answer(answer)
    q_tokens = question_tokens(question)
    fixed = {v for t in q_tokens if t.kind == "fixed" for v in fixed_values(question[t.start:t.end])}
    substituted = {t.value for t in q_tokens if t.kind != "fixed"}
    if substituted & fixed:
        raise Dropped(f"{_show(min(substituted & fixed))} is both a number to replace and a fixed one")
    cued = constants(question, solution) | fixed
    percents = {t.value for t in q_tokens if t.percent and t.kind != "fixed"}
    derived: dict[Fraction, list[tuple]] = {}
    for v in sorted(percents):  # 150% as 1.5, 1 + 1.5, 1 - 1.5 and 100 - 150 (the rest)
        for kind, value in (("pct", v / 100), ("pct+", 1 + v / 100), ("pct-", 1 - v / 100), ("rest", 100 - v)):
            derived.setdefault(value, []).append((kind, v))

    def sources(value: Fraction, results: list[tuple[int, Fraction]]) -> list[tuple]:
        found: list[tuple] = []
        if value in substituted:
            found.append(("q", value))
        found += derived.get(value, [])
        if value in cued:
            found.append(("const", value))
        # two results of one value are ambiguous too: after new numbers they differ
        return found + [("r", i) for i, r in results if r == value]

    if re.search(r"[<>]", ANNOTATION.sub("", solution)):
        raise Dropped("the solution compares numbers (< or >), which no annotation re-runs")
    steps: list[Step] = []
    for m in ANNOTATION.finditer(solution):
        body = m.group(1)
        if "=" not in body:
            raise Dropped(f"annotation <<{body}>> has no '=result'")
        expression, written = body.rsplit("=", 1)
        try:
            result = to_fraction(written.strip())
            computed = evaluate(expression)
            spans = literals(expression)
        except NotArithmetic as e:
            raise Dropped(f"annotation <<{body}>>: {e}") from None
        if not any(ch in expression for ch in "+-*/%"):
            raise Dropped(f"annotation <<{body}>> copies a number (a choice no annotation re-runs)")
        if computed != result:
            raise Dropped(f"annotation <<{body}>> re-runs to {_show(computed)}, not to what is written")
        links = []
        for start, _, value in spans:
            found = sources(value, [(i, s.result) for i, s in enumerate(steps)])
            if len(found) != 1:
                raise Dropped(f"{_show(value)} in <<{body}>> " + ("maps to nothing" if not found else
                              "is ambiguous (" + ", ".join(f[0] for f in found) + ")"))
            links.append((start, found[0]))
        steps.append(Step(m.start(), m.end(), expression, result, _decimals(written.strip()), written, links))
    if not steps:
        raise Dropped("the solution has no calculator annotation")

    results = [(i, s.result) for i, s in enumerate(steps)]
    text_tokens = []
    spans = [(s.start, s.end) for s in steps]
    cursor = 0
    for i, (start, end) in enumerate(spans + [(len(solution), len(solution))]):
        for token in solution_tokens(solution[cursor:start], cursor):
            if token.kind == "fixed":
                if token.value not in cued:
                    raise Dropped(f"{solution[token.start:token.end]!r} in the solution maps to nothing")
                continue
            same_line = i < len(steps) and "\n" not in solution[token.end:steps[i].start]
            written = [src for (start, src) in steps[i].links
                       if _literal_value(steps[i].expression, start) == token.value] if same_line else []
            if token.start == cursor and i > 0 and steps[i - 1].result == token.value:
                source: tuple = ("r", i - 1)  # the result written right after its annotation
            elif written and len(set(written)) == 1:
                source = written[0]  # the annotation's expression written out before it ("16-8 = <<16-8=8>>")
            else:
                found = sources(token.value, results)
                if len(found) > 1 and all(f[0] == "r" for f in found):
                    found = [min(found, key=lambda f: abs(steps[f[1]].start - token.start))]
                if len(found) != 1:
                    raise Dropped(f"{solution[token.start:token.end]!r} in the solution "
                                  + ("maps to nothing" if not found else "is ambiguous"))
                source = found[0]
            text_tokens.append((token, source))
        cursor = end
    try:
        final_value = to_fraction(final)
    except NotArithmetic:
        raise Dropped(f"the final answer {final!r} is not a number") from None
    last = [i for i, r in results if r == final_value]
    if not last:  # (also when it equals a question number: that is a step done without annotation)
        raise Dropped(f"the final answer {final} is no annotation's result")
    answer_source: tuple = ("r", last[-1])
    # a question number the solution never uses stays as it is: changing it cannot change the
    # answer, and it may be a count the text relies on ("the two websites")
    used = {src[1] for step in steps for _, src in step.links if src[0] in SUBSTITUTED_KINDS}
    used |= {src[1] for _, src in text_tokens if src[0] in SUBSTITUTED_KINDS}
    return Plan(question, solution, final, q_tokens, steps, text_tokens, answer_source,
                sorted(used), percents & used, fixed, cued)


@dataclass(frozen=True)
class Rewritten:
    """A rewritten item: the new question and answer, its final answer, the mapping used."""

    question: str
    answer: str
    final: str
    mapping: dict[Fraction, Fraction]


def rewrite(plan: Plan, mapping: dict[Fraction, Fraction]) -> Rewritten:
    """The item with every question number v replaced by mapping.get(v, v), the annotations
    re-run; raises Dropped when a result breaks its type (integer, decimals, sign)."""
    new_results: list[Fraction] = []

    def value_of(source: tuple) -> Fraction:
        kind, ref = source
        if kind == "q":
            return mapping.get(ref, ref)
        if kind == "pct":
            return mapping.get(ref, ref) / 100
        if kind == "pct+":
            return 1 + mapping.get(ref, ref) / 100
        if kind == "pct-":
            return 1 - mapping.get(ref, ref) / 100
        if kind == "rest":
            return 100 - mapping.get(ref, ref)
        if kind == "r":
            return new_results[ref]
        return ref

    for step in plan.steps:
        try:
            new = evaluate(step.expression, {start: value_of(src) for start, src in step.links})
        except NotArithmetic as e:
            raise Dropped(str(e)) from None
        _check_type(step.result, new, step.result_decimals)
        new_results.append(new)

    edits: list[tuple[int, int, str]] = []
    for step in plan.steps:  # annotations: <<new expression=new result>>
        expression = step.expression
        for start, src in sorted(step.links, reverse=True):
            end = next(e for s, e, _ in literals(step.expression) if s == start)
            old = to_fraction(step.expression[start:end])
            expression = expression[:start] + _format(value_of(src), _decimals(step.expression[start:end]),
                                                      False, same_as=(old, step.expression[start:end])) + expression[end:]
        result = new_results[plan.steps.index(step)]
        edits.append((step.start, step.end, f"<<{expression}={_format(result, step.result_decimals, same_as=(step.result, step.result_text))}>>"))
    for token, src in plan.text_tokens:
        edits.append((token.start, token.end, _format(value_of(src), token.decimals, token.commas,
                                                      same_as=(token.value, plan.solution[token.start:token.end]))))
    solution = _apply(plan.solution, edits)
    final_value = value_of(plan.answer_source)
    final = plan.answer_text if final_value == to_fraction(plan.answer_text) else _format(final_value, 0)
    q_edits = [(t.start, t.end, _format(mapping.get(t.value, t.value), t.decimals, t.commas,
                                        same_as=(t.value, plan.question[t.start:t.end])))
               for t in plan.question_tokens if t.kind != "fixed"]
    return Rewritten(_apply(plan.question, q_edits), f"{solution}\n#### {final}", final,
                     {v: mapping.get(v, v) for v in plan.substituted})


def draw(plan: Plan, rng: random.Random) -> Rewritten:
    """A seeded rewrite with new numbers (at most MAX_DRAWS tries), or Dropped."""
    if not plan.substituted:
        raise Dropped("the question has no number to replace")
    taken = {t.value for t in plan.question_tokens} | {s.result for s in plan.steps} | plan.fixed | plan.constants
    for _ in range(MAX_DRAWS):
        mapping: dict[Fraction, Fraction] = {}
        for value in plan.substituted:
            decimals = max((t.decimals for t in plan.question_tokens if t.value == value), default=0)
            caps = [c for t in plan.question_tokens if t.value == value
                    for c in (natural_cap(plan.question, t.end),) if c is not None]
            if value in plan.percents and value <= 100:
                caps.append(100)
            mapping[value] = new_value(value, decimals, rng, at_most=min(caps) if caps else None)
        news = list(mapping.values())
        if len(set(news)) < len(news) or set(news) & taken:
            continue
        try:
            new = rewrite(plan, mapping)
        except Dropped:
            continue
        if to_fraction(new.final) != to_fraction(plan.answer_text):  # memory of the answer must not help
            return new
    raise Dropped(f"no draw of {MAX_DRAWS} kept every step valid (integer, decimals, sign) "
                  f"and changed the final answer")


def new_value(value: Fraction, decimals: int, rng: random.Random, at_most: int | None = None) -> Fraction:
    """A number of the same magnitude and type: the same decimals, the same count of significant
    digits and trailing zeros, never 0, 1 or the value itself (given that one exists)."""
    scaled = value * 10 ** decimals
    n = int(scaled)
    zeros = 0
    while n and n % 10 == 0:
        n //= 10
        zeros += 1
    digits = len(str(n))
    low, high = (2, 9) if digits == 1 else (10 ** (digits - 1), 10 ** digits - 1)
    for _ in range(100):
        m = rng.randint(low, high)
        if m % 10 == 0 or m == n:
            continue
        new = Fraction(m * 10 ** zeros, 10 ** decimals)
        if new in ALWAYS or (at_most is not None and new > at_most):
            continue
        return new
    return value


def _check_type(old: Fraction, new: Fraction, decimals: int) -> None:
    if (old > 0) != (new > 0) or (old < 0) != (new < 0):
        raise Dropped("a result changed sign")
    if old.denominator == 1:
        if new.denominator != 1:
            raise Dropped("an integer result became a fraction")
        return
    limit = max(decimals, MAX_DECIMALS)
    if (new * 10 ** limit).denominator != 1:
        raise Dropped(f"a result needs more than {limit} decimals")


def _format(value: Fraction, decimals: int, commas: bool = False, same_as: tuple | None = None) -> str:
    """A value written with at least `decimals` decimals (as many as it needs) and thousands
    commas when asked; an unchanged value keeps its original text."""
    if same_as is not None and value == same_as[0]:
        return same_as[1]
    sign = "-" if value < 0 else ""
    value = abs(value)
    needed = 0
    while (value * 10 ** needed).denominator != 1 and needed < 12:
        needed += 1
    places = max(decimals, needed)
    text = f"{Decimal(value.numerator) / Decimal(value.denominator):.{places}f}"
    whole, _, frac = text.partition(".")
    if commas:
        whole = f"{int(whole):,}"
    return sign + whole + (f".{frac}" if frac else "")


def _apply(text: str, edits: list[tuple[int, int, str]]) -> str:
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    return text


def _literal_value(expression: str, start: int) -> Fraction:
    return next(v for s, _, v in literals(expression) if s == start)


def _show(value: Fraction) -> str:
    return _format(value, 0)


def numbers_variant(question: str, answer: str, rng: random.Random) -> Rewritten:
    """The `numbers` variant of one GSM8K item (question, full answer with '#### N'), or
    Dropped saying why the item cannot be rewritten."""
    return draw(analyse(question, answer), rng)
