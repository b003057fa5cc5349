"""The layers of benchgate/ (docs/architecture.md) hold, and the check that holds them bites.

The real check runs in-process through import-linter's API. The planted-import checks run
`lint-imports` (a tool run, ~1 s, no torch) on a copy of benchgate/ with one import added,
since the copy has the same package name as the benchgate this process has imported.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import benchgate

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"
LAYERS = "benchgate's rooms import one way down the layers"
CIRCLES = "no circles between the modules and packages of one package"


def test_the_contracts_are_kept():
    from importlinter import api  # noqa: F401 - configures import-linter (its graph builder)
    from importlinter.application import use_cases

    options = use_cases.read_user_options(str(PYPROJECT))
    use_cases._register_built_in_contract_types()
    report = use_cases.create_report(options, cache_dir=None)
    checks = {contract.name: check for contract, check in report.get_contracts_and_checks()}
    assert set(checks) == {LAYERS, CIRCLES}
    assert [name for name, check in checks.items() if not check.kept] == []
    assert not report.contains_failures


def _copy(tmp_path: Path, plant: dict[str, str]) -> None:
    """A copy of benchgate/ and pyproject.toml in tmp_path with `plant`'s text appended to the
    named modules (paths relative to the copy's root)."""
    assert Path(benchgate.__file__).parent == ROOT / "benchgate"
    shutil.copytree(ROOT / "benchgate", tmp_path / "benchgate",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "assets", "*.txt", "*.json"))
    shutil.copy(PYPROJECT, tmp_path / "pyproject.toml")
    for name, text in plant.items():
        path = tmp_path / name
        path.write_text((path.read_text() if path.exists() else "") + text)


def _lint_copy(tmp_path: Path, plant: dict[str, str]) -> str:
    """`lint-imports` on a planted copy (`_copy`); its output. It must exit 1 (a broken
    contract), which is what stops `.ci/run` (set -e)."""
    _copy(tmp_path, plant)
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    lint = Path(sys.executable).parent / "lint-imports"
    done = subprocess.run([str(lint), "--no-cache", "--no-logo", "pyproject.toml"], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stdout + done.stderr
    return done.stdout + done.stderr


def _status(output: str, contract: str) -> str:
    """'KEPT' or 'BROKEN': the verdict line of `contract` in lint-imports' summary."""
    flat = " ".join(output.split())
    start = flat.index(contract)
    tail = flat[start:start + 300]
    return "BROKEN" if tail.find("BROKEN") != -1 and (tail.find("KEPT") == -1 or
                                                    tail.find("BROKEN") < tail.find("KEPT")) else "KEPT"


def test_lint_imports_passes_on_this_checkout():
    """The command of docs/architecture.md and .ci/run, as they run it."""
    lint = Path(sys.executable).parent / "lint-imports"
    done = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Contracts: 2 kept, 0 broken." in done.stdout


@pytest.mark.parametrize("plant, contract, shows", [
    # an upward import hidden in a function: grimp reads function bodies too
    ({"benchgate/errors.py": "\n\ndef _planted():\n    from benchgate.engine import state\n    return state\n"},
     LAYERS, "benchgate.errors -> benchgate.engine.state"),
    # an upward import under TYPE_CHECKING counts as well (exclude_type_checking_imports is off)
    ({"benchgate/data/hub.py": "\nfrom typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                               "    from benchgate.models import base\n"},
     LAYERS, "benchgate.data.hub -> benchgate.models.base"),
    # a circle inside one room (data.files <-> data.hub), lazily on one side
    ({"benchgate/data/hub.py": "\nfrom benchgate.data import files\n",
      "benchgate/data/files.py": "\n\ndef _planted():\n    from benchgate.data import hub\n    return hub\n"},
     CIRCLES, ".hub -> .files"),
    # the Predictor (which the judge calls) reaching up into the engine's state
    ({"benchgate/prediction/predictor.py": "\n\ndef _planted():\n    from benchgate.engine import state\n    return state\n"},
     LAYERS, "benchgate.prediction.predictor -> benchgate.engine.state"),
])
def test_a_planted_import_is_caught(tmp_path, plant, contract, shows):
    out = _lint_copy(tmp_path, plant)
    assert _status(out, contract) == "BROKEN", out
    assert shows in out, out
    assert "Contracts: 2 kept" not in out


def test_a_new_room_needs_a_layer(tmp_path):
    out = _lint_copy(tmp_path, {"benchgate/newroom.py": '"""A room no layer names."""\n'})
    assert "benchgate.newroom" in out and _status(out, LAYERS) == "BROKEN", out


def _import_graph_script():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import import_graph
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    return import_graph


def test_the_measuring_script_finds_a_hand_made_circle():
    import grimp

    script = _import_graph_script()
    graph = grimp.ImportGraph()
    for a, b in [("p.a", "p.b"), ("p.b", "p.c"), ("p.c", "p.a"), ("p.c", "p.d"), ("p.d", "p.e")]:
        graph.add_import(importer=a, imported=b, line_number=1, line_contents=f"import {b}")
    assert script.circles(graph) == [["p.a", "p.b", "p.c"]]
    layers = {"a": 2, "b": 1, "c": 0, "d": 1, "e": 0}  # room = the part after the first dot
    up = {(i, j) for i, j, _, _ in script.upward_imports(graph, layers)}
    assert up == {("p.c", "p.a"), ("p.c", "p.d")}


def test_the_measured_upward_imports_are_the_contracts_exceptions(capsys):
    """The script (its own layer reading and graph walk) finds no circle, and exactly the
    upward imports the layers contract lists as exceptions: docs/architecture.md's figures."""
    import tomllib

    import grimp

    script = _import_graph_script()
    assert script.main([]) == 0
    out = capsys.readouterr().out
    assert "circles: 0 " in out and "rooms in no layer" not in out, out
    graph = grimp.build_graph("benchgate", cache_dir=None)
    assert script.circles(graph) == []
    found = {f"{a} -> {b}" for a, b, _, _ in script.upward_imports(graph, script.layer_of_room())}
    contract = tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]["contracts"][0]
    assert contract["id"] == "layers"
    assert found == set(contract.get("ignore_imports", []))


def test_the_measuring_script_reads_another_tree(tmp_path):
    """`--root DIR` (docs/architecture.md): a copy with a planted circle shows it."""
    _copy(tmp_path, {"benchgate/data/hub.py": "\nfrom benchgate.data import files\n",
                     "benchgate/data/files.py": "\n\ndef _planted():\n    from benchgate.data import hub\n"})
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "import_graph.py"), "--root", str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "circles: 1 (modules in them: 2)" in done.stdout, done.stdout
    assert "circle of 2: benchgate.data.files, benchgate.data.hub" in done.stdout
