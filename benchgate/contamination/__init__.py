"""Leakage checks: n-gram overlap of benchmark samples with a corpus, and membership scores
(Min-K% Prob, Min-K%++, zlib ratio, perplexity) from a model's token log-probabilities."""
