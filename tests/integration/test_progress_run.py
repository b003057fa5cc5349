"""A run whose model is slow shows its progress while the group is predicted, on a console that
is not a TTY (a pipe), without and with xdist: the test is about the process's console, so it
runs one. The model is a real HTTP server on 127.0.0.1 answering each request after 1 s."""
import os
import re
import subprocess
import sys
import time

import pytest

from benchgate.fixtures.servers import FakeOpenAIServer
from tests.conftest import ROOT

pytestmark = pytest.mark.slow

LINE = re.compile(r"(\[gw\d\] )?benchgate: gsm8k/main#(\d): (\d+)/(\d+) requests")


def _run_piped(server, tmp_path, data_dir, benchgate_home, *args) -> list[tuple[float, str]]:
    cmd = [sys.executable, "-m", "pytest", str(ROOT / "evals"), "-q", "-p", "no:cacheprovider",
           "--dataset-dir", str(data_dir), "--output-dir", str(tmp_path / "out"),
           "--cache-path", str(tmp_path / "cache.sqlite"), "--api-url", server.base_url,
           "--model", "fake-model", "--datasets", "gsm8k", "--model-args", "concurrency=1",
           "--progress-interval", "2", *args]
    env = {**os.environ, "BENCHGATE_HOME": str(benchgate_home)}
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, bufsize=1, env=env)
    lines = [(time.monotonic(), line.rstrip("\n")) for line in proc.stdout]
    assert proc.wait(timeout=300) == 0, "\n".join(t for _, t in lines)
    return lines


@pytest.mark.timing
def test_a_slow_model_prints_progress_within_the_interval_on_a_pipe(tmp_path, data_dir, benchgate_home):
    server = FakeOpenAIServer(latency=1.0).start()
    try:
        lines = _run_piped(server, tmp_path, data_dir, benchgate_home, "--limit", "5")
        first_request = min(t for times in server.attempts.values() for t in times)
    finally:
        server.stop()
    progress = [(t, m) for t, text in lines if (m := LINE.search(text))]
    assert progress, "\n".join(t for _, t in lines)
    # the first line comes one interval (2 s) after the pass began, not when it ends (5 s)
    assert progress[0][0] - first_request < 2 + 1.0
    times = [t for t, _ in progress]
    assert all(b - a < 2 + 1.0 for a, b in zip(times, times[1:]))
    done = [int(m.group(3)) for _, m in progress]
    assert done == sorted(done) and done[0] < 5 and done[-1] == 5
    assert all(int(m.group(4)) == 5 for _, m in progress)
    text = "\n".join(t for _, t in lines)
    assert re.search(r"benchgate: gsm8k/main#0: \d/5 requests \(\d+%\), [\d.]+ req/s, ETA \d+ s", text)


def test_xdist_workers_progress_reaches_the_console(tmp_path, data_dir, benchgate_home):
    server = FakeOpenAIServer(latency=1.0).start()
    try:
        lines = _run_piped(server, tmp_path, data_dir, benchgate_home, "--limit", "8",
                           "--group-size", "4", "-n", "2")
    finally:
        server.stop()
    workers = {m.group(1) for _, text in lines if (m := LINE.search(text)) and m.group(1)}
    groups = {m.group(2) for _, text in lines if (m := LINE.search(text))}
    assert workers == {"[gw0] ", "[gw1] "} and groups == {"0", "1"}, "\n".join(t for _, t in lines)


def test_on_a_tty_a_tqdm_bar_and_the_lines_share_the_terminal(tmp_path, data_dir, benchgate_home):
    """A pseudo-terminal of 120 columns: the bar is drawn (and cleared for each line, so the
    lines stay whole)."""
    import fcntl
    import pty
    import select
    import struct
    import termios

    server = FakeOpenAIServer(latency=0.5).start()
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 120, 0, 0))
    cmd = [sys.executable, "-m", "pytest", str(ROOT / "evals"), "-q", "-p", "no:cacheprovider",
           "--dataset-dir", str(data_dir), "--output-dir", str(tmp_path / "out"),
           "--cache-path", str(tmp_path / "cache.sqlite"), "--api-url", server.base_url,
           "--model", "fake-model", "--datasets", "gsm8k", "--model-args", "concurrency=1",
           "--limit", "6", "--progress-interval", "1"]
    try:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdin=slave, stdout=slave, stderr=slave,
                                env={**os.environ, "BENCHGATE_HOME": str(benchgate_home)})
        os.close(slave)
        out = b""
        while True:
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    data = os.read(master, 65536)
                except OSError:  # the terminal closed: the run ended
                    break
                if not data:
                    break
                out += data
            elif proc.poll() is not None:
                break
        assert proc.wait(timeout=120) == 0
    finally:
        os.close(master)
        server.stop()
    text = out.decode(errors="replace")
    assert re.search(r"\rgsm8k/main#0:\s+\d+%\|.*\| \d/6 \[", text), text[:2000]  # the tqdm bar
    lines = [line.strip("\r") for line in text.split("\n")]
    assert any(re.fullmatch(r"\s*\r?benchgate: gsm8k/main#0: \d/6 requests \(\d+%\), [\d.]+ req/s, ETA \d+ s\s*",
                            line.split("\r")[-1]) for line in lines), text[:2000]
