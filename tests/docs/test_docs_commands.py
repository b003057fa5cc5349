"""Every shell command the README and docs/ show runs here, as written, so a documented
command that breaks fails CI. Each command (tests/docs/markdown_commands.py extracts them) has
a reviewed decision below:

- RUN: run in-process (`pytest` through pytest.main, `benchgate` through its main, `python -c`
  through exec) in a workspace laid out like a fresh clone beside ../shared (the checkout's
  folders linked, ../shared linked, outputs in the workspace). The only changes allowed are
  placeholders replaced by built-in models or existing paths (`PATH` -> `oracle`, a config
  name -> an example file) and `--limit 1` where the command is unbounded; each is listed.
- COLLECT: a command that runs part of this test suite (the benchmark pages' reference tests):
  collected only (`--collect-only`), which fails when a path is gone or `-k` selects nothing;
  CI runs those tests in full anyway.
- SKIP: cannot run offline or here, with the reason (a server at HOST, a hub download, an
  install, a measurement script of minutes).

A command without a decision fails a test, and so does a decision whose command is no longer
documented. Each RUN command is a test of its own in a workspace of its own, so xdist spreads
them over its workers; commands that read what an earlier documented command wrote run
together, in order, as one test (GROUPS). The earlier runs the commands read (last-release/,
runs/*, shard1/, old/, arena-out/, ...: SETUP_RUNS) are each made once per pytest session for
all workers and copied into the workspace of each test that names them; targets.yaml and
gates.yaml are written there. The data folders come from BENCHGATE_DATASET_DIR
(../shared/benchmarks:../shared/safety), as the README documents."""
from __future__ import annotations

import contextlib
import fnmatch
import glob
import json
import os
import shlex
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from benchgate.cli import main as benchgate_main
from tests.conftest import build_once, exit_code, forget_suite_modules, in_process
from tests.docs.markdown_commands import ROOT, documented

pytestmark = pytest.mark.slow

SHARED = ROOT.parent / "shared"
LINKED = ("evals", "examples", "fixtures", "metrics", "benchmarks", "conftest.py", "pytest.ini")
# placeholders every RUN command may have replaced: built-in models, nothing else
MODELS = {"PATH": "oracle", "PATH_OR_HUB_ID": "oracle"}
ONE = ("--limit", "1")  # for commands that would run a whole benchmark


@dataclass(frozen=True)
class Run:
    """Run the command; `paths`: words replaced by existing paths or names; `extra`: appended
    (only --limit for unbounded runs); `code`: the exit code the docs say to expect."""

    paths: dict = field(default_factory=dict)
    extra: tuple = ()
    code: int = 0
    drop: tuple = ()  # words that only stand for "more options" in the docs ("...")


@dataclass(frozen=True)
class Collect:
    reason: str


@dataclass(frozen=True)
class Skip:
    reason: str


SERVER = "needs a live OpenAI-compatible server at HOST (the API and perf paths are tested against a real local server in tests/models and tests/perf)"
REMOTE_JUDGE = "needs a remote judge API (gpt-4o at URL); judge metrics run offline in tests/judge and tests/integration/test_safety_judge.py"
MEASURE = "a speed measurement script (minutes of CPU; docs/performance.md gives its figures); the script must exist"
XDIST = "the same run as a command above under -n (worker processes cost ~8 s of imports each); xdist runs are tested in tests/integration/test_xdist_records.py"
SUITE = "runs part of this suite, which CI runs in full: checked here that the paths exist and the selection is not empty"
CFG = {"cfg_arena.yaml": "examples/arena/pairwise.yaml"}
BFCL_REF = ("regenerates the committed bfcl-eval reference verdicts in bfcl-eval's own venv (an install "
            "and minutes of CPU); the committed verdicts are compared in tests/agent/test_reference_agreement.py")

