"""Allure results for benchgate runs: active only with allure-pytest's `--alluredir`.

Every sample test (built-in benchmark sample, hand-written eval, arena unit) becomes one Allure
result, written by the process that ran it (an xdist worker writes its own samples, as
allure-pytest does for any test):
  name/historyId  the sample id (unique; no `[` parametrization, so nothing folds into retries)
  labels          epic = benchmark, feature = subset, story = category, tag = verdict
  parameters      model (excluded from historyId, so history follows a sample across models)
                  and sample id
  attachments     prompt, response, extracted answer, target, scores; a tool-use sample's calls made,
                  the calls expected and the failure reason (bfcl); a judge metric's calls
                  as one step each (judge prompt, judge response, verdict)
  status          passed (right / partial credit), failed (wrong answer, or a hand-written
                  eval's failed assert), broken (real error). pytest's own outcome is
                  unchanged: a wrong answer is still a passed test.
Arena units: epic = arena, feature = the model pair (single mode: the model), story = the
question's category; tags = who won each judgment (`m2 wins`, `tie`) and `parse failure`;
parameters model A / model B (or model) and question id; attachments question, each model's
answers and scores, and one step per judgment (judge, turn, order) holding the judge prompt,
the judge response and the parsed verdict. A unit is `passed` whoever won (a loss is one
model's result, not a failure); a verdict that did not parse is tagged, as results.json
counts it, not turned into a status.
The controller alone writes environment.properties and categories.json and attaches
results.json once (a global attachment).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from allure_commons.types import AttachmentType

from benchgate.reports.run_data import is_arena_unit, tool_calls
from benchgate.metrics.verdict import WRONG, verdict

VERDICT_KEY = pytest.StashKey[tuple]()
SAMPLE_ID_KEY = pytest.StashKey[str]()

# Allure categories (error classes), used unless the checkout has reports/allure/categories.json
DEFAULT_CATEGORIES = [
    {"name": "Wrong answers", "matchedStatuses": ["failed"], "messageRegex": "(?s)wrong answer.*"},
    {"name": "Model or endpoint errors", "matchedStatuses": ["broken"],
     "messageRegex": "(?s).*(model|endpoint|HTTP|connection|timed out|backend).*"},
    {"name": "Malformed data rows", "matchedStatuses": ["broken"],
     "messageRegex": "(?s).*(malformed|missing field|data row|building the requests failed).*"},
    {"name": "Extractor or scorer crashes", "matchedStatuses": ["broken"],
     "messageRegex": "(?s).*scoring failed.*"},
    {"name": "Failed requirements (hand-written evals)", "matchedStatuses": ["failed"],
     "messageRegex": "(?s)(AssertionError|Failed).*"},
]


def allure_dir(config: pytest.Config) -> Path | None:
    """The `--alluredir` of this session, or None (allure-pytest absent or not asked)."""
    value = getattr(config.option, "allure_report_dir", None)
    return Path(value).resolve() if value else None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else _json(value)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, default=str)


def _response(record: dict[str, Any]) -> Any:
    if "response" in record:
        return record["response"]
    if "loglikelihoods" in record:
        conts = record.get("continuations") or [None] * len(record["loglikelihoods"])
        return [{"continuation": c, "loglikelihood": ll} for c, ll in zip(conts, record["loglikelihoods"])]
    return None


class AllureResults:
    """Registered in every process of a session run with `--alluredir`."""

    def __init__(self, config: pytest.Config, directory: Path, controller: bool):
        self.config = config
        self.directory = directory
        self.controller = controller
        self._model: str | None = None

    # -- every process: one sample's labels, parameters and attachments -------------------
    def pytest_benchgate_record(self, record: dict, item: pytest.Item) -> None:
        import allure

        item.stash[SAMPLE_ID_KEY] = record["id"]
        allure.dynamic.title(record["id"])
        allure.dynamic.epic(record["benchmark"])
        allure.dynamic.feature(record["subset"])
        allure.dynamic.story(record.get("category") or record["subset"])
        if is_arena_unit(record):
            self._arena_unit(record)
            return
        allure.dynamic.parameter("model", self._model_name(), excluded=True)
        allure.dynamic.parameter("sample id", record["id"])
        found = verdict(record)
        if found:
            allure.dynamic.tag(found)
        item.stash[VERDICT_KEY] = (found, _wrong_answer(record), record.get("scores"))
        text, as_json = AttachmentType.TEXT, AttachmentType.JSON
        allure.attach(_text(record.get("prompt", "")), "prompt", text)
        response = _response(record)
        allure.attach(_text(response), "response", text if isinstance(response, str) else as_json)
        for name, key in (("extracted answer", "extracted"), ("target", "target"), ("scores", "scores")):
            allure.attach(_json(record.get(key)), name, as_json)
        calls = tool_calls(record)  # a tool-use sample: the calls beside the expected ones
        if calls is not None:
            allure.attach(_json(calls["calls"]), "tool calls made", as_json)
            allure.attach(_json(calls["expected"]), "tool calls expected", as_json)
            if calls["error_type"]:
                allure.attach(f"{calls['error_type']}: {calls['error'] or ''}", "tool call failure", text)
        for j in record.get("judgments") or []:  # a judge metric's calls
            outcome = f"parse failure: {j['parse_error']}" if j.get("parse_error") else f"verdict {j.get('verdict')}"
            _judgment_step(f"judge {j.get('judge')}: {outcome}", j)

    def _arena_unit(self, record: dict) -> None:
        """An arena unit (docs/results.md): see the module docstring."""
        import allure

        single = "model" in record
        models = [record["model"]] if single else [record["model_a"], record["model_b"]]
        if single:
            allure.dynamic.parameter("model", record["model"])
        else:
            allure.dynamic.parameter("model A", record["model_a"])
            allure.dynamic.parameter("model B", record["model_b"])
        allure.dynamic.parameter("question id", str(record.get("question_id")))
        allure.dynamic.parameter("sample id", record["id"])
        tags = []
        for j in record["judgments"]:
            tag = _arena_outcome(j, record, single)
            if tag is not None and tag not in tags:
                tags.append(tag)
        for tag in tags:
            allure.dynamic.tag(tag)
        turns = record.get("question") or []
        allure.attach("\n\n".join(f"[turn {t}] {q}" for t, q in enumerate(turns, 1)), "question",
                      AttachmentType.TEXT)
        for m in models:
            answer = (record.get("answers") or {}).get(m) or []
            allure.attach("\n\n".join(f"[turn {t}] {a}" for t, a in enumerate(answer, 1)),
                          f"answer: {m}", AttachmentType.TEXT)
        allure.attach(_json(record.get("scores")), "scores", AttachmentType.JSON)
        for j in record["judgments"]:
            where = f"turn {j['turn']}" + (f", order {j['order']}" if j.get("order") else "")
            outcome = _arena_outcome(j, record, single)
            if single and outcome is None:
                outcome = f"rating {j['rating']:g}"
            _judgment_step(f"judge {j['judge']} ({where}): {outcome}", j)

    def _model_name(self) -> str:
        """The loaded model's name (known once the first group was predicted), else --model."""
        if self._model is None:
            from benchgate.engine.state import get_state

            state = get_state(self.config)
            self._model = str(state.summary().get("model", {}).get("name") or state.options.model)
        return self._model

    @pytest.hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call):
        """Outermost wrapper, so it runs after allure-pytest has set the status: a wrong answer
        becomes `failed` in Allure only; a stable fullName/historyId from the sample id (of a
        built-in sample, a hand-written eval or an arena unit: whatever recorded one)."""
        outcome = yield
        report = outcome.get_result()
        found = item.stash.get(VERDICT_KEY, None)
        sample = getattr(item, "sample", None)
        sample_id = sample.id if sample is not None else item.stash.get(SAMPLE_ID_KEY, None)
        if sample_id is None:
            return
        result = self._current_result()
        if result is None:
            return
        if report.when == "call" and report.passed and found and found[0] == WRONG:
            from allure_commons.model2 import Status, StatusDetails

            _, message, scores = found
            result.status = Status.FAILED
            result.statusDetails = StatusDetails(message=message, trace=f"scores: {json.dumps(scores)}")
        elif report.when == "teardown":
            from allure_commons.utils import md5

            result.fullName = f"{item.path.name}#{sample_id}"
            result.testCaseId = md5(result.fullName)
            result.historyId = md5(result.fullName)

    def _current_result(self):
        listener = self.config.pluginmanager.getplugin("allure_listener")
        if listener is None:
            return None
        return listener.allure_logger.get_test(None)

    # -- controller only: the run's environment and results.json, once ---------------------
    def pytest_benchgate_results(self, results: dict, config: pytest.Config) -> None:
        if not self.controller:
            return
        import allure
        from allure_commons.types import AttachmentType

        self.directory.mkdir(parents=True, exist_ok=True)
        (self.directory / "environment.properties").write_text(
            environment_properties(results), encoding="utf-8")
        (self.directory / "categories.json").write_text(
            json.dumps(categories(config.rootpath), indent=2), encoding="utf-8")
        allure.global_attach(json.dumps(results, indent=2, ensure_ascii=False, default=str),
                             name="results.json", attachment_type=AttachmentType.JSON)


