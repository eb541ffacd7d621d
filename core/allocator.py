"""Handing freed memory back to the system (glibc's malloc; elsewhere these do nothing).

A long text's analysis allocates and frees arrays of megabytes (attention of one layer of 512
tokens: 12 MB). glibc raises its mmap threshold to the size of each mmapped block it frees, up
to 32 MB, so after the first long analysis such arrays come from the heap arenas, which keep
them after they are freed: the process held hundreds of MB with no analysis left to use them.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
from functools import cache

M_MMAP_THRESHOLD = -3  # mallopt's parameter numbers (malloc.h)
# Blocks from this size up are mmapped and unmapped when freed. Smaller ones (every array of a
# short sentence) stay in the arenas, where they are cheap to reuse. Measured with
# `benchmarks/memory.py --long-input`: 1 MiB left the peak ~255 MB over the models, 256 KiB ~227 MB
# (the per-head tensors of a long text, 128-768 KiB, had fragmented the arenas).
MMAP_THRESHOLD_BYTES = 1 << 18


@cache
def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:  # glibc's own name first: find_library runs ldconfig in a subprocess (before the first frame)
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so")
        except OSError:
            return None
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None  # musl lacks them


def unmap_large_blocks_when_freed() -> bool:
    """Fix the mmap threshold (which also stops glibc raising it); whether it took effect."""
    libc = _libc()
    return bool(libc is not None and libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES))


def trim() -> bool:
    """Give the free memory at the top of every arena back to the system; whether any was."""
    libc = _libc()
    return bool(libc is not None and libc.malloc_trim(0))
