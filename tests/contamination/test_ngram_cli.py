"""`benchgate contamination ngram` (in-process: benchgate.cli.main), the run options
`--contamination-corpus/--contamination-args`, the samples' texts and the clean/flagged split."""
from __future__ import annotations

import json
import math

import pytest
from scipy import stats as scipy_stats

from benchgate.cli import main as benchgate_main
from benchgate.contamination.samples import all_texts, context, load_benchmarks
from benchgate.contamination.split import difference_test, split_scores
from benchgate.engine.options import OptionError, parse_contamination
from benchgate.task import default_evals_dir
from benchgate.usage import USAGE_ERROR
from tests.conftest import DATA
from tests.contamination.test_planted import reference_texts


def run_cli(*args: str) -> int:
    try:
        return benchgate_main(["contamination", "ngram", *args])
    except SystemExit as e:
        return e.code


def test_texts_of_every_gsm8k_and_mmlu_sample_are_the_files_questions_and_answers():
    """The default Benchmark.contamination_texts: GSM8K's question and worked answer, MMLU's
    question and the text of its gold choice, by the ids a run gives them."""
    benches = load_benchmarks(["gsm8k", "mmlu"], default_evals_dir())
    got = {s.sample_id: s.texts for s in all_texts(benches, {n: context(b, (DATA,), "local") for n, b in benches.items()})}
    assert got == reference_texts(("gsm8k", "mmlu"))


def test_command_writes_the_report_and_prints_the_table(tmp_path, capsys):
    rows = [json.loads(x) for x in (DATA / "gsm8k" / "test.jsonl").read_text(encoding="utf-8").splitlines()[:3]]
    corpus = tmp_path / "c.jsonl"
    corpus.write_text(json.dumps({"body": "intro " + rows[1]["question"]}) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    code = run_cli("--corpus", str(corpus), "--text-field", "body", "--datasets", "gsm8k",
                   "--dataset-dir", str(DATA), "--output-dir", str(out))
    assert code == 0
    report = json.loads((out / "contamination.json").read_text())
    entry = report["benchmarks"]["gsm8k"]
    assert [f["id"] for f in entry["flagged"]] == ["gsm8k/main/1"]
    assert entry["flagged"][0]["question"]["fraction"] == 1.0 and "answer" not in entry["flagged"][0]
    assert entry["samples"] == 1319 and report["n"] == 13 and report["corpus"]["text_fields"] == ["body"]
    printed = capsys.readouterr().out
    assert "gsm8k      1319" in printed and "contamination report:" in printed
    # a gate on the flagged share: 1/1319 > 0 -> exit 1
    assert run_cli("--corpus", str(corpus), "--text-field", "body", "--datasets", "gsm8k", "--dataset-dir",
                   str(DATA), "--output-dir", str(out), "--max-flagged-share", "0") == 1
    assert run_cli("--corpus", str(corpus), "--text-field", "body", "--datasets", "gsm8k", "--dataset-dir",
                   str(DATA), "--output-dir", str(out), "--max-flagged-share", "0.01") == 0


@pytest.mark.parametrize("args, message", [
    (["--corpus", "{tmp}/missing.txt"], "--corpus {tmp}/missing.txt: no such file or folder"),
    (["--corpus", "{tmp}/c.txt", "--datasets", "nosuch"], "--datasets: unknown benchmark(s) nosuch"),
    (["--corpus", "{tmp}/c.txt", "--n", "0"], "--n: must be >= 1"),
    (["--corpus", "{tmp}/c.txt", "--dataset-dir", "{tmp}/nodir"], "--dataset-dir {tmp}/nodir: not a directory"),
    (["--corpus", "{tmp}/bad.jsonl"], "bad.jsonl:2: not a JSON line"),
    (["--corpus", "{tmp}/c.txt", "--dataset-args", "{{"], "--dataset-args: invalid JSON"),
])
def test_usage_errors_exit_4_naming_the_option_or_file(tmp_path, capsys, args, message):
    (tmp_path / "c.txt").write_text("hello", encoding="utf-8")
    (tmp_path / "bad.jsonl").write_text('{"text": "a"}\nnot json\n', encoding="utf-8")
    args = [a.format(tmp=tmp_path) for a in args]
    if "--datasets" not in args:
        args += ["--datasets", "gsm8k"]
    if "--dataset-dir" not in args:
        args += ["--dataset-dir", str(DATA)]
    assert run_cli(*args, "--output-dir", str(tmp_path / "out")) == USAGE_ERROR
    assert message.format(tmp=tmp_path) in capsys.readouterr().err


def test_run_options(tmp_path):
    (tmp_path / "c.txt").write_text("x")
    assert parse_contamination(None, None) == ((), {"n": 13, "min_words": 8, "max_shared": 10,
                                                    "text_field": ["text"], "workers": 1})
    corpus, args = parse_contamination([str(tmp_path / "c.txt")], '{"n": 8, "text_field": ["a", "b"]}')
    assert corpus == (str(tmp_path / "c.txt"),) and args["n"] == 8 and args["text_field"] == ["a", "b"]
    assert parse_contamination([str(tmp_path / "c.txt")], "text_field=body,workers=2")[1]["text_field"] == ["body"]
    with pytest.raises(OptionError, match="--contamination-corpus .*nope: no such file"):
        parse_contamination([str(tmp_path / "nope")], None)
    with pytest.raises(OptionError, match="--contamination-args.*'size'"):
        parse_contamination([str(tmp_path / "c.txt")], "size=3")
    with pytest.raises(OptionError, match="no --contamination-corpus"):
        parse_contamination(None, "n=3")


def test_split_of_non_rates_uses_welchs_test():
    """Welch's t-test by hand (Welch-Satterthwaite degrees of freedom) for partial-credit scores."""
    clean, flagged = [0.2, 0.4, 0.5, 0.1, 0.3, 0.35], [0.9, 0.7, 0.8]
    test, p = difference_test(clean, flagged)
    m1, m2 = sum(flagged) / 3, sum(clean) / 6
    v1 = sum((x - m1) ** 2 for x in flagged) / 2 / 3
    v2 = sum((x - m2) ** 2 for x in clean) / 5 / 6
    t = (m1 - m2) / math.sqrt(v1 + v2)
    df = (v1 + v2) ** 2 / (v1 ** 2 / 2 + v2 ** 2 / 5)
    assert test == "welch_t" and abs(p - 2 * scipy_stats.t.sf(abs(t), df)) < 1e-12
    block = split_scores(clean, flagged)
    assert block["clean"]["ci_method"] == "normal" and block["flagged"]["n"] == 3
    assert abs(block["difference"] - (m1 - m2)) < 1e-12 and block["significant"] is True
    empty = split_scores(clean, [])
    assert empty["flagged"]["score"] is None and empty["test"] is None and empty["significant"] is None
