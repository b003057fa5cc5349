"""RACE (Lai et al., 2017): English exam reading comprehension, subsets high and middle.

Default: lm-evaluation-harness `race` v3.0 (0-shot, one sample per passage: the passage's earlier
questions are shown answered, the last one is asked; loglikelihood of " {option}"; acc).
`{"all_questions": true}` scores every question of a passage the same way (question i sees
questions 0..i-1 answered), the size usually quoted for RACE (high test 3,498, middle 1,436).

Data: the official release layout `race/test/{high,middle}/<n>.txt`, one JSON object per file
(article, questions, options, answers, id), or the hub `ehovy/race` (one row per question,
grouped here by passage).
"""
from __future__ import annotations

import re

from benchgate.benchmark import DataError, RunContext, Sample, Scored
from benchgate.data.files import dataset_folder, read_json, to_samples
from benchgate.data.hub import load_hub_split
from benchgate.multiple_choice import Perturbable, choice_requests, pick, shuffle_samples

LETTERS = "ABCD"


def read_passages(folder):
    """Passage files in natural order (2.txt before 10.txt) as (index, object, "file:line")."""
    if not folder.is_dir():
        raise DataError(f"{folder}: folder not found (expected the RACE layout race/<split>/<subset>/*.txt)")
    natural = lambda p: [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", p.name)]  # noqa: E731
    files = sorted(folder.glob("*.txt"), key=natural)
    if not files:
        raise DataError(f"{folder}: no *.txt passage files")
    for index, path in enumerate(files):
        try:
            obj, _ = read_json(path)
        except DataError as e:
            obj = e
        if not isinstance(obj, (dict, DataError)):
            obj = DataError(f"{path}:1: expected a JSON object")
        yield index, obj, f"{path}:1"


def _passage(row: dict) -> dict:
    questions, options, answers = list(row["questions"]), list(row["options"]), list(row["answers"])
    if not questions or not len(questions) == len(options) == len(answers):
        raise ValueError(f"questions/options/answers must be non-empty and of equal length, got "
                         f"{len(questions)}/{len(options)}/{len(answers)}")
    for i, (q, opts, ans) in enumerate(zip(questions, options, answers)):
        if not isinstance(opts, list) or len(opts) != 4 or ans not in tuple(LETTERS):
            raise ValueError(f"question {i}: need 4 options and an answer A-D, got "
                             f"{len(opts) if isinstance(opts, list) else repr(opts)[:40]} options, "
                             f"answer {repr(ans)[:20]}")
        if not isinstance(q, str) or not all(isinstance(o, str) for o in opts):
            raise ValueError(f"question {i}: the question and options must be strings")
    if not isinstance(row["article"], str):
        raise ValueError("article must be a string")
    return {"id": row.get("id"), "article": row["article"],
            "problems": [{"question": q, "options": list(o), "answer": a}
                         for q, o, a in zip(questions, options, answers)]}


def _questions(passage: dict, all_questions: bool):
    """(data, target) for the evaluated question(s) of a passage."""
    problems = passage["problems"]
    for i in range(len(problems)) if all_questions else [len(problems) - 1]:
        p = problems[i]
        yield {"passage": passage["id"], "article": passage["article"], "previous": problems[:i],
               "question": p["question"], "choices": p["options"]}, LETTERS.index(p["answer"])


def context_text(article: str, previous: list[dict], question: str) -> str:
    """lm-eval race v3.0 `doc_to_text`: earlier questions answered; a fill-in question ending
    in '  _  .' is written as the question without its last 5 characters, then the answer."""
    text = "Article: " + article + "\n\n"
    for p in previous:
        answer = p["options"][LETTERS.index(p["answer"])]
        if p["question"][-6:] == "  _  .":
            text += p["question"][:-5] + answer + "\n"
        else:
            text += "Question: " + p["question"] + "\n" + "Answer: " + answer + "\n"
    return text + question


class RACE(Perturbable):
    name = "race"
    modes = ("loglikelihood",)
    primary_metric = "acc"
    default_args = {"few_shot_num": 0, "shuffle_choices": False, "all_questions": False}
    hub_ids = {"modelscope": "modelscope/race", "huggingface": "ehovy/race"}

    def effective_args(self, user_args):
        args = super().effective_args(user_args)
        if args["few_shot_num"]:
            raise ValueError("--dataset-args: race is zero-shot (lm-eval race has no few-shot split)")
        return args

    def subsets(self, ctx: RunContext) -> list[str]:
        return ["high", "middle"]

    def _rows(self, ctx: RunContext, subset: str):
        if ctx.dataset_hub == "local":
            return read_passages(dataset_folder(ctx, "race") / "test" / subset)
        hub_id = self.hub_ids[ctx.dataset_hub]
        passages: dict[str, tuple[int, dict]] = {}
        for i, r in enumerate(load_hub_split(ctx.dataset_hub, hub_id, subset, "test")):
            _, p = passages.setdefault(r["example_id"], (i, {"id": r["example_id"], "article": r["article"],
                                                             "questions": [], "options": [], "answers": []}))
            for key, field in (("questions", "question"), ("options", "options"), ("answers", "answer")):
                p[key].append(r[field])
        return ((n, p, f"{hub_id}[{subset}/test]#{first}") for n, (first, p) in enumerate(passages.values()))

    def load(self, ctx: RunContext, subset: str) -> list[Sample]:
        passages = to_samples(self.name, subset, self._rows(ctx, subset), lambda row: (_passage(row), None))
        samples: list[Sample] = []
        for p in passages:
            items = [(None, None)] if p.error else _questions(p.data, ctx.args["all_questions"])
            for data, target in items:
                s = Sample(self.name, subset, len(samples), data or {}, target, source=p.source, error=p.error)
                samples.append(s)
        return shuffle_samples(samples, ctx)

    def prompt(self, ctx: RunContext, sample: Sample) -> str:
        return context_text(sample.data["article"], sample.data["previous"], sample.data["question"])

    def sample_requests(self, ctx: RunContext, sample: Sample):
        prompt = self.prompt(ctx, sample)
        return choice_requests(prompt, [f" {c}" for c in sample.data["choices"]], sample.target)

    def sample_score(self, ctx: RunContext, sample: Sample, outputs) -> Scored:
        pred, _ = pick(outputs)
        return Scored(pred, {"acc": float(pred == sample.target)})


BENCHMARK = RACE()
