"""Batch, mini-batch and stochastic gradient descent: one problem, three batch sizes.

An **epoch** is one pass over the training set; an **update** is one ``optimizer.step()``. The
``DataLoader``'s ``batch_size`` decides how many updates an epoch makes:

* **batch gradient descent** (``batch_size = N``): one update per epoch, along the exact
  gradient of the training loss. Smooth, but slow to get anywhere.
* **stochastic gradient descent** (``batch_size = 1``): N updates per epoch, each along the
  gradient of a single example: an unbiased but very noisy estimate of the full gradient.
* **mini-batch gradient descent** (``batch_size = 32``): N/32 updates per epoch, each from the
  mean gradient of 32 examples, whose noise is √32 ≈ 5.7 times smaller than one example's.

Why the noisier small batches reach a good loss in *fewer epochs*: far from the minimum, the
gradients of the individual examples mostly agree, so the gradient of 32 examples points almost
where the gradient of all N points, for 32/N of the work. In one epoch, mini-batches take N/32
such steps where batch gradient descent takes one. A larger learning rate cannot make up for it:
gradient descent is only stable for lr < 2/λ_max, λ_max being the largest curvature of the
loss (see ``examples/learning_rate.py``), so one step per epoch stays one step per epoch.

The price of the noise shows near the minimum: with a constant learning rate the small batches
do not settle, they hover around it, at a loss above the best one by roughly
lr × (gradient variance) / batch_size. That floor is visible for batch size 1, small for 32,
absent for N (decaying the learning rate removes it). Measured per *update*, the full batch is
the best; per *epoch* (per example read), the small batches win; per *second*, mini-batches win,
because batch size 1 pays Python's fixed cost per step N times an epoch, while a batch of 32
is one vectorised NumPy call.

**Double the batch size: what happens to the learning rate?** The *linear scaling rule*: scale
the learning rate with the batch size, lr = lr₀·B/B₀, and the loss per *epoch* stays the same.
Why: k small steps with lr along k mini-batch gradients move the weights by lr·Σ g_i; one step
with k·lr along the mean gradient of the k batches together (a batch k times larger) moves
them by k·lr·(Σ g_i)/k, the same, as long as the gradient hardly changes over those k small
steps. The noise matches too: a step's noise variance ∝ lr²/B, and an epoch takes N/B steps,
so the noise per epoch ∝ lr²/B², the same for every B when lr ∝ B (the lr/B floor above stays
put). Below (lr₀ = 0.02 at B₀ = 32), batch sizes 8 to 256 with lr ∝ B give nearly one curve per
epoch: within 20 % of B = 32's loss at every epoch (the first epoch differs most), and final
losses within 1 %. With one fixed lr instead, B = 128, 256 and 512 end ever higher above
B = 32: they take fewer steps per epoch.

Where it breaks: "the gradient hardly changes over k steps" needs lr·λ_max ≪ 1. As B grows,
lr = lr₀·B/B₀ grows with it, the big step overshoots along the sharpest direction, and past
lr = 2/λ_max (≈ 0.25 here, B ≈ 400) gradient descent diverges, whatever the batch (lr 0.16 at
B = 256, lr·λ_max = 1.3, still follows the curve; lr 0.32 at B = 512, lr·λ_max = 2.6, diverges:
the full batch, B = N, would need lr = 0.02·N/32 > 0.6, further out still). A batch k times
larger can stand in for k steps only while k steps are small: past that, a bigger batch buys
nothing per epoch. (Large-batch training of deep networks pairs the rule with a learning-rate
warmup over the first epochs, Goyal et al. 2017; see ``examples/warmup.py``.)

The problem: linear regression (``nn.Linear``, ``nn.MSELoss``, plain ``SGD``) on N synthetic
points y = x·w + b + noise, with the same learning rate, epochs, seed and initial weights for
all three batch sizes.

Run:  python examples/batch_sizes.py [--epochs E] [--points N] [--lr LR] [--fast]
                                     [--out runs/batch_sizes]
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import microtensor as mt
from microtensor import nn
from microtensor.utils.data import DataLoader, TensorDataset


@dataclass
class Run:
    """What one training run recorded."""

    name: str
    batch_size: int
    updates_per_epoch: int
    step_losses: list[float] = field(default_factory=list)  # the batch's loss at each update
    epoch_losses: list[float] = field(default_factory=list)  # training-set loss, [0] = initial
    epoch_seconds: list[float] = field(default_factory=list)

    def epochs_to_reach(self, target: float) -> int | None:
        """The first epoch after which the training loss is <= target (None: never)."""
        return next((e for e, loss in enumerate(self.epoch_losses) if loss <= target), None)


def make_data(points: int, features: int = 5, noise: float = 0.5,
              seed: int = 0) -> tuple[mt.Tensor, mt.Tensor]:
    """x ~ N(0, I), y = x·w + b + N(0, noise²): a linear model can fit it up to the noise."""
    rng = np.random.default_rng(seed)
    scales = np.geomspace(2.0, 0.5, features)  # unequal scales: an ill-conditioned loss
    x = rng.standard_normal((points, features)) * scales
    true_weight = rng.uniform(-3, 3, features)
    y = x @ true_weight + 0.5 + noise * rng.standard_normal(points)
    return mt.tensor(x, dtype=mt.float32), mt.tensor(y[:, None], dtype=mt.float32)


def best_possible_loss(x: mt.Tensor, y: mt.Tensor) -> float:
    """The minimum of the training MSE, from the closed-form least-squares fit."""
    design = np.column_stack([x.numpy(), np.ones(len(x))]).astype(np.float64)
    target = y.numpy()[:, 0].astype(np.float64)
    coefficients, *_ = np.linalg.lstsq(design, target, rcond=None)
    return float(np.mean((design @ coefficients - target) ** 2))


def largest_curvature(x: mt.Tensor) -> float:
    """λ_max of the Hessian of the MSE of a linear model: 2·mean(x̃ x̃ᵀ), x̃ = (x, 1)."""
    design = np.column_stack([x.numpy(), np.ones(len(x))]).astype(np.float64)
    hessian = 2 * design.T @ design / len(design)
    return float(np.linalg.eigvalsh(hessian)[-1])


def training_loss(model: nn.Module, x: mt.Tensor, y: mt.Tensor) -> float:
    """The loss on the whole training set (no graph needed: we only look at it)."""
    with mt.no_grad():
        return nn.functional.mse_loss(model(x), y).item()


def train(x: mt.Tensor, y: mt.Tensor, batch_size: int, epochs: int, lr: float,
          name: str, seed: int = 0) -> Run:
    """Plain SGD with the given batch size; the same seed gives the same initial weights."""
    mt.manual_seed(seed)
    model = nn.Linear(x.shape[1], 1)
    optimizer = mt.optim.SGD(model.parameters(), lr=lr)
    loss_fn = nn.MSELoss()
    loader = DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True, seed=seed)
    run = Run(name, batch_size, updates_per_epoch=len(loader))
    run.epoch_losses.append(training_loss(model, x, y))
    for _ in range(epochs):
        start = time.perf_counter()
        for x_batch, y_batch in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(x_batch), y_batch)
            loss.backward()
            optimizer.step()
            run.step_losses.append(loss.item())
        run.epoch_seconds.append(time.perf_counter() - start)
        run.epoch_losses.append(training_loss(model, x, y))
    return run


SCALING_BATCHES = (8, 32, 128, 256, 512)  # B₀ = 32 is the reference batch size


@dataclass
class Lesson:
    """What ``main`` returns: the three batch sizes (+ the full batch at its best rate), and the
    linear-scaling runs: lr ∝ batch size (``scaled``) and the same lr for all (``fixed``)."""

    runs: list[Run]
    scaled: list[Run]
    fixed: list[Run]
    largest_curvature: float


def scaling_runs(x: mt.Tensor, y: mt.Tensor, epochs: int, base_lr: float,
                 base_batch: int = 32) -> tuple[list[Run], list[Run]]:
    """Each batch size of ``SCALING_BATCHES`` twice: lr = base_lr·B/base_batch, and lr = base_lr."""
    scaled, fixed = [], []
    for size in SCALING_BATCHES:
        lr = base_lr * size / base_batch
        with np.errstate(over="ignore", invalid="ignore"):
            scaled.append(train(x, y, size, epochs, lr, f"B = {size}, lr = {lr:g}"))
        fixed.append(train(x, y, size, epochs, base_lr, f"B = {size}, lr = {base_lr:g}"))
    return scaled, fixed


def gap_to_reference(run: Run, reference: Run) -> float:
    """The largest relative difference between two per-epoch loss curves (epochs ≥ 1)."""
    ours, theirs = np.array(run.epoch_losses[1:]), np.array(reference.epoch_losses[1:])
    with np.errstate(over="ignore", invalid="ignore"):
        gap = np.max(np.abs(ours - theirs) / theirs)
    return float(gap) if np.isfinite(gap) else np.inf


def print_scaling(scaled: list[Run], fixed: list[Run], lam_max: float) -> None:
    reference = scaled[SCALING_BATCHES.index(32)]
    print(f"\nThe linear scaling rule: lr = 0.02·B/32 (stable only for lr < 2/λ_max = "
          f"{2 / lam_max:.3f}), against the same lr for every batch size:")
    header = (f"{'batch size':>10} {'scaled lr':>9} {'lr·λ_max':>8} {'final loss':>11} "
              f"{'max gap to B=32':>15} {'fixed lr: final loss':>21}")
    print(header)
    print("-" * len(header))
    for run, same_lr in zip(scaled, fixed, strict=True):
        lr = 0.02 * run.batch_size / 32
        final = run.epoch_losses[-1]
        shown = f"{final:>11.4f}" if np.isfinite(final) and final < 1e6 else f"{'diverged':>11}"
        gap = gap_to_reference(run, reference)
        gap_text = f"{gap:>15.1%}" if gap < 10 else f"{'diverged':>15}"
        print(f"{run.batch_size:>10} {lr:>9.3f} {lr * lam_max:>8.2f} {shown} "
              f"{gap_text} {same_lr.epoch_losses[-1]:>21.4f}")


def plot_scaling(scaled: list[Run], fixed: list[Run], best: float, lam_max: float,
                 path: Path) -> None:
    """Per-epoch loss: left with lr ∝ batch size, right with one lr for all; same axes."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import FormatStrFormatter, MaxNLocator, NullFormatter

    figure = Figure(figsize=(12, 4.5), layout="constrained")
    left, right = figure.subplots(1, 2, sharey=True)
    colors = ["tab:blue", "tab:orange", "tab:green", "tab:purple", "tab:red"]
    top = 3 * scaled[0].epoch_losses[0]
    for ax, runs in ((left, scaled), (right, fixed)):
        for run, color in zip(runs, colors, strict=True):
            losses = np.array(run.epoch_losses)
            shown = np.isfinite(losses)  # a diverging run leaves the top of the plot
            label = run.name
            if ax is left and run.batch_size * 0.02 / 32 > 2 / lam_max:
                label += " (> 2/λ_max: diverges)"
            ax.plot(np.arange(len(losses))[shown], losses[shown], "o-", markersize=3,
                    color=color, label=label)
        ax.axhline(best, color="black", linestyle="--", linewidth=0.8, label="best possible")
        ax.set_yscale("log")
        ax.set_ylim(best / 1.5, top)
        ax.set_yticks([t for t in (0.3, 0.5, 1, 2, 5, 10, 20, 50) if best / 1.5 < t < top])
        ax.yaxis.set_major_formatter(FormatStrFormatter("%g"))
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set(xlabel="epoch", xlim=(-0.5, len(runs[0].epoch_losses) - 0.5))
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize="small", loc="upper right")
    left.set(ylabel="training loss (MSE)",
             title="lr ∝ batch size: one curve per epoch, until lr > 2/λ_max")
    right.set(title="the same lr for every batch size: larger batches fall behind")
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)


