"""General QA: the user's own question/answer pairs, scored by text overlap (as EvalScope general_qa).

Data: JSONL or CSV files with a question (`question`, or `query` / `prompt`) and a reference
answer (`answer`, or `response`), optionally a `system` prompt and a `history` of earlier turns
(JSONL: a list of [question, answer] pairs or of {"role", "content"} messages; CSV: the same
as a JSON string). Where: dataset arg `path` (a file, or a folder of files), else
`<dataset-dir>/general_qa/`; each file is a subset named after its stem. With neither, listing
the subsets raises a DataError saying what to pass (the engine skips the benchmark with a
warning when it was not asked for by name).

Prompt: for chat models (--chat-template on) the messages system, history, question; otherwise the
plain text system, history turns and question joined by blank lines. Greedy generation, no shots.
Scores per sample: sentence BLEU-1..4 (sacrebleu, cumulative, effective order, divided by 100
to the 0-1 scale of ROUGE) and ROUGE-1/2/L precision/recall/F1 (rouge-score), both from
benchgate.metrics, with Chinese text segmented (BLEU: sacrebleu "zh", ROUGE: jieba).
Dataset arg `metrics` replaces them with any list of metric names (benchgate.named_metrics:
built-ins, `metrics/<name>.py` of the suite, `evaluate:NAME` Hugging Face metrics); `primary`
names the primary score when rouge is not among them.
"""
from __future__ import annotations

import json
from pathlib import Path

from benchgate.argspec import Arg
from benchgate.benchmark import Benchmark, DataError, RunContext, Sample, Scored
from benchgate.data.files import dataset_folder, find_dataset_folder, read_csv_records, read_jsonl, to_samples
from benchgate.models.base import GenerateRequest
from benchgate.named_metrics import MetricError, compute_all, resolve

QUESTION_KEYS = ("question", "query", "prompt")
ANSWER_KEYS = ("answer", "response")
SUFFIXES = (".jsonl", ".csv")
DEFAULT_METRICS = ("bleu", "rouge")  # benchgate.named_metrics: sacrebleu BLEU-1..4, rouge-score


def _pick(row: dict, keys: tuple[str, ...]) -> str:
    for key in keys:
        if key in row and row[key] is not None:
            value = row[key]
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"field {key!r} must be a non-empty string")
            return value
    raise ValueError(f"missing field: one of {', '.join(repr(k) for k in keys)}")


def _history(value) -> list[dict]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = json.loads(value)
    if not isinstance(value, list):
        raise ValueError("history must be a list")
    messages = []
    for turn in value:
        if isinstance(turn, dict) and turn.get("role") in ("user", "assistant", "system") \
                and isinstance(turn.get("content"), str):
            messages.append({"role": turn["role"], "content": turn["content"]})
        elif isinstance(turn, (list, tuple)) and len(turn) == 2 and all(isinstance(t, str) for t in turn):
            messages += [{"role": "user", "content": turn[0]}, {"role": "assistant", "content": turn[1]}]
        else:
            raise ValueError("history items must be [question, answer] pairs or {role, content} messages")
    return messages


def _convert(row: dict) -> tuple[dict, str]:
    system = row.get("system") or None
    if system is not None and not isinstance(system, str):
        raise ValueError("field 'system' must be a string")
    data = {"question": _pick(row, QUESTION_KEYS), "system": system,
            "history": _history(row.get("history"))}
    return data, _pick(row, ANSWER_KEYS)


class GeneralQA(Benchmark):
    name = "general_qa"
    modes = ("generate",)
    primary_metric = "rouge-l-f"
    default_args = {
        "path": Arg(None, str, help="a .jsonl/.csv file or a folder of them"),
        "metrics": Arg(None, list, help="a list of metric names (benchgate.named_metrics)"),
        "primary": Arg(None, str, help="the primary score when rouge is not among the metrics"),
    }

    def effective_args(self, user_args):
        """`metrics`: names for benchgate.named_metrics (default: bleu and rouge), checked now
        so that an unknown or unloadable metric is one clear error."""
        args = super().effective_args(user_args)
        names = args["metrics"]
        if names is not None:
            if not names or not all(isinstance(n, str) for n in names):
                raise ValueError("--dataset-args: general_qa metrics must be a non-empty list of "
                                 "metric names, e.g. [\"rouge\", \"evaluate:exact_match\"]")
            try:
                for name in names:
                    resolve(name)
            except MetricError as e:
                raise ValueError(f"--dataset-args: general_qa metrics: {e}") from None
        return args

    def metric(self, ctx: RunContext) -> str:
        """rouge-l-f, unless `metrics` leaves rouge out: then `primary`, else the first
        metric's main score."""
        names = ctx.args.get("metrics")
        if ctx.args.get("primary"):
            return ctx.args["primary"]
        if names is None or "rouge" in names:
            return self.primary_metric
        return resolve(names[0]).primary

    def _files(self, ctx: RunContext) -> dict[str, Path]:
        if ctx.args["path"]:
            root = Path(ctx.args["path"]).expanduser()
            if not root.exists():
                raise DataError(f"general_qa: path {root} not found")
        else:
            if find_dataset_folder(ctx, "general_qa") is None:
                raise DataError("general_qa: no data: pass --dataset-args "
                                "'{\"general_qa\": {\"path\": \"my.jsonl\"}}' or put .jsonl/.csv files "
                                "in <dataset-dir>/general_qa/")
            root = dataset_folder(ctx, "general_qa")
        if root.is_file():
            if root.suffix not in SUFFIXES:
                raise DataError(f"general_qa: {root} must be a .jsonl or .csv file")
            return {root.stem: root}
        files = {p.stem: p for p in sorted(root.iterdir()) if p.suffix in SUFFIXES}
        if not files:
            raise DataError(f"general_qa: no .jsonl or .csv files in {root}")
        return files

    def subsets(self, ctx: RunContext) -> list[str]:
        return list(self._files(ctx))

    def load(self, ctx: RunContext, subset: str) -> list[Sample]:
        path = self._files(ctx)[subset]
        rows = read_jsonl(path) if path.suffix == ".jsonl" else read_csv_records(path)
        return to_samples(self.name, subset, rows, _convert)

    def prompt(self, ctx: RunContext, sample: Sample):
        d = sample.data
        messages = ([{"role": "system", "content": d["system"]}] if d["system"] else []) + \
            d["history"] + [{"role": "user", "content": d["question"]}]
        if ctx.chat:
            return tuple(messages)
        return "\n\n".join(m["content"] for m in messages)

    def requests(self, ctx: RunContext, sample: Sample):
        return [GenerateRequest(self.prompt(ctx, sample), oracle=sample.target)]

    def score(self, ctx: RunContext, sample: Sample, outputs) -> Scored:
        answer = outputs[0].text.strip()
        scores = compute_all(ctx.args.get("metrics") or list(DEFAULT_METRICS), answer, sample.target)
        primary = self.metric(ctx)
        if primary not in scores:
            raise ValueError(f"the primary score {primary!r} is not among the metrics' scores "
                             f"{sorted(scores)}; set --dataset-args general_qa primary")
        return Scored(answer, scores)


BENCHMARK = GeneralQA()
