"""Load generation: closed loop (``parallel`` workers) and open loop (arrivals on an absolute schedule).

* Closed loop: ``parallel`` workers each send the next request as soon as their previous one
  completes; the aiohttp connector's limit is ``parallel`` too, so no request ever waits for a
  connection inside aiohttp (no hidden queue inside the measured latency). Queue time is 0.
* Open loop (``--rate``): arrival i is due at ``t0 + a_i`` (absolute; a late wake-up does not
  shift later arrivals). Poisson: exponential gaps, rescaled so that arrival N falls exactly at
  ``N / rate`` (a Poisson process conditioned on N arrivals in that span: the arrival times are
  uniform order statistics), so the *schedule's* rate is exactly the requested one and any
  shortfall in the achieved rate is the client's or the server's. Constant: ``a_i = i / rate``.
  A due request waits for one of ``parallel`` slots; that wait (plus scheduler lateness) is its
  queue time, reported apart from latency, which starts when the request is written.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import random
from collections import deque
from dataclasses import dataclass, field
from time import perf_counter
from typing import Any, Callable

import aiohttp

from .client import PreparedRequest, RequestRecord, make_connector, send_request
from .config import PerfConfig

__all__ = ["RunResult", "Target", "arrival_times", "build_requests", "resolve_target", "run_load",
           "run_all", "count_tokens"]


@dataclass
class Target:
    """Where and how requests are sent (resolved once per invocation)."""

    url: str
    model: str
    chat: bool
    include_usage: bool
    headers: dict[str, str]
    notes: list[str] = field(default_factory=list)


@dataclass
class RunResult:
    """One point of a sweep: settings, per-request records and run-level clock readings."""

    parallel: int
    number: int | None
    rate: float | None
    arrival: str | None
    records: list[RequestRecord]
    t0: float  # perf_counter at the run's start (schedule origin in open loop)
    t_end: float  # perf_counter when the last request finished
    scheduled_span: float | None = None  # open loop: a_N - 0
    duration_limit: float | None = None
    warmup_sent: int = 0
    warmup_failed: int = 0
    stopped_by_duration: bool = False


def endpoint_url(url: str) -> str:
    """Full endpoint: URLs ending in /completions are used as given, others get /chat/completions."""
    u = url.rstrip("/")
    return u if u.endswith("/completions") else u + "/chat/completions"


def base_url(url: str) -> str:
    """The API base (…/v1) of an endpoint URL."""
    u = endpoint_url(url)
    for suffix in ("/chat/completions", "/completions"):
        if u.endswith(suffix):
            return u[: -len(suffix)]
    return u


def make_headers(cfg: PerfConfig) -> dict[str, str]:
    """Request headers (the only place the API key goes)."""
    h = {"Content-Type": "application/json", **cfg.headers}
    if cfg.api_key:
        h["Authorization"] = f"Bearer {cfg.api_key}"
    return h


def build_body(cfg: PerfConfig, prompt: str, model: str, chat: bool, include_usage: bool) -> dict[str, Any]:
    """The OpenAI request body for one prompt."""
    body: dict[str, Any] = {"model": model}
    if chat:
        body["messages"] = [{"role": "user", "content": prompt}]
    else:
        body["prompt"] = prompt
    if cfg.max_tokens is not None:
        body["max_tokens"] = cfg.max_tokens
    if cfg.min_tokens is not None:
        body["min_tokens"] = cfg.min_tokens
    if cfg.temperature is not None:
        body["temperature"] = cfg.temperature
    if cfg.top_p is not None:
        body["top_p"] = cfg.top_p
    if cfg.stop:
        body["stop"] = cfg.stop
    body["stream"] = cfg.stream
    if cfg.stream and include_usage:
        body["stream_options"] = {"include_usage": True}
    body.update(cfg.extra_args)
    return body


def build_requests(cfg: PerfConfig, prompts: list[str], target: Target) -> list[PreparedRequest]:
    """Serialize one body per prompt, before any timing starts."""
    return [
        PreparedRequest(p, json.dumps(build_body(cfg, p, target.model, target.chat, target.include_usage)).encode(),
                        cfg.stream)
        for p in prompts
    ]


def _session(cfg: PerfConfig, limit: int) -> aiohttp.ClientSession:
    connector = make_connector(limit)
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=cfg.connect_timeout, sock_read=cfg.read_timeout)
    return aiohttp.ClientSession(connector=connector, timeout=timeout, read_bufsize=cfg.read_bufsize)


async def resolve_target(cfg: PerfConfig, prompt: str) -> Target:
    """Endpoint, model (GET /models if not given) and whether usage can be requested (probe)."""
    url = endpoint_url(cfg.url)
    chat = not url.endswith("/completions") or url.endswith("/chat/completions")
    headers = make_headers(cfg)
    notes: list[str] = []
    model = cfg.model
    async with _session(cfg, 4) as s:
        if not model:
            try:
                async with s.get(base_url(cfg.url) + "/models", headers=headers) as r:
                    data = await r.json(content_type=None)
                model = data["data"][0]["id"]
                notes.append(f"model {model!r} taken from GET /models")
            except Exception as e:  # noqa: BLE001
                model = "default"
                notes.append(f"no --model and GET /models failed ({type(e).__name__}); sending model='default'")
        include_usage = cfg.stream and cfg.include_usage != "off"
        if cfg.stream and cfg.include_usage == "auto":
            target = Target(url, model, chat, True, headers)
            rec = await send_request(s, url, build_requests(cfg, [prompt], target)[0], RequestRecord(-1, prompt),
                                     headers)
            if rec.error_type in ("http_400", "http_422") and "stream_options" in (rec.error or ""):
                include_usage = False
                notes.append("server rejected stream_options.include_usage; not requested "
                             "(output tokens from usage only if the server sends it anyway)")
            elif rec.success and rec.usage_completion is None:
                notes.append("server sends no usage although asked (stream_options.include_usage)")
    return Target(url, model, chat, include_usage, headers, notes)


def arrival_times(n: int, rate: float, law: str, seed: int) -> list[float]:
    """Offsets (s) from the schedule origin of ``n`` arrivals at ``rate``/s (see module doc)."""
    if n <= 0:
        return []
    if law == "constant":
        return [(i + 1) / rate for i in range(n)]
    rng = random.Random(seed)
    gaps = [rng.expovariate(1.0) for _ in range(n)]
    scale = (n / rate) / sum(gaps)
    out, t = [], 0.0
    for g in gaps:
        t += g * scale
        out.append(t)
    out[-1] = n / rate
    return out


class Progress:
    """Live counters, shown by a tqdm bar refreshed by a background task (not per request)."""

    def __init__(self, total: int | None, enabled: bool | None, desc: str) -> None:
        from tqdm.auto import tqdm

        self.sent = self.completed = self.failed = 0
        self.tokens = 0
        self.t0 = perf_counter()
        self._samples: deque[tuple[float, int]] = deque([(self.t0, 0)])
        self.bar = tqdm(total=total, disable=(None if enabled is None else not enabled), desc=desc,
                        unit="req", dynamic_ncols=True, leave=True)
        self._task: asyncio.Task | None = None

    def done(self, rec: RequestRecord) -> None:
        self.completed += 1
        if not rec.success:
            self.failed += 1
        else:
            self.tokens += rec.usage_completion if rec.usage_completion is not None else rec.content_chunks

    def current_rate(self) -> float:
        """Output tokens/s over the last ~2 s (since the start if shorter)."""
        now = perf_counter()
        self._samples.append((now, self.tokens))
        while len(self._samples) > 2 and now - self._samples[1][0] >= 2.0:
            self._samples.popleft()
        t_old, tok_old = self._samples[0]
        return (self.tokens - tok_old) / (now - t_old) if now > t_old else 0.0

    def refresh(self) -> None:
        if self.bar.disable:
            return
        self.bar.n = self.completed
        self.bar.set_postfix(sent=self.sent, ok=self.completed - self.failed, failed=self.failed,
                             tok_s=f"{self.current_rate():.1f}", refresh=False)
        self.bar.refresh()

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(0.5)
            self.refresh()

    def start(self) -> None:
        if not self.bar.disable:
            self._task = asyncio.get_running_loop().create_task(self._loop())

    def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
        self.refresh()
        self.bar.close()


async def _warmup(cfg: PerfConfig, session: aiohttp.ClientSession, target: Target,
                  reqs: list[PreparedRequest], parallel: int) -> tuple[int, int]:
    n = cfg.warmup_num
    if n <= 0:
        return 0, 0
    it = itertools.count()
    failed = 0

    async def worker() -> None:
        nonlocal failed
        while (i := next(it)) < n:
            r = reqs[i % len(reqs)]
            rec = await send_request(session, target.url, r, RequestRecord(-1, r.prompt), target.headers)
            failed += not rec.success

    await asyncio.gather(*(worker() for _ in range(min(parallel, n))))
    return n, failed


async def _prewarm(session: aiohttp.ClientSession, target: Target, parallel: int) -> None:
    """Open ``parallel`` keep-alive connections (concurrent GET <base>/models), so that TCP setup
    is not inside the first requests' TTFT. Errors are ignored (the run will report them)."""
    url = base_url(target.url) + "/models"

    async def one() -> None:
        try:
            async with session.get(url, headers=target.headers) as r:
                await r.read()
        except Exception:  # noqa: BLE001
            pass

    await asyncio.gather(*(one() for _ in range(parallel)))


