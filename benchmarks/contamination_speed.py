"""Speed of the n-gram contamination scan: MB/s of corpus for a 13-gram check against full
MMLU + GSM8K (test sets: 15,361 samples, ~0.5 M distinct n-grams), one worker and N workers.

    python benchmarks/contamination_speed.py --size-mb 512 --workers 2

The corpus is generated once (seeded, English-like: words drawn from the benchmarks' own
vocabulary by frequency, ~40 words a line, so the prefilter sees realistic words) under
$TMPDIR and reused; `--corpus PATH` scans your own files instead. Reported per run: wall
seconds and MB/s, CPU seconds and MB/s of CPU (this process for 1 worker, this process and
its children for N: on a shared machine the CPU figure is the one a free core would give),
the load average before and after. The index build (benchmark side, once per check) is timed
apart.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

from benchgate.contamination.corpus import find_files, partitions
from benchgate.contamination.ngram import build_index
from benchgate.contamination.samples import all_texts, context, load_benchmarks
from benchgate.contamination.scan import Probe, scan
from benchgate.task import default_evals_dir

DATA = Path(os.environ.get("BENCHGATE_DATASET_DIR", "").split(os.pathsep)[0]
            or Path(__file__).resolve().parent.parent.parent / "shared" / "benchmarks")


def generate(path: Path, size: int, vocabulary: Counter, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    common = vocabulary.most_common(20_000)
    vocab = np.array([w.encode() for w, _ in common], dtype=object)
    p = np.array([c for _, c in common], dtype=float)
    p /= p.sum()
    written = 0
    with open(path, "wb") as f:
        while written < size:
            n = 1_000_000
            seps = np.full(n, b" ", dtype=object)
            seps[rng.integers(0, n, n // 40)] = b"\n"
            block = b"".join((vocab[rng.choice(len(vocab), n, p=p)] + seps).tolist())
            f.write(block)
            written += len(block)


def cpu_seconds(children: bool) -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    total = usage.ru_utime + usage.ru_stime
    if children:
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        total += kids.ru_utime + kids.ru_stime
    return total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size-mb", type=int, default=512)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--corpus", nargs="+", default=None, help="scan these files instead")
    ap.add_argument("--json", default=None, help="write the figures here")
    args = ap.parse_args()

    began = time.perf_counter()
    benches = load_benchmarks(["mmlu", "gsm8k"], default_evals_dir())
    samples = list(all_texts(benches, {n: context(b, (DATA,), "local") for n, b in benches.items()}))
    index, _ = build_index(samples)
    index_s = time.perf_counter() - began
    probe = Probe.of(index)
    print(f"index: {len(samples)} samples, {len(index.grams):,} distinct n-grams, {index_s:.1f} s")

    if args.corpus:
        paths = args.corpus
    else:
        path = Path(tempfile.gettempdir()) / f"benchgate-contamination-{args.size_mb}mb.txt"
        if not path.exists() or path.stat().st_size < args.size_mb << 20:
            vocabulary = Counter(w for s in samples for t in s.texts.values() for w in t.split())
            print(f"generating {args.size_mb} MB corpus at {path} ...")
            generate(path, args.size_mb << 20, vocabulary)
        paths = [str(path)]
    files, _ = find_files(paths)
    parts = partitions(files)
    size = sum(f.size for f in files)
    figures = {"corpus_mb": size / 1e6, "index_s": index_s, "distinct_ngrams": len(index.grams),
               "cpu_count": os.cpu_count(), "runs": []}
    for workers in sorted({1, args.workers}):
        load = os.getloadavg()[0]
        cpu0, t0 = cpu_seconds(workers > 1), time.perf_counter()
        result = scan(parts, probe, workers=workers)
        wall, cpu = time.perf_counter() - t0, cpu_seconds(workers > 1) - cpu0
        run = {"workers": workers, "wall_s": wall, "mb_per_s": size / 1e6 / wall, "cpu_s": cpu,
               "mb_per_cpu_s": size / 1e6 / cpu, "hits": len(result.hits),
               "load_before": load, "load_after": os.getloadavg()[0]}
        figures["runs"].append(run)
        print(f"workers={workers}: {size / 1e6:,.0f} MB in {wall:.1f} s wall = {run['mb_per_s']:.1f} MB/s; "
              f"{cpu:.1f} CPU s = {run['mb_per_cpu_s']:.1f} MB per CPU second; "
              f"load average {load:.1f} -> {run['load_after']:.1f}")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
