"""BBQ: choices, targets, biased answers and every metric checked against lm-evaluation-harness's
own `bbq` code (lm_eval.tasks.bbq.utils, the test extra) on all 11,956 questions."""
import json
import random

import lm_eval.tasks.bbq.utils as lm_bbq  # the test extra: a missing reference fails, never skips
import numpy as np
import pytest

from benchgate.benchmark import RunContext
from benchgate.engine.items import import_benchmark
from benchgate.models.base import Loglikelihood
from tests.conftest import ROOT, mean_score, score_all

BBQ = import_benchmark(ROOT / "evals" / "bbq.py")


def ctx(data, **args):
    return RunContext(dataset_dir=data, dataset_hub="local", args=BBQ.effective_args(args))


@pytest.fixture(scope="module")
def docs(safety_dir):
    """{category: [(our sample, lm-eval's processed doc)]}."""
    import datasets

    c = ctx(safety_dir)
    out = {}
    for subset in BBQ.subsets(c):
        rows = [json.loads(line) for line in (safety_dir / "bbq" / f"{subset}.jsonl").read_text().splitlines()]
        processed = lm_bbq.process_docs(datasets.Dataset.from_list(rows))
        out[subset] = list(zip(BBQ.load(c, subset), processed))
    return out


@pytest.mark.slow  # real data or the reference implementation on every row: many seconds
def test_full_collection_6_categories(docs):
    assert {k: len(v) for k, v in docs.items()} == {
        "Age": 3680, "Disability_status": 1556, "Nationality": 3080, "Physical_appearance": 1576,
        "Religion": 1200, "Sexual_orientation": 864}


def test_prompt_choices_targets_and_biased_answers_equal_lm_eval(docs, safety_dir):
    c = ctx(safety_dir)
    for pairs in docs.values():
        for sample, doc in pairs:
            assert sample.data["choices"] == lm_bbq.doc_to_choice(doc)
            assert sample.target == [t for t in lm_bbq.doc_to_targets(doc) if t < 12]
            assert sample.data["biased"] == lm_bbq.doc_to_biased_answer(doc)
    sample, doc = docs["Age"][0]
    requests = BBQ.requests(c, sample)
    assert requests[0].context == f"{doc['context']}\n\nQ: {doc['question']}\nA:"
    assert [r.continuation for r in requests] == [f" {x}" for x in lm_bbq.doc_to_choice(doc)]


def _lm_eval_results(pairs, lls_of) -> dict:
    """lm-eval's process_results_multiple_choice per doc: {sample id: its results}."""
    return {s.id: lm_bbq.process_results_multiple_choice(doc, [(ll, False) for ll in lls_of(s)]) for s, doc in pairs}


def _lm_eval_metrics(results):
    """lm-eval's aggregation functions over per-doc results (`_lm_eval_results`)."""
    return {"acc": float(np.mean([r["acc"] for r in results])),
            "accuracy_amb": lm_bbq.agg_accuracy_amb([r["accuracy_amb"] for r in results]),
            "accuracy_disamb": lm_bbq.agg_accuracy_disamb([r["accuracy_disamb"] for r in results]),
            "amb_bias_score": lm_bbq.agg_amb_bias_scores([r["amb_bias_score"] for r in results]),
            "disamb_bias_score": lm_bbq.agg_disamb_bias_scores([r["disamb_bias_score"] for r in results])}


def _our_scores(pairs, lls_of, c) -> dict:
    """BBQ.score per sample: {sample id: its scores}."""
    return {s.id: BBQ.score(c, s, [Loglikelihood(ll, False) for ll in lls_of(s)]).scores for s, _ in pairs}


def _ours(scores):
    """Our means and corpus metrics over per-sample scores (`_our_scores`)."""
    mean = lambda m: float(np.mean([s[m] for s in scores if m in s]))  # noqa: E731
    return {"acc": mean("acc"), "accuracy_amb": mean("accuracy_amb"), "accuracy_disamb": mean("accuracy_disamb"),
            **BBQ.corpus_metrics(scores)}


@pytest.mark.parametrize("strategy", ["random", "stereotyped", "unknown"])
def test_every_metric_equals_lm_eval_per_category_and_overall(docs, safety_dir, strategy):
    c = ctx(safety_dir)
    rng = random.Random(7)
    table = {}

    def lls_of(sample):
        key = sample.id
        if key not in table:
            lls = [-rng.uniform(1, 20) for _ in sample.data["choices"]]
            if strategy == "stereotyped" and sample.data["biased"] and rng.random() < 0.7:
                lls[sample.data["biased"][0]] = 0.0  # a model that mostly picks the biased answer
            elif strategy == "unknown" and rng.random() < 0.5:
                lls[2 + rng.randrange(10)] = 0.0
            table[key] = lls
        return table[key]

    everything = [p for pairs in docs.values() for p in pairs]
    # each doc scored once by both (in the categories' order, as the draws were made), then
    # aggregated per category and over all
    our_scores, ref_results = _our_scores(everything, lls_of, c), _lm_eval_results(everything, lls_of)
    for name, pairs in list(docs.items()) + [("all", everything)]:
        ours = _ours([our_scores[s.id] for s, _ in pairs])
        ref = _lm_eval_metrics([ref_results[s.id] for s, _ in pairs])
        assert ours == pytest.approx(ref, rel=1e-12, abs=1e-12), name
    if strategy == "stereotyped":
        assert _ours(list(our_scores.values()))["disamb_bias_score"] > 0.2  # the check can see bias


def test_oracle_and_wrong(safety_dir):
    c = ctx(safety_dir)
    oracle = score_all(BBQ, c, "oracle", limit=300)
    wrong = score_all(BBQ, c, "wrong", limit=300)
    assert mean_score(oracle, "acc") == 1.0 and mean_score(wrong, "acc") == 0.0
    assert BBQ.corpus_metrics([s.scores for _, s in oracle])["amb_bias_score"] == 0.0


def test_malformed_row_names_file_and_line(tmp_path, safety_dir):
    (tmp_path / "bbq").mkdir()
    lines = (safety_dir / "bbq" / "Religion.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    row = json.loads(lines[2])
    row["ans1"] = row["ans0"] if row["ans1"] in lm_bbq.UNKNOWN_RESPONSES else row["ans1"]
    row["ans0"] = row["ans2"] = "Someone"
    lines[2] = json.dumps(row) + "\n"
    path = tmp_path / "bbq" / "Religion.jsonl"
    path.write_text("".join(lines), encoding="utf-8")
    samples = BBQ.load(ctx(tmp_path), "Religion")
    assert samples[2].error.startswith(f"{path}:3: malformed row: expected exactly one 'unknown' answer")
    assert samples[1].error is None and len(samples) == 1200
