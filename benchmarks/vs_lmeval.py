"""benchgate vs lm-evaluation-harness, side by side, on the same local model and the same local data.

    python benchmarks/vs_lmeval.py                       # the full comparison (see docs/performance.md)
    python benchmarks/vs_lmeval.py --mmlu-subjects abstract_algebra --hellaswag-limit 100 --arc-limit 100
    python benchmarks/vs_lmeval.py --only gsm8k gsm8k_stop bbh bbh_stop   # generation (greedy, 64 new tokens)
    python benchmarks/vs_lmeval.py --only hellaswag --off-args trim_last_layer=false   # the extra run: that arg
    python benchmarks/vs_lmeval.py --only hellaswag --no-reuse-run --repeat 3   # medians of 3 alternated runs

Workloads: MMLU 5-shot on 5 subjects (2,125 samples: abstract_algebra, anatomy, astronomy,
high_school_us_history, professional_law), HellaSwag (first 2,000 validation items, 0-shot) and
ARC-Challenge test in full (0-shot). For each: wall time, samples/s and peak RSS of each
harness's process tree, the ratio, and per-sample agreement of the log-likelihoods (max |diff|
over every choice, identical argmax and is_greedy, identical prompts).

Generation workloads (greedy, `--max-new-tokens` 64, batch 16 on both sides): GSM8K (first
`--gsm8k-limit` test questions, 5-shot with lm-eval's own exemplar draw) and BBH (chain-of-thought,
3-shot, `bbh_cot_fewshot`'s prompts: benchgate's `prompt_style: lm_eval`; first `--bbh-limit`
examples of each of `--bbh-subsets`), each (a) with the benchmark's own stop strings, which the
random model hardly ever emits, so rows run to the token limit (`gsm8k`, `bbh`), and (b) with one
extra stop string that it emits often (`--extra-stop`, default "ing": lm-eval's task YAML gets it
appended to `until`, benchgate `--generation-config stop=...`), so generations end after a spread
of lengths (`gsm8k_stop`, `bbh_stop`). For each: wall time, generated tokens/s, peak RSS, the
share of identical generations and the length distribution (benchgate's completion tokens).

The model is built here, deterministically: a byte-level BPE tokenizer of 8,192 tokens trained on
the local benchmark text, and a small random Llama with 8,192 positions, so that MMLU 5-shot prompts
fit untruncated (as with real models). lm-evaluation-harness (`--lm-eval-version`, default 0.4.13)
runs from its own virtual environment, created on first use with pip under the cache directory
(with this environment's torch and transformers versions), and reads the same local files
through task YAMLs written here (the data converted to JSON lines with the csv/json modules;
HellaSwag text cleaned by lm-eval's own `preprocess`). Both run float32 on the CPU.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = Path(os.environ.get("BENCHGATE_DATASET_DIR") or ROOT.parent / "shared" / "benchmarks")
MMLU_SUBJECTS = ("abstract_algebra", "anatomy", "astronomy", "high_school_us_history", "professional_law")
BBH_SUBSETS = ("boolean_expressions", "date_understanding", "web_of_lies")
GENERATION = ("gsm8k", "gsm8k_stop", "bbh", "bbh_stop")
MODEL_NAME = "tiny-llama-bpe8192-ctx8192-v1"
VOCAB, POSITIONS = 8192, 8192


# ---------------------------------------------------------------------------- the model
def corpus_lines(data: Path):
    """Local benchmark text for the tokenizer, in a fixed order."""
    for split in ("dev", "val", "test"):
        for path in sorted((data / "mmlu" / "data" / split).glob("*.csv")):
            with open(path, encoding="utf-8", newline="") as f:
                for row in csv.reader(f):
                    yield " ".join(row) + "\n"
    import bz2

    with bz2.open(data / "hellaswag" / "hellaswag_val_full.txt.bz2", "rt", encoding="utf-8") as f:
        yield from f
    for path in sorted((data / "arc").glob("*/*.jsonl")):
        with open(path, encoding="utf-8") as f:
            for line in f:
                q = json.loads(line)["question"]
                yield q["stem"] + " " + " ".join(c["text"] for c in q["choices"]) + "\n"


def build_model(folder: Path, data: Path) -> Path:
    """Tokenizer (byte-level BPE, 8,192 tokens, trained on local text) + random Llama, seeded."""
    final = folder / MODEL_NAME
    if final.is_dir():
        return final
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=VOCAB, special_tokens=["<s>", "</s>", "<pad>"],
                                  show_progress=False, initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(list(corpus_lines(data)), trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>",
                                        pad_token="<pad>", model_max_length=POSITIONS)
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=256, intermediate_size=688,
                         num_hidden_layers=4, num_attention_heads=4, num_key_value_heads=4,
                         max_position_embeddings=POSITIONS, initializer_range=0.05,
                         tie_word_embeddings=False, bos_token_id=tokenizer.bos_token_id,
                         eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id)
    tmp = folder / (MODEL_NAME + f".tmp{os.getpid()}")
    tokenizer.save_pretrained(tmp)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        LlamaForCausalLM(config).to(torch.float32).save_pretrained(tmp, safe_serialization=True)
    os.rename(tmp, final)
    return final


# ---------------------------------------------------------------------------- lm-eval
def lm_eval_venv(folder: Path, version: str) -> Path:
    """The lm-eval virtual environment (created on first use), with this torch/transformers."""
    import torch
    import transformers

    venv = folder / f"lm_eval-{version}"
    ready = venv / ".installed"
    if not ready.exists():
        if not venv.is_dir():
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pins = [f"torch=={torch.__version__.split('+')[0]}",
                f"transformers=={transformers.__version__}", f"lm_eval[hf]=={version}"]
        print(f"setting up {venv}: pip install {' '.join(pins)}", flush=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", *pins], check=True)
        ready.write_text(" ".join(pins) + "\n")
    return venv / "bin" / "lm_eval"


MMLU_YAML = """task: {task}
dataset_path: json
dataset_kwargs:
  data_files:
    test: {test}
    dev: {dev}
