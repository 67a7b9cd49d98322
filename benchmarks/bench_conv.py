"""Convolution and pooling speed: microtensor against PyTorch (when installed), side by side.

    python benchmarks/bench_conv.py            # all cases
    python benchmarks/bench_conv.py --quick    # fewer repetitions
    OPENBLAS_NUM_THREADS=1 python benchmarks/bench_conv.py   # both libraries on one thread

Cases:

* kernel level: ``conv2d_forward`` + ``conv2d_backward`` on NumPy arrays (of ``conv_small``
  where ``conv_small.suits`` picks it, with its columns kept as the Op keeps them, else of
  ``conv_fast``), against ``torch.nn.functional.conv2d`` forward + backward (autograd);
* op level: ``microtensor.ops.conv.conv2d`` on Tensors + ``.backward()``, the same for PyTorch;
* pooling forward + backward: ``max_pool2d``/``avg_pool2d`` at both levels,
  ``adaptive_avg_pool2d``/``adaptive_max_pool2d`` at op level;
* a small CNN training step (conv-ReLU-pool twice, then a linear layer, cross-entropy, SGD).

Each case runs in many short alternating rounds (microtensor, PyTorch, microtensor, ...), so that
both see the same machine (shared and virtual machines vary a lot from second to second). Every
round starts with 0.15 s of untimed calls: after a call, a library's BLAS/OpenMP worker threads
keep spinning for a while (OpenBLAS: about 0.1 s) and would steal the cores from the other one.
Printed: the median time per call in microseconds, the ratio of medians (microtensor / PyTorch;
below 1 is faster) and, for convolutions, the achieved GFLOP/s (2 flops per multiply-add of the
forward product and of each gradient product computed). Without PyTorch only microtensor's
figures are printed. PyTorch gets as many threads as microtensor may use
(``microtensor.get_num_threads()``: one per core under the default policy, or the count an
environment variable such as ``OPENBLAS_NUM_THREADS`` fixes), unless ``--threads`` says
otherwise. So ``OPENBLAS_NUM_THREADS=1 python benchmarks/bench_conv.py`` compares both on one
thread, and a plain run compares both on every core.

Memory: glibc gives large freed blocks back to the operating system, and every fresh page then
costs a page fault when it is first written (for small layers it can double the time of a
step). Importing microtensor tells glibc to keep them (``microtensor/_memory.py``), for the
whole process, so PyTorch runs on the same allocator settings here;
``MICROTENSOR_KEEP_MALLOC=1`` keeps glibc's defaults for both. ``bench_programs.py`` times the
same cases with each library in a program of its own, as users run them (PyTorch then on
glibc's defaults, and no OpenMP threads of its own spinning next to microtensor's calls).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _cases import (
    cnn_step,
    conv_arrays,
    conv_cases,
    conv_flops,
    conv_step,
    pool_arrays,
    pool_cases,
    pool_step,
)

import microtensor as mt
from microtensor.ops import conv_fast as CK
from microtensor.ops import conv_small as CS
from microtensor.ops import pool_fast as PK

try:
    import torch
except ImportError:  # figures for microtensor only
    torch = None


def blas_threads() -> int:
    """Threads NumPy's BLAS uses (threadpoolctl if installed, else the usual variables)."""
    try:
        from threadpoolctl import threadpool_info

        counts = [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]
        if counts:
            return max(counts)
    except ImportError:
        pass
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        if os.environ.get(name, "").isdigit():
            return int(os.environ[name])
    return os.cpu_count() or 1


def timings(fn: Callable[[], object], calls: int, warmup: float = 0.15) -> list[float]:
    """``calls`` timings of ``fn`` after ``warmup`` seconds of untimed calls (at least two)."""
    start = time.perf_counter()
    done = 0
    while done < 2 or time.perf_counter() - start < warmup:
        fn()
        done += 1
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def compare(
    name: str,
    ours: Callable[[], object],
    theirs: Callable[[], object] | None,
    flops: float | None,
    rounds: int,
    calls: int,
) -> None:
    mine: list[float] = []
    other: list[float] = []
    for _ in range(rounds):
        mine += timings(ours, calls)
        if theirs is not None:
            other += timings(theirs, calls)
    m = statistics.median(mine)
    line = f"{name:<46} {m * 1e6:>11.0f}"
    if theirs is not None:
        t = statistics.median(other)
        line += f" {t * 1e6:>11.0f} {m / t:>7.2f}"
    else:
        line += f" {'-':>11} {'-':>7}"
    if flops:
        line += f" {flops / m / 1e9:>8.1f}"
        if theirs is not None:
            line += f" {flops / t / 1e9:>8.1f}"
    print(line, flush=True)


def header(title: str) -> None:
    print(f"\n{title}")
    print(f"{'case':<46} {'mt us':>11} {'torch us':>11} {'ratio':>7} {'mt GF/s':>8} {'torch':>8}")


# --------------------------------------------------------------------------- cases


