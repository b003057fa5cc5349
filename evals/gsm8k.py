"""GSM8K (Cobbe et al., 2021): grade-school math word problems, 1,319 test questions.

Default: lm-evaluation-harness `gsm8k` (v3.0): 5-shot chain-of-thought exemplars drawn from train
by lm-eval's own seeded sampler (seed 1234, one draw per test question in file order, so the
same exemplars as lm-eval), "Question: ...\nAnswer: <worked solution> #### N", greedy generation
stopped at "Question:", "</s>", "<|im_end|>". Scores, as lm-eval computes them:
`strict_match` (primary; filter "strict-match": the first "#### N") and `flexible_extract`
(filter "flexible-extract": the last number-like match, whatever it is), each compared with the
reference by lm-eval's `exact_match` (ignore case; ",", "$", everything up to "#### " and one
trailing "." removed from both, then string equality, so "18.00" is not "18"). Secondary,
benchgate's own: `lenient_match` ("#### N", else "The answer is N", else the last number that
parses; compared as numbers, so "$18.00" equals "18").
"""
from __future__ import annotations

from benchgate.benchmark import Benchmark, RunContext, Sample, Scored
from benchgate.data.files import dataset_folder, read_jsonl, to_samples
from benchgate.data.hub import load_hub_split
from benchgate.extract import extract_number, normalize_number, numbers_equal, regex_filter
from benchgate.metrics.text import lm_eval_exact_match
from benchgate.models.base import GenerateRequest
from benchgate.variants.numbers import numbers_variant

STOP = ("Question:", "</s>", "<|im_end|>")
# lm-eval gsm8k.yaml: filters (regex, group_select) and exact_match options
STRICT = (r"#### (\-?[0-9\.\,]+)", 0)
FLEXIBLE = (r"(-?[$0-9.,]{2,})|(-?[0-9]+)", -1)
IGNORE = (",", "\\$", "(?s).*#### ", "\\.$")


def lm_eval_match(text: str, reference: str, filter_: tuple[str, int]) -> bool:
    """lm-eval gsm8k: the filter's answer against the full reference answer, by exact_match
    with its regexes_to_ignore and ignore_case."""
    return lm_eval_exact_match(regex_filter(text, *filter_), reference, IGNORE, ignore_case=True)


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
    primary_metric = "strict_match"
    default_args = {"few_shot_num": 5}
    fewshot_sampler = "lm_eval"
    hub_ids = {"modelscope": "modelscope/gsm8k", "huggingface": "openai/gsm8k"}
    variants = ("numbers",)  # docs/contamination.md "Dynamic variants and the contamination gap"

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

    def variant_of(self, ctx: RunContext, sample: Sample, variant: str, rng) -> Sample:
        """`numbers`: new numbers in the question, the worked answer re-run with them."""
        new = numbers_variant(sample.data["question"], sample.data["answer"], rng)
        return Sample(sample.benchmark, sample.subset, sample.index,
                      {"question": new.question, "answer": new.answer,
                       "original_question": sample.data["question"],
                       "original_answer": sample.data["answer"]},
                      normalize_number(new.final), source=sample.source)

    def requests(self, ctx: RunContext, sample: Sample):
        # a variant's requests carry it in their cache key: an original's answers are never reused
        return [GenerateRequest(self.prompt(ctx, sample), stop=STOP, oracle=f" {sample.data['answer']}",
                                cache_tag=f"variant:{sample.variant}" if sample.variant else "")]

    def score(self, ctx: RunContext, sample: Sample, outputs) -> Scored:
        text = outputs[0].text
        answer = extract_number(text)
        reference = sample.data["answer"]
        return Scored(answer, {
            "strict_match": float(lm_eval_match(text, reference, STRICT)),
            "flexible_extract": float(lm_eval_match(text, reference, FLEXIBLE)),
            "lenient_match": float(numbers_equal(answer, sample.target)),
        })


BENCHMARK = GSM8K()
