"""`benchgate contamination membership`: membership scores of benchmark samples from the model
itself (Min-K% Prob, Min-K%++, zlib ratio, perplexity; docs/contamination.md), and, given
labelled members and non-members (`--members FILE`), how well each score separates them
(ROC AUC, TPR at 5% FPR). Writes OUT/membership.json and prints a table."""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from benchgate.contamination.membership_scores import (METHODS, NEEDS_DISTRIBUTION, roc_auc, scores,
                                                       tpr_at_fpr)
from benchgate.contamination.membership_text import TEXT_MODES, SampleTextError, load_samples, sample_text
from benchgate.errors import DataError
from benchgate.models.base import BackendError, GenerationConfig, TokenScoresRequest
from benchgate.usage import OUTPUT_ERROR, whole_number

MAX_FPR = 0.05
DEFAULT_K = 0.2  # Shi et al.'s and Zhang et al.'s recommended k (20% of the tokens)
API_KEY_ENV = "BENCHGATE_API_KEY"


class MembershipError(ValueError):
    """A usage error of the membership command (bad option, unreadable input file)."""


@dataclass
class ModelOptions:
    """What `benchgate.models.factory.load_backend` reads of a run's options."""

    model: str
    api_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    model_args: dict = field(default_factory=dict)
    model_hub: str = "modelscope"
    generation: GenerationConfig = field(default_factory=GenerationConfig)
    chat_template: bool = False
    seed: int = 0


def add_command(checks) -> None:
    """Register `membership` on the `benchgate contamination` subparsers."""
    p = checks.add_parser("membership", help="membership scores (Min-K%% Prob, Min-K%%++, zlib, ppl) of "
                                             "benchmark samples from the model's token log-probabilities")
    p.add_argument("--model", required=True, help="a local checkpoint, a hub id, 'smoke', or the model "
                                                  "name served at --api-url")
    p.add_argument("--api-url", default=None, help="OpenAI-compatible server (its /completions must "
                                                   "support echo=true with logprobs)")
    p.add_argument("--api-key", default=None, help=f"API key (else ${API_KEY_ENV})")
    p.add_argument("--model-args", default=None, help="JSON object, e.g. '{\"batch_size\": 16}'")
    p.add_argument("--model-hub", default="modelscope", choices=("modelscope", "huggingface"))
    p.add_argument("--datasets", nargs="+", required=True, help="benchmark names, e.g. mmlu gsm8k")
    p.add_argument("--dataset-dir", nargs="+", default=None,
                   help="folders holding <benchmark>/ data (else $BENCHGATE_DATASET_DIR)")
    p.add_argument("--dataset-hub", default=None, choices=("modelscope", "huggingface", "local"),
                   help="default: local when a --dataset-dir is given, else modelscope")
    p.add_argument("--method", nargs="+", default=None, choices=METHODS,
                   help="scores to compute (default: all; min_k_pp needs a local model)")
    p.add_argument("--k", type=_fraction, default=DEFAULT_K, help="share of lowest-scoring tokens "
                   "averaged by min_k and min_k_pp (default 0.2)")
    p.add_argument("--text", default="item", choices=TEXT_MODES,
                   help="item: question, options and answer (default); question: without the answer")
    p.add_argument("--members", default=None, help="JSONL of {\"id\": \"<benchmark>/<subset>/<index>\", "
                   "\"member\": true|false}: only these samples are scored, and ROC AUC and TPR at 5%% "
                   "FPR are reported")
    p.add_argument("--limit", type=whole_number, default=None, help="at most N samples per subset")
    p.add_argument("--output-dir", required=True, help="where membership.json goes")
    p.set_defaults(membership_parser=p)


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1], got {text!r}") from None
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1], got {text!r}")
    return value


