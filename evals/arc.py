"""ARC (Clark et al., 2018): AI2 Reasoning Challenge, grade-school science questions.
Two subsets, ARC-Challenge (1,172 test questions) and ARC-Easy (2,376).

Default: lm-evaluation-harness `arc_challenge` / `arc_easy` v1.0 (0-shot, loglikelihood of each
answer text " {choice}" after "Question: {q}\\nAnswer:"; acc, and acc_norm = argmax of
logprob / len(choice text in characters)). `{"few_shot_num": 25}` is the Open LLM Leaderboard
setup: 25 exemplars from the train split drawn by lm-eval's own seeded sampler (seed 1234, one
draw per test question in file order: the same exemplars as lm-eval), "Question: ..\\nAnswer:
<gold text>" joined by blank lines; `few_shot_random` draws benchgate's own seeded set instead.
"""
from __future__ import annotations

from benchgate.benchmark import RunContext, Sample
from benchgate.data.files import dataset_folder, read_jsonl, to_samples
from benchgate.data.hub import load_hub_split
from benchgate.multiple_choice import ChoiceTextBenchmark, shuffle_samples
from benchgate.variants.choices import ChoiceVariants

SUBSETS = ("ARC-Challenge", "ARC-Easy")
SPLIT_FILES = {"test": "Test", "train": "Train", "validation": "Dev"}


def _convert(row: dict) -> tuple[dict, int]:
    q = row["question"]
    if isinstance(q, dict):  # native ARC-V1 JSONL: question {stem, choices [{text, label}]}
        stem, labels, texts = q["stem"], [c["label"] for c in q["choices"]], [c["text"] for c in q["choices"]]
    else:  # hub (allenai/ai2_arc): question, choices {text: [...], label: [...]}
        stem, labels, texts = q, list(row["choices"]["label"]), list(row["choices"]["text"])
    if len(texts) < 2:
        raise ValueError(f"expected at least 2 choices, got {len(texts)}")
    if not isinstance(stem, str) or not all(isinstance(t, str) for t in texts) or len(labels) != len(texts):
        raise ValueError("the question and every choice text must be strings, one label per choice")
    key = str(row["answerKey"])
    if key not in labels:  # labels may be A-E or 1-5
        raise ValueError(f"answerKey {key!r} is not one of the choice labels {labels}")
    return {"question": stem, "choices": texts}, labels.index(key)


class ARC(ChoiceVariants, ChoiceTextBenchmark):
    # the options are not shown (each answer text is scored as a continuation), so their
    # order changes no score: only none_of_the_others is a variant here
    variants = ("none_of_the_others",)
    name = "arc"
    fewshot_sampler = "lm_eval"
    hub_ids = {"modelscope": "modelscope/ai2_arc", "huggingface": "allenai/ai2_arc"}

    def subsets(self, ctx: RunContext) -> list[str]:
        return list(SUBSETS)

    def _split(self, ctx: RunContext, subset: str, split: str) -> list[Sample]:
        if ctx.dataset_hub == "local":
            path = dataset_folder(ctx, "arc") / subset / f"{subset}-{SPLIT_FILES[split]}.jsonl"
            return to_samples(self.name, subset, read_jsonl(path), _convert)
        hub_id = self.hub_ids[ctx.dataset_hub]
        rows = load_hub_split(ctx.dataset_hub, hub_id, subset, split)
        return to_samples(self.name, subset, ((i, r, f"{hub_id}[{subset}/{split}]#{i}")
                                              for i, r in enumerate(rows)), _convert)

    def load(self, ctx: RunContext, subset: str) -> list[Sample]:
        samples = self._split(ctx, subset, "test")
        return shuffle_samples(samples, ctx)

    def fewshot_pool(self, ctx: RunContext, subset: str) -> list[Sample]:
        return self._split(ctx, subset, "train")

    def prompt(self, ctx: RunContext, sample: Sample) -> str:
        shots = "".join(f"Question: {s.data['question']}\nAnswer: {s.data['choices'][s.target]}\n\n"
                        for s in self.shots(ctx, sample))
        return f"{shots}Question: {sample.data['question']}\nAnswer:"


BENCHMARK = ARC()
