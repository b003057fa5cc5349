"""Controller-side aggregation of per-sample records: per subset, category and benchmark."""
from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from benchgate.metrics.stats import confidence_interval, mean_stderr


def summarize(values: list[float]) -> dict[str, float]:
    """score (mean), n, stderr and a 95% confidence interval of per-sample values."""
    mean, stderr = mean_stderr(values)
    low, high = confidence_interval(mean, stderr)
    return {"score": mean, "n": len(values), "stderr": stderr, "ci95": [low, high]}


class Recorder:
    """Collects records as test reports arrive; streams them to samples.jsonl."""

    def __init__(self, output_dir: Path):
        self.output_dir = output_dir
        # benchmark -> metric -> level ("subset"/"category") -> name -> values
        self._values: dict[str, dict[str, dict[str, dict[str, list[float]]]]] = {}
        self._all: dict[str, dict[str, list[float]]] = {}
        self.primary: dict[str, str] = {}
        self.scores: dict[str, dict[str, float]] = {}  # sample id -> scores
        self.errors: list[dict[str, str]] = []
        self.n_records = 0
        self._partial_path = output_dir / "samples.jsonl.partial"
        self._partial = None

    def add(self, record: dict[str, Any]) -> None:
        """One sample's record (from the test report)."""
        if self._partial is None:
            self.output_dir.mkdir(parents=True, exist_ok=True)
            self._partial = open(self._partial_path, "w", encoding="utf-8")
        self._partial.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        self.n_records += 1
        scores = record.get("scores")
        if scores is None:  # dry run
            return
        bench = record["benchmark"]
        self.primary[bench] = record["metric"]
        self.scores[record["id"]] = scores
        per_bench = self._values.setdefault(bench, {})
        for metric, value in scores.items():
            levels = per_bench.setdefault(metric, {"subset": defaultdict(list),
                                                   "category": defaultdict(list)})
            levels["subset"][record["subset"]].append(float(value))
            if record.get("category"):
                levels["category"][record["category"]].append(float(value))
            self._all.setdefault(bench, {}).setdefault(metric, []).append(float(value))

    def add_error(self, sample_id: str, message: str) -> None:
        self.errors.append({"id": sample_id, "message": message})

    def aggregate(self) -> dict[str, Any]:
        """{benchmark: {metric, score, n, stderr, metrics, subsets, categories}}."""
        out: dict[str, Any] = {}
        for bench, metrics in sorted(self._values.items()):
            primary = self.primary[bench]
            entry: dict[str, Any] = {"metric": primary}
            entry.update({k: v for k, v in summarize(self._all[bench][primary]).items()})
            entry["metrics"] = {}
            for metric, levels in metrics.items():
                micro = summarize(self._all[bench][metric])
                subset_means = [summarize(v)["score"] for v in levels["subset"].values()]
                micro["macro_subsets"] = sum(subset_means) / len(subset_means)
                entry["metrics"][metric] = micro
            for level, key in (("subset", "subsets"), ("category", "categories")):
                names = sorted({n for m in metrics.values() for n in m[level]})
                entry[key] = {
                    name: {"n": len(metrics[primary][level].get(name, [])),
                           "metrics": {m: summarize(metrics[m][level][name])
                                       for m in metrics if metrics[m][level].get(name)}}
                    for name in names}
                for name, block in entry[key].items():
                    block.update({k: block["metrics"][primary][k] for k in ("score", "stderr")
                                  } if primary in block["metrics"] else {})
            if entry["categories"]:
                cat_means = [c["score"] for c in entry["categories"].values() if "score" in c]
                entry["macro_categories"] = sum(cat_means) / len(cat_means)
            out[bench] = entry
        return out

    def finish_samples(self) -> Path | None:
        """Sort the streamed records by (benchmark, subset, index) into samples.jsonl."""
        if self._partial is None:
            return None
        self._partial.close()
        with open(self._partial_path, encoding="utf-8") as f:
            lines = f.readlines()

        def order(line: str):
            rec = json.loads(line)
            return rec["benchmark"], rec["subset"], rec["index"]

        lines.sort(key=order)
        final = self.output_dir / "samples.jsonl"
        with open(final, "w", encoding="utf-8") as f:
            f.writelines(lines)
        self._partial_path.unlink()
        return final
