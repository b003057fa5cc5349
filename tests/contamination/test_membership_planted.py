"""Proof on planted contamination: the smoke model fine-tuned on 200 MMLU test items (question,
options and answer) until it has memorised them; Min-K% Prob and Min-K%++ must tell those 200
from 200 unseen test items with ROC AUC >= 0.9 (benchgate issue 23; docs/contamination.md).

The trained model is built once per pytest session for all xdist workers (a file lock, as the
smoke model: tests/conftest.py `build_once`) and cached under that session's BENCHGATE_HOME."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchgate.cli import main
from benchgate.contamination.membership_planted import members_lines, planted_model_path, planted_split
from tests.conftest import DATA, build_once

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def planted(tmp_path_factory, shared_smoke_home) -> tuple[str, str]:
    """(model directory, --members file) of the planted experiment, trained once per session."""
    from benchgate.models.smoke import SMOKE_MODEL_NAME

    members, non_members = planted_split(DATA)

    def build(home: Path) -> None:
        (home / SMOKE_MODEL_NAME).symlink_to(shared_smoke_home / SMOKE_MODEL_NAME, target_is_directory=True)
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("BENCHGATE_HOME", str(home))
            planted_model_path([text for _, text in members])
        (home / "members.jsonl").write_text(members_lines(members, non_members))

    home = build_once(tmp_path_factory, "planted_home", build)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BENCHGATE_HOME", str(home))
        path = planted_model_path([text for _, text in members])  # cached: no training here
    return path, str(home / "members.jsonl")


def test_planted_split_is_seeded_and_disjoint():
    members, non_members = planted_split(DATA)
    assert len(members) == len(non_members) == 200
    ids = [i for i, _ in members + non_members]
    assert len(set(ids)) == 400 and all(i.startswith("mmlu/") for i in ids)
    assert planted_split(DATA) == (members, non_members)
    assert planted_split(DATA, seed=1)[0] != members


def test_min_k_and_min_k_pp_find_the_memorised_items(planted, tmp_path, capsys):
    model, members = planted
    code = main(["contamination", "membership", "--model", model, "--datasets", "mmlu",
                 "--dataset-dir", str(DATA), "--members", members, "--output-dir", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0
    result = json.loads((tmp_path / "membership.json").read_text())
    evaluation = result["evaluation"]
    assert (evaluation["n_members"], evaluation["n_non_members"]) == (200, 200)
    print(out)  # the figures docs/contamination.md reports
    for method in ("min_k", "min_k_pp"):
        assert evaluation["methods"][method]["auc"] >= 0.9, (method, evaluation)
