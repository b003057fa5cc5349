"""`benchgate report html`: one self-contained file, checked in headless Debian chromium loaded
from file:// with every other request blocked; counts are checked against the run's own
samples.jsonl / results.json, computed here independently of the report code."""
import json
import os
import shutil

import pytest
from playwright.sync_api import expect

from benchgate.reports.allure_render import external_fetches
from tests.conftest import run_benchgate


def report(run, out, *extra):
    proc = run_benchgate(["report", "html", run, "-o", out, *extra])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out


def samples(run):
    return [json.loads(line) for line in (run / "samples.jsonl").read_text().splitlines()]


def listed_ids(page, section):
    """Every row id of a paged browser list, page by page."""
    ids = []
    while True:
        ids += page.eval_on_selector_all(f"{section} tbody.rows tr", "rows => rows.map(r => r.dataset.id)")
        current = page.get_attribute(f"{section} .pager", "data-page")
        total = page.get_attribute(f"{section} .pager", "data-pages")
        if current == total:
            return ids
        page.click(f"{section} .pager button:has-text('next')")
        expect(page.locator(f"{section} .pager")).to_have_attribute("data-page", str(int(current) + 1))


def count(page, section):
    return int(page.get_attribute(f"{section} .count", "data-count"))


def test_report_is_one_file_that_fetches_nothing(runs, tmp_path, open_page):
    out = report(runs["a"], tmp_path / "r.html")
    html = out.read_text()
    assert external_fetches(html) == [] and "default-src 'none'" in html
    opened = open_page(out)
    assert opened.blocked == [] and opened.errors == []
    page = opened.page
    res = json.loads((runs["a"] / "results.json").read_text())
    rows = page.eval_on_selector_all(".bench-table tbody tr", "rs => rs.map(r => [...r.cells].map(c => c.innerText))")
    assert {r[0]: r[3] for r in rows} == {b: f"{e['score']:.4f}" for b, e in res["benchmarks"].items()}
    # per-benchmark bars with CI whiskers, per-category and per-subset charts
    assert page.locator("svg[aria-label='Score per benchmark (95% CI)'] .ci-bar").count() == 2
    assert page.locator("svg[aria-label='mmlu: per category'] .score-bar").count() == 4
    assert page.locator("svg[aria-label='mmlu: per subset'] .score-bar").count() == 57


def test_sample_filters_and_search_show_the_right_counts(runs, tmp_path, open_page, data_dir, benchgate_home):
    from tests.reports.conftest import make_run

    # a run with one real error (malformed row) next to right and wrong answers
    bad = tmp_path / "data" / "gsm8k"
    bad.mkdir(parents=True)
    lines = (data_dir / "gsm8k" / "test.jsonl").read_text().splitlines(keepends=True)[:6]
    lines[2] = '{"question": "broken row"}\n'
    (bad / "test.jsonl").write_text("".join(lines))
    (bad / "train.jsonl").write_text((data_dir / "gsm8k" / "train.jsonl").read_text())
    shutil.copytree(data_dir / "mmlu", tmp_path / "data" / "mmlu")
    run = make_run(tmp_path / "err", tmp_path / "data", benchgate_home, "--model", "dummy",
                   "--datasets", "mmlu", "gsm8k", "--limit", "3", "--dataset-dir", str(tmp_path / "data"))
    recs = samples(run)
    errors = json.loads((run / "results.json").read_text())["errors"]
    expected = {"all": len(recs) + len(errors),
                "right": sum(r["scores"][r["metric"]] == 1 for r in recs),
                "wrong": sum(r["scores"][r["metric"]] == 0 for r in recs), "partial": 0,
                "error": len(errors)}
    assert expected["error"] == 1 and expected["right"] > 0 and expected["wrong"] > 0
    page = open_page(report(run, tmp_path / "r.html")).page
    page.click("nav button[data-tab=samples]")
    sec = "#sec-samples"
    for key, n in expected.items():
        page.click(f"{sec} .bar button[data-filter='{key}']")
        assert count(page, sec) == n, key
        assert page.inner_text(f"{sec} .bar button[data-filter='{key}']") == f"{key} ({n})"
    assert listed_ids(page, sec) == ["gsm8k/main/2"]  # the error filter is still on
    page.click(f"{sec} tbody.rows tr")
    assert "malformed row" in page.inner_text(f"{sec} pre.response")
    # search narrows every filter; the detail shows prompt, response and target side by side
    page.click(f"{sec} .bar button[data-filter='all']")
    page.fill(f"{sec} input.search", "college_physics")
    expect(page.locator(f"{sec} .count")).to_have_attribute("data-count", "3")
    page.click(f"{sec} tbody.rows tr[data-id='mmlu/college_physics/1']")
    rec = next(r for r in recs if r["id"] == "mmlu/college_physics/1")
    assert page.inner_text(f"{sec} pre.prompt").strip() == rec["prompt"].strip()
    assert page.inner_text(f"{sec} pre.target") == rec["target"]
    # a query across the shared few-shot prefix (stored once) and a sample's own text
    gsm = [r for r in recs if r["benchmark"] == "gsm8k"]
    shared = os.path.commonprefix([r["prompt"] for r in gsm])
    query = (shared[-10:] + gsm[1]["prompt"][len(shared):len(shared) + 12]).lower()
    assert "\n" not in query and not any(query in r["prompt"][len(shared):].lower() for r in gsm)
    page.fill(f"{sec} input.search", query)
    expected_hits = sum(query in r["prompt"].lower() for r in recs)
    assert expected_hits >= 1
    expect(page.locator(f"{sec} .count")).to_have_attribute("data-count", str(expected_hits))
    page.select_option(f"{sec} select.extra", "gsm8k")
    page.fill(f"{sec} input.search", "")
    expect(page.locator(f"{sec} .count")).to_have_attribute("data-count", str(sum(r["benchmark"] == "gsm8k" for r in recs) + 1))


