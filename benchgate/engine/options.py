"""Command-line options (named as in EvalScope) and their parsed form."""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from benchgate.argspec import Arg, check_args
from benchgate.models.base import GenerationConfig
from benchgate.models.factory import ModelRole, judge_role
from benchgate.run import limit_count  # noqa: F401 - importable from here (arena, items, tests)
from benchgate.task import default_output_dir  # noqa: F401 - importable from here

GROUP = "benchgate"
JUDGE_URL_ENV = "BENCHGATE_JUDGE_API_URL"
JUDGE_KEY_ENV = "BENCHGATE_JUDGE_API_KEY"
JUDGE_MAX_NEW_TOKENS = 1024


class OptionError(ValueError):
    """A bad option value; the message names the option."""


def add_options(parser) -> None:
    """Register benchgate's options on a pytest parser."""
    g = parser.getgroup(GROUP, "benchgate: LLM evaluation")
    g.addoption("--model", default=None,
                help="local checkpoint dir, hub id, 'smoke', 'dummy', 'oracle' or 'replay:FILE'")
    g.addoption("--model-args", default=None,
                help="k=v,k=v or JSON: revision, dtype/precision, device_map, batch_size, "
                     "trust_remote_code, max_length (API: api, concurrency, timeout, max_retries)")
    g.addoption("--generation-config", default=None,
                help="k=v,k=v or JSON: do_sample, temperature, top_p, top_k, max_new_tokens, "
                     "repetition_penalty, seed")
    g.addoption("--chat-template", choices=("on", "off"), default="off",
                help="wrap prompts with the tokenizer's chat template (default off: plain prompts)")
    g.addoption("--model-hub", choices=("modelscope", "huggingface"), default="modelscope",
                help="hub for model ids that are not local directories")
    g.addoption("--api-url", default=None, help="OpenAI-compatible base URL, e.g. http://host:8000/v1")
    g.addoption("--api-key", default=None,
                help="API key (else $BENCHGATE_API_KEY / $OPENAI_API_KEY); never written anywhere")
    g.addoption("--datasets", nargs="+", default=None,
                help="benchmarks to run, separated by spaces or commas (default: all in evals/)")
    g.addoption("--dataset-args", default=None,
                help='JSON per dataset, e.g. \'{"mmlu": {"few_shot_num": 0, "mode": "generate"}}\'')
    g.addoption("--limit", type=parse_limit, default=None, metavar="N|F",
                help="samples per SUBSET, not per benchmark (xstest has 18 subsets: --limit 10 = "
                     "180 samples): N, the first N in file order; a fraction 0 < F < 1, the "
                     "first ceil(F x subset size), as lm-eval")
    g.addoption("--dataset-hub", choices=("modelscope", "huggingface", "local"), default=None,
                help="where datasets come from (default: local when --dataset-dir is given)")
    g.addoption("--dataset-dir", nargs="+", action="extend", default=None,
                help="folders holding <benchmark>/ data folders, searched in order (several "
                     "values, or the option repeated; env BENCHGATE_DATASET_DIR, separated by "
                     f"'{os.pathsep}'); put test paths before it")
    g.addoption("--use-cache", action="store_true",
                help="reuse cached predictions (the cache is always written through)")
    g.addoption("--cache-path", default=None,
                help="SQLite prediction cache (default $BENCHGATE_HOME/predictions.sqlite)")
    g.addoption("--cache-timeout", type=float, default=60.0,
                help="seconds to wait for a cache lock held by another run before going on "
                     "without the cache (default 60)")
    g.addoption("--dry-run", action="store_true",
                help="build every prompt and request, call no model, apply no gates")
    g.addoption("--output-dir", default=None,
                help="the folder results.json and samples.jsonl go to, exactly (default: a new "
                     "folder per run, outputs/MODEL-YYYYMMDD-HHMMSS in UTC; printed at the end)")
    g.addoption("--seed", type=int, default=42, help="seed for few-shot draws and dummy answers")
    g.addoption("--gate", action="append", default=[],
                help="NAME=THRESHOLD (NAME: bench, bench/subset-or-category, optional :metric), "
                     "or a YAML file of such thresholds; repeatable")
    g.addoption("--baseline", default=None,
                help="results.json of an earlier run: fail on a significant paired drop")
    g.addoption("--baseline-alpha", type=float, default=0.05, help="significance level (default 0.05)")
    g.addoption("--shard", default=None,
                help="I/N: run only shard I (1..N) of the selected samples, split deterministically "
                     "by sample id; combine the outputs with `benchgate merge`")
    g.addoption("--group-size", type=int, default=256,
                help="samples per prediction group (one batched pass; one xdist unit)")
    g.addoption("--contamination-corpus", nargs="+", action="extend", default=None, metavar="PATH",
                help="corpus files/folders (.txt, .jsonl, .gz): split every benchmark's score into "
                     "samples the n-gram check flags and clean ones, with both scores, their CIs and "
                     "a test of the difference (docs/contamination.md)")
    g.addoption("--contamination-args", default=None,
                help="k=v,k=v or JSON for --contamination-corpus: n (13), min_words (8), "
                     "max_shared (10), text_field (text), workers (1)")
    g.addoption("--progress-interval", type=float, default=10.0, metavar="SECONDS",
                help="while a group's requests are computed, print its progress (done/total, "
                     "rate, ETA) every SECONDS on any console, plus a tqdm bar on a TTY "
                     "(default 10; 0: no lines)")
    j = parser.getgroup("benchgate-judge", "benchgate: judge model (arena, judge metrics)")
    j.addoption("--judge-model", default=None,
                help="judge model: an API model name (with --judge-api-url), a local checkpoint "
                     "(a causal LM, or a sequence-classification reward model), a hub id, "
                     "'smoke' or 'dummy'")
    j.addoption("--judge-api-url", default=None,
                help=f"OpenAI-compatible base URL of the judge (env {JUDGE_URL_ENV})")
    j.addoption("--judge-api-key", default=None,
                help=f"judge API key (else ${JUDGE_KEY_ENV}, then $OPENAI_API_KEY); never written")
    j.addoption("--judge-model-args", default=None,
                help="k=v,k=v or JSON, as --model-args (API: concurrency, timeout, max_retries)")
    j.addoption("--judge-generation-config", default=None,
                help="k=v,k=v or JSON, as --generation-config (default: greedy, "
                     f"max_new_tokens={JUDGE_MAX_NEW_TOKENS})")
    j.addoption("--arena-config", default=None,
                help="arena config YAML (EvalScope keys): runs the arena suite evals/arena")


