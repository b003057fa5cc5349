"""Bad data never gives a traceback: a hypothesis sweep over every dataset reader.

For each benchmark (and each native format it reads: CSV, JSONL, JSON documents, per-problem
JSON files, text, .gz, .bz2, YAML) a small valid dataset is built from the real files, then one
of its files is damaged: truncated (also inside the compressed stream), bytes replaced by
garbage or invalid UTF-8, a BOM prepended, re-encoded (Latin-1, UTF-16, CP1252, GB18030),
emptied, given a 200,000-character line, or edited structurally (a field dropped, an extra
field, a value of the wrong type, deep in nested JSON too).

Then everything collection does is run (subsets, each subset's samples and few-shot pool) and,
for every well-formed sample, its requests and its scoring with the oracle outputs. Every
outcome must be a DataError, a malformed sample or a skipped few-shot row whose message names
the damaged dataset's file and line, and nothing may raise anything else.
"""
from __future__ import annotations

import bz2
import csv
import functools
import gzip
import io
import json
import re
import shutil
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from benchgate.benchmark import DataError, DataWarning, RunContext
from benchgate.engine.items import BenchmarkFile, import_benchmark, load_subset
from benchgate.models.base import Generation, Loglikelihood
from tests.conftest import DATA, ROOT
from tests.evals.test_hellaswag import NATIVE as HS_NATIVE, WIKIHOW as HS_WIKIHOW
from tests.evals.test_trivia_qa import NATIVE as TQA_NATIVE, native_item

FIXTURES = ROOT / "tests" / "fixtures"


# ----- small valid datasets built from the real files -----

@functools.lru_cache(maxsize=None)
def head_of(src: Path, n: int, codec: str = "") -> bytes:
    """The first n lines of a (compressed) real file, read once per session."""
    opener = {"gz": gzip.open, "bz2": bz2.open}.get(codec, open)
    out = []
    with opener(src, "rb") as f:
        for _, line in zip(range(n), f):
            out.append(line)
    return b"".join(out)


def head_lines(src: Path, dst: Path, n: int | None) -> Path:
    dst.parent.mkdir(parents=True, exist_ok=True)
    lines = src.read_bytes().splitlines(keepends=True)
    dst.write_bytes(b"".join(lines if n is None else lines[:n]))
    return dst


def csv_head(src: Path, dst: Path, n: int) -> Path:
    """The first n records (a record may span lines)."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    with open(src, encoding="utf-8-sig", newline="") as f:
        rows = [r for _, r in zip(range(n), csv.reader(f))]
    with open(dst, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    return dst


def write_json(dst: Path, doc) -> Path:
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_text(json.dumps(doc, indent=1, ensure_ascii=False), encoding="utf-8")
    return dst


@functools.lru_cache(maxsize=None)
def mmlu_categories_head() -> int:
    """How many lines of the real categories.yaml run through abstract_algebra's entry (the
    subject of the case's CSV files): its header, categories and that one subject. Parsed by
    pure-Python YAML on every load, the whole file made up most of the mmlu sweeps' time."""
    lines = (DATA / "mmlu" / "categories.yaml").read_text(encoding="utf-8").splitlines()
    return lines.index("  anatomy:")  # the subject after abstract_algebra


def mmlu(root):
    d = DATA / "mmlu"
    return {"few_shot_num": 2}, [
        csv_head(d / "data/test/abstract_algebra_test.csv", root / "mmlu/data/test/abstract_algebra_test.csv", 3),
        csv_head(d / "data/dev/abstract_algebra_dev.csv", root / "mmlu/data/dev/abstract_algebra_dev.csv", 5),
        head_lines(d / "categories.yaml", root / "mmlu" / "categories.yaml", mmlu_categories_head())]


def ceval(root):
    d = DATA / "ceval"
    return {"few_shot_num": 2, "subset_list": ["accountant"]}, [
        csv_head(d / "val/accountant_val.csv", root / "ceval/val/accountant_val.csv", 4),
        csv_head(d / "dev/accountant_dev.csv", root / "ceval/dev/accountant_dev.csv", 6)]


