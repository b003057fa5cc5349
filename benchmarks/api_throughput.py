"""Throughput of OpenAIBackend.generate against a local fake OpenAI server.

    .venv/bin/python benchmarks/api_throughput.py [--json out.json]

1. zero-latency server: samples/s at concurrency 1, 8, 32, 64 (client + server CPU bound);
2. server adding a fixed 50 ms per request: measured samples/s over the ideal
   concurrency / 50 ms, at concurrency 1, 8, 32 (how much of the ideal speed-up is kept).

The server runs in a subprocess so it does not share the client's GIL: by default the bare
asyncio server of `api_fast_server.py` (cheap, so the client sets the pace); `--server aiohttp`
uses the scripted FakeOpenAIServer (`python -m benchgate.fixtures.servers`), whose own CPU per
request then shows in the figures. Both share the machine's cores with whatever else runs there.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import aiohttp

from benchgate.models.base import GenerateRequest, GenerationConfig
from benchgate.models.openai_api import OpenAIBackend


SERVERS = {"fast": [sys.executable, str(Path(__file__).with_name("api_fast_server.py"))],
           "aiohttp": [sys.executable, "-m", "benchgate.fixtures.servers"]}


@contextmanager
def fake_server(kind: str, latency: float) -> Iterator[str]:
    """Start the fake server in a subprocess; yield its base URL."""
    proc = subprocess.Popen([*SERVERS[kind], "--latency", str(latency)],
                            stdout=subprocess.PIPE, text=True)
    try:
        url = proc.stdout.readline().strip()
        if not url.startswith("http"):
            raise RuntimeError("fake server did not start")
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def rate(url: str, concurrency: int, n: int, repeats: int) -> tuple[float, float]:
    """Median samples/s of `repeats` generate() calls of `n` requests each, and the client's
    CPU time per request in microseconds (independent of how busy the machine is)."""
    backend = OpenAIBackend(url, "fake-model", {"concurrency": concurrency},
                            GenerationConfig(max_new_tokens=16))
    backend.generate([GenerateRequest("warm up")] * concurrency)
    rates, cpu = [], []
    for r in range(repeats):
        reqs = [GenerateRequest(f"prompt {r} {i}") for i in range(n)]
        t0, c0 = time.perf_counter(), time.process_time()
        backend.generate(reqs)
        rates.append(n / (time.perf_counter() - t0))
        cpu.append((time.process_time() - c0) / n * 1e6)
    return statistics.median(rates), statistics.median(cpu)


def raw_rate(url: str, concurrency: int, n: int, repeats: int) -> float:
    """Median samples/s of bare aiohttp (same pool and semaphore, no backend): the baseline
    that shows how much of a shortfall is the machine's rather than OpenAIBackend's."""
    async def run(tag: int) -> float:
        sem = asyncio.Semaphore(concurrency)
        connector = aiohttp.TCPConnector(limit=concurrency)
        async with aiohttp.ClientSession(connector=connector) as session:
            async def one(i: int) -> None:
                async with sem:
                    body = {"model": "fake-model", "max_tokens": 16,
                            "messages": [{"role": "user", "content": f"raw {tag} {i}"}]}
                    async with session.post(url + "/chat/completions", json=body) as resp:
                        json.loads(await resp.read())

            t0 = time.perf_counter()
            await asyncio.gather(*(one(i) for i in range(n)))
            return n / (time.perf_counter() - t0)

    return statistics.median(asyncio.run(run(r)) for r in range(repeats))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--server", choices=sorted(SERVERS), default="fast")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    out: dict = {"server": args.server, "cpus": os.cpu_count(), "load_avg_1m": os.getloadavg()[0],
                 "zero_latency": {}, "latency_50ms": {}}

    with fake_server(args.server, 0.0) as url:
        for c in (1, 8, 32, 64):
            n = 500 if c == 1 else 2000
            r, us = rate(url, c, n, args.repeats)
            raw = raw_rate(url, c, n, args.repeats)
            out["zero_latency"][c] = {"samples_per_s": r, "client_cpu_us_per_request": us,
                                      "raw_aiohttp_samples_per_s": raw}
            print(f"zero latency   concurrency {c:3d}: {r:8.0f} samples/s "
                  f"(client CPU {us:.0f} us/request; bare aiohttp {raw:.0f})", flush=True)

    with fake_server(args.server, 0.05) as url:
        base = None
        for c in (1, 8, 32):
            r, us = rate(url, c, 40 * c, args.repeats)
            raw = raw_rate(url, c, 40 * c, args.repeats)
            base = base or r
            ideal = c / 0.05
            out["latency_50ms"][c] = {"samples_per_s": r, "ideal": ideal, "fraction": r / ideal,
                                      "speedup_fraction_vs_c1": r / (c * base),
                                      "client_cpu_us_per_request": us,
                                      "raw_aiohttp_samples_per_s": raw}
            print(f"50 ms latency  concurrency {c:3d}: {r:8.1f} samples/s "
                  f"(ideal {ideal:.0f}: {100 * r / ideal:.1f}%; "
                  f"speed-up {r / base:.2f}x = {100 * r / (c * base):.1f}% of {c}x; "
                  f"client CPU {us:.0f} us/request; bare aiohttp {raw:.1f} = "
                  f"{100 * raw / ideal:.1f}%)", flush=True)

    out["load_avg_1m_after"] = os.getloadavg()[0]
    print(f"load average (1 min) before/after: {out['load_avg_1m']:.2f}/"
          f"{out['load_avg_1m_after']:.2f} on {out['cpus']} CPUs")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=2)


if __name__ == "__main__":
    main()