async def run_load(cfg: PerfConfig, target: Target, reqs: list[PreparedRequest], parallel: int,
                   number: int | None, on_record: Callable[[RequestRecord], None] | None = None) -> RunResult:
    """One run (one sweep point) at ``parallel`` with ``number`` requests (or until --duration)."""
    if number is None:
        number = int(round(cfg.rate * cfg.duration)) + 1 if cfg.rate and cfg.duration else 10**9
    records: list[RequestRecord] = []
    desc = f"parallel={parallel}" + (f" rate={cfg.rate:g}/s" if cfg.rate else "")
    prog = Progress(number if number < 10**9 else None, cfg.progress, desc)
    headers = target.headers
    url = target.url
    nreq = len(reqs)
    async with _session(cfg, parallel) as session:
        wsent, wfailed = await _warmup(cfg, session, target, reqs, parallel)
        if cfg.prewarm:
            await _prewarm(session, target, parallel)
        prog.start()
        t0 = perf_counter()
        deadline = t0 + cfg.duration if cfg.duration else None
        stopped = False
        span = None

        def finished(rec: RequestRecord) -> None:
            records.append(rec)
            prog.done(rec)
            if on_record is not None:
                on_record(rec)

        if not cfg.rate:
            counter = itertools.count()

            async def worker() -> None:
                nonlocal stopped
                while True:
                    i = next(counter)
                    if i >= number:
                        return
                    if deadline is not None and perf_counter() >= deadline:
                        stopped = True
                        return
                    r = reqs[i % nreq]
                    rec = RequestRecord(i, r.prompt)
                    prog.sent += 1
                    await send_request(session, url, r, rec, headers)
                    finished(rec)

            await asyncio.gather(*(worker() for _ in range(min(parallel, number))))
        else:
            arrivals = arrival_times(number, cfg.rate, cfg.arrival, cfg.seed)
            span = arrivals[-1] if arrivals else 0.0
            sem = asyncio.Semaphore(parallel)
            tasks: list[asyncio.Task] = []
            loop = asyncio.get_running_loop()

            async def one(i: int, due: float, dispatched: float) -> None:
                r = reqs[i % nreq]
                rec = RequestRecord(i, r.prompt)
                rec.scheduled = due
                rec.dispatched = dispatched
                async with sem:
                    prog.sent += 1
                    await send_request(session, url, r, rec, headers)
                finished(rec)

            for i, a in enumerate(arrivals):
                due = t0 + a
                if deadline is not None and due >= deadline:
                    stopped = True
                    break
                delay = due - perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(loop.create_task(one(i, due, perf_counter())))
            if tasks:
                await asyncio.gather(*tasks)
        t_end = max((r.end for r in records), default=perf_counter())
    prog.close()
    records.sort(key=lambda r: r.index)
    return RunResult(parallel=parallel, number=number if number < 10**9 else None, rate=cfg.rate,
                     arrival=cfg.arrival if cfg.rate else None, records=records, t0=t0, t_end=t_end,
                     scheduled_span=span, duration_limit=cfg.duration, warmup_sent=wsent,
                     warmup_failed=wfailed, stopped_by_duration=stopped)