def parse_limit(text: str) -> int | float:
    """`--limit` as lm-eval reads it: a whole number N >= 1 (the first N samples of each subset)
    or a fraction 0 < F < 1 (the first ceil(F x subset size)); anything else is an error
    (argparse turns the ArgumentTypeError into a usage error naming --limit)."""
    import argparse
    import math

    try:
        value = float(text)
    except (TypeError, ValueError):
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1 or a fraction between 0 "
                                         f"and 1, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0 (a whole number >= 1 or a fraction "
                                         f"between 0 and 1), got {text!r}")
    if value < 1:
        return value
    if value != int(value):
        raise argparse.ArgumentTypeError(f"{text!r} is neither a whole number nor a fraction "
                                         f"below 1 (--limit 0.5: half of each subset)")
    return int(value)


def _public_url(url: str | None) -> str | None:
    """A URL without credentials, query or fragment (results never hold secrets)."""
    if not url:
        return None
    from benchgate.models.openai_api import sanitize_url

    return sanitize_url(url)


def check_output_dir(path: Path) -> None:
    """OptionError when `--output-dir` is not a directory that can be created and written
    (checked before anything runs, so no finished run is lost for want of a place to write).
    Creates nothing."""
    path = Path(path)
    probe = path
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        raise OptionError(f"--output-dir {path}: {probe} is not a directory")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise OptionError(f"--output-dir {path}: {probe} is not writable")


def benchgate_home() -> Path:
    """$BENCHGATE_HOME, default ~/.cache/benchgate."""
    return Path(os.environ.get("BENCHGATE_HOME") or Path.home() / ".cache" / "benchgate")


