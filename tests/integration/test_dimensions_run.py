"""End-to-end on the safety, bias, hallucination and instruction-following benchmarks: oracle
best / wrong worst through the real engine, results.json dimensions, skipped judge-scored
subsets, lower-is-better gates, harmful prompts kept out of the console, and a perturbed
(robustness) MMLU run."""
import csv

import pytest

from tests.conftest import SAFETY

NEW = ("ifeval", "safetybench", "xstest", "bbq", "halueval", "advbench", "bipia", "prompt_attack_zh")
BEST = {"ifeval": 1.0, "safetybench": 1.0, "xstest": 0.0, "bbq": 1.0, "halueval": 1.0, "advbench": 0.0,
        "bipia": 0.0, "prompt_attack_zh": 0.0}
WORST = {"ifeval": 0.0, "safetybench": 0.0, "xstest": 1.0, "bbq": 0.0, "halueval": 0.0, "advbench": 1.0,
         "bipia": 1.0, "prompt_attack_zh": 1.0}


def _run(run_evals, model, *extra, subprocess_=None):
    return run_evals("--model", model, "--datasets", *NEW, "--limit", "3", "--dataset-dir", str(SAFETY),
                     "-p", "no:randomly", *extra, subprocess_=subprocess_)


@pytest.mark.subprocess  # asserts what never reaches the console: all of the process's output
def test_oracle_best_wrong_worst_dimensions_and_skips(run_evals):
    oracle = _run(run_evals, "oracle", "-vv", "--gate", "advbench=0.0", "--gate", "xstest:compliance_rate=0.0")
    assert oracle.code == 0, oracle.out[-3000:]
    res = oracle.results
    assert {b: e["score"] for b, e in res["benchmarks"].items()} == BEST
    dims = res["dimensions"]
    assert set(dims) == {"Safety", "Bias", "Hallucination", "Instruction Following"}
    assert set(dims["Safety"]["benchmarks"]) == {"safetybench", "xstest", "advbench", "bipia", "prompt_attack_zh"}
    assert dims["Safety"]["benchmarks"]["advbench"] == {"metric": "asr", "score": 0.0, "lower_is_better": True,
                                                        "dimension_score": 1.0, "formula": "1 - asr"}
    assert all(d["score"] == 1.0 for d in dims.values())
    assert all(s["dimension"] for s in oracle.samples())
    # judge-scored BIPIA attacks are skipped with the reason, never scored
    skipped = res["skipped"]
    assert skipped and all(s["benchmark"] == "bipia" and s["subset"].endswith("_judge") for s in skipped)
    assert all(s["reason"].startswith("judge-scored attack") and s["n"] == 3 for s in skipped)
    assert not any(k.endswith("_judge") for k in res["benchmarks"]["bipia"]["subsets"])
    assert "skipped: bipia/email_task_automation_judge (3 samples): judge-scored attack" in oracle.out
    checks = {c["gate"]: c for c in res["gates"]["checks"]}
    assert checks["advbench"]["direction"] == "at most" and checks["advbench"]["passed"]
    # the summary says which way each metric is better
    row = next(line for line in oracle.out.splitlines() if line.startswith("advbench "))
    assert row.split()[:3] == ["advbench", "asr", "lower"]
    # content warning: the harmful prompts never reach the console, only their sample ids
    with open(SAFETY / "advbench" / "harmful_behaviors.csv", encoding="utf-8") as f:
        goals = [row["goal"] for row in csv.DictReader(f)][:3]
    assert "advbench/harmful_behaviors/0" in oracle.out
    assert not any(goal[:40] in oracle.out for goal in goals)

    # the console check is the oracle run's: this one can run in this process
    wrong = _run(run_evals, "wrong", "--gate", "advbench=0.5", subprocess_=False)
    assert wrong.code == 1, wrong.out[-3000:]
    assert {b: e["score"] for b, e in wrong.results["benchmarks"].items()} == WORST
    assert "gate advbench: asr = 1.0000 is over the threshold 0.5000 (lower is better)" in wrong.out
    assert all(d["score"] == 0.0 for d in wrong.results["dimensions"].values())


def test_perturbed_mmlu_reports_the_drop_in_the_robustness_dimension(run_evals):
    run = run_evals("--model", "oracle", "--datasets", "mmlu", "--limit", "2", "--dataset-args",
                    '{"mmlu": {"perturb": "shuffle,labels,typos"}}')
    assert run.code == 0, run.out[-3000:]
    mmlu = run.results["benchmarks"]["mmlu"]
    assert mmlu["dimension"] == "Robustness" and run.results["dimensions"]["Robustness"]["benchmarks"]["mmlu"]["score"] == 1.0
    assert mmlu["metrics"]["acc_clean"]["score"] == 1.0 and mmlu["metrics"]["acc_drop"]["score"] == 0.0
    assert mmlu["metrics"]["acc_drop_p_value"]["score"] == 1.0  # no discordant pair
    assert "acc_drop" in mmlu["lower_is_better"]
    sample = next(s for s in run.samples() if s["id"] == "mmlu/anatomy/0")
    assert sample["continuations"] == [" A", " B", " C", " D", " 1", " 2", " 3", " 4"]
    assert run.results["config"]["effective_dataset_args"]["mmlu"]["perturb"] == ["shuffle", "labels", "typos"]


def test_dimensions_and_skips_survive_xdist(run_evals):
    run = run_evals("--model", "oracle", "--datasets", "xstest", "bipia", "--limit", "2", "--dataset-dir",
                    str(SAFETY), "-n", "2")
    assert run.code == 0, run.out[-3000:]
    res = run.results
    assert {b: (e["score"], e["dimension"]) for b, e in res["benchmarks"].items()} == {
        "xstest": (0.0, "Safety"), "bipia": (0.0, "Safety")}
    assert set(res["dimensions"]["Safety"]["benchmarks"]) == {"xstest", "bipia"}
    assert len(res["skipped"]) == 26 and all(s["n"] == 2 for s in res["skipped"])
    assert all(s["dimension"] == "Safety" for s in run.samples())
