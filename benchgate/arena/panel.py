"""Agreement inside a panel reviewer (`--judge-model panel:FILE`, `reviewer.args.panel`): from
the judgments' panel verdict labels (`benchgate.judge.panel_verdicts.member_verdicts`), per
member the judgments it gave a verdict on, its parse failures (after any re-ask) and the
judgments on which it was asked once more (`reask_unparsed`), Fleiss' kappa across the
members (over judgments every member parsed) and pairwise Cohen's kappa; from the judgments'
panel replies, each member's calls and tokens (`benchgate.models.panel.usage_by_member`). None
when no judgment came from a panel."""
from __future__ import annotations

from itertools import combinations
from typing import Any, Iterable

from benchgate.judge.panel_verdicts import member_verdicts
from benchgate.metrics.agreement import cohen_kappa, fleiss_kappa
from benchgate.models.panel import split_panel_reply, usage_by_member


def panel_agreement(records: Iterable[dict]) -> dict[str, Any] | None:
    """The `panel` block of the arena's results (module doc)."""
    rows, responses = [], []
    reasked: dict[str, int] = {}
    for rec in records:
        for j in rec.get("judgments") or []:
            for name in j.get("reasked_members") or ():
                reasked[name] = reasked.get(name, 0) + 1
            members = member_verdicts(str(j.get("verdict") or "")) if j.get("verdict") is not None else None
            replied = split_panel_reply(j.get("response") or "")
            if replied is not None:
                responses.append(j["response"])
                if members is None:  # no member's verdict parsed
                    members = {str(m.get("name", i)): None for i, m in enumerate(replied)}
            if members:
                rows.append(members)
    if not rows:
        return None
    usage = usage_by_member(responses) or {}
    names = list(rows[0])
    complete = [[r[n] for n in names] for r in rows if list(r) == names and all(r[n] is not None for n in names)]
    out: dict[str, Any] = {
        "members": [{"name": n, "verdicts": sum(r.get(n) is not None for r in rows),
                     "parse_failures": sum(r.get(n) is None for r in rows),
                     "reasked": reasked.get(n, 0),
                     **usage.get(n, {"calls": 0, "prompt_tokens": 0, "completion_tokens": 0, "tokens": 0})}
                    for n in names],
        "judgments": len(rows), "complete": len(complete),
        "fleiss_kappa": fleiss_kappa(complete) if complete else None, "pairs": []}
    for a, b in combinations(range(len(names)), 2):
        kappa = cohen_kappa([r[a] for r in complete], [r[b] for r in complete]) if complete else None
        out["pairs"].append({"judge_a": names[a], "judge_b": names[b], "n": len(complete),
                             "agreement": sum(r[a] == r[b] for r in complete) / len(complete) if complete else None,
                             "cohen_kappa": kappa})
    return out
