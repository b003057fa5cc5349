"""Progress of one batched prediction pass (a group's requests), on any console.

A pass can take minutes before its group's tests report, so while it runs:
- a line every `interval` seconds (default 10), TTY or not: group, done/total requests,
  rate and ETA, e.g. ``benchgate: ifeval/default#0: 12/55 requests (22%), 1.2 req/s, ETA 36 s``,
  and a closing line when a pass that printed one ends;
- on a TTY, a tqdm bar as well (not under xdist: several workers' bars on one terminal garble).
The lines come from a timer thread, so a model that answers nothing for a while still shows
that it is being waited for. Where the lines go is the caller's `write` (the pytest terminal,
or stderr; an xdist worker writes to its stderr, which is the controller's: see
docs/scale-out.md).
"""
from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass
from typing import Callable

from tqdm import tqdm

DEFAULT_INTERVAL = 10.0


def _stderr_line(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def _bar_shown(bar: bool | None) -> bool:
    """`bar`, or where None whether stderr is a terminal (as tqdm's `disable=None` decides)."""
    if bar is not None:
        return bar
    isatty = getattr(sys.stderr, "isatty", None)
    try:
        return isatty is not None and bool(isatty())
    except (OSError, ValueError):  # a closed stream
        return False


@dataclass(frozen=True)
class ProgressSettings:
    """How a predictor shows its passes: `interval` seconds between lines (0: no lines),
    `write(line)` prints one line, `bar` draws tqdm (None: on a TTY), `prefix` starts each line
    (an xdist worker's id)."""

    interval: float = DEFAULT_INTERVAL
    write: Callable[[str], None] = _stderr_line
    bar: bool | None = None
    prefix: str = ""


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def progress_line(label: str, done: int, total: int, elapsed: float, prefix: str = "",
                  final: bool = False) -> str:
    """One progress line (rate and ETA from the requests done so far)."""
    rate = done / elapsed if elapsed > 0 else 0.0
    share = f" ({100 * done // total}%)" if total else ""
    head = f"{prefix}benchgate: {label}: {done}/{total} requests{share}"
    if final:
        return f"{head} in {_duration(elapsed)}, {rate:.2f} req/s"
    if done == 0:
        return f"{head}, waiting for the first answer ({_duration(elapsed)} so far)"
    return f"{head}, {rate:.2f} req/s, ETA {_duration((total - done) / rate)}"


class PassProgress:
    """Context manager around one pass; `update(n)` (thread-safe) as n requests finish."""

    def __init__(self, label: str, total: int, settings: ProgressSettings | None = None):
        self.label = label
        self.total = total
        self.settings = settings or ProgressSettings()
        self.done = 0
        self.lines = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._bar: tqdm | None = None
        self._start = 0.0

    def __enter__(self) -> "PassProgress":
        self._start = time.monotonic()
        if _bar_shown(self.settings.bar):  # no tqdm at all otherwise: its first costs ~20 ms (a lock)
            self._bar = tqdm(total=self.total, desc=self.label, unit="req", leave=False, mininterval=0.5)
        if self.settings.interval > 0:
            self._thread = threading.Thread(target=self._tick, name="benchgate-progress", daemon=True)
            self._thread.start()
        return self

    def update(self, n: int) -> None:
        with self._lock:
            self.done += n
            if self._bar is not None:
                self._bar.update(n)

    def _tick(self) -> None:
        while not self._stop.wait(self.settings.interval):
            self._emit(final=False)

    def _emit(self, final: bool) -> None:
        with self._lock:
            line = progress_line(self.label, self.done, self.total, time.monotonic() - self._start,
                                 self.settings.prefix, final)
            try:
                if self._bar is not None and not self._bar.disable:
                    with self._bar.external_write_mode():
                        self.settings.write(line)
                else:
                    self.settings.write(line)
            except (OSError, ValueError):  # a closed console: progress is not worth a failure
                return
            self.lines += 1

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self.lines:  # a pass that reported progress says when it ended
            self._emit(final=True)
        if self._bar is not None:
            self._bar.close()
