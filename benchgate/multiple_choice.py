"""Shared pieces of multiple-choice benchmarks: choice scoring, shuffling, robustness
perturbations, and base classes for questions with lettered options (MMLU, C-Eval, CMMLU,
SafetyBench) and for choosing among answer texts (ARC, HellaSwag)."""
from __future__ import annotations

import copy
from typing import ClassVar, Sequence

from benchgate.benchmark import Benchmark, RunContext, Sample, Scored, shuffle_choices
from benchgate.extract import extract_choice
from benchgate.metrics.robustness import CLEAN, robustness_metrics
from benchgate.models.base import GenerateRequest, Loglikelihood, LoglikelihoodRequest
from benchgate.perturb import DEFAULT_TYPO_RATE, DIGITS, add_typos, parse_perturb, permute, rng_for

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


class Perturbable(Benchmark):
    """Robustness perturbations for a multiple-choice benchmark (`--dataset-args
    '{"mmlu": {"perturb": "shuffle,labels,typos"}}'`, see benchgate.perturb).

    A perturbed run asks, for every sample, both the clean requests and those of a seeded
    perturbed copy (the clean ones are the usual requests, so a cache shared with a clean run
    reuses them). Each metric m is reported on the perturbed sample, m_clean on the clean one,
    and per subset/category/benchmark m_drop (clean - perturbed) with m_drop_p_value (a one-sided
    paired test). Subclasses implement `sample_requests`/`sample_score` and, for `labels`,
    `labelled`; `question_field` names the text that gets typos. `perturbations` lists the kinds
    that apply: `shuffle` and `labels` only where the options are shown in the prompt."""

    perturbations: ClassVar[tuple[str, ...]] = ("typos",)
    question_field: ClassVar[str] = "question"

    def effective_args(self, user_args):
        user = dict(user_args or {})
        perturb, rate = user.pop("perturb", None), user.pop("typo_rate", DEFAULT_TYPO_RATE)
        args = super().effective_args(user)
        args["perturb"] = list(parse_perturb(perturb, self.perturbations, self.name)) or None
        args["typo_rate"] = rate
        if not isinstance(rate, (int, float)) or not 0 < rate <= 1:
            raise ValueError(f"--dataset-args: {self.name} typo_rate must be in (0, 1], got {rate!r}")
        return args

    def perturb_kinds(self, ctx: RunContext) -> tuple[str, ...]:
        return tuple(ctx.args.get("perturb") or ())

    def lower_metrics(self, ctx: RunContext) -> tuple[str, ...]:
        lower = super().lower_metrics(ctx)
        if self.perturb_kinds(ctx):
            lower += tuple(f"{m}_drop" for m in self.drop_metrics(ctx))
        return lower

    def drop_metrics(self, ctx: RunContext) -> tuple[str, ...]:
        """The metrics whose drop a perturbed run reports (those `sample_score` returns)."""
        return (self.metric(ctx),)

    def perturbed(self, ctx: RunContext, sample: Sample) -> Sample:
        """A seeded perturbed copy of the sample."""
        kinds = self.perturb_kinds(ctx)
        out = Sample(sample.benchmark, sample.subset, sample.index, copy.deepcopy(sample.data), sample.target,
                     source=sample.source)
        if "typos" in kinds and self.question_field in out.data:
            out.data[self.question_field] = add_typos(out.data[self.question_field],
                                                      rng_for(ctx.seed, sample.id, "typos"), ctx.args["typo_rate"])
        if "shuffle" in kinds:
            out = self.shuffled(out, rng_for(ctx.seed, sample.id, "shuffle"))
        if "labels" in kinds:
            out = self.labelled(out)
        return out

    def shuffled(self, sample: Sample, rng) -> Sample:
        """The sample with its choices permuted (data["choices"], target: the gold index)."""
        sample.data["choices"], sample.target = permute(sample.data["choices"], sample.target, rng)
        return sample

    def labelled(self, sample: Sample) -> Sample:
        raise NotImplementedError(f"{self.name} has no option labels to change")

    def sample_requests(self, ctx: RunContext, sample: Sample) -> list:
        raise NotImplementedError

    def sample_score(self, ctx: RunContext, sample: Sample, outputs) -> Scored:
        raise NotImplementedError

    def requests(self, ctx: RunContext, sample: Sample):
        requests = list(self.sample_requests(ctx, sample))
        if self.perturb_kinds(ctx):
            requests += self.sample_requests(ctx, self.perturbed(ctx, sample))
        return requests

    def score(self, ctx: RunContext, sample: Sample, outputs) -> Scored:
        if not self.perturb_kinds(ctx):
            return self.sample_score(ctx, sample, outputs)
        n = len(self.sample_requests(ctx, sample))
        clean = self.sample_score(ctx, sample, outputs[:n])
        perturbed = self.sample_score(ctx, self.perturbed(ctx, sample), outputs[n:])
        return Scored(perturbed.extracted, {**perturbed.scores,
                                            **{f"{k}{CLEAN}": v for k, v in clean.scores.items()
                                               if not k.startswith("_")}})

    def corpus_metrics(self, scores):
        return robustness_metrics(scores)