def read_members(path: str | Path) -> dict[str, bool]:
    """{sample id: is a member} from a JSONL file of {"id": str, "member": bool} lines (blank
    lines skipped). MembershipError naming the file and line for anything else."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").split("\n")  # JSONL: not str.splitlines (U+2028...)
    except (OSError, UnicodeDecodeError) as e:
        raise MembershipError(f"--members {path}: cannot be read: {e}") from None
    members: dict[str, bool] = {}
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"--members {path}:{n}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            raise MembershipError(f"{where}: invalid JSON: {e.msg}") from None
        if not isinstance(row, dict) or not isinstance(row.get("id"), str) or \
                not isinstance(row.get("member"), bool):
            raise MembershipError(f"{where}: expected {{\"id\": \"<benchmark>/<subset>/<index>\", "
                                  f"\"member\": true|false}}, got {line.strip()[:200]}")
        if row["id"] in members:
            raise MembershipError(f"{where}: sample {row['id']!r} is labelled twice")
        members[row["id"]] = row["member"]
    if not members:
        raise MembershipError(f"--members {path}: no labelled samples")
    if all(members.values()) or not any(members.values()):
        kind = "members" if all(members.values()) else "non-members"
        raise MembershipError(f"--members {path}: only {kind}; ROC AUC needs both members and non-members")
    return members


def evaluate(records: Sequence[dict], methods: Sequence[str]) -> dict[str, Any]:
    """ROC AUC and TPR at 5% FPR of each method over the labelled records."""
    labelled = [r for r in records if r.get("member") is not None]
    out: dict[str, Any] = {"n_members": sum(1 for r in labelled if r["member"]),
                           "n_non_members": sum(1 for r in labelled if not r["member"]),
                           "max_fpr": MAX_FPR, "methods": {}}
    for m in methods:
        pos = [r["scores"][m] for r in labelled if r["member"]]
        neg = [r["scores"][m] for r in labelled if not r["member"]]
        out["methods"][m] = {"auc": roc_auc(pos, neg), "tpr_at_5_fpr": tpr_at_fpr(pos, neg, MAX_FPR)}
    return out


def score_texts(backend, texts: Sequence[str], methods: Sequence[str], k: float,
                ids: Sequence[str]) -> list[dict]:
    """One record per text: token count, perplexity and {method: score}; one batched call."""
    from tqdm import tqdm

    with tqdm(total=len(texts), desc="membership", unit="sample", file=sys.stderr,
              disable=not sys.stderr.isatty()) as bar:
        results = backend.token_scores([TokenScoresRequest(t) for t in texts], progress=bar.update)
    records = []
    for sample_id, text, res in zip(ids, texts, results):
        if not res.logprobs:
            raise MembershipError(f"{sample_id}: the model scored no token of its text")
        mean_lp = math.fsum(res.logprobs) / len(res.logprobs)
        records.append({"id": sample_id, "n_tokens": len(res.logprobs), "perplexity": math.exp(-mean_lp),
                        "scores": scores(methods, text, res.logprobs, res.mean, res.var, k)})
    return records


def _methods(args, api: bool) -> list[str]:
    if args.method is None:
        return [m for m in METHODS if not (api and m in NEEDS_DISTRIBUTION)]
    wanted = list(dict.fromkeys(args.method))
    if api and NEEDS_DISTRIBUTION.intersection(wanted):
        raise MembershipError(
            "--method min_k_pp needs the model's whole next-token distribution (the mean and variance "
            "of log p over the vocabulary at every position); an API returns only the logprobs of the "
            "tokens (and a few top_logprobs), so it cannot be computed over --api-url. Use --method "
            "min_k zlib ppl, or a local model")
    return wanted


def _model_args(text: str | None) -> dict:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as e:
        raise MembershipError(f"--model-args: invalid JSON: {e.msg}") from None
    if not isinstance(value, dict):
        raise MembershipError("--model-args: expected a JSON object")
    return value


def _dataset_dirs(args) -> list[Path]:
    if args.dataset_dir:
        return [Path(d) for d in args.dataset_dir]
    env = os.environ.get("BENCHGATE_DATASET_DIR", "")
    return [Path(d) for d in env.split(os.pathsep) if d]


def _table(result: dict) -> list[str]:
    """The console table: per method, AUC and TPR@5%FPR (with --members), else mean scores."""
    evaluation = result.get("evaluation")
    methods = result["methods"]
    if evaluation:
        head = (f"membership of {result['model']['name']}: {evaluation['n_members']} members, "
                f"{evaluation['n_non_members']} non-members (k={result['k']}, text={result['text']})")
        rows = [(m, f"{v['auc']:.3f}", f"{v['tpr_at_5_fpr']:.3f}") for m, v in evaluation["methods"].items()]
        header = ("method", "ROC AUC", "TPR@5%FPR")
    else:
        head = (f"membership of {result['model']['name']} (k={result['k']}, text={result['text']}; "
                f"higher = more likely seen in training)")
        rows = [(name, str(b["n"]), *(f"{b['mean_scores'][m]:.4f}" for m in methods))
                for name, b in result["benchmarks"].items()]
        header = ("benchmark", "samples", *(f"mean {m}" for m in methods))
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    line = lambda row: "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)  # noqa: E731
                                 for i, (c, w) in enumerate(zip(row, widths)))
    return [head, line(header), "  ".join("-" * w for w in widths), *map(line, rows)]


def run(args) -> int:
    """The command (exit 0; 4 for usage errors, an unusable model or unreadable data; 1 when the
    model fails while scoring; 3 when membership.json cannot be written)."""
    parser = args.membership_parser
    try:
        result = measure(args)
    except (MembershipError, SampleTextError, DataError) as e:
        parser.usage_error(str(e))
    except _Unusable as e:
        parser.usage_error(str(e))
    except BackendError as e:
        print(f"{parser.prog}: error: scoring failed: {e}", file=sys.stderr)
        return 1
    out = Path(args.output_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
        tmp = out / "membership.json.tmp"
        tmp.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        tmp.replace(out / "membership.json")
    except OSError as e:
        print(f"{parser.prog}: error: cannot write {out / 'membership.json'}: {e}", file=sys.stderr)
        return OUTPUT_ERROR
    for line in _table(result):
        print(line)
    print(f"membership: {out / 'membership.json'}")
    return 0


class _Unusable(Exception):
    """The model cannot be loaded or cannot score tokens."""


def measure(args) -> dict[str, Any]:
    """Load the samples and the model, score, evaluate: the membership.json object."""
    from benchgate.models.factory import ModelUnavailable, load_backend, load_failure_message
    from benchgate.models.openai_api import LogprobsUnsupportedError

    api = bool(args.api_url)
    methods = _methods(args, api)
    members = read_members(args.members) if args.members else None
    model_args = _model_args(args.model_args)
    dirs = _dataset_dirs(args)
    hub = args.dataset_hub or ("local" if dirs else "modelscope")
    names = list(dict.fromkeys(args.datasets))
    loaded = load_samples(names, dirs, hub, args.limit)
    if members is not None:
        by_id = {s.id: s for s, _ in loaded}
        unknown = [i for i in members if i not in by_id]
        if unknown:
            shown = ", ".join(unknown[:5]) + (f" (+{len(unknown) - 5} more)" if len(unknown) > 5 else "")
            raise MembershipError(f"--members {args.members}: {len(unknown)} labelled id(s) are not samples of "
                                  f"--datasets {' '.join(names)}" + (f" with --limit {args.limit}" if args.limit else "")
                                  + f": {shown}")
        loaded = [(s, b) for s, b in loaded if s.id in members]
    if not loaded:
        raise MembershipError(f"--datasets {' '.join(names)}: no samples to score")
    texts = [sample_text(s, args.text) for s, _ in loaded]
    ids = [s.id for s, _ in loaded]
    options = ModelOptions(args.model, args.api_url, args.api_key or os.environ.get(API_KEY_ENV),
                           model_args, args.model_hub)
    try:
        backend = load_backend(options)
    except ValueError as e:
        raise _Unusable(f"--model {args.model!r}: {e}") from None
    except Exception as e:  # noqa: BLE001 - every failure here means "this model cannot be used"
        raise _Unusable(load_failure_message(options, e)) from None
    try:
        if not hasattr(backend, "token_scores"):
            raise _Unusable(f"--model {args.model!r} gives no token log-probabilities; membership scores "
                            f"need a local causal LM or an API with echoed logprobs")
        records = score_texts(backend, texts, methods, args.k, ids)
        fingerprint = backend.fingerprint()
        name = backend.name
    except ModelUnavailable as e:
        raise _Unusable(str(e)) from None
    except LogprobsUnsupportedError as e:
        raise _Unusable(f"--model {args.model!r} at --api-url cannot give token log-probabilities: {e.args[0]}"
                        .split("; loglikelihood over an API")[0]
                        + "; membership scores over an API need /completions with echo=true and logprobs "
                          "(vLLM, SGLang), else use a local model") from None
    finally:
        backend.close()
    benchmarks: dict[str, Any] = {}
    for record, (sample, _) in zip(records, loaded):
        record["benchmark"] = sample.benchmark
        if members is not None:
            record["member"] = members[record["id"]]
        benchmarks.setdefault(sample.benchmark, []).append(record)
    result: dict[str, Any] = {
        "model": {"name": name, "fingerprint": fingerprint, "api": api},
        "methods": methods, "k": args.k, "text": args.text,
        "orientation": "higher score = more likely seen in training (ppl's score is -log perplexity)",
        "benchmarks": {b: {"n": len(rs), "mean_scores": {m: math.fsum(r["scores"][m] for r in rs) / len(rs)
                                                         for m in methods}}
                       for b, rs in benchmarks.items()},
        "samples": records,
    }
    if members is not None:
        result["members_file"] = str(args.members)
        result["evaluation"] = evaluate(records, methods)
    return result
