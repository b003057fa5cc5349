"""`pytest_benchgate_summary` (benchgate/hookspecs.py): the tables under the controller's
"benchgate summary" line come from the hook's implementations, benchgate's scores table
first, and a project's plugin can add its own lines there."""

LISTENER = '''
import pytest


@pytest.hookimpl(trylast=True)
def pytest_benchgate_summary(results, terminalreporter):
    terminalreporter.write_line(f"listener: {sorted(results['benchmarks'])} n={results['timings']['samples']}")
'''


def test_a_plugin_writes_under_the_scores_table(run_evals, tmp_path, monkeypatch):
    (tmp_path / "summary_listener.py").write_text(LISTENER)
    monkeypatch.syspath_prepend(str(tmp_path))
    run = run_evals("--model", "oracle", "--datasets", "gsm8k", "--limit", "2", "-p", "summary_listener")
    assert run.code == 0, run.out
    lines = run.out.splitlines()
    summary = next(i for i, line in enumerate(lines) if "benchgate summary" in line)
    table = next(i for i, line in enumerate(lines) if line.startswith("gsm8k ") and "strict_match" in line)
    listener = lines.index("listener: ['gsm8k'] n=2")  # called once, with the run's results
    written = next(i for i, line in enumerate(lines) if line.startswith("results: "))
    assert summary < table < listener < written, run.out
    assert sum(line.startswith("listener: ") for line in lines) == 1