class ChoiceTextBenchmark(Perturbable):
    """Choose among answer texts by loglikelihood (lm-evaluation-harness multiple_choice with
    " {choice}" continuations): acc and acc_norm. Samples hold data["choices"] and the gold
    index as target; subclasses give the data and `prompt`."""

    modes = ("loglikelihood",)
    primary_metric = "acc_norm"
    default_args = {"few_shot_num": 0, "shuffle_choices": False}
    perturbations = ("typos",)  # the choices are not shown, so their order changes nothing

    def prompt(self, ctx: RunContext, sample: Sample) -> str:
        raise NotImplementedError

    def drop_metrics(self, ctx: RunContext) -> tuple[str, ...]:
        return ("acc", "acc_norm")

    def sample_requests(self, ctx: RunContext, sample: Sample):
        return choice_requests(self.prompt(ctx, sample), [f" {c}" for c in sample.data["choices"]],
                               sample.target)

    def sample_score(self, ctx: RunContext, sample: Sample, outputs) -> Scored:
        return choice_scores(outputs, sample.data["choices"], sample.target)


class LetterChoiceBenchmark(Perturbable):
    """Questions with lettered options, few-shot from a dev split: loglikelihood of the letters
    (default) or generation with letter extraction. Subclasses give the data (`split`), the
    instruction line (`head`) and the question block (`question`, ending with the answer cue).
    A sample's labels are data["labels"] when set (the `labels` perturbation: 1-4), else the
    first len(choices) of `letters`; the target is the gold label."""

    modes = ("loglikelihood", "generate")
    primary_metric = "acc"
    default_args = {"few_shot_num": 5, "shuffle_choices": False}
    perturbations = ("shuffle", "labels", "typos")
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

    def labels(self, sample: Sample) -> str:
        """The option labels of a sample: "ABCD" (or fewer), or "1234" when relabelled."""
        return sample.data.get("labels") or self.letters[: len(sample.data["choices"])]

    def label(self, label: str) -> str:
        """How a label is written in the options and after the answer cue (SafetyBench: "(A)")."""
        return label

    def options(self, sample: Sample) -> str:
        """'\\nA. ...\\nB. ...' for the sample's choices."""
        return "".join(f"\n{L}. {c}" for L, c in zip(self.labels(sample), sample.data["choices"]))

    def shuffled(self, sample: Sample, rng) -> Sample:
        labels = self.labels(sample)
        sample.data["choices"], gold = permute(sample.data["choices"], labels.index(sample.target), rng)
        sample.target = labels[gold]
        return sample

    def labelled(self, sample: Sample) -> Sample:
        """The sample with its labels A-D changed to 1-4 (the target follows)."""
        labels = self.labels(sample)
        digits = DIGITS[: len(labels)]
        out = Sample(sample.benchmark, sample.subset, sample.index, {**sample.data, "labels": digits},
                     digits[labels.index(sample.target)], source=sample.source)
        return out

    def prompt(self, ctx: RunContext, sample: Sample) -> str:
        shots = self.shots(ctx, sample)
        relabel = "labels" in sample.data  # exemplars use the same kind of labels as the question

        def exemplars() -> str:
            picked = [self.labelled(s) for s in shots] if relabel else shots
            return "".join(f"{self.question(s)}{self.letter_prefix}{self.label(s.target)}\n\n" for s in picked)

        # built once per set of exemplars, not once per sample; the entry holds the exemplars,
        # so the ids in its key cannot be reused by other objects
        text = ctx.cached(("mc-exemplars", self.name, relabel, tuple(map(id, shots))),
                          lambda: (tuple(shots), exemplars()))[1] if shots else ""
        return self.head(sample) + text + self.question(sample)

    def sample_requests(self, ctx: RunContext, sample: Sample):
        prompt = self.prompt(ctx, sample)
        labels = self.labels(sample)
        if ctx.args["mode"] == "generate":
            return [GenerateRequest(prompt, stop=("\n\n",), oracle=f"{self.letter_prefix}{self.label(sample.target)}")]
        return choice_requests(prompt, [f"{self.letter_prefix}{self.label(L)}" for L in labels],
                               labels.index(sample.target))

    def sample_score(self, ctx: RunContext, sample: Sample, outputs) -> Scored:
        labels = self.labels(sample)
        if ctx.args["mode"] == "generate":
            choice = extract_choice(outputs[0].text, labels)
        else:
            choice = labels[pick(outputs)[0]]
        return Scored(choice, {"acc": float(choice == sample.target)})