def print_table(runs: list[Run], best: float, target: float) -> None:
    print(f"best possible training loss (least squares): {best:.4f}; "
          f"'good' = within 10%: loss <= {target:.4f}\n")
    header = (f"{'method':<22} {'updates/epoch':>13} {'updates':>8} {'ms/epoch':>9} "
              f"{'loss, epoch 1':>13} {'final loss':>10} {'first good epoch':>16} {'seconds':>7}")
    print(header)
    print("-" * len(header))
    for run in runs:
        reached = run.epochs_to_reach(target)
        epoch = "never" if reached is None else str(reached)
        seconds = "" if reached is None else f"{sum(run.epoch_seconds[:reached]):.2f}"
        print(f"{run.name:<22} {run.updates_per_epoch:>13} {len(run.step_losses):>8} "
              f"{1000 * np.median(run.epoch_seconds):>9.1f} {run.epoch_losses[1]:>13.4f} "
              f"{run.epoch_losses[-1]:>10.4f} {epoch:>16} {seconds:>7}")


def running_mean(values: list[float], window: int) -> np.ndarray:
    """The mean of each ``window`` consecutive values: the trend under the noise."""
    return np.convolve(values, np.ones(window) / window, mode="valid")


def plot(runs: list[Run], best: float, path: Path) -> None:
    """Left: training loss per epoch. Right: the batch loss at every update (log x axis)."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import FormatStrFormatter

    figure = Figure(figsize=(12, 4.5), layout="constrained")
    per_epoch, per_update = figure.subplots(1, 2)
    for run in runs:
        line, = per_epoch.plot(range(len(run.epoch_losses)), run.epoch_losses, "o-",
                               markersize=3, label=run.name)
        updates = np.arange(1, len(run.step_losses) + 1)
        window = max(run.updates_per_epoch // 20, 1)
        per_update.plot(updates, run.step_losses, color=line.get_color(), alpha=0.2,
                        linewidth=0.5)
        per_update.plot(updates[window - 1:], running_mean(run.step_losses, window),
                        color=line.get_color(),
                        label=run.name if window == 1 else f"{run.name}, mean of {window}")
    for ax in (per_epoch, per_update):
        ax.axhline(best, color="black", linestyle="--", linewidth=0.8, label="best possible")
        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(FormatStrFormatter("%g"))
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize="small")
    per_epoch.set(xlabel="epoch", ylabel="training loss (MSE)",
                  title="per epoch: small batches get there first")
    per_epoch.yaxis.set_minor_formatter(FormatStrFormatter("%g"))
    per_update.set_xscale("log")
    per_update.set_ylim(best / 5, 2 * max(run.epoch_losses[0] for run in runs))
    per_update.set(xlabel="update (optimizer.step)", ylabel="loss of the batch",
                   title="per update: the full batch is the smoothest")
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)


def main(argv: list[str] | None = None) -> Lesson:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--points", type=int, default=2000)
    parser.add_argument("--lr", type=float, default=0.02)
    parser.add_argument("--fast", action="store_true", help="a short run (for tests)")
    parser.add_argument("--out", type=Path, default=Path("runs/batch_sizes"))
    args = parser.parse_args(argv)
    epochs, points = (5, 1000) if args.fast else (args.epochs, args.points)

    x, y = make_data(points)
    print(f"Linear regression, {points} points, {x.shape[1]} features; SGD with lr {args.lr}, "
          f"{epochs} epochs, the same initial weights for every batch size")
    sizes = {f"batch (size {points})": points, "mini-batch (size 32)": 32,
             "stochastic (size 1)": 1}
    runs = [train(x, y, size, epochs, args.lr, name) for name, size in sizes.items()]
    best = best_possible_loss(x, y)
    print_table(runs, best, target=1.1 * best)
    full, mini, single = runs
    print(f"\nIn {epochs} epochs batch gradient descent made {len(full.step_losses)} updates, "
          f"mini-batches {len(mini.step_losses)}, single examples {len(single.step_losses)}.")
    noise = float(np.std(single.step_losses[-single.updates_per_epoch:]))
    print(f"The size-1 batch loss still jumps around (std {noise:.3f} over the last epoch).")
    print(f"Final training loss above the best: size 1 {single.epoch_losses[-1] / best - 1:+.1%}, "
          f"size 32 {mini.epoch_losses[-1] / best - 1:+.1%}, size {points} "
          f"{full.epoch_losses[-1] / best - 1:+.1%}.")
    print("Per update the full batch takes the best step; per epoch it is by far the slowest.")

    lam_max = largest_curvature(x)
    fair = train(x, y, points, epochs, 1 / lam_max, f"batch, lr {1 / lam_max:.3f}")
    reached = fair.epochs_to_reach(1.1 * best)
    print("\nUnfair to the full batch? Its gradient is exact, so give it the largest safe rate,")
    print(f"lr = 1/λ_max = {1 / lam_max:.3f} (λ_max = {lam_max:.2f} is the loss's sharpest "
          f"curvature; lr > 2/λ_max diverges):")
    print(f"after {epochs} epochs its loss is {fair.epoch_losses[-1]:.4f}, good "
          f"{'never' if reached is None else f'after {reached} epochs'}: the flat directions "
          f"still need many steps.")
    runs.append(fair)

    scaled, fixed = scaling_runs(x, y, epochs, args.lr)
    print_scaling(scaled, fixed, lam_max)
    lesson = Lesson(runs, scaled, fixed, lam_max)

    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print("\n(matplotlib is not installed: no plot)")
        return lesson
    path = args.out / "batch_sizes.png"
    plot(runs, best, path)
    print(f"\nplot: {path}")
    scaling_path = args.out / "batch_sizes_scaling.png"
    plot_scaling(scaled, fixed, best, lam_max, scaling_path)
    print(f"plot: {scaling_path}")
    return lesson


if __name__ == "__main__":
    main()
