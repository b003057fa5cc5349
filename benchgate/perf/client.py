"""One request against an OpenAI-compatible endpoint, timed with ``time.perf_counter``.

Timing (all seconds, measured from ``start`` = the moment the request body is handed to the
socket; aiohttp writes the body from a separate task, so at high concurrency a burst of requests
waits on the client's own event loop before going out: that wait, ``start - called``, is reported
as the *client send delay*, never folded into TTFT or latency):

* TTFT: arrival of the first SSE data chunk that carries output: non-empty ``delta.content``,
  ``delta.reasoning_content`` (or ``reasoning``), a tool call with a function name or arguments
  (chat), non-empty ``text`` (completions), as EvalScope 1.14.1's ``_parse_chat_delta``
  (perf/plugin/api/default_api.py). A role-only first chunk (``{"role": "assistant",
  "content": ""}``, sent by most servers at once) is not output: its arrival is kept apart as
  ``first_chunk`` (time to first byte of the stream).
* latency: arrival of the last data chunk (the usage chunk included); non-streaming: the full body.
* chunk times: arrival of every data chunk carrying output (ITL = gaps between them, as
  EvalScope's ``inter_chunk_latency``; "packages" = their count).

Arrival times are taken when the bytes are read from the socket (the connection's protocol
stamps each read, see :func:`make_connector`), not when the request's coroutine gets to run:
with 128 streams receiving at once, the last coroutine resumes milliseconds after its bytes
arrived, and stamping at resume time would add the client's own backlog to TTFT and latency.
Events parsed from one read share that read's time; if several reads are buffered before the
coroutine runs, the first event gets the first read's time and the others the last read's.
Failures are never raised: they come back as a record with ``error_type`` (``connection_refused``,
``connect_error``, ``http_<status>``, ``stream_cut``, ``stream_incomplete``, ``sse_malformed``,
``sse_invalid_json``, ``api_error``, ``timeout``, ``server_disconnected``, ``client_error:<Name>``).
"""
from __future__ import annotations

import asyncio
import functools
import json
from time import perf_counter
from typing import Any

import aiohttp
from aiohttp.payload import BytesPayload

try:  # arrival stamps at socket-read time (see StampingHandler); optional, aiohttp internals
    from aiohttp.client_proto import ResponseHandler as _ResponseHandler
except ImportError:  # pragma: no cover
    _ResponseHandler = None  # type: ignore[assignment,misc]

from .sse import SSEError, SSEParser

__all__ = ["RequestRecord", "PreparedRequest", "send_request", "classify_exception", "make_connector",
           "chat_delta_output"]


if _ResponseHandler is not None:

    class StampingHandler(_ResponseHandler):  # type: ignore[misc,valid-type]
        """aiohttp's response protocol, plus the perf_counter of the first/last unconsumed read."""

        bg_first: float | None = None
        bg_last: float | None = None

        def data_received(self, data: bytes) -> None:
            t = perf_counter()
            if self.bg_first is None:
                self.bg_first = t
            self.bg_last = t
            super().data_received(data)


def make_connector(limit: int) -> aiohttp.TCPConnector:
    """A connector with ``limit`` connections (0 = unlimited) whose protocol stamps socket reads."""
    conn = aiohttp.TCPConnector(limit=limit, limit_per_host=0, ttl_dns_cache=300)
    loop = getattr(conn, "_loop", None)
    if _ResponseHandler is not None and hasattr(conn, "_factory") and loop is not None:
        conn._factory = functools.partial(StampingHandler, loop=loop)
    return conn


class PreparedRequest:
    """A serialized request body (built once, outside the timed path)."""

    __slots__ = ("prompt", "body", "stream")

    def __init__(self, prompt: str, body: bytes, stream: bool) -> None:
        self.prompt = prompt
        self.body = body
        self.stream = stream


