"""The `judge` fixture's object: the run's judge (--judge-model) for hand-written tests, batched.

It is the same `benchgate.judge.Judge` the benchmarks' judge metrics and the arena use (one
per process, cached under its fingerprint). pytest runs one test at a time, so a judge call
in a test must not become one judge call per test. A judge prompt in a test parametrized over
cases is usually built from the case (its prompt, target, row fields) and the model's answer.
On a test's first judge call of a prediction group (`--group-size` cases of one test
function), the prompt is read as a template: each of those values that occurs in it exactly
once becomes a slot. The template is filled for every not-yet-run test of the group whose
values are known (the model's answers come from the group's batched `model.generate`), and
the judge is asked for all of them in one batched, cached pass; the tests that follow find
their replies ready. A guess is only a prefetch: each test's reply is always the one to the
exact prompt it sends. A template that a later test does not use is not guessed again for
that judge call (the n-th of the test) of that test function.

    reply = judge.ask(f"Is this answer polite? {answer}\\nReply yes or no.")   # raw text
    value = judge.score(case.prompt, answer, reference=case.target)          # 1-10 or None
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Sequence

import pytest

from benchgate.engine.plain import RUN_KEY, ModelCallError, pending_members, sample_of
from benchgate.judge.metric import JudgeInput, judge_prompts, judge_scores, parse_spec
from benchgate.judge.model import JudgePrompt, JudgeReply

NO_JUDGE = ("no judge configured: pass --judge-model (and --judge-api-url for a judge behind an "
            "OpenAI-compatible API) to run judge-scored evals")
JUDGED_KEY = pytest.StashKey[dict]()  # call position -> {judge request key -> JudgeReply}, prefetched
CALLS_KEY = pytest.StashKey[int]()  # judge calls the running test has made


@dataclass(frozen=True)
class Slot:
    """A place in a judge prompt template, filled by the value these names share (e.g.
    ("answer",), or ("answer", "target") when the two were equal): `answer`, `prompt`,
    `target`, `data.<field>`."""

    names: tuple


def _key(prompt: JudgePrompt) -> str:
    return json.dumps([list(prompt.messages), prompt.tag, prompt.max_new_tokens],
                      sort_keys=True, ensure_ascii=False)


def template_of(text: str, values: dict[str, str | None]) -> tuple:
    """`text` as literal pieces and Slots. Longest value first: a value (shared by k names)
    that occurs at least once and at most k times in the text not yet taken by a longer one
    becomes a slot at each place (empty or None values never). Filling it back with `values`
    gives `text`."""
    shared: dict[str, list[str]] = {}
    for name, value in values.items():
        if value:
            shared.setdefault(value, []).append(name)
    parts: list = [text] if text else []
    for value in sorted(shared, key=len, reverse=True):
        count = sum(p.count(value) for p in parts if isinstance(p, str))
        if not 1 <= count <= len(shared[value]):
            continue
        slot = Slot(tuple(shared[value]))
        out: list = []
        for part in parts:
            if not isinstance(part, str) or value not in part:
                out.append(part)
                continue
            pieces = part.split(value)
            for i, piece in enumerate(pieces):
                if i:
                    out.append(slot)
                if piece:
                    out.append(piece)
        parts = out
    return tuple(parts)


def fill(template: tuple, values: dict[str, str | None]) -> str | None:
    """The template with `values` in its slots (None: a slot's value is unknown, or its
    names' values differ here)."""
    out = []
    for part in template:
        if isinstance(part, Slot):
            found = {values.get(name) for name in part.names}
            if len(found) != 1 or None in found:
                return None
            out.append(found.pop())
        else:
            out.append(part)
    return "".join(out)


class JudgeCalls:
    """The run's judge for plain tests (see the module docstring)."""

    def __init__(self, state):
        self._state = state
        self._tried: set[tuple] = set()  # (group, templates) prefetched
        self.no_guess: set[tuple] = set()  # (test function, call position) whose template missed

    @property
    def _judge(self):
        judge = self._state.judge
        if judge is None:
            pytest.skip(NO_JUDGE)
        return judge

    @property
    def name(self) -> str:
        return self._judge.name

    def describe(self) -> dict:
        """The judge's public identity (name, kind, model, endpoint; never a key)."""
        return self._judge.describe()

    # -- calls ----------------------------------------------------------------
    def ask(self, prompt: str | Sequence[dict], *, system: str | None = None,
            max_new_tokens: int | None = None) -> str:
        """The judge's raw reply to one prompt (a string, or chat messages), with the run's
        --judge-generation-config; `max_new_tokens` overrides its limit for this prompt."""
        return self._reply(self._prompt(prompt, system, max_new_tokens, tag="plain")).text

    def score(self, question: str, answer: str, reference: str | None = None, *,
              metric: str = "score") -> float | None:
        """Grade an answer with benchgate's judge metric (the same prompts and parsers as the
        benchmarks' `judge` dataset arg): `metric="score"` rates 1-10 (`judge_score`),
        `"correct"` gives 1 or 0 against the reference (`judge_correct`). The score and
        `judge_parse_failure` are recorded for the test; a reply that does not parse records
        the failure, no score, and returns None (never a 0)."""
        spec = parse_spec(metric, "judge.score")
        (prompt,) = judge_prompts(spec, JudgeInput(question, answer, reference), "plain")
        reply = self._reply(prompt, record=False)
        judged = judge_scores(spec, [reply])
        name = "judge_score" if spec.metric == "score" else "judge_correct"
        run = self._run()
        if run is not None:
            run.first_metric = run.first_metric or name
            run.scores.update(judged.scores)
            self._log(prompt, reply, judged.details[0])
        return judged.scores.get(name)

    # -- internals ------------------------------------------------------------
    def _prompt(self, prompt, system, max_new_tokens, tag: str) -> JudgePrompt:
        if isinstance(prompt, str):
            return JudgePrompt.of(system, prompt, tag=tag, max_new_tokens=max_new_tokens)
        if isinstance(prompt, (list, tuple)) and prompt and all(isinstance(m, dict) for m in prompt):
            messages = tuple({"role": m["role"], "content": m["content"]} for m in prompt)
            if system:
                messages = ({"role": "system", "content": system},) + messages
            return JudgePrompt(messages, tag, max_new_tokens)
        raise TypeError(f"judge.ask: the prompt must be a string or a list of {{'role', 'content'}} "
                        f"messages, got {type(prompt).__name__}")

    def _run(self):
        item = self._state.current_item
        return item.stash.get(RUN_KEY, None) if item is not None else None

    def _reply(self, prompt: JudgePrompt, record: bool = True) -> JudgeReply:
        judge = self._judge
        if self._state.options.dry_run:
            pytest.skip("--dry-run: the judge is not called")
        item = self._state.current_item
        reply = None
        if item is not None:
            position = item.stash.get(CALLS_KEY, 0)  # this test's n-th judge call
            item.stash[CALLS_KEY] = position + 1
            guessed = item.stash.get(JUDGED_KEY, {}).get(position)
            reply = guessed.get(_key(prompt)) if guessed else None
            sample = sample_of(item)
            if reply is None and guessed and sample is not None and sample.group is not None:
                self.no_guess.add((sample.group[:2], position))  # the guess did not fit this test
            if reply is None:
                reply = self._guess_and_prefetch(item, prompt, position)
        if reply is None:
            (reply,) = judge.complete([prompt], label="judge calls")
        if reply.error is not None:
            raise ModelCallError(f"judge call failed: {reply.error}")
        if record:
            self._log(prompt, reply, None)
        return reply

    def _log(self, prompt: JudgePrompt, reply: JudgeReply, details: dict | None) -> None:
        run = self._run()
        if run is not None:
            run.judgments.append({"judge": self._state.judge.name, "prompt": prompt.user,
                                  "response": reply.text, **(details or {})})

    def _values(self, item, answer_of: dict | None) -> dict[str, str | None]:
        """What a judge prompt of `item` may be built from: the model's answer to the case
        (None when not known yet), the case's prompt and target and its row's fields (text)."""
        case = sample_of(item).case
        text = lambda v: v if isinstance(v, str) else None  # noqa: E731
        return {"answer": (answer_of or {}).get(item), "prompt": text(case.prompt),
                "target": text(case.target),
                **{f"data.{k}": text(v) for k, v in (case.data or {}).items()}}

    def _guess_and_prefetch(self, item, prompt: JudgePrompt, position: int) -> JudgeReply | None:
        """A prompt built from the item's case and answer: ask the same template, for the
        same (`position`-th) judge call, of every not-yet-run test of the group."""
        sample = sample_of(item) if item is not None else None
        if sample is None or sample.group is None or sample.case is None or sample.case.error:
            return None
        if (sample.group[:2], position) in self.no_guess:
            return None
        answers = self._state.model.group_answers(item) if self._state.options.model else {}
        own = self._values(item, answers)
        templates = tuple(template_of(m["content"], own) for m in prompt.messages)
        if not any(isinstance(p, Slot) for t in templates for p in t):
            return None  # nothing of the case in it: not a per-case prompt
        tried = (sample.group, position, templates, prompt.tag, prompt.max_new_tokens)
        if tried in self._tried:
            return None
        self._tried.add(tried)
        members = pending_members(self._state, sample.group, item)
        asked: list[tuple[Any, JudgePrompt]] = []
        for m in members:
            case = sample_of(m).case
            if case is None or case.error:
                continue
            values = self._values(m, answers)
            contents = [fill(t, values) for t in templates]
            if any(c is None for c in contents):
                continue
            messages = tuple({"role": msg["role"], "content": c} for msg, c in zip(prompt.messages, contents))
            asked.append((m, JudgePrompt(messages, prompt.tag, prompt.max_new_tokens)))
        _, _, subset, chunk = sample.group
        replies = self._state.judge.complete([p for _, p in asked], label=f"judge {sample.benchmark}/{subset}#{chunk}")
        for (m, p), reply in zip(asked, replies):
            m.stash.setdefault(JUDGED_KEY, {}).setdefault(position, {})[_key(p)] = reply
        return item.stash[JUDGED_KEY][position].get(_key(prompt))

    def finish(self, item) -> None:
        """Free what a finished test held."""
        for key in (JUDGED_KEY, CALLS_KEY):
            if key in item.stash:
                del item.stash[key]
