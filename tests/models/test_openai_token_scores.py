"""parse_token_logprobs: the echoed prompt tokens' logprobs of an OpenAI-compatible echo response."""
from __future__ import annotations

from benchgate.models.base import TokenScores
from benchgate.models.openai_api import parse_token_logprobs


def test_echoed_bos_and_generated_tokens_are_not_scored():
    """vLLM-like: a BOS echoed as "<s>" (no logprob) before the text, one generated token after."""
    data = {"choices": [{"text": "<s>Hi there you x", "logprobs": {
        "tokens": ["<s>", "Hi", " there", " you", " x"], "token_logprobs": [None, -1.0, -2.0, -3.0, -9.0],
        "text_offset": [0, 3, 5, 11, 15], "top_logprobs": None}}]}
    assert parse_token_logprobs(data, "Hi there you") == TokenScores((-1.0, -2.0, -3.0))


def test_without_bos_the_first_text_token_has_no_logprob():
    data = {"choices": [{"text": "Hi there x", "logprobs": {
        "tokens": ["Hi", " there", " x"], "token_logprobs": [None, -2.0, -9.0], "text_offset": [0, 2, 8]}}]}
    scores = parse_token_logprobs(data, "Hi there")
    assert scores.logprobs == (-2.0,) and scores.mean is None and scores.var is None
