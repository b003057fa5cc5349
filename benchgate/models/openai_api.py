"""Model backend for OpenAI-compatible HTTP servers (vLLM, SGLang, `transformers serve`, OpenAI...).

Usage::

    backend = OpenAIBackend("http://127.0.0.1:8000/v1", "my-model",
                            {"api": "chat", "concurrency": 32}, GenerationConfig())
    try:
        gens = backend.generate(requests, progress=bar.update)
    except BatchError as err:          # some requests failed after all retries
        gens = err.results             # Generation, or RequestError where that request failed

Error contract (all methods): results come back in input order. If every request succeeds the
method returns the plain list. If some fail for good (non-retryable 4xx, or retries exhausted),
it raises `BatchError`, whose ``results`` holds every completed result in its position and a
`RequestError` (a `BackendError`) in the position of each failed one, so the caller can cache the
completed ones and fail only the affected samples. Errors that make the whole batch pointless
(the server cannot give logprobs, a chat prompt sent to the completions API...) raise their own
`BackendError` subclass before the batch runs.

The API key (argument, else env `BENCHGATE_API_KEY`, else `OPENAI_API_KEY`) is sent only in the
Authorization header; it is redacted from every message and never in repr or fingerprint.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import json
import os
import random
import threading
import time
import urllib.parse
import weakref
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import aiohttp

from benchgate.argspec import Arg, check_args
from benchgate.models.base import (BackendError, BatchError, GenerateRequest, Generation,
                                   GenerationConfig, Loglikelihood, LoglikelihoodRequest,
                                   RollingLoglikelihoodRequest, TokenScores, TokenScoresRequest,
                                   cut_at_stop, tool_calls_text)
from benchgate.models.retry import (RETRYABLE_STATUS, FatalRequestError, RequestError,
                                    RetryableError, RetryPolicy, parse_retry_after)

API_KEY_ENV_VARS = ("BENCHGATE_API_KEY", "OPENAI_API_KEY")
MAX_STOP_SEQUENCES = 4  # OpenAI rejects more; every stop string is still cut client-side
READ_BUFSIZE = 2 ** 20  # long SSE lines / big JSON bodies
# idle connections are closed by us first: uvicorn (vLLM, SGLang, transformers serve) closes them
# after 5 s, and a POST sent on a connection the server is closing fails (it is retried, late)
KEEPALIVE_SECONDS = 4.0
# A batch's workers start this far apart (at most LAUNCH_WINDOW_S from first to last): on
# Python 3.11 aiohttp sends a request's body in a task of the next event-loop turn, so when a
# wave of answers arrives together none of the next wave leaves before all of it is handled, and
# a wave sent together comes back together from a server of steady latency: every round trip
# then pays for the whole wave's handling (LLMBar at concurrency 32 against a 50 ms server: 54.7
# ms a round trip against 51.0 at concurrency 1). Started a fraction of a ms apart, the answers
# stay apart (docs/judges.md: 88.8 % -> 93-94 % of the ideal speed-up for a panel of three).
LAUNCH_SPACING_S = 0.00025
LAUNCH_WINDOW_S = 0.008
_STABLE_MODEL_FIELDS = ("id", "owned_by", "root", "parent", "max_model_len")
_LOGLIK_HINT = ("loglikelihood over an API needs a /completions endpoint that supports "
                "echo=true with logprobs (e.g. vLLM, SGLang); use generation mode instead, e.g. "
                "--dataset-args '{\"mmlu\": {\"mode\": \"generate\"}}'")

Progress = Callable[[int], None] | None
OnResult = Callable[[int, Any], None] | None  # (input position, result or RequestError)


class RetriesExhaustedError(RequestError):
    """A request kept failing with transient errors until `max_retries` was used up."""


class ServerUnavailableError(BackendError):
    """The server cannot be used at all (unreachable, or it refuses the API key)."""


class LogprobsUnsupportedError(FatalRequestError):
    """The server does not return echoed prompt logprobs, so loglikelihood is impossible."""


@dataclass(frozen=True)
class OpenAIArgs:
    """Parsed `model_args` of the OpenAI backend (`--model-args` JSON)."""

    api: str = "chat"  # "chat" -> /chat/completions, "completions" -> /completions
    concurrency: int = 8  # requests in flight (semaphore and connection pool size)
    timeout: float = 120.0  # seconds per attempt
    max_retries: int = 5
    backoff_base: float = 0.5  # seconds; backoff ceiling doubles per retry
    backoff_max: float = 30.0
    max_retry_after: float = 120.0  # cap on a server's Retry-After
    extra_body: dict = field(default_factory=dict)  # merged into every body; None drops a key
    logprobs_max_tokens: int = 1  # max_tokens of echo requests (0 where the server allows it)
    max_tokens_field: str = "max_tokens"  # or "max_completion_tokens" (OpenAI reasoning models)
    stream: bool = False  # chat answers as server-sent events, merged (content and tool-call deltas)

    @classmethod
    def specs(cls, default_api: str = "chat") -> dict[str, Arg]:
        """The accepted model_args with their types and ranges."""
        return {
            "api": Arg(default_api, str, choices=("chat", "completions")),
            "concurrency": Arg(cls.concurrency, int, min=1, help="requests in flight"),
            "timeout": Arg(cls.timeout, float, above=0, help="seconds per attempt"),
            "max_retries": Arg(cls.max_retries, int, min=0),
            "backoff_base": Arg(cls.backoff_base, float, min=0),
            "backoff_max": Arg(cls.backoff_max, float, min=0),
            "max_retry_after": Arg(cls.max_retry_after, float, min=0),
            "extra_body": Arg({}, (dict, str), help="JSON object merged into every request body"),
            "logprobs_max_tokens": Arg(cls.logprobs_max_tokens, int, min=0),
            "max_tokens_field": Arg(cls.max_tokens_field, str,
                                    choices=("max_tokens", "max_completion_tokens")),
            "stream": Arg(cls.stream, bool, help="chat answers streamed (server-sent events), merged"),
        }

    @classmethod
    def parse(cls, model_args: dict | None, default_api: str) -> "OpenAIArgs":
        """Validate `model_args`; unknown keys, wrong types and out-of-range values raise
        ValueError naming the key."""
        args = dict(model_args or {})
        for key in args:
            if key not in cls.__dataclass_fields__ and "key" in key.lower():
                raise ValueError(f"unknown model_args key {key!r} for the OpenAI backend (pass the "
                                 f"key as --api-key or env BENCHGATE_API_KEY; model args are written "
                                 f"to results.json)")
        values = check_args(args, cls.specs(default_api), "--model-args (OpenAI API)")
        extra = values["extra_body"]
        if isinstance(extra, str):
            try:
                extra = json.loads(extra)
            except ValueError as e:
                raise ValueError(f"--model-args (OpenAI API) extra_body: invalid JSON: {e}") from None
        if not isinstance(extra, dict):
            raise ValueError("--model-args (OpenAI API) extra_body must be a JSON object")
        values["extra_body"] = extra
        return cls(**values)

    def policy(self) -> RetryPolicy:
        return RetryPolicy(self.max_retries, self.backoff_base, self.backoff_max,
                           self.max_retry_after)


class _Secret:
    """Holds the API key; prints as '***'."""

    __slots__ = ("_value",)

    def __init__(self, value: str | None):
        self._value = value or None

    def get(self) -> str | None:
        return self._value

    def __repr__(self) -> str:
        return "***" if self._value else "None"

    __str__ = __repr__


def sanitize_url(url: str) -> str:
    """`url` without credentials, query or fragment, and without a trailing slash."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))


