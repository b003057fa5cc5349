"""Judging a prediction group of units: answers first, then every judgment of the group in
one batched, cached call per judge, then verdict parsing (and, optionally, one re-ask of the
judgments that gave no verdict).

In a dry run the candidates still answer, but no judge is called: each judgment gets a
seeded random judge text (verdicts, ties and some malformed ones) that goes through the same
parsing and rating code.
"""
from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Any, Sequence

from benchgate.arena.candidates import Candidate
from benchgate.arena.config import ReviewerSpec
from benchgate.arena.plan import Unit
from benchgate.judge.model import Judge, JudgePrompt
from benchgate.judge.templates import JudgeTemplate, select_template
from benchgate.judge.panel_verdicts import panel_aware
from benchgate.judge.verdicts import ARENA_HARD_LABELS, Verdict, VerdictError, get_parser
from benchgate.models.panel import split_panel_reply, with_reask

REASK = "Please finish your judgment now: give your final verdict in exactly the required format."
DRY_MALFORMED = 0.1  # share of malformed dry-run judge texts


@dataclass
class Judgment:
    """One judge's verdict on one turn of a unit, in one answer order."""

    judge: str
    turn: int
    order: str | None  # "ab": model_a's answer shown first; "ba"; None in single mode
    template: str | None = None
    prompt: JudgePrompt | None = None
    response: str | None = None
    verdict: Verdict | None = None
    parse_error: str | None = None
    attempts: int = 1
    reasked: list[str] = field(default_factory=list)  # a panel: the members asked once more
    cached: bool = False
    tstamp: float = 0.0
    scores: tuple[float, float] | None = None  # reward model: the two answers' scores, in order shown

    def winner(self) -> str | None:
        """The winner in the unit's own terms (model_a, model_b, tie); None: no verdict."""
        if self.verdict is None or self.verdict.winner is None:
            return None
        w = self.verdict.winner
        if w == "tie":
            return "tie"
        first_is_a = self.order != "ba"
        return "model_a" if (w == "A") == first_is_a else "model_b"

    def record(self) -> dict[str, Any]:
        """The judgment as stored in samples.jsonl."""
        system = None
        if self.prompt is not None and self.prompt.messages[0]["role"] == "system":
            system = self.prompt.messages[0]["content"]
        return {"judge": self.judge, "turn": self.turn, "order": self.order,
                "template": self.template, "system_prompt": system,
                "prompt": self.prompt.user if self.prompt is not None and (self.attempts == 1 or self.reasked)
                else (self.prompt.messages[-3]["content"] if self.prompt is not None else None),
                "response": self.response,
                "verdict": self.verdict.to_json() if self.verdict is not None else None,
                "winner": self.winner(), "strength": self.verdict.strength if self.verdict else None,
                "rating": self.verdict.rating if self.verdict else None,
                "scores": list(self.scores) if self.scores is not None else
                (list(self.verdict.ratings) if self.verdict and self.verdict.ratings else None),
                "parse_error": self.parse_error, "attempts": self.attempts,
                **({"reasked_members": list(self.reasked)} if self.reasked else {}),
                "cached": self.cached, "tstamp": self.tstamp}


@dataclass
class UnitOutcome:
    """A unit's answers and judgments, or the error that stopped it."""

    unit: Unit
    answers: dict[str, tuple[str, ...]] = field(default_factory=dict)
    judgments: list[Judgment] = field(default_factory=list)
    error: str | None = None


@dataclass
class _Task:
    outcome: UnitOutcome
    judgment: Judgment
    parse: Any = None
    output_format: str = ""
    member_parse: Any = None  # one judge's parser (a panel's members' texts)


def _shown(outcome: UnitOutcome, order: str | None) -> tuple[tuple[str, ...], tuple[str, ...] | None]:
    unit = outcome.unit
    a = outcome.answers[unit.model_a]
    if unit.model_b is None:
        return a, None
    b = outcome.answers[unit.model_b]
    return (b, a) if order == "ba" else (a, b)


def template_values(template: JudgeTemplate, unit: Unit, first: tuple[str, ...],
                    second: tuple[str, ...] | None, reference: tuple[str, ...] | None,
                    turn: int) -> dict[str, Any]:
    """The placeholders of FastChat's/EvalScope's templates for a turn of a unit."""
    q = unit.question.turns
    values: dict[str, Any] = {}
    if template.turns == 1:
        i = turn - 1
        values["question"] = q[i]
        if second is None:
            values["answer"] = first[i]
        else:
            values["answer_a"], values["answer_b"] = first[i], second[i]
        if reference:
            values["ref_answer_1"] = reference[i] if i < len(reference) else reference[-1]
        return values
    for i in range(turn):
        values[f"question_{i + 1}"] = q[i]
        if second is None:
            values[f"answer_{i + 1}"] = first[i]
        else:
            values[f"answer_a_{i + 1}"], values[f"answer_b_{i + 1}"] = first[i], second[i]
        if reference and i < len(reference):
            values[f"ref_answer_{i + 1}"] = reference[i]
    return values