def count_tokens(records: list[RequestRecord], tokenizer: Any) -> None:
    """Fill input/output token counts: server usage first, else the tokenizer, else chunk count.

    Runs after the load (never inside the timed path). ``token_source`` names the output source.
    """
    for r in records:
        if r.usage_prompt is not None:
            r.input_tokens = r.usage_prompt
        elif tokenizer is not None and r.prompt:
            r.input_tokens = len(tokenizer(r.prompt, add_special_tokens=False)["input_ids"])
        if not r.success:
            continue
        if r.usage_completion is not None:
            r.output_tokens, r.token_source = r.usage_completion, "usage"
        elif tokenizer is not None:
            r.output_tokens = len(tokenizer(r.text, add_special_tokens=False)["input_ids"]) if r.text else 0
            r.token_source = "tokenizer"
        else:
            # No usage and no tokenizer: one token per chunk with text (approximate; named as such).
            r.output_tokens, r.token_source = r.content_chunks, "chunks"


async def run_all(cfg: PerfConfig, prompts: list[str], tokenizer: Any = None,
                  on_record: Callable[[RequestRecord], None] | None = None) -> tuple[Target, list[RunResult]]:
    """Resolve the target, then run every sweep point in order."""
    target = await resolve_target(cfg, prompts[0])
    reqs = build_requests(cfg, prompts, target)
    results = []
    for parallel, number in cfg.sweep():
        res = await run_load(cfg, target, reqs, parallel, number, on_record)
        count_tokens(res.records, tokenizer)
        results.append(res)
    return target, results
