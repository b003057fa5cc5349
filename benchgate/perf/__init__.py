"""benchgate perf: load-test an OpenAI-compatible endpoint (EvalScope `perf` / vLLM `bench serve`).

Entry points: :func:`benchgate.perf.cli.main` (`benchgate perf ...` / `python -m benchgate.perf`)
and :func:`benchgate.perf.api.run_perf` (used by the pytest SLO suite in `evals/perf`).
"""
