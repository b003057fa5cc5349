"""Reward-model judges: a real (tiny, local) sequence-classification checkpoint."""
import pytest
import torch

from benchgate.engine.options import ModelOptions
from benchgate.judge.model import Judge, detect_kind
from benchgate.judge.reward import RewardModelBackend, conversation_text
from benchgate.models.base import RewardRequest

CONVERSATIONS = [
    [{"role": "user", "content": "What is 2+2?"}, {"role": "assistant", "content": "4"}],
    [{"role": "user", "content": "What is 2+2?"}, {"role": "assistant", "content": "It is four, "
                                                   "because two and two make four."}],
    [{"role": "user", "content": "Name a colour."}, {"role": "assistant", "content": "Blue."},
     {"role": "user", "content": "Another?"}, {"role": "assistant", "content": "Green, then red."}],
]


def direct_scores(path, conversations):
    """The scalar head's output, one unpadded conversation at a time (the reference)."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(path)
    model = AutoModelForSequenceClassification.from_pretrained(path).eval()
    out = []
    for messages in conversations:
        text = tok.apply_chat_template(messages, tokenize=False)
        ids = tok(text, add_special_tokens=False, return_tensors="pt")["input_ids"]
        with torch.inference_mode():
            out.append(float(model(input_ids=ids).logits[0, 0]))
    return out


def test_batched_scores_equal_unbatched_head_output(reward_model_path):
    backend = RewardModelBackend(reward_model_path, {"batch_size": 3})
    got = backend.reward([RewardRequest(tuple(c)) for c in CONVERSATIONS])
    assert got == pytest.approx(direct_scores(reward_model_path, CONVERSATIONS), abs=1e-5)
    assert len(set(got)) == 3  # a real head: different conversations, different scores
    assert backend.fingerprint()["content_sha256"]


def test_detected_and_cached_through_the_judge(reward_model_path, tmp_path):
    assert detect_kind(reward_model_path) == "reward_model"
    opts = ModelOptions(model=reward_model_path, cache_path=tmp_path / "c.sqlite", use_cache=True)
    judge = Judge(opts)
    assert judge.kind == "reward_model"
    first = judge.reward(CONVERSATIONS)
    assert all(r.error is None and not r.cached for r in first)
    again = Judge(opts).reward(CONVERSATIONS)
    assert [r.score for r in again] == [r.score for r in first] and all(r.cached for r in again)


def test_not_a_reward_model(smoke_path):
    assert detect_kind(smoke_path) == "generative"
    from transformers import AutoTokenizer

    text, special = conversation_text(AutoTokenizer.from_pretrained(smoke_path), CONVERSATIONS[0])
    assert "<|assistant|>" in text and not special