test_split: test
fewshot_split: dev
fewshot_config:
  sampler: first_n
output_type: multiple_choice
description: "The following are multiple choice questions (with answers) about {subject}.\\n\\n"
doc_to_text: "{{{{question.strip()}}}}\\nA. {{{{choices[0]}}}}\\nB. {{{{choices[1]}}}}\\nC. {{{{choices[2]}}}}\\nD. {{{{choices[3]}}}}\\nAnswer:"
doc_to_choice: ["A", "B", "C", "D"]
doc_to_target: answer
num_fewshot: 5
target_delimiter: " "
fewshot_delimiter: "\\n\\n"
metric_list:
  - metric: acc
    aggregation: mean
    higher_is_better: true
"""
HELLASWAG_YAML = """task: bgcmp_hellaswag
dataset_path: json
dataset_kwargs:
  data_files:
    validation: {path}
validation_split: validation
process_docs: !function bgcmp_utils.hellaswag_docs
output_type: multiple_choice
doc_to_text: "{{{{query}}}}"
doc_to_target: "{{{{gold}}}}"
doc_to_choice: "choices"
num_fewshot: 0
metric_list:
  - metric: acc
    aggregation: mean
    higher_is_better: true
  - metric: acc_norm
    aggregation: mean
    higher_is_better: true
"""
ARC_YAML = """task: bgcmp_arc_challenge
dataset_path: json
dataset_kwargs:
  data_files:
    test: {path}
test_split: test
output_type: multiple_choice
doc_to_text: "Question: {{{{question}}}}\\nAnswer:"
doc_to_target: "{{{{choices.label.index(answerKey)}}}}"
doc_to_choice: "{{{{choices.text}}}}"
num_fewshot: 0
metric_list:
  - metric: acc
    aggregation: mean
    higher_is_better: true
  - metric: acc_norm
    aggregation: mean
    higher_is_better: true
"""
UTILS = '''"""Written by benchgate/benchmarks/vs_lmeval.py: HellaSwag docs cleaned by lm-eval's own code."""
from lm_eval.tasks.hellaswag.utils import preprocess


def hellaswag_docs(dataset):
    return dataset.map(lambda d: {"query": preprocess(d["query_raw"]), "gold": int(d["label"]),
                                  "choices": [preprocess(e) for e in d["endings"]]})