def conv_functions(cfg: dict, op_level: bool) -> tuple[Callable, Callable | None]:
    """Forward + backward of one conv2d case: (microtensor, PyTorch or None)."""
    groups = cfg.get("groups", 1)
    x, w, b, g = conv_arrays(cfg)
    stride, pad = (cfg["s"],) * 2, (cfg["p"],) * 4
    need_x = not cfg.get("nox")

    if op_level:
        ours = conv_step(mt, cfg)
    elif CS.suits(x.shape, w.shape, stride, pad, (1, 1), groups):  # as the Op does

        def ours() -> None:
            kept: list[np.ndarray] = []  # the columns conv_small keeps for dL/dw (if small)
            CS.conv2d_forward(x, w, b, stride, pad, (1, 1), groups, saved=kept)
            CS.conv2d_backward(g, x, w, stride, pad, (1, 1), groups, need_input=need_x,
                               cols=kept[0] if kept else None)
    else:

        def ours() -> None:
            CK.conv2d_forward(x, w, b, stride, pad, (1, 1), groups)
            CK.conv2d_backward(g, x, w, stride, pad, (1, 1), groups, need_input=need_x)

    return ours, conv_step(torch, cfg) if torch is not None else None


def bench_conv(rounds: int, calls: int, op_level: bool) -> None:
    header("conv2d forward + backward" + (" (Tensor + autograd)" if op_level else " (arrays)"))
    for name, cfg in conv_cases():
        ours, theirs = conv_functions(cfg, op_level)
        compare(name, ours, theirs, conv_flops(cfg), rounds, calls)


def pool_functions(shape: tuple[int, ...], kind: str, k: int, s: int, p: int, op_level: bool
                   ) -> tuple[Callable, Callable | None]:
    """Forward + backward of one pooling case: (microtensor, PyTorch or None).

    ``kind``: "max" or "avg" (window k, stride s, padding p); "adaptive_avg" or "adaptive_max"
    (output size k). At array level only max/avg have kernels of their own (the adaptive ones
    are timed at op level only)."""
    x, g = pool_arrays(shape, kind, k, s, p)
    if op_level:
        ours = pool_step(mt, shape, kind, k, s, p)
    else:
        geometry = PK.PoolGeometry.of(shape, (k, k), (s, s), (p, p), (1, 1), False)
        divisor = PK._avg_divisor(geometry, True, None, x.dtype)

        def ours() -> None:
            if kind == "max":
                _, argmax = PK.max_pool2d_forward(x, geometry)
                PK.max_pool2d_backward(g, argmax, geometry)
            else:
                PK.avg_pool2d_forward(x, geometry, divisor)
                PK.avg_pool2d_backward(g, geometry, divisor)

    return ours, pool_step(torch, shape, kind, k, s, p) if torch is not None else None


def bench_pool(rounds: int, calls: int, op_level: bool) -> None:
    header("pooling forward + backward" + (" (Tensor + autograd)" if op_level else " (arrays)"))
    cases = pool_cases(adaptive=op_level)
    for name, shape, kind, k, s, p in cases:
        ours, theirs = pool_functions(shape, kind, k, s, p, op_level)
        compare(name, ours, theirs, None, rounds, calls)


def bench_cnn(rounds: int, calls: int) -> None:
    """One SGD step of a small CNN on a batch of 64 28x28 images: the same code
    (``_cases.cnn_step``) on both libraries, from the same initial weights."""
    header("small CNN training step (batch 64, 1x28x28: conv 8, pool, conv 16, pool, linear 10)")
    ours = cnn_step(mt)
    theirs = cnn_step(torch) if torch is not None else None
    compare("training step", ours, theirs, None, rounds, calls)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--threads", type=int, default=None,
                        help="PyTorch threads (default: microtensor.get_num_threads())")
    parser.add_argument("--only", choices=("conv", "pool", "cnn"), default=None,
                        help="run one section only")
    args = parser.parse_args()
    rounds, calls = (4, 4) if args.quick else (12, 5)
    # (not the BLAS's own count: under microtensor's default policy the BLAS rests at one
    # thread between products, and big products and convolutions use every free core)
    threads = args.threads or mt.get_num_threads()
    print(f"numpy {np.__version__}, BLAS threads {blas_threads()}", end="")
    print(f", glibc keeps freed memory (microtensor/_memory.py): {mt._memory.applied}", end="")
    if torch is not None:
        torch.set_num_threads(threads)
        print(f"; torch {torch.__version__}, threads {torch.get_num_threads()}")
    else:
        print("; torch not installed: microtensor figures only")
    if args.only in (None, "conv"):
        bench_conv(rounds, calls, op_level=False)
        bench_conv(rounds, calls, op_level=True)
    if args.only in (None, "pool"):
        bench_pool(rounds, calls, op_level=False)
        bench_pool(rounds, calls, op_level=True)
    if args.only in (None, "cnn"):
        bench_cnn(rounds, calls)


if __name__ == "__main__":
    main()
