"""The 25 IFEval instruction checkers, as the authors define them (google-research
instruction_following_eval; lm-evaluation-harness `ifeval` ships the same code): each takes the
response and the instruction's kwargs and says whether the response follows it.

Faithful to the reference where it matters for scores: keywords, forbidden words and section
markers are used as regular expressions (not escaped); an undetectable language counts as
followed; kwargs that the reference would replace by random values must be given here (a
missing one is a malformed row). One deliberate difference: `keywords:letter_frequency` with a
`letter` that is not a-z (two prompts: '#', '!') counts that character, where the reference
counts a randomly drawn letter.
"""
from __future__ import annotations

import collections
import json
import re
from typing import Any, Callable, Sequence

from benchgate.ifeval.text import UndetectableLanguage, count_sentences, count_words, detect_language, word_tokenize

RELATIONS = ("less than", "at least")
CONSTRAINED_RESPONSES = ("My answer is yes.", "My answer is no.", "My answer is maybe.")
TWO_RESPONSES_SEPARATOR = "******"

Checker = Callable[[str, dict[str, Any]], bool]


class InstructionError(ValueError):
    """An instruction id or kwargs the checkers cannot use (a malformed row)."""


def _need(kwargs: dict, key: str, kind: type | tuple = (int,)) -> Any:
    value = kwargs.get(key)
    if value is None or not isinstance(value, kind) or isinstance(value, bool):
        raise InstructionError(f"kwarg {key!r} must be given as {getattr(kind, '__name__', kind)}, got {value!r}")
    return value


def _relation(kwargs: dict, key: str) -> str:
    relation = kwargs.get(key)
    if relation not in RELATIONS:
        raise InstructionError(f"kwarg {key!r} must be one of {RELATIONS}, got {relation!r}")
    return relation


def _compare(count: int, relation: str, threshold: int) -> bool:
    return count < threshold if relation == "less than" else count >= threshold


def _language_is(value: str, language: str, extra: bool = True) -> bool:
    if not extra:
        return False
    try:
        return detect_language(value) == language
    except UndetectableLanguage:
        return True  # the reference logs and counts it as followed


# -- keywords ----------------------------------------------------------------

def keywords_existence(value: str, kw: dict) -> bool:
    keywords = _need(kw, "keywords", list)
    return all(re.search(k, value, flags=re.IGNORECASE) for k in sorted(keywords))


def keywords_frequency(value: str, kw: dict) -> bool:
    keyword = _need(kw, "keyword", str).strip()
    return _compare(len(re.findall(keyword, value, flags=re.IGNORECASE)), _relation(kw, "relation"),
                    _need(kw, "frequency"))


def keywords_forbidden_words(value: str, kw: dict) -> bool:
    words = sorted(set(_need(kw, "forbidden_words", list)))
    return not any(re.search(r"\b" + w + r"\b", value, flags=re.IGNORECASE) for w in words)


def keywords_letter_frequency(value: str, kw: dict) -> bool:
    # The reference draws a random ASCII letter when `letter` is not one (two IFEval prompts ask
    # for '#' and '!'), so its verdict there is random; benchgate counts the character asked for.
    letter = _need(kw, "letter", str).strip().lower()
    if len(letter) != 1:
        raise InstructionError(f"kwarg 'letter' must be one character, got {kw.get('letter')!r}")
    count = collections.Counter(value.lower())[letter]
    return _compare(count, _relation(kw, "let_relation"), _need(kw, "let_frequency"))


# -- language, length ----------------------------------------------------------

def language_response_language(value: str, kw: dict) -> bool:
    return _language_is(value, _need(kw, "language", str))


def length_number_sentences(value: str, kw: dict) -> bool:
    return _compare(count_sentences(value), _relation(kw, "relation"), _need(kw, "num_sentences"))


def length_number_paragraphs(value: str, kw: dict) -> bool:
    paragraphs = re.split(r"\s?\*\*\*\s?", value)
    n = len(paragraphs)
    for i, paragraph in enumerate(paragraphs):
        if not paragraph.strip():
            if i in (0, len(paragraphs) - 1):
                n -= 1
            else:
                return False
    return n == _need(kw, "num_paragraphs")