def test_compare_lists_exactly_the_changed_samples_with_the_gate_test(runs, tmp_path, open_page):
    old = {r["id"]: r["scores"][r["metric"]] for r in samples(runs["a"])}
    new = {r["id"]: r["scores"][r["metric"]] for r in samples(runs["b"])}
    flips = {"right→wrong": {i for i in new if old[i] == 1 and new[i] == 0},
             "wrong→right": {i for i in new if old[i] == 0 and new[i] == 1}}
    assert flips["right→wrong"] and flips["wrong→right"]
    opened = open_page(report(runs["b"], tmp_path / "c.html", "--compare", str(runs["a"])))
    page = opened.page
    page.click("nav button[data-tab=compare]")
    sec = "#sec-compare"
    assert set(listed_ids(page, sec)) == flips["right→wrong"] | flips["wrong→right"]
    for kind, ids in flips.items():
        page.click(f"{sec} .bar button[data-filter='{kind}']")
        assert set(listed_ids(page, sec)) == ids
    # the p-values are the ones the --baseline gate of run b computed during its pytest session
    gate = json.loads((runs["b"] / "results.json").read_text())["gates"]["baseline"]
    rows = page.eval_on_selector_all(".compare-table tbody tr", "rs => rs.map(r => [...r.cells].map(c => c.innerText))")
    for row in rows:
        assert row[7] == f"{gate[row[0]]['p_value']:.3g}" or float(row[7]) == pytest.approx(gate[row[0]]["p_value"], rel=1e-2)
        assert row[5] == gate[row[0]]["test"] and int(row[6]) == gate[row[0]]["n_paired"]
    assert opened.blocked == [] and opened.errors == []


def test_perf_section(runs, tmp_path, open_page, scripted_perf):
    opened = open_page(report(runs["a"], tmp_path / "d.html", "--perf", str(scripted_perf)))
    page = opened.page
    page.click("nav button[data-tab=perf]")
    summary = json.loads((scripted_perf / "summary.json").read_text())
    rows = page.eval_on_selector_all(".perf-table tbody tr", "rs => rs.map(r => r.cells[0].innerText)")
    assert rows == [str(r["parallel"]) for r in summary["runs"]]
    frame = page.frame_locator("iframe.perf")
    assert frame.locator("svg").count() >= 4  # the perf report's own histograms and time series
    assert opened.blocked == [] and opened.errors == []