def _wrong_answer(record: dict) -> str:
    """The Allure message of a wrong answer: the extracted answer and the target; a
    hand-written eval (no extractor) shows the start of its response instead."""
    target = record.get("target")
    if "test" in record and record.get("extracted") is None:
        response = _text(record.get("response"))
        short = response if len(response) <= 200 else response[:200] + "…"
        return f"wrong answer: response {short!r}, target {target!r}"
    return f"wrong answer: extracted {record.get('extracted')!r}, target {target!r}"


def _arena_outcome(judgment: dict, record: dict, single: bool) -> str | None:
    """A judgment's tag: `parse failure`, `tie` or `<model> wins` (single mode: None unless
    the rating did not parse)."""
    if judgment.get("parse_error") or (judgment.get("winner") is None and not single) \
            or (single and judgment.get("rating") is None):
        return "parse failure"
    if single:
        return None
    if judgment["winner"] == "tie":
        return "tie"
    return f"{record[judgment['winner']]} wins"


def _judgment_step(title: str, judgment: dict) -> None:
    """One Allure step per judge call: the prompt it was sent, its reply and the verdict."""
    import allure

    with allure.step(title):
        prompt = judgment.get("prompt") or ""
        if judgment.get("system_prompt"):
            prompt = f"[system]\n{judgment['system_prompt']}\n\n[user]\n{prompt}"
        allure.attach(prompt, "judge prompt", AttachmentType.TEXT)
        allure.attach(judgment.get("response") or "", "judge response", AttachmentType.TEXT)
        keys = ("judge", "template", "turn", "order", "verdict", "winner", "strength", "rating",
                "scores", "parse_error", "attempts", "cached")
        allure.attach(_json({k: judgment[k] for k in keys if k in judgment}), "verdict",
                      AttachmentType.JSON)


