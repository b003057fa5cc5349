"""Perplexity module: documents from text files, corpus-level metrics, end to end with the smoke model."""
import math

import pytest

from benchgate.benchmark import DataError, RunContext
from benchgate.engine.items import import_benchmark
from tests.conftest import ROOT

PPL = import_benchmark(ROOT / "evals" / "perplexity.py")
TEXT = ("The quick brown fox jumps over the lazy dog.\nIt was a sunny day.\n\n"
        "A second paragraph, with words.\n\n\n  \nThird one: 北京欢迎你。\n")


def ctx(dataset_dir=None, **args):
    return RunContext(dataset_dir=dataset_dir, dataset_hub="local", args=PPL.effective_args(args))


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "tiny.txt"
    path.write_text(TEXT, encoding="utf-8")
    return path


def test_one_document_per_file_or_per_paragraph(corpus):
    whole = PPL.load(ctx(path=str(corpus)), "tiny")
    assert len(whole) == 1 and whole[0].data["text"] == TEXT and whole[0].source == f"{corpus}:1"
    c = ctx(path=str(corpus), unit="paragraph")
    assert PPL.subsets(c) == ["tiny"]
    paras = PPL.load(c, "tiny")
    assert [p.data["text"] for p in paras] == [
        "The quick brown fox jumps over the lazy dog.\nIt was a sunny day.",
        "A second paragraph, with words.", "Third one: 北京欢迎你。"]
    assert [p.source for p in paras] == [f"{corpus}:1", f"{corpus}:4", f"{corpus}:8"]
    assert paras[2].data["bytes"] == len("Third one: 北京欢迎你。".encode()) and paras[2].data["words"] == 3
    (request,) = PPL.requests(c, paras[0])
    assert request.text == paras[0].data["text"] and request.kind == "loglikelihood_rolling"


def test_folder_and_list_paths_and_no_data_is_a_clear_error(tmp_path, corpus):
    (tmp_path / "other.txt").write_text("more text here\n")
    assert PPL.subsets(ctx(path=str(tmp_path))) == ["other", "tiny"]
    assert PPL.subsets(ctx(path=[str(corpus)])) == ["tiny"]
    with pytest.raises(DataError, match="perplexity: no data: pass --dataset-args"):
        PPL.subsets(ctx(dataset_dir=tmp_path))
    with pytest.raises(DataError, match="not found"):
        PPL.subsets(ctx(path=str(tmp_path / "missing.txt")))
    with pytest.raises(ValueError, match="unit must be one of"):
        PPL.effective_args({"unit": "sentence"})


def test_bad_text_is_an_error_naming_file_and_line(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"fine line\nsecond line\nbroken \xff byte\n")
    (sample,) = PPL.load(ctx(path=str(bad)), "bad")
    assert sample.error == f"{bad}:3: not valid UTF-8 (invalid start byte at byte 29)"
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n")
    (sample,) = PPL.load(ctx(path=str(empty)), "empty")
    assert sample.error == f"{empty}:1: malformed row: empty document"


def test_corpus_metrics_pool_logprobs_words_and_bytes():
    scores = [{"_logprob": -10.0, "_words": 4, "_bytes": 20}, {"_logprob": -30.0, "_words": 6, "_bytes": 40}]
    m = PPL.corpus_metrics(scores)
    assert m["word_perplexity"] == pytest.approx(math.exp(40 / 10))
    assert m["byte_perplexity"] == pytest.approx(math.exp(40 / 60))
    assert m["bits_per_byte"] == pytest.approx(40 / 60 / math.log(2))
    assert PPL.corpus_metrics([]) == {}


def test_end_to_end_with_the_smoke_model(run_evals, corpus, smoke_path):  # --model smoke: built once
    args = '{"perplexity": {"path": "%s", "unit": "paragraph"}}' % corpus
    run = run_evals("--model", "smoke", "--datasets", "perplexity", "--dataset-args", args)
    res = run.results["benchmarks"]["perplexity"]
    samples = run.samples()
    assert res["n"] == 3 and len(samples) == 3 and res["metric"] == "word_perplexity"
    ll = sum(s["loglikelihoods"][0] for s in samples)
    n_bytes = sum(s["scores"]["_bytes"] for s in samples)
    n_words = sum(s["scores"]["_words"] for s in samples)
    m = {k: v["score"] for k, v in res["metrics"].items()}
    assert set(m) == {"word_perplexity", "byte_perplexity", "bits_per_byte"}
    assert all(math.isfinite(v) and v > 0 for v in m.values()) and ll < 0
    assert m["byte_perplexity"] == pytest.approx(math.exp(-ll / n_bytes), rel=1e-9)
    assert m["word_perplexity"] == pytest.approx(math.exp(-ll / n_words), rel=1e-9)
    assert m["bits_per_byte"] == pytest.approx(math.log2(m["byte_perplexity"]), rel=1e-9)
    assert res["score"] == m["word_perplexity"]
    assert res["subsets"]["tiny"]["metrics"]["byte_perplexity"]["score"] == m["byte_perplexity"]
    assert run.code == 0, run.out
    assert "word_perplexity" in run.out and res["lower_is_better"] == [
        "word_perplexity", "byte_perplexity", "bits_per_byte"]
