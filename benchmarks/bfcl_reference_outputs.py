"""Build model outputs that exercise every rule of BFCL's single-turn checker, for the
cross-check against bfcl-eval (benchmarks/bfcl_reference_verdicts.py):

    python benchmarks/bfcl_reference_outputs.py ../shared/agent OUTPUTS.jsonl [--all]
    /tmp/bfcl-venv/bin/python benchmarks/bfcl_reference_verdicts.py OUTPUTS.jsonl VERDICTS.jsonl
    gzip -9 -c VERDICTS.jsonl > tests/agent/data/bfcl_reference_verdicts.jsonl.gz

Per case: the ground truth, each parameter's alternative accepted values, wrong types,
int-for-float, extra, missing and omitted optional parameters, wrong names, swapped parallel
order, case/whitespace/punctuation variants of strings, list and dict changes, Java/JS typed
strings in other spellings, wrong call counts, malformed answers; irrelevance/relevance cases
get calls, declines and empty lists. Prompt-mode outputs are texts; fc-mode outputs are BFCL's
FC result format ([{name: arguments JSON}], or a text when no call is made). Deterministic.
Without --all a stratified sample is written (the committed set: `sample`); --all writes
every output (79,876 on BFCL v4 2026.3.23).
"""
from __future__ import annotations

import copy
import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchgate.agent.oracle import oracle_calls  # noqa: E402

CATEGORIES = ("simple_python", "simple_java", "simple_javascript", "multiple", "parallel", "parallel_multiple",
              "irrelevance", "live_simple", "live_multiple", "live_parallel", "live_parallel_multiple",
              "live_irrelevance", "live_relevance")
EVERY = {"live_multiple": 6, "live_irrelevance": 20, "live_simple": 2, "simple_python": 2, "irrelevance": 8}
# cases whose ground truth BFCL's own checker rejects (BFCL data errors): always included
ALWAYS = {"live_multiple_507-149-4", "live_multiple_862-181-3", "live_multiple_964-207-0"}


def language(category: str) -> str:
    return "java" if category.endswith("java") else "javascript" if category.endswith("javascript") else "python"


def _params(call: dict) -> dict:
    return next(iter(call.values()))


