"""The reports on real arena runs: `benchgate arena CONFIG --dry-run` (MT-bench's first question
of each category, three `dummy` candidates, FastChat's judge prompts; the dry run's seeded
verdicts include malformed ones, i.e. parse failures) in pairwise, single and
pairwise_baseline mode, then `benchgate report html` opened in headless chromium, the Allure
results the run wrote, `benchgate report summary` and `benchgate leaderboard`.

Every expected value is read from the run's own files (results.json, arena/reviews.jsonl,
samples.jsonl, arena/answers/) or the shared question file, never from the report code."""
from __future__ import annotations

import csv
import io
import json
from collections import Counter

import pytest

from tests.arena.conftest import one_per_category, write_config
from tests.conftest import run_benchgate
from tests.reports.allure_files import attachment, by_name, labels
from tests.reports.test_html_report import count, listed_ids, report

pytestmark = pytest.mark.slow

MODELS = {"m1": {"model_id_or_path": "dummy", "model_args": {"response": "short"}},
          "m2": {"model_id_or_path": "dummy", "model_args": {"response": "a much longer answer"}},
          "m3": {"model_id_or_path": "dummy"}}
SWAP = "swap_position"
SEC = "#sec-arena"


class Run:
    def __init__(self, folder, allure):
        self.dir, self.allure = folder, allure
        self.results = json.loads((folder / "results.json").read_text(encoding="utf-8"))
        self.arena = self.results["arena"]
        self.reviews = [json.loads(x) for x in (folder / "arena" / "reviews.jsonl").read_text(encoding="utf-8").splitlines()]
        self.samples = [json.loads(x) for x in (folder / "samples.jsonl").read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def arena_runs(tmp_path_factory, arena_dir, benchgate_home) -> dict[str, Run]:
    """Three real dry runs, each with --alluredir."""
    tmp = tmp_path_factory.mktemp("arena-reports")
    questions = one_per_category(arena_dir, tmp)
    prompts = arena_dir / "judge_prompts.jsonl"
    refs = arena_dir / "mt_bench" / "reference_answer" / "gpt-4.jsonl"
    configs = {
        "pairwise": write_config(tmp / "pairwise.yaml", questions, MODELS,
                                 {"args": {"mode": "pairwise", "position_bias_mitigation": SWAP}},
                                 prompts, reference_file=refs),
        "single": write_config(tmp / "single.yaml", questions, MODELS, {"args": {"mode": "single"}},
                               prompts, reference_file=refs),
        "baseline": write_config(tmp / "baseline.yaml", questions, MODELS,
                                 {"args": {"mode": "pairwise_baseline", "position_bias_mitigation": SWAP}},
                                 prompts, rating={"baseline_model": "m1"}, reference_file=refs),
    }
    runs = {}
    for name, cfg in configs.items():
        out, allure = tmp / f"out-{name}", tmp / f"allure-{name}"
        proc = run_benchgate(["arena", cfg, "--dry-run", "--output-dir", out, "-p", "no:cacheprovider",
                              "--cache-path", tmp / "cache.sqlite", "--alluredir", allure],
                             env={"BENCHGATE_HOME": str(benchgate_home)})
        assert proc.returncode == 0, proc.stdout + proc.stderr
        runs[name] = Run(out, allure)
    return runs


def _board(page):
    """The shown leaderboard: [{data-key: data-value}] per row, in order."""
    return page.eval_on_selector_all(".arena-table tbody tr", """rs => rs.map(r => Object.fromEntries(
        [...r.querySelectorAll('td[data-key]')].map(c => [c.dataset.key, c.dataset.value === undefined ? c.innerText : JSON.parse(c.dataset.value)])))""")


def _review_key(r):
    return "|".join(str(x) if x is not None else "" for x in (r["id"], r["turn"], r["order"], r["judge"]))


def _winner_text(r):
    if r["win"] is None:
        return "parse failure"
    return "tie" if r["win"].startswith("tie") else r[r["win"]]


def test_pairwise_arena_report(arena_runs, arena_dir, tmp_path, open_page):
    run = arena_runs["pairwise"]
    a, reviews = run.arena, run.reviews
    failed = [r for r in reviews if r["win"] is None]
    assert a["counts"]["parse_failures"] == len(failed) > 0  # the dry run drew malformed verdicts
    opened = open_page(report(run.dir, tmp_path / "pairwise.html"))
    page = opened.page
    # an arena-only run opens on its arena tab (no empty benchmark and sample tabs)
    assert page.eval_on_selector_all("nav button", "bs => bs.map(b => b.dataset.tab)") == ["arena"]

    # leaderboard: the run's models with results.json's numbers, for every display category
    keys = ("elo", "bt_rating", "bt_ci95", "win", "loss", "tie", "battles", "win_rate_adjusted",
            "win_rate_adjusted_ci95")
    for category, rows in a["leaderboard"].items():
        page.select_option("select.lb-category", category)
        shown = _board(page)
        assert [r["model"] for r in shown] == [r["model"] for r in rows], category
        for got, want in zip(shown, rows):
            assert {k: got[k] for k in keys} == {k: want[k] for k in keys}, category
    assert {r["model"] for r in a["leaderboard"]["*"]} == {"m1", "m2", "m3"}
    page.select_option("select.lb-category", "*")
    first = a["leaderboard"]["*"][0]
    assert page.inner_text(".arena-table tbody tr:first-child td[data-key=elo]") == f"{first['elo']:.1f}"

    # heat map: every cell is results.json's win rate (and battle count) for that ordered pair
    cells = page.eval_on_selector_all("svg.heatmap rect.cell", """cs => cs.map(c => [c.dataset.a, c.dataset.b,
        JSON.parse(c.dataset.value), JSON.parse(c.dataset.n)])""")
    assert len(cells) == 9
    for row, col, value, n in cells:
        assert value == a["matrices"]["win_rate"][row][col] and n == a["matrices"]["battles"][row][col]

    # battle browser: exactly the judgments of arena/reviews.jsonl
    assert count(page, SEC) == len(reviews) == a["counts"]["judgments"]
    assert Counter(listed_ids(page, SEC)) == Counter(_review_key(r) for r in reviews)
    per_category = Counter(r["display_category"] for r in reviews)
    options = page.eval_on_selector_all(f"{SEC} select.extra-category option[data-count]",
                                        "os => os.map(o => [o.value, o.dataset.count])")
    assert {v: int(n) for v, n in options if v} == dict(per_category)
    for category, n in per_category.items():
        page.select_option(f"{SEC} select.extra-category", category)
        assert count(page, SEC) == n, category
    page.select_option(f"{SEC} select.extra-category", "")
    # parse failures are their own filter, shown as such, never as ties or decided battles
    expected = {"decided": sum(r["win"] in ("model_a", "model_b") for r in reviews),
                "tie": sum(r["win"] == "tie" for r in reviews), "parse failure": len(failed)}
    for kind, n in expected.items():
        page.click(f"{SEC} .bar button[data-filter='{kind}']")
        assert count(page, SEC) == n, kind
    assert sorted(listed_ids(page, SEC)) == sorted(_review_key(r) for r in failed)  # parse failure filter on
    page.click(f"{SEC} .bar button[data-filter='all']")
    winners = dict(page.eval_on_selector_all(f"{SEC} tbody.rows tr", "rs => rs.map(r => [r.dataset.id, r.cells[5].innerText])"))
    for r in reviews:
        if _review_key(r) in winners:
            assert winners[_review_key(r)] == _winner_text(r), _review_key(r)
    # model filter: a model's judgments, on either side
    page.select_option(f"{SEC} select.extra-model", "m3")
    assert count(page, SEC) == sum("m3" in (r["model_a"], r["model_b"]) for r in reviews)
    page.select_option(f"{SEC} select.extra-model", "")

    # a turn-2 judgment shows the conversation the judge saw: turn 1 from the question file
    # and each model's own turn-1 answer from its answers file
    r = next(r for r in reviews if r["turn"] == 2 and r["win"] is not None and r["order"] == "ba")
    page.fill(f"{SEC} input.search", r["question"][:40].lower())
    page.click(f"{SEC} tbody.rows tr[data-id='{_review_key(r)}']")
    question = next(json.loads(x) for x in (arena_dir / "mt_bench" / "question.jsonl")
                    .read_text(encoding="utf-8").splitlines() if json.loads(x)["question_id"] == r["question_id"])
    earlier = page.inner_text(f"{SEC} pre.earlier")
    assert question["turns"][0] in earlier
    for model in (r["model_a"], r["model_b"]):
        answers = {json.loads(x)["question_id"]: json.loads(x)["turns"]
                   for x in (run.dir / "arena" / "answers" / f"{model}.jsonl").read_text(encoding="utf-8").splitlines()}
        assert f"{model}: {answers[r['question_id']][0]}" in earlier
    assert page.inner_text(f"{SEC} pre.question") == question["turns"][1]
    assert page.inner_text(f"{SEC} pre.answer-a") == r["output_a"]  # the answer shown first
    assert page.inner_text(f"{SEC} pre.judge-output") == r["judge_output"]
    assert opened.blocked == [] and opened.errors == []


def test_single_mode_report_shows_ratings(arena_runs, tmp_path, open_page):
    run = arena_runs["single"]
    a, reviews = run.arena, run.reviews
    opened = open_page(report(run.dir, tmp_path / "single.html"))
    page = opened.page
    shown = _board(page)
    want = a["leaderboard"]["*"]
    assert [r["model"] for r in shown] == [r["model"] for r in want]
    for got, row in zip(shown, want):
        assert got["score"] == row["score"] and got["score_ci95"] == row["score_ci95"]
        assert got["battles"] == row["battles"]
        assert {k: got[f"turn {k}"] for k in row["turns"]} == row["turns"]
    assert page.eval_on_selector_all(".arena-table th", "hs => hs.map(h => h.dataset.key)") == \
        ["rank", "model", "score", "score_ci95", "turn 1", "turn 2", "battles"]
    assert count(page, SEC) == len(reviews)
    unparsed = [r for r in reviews if r["score"] is None]
    assert 0 < len(unparsed) == a["counts"]["parse_failures"]
    page.click(f"{SEC} .bar button[data-filter='rated']")
    assert count(page, SEC) == len(reviews) - len(unparsed) == a["counts"]["scores"]
    page.click(f"{SEC} .bar button[data-filter='parse failure']")
    assert sorted(listed_ids(page, SEC)) == sorted(_review_key(r) for r in unparsed)
    assert set(page.eval_on_selector_all(f"{SEC} tbody.rows tr", "rs => rs.map(r => r.cells[4].innerText)")) == {"parse failure"}
    page.click(f"{SEC} .bar button[data-filter='all']")
    ratings = dict(page.eval_on_selector_all(f"{SEC} tbody.rows tr", "rs => rs.map(r => [r.dataset.id, r.cells[4].innerText])"))
    for r in reviews:
        if r["score"] is not None and _review_key(r) in ratings:
            assert ratings[_review_key(r)] == f"{r['score']:.1f}"
    r = next(r for r in reviews if r["score"] is not None and r["model"] == "m2")
    page.click(f"{SEC} tbody.rows tr[data-id='{_review_key(r)}']")
    assert page.inner_text(f"{SEC} pre.answer-a") == r["output"] == "a much longer answer"
    assert opened.blocked == [] and opened.errors == []


def test_pairwise_baseline_report_marks_the_baseline(arena_runs, tmp_path, open_page):
    run = arena_runs["baseline"]
    a = run.arena
    assert a["baseline_model"] == "m1"
    opened = open_page(report(run.dir, tmp_path / "baseline.html"))
    page = opened.page
    shown = _board(page)
    keys = ("win_rate_ties_half", "win_rate_ties_half_ci95", "win_rate_vs_baseline", "win_rate_vs_baseline_ci95", "bt_rating", "win", "loss", "tie")
    for got, want in zip(shown, a["leaderboard"]["*"], strict=True):
        assert got["model"].startswith(want["model"])
        assert {k: got[k] for k in keys} == {k: want[k] for k in keys}
    baseline_rows = page.eval_on_selector_all(".arena-table tbody tr:has(.pill)", "rs => rs.map(r => r.dataset.model)")
    assert baseline_rows == [r["model"] for r in a["leaderboard"]["*"] if r["is_baseline"]] == ["m1"]
    cells = page.eval_on_selector_all("svg.heatmap rect.cell", "cs => cs.map(c => [c.dataset.a, c.dataset.b, JSON.parse(c.dataset.value)])")
    assert all(v == a["matrices"]["win_rate"][x][y] for x, y, v in cells)
    assert {(x, y) for x, y, v in cells if v is not None} == {("m2", "m1"), ("m1", "m2"), ("m3", "m1"), ("m1", "m3")}
    assert count(page, SEC) == len(run.reviews)
    assert opened.blocked == [] and opened.errors == []


def test_allure_results_of_arena_units(arena_runs):
    run = arena_runs["pairwise"]
    found = by_name(run.allure)
    samples = {s["id"]: s for s in run.samples}
    assert set(found) == set(samples) and len(found) == run.arena["counts"]["units"] == 24
    assert len({r["historyId"] for r in found.values()}) == len(found)
    by_unit: dict[str, list[dict]] = {}
    for r in run.reviews:
        by_unit.setdefault(r["id"], []).append(r)
    prompts = {(s["id"], j["turn"], j["order"]): j for s in samples.values() for j in s["judgments"]}
    for uid, result in found.items():
        s = samples[uid]
        assert result["status"] == "passed"  # whoever won; parse failures are tagged
        assert labels(result, "epic") == ["arena"]
        assert labels(result, "feature") == [f"{s['model_a']}-vs-{s['model_b']}"]
        assert labels(result, "story") == [s["category"]]
        # tags: what each judgment of the unit gave, from the review file (row orientation)
        assert set(labels(result, "tag")) == {f"{_winner_text(r)} wins" if r["win"] in ("model_a", "model_b")
                                              else _winner_text(r) for r in by_unit[uid]}
        params = {p["name"]: p["value"] for p in result["parameters"]}
        assert params["model A"] == repr(s["model_a"]) and params["model B"] == repr(s["model_b"])
        for model in (s["model_a"], s["model_b"]):
            assert attachment(run.allure, result, f"answer: {model}").startswith(f"[turn 1] {s['answers'][model][0]}")
        # one step per judgment: the judge prompt, its reply and the parsed verdict
        assert len(result["steps"]) == len(by_unit[uid])
        for step, row in zip(result["steps"], by_unit[uid]):
            assert f"turn {row['turn']}, order {row['order']}" in step["name"]
            assert step["name"].endswith(_winner_text(row) if row["win"] is None or row["win"] == "tie"
                                         else f"{_winner_text(row)} wins")
            judgment = prompts[(uid, row["turn"], row["order"])]
            prompt = attachment(run.allure, step, "judge prompt")
            assert prompt.endswith(judgment["prompt"]) and judgment["system_prompt"] in prompt
            assert attachment(run.allure, step, "judge response") == row["judge_output"]
            verdict = json.loads(attachment(run.allure, step, "verdict"))
            assert verdict["parse_error"] == row["parse_error"] and verdict["template"] == row["template"]
    assert sum("parse failure" in labels(r, "tag") for r in found.values()) == \
        len({r["id"] for r in run.reviews if r["win"] is None})


def _cli(*args):
    proc = run_benchgate(list(args))
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_summary_and_leaderboard_of_arena_runs(arena_runs):
    run = arena_runs["baseline"]
    a = run.arena
    text = _cli("report", "summary", str(run.dir))
    assert "| arena | win_rate |" not in text  # no meaningless benchmark row: the arena has its own table
    assert f"**{sum(r['win'] is None for r in run.reviews)} parse failure(s)**" in text
    for r in a["leaderboard"]["*"]:
        row = next(line for line in text.splitlines() if line.startswith(f"| {r['model']}"))
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[1] == f"{r['elo']:.1f}" and cells[4] == f"{r['win']} / {r['loss']} / {r['tie']}"
        assert cells[6] == ("–" if r["win_rate"] is None else f"{r['win_rate']:.3f}")
        assert cells[0].endswith("(baseline)") == r["is_baseline"]
    single = _cli("report", "summary", str(arena_runs["single"].dir))
    for r in arena_runs["single"].arena["leaderboard"]["*"]:
        assert f"| {r['model']} | {r['score']:.2f} | [{r['score_ci95'][0]:.2f}, {r['score_ci95'][1]:.2f}] | {r['battles']} |" in single
    assert _cli("report", "annotations", str(run.dir)) == ""  # nothing failed

    table = list(csv.DictReader(io.StringIO(_cli("leaderboard", str(run.dir), "--format", "csv"))))
    assert [t["Model"] for t in table] == [r["model"] + (" (baseline)" if r["is_baseline"] else "") for r in a["leaderboard"]["*"]]
    for t, r in zip(table, a["leaderboard"]["*"]):
        assert float(t["Elo"]) == r["elo"] and int(t["Win"]) == r["win"] and float(t["WinRateAdjusted"]) == r["win_rate_adjusted"]
        assert (t["WinRate"] == "") == (r["win_rate"] is None)
    math = list(csv.DictReader(io.StringIO(_cli("leaderboard", str(run.dir), "--category", "math", "--format", "csv"))))
    assert [t["Model"].split(" ")[0] for t in math] == [r["model"] for r in a["leaderboard"]["math"]]
    md = _cli("leaderboard", str(arena_runs["single"].dir)).splitlines()
    assert md[0] == "| Model | Mean rating | CI low | CI high | Ratings | Turn 1 | Turn 2 |"
