"""Per-op overhead: a chain of 300 small-tensor ops (mul, add, tanh on 8 float32 elements),
forward plus backward, microtensor vs PyTorch in one process. Prints microseconds per op and the
ratio of medians (microtensor / PyTorch; below 1.0 means microtensor is faster).

    python benchmarks/bench_overhead.py [--repeats 200]
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import numpy as np
from _common import time_interleaved

import microtensor as mt

CHAIN_OPS = 300  # 100 rounds of (mul, add, tanh)


def chain(lib, x, w, b):
    h = x
    for _ in range(CHAIN_OPS // 3):
        h = (h * w + b).tanh()
    return h.sum()


def microtensor_step() -> Callable[[], None]:
    rng = np.random.default_rng(0)
    # float32, as PyTorch's below (NumPy's float64 data would make float64 tensors, whose
    # small-array kernels take ~5 % longer here: not the same work)
    x = mt.tensor(rng.standard_normal(8), dtype=mt.float32, requires_grad=True)
    w = mt.tensor(rng.standard_normal(8), dtype=mt.float32, requires_grad=True)
    b = mt.tensor(rng.standard_normal(8), dtype=mt.float32, requires_grad=True)

    def step() -> None:
        x.grad = w.grad = b.grad = None
        chain(mt, x, w, b).backward()

    return step


def torch_step(torch) -> Callable[[], None]:
    rng = np.random.default_rng(0)
    x = torch.tensor(rng.standard_normal(8), dtype=torch.float32, requires_grad=True)
    w = torch.tensor(rng.standard_normal(8), dtype=torch.float32, requires_grad=True)
    b = torch.tensor(rng.standard_normal(8), dtype=torch.float32, requires_grad=True)

    def step() -> None:
        x.grad = w.grad = b.grad = None
        chain(torch, x, w, b).backward()

    return step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()
    ops = CHAIN_OPS + 1  # the chain plus the final sum
    try:
        import torch
    except ImportError:
        torch = None
    if torch is None:
        (ours,) = time_interleaved([microtensor_step()], args.repeats, warmup=5)
        print(f"microtensor: {ours / ops * 1e6:7.2f} us/op (forward + backward, median of "
              f"{args.repeats})")
        print("PyTorch not installed: pip install torch for the side-by-side ratio")
        return
    torch.set_num_threads(1)
    ours, theirs = time_interleaved([microtensor_step(), torch_step(torch)], args.repeats,
                                    warmup=5)
    print(f"microtensor: {ours / ops * 1e6:7.2f} us/op (forward + backward, median of "
          f"{args.repeats})")
    print(f"PyTorch:     {theirs / ops * 1e6:7.2f} us/op (torch {torch.__version__}, 1 thread)")
    print(f"ratio (microtensor / PyTorch): {ours / theirs:.2f}")


if __name__ == "__main__":
    main()
