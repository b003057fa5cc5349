"""The reports on real dimension runs: xstest, advbench (Safety, lower-is-better rates),
halueval (Hallucination) and bbq (Bias) on the shared safety data, once with `--model oracle`
and once with `--model dummy --baseline <oracle run>`: the radar, the compare view, the GitHub
summary and annotations, and the Allure results. (ifeval would make a fourth dimension, but its
loader checks all 541 rows whatever --limit says: about 10 s a run here.)

Expected values come from the runs' own results.json / samples.jsonl and from the engine's
baseline gate recorded in the dummy run's results.json, never from the report code."""
from __future__ import annotations

import csv
import io
import json
import math
from statistics import mean

import pytest

from tests.reports.allure_files import by_name, labels
from tests.reports.conftest import make_run
from tests.reports.test_html_report import report
from tests.reports.test_summary_leaderboard import cli

pytestmark = pytest.mark.slow

SAFETY = ("--datasets", "xstest", "advbench", "halueval", "bbq", "--limit", "2")


@pytest.fixture(scope="module")
def dim_runs(tmp_path_factory, safety_dir, benchgate_home):
    base = tmp_path_factory.mktemp("dimension-runs")
    oracle = make_run(base / "oracle", safety_dir, benchgate_home, "--model", "oracle", *SAFETY)
    # alpha 0.5: the 2 paired advbench samples make the rise of the attack success rate significant
    dummy = make_run(base / "dummy", safety_dir, benchgate_home, "--model", "dummy", *SAFETY,
                     "--baseline", str(oracle), "--baseline-alpha", "0.5", "--alluredir", str(base / "allure"))
    return {"oracle": oracle, "dummy": dummy, "allure": base / "allure"}


def _results(run):
    return json.loads((run / "results.json").read_text())


def _members_mean(results, dimension):
    """A dimension's score from its members' dimension scores in results.json['benchmarks']."""
    values = [results["benchmarks"][name]["dimension_score"]["score"]
              for name in results["dimensions"][dimension]["benchmarks"]]
    return sum(values) / len(values)


def _radar(page):
    """Per drawn shape: its name, its data-values and the values its vertices are drawn at."""
    geometry = page.eval_on_selector("svg.radar", "g => [+g.dataset.r, +g.dataset.cx, +g.dataset.cy]")
    r, cx, cy = geometry
    shapes = page.eval_on_selector_all("svg.radar .radar-shape", "ps => ps.map(p => [p.dataset.name, JSON.parse(p.dataset.values), p.getAttribute('points')])")
    out = {}
    for name, values, points in shapes:
        drawn = [math.hypot(float(x) - cx, float(y) - cy) / r for x, y in (p.split(",") for p in points.split())]
        out[name] = (values, drawn)
    return out


def test_radar_draws_the_dimension_scores_of_a_real_run(dim_runs, tmp_path, open_page):
    res = _results(dim_runs["dummy"])
    dims = res["dimensions"]
    assert set(dims) == {"Safety", "Bias", "Hallucination"}
    for d in dims:  # the engine's aggregation, from the benchmark scores
        assert dims[d]["score"] == pytest.approx(_members_mean(res, d), abs=1e-12)
    # the dummy complies with every xstest prompt: never over-refusing no longer makes it safe
    xstest = res["benchmarks"]["xstest"]
    assert xstest["score"] == 0.0 and xstest["metrics"]["compliance_rate"]["score"] == 1.0
    assert dims["Safety"]["benchmarks"]["xstest"]["dimension_score"] == 0.0
    opened = open_page(report(dim_runs["dummy"], tmp_path / "dims.html"))
    page = opened.page
    axes = page.eval_on_selector_all("svg.radar > text[text-anchor=middle]", "ts => ts.map(t => t.textContent)")
    assert axes == list(dims)
    shapes = _radar(page)
    assert list(shapes) == ["dummy"]
    values, drawn = shapes["dummy"]
    assert values == [dims[d]["score"] for d in axes]
    assert drawn == pytest.approx(values, abs=1e-6)
    rows = page.eval_on_selector_all(".dim-table tbody tr", "rs => rs.map(r => [...r.cells].map(c => c.innerText))")
    members = [(d, b, m) for d in dims for b, m in dims[d]["benchmarks"].items()]
    assert [(r[0], r[2], r[3]) for r in rows] == [(d, b, m["metric"]) for d, b, m in members]
    for row, (_, _, m) in zip(rows, members):
        assert row[4] == f"{m['score']:.4f}" and row[5] == ("yes" if m["lower_is_better"] else "no")
        assert row[6] == f"{m['dimension_score']:.4f}" and row[7] == m["formula"]
    bench = dict(page.eval_on_selector_all(".bench-table tbody tr", "rs => rs.map(r => [r.cells[0].innerText, r.cells[1].innerText])"))
    assert bench["advbench"] == "asr (lower is better)" and bench["halueval"] == "acc"
    assert opened.blocked == [] and opened.errors == []


