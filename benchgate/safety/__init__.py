"""Scoring pieces shared by the safety benchmarks (refusal detection, prompt-injection rules)."""