def parse_kv(text: str | dict | None, option: str) -> dict[str, Any]:
    """'a=1,b=true' or a JSON object -> dict with YAML-typed values."""
    if text is None or text == "":
        return {}
    if isinstance(text, dict):
        return dict(text)
    text = text.strip()
    if text.startswith("{"):
        try:
            value = json.loads(text)
        except json.JSONDecodeError as e:
            raise OptionError(f"{option}: invalid JSON: {e}") from None
        if not isinstance(value, dict):
            raise OptionError(f"{option}: expected a JSON object")
        return value
    out: dict[str, Any] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        if "=" not in part:
            raise OptionError(f"{option}: expected key=value, got {part!r}")
        key, raw = part.split("=", 1)
        out[key.strip()] = yaml.safe_load(raw) if raw.strip() else ""
    return out


_G = GenerationConfig
GENERATION_ARGS: dict[str, Arg] = {
    "do_sample": Arg(_G.do_sample, help="sample instead of greedy decoding"),
    "temperature": Arg(_G.temperature, float, min=0),
    "top_p": Arg(_G.top_p, float, above=0, max=1),
    "top_k": Arg(_G.top_k, int, min=0),
    "max_new_tokens": Arg(_G.max_new_tokens, int, min=1),
    "repetition_penalty": Arg(_G.repetition_penalty, float, above=0),
    "seed": Arg(_G.seed, int, min=0),
    "stop": Arg([], str, each=True, help="extra stop strings, added to each benchmark's own"),
}


def parse_generation_config(text: str | dict | None, option: str = "--generation-config") -> GenerationConfig:
    """`--generation-config` (or `option`) -> GenerationConfig; unknown keys, wrong types and
    values out of range are an OptionError naming the key and what it accepts."""
    try:
        values = check_args(parse_kv(text, option), GENERATION_ARGS, option)
    except ValueError as e:
        raise OptionError(str(e)) from None
    if values["do_sample"] and values["temperature"] == 0:
        raise OptionError(f"{option}: temperature must be > 0 when do_sample is true "
                          "(for greedy decoding use do_sample=false)")
    stop = values.pop("stop") or []
    if any(not s for s in stop):
        raise OptionError(f"{option}: stop strings must not be empty, got {stop!r}")
    return GenerationConfig(**values, stop=tuple(stop))


def parse_dataset_dirs(values: list[str] | None) -> tuple[Path, ...]:
    """The --dataset-dir folders, resolved, in search order (else $BENCHGATE_DATASET_DIR,
    folders separated by os.pathsep). Each must be a folder; one holding test modules is a
    pytest path swallowed by the option's values (`--dataset-dir DATA evals`): a usage error."""
    if values is None:
        env = os.environ.get("BENCHGATE_DATASET_DIR")
        values = [v for v in env.split(os.pathsep) if v] if env else []
    folders: list[Path] = []
    for value in values:
        folder = Path(value)
        if not folder.is_dir():
            raise OptionError(f"--dataset-dir {value}: not a directory")
        modules = sorted(p.name for p in folder.glob("*.py") if _is_test_module(p))
        if modules:
            raise OptionError(f"--dataset-dir {value}: holds test modules ({', '.join(modules[:3])}), "
                              f"not data: put test paths before --dataset-dir, which takes every "
                              f"value up to the next option")
        if folder.resolve() not in folders:
            folders.append(folder.resolve())
    return tuple(folders)


def _is_test_module(path: Path) -> bool:
    """A pytest test module, conftest or benchmark module (what `pytest PATH` would collect)."""
    if path.name == "conftest.py" or path.name.startswith("test_") or path.stem.endswith("_test"):
        return True
    try:
        return "BENCHMARK =" in path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


def parse_datasets(values: list[str] | str | None) -> list[str] | None:
    """['mmlu', 'gsm8k'] or ['mmlu,gsm8k'] -> ['mmlu', 'gsm8k']."""
    if not values:
        return None
    if isinstance(values, str):
        values = [values]
    names = [n.strip() for v in values for n in v.split(",") if n.strip()]
    return names or None


def parse_dataset_args(text: str | dict | None) -> dict[str, dict]:
    """`--dataset-args` JSON -> {dataset: {key: value}}."""
    value = parse_kv(text, "--dataset-args") if text else {}
    for name, args in value.items():
        if not isinstance(args, dict):
            raise OptionError(f"--dataset-args: value for {name!r} must be an object")
    return value


def parse_shard(text: str | None) -> tuple[int, int] | None:
    """'2/3' -> (2, 3)."""
    if not text:
        return None
    try:
        index, total = (int(x) for x in text.split("/"))
    except ValueError:
        raise OptionError(f"--shard: expected I/N, e.g. 1/3, got {text!r}") from None
    if not 1 <= index <= total:
        raise OptionError(f"--shard: I must be in 1..N, got {text!r}")
    return index, total


