"""Under xdist, workers keep full records in their own files and send summaries: samples.jsonl
is the serial run's, `pytest_benchgate_record` listeners still get full records on the workers,
and no prompt crosses the wire."""
from __future__ import annotations

import json

import pytest

PLUGIN = '''
import json, os
import pytest

def pytest_benchgate_record(record, item):
    with open(os.environ["LISTENER_OUT"], "a") as f:
        f.write(json.dumps({"id": record["id"], "prompt": "prompt" in record,
                            "worker": hasattr(item.config, "workerinput")}) + "\\n")

def pytest_configure(config):
    global CONFIG
    CONFIG = config

def pytest_runtest_logreport(report):
    if report.when == "call" and not hasattr(CONFIG, "workerinput"):  # the controller's view
        for key, value in report.user_properties:
            if key == "benchgate_record":
                with open(os.environ["REPORTS_OUT"], "a") as f:
                    f.write(json.dumps({"id": value["id"], "prompt": "prompt" in value,
                                        "bytes": len(json.dumps(value))}) + "\\n")
'''


@pytest.mark.slow  # the -n 2 run is a process (xdist workers) finding the listener plugin through
# its PYTHONPATH; the serial run is in this process, which finds it on sys.path (monkeypatch)
def test_worker_files_give_the_serial_samples(run_evals, tmp_path, monkeypatch):
    (tmp_path / "plug").mkdir()
    (tmp_path / "plug" / "record_listener.py").write_text(PLUGIN)
    monkeypatch.syspath_prepend(tmp_path / "plug")
    args = ("--model", "dummy", "--datasets", "mmlu", "arc", "--limit", "3", "--group-size", "2",
            "-p", "record_listener")

    def run(name, *extra):
        env = {"PYTHONPATH": str(tmp_path / "plug"), "LISTENER_OUT": str(tmp_path / f"{name}-l.jsonl"),
               "REPORTS_OUT": str(tmp_path / f"{name}-r.jsonl")}
        result = run_evals(*args, *extra, output=name, env=env)
        assert result.code == 0, result.out
        read = lambda suffix: [json.loads(x) for x in (tmp_path / f"{name}-{suffix}.jsonl").read_text().splitlines()]  # noqa: E731
        return result, read("l"), read("r")

    serial, serial_seen, serial_reports = run("serial")
    parallel, seen, reports = run("parallel", "-n", "2")
    strip = lambda s: {k: v for k, v in s.items() if k != "cached"}  # noqa: E731
    samples = parallel.samples()
    assert len(samples) == 57 * 3 + 2 * 3
    assert [strip(s) for s in samples] == [strip(s) for s in serial.samples()]
    assert serial.results["benchmarks"] == parallel.results["benchmarks"]
    # listeners on the workers got every full record; the controller got summaries only
    assert sorted(r["id"] for r in seen) == sorted(s["id"] for s in samples)
    assert all(r["prompt"] and r["worker"] for r in seen)
    assert sorted(r["id"] for r in reports) == sorted(s["id"] for s in samples)
    assert not any(r["prompt"] for r in reports)
    assert all(r["prompt"] for r in serial_reports) and not any(r["worker"] for r in serial_seen)
    mean = lambda rows: sum(r["bytes"] for r in rows) / len(rows)  # noqa: E731
    assert mean(reports) * 5 < mean(serial_reports)  # MMLU 5-shot prompts stayed on the workers
    assert not list(parallel.output_dir.glob(".worker-records-*"))  # merged and removed
