"""Importing a Python file by its path (benchmark modules in evals/, named metrics in metrics/,
the suite's fixtures/): under a name of benchgate's own, never as a top-level module."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType


def import_path(name: str, path: Path) -> ModuleType:
    """The module of file `path`, imported as `name` the first time and taken from
    `sys.modules` after that, unless `name` was last imported from another file (then the file
    is imported anew under that name)."""
    module = sys.modules.get(name)
    if module is None or getattr(module, "__file__", None) != str(path):
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return module
