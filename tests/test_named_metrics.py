"""Metrics by name: built-ins, the suite's metrics/ modules, Hugging Face `evaluate` metrics
(a metric script written here, checked against `evaluate` itself), and the errors."""
import os
import subprocess
import sys
import textwrap

import pytest
from hypothesis import given
from hypothesis import strategies as st

from benchgate.metrics.bleu import sentence_bleu
from benchgate.metrics.rouge import rouge
from benchgate.metrics.text import exact_match, f1_score
from benchgate.named_metrics import MetricError, compute_all, resolve

CHAR_OVERLAP = textwrap.dedent('''
    import datasets
    import evaluate


    class CharOverlap(evaluate.Metric):
        def _info(self):
            return evaluate.MetricInfo(
                description="share of the reference's characters found in the prediction",
                citation="", inputs_description="predictions, references: strings",
                features=datasets.Features({"predictions": datasets.Value("string"),
                                            "references": datasets.Value("string")}))

        def _compute(self, predictions, references):
            per = [len(set(p) & set(r)) / len(set(r)) for p, r in zip(predictions, references)]
            return {"char_overlap": sum(per) / len(per), "per_sample": per}
''')


def test_builtins_are_the_benchgate_metric_functions():
    pred, ref = "the cat sat on the mat", "a cat sat on a mat"
    bleu = {k: min(1.0, v / 100) for k, v in sentence_bleu(pred, [ref], 4).items()}
    assert resolve("bleu")(pred, ref) == bleu
    assert resolve("rouge")(pred, ref) == rouge(pred, ref)
    assert resolve("em")("The Cat.", ["cat"]) == {"em": exact_match("The Cat.", ["cat"])} == {"em": 1.0}
    assert resolve("f1")(pred, ref) == {"f1": f1_score(pred, ref)}
    assert resolve("rouge").primary == "rouge-l-f" and resolve("bleu").primary == "bleu-4"


def test_user_metric_modules_by_name(tmp_path):
    (tmp_path / "length_ratio.py").write_text(
        "def score(prediction, reference):\n    return len(prediction) / len(reference)\n")
    (tmp_path / "two.py").write_text(
        "PRIMARY = 'b'\nimport numpy as np\n"
        "def score(prediction, reference):\n    return {'a': np.float64(0.25), 'b': True, 'note': 'x'}\n")
    (tmp_path / "broken.py").write_text("def compute(p, r):\n    return 1\n")
    dirs = [tmp_path]
    assert resolve("length_ratio", dirs)("abc", "abcdef") == {"length_ratio": 0.5}
    assert resolve("two", dirs)("x", "y") == {"a": 0.25, "b": 1.0}  # non-numbers dropped
    assert resolve("two", dirs).primary == "b"
    with pytest.raises(MetricError, match=r"broken.py must define score\(prediction, reference\)"):
        resolve("broken", dirs)
    with pytest.raises(MetricError, match=r"unknown metric 'nope': .*found: broken, length_ratio, two"):
        resolve("nope", dirs)
    with pytest.raises(MetricError, match="report a score named 'rouge-1-p'"):
        compute_all(["rouge", "rouge"], "a b", "a b", dirs)


def test_the_checkout_metrics_folder_is_found_by_name():
    metric = resolve("keyword_recall")
    assert metric.primary == "keyword_recall"
    # hand-computed: reference words of 3+ letters {paris, the, capital, france}; the
    # prediction has three of them ("is" and "of" are too short to count)
    assert metric("The capital is Paris.", "Paris is the capital of France") == {
        "keyword_recall": 0.75}
    assert metric("anything", "a 12 of") == {"keyword_recall": 1.0}  # no 3+ letter word


@given(st.text(), st.text())
def test_keyword_recall_is_a_share(prediction, reference):
    value = resolve("keyword_recall")(prediction, reference)["keyword_recall"]
    assert 0.0 <= value <= 1.0
    assert resolve("keyword_recall")(reference, reference)["keyword_recall"] == 1.0


def test_evaluate_metric_from_a_local_script_matches_evaluate_itself(tmp_path):
    evaluate = pytest.importorskip("evaluate")  # installed by the test extra
    script = tmp_path / "char_overlap.py"
    script.write_text(CHAR_OVERLAP)
    metric = resolve(f"evaluate:{script}")
    reference = evaluate.load(str(script)).compute(predictions=["abc"], references=["abd"])
    assert metric("abc", "abd") == {"char_overlap": reference["char_overlap"]} == {
        "char_overlap": pytest.approx(2 / 3)}
    assert metric.primary == "char_overlap"
    with pytest.raises(MetricError, match="metric script .*nope.py not found"):
        resolve(f"evaluate:{tmp_path / 'nope.py'}")


@pytest.mark.slow  # a subprocess that imports `evaluate` and waits for its offline hub lookup
def test_evaluate_hub_name_offline_is_a_clear_error(tmp_path):
    code = ("from benchgate.named_metrics import resolve\n"
            "try:\n    resolve('evaluate:exact_match')\nexcept ValueError as e:\n    print(e)\n")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf")}
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert "evaluate:exact_match: could not load the metric from the Hugging Face Hub" in proc.stdout, \
        proc.stdout + proc.stderr
    assert "HF_HUB_OFFLINE is set. Use a local metric script: evaluate:path/to/exact_match.py" in proc.stdout
