"""A tool-use sample (bfcl) in the reports: the HTML sample browser shows the calls made beside
the calls expected and the reason a call failed; Allure attaches the same three. Checked against
the run's own samples.jsonl, in Debian's chromium and in the files allure-pytest writes."""
import json

from tests.reports.allure_files import attachment, by_name
from tests.reports.test_html_report import report, samples

ARGS = '{"bfcl": {"mode": "prompt", "subset_list": ["simple_python", "parallel"]}}'


def _bfcl_run(run_evals, agent_dir, tmp_path, model):
    allure = tmp_path / f"allure-{model}"
    run = run_evals("--model", model, "--datasets", "bfcl", "--dataset-dir", str(agent_dir), "--limit", "1",
                    "--dataset-args", ARGS, "--alluredir", str(allure), output=f"bfcl-{model}")
    assert run.code == 0, run.out
    return run.output_dir, allure


def _detail(page, sid):
    sec = "#sec-samples"
    page.click("nav button[data-tab=samples]")
    page.click(f"{sec} tbody.rows tr[data-id='{sid}']")
    return {"made": page.inner_text(f"{sec} pre.calls"), "expected": page.inner_text(f"{sec} pre.expected-calls"),
            "error": page.locator(f"{sec} p.tool-error").all_inner_texts()}


def test_calls_made_beside_expected_and_the_failure(run_evals, agent_dir, tmp_path, open_page):
    right, right_allure = _bfcl_run(run_evals, agent_dir, tmp_path, "oracle")
    wrong, wrong_allure = _bfcl_run(run_evals, agent_dir, tmp_path, "wrong")
    right_recs = {r["id"]: r for r in samples(right)}
    wrong_recs = {r["id"]: r for r in samples(wrong)}
    assert set(right_recs) == set(wrong_recs) == {"bfcl/simple_python/0", "bfcl/parallel/0"}

    # the oracle's calls are shown as made, beside the expected ones, with no failure
    opened = open_page(report(right, tmp_path / "right.html"))
    for sid, rec in right_recs.items():
        shown = _detail(opened.page, sid)
        assert rec["extracted"]["calls"] and rec["extracted"]["error_type"] is None
        assert json.loads(shown["made"]) == rec["extracted"]["calls"]
        assert json.loads(shown["expected"]) == rec["extracted"]["expected"]
        assert shown["error"] == []
    assert opened.blocked == [] and opened.errors == []

    # the wrong model's failure reason is named (BFCL's error type and message)
    opened = open_page(report(wrong, tmp_path / "wrong.html"))
    for sid, rec in wrong_recs.items():
        ex = rec["extracted"]
        assert ex["error_type"], ex
        shown = _detail(opened.page, sid)
        assert shown["made"] == ("(no calls)" if ex["calls"] is None else json.dumps(ex["calls"], indent=2))
        assert json.loads(shown["expected"]) == ex["expected"]
        assert len(shown["error"]) == 1 and shown["error"][0].startswith(f"failed: {ex['error_type']}")
        if ex["error"]:
            assert ex["error"] in shown["error"][0]
    assert opened.blocked == [] and opened.errors == []

    # Allure: the same three attachments per sample
    for recs, allure in ((right_recs, right_allure), (wrong_recs, wrong_allure)):
        found = by_name(allure)
        for sid, rec in recs.items():
            ex = rec["extracted"]
            assert json.loads(attachment(allure, found[sid], "tool calls made")) == ex["calls"]
            assert json.loads(attachment(allure, found[sid], "tool calls expected")) == ex["expected"]
            names = [a["name"] for a in found[sid]["attachments"]]
            if ex["error_type"]:
                assert attachment(allure, found[sid], "tool call failure") == f"{ex['error_type']}: {ex['error'] or ''}"
            else:
                assert "tool call failure" not in names
