"""Scoring forwards' logits written into one buffer, reused from forward to forward.

A forward that scores ~1,000 positions of an 8,192-token vocabulary makes a 33 MB float32 logits
tensor. `host_memory.keep_freed_memory` has glibc reuse freed blocks up to `MMAP_THRESHOLD`
(32 MB, the most glibc allows); a block above it is a fresh `mmap` every time, so each forward
faulted the whole tensor's pages in again: ~10 ms of the LM head's ~40 ms on this project's CPU
benchmark model. `LogitsBuffer` gives the LM head (an `nn.Linear`) an
output that it reuses: the same matrix product (the same numbers), into the same memory.

CPU only (CUDA's caching allocator already reuses freed memory), and only for a plain
`nn.Linear` head whose forward nothing else has replaced. The logits a forward returns
inside `writing()` are views of the buffer, valid until the next such forward; the caller reads
them first, and `release()` frees the buffer when a scoring pass ends.
"""
from __future__ import annotations

import contextlib
from typing import Iterator

import torch


class LogitsBuffer:
    """The output buffer of `model`'s LM head for scoring forwards (see the module docstring)."""

    def __init__(self, model) -> None:
        head = model.get_output_embeddings()
        on_cpu = next(model.parameters()).device.type == "cpu"
        # a forward set on the module itself (accelerate's offload hooks) is left alone
        plain = type(head) is torch.nn.Linear and "forward" not in vars(head)
        self.head = head if on_cpu and plain else None
        self.buffer: torch.Tensor | None = None

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """Forwards in this block get their logits in the buffer."""
        if self.head is None:
            yield
            return
        self.head.forward = self._forward
        try:
            yield
        finally:
            self.head.__dict__.pop("forward", None)

    def release(self) -> None:
        """Free the buffer (a later forward allocates it again)."""
        self.buffer = None

    def _forward(self, x: torch.Tensor) -> torch.Tensor:
        weight, bias = self.head.weight, self.head.bias
        if torch.is_grad_enabled():  # `out=` does not record gradients
            return torch.nn.functional.linear(x, weight, bias)
        rows = x.numel() // x.shape[-1]
        size = rows * weight.shape[0]
        if (self.buffer is None or self.buffer.dtype != x.dtype or self.buffer.numel() < size
                or self.buffer.is_inference() != torch.is_inference_mode_enabled()):
            self.buffer = torch.empty(size + size // 4, dtype=x.dtype, device=x.device)
        out = self.buffer[:size].view(rows, weight.shape[0])
        flat = x.reshape(rows, x.shape[-1])
        if bias is None:
            torch.mm(flat, weight.t(), out=out)
        else:
            torch.addmm(bias, flat, weight.t(), out=out)
        return out.view(*x.shape[:-1], weight.shape[0])
