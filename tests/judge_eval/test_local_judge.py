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
