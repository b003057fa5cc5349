"""Client ceiling of `benchgate perf` against a zero-delay streaming server, vs a minimal aiohttp loop.

    python benchmarks/perf_client_ceiling.py [--levels 1 64 512] [--seconds 4] [--tokens 32]

The scripted server (separate process, raw asyncio) answers every request at once with a role
chunk, ``--tokens`` one-token chunks, a usage chunk and ``[DONE]``: ``tokens + 3`` SSE data events.
For each concurrency level it measures, for the same time budget:

* ``benchgate``: the real load generator (closed loop, ``benchgate.perf.runner.run_load``), with
  everything it records per request (timestamps per chunk, JSON per event, usage);
* ``baseline``: a minimal aiohttp loop, as vLLM's ``bench serve`` backend does it: ``async for
  line in resp.content``, strip ``data: ``, ``json.loads``, a ``perf_counter`` per event;

and reports requests/s, SSE events/s and, at concurrency 1, the TTFT each measures plus a raw
asyncio-socket probe (HTTP written by hand, no client library): the floor of network + server.
``TTFT(client) - TTFT(raw)`` is the overhead the client adds to TTFT per request.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path
from time import perf_counter

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp  # noqa: E402

from benchgate.perf.config import PerfConfig  # noqa: E402
from benchgate.perf.runner import Target, build_requests, run_load  # noqa: E402
from benchgate.perf.scripted_server import Script, ScriptedServer  # noqa: E402


async def baseline(url: str, body: bytes, parallel: int, seconds: float) -> dict:
    """The minimal aiohttp loop (closed loop, `parallel` workers, `seconds` of sending)."""
    conn = aiohttp.TCPConnector(limit=parallel)
    n_req = n_ev = 0
    ttfts: list[float] = []
    headers = {"Content-Type": "application/json"}
    async with aiohttp.ClientSession(connector=conn, read_bufsize=1 << 20) as s:
        # same pre-opened connections as benchgate's --prewarm
        async def warm() -> None:
            async with s.get(url.rsplit("/chat/completions", 1)[0] + "/models") as r:
                await r.read()

        await asyncio.gather(*(warm() for _ in range(parallel)))
        t0 = perf_counter()
        end = t0 + seconds

        async def worker() -> None:
            nonlocal n_req, n_ev
            while perf_counter() < end:
                st = perf_counter()
                ttft = None
                async with s.post(url, data=body, headers=headers) as r:
                    async for line in r.content:
                        line = line.strip()
                        if not line:
                            continue
                        data = line[6:] if line.startswith(b"data: ") else line
                        now = perf_counter()
                        n_ev += 1
                        if data != b"[DONE]":
                            json.loads(data)
                            if ttft is None:
                                ttft = now - st
                n_req += 1
                ttfts.append(ttft or 0.0)

        await asyncio.gather(*(worker() for _ in range(parallel)))
        wall = perf_counter() - t0
    return {"req_s": n_req / wall, "events_s": n_ev / wall, "requests": n_req, "events": n_ev,
            "ttft_median_ms": statistics.median(ttfts) * 1e3}


async def ours(url: str, parallel: int, seconds: float, events_per_req: int) -> dict:
    """benchgate's own run loop for `seconds`."""
    cfg = PerfConfig(url=url, prompt="hello", parallel=[parallel], duration=seconds, progress=False,
                     include_usage="on", max_tokens=None)
    target = Target(url=url, model="scripted", chat=True, include_usage=True,
                    headers={"Content-Type": "application/json"})
    reqs = build_requests(cfg, ["hello"], target)
    res = await run_load(cfg, target, reqs, parallel, None)
    ok = [r for r in res.records if r.success]
    wall = res.t_end - min(r.start for r in res.records)
    failed = len(res.records) - len(ok)
    return {"req_s": len(ok) / wall, "events_s": len(ok) * events_per_req / wall, "requests": len(ok),
            "failed": failed, "ttft_median_ms": statistics.median(r.ttft for r in ok) * 1e3}


async def raw_ttft(host: str, port: int, path: str, body: bytes, n: int = 200) -> float:
    """Median time from writing a request on a keep-alive socket to the first `data:` byte."""
    reader, writer = await asyncio.open_connection(host, port)
    req = (f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
           f"Content-Length: {len(body)}\r\n\r\n").encode() + body
    out = []
    for _ in range(n):
        t = perf_counter()
        writer.write(req)
        buf = b""
        first = None
        while not buf.endswith(b"\r\n0\r\n\r\n"):
            chunk = await reader.read(65536)
            if not chunk:
                raise RuntimeError("server closed")
            if first is None and b"data:" in buf + chunk:
                first = perf_counter() - t
            buf += chunk
        out.append(first or 0.0)
    writer.close()
    return statistics.median(out) * 1e3


def _median_run(runs: list[dict]) -> dict:
    """Per-key median over repeated measurements."""
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--levels", type=int, nargs="+", default=[1, 64, 512])
    ap.add_argument("--seconds", type=float, default=4.0, help="sending time per level and client")
    ap.add_argument("--tokens", type=int, default=32, help="one-token content chunks per response")
    ap.add_argument("--repeat", type=int, default=3,
                    help="measurements per client and level, alternating order; medians are reported")
    ap.add_argument("--json", default=None, help="also write the results here")
    a = ap.parse_args(argv)
    script = Script(ttft=0.0, itl=0.0, n=a.tokens, chunk=1, role=True, usage="always")
    events_per_req = a.tokens + 3  # role + tokens + usage + [DONE]
    rows = []
    with ScriptedServer() as srv:
        url = srv.url(script)
        body = json.dumps({"model": "scripted", "messages": [{"role": "user", "content": "hello"}],
                           "stream": True, "stream_options": {"include_usage": True}}).encode()
        raw = asyncio.run(raw_ttft("127.0.0.1", srv.port, script.path(), body))
        for c in a.levels:
            bs, os_ = [], []
            for k in range(a.repeat):  # alternate who goes first: the machine's load drifts
                if k % 2 == 0:
                    bs.append(asyncio.run(baseline(url, body, c, a.seconds)))
                    os_.append(asyncio.run(ours(url, c, a.seconds, events_per_req)))
                else:
                    os_.append(asyncio.run(ours(url, c, a.seconds, events_per_req)))
                    bs.append(asyncio.run(baseline(url, body, c, a.seconds)))
            b, o = _median_run(bs), _median_run(os_)
            rows.append({"parallel": c, "baseline": b, "benchgate": o, "all_baseline": bs, "all_benchgate": os_})
            print(f"c={c:4d}  baseline: {b['req_s']:8.1f} req/s {b['events_s']:9.0f} ev/s  ttft p50 "
                  f"{b['ttft_median_ms']:.2f} ms | benchgate: {o['req_s']:8.1f} req/s {o['events_s']:9.0f} ev/s  "
                  f"ttft p50 {o['ttft_median_ms']:.2f} ms  failed {o['failed']}  "
                  f"(ratio {o['events_s'] / b['events_s']:.2f})", flush=True)
            assert b["events"] == b["requests"] * events_per_req or b["requests"] == 0
    print(f"raw-socket TTFT floor (c=1): {raw:.3f} ms; client overhead on TTFT at c=1: "
          f"benchgate {rows[0]['benchgate']['ttft_median_ms'] - raw:.3f} ms, "
          f"baseline {rows[0]['baseline']['ttft_median_ms'] - raw:.3f} ms")
    if a.json:
        Path(a.json).write_text(json.dumps({"raw_ttft_ms": raw, "rows": rows, "tokens": a.tokens,
                                            "seconds": a.seconds, "time": time.ctime()}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
