"""`benchgate contamination ngram`: n-gram overlap of benchmark samples with a corpus,
written to OUT/contamination.json with a console table (docs/contamination.md)."""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from benchgate.contamination.corpus import DEFAULT_TEXT_FIELDS, PARTITION_BYTES, CorpusError
from benchgate.contamination.index import DEFAULT_MAX_SHARED, DEFAULT_MIN_WORDS, DEFAULT_N
from benchgate.contamination.ngram import check
from benchgate.contamination.samples import BenchmarkError, all_texts, context, load_benchmarks
from benchgate.task import default_evals_dir
from benchgate.usage import FAILED, USAGE_ERROR, whole_number

REPORT = "contamination.json"


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a share between 0 and 1, got {text!r}") from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {value}")
    return value


def add_ngram(sub) -> None:
    """Register `ngram` on the `benchgate contamination` subparsers."""
    p = sub.add_parser("ngram", help="word n-gram overlap of benchmark samples with a corpus "
                                     "(GPT-3's 13-gram rule, lm-eval's normalisation)",
                       description=__doc__)
    p.add_argument("--corpus", nargs="+", required=True, metavar="PATH",
                   help="corpus files and folders (.txt, .jsonl, either .gz; folders searched recursively)")
    p.add_argument("--datasets", nargs="+", required=True, metavar="NAME",
                   help="benchmarks to check, separated by spaces or commas (evals/<name>.py)")
    p.add_argument("--dataset-dir", nargs="+", action="extend", default=None, metavar="DIR",
                   help="folders holding <benchmark>/ data folders, searched in order (env "
                        f"BENCHGATE_DATASET_DIR, separated by '{os.pathsep}')")
    p.add_argument("--dataset-hub", choices=("modelscope", "huggingface", "local"), default=None,
                   help="where datasets come from (default: local when --dataset-dir is given)")
    p.add_argument("--dataset-args", default=None,
                   help='JSON per dataset, as pytest\'s option (e.g. \'{"mmlu": {"subset_list": "anatomy"}}\')')
    p.add_argument("--n", type=whole_number, default=DEFAULT_N, help=f"words per n-gram (default {DEFAULT_N})")
    p.add_argument("--min-words", type=whole_number, default=DEFAULT_MIN_WORDS,
                   help="texts of min-words to n-1 words are checked whole (GPT-3); shorter ones "
                        f"are not checked (default {DEFAULT_MIN_WORDS}; --min-words N: lm-eval's "
                        "rule, texts shorter than n never match)")
    p.add_argument("--max-shared", type=int, default=DEFAULT_MAX_SHARED, metavar="K",
                   help="an n-gram that more than K samples of one benchmark share is template "
                        f"text and does not flag (default {DEFAULT_MAX_SHARED}; 0: every n-gram counts, "
                        "GPT-3's plain rule)")
    p.add_argument("--text-field", nargs="+", default=list(DEFAULT_TEXT_FIELDS), metavar="KEY",
                   help="the .jsonl keys read as documents, each its own document (default: text)")
    p.add_argument("--workers", type=whole_number, default=1, help="processes scanning the corpus (default 1)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="run the scan on a Dask cluster (pip install 'benchgate[dask]'): a "
                        "scheduler address such as tcp://HOST:8786, or 'local' for a "
                        "LocalCluster of --workers processes")
    p.add_argument("--partition-mb", type=whole_number, default=PARTITION_BYTES >> 20,
                   help=f"corpus partition size, the unit of parallel work (default {PARTITION_BYTES >> 20})")
    p.add_argument("--max-flagged-share", type=_share, default=None, metavar="F",
                   help="exit 1 when a benchmark has more than this share of its samples flagged")
    p.add_argument("--output-dir", required=True, help=f"where {REPORT} is written")


