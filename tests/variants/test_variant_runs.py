"""Proof on planted contamination (docs/contamination.md, "Dynamic variants and the contamination
gap"): real `pytest evals` runs in this process on the shared GSM8K and MMLU data.

A "memoriser" (`--model replay:FILE` replaying each original item's gold answer, whatever the
question now says) scores 1.0 on the original items and 0 on the variant (chance level: no
variant item keeps its original answer, checked against the data file), while `oracle` (the
variant's recomputed gold) scores 1.0 on both; the gap test flags the memoriser, not the
oracle, and the `variant_gap` gate fails for the memoriser only. Expected values come from the
data files and the runs' own samples.jsonl, never from the variant code."""
from __future__ import annotations

import csv
import json
from pathlib import Path
from statistics import mean

import pytest

from benchgate.samples import pair_key
from tests.conftest import run_benchgate
from tests.reports.conftest import make_run

N = 60  # the first 60 GSM8K test items; the variant keeps those it can rewrite
VARIANT = '{"gsm8k": {"variant": "numbers", "variant_seed": 7}}'
GATE = "gsm8k:variant_gap<=0.05"


def _read(run: Path) -> tuple[dict, list[dict]]:
    results = json.loads((run / "results.json").read_text())
    samples = [json.loads(line) for line in (run / "samples.jsonl").read_text().splitlines()]
    return results, samples


