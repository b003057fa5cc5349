"""lm-evaluation-harness itself as the test reference (test-only dependency `lm_eval`).

`lm_eval_task` builds one of lm-eval's own task definitions (its YAML, its `!function` utils,
its ConfigurableTask, its few-shot samplers) over rows that the test hands in, through the
task config's `custom_dataset` hook, so nothing is downloaded. The tests then compare the
contexts, continuations, targets and stop sequences lm-eval builds with benchgate's requests,
byte for byte. The rows are the shared data files converted to the hub schema lm-eval expects
(a second reader of each file, independent of the benchmark modules)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import lm_eval  # noqa: E402  (the `test` extra installs it; a missing reference is a failure, not a skip)

SEED = 1234  # lm_eval.evaluator.simple_evaluate fewshot_random_seed default
TASKS = Path(lm_eval.__file__).parent / "tasks"


def lm_eval_task(yaml_path: str, splits: dict[str, list[dict]], num_fewshot: int | None = None,
                 seed: int = SEED):
    """The ConfigurableTask of `lm_eval/tasks/<yaml_path>` over `splits` ({split: rows}), set
    up as `simple_evaluate` does: num_fewshot override (unless the task pins it to 0), default 0,
    then `set_fewshot_seed(seed)`."""
    import datasets
    from lm_eval.api.task import ConfigurableTask
    from lm_eval.tasks._yaml_loader import load_yaml

    config = load_yaml(TASKS / yaml_path)
    for key in ("tag", "group", "task_list"):
        config.pop(key, None)
    data = datasets.DatasetDict({name: datasets.Dataset.from_list(rows) for name, rows in splits.items()})
    config["custom_dataset"] = lambda **_: data
    task = ConfigurableTask(config=config)
    if num_fewshot is not None and task.get_config("num_fewshot") != 0:
        task.set_config(key="num_fewshot", value=num_fewshot)
    elif task.get_config("num_fewshot") is None:
        task.set_config(key="num_fewshot", value=0)
    task.set_fewshot_seed(seed=seed)
    return task


def lm_eval_requests(task, limit: int) -> dict[int, list[tuple[Any, ...]]]:
    """{doc_id: [request arguments]} for the first `limit` docs, built by lm-eval's
    build_all_requests (loglikelihood: (context, continuation); generate_until: (context, gen_kwargs))."""
    task.build_all_requests(limit=limit)
    out: dict[int, list[tuple[Any, ...]]] = {}
    for inst in task.instances:
        out.setdefault(inst.doc_id, []).append(tuple(inst.arguments))
    return out


def benchgate_requests(requests) -> list[tuple[Any, ...]]:
    """benchgate requests in the shape of lm-eval's arguments, for a direct comparison."""
    out = []
    for r in requests:
        if r.kind == "loglikelihood":
            out.append((r.context, r.continuation))
        else:
            out.append((r.prompt, list(r.stop)))
    return out


def minerva_utils():
    """lm-eval's `minerva_math/utils.py` module. It refuses to import unless
    antlr4-python3-runtime is 4.11 (needed only by its sympy `parse_latex` exact_match, which
    the tests do not call); math-verify needs 4.13, so the check is shown 4.11 while it loads."""
    import importlib.metadata as metadata
    import sys

    from lm_eval.tasks._yaml_loader import _import_func_in_yml

    real = metadata.version
    metadata.version = lambda name: "4.11.0" if name == "antlr4-python3-runtime" else real(name)
    try:
        _import_func_in_yml("utils.doc_to_text", TASKS / "minerva_math")
    finally:
        metadata.version = real
    return sys.modules["lm_eval.tasks.minerva_math.utils"]


def minerva_task(yaml_name: str, splits: dict[str, list[dict]], **kwargs):
    """`lm_eval_task` for a minerva_math YAML, its utils loaded by `minerva_utils` first."""
    minerva_utils()
    return lm_eval_task(f"minerva_math/{yaml_name}", splits, **kwargs)
