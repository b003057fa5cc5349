"""Dynamic variants of multiple-choice items (MMLU, C-Eval, CMMLU, ARC):

- `permute`: the options in a seeded random order in which the gold option is at another
  position (another letter), so a memorised letter no longer scores;
- `none_of_the_others`: one distractor, drawn at random, replaced in place by "None of the other
  answers" (C-Eval and CMMLU: "其他选项都不正确"). The gold answer stays the one right answer:
  the new option is false because the gold is among the others. Items are left out where that
  is not certain: an option that speaks of the other options ("all of the above", "both A and
  B", "以上都对"), two options with the same text, or the new text already among the options.

Samples hold their options in data["choices"] and the gold as an index (ARC) or a label of
data["labels"] / the benchmark's `letters` (MMLU, C-Eval, CMMLU).
"""
from __future__ import annotations

import random
import re
from typing import ClassVar, Sequence

from benchgate.benchmark import Benchmark, RunContext, Sample
from benchgate.variants.base import Dropped

NONE_OF_THE_OTHERS = "None of the other answers"
NONE_OF_THE_OTHERS_ZH = "其他选项都不正确"
CHOICE_VARIANTS = ("permute", "none_of_the_others")

# an option whose truth depends on the other options
REFERS_TO_OTHERS = re.compile(
    r"\b(?:all|none|both|neither|either)\b.{0,40}\b(?:above|below|these|those|others?|options?|"
    r"choices?|answers?|statements?|of them)\b|\b(?:both|neither|either)\b\s+\(?[A-D1-4]\)?\s+(?:and|nor|or)\b|"
    r"^\s*\(?[A-D1-4]\)?\s*(?:and|&|,)\s*\(?[A-D1-4]\)?\s*$|以上|上述|都(?:不)?(?:对|是|正确|错)|均(?:不)?(?:对|正确)",
    re.IGNORECASE)


def permute_moving_gold(choices: Sequence, gold: int, rng: random.Random) -> tuple[list, int]:
    """The options in a random order with the gold one at a new position (uniform over the
    orders that move it); Dropped for fewer than two options or a gold text that another
    option repeats (its position would not say which one is meant)."""
    if len(choices) < 2:
        raise Dropped("fewer than two options")
    if list(choices).count(choices[gold]) > 1:
        raise Dropped("another option has the gold option's text")
    while True:
        order = list(range(len(choices)))
        rng.shuffle(order)
        if order.index(gold) != gold:
            return [choices[i] for i in order], order.index(gold)


def replace_distractor(choices: Sequence[str], gold: int, rng: random.Random,
                       text: str = NONE_OF_THE_OTHERS) -> tuple[list, int]:
    """One distractor (drawn at random) replaced in place by `text`; the gold keeps its position.
    Dropped where the gold would not stay the one right answer."""
    if len(choices) < 3:
        raise Dropped("fewer than three options: the new option would leave no distractor")
    texts = [str(c).strip() for c in choices]
    if len(set(t.lower() for t in texts)) < len(texts):
        raise Dropped("two options have the same text")
    if text.lower() in (t.lower() for t in texts):
        raise Dropped("the new option's text is already an option")
    referring = [t for t in texts if REFERS_TO_OTHERS.search(t)]
    if referring:
        raise Dropped(f"an option speaks of the other options ({referring[0][:40]!r})")
    distractor = rng.choice([i for i in range(len(choices)) if i != gold])
    out = list(choices)
    out[distractor] = text
    return out, gold


class ChoiceVariants(Benchmark):
    """The `permute` and `none_of_the_others` variants for a multiple-choice benchmark: mix it
    in before the benchmark's base class (`class MMLU(ChoiceVariants, LetterChoiceBenchmark)`)."""

    variants: ClassVar[tuple[str, ...]] = CHOICE_VARIANTS
    none_of_the_others_text: ClassVar[str] = NONE_OF_THE_OTHERS

    def variant_of(self, ctx: RunContext, sample: Sample, variant: str, rng: random.Random) -> Sample:
        choices = sample.data["choices"]
        labels = None
        if isinstance(sample.target, int):
            gold = sample.target
        else:
            labels = sample.data.get("labels") or getattr(self, "letters", "ABCDEFGHIJ")[: len(choices)]
            gold = labels.index(sample.target)
        if variant == "permute":
            new, gold = permute_moving_gold(choices, gold, rng)
        elif variant == "none_of_the_others":
            new, gold = replace_distractor(choices, gold, rng, self.none_of_the_others_text)
        else:
            raise ValueError(f"{self.name} has no variant {variant!r}")
        return Sample(sample.benchmark, sample.subset, sample.index, {**sample.data, "choices": new},
                      gold if labels is None else labels[gold], source=sample.source)