def test_bad_run_folder_is_a_clear_error(tmp_path):
    proc = run_benchgate(["report", "html", tmp_path / "nope", "-o", tmp_path / "x.html"])
    assert proc.returncode == 4 and f"{tmp_path / 'nope' / 'results.json'}: not found" in proc.stderr


def test_rate_intervals_stay_in_0_1_in_the_page(runs, tmp_path, open_page):
    """Accuracy is a rate: results.json gives Wilson intervals inside [0, 1] and the page shows
    them as given; the per-subset intervals in results.json are Wilson's too."""
    res = json.loads((runs["a"] / "results.json").read_text())
    opened = open_page(report(runs["a"], tmp_path / "ci.html"))
    rows = opened.page.eval_on_selector_all(".bench-table tbody tr", "rs => rs.map(r => [...r.cells].map(c => c.innerText))")
    for row in rows:
        entry = res["benchmarks"][row[0]]
        low, high = entry["ci95"]
        assert entry["ci_method"] == "wilson" and 0.0 <= low <= entry["score"] <= high <= 1.0
        assert row[5] == f"[{low:.4f}, {high:.4f}]"
        for block in entry["subsets"].values():
            ci = block["metrics"][entry["metric"]]["ci95"]
            assert 0.0 <= ci[0] <= block["score"] <= ci[1] <= 1.0
    assert opened.blocked == [] and opened.errors == []


def test_header_says_why_the_run_failed(tmp_path, data_dir, benchgate_home, open_page):
    """A run whose gate failed (exit 1): under `status: failed` the header names the gate, its
    value and its threshold, as results.json `gates.failures` and the console do."""
    from tests.reports.conftest import make_run

    run = make_run(tmp_path / "gated", data_dir, benchgate_home, "--model", "dummy", "--datasets", "mmlu",
                   "--limit", "1", "--gate", "mmlu=0.99")
    res = json.loads((run / "results.json").read_text())
    assert res["status"] == "failed"
    check = next(c for c in res["gates"]["checks"] if c["gate"] == "mmlu")
    assert not check["passed"]
    opened = open_page(report(run, tmp_path / "gated.html"))
    page = opened.page
    assert page.inner_text("#meta").startswith("status: failed")
    reasons = page.eval_on_selector_all("#status-reasons li", "ls => ls.map(l => l.innerText)")
    expected = (f"gate mmlu: acc = {check['score']:.4f} is under the threshold 0.9900")
    assert reasons == [expected], reasons
    assert reasons == res["gates"]["failures"]
    assert opened.blocked == [] and opened.errors == []


def test_header_of_a_passed_run_lists_no_reasons(runs, tmp_path, open_page):
    res = json.loads((runs["a"] / "results.json").read_text())
    assert res["status"] == "passed"
    opened = open_page(report(runs["a"], tmp_path / "ok.html"))
    assert opened.page.inner_text("#meta").startswith("status: passed")
    assert opened.page.locator("#status-reasons").count() == 0


def test_status_reasons_name_errors_and_broken_benchmarks():
    from benchgate.reports.html import status_reasons

    results = {"status": "failed", "gates": {"failures": ["gate gsm8k: acc = 0.1000 is under the threshold 0.5000"]},
               "benchmarks": {"gsm8k": {"score": 0.1}, "bbh": {"score": None, "error": "aggregation failed: ValueError: x"}},
               "errors": [{"id": f"mmlu/a/{i}", "message": f"boom {i}\ntraceback"} for i in range(7)],
               "failed_requirements": [{"id": "mine/x/0", "message": "assert 1 == 2"}]}
    assert status_reasons(results) == [
        "gate gsm8k: acc = 0.1000 is under the threshold 0.5000",
        "bbh: aggregation failed: ValueError: x",
        "7 sample(s) failed: mmlu/a/0: boom 0; mmlu/a/1: boom 1; mmlu/a/2: boom 2; mmlu/a/3: boom 3; "
        "mmlu/a/4: boom 4; … and 2 more",
        "1 requirement(s) failed: mine/x/0: assert 1 == 2"]
    assert status_reasons({"status": "interrupted"})[0].startswith("interrupted")
    assert status_reasons({"status": "passed", "gates": {"failures": []}}) == []
