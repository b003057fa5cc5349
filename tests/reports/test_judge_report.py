"""The judge section of `benchgate report html` on a real judge run: ChatGPT's released Vanilla
judgments on LLMBar's Natural set, replayed. Expected values come from the published
result.json and statistics.json, never from the report code."""
from __future__ import annotations

import ast
import json

from tests.conftest import ROOT
from tests.reports.conftest import make_run
from tests.reports.test_html_report import report

JUDGES = ROOT.parent / "shared" / "judges"
RESULT = JUDGES / "llmbar" / "Natural" / "evaluators" / "ChatGPT" / "Vanilla"


def _published_confusion():
    """(gold label, the original order's winner) counts from the authors' result.json."""
    counts = {}
    for row in json.loads((RESULT / "result.json").read_text(encoding="utf-8")):
        results = row["results"] if isinstance(row["results"], list) else ast.literal_eval(row["results"])
        winner = results[-1]["swap = False"]["winner"]
        key = (str(row["label"]), winner or "no verdict")
        counts[key] = counts.get(key, 0) + 1
    return counts


def test_judge_section_shows_confusion_accuracy_and_bias(tmp_path, benchgate_home, open_page):
    run = make_run(tmp_path / "run", JUDGES, benchgate_home, "--model", f"replay:{RESULT / 'result.json'}",
                   "--datasets", "llmbar", "--dataset-args", '{"llmbar": {"subset_list": "Natural"}}')
    page = open_page(report(run, tmp_path / "judge.html")).page
    page.click("nav button[data-tab=judges]")
    box = page.locator(".judge-eval[data-benchmark=llmbar]")
    header = box.locator("table.judge-confusion th").all_text_contents()
    assert header == ["gold \\ verdict", "1", "2"]
    cells = [[c.strip() for c in tr.locator("td").all_text_contents()] for tr in box.locator("table.judge-confusion tbody tr").all()]
    published = _published_confusion()
    assert cells == [[g] + [str(published.get((g, p), 0)) for p in ("1", "2")] for g in ("1", "2")]
    stats = json.loads((RESULT / "statistics.json").read_text())
    row = box.locator("table.judge-acc-subsets tbody tr").first.locator("td").all_text_contents()
    assert row[0] == "Natural" and row[1] == "100"
    assert row[2] == f"{float(stats['correct_average'].rstrip('%')) / 100:.4f}"
    assert row[4] == f"{int(stats['correct_both'].split(' / ')[0]) / 100:.4f}"
    lo, hi = (float(x) for x in row[3].split(" – "))
    assert lo < float(row[2]) < hi
    bias = {tr.locator("td").nth(0).text_content(): tr.locator("td").nth(1).text_content()
            for tr in box.locator("table.judge-bias tbody tr").all()}
    assert bias["same verdict in both orders"] == f"{int(stats['equal'].split(' / ')[0]) / 100:.4f}"
    assert bias["verdicts that did not parse"] == "0.0000"
    assert box.locator("ul.judge-failures li").count() == 0


def test_panel_members_side_by_side(tmp_path, benchgate_home, open_page):
    from benchgate.fixtures.servers import FakeOpenAIServer

    answers = {"first": "Output (a)", "second": "Output (b)", "silent": "no verdict here"}
    servers = {name: FakeOpenAIServer(responder=lambda prompt, a=a: a).start() for name, a in answers.items()}
    try:
        spec = {"members": [{"name": n, "model": "fake-model", "api_url": s.base_url} for n, s in servers.items()]}
        (tmp_path / "panel.json").write_text(json.dumps(spec))
        run = make_run(tmp_path / "run", JUDGES, benchgate_home, "--model", f"panel:{tmp_path / 'panel.json'}",
                       "--datasets", "llmbar", "--dataset-args", '{"llmbar": {"subset_list": "GPTOut"}}')
    finally:
        for s in servers.values():
            s.stop()
    metrics = json.loads((run / "results.json").read_text())["benchmarks"]["llmbar"]["metrics"]
    page = open_page(report(run, tmp_path / "panel.html")).page
    page.click("nav button[data-tab=judges]")
    rows = [[c.strip() for c in tr.locator("td").all_text_contents()]
            for tr in page.locator("table.judge-members tbody tr").all()]
    # always-first and always-second are each right in exactly one order of every pair; the
    # silent member never parses; one vote each way is a tie, which is never right on LLMBar
    assert [r[0] for r in rows] == ["first", "second", "silent", "panel (majority vote)"]
    assert [r[1] for r in rows] == ["0.5000", "0.5000", "0.0000", "0.0000"]
    assert rows[2][3] == "1.0000" and rows[3][3] == "0.0000"
    assert metrics["acc"]["score"] == 0.0 and metrics["acc_member_first"]["score"] == 0.5
