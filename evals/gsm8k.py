"""GSM8K (Cobbe et al., 2021): grade-school math word problems, 1,319 test questions.

Default: lm-evaluation-harness `gsm8k` prompt, 5-shot chain-of-thought from train in file
order ("Question: ...\\nAnswer: <worked solution> #### N"), greedy generation. Extraction:
'#### N', then 'The answer is N', then the last number; numbers compare after removing
`$` and `,` (so "$29.00" equals "29").
"""
from __future__ import annotations

from benchgate.benchmark import Benchmark, RunContext, Sample, Scored
from benchgate.data.files import dataset_folder, read_jsonl, to_samples
from benchgate.data.hub import load_hub_split
from benchgate.extract import (extract_last_number, extract_number, extract_strict_number,
                               normalize_number, numbers_equal)
from benchgate.models.base import GenerateRequest

STOP = ("Question:", "</s>", "<|im_end|>")


def _convert(row: dict) -> tuple[dict, str]:
    answer = row["answer"]
    if "####" not in answer:
        raise ValueError("answer has no '#### N' final answer")
    target = normalize_number(answer.rsplit("####", 1)[1])
    if target is None:
        raise ValueError(f"final answer is not a number: {answer.rsplit('####', 1)[1].strip()!r}")
    return {"question": row["question"], "answer": answer}, target


class GSM8K(Benchmark):
    name = "gsm8k"
    modes = ("generate",)
    primary_metric = "acc"
    default_args = {"few_shot_num": 5}
    hub_ids = {"modelscope": "modelscope/gsm8k", "huggingface": "openai/gsm8k"}

    def subsets(self, ctx: RunContext) -> list[str]:
        return ["main"]

    def _split(self, ctx: RunContext, split: str) -> list[Sample]:
        if ctx.dataset_hub == "local":
            rows = read_jsonl(dataset_folder(ctx, "gsm8k") / f"{split}.jsonl")
        else:
            hub_id = self.hub_ids[ctx.dataset_hub]
            rows = ((i, r, f"{hub_id}[main/{split}]#{i}")
                    for i, r in enumerate(load_hub_split(ctx.dataset_hub, hub_id, "main", split)))
        return to_samples(self.name, "main", rows, _convert)

    def load(self, ctx: RunContext, subset: str) -> list[Sample]:
        return self._split(ctx, "test")

    def fewshot_pool(self, ctx: RunContext, subset: str) -> list[Sample]:
        return self._split(ctx, "train")

    def prompt(self, ctx: RunContext, sample: Sample) -> str:
        shots = "".join(f"Question: {s.data['question']}\nAnswer: {s.data['answer']}\n\n"
                        for s in self.shots(ctx, sample))
        return f"{shots}Question: {sample.data['question']}\nAnswer:"

    def requests(self, ctx: RunContext, sample: Sample):
        return [GenerateRequest(self.prompt(ctx, sample), stop=STOP,
                                oracle=f" {sample.data['answer']}")]

    def score(self, ctx: RunContext, sample: Sample, outputs) -> Scored:
        text = outputs[0].text
        answer = extract_number(text)
        return Scored(answer, {
            "acc": float(numbers_equal(answer, sample.target)),
            "strict_match": float(numbers_equal(extract_strict_number(text), sample.target)),
            "flexible_extract": float(numbers_equal(extract_last_number(text), sample.target)),
        })


BENCHMARK = GSM8K()
