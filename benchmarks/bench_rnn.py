"""Recurrent-layer benchmark, microtensor vs PyTorch side by side in one process.

    python benchmarks/bench_rnn.py [--threads 1] [--repeats 20]

Workloads (float32, both libraries on the same number of threads, steps interleaved, ratio of
medians = microtensor time / PyTorch time): forward + backward of ``nn.LSTM`` (input 32,
hidden 64, sequence 50, batch 32) and, for comparison, ``nn.GRU`` and ``nn.RNN`` of the same
sizes. PyTorch runs its fused CPU kernels; microtensor runs each layer as one graph node
(``ops/recurrent.py``: one input-projection matmul for all steps, then per step a matmul and
the gate math in NumPy, the LSTM on preallocated buffers), so the gap is Python and NumPy call
overhead per step.

Then the training step of the lesson ``examples/rnn_digits.py``: its LSTM and GRU classifiers
(8 steps of 8 features, hidden 64, a Linear on the last output), one batch of 32 digits,
cross-entropy, ``clip_grad_norm_(…, 1.0)`` and an Adam step, the PyTorch model loaded with
the same weights.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from _common import load_torch, pin_threads, report, time_interleaved

THREADS = pin_threads()

import numpy as np  # noqa: E402  (after the thread count is pinned)

import microtensor as mt  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples"))
import rnn_digits  # noqa: E402  (the lesson's model)

INPUT, HIDDEN, LENGTH, BATCH = 32, 64, 50, 32
LESSON_HIDDEN, LESSON_BATCH = 64, 32


def forward_backward(layer, x):
    def step():
        layer.zero_grad()
        output, _ = layer(x)
        output.sum().backward()
    return step


def training_step(library, model, images, labels):
    """One step of the lesson's training loop (``rnn_digits.train_one_epoch``)."""
    optimizer = library.optim.Adam(model.parameters(), lr=1e-2)

    def step():
        optimizer.zero_grad()
        loss = library.nn.functional.cross_entropy(model(images), labels)
        loss.backward()
        library.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
    return step


def torch_classifier(torch, kind: str, ours):
    """The lesson's SequenceClassifier in PyTorch, with the weights of ``ours``."""

    class SequenceClassifier(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.rnn = getattr(torch.nn, kind)(rnn_digits.FEATURES, LESSON_HIDDEN,
                                               batch_first=True)
            self.head = torch.nn.Linear(LESSON_HIDDEN, 10)

        def forward(self, images):
            outputs, _ = self.rnn(images.reshape(images.shape[0], rnn_digits.ROWS,
                                                 rnn_digits.FEATURES))
            return self.head(outputs[:, -1])

    theirs = SequenceClassifier()
    theirs.load_state_dict({k: torch.from_numpy(v.detach().numpy().copy())
                            for k, v in ours.state_dict().items()})
    return theirs


def bench_lesson(torch, repeats: int) -> None:
    train_set = mt.datasets.load_digits().split((0.7, 0.15, 0.15), seed=0)[0]
    images, labels = (t[:LESSON_BATCH] for t in train_set.tensors)
    print(f"lesson examples/rnn_digits.py: hidden {LESSON_HIDDEN}, batch {LESSON_BATCH}, "
          f"8 steps of 8 features, Adam + clip_grad_norm_")
    for kind in ("LSTM", "GRU"):
        mt.manual_seed(0)
        ours = rnn_digits.MODELS[kind](LESSON_HIDDEN)
        steps = [training_step(mt, ours, images, labels)]
        if torch is not None:
            theirs = torch_classifier(torch, kind, ours)
            steps.append(training_step(torch, theirs, torch.from_numpy(images.numpy()),
                                       torch.from_numpy(labels.numpy())))
        times = time_interleaved(steps, repeats)
        print(report(f"{kind} classifier training step", times[0],
                     times[1] if torch else None))


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
    bench_lesson(torch, args.repeats)


if __name__ == "__main__":
    main()
