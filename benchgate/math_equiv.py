"""Final-answer extraction, normalisation and mathematical equivalence for MATH-style answers.

* `last_boxed(text)`: the content of the last `\\boxed{...}` / `\\fbox{...}` (braces matched, so
  `\\boxed{\\frac{a}{b}}` gives `\\frac{a}{b}`), or of `\\boxed 5`; the reference MATH solution
  parser (`last_boxed_only_string` + `remove_boxed` of hendrycks/math and lm-eval).
* `extract_math_answer(text)`: Minerva's "Final Answer: The final answer is X. I hope it is
  correct." (lm-eval `minerva_math`), else the last boxed expression, else None.
* `minerva_normalize(s)`: Minerva's normalisation exactly as lm-evaluation-harness 0.4.13
  `minerva_math/utils.py` (tests compare it with lm-eval's on every MATH gold answer);
  `normalize_final_answer(s)` adds markdown bold / `\\textbf{}` removal, `\\dfrac`/`\\tfrac` ->
  `\\frac` and a trailing "." removed.
* `math_equal(pred, gold)`: equal after normalisation, else equivalent by math-verify
  (HF `math_verify.verify(parse(gold), parse(pred))`, sympy-backed: 1/2 == 0.5 == \\frac{1}{2},
  `x(x+2)` == `x^2+2x`, intervals, sets of solutions, 90^\\circ == 90, "(B)" == "B").
"""
from __future__ import annotations

import re

__all__ = ["last_boxed", "extract_math_answer", "minerva_normalize", "normalize_final_answer", "math_equal"]

_BOX_MARKERS = ("\\boxed", "\\fbox")


def last_boxed(text: str) -> str | None:
    """Content of the last \\boxed{...} (or \\fbox{...}, or "\\boxed x"), braces balanced."""
    start = max(text.rfind(m) for m in _BOX_MARKERS)
    if start < 0:
        return None
    marker = next(m for m in _BOX_MARKERS if text.startswith(m, start))
    i = start + len(marker)
    if text.startswith(" ", i) and not text.startswith("{", i):  # "\boxed 5"
        rest = text[i + 1:]
        return re.split(r"[\s$]", rest, maxsplit=1)[0] or None
    if not text.startswith("{", i):
        return None
    depth = 0
    for j in range(i, len(text)):
        if text[j] == "{":
            depth += 1
        elif text[j] == "}":
            depth -= 1
            if depth == 0:
                return text[i + 1:j]
    return None  # unbalanced


_FINAL = re.compile(r"Final Answer: The final answer is(.*?). I hope it is correct.")


def extract_math_answer(text: str) -> str | None:
    """Minerva's final-answer sentence, with lm-eval's regex (`get_unnormalized_answer`: the
    end sequence is appended first, so a response cut before its very last "." still counts),
    else the last boxed answer; None when there is neither."""
    m = _FINAL.search(text + "I hope it is correct.")
    if m and m.group(1).strip():
        return m.group(1).strip()
    return last_boxed(text)


SUBSTITUTIONS = [("an ", ""), ("a ", ""), (".$", "$"), ("\\$", ""), (r"\ ", ""), (" ", ""),
                 ("mbox", "text"), (",\\text{and}", ","), ("\\text{and}", ","), ("\\text{m}", "\\text{}")]
REMOVED_EXPRESSIONS = [
    "square", "ways", "integers", "dollars", "mph", "inches", "ft", "hours", "km", "units",
    "\\ldots", "sue", "points", "feet", "minutes", "digits", "cents", "degrees", "cm", "gm",
    "pounds", "meters", "meals", "edges", "students", "childrentickets", "multiples",
    "\\text{s}", "\\text{.}", "\\text{\ns}", "\\text{}^2", "\\text{}^3", "\\text{\n}", "\\text{}",
    r"\mathrm{th}", r"^\circ", r"^{\circ}", r"\;", r",\!", "{,}", '"', "\\dots",
]