def variants(case: dict, truth: list, lang: str, rng: random.Random) -> list[tuple[str, list]]:
    """(label, calls as [(name, args)]) for one AST case."""
    base = oracle_calls(case["function"], truth, lang)
    docs = {f["name"]: f for f in case["function"]}
    out = [("ground_truth", base)]

    def edit(label, i, fn):
        calls = copy.deepcopy(base)
        name, args = calls[i]
        result = fn(name, args)
        if result is not None:
            calls[i] = result
            out.append((label, calls))

    for i, (name, args) in enumerate(base):
        props = docs.get(name, {}).get("parameters", {}).get("properties", {})
        accepted = _params(truth[i])
        for p, values in accepted.items():
            alts = [v for v in values if v != ""]
            if len(alts) > 1:
                alt = oracle_calls(case["function"], [{name: {**accepted, p: [alts[-1]]}}], lang)[0][1]
                edit(f"alternative:{p}", i, lambda n, a, alt=alt: (n, alt))
            if "" in values and p in args:
                edit(f"omit_optional:{p}", i, lambda n, a, p=p: (n, {k: v for k, v in a.items() if k != p}))
        for p, v in list(args.items()):
            declared = props.get(p, {}).get("type")
            edit(f"drop:{p}", i, lambda n, a, p=p: (n, {k: w for k, w in a.items() if k != p}))
            if isinstance(v, str):
                edit(f"upper:{p}", i, lambda n, a, p=p: (n, {**a, p: a[p].upper()}))
                edit(f"spaced:{p}", i, lambda n, a, p=p: (n, {**a, p: " " + a[p].replace(" ", "  ") + "."}))
                edit(f"quote:{p}", i, lambda n, a, p=p: (n, {**a, p: a[p].replace('"', "'") + "'"}))
                edit(f"wrong_value:{p}", i, lambda n, a, p=p: (n, {**a, p: a[p] + "zq"}))
                if lang == "python":
                    edit(f"as_int:{p}", i, lambda n, a, p=p: (n, {**a, p: 123}))
                if lang != "python":
                    edit(f"typed_respelled:{p}", i, lambda n, a, p=p, d=declared: (n, {**a, p: _respell(a[p], d)}))
                    edit(f"not_a_string:{p}", i, lambda n, a, p=p: (n, {**a, p: 7}))
            elif isinstance(v, bool):
                edit(f"bool_as_str:{p}", i, lambda n, a, p=p: (n, {**a, p: str(a[p]).lower()}))
                edit(f"bool_flip:{p}", i, lambda n, a, p=p: (n, {**a, p: not a[p]}))
                edit(f"bool_as_int:{p}", i, lambda n, a, p=p: (n, {**a, p: int(a[p])}))
            elif isinstance(v, int):
                edit(f"int_as_float:{p}", i, lambda n, a, p=p: (n, {**a, p: float(a[p])}))
                edit(f"int_as_str:{p}", i, lambda n, a, p=p: (n, {**a, p: str(a[p])}))
                edit(f"int_plus_one:{p}", i, lambda n, a, p=p: (n, {**a, p: a[p] + 1}))
            elif isinstance(v, float):
                if v == int(v):
                    edit(f"float_as_int:{p}", i, lambda n, a, p=p: (n, {**a, p: int(a[p])}))
                edit(f"float_changed:{p}", i, lambda n, a, p=p: (n, {**a, p: a[p] + 0.5}))
            elif isinstance(v, list):
                if len(v) > 1:
                    edit(f"list_reversed:{p}", i, lambda n, a, p=p: (n, {**a, p: a[p][::-1]}))
                    edit(f"list_shorter:{p}", i, lambda n, a, p=p: (n, {**a, p: a[p][:-1]}))
                if v and isinstance(v[0], str):
                    edit(f"list_upper:{p}", i, lambda n, a, p=p: (n, {**a, p: [x.upper() for x in a[p]]}))
                if v and isinstance(v[0], int) and not isinstance(v[0], bool):
                    edit(f"list_float_items:{p}", i, lambda n, a, p=p: (n, {**a, p: [float(x) for x in a[p]]}))
                    edit(f"list_str_items:{p}", i, lambda n, a, p=p: (n, {**a, p: [str(x) for x in a[p]]}))
                if v and isinstance(v[0], dict):
                    edit(f"list_dict_extra_key:{p}", i,
                         lambda n, a, p=p: (n, {**a, p: [{**a[p][0], "zz": 1}] + a[p][1:]}))
                edit(f"list_as_str:{p}", i, lambda n, a, p=p: (n, {**a, p: json.dumps(a[p])}))
            elif isinstance(v, dict):
                if v:
                    k0 = next(iter(v))
                    edit(f"dict_drop_key:{p}", i, lambda n, a, p=p, k=k0: (n, {**a, p: {x: y for x, y in a[p].items() if x != k}}))
                    edit(f"dict_value_upper:{p}", i, lambda n, a, p=p, k=k0: (
                        n, {**a, p: {**a[p], k: a[p][k].upper() if isinstance(a[p][k], str) else a[p][k]}}))
                edit(f"dict_extra_key:{p}", i, lambda n, a, p=p: (n, {**a, p: {**a[p], "zz": "q"}}))
        edit("extra_param", i, lambda n, a: (n, {**a, "zz_extra": 1}))
        edit("wrong_name", i, lambda n, a: (n + "_x", a))
        for p, d in props.items():
            if p not in args and p not in accepted:
                edit(f"undeclared_in_answer:{p}", i, lambda n, a, p=p: (n, {**a, p: "x"}))
                break
    if len(base) > 1:
        out.append(("swapped_order", base[::-1]))
        out.append(("one_call_missing", base[:-1]))
    out.append(("duplicated_call", base + base[:1]))
    out.append(("no_calls", []))
    rng.shuffle(out)
    return out


def _respell(text: str, declared: str | None) -> str:
    """Another spelling of a Java/JS typed string (quoted, long suffix, spaces in collections)."""
    if declared in ("long",) and text.endswith("L"):
        return text[:-1]
    if declared in ("integer", "long", "short", "byte") and text.lstrip("-").isdigit():
        return text + "L"
    if declared in ("Boolean", "boolean"):
        return text.capitalize()
    if declared in ("String",):
        return f'"{text}"'
    if text.startswith("new ") or text.startswith("["):
        return text.replace(", ", ",")
    return f"'{text}'"


