"""The n-gram overlap check: benchmark samples against a corpus, as contamination.json says
it (docs/contamination.md, "N-gram overlap against a corpus")."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Callable, Iterable

from benchgate.contamination.corpus import (CHUNK_BYTES, DEFAULT_TEXT_FIELDS, PARTITION_BYTES,
                                            CorpusFile, find_files, partitions)
from benchgate.contamination.index import DEFAULT_MAX_SHARED, DEFAULT_MIN_WORDS, DEFAULT_N, NgramIndex, Text
from benchgate.contamination.samples import SampleTexts
from benchgate.contamination.scan import Probe, ScanResult, scan

NORMALISATION = ("lm-evaluation-harness decontamination (lm_eval/decontamination/janitor.py): ASCII "
                 "letters lowercased, ASCII punctuation (string.punctuation) deleted, words split on "
                 "whitespace (str.split), n-grams of consecutive words")


def rule(n: int, min_words: int, max_shared: int = DEFAULT_MAX_SHARED) -> str:
    """The flagging rule in words (written to contamination.json)."""
    short = (f"a text of {min_words} to {n - 1} words counts as one n-gram of all its words (GPT-3: "
             f"'or that overlap with the whole example when it is shorter than 13-grams'); "
             if min_words < n else "")
    shared = (f"an n-gram that more than {max_shared} samples of the same benchmark have is template "
              f"text (e.g. MMLU moral_scenarios' preamble) and does not count; " if max_shared else "")
    return (f"a sample is flagged when any word {n}-gram of its question or of its answer occurs in "
            f"the corpus (GPT-3's 13-gram rule, Brown et al. 2020, appendix C, with n={n}); {short}"
            f"a text of fewer than {min(min_words, n)} words is not checked (never flagged); {shared}"
            f"normalisation: {NORMALISATION}")


def build_index(samples: Iterable[SampleTexts], n: int = DEFAULT_N,
                min_words: int = DEFAULT_MIN_WORDS) -> tuple[NgramIndex, dict[str, list[str]]]:
    """The index of every sample's texts, and {benchmark: sample ids in order}."""
    index = NgramIndex(n=n, min_words=min_words)
    ids: dict[str, list[str]] = {}
    for s in samples:
        ids.setdefault(s.benchmark, []).append(s.sample_id)
        for part, text in s.texts.items():
            index.add(s.benchmark, s.sample_id, part, text)
    return index.build(), ids


def matched_grams(index: NgramIndex, result: ScanResult) -> dict[int, dict[int, int]]:
    """{gram id: {corpus file index: occurrences}} of the benchmark n-grams found in the corpus
    (candidates confirmed on their text: hash collisions flag nothing)."""
    out: dict[int, dict[int, int]] = {}
    for text, files in result.hits.items():
        try:
            gid = index.grams.get(text.decode("utf-8", "surrogatepass"))
        except UnicodeDecodeError:  # not UTF-8: cannot equal a benchmark text
            continue
        if gid is not None:
            out[gid] = dict(files)
    return out


def _counting(index: NgramIndex, text: Text, max_shared: int) -> list[int]:
    """The positions' n-grams of a text that count (not template text shared by many samples)."""
    if not max_shared:
        return text.grams
    return [g for g in text.grams if index.shared(text.benchmark, g) <= max_shared]


def _overlap(text: Text, counting: list[int], matched: dict[int, dict[int, int]],
             files: list[CorpusFile]) -> dict:
    hit = [g for g in counting if g in matched]
    where = sorted({f for g in hit for f in matched[g]})
    return {"words": text.n_words, "ngrams": len(text.grams), "template_ngrams": len(text.grams) - len(counting),
            "matched": len(hit), "fraction": len(hit) / len(text.grams) if text.grams else 0.0,
            "corpus_files": [files[f].path for f in where]}


