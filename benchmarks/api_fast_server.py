"""A minimal, cheap OpenAI-style HTTP/1.1 server for client throughput benchmarks.

Answers every POST with one fixed chat/completions JSON body after `--latency` seconds, on
keep-alive connections, using a bare asyncio.Protocol (an order of magnitude less CPU per request
than aiohttp.web), so that the client under test, not the server, sets the pace.

    python benchmarks/api_fast_server.py --latency 0.05   # prints its base URL
"""
from __future__ import annotations

import argparse
import asyncio
import json
import signal

BODY = json.dumps({
    "id": "cmpl-bench", "object": "chat.completion", "model": "fake-model",
    "choices": [{"index": 0, "finish_reason": "stop", "text": "benchmark answer",
                 "message": {"role": "assistant", "content": "benchmark answer"}}],
    "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}}).encode()
RESPONSE = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
            + str(len(BODY)).encode() + b"\r\n\r\n" + BODY)


class _Http(asyncio.Protocol):
    """Parses pipelined requests by Content-Length and answers each after `latency`."""

    def __init__(self, latency: float):
        self.latency = latency
        self.buf = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while True:
            head_end = self.buf.find(b"\r\n\r\n")
            if head_end < 0:
                return
            length = 0
            for line in self.buf[:head_end].split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            end = head_end + 4 + length
            if len(self.buf) < end:
                return
            self.buf = self.buf[end:]
            if self.latency:
                asyncio.get_running_loop().call_later(self.latency, self._reply)
            else:
                self._reply()

    def _reply(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(RESPONSE)


async def serve(port: int, latency: float) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: _Http(latency), "127.0.0.1", port, backlog=1024)
    print(f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/v1", flush=True)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0)
    args = parser.parse_args()
    asyncio.run(serve(args.port, args.latency))


if __name__ == "__main__":
    main()
