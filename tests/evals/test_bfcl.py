"""BFCL v4 benchmark: the oracle over every in-scope case in both modes (1.0 except the 8 cases
whose ground truth bfcl-eval's own checker rejects), wrong = 0 everywhere, the requests (BFCL's
system prompt, tools, language hints), BFCL's summary aggregation (hand-computed), bad rows.
Multi-turn: test_bfcl_multi_turn.py."""
import json

import pytest

from benchgate.benchmark import RunContext
from benchgate.engine.items import import_benchmark
from benchgate.models.base import Generation
from tests.conftest import ROOT, score_all

BFCL = import_benchmark(ROOT / "evals" / "bfcl.py")
IMPOSSIBLE = {"simple_java_36", "simple_java_64", "simple_java_65", "live_simple_106-63-0", "live_simple_112-68-0",
              "live_multiple_507-149-4", "live_multiple_862-181-3", "live_multiple_964-207-0"}
SIZES = {"simple_python": 400, "simple_java": 100, "simple_javascript": 50, "multiple": 200, "parallel": 200,
         "parallel_multiple": 200, "irrelevance": 240, "live_simple": 258, "live_multiple": 1053, "live_parallel": 16,
         "live_parallel_multiple": 24, "live_irrelevance": 884, "live_relevance": 16}


def ctx(data, **args):
    return RunContext(dataset_dir=data, dataset_hub="local", args=BFCL.effective_args(args), chat=True)


def test_subsets_and_multi_turn_skip(agent_dir):
    c = ctx(agent_dir)
    assert BFCL.subsets(c) == list(SIZES) + ["multi_turn_base", "multi_turn_miss_func", "multi_turn_miss_param",
                                             "multi_turn_long_context"]
    reason = BFCL.skip_reason(c, "multi_turn_base")  # None where bfcl-eval is installed
    assert reason is None or "pip install --no-deps bfcl-eval==2026.3.23 mpmath" in reason
    assert BFCL.skip_reason(c, "live_multiple") is None
    assert BFCL.dimension == "Agent"


@pytest.mark.parametrize("mode", ["fc", "prompt"])
def test_oracle_passes_every_case_bfcl_can_pass_and_wrong_none(agent_dir, mode):
    c = ctx(agent_dir, mode=mode)
    oracle = score_all(BFCL, c, "oracle", subsets=list(SIZES))
    assert len(oracle) == sum(SIZES.values())
    failed = {s.data["id"] for s, sc in oracle if sc.scores["acc"] != 1.0}
    assert failed == IMPOSSIBLE
    wrong = score_all(BFCL, c, "wrong", subsets=list(SIZES))
    assert sum(sc.scores["acc"] for _, sc in wrong) == 0.0
    # the record: calls parsed, expected, BFCL's error type
    first = next(sc for s, sc in oracle if s.data["id"] == "simple_java_36")
    assert first.extracted["error_type"] == "value_error:list/tuple"
    assert first.extracted["expected"] == [{"ObjectMapEntryReplayDecoder.decode": {
        "parts": [["userID", 42, "username", "johndoe", "isActive", True]], "state": ["processingState"]}}]


def test_requests_prompt_mode_carry_bfcls_system_prompt(agent_dir):
    c = ctx(agent_dir, mode="prompt")
    sample = BFCL.load(c, "simple_python")[0]
    (request,) = BFCL.requests(c, sample)
    system, user = request.prompt
    assert user == sample.data["question"][0][0] and request.tools == ""
    # BFCL's default prompt (constants/default_prompts.py, assembled by formulate_system_prompt)
    assert system["content"].startswith(
        "You are an expert in composing functions.You are given a question and a set of possible functions.")
    assert ("[func_name1(params_name1=params_value1, params_name2=params_value2...), func_name2(params)].  "
            "You SHOULD NOT include any other text in the response.") in system["content"]
    docs = json.loads(system["content"].split("Here is a list of functions in json format that you can invoke.\n")[1])
    assert docs[0]["description"].endswith(" Note that the provided function is in Python 3 syntax.")


def test_requests_fc_mode_send_tools_with_bfcls_conversions(agent_dir):
    c = ctx(agent_dir, mode="fc")
    sample = BFCL.load(c, "simple_java")[0]
    (request,) = BFCL.requests(c, sample)
    assert request.prompt == tuple(sample.data["question"][0])
    (tool,) = json.loads(request.tools)
    assert tool["type"] == "function"
    fn = tool["function"]
    assert fn["name"] == "GeometryPresentation_createPresentation"  # no dots in tool names
    assert fn["parameters"]["type"] == "object"
    assert fn["parameters"]["properties"]["controller"] == {
        "type": "string", "description": "The IResultSetController instance responsible for controlling the result "
        "set. This parameter can be of any type of Java object in string representation."}
    floats = BFCL.load(c, "simple_python")[0]
    props = json.loads(BFCL.requests(c, floats)[0].tools)[0]["function"]["parameters"]["properties"]
    assert all(p["type"] in ("integer", "number", "string", "boolean", "array", "object") for p in props.values())


