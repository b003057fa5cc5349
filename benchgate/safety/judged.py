"""The authors' judge classifiers of the safety benchmarks (xstest, advbench, bipia) in the
engine's judge stage.

A benchmark with its own judge prompts (`own_judge_prompts`, `own_judge_score`) keeps the
generic `judge` dataset arg working beside them: its prompts come first, the generic metric's
after, and the replies are split the same way. The judge stage sends the prompts of a whole
prediction group in one batched, cached call (benchgate.engine.state); a reply that does not
parse gives no metric value and `judge_parse_failure` = 1 (counted, excluded, never a 0).
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

from benchgate.benchmark import RunContext, Sample
from benchgate.judge.metric import PARSE_FAILURE, JudgeScores, count_member_call
from benchgate.judge.model import JudgePrompt, JudgeReply
from benchgate.judge.panel_verdicts import majority
from benchgate.models.panel import member_key, split_panel_reply


def merge(parts: Sequence[JudgeScores]) -> JudgeScores:
    """Several judge results of one sample as one: scores united (`judge_parse_failure` is 1
    when any part failed), details concatenated in prompt order, the first extracted label."""
    scores: dict[str, float] = {}
    details: list[dict[str, Any]] = []
    extracted = None
    for part in parts:
        scores.update(part.scores)
        details += part.details
        extracted = extracted if extracted is not None else part.extracted
    failures = [p.scores[PARSE_FAILURE] for p in parts if PARSE_FAILURE in p.scores]
    if failures:
        scores[PARSE_FAILURE] = max(failures)
    return JudgeScores(scores, details, extracted)


def label_scores(reply: JudgeReply, parse: Callable[[str], Any], scores: Callable[[Any], dict],
                 what: str) -> JudgeScores:
    """One reply read by `parse` (None: unreadable) and turned into metric values by `scores`;
    an unreadable reply is a parse failure naming `what` was expected. A panel's reply
    (`--judge-model panel:FILE`) is read member by member: `panel_label_scores`."""
    members = split_panel_reply(reply.text or "")
    if members is not None:
        return panel_label_scores(members, parse, scores, what)
    label = parse(reply.text or "")
    if label is None:
        return JudgeScores({PARSE_FAILURE: 1.0}, [{"verdict": None, "parse_error": f"no {what} in the reply"}])
    return JudgeScores({**scores(label), PARSE_FAILURE: 0.0}, [{"verdict": label, "parse_error": None}],
                       extracted=label)


def panel_label_scores(members: Sequence[dict[str, Any]], parse: Callable[[str], Any],
                       scores: Callable[[Any], dict], what: str) -> JudgeScores:
    """A panel's labels: each member's text read by `parse`, the label most members gave wins
    (members whose text does not parse do not vote); on equal top counts each tied label
    counts equally, its metric values averaged (a yes/no split: 0.5, as a panel's `correct`
    verdicts). Each member's values as `<metric>_member_<name>`, its label in the judgment,
    its calls and tokens for results.json. No member parsed: a parse failure."""
    values: dict[str, float] = {}
    read: dict[str, Any] = {}
    for i, member in enumerate(members):
        who = str(member.get("name", i))
        count_member_call(values, who, member.get("usage"))
        read[who] = parse(member.get("text") or "")
        if read[who] is not None:
            values.update({f"{k}_member_{member_key(who)}": v for k, v in scores(read[who]).items()})
    winners = majority(read.values())
    if not winners:
        return JudgeScores({**values, PARSE_FAILURE: 1.0},
                           [{"verdict": None, "parse_error": f"no {what} in any panel member's reply", "members": read}])
    tied = [scores(label) for label in winners]
    values.update({k: sum(t[k] for t in tied) / len(tied) for k in tied[0]})
    label = winners[0] if len(winners) == 1 else "tie"
    return JudgeScores({**values, PARSE_FAILURE: 0.0}, [{"verdict": label, "parse_error": None, "members": read}],
                       extracted=label)


class OwnJudge:
    """Mixin for a Benchmark that asks the judge its authors' question (see module doc)."""

    def own_judge_prompts(self, ctx: RunContext, sample: Sample, outputs) -> list[JudgePrompt]:
        """The authors' judge prompts for one answered sample ([] when it is not judged)."""
        return []

    def own_judge_score(self, ctx: RunContext, sample: Sample, outputs, replies) -> JudgeScores:
        """Scores from the replies to `own_judge_prompts`."""
        raise NotImplementedError

    def judge_prompts(self, ctx: RunContext, sample: Sample, outputs) -> list:
        return self.own_judge_prompts(ctx, sample, outputs) + super().judge_prompts(ctx, sample, outputs)

    def judge_score(self, ctx: RunContext, sample: Sample, outputs, replies) -> JudgeScores:
        n = len(self.own_judge_prompts(ctx, sample, outputs))
        parts = [self.own_judge_score(ctx, sample, outputs, replies[:n])] if n else []
        if len(replies) > n:
            parts.append(super().judge_score(ctx, sample, outputs, replies[n:]))
        return merge(parts)
