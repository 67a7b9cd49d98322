"""Shared benchmark plumbing: thread pinning and interleaved timing.

Import this module *before* NumPy is imported anywhere (it sets the BLAS thread count through
environment variables, which OpenBLAS reads once at load time).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable


def pin_threads(argv: list[str] | None = None) -> int:
    """Read ``--threads N`` (default 1) and give NumPy's BLAS that many threads.

    PyTorch is pinned to the same number by ``load_torch``, so both libraries use equal threads.
    """
    args = sys.argv if argv is None else argv
    threads = 1
    if "--threads" in args:
        threads = int(args[args.index("--threads") + 1])
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = str(threads)
    return threads


def load_torch(threads: int):
    """PyTorch pinned to ``threads`` threads, or None when it is not installed."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)
    return torch


def time_interleaved(steps: list[Callable[[], object]], repeats: int, warmup: int = 3
                     ) -> list[float]:
    """Median seconds per call of each step. The steps alternate sample by sample, so that
    background load affects all of them alike; the ratio of medians is the figure to read."""
    for step in steps:
        for _ in range(warmup):
            step()
    samples: list[list[float]] = [[] for _ in steps]
    for _ in range(repeats):
        for step, bucket in zip(steps, samples):
            start = time.perf_counter()
            step()
            bucket.append(time.perf_counter() - start)
    return [statistics.median(bucket) for bucket in samples]


def report(name: str, ours: float, theirs: float | None, target: float | None = None,
           extra: str = "") -> str:
    """One line: microtensor time, PyTorch time, ratio, and whether the target holds."""
    line = f"{name:<34} microtensor {ours * 1e3:8.3f} ms"
    if theirs is not None:
        ratio = ours / theirs
        line += f" | PyTorch {theirs * 1e3:8.3f} ms | ratio {ratio:5.2f}"
        if target is not None:
            line += f" (target <= {target:.2f}: {'ok' if ratio <= target else 'MISSED'})"
    return line + (f" | {extra}" if extra else "")