DECISIONS: dict[str, Run | Collect | Skip] = {
    # README.md
    "python3 -m venv .venv": Skip("creates a virtual environment: .ci/run does it (CI)"),
    ". .venv/bin/activate": Skip("a shell builtin for the venv above"),
    "pip install torch==2.13.0 -e .": Skip("installs packages from PyPI: .ci/run does it (CI); the core dependencies are checked in tests/data/test_hub_messages.py"),
    "pytest evals --model smoke --datasets mmlu gsm8k --limit 2 --dataset-dir ../shared/benchmarks --output-dir outputs/smoke": Run(),
    ".ci/run": Skip("CI itself: apt and npm installs as root, then the whole suite"),
    "pytest evals --model PATH_OR_HUB_ID --datasets mmlu gsm8k --limit 20 --dataset-dir ../shared/benchmarks --output-dir out/": Run(),
    "pytest evals -k abstract_algebra --model PATH ...": Run(drop=("...",), extra=ONE),
    "pytest evals -n 4 --model PATH ...": Skip(XDIST),
    "benchgate run examples/task.yaml -n 2": Run(),
    "python -c 'from benchgate.task import run_task; print(run_task('\"'\"'examples/task.yaml'\"'\"')['\"'\"'exit_code'\"'\"'])'": Run(),
    "pytest evals --model smoke --datasets gsm8k xstest --limit 1 --dataset-dir ../shared/benchmarks ../shared/safety": Run(),
    "pytest evals --api-url http://HOST:8000/v1 --model NAME --datasets gsm8k --model-args concurrency=32": Skip(SERVER),
    "pytest evals --model PATH --datasets mmlu --shard 2/3 --output-dir shard2/": Run(extra=ONE),
    "benchgate merge shard1/ shard2/ shard3/ --output-dir merged/ --gate mmlu=0.45": Run(),
    "pytest evals --model replay:old/samples.jsonl --datasets gsm8k": Run(extra=ONE),
    "benchgate perf --url http://HOST:8000/v1 --model NAME --parallel 1 8 64 --number 20 80 640 --dataset openqa --dataset-path prompts.jsonl --outputs-dir outputs/perf": Skip(SERVER),
    "pytest evals/perf --url http://HOST:8000/v1 --model NAME --slo ttft_p99=500ms --slo error_rate=0": Skip(SERVER),
    "benchgate arena examples/arena/pairwise.yaml --limit 3 --output-dir outputs/arena": Run(),
    "benchgate arena cfg_arena.yaml --dry-run --output-dir out/": Run(paths=CFG, extra=ONE),
    "pytest arena --arena-config cfg_arena.yaml --judge-api-url http://HOST/v1 --judge-model gpt-4o -n 2": Skip(REMOTE_JUDGE),
    "benchgate arena rate ../shared/arena/evalscope/qa_browser/battle.jsonl --category-file ../shared/arena/evalscope/qa_browser/category_mapping.yaml": Run(),
    "pytest evals --model PATH --datasets general_qa --judge-model gpt-4o --judge-api-url URL --dataset-args '{\"general_qa\": {\"path\": \"qa.jsonl\", \"judge\": \"score\"}}'": Skip(REMOTE_JUDGE),
    "pytest evals --model PATH --datasets mmlu --gate mmlu=0.45 --gate gates.yaml --baseline last-release/results.json": Run(extra=ONE),
    "pytest evals --model PATH --datasets mmlu --alluredir allure-results --output-dir outputs/mmlu": Run(extra=ONE),
    "benchgate report allure allure-results --run outputs/mmlu": Run(),
    "benchgate report html outputs/mmlu --compare last-release/ -o report.html": Run(),
    "benchgate leaderboard 'runs/*' --targets targets.yaml": Run(),
    "benchgate leaderboard arena-out/": Run(),
    "benchgate leaderboard 'runs/*' --benchmark dimensions": Run(),
    "benchgate report summary outputs/mmlu --baseline last-release/ '>>' '$GITHUB_STEP_SUMMARY'": Run(),
    "benchgate report annotations outputs/mmlu": Run(),
    # docs/contamination.md (membership)
    "benchgate contamination membership --model smoke --datasets mmlu --dataset-dir ../shared/benchmarks --limit 2 --output-dir outputs/membership": Run(),
    "benchgate contamination membership --api-url http://HOST:8000/v1 --model NAME --datasets mmlu --method min_k zlib ppl --output-dir outputs/membership-api": Skip(SERVER),
    "benchgate contamination membership --model smoke --datasets mmlu --dataset-dir ../shared/benchmarks --members examples/membership/members.jsonl --output-dir outputs/membership-labelled": Run(),
    "python benchmarks/membership_planted.py --dataset-dir ../shared/benchmarks --output-dir outputs/membership-planted": Skip(
        "trains the smoke model on 200 MMLU items (minutes of CPU; cached under $BENCHGATE_HOME); "
        "tests/contamination/test_membership_planted.py runs the same experiment and checks its AUCs"),
    # docs/api-models.md
    ".venv/bin/python benchmarks/api_throughput.py '[--server' 'fast|aiohttp]' '[--repeats' '3]' '[--json' 'out.json]'": Skip(MEASURE),
    # docs/arena.md
    "benchgate arena examples/arena/single.yaml --limit 3 --output-dir outputs/arena-single": Run(),
    "benchgate arena examples/arena/pairwise.yaml --limit 3 --output-dir outputs/arena-pairwise": Run(),
    "benchgate arena examples/arena/pairwise_baseline.yaml --limit 3 --output-dir outputs/arena-baseline": Run(),
    "pytest arena --arena-config cfg_arena.yaml --judge-api-url http://HOST/v1 -n 2": Skip(REMOTE_JUDGE),
    # the candidate chatglm3 of EvalScope's cfg_arena.yaml is `smoke` in the example config
    "pytest evals/arena --arena-config cfg_arena.yaml -k chatglm3 --use-cache": Run(paths={**CFG, "chatglm3": "smoke"}, extra=ONE),
    "benchgate arena rate out/arena/reviews.jsonl --category-file category_mapping.yaml": Run(paths={"category_mapping.yaml": "../shared/arena/evalscope/qa_browser/category_mapping.yaml"}),
    "benchgate arena rate ../shared/arena/evalscope/qa_browser/battle.jsonl --category-file ../shared/arena/evalscope/qa_browser/category_mapping.yaml --categories": Run(),
    # docs/perf.md
    "benchgate perf --url http://127.0.0.1:8000/v1/chat/completions --api openai --model qwen2.5 --parallel 1 8 64 --number 20 80 640 --dataset openqa --dataset-path open_qa.jsonl --max-tokens 256 --stream --outputs-dir outputs/perf/qwen": Skip(SERVER),
    "pytest evals/perf --url http://127.0.0.1:8000/v1 --model qwen2.5 --parallel 16 --number 200 --slo ttft_p99=500ms --slo tpot_p50=50ms --slo error_rate=0": Skip(SERVER),
    "python benchmarks/perf_client_ceiling.py --seconds 3 --repeat 3 --json ceiling.json": Skip(MEASURE),
    # docs/performance.md
    "python benchmarks/vs_lmeval.py": Skip(MEASURE),
    "python benchmarks/vs_lmeval.py --mmlu-subjects abstract_algebra --hellaswag-limit 100 --arc-limit 100": Skip(MEASURE),
    "python benchmarks/vs_lmeval.py --only gsm8k gsm8k_stop bbh bbh_stop --no-reuse-run": Skip(MEASURE),
    "python benchmarks/vs_lmeval.py --only gsm8k_stop bbh_stop --gsm8k-limit 64 --bbh-limit 16": Skip(MEASURE),
    "python benchmarks/vs_lmeval.py --only hellaswag --no-reuse-run --repeat 3": Skip(MEASURE),
    "pytest tests/models/test_batching.py tests/models/test_prefix_reuse.py": Collect(SUITE),
    "python benchmarks/hellaswag_scoring.py --samples 2000 --against /tmp/base --rounds 3": Skip(MEASURE),
    "pytest tests/models/test_logits_buffer.py tests/models/test_prefix_reuse.py": Collect(SUITE),
    "pytest tests/models/test_continuous.py": Collect(SUITE),
    "python benchmarks/html_report_size.py --repeat 5 --compare": Skip(MEASURE),
    "python benchmarks/html_report_size.py --repeat 5 --run OUT": Skip(MEASURE),
    "python benchmarks/html_report_size.py --arena --repeat 5": Skip(MEASURE),
    "python benchmarks/allure_cost.py --limit 20 --repeat 3": Skip(MEASURE),
    "pytest tests/evals/test_bfcl_multi_turn.py -k concurrent -s": Collect(SUITE),
    # docs/reports.md
    "pytest evals --model PATH --datasets mmlu gsm8k --alluredir allure-results -n 2 --gate mmlu=0.45 --output-dir outputs/run": Skip(XDIST),
    "benchgate report allure allure-results --run outputs/run -o reports/out/allure": Run(),
    "npx --prefix .tools/allure allure quality-gate allure-results --config reports/out/allure/allurerc.mjs": Skip("npx with Allure installed under .tools/allure by .ci/run; the quality gate is tested in tests/reports/test_allure_render.py"),
    "benchgate report html outputs/run -o reports/out/report.html": Run(),
    "benchgate report html outputs/run --compare last-release/ -o compare.html": Run(),
    "benchgate leaderboard runs/qwen-7b runs/llama-8b --targets targets.yaml": Run(),
    "benchgate leaderboard arena-out/ --category math": Run(),
    "benchgate leaderboard 'runs/safety-*' --benchmark dimensions": Run(),
    # docs/contamination.md, "Dynamic variants and the contamination gap": the variant run reads
    # the original run written by the command before it (same --limit: the same item, kept by
    # the variant); the oracle has no gap, so the gap gate passes
    "pytest evals --model PATH --datasets gsm8k --output-dir outputs/gsm8k-original": Run(extra=ONE),
    "pytest evals --model PATH --datasets gsm8k --dataset-args '{\"gsm8k\": {\"variant\": \"numbers\", \"variant_seed\": 7}}' --baseline outputs/gsm8k-original --gate 'gsm8k:variant_gap<=0.05' --output-dir outputs/gsm8k-numbers": Run(extra=ONE),
    "benchgate report summary outputs/gsm8k-numbers --baseline outputs/gsm8k-original": Run(),
    "benchgate report html outputs/gsm8k-numbers --compare outputs/gsm8k-original -o reports/out/gap.html": Run(),
    "pytest evals --model PATH --datasets mmlu --dataset-args '{\"mmlu\": {\"variant\": \"permute\", \"variant_seed\": 7}}' --output-dir outputs/mmlu-permute": Run(extra=ONE),
    "python benchmarks/variant_shares.py --seeds 0 7 42": Skip(MEASURE),
    "pytest tests/variants": Collect(SUITE),
    # docs/robustness.md
    "pytest evals --model PATH --datasets mmlu --dataset-args '{\"mmlu\": {\"perturb\": \"shuffle,labels,typos\"}}'": Run(extra=ONE),
    "pytest evals --model PATH --datasets arc --dataset-args '{\"arc\": {\"perturb\": \"typos\", \"typo_rate\": 0.1}}'": Run(extra=ONE),
    # docs/scale-out.md
    "vllm serve Qwen/Qwen2.5-7B-Instruct --port 8000": Skip("starts vLLM on a GPU machine with a hub download"),
    "pytest evals --api-url http://gpu-host:8000/v1 --model Qwen/Qwen2.5-7B-Instruct --datasets gsm8k mmlu --dataset-args '{\"mmlu\": {\"mode\": \"generate\"}}' --model-args concurrency=64 --dataset-dir ../shared/benchmarks --output-dir out/": Skip(SERVER),
    # docs/writing-evals.md: the walkthrough's module is examples/qa/test_capitals.py; the random
    # smoke model misses the 0.8 gate, so the session fails (exit 1)
    "pytest evals/test_capitals.py --model smoke --gate capitals=0.8 --output-dir out/": Run(paths={"evals/test_capitals.py": "examples/qa/test_capitals.py"}, code=1),
    "pytest evals --datasets general_qa --model PATH --dataset-args '{\"general_qa\": {\"path\": \"qa.jsonl\", \"metrics\": [\"rouge\", \"evaluate:./my_metric.py\"]}}'": Skip("needs the reader's own qa.jsonl and metric script (the walkthrough writes them); general_qa with an evaluate script: tests/evals/test_general_qa.py"),
    "pytest examples/qa --model smoke": Run(),
    "pytest examples/qa --model oracle --gate capitals=1": Run(),
    "pytest examples/regression --model dummy --model-args 'response=Refunds within 30 days.'": Run(),
    "pytest examples/regression --model smoke": Run(code=1),  # fails on purpose (README says so)
    "pytest examples/judged --model smoke --judge-model smoke": Run(),
    "pytest examples/judged --model PATH --judge-model gpt-4o --judge-api-url https://api.openai.com/v1": Skip(REMOTE_JUDGE),
    "pytest examples/judged --model smoke -rs": Run(),
    # README.md, docs/judges.md: the judge benchmarks replaying the authors' released judgments
    "pytest evals --model replay:../shared/judges/pandalm/gpt-3.5-turbo-testset-v1.json --datasets pandalm --dataset-dir ../shared/judges": Run(),
    "pytest evals --model replay:../shared/judges/llmbar/Natural/evaluators/ChatGPT/Vanilla/result.json --datasets llmbar --dataset-args '{\"llmbar\": {\"subset_list\": \"Natural\"}}' --dataset-dir ../shared/judges --gate llmbar=0.7": Run(),
    "pytest evals --model replay:../shared/judges/llmbar/Natural/evaluators/GPT-4/Swap/result.json --datasets llmbar --dataset-args '{\"llmbar\": {\"prompt\": \"Swap\", \"subset_list\": \"Natural\"}}' --dataset-dir ../shared/judges": Run(),
    # docs/architecture.md
    "lint-imports": Skip("the import contracts: run in-process by tests/test_architecture.py (and as a command by .ci/run)"),
    "python benchmarks/import_graph.py": Skip(MEASURE),
    "python benchmarks/import_graph.py --root DIR": Skip(MEASURE),
    "mkdir /tmp/before": Skip("a shell step of the 'before' measurement of an old commit"),
    "git archive 49c90e7 benchgate '|' tar -x -C /tmp/before": Skip("a shell step of the 'before' measurement of an old commit"),
    "python benchmarks/import_graph.py --root /tmp/before": Skip(MEASURE),
    # docs/benchmarks/bfcl.md
    "pytest evals --datasets bfcl --dataset-dir ../shared/agent --api-url http://127.0.0.1:8000/v1 --model my-model": Skip(SERVER),
    "pytest evals --datasets bfcl --dataset-dir ../shared/agent --model oracle --dataset-args '{\"bfcl\": {\"mode\": \"prompt\", \"subset_list\": [\"simple_python\", \"live_multiple\"]}}' --gate bfcl=0.6 --gate bfcl/live_multiple=0.5": Run(extra=ONE),
    "python3 -m venv /tmp/bfcl-venv": Skip(BFCL_REF),
    "/tmp/bfcl-venv/bin/pip install --no-deps bfcl-eval==2026.3.23": Skip(BFCL_REF),
    "/tmp/bfcl-venv/bin/pip install mpmath overrides tenacity filelock requests python-dotenv tree-sitter==0.21.3 tree-sitter-java==0.21.0 tree-sitter-javascript==0.21.4": Skip(BFCL_REF),
    "python benchmarks/bfcl_reference_outputs.py ../shared/agent /tmp/bfcl_outputs.jsonl": Skip(MEASURE),
    "/tmp/bfcl-venv/bin/python benchmarks/bfcl_reference_verdicts.py /tmp/bfcl_outputs.jsonl /tmp/bfcl_verdicts.jsonl": Skip(BFCL_REF),
    "gzip -9 -c /tmp/bfcl_verdicts.jsonl '>' tests/agent/data/bfcl_reference_verdicts.jsonl.gz": Skip(BFCL_REF),
    "PYTHONPATH=.:/tmp/bfcl-venv/lib/python3.11/site-packages python benchmarks/bfcl_multi_turn_outputs.py ../shared/agent /tmp/mt.jsonl": Skip(BFCL_REF),
    "/tmp/bfcl-venv/bin/python benchmarks/bfcl_reference_verdicts.py /tmp/mt.jsonl /tmp/mt_verdicts.jsonl": Skip(BFCL_REF),
    "gzip -9 -c /tmp/mt_verdicts.jsonl '>' tests/agent/data/bfcl_multi_turn_reference_verdicts.jsonl.gz": Skip(BFCL_REF),
    "pytest tests/agent tests/evals/test_bfcl.py tests/evals/test_bfcl_multi_turn.py": Collect(SUITE),
    # docs/benchmarks/*.md
    "pytest evals --model PATH --datasets advbench --dataset-dir ../shared/safety --chat-template on --gate advbench=0.05": Run(extra=ONE),
    "pytest tests/evals/test_arc.py -k 'golden or gold_label'": Collect(SUITE),
    "pytest tests/evals/test_bbh.py": Collect(SUITE),
    "pytest evals --model PATH --datasets bbq --dataset-dir ../shared/safety": Run(extra=ONE),
    "pytest evals --model PATH --datasets bipia --dataset-dir ../shared/safety --chat-template on -n 2": Skip(XDIST),
    "pytest tests/evals/test_ceval.py": Collect(SUITE),
    "pytest tests/evals/test_cmmlu.py": Collect(SUITE),
    "pytest tests/evals/test_competition_math.py -k 'golden or gold_answers or minerva_normalize or level'": Collect(SUITE),
    "pytest evals --datasets general_qa --model PATH --dataset-args '{\"general_qa\": {\"path\": \"qa.jsonl\", \"metrics\": [\"em\", \"keyword_recall\", \"evaluate:./char_overlap.py\"]}}'": Skip("needs the reader's own qa.jsonl and metric script (the page writes them); tested in tests/evals/test_general_qa.py"),
    "pytest tests/evals/test_general_qa.py tests/metrics/test_bleu.py tests/metrics/test_rouge.py": Collect(SUITE),
    "pytest tests/evals/test_gsm8k.py -k 'golden or lm_evals_own or scoring'": Collect(SUITE),
    "pytest evals --model PATH --datasets halueval --dataset-dir ../shared/safety --chat-template on": Run(extra=ONE),
    "pytest tests/evals/test_hellaswag.py -k 'golden or gold_label'": Collect(SUITE),
    "pytest tests/evals/test_humaneval.py tests/metrics/test_passk.py tests/test_sandbox.py": Collect(SUITE),
    "pytest evals --model PATH --datasets ifeval --dataset-dir ../shared/safety --chat-template on": Run(extra=ONE),
    "pytest tests/evals/test_mmlu.py -k 'golden or gold_label'": Collect(SUITE),
    "pytest tests/evals/test_perplexity.py tests/metrics/test_perplexity.py": Collect(SUITE),
    "pytest evals --model PATH --datasets prompt_attack_zh --chat-template on": Run(extra=ONE),
    "pytest tests/evals/test_race.py -k 'golden or gold_label'": Collect(SUITE),
    "pytest evals --model PATH --datasets safetybench --dataset-dir ../shared/safety": Run(extra=ONE),
    "pytest tests/evals/test_trivia_qa.py": Collect(SUITE),
    "pytest tests/evals/test_truthful_qa.py -k 'golden or gold_label or wrong'": Collect(SUITE),
    "pytest evals --model PATH --datasets xstest --dataset-dir ../shared/safety --chat-template on": Run(extra=ONE),
    # docs/contamination.md (n-gram overlap)
    "benchgate contamination ngram --corpus ../shared/benchmarks/gsm8k/train.jsonl --text-field question answer --datasets gsm8k --dataset-dir ../shared/benchmarks --output-dir contamination-out": Run(),
    "pytest evals --model oracle --datasets gsm8k --limit 50 --dataset-dir ../shared/benchmarks --contamination-corpus ../shared/benchmarks/gsm8k/train.jsonl --contamination-args '{\"text_field\": [\"question\", \"answer\"]}'": Run(),
    "benchgate contamination ngram --corpus ../shared/benchmarks/gsm8k/train.jsonl --text-field question answer --datasets gsm8k --dataset-dir ../shared/benchmarks --scheduler local --workers 2 --output-dir contamination-dask": Run(),
    "dask scheduler": Skip("starts a Dask scheduler that runs until stopped; the scan on a scheduler address is tested in tests/contamination/test_distributed.py"),
    "dask worker tcp://HOST:8786 --nworkers 16 --nthreads 1": Skip("needs a Dask scheduler at HOST; tests/contamination/test_distributed.py runs workers of a LocalCluster"),
    "benchgate contamination ngram --corpus /shared/corpus --datasets mmlu gsm8k --scheduler tcp://HOST:8786 --output-dir out": Skip("needs a Dask cluster at HOST and a corpus on its shared storage; the same scan on a LocalCluster's address is tested in tests/contamination/test_distributed.py"),
    "python benchmarks/contamination_speed.py --size-mb 512 --workers 2": Skip(MEASURE),
}