@pytest.fixture(scope="module")
def gsm8k_rows(data_dir):
    lines = (data_dir / "gsm8k" / "test.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines[:N]]


@pytest.fixture(scope="module")
def runs(tmp_path_factory, data_dir, benchgate_home, gsm8k_rows):
    base = tmp_path_factory.mktemp("variant-runs")
    memoriser = base / "memoriser.jsonl"
    with memoriser.open("w") as f:  # the original gold answer, under the original and the variant id
        for i, row in enumerate(gsm8k_rows):
            for sample_id in (f"gsm8k/main/{i}", f"gsm8k/main/{i}~numbers-7"):
                f.write(json.dumps({"id": sample_id, "response": " " + row["answer"]}) + "\n")
    common = ("--datasets", "gsm8k", "--limit", str(N))
    out = {}
    for name, model in (("memoriser", f"replay:{memoriser}"), ("oracle", "oracle")):
        original = make_run(base / f"{name}-original", data_dir, benchgate_home, "--model", model, *common)
        out[name] = original
        out[f"{name}-variant"] = make_run(base / f"{name}-variant", data_dir, benchgate_home, "--model", model,
                                          *common, "--dataset-args", VARIANT, "--baseline", str(original),
                                          "--gate", GATE)
    return out


def test_memoriser_scores_1_on_the_original_and_chance_on_the_variant(runs, gsm8k_rows):
    original, _ = _read(runs["memoriser"])
    variant, samples = _read(runs["memoriser-variant"])
    assert original["benchmarks"]["gsm8k"]["score"] == 1.0 and original["benchmarks"]["gsm8k"]["n"] == N
    # chance level for this memoriser: the share of variant items whose gold is the original's
    # gold (what replaying the original answer can hit), from the data file
    final = {f"gsm8k/main/{i}": row["answer"].rsplit("####", 1)[1].strip() for i, row in enumerate(gsm8k_rows)}
    chance = mean(float(s["target"] == final[pair_key(s["id"])]) for s in samples)
    assert chance == 0.0
    assert variant["benchmarks"]["gsm8k"]["score"] <= chance
    kept = variant["config"]["effective_dataset_args"]["gsm8k"]["variant_kept"]["main"]
    assert kept["total"] == N and kept["kept"] == len(samples) == variant["benchmarks"]["gsm8k"]["n"]
    assert len(samples) >= 20  # a few dozen items


def test_oracle_scores_1_on_both(runs, gsm8k_rows):
    original, _ = _read(runs["oracle"])
    variant, samples = _read(runs["oracle-variant"])
    assert original["benchmarks"]["gsm8k"]["score"] == 1.0
    assert variant["benchmarks"]["gsm8k"]["score"] == 1.0
    questions = {f"gsm8k/main/{i}": row["question"] for i, row in enumerate(gsm8k_rows)}
    for s in samples:  # the variant asked another question than the original, under the original's id
        assert s["id"].endswith("~numbers-7") and pair_key(s["id"]) in questions
        asked = s["prompt"].rsplit("Question: ", 1)[1]
        assert asked.startswith(s["prompt"].rsplit("Question: ", 1)[1]) and questions[pair_key(s["id"])] not in asked


def test_the_gap_test_flags_the_memoriser_and_not_the_oracle(runs):
    for name, flagged in (("memoriser", True), ("oracle", False)):
        original = {s["id"]: s["scores"]["strict_match"] for s in _read(runs[name])[1]}
        results, samples = _read(runs[f"{name}-variant"])
        paired = [(original[pair_key(s["id"])], s["scores"]["strict_match"]) for s in samples]
        expected_gap = mean(o for o, _ in paired) - mean(v for _, v in paired)
        gap = results["benchmarks"]["gsm8k"]["contamination_gap"]
        assert gap["n_paired"] == len(samples) and gap["gap"] == pytest.approx(expected_gap)
        assert gap["test"] == "mcnemar_exact" and gap["flagged"] is flagged
        block = results["benchmarks"]["gsm8k"]["metrics"]["variant_gap"]
        assert block["score"] == pytest.approx(expected_gap) and "variant_gap" in results["benchmarks"]["gsm8k"]["lower_is_better"]
        lost = sum(1 for o, v in paired if o > v)
        if flagged:  # McNemar: every discordant pair is a loss, p = 2 ** -lost
            assert gap["p_value"] == pytest.approx(2.0 ** -lost) and results["status"] == "failed"
            assert any(f.startswith("contamination gap gsm8k (variant numbers-7)") for f in results["gates"]["failures"])
            assert any(f.startswith(f"gate {GATE.split('<=')[0]}: variant_gap") for f in results["gates"]["failures"])
        else:
            assert gap["p_value"] == 1.0 and results["status"] == "passed" and results["gates"]["failures"] == []


def test_summary_and_html_say_contamination_gap(runs, tmp_path, open_page):
    # `benchgate report summary` and `report html` in this process (run_benchgate): no process is tested
    proc = run_benchgate(["report", "summary", runs["memoriser-variant"], "--baseline", runs["memoriser"]])
    assert proc.returncode == 0, proc.stderr
    gap = _read(runs["memoriser-variant"])[0]["benchmarks"]["gsm8k"]["contamination_gap"]
    assert "### Contamination gap (variant run against the original run)" in proc.stdout
    row = next(line for line in proc.stdout.splitlines() if line.startswith("| gsm8k | numbers-7 |"))
    assert f"| {gap['gap']:+.4f} |" in row and "✗ flagged" in row
    assert "✗ significant contamination gap" in proc.stdout
    html = run_benchgate(["report", "html", runs["oracle-variant"], "-o", tmp_path / "gap.html",
                          "--compare", runs["oracle"]])
    assert html.returncode == 0, html.stdout + html.stderr
    opened = open_page(tmp_path / "gap.html")
    page = opened.page
    page.click("nav button[data-tab=compare]")
    assert "Contamination gap (variant run against the original run)" in page.inner_text("body")
    rows = page.eval_on_selector_all(".gap-table tbody tr", "rs => rs.map(r => [...r.cells].map(c => c.innerText))")
    assert len(rows) == 1 and rows[0][:3] == ["gsm8k", "numbers-7", "strict_match"]
    assert rows[0][5] == "+0.0000" and rows[0][10].startswith("✓ not flagged")
    assert opened.blocked == [] and opened.errors == []


def test_cached_answers_of_the_original_are_not_reused_for_the_variant(run_evals, smoke_path):
    # the smoke model (a real local model: the built-in ones are never cached)
    args = ("--model", "smoke", "--datasets", "gsm8k", "--limit", "8", "--use-cache",
            "--generation-config", "max_new_tokens=2")
    first, again = run_evals(*args), run_evals(*args)
    assert first.code == 0 and all(s["cached"] for s in again.samples())  # the cache serves a rerun
    variant = run_evals(*args, "--dataset-args", VARIANT)
    assert variant.code == 0 and variant.samples() and not any(s["cached"] for s in variant.samples())


def test_mmlu_permute_moves_the_memorised_letter(run_evals, data_dir, tmp_path):
    subjects = ("anatomy", "astronomy")
    memoriser = tmp_path / "letters.jsonl"
    with memoriser.open("w") as f:
        for subject in subjects:
            path = data_dir / "mmlu" / "data" / "test" / f"{subject}_test.csv"
            for i, row in enumerate(list(csv.reader(path.open(encoding="utf-8")))[:15]):
                for sample_id in (f"mmlu/{subject}/{i}", f"mmlu/{subject}/{i}~permute-7"):
                    f.write(json.dumps({"id": sample_id, "response": " " + row[-1].strip()}) + "\n")
    args = ("--datasets", "mmlu", "--limit", "15")
    spec = {"mode": "generate", "subset_list": ",".join(subjects)}
    for model, original_score, variant_score in ((f"replay:{memoriser}", 1.0, 0.0), ("oracle", 1.0, 1.0)):
        original = run_evals("--model", model, *args, "--dataset-args", json.dumps({"mmlu": spec}))
        variant = run_evals("--model", model, *args, "--dataset-args",
                            json.dumps({"mmlu": {**spec, "variant": "permute", "variant_seed": 7}}),
                            "--baseline", str(original.output_dir))
        assert original.results["benchmarks"]["mmlu"]["score"] == original_score, original.out
        assert variant.results["benchmarks"]["mmlu"]["score"] == variant_score, variant.out
        assert variant.results["benchmarks"]["mmlu"]["n"] == 30  # permute keeps every item
        gap = variant.results["benchmarks"]["mmlu"]["contamination_gap"]
        assert gap["flagged"] is (variant_score == 0.0)
