"""`--limit`: per subset, N or a fraction as lm-eval reads it; bad values are usage errors."""
import argparse
import types

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lm_eval.evaluator_utils import get_sample_size  # the reference rule (lm_eval==0.4.13)

from benchgate.engine.options import limit_count, parse_limit
from tests.conftest import ROOT


@given(st.integers(min_value=1, max_value=5000),
       st.one_of(st.integers(min_value=1, max_value=10_000),
                 st.floats(min_value=1e-6, max_value=1.0, exclude_max=True)))
def test_limit_count_is_lm_evals_rule(size, limit):
    task = types.SimpleNamespace(eval_docs=[None] * size)
    assert limit_count(parse_limit(str(limit)), size) == min(get_sample_size(task, limit), size)


@pytest.mark.parametrize("text, value", [("10", 10), ("1", 1), ("2.0", 2), ("0.1", 0.1),
                                         ("0.5", 0.5), ("1e1", 10)])
def test_good_limits(text, value):
    got = parse_limit(text)
    assert got == value and type(got) is type(value)


@pytest.mark.parametrize("text", ["0", "-1", "-0.5", "1.5", "2.25", "nan", "inf", "ten", ""])
def test_bad_limits(text):
    with pytest.raises(argparse.ArgumentTypeError):
        parse_limit(text)


def _collect(capsys, *args) -> tuple[int, str]:
    code = pytest.main([str(ROOT / "evals"), "--collect-only", "-q", "-p", "no:cacheprovider",
                        "--model", "dummy", *args])
    out = capsys.readouterr()
    return int(code), out.out + out.err


def test_fraction_limit_per_subset_against_hand_counted_sizes(capsys, safety_dir):
    # hand count (xstest_prompts.csv): 18 types x 25 prompts; ifeval: 541 prompts, one subset.
    # --limit 0.1 keeps ceil(25 x 0.1) = 3 of every type and ceil(54.1) = 55 of ifeval
    code, out = _collect(capsys, "--datasets", "xstest", "ifeval", "--limit", "0.1",
                         "--dataset-dir", str(safety_dir))
    assert code == 0, out
    ids = [line for line in out.splitlines() if "::" in line]
    xstest = [i for i in ids if "::xstest/" in i]
    assert len(xstest) == 18 * 3 and len({i.rsplit("/", 1)[0] for i in xstest}) == 18
    assert len([i for i in ids if "::ifeval/" in i]) == 55
    assert [i.rsplit("/", 1)[1] for i in ids if "::ifeval/" in i] == [str(n) for n in range(55)]
    # an integer limit is per subset too: 10 of each type = 180
    code, out = _collect(capsys, "--datasets", "xstest", "--limit", "10", "--dataset-dir", str(safety_dir))
    assert code == 0 and len([line for line in out.splitlines() if "::xstest/" in line]) == 180


@pytest.mark.parametrize("value", ["0", "-3", "1.5", "abc"])
def test_bad_limit_is_a_usage_error_naming_the_option(capsys, value, safety_dir):
    code, out = _collect(capsys, "--datasets", "xstest", f"--limit={value}", "--dataset-dir", str(safety_dir))
    assert code == 4
    assert "argument --limit" in out and repr(value) in out


def test_limit_in_help(capsys):
    code, out = _collect(capsys, "--help")
    assert code == 0
    text = " ".join(out.split())
    assert "samples per SUBSET, not per benchmark (xstest has 18 subsets: --limit 10 = 180 samples)" in text
    assert "ceil(F x subset size)" in text