def test_every_documented_command_has_a_decision():
    """A new command in the docs needs a decision here (run it, or say why not); a decision
    for a command the docs no longer show is stale."""
    docs = documented()
    missing = [c for c in docs if c not in DECISIONS]
    stale = [c for c in DECISIONS if c not in docs]
    assert not missing, "documented commands without a decision in tests/docs/test_docs_commands.py:\n" + \
        "\n".join(f"  {c!r}  ({docs[c][0]})" for c in missing)
    assert not stale, "decisions for commands no longer documented:\n" + "\n".join(f"  {c!r}" for c in stale)
    for command, decision in DECISIONS.items():
        if isinstance(decision, Skip) and decision.reason == MEASURE:
            script = next(w for w in shlex.split(command) if w.startswith("benchmarks/"))
            assert (ROOT / script).is_file(), f"{command}: {script} is gone"


# -- what the commands read ------------------------------------------------------------------

# Documented commands that read what an earlier documented command wrote: each group runs in
# one test, in this order, in one workspace. Every other RUN command is a test of its own.
GROUPS: tuple[tuple[str, ...], ...] = (
    # the merge reads the README's shard2/ (shard1/ and shard3/ come from the setup)
    ("pytest evals --model PATH --datasets mmlu --shard 2/3 --output-dir shard2/",
     "benchgate merge shard1/ shard2/ shard3/ --output-dir merged/ --gate mmlu=0.45"),
    # docs/arena.md rates the reviews the dry run wrote to out/arena/
    ("benchgate arena cfg_arena.yaml --dry-run --output-dir out/",
     "benchgate arena rate out/arena/reviews.jsonl --category-file category_mapping.yaml"),
    # the README's reports read its outputs/mmlu and allure-results; docs/reports.md's Allure
    # report reads the same allure-results (its own `-n 2` run is a SKIP)
    ("pytest evals --model PATH --datasets mmlu --alluredir allure-results --output-dir outputs/mmlu",
     "benchgate report allure allure-results --run outputs/mmlu",
     "benchgate report html outputs/mmlu --compare last-release/ -o report.html",
     "benchgate report summary outputs/mmlu --baseline last-release/ '>>' '$GITHUB_STEP_SUMMARY'",
     "benchgate report annotations outputs/mmlu",
     "benchgate report allure allure-results --run outputs/run -o reports/out/allure"),
    # docs/contamination.md: the variant run, its summary and its HTML compare read the original run
    ("pytest evals --model PATH --datasets gsm8k --output-dir outputs/gsm8k-original",
     "pytest evals --model PATH --datasets gsm8k --dataset-args '{\"gsm8k\": {\"variant\": \"numbers\", "
     "\"variant_seed\": 7}}' --baseline outputs/gsm8k-original --gate 'gsm8k:variant_gap<=0.05' "
     "--output-dir outputs/gsm8k-numbers",
     "benchgate report summary outputs/gsm8k-numbers --baseline outputs/gsm8k-original",
     "benchgate report html outputs/gsm8k-numbers --compare outputs/gsm8k-original -o reports/out/gap.html"),
)

