"""Recurrent-layer benchmark, microtensor vs PyTorch side by side in one process.

    python benchmarks/bench_rnn.py [--threads 1] [--repeats 20]

Workloads (float32, both libraries on the same number of threads, steps interleaved, ratio of
medians = microtensor time / PyTorch time): forward + backward of ``nn.LSTM`` (input 32,
hidden 64, sequence 50, batch 32) and, for comparison, ``nn.GRU`` and ``nn.RNN`` of the same
sizes. PyTorch runs its fused CPU kernels; microtensor unrolls the sequence into ordinary ops
(one input-projection matmul for all steps, then per step a matmul and the gate math), so the
gap is mostly Python overhead per step.
"""

from __future__ import annotations

import argparse

from _common import load_torch, pin_threads, report, time_interleaved

THREADS = pin_threads()

import numpy as np  # noqa: E402  (after the thread count is pinned)

import microtensor as mt  # noqa: E402

INPUT, HIDDEN, LENGTH, BATCH = 32, 64, 50, 32


def forward_backward(layer, x):
    def step():
        layer.zero_grad()
        output, _ = layer(x)
        output.sum().backward()
    return step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    torch = load_torch(THREADS)
    x = np.random.default_rng(0).standard_normal((LENGTH, BATCH, INPUT)).astype(np.float32)
    print(f"threads={THREADS}; input {INPUT}, hidden {HIDDEN}, sequence {LENGTH}, batch {BATCH}")
    for kind in ("LSTM", "GRU", "RNN"):
        ours = getattr(mt.nn, kind)(INPUT, HIDDEN)
        steps = [forward_backward(ours, mt.tensor(x, requires_grad=True))]
        if torch is not None:
            theirs = getattr(torch.nn, kind)(INPUT, HIDDEN)
            theirs.load_state_dict({k: torch.from_numpy(v.detach().numpy().copy())
                                    for k, v in ours.state_dict().items()})
            steps.append(forward_backward(theirs, torch.tensor(x, requires_grad=True)))
        times = time_interleaved(steps, args.repeats)
        print(report(f"{kind} forward+backward", times[0], times[1] if torch else None))


if __name__ == "__main__":
    main()
