"""Agreement metrics against scikit-learn and the textbook Fleiss example."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score, precision_recall_fscore_support

from benchgate.metrics.agreement import (classification_report, cohen_kappa, fleiss_kappa, pairwise_agreement)

labels = st.lists(st.tuples(st.sampled_from([0, 1, 2]), st.sampled_from([-1, 0, 1, 2])), min_size=1, max_size=60)


@given(labels)
@settings(max_examples=200, deadline=None)
def test_macro_metrics_match_sklearn(pairs):
    gold, pred = [g for g, _ in pairs], [p for _, p in pairs]
    p, r, f, _ = precision_recall_fscore_support(gold, pred, labels=[0, 1, 2], average="macro", zero_division=0)
    report = classification_report(gold, pred, (0, 1, 2))
    assert report["macro_precision"] == pytest.approx(p)
    assert report["macro_recall"] == pytest.approx(r)
    assert report["macro_f1"] == pytest.approx(f)
    assert report["acc"] == pytest.approx(sum(g == q for g, q in pairs) / len(pairs))


@given(labels)
@settings(max_examples=200, deadline=None)
def test_cohen_kappa_matches_sklearn(pairs):
    gold, pred = [g for g, _ in pairs], [p for _, p in pairs]
    ours = cohen_kappa(gold, pred)
    if ours is None:
        assert len(set(gold) | set(pred)) == 1
    else:
        assert ours == pytest.approx(cohen_kappa_score(gold, pred))


def test_fleiss_kappa_textbook_example():
    # Fleiss (1971) as worked on Wikipedia "Fleiss' kappa": 10 items, 14 raters, 5 categories -> 0.210
    counts = [[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
              [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]]
    ratings = [[c for c, n in enumerate(row) for _ in range(n)] for row in counts]
    assert fleiss_kappa(ratings) == pytest.approx(0.20993, abs=1e-5)
    assert fleiss_kappa([[1, 1], [1, 1]]) is None
    with pytest.raises(ValueError, match="same number"):
        fleiss_kappa([[1, 2], [1]])


def test_pairwise_agreement():
    assert pairwise_agreement([[1, 1, 2], [0, 0, 0]]) == pytest.approx(4 / 6)
