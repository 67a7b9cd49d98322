"""Optimizer step cost: one ``optimizer.step()`` over float32 parameters, microtensor vs PyTorch
(single-tensor path, ``foreach=False``, one thread: NumPy's elementwise ufuncs use one core) in
one process. Two sizes: many small parameters (Python overhead per parameter dominates) and a few
large ones (the arithmetic dominates). Prints milliseconds per step and the ratio of medians
(microtensor / PyTorch; below 1.0 means microtensor is faster).

    python benchmarks/bench_optim.py [--repeats 50]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np

import microtensor as mt
from microtensor import optim

SIZES = {
    "200 params x 256": [(256,)] * 200,
    "4 params x 1M": [(1024, 1024)] * 4,
}
CONFIGS = [
    ("SGD", dict(lr=0.01, momentum=0.9, nesterov=True)),
    ("Adam", dict(lr=1e-3)),
    ("AdamW", dict(lr=1e-3, weight_decay=1e-2)),
    ("RMSprop", dict(lr=1e-3, momentum=0.9, centered=True)),
    ("Adagrad", dict(lr=1e-2)),
    ("NAdam", dict(lr=1e-3)),
]


def time_it(step: Callable[[], None], repeats: int) -> float:
    for _ in range(3):
        step()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=50)
    args = parser.parse_args()
    try:
        import torch
    except ImportError:
        torch = None
    else:
        torch.set_num_threads(1)

    print(f"{'optimizer':<10} {'size':<18} {'microtensor ms':>15} {'torch ms':>10} {'ratio':>7}")
    for size_name, shapes in SIZES.items():
        rng = np.random.default_rng(0)
        arrays = [rng.standard_normal(s).astype(np.float32) for s in shapes]
        grads = [rng.standard_normal(s).astype(np.float32) * 1e-3 for s in shapes]
        for name, kw in CONFIGS + [("Lion", dict(lr=1e-4))]:
            params = [mt.tensor(a.copy(), requires_grad=True) for a in arrays]
            for p, g in zip(params, grads, strict=True):
                p.grad = mt.tensor(g)
            opt = getattr(optim, name)(params, **kw)
            ours = time_it(opt.step, args.repeats)

            theirs = float("nan")
            if torch is not None and hasattr(torch.optim, name):
                t_params = [torch.tensor(a.copy(), requires_grad=True) for a in arrays]
                for p, g in zip(t_params, grads, strict=True):
                    p.grad = torch.tensor(g)
                t_opt = getattr(torch.optim, name)(t_params, foreach=False, **kw)
                theirs = time_it(t_opt.step, args.repeats)
            print(
                f"{name:<10} {size_name:<18} {ours * 1e3:>15.3f} {theirs * 1e3:>10.3f} "
                f"{ours / theirs:>7.2f}"
            )


if __name__ == "__main__":
    main()