def length_number_words(value: str, kw: dict) -> bool:
    return _compare(count_words(value), _relation(kw, "relation"), _need(kw, "num_words"))


def length_nth_paragraph_first_word(value: str, kw: dict) -> bool:
    num, nth = _need(kw, "num_paragraphs"), _need(kw, "nth_paragraph")
    if not 0 < nth <= num:
        raise InstructionError(f"nth_paragraph must be in 1..num_paragraphs, got {nth} of {num}")
    wanted = _need(kw, "first_word", str).lower()
    paragraphs = re.split(r"\n\n", value)
    n = sum(1 for p in paragraphs if p.strip())
    if nth > n:
        return False
    paragraph = paragraphs[nth - 1].strip()
    if not paragraph:
        return False
    word = paragraph.split()[0].strip().lstrip("'").lstrip('"')
    first = ""
    for ch in word:
        if ch in ".,?!'\"":
            break
        first += ch.lower()
    return n == num and first == wanted


# -- detectable content and format ----------------------------------------------

def content_number_placeholders(value: str, kw: dict) -> bool:
    return len(re.findall(r"\[.*?\]", value)) >= _need(kw, "num_placeholders")


def content_postscript(value: str, kw: dict) -> bool:
    marker = _need(kw, "postscript_marker", str).strip()
    if marker == "P.P.S":
        pattern = r"\s*p\.\s?p\.\s?s.*$"
    elif marker == "P.S.":
        pattern = r"\s*p\.\s?s\..*$"
    else:
        pattern = r"\s*" + marker.lower() + r".*$"
    return bool(re.findall(pattern, value.lower(), flags=re.MULTILINE))


def format_number_bullet_lists(value: str, kw: dict) -> bool:
    stars = re.findall(r"^\s*\*[^\*].*$", value, flags=re.MULTILINE)
    dashes = re.findall(r"^\s*-.*$", value, flags=re.MULTILINE)
    return len(stars) + len(dashes) == _need(kw, "num_bullets")


def format_constrained_response(value: str, kw: dict) -> bool:
    value = value.strip()
    return any(option in value for option in CONSTRAINED_RESPONSES)


def format_number_highlighted_sections(value: str, kw: dict) -> bool:
    single = [h for h in re.findall(r"\*[^\n\*]*\*", value) if h.strip("*").strip()]
    double = [h for h in re.findall(r"\*\*[^\n\*]*\*\*", value) if h.removeprefix("**").removesuffix("**").strip()]
    return len(single) + len(double) >= _need(kw, "num_highlights")


def format_multiple_sections(value: str, kw: dict) -> bool:
    splitter = _need(kw, "section_spliter", str).strip()
    sections = re.split(r"\s?" + splitter + r"\s?\d+\s?", value)
    return len(sections) - 1 >= _need(kw, "num_sections")


def format_json_format(value: str, kw: dict) -> bool:
    value = (value.strip().removeprefix("```json").removeprefix("```Json").removeprefix("```JSON")
             .removeprefix("```").removesuffix("```").strip())
    try:
        json.loads(value)
    except ValueError:
        return False
    return True


def format_title(value: str, kw: dict) -> bool:
    return any(t.lstrip("<").rstrip(">").strip() for t in re.findall(r"<<[^\n]+>>", value))


# -- combination, start/end, case, punctuation -------------------------------------

def combination_two_responses(value: str, kw: dict) -> bool:
    parts = value.split(TWO_RESPONSES_SEPARATOR)
    valid = []
    for i, part in enumerate(parts):
        if not part.strip():
            if i not in (0, len(parts) - 1):
                return False
        else:
            valid.append(part)
    return len(valid) == 2 and valid[0].strip() != valid[1].strip()


def combination_repeat_prompt(value: str, kw: dict) -> bool:
    prompt = _need(kw, "prompt_to_repeat", str)
    return value.strip().lower().startswith(prompt.strip().lower())


