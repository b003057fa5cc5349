"""Shared test helpers: where the real data is, and running pytest on evals/ in a subprocess."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Hypothesis' per-example deadline is a timing check: on a loaded CI machine the first example
# of a test (imports, warm-up) can take over a second. Correctness is what the property tests
# check; speed is measured by the scripts in benchmarks/.
settings.register_profile("benchgate", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("benchgate")

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("BENCHGATE_DATASET_DIR") or ROOT.parent / "shared" / "benchmarks")
# the arena/judge data (../shared/arena): beside the benchmark data
ARENA_DATA = Path(os.environ.get("BENCHGATE_ARENA_DIR") or DATA.parent / "arena")
# the safety, instruction-following, bias and hallucination sets (../shared/safety)
SAFETY = Path(os.environ.get("BENCHGATE_SAFETY_DIR") or DATA.parent / "safety")
# the tool-use data (../shared/agent: bfcl/)
AGENT = Path(os.environ.get("BENCHGATE_AGENT_DIR") or DATA.parent / "agent")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip ``timing`` tests under ``-n`` with more than one worker: they assert on wall-clock
    times (a known truth within 2%, or a bound), and another worker's load on the same cores
    moves those times by more than that. ``.ci/run`` runs them alone after the parallel run."""
    if int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")) <= 1:
        return
    skip = pytest.mark.skip(reason="timing test: runs alone, not beside other xdist workers "
                                   "(pytest tests -m timing)")
    for item in items:
        if item.get_closest_marker("timing") is not None:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def arena_dir() -> Path:
    if not (ARENA_DATA / "mt_bench").is_dir():
        pytest.fail(f"real arena data not found at {ARENA_DATA} (set BENCHGATE_ARENA_DIR)")
    return ARENA_DATA


@pytest.fixture(scope="session")
def data_dir() -> Path:
    if not (DATA / "mmlu").is_dir():
        pytest.fail(f"real benchmark data not found at {DATA} (set BENCHGATE_DATASET_DIR)")
    return DATA


@pytest.fixture(scope="session")
def safety_dir() -> Path:
    if not (SAFETY / "xstest").is_dir():
        pytest.fail(f"safety data not found at {SAFETY} (set BENCHGATE_SAFETY_DIR)")
    return SAFETY


@pytest.fixture(scope="session")
def agent_dir() -> Path:
    if not (AGENT / "bfcl").is_dir():
        pytest.fail(f"agent data not found at {AGENT} (set BENCHGATE_AGENT_DIR)")
    return AGENT


def score_all(bench, ctx, backend: str = "oracle", subsets=None, limit=None) -> list:
    """Score every sample of a benchmark in-process with a built-in backend ('oracle' or
    'wrong'), through the benchmark's own requests and score: [(sample, Scored)]."""
    from benchgate.models.builtin import OracleBackend, WrongBackend

    model = OracleBackend() if backend == "oracle" else WrongBackend()
    out = []
    for subset in subsets or bench.subsets(ctx):
        for sample in bench.load(ctx, subset)[:limit]:
            assert sample.error is None, sample.error
            requests = bench.requests(ctx, sample)
            outputs = []
            for r in requests:
                call = {"generate": model.generate, "loglikelihood": model.loglikelihood,
                        "loglikelihood_rolling": model.loglikelihood_rolling}[r.kind]
                outputs += call([r])
            out.append((sample, bench.score(ctx, sample, outputs)))
    return out


def mean_score(scored: list, metric: str) -> float:
    values = [s.scores[metric] for _, s in scored if metric in s.scores]
    return sum(values) / len(values)


class EvalRun:
    """A finished `pytest evals ...` subprocess and its outputs."""

    def __init__(self, proc: subprocess.CompletedProcess, output_dir: Path):
        self.proc = proc
        self.output_dir = output_dir
        self.code = proc.returncode
        self.out = proc.stdout + proc.stderr

    @property
    def results(self) -> dict:
        return json.loads((self.output_dir / "results.json").read_text())

    def samples(self) -> list[dict]:
        return [json.loads(line) for line in (self.output_dir / "samples.jsonl").read_text().splitlines()]


@pytest.fixture(scope="session")
def benchgate_home(tmp_path_factory) -> Path:
    """One BENCHGATE_HOME per test session, so the smoke model is built once."""
    return tmp_path_factory.mktemp("benchgate_home")


@pytest.fixture(scope="session")
def smoke_path(benchgate_home) -> str:
    """The smoke model, built once per session into the session's temporary BENCHGATE_HOME
    (`benchgate_home` from tests/conftest.py)."""
    from benchgate.models.smoke import smoke_model_path

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BENCHGATE_HOME", str(benchgate_home))
        return smoke_model_path()


@pytest.fixture
def run_evals(tmp_path, data_dir, benchgate_home):
    """run_evals(*args, output="out", evals=ROOT/"evals", env=None) -> EvalRun."""
    counter = iter(range(1000))

    def run(*args: str, output: str | None = None, evals: Path | None = None,
            env: dict | None = None, timeout: int = 600) -> EvalRun:
        out_dir = tmp_path / (output or f"out{next(counter)}")
        # the shared benchmarks unless the test names its own data folders (--dataset-dir
        # accumulates: a second one would be searched after the default)
        data = [] if "--dataset-dir" in args else ["--dataset-dir", str(data_dir)]
        cmd = [sys.executable, "-m", "pytest", str(evals or ROOT / "evals"), "-q", "-p", "no:cacheprovider",
               *data, "--output-dir", str(out_dir),
               "--cache-path", str(tmp_path / "cache.sqlite"), *args]
        full_env = {**os.environ, "BENCHGATE_HOME": str(benchgate_home), **(env or {})}
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                              env=full_env)
        return EvalRun(proc, out_dir)

    return run


# A tiny reward model (Llama with a one-label sequence-classification head), built locally and
# deterministically with the smoke model's tokenizer, saved and loaded through from_pretrained.
def build_reward_model(smoke_path: str, out: Path) -> Path:
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForSequenceClassification

    tokenizer = AutoTokenizer.from_pretrained(smoke_path)
    tokenizer.save_pretrained(out)
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64,
                         num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                         max_position_embeddings=2048, initializer_range=0.2, num_labels=1,
                         pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
                         eos_token_id=tokenizer.eos_token_id)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(1234)
        model = LlamaForSequenceClassification(config).to(torch.float32)
    model.save_pretrained(out, safe_serialization=True)
    return out


@pytest.fixture(scope="session")
def reward_model_path(smoke_path, tmp_path_factory) -> str:
    return str(build_reward_model(smoke_path, tmp_path_factory.mktemp("reward_model")))
