"""Shared pieces of multiple-choice benchmarks: choice scoring, shuffling, and a base class
for questions with lettered options (MMLU, C-Eval, CMMLU)."""
from __future__ import annotations

from typing import ClassVar, Sequence

from benchgate.benchmark import Benchmark, RunContext, Sample, Scored, shuffle_choices
from benchgate.extract import extract_choice
from benchgate.models.base import GenerateRequest, Loglikelihood, LoglikelihoodRequest

# what the oracle answers: the gold choice is the most likely (and greedy), every other one is
# far below, also after dividing by the choice's length (acc_norm)
RIGHT = Loglikelihood(0.0, True)
WRONG = Loglikelihood(-10.0, False)


def choice_requests(context: str, continuations: Sequence[str], gold: int) -> list[LoglikelihoodRequest]:
    """One loglikelihood request per choice, each carrying its oracle output."""
    return [LoglikelihoodRequest(context, c, oracle=RIGHT if i == gold else WRONG)
            for i, c in enumerate(continuations)]


def pick(outputs: Sequence[Loglikelihood], choices: Sequence[str] | None = None) -> tuple[int, int | None]:
    """(argmax of the summed logprobs, argmax of logprob / len(choice text in characters))
    as lm-evaluation-harness acc and acc_norm; the second is None without choice texts."""
    lls = [o.logprob for o in outputs]
    best = lls.index(max(lls))
    if choices is None:
        return best, None
    norm = [ll / max(1, len(text)) for ll, text in zip(lls, choices)]
    return best, norm.index(max(norm))


def choice_scores(outputs: Sequence[Loglikelihood], choices: Sequence[str], gold: int) -> Scored:
    """lm-evaluation-harness multiple_choice: acc (argmax logprob) and acc_norm (argmax
    logprob per character of the choice text); the extracted answer is the acc pick."""
    best, best_norm = pick(outputs, choices)
    return Scored(best, {"acc": float(best == gold), "acc_norm": float(best_norm == gold)})


def shuffle_samples(samples: list[Sample], ctx: RunContext, letters: str | None = None) -> list[Sample]:
    """Apply `shuffle_choices` (seeded per sample) to samples with data["choices"]; the target
    (a choice index, or a letter when `letters` is given) is remapped to the gold choice."""
    if not ctx.args.get("shuffle_choices"):
        return samples
    for s in samples:
        if s.error is None:
            gold = letters.index(s.target) if letters else s.target
            s.data["choices"], gold = shuffle_choices(s.data["choices"], gold, ctx.seed, s.id)
            s.target = letters[gold] if letters else gold
    return samples


class ChoiceTextBenchmark(Benchmark):
    """Choose among answer texts by loglikelihood (lm-evaluation-harness multiple_choice with
    " {choice}" continuations): acc and acc_norm. Samples hold data["choices"] and the gold
    index as target; subclasses give the data and `prompt`."""

    modes = ("loglikelihood",)
    primary_metric = "acc_norm"
    default_args = {"few_shot_num": 0, "shuffle_choices": False}

    def prompt(self, ctx: RunContext, sample: Sample) -> str:
        raise NotImplementedError

    def requests(self, ctx: RunContext, sample: Sample):
        return choice_requests(self.prompt(ctx, sample), [f" {c}" for c in sample.data["choices"]],
                               sample.target)

    def score(self, ctx: RunContext, sample: Sample, outputs) -> Scored:
        return choice_scores(outputs, sample.data["choices"], sample.target)


class LetterChoiceBenchmark(Benchmark):
    """Questions with options A-D, few-shot from a dev split: loglikelihood of the letters
    (default) or generation with letter extraction. Subclasses give the data (`split`), the
    instruction line (`head`) and the question block (`question`, ending with the answer cue)."""

    modes = ("loglikelihood", "generate")
    primary_metric = "acc"
    default_args = {"few_shot_num": 5, "shuffle_choices": False}
    letters: ClassVar[str] = "ABCD"
    letter_prefix: ClassVar[str] = " "  # between the answer cue and the letter
    eval_split: ClassVar[str] = "test"
    fewshot_split: ClassVar[str] = "dev"

    def split(self, ctx: RunContext, subset: str, split: str) -> list[Sample]:
        raise NotImplementedError

    def head(self, sample: Sample) -> str:
        raise NotImplementedError

    def question(self, sample: Sample) -> str:
        raise NotImplementedError

    def load(self, ctx: RunContext, subset: str) -> list[Sample]:
        return shuffle_samples(self.split(ctx, subset, self.eval_split), ctx, self.letters)

    def fewshot_pool(self, ctx: RunContext, subset: str) -> list[Sample]:
        return self.split(ctx, subset, self.fewshot_split)

    def options(self, sample: Sample) -> str:
        """'\\nA. ...\\nB. ...' for the sample's choices."""
        return "".join(f"\n{L}. {c}" for L, c in zip(self.letters, sample.data["choices"]))

    def prompt(self, ctx: RunContext, sample: Sample) -> str:
        shots = "".join(f"{self.question(s)}{self.letter_prefix}{s.target}\n\n"
                        for s in self.shots(ctx, sample))
        return self.head(sample) + shots + self.question(sample)

    def requests(self, ctx: RunContext, sample: Sample):
        prompt = self.prompt(ctx, sample)
        if ctx.args["mode"] == "generate":
            return [GenerateRequest(prompt, stop=("\n\n",), oracle=f"{self.letter_prefix}{sample.target}")]
        return choice_requests(prompt, [f"{self.letter_prefix}{L}" for L in self.letters],
                               self.letters.index(sample.target))

    def score(self, ctx: RunContext, sample: Sample, outputs) -> Scored:
        if ctx.args["mode"] == "generate":
            choice = extract_choice(outputs[0].text, self.letters)
        else:
            choice = self.letters[pick(outputs)[0]]
        return Scored(choice, {"acc": float(choice == sample.target)})