def minerva_normalize(answer: str) -> str:
    """Minerva's normalisation (Lewkowycz et al. 2022, appendix D.1) as lm-evaluation-harness
    0.4.13 `minerva_math/utils.py normalize_final_answer` applies it: the text after the last "=";
    unit words removed where they stand alone (never inside a LaTeX command such as `\\left` or
    `\\infty`); the substitutions; the other removed expressions; the inside of `$..$`,
    `\\text{}`, `\\textbf{}`, `\\overline{}`, `\\boxed{}`; `\\fracab` -> `\\frac{a}{b}`,
    `\\sqrt2` -> `\\sqrt{2}`, `\\sqrt[3]a` -> `\\sqrt[3]{a}`; `$` removed; commas removed
    only from a thousands-grouped integer."""
    answer = answer.split("=")[-1]
    words = [e for e in REMOVED_EXPRESSIONS if e.isalpha()]
    for word in words:  # while spaces still delimit them
        answer = re.sub(rf"(?<!\\)\b{word}\b", "", answer)
    for before, after in SUBSTITUTIONS:
        answer = answer.replace(before, after)
    for expr in REMOVED_EXPRESSIONS:
        if expr.isalpha():  # glued units, outside LaTeX command names
            parts = re.split(r"(\\[a-zA-Z]+)", answer)
            answer = "".join(part if i % 2 else part.replace(expr, "") for i, part in enumerate(parts))
        else:
            answer = answer.replace(expr, "")
    answer = re.sub(r"(.*?)(\$)(.*?)(\$)(.*)", "$\\3$", answer)
    answer = re.sub(r"(\\text\{)(.*?)(\})", "\\2", answer)
    answer = re.sub(r"(\\textbf\{)(.*?)(\})", "\\2", answer)
    answer = re.sub(r"(\\overline\{)(.*?)(\})", "\\2", answer)
    answer = re.sub(r"(\\boxed\{)(.*)(\})", "\\2", answer)
    answer = re.sub(r"(frac)([^{])(.)", "frac{\\2}{\\3}", answer)
    answer = re.sub(r"(sqrt)(\[[^\]]*\])(\w)", "\\1\\2{\\3}", answer)
    answer = re.sub(r"(sqrt)(?!\[)([^{])", "sqrt{\\2}", answer)
    answer = answer.replace("$", "")
    if re.fullmatch(r"-?\d{1,3}(,\d{3})+", answer):
        answer = answer.replace(",", "")
    return answer


def normalize_final_answer(final_answer: str) -> str:
    """`minerva_normalize`, plus benchgate's additions for chat-model answers: surrounding
    whitespace and markdown bold (`**x**`) removed first; `\\dfrac`/`\\tfrac` -> `\\frac`, a
    trailing "." and any "**" removed after."""
    final_answer = final_answer.strip()
    final_answer = re.sub(r"^\*\*(.*)\*\*$", r"\1", final_answer)
    final_answer = re.sub(r"\\textbf\{(.*?)\}", r"\1", final_answer)
    final_answer = minerva_normalize(final_answer)
    final_answer = final_answer.replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac")
    final_answer = final_answer.rstrip(".").replace("**", "")
    return final_answer.strip()


def _verify(pred: str, gold: str) -> bool:
    from math_verify import ExprExtractionConfig, LatexExtractionConfig, parse, verify

    config = [LatexExtractionConfig(boxed_match_priority=0), ExprExtractionConfig()]
    try:
        gold_parsed = parse(f"${gold}$", extraction_config=config)
        pred_parsed = parse(f"${pred}$", extraction_config=config)
        return bool(gold_parsed and pred_parsed and verify(gold_parsed, pred_parsed))
    except Exception:  # math-verify parses arbitrary model text; a crash means "not shown equal"
        return False


def math_equal(pred: str | None, gold: str) -> bool:
    """Whether a predicted final answer equals the gold one (see module docstring)."""
    if pred is None or not pred.strip():
        return False
    p, g = normalize_final_answer(pred), normalize_final_answer(gold)
    if p == g:
        return True
    if not p:
        return False
    return _verify(p, g)
