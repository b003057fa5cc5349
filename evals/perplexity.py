"""Perplexity of the user's own text, as lm-evaluation-harness' wikitext-style tasks.

Data: dataset arg `path` (a .txt file, a folder of *.txt files, or a list of these), else
`<dataset-dir>/perplexity/*.txt` (with neither, a DataError says what to pass); each file is a
subset named after its stem. Dataset arg `unit`: "file" (default: the whole file, UTF-8, is one
document, as wikitext's one document per article) or "paragraph" (each blank-line-separated
block is a document; its index is its position in the file and its source the line it starts
on).

Each document is one RollingLoglikelihoodRequest (summed natural-log probability of every token,
disjoint windows, lm-eval `loglikelihood_rolling`). Per-sample components `_logprob`, `_words`
(lm-eval: `len(re.split(r"\\s+", doc))`) and `_bytes` (UTF-8 bytes) are pooled by
`corpus_metrics` into `word_perplexity` (primary), `byte_perplexity` and `bits_per_byte`
(benchgate.metrics.perplexity; lower is better) for every subset, category and the benchmark.
There is no oracle check: no output is "correct"; the oracle's logprob 0 (probability 1)
gives perplexity 1 and bits_per_byte 0, the lower bound.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

from benchgate.argspec import Arg
from benchgate.benchmark import Benchmark, DataError, RunContext, Sample, Scored
from benchgate.data.files import find_dataset_folder, to_samples
from benchgate.metrics.perplexity import bits_per_byte, count_bytes, count_words, weighted_perplexity
from benchgate.models.base import RollingLoglikelihoodRequest

UNITS = ("file", "paragraph")


def read_documents(path: Path, unit: str):
    """Rows (index, {"text"} | DataError, "file:line") of one text file."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        yield 0, DataError(f"{path}:{line}: not valid UTF-8 ({e.reason} at byte {e.start})"), f"{path}:{line}"
        return
    text = text.replace("\r\n", "\n")
    if unit == "file":
        yield 0, {"text": text}, f"{path}:1"
        return
    index, block, first = 0, [], 0
    for line_no, line in enumerate(text.split("\n") + [""], start=1):
        if line.strip():
            if not block:
                first = line_no
            block.append(line)
        elif block:
            yield index, {"text": "\n".join(block)}, f"{path}:{first}"
            index, block = index + 1, []


def _convert(row: dict) -> tuple[dict, None]:
    text = row["text"]
    if not text.strip():
        raise ValueError("empty document")
    return {"text": text, "words": count_words(text), "bytes": count_bytes(text)}, None


class Perplexity(Benchmark):
    name = "perplexity"
    modes = ("loglikelihood_rolling",)
    primary_metric = "word_perplexity"
    lower_is_better = ("word_perplexity", "byte_perplexity", "bits_per_byte")
    default_args = {"path": Arg(None, str, each=True, help="text file(s) or folder(s) of *.txt"),
                    "unit": Arg("file", str, choices=UNITS, help="a document is a file or a paragraph")}

    def effective_args(self, user_args):
        args = super().effective_args(user_args)
        if args["few_shot_num"]:
            raise ValueError("--dataset-args: perplexity has no shots (few_shot_num must be 0)")
        return args

    def _files(self, ctx: RunContext) -> dict[str, Path]:
        paths = ctx.args["path"]
        if not paths:
            folder = find_dataset_folder(ctx, "perplexity")
            if folder is None or not folder.is_dir():
                raise DataError("perplexity: no data: pass --dataset-args "
                                "'{\"perplexity\": {\"path\": \"corpus.txt\"}}' or put *.txt files in "
                                "<dataset-dir>/perplexity/")
            paths = [folder]
        files: dict[str, Path] = {}
        for entry in [paths] if isinstance(paths, str) else list(paths):
            p = Path(entry).expanduser()
            if p.is_dir():
                found = sorted(p.glob("*.txt"))
                if not found:
                    raise DataError(f"perplexity: no *.txt files in {p}")
            elif p.is_file():
                found = [p]
            else:
                raise DataError(f"perplexity: path {p} not found")
            for f in found:
                if f.stem in files and files[f.stem] != f:
                    raise DataError(f"perplexity: two files named {f.stem!r} ({files[f.stem]}, {f})")
                files[f.stem] = f
        return files

    def subsets(self, ctx: RunContext) -> list[str]:
        return list(self._files(ctx))

    def load(self, ctx: RunContext, subset: str) -> list[Sample]:
        path = self._files(ctx)[subset]
        return to_samples(self.name, subset, read_documents(path, ctx.args["unit"]), _convert)

    def requests(self, ctx: RunContext, sample: Sample):
        return [RollingLoglikelihoodRequest(sample.data["text"], oracle=0.0)]

    def score(self, ctx: RunContext, sample: Sample, outputs) -> Scored:
        logprob = float(outputs[0])
        return Scored(logprob, {"_logprob": logprob, "_words": sample.data["words"],
                                "_bytes": sample.data["bytes"]})

    def corpus_metrics(self, scores: Sequence[dict[str, float]]) -> dict[str, float]:
        rows = [s for s in scores if "_logprob" in s]
        if not rows:
            return {}
        lp = [s["_logprob"] for s in rows]
        words = [int(s["_words"]) for s in rows]
        nbytes = [int(s["_bytes"]) for s in rows]
        return {"word_perplexity": weighted_perplexity(zip(lp, words)),
                "byte_perplexity": weighted_perplexity(zip(lp, nbytes)),
                "bits_per_byte": bits_per_byte(zip(lp, nbytes))}


BENCHMARK = Perplexity()
