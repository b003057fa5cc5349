"""The CPU allocator setting of local models (benchgate/models/host_memory.py), measured in a
process of its own (the setting is process-wide) on a forward's allocation pattern, through
glibc's own malloc and free."""
from __future__ import annotations

import platform
import subprocess
import sys

import pytest

BLOCKS, SIZE, ROUNDS = 10, 16 << 20, 4

# ten 16 MB blocks (a forward's activations) written, then all freed, five times: page faults
# of the last four rounds, and the heap's size once they are freed
SCRIPT = f"""
import ctypes, resource, sys
if sys.argv[1] == "kept":
    from benchgate.models.host_memory import keep_freed_memory
    assert keep_freed_memory() and keep_freed_memory()
class Info(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in
                "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost".split()]
libc = ctypes.CDLL("libc.so.6")
libc.mallinfo2.restype = Info
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
libc.memset.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_size_t]
def round_():
    blocks = [libc.malloc({SIZE}) for _ in range({BLOCKS})]
    for b in blocks:
        libc.memset(b, 1, {SIZE})
    for b in reversed(blocks):
        libc.free(b)
round_()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range({ROUNDS}):
    round_()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before, libc.mallinfo2().arena)
"""


def _run(mode: str) -> tuple[int, int]:
    out = subprocess.run([sys.executable, "-c", SCRIPT, mode], capture_output=True, text=True, check=True)
    faults, heap = out.stdout.split()
    return int(faults), int(heap)


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's mallopt")
def test_freed_activations_stay_in_the_heap_and_are_reused():
    """glibc's defaults hand the freed blocks back to the kernel, so every round's blocks are
    zero-filled pages again; kept, the later rounds reuse them."""
    pages = ROUNDS * BLOCKS * SIZE // 4096  # every block of every round faulted in again
    (default, default_heap), (kept, kept_heap) = _run("default"), _run("kept")
    assert default > pages // 2, f"glibc's defaults faulted {default} times: the test shows nothing"
    assert default_heap < SIZE, default_heap  # handed back
    assert kept < pages // 20, f"{kept} page faults with freed memory kept ({default} without)"
    assert kept_heap >= BLOCKS * SIZE, kept_heap


def test_a_local_model_on_the_cpu_sets_it(smoke_path):
    from benchgate.models import host_memory
    from benchgate.models.hf import HFBackend

    HFBackend(smoke_path, {"device": "cpu"})
    assert host_memory._applied is (platform.libc_ver()[0] == "glibc")
