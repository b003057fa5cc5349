"""`pytest evals --contamination-corpus`: a "memoriser" (replay answers: right on the 10
GSM8K questions planted in the corpus, right on every other one of the rest) has its score
split into flagged and clean samples in results.json, the console summary and the HTML
report, with Wilson intervals and Fisher's exact test checked against scipy and a hand sum."""
from __future__ import annotations

import json
import math
from scipy.stats import binomtest

from benchgate.cli import main as benchgate_main
from tests.conftest import DATA


def fisher_two_sided(a: int, b: int, c: int, d: int) -> float:
    """Fisher's exact test of [[a, b], [c, d]] by hand: the hypergeometric probabilities of
    every table with the same margins that are no more likely than the observed one."""
    row1, col1, n = a + b, a + c, a + b + c + d

    def prob(x: int) -> float:
        return math.comb(col1, x) * math.comb(n - col1, row1 - x) / math.comb(n, row1)

    seen = prob(a)
    return sum(prob(x) for x in range(max(0, row1 + col1 - n), min(row1, col1) + 1)
               if prob(x) <= seen * (1 + 1e-7))


def test_scores_split_into_clean_and_flagged(run_evals, tmp_path, open_page):
    rows = [json.loads(line) for line in (DATA / "gsm8k" / "test.jsonl").read_text(encoding="utf-8").splitlines()[:40]]
    planted = list(range(0, 40, 4))  # 10 questions in the corpus
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    filler = " ".join(f"filler{i}" for i in range(3000))
    (corpus / "web.jsonl").write_text("".join(
        json.dumps({"text": f"{filler} {rows[i]['question']} {filler}"}) + "\n" for i in planted), encoding="utf-8")
    (corpus / "notes.txt").write_text(filler, encoding="utf-8")
    clean = [i for i in range(40) if i not in planted]
    right = set(planted) | set(clean[::2])  # 10/10 flagged, 15/30 clean
    replay = tmp_path / "replay.jsonl"
    replay.write_text("".join(json.dumps({
        "id": f"gsm8k/main/{i}",
        "response": f" so #### {rows[i]['answer'].rsplit('####', 1)[1].strip() if i in right else '-1'}"}) + "\n"
        for i in range(40)), encoding="utf-8")

    run = run_evals("--model", f"replay:{replay}", "--datasets", "gsm8k", "--limit", "40",
                    "--contamination-corpus", str(corpus), "--contamination-args", "workers=1")
    assert run.code == 0, run.out
    res = run.results
    c = res["benchmarks"]["gsm8k"]["contamination"]
    assert c["flagged_ids"] == sorted(f"gsm8k/main/{i}" for i in planted)
    assert c["metric"] == "strict_match"
    assert (c["flagged"]["score"], c["flagged"]["n"]) == (1.0, 10)
    assert (c["clean"]["score"], c["clean"]["n"]) == (0.5, 30)
    assert c["difference"] == 0.5
    for side, k, n in (("flagged", 10, 10), ("clean", 15, 30)):
        want = binomtest(k, n).proportion_ci(method="wilson")
        assert c[side]["ci_method"] == "wilson"
        assert abs(c[side]["ci95"][0] - want.low) < 1e-9 and abs(c[side]["ci95"][1] - want.high) < 1e-9
    assert c["test"] == "fisher_exact"
    assert abs(c["p_value"] - fisher_two_sided(10, 0, 15, 15)) < 1e-12 and c["significant"] is True
    top = res["contamination"]
    assert top["n"] == 13 and "GPT-3" in top["rule"] and top["corpus"]["files"] == [
        str(corpus / "notes.txt"), str(corpus / "web.jsonl")]
    full = json.loads((run.output_dir / "contamination.json").read_text())
    assert full["benchmarks"]["gsm8k"]["samples"] == 40
    assert res["config"]["contamination_corpus"] == [str(corpus)]
    # the console summary
    assert "contamination: 13-gram overlap with 2 corpus file(s)" in run.out
    line = next(x for x in run.out.splitlines() if x.startswith("gsm8k") and "fisher_exact" in x)
    assert "0.5000" in line and "1.0000" in line and "+0.5000" in line

    # the HTML report, in a real browser
    page_path = tmp_path / "r.html"
    assert benchgate_main(["report", "html", str(run.output_dir), "-o", str(page_path)]) == 0
    opened = open_page(page_path)
    assert opened.errors == [] and opened.blocked == []
    cells = opened.page.eval_on_selector_all("table.contamination tbody tr",
                                             "rs => rs.map(r => [...r.cells].map(c => c.innerText))")
    assert cells == [["gsm8k", "strict_match", "0.5000", c_ci(c["clean"]), "30", "1.0000", c_ci(c["flagged"]),
                      "10", "0.5000", "fisher_exact", f"{c['p_value']:.4f}"]]


def c_ci(side: dict) -> str:
    return f"[{side['ci95'][0]:.4f}, {side['ci95'][1]:.4f}]"
