"""benchgate's BFCL scoring against bfcl-eval's own: 19,536 model outputs built to hit every
checker rule (benchmarks/bfcl_reference_outputs.py), scored by bfcl-eval 2026.3.23's eval
runner in a separate virtual environment (benchmarks/bfcl_reference_verdicts.py), verdicts
committed in data/bfcl_reference_verdicts.jsonl.gz. Every verdict and every error type must
agree. Rebuilding the file needs the reference venv (commands in the scripts' docstrings)."""
import collections
import gzip
import json
from pathlib import Path

import pytest

from benchgate.benchmark import RunContext
from benchgate.engine.items import import_benchmark
from benchgate.models.base import Generation, tool_calls_text
from tests.conftest import ROOT

BFCL = import_benchmark(ROOT / "evals" / "bfcl.py")
VERDICTS = Path(__file__).parent / "data" / "bfcl_reference_verdicts.jsonl.gz"


def _rows() -> list[dict]:
    with gzip.open(VERDICTS, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def as_text(output) -> str:
    """A BFCL result (prompt text, or FC [{name: arguments}] / text) as benchgate's answer text."""
    if isinstance(output, str):
        return output
    return tool_calls_text(None, [{"name": k, "arguments": v} for call in output for k, v in call.items()])


def test_every_verdict_and_error_type_agree_with_bfcl_eval(agent_dir):
    rows = _rows()
    assert len(rows) >= 3000
    ctxs = {m: RunContext(agent_dir, "local", BFCL.effective_args({"mode": m}), chat=True) for m in ("fc", "prompt")}
    samples: dict[str, dict] = {}
    disagreements = []
    rules = collections.Counter()
    for r in rows:
        if r["category"] not in samples:
            samples[r["category"]] = {s.data["id"]: s for s in BFCL.load(ctxs["fc"], r["category"])}
        scored = BFCL.score(ctxs[r["mode"]], samples[r["category"]][r["case_id"]], [Generation(as_text(r["output"]))])
        ours = (scored.scores["acc"] == 1.0, scored.extracted["error_type"])
        ref = r["reference"]
        assert ref["valid"] is not None, f"the reference crashed on {r}"
        rules[r["label"].split(":")[0], ref["valid"]] += 1
        if ours[0] != ref["valid"] or (not ours[0] and ours[1] != ref["error_type"]):
            disagreements.append((r["mode"], r["case_id"], r["label"], ours, ref))
    assert disagreements == []
    # the file exercises each rule both ways where it can go both ways
    for rule in ("ground_truth", "alternative", "omit_optional", "float_as_int", "upper", "spaced",
                 "swapped_order", "typed_respelled", "call", "decline"):
        assert rules[rule, True] > 0, rule
    for rule in ("wrong_name", "extra_param", "drop", "as_int", "int_as_float", "bool_as_str", "list_reversed", "dict_extra_key",
                 "malformed_arguments", "dotted_name", "duplicated_call", "no_calls", "prose", "call", "decline"):
        assert rules[rule, False] > 0, rule


@pytest.mark.parametrize("mode", ["fc", "prompt"])
def test_cases_bfcl_itself_cannot_pass_are_those_the_oracle_fails(agent_dir, mode):
    """The ground truth of 8 cases fails bfcl-eval's own checker (data errors: a required
    parameter whose only accepted value is "omitted", a parameter the function does not declare,
    Java 'any' list items compared with non-strings, a dict answer not in list form)."""
    impossible = {r["case_id"] for r in _rows() if r["label"] == "ground_truth" and r["mode"] == mode
                  and not r["reference"]["valid"]}
    assert impossible == {"simple_java_36", "simple_java_64", "simple_java_65", "live_simple_106-63-0",
                          "live_simple_112-68-0", "live_multiple_507-149-4", "live_multiple_862-181-3",
                          "live_multiple_964-207-0"}
