"""Memory held by kept loss tensors after backward(): resident set size with 100 losses of an MLP
(784-512-512-10, batch 256) kept in a list, against the same loop keeping none.

    python benchmarks/bench_graph_memory.py

After backward() the graph lets go of its large inputs (as PyTorch's does), so keeping the losses
costs about nothing; before that change it held every forward pass's activations.
"""

from __future__ import annotations

import gc
import os

import microtensor as mt
from microtensor import nn


def resident_megabytes() -> float:
    with open(f"/proc/{os.getpid()}/status") as status:
        line = next(row for row in status if row.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


def run(keep: bool, steps: int = 100) -> float:
    mt.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                          nn.Linear(512, 10))
    kept = []
    for _ in range(steps):
        x = mt.randn(256, 784)
        loss = nn.functional.cross_entropy(model(x), mt.randint(0, 10, (256,)))
        loss.backward()
        if keep:
            kept.append(loss)
    gc.collect()
    return resident_megabytes()


def main() -> None:
    print(f"RSS keeping none of 100 losses: {run(keep=False):6.0f} MB")
    print(f"RSS keeping all 100 losses:     {run(keep=True):6.0f} MB")


if __name__ == "__main__":
    main()