def cmmlu(root):
    d = DATA / "cmmlu/data"
    return {"few_shot_num": 2, "subset_list": ["agronomy"]}, [
        csv_head(d / "test/agronomy.csv", root / "cmmlu/data/test/agronomy.csv", 4),
        csv_head(d / "dev/agronomy.csv", root / "cmmlu/data/dev/agronomy.csv", 6)]


def gsm8k(root):
    return {"few_shot_num": 2}, [head_lines(DATA / "gsm8k/test.jsonl", root / "gsm8k/test.jsonl", 3),
                                 head_lines(DATA / "gsm8k/train.jsonl", root / "gsm8k/train.jsonl", 4)]


def arc(root):
    d = DATA / "arc/ARC-Challenge"
    return {"few_shot_num": 2, "subset_list": ["ARC-Challenge"]}, [
        head_lines(d / "ARC-Challenge-Test.jsonl", root / "arc/ARC-Challenge/ARC-Challenge-Test.jsonl", 3),
        head_lines(d / "ARC-Challenge-Train.jsonl", root / "arc/ARC-Challenge/ARC-Challenge-Train.jsonl", 3)]


def hellaswag_derived(root):
    dst = root / "hellaswag/hellaswag_val_full.txt.bz2"
    dst.parent.mkdir(parents=True)
    dst.write_bytes(bz2.compress(head_of(DATA / "hellaswag/hellaswag_val_full.txt.bz2", 18, "bz2")))
    return {}, [dst]


def hellaswag_native(root):
    folder = root / "hellaswag"
    folder.mkdir()
    (folder / "hellaswag_val.jsonl").write_text(json.dumps(HS_NATIVE) + "\n" + json.dumps(HS_WIKIHOW) + "\n")
    (folder / "hellaswag_train.jsonl").write_text(json.dumps(HS_WIKIHOW) + "\n" + json.dumps(HS_NATIVE) + "\n")
    return {"few_shot_num": 1}, [folder / "hellaswag_val.jsonl", folder / "hellaswag_train.jsonl"]


