"""`--gate llmbar=0.7` qualifies a judge through the ordinary gate mechanism: the session's
exit code, which `python -m pytest` exits with (run in this process: `run_pytest`; the exit
codes of the process itself are tested in tests/integration/test_usage_exit_codes.py)."""
import subprocess

from tests.conftest import ROOT, run_pytest

JUDGES = ROOT.parent / "shared" / "judges"
CHATGPT_NATURAL = JUDGES / "llmbar" / "Natural" / "evaluators" / "ChatGPT" / "Vanilla" / "result.json"


def _run(tmp_path, *gates: str) -> subprocess.CompletedProcess:
    cmd = [str(ROOT / "evals"), "-q", "-p", "no:cacheprovider",
           "--model", f"replay:{CHATGPT_NATURAL}", "--datasets", "llmbar",
           "--dataset-args", '{"llmbar": {"subset_list": "Natural"}}', "--dataset-dir", str(JUDGES),
           "--output-dir", str(tmp_path / "out"), "--cache-path", str(tmp_path / "c.sqlite"), *gates]
    return run_pytest(cmd, env={"BENCHGATE_HOME": str(tmp_path / "home")})


def test_judge_gate_passes_and_fails_on_the_published_judgments(tmp_path):
    # ChatGPT/Vanilla on Natural (statistics.json): 81.5% on average over both orders, 67% both right
    passing = _run(tmp_path, "--gate", "llmbar=0.7")
    assert passing.returncode == 0, passing.stdout[-2000:]
    failing = _run(tmp_path, "--gate", "llmbar=0.7", "--gate", "llmbar:acc_both=0.8")
    assert failing.returncode != 0
    assert "gate llmbar:acc_both: acc_both = 0.6700 is under the threshold 0.8000" in failing.stdout
