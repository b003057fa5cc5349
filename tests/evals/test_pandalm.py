"""PandaLM: the authors' prompt and gold rule, parse failures, oracle/wrong, bad rows."""
import pytest

from benchgate.benchmark import RunContext
from benchgate.engine.items import import_benchmark
from benchgate.models.base import Generation
from tests.conftest import ROOT, mean_score, score_all

PANDALM = import_benchmark(ROOT / "evals" / "pandalm.py")
MODULE = __import__("sys").modules[PANDALM.__class__.__module__]
JUDGES = ROOT.parent / "shared" / "judges"


def ctx(chat=False, data=JUDGES, **args):
    return RunContext(dataset_dir=data, dataset_hub="local", args=PANDALM.effective_args(args), chat=chat)


def test_collection_prompt_and_category():
    c = ctx()
    samples = PANDALM.load(c, "test")
    assert len(samples) == 999 and all(s.error is None for s in samples)
    s = samples[0]
    assert PANDALM.categories(c, s) == ["Grammarly"] and s.target == 2
    (request,) = PANDALM.requests(c, s)
    assert request.prompt.startswith("Below are two responses for a given task. The task is defined by the "
                                     "Instruction with an Input that provides further context.")
    assert request.prompt.endswith(f"### Response 1:\n{s.data['response1']}\n\n### Response 2:\n"
                                   f"{s.data['response2']}\n\n### Evaluation:\n")
    assert samples[157].data["response1"] == "True"  # JSON true in the file, as the authors' f-string shows it


@pytest.mark.parametrize(("reply", "label"), [("1\n\n### Reason: ...", 1), ("2", 2), ("Tie", 0), ("tie\nx", 0),
                                              ("garbage", 0), ("0", 0), ("Response 1 is better", None), ("", None)])
def test_verdicts_and_failures(reply, label):
    c = ctx()
    sample = PANDALM.load(c, "test")[0]
    scored = PANDALM.score(c, sample, [Generation(reply)])
    assert scored.extracted["verdict"] == label
    assert scored.scores["parse_failure"] == float(label is None)
    assert scored.scores["acc"] == float(label == 2)


def test_gold_is_the_majority_else_the_first_annotator():
    assert MODULE.pandalm_gold(2, 1, 1) == 1 and MODULE.pandalm_gold(0, 1, 2) == 0 and MODULE.pandalm_gold(2, 0, 1) == 2


def test_position_and_length_bias_beside_the_gold():
    c = ctx()
    sample = PANDALM.load(c, "test")[0]  # gold 2; response1 is the longer one
    assert len(sample.data["response1"]) > len(sample.data["response2"]) and sample.target == 2
    scores = PANDALM.score(c, sample, [Generation("1")]).scores
    assert (scores["first_position"], scores["first_position_gold"]) == (1.0, 0.0)
    assert (scores["longer_preferred"], scores["longer_preferred_gold"]) == (1.0, 0.0)
    tie = PANDALM.score(c, sample, [Generation("Tie")]).scores
    assert "first_position" not in tie and tie["first_position_gold"] == 0.0


def test_corpus_metrics_hand_computed():
    # gold 1,1,2,0 ; predicted 1,2,2,failure: acc 2/4; class 1: P 1, R 1/2; class 2: P 1/2, R 1; tie: P 0, R 0
    rows = [(1, 1), (1, 2), (2, 2), (0, -1)]
    scores = [{"acc": float(g == p), "_gold": g, "_pred": p, "_a1": g, "_a2": g, "_a3": 0} for g, p in rows]
    m = PANDALM.corpus_metrics(scores)
    assert m["macro_precision"] == pytest.approx(1.5 / 3) and m["macro_recall"] == pytest.approx(1.5 / 3)
    assert m["macro_f1"] == pytest.approx((2 / 3 + 2 / 3) / 3) and m["parse_failures"] == 1


def test_oracle_and_wrong():
    c = ctx()
    oracle, wrong = score_all(PANDALM, c, "oracle"), score_all(PANDALM, c, "wrong")
    assert mean_score(oracle, "acc") == 1.0 and mean_score(wrong, "acc") == 0.0
    assert PANDALM.corpus_metrics([s.scores for _, s in oracle])["kappa"] == 1.0
    vanilla = score_all(PANDALM, ctx(prompt="Vanilla"), "wrong", limit=50)
    assert mean_score(vanilla, "acc") == 0.0


def test_malformed_label_names_file_and_line(tmp_path):
    (tmp_path / "pandalm").mkdir()
    (tmp_path / "pandalm" / "testset-v1.json").write_text(
        '[\n{"idx": 0, "motivation_app": "x", "instruction": "i", "input": NaN, "response1": "a", '
        '"response2": "b", "annotator1": 1, "annotator2": 4, "annotator3": 1}\n]')
    sample = PANDALM.load(ctx(data=tmp_path), "test")[0]
    assert sample.error.endswith("testset-v1.json:2: malformed row: annotator2 must be 0, 1 or 2, got 4")