# The earlier runs and files the commands read (the setup), each made once per pytest session
# for all xdist workers (tests/conftest.py::build_once) and copied into the workspace of each
# test whose commands name it (`_setup_needs`).
MMLU_ONE = ["evals", "--datasets", "mmlu", "--limit", "1", "-q"]
SETUP_RUNS: dict[str, list[str]] = {
    "last-release": ["pytest", *MMLU_ONE, "--model", "oracle", "--output-dir", "last-release"],
    "outputs/run": ["pytest", *MMLU_ONE, "--model", "oracle", "--output-dir", "outputs/run"],  # docs/reports.md's run
    # runs/*: every run has mmlu (the targets' leaderboard) and xstest (a dimension)
    **{f"runs/{name}": ["pytest", "evals", "--datasets", "mmlu", "xstest", "--limit", "1", "-q",
                        "--model", model, "--output-dir", f"runs/{name}"]
       for name, model in (("qwen-7b", "oracle"), ("llama-8b", "wrong"), ("safety-a", "oracle"),
                           ("safety-b", "wrong"))},
    "shard1": ["pytest", *MMLU_ONE, "--model", "oracle", "--shard", "1/3", "--output-dir", "shard1/"],
    "shard3": ["pytest", *MMLU_ONE, "--model", "oracle", "--shard", "3/3", "--output-dir", "shard3/"],
    "old": ["pytest", "evals", "--datasets", "gsm8k", "--limit", "1", "-q", "--model", "oracle", "--output-dir", "old"],
    "arena-out": ["benchgate", "arena", "setup/arena.yaml", "--output-dir", "arena-out", "-q"],
}
SETUP_FILES = {"targets.yaml": "oracle:\n  mmlu: 74.2\n", "gates.yaml": "mmlu: 0.25\n"}


