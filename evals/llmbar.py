"""LLMBar (Zeng et al., ICLR 2024): can a judge tell which output follows the instruction?

Data: `llmbar/Natural/dataset.json` and `llmbar/Adversarial/{GPTInst,GPTOut,Manual,Neighbor}/
dataset.json` (rows input, output_1, output_2, label 1 or 2: the output that follows the
instruction). Subsets: the five sets; category "Natural" or "Adversarial" (the category's
`macro_subsets` in results.json is LLMBar's average over the four adversarial sets).

The model under test is the judge. Prompt (`benchgate.judge_eval.protocol`): LLMBar's
Vanilla prompt by default (`prompt`: any comparison prompt of `llmbar/prompts/comparison`,
or Swap / Swap_CoT: swap-and-synthesize, whose synthesize round, asked where the two orders
disagree, is a follow-up round, `benchgate.judge_eval.swap`; `synthesized` is the share of
pairs that needed it), or a FastChat/EvalScope template (`judge_template`). With `swap` (default true)
every pair is judged in both orders, as the authors' statistics.json: `acc_original`
(correct_False), `acc_swapped` (correct_True), `acc` (their mean, correct_average),
`acc_both` (correct_both), `agreement` (equal: positional agreement); without it one order,
`acc`. Bias on these labelled pairs: `first_position` (share of verdicts for the output
shown first) and `longer_preferred` (share of verdicts for the longer output, in characters;
pairs of equal length left out). A reply with no verdict is wrong and counted
(`parse_failure`, `parse_failures`), never a tie. A panel judge (`--model panel:FILE`) is
decided per order by majority vote, with each member's `acc_member_<name>` and the members'
agreement (`benchgate.judge_eval.panel`).
"""
from __future__ import annotations

from benchgate.argspec import Arg
from benchgate.benchmark import Benchmark, RunContext, Sample, Scored, chat_prompt
from benchgate.data.files import dataset_folder, read_json_list, to_samples
from benchgate.judge_eval.panel import Reading, member_usage, members_corpus, read_reply, vote
from benchgate.judge_eval.protocol import TEMPLATE_ARGS, protocol_for
from benchgate.judge_eval.scores import llmbar_corpus, llmbar_pair_scores
from benchgate.judge_eval.swap import debate
from benchgate.models.base import GenerateRequest
from benchgate.models.panel import member_key, member_tokens, split_panel_reply

SETS = ("Natural", "GPTInst", "GPTOut", "Manual", "Neighbor")


def _convert(row: dict) -> tuple[dict, int]:
    for key in ("input", "output_1", "output_2"):
        if not isinstance(row[key], str):
            raise ValueError(f"field {key!r} must be a string")
    label = row["label"]
    if str(label).strip() not in ("1", "2") or isinstance(label, bool):
        raise ValueError(f"label must be 1 or 2, got {label!r}")
    return {k: row[k] for k in ("input", "output_1", "output_2")}, int(str(label).strip())


