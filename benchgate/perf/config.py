"""The load test's settings (`PerfConfig`) and its command-line parser.

Argument names follow EvalScope `perf` where it has one (--url, --api, --model, --api-key,
--parallel, --number, --rate, --dataset, --dataset-path, --max-tokens, --min-tokens,
--min-prompt-length, --max-prompt-length, --tokenizer-path, --stream, --outputs-dir,
--connect-timeout, --read-timeout, --headers, --extra-args, --warmup-num, --prompt, --stop,
--temperature, --top-p, --seed, --name).
"""
from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from benchgate.usage import UsageParser

DATASETS = ("openqa", "line_by_line", "random", "sharegpt")


class ConfigError(ValueError):
    """Invalid command-line or configuration input (reported without a traceback)."""


@dataclass
class PerfConfig:
    """Everything one `benchgate perf` invocation needs. `api_key` is never serialized."""

    url: str
    model: str | None = None
    api: str = "openai"
    api_key: str | None = field(default=None, repr=False)
    parallel: list[int] = field(default_factory=lambda: [1])
    number: list[int] | None = None
    rate: float | None = None
    arrival: str = "poisson"
    duration: float | None = None
    warmup_num: int = 0
    dataset: str = "openqa"
    dataset_path: str | None = None
    prompt: str | None = None
    min_prompt_length: int = 0
    max_prompt_length: int = 131072
    max_tokens: int | None = 256
    min_tokens: int | None = None
    stream: bool = True
    include_usage: str = "auto"
    tokenizer_path: str | None = None
    outputs_dir: str | None = None
    name: str | None = None
    connect_timeout: float = 60.0
    read_timeout: float = 600.0
    headers: dict[str, str] = field(default_factory=dict)
    extra_args: dict[str, Any] = field(default_factory=dict)
    temperature: float | None = 0.0
    top_p: float | None = None
    stop: list[str] | None = None
    seed: int = 0
    progress: bool | None = None
    read_bufsize: int = 1 << 20
    prewarm: bool = True
    quiet: bool = False

    def sweep(self) -> list[tuple[int, int | None]]:
        """The (parallel, number) pairs to run, paired one-to-one; a single value broadcasts."""
        par = list(self.parallel)
        num: list[int | None] = list(self.number) if self.number else [None]
        if len(par) == 1 and len(num) > 1:
            par = par * len(num)
        if len(num) == 1 and len(par) > 1:
            num = num * len(par)
        if len(par) != len(num):
            raise ConfigError(
                f"--parallel has {len(self.parallel)} values and --number {len(self.number or [])}: "
                "give one --number per --parallel value (or a single one)"
            )
        return list(zip(par, num))

    def validate(self) -> None:
        """Raise ConfigError for inconsistent settings."""
        if not self.url.startswith(("http://", "https://")):
            raise ConfigError(f"--url must start with http:// or https://, got {self.url!r}")
        if self.api != "openai":
            raise ConfigError(f"--api {self.api!r} is not supported (only 'openai')")
        if any(p < 1 for p in self.parallel):
            raise ConfigError("--parallel values must be >= 1")
        if self.number is not None and any(n < 1 for n in self.number):
            raise ConfigError("--number values must be >= 1")
        if self.number is None and self.duration is None:
            raise ConfigError("give --number (requests per run) or --duration (seconds per run)")
        if self.rate is not None and self.rate <= 0:
            self.rate = None  # EvalScope: -1 means no pacing (closed loop)
        if self.dataset not in DATASETS:
            raise ConfigError(f"--dataset must be one of {', '.join(DATASETS)}, got {self.dataset!r}")
        if self.min_prompt_length > self.max_prompt_length:
            raise ConfigError("--min-prompt-length is larger than --max-prompt-length")
        if self.include_usage not in ("auto", "on", "off"):
            raise ConfigError("--include-usage must be auto, on or off")
        self.sweep()

    def public_dict(self) -> dict[str, Any]:
        """The settings as JSON-able data, without the API key (and header values redacted)."""
        d = asdict(self)
        d.pop("api_key", None)
        d["api_key_set"] = bool(self.api_key)
        d["headers"] = {k: "<redacted>" for k in self.headers}
        return d


