"""Typed option specs (benchgate.argspec): what each type, range and list form accepts."""
import math

import pytest
from hypothesis import given, strategies as st

from benchgate.argspec import Arg, check_args

ANY_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
                        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner,
                                                                                     max_size=3), max_leaves=5)


@given(ANY_JSON)
def test_int_with_minimum_accepts_exactly_the_ints_at_or_above_it(value):
    spec = Arg(1, int, min=1)
    ok = isinstance(value, int) and not isinstance(value, bool) and value >= 1
    if ok:
        assert spec.check(value, "k") == value
    else:
        with pytest.raises(ValueError, match=r"^k must be int >= 1, got "):
            spec.check(value, "k")


@given(ANY_JSON)
def test_number_above_zero_accepts_finite_positive_numbers_as_float(value):
    spec = Arg(10.0, float, above=0)
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value > 0
    if ok:
        out = spec.check(value, "timeout")
        assert out == value and isinstance(out, float)
    else:
        with pytest.raises(ValueError, match=r"^timeout must be number > 0, got "):
            spec.check(value, "timeout")


@given(ANY_JSON)
def test_bool_is_strict(value):
    spec = Arg(False)
    if isinstance(value, bool):
        assert spec.check(value, "flag") is value
    else:
        with pytest.raises(ValueError, match="flag must be bool"):
            spec.check(value, "flag")


def test_choices_lists_and_null():
    mode = Arg("file", str, choices=("file", "paragraph"))
    assert mode.check("paragraph", "unit") == "paragraph"
    with pytest.raises(ValueError, match="unit must be one of 'file', 'paragraph', got 'line'"):
        mode.check("line", "unit")
    names = Arg(None, str, each=True, sep=",")
    # a string is a comma-separated list, never a set of characters
    assert names.check("abstract_algebra", "subset_list") == ["abstract_algebra"]
    assert names.check("a, b", "subset_list") == ["a", "b"]
    assert names.check(["a"], "subset_list") == ["a"] and names.check(None, "subset_list") is None
    with pytest.raises(ValueError, match=r"subset_list must be list of str or null, got 3"):
        names.check(["a", 3], "subset_list")
    paths = Arg(None, str, each=True)  # no separator: a path with a comma stays whole
    assert paths.check("a,b.txt", "path") == ["a,b.txt"]
    ks = Arg([1], int, each=True, min=1)
    assert ks.check(5, "k") == [5]
    with pytest.raises(ValueError, match="non-empty"):
        ks.check([], "k")


def test_unknown_keys_list_every_accepted_key_with_its_type():
    specs = {"n": Arg(1, int, min=1), "network": Arg("auto", str, choices=("auto", "guard"))}
    with pytest.raises(ValueError) as e:
        check_args({"nn": 2}, specs, "--dataset-args: humaneval")
    assert str(e.value) == ("--dataset-args: humaneval: unknown key 'nn' (did you mean 'n'?); accepted: n (int >= 1), "
                            "network (one of 'auto', 'guard')")
    assert check_args({"n": 3}, specs, "x") == {"n": 3, "network": "auto"}


def test_did_you_mean_names_the_closest_choice_or_nothing():
    from benchgate.argspec import did_you_mean

    names = ["gsm8k", "mmlu", "ceval", "cmmlu", "xstest"]
    assert did_you_mean(["gsm8"], names) == " (did you mean 'gsm8k'?)"
    assert did_you_mean(["cmmmlu"], names) == " (did you mean 'cmmlu'?)"
    assert did_you_mean(["gsm8", "xtest"], names) == " (did you mean 'gsm8k' or 'xstest'?)"
    assert did_you_mean(["squad"], names) == ""  # nothing close: no guess
    assert did_you_mean(["abstract_algebr"], ["anatomy", "abstract_algebra"]) == " (did you mean 'abstract_algebra'?)"
