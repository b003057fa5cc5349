"""A scripted OpenAI-compatible streaming server with known timings (tests, client benchmarks).

A minimal HTTP/1.1 server on raw asyncio (keep-alive, chunked transfer encoding), so that its own
overhead is tiny and its timing truth is exact: every chunk is written at an absolute deadline
``t_recv + ttft + k * itl`` (``loop.call_at``), never after a relative sleep, so delays do not
accumulate. ``t_recv`` is when the request's body has been read.

Stream shape (chat: ``delta.content``; completions: ``text``):

* optional role-only first chunk (``role=1``: ``{"role": "assistant", "content": ""}``, no
  output) at once, as vLLM and most servers send it; content chunk k (from 0) at
  ``ttft + k*itl`` either way, so ``ttft`` is the true time to the first output token;
* ``n`` tokens ("tok " each), ``chunk`` tokens per chunk, the last chunk has ``finish_reason``;
* a usage chunk (``choices: []``) right after the last content chunk when the request asks for
  ``stream_options.include_usage`` (``usage=always``/``never`` overrides), then ``data: [DONE]``.

Per-request settings come from the path: ``POST /s/ttft=0.3,itl=0.05,n=32,chunk=4,role=1/v1/chat/completions``
(defaults from the command line). ``fault=`` one of ``http500``, ``cut`` (connection closed half
way through the stream), ``malformed`` (a non-SSE line), ``badjson`` (a data line that is not
JSON), ``mix`` (cycles none, http500, cut, malformed, badjson per request on that path),
``reject_usage`` (HTTP 422 when the request has ``stream_options``, as strict servers do).
Prompt tokens = whitespace-separated words of the prompt.

Run: ``python -m benchgate.perf.scripted_server --port 0`` prints ``PORT <n>``.
:class:`ScriptedServer` starts it as a subprocess (its own CPU, so the client under test is
not competing with it on one event loop).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from typing import Any

__all__ = ["Script", "ScriptedServer", "expected_timings", "serve"]

MIX = ("none", "http500", "cut", "malformed", "badjson")


@dataclass(frozen=True)
class Script:
    """Timing and shape of a scripted response."""

    ttft: float = 0.1
    itl: float = 0.02
    n: int = 16
    chunk: int = 1
    role: bool = True
    usage: str = "request"  # request | always | never
    done: bool = True
    fault: str = "none"

    @classmethod
    def from_path(cls, base: "Script", spec: str) -> "Script":
        """Apply ``k=v,k=v`` overrides."""
        kw: dict[str, Any] = {}
        for item in filter(None, spec.split(",")):
            k, _, v = item.partition("=")
            if k in ("ttft", "itl"):
                kw[k] = float(v)
            elif k in ("n", "chunk"):
                kw[k] = int(v)
            elif k in ("role", "done"):
                kw[k] = v not in ("0", "false", "no")
            elif k in ("usage", "fault"):
                kw[k] = v
            else:
                raise ValueError(f"unknown script key {k!r}")
        return replace(base, **kw)

    def path(self, endpoint: str = "/v1/chat/completions") -> str:
        """The URL path that selects this script."""
        spec = (f"ttft={self.ttft!r},itl={self.itl!r},n={self.n},chunk={self.chunk},"
                f"role={int(self.role)},usage={self.usage},done={int(self.done)},fault={self.fault}")
        return f"/s/{spec}{endpoint}"


def expected_timings(s: Script) -> dict[str, float]:
    """The exact truth of one request under script ``s`` (server-side clock, from t_recv)."""
    m = math.ceil(s.n / s.chunk)
    last = s.ttft + (m - 1) * s.itl
    return {
        "ttft": s.ttft,  # the first content chunk
        "first_chunk": 0.0 if s.role else s.ttft,  # the role-only chunk, sent at once
        "latency": last,
        "itl": s.itl,
        "tpot": (last - s.ttft) / (s.n - 1) if s.n > 1 else 0.0,
        "output_tokens": float(s.n),
        "chunks": float(m),  # chunks carrying output
    }


def _hex_chunk(payload: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(payload), payload)


class _Conn(asyncio.Protocol):
    server: "_State"

    def __init__(self, state: "_State") -> None:
        self.state = state
        self.buf = b""
        self.transport: asyncio.Transport | None = None
        self.busy = False
        self.t_data = 0.0
        self.handle: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        if self.handle is not None:
            self.handle.cancel()
        self.transport = None

    def data_received(self, data: bytes) -> None:
        # Stamp the arrival first; the request is handled in a later loop iteration, so that a
        # burst of requests arriving together gets arrival times that do not include the
        # handling of the others (the truth clock starts when the bytes are read).
        self.t_data = asyncio.get_running_loop().time()
        self.buf += data
        while not self.busy:
            head_end = self.buf.find(b"\r\n\r\n")
            if head_end < 0:
                return
            head = self.buf[:head_end].decode("latin-1")
            lines = head.split("\r\n")
            method, path, _ = lines[0].split(" ", 2)
            length = 0
            for ln in lines[1:]:
                k, _, v = ln.partition(":")
                if k.strip().lower() == "content-length":
                    length = int(v.strip())
            total = head_end + 4 + length
            if len(self.buf) < total:
                return
            body = self.buf[head_end + 4:total]
            self.buf = self.buf[total:]
            self.busy = True
            asyncio.get_running_loop().call_soon(self.handle_request, method, path, body, self.t_data)

    # -- responses ---------------------------------------------------------------------------
    def _send_simple(self, status: int, obj: Any) -> None:
        payload = json.dumps(obj).encode()
        reason = {200: "OK", 404: "Not Found", 500: "Internal Server Error", 400: "Bad Request",
                  422: "Unprocessable Entity"}[status]
        if self.transport is not None:
            self.transport.write(
                b"HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                % (status, reason.encode(), len(payload), payload))
        self.busy = False

    def handle_request(self, method: str, path: str, body: bytes, t_recv: float) -> None:
        st = self.state
        if method == "GET" and path.rstrip("/").endswith("/models"):
            return self._send_simple(200, {"object": "list", "data": [{"id": st.model, "object": "model"}]})
        if method == "GET" and path.endswith("/health"):
            return self._send_simple(200, {"status": "ok"})
        if method == "GET" and path.endswith("/stats"):
            lat = sorted(st.lateness)
            return self._send_simple(200, {
                "received": st.received, "writes": len(lat),
                "lateness_p50": lat[len(lat) // 2] if lat else None,
                "lateness_p99": lat[int(len(lat) * 0.99)] if lat else None,
                "lateness_max": lat[-1] if lat else None})
        if method == "POST" and path.endswith("/stats/reset"):
            st.lateness.clear()
            st.received = 0
            return self._send_simple(200, {"ok": True})
        script = st.base
        spec_key = ""
        route = path
        if path.startswith("/s/"):
            spec_key, _, rest = path[3:].partition("/")
            route = "/" + rest
        if method != "POST" or route not in ("/v1/chat/completions", "/v1/completions"):
            return self._send_simple(404, {"error": {"message": f"no route {method} {path}"}})
        if spec_key:
            try:
                script = Script.from_path(st.base, spec_key)
            except ValueError as e:
                return self._send_simple(400, {"error": {"message": str(e)}})
        fault = script.fault
        if fault == "mix":
            k = st.counters.get(spec_key, 0)
            st.counters[spec_key] = k + 1
            fault = MIX[k % len(MIX)]
        st.received += 1
        try:
            req = json.loads(body or b"{}")
        except ValueError:
            return self._send_simple(400, {"error": {"message": "body is not JSON"}})
        if fault == "reject_usage" and "stream_options" in req:
            return self._send_simple(422, {"detail": "Unexpected fields in the request: {'stream_options'}"})
        if fault == "http500":
            return self._send_simple(500, {"error": {"message": "scripted failure", "type": "server_error"}})
        chat = path.endswith("chat/completions")
        if chat:
            prompt = " ".join(str(m.get("content", "")) for m in req.get("messages", []))
        else:
            prompt = str(req.get("prompt", ""))
        n = script.n
        if isinstance(req.get("max_tokens"), int):
            n = min(n, req["max_tokens"])
        script = replace(script, n=max(1, n))
        prompt_tokens = len(prompt.split())
        stream = bool(req.get("stream"))
        want_usage = script.usage == "always" or (
            script.usage == "request" and bool((req.get("stream_options") or {}).get("include_usage")))
        model = req.get("model") or st.model
        if not stream:
            return self._non_stream(t_recv, script, chat, model, prompt_tokens)
        events = self._events(script, chat, model, prompt_tokens, want_usage, fault)
        if self.transport is None:
            return
        self.transport.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                             b"Cache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n\r\n")
        self._schedule(t_recv, events, 0)

    def _events(self, s: Script, chat: bool, model: str, prompt_tokens: int, want_usage: bool,
                fault: str) -> list[tuple[float, bytes | None]]:
        """(offset from t_recv, SSE bytes) pairs; None bytes = cut the connection."""
        m = math.ceil(s.n / s.chunk)
        out: list[tuple[float, bytes | None]] = []
        base = {"id": "cmpl-scripted", "object": "chat.completion.chunk" if chat else "text_completion",
                "created": 0, "model": model}

        def ev(obj: dict) -> bytes:
            return b"data: " + json.dumps(obj, separators=(",", ":")).encode() + b"\n\n"

        if s.role:  # at once, carrying no output
            if chat:
                out.append((0.0, ev({**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""},
                                                          "finish_reason": None}]})))
            else:
                out.append((0.0, ev({**base, "choices": [{"index": 0, "text": "", "finish_reason": None}]})))
        t = s.ttft
        left = s.n
        for k in range(m):
            c = min(s.chunk, left)
            left -= c
            text = "tok " * c
            fr = "length" if k == m - 1 else None
            if chat:
                obj = {**base, "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": fr}]}
            else:
                obj = {**base, "choices": [{"index": 0, "text": text, "finish_reason": fr}]}
            out.append((t, ev(obj)))
            if k == m // 2:
                if fault == "cut":
                    out.append((t, None))
                    return out
                if fault == "malformed":
                    out.append((t, b"this line is not server-sent events\n\n"))
                if fault == "badjson":
                    out.append((t, b"data: {\"choices\": [oops\n\n"))
            if k < m - 1:
                t += s.itl
        if want_usage:
            out.append((t, ev({**base, "choices": [], "usage": {
                "prompt_tokens": prompt_tokens, "completion_tokens": s.n,
                "total_tokens": prompt_tokens + s.n}})))
        if s.done:
            out.append((t, b"data: [DONE]\n\n"))
        out.append((t, b""))  # end of chunked body
        return out

    def _schedule(self, t_recv: float, events: list[tuple[float, bytes | None]], i: int) -> None:
        """Write every event whose deadline has come, then sleep until the next deadline."""
        self.handle = None
        tr = self.transport
        if tr is None:
            return
        loop = asyncio.get_running_loop()
        now = loop.time()
        parts: list[bytes] = []
        if i < len(events):
            if len(self.state.lateness) < 1_000_000:
                self.state.lateness.append(now - (t_recv + events[i][0]))
        while i < len(events) and t_recv + events[i][0] <= now + 1e-9:
            data = events[i][1]
            i += 1
            if data is None:
                if parts:
                    tr.write(b"".join(parts))
                tr.close()
                return
            parts.append(_hex_chunk(data) if data else b"0\r\n\r\n")
        if parts:
            tr.write(b"".join(parts))
        if i >= len(events):
            self.busy = False
            if self.buf:
                t_data = self.t_data
                self.data_received(b"")
                self.t_data = t_data
            return
        self.handle = loop.call_at(t_recv + events[i][0], self._schedule, t_recv, events, i)

    def _non_stream(self, t_recv: float, s: Script, chat: bool, model: str, prompt_tokens: int) -> None:
        truth = expected_timings(s)
        text = "tok " * s.n
        choice: dict[str, Any] = {"index": 0, "finish_reason": "length"}
        if chat:
            choice["message"] = {"role": "assistant", "content": text}
        else:
            choice["text"] = text
        obj = {"id": "cmpl-scripted", "object": "chat.completion" if chat else "text_completion",
               "created": 0, "model": model, "choices": [choice],
               "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": s.n,
                         "total_tokens": prompt_tokens + s.n}}
        loop = asyncio.get_running_loop()
        self.handle = loop.call_at(t_recv + truth["latency"], self._send_simple, 200, obj)


class _State:
    def __init__(self, base: Script, model: str) -> None:
        self.base = base
        self.model = model
        self.counters: dict[str, int] = {}
        self.received = 0
        self.lateness: list[float] = []  # how late each scheduled write was (s)


async def serve(host: str = "127.0.0.1", port: int = 0, base: Script = Script(), model: str = "scripted",
                ready: Any = None) -> None:
    """Serve until cancelled; ``ready(port)`` is called once listening."""
    loop = asyncio.get_running_loop()
    state = _State(base, model)
    server = await loop.create_server(lambda: _Conn(state), host, port, backlog=4096)
    bound = server.sockets[0].getsockname()[1]
    if ready is not None:
        ready(bound)
    async with server:
        await server.serve_forever()


def main(argv: list[str] | None = None) -> int:
    """Command line: run the scripted server."""
    p = argparse.ArgumentParser(prog="python -m benchgate.perf.scripted_server")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--model", default="scripted")
    p.add_argument("--ttft", type=float, default=0.1)
    p.add_argument("--itl", type=float, default=0.02)
    p.add_argument("--n", type=int, default=16)
    p.add_argument("--chunk", type=int, default=1)
    a = p.parse_args(argv)

    def ready(port: int) -> None:
        print(f"PORT {port}", flush=True)

    try:
        asyncio.run(serve(a.host, a.port, Script(ttft=a.ttft, itl=a.itl, n=a.n, chunk=a.chunk), a.model, ready))
    except KeyboardInterrupt:
        pass
    return 0


class ScriptedServer:
    """Context manager: the scripted server in a subprocess on 127.0.0.1; ``.base_url`` = http://host:port."""

    def __init__(self, model: str = "scripted", startup_timeout: float = 30.0) -> None:
        self.model = model
        self.startup_timeout = startup_timeout
        self.proc: subprocess.Popen | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, script: Script | None = None, endpoint: str = "/v1/chat/completions") -> str:
        """The endpoint URL for ``script`` (server defaults if None)."""
        return self.base_url + (script.path(endpoint) if script is not None else endpoint)

    def __enter__(self) -> "ScriptedServer":
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "benchgate.perf.scripted_server", "--port", "0", "--model", self.model],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        deadline = time.monotonic() + self.startup_timeout
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line.startswith("PORT ") or time.monotonic() > deadline:
            self.__exit__(None, None, None)
            raise RuntimeError(f"scripted server did not start (got {line!r})")
        self.port = int(line.split()[1])
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None and self.proc.stdout is not None:
            self.proc.stdout.close()


if __name__ == "__main__":
    raise SystemExit(main())
