"""BFCL v4 (Berkeley Function Calling Leaderboard; Patil et al.): can a model call the right
function with the right arguments, and decline when no function fits.

Data: `bfcl/BFCL_v4_<category>.json` (JSON Lines: id, question, function) and
`bfcl/possible_answer/BFCL_v4_<category>.json` (id, ground_truth), from the bfcl-eval
2026.3.23 wheel. Subsets are the categories (file names without `BFCL_v4_`); the sample index
is the line's position in the file, the record carries the case's own id.

Two ways of asking (dataset arg `mode`), as BFCL's model variants:
- `fc` (default): native tool calling, the docs as OpenAI `tools` (benchgate.agent.fc_mode);
- `prompt`: BFCL's system prompt asking for `[func(a=1)]`, parsed with `ast`
  (benchgate.agent.prompt_mode).
Function docs get BFCL's language hints first (Java/JavaScript parameters become typed strings).

Scoring as bfcl-eval's checkers (benchgate.agent.checker): the AST categories by BFCL's
ast_checker rules; irrelevance/live_irrelevance = no call made; live_relevance = at least one
call. Per sample `acc` (1/0); `overall_acc` (primary) is BFCL's summary over the categories
present: non-live = unweighted mean of simple (the mean of python, java, javascript), multiple,
parallel, parallel_multiple; live = mean of live_simple/multiple/parallel/parallel_multiple
weighted by cases; irrelevance = unweighted mean of irrelevance and live_irrelevance; these
three weighted 10:10:10 (BFCL's overall also weights agentic 40, out of scope here:
docs/benchmarks/bfcl.md).

Multi-turn (multi_turn_base/miss_func/miss_param/long_context): an agent loop over BFCL's
simulated APIs from the bfcl-eval package (benchgate.agent.multi_turn_runner; `followups` gives
each next step), scored by BFCL's multi-turn state and response checks; `multi_turn_acc` (their
unweighted mean) weighs 30 in `overall_acc`. Without bfcl-eval these subsets are skipped with a
reason naming the install command.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

from benchgate.agent import fc_mode, multi_turn, prompt_mode
from benchgate.agent.checker import check_calls, has_call, is_call_list
from benchgate.agent.multi_turn_runner import Dialogue, ground_truth_states, oracle_answers, verdict
from benchgate.agent.oracle import fc_answer, prompt_answer
from benchgate.argspec import Arg
from benchgate.benchmark import Benchmark, DataError, RunContext, Sample, Scored
from benchgate.data.files import dataset_folder, read_jsonl, to_samples
from benchgate.models.base import GenerateRequest

SINGLE_TURN = ("simple_python", "simple_java", "simple_javascript", "multiple", "parallel",
               "parallel_multiple", "irrelevance", "live_simple", "live_multiple", "live_parallel",
               "live_parallel_multiple", "live_irrelevance", "live_relevance")
MULTI_TURN = ("multi_turn_base", "multi_turn_miss_func", "multi_turn_miss_param", "multi_turn_long_context")
NO_ANSWERS = ("irrelevance", "live_irrelevance", "live_relevance")
NON_LIVE = (("simple_python", "simple_java", "simple_javascript"), "multiple", "parallel", "parallel_multiple")
LIVE = ("live_simple", "live_multiple", "live_parallel", "live_parallel_multiple")
IRRELEVANCE = ("irrelevance", "live_irrelevance")
GROUP_WEIGHTS = {"non_live_acc": 10, "live_acc": 10, "irrelevance_acc": 10, "multi_turn_acc": 30}  # BFCL's
HINT = {"java": " Note that the provided function is in Java 8 SDK syntax.",
        "javascript": " Note that the provided function is in JavaScript syntax.",
        "python": " Note that the provided function is in Python 3 syntax."}
DECLINE = "None of the given functions can be used for this request."


def language(category: str) -> str:
    """The language of a category's calls: java, javascript or python."""
    return "java" if category.endswith("java") else "javascript" if category.endswith("javascript") else "python"


