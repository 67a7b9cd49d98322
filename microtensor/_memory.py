"""How the C allocator keeps freed memory: glibc told not to hand it back after every step.

Every op makes a new NumPy array for its result, and a training step makes and frees the same
arrays again and again. glibc's ``malloc`` (Linux) serves blocks above a threshold with fresh
``mmap`` pages and gives them back to the operating system when they are freed, and it gives
back ("trims") free memory at the top of its heap beyond a second threshold. The first starts at
128 KiB and rises to the largest block freed so far, the second to twice that: a few MB for a
small CNN, whose step makes and frees tens of MB. So most arrays are fresh memory again every
step, and the first write to each 4 KiB page is a page fault, which the kernel serves by zeroing
the page. On a small CNN that is most of the time: the training step of
``benchmarks/bench_training.py`` (28×28, batch 64, Adam, 1 thread, microtensor alone in its
process) took 13.1–14.7 ms with glibc's defaults and 5.5–7.9 ms with the settings below.

So on import microtensor asks glibc (``mallopt``) to

* serve blocks of up to ``MMAP_THRESHOLD_BYTES`` (32 MiB, glibc's largest) from its heap, and
* keep up to ``TRIM_THRESHOLD_BYTES`` (128 MiB) of free memory at the heap's top,

which is what the environment variables ``MALLOC_MMAP_THRESHOLD_=33554432
MALLOC_TRIM_THRESHOLD_=134217728`` do when set before Python starts. The price: a process keeps
up to 128 MiB of freed memory for its next arrays instead of returning it at once. Measured peak
memory (``/usr/bin/time``): the same for the training steps of ``bench_memory.py`` and the main
example, 25 MB more (231 -> 256 MB) for ``examples/gpt.py --steps 100``, whose arrays come in
many sizes. Nothing else changes; values are the same either way.

It applies to the whole process (PyTorch, when it runs in the same process, gets the same
allocator), only under glibc, and not when the environment already sets one of glibc's
``MALLOC_*`` variables (the user chose) or ``MICROTENSOR_KEEP_MALLOC=1`` (keep glibc's defaults).
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Mapping

MMAP_THRESHOLD_BYTES = 32 << 20  # glibc's largest (DEFAULT_MMAP_THRESHOLD_MAX on 64-bit)
TRIM_THRESHOLD_BYTES = 128 << 20
_M_TRIM_THRESHOLD = -1  # mallopt's parameter numbers (glibc's malloc.h)
_M_MMAP_THRESHOLD = -3
OPT_OUT_VARIABLE = "MICROTENSOR_KEEP_MALLOC"
_GLIBC_VARIABLES = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_",
                    "MALLOC_MMAP_MAX_", "GLIBC_TUNABLES")


def wanted(environ: Mapping[str, str]) -> bool:
    """Whether to change glibc's settings, given the environment: not if the user set one of
    glibc's own variables or asked to keep its defaults (``MICROTENSOR_KEEP_MALLOC=1``)."""
    if environ.get(OPT_OUT_VARIABLE, "").strip() not in ("", "0"):
        return False
    return not any(name in environ for name in _GLIBC_VARIABLES)


def _glibc() -> ctypes.CDLL | None:
    """The C library of this process if it is glibc (it alone has ``gnu_get_libc_version``)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None)
    except OSError:
        return None
    if not hasattr(libc, "gnu_get_libc_version") or not hasattr(libc, "mallopt"):
        return None
    return libc


def keep_freed_memory() -> bool:
    """Apply the settings of the module docstring; True if glibc accepted them."""
    if not wanted(os.environ):
        return False
    libc = _glibc()
    if libc is None:
        return False
    libc.mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    libc.mallopt.restype = ctypes.c_int
    # (the trim threshold first: setting the mmap threshold also stops glibc moving either)
    trim = libc.mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES)
    mmap = libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)
    return bool(trim) and bool(mmap)  # mallopt returns 1 on success


applied = keep_freed_memory()  # done once, when microtensor is imported
