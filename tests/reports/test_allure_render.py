"""Allure 3 (npm, pinned) renders the per-sample results into one offline HTML file, and its
quality gates, generated from the run's --gate thresholds, agree with benchgate's verdicts."""
import subprocess
import sys

from benchgate.reports.allure_render import ALLURE_VERSION, allure_command, external_fetches
from tests.conftest import ROOT

GATES = ("--gate", "mmlu=0.2", "--gate", "gsm8k=0.5", "--gate", "mmlu/STEM=0.3",
         "--gate", "mmlu/abstract_algebra=0.0", "--gate", "mmlu/Humanities=0.9")


def test_allure_renders_offline_and_its_gates_agree_with_benchgate(run_evals, tmp_path, open_page):
    assert subprocess.run([*allure_command(), "--version"], capture_output=True, text=True).stdout.strip() == ALLURE_VERSION
    allure = tmp_path / "allure-results"
    run = run_evals("--model", "dummy", "--datasets", "mmlu", "gsm8k", "--limit", "2", "--alluredir", str(allure), *GATES)
    assert run.code == 1, run.out  # some gates fail
    checks = {c["gate"]: c["passed"] for c in run.results["gates"]["checks"]}
    assert True in checks.values() and False in checks.values()
    out = tmp_path / "report"
    proc = subprocess.run([sys.executable, "-m", "benchgate.cli", "report", "allure", str(allure),
                           "--run", str(run.output_dir), "-o", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 1, proc.stdout + proc.stderr  # Allure's own quality gate failed too
    allure_verdicts = {}
    for line in proc.stdout.splitlines():
        if line.startswith("allure quality gate benchgate "):
            gate = line.split("allure quality gate benchgate ")[1].split(":")[0]
            allure_verdicts[gate] = line.endswith(": passed")
    # every gate (0/1 scores) has an Allure rule, with the same verdict as benchgate's
    assert allure_verdicts == checks
    # one file, nothing to fetch, opens in chromium with every non-file request blocked
    index = out / "index.html"
    assert {"allurerc.mjs", "index.html"} <= {p.name for p in out.iterdir()}
    assert not [p for p in out.rglob("*") if p.suffix in (".js", ".css")]  # everything is inlined
    html = index.read_text()
    assert external_fetches(html) == [] and "googletagmanager" not in html
    opened = open_page(index, ready="text=mmlu/abstract_algebra/0")
    text = " ".join(opened.page.inner_text("body").split())
    wrong = sum(s["scores"][s["metric"]] == 0 for s in run.samples())
    assert f"Total {len(run.samples())} Failed {wrong} Passed {len(run.samples()) - wrong}" in text
    assert "model dummy" in text and "seed 42" in text  # environment.properties from the controller
    # the report's Quality Gates tab lists the gates that failed, as the console does
    failed = sorted(g for g, ok in checks.items() if not ok)
    assert f"Quality Gates {len(failed)}" in text
    opened.page.locator("text=/Quality Gates/").first.click()
    shown = {" ".join(t.split()) for t in opened.page.locator("text=/^benchgate .*\\/successRate$/").all_inner_texts()}
    assert shown == {f"benchgate {g}/successRate" for g in failed}
    assert opened.blocked == []


def test_missing_results_dir_is_a_clear_error(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "benchgate.cli", "report", "allure", str(tmp_path / "none"),
                           "-o", str(tmp_path / "o")], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 4 and "no Allure results (*-result.json) there" in proc.stderr


def test_gates_without_an_allure_equivalent_are_named():
    from benchgate.reports.allure_render import gate_rules

    results = {"benchmarks": {
        "qa": {"metric": "bleu", "subsets": {"a": {}}, "categories": {}},
        "safety": {"metric": "unsafe", "lower_is_better": ["unsafe"], "subsets": {"x": {}}, "categories": {}}}}
    samples = [{"benchmark": "qa", "subset": "a", "metric": "bleu", "scores": {"bleu": 0.37}},
               {"benchmark": "safety", "subset": "x", "metric": "unsafe", "scores": {"unsafe": 1.0},
                "lower_is_better": ["unsafe"]}]
    rules = gate_rules(results, samples, ["qa=0.3", "safety=0.25", "safety:other=0.1", "nosuch=1"])
    assert rules.rules == [{"id": "benchgate safety", "successRate": 0.75, "filter": {"epic": "safety"}}]
    assert [n.split(":")[0] for n in rules.benchgate_only] == ["qa >= 0.3", "safety", "nosuch >= 1.0"]


def test_a_gate_against_its_metric_direction_is_benchgate_only():
    from benchgate.reports.allure_render import gate_rules

    results = {"benchmarks": {"mmlu": {"metric": "acc", "subsets": {}, "categories": {}}},
               "gates": {"checks": [{"gate": "mmlu", "threshold": 0.5, "direction": "at most"},
                                    {"gate": "mmlu", "threshold": 0.3, "direction": "at least"}]}}
    samples = [{"benchmark": "mmlu", "scores": {"acc": 1.0}, "metric": "acc"}]
    rules = gate_rules(results, samples)
    assert [r["successRate"] for r in rules.rules] == [0.3]  # at least 0.3 of right answers
    assert len(rules.benchgate_only) == 1 and "<= against the metric's own direction" in rules.benchgate_only[0]