def dry_text(rng: random.Random, kind: str, output_format: str, parser: str) -> str:
    """A random judge text in the verdict format the parser reads (some malformed)."""
    head = "(dry run: no judge was called) "
    if rng.random() < DRY_MALFORMED:
        return head + "no verdict"
    if kind == "single":
        rating = rng.randint(1, 10)
        return head + (f'{{"rating": {rating}}}' if "json" in (parser, output_format)
                       else f"Rating: [[{rating}]]")
    if parser == "arena_hard" or output_format == "[[A>>B]]":
        return head + f"My final verdict: [[{rng.choice(list(ARENA_HARD_LABELS))}]]"
    if "json" in (parser, output_format):
        return head + f'{{"winner": "{rng.choice(["A", "B", "tie"])}"}}'
    if output_format == "[[rating_a,rating_b]]":
        return head + f"[[{rng.randint(1, 10)}, {rng.randint(1, 10)}]]"
    return head + rng.choice(["[[A]]", "[[A]]", "[[B]]", "[[B]]", "[[C]]"])


class ArenaJudging:
    """Runs the judgments of units: candidates answer, judges judge (see module docstring)."""

    def __init__(self, *, candidates: dict[str, Candidate], judges: dict[str, Judge | None],
                 judge_kind: str, templates: list[JudgeTemplate], references: dict[str, tuple],
                 reviewer: ReviewerSpec, seed: int, dry_run: bool):
        self.candidates = candidates
        self.judges = judges  # name -> Judge (None in a dry run: never called)
        self.judge_kind = judge_kind  # generative | reward_model (peer judges are generative)
        self.templates = templates
        self.references = references
        self.reviewer = reviewer
        self.kind = "single" if reviewer.mode == "single" else "pairwise"
        self.seed = seed
        self.dry_run = dry_run

    # -- answers ----------------------------------------------------------------------
    def _answers(self, units: Sequence[Unit]) -> dict[str, dict[str, Any]]:
        wanted: dict[str, dict[str, Any]] = {}
        for u in units:
            for m in u.models:
                wanted.setdefault(m, {})[u.question.id] = u.question
        return {m: self.candidates[m].answers(list(qs.values())) for m, qs in wanted.items()}

    # -- main -------------------------------------------------------------------------
    def run(self, units: Sequence[Unit]) -> dict[str, UnitOutcome]:
        answers = self._answers(units)
        outcomes: dict[str, UnitOutcome] = {}
        tasks: list[_Task] = []
        for u in units:
            outcome = outcomes[u.id] = UnitOutcome(u)
            errors = [answers[m][u.question.id] for m in u.models
                      if isinstance(answers[m][u.question.id], str)]
            if errors:
                outcome.error = "; ".join(dict.fromkeys(errors))
                continue
            outcome.answers = {m: answers[m][u.question.id] for m in u.models}
            for turn in u.turns:
                for judge in u.judges:
                    for order in u.orders:
                        j = Judgment(judge=judge or self._judge_name(), turn=turn, order=order)
                        outcome.judgments.append(j)
                        tasks.append(_Task(outcome, j))
        by_judge: dict[str, list[_Task]] = {}
        for t in tasks:
            by_judge.setdefault(t.judgment.judge, []).append(t)
        for name, judge_tasks in by_judge.items():
            try:
                if self.judge_kind == "reward_model":
                    self._reward(name, judge_tasks)
                else:
                    self._generative(name, judge_tasks)
            except Exception as e:  # a template or judge that cannot work fails its units
                for t in judge_tasks:
                    t.outcome.error = t.outcome.error or f"judging failed: {type(e).__name__}: {e}"
        return outcomes

    def _judge_name(self) -> str:
        (name,) = self.judges
        return name

    # -- generative judges ----------------------------------------------------------------
    def _render(self, task: _Task) -> None:
        j, unit = task.judgment, task.outcome.unit
        q = unit.question
        reference = self.references.get(q.id) or q.reference
        template = select_template(self.templates, self.kind, q.category, j.turn,
                                   has_reference=bool(reference))
        first, second = _shown(task.outcome, j.order)
        values = template_values(template, unit, first, second, reference, j.turn)
        system, user = template.render(values)
        j.template = template.name
        j.prompt = JudgePrompt.of(system, user, {"template": template.name, "order": j.order})
        task.member_parse = get_parser(self.reviewer.parser, template.output_format, self.kind)
        task.parse = panel_aware(task.member_parse, self.kind)
        task.output_format = template.output_format

    def _parse(self, task: _Task, text: str) -> None:
        j = task.judgment
        j.response = text
        try:
            j.verdict, j.parse_error = task.parse(text), None
        except VerdictError as e:
            j.verdict, j.parse_error = None, str(e)

    def _generative(self, name: str, tasks: list[_Task]) -> None:
        for t in tasks:
            self._render(t)
        now = time.time()
        if self.dry_run:
            for t in tasks:
                j = t.judgment
                rng = random.Random(f"{self.seed}/{t.outcome.unit.id}/{j.turn}/{name}/{j.order}")
                self._parse(t, dry_text(rng, self.kind, t.output_format, self.reviewer.parser))
                j.tstamp = now
            return
        judge = self.judges[name]
        replies = judge.complete([t.judgment.prompt for t in tasks], label=f"judge {name}")
        retry: list[tuple[_Task, str]] = []  # (task, panel member or "" for one judge)
        for t, reply in zip(tasks, replies):
            t.judgment.tstamp = time.time()
            if reply.error:
                t.outcome.error = t.outcome.error or f"judge {name} failed: {reply.error}"
                continue
            t.judgment.cached = reply.cached
            self._parse(t, reply.text)
            if self.reviewer.reask_unparsed:
                retry += [(t, member) for member in self._unparsed(t, reply.text)]
        if retry:
            self._reask(name, judge, retry)

    def _unparsed(self, task: _Task, text: str) -> list[str]:
        """Who to ask again: "" when one judge's text held no verdict at all; for a panel reply,
        each member whose text held none (whatever the others said)."""
        members = split_panel_reply(text)
        texts = [("", text)] if members is None else [(str(m.get("name", i)), m["text"]) for i, m in enumerate(members)]
        out = []
        for member, one in texts:
            try:
                task.member_parse(one)
            except VerdictError as e:
                if e.retryable:
                    out.append(member)
        return out

    def _reask(self, name: str, judge: Judge, retry: list[tuple[_Task, str]]) -> None:
        """One batched call continuing each conversation whose reply held no verdict (arena-hard's
        second judgment attempt); a panel member's is sent to that member alone. The two texts
        are read together; the judgment's `attempts` becomes 2 (a panel's: its re-asked members
        in `reasked`)."""
        asks = []
        for t, member in retry:
            members = {str(m.get("name", i)): m["text"] for i, m in enumerate(split_panel_reply(t.judgment.response) or [])}
            asks.append(t.judgment.prompt.followed_by(members[member] if member else t.judgment.response, REASK, member))
        replies = judge.complete(asks, label=f"judge {name} (re-ask)")
        for (t, member), ask, reply in zip(retry, asks, replies):
            if reply.error:
                t.outcome.error = t.outcome.error or f"judge {name} failed: {reply.error}"
                continue
            first = t.judgment.response
            t.judgment.attempts = 2
            if not member:
                t.judgment.prompt = ask
                self._parse(t, first + "\n" + reply.text)
                continue
            (answer,) = split_panel_reply(reply.text) or [{"text": reply.text}]
            t.judgment.reasked.append(member)
            self._parse(t, with_reask(first, member, answer["text"], answer.get("usage")))

    # -- reward models ----------------------------------------------------------------
    def _conversation(self, outcome: UnitOutcome, model: str, turn: int) -> tuple:
        q = outcome.unit.question
        messages = []
        for i in range(turn):
            messages += [{"role": "user", "content": q.turns[i]},
                         {"role": "assistant", "content": outcome.answers[model][i]}]
        return tuple(messages)

    def _reward(self, name: str, tasks: list[_Task]) -> None:
        keys: dict[tuple, tuple] = {}
        for t in tasks:
            for m in t.outcome.unit.models:
                keys.setdefault((m, t.outcome.unit.question.id, t.judgment.turn),
                                self._conversation(t.outcome, m, t.judgment.turn))
        order = list(keys)
        scores: dict[tuple, float] = {}
        if self.dry_run:
            for k in order:
                scores[k] = random.Random(f"{self.seed}/{name}/{k[0]}/{k[1]}/{k[2]}").gauss(0.0, 1.0)
        else:
            replies = self.judges[name].reward([keys[k] for k in order], label=f"judge {name}")
            for k, reply in zip(order, replies):
                if reply.error:
                    for t in tasks:
                        if (k[1], k[2]) == (t.outcome.unit.question.id, t.judgment.turn) \
                                and k[0] in t.outcome.unit.models:
                            t.outcome.error = t.outcome.error or f"judge {name} failed: {reply.error}"
                else:
                    scores[k] = reply.score
        now = time.time()
        margin = self.reviewer.tie_margin
        for t in tasks:
            j, unit = t.judgment, t.outcome.unit
            j.tstamp = now
            got = [scores.get((m, unit.question.id, j.turn)) for m in unit.models]
            if any(s is None for s in got):
                continue
            if unit.model_b is None:
                j.verdict = Verdict(f"{got[0]:.6g}", rating=got[0])
                j.response = f"reward {got[0]:.6g}"
                continue
            first, second = (got[1], got[0]) if j.order == "ba" else (got[0], got[1])
            winner = "tie" if abs(first - second) <= margin else ("A" if first > second else "B")
            j.scores = (first, second)
            j.verdict = Verdict(f"{first:.6g} vs {second:.6g}", winner)
            j.response = f"reward {first:.6g} vs {second:.6g}"