def with_hints(functions: list[dict], lang: str) -> list[dict]:
    """The docs the model sees, with BFCL's language hints (bfcl_eval utils
    _func_doc_language_specific_pre_processing): Java/JavaScript parameters become strings."""
    out = copy.deepcopy(functions)
    name = {"java": "Java", "javascript": "JavaScript"}.get(lang)
    for function in out:
        function["description"] = function["description"] + HINT[lang]
        if name is None:
            continue
        for value in function["parameters"]["properties"].values():
            if value["type"] == "any":
                value["description"] += f" This parameter can be of any type of {name} object in string representation."
            else:
                value["description"] += f" This is {name} {value['type']} type parameter in string representation."
            if value["type"] in (("ArrayList", "Array") if lang == "java" else ("array",)):
                value["description"] += (f" The list elements are of type {value['items']['type']}; "
                                         "they are not in string representation.")
                del value["items"]
            if lang == "javascript" and value["type"] == "dict" and "properties" in value:
                value["description"] += (" The dictionary entries have the following schema; they are not in "
                                         f"string representation. {json.dumps(value['properties'])}")
                del value["properties"]
            value["type"] = "string"
    return out


def _convert(answers: dict[str, list] | None):
    def convert(row: dict) -> tuple[dict, list | None]:
        if not isinstance(row.get("id"), str):
            raise ValueError("id must be a string")
        turns, functions = row["question"], row.get("function", [])
        if not isinstance(turns, list) or not turns or not turns[0] or not all(isinstance(t, list) for t in turns):
            raise ValueError("question must be a non-empty list of turns (lists of messages)")
        truth = None
        if "involved_classes" in row:  # multi-turn
            if not isinstance(row.get("initial_config"), dict) or not isinstance(row["involved_classes"], list):
                raise ValueError("a multi-turn case needs initial_config (object) and involved_classes (list)")
            unknown = [c for c in row["involved_classes"] if c not in multi_turn.CLASSES]
            if unknown:
                raise ValueError(f"unknown API classes {unknown}")
        elif not isinstance(functions, list) or not all(
                isinstance(f, dict) and isinstance(f.get("name"), str) and isinstance(f.get("parameters"), dict)
                for f in functions):
            raise ValueError("function must be a list of function docs with name and parameters")
        if answers is not None:
            if row["id"] not in answers:
                raise ValueError(f"no possible answer for {row['id']}")
            truth = answers[row["id"]]
            if "involved_classes" in row:
                if not isinstance(truth, list) or len(truth) != len(turns) or not all(
                        isinstance(t, list) and all(isinstance(c, str) for c in t) for t in truth):
                    raise ValueError("multi-turn ground_truth must be a list of call-text lists, one per turn")
            elif not isinstance(truth, list) or not all(isinstance(c, dict) and len(c) == 1 for c in truth):
                raise ValueError("ground_truth must be a list of {function: {param: [values]}}")
        data = {"id": row["id"], "question": turns, "function": functions}
        for key in ("initial_config", "involved_classes", "missed_function"):
            if key in row:
                data[key] = row[key]
        return data, truth
    return convert


def _answers(path: Path) -> dict[str, list]:
    answers = {}
    for _, row, where in read_jsonl(path):
        if isinstance(row, DataError):
            raise row
        if not isinstance(row.get("id"), str) or "ground_truth" not in row:
            raise DataError(f"{where}: expected an object with id and ground_truth")
        answers[row["id"]] = row["ground_truth"]
    return answers


def _jsonable(value):
    return json.loads(json.dumps(value, default=repr))