def _kv(items: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for it in items or []:
        if "=" not in it:
            raise ConfigError(f"--headers expects KEY=VALUE, got {it!r}")
        k, v = it.split("=", 1)
        out[k.strip()] = v
    return out


def build_parser(prog: str = "benchgate perf") -> argparse.ArgumentParser:
    """The argparse parser of `benchgate perf`."""
    p = UsageParser(prog=prog, description="Load-test an OpenAI-compatible endpoint.")
    a = p.add_argument
    a("--url", required=True, help="endpoint, e.g. http://127.0.0.1:8000/v1/chat/completions "
      "(or .../v1/completions); a base URL ending in /v1 gets /chat/completions appended")
    a("--api", default="openai", help="API protocol (only 'openai')")
    a("--model", default=None, help="model name; default: the first id of GET <base>/models")
    a("--api-key", default=None, help="bearer token (never written to any output)")
    a("--parallel", type=int, nargs="+", default=[1], help="concurrency level(s); a list sweeps")
    a("-n", "--number", type=int, nargs="+", default=None, help="requests per run, one per --parallel")
    a("--rate", type=float, default=None, help="open loop: arrivals per second on an absolute schedule "
      "(-1 or unset: closed loop, a new request as soon as a slot frees)")
    a("--arrival", choices=("poisson", "constant"), default="poisson",
      help="open-loop inter-arrival law (poisson: exponential gaps, see docs/perf.md)")
    a("--duration", type=float, default=None, help="stop sending new requests after this many seconds")
    a("--warmup-num", type=int, default=0, help="requests sent before each run, not measured")
    a("--dataset", default="openqa", choices=DATASETS)
    a("--dataset-path", default=None, help="file for openqa (JSONL), line_by_line (text), sharegpt (JSON/JSONL)")
    a("--prompt", default=None, help="a fixed prompt for every request (instead of a dataset file)")
    a("--min-prompt-length", type=int, default=0, help="random: min tokens; files: min characters")
    a("--max-prompt-length", type=int, default=131072, help="random: max tokens; files: max characters")
    a("--max-tokens", type=int, default=256)
    a("--min-tokens", type=int, default=None, help="sent as min_tokens (vLLM/SGLang extension)")
    a("--stream", action=argparse.BooleanOptionalAction, default=True)
    a("--include-usage", choices=("auto", "on", "off"), default="auto",
      help="request stream_options.include_usage (auto: probe once and drop it if rejected)")
    a("--tokenizer-path", default=None, help="local tokenizer: random prompts and token counts without usage")
    a("--outputs-dir", default=None, help="where reports go (default outputs/perf/<timestamp>)")
    a("--name", default=None, help="run name, used in the report title")
    a("--connect-timeout", type=float, default=60.0)
    a("--read-timeout", type=float, default=600.0)
    a("--headers", nargs="+", default=None, metavar="KEY=VALUE")
    a("--extra-args", default=None, help="JSON object merged into every request body")
    a("--temperature", type=float, default=0.0)
    a("--top-p", type=float, default=None)
    a("--stop", nargs="+", default=None)
    a("--seed", type=int, default=0, help="seed for prompts sampling and arrival schedule")
    a("--progress", action=argparse.BooleanOptionalAction, default=None, help="tqdm bar (default: on a TTY)")
    a("--read-bufsize", type=int, default=1 << 20, help="aiohttp read buffer (long SSE lines)")
    a("--prewarm", action=argparse.BooleanOptionalAction, default=True,
      help="open the `parallel` keep-alive connections (GET <base>/models) before the clock starts")
    a("-q", "--quiet", action="store_true", help="no table on stdout")
    return p


def config_from_args(ns: argparse.Namespace) -> PerfConfig:
    """Turn parsed arguments into a validated PerfConfig."""
    try:
        extra = json.loads(ns.extra_args) if ns.extra_args else {}
    except json.JSONDecodeError as e:
        raise ConfigError(f"--extra-args is not valid JSON: {e}") from None
    if not isinstance(extra, dict):
        raise ConfigError("--extra-args must be a JSON object")
    cfg = PerfConfig(
        url=ns.url, model=ns.model, api=ns.api, api_key=ns.api_key, parallel=ns.parallel,
        number=ns.number, rate=ns.rate, arrival=ns.arrival, duration=ns.duration,
        warmup_num=ns.warmup_num, dataset=ns.dataset, dataset_path=ns.dataset_path, prompt=ns.prompt,
        min_prompt_length=ns.min_prompt_length, max_prompt_length=ns.max_prompt_length,
        max_tokens=ns.max_tokens, min_tokens=ns.min_tokens, stream=ns.stream,
        include_usage=ns.include_usage, tokenizer_path=ns.tokenizer_path, outputs_dir=ns.outputs_dir,
        name=ns.name, connect_timeout=ns.connect_timeout, read_timeout=ns.read_timeout,
        headers=_kv(ns.headers), extra_args=extra, temperature=ns.temperature, top_p=ns.top_p,
        stop=ns.stop, seed=ns.seed, progress=ns.progress, read_bufsize=ns.read_bufsize, quiet=ns.quiet,
        prewarm=ns.prewarm,
    )
    cfg.validate()
    return cfg