class RequestRecord:
    """Outcome and timings of one request. Times are absolute perf_counter values."""

    __slots__ = (
        "index", "scheduled", "dispatched", "start", "end", "ttft", "first_chunk", "latency",
        "chunk_times", "last_data", "text", "prompt", "usage_prompt", "usage_completion",
        "input_tokens", "output_tokens", "token_source", "success", "error_type", "error",
        "status", "finish_reason", "called", "content_chunks",
    )

    def __init__(self, index: int, prompt: str = "") -> None:
        self.index = index
        self.prompt = prompt
        self.scheduled: float | None = None  # open loop: the arrival time on the schedule
        self.dispatched: float | None = None  # when the scheduler handed it out
        self.called = 0.0  # when send_request was entered
        self.start = 0.0  # when the body went to the socket (latency origin)
        self.end = 0.0
        self.ttft: float | None = None  # first chunk carrying output (None: no output at all)
        self.first_chunk: float | None = None  # first data chunk carrying choices (time to first byte)
        self.latency: float | None = None
        self.chunk_times: list[float] = []  # arrivals of the chunks carrying output
        self.content_chunks = 0  # chunks with non-empty text
        self.last_data: float | None = None
        self.text = ""
        self.usage_prompt: int | None = None
        self.usage_completion: int | None = None
        self.input_tokens: int | None = None
        self.output_tokens: int | None = None
        self.token_source: str | None = None
        self.success = False
        self.error_type: str | None = None
        self.error: str | None = None
        self.status: int | None = None
        self.finish_reason: str | None = None

    @property
    def queue_time(self) -> float:
        """Open loop: scheduled arrival -> slot acquired (slot wait + scheduler lateness); closed: 0."""
        return 0.0 if self.scheduled is None else max(0.0, self.called - self.scheduled)

    @property
    def send_delay(self) -> float:
        """Client-side time between deciding to send and the bytes leaving (event-loop wait)."""
        return max(0.0, self.start - self.called) if self.start else 0.0

    @property
    def itls(self) -> list[float]:
        """Gaps between consecutive chunks that carry output."""
        ts = self.chunk_times
        return [ts[i] - ts[i - 1] for i in range(1, len(ts))]

    @property
    def tpot(self) -> float | None:
        """(latency - TTFT) / (output_tokens - 1); None if undefined (< 2 tokens, or failed)."""
        if not self.success or self.latency is None or self.ttft is None:
            return None
        if self.output_tokens is None or self.output_tokens < 2:
            return None
        return (self.latency - self.ttft) / (self.output_tokens - 1)


def classify_exception(e: BaseException) -> str:
    """A short, stable failure type for an exception raised while requesting."""
    if isinstance(e, aiohttp.ClientConnectorError):
        oe = getattr(e, "os_error", None)
        if isinstance(oe, ConnectionRefusedError) or "refused" in str(e).lower():
            return "connection_refused"
        return "connect_error"
    if isinstance(e, aiohttp.ServerDisconnectedError):
        return "server_disconnected"
    if isinstance(e, aiohttp.ClientPayloadError):
        return "stream_cut"
    if isinstance(e, (asyncio.TimeoutError, aiohttp.ServerTimeoutError)):
        return "timeout"
    if isinstance(e, ConnectionResetError):
        return "stream_cut"
    if isinstance(e, aiohttp.ClientError):
        return f"client_error:{type(e).__name__}"
    return f"error:{type(e).__name__}"


class _TimedBody(BytesPayload):
    """A bytes body that stamps ``rec.start`` when aiohttp actually writes it."""

    def __init__(self, body: bytes, rec: "RequestRecord") -> None:
        super().__init__(body, content_type="application/json")
        self._rec = rec

    async def write(self, writer: Any) -> None:  # aiohttp < 3.12
        self._rec.start = perf_counter()
        await super().write(writer)

    async def write_with_length(self, writer: Any, content_length: int | None) -> None:  # aiohttp >= 3.12
        self._rec.start = perf_counter()
        await super().write_with_length(writer, content_length)


def _fail(rec: RequestRecord, kind: str, msg: str) -> RequestRecord:
    rec.success = False
    rec.error_type = kind
    rec.error = msg[:500]
    return rec