class BFCL(Benchmark):
    name = "bfcl"
    modes = ("fc", "prompt")
    primary_metric = "overall_acc"
    dimension = "Agent"
    default_args = {"max_new_tokens": Arg(None, int, min=1, optional=True,
                                          help="new tokens per answer; null: the generation config's")}

    def subsets(self, ctx: RunContext) -> list[str]:
        folder = dataset_folder(ctx, "bfcl")
        return [c for c in SINGLE_TURN + MULTI_TURN if (folder / f"BFCL_v4_{c}.json").is_file()]

    def category(self, ctx: RunContext, subset: str) -> str | None:
        return "multi_turn" if subset in MULTI_TURN else "live" if subset.startswith("live_") else "non_live"

    follows_up = True  # multi-turn: each step's request follows from the answers so far

    def skip_reason(self, ctx: RunContext, subset: str) -> str | None:
        return multi_turn.missing_reason() if subset in MULTI_TURN else None

    def load(self, ctx: RunContext, subset: str) -> list[Sample]:
        folder = dataset_folder(ctx, "bfcl")
        answers = None
        if subset not in NO_ANSWERS:
            path = folder / "possible_answer" / f"BFCL_v4_{subset}.json"
            if not path.is_file():
                raise DataError(f"{path}: possible answers not found")
            answers = _answers(path)
        return to_samples(self.name, subset, read_jsonl(folder / f"BFCL_v4_{subset}.json"), _convert(answers))

    # -- multi-turn: an agent loop over BFCL's simulated APIs (benchgate.agent.multi_turn_runner) --
    def _docs(self, ctx: RunContext, sample: Sample):
        def build():
            docs, held = multi_turn.function_docs(dataset_folder(ctx, "bfcl"), sample.data)
            return with_hints(docs, "python"), held  # held-out docs come later, without hints (as BFCL)
        return ctx.cached(("bfcl-docs", sample.id), build)

    @staticmethod
    def _dialogues(ctx: RunContext) -> dict[str, Dialogue]:
        """The process's dialogues in progress, by sample id."""
        return ctx.cached(("bfcl-dialogues", ctx.args["mode"]), dict)

    def _conversation(self, ctx: RunContext, sample: Sample, answers: list[str]):
        """(conversation, next request or None) after `answers`. The sample's `Dialogue` is kept
        between the engine's rounds and plays only the new answers (started afresh when
        `answers` does not continue what it has played)."""
        dialogues = self._dialogues(ctx)
        dialogue = dialogues.get(sample.id)
        if dialogue is None or dialogue.answers != answers[:len(dialogue.answers)]:
            docs, held = self._docs(ctx, sample)
            system = ctx.cached(("bfcl-system", sample.id), lambda: prompt_mode.system_prompt(docs))
            dialogue = dialogues[sample.id] = Dialogue(sample.data, docs, held, ctx.args["mode"],
                                                       lambda _: system, lambda d: d)
        for answer in answers[len(dialogue.answers):]:
            if dialogue.next is None:
                break
            dialogue.answer(answer)
        return dialogue.conv, dialogue.next

    def _step_request(self, ctx: RunContext, sample: Sample, answers: list[str]) -> list[GenerateRequest]:
        conv, step = self._conversation(ctx, sample, answers)
        if step is None:
            return []
        messages, offered = step
        docs, held = self._docs(ctx, sample)
        oracle = ctx.cached(("bfcl-oracle", sample.id, ctx.args["mode"]), lambda: oracle_answers(
            sample.data, sample.target, ctx.args["mode"], docs, held))
        common = dict(max_new_tokens=ctx.args["max_new_tokens"], wrong="xyzzy",
                      oracle=oracle[len(answers)] if len(answers) < len(oracle) else "Done.")
        if ctx.args["mode"] == "fc":
            tools = ctx.cached(("bfcl-tools", sample.id, len(offered)), lambda: json.dumps(fc_mode.tools(offered)))
            return [GenerateRequest(tuple(messages), tools=tools, **common)]
        return [GenerateRequest(tuple(messages), **common)]

    def followups(self, ctx: RunContext, sample: Sample, outputs) -> list[GenerateRequest]:
        if sample.subset not in MULTI_TURN:
            return []
        return self._step_request(ctx, sample, [o.text for o in outputs])

    def _score_multi_turn(self, ctx: RunContext, sample: Sample, outputs) -> Scored:
        conv, step = self._conversation(ctx, sample, [o.text for o in outputs])
        self._dialogues(ctx).pop(sample.id, None)  # scored: not needed again
        if step is not None:
            raise ValueError(f"{sample.id}: the conversation is not finished after {len(outputs)} answers")
        states, results = ctx.cached(("bfcl-truth", sample.id), lambda: ground_truth_states(sample.data, sample.target))
        valid, error_type, error = verdict(conv, sample.target, states, results)
        record = {"case_id": sample.data["id"], "calls": conv.calls, "expected": sample.target,
                  "error_type": error_type, "error": error}
        return Scored(record, {"acc": float(valid), "overall_acc": float(valid), f"_{sample.subset}": float(valid)})

    def requests(self, ctx: RunContext, sample: Sample):
        if sample.subset in MULTI_TURN:
            return self._step_request(ctx, sample, [])
        lang = language(sample.subset)
        functions = with_hints(sample.data["function"], lang)
        messages = [dict(m) for m in sample.data["question"][0]]
        mode = ctx.args["mode"]
        oracle, wrong = self._oracle_and_wrong(sample, mode, lang)
        common = dict(max_new_tokens=ctx.args["max_new_tokens"], oracle=oracle, wrong=wrong)
        if mode == "fc":
            return [GenerateRequest(tuple(messages), tools=json.dumps(fc_mode.tools(functions)), **common)]
        system = prompt_mode.system_prompt(functions)
        if messages[0]["role"] == "system":
            messages[0]["content"] = system + "\n\n" + messages[0]["content"]
        else:
            messages.insert(0, {"role": "system", "content": system})
        return [GenerateRequest(tuple(messages), **common)]

    def _oracle_and_wrong(self, sample: Sample, mode: str, lang: str) -> tuple[str, str]:
        """The oracle answers the ground truth (first accepted value of each parameter), declines
        on irrelevance and calls the first function on live_relevance; `wrong` does the opposite
        where declining is right, and answers a nonsense word elsewhere."""
        answer = fc_answer if mode == "fc" else prompt_answer
        docs = sample.data["function"][:1] or [{"name": "xyzzy", "parameters": {"properties": {}}}]
        first_call = answer(docs, None, lang)
        if sample.subset in IRRELEVANCE:
            return DECLINE, first_call
        if sample.subset == "live_relevance":
            return first_call, DECLINE
        return answer(sample.data["function"], sample.target, lang), "xyzzy"

    def decode(self, ctx: RunContext, text: str, lang: str):
        """The calls of an answer, or raises prompt_mode.DecodeError."""
        if ctx.args["mode"] == "fc":
            return fc_mode.decode(text)
        return prompt_mode.decode(text, lang)

    def score(self, ctx: RunContext, sample: Sample, outputs) -> Scored:
        if sample.subset in MULTI_TURN:
            return self._score_multi_turn(ctx, sample, outputs)
        lang = language(sample.subset)
        decoded, error_type, error = None, "", ""
        try:
            decoded = self.decode(ctx, outputs[0].text, lang)
        except prompt_mode.DecodeError as e:
            error_type, error = "ast_decoder:decoder_failed", str(e)
        if sample.subset in IRRELEVANCE + ("live_relevance",):
            called = error_type == "" and has_call(decoded)
            valid = not called if sample.subset in IRRELEVANCE else called
            if not valid:
                error_type, error = (("irrelevance_error:decoder_success", "a function was called") if called else
                                     ("relevance_error:decoder_failed", error or "no function was called"))
            else:
                error_type, error = "", ""
        elif error_type:
            valid = False
        elif not is_call_list(decoded):
            valid, error_type, error = False, "ast_decoder:decoder_wrong_output_format", \
                "the answer is not a list of function calls"
        else:
            verdict = check_calls(sample.data["function"], decoded, sample.target, lang, sample.subset,
                                  fc_names=ctx.args["mode"] == "fc")
            valid, error_type, error = verdict.valid, verdict.error_type, verdict.error
        record = {"case_id": sample.data["id"], "calls": _jsonable(decoded) if is_call_list(decoded) else None,
                  "expected": sample.target, "error_type": error_type or None, "error": error or None}
        return Scored(record, {"acc": float(valid), "overall_acc": float(valid), f"_{sample.subset}": float(valid)})

    def corpus_metrics(self, scores) -> dict[str, float]:
        """BFCL's summary accuracies over the categories present (eval_runner_helper)."""
        per: dict[str, list[float]] = {}
        for s in scores:
            for key, value in s.items():
                if key.startswith("_") and key[1:] in SINGLE_TURN + MULTI_TURN:
                    per.setdefault(key[1:], []).append(value)
        acc = {c: sum(v) / len(v) for c, v in per.items()}
        out: dict[str, float] = {}
        non_live = []
        for part in NON_LIVE:
            if isinstance(part, tuple):
                simple = [acc[c] for c in part if c in acc]
                if simple:
                    non_live.append(sum(simple) / len(simple))
            elif part in acc:
                non_live.append(acc[part])
        if non_live:
            out["non_live_acc"] = sum(non_live) / len(non_live)
        live = [(acc[c], len(per[c])) for c in LIVE if c in acc]
        if live:
            out["live_acc"] = sum(a * n for a, n in live) / sum(n for _, n in live)
        irrelevance = [acc[c] for c in IRRELEVANCE if c in acc]
        if irrelevance:
            out["irrelevance_acc"] = sum(irrelevance) / len(irrelevance)
        multi = [acc[c] for c in MULTI_TURN if c in acc]
        if multi:
            out["multi_turn_acc"] = sum(multi) / len(multi)
        groups = [(out[g], w) for g, w in GROUP_WEIGHTS.items() if g in out]
        if groups:
            out["overall_acc"] = sum(a * w for a, w in groups) / sum(w for _, w in groups)
        return out


BENCHMARK = BFCL()