def _error_message(raw: bytes) -> str:
    """The server's error message from an error body (OpenAI, FastAPI or plain text shapes)."""
    text = raw.decode("utf-8", "replace").strip()
    try:
        data = json.loads(text)
    except ValueError:
        return text[:500] or "(empty body)"
    if isinstance(data, dict):
        err = data.get("error", data.get("detail", data.get("message")))
        if isinstance(err, dict):
            err = err.get("message") or err
        if err is not None:
            return str(err)[:500]
    return text[:500]


def _usage(data: dict) -> dict | None:
    usage = data.get("usage")
    if not isinstance(usage, dict):
        return None
    return {k: usage[k] for k in ("prompt_tokens", "completion_tokens") if k in usage} or None


def _first_choice(data: dict) -> dict:
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise RetryableError("malformed response: no choices")
    return choices[0]


def _echo_tokens(data: dict, prompt: str) -> tuple[list, list, list, list, int]:
    """(tokens, token_logprobs, text_offsets, top_logprobs, shift) of an echo+logprobs response.

    `shift` is where `prompt` starts in the echoed text (servers that echo a BOS string as "<s>").
    """
    choice = _first_choice(data)
    lp = choice.get("logprobs")
    if not isinstance(lp, dict) or not lp.get("token_logprobs") or lp.get("text_offset") is None:
        raise LogprobsUnsupportedError(
            f"the server returned no echoed prompt logprobs (choices[0].logprobs is "
            f"{'missing' if not lp else 'incomplete'}); {_LOGLIK_HINT}")
    tokens = lp.get("tokens") or [""] * len(lp["token_logprobs"])
    lps, offsets = lp["token_logprobs"], lp["text_offset"]
    tops = lp.get("top_logprobs") or [None] * len(lps)
    if not (len(tokens) == len(lps) == len(offsets) == len(tops)):
        raise RetryableError("malformed logprobs: tokens/token_logprobs/text_offset lengths differ")
    echoed = choice.get("text") or ""
    shift = echoed.find(prompt) if prompt else 0
    return tokens, lps, offsets, tops, max(shift, 0)


