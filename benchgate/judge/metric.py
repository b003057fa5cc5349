"""Judge metrics for ordinary benchmarks: `--dataset-args '{"general_qa": {"judge": "score"}}'`.

Any benchmark accepts the dataset arg ``judge``:

- ``"score"``: the judge rates each answer 1-10 (``[[rating]]``, FastChat's parser) -> metric
  ``judge_score``; with a reference answer the prompt shows it;
- ``"correct"``: the judge says whether the answer is correct against the reference
  (``[[correct]]`` / ``[[incorrect]]``) -> metric ``judge_correct`` (1 or 0);
- an object ``{"metric": "score"|"correct", "prompt_file": FILE, "template": NAME}`` to
  use one of your own templates (FastChat/EvalScope format, type ``single``; placeholders
  ``{question}``, ``{answer}``, ``{ref_answer_1}``).

A reply that does not parse is a parse failure: the sample gets no judge metric (it is
excluded from the mean, never a 0) and ``judge_parse_failure`` = 1, so the failure rate is
reported beside the metric. The judge runs after the model, for a whole prediction group
in one batched, cached call (see `benchgate.engine.state`).

A panel judge (``--judge-model panel:FILE``, `benchgate.models.panel`): each member's reply is
parsed; ``judge_score`` is the mean of the members' ratings, ``judge_correct`` the majority
verdict (an even split is a tie, 0.5); members whose reply does not parse do not count, and
only when none parses is it a parse failure. Each member's value is kept as
``judge_score_member_<name>`` / ``judge_correct_member_<name>``, and its calls and tokens
(prompt + completion, as its API reported them) as components summed over each scope of the
results by `usage_totals`: ``judge_calls_member_<name>``, ``judge_tokens_member_<name>``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from benchgate.judge.model import JudgePrompt, JudgeReply
from benchgate.judge.panel_verdicts import majority
from benchgate.judge.templates import JudgeTemplate, TemplateError, load_templates
from benchgate.judge.verdicts import VerdictError, parse_rating_fastchat
from benchgate.models.panel import member_key, member_tokens, split_panel_reply

METRICS = ("score", "correct")
PARSE_FAILURE = "judge_parse_failure"

_SYSTEM = "You are an impartial judge of the answers an AI assistant gives to user questions."
_SCORE = (
    "Judge the answer below for helpfulness, relevance, accuracy and level of detail. "
    "First explain your judgment briefly, then rate the answer from 1 (worst) to 10 (best) "
    "in exactly this form: \"Rating: [[n]]\".\n\n"
    "[Question]\n{question}\n\n[Answer]\n{answer}\n[End of Answer]")
_SCORE_REF = (
    "Judge the answer below for correctness and helpfulness, using the reference answer as "
    "the ground truth. First explain your judgment briefly, then rate the answer from 1 "
    "(worst) to 10 (best) in exactly this form: \"Rating: [[n]]\".\n\n"
    "[Question]\n{question}\n\n[Reference Answer]\n{ref_answer_1}\n[End of Reference Answer]"
    "\n\n[Answer]\n{answer}\n[End of Answer]")
_CORRECT = (
    "Decide whether the answer below is correct, using the reference answer as the ground "
    "truth: it is correct when it gives the same final result, whatever its wording. First "
    "explain briefly, then end with exactly one verdict: [[correct]] or [[incorrect]].\n\n"
    "[Question]\n{question}\n\n[Reference Answer]\n{ref_answer_1}\n[End of Reference Answer]"
    "\n\n[Answer]\n{answer}\n[End of Answer]")
BUILTIN = {
    "score": JudgeTemplate("benchgate-score", "single", _SYSTEM, _SCORE, "[[rating]]",
                           source="builtin"),
    "score-ref": JudgeTemplate("benchgate-score-ref", "single", _SYSTEM, _SCORE_REF, "[[rating]]",
                               source="builtin"),
    "correct": JudgeTemplate("benchgate-correct", "single", _SYSTEM, _CORRECT, "[[correct]]",
                             source="builtin"),
}
_CORRECT_RE = re.compile(r"\[\[\s*(correct|incorrect)\s*\]\]", re.IGNORECASE)


@dataclass
class JudgeInput:
    """What a judge metric shows the judge about one sample."""

    question: str
    answer: str
    reference: str | None = None


@dataclass
class JudgeSpec:
    """The parsed `judge` dataset arg."""

    metric: str
    template: JudgeTemplate | None = None  # a user template; None: the built-in ones

    def pick(self, has_reference: bool) -> JudgeTemplate:
        if self.template is not None:
            return self.template
        if self.metric == "correct":
            return BUILTIN["correct"]
        return BUILTIN["score-ref" if has_reference else "score"]


@dataclass
class JudgeScores:
    """A judge metric's scores for one sample and, per reply, its verdict or parse error;
    `extracted`, when set, replaces the sample's extracted answer (a judge's label)."""

    scores: dict[str, float]
    details: list[dict[str, Any]] = field(default_factory=list)
    extracted: Any = None


def parse_spec(value: Any, bench: str) -> JudgeSpec | None:
    """The `judge` dataset arg of `bench` -> JudgeSpec (None: no judge metric)."""
    where = f"--dataset-args: {bench}.judge"
    if value in (None, False, ""):
        return None
    if isinstance(value, str):
        value = {"metric": value}
    if not isinstance(value, dict):
        raise ValueError(f"{where} must be 'score', 'correct' or an object, got {value!r}")
    unknown = sorted(set(value) - {"metric", "prompt_file", "template"})
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {unknown} (accepted: metric, prompt_file, template)")
    metric = value.get("metric", "score")
    if metric not in METRICS:
        raise ValueError(f"{where}.metric must be one of {METRICS}, got {metric!r}")
    template = None
    if value.get("prompt_file"):
        try:
            templates = [t for t in load_templates(Path(value["prompt_file"]).expanduser())
                         if t.type == "single"]
        except TemplateError as e:
            raise ValueError(f"{where}.prompt_file: {e}") from None
        name = value.get("template")
        chosen = [t for t in templates if t.name == name] if name else templates[:1]
        if not chosen:
            raise ValueError(f"{where}.template: no single-answer template {name!r} in "
                             f"{value['prompt_file']} (have: {[t.name for t in templates]})")
        template = chosen[0]
    elif value.get("template"):
        raise ValueError(f"{where}.template needs a prompt_file")
    return JudgeSpec(metric, template)


def judge_prompts(spec: JudgeSpec, inp: JudgeInput, tag: str) -> list[JudgePrompt]:
    """The judge request for one sample."""
    if spec.metric == "correct" and inp.reference is None:
        raise ValueError("the 'correct' judge metric needs a reference answer (the sample has none)")
    template = spec.pick(inp.reference is not None)
    system, user = template.render({"question": inp.question, "answer": inp.answer,
                                    "ref_answer_1": inp.reference})
    return [JudgePrompt.of(system, user, {"template": template.name, "metric": spec.metric,
                                          "tag": tag})]


def parse_correct(text: str) -> bool:
    """The last [[correct]] / [[incorrect]] verdict of the text."""
    found = _CORRECT_RE.findall(text)
    if not found:
        raise VerdictError("no [[correct]] or [[incorrect]] verdict")
    return found[-1].lower() == "correct"


def judge_scores(spec: JudgeSpec, replies: Sequence[JudgeReply]) -> JudgeScores:
    """Scores from the judge's reply: judge_score (1-10) or judge_correct (0/1), plus
    judge_parse_failure (0/1). A failed parse gives no judge metric, never a 0."""
    name = "judge_score" if spec.metric == "score" else "judge_correct"
    details = []
    scores: dict[str, float] = {}
    failed = 0
    for reply in replies:
        members = split_panel_reply(reply.text or "")
        if members is not None:
            value, detail = _panel_value(spec, members, name, scores)
            details.append(detail)
            if value is None:
                failed += 1
            else:
                scores[name] = value
            continue
        try:
            value = _value(spec, reply.text or "")
            details.append({"verdict": value, "parse_error": None})
            scores[name] = float(value)
        except VerdictError as e:
            failed += 1
            details.append({"verdict": None, "parse_error": str(e)})
    scores[PARSE_FAILURE] = float(failed > 0)
    return JudgeScores(scores, details)


USAGE_PREFIXES = ("_judge_calls_member_", "_judge_tokens_member_")


def usage_totals(scores: Sequence[dict[str, float]]) -> dict[str, float]:
    """A panel judge's calls and tokens per member, summed over the samples' components."""
    out: dict[str, float] = {}
    for s in scores:
        for key, value in s.items():
            if key.startswith(USAGE_PREFIXES):
                out[key[1:]] = out.get(key[1:], 0.0) + value
    return out


def count_member_call(scores: dict[str, float], who: str, usage: dict | None) -> None:
    """One call of panel member `who` and its tokens, added to the components that
    `usage_totals` sums into results.json."""
    calls, tokens = (f"{p}{member_key(who)}" for p in USAGE_PREFIXES)
    scores[calls] = scores.get(calls, 0.0) + 1
    scores[tokens] = scores.get(tokens, 0.0) + sum(member_tokens(usage))


def _value(spec: JudgeSpec, text: str) -> float:
    if spec.metric == "score":
        return float(parse_rating_fastchat(text).rating)
    return float(parse_correct(text))


def _panel_value(spec: JudgeSpec, members: list[dict[str, Any]], name: str,
                 scores: dict[str, float]) -> tuple[float | None, dict[str, Any]]:
    """A panel's value (mean rating, or majority verdict with an even split 0.5) and details."""
    values, per_member = [], {}
    for i, member in enumerate(members):
        who = str(member.get("name", i))
        count_member_call(scores, who, member.get("usage"))
        try:
            value = _value(spec, member["text"])
        except VerdictError as e:
            per_member[who] = {"verdict": None, "parse_error": str(e)}
            continue
        values.append(value)
        per_member[who] = {"verdict": value, "parse_error": None}
        scores[f"{name}_member_{member_key(who)}"] = value
    if not values:
        return None, {"verdict": None, "parse_error": "no panel member's reply parsed", "members": per_member}
    if spec.metric == "score":
        value = sum(values) / len(values)
    else:  # the majority verdict; an even split is the mean of the tied ones, 0.5
        winners = majority(values)
        value = sum(winners) / len(winners)
    return value, {"verdict": value, "parse_error": None, "members": per_member}
