"""Hand-written evals' building blocks: names, score checks, the record API and the prompt
shape that lets one test's model call be predicted for its whole group."""
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from benchgate.engine.model_calls import _shape, _shape_fits
from benchgate.engine.plain import Record, SampleRun, check_scores, module_benchmark


def test_module_benchmark_names():
    assert module_benchmark(Path("evals/test_capitals.py")) == "capitals"
    assert module_benchmark(Path("x/capitals_test.py")) == "capitals"
    assert module_benchmark(Path("x/check.py")) == "check"


def test_scores_must_be_finite_numbers_with_free_names():
    assert check_scores({"acc": True, "f1": 1, "x": 0.5}) == {"acc": 1.0, "f1": 1.0, "x": 0.5}
    with pytest.raises(ValueError, match="score 'acc' is NaN"):
        check_scores({"acc": float("nan")})
    with pytest.raises(TypeError, match="score 'acc' must be a number, got str"):
        check_scores({"acc": "1"})
    with pytest.raises(ValueError, match="'requirement' is set by benchgate"):
        check_scores({"requirement": 1.0})
    with pytest.raises(ValueError, match="non-empty strings"):
        check_scores({"": 1.0})


def test_record_keeps_the_first_name_as_primary_and_guards_reserved_fields():
    run = SampleRun()
    record = Record(run)
    record(acc=1.0)
    record({"rouge-l-f": 0.5}, acc=0.0)
    assert run.first_metric == "acc" and run.scores == {"acc": 0.0, "rouge-l-f": 0.5}
    assert record.metrics("Paris.", "paris", "em") == {"em": 1.0} and run.scores["em"] == 1.0
    record.info(extracted="Paris")
    assert run.info == {"extracted": "Paris"}
    with pytest.raises(ValueError, match=r"\['id'\] are set by benchgate"):
        record.info(id="x")
    with pytest.raises(ValueError, match="at least one score"):
        record()


text = st.text(max_size=20)


@given(prefix=text, core=st.text(min_size=1, max_size=20), suffix=text)
def test_a_prompt_built_around_the_case_prompt_gives_back_its_shape(prefix, core, suffix):
    prompt = prefix + core + suffix
    assume(prompt.count(core) == 1)
    shape = _shape(prompt, core)
    assert shape == (prefix, suffix)
    assert _shape_fits(shape, "other") == prefix + "other" + suffix


@given(prompt=text, core=st.text(min_size=1, max_size=5))
def test_no_shape_unless_the_case_prompt_occurs_exactly_once(prompt, core):
    shape = _shape(prompt, core)
    if prompt.count(core) != 1 and prompt != core:
        assert shape is None
    if shape is not None:
        assert shape[0] + core + shape[1] == prompt


def test_chat_prompts_only_match_exactly():
    messages = ({"role": "user", "content": "hi"},)
    assert _shape(messages, messages) == ("", "")
    assert _shape("x hi", messages) is None
    assert _shape_fits(("a", "b"), messages) is None