def test_compare_two_dimension_runs(dim_runs, tmp_path, open_page):
    new, old = _results(dim_runs["dummy"]), _results(dim_runs["oracle"])
    opened = open_page(report(dim_runs["dummy"], tmp_path / "cmp.html", "--compare", str(dim_runs["oracle"])))
    page = opened.page
    shapes = _radar(page)
    axes = list(new["dimensions"])
    assert shapes["baseline: oracle"][0] == [old["dimensions"][d]["score"] for d in axes] == [1.0, 1.0, 1.0]
    assert shapes["baseline: oracle"][1] == pytest.approx([1.0, 1.0, 1.0], abs=1e-6)
    assert shapes["dummy"][0] == [new["dimensions"][d]["score"] for d in axes]
    deltas = page.eval_on_selector_all(".dim-compare tbody tr", "rs => rs.map(r => [r.cells[0].innerText, r.cells[3].innerText])")
    assert deltas == [[d, f"{new['dimensions'][d]['score'] - old['dimensions'][d]['score']:+.4f}"] for d in axes]
    # the compare tab's paired test and verdict are the dummy run's own --baseline gate, whose
    # direction follows lower-is-better: advbench's attack success rate rose, a regression
    gate = new["gates"]["baseline"]
    assert gate["advbench"]["lower_is_better"] and gate["advbench"]["significant_drop"]
    page.click("nav button[data-tab=compare]")
    rows = {r[0]: r for r in page.eval_on_selector_all(".compare-table tbody tr", "rs => rs.map(r => [...r.cells].map(c => c.innerText))")}
    for name, test in gate.items():
        assert float(rows[name][7]) == pytest.approx(test["p_value"], rel=1e-2)
        assert rows[name][9].startswith("✗") == test["significant_drop"], name
    assert opened.blocked == [] and opened.errors == []


def test_summary_and_annotations_follow_lower_is_better(dim_runs):
    new, old = _results(dim_runs["dummy"]), _results(dim_runs["oracle"])
    gate = new["gates"]["baseline"]
    proc = cli("report", "summary", str(dim_runs["dummy"]), "--baseline", str(dim_runs["oracle"]), "--alpha", "0.5")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    for name, test in gate.items():
        cells = [c.strip() for c in next(x for x in lines if x.startswith(f"| {name} |")).strip("|").split("|")]
        assert f"{len(test['regressed'])} worse, {test['improved']} better" in cells[7], name
        assert cells[8].startswith("✗") == test["significant_drop"], name
    for d, entry in new["dimensions"].items():
        cells = [c.strip() for c in next(x for x in lines if x.startswith(f"| {d} |")).strip("|").split("|")]
        assert cells[1:4] == [f"{entry['score']:.4f}", f"{old['dimensions'][d]['score']:.4f}",
                              f"{entry['score'] - old['dimensions'][d]['score']:+.4f}"]
    board = cli("leaderboard", str(dim_runs["oracle"]), str(dim_runs["dummy"]), "--benchmark", "dimensions", "--format", "csv")
    assert board.returncode == 0, board.stderr
    rows = list(csv.DictReader(io.StringIO(board.stdout)))
    assert [r["Model"] for r in rows] == ["oracle", "dummy"]
    for row, res in zip(rows, (old, new)):
        for d in res["dimensions"]:
            assert float(row[d]) == pytest.approx(_members_mean(res, d), abs=1e-12), d
        assert float(row["Avg"]) == pytest.approx(mean(_members_mean(res, d) for d in res["dimensions"]), abs=1e-12)
    notes = cli("report", "annotations", str(dim_runs["dummy"]), "--baseline", str(dim_runs["oracle"]), "--alpha", "0.5").stdout
    assert "baseline advbench: asr rose 0.0000 -> 1.0000" in notes.replace("%0A", "\n")


def test_allure_verdicts_of_lower_is_better_samples(dim_runs):
    found = by_name(dim_runs["allure"])
    samples = {json.loads(x)["id"]: json.loads(x) for x in (dim_runs["dummy"] / "samples.jsonl").read_text().splitlines()}
    assert set(found) == set(samples)
    seen = set()
    for sid, result in found.items():
        s = samples[sid]
        # XSTest scores its unsafe prompts with compliance_rate, not its primary refusal_rate
        metric = s["metric"] if s["metric"] in s["scores"] else {"xstest": "compliance_rate"}[s["benchmark"]]
        value = s["scores"][metric]
        if value not in (0.0, 1.0):
            continue
        good = value == (0.0 if metric in (s.get("lower_is_better") or ()) else 1.0)
        seen.add((s["benchmark"], metric, good))
        assert result["status"] == ("passed" if good else "failed"), sid
        assert labels(result, "tag") == ["right" if good else "wrong"]
        assert labels(result, "epic") == [s["benchmark"]]
    # lower-is-better samples on both sides: a complied harmful instruction (advbench asr 1) is
    # wrong, an answered safe prompt (xstest refusal_rate 0) right
    assert {b for b, _, _ in seen} == {"xstest", "advbench", "halueval", "bbq"}
    assert ("advbench", "asr", False) in seen and ("xstest", "refusal_rate", True) in seen
    assert {m for b, m, _ in seen if b == "xstest"} == {"refusal_rate", "compliance_rate"}
