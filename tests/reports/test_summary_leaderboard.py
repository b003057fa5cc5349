"""`benchgate report summary|annotations` (GitHub) and `benchgate leaderboard`, checked against
numbers computed here from samples.jsonl and against the --baseline gate of a pytest run."""
import csv
import io
import json
from statistics import mean

from benchgate.reports.summary import MAX_ANNOTATIONS, MAX_BYTES, annotations, summary_markdown
from tests.conftest import run_benchgate


def cli(*args):
    return run_benchgate(list(args))


def test_summary_has_one_row_per_benchmark_with_the_baseline_gate_test(runs):
    proc = cli("report", "summary", str(runs["b"]), "--baseline", str(runs["a"]))
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    res_a = json.loads((runs["a"] / "results.json").read_text())
    res_b = json.loads((runs["b"] / "results.json").read_text())
    gate = res_b["gates"]["baseline"]  # computed by run b's own pytest session (--baseline a)
    rows = [line for line in text.splitlines() if line.startswith("| ") and not line.startswith("| benchmark")]
    assert [r.split(" | ")[0][2:] for r in rows] == sorted(res_b["benchmarks"])
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        name = cells[0]
        assert cells[3] == f"{res_b['benchmarks'][name]['score']:.4f}"
        assert cells[6] == f"{res_b['benchmarks'][name]['score'] - res_a['benchmarks'][name]['score']:+.4f}"
        assert f"p = {gate[name]['p_value']:.3g}" in cells[7]
        assert cells[8].startswith("✗") == gate[name]["significant_drop"]
    assert len(text.encode()) < MAX_BYTES


def _huge_run(tmp_path, n_bench=3000, n_errors=20000):
    run = tmp_path / "huge"
    run.mkdir()
    benchmarks = {f"b{i:04d}": {"metric": "acc", "score": 0.5, "n": 10, "stderr": 0.1, "ci95": [0.3, 0.7],
                                "metrics": {}, "subsets": {}, "categories": {}} for i in range(n_bench)}
    checks = [{"gate": f"b{i:04d}", "metric": "acc", "score": 0.5, "threshold": 0.9, "passed": False,
               "direction": "at least"} for i in range(n_bench)]
    failures = [f"gate b{i:04d}: acc = 0.5000 is under the threshold 0.9000\nsecond line 100%" for i in range(n_bench)]
    results = {"status": "failed", "model": {"name": "m"}, "benchmarks": benchmarks,
               "gates": {"passed": False, "checks": checks, "failures": failures, "baseline": None},
               "errors": [{"id": f"b0000/x/{i}", "message": "boom " * 50} for i in range(n_errors)]}
    (run / "results.json").write_text(json.dumps(results))
    return run, failures


def test_summary_stays_under_one_megabyte_and_annotations_under_ten(tmp_path):
    run, failures = _huge_run(tmp_path)
    text = summary_markdown(run)
    assert len(text.encode()) <= MAX_BYTES and sum(line.startswith("| b") for line in text.splitlines()) == 3001  # header + every benchmark
    lines = annotations(run)
    assert len(lines) == MAX_ANNOTATIONS
    assert all(line.startswith("::error title=benchgate gate::") for line in lines)
    assert lines[0] == "::error title=benchgate gate::" + failures[0].replace("%", "%25").replace("\n", "%0A")
    assert "\n" not in "".join(lines) and "… and 2992 more failure(s)" in lines[-1]
    proc = cli("report", "annotations", str(run))
    assert proc.returncode == 0 and proc.stdout.splitlines() == lines


def test_passing_run_has_no_annotations(runs):
    assert annotations(runs["a"]) == []


def test_leaderboard_matches_hand_computed_numbers(runs, tmp_path):
    targets = tmp_path / "targets.yaml"
    targets.write_text("dummy:\n  mmlu: 25.0\n")
    proc = cli("leaderboard", str(runs["a"]), str(runs["b"]), "--targets", str(targets), "--format", "csv")
    assert proc.returncode == 0, proc.stderr
    table = list(csv.DictReader(io.StringIO(proc.stdout)))
    assert list(table[0]) == ["Model", "Revision", "Precision", "Humanities", "STEM", "Social Sciences", "Other",
                              "WeightedAvg", "Avg", "Target", "Delta"]
    for row, run in zip(table, (runs["a"], runs["b"])):
        recs = [json.loads(line) for line in (run / "samples.jsonl").read_text().splitlines()]
        mmlu = [r for r in recs if r["benchmark"] == "mmlu"]
        per_cat = {c: mean(r["scores"]["acc"] for r in mmlu if r["category"] == c)
                   for c in ("Humanities", "STEM", "Social Sciences", "Other")}
        assert row["Model"] == "dummy"
        for cat, value in per_cat.items():
            assert abs(float(row[cat]) - value) < 1e-12
        micro = mean(r["scores"]["acc"] for r in mmlu)
        assert abs(float(row["WeightedAvg"]) - micro) < 1e-12
        assert abs(float(row["Avg"]) - mean(per_cat.values())) < 1e-12
        assert float(row["Target"]) == 0.25 and abs(float(row["Delta"]) - (micro - 0.25)) < 1e-12
    md = cli("leaderboard", str(runs["a"]), "--targets", str(targets)).stdout.splitlines()
    assert md[0] == "| Model | Revision | Precision | Humanities | STEM | Social Sciences | Other | WeightedAvg | Avg | Target | Delta |"
    assert md[2].startswith("| dummy | – | – | ") and md[2].endswith(" | 25.00 | " + md[2].split(" | ")[-1])
    html = cli("leaderboard", str(runs["a"]), "--format", "html").stdout
    assert html.startswith("<!DOCTYPE html>") and "<th>WeightedAvg</th>" in html


def test_leaderboard_errors_name_the_run(runs, tmp_path):
    proc = cli("leaderboard", str(runs["a"]), "--benchmark", "hellaswag")
    assert proc.returncode == 4 and f"{runs['a']}: no results for benchmark 'hellaswag'" in proc.stderr
    bad = tmp_path / "t.yaml"
    bad.write_text("dummy: [1, 2]\n")
    proc = cli("leaderboard", str(runs["a"]), "--targets", str(bad))
    assert proc.returncode == 4 and "dummy: expected a mapping" in proc.stderr