def _setup_needs(command: str, decision: Run) -> set[str]:
    """The setup outputs a command names: a word that is one, a path inside one, or a glob
    matching it (`runs/*`); `replay:` prefixes dropped."""
    words = shlex.split(command)
    words += [decision.paths.get(w, w) for w in words]
    needs = set()
    for word in words:
        word = word.removeprefix("replay:")
        for name in (*SETUP_RUNS, *SETUP_FILES):
            if word.rstrip("/") == name or word.startswith(name + "/") or \
                    ("*" in word and fnmatch.fnmatch(name, word)):
                needs.add(name)
    return needs


def _cases() -> tuple[list[tuple[str, ...]], list[str]]:
    """(the RUN tests: one command, or a GROUPS group, in documentation order; the COLLECT
    commands)."""
    grouped = {c: g for g in GROUPS for c in g}
    runs: list[tuple[str, ...]] = []
    collects = []
    for command in documented():
        decision = DECISIONS.get(command)
        if isinstance(decision, Collect):
            collects.append(command)
        elif isinstance(decision, Run) and grouped.get(command, (command,)) not in runs:
            runs.append(grouped.get(command, (command,)))
    return runs, collects


RUN_CASES, COLLECT_CASES = _cases()


def _case_id(commands: tuple[str, ...]) -> str:
    """The doc file and the command(s): `README.md: benchgate merge ...`."""
    return f"{documented()[commands[0]][0]}: " + " && ".join(commands)