@functools.lru_cache(maxsize=None)
def _json(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def truthful_mc(root):
    items = _json(DATA / "truthfulqa/data/mc_task.json")[:3]
    return {}, [write_json(root / "truthfulqa/data/mc_task.json", items)]


def truthful_gen(root):
    return {"mode": "generate"}, [csv_head(DATA / "truthfulqa/TruthfulQA.csv", root / "truthfulqa/TruthfulQA.csv", 4)]


def competition_math(root, selection="full"):
    d = DATA / "competition_math"
    files = [shutil.copy(d / f"MATH/test/algebra/{n}.json", (root / "competition_math/MATH/test/algebra")
                         .mkdir(parents=True, exist_ok=True) or root / f"competition_math/MATH/test/algebra/{n}.json")
             for n in (1, 10, 1001)]
    ids = root / "competition_math/math500_unique_ids.txt"
    ids.write_text("test/algebra/1.json\ntest/algebra/10.json\ntest/geometry/5.json\n")
    return {"selection": selection}, [Path(f) for f in files] + ([ids] if selection == "math500" else [])


def humaneval(root):
    dst = root / "humaneval/HumanEval.jsonl.gz"
    dst.parent.mkdir(parents=True)
    dst.write_bytes(gzip.compress(head_of(DATA / "humaneval/HumanEval.jsonl.gz", 2, "gz")))
    return {}, [dst]


def bbh(root):
    doc = dict(_json(DATA / "bbh/bbh/boolean_expressions.json"))
    doc["examples"] = doc["examples"][:3]
    task = write_json(root / "bbh/bbh/boolean_expressions.json", doc)
    cot = root / "bbh/cot-prompts/boolean_expressions.txt"
    cot.parent.mkdir(parents=True)
    shutil.copy(DATA / "bbh/cot-prompts/boolean_expressions.txt", cot)
    return {}, [task, cot]


def race(root):
    shutil.copytree(FIXTURES / "race/test/high", root / "race/test/high")
    return {"subset_list": ["high"], "all_questions": True}, sorted((root / "race/test/high").glob("*.txt"))


def trivia_derived(root):
    return {"few_shot_num": 1}, [head_lines(DATA / "trivia_qa/triviaqa_sm_sub.jsonl",
                                            root / "trivia_qa/triviaqa_sm_sub.jsonl", 4)]


def trivia_native(root):
    train = {"Data": [native_item("tr_1", "What is the capital of Australia?", "Canberra", ["Canberra"])]}
    return {"few_shot_num": 1}, [write_json(root / "trivia_qa/unfiltered-web-dev.json", TQA_NATIVE),
                                 write_json(root / "trivia_qa/unfiltered-web-train.json", train)]


def general_qa(root):
    shutil.copytree(FIXTURES / "general_qa", root / "general_qa")
    return {}, sorted((root / "general_qa").iterdir())


def perplexity(root, unit="paragraph"):
    folder = root / "perplexity"
    folder.mkdir()
    (folder / "corpus.txt").write_text("The first paragraph, two lines\nof text.\n\nA second one.\n\n\nThird: "
                                       "über café 東京.\n", encoding="utf-8")
    return {"unit": unit}, [folder / "corpus.txt"]


@dataclass
class Case:
    benchmark: str
    build: Callable[[Path], tuple[dict, list[Path]]]


CASES = {
    "mmlu": Case("mmlu", mmlu), "ceval": Case("ceval", ceval), "cmmlu": Case("cmmlu", cmmlu),
    "gsm8k": Case("gsm8k", gsm8k), "arc": Case("arc", arc),
    "hellaswag-bz2": Case("hellaswag", hellaswag_derived), "hellaswag-jsonl": Case("hellaswag", hellaswag_native),
    "truthful_qa-json": Case("truthful_qa", truthful_mc), "truthful_qa-csv": Case("truthful_qa", truthful_gen),
    "competition_math": Case("competition_math", competition_math),
    "competition_math-500": Case("competition_math", lambda r: competition_math(r, "math500")),
    "humaneval-gz": Case("humaneval", humaneval), "bbh": Case("bbh", bbh), "race": Case("race", race),
    "trivia_qa-jsonl": Case("trivia_qa", trivia_derived), "trivia_qa-json": Case("trivia_qa", trivia_native),
    "general_qa": Case("general_qa", general_qa),
    "perplexity-paragraph": Case("perplexity", perplexity),
    "perplexity-file": Case("perplexity", lambda r: perplexity(r, "file")),
}


# ----- damage -----

WRONG_VALUES = st.sampled_from([None, 0, -1, 1.5, True, [], {}, ["x"], {"a": 1}, "", " ", "x" * 200_000,
                                "\u0000", "[[[", "Level 9"])
FRACTION = st.floats(0, 1)
STRUCTURED = st.one_of(
    st.tuples(st.just("drop"), st.integers(0, 99), st.integers(0, 99)),
    st.tuples(st.just("extra"), st.integers(0, 99), st.integers(0, 99)),
    st.tuples(st.just("retype"), st.integers(0, 99), st.integers(0, 99), WRONG_VALUES),
)
DAMAGE = st.one_of(
    STRUCTURED, STRUCTURED, STRUCTURED,  # as likely as all byte-level damages together
    st.tuples(st.just("truncate"), FRACTION),
    st.tuples(st.just("truncate_compressed"), FRACTION),
    st.tuples(st.just("garbage"), FRACTION, st.binary(min_size=1, max_size=8)),
    st.tuples(st.just("invalid_utf8"), FRACTION),
    st.just(("bom",)),
    st.tuples(st.just("reencode"), st.sampled_from(["latin-1", "utf-16", "cp1252", "gb18030"])),
    st.just(("empty",)),
    st.tuples(st.just("long_line"), FRACTION),
)


def _slots(node, out):
    """Every (container, key) in a JSON value, depth first."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for k, v in list(items):
        out.append((node, k))
        _slots(v, out)
    return out


def _edit_json(value, damage):
    kind, i, j = damage[0], damage[1], damage[2]
    slots = _slots(value, [])
    if kind == "extra":
        dicts = [value] + [c[k] for c, k in slots if isinstance(c[k], dict)]
        if isinstance(dicts[0], dict) or len(dicts) > 1:
            target = [d for d in dicts if isinstance(d, dict)][i % len([d for d in dicts if isinstance(d, dict)])]
            target[f"unexpected_{j}"] = "extra"
        return value
    if not slots:
        return damage[3] if kind == "retype" else value
    container, key = slots[j % len(slots)]
    if kind == "drop":
        del container[key]
    else:
        container[key] = damage[3]
    return value


def _edit_structured(text: str, suffix: str, damage):
    if suffix == ".csv":
        rows = list(csv.reader(io.StringIO(text, newline="")))
        if not rows:
            return text
        row = rows[damage[1] % len(rows)]
        if damage[0] == "drop" and row:
            del row[damage[2] % len(row)]
        elif damage[0] == "extra":
            row.append("extra field")
        elif damage[0] == "retype" and row:
            row[damage[2] % len(row)] = json.dumps(damage[3]) if not isinstance(damage[3], str) else damage[3]
        out = io.StringIO()
        csv.writer(out).writerows(rows)
        return out.getvalue()
    try:
        doc = json.loads(text)
    except ValueError:
        lines = text.split("\n")
        nonblank = [n for n, line in enumerate(lines) if line.strip()]
        if not nonblank:
            return text
        n = nonblank[damage[1] % len(nonblank)]
        try:
            lines[n] = json.dumps(_edit_json(json.loads(lines[n]), damage), ensure_ascii=False)
        except ValueError:
            return text  # not JSON at all (plain text): no structure to edit
        return "\n".join(lines)
    return json.dumps(_edit_json(doc, damage), indent=1, ensure_ascii=False)


def damage_file(path: Path, damage) -> None:
    raw = path.read_bytes()
    codec = {".gz": (gzip.decompress, gzip.compress), ".bz2": (bz2.decompress, bz2.compress)}.get(path.suffix)
    kind = damage[0]
    if kind == "truncate_compressed":
        path.write_bytes(raw[:int(len(raw) * damage[1])])
        return
    data = codec[0](raw) if codec else raw
    at = lambda f: int(len(data) * f)  # noqa: E731
    if kind == "truncate":
        data = data[:at(damage[1])]
    elif kind == "garbage":
        data = data[:at(damage[1])] + damage[2] + data[at(damage[1]) + len(damage[2]):]
    elif kind == "invalid_utf8":
        data = data[:at(damage[1])] + b"\xff\xfe\xc3(" + data[at(damage[1]):]
    elif kind == "bom":
        data = b"\xef\xbb\xbf" + data
    elif kind == "reencode":
        data = data.decode("utf-8").encode(damage[1], errors="replace")
    elif kind == "empty":
        data = b""
    elif kind == "long_line":
        data = data[:at(damage[1])] + b"y" * 200_000 + data[at(damage[1]):]
    else:
        inner = path.with_suffix("") if codec else path
        data = _edit_structured(data.decode("utf-8"), inner.suffix, damage).encode("utf-8")
    path.write_bytes(codec[1](data) if codec else data)


# ----- what collection and scoring do, and the check -----

def oracle_outputs(requests):
    out = []
    for r in requests:
        if r.kind == "generate":
            out.append(Generation(str(r.oracle)))
        elif r.kind == "loglikelihood":
            out.append(r.oracle if isinstance(r.oracle, Loglikelihood) else Loglikelihood(*r.oracle))
        else:
            out.append(float(r.oracle))
    return out


def run_everything(bench, ctx) -> list[str]:
    """The messages of every error and skipped row; raises anything that is not a DataError."""
    messages: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            subsets = BenchmarkFile._subsets(bench, ctx)
        except DataError as e:
            return [str(e)]
        for subset in subsets:
            try:
                samples, _ = load_subset(bench, ctx, subset)
            except DataError as e:
                messages.append(str(e))
                continue
            for sample in samples:
                if sample.error:
                    messages.append(sample.error)
                    continue
                requests = bench.requests(ctx, sample)
                if bench.name in ("humaneval", "perplexity"):  # runs programs / no right answer
                    continue
                if bench.name == "general_qa" or ctx.args.get("mode") == "generate" and bench.name == "truthful_qa":
                    bench.score(ctx, sample, oracle_outputs(requests))  # text overlap: 1 is not guaranteed
                    continue
                # a row that is accepted can be scored, and the gold answer scores 1
                scored = bench.score(ctx, sample, oracle_outputs(requests))
                metric = bench.metric(ctx)
                assert scored.scores[metric] == 1.0, (sample.source, scored.scores)
    messages += [str(w.message) for w in caught if issubclass(w.category, DataWarning)]
    return messages


def assert_named(messages: list[str], root: Path) -> None:
    where = re.compile(re.escape(str(root)) + r"/\S+?:\d+")
    for message in messages:
        assert where.search(message), f"no file:line in {message!r}"


@pytest.mark.parametrize("name", list(CASES))
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(damage=DAMAGE, which=st.integers(0, 20))
def test_damaged_data_gives_file_and_line_never_a_traceback(name, damage, which):
    case = CASES[name]
    bench = import_benchmark(ROOT / "evals" / f"{case.benchmark}.py")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        args, targets = case.build(root)
        ctx = RunContext(dataset_dir=root, dataset_hub="local", args=bench.effective_args(args), seed=1)
        clean = run_everything(bench, ctx)
        assert clean == [], clean  # the undamaged dataset is valid
        damage_file(targets[which % len(targets)], damage)
        ctx = RunContext(dataset_dir=root, dataset_hub="local", args=bench.effective_args(args), seed=1)
        assert_named(run_everything(bench, ctx), root)


FIELD_VALUES = (None, 0, 1.5, True, [], {}, "", "x" * 200_000)


def field_damages(path: Path) -> list[tuple]:
    """Every field of the first two records dropped, or given each wrong value."""
    raw = path.read_bytes()
    text = (gzip.decompress(raw) if path.suffix == ".gz" else bz2.decompress(raw) if path.suffix == ".bz2"
            else raw).decode("utf-8")
    inner = path.with_suffix("") if path.suffix in (".gz", ".bz2") else path
    if inner.suffix == ".csv":
        rows = list(csv.reader(io.StringIO(text, newline="")))
        counts = [(r, len(rows[r])) for r in range(min(2, len(rows)))]
    else:
        try:
            counts = [(0, len(_slots(json.loads(text), [])))]
        except ValueError:
            lines = [line for line in text.split("\n") if line.strip()]
            try:
                counts = [(r, len(_slots(json.loads(lines[r]), []))) for r in range(min(2, len(lines)))]
            except ValueError:
                return []  # plain text: no fields
    return [d for r, n in counts for j in range(min(n, 60))
            for d in [("drop", r, j)] + [("retype", r, j, v) for v in FIELD_VALUES]]


@pytest.mark.slow  # real data or the reference implementation on every row: many seconds
@pytest.mark.parametrize("name", list(CASES))
def test_every_field_dropped_or_of_the_wrong_type(name):
    """The structured damages, exhaustively for the first records of every file."""
    case = CASES[name]
    bench = import_benchmark(ROOT / "evals" / f"{case.benchmark}.py")
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base"
        base.mkdir()
        args, targets = case.build(base)
        # one copy of the dataset; each damage is made to its file and undone after (no
        # benchmark writes into its data folder), not a fresh copy and removal per damage
        root = Path(tmp) / "run"
        shutil.copytree(base, root)
        for t, target in enumerate(targets):
            damaged = root / target.relative_to(base)
            for damage in field_damages(target):
                damage_file(damaged, damage)
                ctx = RunContext(dataset_dir=root, dataset_hub="local", args=bench.effective_args(args), seed=1)
                try:
                    assert_named(run_everything(bench, ctx), root)
                except Exception as e:
                    raise AssertionError(f"{target.name} {damage[:3]} {str(damage[3:])[:40]}: {e!r}") from e
                damaged.write_bytes(target.read_bytes())


# ----- a few damages by hand, with the exact outcome -----

def load(name, mutate):
    case = CASES[name]
    bench = import_benchmark(ROOT / "evals" / f"{case.benchmark}.py")
    root = Path(tempfile.mkdtemp())
    args, targets = case.build(root)
    mutate(targets)
    ctx = RunContext(dataset_dir=root, dataset_hub="local", args=bench.effective_args(args), seed=1)
    return bench, ctx, targets


def test_malformed_few_shot_rows_are_skipped_with_one_warning_naming_them():
    def break_second_train_row(targets):
        lines = targets[1].read_text().splitlines(keepends=True)
        lines[1] = '{"question": "no answer field"}\n'
        targets[1].write_text("".join(lines))

    bench, ctx, targets = load("gsm8k", break_second_train_row)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        samples, _ = load_subset(bench, ctx, "main")
        prompts = [bench.prompt(ctx, s) for s in samples]
    (warning,) = [w for w in caught if issubclass(w.category, DataWarning)]
    assert str(warning.message) == (f"gsm8k/main: skipped 1 malformed few-shot row(s): {targets[1]}:2: malformed "
                                    f"row: missing field 'answer'")
    # two exemplars (lm-eval's seeded draw) from the three well-formed rows, never the broken one
    assert all(p.count("Question: ") == 3 for p in prompts)
    assert "no answer field" not in "".join(prompts)


def test_truncated_gzip_and_latin1_csv_and_long_csv_field():
    bench, ctx, targets = load("humaneval-gz", lambda t: t[0].write_bytes(t[0].read_bytes()[:200]))
    with pytest.raises(DataError, match=re.escape(f"{targets[0]}:") + r"\d+: corrupt or truncated gz file"):
        bench.load(ctx, "openai_humaneval")

    bench, ctx, targets = load("ceval", lambda t: damage_file(t[0], ("reencode", "gb18030")))
    samples = bench.load(ctx, "accountant")
    assert [s.error for s in samples] == [f"{targets[0]}:{n}: not valid UTF-8; save the file as UTF-8"
                                          for n in (2, 3, 4)]

    def long_question(t):
        rows = list(csv.reader(open(t[0], newline="", encoding="utf-8")))
        rows[1][1] = "q" * 300_000  # over csv's default field limit of 131,072
        with open(t[0], "w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerows(rows)

    bench, ctx, targets = load("ceval", long_question)
    samples = bench.load(ctx, "accountant")
    assert [s.error for s in samples] == [None, None, None] and len(samples[0].data["question"]) == 300_000


def test_bom_is_accepted_everywhere_it_is_common():
    for name, index in (("gsm8k", 0), ("mmlu", 0), ("truthful_qa-json", 0), ("bbh", 0), ("race", 0)):
        case = CASES[name]
        bench = import_benchmark(ROOT / "evals" / f"{case.benchmark}.py")
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            args, targets = case.build(root)
            damage_file(targets[index], ("bom",))
            ctx = RunContext(dataset_dir=root, dataset_hub="local", args=bench.effective_args(args), seed=1)
            assert run_everything(bench, ctx) == [], name


# ----- the stress test's prompt files (benchgate perf --dataset openqa|line_by_line|sharegpt) -----

PERF_FILES = {
    "openqa": '{"question": "What is one plus one?"}\n{"question": "Name a colour."}\n',
    "line_by_line": "first prompt\nsecond prompt\n",
    "sharegpt": json.dumps([{"conversations": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "yo"}]},
                            {"conversations": [{"from": "human", "value": "q2"}]}], indent=1),
}


@pytest.mark.parametrize("dataset", list(PERF_FILES))
@settings(max_examples=40, deadline=None)
@given(damage=DAMAGE)
def test_damaged_perf_prompt_files_give_a_dataset_error_naming_the_file(dataset, damage):
    from benchgate.perf.config import PerfConfig
    from benchgate.perf.datasets import DatasetError, load_prompts

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ("prompts.json" if dataset == "sharegpt" else "prompts.jsonl" if dataset == "openqa"
                            else "prompts.txt")
        path.write_text(PERF_FILES[dataset], encoding="utf-8")
        damage_file(path, damage)
        cfg = PerfConfig(url="http://x", dataset=dataset, dataset_path=str(path), number=[1])
        try:
            prompts = load_prompts(cfg)
        except DatasetError as e:
            assert str(path) in str(e)
            return
        assert prompts and all(isinstance(p, str) and p for p in prompts)