'''


def write_tasks(folder: Path, data: Path, subjects: list[str]) -> None:
    """Task YAMLs and their data (the local files as JSON lines) for lm-eval's --include_path."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "bgcmp_utils.py").write_text(UTILS)
    for subject in subjects:
        files = {}
        for split in ("test", "dev"):
            out = folder / f"mmlu_{subject}_{split}.jsonl"
            with open(data / "mmlu" / "data" / split / f"{subject}_{split}.csv", encoding="utf-8", newline="") as f, \
                    open(out, "w", encoding="utf-8") as g:
                for q, a, b, c, d, answer in csv.reader(f):
                    g.write(json.dumps({"question": q, "choices": [a, b, c, d],
                                        "answer": "ABCD".index(answer.strip())}) + "\n")
            files[split] = out
        (folder / f"bgcmp_mmlu_{subject}.yaml").write_text(MMLU_YAML.format(
            task=f"bgcmp_mmlu_{subject}", subject=subject.replace("_", " "), **files))
    import bz2

    with bz2.open(data / "hellaswag" / "hellaswag_val_full.txt.bz2", "rt", encoding="utf-8") as f:
        lines = f.read().split("\n")
    with open(folder / "hellaswag_val.jsonl", "w", encoding="utf-8") as g:
        for k in range(0, len(lines) - 5, 6):
            g.write(json.dumps({"query_raw": lines[k], "label": lines[k + 1],
                                "endings": lines[k + 2:k + 6]}) + "\n")
    (folder / "bgcmp_hellaswag.yaml").write_text(HELLASWAG_YAML.format(path=folder / "hellaswag_val.jsonl"))
    with open(data / "arc" / "ARC-Challenge" / "ARC-Challenge-Test.jsonl", encoding="utf-8") as f, \
            open(folder / "arc_challenge_test.jsonl", "w", encoding="utf-8") as g:
        for line in f:
            row = json.loads(line)
            q = row["question"]
            g.write(json.dumps({"id": row["id"], "question": q["stem"], "answerKey": row["answerKey"],
                                "choices": {"text": [c["text"] for c in q["choices"]],
                                            "label": [c["label"] for c in q["choices"]]}}) + "\n")
    (folder / "bgcmp_arc_challenge.yaml").write_text(ARC_YAML.format(path=folder / "arc_challenge_test.jsonl"))


def lm_eval_tasks_root(exe: Path) -> Path:
    """lm-eval's own task folder inside its virtual environment."""
    found = sorted((exe.parent.parent / "lib").glob("python*/site-packages/lm_eval/tasks"))
    if not found:
        raise SystemExit(f"no lm_eval/tasks folder in the virtual environment of {exe}")
    return found[-1]


def _local_task(config: dict, name: str, files: dict[str, Path], extra_stop: str | None) -> dict:
    """One of lm-eval's own task configs reading local JSON lines instead of the hub."""
    import copy

    out = copy.deepcopy(config)
    for key in ("include", "dataset_name", "tag", "group"):
        out.pop(key, None)
    out.update(task=name, dataset_path="json", dataset_kwargs={"data_files": {k: str(v) for k, v in files.items()}})
    if extra_stop:
        gen = out["generation_kwargs"]
        gen["until"] = list(gen["until"]) + [extra_stop]
    return out


def write_generation_tasks(folder: Path, data: Path, lm_tasks: Path, bbh_subsets: list[str],
                           extra_stop: str) -> None:
    """GSM8K and BBH (cot, few-shot) task YAMLs: lm-eval's own configs, the data read from the
    local files; a `_stop` variant of each with `extra_stop` appended to `until`."""
    import yaml

    folder.mkdir(parents=True, exist_ok=True)
    gsm = yaml.safe_load((lm_tasks / "gsm8k" / "gsm8k.yaml").read_text())
    files = {split: data / "gsm8k" / f"{split}.jsonl" for split in ("train", "test")}
    for suffix, stop in (("", None), ("_stop", extra_stop)):
        (folder / f"bgcmp_gsm8k{suffix}.yaml").write_text(
            yaml.safe_dump(_local_task(gsm, f"bgcmp_gsm8k{suffix}", files, stop), sort_keys=False))
    template = yaml.safe_load((lm_tasks / "bbh" / "cot_fewshot" / "_cot_fewshot_template_yaml").read_text())
    for subset in bbh_subsets:
        own = yaml.safe_load((lm_tasks / "bbh" / "cot_fewshot" / f"{subset}.yaml").read_text())
        rows = folder / f"bbh_{subset}.jsonl"
        with open(data / "bbh" / "bbh" / f"{subset}.json", encoding="utf-8") as f, \
                open(rows, "w", encoding="utf-8") as g:
            for example in json.load(f)["examples"]:
                g.write(json.dumps({"input": example["input"], "target": example["target"]}) + "\n")
        for suffix, stop in (("", None), ("_stop", extra_stop)):
            name = f"bgcmp_bbh{suffix}_{subset}"
            (folder / f"{name}.yaml").write_text(yaml.safe_dump(
                _local_task({**template, **own}, name, {"test": rows}, stop), sort_keys=False))


# ---------------------------------------------------------------------------- running
def timed(cmd: list[str], env: dict, log: Path) -> tuple[float, float, float]:
    """(wall seconds, peak RSS in MiB, CPU seconds user+system) of a command and the processes
    it waited for; fails loudly. CPU seconds compare fairly on a machine shared with others."""
    start = time.perf_counter()
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed ({os.waitstatus_to_exitcode(status)}): {' '.join(cmd)}\n"
                         f"{log.read_text()[-4000:]}")
    return wall, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def summary(runs: list[tuple[float, float, float]]) -> dict:
    """Median wall and CPU seconds of (wall, peak RSS MiB, CPU s) runs, the largest peak, and
    each run's wall time."""
    return {"wall_s": statistics.median(r[0] for r in runs), "cpu_s": statistics.median(r[2] for r in runs),
            "peak_rss_mib": max(r[1] for r in runs), "walls": [round(r[0], 1) for r in runs]}


def walls(side: dict) -> str:
    """' (each run's wall time)' when there were several."""
    return f" ({', '.join(f'{w:.1f}' for w in side['walls'])})" if len(side.get("walls", [])) > 1 else ""


def run_lm_eval(exe: Path, model: Path, tasks: list[str], include: Path, out: Path, limit: int | None,
                batch_size: int, env: dict, gen_kwargs: str | None = None) -> tuple[float, float, float, dict]:
    cmd = [str(exe), "--model", "hf", "--model_args", f"pretrained={model},dtype=float32",
           "--tasks", ",".join(tasks), "--include_path", str(include), "--batch_size", str(batch_size),
           "--device", "cpu", "--log_samples", "--output_path", str(out)]
    if limit is not None:
        cmd += ["--limit", str(limit)]
    if gen_kwargs:
        cmd += ["--gen_kwargs", gen_kwargs]
    wall, rss, cpu = timed(cmd, env, out.with_suffix(".log"))
    samples: dict[tuple, dict] = {}
    for task in tasks:
        files = sorted(out.rglob(f"samples_{task}_*.jsonl"))
        if not files:
            raise SystemExit(f"lm-eval wrote no samples for {task} under {out}")
        for line in files[-1].read_text().splitlines():
            row = json.loads(line)
            args = row["arguments"]
            first = args[0] if isinstance(args, list) else next(iter(args.values()))
            context = first[0] if isinstance(first, list) else first["arg_0"]
            if isinstance(row["resps"][0][0], str):  # generate_until: [[text]]
                samples[(task, int(row["doc_id"]))] = {"response": row["resps"][0][0], "prompt": context}
                continue
            lls = [(float(r[0]), r[1] in (True, "True")) for r in row["filtered_resps"]]
            samples[(task, int(row["doc_id"]))] = {"lls": lls, "prompt": context}
    return wall, rss, cpu, samples


def run_benchgate(model: Path, dataset: str, dataset_args: dict, limit: int | None, out: Path,
                  model_args: str, env: dict, generation: str | None = None) -> tuple[float, float, float, dict]:
    cmd = [sys.executable, "-m", "pytest", str(ROOT / "evals"), "-q", "-p", "no:cacheprovider",
           "--model", str(model), "--model-args", model_args, "--datasets", dataset,
           "--dataset-args", json.dumps({dataset: dataset_args}), "--dataset-dir", str(DATA),
           "--output-dir", str(out), "--cache-path", str(out / "cache.sqlite")]
    if limit is not None:
        cmd += ["--limit", str(limit)]
    if generation:
        cmd += ["--generation-config", generation]
    out.mkdir(parents=True, exist_ok=True)
    wall, rss, cpu = timed(cmd, env, out / "run.log")
    samples = {}
    for line in (out / "samples.jsonl").read_text().splitlines():
        row = json.loads(line)
        if "loglikelihoods" not in row:  # generation
            usage = row.get("usage") or [{}]
            samples[(row["subset"], int(row["index"]))] = {
                "response": row["response"], "prompt": row["prompt"],
                "tokens": sum(u.get("completion_tokens", 0) for u in usage)}
            continue
        samples[(row["subset"], row["index"])] = {"lls": [tuple(x) for x in row["loglikelihoods"]],
                                                  "prompt": row["prompt"]}
    return wall, rss, cpu, samples


def agreement(ours: dict, theirs: dict, key_map) -> dict:
    """Max |diff| of every choice's log-likelihood, argmax / is_greedy / prompt agreement."""
    diff, argmax, greedy, prompts, missing = 0.0, 0, 0, 0, 0
    for key, mine in ours.items():
        other = theirs.get(key_map(key))
        if other is None or len(other["lls"]) != len(mine["lls"]):
            missing += 1
            continue
        a, b = [x[0] for x in mine["lls"]], [x[0] for x in other["lls"]]
        diff = max(diff, max(abs(x - y) for x, y in zip(a, b)))
        argmax += a.index(max(a)) == b.index(max(b))
        greedy += [x[1] for x in mine["lls"]] == [x[1] for x in other["lls"]]
        prompts += mine["prompt"].rstrip() == other["prompt"].rstrip()
    n = len(ours) - missing
    return {"compared": n, "missing": missing, "max_abs_diff": diff, "argmax_same": argmax,
            "is_greedy_same": greedy, "prompt_same": prompts}


def generation_agreement(ours: dict, theirs: dict, key_map) -> dict:
    """Identical generations and prompts; the differing keys; benchgate's length distribution."""
    same, prompts, missing, differ = 0, 0, 0, []
    for key, mine in ours.items():
        other = theirs.get(key_map(key))
        if other is None or "response" not in other:
            missing += 1
            continue
        if mine["response"] == other["response"]:
            same += 1
        else:
            differ.append({"key": list(key), "benchgate": mine["response"], "lm_eval": other["response"]})
        prompts += mine["prompt"].rstrip() == other["prompt"].rstrip()
    lengths = sorted(m["tokens"] for m in ours.values())

    def q(f: float) -> int:
        return lengths[min(len(lengths) - 1, int(f * len(lengths)))] if lengths else 0

    return {"compared": len(ours) - missing, "missing": missing, "same": same, "prompt_same": prompts,
            "differ": differ, "tokens": sum(lengths),
            "lengths": {"min": q(0), "p25": q(0.25), "median": q(0.5), "p75": q(0.75), "max": q(1.0)}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mmlu-subjects", nargs="*", default=list(MMLU_SUBJECTS))
    parser.add_argument("--hellaswag-limit", type=int, default=2000)
    parser.add_argument("--arc-limit", type=int, default=None, help="default: the full ARC-Challenge test")
    parser.add_argument("--gsm8k-limit", type=int, default=400)
    parser.add_argument("--bbh-subsets", nargs="*", default=list(BBH_SUBSETS))
    parser.add_argument("--bbh-limit", type=int, default=100, help="examples per BBH subset")
    parser.add_argument("--max-new-tokens", type=int, default=64, help="generation workloads")
    parser.add_argument("--extra-stop", default="ing", help="the extra stop string of gsm8k_stop and bbh_stop")
    parser.add_argument("--only", nargs="*", default=["mmlu", "hellaswag", "arc"],
                        choices=["mmlu", "hellaswag", "arc", *GENERATION])
    parser.add_argument("--batch-size", type=int, default=16, help="rows per forward, both harnesses")
    parser.add_argument("--lm-eval-version", default="0.4.13")
    parser.add_argument("--no-reuse-run", action="store_true",
                        help="skip the extra benchgate run with prefix_cache=false (scoring) or "
                             "continuous_batching=false (generation)")
    parser.add_argument("--off-args", default=None,
                        help="model args of that extra run instead, e.g. trim_last_layer=false")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run each workload's two sides this many times, alternated (lm-eval, "
                             "benchgate, lm-eval, ...); times are the medians, with each run's listed")
    parser.add_argument("--cache-dir", type=Path, default=None,
                        help="model, lm-eval venv, task files (default $BENCHGATE_HOME/vs-lmeval)")
    parser.add_argument("--out", type=Path, default=None, help="run outputs (default: a new folder in the cache dir)")
    args = parser.parse_args()

    from benchgate.models.smoke import benchgate_home

    cache = (args.cache_dir or benchgate_home() / "vs-lmeval").resolve()
    cache.mkdir(parents=True, exist_ok=True)
    out = (args.out or cache / time.strftime("run-%Y%m%d-%H%M%S")).resolve()
    out.mkdir(parents=True, exist_ok=True)
    model = build_model(cache, DATA)
    exe = lm_eval_venv(cache, args.lm_eval_version)
    tasks_dir = cache / "tasks"
    write_tasks(tasks_dir, DATA, args.mmlu_subjects)
    if set(args.only) & set(GENERATION):
        write_generation_tasks(tasks_dir, DATA, lm_eval_tasks_root(exe), args.bbh_subsets, args.extra_stop)
    env = {**os.environ, "HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
           "HF_DATASETS_CACHE": str(cache / "hf-datasets"), "BENCHGATE_HOME": str(benchgate_home())}
    bs, new = args.batch_size, args.max_new_tokens
    workloads = {
        "mmlu": ([f"bgcmp_mmlu_{s}" for s in args.mmlu_subjects], None, "mmlu",
                 {"subset_list": args.mmlu_subjects}, lambda k: (f"bgcmp_mmlu_{k[0]}", k[1])),
        "hellaswag": (["bgcmp_hellaswag"], args.hellaswag_limit, "hellaswag", {},
                      lambda k: ("bgcmp_hellaswag", k[1])),
        "arc": (["bgcmp_arc_challenge"], args.arc_limit, "arc", {"subset_list": ["ARC-Challenge"]},
                lambda k: ("bgcmp_arc_challenge", k[1])),
    }
    for suffix in ("", "_stop"):
        workloads[f"gsm8k{suffix}"] = ([f"bgcmp_gsm8k{suffix}"], args.gsm8k_limit, "gsm8k", {},
                                       lambda k, x=suffix: (f"bgcmp_gsm8k{x}", k[1]))
        workloads[f"bbh{suffix}"] = ([f"bgcmp_bbh{suffix}_{s}" for s in args.bbh_subsets], args.bbh_limit, "bbh",
                                     {"subset_list": args.bbh_subsets, "prompt_style": "lm_eval"},
                                     lambda k, x=suffix: (f"bgcmp_bbh{x}_{k[0]}", k[1]))
    report = {"model": str(model), "lm_eval": args.lm_eval_version, "batch_size": bs, "workloads": {},
              "load_before": os.getloadavg()}
    rows = []
    for name in args.only:
        tasks, limit, dataset, dargs, key_map = workloads[name]
        gen = name in GENERATION
        gen_kwargs = f"max_gen_toks={new}" if gen else None
        generation = None
        if gen:
            generation = json.dumps({"max_new_tokens": new, **({"stop": [args.extra_stop]} if name.endswith("_stop") else {})})
        lm_runs, bg_runs = [], []
        for k in range(args.repeat):
            tag = f"-{k + 1}" if k else ""
            print(f"[{name}] lm-eval{tag} ... (load {os.getloadavg()[0]:.1f})", flush=True)
            *timing, theirs_k = run_lm_eval(exe, model, tasks, tasks_dir, out / f"lm_eval-{name}{tag}", limit, bs,
                                            env, gen_kwargs)
            lm_runs.append(timing)
            print(f"[{name}] benchgate{tag} ... (load {os.getloadavg()[0]:.1f})", flush=True)
            *timing, ours_k = run_benchgate(model, dataset, dargs, limit, out / f"benchgate-{name}{tag}",
                                            f"batch_size={bs},dtype=float32", env, generation)
            bg_runs.append(timing)
            if not k:
                theirs, ours = theirs_k, ours_k
        compare = generation_agreement if gen else agreement
        entry = {"samples": len(ours),
                 "lm_eval": {**summary(lm_runs), "samples": len(theirs)}, "benchgate": summary(bg_runs),
                 "agreement": compare(ours, theirs, key_map), "load_after": os.getloadavg()}
        if not args.no_reuse_run:
            off = args.off_args or ("continuous_batching=false" if gen else "prefix_cache=false")
            print(f"[{name}] benchgate {off} ...", flush=True)
            nw, nrss, ncpu, plain = run_benchgate(model, dataset, dargs, limit, out / f"benchgate-off-{name}",
                                                  f"batch_size={bs},dtype=float32,{off}", env, generation)
            entry["benchgate_no_reuse"] = {"wall_s": nw, "cpu_s": ncpu, "peak_rss_mib": nrss, "off": off,
                                           "agreement_with_reuse": compare(ours, plain, lambda k: k)}
        report["workloads"][name] = entry
        rows.append((name, entry))
        (out / "report.json").write_text(json.dumps(report, indent=2))
    print(f"\nmodel {model.name}; lm-eval {args.lm_eval_version} (hf, batch {bs}); benchgate batch {bs}; "
          f"float32, CPU threads: torch default; load average {os.getloadavg()[0]:.1f} (uptime)\n")
    scoring = [(n, e) for n, e in rows if n not in GENERATION]
    if scoring:
        print_scoring(scoring)
    generating = [(n, e) for n, e in rows if n in GENERATION]
    if generating:
        print_generation(generating, new)
    print(f"\nreport: {out / 'report.json'}")


def print_scoring(rows) -> None:
    print("| workload | samples | lm-eval s | benchgate s | lm-eval samples/s | benchgate samples/s | "
          "ratio | CPU s lm-eval / benchgate / no-reuse | peak RSS MiB lm-eval / benchgate | no-reuse s | "
          "max abs diff | argmax same | prompts same |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, e in rows:
        n, lw, bw, a = e["samples"], e["lm_eval"]["wall_s"], e["benchgate"]["wall_s"], e["agreement"]
        nr = e.get("benchgate_no_reuse", {}).get("wall_s")
        ncpu = e.get("benchgate_no_reuse", {}).get("cpu_s")
        print(f"| {name} | {n} | {lw:.1f}{walls(e['lm_eval'])} | {bw:.1f}{walls(e['benchgate'])} | "
              f"{n / lw:.1f} | {n / bw:.1f} | {lw / bw:.2f}x | "
              f"{e['lm_eval']['cpu_s']:.0f} / {e['benchgate']['cpu_s']:.0f} / "
              f"{'-' if ncpu is None else f'{ncpu:.0f}'} | "
              f"{e['lm_eval']['peak_rss_mib']:.0f} / {e['benchgate']['peak_rss_mib']:.0f} | "
              f"{'-' if nr is None else f'{nr:.1f}'} | {a['max_abs_diff']:.2g} | "
              f"{a['argmax_same']}/{a['compared']} | {a['prompt_same']}/{a['compared']} |")


def print_generation(rows, new: int) -> None:
    print(f"greedy, at most {new} new tokens; tokens = benchgate's completion tokens (the same "
          f"generations, so the same work), per second of each tool's wall time\n")
    print("| workload | samples | lm-eval s | benchgate s | ratio | tokens | tokens/s lm-eval / benchgate | "
          "length min/p25/median/p75/max | CPU s lm-eval / benchgate | peak RSS MiB lm-eval / benchgate | "
          "continuous off s | identical | prompts same |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, e in rows:
        n, lw, bw, a = e["samples"], e["lm_eval"]["wall_s"], e["benchgate"]["wall_s"], e["agreement"]
        nr = e.get("benchgate_no_reuse", {}).get("wall_s")
        d = a["lengths"]
        print(f"| {name} | {n} | {lw:.1f}{walls(e['lm_eval'])} | {bw:.1f}{walls(e['benchgate'])} | "
              f"{lw / bw:.2f}x | {a['tokens']} | "
              f"{a['tokens'] / lw:.0f} / {a['tokens'] / bw:.0f} | "
              f"{d['min']}/{d['p25']}/{d['median']}/{d['p75']}/{d['max']} | "
              f"{e['lm_eval']['cpu_s']:.0f} / {e['benchgate']['cpu_s']:.0f} | "
              f"{e['lm_eval']['peak_rss_mib']:.0f} / {e['benchgate']['peak_rss_mib']:.0f} | "
              f"{'-' if nr is None else f'{nr:.1f}'} | {a['same']}/{a['compared']} | "
              f"{a['prompt_same']}/{a['compared']} |")
    for name, e in rows:
        for d in e["agreement"]["differ"][:5]:
            print(f"  {name} {d['key']}: benchgate {d['benchgate']!r}\n  {' ' * len(name)} lm-eval   {d['lm_eval']!r}")


if __name__ == "__main__":
    main()