def test_groups_are_documented_runs():
    """A group names documented RUN commands only (a stale group member fails here), each once."""
    members = [c for g in GROUPS for c in g]
    assert len(members) == len(set(members)), "a command is in two groups"
    for command in members:
        assert isinstance(DECISIONS.get(command), Run), f"group member without a RUN decision: {command!r}"
    docs = documented()
    assert not [c for c in members if c not in docs], "group members no longer documented"


# -- running them ---------------------------------------------------------------------------

def _dispatch(words: list[str]) -> int:
    """Exit code of one command run in this process (`pytest` through pytest.main, `benchgate`
    through its main, `python -c` through exec)."""
    program, args = words[0], words[1:]
    try:
        if program == "pytest":
            return int(pytest.main(args))
        if program == "benchgate":
            return int(benchgate_main(args) or 0)
        if program == "python" and args[:1] == ["-c"]:
            exec(compile(args[1], "<python -c>", "exec"), {"__name__": "__main__"})
            return 0
    except SystemExit as e:
        return exit_code(e)
    raise AssertionError(f"no in-process runner for {program!r}")


def _in_process(words: list[str], capsys) -> tuple[int, str]:
    """(exit code, stdout + stderr) of one command run in this process; the suite modules it
    imported are dropped afterwards (tests/conftest.py::forget_suite_modules)."""
    with forget_suite_modules():
        code = _dispatch(words)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def _words(command: str, decision: Run, workspace: Path) -> tuple[list[str], Path | None]:
    """The command's words with the decision's replacements; globs expanded in the workspace;
    `>> FILE` split off (the file the output is appended to)."""
    out: list[str] = []
    for word in shlex.split(command):
        if word in decision.drop:
            continue
        word = decision.paths.get(word, MODELS.get(word, word))
        if "*" in word:
            matches = sorted(glob.glob(word, root_dir=workspace))
            assert matches, f"{command}: {word} matches nothing in the workspace"
            out += matches
        else:
            out.append(word)
    append_to = None
    if ">>" in out:
        i = out.index(">>")
        append_to = Path(os.path.expandvars(out[i + 1]))
        out = out[:i]
    return out + list(decision.extra), append_to