def environment_properties(results: dict) -> str:
    """Allure's environment.properties: model, revision, dtype, seed, benchgate version, ..."""
    config = results.get("config", {})
    model = results.get("model", {})
    fingerprint = model.get("fingerprint") or {}
    model_args = config.get("model_args") or {}
    packages = results.get("environment", {}).get("packages", {})
    values = {
        "model": model.get("name"),
        "revision": fingerprint.get("revision") or model_args.get("revision"),
        "dtype": fingerprint.get("dtype") or model_args.get("dtype") or model_args.get("precision"),
        "seed": config.get("seed"),
        "benchgate": results.get("benchgate_version"),
        "datasets": ",".join(config.get("datasets") or []) or None,
        "limit": config.get("limit"),
        "python": results.get("environment", {}).get("python"),
        "torch": packages.get("torch"),
        "transformers": packages.get("transformers"),
        "status": results.get("status"),
    }
    lines = [f"{key}={_escape(value)}" for key, value in values.items() if value is not None]
    return "\n".join(lines) + "\n"


def _escape(value: Any) -> str:
    text = str(value)
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace("=", "\\=").replace(":", "\\:")


def categories(rootpath: Path) -> list[dict]:
    """reports/allure/categories.json of the checkout if present, else the defaults."""
    path = Path(rootpath) / "reports" / "allure" / "categories.json"
    if path.is_file():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as e:
            raise pytest.UsageError(f"{path}: invalid JSON: {e}") from None
        if not isinstance(data, list):
            raise pytest.UsageError(f"{path}: expected a JSON list of categories")
        return data
    return DEFAULT_CATEGORIES
