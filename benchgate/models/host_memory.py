"""glibc's allocator kept from handing freed memory back to the kernel between forwards.

A forward on the CPU allocates its activations (tens of MB each) and frees them when it ends.
glibc's defaults give a freed block above the heap's top back to the kernel at once (and serve
blocks above a threshold that adapts only upwards by fresh mappings), so the next forward's
activations are zero-filled pages again: 4.9 million page faults and 8.9 s of kernel time in
a 57 s GSM8K run (400 prompts, the tiny Llama of benchmarks/vs_lmeval.py). Served from the heap
and kept there (mallopt's M_MMAP_THRESHOLD and M_TRIM_THRESHOLD), they are reused: 0.2 million
faults, 0.7 s. A no-op where the C library is not glibc.
"""
from __future__ import annotations

import ctypes
import ctypes.util

M_TRIM_THRESHOLD = -1  # glibc's mallopt parameters (malloc.h)
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 << 20  # blocks up to this size come from the heap (a forward's activations)
TRIM_THRESHOLD = 512 << 20  # freed memory at the heap's top kept up to this size

_applied: bool | None = None


def keep_freed_memory() -> bool:
    """Set the two thresholds once per process (later calls do nothing); True when glibc took
    them. Memory freed by one forward is reused by the next instead of mapped again."""
    global _applied
    if _applied is None:
        _applied = False
        name = ctypes.util.find_library("c")
        try:
            libc = ctypes.CDLL(name) if name else None
            mallopt = getattr(libc, "mallopt", None) if libc is not None else None
            gnu = getattr(libc, "gnu_get_libc_version", None) if libc is not None else None
        except OSError:
            mallopt = gnu = None
        if mallopt is not None and gnu is not None:  # glibc (musl has no gnu_get_libc_version)
            _applied = bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    return _applied
