"""Answer extractors: turn a model's free text into a comparable answer.

Pure functions; each returns None when no answer can be found (scored as wrong).
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

# -- numbers (GSM8K and friends) ---------------------------------------------

# the pattern of lm-evaluation-harness gsm8k "strict-match" (here: the number is then normalised)
_STRICT = re.compile(r"#### (\-?[0-9\.\,]+)")
_ANSWER_IS = re.compile(r"[Tt]he (?:final )?answer is[:\s]*\$?\s*(\-?[0-9][0-9\.\,]*|\-?\.[0-9]+)")
# the pattern of lm-evaluation-harness gsm8k "flexible-extract" (here: the last match that parses)
_NUMBER = re.compile(r"(-?[$0-9.,]{2,})|(-?[0-9]+)")


def normalize_number(text: str) -> str | None:
    """'$1,234.50' -> '1234.50'; strips `$`, `,`, surrounding spaces and a trailing '.'.
    Returns None when what is left is not a number."""
    s = text.strip().replace(",", "").replace("$", "").strip()
    s = s.rstrip(".")
    if not s or s in {"-", "."}:
        return None
    try:
        Decimal(s)
    except InvalidOperation:
        return None
    return s


def numbers_equal(a: str | None, b: str | None) -> bool:
    """Numeric equality after normalisation: '29.00' == '29' == '$29'."""
    if a is None or b is None:
        return False
    na, nb = normalize_number(a), normalize_number(b)
    if na is None or nb is None:
        return False
    return Decimal(na) == Decimal(nb)


def extract_strict_number(text: str) -> str | None:
    """The number after '#### ' (GSM8K's own answer format), normalised."""
    m = _STRICT.search(text)
    return normalize_number(m.group(1)) if m else None


def extract_last_number(text: str) -> str | None:
    """The last number-like match that parses as a number, normalised. More lenient than lm-eval's
    flexible-extract, which takes the last match whatever it is (`regex_filter`)."""
    for m in reversed(_NUMBER.findall(text)):
        candidate = normalize_number(m[0] or m[1])
        if candidate is not None:
            return candidate
    return None


def extract_number(text: str) -> str | None:
    """GSM8K chain: '#### N', then 'The answer is N', then the last number."""
    found = extract_strict_number(text)
    if found is not None:
        return found
    matches = _ANSWER_IS.findall(text)
    if matches:
        found = normalize_number(matches[-1])
        if found is not None:
            return found
    return extract_last_number(text)


# -- multiple-choice letters -----------------------------------------------

def _choice_patterns(letters: str) -> list[re.Pattern]:
    L = f"[{letters}]"
    return [
        re.compile(rf"(?i:answer is)\s*[:\-]?\s*\**\(?({L})\)?\**(?![A-Za-z])"),
        re.compile(rf"(?i:answer)\s*[:\-]\s*\**\(?({L})\)?\**(?![A-Za-z])"),
        re.compile(rf"答案\s*(?:是|为|應為|应为|应该是|：|:)?\s*(?:选项)?\s*\**[\(（]?({L})(?![A-Za-z])"),
        re.compile(rf"(?:选|選)(?:择|擇)?\s*[\(（]?({L})(?![A-Za-z])"),
        re.compile(rf"(?<![A-Za-z])({L})\s*(?:项|選項|选项)?\s*(?:正确|正確|是正确的)"),
        re.compile(rf"^\s*\**\(?({L})\)?\**\s*(?:$|[\.\):,])"),
        re.compile(rf"\(({L})\)"),
        re.compile(rf"(?<![A-Za-z])({L})(?![A-Za-z])"),
    ]


_PATTERN_CACHE: dict[str, list[re.Pattern]] = {}


def extract_choice(text: str, letters: str = "ABCD") -> str | None:
    """The chosen letter: 'The answer is (B)', 'Answer: **C**', a leading 'A.', '(D)',
    else the first standalone letter. Case-sensitive for bare letters."""
    patterns = _PATTERN_CACHE.get(letters)
    if patterns is None:
        patterns = _PATTERN_CACHE[letters] = _choice_patterns(letters)
    for i, pattern in enumerate(patterns):
        m = pattern.match(text) if pattern.pattern.startswith("^") else pattern.search(text)
        if m:
            return m.group(1).upper()
    return None


# -- lm-evaluation-harness filters -------------------------------------------

LM_EVAL_FALLBACK = "[invalid]"


def regex_filter(text: str, pattern: str | re.Pattern, group_select: int = 0,
                 fallback: str = LM_EVAL_FALLBACK) -> str:
    """lm-evaluation-harness `regex` filter (RegexFilter): match `group_select` of
    `re.findall` (0: the first, -1: the last); of a match with several groups, the first
    non-empty one; stripped. `fallback` when nothing matches (or no group is non-empty)."""
    matches = re.findall(pattern, text)
    if not matches:
        return fallback
    match = matches[group_select]
    if isinstance(match, tuple):
        match = next((m for m in match if m), fallback)
    return match.strip()