def run_ngram(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Run the check; usage errors (bad paths, names, records) exit 4 naming the option or file."""
    def usage(message: str) -> None:
        parser.exit(USAGE_ERROR, f"benchgate contamination ngram: error: {message}\n")

    names = [n.strip() for v in args.datasets for n in v.split(",") if n.strip()]
    dirs = _dataset_dirs(args.dataset_dir, usage)
    hub = args.dataset_hub or ("local" if dirs else "modelscope")
    dataset_args = {}
    if args.dataset_args:
        try:
            dataset_args = json.loads(args.dataset_args)
        except ValueError as e:
            usage(f"--dataset-args: invalid JSON: {e}")
        if not isinstance(dataset_args, dict) or not all(isinstance(v, dict) for v in dataset_args.values()):
            usage("--dataset-args: expected a JSON object of objects, one per dataset")
    out = Path(args.output_dir)
    if out.exists() and not out.is_dir():
        usage(f"--output-dir {out}: not a directory")
    run_scan = None
    if args.scheduler:
        try:
            from benchgate.contamination.distributed import dask_scan
        except ImportError as e:
            usage(f"--scheduler needs Dask's distributed scheduler: pip install 'benchgate[dask]' ({e})")
        run_scan = dask_scan(args.scheduler, workers=args.workers)
    try:
        benches = load_benchmarks(names, default_evals_dir())
        contexts = {n: context(b, dirs, hub, dataset_args.get(n)) for n, b in benches.items()}
        report = check(all_texts(benches, contexts), args.corpus, n=args.n, min_words=args.min_words,
                       max_shared=args.max_shared, workers=args.workers,
                       text_fields=tuple(args.text_field), partition_bytes=args.partition_mb << 20,
                       run_scan=run_scan, progress=_progress if sys.stderr.isatty() else None)
    except (CorpusError, BenchmarkError, ValueError) as e:
        usage(str(e))
    report["datasets"] = names
    path = write_report(out, report)
    for line in table_lines(report):
        print(line)
    print(f"contamination report: {path}")
    if args.max_flagged_share is not None:
        over = [b for b, e in report["benchmarks"].items() if e["flagged_share"] > args.max_flagged_share]
        for bench in over:
            share = report["benchmarks"][bench]["flagged_share"]
            print(f"FAILED: {bench}: {share:.2%} of its samples flagged > --max-flagged-share "
                  f"{args.max_flagged_share:.2%}")
        if over:
            return FAILED
    return 0


def _dataset_dirs(values: list[str] | None, usage) -> tuple[Path, ...]:
    if values is None:
        env = os.environ.get("BENCHGATE_DATASET_DIR")
        values = [v for v in env.split(os.pathsep) if v] if env else []
    for value in values:
        if not Path(value).is_dir():
            usage(f"--dataset-dir {value}: not a directory")
    return tuple(Path(v).resolve() for v in values)


def _progress(result, done: int, total: int) -> None:
    sys.stderr.write(f"\rscanned {done}/{total} partitions, {result.bytes / 1e6:,.0f} MB")
    if done == total:
        sys.stderr.write("\n")


def write_report(out: Path, report: dict) -> Path:
    """OUT/contamination.json, written through a temporary file (never half a file)."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / REPORT
    tmp = out / f".{REPORT}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def table_lines(report: dict) -> list[str]:
    """The console table: per benchmark, samples, texts checked, flagged samples and share."""
    header = ("benchmark", "samples", "questions checked", "answers checked", "flagged", "share",
              "max overlap")
    rows = []
    for bench, e in report["benchmarks"].items():
        top = max((part["fraction"] for f in e["flagged"] for k, part in f.items() if k != "id"),
                  default=None)
        rows.append((bench, str(e["samples"]), str(e["checked"].get("question", 0)),
                     str(e["checked"].get("answer", 0)), str(e["flagged_count"]),
                     f"{e['flagged_share']:.2%}", "-" if top is None else f"{top:.0%}"))
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in [header, *rows]]
    t = report["timings"]
    lines.insert(1, "-" * len(lines[0]))
    n, least = report["n"], report["min_words"]
    short = (f"texts of {least}-{n - 1} words whole, shorter ones unchecked" if least < n
             else f"texts shorter than {n} words unchecked")
    lines.append(f"rule: any {n}-gram of the question or answer in the corpus ({short}); corpus: "
                 f"{len(report['corpus']['files'])} file(s), {report['corpus']['bytes'] / 1e6:,.1f} MB "
                 f"scanned in {t['scan_s']:.1f} s")
    return lines
