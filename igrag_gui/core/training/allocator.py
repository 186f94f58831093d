"""Keep freed tensor memory for the next training step instead of handing it back to the system.

PyTorch's CPU tensors come from the C library's ``malloc``. glibc's defaults suit programs whose
memory use falls: it returns the top of the heap to the system once more than
``M_TRIM_THRESHOLD`` is free there (and moves that threshold as it goes), so a training step
frees its activations, the heap shrinks, and the next step faults the same pages in again,
each one zeroed by the kernel. On a FLAN-T5-small-shaped model that was 110,000-250,000 page
faults in the 11 steps after the first (45,000-60,000 with the settings below), a number that
varies from run to run because it depends on how the heap happens to be laid out (our
memory-mapped dataset's Python objects moved it enough to add ~20%).

``keep_freed_memory()`` fixes both thresholds for the training process: blocks up to 32 MiB (the
largest glibc allows for the mmap threshold on 64-bit) come from the heap, and up to 1 GiB may
stay free at its top. Peak memory does not grow (it is the same peak); memory freed after the
peak is kept for reuse until the process exits. PyTorch's performance guide reaches the same end
by preloading jemalloc or tcmalloc, which a desktop app cannot ask of its users.

It does nothing outside glibc (macOS, Windows, musl), or where the user already tuned malloc
(``MALLOC_*_`` variables, ``GLIBC_TUNABLES``), or where ``IGRAG_KEEP_FREED_MEMORY=0``.
"""

from __future__ import annotations

import ctypes
import os
import sys

M_TRIM_THRESHOLD = -1  # glibc's malloc.h
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 * 1024 * 1024  # glibc's ceiling for this setting on 64-bit
TRIM_THRESHOLD = 1024 * 1024 * 1024
USER_SETTINGS = ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TOP_PAD_", "MALLOC_MMAP_MAX_",
                 "GLIBC_TUNABLES")

_applied: bool | None = None


def keep_freed_memory() -> bool:
    """Set glibc's trim and mmap thresholds once per process; True when they are in force."""
    global _applied
    if _applied is None:
        _applied = _apply()
    return _applied


def _apply() -> bool:
    if not sys.platform.startswith("linux") or os.environ.get("IGRAG_KEEP_FREED_MEMORY", "1") == "0":
        return False
    if any(name in os.environ for name in USER_SETTINGS):
        return False  # the user's own malloc settings win
    try:
        libc = ctypes.CDLL("libc.so.6")  # glibc's name on every Linux; musl's differs
        libc.gnu_get_libc_version  # glibc only (musl has mallopt but ignores it)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    # mallopt returns 1 on success; the mmap threshold first, as setting either one freezes both
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
