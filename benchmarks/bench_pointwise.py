"""Pointwise-function benchmark, microtensor vs PyTorch side by side in one process.

    python benchmarks/bench_pointwise.py [--threads 1] [--repeats 30] [--quick]
                                         [--ops erf,gelu] [--forward-only]

For each function, dtype (float32, float64) and size (1e3, 1e5, 1e6 elements of a standard
normal sample, scaled by 2 so that the tails of erf/erfc are visited too): forward + backward,
``y = f(x); y.backward(ones)``, the steps of both libraries interleaved, ratio of medians =
microtensor time / PyTorch time. The functions of issue 17 are erf, erfc and GELU (exact and
tanh); exp, tanh, sigmoid and log1p are there for context (a single NumPy ufunc each, so they
show what one pass over the data costs), and ReLU (a maximum with zero, and its mask).
``--quick`` runs only the 1e6 size; ``--forward-only`` times ``f(x)`` without autograd.
"""

from __future__ import annotations

import argparse
import os
import sys

from _common import load_torch, pin_threads, report, time_interleaved

THREADS = pin_threads()

import numpy as np  # noqa: E402  (after the thread count is pinned)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import microtensor as mt  # noqa: E402

TARGET = 1.5  # issue 17: erf, erfc and GELU within 1.5x of PyTorch
TARGETED = {"erf", "erfc", "gelu", "gelu_tanh"}
SIZES = (1_000, 100_000, 1_000_000)


def functions(library) -> dict:
    """name -> the function in ``library`` (microtensor or torch): same names in both."""
    functional = library.nn.functional
    return {
        "erf": library.erf,
        "erfc": library.erfc,
        "gelu": functional.gelu,
        "gelu_tanh": lambda x: functional.gelu(x, approximate="tanh"),
        "exp": library.exp,
        "tanh": library.tanh,
        "sigmoid": library.sigmoid,
        "log1p": library.log1p,
        "relu": functional.relu,
    }


def forward_backward(library, function, data, forward_only: bool):
    """A step that runs ``function`` on a fresh leaf built from ``data`` (and its backward)."""
    if forward_only:
        x = library.tensor(data)
        return lambda: function(x)
    seed = library.ones(data.shape, dtype=library.float32 if data.dtype == np.float32
                        else library.float64)

    def step():
        x = library.tensor(data, requires_grad=True)
        function(x).backward(seed)
    return step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--quick", action="store_true", help="only 1e6 elements")
    parser.add_argument("--ops", default="", help="comma-separated subset of the functions")
    parser.add_argument("--forward-only", action="store_true")
    args = parser.parse_args()
    torch = load_torch(THREADS)
    ours, theirs = functions(mt), functions(torch) if torch is not None else {}
    names = [n for n in ours if not args.ops or n in args.ops.split(",")]
    sizes = SIZES[-1:] if args.quick else SIZES
    kind = "forward" if args.forward_only else "forward+backward"
    print(f"threads={THREADS}; {kind}; ratio = microtensor / PyTorch (median of "
          f"{args.repeats} interleaved runs)")
    rng = np.random.default_rng(0)
    for dtype in (np.float32, np.float64):
        for size in sizes:
            data = (2 * rng.standard_normal(size)).astype(dtype)
            for name in names:
                steps = [forward_backward(mt, ours[name], data, args.forward_only)]
                if torch is not None:
                    steps.append(forward_backward(torch, theirs[name], data, args.forward_only))
                times = time_interleaved(steps, args.repeats)
                label = f"{name} {np.dtype(dtype).name} n={size:.0e}"
                print(report(label, times[0], times[1] if torch is not None else None,
                             TARGET if name in TARGETED else None))


if __name__ == "__main__":
    main()
