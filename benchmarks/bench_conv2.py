"""Conv1d and ConvTranspose2d speed: microtensor against PyTorch (when installed), forward +
backward of the layer on the same input, side by side.

    python benchmarks/bench_conv2.py              # default repetitions, 1 thread
    python benchmarks/bench_conv2.py --quick      # fewer repetitions
    python benchmarks/bench_conv2.py --threads 2

Printed per case: the median time per step (forward, sum, backward) of each library and their
ratio (microtensor / PyTorch; below 1 is faster). The steps alternate sample by sample
(``_common.time_interleaved``), so both see the same machine.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from benchmarks._common import load_torch, pin_threads, report, time_interleaved

THREADS = pin_threads()

import numpy as np  # noqa: E402

import microtensor as mt  # noqa: E402

# name, layer constructor arguments (shared by both libraries), input shape
CASES = [
    ("Conv1d 32->64 k5 L=256 N=16", "Conv1d", (32, 64, 5), {"padding": 2}, (16, 32, 256)),
    ("Conv1d 64->64 k3 s2 L=512 N=8", "Conv1d", (64, 64, 3), {"stride": 2, "padding": 1},
     (8, 64, 512)),
    ("ConvTranspose2d 32->16 k4 s2 16x16 N=16", "ConvTranspose2d", (32, 16, 4),
     {"stride": 2, "padding": 1}, (16, 32, 16, 16)),
    ("ConvTranspose2d 16->8 k3 s1 28x28 N=16", "ConvTranspose2d", (16, 8, 3), {"padding": 1},
     (16, 16, 28, 28)),
]


def _step(lib, layer, x):
    def run():
        layer.zero_grad()
        if x.grad is not None:
            x.grad = None
        layer(x).sum().backward()
    return run


def main() -> None:
    torch = load_torch(THREADS)
    repeats = 15 if "--quick" in sys.argv else 60
    rng = np.random.default_rng(0)
    print(f"threads: {THREADS}; forward + backward of one layer, float32, median of {repeats}")
    for name, layer_name, args, kwargs, shape in CASES:
        data = rng.standard_normal(shape).astype(np.float32)
        ours = getattr(mt.nn, layer_name)(*args, **kwargs)
        x_ours = mt.tensor(data, requires_grad=True)
        steps = [_step(mt, ours, x_ours)]
        if torch is not None:
            theirs = getattr(torch.nn, layer_name)(*args, **kwargs)
            with torch.no_grad():
                theirs.weight.copy_(torch.tensor(ours.weight.detach().numpy()))
                theirs.bias.copy_(torch.tensor(ours.bias.detach().numpy()))
            steps.append(_step(torch, theirs, torch.tensor(data, requires_grad=True)))
        times = time_interleaved(steps, repeats)
        print(report(name, times[0], times[1] if torch is not None else None))


if __name__ == "__main__":
    main()