def check_api_url(url: str, option: str = "--api-url") -> None:
    """An http(s) URL with a host, e.g. http://127.0.0.1:8000/v1; OptionError naming `option`
    otherwise."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as e:
        raise OptionError(f"{option}: not a valid URL ({e})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise OptionError(f"{option}: expected an http(s) URL such as http://HOST:8000/v1, got "
                          f"{_redact_url(url)!r}")


def _redact_url(url: str) -> str:
    """`url` with any user:password@ part replaced (for error messages)."""
    scheme, sep, rest = url.partition("://")
    if sep and "@" in rest.split("/", 1)[0]:
        rest = "***@" + rest.split("@", 1)[1]
    return scheme + sep + rest


def check_judge_options(opt) -> dict[str, Any]:
    """Validate the --judge-* options (given `config.getoption`) before anything runs; returns
    the parsed --judge-model-args. With --arena-config the arena checks the judge it builds
    (the config may name its model, endpoint and model_args)."""
    judge_model, arena = opt("judge_model"), opt("arena_config")
    url = opt("judge_api_url") or None
    if url is not None:
        check_api_url(url, "--judge-api-url")
    args = parse_kv(opt("judge_model_args"), "--judge-model-args")
    given = [name for name, value in (("--judge-api-url", url), ("--judge-api-key", opt("judge_api_key")),
                                      ("--judge-model-args", opt("judge_model_args")),
                                      ("--judge-generation-config", opt("judge_generation_config")))
             if value]
    if given and not judge_model and not arena:
        raise OptionError(f"{given[0]} is given but no judge: pass --judge-model (or --arena-config "
                          f"with a reviewer model)")
    if judge_model and not arena:
        env_url = os.environ.get(JUDGE_URL_ENV) or None
        if url is None and env_url is not None:
            check_api_url(env_url, f"${JUDGE_URL_ENV}")
        from benchgate.models.args import check_model_args

        try:
            check_model_args(judge_model, url or env_url, args, "--judge-model-args", judge=True)
        except ValueError as e:
            raise OptionError(str(e)) from None
    return args


CONTAMINATION_ARGS: dict[str, Arg] = {
    "n": Arg(13, int, min=1, help="words per n-gram"),
    "min_words": Arg(8, int, min=1, help="shorter texts are not checked; texts of min_words..n-1 words whole"),
    "max_shared": Arg(10, int, min=0, help="n-grams of more samples of a benchmark are template text"),
    "text_field": Arg("text", str, each=True, sep=",", help=".jsonl keys read as documents"),
    "workers": Arg(1, int, min=1, help="processes scanning the corpus"),
}


def parse_contamination(paths: list[str] | None, text: str | dict | None) -> tuple[tuple[str, ...], dict[str, Any]]:
    """--contamination-corpus (each path must exist) and --contamination-args, checked."""
    if text and not paths:
        raise OptionError("--contamination-args is given but no --contamination-corpus")
    try:
        args = check_args(parse_kv(text, "--contamination-args"), CONTAMINATION_ARGS, "--contamination-args")
    except ValueError as e:
        raise OptionError(str(e)) from None
    for path in paths or ():
        if not Path(path).exists():
            raise OptionError(f"--contamination-corpus {path}: no such file or folder")
    if isinstance(args["text_field"], str):
        args["text_field"] = [args["text_field"]]
    return tuple(paths or ()), args


def shard_of(sample_id: str, total: int) -> int:
    """The shard (1..total) a sample belongs to: a stable hash of its id."""
    digest = hashlib.sha1(sample_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % total + 1


@dataclass
class ModelOptions:
    """What a Predictor needs to load and call one model: the run's --model, an arena
    candidate or a judge. Several predictors (one per model) share one cache file."""

    model: str | None
    model_args: dict[str, Any] = field(default_factory=dict)
    generation: GenerationConfig = field(default_factory=GenerationConfig)
    chat_template: bool = False
    model_hub: str = "modelscope"
    api_url: str | None = field(default=None, repr=False)  # may hold credentials
    api_key: str | None = field(default=None, repr=False)
    seed: int = 42
    use_cache: bool = False
    cache_path: Path = field(default_factory=lambda: benchgate_home() / "predictions.sqlite")
    dry_run: bool = False
    cache_timeout: float = 60.0
    role: ModelRole = field(default_factory=ModelRole)  # how messages name it (the run's --model)


def judge_generation_config(text: str | dict | None) -> GenerationConfig:
    """A judge's decoding settings: greedy, JUDGE_MAX_NEW_TOKENS new tokens, updated by `text`."""
    values = {"max_new_tokens": JUDGE_MAX_NEW_TOKENS, **parse_kv(text, "--judge-generation-config")}
    return parse_generation_config(values, "--judge-generation-config")