def _is_greedy_token(token: str, logprob: float, top: dict | None) -> bool:
    if not top:
        return False
    best = max(top.values())
    return top.get(token) == best or logprob >= best - 1e-6


def parse_loglikelihood(data: dict, context: str, continuation: str) -> Loglikelihood:
    """Sum the continuation's token logprobs of an echo response; boundary from text offsets.

    Continuation tokens are the echoed tokens from the one holding character ``len(context)``
    up to the end of the prompt (a token straddling the boundary counts as continuation); tokens
    the server generated after the prompt are ignored.
    """
    tokens, lps, offsets, tops, shift = _echo_tokens(data, context + continuation)
    if not continuation:
        return Loglikelihood(0.0, True)
    boundary, end = shift + len(context), shift + len(context) + len(continuation)
    echo = [i for i, off in enumerate(offsets) if off < end]
    before = [offsets[i] for i in echo if offsets[i] <= boundary]
    start_offset = max(before) if before else -1
    idx = [i for i in echo if offsets[i] >= start_offset]
    if not idx:
        raise RetryableError("malformed logprobs: no continuation tokens in the echo")
    if any(lps[i] is None for i in idx):
        raise FatalRequestError("the server gave no logprob for the first continuation token "
                                "(empty context?); loglikelihood needs a non-empty context")
    total = float(sum(lps[i] for i in idx))
    greedy = all(_is_greedy_token(tokens[i], lps[i], tops[i]) for i in idx)
    return Loglikelihood(total, greedy)


def parse_rolling(data: dict, text: str) -> float:
    """Total logprob of the echoed `text`; the first token (no logprob) is not counted."""
    tokens, lps, offsets, tops, shift = _echo_tokens(data, text)
    end = shift + len(text)
    return float(sum(lp for lp, off in zip(lps, offsets) if off < end and lp is not None))


def parse_token_logprobs(data: dict, text: str) -> TokenScores:
    """The logprob of each echoed token of `text` that has one (the server gives none for the
    first prompt token: it is not scored); no distribution statistics (mean/var None)."""
    tokens, lps, offsets, tops, shift = _echo_tokens(data, text)
    end = shift + len(text)
    return TokenScores(tuple(float(lp) for lp, off in zip(lps, offsets)
                             if shift <= off < end and lp is not None))


def _tool_call(call: Any) -> dict:
    """{"name", "arguments" (text)} of one OpenAI tool call."""
    function = call.get("function") if isinstance(call, dict) else None
    if not isinstance(function, dict):
        raise ValueError("tool call without a function")
    arguments = function.get("arguments")
    return {"name": function.get("name"),
            "arguments": arguments if isinstance(arguments, str) or arguments is None else json.dumps(arguments)}


def merge_stream(raw: bytes) -> dict:
    """A streamed chat answer (server-sent events `data: {chunk}` ... `data: [DONE]`) as one
    non-streamed response: content deltas joined, tool-call deltas merged by their `index`
    (name and arguments text concatenated, as the OpenAI SDK does)."""
    content: list[str] = []
    calls: dict[int, dict] = {}
    usage = None
    for line in raw.decode("utf-8").splitlines():
        line = line.strip()
        if not line.startswith("data:"):
            continue
        payload = line[5:].strip()
        if payload == "[DONE]":
            break
        chunk = json.loads(payload)
        usage = chunk.get("usage") or usage
        for choice in chunk.get("choices") or []:
            delta = choice.get("delta") or {}
            if delta.get("content"):
                content.append(delta["content"])
            for tc in delta.get("tool_calls") or []:
                slot = calls.setdefault(tc.get("index", len(calls)), {"function": {"name": "", "arguments": ""}})
                function = tc.get("function") or {}
                slot["function"]["name"] += function.get("name") or ""
                slot["function"]["arguments"] += function.get("arguments") or ""
    message: dict[str, Any] = {"role": "assistant", "content": "".join(content)}
    if calls:
        message["tool_calls"] = [calls[i] for i in sorted(calls)]
    return {"choices": [{"message": message}], "usage": usage}


def _merge(body: dict, extra: dict) -> dict:
    """`body` updated with `extra`; a None value in `extra` removes that key."""
    merged = {**body, **extra}
    return {k: v for k, v in merged.items() if v is not None}


