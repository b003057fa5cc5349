"""HellaSwag (Zellers et al., 2019): commonsense sentence completion, 10,042 validation items.

Default: lm-evaluation-harness `hellaswag` (0-shot; query = preprocess(activity_label + ": " +
ctx_a + " " + ctx_b.capitalize()), loglikelihood of " " + preprocess(ending) for the four
endings; acc and acc_norm). `{"few_shot_num": 10}` is the Open LLM Leaderboard setup, drawn from
the train split (which only the native data has) by lm-eval's own seeded sampler, draw for draw:
hellaswag has no test split, so lm-eval hands the eval doc to its sampler, which draws 11 and
drops the eval doc (`fewshot_sampler_sees_eval_doc`).

Data: the native `hellaswag_val.jsonl` (+ `hellaswag_train.jsonl`) when present, else the derived
llama.cpp text file `hellaswag_val_full.txt.bz2` (6 lines a task: context, gold index, 4 endings;
already bracket-cleaned, with ctx_b not capitalised, see docs/benchmarks/hellaswag.md).
"""
from __future__ import annotations

import re

from benchgate.benchmark import DataError, RunContext, Sample
from benchgate.data.files import _lenient_text, bad_utf8, dataset_folder, read_jsonl, to_samples
from benchgate.data.hub import load_hub_split
from benchgate.multiple_choice import ChoiceTextBenchmark, shuffle_samples

DERIVED = "hellaswag_val_full.txt.bz2"


def preprocess(text: str) -> str:
    """lm-evaluation-harness hellaswag `preprocess`, verbatim (WikiHow bracket artifacts)."""
    text = text.strip()
    text = text.replace(" [title]", ". ")
    text = re.sub("\\[.*?\\]", "", text)
    text = text.replace("  ", " ")
    return text


def _gold(label) -> int:
    if str(label).strip() not in ("0", "1", "2", "3"):
        raise ValueError(f"label must be 0-3, got {label!r}")
    return int(label)


def _from_native(row: dict) -> tuple[dict, int]:
    ctx = row["ctx_a"] + " " + row["ctx_b"].capitalize()
    endings = list(row["endings"])
    if len(endings) != 4:
        raise ValueError(f"expected 4 endings, got {len(endings)}")
    return {"query": preprocess(row["activity_label"] + ": " + ctx),
            "choices": [preprocess(e) for e in endings]}, _gold(row["label"])


def _from_derived(block: list[str]) -> tuple[dict, int]:
    return {"query": preprocess(block[0]), "choices": [preprocess(e) for e in block[2:6]]}, _gold(block[1])


def read_derived(path):
    """Rows of the llama.cpp 6-line format: (index, [6 lines], "file:line of the task")."""
    lines = _lenient_text(path).split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines:
        raise DataError(f"{path}:1: no tasks (empty file)")
    for index, start in enumerate(range(0, len(lines), 6)):
        block, where = lines[start:start + 6], f"{path}:{start + 1}"
        if len(block) < 6:
            block = DataError(f"{where}: truncated task: {len(block)} of 6 lines")
        elif any(bad_utf8(line) for line in block):
            block = DataError(f"{where}: not valid UTF-8; save the file as UTF-8")
        yield index, block, where


class HellaSwag(ChoiceTextBenchmark):
    name = "hellaswag"
    fewshot_sampler = "lm_eval"
    fewshot_sampler_sees_eval_doc = True
    hub_ids = {"modelscope": "modelscope/hellaswag", "huggingface": "Rowan/hellaswag"}

    def subsets(self, ctx: RunContext) -> list[str]:
        return ["default"]

    def _split(self, ctx: RunContext, split: str) -> list[Sample]:
        if ctx.dataset_hub != "local":
            hub_id = self.hub_ids[ctx.dataset_hub]
            rows = load_hub_split(ctx.dataset_hub, hub_id, None, split)
            return to_samples(self.name, "default", ((i, r, f"{hub_id}[{split}]#{i}")
                                                     for i, r in enumerate(rows)), _from_native)
        folder = dataset_folder(ctx, "hellaswag")
        native = folder / f"hellaswag_{'val' if split == 'validation' else split}.jsonl"
        if native.is_file():
            return to_samples(self.name, "default", read_jsonl(native), _from_native)
        if split != "validation":
            raise DataError(f"hellaswag: few-shot needs the train split ({native}), which the derived "
                            f"{DERIVED} does not have; use few_shot_num=0 or add the native files")
        return to_samples(self.name, "default", read_derived(folder / DERIVED), _from_derived)

    def load(self, ctx: RunContext, subset: str) -> list[Sample]:
        if ctx.args["few_shot_num"]:  # no train split: fail at collection, not in every sample
            ctx.cached(("fewshot", self.name, subset), lambda: self.fewshot_pool(ctx, subset))
        samples = self._split(ctx, "validation")
        return shuffle_samples(samples, ctx)

    def fewshot_pool(self, ctx: RunContext, subset: str) -> list[Sample]:
        return self._split(ctx, "train")

    def prompt(self, ctx: RunContext, sample: Sample) -> str:
        shots = "".join(f"{s.data['query']} {s.data['choices'][s.target]}\n\n" for s in self.shots(ctx, sample))
        return shots + sample.data["query"]


BENCHMARK = HellaSwag()
