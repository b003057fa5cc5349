"""The reports on a real run of the hand-written examples (examples/qa: `record.metrics` over
capitals.jsonl; examples/regression: a failed requirement; examples/judged: skipped, no judge)
with `--model dummy --model-args response=Paris` (right on France, wrong elsewhere, no 30-day
window): Allure results, the GitHub
summary and annotations, the leaderboard and the HTML report.

Expected values come from examples/qa/capitals.jsonl, the run's samples.jsonl / results.json
and the assert message the example writes, never from the report code."""
from __future__ import annotations

import csv
import io
import json
import re
from statistics import mean

import pytest

from tests.conftest import ROOT, run_pytest
from tests.reports.allure_files import attachment, by_name, labels
from tests.reports.test_html_report import count, listed_ids, report
from tests.reports.test_summary_leaderboard import cli

pytestmark = pytest.mark.slow

REFUND = "support/refund_policy/0"


@pytest.fixture(scope="module")
def examples_run(tmp_path_factory, benchgate_home):
    tmp = tmp_path_factory.mktemp("examples-run")
    proc = run_pytest([str(ROOT / "examples"), "-q", "-p", "no:cacheprovider", "--model", "dummy",
                       "--model-args", "response=Paris", "--output-dir", str(tmp / "out"),
                       "--cache-path", str(tmp / "cache.sqlite"), "--alluredir", str(tmp / "allure")],
                      env={"BENCHGATE_HOME": str(benchgate_home)})
    assert proc.returncode == 1, proc.stdout + proc.stderr  # the failed requirement fails the session
    out = tmp / "out"
    return {"out": out, "allure": tmp / "allure",
            "results": json.loads((out / "results.json").read_text()),
            "samples": {json.loads(x)["id"]: json.loads(x) for x in (out / "samples.jsonl").read_text().splitlines()}}


def _capitals():
    rows = [json.loads(x) for x in (ROOT / "examples" / "qa" / "capitals.jsonl").read_text().splitlines() if x.strip()]
    return {f"capitals/capitals/{i}": row for i, row in enumerate(rows)}


def test_allure_results_of_hand_written_evals(examples_run):
    found = by_name(examples_run["allure"])
    capitals = _capitals()
    # examples/judged without --judge-model: every test skipped, with the reason, in Allure too
    explanations = [x for x in (ROOT / "examples" / "judged" / "explanations.jsonl").read_text().splitlines()
                    if x.strip()]
    judged = {name: found.pop(name) for name in list(found) if name.startswith("test_explanation[")}
    assert sorted(judged) == sorted(f"test_explanation[explanations/{i}]" for i in range(len(explanations)))
    for result in judged.values():
        assert result["status"] == "skipped" and "no judge configured" in result["statusDetails"]["message"]
    assert set(found) == set(capitals) | {REFUND}
    assert len({r["historyId"] for r in found.values()}) == len(found)
    for sid, row in capitals.items():
        result = found[sid]
        assert labels(result, "epic") == ["capitals"] and labels(result, "feature") == ["capitals"]
        assert labels(result, "story") == [row["category"]]
        assert result["fullName"] == f"test_capitals.py#{sid}"
        right = row["answer"] == "Paris"
        assert result["status"] == ("passed" if right else "failed"), sid
        assert labels(result, "tag") == ["right" if right else "wrong"]
        if not right:  # no extractor in a hand-written eval: the message shows the response
            assert result["statusDetails"]["message"] == f"wrong answer: response 'Paris', target {row['answer']!r}"
        assert attachment(examples_run["allure"], result, "prompt") == f"Q: {row['question']}\nA:"
        assert attachment(examples_run["allure"], result, "response") == "Paris"
    assert sum(r["status"] == "passed" for r in found.values()) == 1  # France only
    # the failed requirement: failed with the assert's message, in the Allure category for it
    refund = found[REFUND]
    message = refund["statusDetails"]["message"]
    assert refund["status"] == "failed" and message.startswith("AssertionError: the refund answer lost the 30-day window")
    assert json.loads(attachment(examples_run["allure"], refund, "scores")) == {"mentions_window": 0.0, "requirement": 0.0}
    categories = json.loads((examples_run["allure"] / "categories.json").read_text())
    (category,) = [c for c in categories if c["name"].startswith("Failed requirements")]
    assert re.fullmatch(category["messageRegex"], message)  # Allure matches the whole message
    wrong = next(c for c in categories if c["name"] == "Wrong answers")
    assert re.fullmatch(wrong["messageRegex"], found["capitals/capitals/1"]["statusDetails"]["message"])
    assert not re.fullmatch(wrong["messageRegex"], message)


def test_summary_annotations_and_leaderboard(examples_run):
    res = examples_run["results"]
    (failed,) = res["failed_requirements"]
    assert failed["id"] == REFUND
    text = cli("report", "summary", str(examples_run["out"])).stdout
    assert text.startswith("## benchgate: ✗ failed")
    em = mean(s["scores"]["em"] for s in examples_run["samples"].values() if s["benchmark"] == "capitals")
    assert f"| capitals | em | 8 | {em:.4f} |" in text
    assert "### 1 failed requirement(s)" in text and f"- `{REFUND}`: {failed['message']}" in text
    notes = cli("report", "annotations", str(examples_run["out"])).stdout.splitlines()
    assert len(notes) == 1 and f"{REFUND}: {failed['message']}" in notes[0]
    proc = cli("leaderboard", str(examples_run["out"]), "--benchmark", "capitals", "--format", "csv")
    (row,) = list(csv.DictReader(io.StringIO(proc.stdout)))
    by_category: dict[str, list[float]] = {}
    for sid, data in _capitals().items():
        by_category.setdefault(data["category"], []).append(float(data["answer"] == "Paris"))
    for category, values in by_category.items():
        assert float(row[category]) == mean(values), category
    assert float(row["WeightedAvg"]) == em


def test_html_report_shows_the_failed_requirement(examples_run, tmp_path, open_page):
    opened = open_page(report(examples_run["out"], tmp_path / "ex.html"))
    page = opened.page
    message = examples_run["results"]["failed_requirements"][0]["message"]
    assert page.eval_on_selector_all(".failed-requirements tbody tr", "rs => rs.map(r => [...r.cells].map(c => c.innerText))") == \
        [[REFUND, message]]
    page.click("nav button[data-tab=samples]")
    sec = "#sec-samples"
    samples = examples_run["samples"]
    assert count(page, sec) == len(samples)
    for kind, n in (("right", 1), ("wrong", len(samples) - 1)):
        page.click(f"{sec} .bar button[data-filter='{kind}']")
        assert count(page, sec) == n, kind
    page.click(f"{sec} .bar button[data-filter='all']")
    page.select_option(f"{sec} select.extra-requirement", "failed")
    assert listed_ids(page, sec) == [REFUND]
    page.click(f"{sec} tbody.rows tr")
    assert page.inner_text(f"{sec} .failed-requirement") == f"failed requirement: {message}"
    assert page.inner_text(f"{sec} pre.response") == samples[REFUND]["response"]
    assert opened.blocked == [] and opened.errors == []