def _checkout(base: Path) -> Path:
    """A checkout beside ../shared under `base`: the repository's folders linked (reports/
    copied: reports are written under it), ../shared linked."""
    (base / "shared").symlink_to(SHARED)
    checkout = base / "checkout"
    checkout.mkdir()
    for name in LINKED:
        (checkout / name).symlink_to(ROOT / name)
    shutil.copytree(ROOT / "reports", checkout / "reports", ignore=shutil.ignore_patterns("out"))
    return checkout


def _write_arena_config(checkout: Path) -> None:
    """setup/arena.yaml: examples/arena/pairwise.yaml on one generic and one math question."""
    arena_questions = checkout / "setup" / "questions.jsonl"
    arena_questions.parent.mkdir(parents=True)
    rows = [json.loads(x) for x in (SHARED / "arena" / "evalscope" / "question.jsonl").read_text().splitlines()]
    picked = [next(r for r in rows if r["category"] == c) for c in ("generic", "math")]
    arena_questions.write_text("".join(json.dumps(r) + "\n" for r in picked))
    config = (ROOT / "examples" / "arena" / "pairwise.yaml").read_text()
    config = config.replace("../../../shared/arena/evalscope/question.jsonl", str(arena_questions))
    config = config.replace("../../../shared/", str(SHARED) + "/")
    (checkout / "setup" / "arena.yaml").write_text(config)


