"""`--gate llmbar=0.7` qualifies a judge through the ordinary gate mechanism (exit codes:
a subprocess, since the test is about the process's result)."""
import os
import subprocess
import sys

from tests.conftest import ROOT

JUDGES = ROOT.parent / "shared" / "judges"
CHATGPT_NATURAL = JUDGES / "llmbar" / "Natural" / "evaluators" / "ChatGPT" / "Vanilla" / "result.json"


def _run(tmp_path, *gates: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "pytest", str(ROOT / "evals"), "-q", "-p", "no:cacheprovider",
           "--model", f"replay:{CHATGPT_NATURAL}", "--datasets", "llmbar",
           "--dataset-args", '{"llmbar": {"subset_list": "Natural"}}', "--dataset-dir", str(JUDGES),
           "--output-dir", str(tmp_path / "out"), "--cache-path", str(tmp_path / "c.sqlite"), *gates]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "BENCHGATE_HOME": str(tmp_path / "home")})


def test_judge_gate_passes_and_fails_on_the_published_judgments(tmp_path):
    # ChatGPT/Vanilla on Natural (statistics.json): 81.5% on average over both orders, 67% both right
    passing = _run(tmp_path, "--gate", "llmbar=0.7")
    assert passing.returncode == 0, passing.stdout[-2000:]
    failing = _run(tmp_path, "--gate", "llmbar=0.7", "--gate", "llmbar:acc_both=0.8")
    assert failing.returncode != 0
    assert "gate llmbar:acc_both: acc_both = 0.6700 is under the threshold 0.8000" in failing.stdout