async def send_request(
    session: aiohttp.ClientSession, url: str, req: PreparedRequest, rec: RequestRecord,
    headers: dict[str, str] | None = None,
) -> RequestRecord:
    """Send ``req`` and fill ``rec`` (timings, text, usage, success or error type)."""
    loads = json.loads
    rec.called = rec.start = perf_counter()
    try:
        async with session.post(url, data=_TimedBody(req.body, rec), headers=headers) as resp:
            start = rec.start
            rec.status = resp.status
            if resp.status != 200:
                body = (await resp.read())[:300].decode("utf-8", "replace")
                rec.end = perf_counter()
                return _fail(rec, f"http_{resp.status}", body)
            if not req.stream:
                raw = await resp.read()
                rec.end = now = perf_counter()
                try:
                    obj = loads(raw)
                except ValueError as e:
                    return _fail(rec, "invalid_json", str(e))
                if isinstance(obj, dict) and obj.get("error"):
                    return _fail(rec, "api_error", json.dumps(obj["error"])[:300])
                choices = obj.get("choices") or []
                if not choices:
                    return _fail(rec, "no_choices", raw[:200].decode("utf-8", "replace"))
                c0 = choices[0]
                msg = c0.get("message") or {}
                rec.text = msg.get("content") or c0.get("text") or ""
                rec.finish_reason = c0.get("finish_reason")
                _usage(rec, obj.get("usage"))
                rec.ttft = rec.latency = rec.first_chunk = now - start
                rec.chunk_times = [now]
                rec.content_chunks = 1 if rec.text else 0
                rec.last_data = now
                rec.success = True
                return rec

            parser = SSEParser()
            times = rec.chunk_times
            parts: list[str] = []
            done = False
            finish = None
            last = None
            first_chunk = None
            conn = resp.connection
            proto = conn.protocol if conn is not None else None
            if proto is None or not hasattr(proto, "bg_first"):
                proto = None
            elif getattr(resp.content, "total_bytes", 0) == 0:
                proto.bg_first = None  # the stamp is the headers' read (or an earlier use's)
            elif proto.bg_first is not None and proto.bg_first < start:
                proto.bg_first = proto.bg_last
            async for raw in resp.content.iter_any():
                if proto is not None and proto.bg_first is not None:
                    now, later = proto.bg_first, proto.bg_last
                    proto.bg_first = None
                else:
                    now = later = perf_counter()
                try:
                    events = parser.feed(raw)
                except SSEError as e:
                    rec.end = now
                    return _fail(rec, "sse_malformed", str(e))
                for k, data in enumerate(events):
                    if k == 1:
                        now = later
                    if data == "[DONE]":
                        done = True
                        continue
                    try:
                        obj = loads(data)
                    except ValueError:
                        rec.end = now
                        return _fail(rec, "sse_invalid_json", data[:200])
                    if type(obj) is not dict:
                        rec.end = now
                        return _fail(rec, "sse_invalid_json", data[:200])
                    last = now
                    choices = obj.get("choices")
                    if choices:
                        if first_chunk is None:
                            first_chunk = now
                        c0 = choices[0]
                        if not isinstance(c0, dict):
                            rec.end = now
                            return _fail(rec, "sse_invalid_json", data[:200])
                        delta = c0.get("delta")
                        if delta is not None:
                            piece, has_output = chat_delta_output(delta)
                        else:
                            piece = c0.get("text") if isinstance(c0.get("text"), str) else ""
                            has_output = bool(piece)
                        if has_output:
                            times.append(now)
                        if piece:
                            parts.append(piece)
                            rec.content_chunks += 1
                        fr = c0.get("finish_reason")
                        if fr:
                            finish = fr
                    elif obj.get("error"):
                        rec.end = now
                        return _fail(rec, "api_error", json.dumps(obj["error"])[:300])
                    usage = obj.get("usage")
                    if usage:
                        _usage(rec, usage)
            if proto is not None:
                proto.bg_first = None  # reads after our last one (chunked terminator) are not ours
            try:
                tail = parser.close()
            except SSEError as e:
                rec.end = perf_counter()
                return _fail(rec, "sse_malformed", str(e))
            if "[DONE]" in tail:
                done = True
            rec.end = perf_counter()
            rec.text = "".join(parts)
            rec.finish_reason = finish
            if first_chunk is None:
                return _fail(rec, "stream_incomplete", "stream ended without any chunk carrying choices")
            if not done and finish is None:
                return _fail(rec, "stream_incomplete", "stream ended without [DONE] or finish_reason")
            rec.first_chunk = first_chunk - start
            rec.ttft = times[0] - start if times else None  # None: the stream carried no output
            rec.last_data = last
            rec.latency = (last if last is not None else first_chunk) - start
            rec.success = True
            return rec
    except asyncio.CancelledError:
        raise
    except BaseException as e:  # noqa: BLE001 - every failure is a counted outcome
        if not isinstance(e, Exception):
            raise
        rec.end = perf_counter()
        return _fail(rec, classify_exception(e), f"{type(e).__name__}: {e}")


def chat_delta_output(delta: Any) -> tuple[str, bool]:
    """(text, carries output) of a chat ``delta``, as EvalScope 1.14.1's ``_parse_chat_delta``:
    the text is ``content`` + ``reasoning_content`` (else ``reasoning``); a delta without text
    still carries output when a tool call has a function name or arguments, or a
    ``reasoning_details`` entry has text or a summary. A role-only delta carries none."""
    if not isinstance(delta, dict):
        return "", False
    content = delta.get("content")
    reasoning = delta.get("reasoning_content")
    if not isinstance(reasoning, str) or not reasoning:
        reasoning = delta.get("reasoning")
    text = (content if isinstance(content, str) else "") + (reasoning if isinstance(reasoning, str) else "")
    if text:
        return text, True
    calls, details = delta.get("tool_calls"), delta.get("reasoning_details")
    for call in calls if isinstance(calls, list) else ():
        function = call.get("function") if isinstance(call, dict) else None
        if isinstance(function, dict) and any(isinstance(function.get(k), str) and function[k]
                                              for k in ("name", "arguments")):
            return "", True
    for detail in details if isinstance(details, list) else ():
        if isinstance(detail, dict) and any(isinstance(detail.get(k), str) and detail[k] for k in ("text", "summary")):
            return "", True
    return "", False


def _usage(rec: RequestRecord, usage: Any) -> None:
    if isinstance(usage, dict):
        pt, ct = usage.get("prompt_tokens"), usage.get("completion_tokens")
        if isinstance(pt, int):
            rec.usage_prompt = pt
        if isinstance(ct, int):
            rec.usage_completion = ct