def _env(checkout: Path, home: Path) -> dict[str, str]:
    """The environment every command runs in: the worker's BENCHGATE_HOME, the data folders as
    the README documents them, the step summary in the checkout."""
    return {"BENCHGATE_HOME": str(home),
            "BENCHGATE_DATASET_DIR": os.pathsep.join(["../shared/benchmarks", "../shared/safety"]),
            "GITHUB_STEP_SUMMARY": str(checkout / "step-summary.md")}


@pytest.fixture(scope="session")
def setup_output(tmp_path_factory, benchgate_home, smoke_path):
    """setup_output(name) -> the folder of the setup run `name` (SETUP_RUNS), made by its command
    once per pytest session: the first xdist worker to ask builds it, the others wait and copy."""
    def get(name: str) -> Path:
        def build(base: Path) -> None:
            checkout = _checkout(base)
            if name == "arena-out":
                _write_arena_config(checkout)
            words = SETUP_RUNS[name]
            with in_process(_env(checkout, benchgate_home), checkout) as (out, err):
                code = _dispatch(words)
            assert code == 0, f"setup {shlex.join(words)} -> {code}\n{(out.getvalue() + err.getvalue())[-3000:]}"

        return build_once(tmp_path_factory, "docs-setup-" + name.replace("/", "-"), build) / "checkout" / name

    return get


@pytest.fixture
def workspace(tmp_path) -> Path:
    """This test's own checkout beside ../shared: no other test writes in it."""
    return _checkout(tmp_path)


@pytest.mark.parametrize("commands", RUN_CASES, ids=[_case_id(c) for c in RUN_CASES])
def test_documented_commands_run_as_written(commands, workspace, setup_output, benchgate_home,
                                            smoke_path, monkeypatch, capsys):
    """The command (or a GROUPS group, in order) runs as written, with only its decision's
    replacements, in a workspace holding the setup outputs it reads, and exits as the docs say."""
    for name in sorted(set().union(*(_setup_needs(c, DECISIONS[c]) for c in commands))):
        if name in SETUP_FILES:
            (workspace / name).write_text(SETUP_FILES[name])
        else:
            shutil.copytree(setup_output(name), workspace / name)
    monkeypatch.chdir(workspace)
    for key, value in _env(workspace, benchgate_home).items():
        monkeypatch.setenv(key, value)
    failures = []
    for command in commands:
        decision = DECISIONS[command]
        words, append_to = _words(command, decision, workspace)
        code, text = _in_process(words, capsys)
        if append_to is not None:
            with open(append_to, "a", encoding="utf-8") as f:
                f.write(text)
            # the `>> $GITHUB_STEP_SUMMARY` command wrote a summary
            assert append_to.read_text().strip(), f"{command}: nothing appended to {append_to}"
        if code != decision.code:
            failures.append(f"{command}\n  ran: {shlex.join(words)}\n  exit {code}, expected {decision.code}\n"
                            f"{text[-2000:]}")
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize("command", COLLECT_CASES, ids=[_case_id((c,)) for c in COLLECT_CASES])
def test_documented_suite_selections_collect(command, capsys):
    """A COLLECT command's paths exist and its selection is not empty."""
    words = shlex.split(command)
    with contextlib.chdir(ROOT):  # the suite's own tests, collected where they live
        code, text = _in_process([words[0], "--collect-only", "-q", *words[1:]], capsys)
    assert code == 0, f"{command}: collection exit {code}\n{text[-1500:]}"


def test_the_decision_list_changes_only_paths_models_and_limits():
    """What a RUN may change, checked: placeholders to built-in models, named words to paths
    that exist in a checkout beside ../shared, and only --limit added."""
    checkout = ROOT
    for command, decision in DECISIONS.items():
        if not isinstance(decision, Run):
            continue
        assert set(decision.extra) <= {"--limit", "1"}, command
        for old, new in decision.paths.items():
            assert old in shlex.split(command), f"{command}: {old!r} is not one of its words"
            exists = (checkout / new).exists() or (checkout / new).resolve().exists() or new in ("smoke",)
            assert exists, f"{command}: replacement {new!r} does not exist"
