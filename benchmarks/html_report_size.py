"""Size and open time of `benchgate report html` for a full MMLU run (14,042 samples, dummy
model), in headless Debian chromium (file://, every other request blocked).

    python benchmarks/html_report_size.py --repeat 5 [--run OUT_DIR] [--compare]

Open time: navigation start -> the page has decoded (gzip+base64 via DecompressionStream),
parsed the JSON and rendered every section (`data-ready-ms`, performance.now() in the page),
and the wall time of page.goto + wait, median of the repeats.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _run import DATA, ROOT

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def full_run(folder: Path, seed: int) -> Path:
    cmd = [sys.executable, "-m", "pytest", str(ROOT / "evals"), "-q", "-p", "no:cacheprovider",
           "--model", "dummy", "--datasets", "mmlu", "--seed", str(seed), "--dataset-dir", str(DATA),
           "--output-dir", str(folder), "--cache-path", str(folder) + ".sqlite"]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(proc.stdout[-3000:] + proc.stderr[-3000:])
    return folder


def open_times(path: Path, repeat: int) -> tuple[list[float], list[float], list[str]]:
    from playwright.sync_api import sync_playwright

    url = path.resolve().as_uri()
    ready, wall, blocked = [], [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        for _ in range(repeat):
            context = browser.new_context()
            context.route("**/*", lambda r: r.continue_() if r.request.url == url else (blocked.append(r.request.url), r.abort()))
            page = context.new_page()
            start = time.perf_counter()
            page.goto(url)
            page.wait_for_selector("body[data-ready]", timeout=120_000)
            wall.append(time.perf_counter() - start)
            ready.append(float(page.get_attribute("body", "data-ready-ms")) / 1000)
            context.close()
        browser.close()
    return ready, wall, blocked


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", default=None, help="an existing full-MMLU output folder")
    parser.add_argument("--compare", action="store_true", help="also a --compare report against a second seed")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run = Path(args.run) if args.run else full_run(Path(tmp) / "a", 1)
        n = json.loads((run / "results.json").read_text())["timings"]["samples"]
        extra = []
        if args.compare:
            extra = ["--compare", str(full_run(Path(tmp) / "b", 2))]
        out = Path(tmp) / "report.html"
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "benchgate.cli", "report", "html", str(run), "-o", str(out), *extra],
                       cwd=ROOT, check=True, capture_output=True)
        build = time.perf_counter() - start
        size = out.stat().st_size
        ready, wall, blocked = open_times(out, args.repeat)
    print(f"{n} samples{' (compare mode)' if args.compare else ''}: report {size / 1e6:.2f} MB, "
          f"written in {build:.1f} s")
    print(f"open in headless chromium, median of {args.repeat}: ready {statistics.median(ready):.2f} s after "
          f"navigation start (goto + wait {statistics.median(wall):.2f} s); all: "
          + ", ".join(f"{r:.2f}" for r in ready))
    print(f"requests other than the file: {len(blocked)}")


if __name__ == "__main__":
    sys.exit(main())
