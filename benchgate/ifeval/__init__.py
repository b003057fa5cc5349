"""IFEval (Zhou et al., 2023): benchgate's own checkers of the 25 verifiable instruction types
and the text measures they use, checked against lm-evaluation-harness's reference code."""