@dataclass
class RunOptions:
    """Everything the engine needs from the command line, validated."""

    model: str | None
    model_args: dict[str, Any]
    generation: GenerationConfig
    chat_template: bool
    model_hub: str
    api_url: str | None = field(repr=False)  # may hold credentials: public() sanitises it
    api_key: str | None = field(repr=False)
    datasets: list[str] | None
    dataset_args: dict[str, dict]
    limit: int | float | None  # int: samples per subset; float in (0, 1): a fraction (limit_count)
    dataset_hub: str
    dataset_dir: Path | None
    use_cache: bool
    cache_path: Path
    dry_run: bool
    output_dir: Path
    seed: int
    gates: list[str]
    baseline: Path | None
    baseline_alpha: float
    group_size: int
    shard: tuple[int, int] | None = None
    cache_timeout: float = 60.0
    judge_model: str | None = None
    judge_api_url: str | None = field(default=None, repr=False)  # may hold credentials
    judge_api_key: str | None = field(default=None, repr=False)
    judge_model_args: dict[str, Any] = field(default_factory=dict)
    judge_generation: GenerationConfig = field(default_factory=lambda: judge_generation_config(None))
    arena_config: Path | None = None
    contamination_corpus: tuple[str, ...] = ()  # --contamination-corpus paths
    contamination_args: dict[str, Any] = field(default_factory=dict)
    dataset_dirs: tuple[Path, ...] = ()  # every --dataset-dir, searched in order (dataset_dir: the first)

    @classmethod
    def from_pytest(cls, config) -> "RunOptions":
        """Parse and validate the options of a pytest config."""
        opt = config.getoption
        dataset_dirs = parse_dataset_dirs(opt("dataset_dir"))
        hub = opt("dataset_hub") or ("local" if dataset_dirs else "modelscope")
        limit = opt("limit")
        if limit is not None:  # checked again: a value set outside argparse (ini, plugins)
            try:
                limit = parse_limit(str(limit))
            except ValueError as e:
                raise OptionError(f"--limit: {e}") from None
        if opt("group_size") < 1:
            raise OptionError("--group-size must be >= 1")
        if not 0 < opt("baseline_alpha") < 1:
            raise OptionError(f"--baseline-alpha must be between 0 and 1, got {opt('baseline_alpha')}")
        if not opt("progress_interval") >= 0:
            raise OptionError(f"--progress-interval must be >= 0 seconds, got {opt('progress_interval')}")
        if not opt("cache_timeout") > 0:
            raise OptionError(f"--cache-timeout must be > 0 seconds, got {opt('cache_timeout')}")
        api_url = opt("api_url")
        if api_url is not None:
            check_api_url(api_url)
        model_args = parse_kv(opt("model_args"), "--model-args")
        from benchgate.models.args import check_model_args

        try:
            check_model_args(opt("model"), api_url, model_args)
        except ValueError as e:
            raise OptionError(str(e)) from None
        cache_path = opt("cache_path")
        dataset_args = parse_dataset_args(opt("dataset_args"))
        judged = sorted(n for n, a in dataset_args.items() if a.get("judge"))
        if judged and not opt("judge_model") and not opt("dry_run"):
            raise OptionError(f"--dataset-args: {judged[0]}.judge needs a judge model: pass "
                              f"--judge-model (and --judge-api-url for an API)")
        judge_model_args = check_judge_options(opt)
        corpus, contamination_args = parse_contamination(opt("contamination_corpus"), opt("contamination_args"))
        return cls(
            model=opt("model"),
            model_args=model_args,
            generation=parse_generation_config(opt("generation_config")),
            chat_template=opt("chat_template") == "on",
            model_hub=opt("model_hub"),
            api_url=api_url,
            api_key=opt("api_key"),
            datasets=parse_datasets(opt("datasets")),
            dataset_args=dataset_args,
            limit=limit,
            dataset_hub=hub,
            dataset_dir=dataset_dirs[0] if dataset_dirs else None,
            dataset_dirs=dataset_dirs,
            use_cache=opt("use_cache"),
            cache_path=Path(cache_path) if cache_path else benchgate_home() / "predictions.sqlite",
            dry_run=opt("dry_run"),
            output_dir=Path(opt("output_dir")) if opt("output_dir") else default_output_dir(opt("model")),
            seed=opt("seed"),
            gates=list(opt("gate") or []),
            baseline=Path(opt("baseline")) if opt("baseline") else None,
            baseline_alpha=opt("baseline_alpha"),
            group_size=opt("group_size"),
            shard=parse_shard(opt("shard")),
            cache_timeout=float(opt("cache_timeout")),
            judge_model=opt("judge_model"),
            judge_api_url=opt("judge_api_url") or None,  # the environment is the last resort:
            judge_api_key=opt("judge_api_key") or None,   # judge_options(), the arena session
            judge_model_args=judge_model_args,
            judge_generation=judge_generation_config(opt("judge_generation_config")),
            arena_config=Path(opt("arena_config")) if opt("arena_config") else None,
            contamination_corpus=corpus,
            contamination_args=contamination_args,
        )

    def model_options(self) -> ModelOptions:
        """The --model of this run as ModelOptions (what its Predictor loads)."""
        return ModelOptions(model=self.model, model_args=self.model_args, generation=self.generation,
                            chat_template=self.chat_template, model_hub=self.model_hub,
                            api_url=self.api_url, api_key=self.api_key, seed=self.seed,
                            use_cache=self.use_cache, cache_path=self.cache_path,
                            dry_run=self.dry_run, cache_timeout=self.cache_timeout)

    def judge_options(self) -> ModelOptions | None:
        """The --judge-* options as ModelOptions (None without --judge-model). A judge is
        called even when the run's model is not (its own dry run is the caller's decision)."""
        if not self.judge_model:
            return None
        return ModelOptions(model=self.judge_model, model_args=self.judge_model_args,
                            generation=self.judge_generation, chat_template=True,
                            model_hub=self.model_hub,
                            api_url=self.judge_api_url or os.environ.get(JUDGE_URL_ENV) or None,
                            api_key=self.judge_api_key or os.environ.get(JUDGE_KEY_ENV) or None,
                            seed=self.seed, use_cache=self.use_cache, cache_path=self.cache_path,
                            dry_run=False, cache_timeout=self.cache_timeout,
                            role=judge_role(self.judge_model))

    def public(self) -> dict[str, Any]:
        """The configuration as written to results.json (no secrets: the API key never, the API
        URL without credentials or query)."""
        from benchgate.models.openai_api import sanitize_url

        return {
            "model": self.model,
            "model_args": self.model_args,
            "generation_config": self.generation.key(),
            "chat_template": self.chat_template,
            "model_hub": self.model_hub,
            "api_url": sanitize_url(self.api_url) if self.api_url else None,
            "datasets": self.datasets,
            "dataset_args": self.dataset_args,
            "limit": self.limit,
            "dataset_hub": self.dataset_hub,
            "dataset_dir": str(self.dataset_dir) if self.dataset_dir else None,
            "dataset_dirs": [str(d) for d in self.dataset_dirs or ()],
            "use_cache": self.use_cache,
            "dry_run": self.dry_run,
            "seed": self.seed,
            "gates": self.gates,
            "baseline": str(self.baseline) if self.baseline else None,
            "baseline_alpha": self.baseline_alpha,
            "group_size": self.group_size,
            "shard": f"{self.shard[0]}/{self.shard[1]}" if self.shard else None,
            "judge_model": self.judge_model,
            "judge_api_url": _public_url(self.judge_api_url),
            "judge_model_args": self.judge_model_args,
            "judge_generation_config": self.judge_generation.key(),
            "arena_config": str(self.arena_config) if self.arena_config else None,
            "contamination_corpus": list(self.contamination_corpus or ()) or None,
            "contamination_args": self.contamination_args if self.contamination_corpus else None,
        }