def _new_session(concurrency: int, timeout: float, key: _Secret) -> aiohttp.ClientSession:
    """The session every call of a backend shares: at most `concurrency` connections, kept
    alive between calls."""
    headers = {"Content-Type": "application/json"}
    if key.get():
        headers["Authorization"] = f"Bearer {key.get()}"
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=concurrency, keepalive_timeout=KEEPALIVE_SECONDS),
        timeout=aiohttp.ClientTimeout(total=timeout),
        headers=headers, read_bufsize=READ_BUFSIZE)


class _SharedLoop:
    """The one asyncio event loop, on one daemon thread, that every `OpenAIBackend` of a process
    runs its requests on (a panel's members too: one thread reads every socket, so replies to
    different members wait on no hand-off of the interpreter lock between loop threads). Each
    backend keeps its own session, connections and concurrency on it (`_LoopThread`). Started by
    the first user (`acquire`), stopped when the last one lets go (`release`); a forked child
    starts its own."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._users = 0

    def acquire(self) -> tuple[asyncio.AbstractEventLoop, threading.Thread]:
        """The running loop and its thread, started if needed; one more user until `release`."""
        with self._lock:
            if self._loop is None or self._pid != os.getpid():  # first user, or a forked child
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=_run_until_stopped, args=(loop,),
                                          name="benchgate-openai-loop", daemon=True)
                thread.start()
                self._loop, self._thread, self._pid, self._users = loop, thread, os.getpid(), 0
            self._users += 1
            return self._loop, self._thread

    def release(self, loop: asyncio.AbstractEventLoop) -> None:
        """One user fewer of `loop`; the last one stops it and ends its thread."""
        with self._lock:
            if loop is not self._loop or self._pid != os.getpid():
                return
            self._users -= 1
            if self._users > 0:
                return
            thread, self._loop, self._thread = self._thread, None, None
        loop.call_soon_threadsafe(loop.stop)
        if thread is not None and thread is not threading.current_thread():
            thread.join(10)


def _run_until_stopped(loop: asyncio.AbstractEventLoop) -> None:
    """The loop thread: run `loop` until stopped, then close it."""
    try:
        loop.run_forever()
    finally:
        loop.close()


_SHARED_LOOP = _SharedLoop()


class _LoopThread:
    """One backend's use of the process's event loop thread (`_SharedLoop`), and its own
    aiohttp session on it, kept across calls: a batch reuses the keep-alive connections of the
    last one instead of paying for a new loop, session and TCP connections (an agent loop sends
    one small batch per round).

    `run(make_coro)` blocks until the coroutine ends. An interrupt in the waiting thread
    (Ctrl-C, a signal handler raising) cancels the coroutine on the loop and is re-raised, as
    `asyncio.run` would. The loop belongs to the process that started it: after a fork the
    child starts its own (xdist workers are fresh interpreters started by execnet, so each has
    its own anyway). `close()` closes this backend's session and lets go of the loop (stopped
    when no other backend uses it); a later `run` starts anew.
    """

    def __init__(self, make_session: Callable[[], aiohttp.ClientSession],
                 shared: _SharedLoop = _SHARED_LOOP):
        self._make_session = make_session
        self._shared = shared
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._session: aiohttp.ClientSession | None = None
        self._pid = 0

    def _started(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._pid != os.getpid():  # first use, or a forked child
                loop, thread = self._shared.acquire()
                self._loop, self._thread, self._session, self._pid = loop, thread, None, os.getpid()
            return self._loop

    async def session(self) -> aiohttp.ClientSession:
        """The kept session (made on the loop: aiohttp binds it to the running loop)."""
        if self._session is None or self._session.closed:
            self._session = self._make_session()
        return self._session

    def submit(self, make_coro: Callable[[], Any]) -> concurrent.futures.Future:
        """Start the coroutine on the loop and return at once: its Future (`cancel()` stops it)."""
        loop = self._started()
        if threading.current_thread() is self._thread:
            raise RuntimeError("OpenAIBackend called from its own event loop (an on_result or "
                               "progress callback must not call the backend)")
        return asyncio.run_coroutine_threadsafe(make_coro(), loop)

    def run(self, make_coro: Callable[[], Any]) -> Any:
        future = self.submit(make_coro)
        try:
            return future.result()
        except BaseException:
            future.cancel()  # an interrupt while waiting: stop the requests still in flight
            raise

    def close(self) -> None:
        with self._lock:
            loop, thread, session = self._loop, self._thread, self._session
            self._loop = self._thread = self._session = None
        if loop is None or self._pid != os.getpid():
            return
        if session is None or session.closed or thread is None or not thread.is_alive():
            self._shared.release(loop)
        elif threading.current_thread() is thread:
            # the backend dropped and collected on the loop thread itself (its finalizer): the
            # loop, which other backends share, must not wait on itself
            loop.create_task(session.close()).add_done_callback(lambda _: self._shared.release(loop))
        else:
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(session.close(), loop).result(10)
            self._shared.release(loop)


@functools.lru_cache(maxsize=4096)
def _user_message(prompt: str) -> str:
    """`[{"role": "user", "content": prompt}]` as JSON text, kept for the next backend that
    sends the same prompt (a panel's members each send every prompt)."""
    return json.dumps([{"role": "user", "content": prompt}])


@dataclass
class _Call:
    """One request to send: endpoint path, JSON body and the parser of the response. A chat
    request whose prompt is one text keeps it in `prompt`, not in `body`: its `messages` are
    encoded once per text (`_user_message`)."""

    path: str
    body: dict | None
    parse: Callable[[dict], Any]
    error: BackendError | None = None  # set when the request cannot be sent at all
    prompt: str | None = None  # a chat prompt of one user message, sent as the last key "messages"
    head: str | None = None  # json.dumps(body), encoded once for the calls that share `body`

    def data(self) -> bytes:
        """The body as sent: the bytes of `json.dumps(body)`, `messages` last."""
        head = self.head if self.head is not None else json.dumps(self.body)
        if self.prompt is None:
            return head.encode()
        return f'{head[:-1]}{", " if self.body else ""}"messages": {_user_message(self.prompt)}}}'.encode()


class OpenAIBackend:
    """`ModelBackend` over an OpenAI-compatible server, with bounded async concurrency.

    `chat_template=True` (default) talks to /chat/completions, so the server applies the model's
    chat template; `chat_template=False` defaults to the plain /completions API. model_args
    ``api`` overrides this. See the module docstring for the error contract (`BatchError`).
    """

    def __init__(self, base_url: str, model: str, model_args: dict | None = None,
                 generation: GenerationConfig | None = None, api_key: str | None = None,
                 chat_template: bool = True):
        self.args = OpenAIArgs.parse(model_args, "chat" if chat_template else "completions")
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.generation = generation or GenerationConfig()
        self.chat_template = chat_template
        self.name = f"openai:{model}"
        self._key = _Secret(api_key or next(
            (os.environ[v] for v in API_KEY_ENV_VARS if os.environ.get(v)), None))
        self._policy = self.args.policy()
        self._rng = random.Random()
        self._server_model: dict | None = None
        self._server_model_fetched = False
        self._bodies: dict[tuple, tuple[dict, tuple[str, ...], str]] = {}  # `_options_body` by options
        self._io = _LoopThread(functools.partial(_new_session, self.args.concurrency,
                                                 self.args.timeout, self._key))
        # closes the session and stops the loop when the backend is dropped without close(),
        # or at interpreter exit (no "Unclosed client session" warnings)
        self._finalizer = weakref.finalize(self, _LoopThread.close, self._io)

    def __repr__(self) -> str:
        return (f"OpenAIBackend(base_url={sanitize_url(self.base_url)!r}, model={self.model!r}, "
                f"api={self.args.api!r}, concurrency={self.args.concurrency}, api_key={self._key!r})")

    # ----- ModelBackend -----

    def fingerprint(self) -> dict:
        """Identity for cache keys: url (no credentials), model, api, server's /models entry."""
        if not self._server_model_fetched:
            self._server_model = self._io.run(self._fetch_model_entry)
            self._server_model_fetched = True
        return {"backend": "openai-api", "base_url": sanitize_url(self.base_url),
                "model": self.model, "api": self.args.api, "chat_template": self.chat_template,
                "extra_body": self.args.extra_body, "server_model": self._server_model}

    # `on_result(i, result)` (all methods, optional) is called as request i finishes, with its
    # result or its RequestError, so a caller can keep answers before the batch ends (the
    # predictor writes each answer to the cache at once: a killed run repeats no answered
    # request). An exception in the callback is ignored: the answer is still returned.

    def generate(self, requests: Sequence[GenerateRequest], progress: Progress = None,
                 on_result: OnResult = None) -> list[Generation]:
        """One `Generation` per request (stop strings cut off); `BatchError` on failures."""
        calls = [self._generate_call(r) for r in requests]
        return self._finish(self._io.run(lambda: self._run_batch(calls, progress, on_result)))

    def submit_generate(self, requests: Sequence[GenerateRequest], progress: Progress = None,
                        on_result: OnResult = None) -> concurrent.futures.Future:
        """`generate` started on the event loop thread without waiting for it, so that one
        thread can run several backends at once (a panel's members): a Future of the results
        in input order, a `RequestError` in the place of each failed request (no BatchError);
        `cancel()` stops the requests in flight."""
        calls = [self._generate_call(r) for r in requests]
        return self._io.submit(lambda: self._run_batch(calls, progress, on_result))

    def loglikelihood(self, requests: Sequence[LoglikelihoodRequest], progress: Progress = None,
                      on_result: OnResult = None) -> list[Loglikelihood]:
        """log P(continuation | context) via /completions echo+logprobs; see `parse_loglikelihood`."""
        calls = [self._echo_call(r.context + r.continuation,
                                 lambda d, r=r: parse_loglikelihood(d, r.context, r.continuation))
                 for r in requests]
        return self._finish(self._io.run(lambda: self._run_probed(calls, progress, on_result)))

    def loglikelihood_rolling(self, requests: Sequence[RollingLoglikelihoodRequest],
                              progress: Progress = None, on_result: OnResult = None) -> list[float]:
        """Total logprob of each text in one echo request (no windowing: the text must fit the
        server's context length; the first token is unconditioned and not counted)."""
        calls = [self._echo_call(r.text, lambda d, r=r: parse_rolling(d, r.text))
                 for r in requests]
        return self._finish(self._io.run(lambda: self._run_probed(calls, progress, on_result)))

    def token_scores(self, requests: Sequence[TokenScoresRequest], progress: Progress = None,
                     on_result: OnResult = None) -> list[TokenScores]:
        """The logprob of each token of each text via /completions echo+logprobs (one request
        per text, no windowing); see `parse_token_logprobs`. An API gives the logprobs of the
        tokens, not the whole next-token distribution, so `mean`/`var` are None."""
        calls = [self._echo_call(r.text, lambda d, r=r: parse_token_logprobs(d, r.text))
                 for r in requests]
        return self._finish(self._io.run(lambda: self._run_probed(calls, progress, on_result)))

    def close(self) -> None:
        """Close the kept HTTP session (its connections) and stop the event loop thread; a
        later call starts them again."""
        self._io.close()

    def __enter__(self) -> "OpenAIBackend":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----- request bodies -----

    def _generate_call(self, req: GenerateRequest) -> _Call:
        options = (req.max_new_tokens, req.stop, req.tools)
        made = self._bodies.get(options)
        if made is None:
            if len(self._bodies) >= 256:  # requests with many different options: keep a few
                self._bodies.clear()
            made = self._bodies[options] = self._options_body(req)
        body, stop, head = made
        if self.args.api == "chat":
            if isinstance(req.prompt, str):  # the request's messages win over extra_body's
                return _Call("/chat/completions", body, lambda d: self._parse_chat(d, stop),
                             prompt=req.prompt, head=head)
            return _Call("/chat/completions", {**body, "messages": [dict(m) for m in req.prompt]},
                         lambda d: self._parse_chat(d, stop))
        if req.tools:
            return _Call("/completions", None, lambda d: None, FatalRequestError(
                "tool calling (a request with tools) needs the chat API; use model_args {\"api\": \"chat\"}"))
        if not isinstance(req.prompt, str):
            return _Call("/completions", None, lambda d: None, FatalRequestError(
                "a chat prompt (list of messages) cannot be sent to the completions API; "
                "use model_args {\"api\": \"chat\"}"))
        return _Call("/completions", {**body, "prompt": req.prompt},
                     lambda d: self._parse_completion(d, stop))

    def _options_body(self, req: GenerateRequest) -> tuple[dict, tuple[str, ...], str]:
        """(body without the prompt, stop strings, the body's JSON text) of a generate request:
        the same for every request of a batch with the same limits, stops and tools, so built
        and encoded once per batch, not once per request."""
        g = self.generation
        max_tokens = req.max_new_tokens if req.max_new_tokens is not None else g.max_new_tokens
        body: dict[str, Any] = {"model": self.model, self.args.max_tokens_field: max_tokens,
                                "seed": g.seed}
        if g.do_sample:
            body.update(temperature=g.temperature, top_p=g.top_p)
            if g.top_k != GenerationConfig.top_k:
                body["top_k"] = g.top_k  # not OpenAI: only servers that support it (vLLM)
        else:
            body["temperature"] = 0.0
        if g.repetition_penalty != GenerationConfig.repetition_penalty:
            body["repetition_penalty"] = g.repetition_penalty  # not OpenAI (vLLM, SGLang)
        stop = g.stops(req.stop)  # the benchmark's own, then --generation-config stop
        if stop:
            body["stop"] = list(stop[:MAX_STOP_SEQUENCES])
        if req.tools:
            body["tools"] = json.loads(req.tools)
        if self.args.stream:
            body["stream"] = True
        body = _merge(body, self.args.extra_body)
        if self.args.api == "chat":
            body.pop("messages", None)  # a request's messages win over extra_body's
        return body, stop, json.dumps(body)

    def _echo_call(self, prompt: str, parse: Callable[[dict], Any]) -> _Call:
        body = {"model": self.model, "prompt": prompt, "max_tokens": self.args.logprobs_max_tokens,
                "echo": True, "logprobs": 1, "temperature": 0.0, "seed": self.generation.seed}
        return _Call("/completions", _merge(body, self.args.extra_body), parse)

    @staticmethod
    def _parse_chat(data: dict, stop: Sequence[str]) -> Generation:
        message = _first_choice(data).get("message")
        if not isinstance(message, dict):
            raise RetryableError("malformed response: choices[0].message missing")
        calls = message.get("tool_calls")
        if isinstance(calls, list) and calls:  # arguments kept as sent: the benchmark judges them
            return Generation(tool_calls_text(message.get("content"), [_tool_call(c) for c in calls]), _usage(data))
        return Generation(cut_at_stop(message.get("content") or "", stop), _usage(data))

    @staticmethod
    def _parse_completion(data: dict, stop: Sequence[str]) -> Generation:
        text = _first_choice(data).get("text")
        if not isinstance(text, str):
            raise RetryableError("malformed response: choices[0].text missing")
        return Generation(cut_at_stop(text, stop), _usage(data))

    # ----- transport -----

    def _redact(self, message: str) -> str:
        key = self._key.get()
        return message.replace(key, "***") if key and len(key) >= 4 else message

    async def _attempt(self, session: aiohttp.ClientSession, call: _Call) -> Any:
        """One HTTP attempt; raises RetryableError or FatalRequestError."""
        url = self.base_url + call.path
        try:
            async with session.post(url, data=call.data()) as resp:  # JSON (the session's Content-Type)
                status = resp.status
                retry_after = parse_retry_after(resp.headers.get("Retry-After"))
                raw = await resp.read()
        except asyncio.TimeoutError:
            raise RetryableError(f"no complete response within {self.args.timeout}s") from None
        except aiohttp.ClientPayloadError as e:
            raise RetryableError(f"truncated response body ({type(e).__name__})") from None
        except aiohttp.InvalidURL:
            raise FatalRequestError(f"invalid URL {sanitize_url(url)!r}") from None
        except (aiohttp.ClientError, OSError) as e:
            raise RetryableError(f"connection failed ({type(e).__name__}: {e})") from None
        if status >= 400:
            message = f"HTTP {status} from {call.path}: {_error_message(raw)}"
            if status in RETRYABLE_STATUS:
                raise RetryableError(message, status, retry_after)
            raise FatalRequestError(message, status)
        try:
            data = merge_stream(raw) if call.body and call.body.get("stream") else json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            snippet = raw[:120].decode("utf-8", "replace")
            raise RetryableError(f"malformed JSON response body: {snippet!r}") from None
        if not isinstance(data, dict):
            raise RetryableError("malformed response: JSON body is not an object")
        try:
            return call.parse(data)
        except (KeyError, IndexError, TypeError, ValueError, AttributeError) as e:
            raise RetryableError(f"malformed response ({type(e).__name__}: {e})") from None

    async def _call_with_retries(self, session: aiohttp.ClientSession, call: _Call) -> Any:
        """Result of `call`, or a RequestError (returned, not raised) when it failed for good."""
        if call.error is not None:
            return call.error
        last: RetryableError | None = None
        attempts = 0
        for attempt in range(self._policy.max_retries + 1):
            attempts = attempt + 1
            failure: RequestError | None = None
            try:
                return await self._attempt(session, call)
            except RetryableError as e:
                last = e
            except FatalRequestError as e:  # includes LogprobsUnsupportedError
                failure = e
            if failure is not None:
                return self._rebuild(failure, attempts)
            if attempt < self._policy.max_retries:
                await asyncio.sleep(self._policy.delay(attempt, last.retry_after, self._rng))
        return RetriesExhaustedError(
            self._redact(f"gave up after {attempts} attempt{'s' if attempts > 1 else ''}: {last}"),
            last.status if last else None, attempts)

    def _rebuild(self, err: RequestError, attempts: int) -> RequestError:
        """A fresh, redacted copy of `err` (drops exception chains that could hold headers)."""
        return type(err)(self._redact(str(err)), err.status, attempts)

    async def _run_batch(self, calls: list[_Call], progress: Progress,
                         on_result: OnResult = None, offset: int = 0) -> list:
        """Run `calls` with at most `concurrency` in flight; results in input order. As many
        workers as the concurrency take the next call as one finishes (no task per request
        queued behind a semaphore: each costs less); they start `LAUNCH_SPACING_S` apart."""
        if not calls:
            return []
        results: list = [None] * len(calls)
        pending = iter(range(len(calls)))  # shared by the workers: each index is taken once

        async def worker(session: aiohttp.ClientSession, delay: float) -> None:
            if delay:
                await asyncio.sleep(delay)
            for index in pending:
                try:
                    result = await self._call_with_retries(session, calls[index])
                except Exception as e:  # a bug must not cost the other requests their results
                    result = RequestError(self._redact(f"unexpected {type(e).__name__}: {e}"))
                results[index] = result
                if on_result is not None:
                    try:
                        on_result(offset + index, result)
                    except Exception:  # noqa: BLE001 - the caller's bookkeeping must not lose the answer
                        pass
                if progress is not None:
                    progress(1)

        session = await self._io.session()
        workers = min(self.args.concurrency, len(calls))
        spacing = min(LAUNCH_SPACING_S, LAUNCH_WINDOW_S / workers)
        await asyncio.gather(*(worker(session, i * spacing) for i in range(workers)))
        return results

    async def _run_probed(self, calls: list[_Call], progress: Progress,
                          on_result: OnResult = None) -> list:
        """Echo batches: send the first request alone, so an unsupported server fails fast."""
        first = await self._run_batch(calls[:1], progress, on_result)
        if first and isinstance(first[0], LogprobsUnsupportedError):
            raise first[0]
        err = first[0] if first else None
        if isinstance(err, FatalRequestError) and (
                err.status in (404, 405, 501) or any(w in str(err).lower() for w in ("echo", "logprob"))):
            raise LogprobsUnsupportedError(f"{err}; {_LOGLIK_HINT}", err.status, err.attempts)
        return first + await self._run_batch(calls[1:], progress, on_result, offset=1)

    async def _get_models(self, timeout: float) -> tuple[int, bytes]:
        """(status, body) of GET {base}/models; connection failures and timeouts raise
        RetryableError (redacted, without the aiohttp exception chain)."""
        try:
            session = await self._io.session()
            async with session.get(self.base_url + "/models",
                                   timeout=aiohttp.ClientTimeout(total=timeout)) as resp:
                return resp.status, await resp.read()
        except asyncio.TimeoutError:
            raise RetryableError(f"no answer within {timeout:g}s") from None
        except aiohttp.InvalidURL:
            raise FatalRequestError(f"invalid URL {sanitize_url(self.base_url)!r}") from None
        except (aiohttp.ClientError, OSError) as e:
            raise RetryableError(self._redact(f"{type(e).__name__}: {e}")) from None

    def probe(self, timeout: float = 10.0, attempts: int = 2, *, url_setting: str = "--api-url",
              key_setting: str = "--api-key or $BENCHGATE_API_KEY") -> None:
        """Fail fast, once, when the server cannot be used at all: it cannot be reached (refused,
        unknown host, no answer within `timeout`, after `attempts` tries) or it refuses the API
        key (401/403 on GET /models). Raises ServerUnavailableError saying what was tried and
        what to do (the settings to check: `url_setting`, `key_setting`). Any other answer (200,
        or a server without /models) passes: per-request errors stay per request. A 200 answer
        also gives the fingerprint's server_model."""
        where = f"the API at {sanitize_url(self.base_url)}"
        timeout = min(timeout, self.args.timeout)
        last: RequestError | None = None
        for attempt in range(attempts):
            try:
                status, raw = self._io.run(lambda: self._get_models(timeout))
            except FatalRequestError as e:
                raise ServerUnavailableError(f"{where}: {e}; check {url_setting}") from None
            except RetryableError as e:
                last = e
                if attempt + 1 < attempts:
                    time.sleep(0.5)
                continue
            if status in (401, 403):
                raise ServerUnavailableError(self._redact(
                    f"{where} refused the API key: HTTP {status} from GET /models: "
                    f"{_error_message(raw)}; pass the right key with {key_setting}"))
            if status == 200 and not self._server_model_fetched:
                self._server_model = self._model_entry(raw)
                self._server_model_fetched = True
            return
        raise ServerUnavailableError(
            f"{where} cannot be reached (GET /models, {attempts} tries: {last}); check {url_setting} "
            f"and that the server is running")

    async def _fetch_model_entry(self) -> dict | None:
        """This model's stable fields from GET {base}/models, or None if unavailable."""
        try:
            status, raw = await self._get_models(min(10.0, self.args.timeout))
        except RequestError:
            return None
        return self._model_entry(raw) if status == 200 else None

    def _model_entry(self, raw: bytes) -> dict | None:
        try:
            data = json.loads(raw)
        except ValueError:
            return None
        entries = data.get("data") if isinstance(data, dict) else None
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, dict) and entry.get("id") == self.model:
                return {k: entry[k] for k in _STABLE_MODEL_FIELDS if k in entry}
        return None

    @staticmethod
    def _finish(results: list) -> list:
        """Return `results`, or raise BatchError carrying them when any request failed."""
        failed = [(i, r) for i, r in enumerate(results) if isinstance(r, BaseException)]
        if not failed:
            return results
        i, first = failed[0]
        raise BatchError(f"{len(failed)} of {len(results)} requests failed; "
                         f"first (request {i}): {first}", results)