def startend_end_checker(value: str, kw: dict) -> bool:
    return value.strip().strip('"').lower().endswith(_need(kw, "end_phrase", str).strip().lower())


def startend_quotation(value: str, kw: dict) -> bool:
    value = value.strip()
    return len(value) > 1 and value[0] == '"' and value[-1] == '"'


def case_capital_word_frequency(value: str, kw: dict) -> bool:
    capitals = sum(1 for w in word_tokenize(value) if w.isupper())
    return _compare(capitals, _relation(kw, "capital_relation"), _need(kw, "capital_frequency"))


def case_english_capital(value: str, kw: dict) -> bool:
    return _language_is(value, "en", value.isupper())


def case_english_lowercase(value: str, kw: dict) -> bool:
    return _language_is(value, "en", value.islower())


def punctuation_no_comma(value: str, kw: dict) -> bool:
    return "," not in value


CHECKERS: dict[str, Checker] = {
    "keywords:existence": keywords_existence,
    "keywords:frequency": keywords_frequency,
    "keywords:forbidden_words": keywords_forbidden_words,
    "keywords:letter_frequency": keywords_letter_frequency,
    "language:response_language": language_response_language,
    "length_constraints:number_sentences": length_number_sentences,
    "length_constraints:number_paragraphs": length_number_paragraphs,
    "length_constraints:number_words": length_number_words,
    "length_constraints:nth_paragraph_first_word": length_nth_paragraph_first_word,
    "detectable_content:number_placeholders": content_number_placeholders,
    "detectable_content:postscript": content_postscript,
    "detectable_format:number_bullet_lists": format_number_bullet_lists,
    "detectable_format:constrained_response": format_constrained_response,
    "detectable_format:number_highlighted_sections": format_number_highlighted_sections,
    "detectable_format:multiple_sections": format_multiple_sections,
    "detectable_format:json_format": format_json_format,
    "detectable_format:title": format_title,
    "combination:two_responses": combination_two_responses,
    "combination:repeat_prompt": combination_repeat_prompt,
    "startend:end_checker": startend_end_checker,
    "startend:quotation": startend_quotation,
    "change_case:capital_word_frequency": case_capital_word_frequency,
    "change_case:english_capital": case_english_capital,
    "change_case:english_lowercase": case_english_lowercase,
    "punctuation:no_comma": punctuation_no_comma,
}


def validate(instruction_ids: Sequence[str], kwargs: Sequence[dict]) -> None:
    """Raise InstructionError when a prompt's instructions cannot be checked (unknown id,
    missing or bad kwargs): each checker is run once on a probe text."""
    if len(instruction_ids) != len(kwargs):
        raise InstructionError(f"{len(instruction_ids)} instruction ids but {len(kwargs)} kwargs")
    for iid, kw in zip(instruction_ids, kwargs):
        if iid not in CHECKERS:
            raise InstructionError(f"unknown instruction id {iid!r}")
        if not isinstance(kw, dict):
            raise InstructionError(f"kwargs of {iid} must be an object, got {kw!r}")
        CHECKERS[iid]("a probe text.", kw)


LOOSE_STAR = "*"


def loose_variants(response: str) -> list[str]:
    """The reference's loose responses: the response, without '*', without its first line, its
    last line, or both, and those three without '*'."""
    lines = response.split("\n")
    first, last, both = ("\n".join(lines[1:]).strip(), "\n".join(lines[:-1]).strip(),
                         "\n".join(lines[1:-1]).strip())
    return [response, response.replace(LOOSE_STAR, ""), first, last, both,
            first.replace(LOOSE_STAR, ""), last.replace(LOOSE_STAR, ""), both.replace(LOOSE_STAR, "")]


def follows(instruction_ids: Sequence[str], kwargs: Sequence[dict], response: str, loose: bool = False) -> list[bool]:
    """Per instruction, whether the response (strict), or any of its loose variants, follows
    it; an empty response follows nothing."""
    responses = loose_variants(response) if loose else [response]
    return [any(r.strip() and CHECKERS[iid](r, kw) for r in responses)
            for iid, kw in zip(instruction_ids, kwargs)]
