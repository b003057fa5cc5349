"""Progress lines of a prediction pass: content (rate, ETA) and timing, from the timer thread."""
import re
import threading
import time

import pytest

from benchgate.prediction.progress import PassProgress, ProgressSettings, progress_line


def test_progress_line_rate_and_eta_hand_computed():
    # 12 of 48 requests in 30 s: 0.40 req/s, 36 left -> 90 s = 1 min 30 s
    assert progress_line("ifeval/default#0", 12, 48, 30.0) == \
        "benchgate: ifeval/default#0: 12/48 requests (25%), 0.40 req/s, ETA 1 min 30 s"
    assert progress_line("x", 0, 10, 12.2, prefix="[gw1] ") == \
        "[gw1] benchgate: x: 0/10 requests (0%), waiting for the first answer (12 s so far)"
    assert progress_line("x", 10, 10, 4.0, final=True) == "benchgate: x: 10/10 requests (100%) in 4 s, 2.50 req/s"
    assert progress_line("x", 1, 7201, 1.0).endswith("ETA 2 h 00 min")


def _record():
    lines: list[tuple[float, str]] = []
    lock = threading.Lock()

    def write(line: str) -> None:
        with lock:
            lines.append((time.monotonic(), line))

    return lines, write


@pytest.mark.timing
def test_lines_come_every_interval_even_when_nothing_finishes():
    lines, write = _record()
    start = time.monotonic()
    with PassProgress("slow/main#0", 3, ProgressSettings(interval=0.5, write=write, bar=False)) as p:
        time.sleep(1.7)  # the model answers nothing for a while
        p.update(3)
    texts = [t for _, t in lines]
    assert len(texts) >= 3 + 1, texts  # 0.5, 1.0, 1.5 s, then the closing line
    assert all("0/3 requests" in t and "waiting for the first answer" in t for t in texts[:3])
    assert re.match(r"benchgate: slow/main#0: 3/3 requests \(100%\) in [23] s, [\d.]+ req/s$", texts[-1])
    gaps = [b - a for (a, _), (b, _) in zip([(start, "")] + lines, lines[:3])]
    assert all(g < 0.5 + 0.4 for g in gaps), gaps  # one interval, plus scheduling on a busy machine


def test_a_fast_pass_prints_nothing_and_zero_interval_means_no_lines():
    lines, write = _record()
    with PassProgress("fast", 5, ProgressSettings(interval=5.0, write=write, bar=False)) as p:
        p.update(5)
    with PassProgress("off", 5, ProgressSettings(interval=0, write=write, bar=False)) as p:
        time.sleep(0.2)
        p.update(5)
    assert lines == []


def test_updates_from_many_threads_are_counted_and_a_bar_does_not_stop_the_lines():
    lines, write = _record()
    with PassProgress("threads", 400, ProgressSettings(interval=0.1, write=write, bar=True)) as p:
        workers = [threading.Thread(target=lambda: [p.update(1) for _ in range(100)]) for _ in range(4)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        time.sleep(0.25)
    assert p.done == 400
    assert lines and lines[-1][1].startswith("benchgate: threads: 400/400 requests (100%)")