def test_scores_and_error_types_hand_checked(agent_dir):
    c = ctx(agent_dir, mode="prompt")
    sample = BFCL.load(c, "simple_python")[0]  # calculate_triangle_area(base=10, height=5, unit='units' optional)
    assert sample.target == [{"calculate_triangle_area": {"base": [10], "height": [5], "unit": ["units", ""]}}]

    def run(text):
        return BFCL.score(c, sample, [Generation(text)]).extracted

    assert run("[calculate_triangle_area(base=10, height=5)]")["error_type"] is None
    assert run("calculate_triangle_area(base=10, height=5, unit='UNITS ')")["error_type"] is None
    assert run("[calculate_triangle_area(base=10.0, height=5)]")["error_type"] == "type_error:simple"
    assert run("[calculate_triangle_area(base=10)]")["error_type"] == "simple_function_checker:missing_required"
    assert run("[calculate_triangle_area(base=10, height=5, color=1)]")["error_type"] == \
        "simple_function_checker:unexpected_param"
    assert run("[area(base=10, height=5)]")["error_type"] == "simple_function_checker:wrong_func_name"
    assert run("Sure! The area is 25.")["error_type"] == "ast_decoder:decoder_failed"
    record = run("[calculate_triangle_area(base=10, height=6)]")
    assert record["error_type"] == "value_error:others" and record["calls"] == [
        {"calculate_triangle_area": {"base": 10, "height": 6}}]
    fc = ctx(agent_dir, mode="fc")
    broken = json.dumps({"content": None, "tool_calls": [{"name": "calculate_triangle_area", "arguments": '{"base": 10,'}]})
    out = BFCL.score(fc, sample, [Generation(broken)])
    assert out.scores["acc"] == 0.0 and out.extracted["error_type"] == "ast_decoder:decoder_failed"
    assert "arguments are not valid JSON" in out.extracted["error"]


def test_overall_is_bfcls_summary_hand_computed():
    def s(cat, ok):
        return {"acc": float(ok), "overall_acc": float(ok), f"_{cat}": float(ok)}

    scores = ([s("simple_python", 1)] * 3 + [s("simple_python", 0)] + [s("simple_java", 1)] * 1 + [s("simple_java", 0)]
              + [s("multiple", 1)] + [s("live_simple", 1)] * 3 + [s("live_multiple", 0)] * 1
              + [s("irrelevance", 1)] + [s("live_irrelevance", 0)] + [s("live_relevance", 1)])
    m = BFCL.corpus_metrics(scores)
    # non-live: simple = mean(0.75, 0.5) = 0.625; mean(simple, multiple=1) = 0.8125
    assert m["non_live_acc"] == pytest.approx(0.8125)
    assert m["live_acc"] == pytest.approx(3 / 4)  # weighted by cases
    assert m["irrelevance_acc"] == pytest.approx(0.5)
    assert m["overall_acc"] == pytest.approx((0.8125 + 0.75 + 0.5) / 3)


def test_malformed_rows_name_file_and_line(tmp_path, agent_dir):
    folder = tmp_path / "bfcl"
    (folder / "possible_answer").mkdir(parents=True)
    src = agent_dir / "bfcl"
    lines = (src / "BFCL_v4_simple_python.json").read_text(encoding="utf-8").splitlines(keepends=True)[:3]
    row = json.loads(lines[1])
    row["function"] = "not a list"
    lines[1] = json.dumps(row) + "\n"
    (folder / "BFCL_v4_simple_python.json").write_text("".join(lines), encoding="utf-8")
    answers = (src / "possible_answer" / "BFCL_v4_simple_python.json").read_text(encoding="utf-8").splitlines()[:3]
    (folder / "possible_answer" / "BFCL_v4_simple_python.json").write_text("\n".join(answers[:2]) + "\n")
    samples = BFCL.load(ctx(tmp_path), "simple_python")
    assert samples[0].error is None
    assert samples[1].error.startswith(f"{folder / 'BFCL_v4_simple_python.json'}:2: malformed row: function must be")
    assert samples[2].error == f"{folder / 'BFCL_v4_simple_python.json'}:3: malformed row: no possible answer for simple_python_2"
