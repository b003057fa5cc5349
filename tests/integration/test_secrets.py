"""A known API key appears in no file a run writes and nowhere on its console.

Each *producer* runs one real thing that holds the key (an API evaluation, serial and under
xdist, with requests the server refuses with a message echoing the key; the stress test, CLI
and SLO suite) and returns the folders it wrote and its console text. The test scans every byte
of every file there (results.json, samples.jsonl, the SQLite cache with its -wal/-shm files,
the perf summary/percentile JSON, per-request SQLite and HTML report, pytest's log file at
DEBUG level and JUnit XML) and the console.

To cover a new producer (the arena judge, the HTML/Allure reports), add a function to
PRODUCERS that runs it with `key` and returns (folders, console); nothing else changes.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Callable

import pytest

from benchgate.fixtures.servers import FakeOpenAIServer
from tests.conftest import ROOT

pytestmark = pytest.mark.slow

KEY = "sk-benchgate-SECRET-7f3a9c2e41d8"


def api_eval(key: str, tmp_path: Path, run_evals) -> tuple[list[Path], str]:
    """An API evaluation: serial with --api-key, then -n 2 with the key from the environment;
    one request is refused with a message that echoes the key (as OpenAI's 401 does)."""
    server = FakeOpenAIServer().start()
    server.require_key = key
    try:
        dry = run_evals("--api-url", server.base_url, "--model", "fake-model", "--datasets", "gsm8k",
                        "--limit", "4", "--dry-run", output="dry")
        server.script[dry.samples()[2]["prompt"]] = [f"401!Incorrect API key provided: {key}"] * 100
        logs = tmp_path / "logs"
        logs.mkdir()
        common = ("--api-url", server.base_url, "--model", "fake-model", "--datasets", "gsm8k", "mmlu",
                  "--limit", "4", "-k", "gsm8k or abstract_algebra", "--dataset-args",
                  '{"mmlu": {"mode": "generate"}}', "-v", "-rA", "--log-level", "DEBUG")
        serial = run_evals(*common, "--api-key", key, "--log-file", str(logs / "serial.log"),
                           "--log-file-level", "DEBUG", "--junitxml", str(logs / "serial.xml"), output="serial")
        xdist = run_evals(*common, "-n", "2", "--junitxml", str(logs / "xdist.xml"), output="xdist",
                          env={"BENCHGATE_API_KEY": key})
        refused = run_evals("--api-url", server.base_url, "--model", "fake-model", "--datasets", "gsm8k",
                            "--limit", "1", "--api-key", "sk-wrong-" + key, output="refused")
    finally:
        server.stop()
    assert serial.code == 1 and xdist.code == 1, serial.out + xdist.out  # the refused request's sample
    assert "gsm8k/main/2" in serial.out and "Incorrect API key provided: ***" in serial.out
    assert refused.code == 4 and "refused the API key" in refused.out
    assert server.auth_headers and set(server.auth_headers) <= {f"Bearer {key}", f"Bearer sk-wrong-{key}"}
    return [tmp_path], "".join(r.out for r in (serial, xdist, refused))


def perf(key: str, tmp_path: Path, run_evals) -> tuple[list[Path], str]:
    """`benchgate perf` (a sweep writing every output, and a run where every request fails) and
    the SLO suite `pytest evals/perf`, all with --api-key."""
    from benchgate.perf.scripted_server import Script, ScriptedServer

    out = tmp_path / "perf"
    console = ""
    with ScriptedServer() as srv:
        url = srv.url(Script(ttft=0.01, itl=0.002, n=4, chunk=2))
        for args in (["--url", url, "--parallel", "1", "2", "--number", "3", "4", "--outputs-dir", str(out / "ok")],
                     ["--url", srv.base_url + "/nope/v1", "-n", "2", "--outputs-dir", str(out / "failing")]):
            proc = subprocess.run([sys.executable, "-m", "benchgate.cli", "perf", *args, "--api-key", key,
                                   "--prompt", "hello", "--model", "scripted", "--no-progress"],
                                  cwd=ROOT, capture_output=True, text=True, timeout=300)
            console += proc.stdout + proc.stderr
        suite = subprocess.run([sys.executable, "-m", "pytest", str(ROOT / "evals" / "perf"), "-v", "-rA",
                                "-p", "no:cacheprovider", "--url", url, "--api-key", key, "--number", "4",
                                "--perf-outputs-dir", str(out / "suite"), "--slo", "error_rate=0"],
                               cwd=ROOT, capture_output=True, text=True, timeout=300)
        console += suite.stdout + suite.stderr
    assert suite.returncode == 0, suite.stdout[-2000:]
    assert (out / "ok" / "report.html").is_file() and (out / "ok" / "requests.sqlite").is_file()
    return [out], console


PRODUCERS: dict[str, Callable[[str, Path, object], tuple[list[Path], str]]] = {
    "api-eval": api_eval,
    "perf": perf,
}


def every_file(folders: list[Path]) -> list[Path]:
    return sorted(p for folder in folders for p in ([folder] if folder.is_file() else folder.rglob("*"))
                  if p.is_file())


@pytest.mark.parametrize("producer", list(PRODUCERS))
def test_the_key_is_nowhere(producer, tmp_path, run_evals):
    folders, console = PRODUCERS[producer](KEY, tmp_path, run_evals)
    files = every_file(folders)
    kinds = {p.suffix or p.name for p in files}
    assert len(files) >= 5, files  # the scan really covers the outputs
    secret = KEY.encode()
    leaks = [str(p) for p in files if secret in p.read_bytes()]
    assert leaks == [], f"the key was written to {leaks}"
    assert KEY not in console
    assert KEY[len("sk-"):] not in console  # not even without its prefix
    if producer == "api-eval":
        assert {".json", ".jsonl", ".sqlite", ".log", ".xml"} <= kinds, kinds
        assert any(p.name.endswith("-wal") or p.suffix == ".sqlite" for p in files)
    if producer == "perf":
        assert {".json", ".sqlite", ".html"} <= kinds, kinds


def test_api_url_credentials_and_query_are_not_written_to_results():
    from types import SimpleNamespace

    from benchgate.engine.options import RunOptions

    fields = {f: None for f in RunOptions.__dataclass_fields__}
    opts = RunOptions(**{**fields, "generation": SimpleNamespace(key=lambda: {}),
                         "api_url": f"https://user:{KEY}@api.example.com/v1/?api-key={KEY}", "shard": None})
    assert opts.public()["api_url"] == "https://api.example.com/v1"
    assert KEY not in repr(opts) and KEY not in str(opts.public())
    assert os.environ.get("BENCHGATE_API_KEY") != KEY
