from hypothesis import given, strategies as st

from benchgate.engine.scheduler import group_scope


def test_group_scope_of_sample_ids():
    assert group_scope("evals/mmlu.py::mmlu/anatomy/130", 256) == "evals/mmlu.py::mmlu/anatomy#0"
    assert group_scope("evals/gsm8k.py::gsm8k/main/1318", 256) == "evals/gsm8k.py::gsm8k/main#5"
    assert group_scope("tests/test_x.py::test_y", 256) is None


@given(st.integers(0, 10**6), st.integers(0, 10**6), st.integers(1, 1000))
def test_same_scope_iff_same_chunk(i, j, size):
    a = group_scope(f"e/b.py::b/s/{i}", size)
    b = group_scope(f"e/b.py::b/s/{j}", size)
    assert (a == b) == (i // size == j // size)
