"""A local tiny model (the smoke model) as the judge, in process: the benchmark's prompts for
both orders go to the model in one batch, its replies are parsed (the untrained smoke model
writes no verdict: counted as parse failures, never ties) and scored."""
from benchgate.benchmark import RunContext
from benchgate.models.base import GenerationConfig
from benchgate.models.hf import HFBackend
from tests.judge_eval.conftest import JUDGES, LLMBAR


def test_smoke_model_judges_llmbar_end_to_end(smoke_path):
    ctx = RunContext(JUDGES, "local", LLMBAR.effective_args({}), chat=False)
    samples = LLMBAR.load(ctx, "Natural")[:2]
    requests = [LLMBAR.requests(ctx, s) for s in samples]
    backend = HFBackend(smoke_path, {"batch_size": 4}, GenerationConfig())
    try:
        outputs = backend.generate([r for pair in requests for r in pair])
    finally:
        backend.close()
    assert len(outputs) == 4 and all(isinstance(o.text, str) for o in outputs)
    assert requests[0][0].max_new_tokens == 50  # LLMBar's Vanilla max_tokens
    scored = [LLMBAR.score(ctx, s, outputs[2 * i:2 * i + 2]) for i, s in enumerate(samples)]
    for s, out in zip(scored, [outputs[0:2], outputs[2:4]]):
        parsed = [LLMBAR.protocol(ctx).parse(o.text) for o in out]
        assert s.extracted["verdicts"] == parsed
        assert s.scores["parse_failure"] == sum(p is None for p in parsed) / 2
        assert s.scores["acc"] <= 1 - s.scores["parse_failure"]  # an unparsed verdict is never right
    corpus = LLMBAR.corpus_metrics([s.scores for s in scored])
    assert corpus["parse_failures"] == sum(p is None for s in scored for p in s.extracted["verdicts"])


def test_smoke_model_runs_swap_and_synthesize(smoke_path):
    """Swap with a local judge: the first round in both orders in one batch, the synthesize round
    asked exactly where the authors' rule asks it (`debate`: both orders parsed and disagreeing;
    the untrained smoke model writes no verdict, so none here), scored from the final replies."""
    from benchgate.judge_eval.swap import debate

    ctx = RunContext(JUDGES, "local", LLMBAR.effective_args({"prompt": "Swap"}), chat=False)
    samples = LLMBAR.load(ctx, "Manual")[:1]
    backend = HFBackend(smoke_path, {"batch_size": 4}, GenerationConfig())
    try:
        first = backend.generate([r for s in samples for r in LLMBAR.requests(ctx, s)])
        rounds = [first[2 * i:2 * i + 2] for i in range(len(samples))]
        more = [LLMBAR.followups(ctx, s, out) for s, out in zip(samples, rounds)]
        later = backend.generate([r for m in more for r in m]) if any(more) else []
    finally:
        backend.close()
    assert all(r.max_new_tokens == 300 for s in samples for r in LLMBAR.requests(ctx, s))  # the CoT round
    parse = LLMBAR.protocol(ctx).parse
    assert [bool(m) for m in more] == [debate(parse, (o[0].text, o[1].text)) is not None for o in rounds]
    i = 0
    for s, out, m in zip(samples, rounds, more):
        scored = LLMBAR.score(ctx, s, list(out) + later[i:i + len(m)])
        i += len(m)
        assert scored.scores["synthesized"] == float(bool(m))
        assert scored.scores["acc"] <= 1 - scored.scores["parse_failure"]
