"""The LM head writing scoring forwards' logits into one reused buffer
(`benchgate/models/logits_buffer.py`), and the log_softmax that overwrites packed logits
(`hf._log_softmax`): the same numbers as the plain head and log_softmax, memory reused, the head
put back, and nothing changed where the buffer does not apply."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from benchgate.models.hf import _log_softmax
from benchgate.models.logits_buffer import LogitsBuffer


def _ids(vocab: int, rows: int, width: int) -> torch.Tensor:
    return torch.randint(3, vocab, (rows, width), generator=torch.Generator().manual_seed(2))


def test_logits_are_the_plain_heads_bit_for_bit_in_reused_memory(tiny_llama):
    """Forwards inside `writing()` give the plain model's logits exactly; a forward that fits
    the buffer reuses its memory, a larger one grows it, and `release()` frees it."""
    model = tiny_llama(4)
    buffer = LogitsBuffer(model)
    small, large = _ids(model.config.vocab_size, 2, 9), _ids(model.config.vocab_size, 3, 30)
    with torch.inference_mode():
        want_small, want_large = model(input_ids=small).logits, model(input_ids=large).logits
        with buffer.writing():
            got = model(input_ids=small).logits
            assert torch.equal(got, want_small)
            first = buffer.buffer.data_ptr()
            assert got.data_ptr() == first
            assert torch.equal(model(input_ids=small, logits_to_keep=4).logits, want_small[:, -4:])
            assert buffer.buffer.data_ptr() == first
            got = model(input_ids=large).logits
            assert torch.equal(got, want_large)
            assert buffer.buffer.numel() >= want_large.numel()
    buffer.release()
    assert buffer.buffer is None


def test_a_head_with_a_bias_adds_it():
    """`addmm` where the head has a bias: equal to `nn.Linear`'s own forward."""
    class Model(torch.nn.Module):
        def __init__(self):
            super().__init__()
            torch.manual_seed(0)
            self.head = torch.nn.Linear(8, 11, bias=True)

        def get_output_embeddings(self):
            return self.head

    model = Model()
    buffer = LogitsBuffer(model)
    x = torch.randn(2, 5, 8)
    with torch.inference_mode(), buffer.writing():
        got = model.head(x)
    assert torch.equal(got, F.linear(x, model.head.weight, model.head.bias))


def test_the_head_is_put_back_after_the_block_and_after_an_error(tiny_llama):
    model = tiny_llama(4)
    buffer = LogitsBuffer(model)
    head = model.get_output_embeddings()
    with pytest.raises(RuntimeError, match="inside"):
        with buffer.writing():
            assert "forward" in head.__dict__
            raise RuntimeError("inside")
    assert "forward" not in head.__dict__
    with torch.inference_mode():
        out = model(input_ids=_ids(model.config.vocab_size, 1, 5)).logits
    assert buffer.buffer is None and out.shape[-1] == model.config.vocab_size


def test_gradients_and_other_heads_take_the_plain_path(tiny_llama):
    """With autograd on, the head returns a fresh tensor with a grad_fn; a head that is not a
    plain `nn.Linear`, or whose forward was replaced on the module, is left alone."""
    model = tiny_llama(4)
    buffer = LogitsBuffer(model)
    with buffer.writing():
        out = model(input_ids=_ids(model.config.vocab_size, 1, 5)).logits
    assert out.grad_fn is not None and buffer.buffer is None

    class Head(torch.nn.Linear):
        pass

    model.lm_head = Head(64, model.config.vocab_size, bias=False)
    assert LogitsBuffer(model).head is None
    hooked = torch.nn.Linear(64, model.config.vocab_size, bias=False)
    hooked.forward = lambda x: x  # as accelerate's offload hooks set it
    model.lm_head = hooked
    assert LogitsBuffer(model).head is None


def test_scoring_frees_the_buffer_and_matches_plain_heads(smoke_path):
    """`HFBackend.loglikelihood` with the buffer on and off (its head left alone): the same
    numbers, and no buffer held after the call."""
    from benchgate.models.base import LoglikelihoodRequest
    from benchgate.models.hf import HFBackend

    b = HFBackend(smoke_path, {"batch_size": 3, "dtype": "float32"})
    requests = [LoglikelihoodRequest(context=f"Question {i}: what is {i} plus {i}?",
                                     continuation=f" {2 * i}, said the model") for i in range(7)]
    got = b.loglikelihood(requests)
    assert b.logits.buffer is None
    b.logits.head = None  # the plain head
    want = b.loglikelihood(requests)
    assert [(r.logprob, r.is_greedy) for r in got] == [(r.logprob, r.is_greedy) for r in want]
    b.close()


def test_log_softmax_overwrites_all_positions_in_order_and_copies_otherwise():
    """All rows in order (a packed forward's logits): computed in place, equal to
    `F.log_softmax`. Some rows or another order: a new tensor, the logits untouched."""
    logits = torch.randn(5, 13, generator=torch.Generator().manual_seed(3))
    want = F.log_softmax(logits, dim=-1)
    picked = logits.clone()
    got = _log_softmax(picked, [3, 1])
    assert torch.equal(got, want[[3, 1]]) and torch.equal(picked, logits)
    got = _log_softmax(picked, [0, 1, 2, 3, 4])
    assert torch.equal(got, want) and got.data_ptr() == picked.data_ptr()
    half = logits.half()
    assert torch.equal(_log_softmax(half, list(range(5))), F.log_softmax(half.float(), dim=-1))
