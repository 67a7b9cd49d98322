"""Which order of a Linear layer's forward product is faster on this machine's BLAS?

    python benchmarks/bench_product_order.py
    OPENBLAS_CORETYPE=Haswell python benchmarks/bench_product_order.py   # OpenBLAS's AVX2 kernels

``Linear`` computes y = x @ wᵀ: a few rows x (m, in) times the transpose of the row-major weight
w (out, in). The same numbers come out of (w @ xᵀ)ᵀ, with the weight in its own layout first
and a copy of the small (out, m) result back into row order. ``microtensor/ops/blas.py``
(``_swap_operands``) takes the second order where this benchmark found it faster: float32, at
most 64 rows, weights of at least 65,536 entries, above OpenBLAS's small-matrix kernel
(~10⁶ multiply-adds), OpenBLAS's AVX-512 kernels. For each layer shape and row count it prints
both times (``_common.time_interleaved``: medians of interleaved calls, one BLAS thread), their
ratio and what ``_swap_operands`` decides here, so the rule can be checked on another machine
or BLAS.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np
from _common import time_interleaved

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import microtensor as mt
from microtensor.ops import blas

SHAPES = ((784, 256), (512, 512), (3072, 512), (256, 4096), (784, 128), (128, 64), (256, 10))
ROWS = (2, 8, 16, 32, 64, 128, 256)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    args = parser.parse_args(argv)
    mt.set_num_threads(1)
    kernels = [getattr(library, "architecture", "?") for library in mt._threads.blas_libraries()]
    print(f"NumPy {np.__version__}, BLAS kernels {kernels}, {args.dtype}, 1 thread; "
          "ratio = (w @ xᵀ)ᵀ time / x @ wᵀ time")
    rng = np.random.default_rng(0)
    for features, outputs in SHAPES:
        weight = rng.standard_normal((outputs, features)).astype(args.dtype)
        cells = []
        for rows in ROWS:
            x = rng.standard_normal((rows, features)).astype(args.dtype)
            as_written, swapped = time_interleaved(
                [lambda x=x, w=weight: np.matmul(x, w.T),
                 lambda x=x, w=weight: np.ascontiguousarray(np.matmul(w, x.T).T)],
                args.repeats)
            mark = "*" if blas._swap_operands(x, weight.T) else " "
            cells.append(f"{rows:>4} {swapped / as_written:4.2f}{mark}")
        print(f"{features:>5} -> {outputs:<5}" + "  ".join(cells))
    print("(* : microtensor computes this product as (w @ xᵀ)ᵀ here)")


if __name__ == "__main__":
    main()