def overlaps(index: NgramIndex, ids: dict[str, list[str]], matched: dict[int, dict[int, int]],
             files: list[CorpusFile], max_shared: int = DEFAULT_MAX_SHARED) -> dict[str, dict]:
    """Per benchmark: samples, texts checked and too short per part, the flagged samples with
    their overlap per part (matched n-grams, their count and share, corpus files)."""
    by_sample: dict[str, dict[str, Text]] = {}
    for text in index.texts:
        by_sample.setdefault(text.sample_id, {})[text.part] = text
    out: dict[str, dict] = {}
    for bench, sample_ids in ids.items():
        checked: dict[str, int] = {}
        short: dict[str, int] = {}
        flagged = []
        for sid in sample_ids:
            parts = by_sample.get(sid, {})
            for part, text in parts.items():
                (checked if text.checked else short)[part] = (checked if text.checked else short).get(part, 0) + 1
            hits = {}
            for part, t in parts.items():
                counting = _counting(index, t, max_shared)
                if any(g in matched for g in counting):
                    hits[part] = _overlap(t, counting, matched, files)
            if hits:
                flagged.append({"id": sid, **hits})
        out[bench] = {"samples": len(sample_ids), "checked": checked, "too_short": short,
                      "flagged_count": len(flagged),
                      "flagged_share": len(flagged) / len(sample_ids) if sample_ids else 0.0,
                      "flagged": flagged}
    return out


def flagged_ids(report: dict) -> set[str]:
    """Every flagged sample id of a contamination report."""
    return {f["id"] for b in report["benchmarks"].values() for f in b["flagged"]}


def check(samples: Iterable[SampleTexts], corpus: list[str | Path], *, n: int = DEFAULT_N,
          min_words: int = DEFAULT_MIN_WORDS, max_shared: int = DEFAULT_MAX_SHARED, workers: int = 1,
          text_fields: tuple[str, ...] = DEFAULT_TEXT_FIELDS, chunk_bytes: int = CHUNK_BYTES,
          partition_bytes: int = PARTITION_BYTES,
          run_scan: Callable[..., ScanResult] | None = None,
          progress: Callable[[ScanResult, int, int], None] | None = None) -> dict:
    """The whole check; returns the contamination.json document. `run_scan(parts, probe,
    text_fields=, chunk_bytes=)` replaces the local scan (the Dask job)."""
    if n < 1:
        raise ValueError(f"--n must be >= 1, got {n}")
    if min_words < 1:
        raise ValueError(f"--min-words must be >= 1, got {min_words}")
    if max_shared < 0:
        raise ValueError(f"--max-shared must be >= 0, got {max_shared}")
    files, ignored = find_files(list(corpus))
    parts = partitions(files, partition_bytes)
    began = time.perf_counter()
    index, ids = build_index(samples, n, min_words)
    index_s = time.perf_counter() - began
    probe = Probe.of(index)
    began = time.perf_counter()
    if run_scan is None:
        result = scan(parts, probe, workers=workers, text_fields=text_fields,
                      chunk_bytes=chunk_bytes, progress=progress)
    else:
        result = run_scan(parts, probe, text_fields=text_fields, chunk_bytes=chunk_bytes)
    scan_s = time.perf_counter() - began
    matched = matched_grams(index, result)
    total = sum(f.size for f in files)
    return {
        "n": n, "min_words": min_words, "max_shared": max_shared, "rule": rule(n, min_words, max_shared),
        "normalisation": NORMALISATION,
        "corpus": {"files": [f.path for f in files], "bytes": total, "ignored": ignored,
                   "text_fields": list(text_fields), "partitions": len(parts)},
        "benchmark_ngrams": len(index.grams),
        "matched_ngrams": len(matched),
        "timings": {"index_s": index_s, "scan_s": scan_s, "workers": workers,
                    "mb_per_s": total / 1e6 / scan_s if scan_s > 0 else None},
        "benchmarks": overlaps(index, ids, matched, files, max_shared),
    }
