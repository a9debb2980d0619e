"""Keep freed memory for the next training step: two glibc `mallopt` settings.

A training step builds its whole graph, then frees it at once. With glibc's
defaults, more than 128 KiB free at the top of the heap is handed back to the
OS, and blocks of 128 KiB or more are mapped and unmapped each time, so the
next step pays a page fault for every 4 KiB it touches again: a large part of
a small network's step (measured in benchmarks/README.md, "Page faults").

`tune_allocator()` sets M_TRIM_THRESHOLD to 64 MiB (free memory up to that is
kept) and M_MMAP_THRESHOLD to 32 MiB (glibc's own ceiling for its adaptive
threshold), for the whole process. `import autograd` calls it unless the
environment variable MLPGRAD_MALLOC is "default". Elsewhere than glibc it
does nothing.
"""
from __future__ import annotations

import os

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3   # glibc's <malloc.h>
TRIM_THRESHOLD = 64 << 20
MMAP_THRESHOLD = 32 << 20

tuned = False   # whether tune_allocator() took effect in this process


def tune_allocator() -> bool:
    """Set glibc's trim and mmap thresholds (see the module docstring); True if it took effect."""
    global tuned
    try:
        import ctypes
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):   # not glibc (macOS, Windows, ...): nothing to tune
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    tuned = bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)) and bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD))
    return tuned


def _tune_on_import() -> None:
    if os.environ.get("MLPGRAD_MALLOC", "tuned").lower() != "default":
        tune_allocator()
