"""The arena suite: `pytest evals/arena --arena-config CONFIG.yaml` (or `pytest arena ...` from
the repository root, or `benchgate arena CONFIG.yaml`). One test per judged unit, id
arena/<question_id>/<model_a>-vs-<model_b>; the units come from the config (docs/arena.md).
Left out of `pytest evals` unless --arena-config is given or this folder is named."""
from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent


def pytest_collect_file(file_path: Path, parent):
    if file_path.name == "arena.py" and file_path.resolve().parent == HERE:
        from benchgate.arena.items import ArenaFile

        return ArenaFile.from_parent(parent, path=file_path)
    return None
