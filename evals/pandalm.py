"""PandaLM test set (Wang et al., 2023): how often does a judge agree with people?

Data: `pandalm/testset-v1.json` (999 pairs: instruction, input, response1, response2,
motivation_app, three annotators' labels 0 tie / 1 / 2; bare NaN for a missing input, JSON
`true` for a few responses, shown as "True" as the authors' f-string prompt does). One
subset, `test`; the category of a pair is its `motivation_app`. The model under test is the
judge: it sees each pair once, in the file's order, through PandaLM-7B's prompt (default) or
another judge prompt (`benchgate.judge_eval.protocol`: `prompt`, `judge_template`).

Scoring as the authors' data/compute_metrics.py: gold = majority of the three annotators (a
three-way split: the first annotator); the verdict 1, 2 or tie ("Tie", "tie", "0" and the
released "garbage" count as tie, the authors' rule); `acc` and macro precision, recall, F1
over {tie, 1, 2}; plus Cohen's `kappa` against the gold and the annotators' own agreement
(`annotator_agreement`, `annotator_kappa`: the ceiling). A reply with no verdict is a parse
failure: wrong, counted (`parse_failure`, `parse_failures`) and listed in samples.jsonl,
never a tie. Bias on these labelled pairs: `first_position` (share of decisive verdicts for
response 1, shown first) and `longer_preferred` (for the longer response, equal lengths left
out), beside the same shares of the gold (`first_position_gold`, `longer_preferred_gold`): a
judge above the people's share prefers that position or length. A panel judge (`--model panel:FILE`) is decided by majority vote, with each
member's `acc_member_<name>` and the members' agreement (`benchgate.judge_eval.panel`).
"""
from __future__ import annotations

import math
from collections import Counter

from benchgate.argspec import Arg
from benchgate.benchmark import Benchmark, RunContext, Sample, Scored, chat_prompt
from benchgate.data.files import dataset_folder, read_json_list, to_samples
from benchgate.judge_eval.panel import member_usage, members_corpus, read_reply
from benchgate.judge_eval.protocol import TEMPLATE_ARGS, protocol_for
from benchgate.judge_eval.scores import FAILED, POSITION_LABEL, pandalm_corpus
from benchgate.models.base import GenerateRequest
from benchgate.models.panel import member_key

GOLD_POSITION = {0: "tie", 1: "A", 2: "B"}
WRONG_POSITION = {0: "A", 1: "B", 2: "A"}


def pandalm_gold(a1: int, a2: int, a3: int) -> int:
    """The majority label of the three annotators; on a three-way split, the first's
    (data/compute_metrics.py)."""
    label, n = Counter((a1, a2, a3)).most_common(1)[0]
    return label if n >= 2 else a1


def _label(value, key: str) -> int:
    label = int(value)
    if label not in (0, 1, 2) or str(value).strip() != str(label):
        raise ValueError(f"{key} must be 0, 1 or 2, got {value!r}")
    return label


def _text(value, key: str) -> str:
    """A field as the authors' f-string prompt shows it: some responses are JSON true."""
    if isinstance(value, float) and math.isnan(value):
        return ""
    if not isinstance(value, (str, bool, int, float)):
        raise ValueError(f"field {key!r} must be a string")
    return str(value)


def _convert(row: dict) -> tuple[dict, int]:
    data = {k: _text(row[k], k) for k in ("instruction", "response1", "response2", "motivation_app")}
    labels = [_label(row[f"annotator{i}"], f"annotator{i}") for i in (1, 2, 3)]
    data.update(input="" if row.get("input") is None else _text(row["input"], "input"), annotators=labels)
    return data, pandalm_gold(*labels)


class PandaLM(Benchmark):
    name = "pandalm"
    modes = ("generate",)
    primary_metric = "acc"
    lower_is_better = ("parse_failure", "parse_failures")
    dimension = "Judge"
    default_args = {
        "prompt": Arg("pandalm", str, help="pandalm, or an LLMBar comparison prompt name (Vanilla, CoT, ...)"),
        **TEMPLATE_ARGS,
    }

    def subsets(self, ctx: RunContext) -> list[str]:
        return ["test"]

    def load(self, ctx: RunContext, subset: str) -> list[Sample]:
        return to_samples(self.name, subset, read_json_list(dataset_folder(ctx, "pandalm") / "testset-v1.json"),
                          _convert)

    def categories(self, ctx: RunContext, sample: Sample) -> list[str]:
        return [sample.data["motivation_app"]] if sample.data.get("motivation_app") else []

    def protocol(self, ctx: RunContext):
        def build():
            llmbar = None if ctx.dataset_dir is None else ctx.dataset_dir / "llmbar"
            return protocol_for(ctx.args, llmbar)
        return ctx.cached(("judge-protocol", self.name), build)

    def requests(self, ctx: RunContext, sample: Sample):
        protocol, d = self.protocol(ctx), sample.data
        system, user = protocol.build(d["instruction"], d["input"], d["response1"], d["response2"])
        prompt = chat_prompt(ctx, user, system)
        gold = GOLD_POSITION[sample.target]
        oracle = protocol.answer(gold) if protocol.has_tie or gold != "tie" else None
        return [GenerateRequest(prompt, max_new_tokens=protocol.max_new_tokens, oracle=oracle,
                                wrong=protocol.answer(WRONG_POSITION[sample.target]),
                                cache_tag=f"judge:{protocol.name}")]

    def score(self, ctx: RunContext, sample: Sample, outputs) -> Scored:
        reading = read_reply(self.protocol(ctx).parse, outputs[0].text)
        pred = _label_of(reading.position)
        a1, a2, a3 = sample.data["annotators"]
        scores = {"acc": float(pred == sample.target), "parse_failure": float(reading.position is None),
                  "_gold": float(sample.target), "_pred": float(pred), "_a1": float(a1), "_a2": float(a2),
                  "_a3": float(a3)}
        d = sample.data
        n1, n2 = len(d["response1"]), len(d["response2"])
        longer = None if n1 == n2 else (1 if n1 > n2 else 2)
        for metric, judged in (("first_position", pred), ("first_position_gold", sample.target)):
            if judged in (1, 2):  # decisive verdicts: for response 1 (shown first)?
                scores[metric] = float(judged == 1)
        for metric, judged in (("longer_preferred", pred), ("longer_preferred_gold", sample.target)):
            if judged in (1, 2) and longer is not None:
                scores[metric] = float(judged == longer)
        extracted = {"verdict": pred if reading.position is not None else None}
        for i, (name, position) in enumerate(reading.members):  # a panel: each member's verdict
            label = _label_of(position)
            scores[f"acc_member_{member_key(name)}"] = float(label == sample.target)
            scores[f"parse_failure_member_{member_key(name)}"] = float(position is None)
            scores[f"_m{i}"] = float(label)
            member_usage(scores, member_key(name), [reading], i)
        if reading.members:
            extracted["members"] = {name: _label_of(p) if p else None for name, p in reading.members}
        return Scored(extracted, scores)

    def corpus_metrics(self, scores):
        return {**pandalm_corpus(scores), **members_corpus(scores)}


def _label_of(position: str | None) -> int:
    return FAILED if position is None else POSITION_LABEL[position]


BENCHMARK = PandaLM()
