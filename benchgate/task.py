"""Run an evaluation from a Python dict or a YAML task config: the same run as the
command line, because the config is turned into exactly those command-line options."""
from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any, Mapping

import yaml


# config key -> command-line option; values are rendered by _render
OPTIONS = {
    "model": "--model", "model_args": "--model-args", "generation_config": "--generation-config",
    "chat_template": "--chat-template", "model_hub": "--model-hub", "api_url": "--api-url",
    "api_key": "--api-key", "datasets": "--datasets", "dataset_args": "--dataset-args",
    "limit": "--limit", "dataset_hub": "--dataset-hub", "dataset_dir": "--dataset-dir",
    "use_cache": "--use-cache", "cache_path": "--cache-path", "cache_timeout": "--cache-timeout",
    "dry_run": "--dry-run",
    "output_dir": "--output-dir", "seed": "--seed", "gate": "--gate", "baseline": "--baseline",
    "baseline_alpha": "--baseline-alpha", "group_size": "--group-size",
    "judge_model": "--judge-model", "judge_api_url": "--judge-api-url",
    "judge_model_args": "--judge-model-args", "judge_generation_config": "--judge-generation-config",
    "arena_config": "--arena-config",
}
EXTRA = ("evals_dir", "pytest_args")


def default_evals_dir() -> Path:
    """The evals/ folder of this checkout."""
    return Path(__file__).resolve().parent.parent / "evals"


def load_config(config: Mapping[str, Any] | str | Path) -> dict[str, Any]:
    """A dict as is, or a YAML file's mapping."""
    if isinstance(config, Mapping):
        return dict(config)
    path = Path(config)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise ValueError(f"task config {path}: {e}") from None
    if not isinstance(data, dict):
        raise ValueError(f"task config {path}: expected a mapping of options")
    return data


def config_to_args(config: Mapping[str, Any]) -> list[str]:
    """The pytest command line equivalent to a task config."""
    unknown = sorted(set(config) - set(OPTIONS) - set(EXTRA))
    if unknown:
        raise ValueError(f"task config: unknown key(s) {unknown} (accepted: "
                         f"{', '.join(sorted([*OPTIONS, *EXTRA]))})")
    args = [str(config.get("evals_dir") or default_evals_dir())]
    for key, option in OPTIONS.items():
        if key not in config or config[key] is None:
            continue
        value = config[key]
        if key in ("use_cache", "dry_run"):
            if value:
                args.append(option)
        elif key == "chat_template":
            args += [option, "on" if value in (True, "on") else "off"]
        elif key == "datasets":  # `--opt=value` form: a path in pytest_args is never taken as a value
            args.append(f"{option}={value if isinstance(value, str) else ','.join(map(str, value))}")
        elif key == "dataset_dir":  # one or several folders, searched in order
            args += [f"{option}={v}" for v in ([value] if isinstance(value, str) else value)]
        elif key == "gate":
            gates = value.items() if isinstance(value, Mapping) else None
            for spec in ([f"{k}={v}" for k, v in gates] if gates else
                         ([value] if isinstance(value, str) else value)):
                args += [option, str(spec)]
        elif isinstance(value, (dict, list)):
            args += [option, json.dumps(value)]
        else:
            args += [option, str(value)]
    args += [str(a) for a in config.get("pytest_args", [])]  # last: they override the config
    return args


def run_task(config: Mapping[str, Any] | str | Path) -> dict[str, Any]:
    """Run the evaluation in this process; returns {"exit_code", "results"} where results
    is the content of results.json (None when no sample ran)."""
    import pytest

    cfg = load_config(config)
    if not cfg.get("output_dir"):  # the run's own new folder, named here so its results are found
        cfg = {**cfg, "output_dir": str(default_output_dir(cfg.get("model")))}
    code = pytest.main(config_to_args(cfg))
    results_path = Path(cfg["output_dir"]) / "results.json"
    results = json.loads(results_path.read_text(encoding="utf-8")) if results_path.is_file() else None
    return {"exit_code": int(code), "results": results}


def default_output_dir(model: str | None, root: Path = Path("outputs")) -> Path:
    """A new folder per run, so a run never writes over the last one's results:
    `root/MODEL-YYYYMMDD-HHMMSS` (UTC; MODEL: the --model's last path part, `-2`, `-3`... when
    the folder is already there). Creates nothing."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", Path((model or "no-model").rstrip("/")).name).strip("-.")
    base = root / f"{name or 'model'}-{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}"
    folder, n = base, 1
    while folder.exists():
        n += 1
        folder = base.with_name(f"{base.name}-{n}")
    return folder
