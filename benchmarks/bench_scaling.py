"""How cost grows: the training step over batch size, width and image size, vs PyTorch.

    python benchmarks/bench_scaling.py [--threads 1] [--repeats 10] [--out runs/bench_scaling]

Three sweeps, each point a training step of ``bench_training.py``'s kind (same initial weights
in both libraries, steps interleaved, ratio of medians = microtensor / PyTorch):

* MLP 784 → width → 10 with SGD and momentum, width 256, over batch sizes 1 … 1,024;
* the same MLP, batch 128, over widths 64 … 4,096;
* the CNN of ``bench_training.py`` (two 3×3 convolutions, 2×2 max-pooling, Adam), batch 64,
  over image sizes 14, 28, 56 (the linear layer follows the image size).

Prints a table and draws ``scaling.png`` (ratio per point; matplotlib). Where the ratio falls as
the work grows, microtensor's fixed per-op cost (Python, NumPy call overhead) dominates the
small points; where it stays flat, both libraries spend their time in the same BLAS kernels.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from _common import load_torch, pin_threads, time_interleaved

THREADS = pin_threads()

import numpy as np  # noqa: E402  (after the thread count is pinned)
from bench_training import copy_weights, training_step  # noqa: E402

import microtensor as mt  # noqa: E402

BATCHES = [1, 4, 16, 64, 256, 1024]
WIDTHS = [64, 256, 1024, 4096]
IMAGE_SIZES = [14, 28, 56]


def mlp(width: int):
    return lambda lib: lib.nn.Sequential(lib.nn.Linear(784, width), lib.nn.ReLU(),
                                         lib.nn.Linear(width, 10))


def cnn(size: int):
    def build(lib):
        nn = lib.nn
        return nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(16 * (size // 4) ** 2, 10))
    return build


def sgd(lib, model):
    return lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)


def adam(lib, model):
    return lib.optim.Adam(model.parameters(), lr=1e-3)


def ratio(build, make_optimizer, shape: tuple[int, ...], torch, repeats: int) -> tuple[float, ...]:
    """(microtensor seconds, PyTorch seconds, ratio) of one training step."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(np.float32)
    y = rng.integers(0, 10, shape[0])
    mt.manual_seed(0)
    ours = build(mt)
    theirs = build(torch)
    copy_weights(ours, theirs, torch)
    steps = [training_step(mt, ours, make_optimizer(mt, ours), mt.tensor(x), mt.tensor(y)),
             training_step(torch, theirs, make_optimizer(torch, theirs), torch.from_numpy(x),
                           torch.from_numpy(y))]
    a, b = time_interleaved(steps, repeats)
    return a, b, a / b


def plot(results: dict[str, list[tuple[int, float]]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = {"batch": "MLP: batch size (width 256)", "width": "MLP: width (batch 128)",
              "image": "CNN: image size (batch 64)"}
    # one y-axis for the three panels, from at most 0.6 to at least 1.2: a 2 % wobble must not
    # fill a panel's height
    ratios = [r for points in results.values() for _, r in points]
    low, high = min(0.6, min(ratios) - 0.05), max(1.2, max(ratios) + 0.05)
    figure, axes = plt.subplots(1, 3, figsize=(12, 3.6), constrained_layout=True, sharey=True)
    axes[0].set_ylim(low, high)
    for ax, (sweep, points) in zip(axes, results.items()):
        xs, ys = zip(*points)
        ax.plot(xs, ys, "o-")
        ax.axhline(1.0, color="grey", linestyle="--", linewidth=1, label="PyTorch's time")
        ax.set_xscale("log", base=2)
        ax.set_xticks(xs, [str(x) for x in xs])
        ax.set_xlabel(labels[sweep])
        ax.grid(alpha=0.3)
        ax.legend(loc="upper right")
    axes[0].set_ylabel("microtensor / PyTorch (step time)")
    figure.suptitle(f"Training-step time ratio, {THREADS} thread{'s' if THREADS > 1 else ''}")
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)  # (the copy in docs/images/bench_scaling.png is RESULTS.md's)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--out", type=Path, default=Path("runs/bench_scaling"))
    args = parser.parse_args()
    torch = load_torch(THREADS)
    if torch is None:
        raise SystemExit("bench_scaling.py compares with PyTorch: install it (pip install torch)")
    sweeps = {
        "batch": [(b, mlp(256), sgd, (b, 784)) for b in BATCHES],
        "width": [(w, mlp(w), sgd, (128, 784)) for w in WIDTHS],
        "image": [(s, cnn(s), adam, (64, 1, s, s)) for s in IMAGE_SIZES],
    }
    results: dict[str, list[tuple[int, float]]] = {}
    print(f"threads: {THREADS}; PyTorch {torch.__version__}")
    print(f"{'sweep':6s} {'point':>6s} {'microtensor ms':>15s} {'PyTorch ms':>11s} {'ratio':>6s}")
    for sweep, points in sweeps.items():
        results[sweep] = []
        for value, build, make_optimizer, shape in points:
            ours, theirs, r = ratio(build, make_optimizer, shape, torch, args.repeats)
            results[sweep].append((value, r))
            print(f"{sweep:6s} {value:6d} {ours * 1e3:15.3f} {theirs * 1e3:11.3f} {r:6.2f}")
    plot(results, args.out / "scaling.png")
    print(f"saved {args.out / 'scaling.png'}")


if __name__ == "__main__":
    main()
