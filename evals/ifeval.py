"""IFEval (Zhou et al., 2023): 541 prompts with 834 verifiable instructions of 25 types
("answer in fewer than 5 sentences", "no commas", "wrap your answer in JSON" ...).

Data: `ifeval/input_data.jsonl` (key, prompt, instruction_id_list, kwargs; the authors' file).
One subset, the index is the line's position in the file. The prompt is the user turn as is
(zero-shot), greedy, at most 1280 new tokens (lm-eval `ifeval` max_gen_toks; dataset arg
`max_new_tokens`).

Scoring as the authors and lm-evaluation-harness `ifeval`, with benchgate's checkers
(`benchgate.ifeval.checkers`, checked against lm-eval's on all prompts): per prompt
`prompt_level_strict_acc` (primary: every instruction followed) and `prompt_level_loose_acc`
(each instruction may be followed by the response or a loosened copy: without '*', without its
first and/or last line); over all instructions `inst_level_strict_acc` and
`inst_level_loose_acc` (followed / total, pooled over prompts).
Sentence splitting is NLTK Punkt with the English punkt_tab model shipped by a dependency: no
run-time download (docs/benchmarks/ifeval.md).
"""
from __future__ import annotations

from functools import lru_cache

from benchgate.benchmark import Benchmark, RunContext, Sample, Scored, chat_prompt
from benchgate.data.files import dataset_folder, read_jsonl, to_samples
from benchgate.ifeval.checkers import follows, validate
from benchgate.models.base import GenerateRequest


@lru_cache(maxsize=None)
def _oracle(ids: tuple, kwargs_json: str, prompt: str) -> str:
    import json

    from benchgate.ifeval.oracle import oracle_response

    return oracle_response(list(ids), json.loads(kwargs_json), prompt) or ""


class LazyOracle:
    """The oracle's response, built (a small search) only when the oracle model asks for it."""

    def __init__(self, data: dict):
        self.data = data

    def __str__(self) -> str:
        import json

        d = self.data
        return _oracle(tuple(d["instruction_id_list"]), json.dumps(d["kwargs"]), d["prompt"])

    def __repr__(self) -> str:
        return "LazyOracle(...)"


def _convert(row: dict) -> tuple[dict, None]:
    if not isinstance(row["prompt"], str) or not row["prompt"].strip():
        raise ValueError("prompt must be a non-empty string")
    ids, kwargs = row["instruction_id_list"], row["kwargs"]
    if not isinstance(ids, list) or not isinstance(kwargs, list):
        raise ValueError("instruction_id_list and kwargs must be lists")
    validate(ids, kwargs)
    return {"key": row["key"], "prompt": row["prompt"], "instruction_id_list": ids, "kwargs": kwargs}, None


class IFEval(Benchmark):
    name = "ifeval"
    modes = ("generate",)
    primary_metric = "prompt_level_strict_acc"
    dimension = "Instruction Following"
    default_args = {"max_new_tokens": 1280}

    def subsets(self, ctx: RunContext) -> list[str]:
        return ["default"]

    def load(self, ctx: RunContext, subset: str) -> list[Sample]:
        return to_samples(self.name, subset, read_jsonl(dataset_folder(ctx, "ifeval") / "input_data.jsonl"), _convert)

    def requests(self, ctx: RunContext, sample: Sample):
        return [GenerateRequest(chat_prompt(ctx, sample.data["prompt"]), max_new_tokens=ctx.args["max_new_tokens"],
                                oracle=LazyOracle(sample.data), wrong="")]

    def score(self, ctx: RunContext, sample: Sample, outputs) -> Scored:
        d, response = sample.data, outputs[0].text
        strict = follows(d["instruction_id_list"], d["kwargs"], response)
        loose = follows(d["instruction_id_list"], d["kwargs"], response, loose=True)
        return Scored({"strict": strict, "loose": loose}, {
            "prompt_level_strict_acc": float(all(strict)), "prompt_level_loose_acc": float(all(loose)),
            "_inst_n": float(len(strict)), "_inst_strict": float(sum(strict)), "_inst_loose": float(sum(loose))})

    def corpus_metrics(self, scores):
        """Instruction-level accuracies: followed instructions / all instructions (lm-eval
        agg_inst_level_acc)."""
        n = sum(s["_inst_n"] for s in scores)
        if not n:
            return {}
        return {"inst_level_strict_acc": sum(s["_inst_strict"] for s in scores) / n,
                "inst_level_loose_acc": sum(s["_inst_loose"] for s in scores) / n}


BENCHMARK = IFEval()
