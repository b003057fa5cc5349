"""Judge models: generative judges (an OpenAI-compatible API or a local model), reward models
and their prompt templates and verdict parsers. Used by the arena (benchgate.arena), by judge
metrics of ordinary benchmarks (--dataset-args '{"general_qa": {"judge": "score"}}') and by
hand-written evals (`benchgate.engine.state.get_judge(config)`). See docs/arena.md."""
from benchgate.judge.model import Judge, JudgePrompt, JudgeReply
from benchgate.judge.verdicts import Verdict, VerdictError

__all__ = ["Judge", "JudgePrompt", "JudgeReply", "Verdict", "VerdictError"]
