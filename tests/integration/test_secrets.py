"""A known API key appears in no file a run writes and nowhere on its console.

Each *producer* runs one real thing that holds the key (an API evaluation, serial and under
xdist, with requests the server refuses with a message echoing the key; the stress test, CLI
and SLO suite; an arena with an API judge and an API candidate; the reports of a run) and returns the folders it wrote and its console text. The test scans every byte
of every file there (results.json, samples.jsonl, the SQLite cache with its -wal/-shm files,
the perf summary/percentile JSON, per-request SQLite and HTML report, pytest's log file at
DEBUG level and JUnit XML) and the console.

The arena producer runs `benchgate arena` with an API judge and an API candidate needing the
key (and `pytest arena --arena-config` from the cache); the reports producer renders the HTML,
Allure (when installed), summary and leaderboard reports of an API run that used the key.
To cover a new producer, add a function to PRODUCERS that runs it with `key` and returns
(folders, console); nothing else changes.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Callable

import pytest

from benchgate.fixtures.servers import FakeOpenAIServer
from tests.conftest import DATA, ROOT, run_benchgate, run_pytest

# run_evals in a subprocess: the tests are about every byte a process writes, its console at the file-descriptor level included
# (what holds no key runs in this process: the dry runs that find a prompt to refuse, `dry_run`, and
# the report commands, `cli_here`; their files are scanned all the same)
pytestmark = [pytest.mark.slow, pytest.mark.subprocess]

KEY = "sk-benchgate-SECRET-7f3a9c2e41d8"


def dry_run(tmp_path: Path, *args: str) -> list[dict]:
    """The samples (prompts) of `pytest evals --dry-run ARGS`, in this process: it holds no key and
    sends no request; its outputs (tmp_path/dry) are scanned with the others."""
    out = tmp_path / "dry"
    proc = run_pytest([str(ROOT / "evals"), "-q", "-p", "no:cacheprovider", "--dataset-dir", str(DATA),
                       "--output-dir", str(out),
                       "--cache-path", str(tmp_path / "dry.sqlite"), "--dry-run", *args],
                      env={"BENCHGATE_HOME": str(tmp_path / "dry-home")})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]


def api_eval(key: str, tmp_path: Path, run_evals) -> tuple[list[Path], str]:
    """An API evaluation: serial with --api-key, then -n 2 with the key from the environment;
    one request is refused with a message that echoes the key (as OpenAI's 401 does)."""
    server = FakeOpenAIServer().start()
    server.require_key = key
    try:
        dry = dry_run(tmp_path, "--api-url", server.base_url, "--model", "fake-model", "--datasets", "gsm8k",
                      "--limit", "4")
        server.script[dry[2]["prompt"]] = [f"401!Incorrect API key provided: {key}"] * 100
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


def cli(*args: str, env: dict | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    """`python -m benchgate.cli ARGS` (or `-m pytest` when args start with "pytest") from the
    repository root."""
    module = ["-m", "pytest", *args[1:]] if args[:1] == ("pytest",) else ["-m", "benchgate.cli", *args]
    return subprocess.run([sys.executable, *module], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})


def cli_here(*args: str) -> subprocess.CompletedProcess:
    """`benchgate ARGS` in this process (`run_benchgate`), for the report commands: they hold no
    key (they read the run's files, scanned themselves) and start no process."""
    return run_benchgate(list(args))


def arena_judge(key: str, tmp_path: Path, run_evals) -> tuple[list[Path], str]:
    """`benchgate arena CONFIG`: the judge is an API on 127.0.0.1 needing the key (given with
    --judge-api-key), one candidate is an API needing it too (api_key_env), and one of that
    candidate's requests is refused with a message echoing the key; then `pytest arena
    --arena-config` again from the cache (the judge's key from $BENCHGATE_JUDGE_API_KEY) with a
    DEBUG log file and JUnit XML, the HTML report of the run, and a run whose judge key is
    refused (the wrong key holds the right one)."""
    from tests.arena.conftest import write_config
    from tests.conftest import ARENA_DATA

    questions = ARENA_DATA / "mt_bench" / "question.jsonl"
    refused_question = json.loads(questions.read_text(encoding="utf-8").splitlines()[1])["turns"][0]
    judge = FakeOpenAIServer(responder=lambda prompt: "Both are fine. [[A]]", model="judge-4").start()
    candidate = FakeOpenAIServer(model="cand").start()
    judge.require_key = candidate.require_key = key
    candidate.script[refused_question] = [f"401!Incorrect API key provided: {key}"] * 100
    cfg = write_config(tmp_path / "arena.yaml", questions,
                       {"m1": {"model_id_or_path": "dummy", "model_args": {"response": "an answer"}},
                        "m2": {"model_id_or_path": "cand", "api_url": candidate.base_url,
                               "api_key_env": "ARENA_CANDIDATE_KEY"}},
                       {"args": {"mode": "pairwise", "turns": "first", "model": "judge-4",
                                 "api_url": judge.base_url}},
                       ARENA_DATA / "judge_prompts.jsonl")
    out, logs = tmp_path / "arena-out", tmp_path / "logs"
    logs.mkdir()
    env = {"ARENA_CANDIDATE_KEY": key, "BENCHGATE_HOME": str(tmp_path / "home")}
    common = ("--limit", "3", "--cache-path", str(tmp_path / "cache.sqlite"), "-p", "no:cacheprovider",
              "-v", "-rA", "--log-level", "DEBUG")
    try:
        first = cli("arena", str(cfg), "--output-dir", str(out), *common, "--judge-api-key", key, env=env)
        again = cli("pytest", "arena", "--arena-config", str(cfg), "--output-dir", str(tmp_path / "arena-again"),
                    *common, "--use-cache", "--log-file", str(logs / "arena.log"), "--log-file-level", "DEBUG",
                    "--junitxml", str(logs / "arena.xml"), env={**env, "BENCHGATE_JUDGE_API_KEY": key})
        refused = cli("arena", str(cfg), "--output-dir", str(tmp_path / "arena-refused"), *common,
                      "--judge-api-key", "sk-wrong-" + key, env=env)
        html = cli_here("report", "html", str(out), "-o", str(tmp_path / "arena-report.html"))  # holds no key
    finally:
        judge.stop()
        candidate.stop()
    console = "".join(p.stdout + p.stderr for p in (first, again, refused, html))
    assert first.returncode == 1, first.stdout[-3000:]  # the refused request's units
    assert "arena/82/m2-vs-m1" in first.stdout and "Incorrect API key provided: ***" in first.stdout
    assert again.returncode == 1 and "arena/82/m2-vs-m1" in again.stdout, again.stdout[-3000:]
    assert refused.returncode == 4 and "the arena judge 'judge-4'" in refused.stdout + refused.stderr
    assert "refused the API key" in refused.stdout + refused.stderr
    assert html.returncode == 0, html.stdout + html.stderr
    assert judge.answered and candidate.answered  # both APIs really answered with the key
    assert set(judge.auth_headers) <= {f"Bearer {key}"} and set(candidate.auth_headers) == {f"Bearer {key}"}
    assert (out / "arena" / "reviews.jsonl").is_file() and (tmp_path / "arena-report.html").is_file()
    return [tmp_path], console


def reports(key: str, tmp_path: Path, run_evals) -> tuple[list[Path], str]:
    """The reports of an API evaluation run with the key (one request refused with a message
    echoing it, an Allure results folder): `benchgate report html`, the single-file Allure
    report (when Allure 3 is installed: $BENCHGATE_ALLURE or .tools/allure), `benchgate report
    summary` and `annotations`, and `benchgate leaderboard` (markdown and HTML)."""
    from benchgate.reports.allure_render import AllureError, allure_command

    server = FakeOpenAIServer().start()
    server.require_key = key
    try:
        dry = dry_run(tmp_path, "--api-url", server.base_url, "--model", "fake-model", "--datasets", "gsm8k",
                      "--limit", "3")
        server.script[dry[1]["prompt"]] = [f"401!Incorrect API key provided: {key}"] * 100
        run = run_evals("--api-url", server.base_url, "--model", "fake-model", "--datasets", "gsm8k",
                        "--limit", "3", "--api-key", key, "--alluredir", str(tmp_path / "allure-results"),
                        "--gate", "gsm8k=0.9", output="run")
    finally:
        server.stop()
    assert run.code == 1 and "Incorrect API key provided: ***" in run.out, run.out[-3000:]
    assert server.answered and set(server.auth_headers) == {f"Bearer {key}"}
    reports_dir = tmp_path / "reports"
    steps = [cli_here("report", "html", str(run.output_dir), "-o", str(reports_dir / "report.html")),
             cli_here("report", "summary", str(run.output_dir)),
             cli_here("report", "annotations", str(run.output_dir)),
             cli_here("leaderboard", str(run.output_dir), "--benchmark", "gsm8k"),
             cli_here("leaderboard", str(run.output_dir), "--benchmark", "gsm8k", "--format", "html")]
    (reports_dir / "leaderboard.html").write_text(steps[-1].stdout, encoding="utf-8")
    (reports_dir / "summary.md").write_text(steps[1].stdout, encoding="utf-8")
    try:
        allure_command()
    except AllureError:
        allure = None  # Allure 3 is not installed here: only the single-file report is left out
    else:
        allure = cli("report", "allure", str(tmp_path / "allure-results"), "--run", str(run.output_dir),
                     "-o", str(reports_dir / "allure"), timeout=900)
        steps.append(allure)
        assert (reports_dir / "allure" / "index.html").is_file(), allure.stdout + allure.stderr
    assert [p.returncode for p in steps[:5]] == [0, 0, 0, 0, 0], [p.stderr for p in steps]
    assert "gsm8k" in steps[1].stdout and "::error" in steps[2].stdout and "openai:fake-model" in steps[3].stdout
    assert any((tmp_path / "allure-results").glob("*-result.json"))
    return [tmp_path], run.out + "".join(p.stdout + p.stderr for p in steps)


PRODUCERS: dict[str, Callable[[str, Path, object], tuple[list[Path], str]]] = {
    "api-eval": api_eval,
    "perf": perf,
    "arena-judge": arena_judge,
    "reports": reports,
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
    if producer == "arena-judge":  # results, reviews, cache, log, JUnit XML, HTML report
        assert {".json", ".jsonl", ".sqlite", ".log", ".xml", ".html"} <= kinds, kinds
        assert any(p.parent.name == "arena" and p.suffix == ".jsonl" for p in files)
    if producer == "reports":  # the run, its Allure results, the HTML/markdown reports
        assert {".json", ".jsonl", ".html", ".md"} <= kinds, kinds
        assert any(p.name.endswith("-result.json") for p in files)


def test_api_url_credentials_and_query_are_not_written_to_results():
    """Neither --api-url nor --judge-api-url: credentials and query are dropped; no key in repr."""
    from types import SimpleNamespace

    from benchgate.engine.options import RunOptions

    fields = {f: None for f in RunOptions.__dataclass_fields__}
    opts = RunOptions(**{**fields, "generation": SimpleNamespace(key=lambda: {}),
                         "judge_generation": SimpleNamespace(key=lambda: {}),
                         "api_url": f"https://user:{KEY}@api.example.com/v1/?api-key={KEY}", "shard": None,
                         "judge_api_url": f"https://user:{KEY}@judge.example.com/v1?key={KEY}", "judge_api_key": KEY})
    assert opts.public()["api_url"] == "https://api.example.com/v1"
    assert opts.public()["judge_api_url"] == "https://judge.example.com/v1"
    assert KEY not in repr(opts) and KEY not in str(opts.public())
    assert os.environ.get("BENCHGATE_API_KEY") != KEY