def prompt_text(calls: list, lang: str) -> str:
    if lang == "python":
        return "[" + ", ".join(f"{n}(" + ", ".join(f"{k}={v!r}" for k, v in a.items()) + ")" for n, a in calls) + "]"
    return "[" + ", ".join(f"{n}(" + ", ".join(f"{k}={_literal(v)}" for k, v in a.items()) + ")"
                           for n, a in calls) + "]"


def _literal(value) -> str:
    """A Java/JS argument as a model writes it (a Python literal, as the oracle writes it)."""
    return repr(value)


def fc_result(calls: list) -> list:
    return [{n.replace(".", "_"): json.dumps(a)} for n, a in calls]


def sample(rows: list[dict], rng: random.Random, per_rule: int = 25, others: int = 6000) -> list[dict]:
    """The committed set: every ground truth and (ir)relevance output, up to `per_rule` outputs
    of each (mode, category, rule), and `others` more drawn at random; in the original order."""
    keep, seen = set(), {}
    for i, r in enumerate(rows):
        rule = (r["mode"], r["category"], r["label"].split(":")[0])
        if r["label"] == "ground_truth" or "relevance" in r["category"] or seen.get(rule, 0) < per_rule:
            keep.add(i)
            seen[rule] = seen.get(rule, 0) + 1
    rest = [i for i in range(len(rows)) if i not in keep]
    keep.update(rng.sample(rest, min(others, len(rest))))
    return [rows[i] for i in sorted(keep)]


def main(dataset_dir: str, out_path: str, everything: bool = False) -> None:
    folder = Path(dataset_dir) / "bfcl"
    rng = random.Random(19)
    rows = []
    for category in CATEGORIES:
        lang = language(category)
        cases = [json.loads(line) for line in open(folder / f"BFCL_v4_{category}.json", encoding="utf-8")]
        answers = {}
        if "relevance" not in category:
            answers = {a["id"]: a["ground_truth"] for a in map(json.loads, open(
                folder / "possible_answer" / f"BFCL_v4_{category}.json", encoding="utf-8"))}
        for n, case in enumerate(cases):
            cid = case["id"]
            if n % EVERY.get(category, 1) and cid not in ALWAYS:
                continue
            if "relevance" in category:
                call = oracle_calls(case["function"], None, lang) if case["function"] else [("xyzzy", {})]
                for label, text in (("call", prompt_text(call, lang)), ("decline", "I cannot help with that."),
                                    ("empty_list", "[]"), ("empty_call", "[{}]"), ("prose_call", "Sure: " + prompt_text(call, lang))):
                    rows.append({"category": category, "mode": "prompt", "case_id": cid, "label": label, "output": text})
                for label, res in (("call", fc_result(call)), ("decline", "I cannot help with that."), ("empty", [])):
                    rows.append({"category": category, "mode": "fc", "case_id": cid, "label": label, "output": res})
                continue
            for label, calls in variants(case, answers[cid], lang, rng):
                rows.append({"category": category, "mode": "prompt", "case_id": cid, "label": label,
                             "output": prompt_text(calls, lang)})
                rows.append({"category": category, "mode": "fc", "case_id": cid, "label": label, "output": fc_result(calls)})
            rows.append({"category": category, "mode": "prompt", "case_id": cid, "label": "prose",
                         "output": "I would call the function now."})
            rows.append({"category": category, "mode": "fc", "case_id": cid, "label": "malformed_arguments",
                         "output": [{next(iter(answers[cid][0])).replace(".", "_"): '{"a": 1,'}]})
            rows.append({"category": category, "mode": "fc", "case_id": cid, "label": "dotted_name",
                         "output": [{n: json.dumps(a)} for n, a in oracle_calls(case["function"], answers[cid], lang)]})
    if not everything:
        rows = sample(rows, random.Random(1919))
    with open(out_path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"{len(rows)} outputs -> {out_path}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], everything="--all" in sys.argv[3:])