class LLMBar(Benchmark):
    name = "llmbar"
    modes = ("generate",)
    primary_metric = "acc"
    lower_is_better = ("parse_failure", "parse_failures", "synthesized")  # synthesized: first rounds that disagreed
    dimension = "Judge"
    follows_up = True  # Swap, Swap_CoT: the synthesize round where the two orders disagree
    default_args = {
        "prompt": Arg("Vanilla", str, help="an LLMBar comparison prompt name (Vanilla, CoT, ...), Swap, "
                      "Swap_CoT, or pandalm"),
        "swap": Arg(True, bool, help="judge every pair in both orders (LLMBar's statistics)"),
        **TEMPLATE_ARGS,
    }

    def subsets(self, ctx: RunContext) -> list[str]:
        return list(SETS)

    def _path(self, ctx: RunContext, subset: str):
        folder = dataset_folder(ctx, "llmbar")
        return folder / ("Natural" if subset == "Natural" else f"Adversarial/{subset}") / "dataset.json"

    def load(self, ctx: RunContext, subset: str) -> list[Sample]:
        return to_samples(self.name, subset, read_json_list(self._path(ctx, subset)), _convert)

    def category(self, ctx: RunContext, subset: str) -> str | None:
        return "Natural" if subset == "Natural" else "Adversarial"

    def protocol(self, ctx: RunContext):
        return ctx.cached(("judge-protocol", self.name),
                          lambda: protocol_for(ctx.args, dataset_folder(ctx, "llmbar")))

    def _orders(self, ctx: RunContext, sample: Sample) -> list[tuple[str, str, int]]:
        """(first shown, second shown, the gold's position 1 or 2) per order asked."""
        d, gold = sample.data, sample.target
        orders = [(d["output_1"], d["output_2"], gold)]
        if ctx.args["swap"]:
            orders.append((d["output_2"], d["output_1"], 3 - gold))
        return orders

    def requests(self, ctx: RunContext, sample: Sample):
        protocol = self.protocol(ctx)
        out = []
        for n, (first, second, gold_position) in enumerate(self._orders(ctx, sample)):
            system, user = protocol.build(sample.data["input"], "", first, second)
            right, wrong = ("A", "B") if gold_position == 1 else ("B", "A")
            out.append(GenerateRequest(chat_prompt(ctx, user, system), max_new_tokens=protocol.max_new_tokens,
                                       oracle=protocol.answer(right), wrong=protocol.answer(wrong),
                                       cache_tag=f"judge:{protocol.name}:order{n}"))
        return out

    def followups(self, ctx: RunContext, sample: Sample, outputs):
        """Swap / Swap_CoT: after the first round, the synthesize round in both orders where
        the two verdicts disagree (`benchgate.judge_eval.swap`); for a panel, of each member
        whose two verdicts disagree, asked of that member alone."""
        protocol = self.protocol(ctx)
        if protocol.synthesis is None or len(outputs) != 2:
            return []
        members = [split_panel_reply(o.text) for o in outputs]
        if members[0] is None or members[1] is None:
            shown = debate(protocol.parse, (outputs[0].text, outputs[1].text))
            return self._synthesize(ctx, sample, shown, "") if shown else []
        out = []
        for first, second in zip(*members):
            shown = debate(protocol.parse, (first["text"], second["text"]))
            out += self._synthesize(ctx, sample, shown, str(first.get("name", ""))) if shown else []
        return out

    def _synthesize(self, ctx: RunContext, sample: Sample, shown: list[tuple[str, str]], member: str):
        synthesis = self.protocol(ctx).synthesis
        out = []
        for n, ((first, second, gold_position), (one, two)) in enumerate(zip(self._orders(ctx, sample), shown)):
            system, user = synthesis.build(sample.data["input"], first, second, one, two)
            right, wrong = ("A", "B") if gold_position == 1 else ("B", "A")
            out.append(GenerateRequest(chat_prompt(ctx, user, system), max_new_tokens=synthesis.max_new_tokens,
                                       oracle=synthesis.answer(right), wrong=synthesis.answer(wrong),
                                       cache_tag=f"judge:{synthesis.name}:synthesize{n}", panel_member=member))
        return out

    def _final(self, ctx: RunContext, outputs) -> list[Reading]:
        """The final reading of each order: the first round's, or where a synthesize round was
        asked (outputs beyond the first two), its answers (a panel: per member, then voted)."""
        protocol = self.protocol(ctx)
        first = [read_reply(protocol.parse, o.text) for o in outputs[:2]]
        later = list(outputs[2:])
        if not later:
            return first
        if not first[0].members:
            return [read_reply(protocol.synthesis.parse, o.text) for o in later]
        synthesized: dict[str, list[dict]] = {}  # member -> its two synthesize-round replies
        for o in later:
            for m in split_panel_reply(o.text) or ():
                synthesized.setdefault(str(m.get("name", "")), []).append(m)
        finals = []
        for n, reading in enumerate(first):
            members, tokens = [], list(reading.tokens)
            for i, (name, position) in enumerate(reading.members):
                if name in synthesized:
                    m = synthesized[name][n]
                    position = protocol.synthesis.parse(m["text"])
                    if i < len(tokens):
                        tokens[i] += sum(member_tokens(m.get("usage")))
                members.append((name, position))
            finals.append(Reading(vote([p for _, p in members]), tuple(members), tuple(tokens)))
        return finals

    def score(self, ctx: RunContext, sample: Sample, outputs) -> Scored:
        readings = self._final(ctx, outputs)
        positions = [r.position for r in readings]
        chosen = [_chosen(n, p) for n, p in enumerate(positions)]
        d = sample.data
        n1, n2 = len(d["output_1"]), len(d["output_2"])
        longer = None if n1 == n2 else (1 if n1 > n2 else 2)
        scores = llmbar_pair_scores(sample.target, chosen[0], chosen[1] if len(chosen) > 1 else None,
                                    positions, longer)
        extracted = {"verdicts": positions, "chosen": chosen}
        if len(outputs) > len(readings):  # a synthesize round was asked
            scores["synthesized"] = 1.0
            extracted["first_round"] = [read_reply(self.protocol(ctx).parse, o.text).position for o in outputs[:2]]
        elif self.protocol(ctx).synthesis is not None:
            scores["synthesized"] = 0.0
        for i, (name, _) in enumerate(readings[0].members):  # a panel: each member's verdicts
            picks = [_chosen(n, r.members[i][1]) for n, r in enumerate(readings)]
            key = member_key(name)
            scores[f"acc_member_{key}"] = sum(p == sample.target for p in picks) / len(picks)
            scores[f"parse_failure_member_{key}"] = sum(p is None for p in picks) / len(picks)
            scores[f"_m{i}"] = float(-1 if picks[0] is None else picks[0])
            member_usage(scores, key, readings, i)
            scores[f"_calls_member_{key}"] += float(sum(1 for o in outputs[len(readings):]
                                                        for m in split_panel_reply(o.text) or () if m.get("name") == name))
            extracted.setdefault("members", {})[name] = picks
        return Scored(extracted, scores)

    def corpus_metrics(self, scores):
        return {**llmbar_corpus(scores), **members_corpus(scores)}


def _chosen(order: int, position: str | None) -> int | None:
    """The output (1 or 2 of the row) a verdict in the n-th order chose; 0 a tie, None none."""
    pick = {"A": 1, "B": 2, "tie": 0}.get(position) if position else None
    return pick if not pick or order == 0 else 3 - pick


BENCHMARK = LLMBar()
