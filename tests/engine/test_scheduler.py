import json

import pytest
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


@pytest.mark.subprocess
def test_plain_tests_of_one_module_spread_over_the_workers(tmp_path):
    """`pytest -n 2` on a test suite (no benchmark samples): the tests of one module go to both
    workers, as under xdist's `--dist load`, not all to one as a module scope would send them.
    (Each worker gets its first tests when the schedule starts, however fast they run: the
    short sleep only keeps one worker from finishing the rest before the other's second.)"""
    from tests.conftest import run_pytest

    (tmp_path / "test_many.py").write_text(
        "import json, os, time\n"
        "import pytest\n"
        "@pytest.mark.parametrize('i', range(8))\n"
        "def test_one(i):\n"
        "    time.sleep(0.05)\n"
        f"    with open({str(tmp_path / 'workers.jsonl')!r}, 'a') as f:\n"
        "        f.write(json.dumps(os.environ['PYTEST_XDIST_WORKER']) + '\\n')\n")
    proc = run_pytest([str(tmp_path / "test_many.py"), "-q", "-p", "no:cacheprovider", "-n", "2"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    workers = [json.loads(x) for x in (tmp_path / "workers.jsonl").read_text().splitlines()]
    assert len(workers) == 8 and set(workers) == {"gw0", "gw1"}, workers
