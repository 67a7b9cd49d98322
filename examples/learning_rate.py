"""The learning rate: where gradient descent diverges, why schedules decay it, and how to pick one.

1. **The stability threshold lr < 2/λ_max.** On f(x) = ½ xᵀAx the gradient is Ax, so one step
   of gradient descent is x ← (I − lr·A) x. Along the eigenvector of each eigenvalue λ of A the
   error is multiplied by (1 − lr·λ) per step: it shrinks iff |1 − lr·λ| < 1, i.e.
   0 < lr < 2/λ. The largest eigenvalue (the sharpest curvature) sets the limit; past it the
   error along that eigenvector flips sign and grows every step. The best constant rate
   is lr = 2/(λ_min + λ_max), with contraction (κ − 1)/(κ + 1) per step, κ = λ_max/λ_min.
   For a network, λ_max of the loss Hessian can be estimated with Hessian-vector products
   (``mt.landscape.hessian_eigs``), as done here for the quadratic.

2. **Schedules.** With noisy gradients (mini-batches), a constant lr stops improving at a noise
   floor proportional to lr: for this quadratic with gradient noise N(0, σ²I),
   E[f] → Σᵢ lr·σ² / (2(2 − lr·λᵢ)). Decaying the lr (StepLR, ExponentialLR,
   CosineAnnealingLR) takes big steps early and shrinks the floor later. Warmup (LinearLR, then
   cosine, via SequentialLR) protects the first steps of large networks and of Adam, whose
   statistics start out unreliable; on a quadratic it only costs a little.

3. **The learning-rate finder** (for a network, where λ_max is not known in advance): raise the
   lr exponentially over a few hundred mini-batches and pick the lr where the loss falls
   fastest (``mt.landscape.lr_range_test``).

Run:  python examples/learning_rate.py [--steps N] [--fast] [--out runs/learning_rate]
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

import microtensor as mt
from microtensor import landscape, optim
from microtensor.optim import lr_scheduler


def stability(steps: int) -> dict[str, landscape.Trajectory]:
    q = landscape.quadratic(condition_number=10.0)
    x = mt.tensor([1.0, 1.0], dtype=mt.float64, requires_grad=True)
    estimate = landscape.hessian_eigs(lambda: q(x), [x], k=1)
    lam_min, lam_max = q.eigenvalues
    threshold = 2.0 / lam_max
    print("1. Gradient descent on f = ½(x² + 10 y²): Hessian eigenvalues 1 and 10")
    print(f"   λ_max exact {lam_max:g}; from Hessian-vector products (Lanczos, "
          f"{estimate.n_hvp} products): {estimate.eigenvalues[0]:.6f}")
    print(f"   threshold 2/λ_max = {threshold:g}; best constant lr 2/(λ_min + λ_max) = "
          f"{2 / (lam_min + lam_max):.4f}")
    print(f"   {'lr / (2/λ_max)':>15} {'lr':>8} {'max|1 − lr·λ|':>14} "
          f"{f'loss after {steps}':>17}  verdict")
    runs = {}
    for factor in (0.5, 0.9, 0.99, 1.01, 1.1, 1.5):
        lr = factor * threshold
        run = landscape.trajectory(q, optim.SGD, (1.0, 1.0), steps, lr=lr,
                                   name=f"lr = {factor:g} × 2/λ_max")
        rate = max(abs(1 - lr * lam) for lam in q.eigenvalues)
        verdict = "converges" if run.final_loss < run.losses[0] else "DIVERGES"
        print(f"   {factor:>15.2f} {lr:>8.4f} {rate:>14.3f} {run.final_loss:>17.3e}  {verdict}")
        runs[run.name] = run
    return runs


def noise_floor(lr: float = 0.1, sigma: float = 1.0, condition_number: float = 10.0) -> float:
    """E[f] that SGD with a constant lr settles at on ½(x² + κy²) with gradient noise
    N(0, σ²I). Along an eigenvalue λ, x ← (1 − lr·λ)x − lr·ξ has stationary variance
    lr²σ²/(1 − (1 − lr·λ)²) = lr·σ²/(λ(2 − lr·λ)), and contributes ½λ times that to E[f]."""
    return sum(lr * sigma**2 / (2 * (2 - lr * lam)) for lam in (1.0, condition_number))


def schedules(steps: int, lr: float = 0.1, sigma: float = 1.0, seeds: int = 5
              ) -> tuple[dict[str, landscape.Trajectory], dict[str, np.ndarray]]:
    """Each schedule on the noisy quadratic; returns the last run of each (for its lrs) and
    the loss curves averaged over the seeds."""
    q = landscape.quadratic(condition_number=10.0)
    warm = max(steps // 10, 1)
    makers: dict[str, Any] = {
        "constant": None,
        "StepLR(¼, γ=0.3)": lambda o: lr_scheduler.StepLR(o, step_size=steps // 4, gamma=0.3),
        "ExponentialLR(→1%)": lambda o: lr_scheduler.ExponentialLR(o, gamma=0.01 ** (1 / steps)),
        "CosineAnnealingLR": lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=steps),
        "warmup + cosine": lambda o: lr_scheduler.SequentialLR(
            o, [lr_scheduler.LinearLR(o, start_factor=0.1, total_iters=warm),
                lr_scheduler.CosineAnnealingLR(o, T_max=steps - warm)], milestones=[warm]),
    }
    floor = noise_floor(lr, sigma)
    tail = max(steps // 20, 1)
    print(f"\n2. Schedules: SGD with lr = {lr} and gradient noise σ = {sigma}, {steps} steps, "
          f"mean over {seeds} seeds")
    print(f"   theory: a constant lr levels off at E[f] = Σ lr·σ²/(2(2 − lr·λ)) = {floor:.4f}")
    print(f"   {'schedule':<20} {'final lr':>10} {'loss (last 5%)':>15}")
    runs, mean_losses = {}, {}
    for name, maker in makers.items():
        curves = []
        for seed in range(seeds):
            run = landscape.trajectory(q, optim.SGD, (3.0, 1.5), steps, lr=lr, noise=sigma,
                                       seed=seed, scheduler=maker, name=name)
            curves.append(run.losses)
        runs[name], mean_losses[name] = run, np.mean(curves, axis=0)
        print(f"   {name:<20} {run.lrs[-1]:>10.2e} {mean_losses[name][-tail:].mean():>15.4f}")
    return runs, mean_losses


def finder(fast: bool) -> landscape.LRFinderResult:
    from microtensor import nn
    from microtensor.utils.data import DataLoader, TensorDataset

    mt.manual_seed(0)
    x = mt.rand(512, 1) * 4 - 2
    y = mt.sin(3 * x) + 0.1 * mt.randn(512, 1)
    loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True,
                        generator=mt.Generator(0))
    model = nn.Sequential(nn.Linear(1, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(),
                          nn.Linear(32, 1))
    loss_fn = nn.MSELoss()
    result = landscape.lr_range_test(model, loss_fn, loader, optim.SGD, start_lr=1e-4,
                                     end_lr=10.0, steps=60 if fast else 150, momentum=0.9)
    suggestion = result.suggestion()
    print("\n3. Learning-rate range test: MLP 1-32-32-1 on y = sin(3x) + noise, SGD momentum 0.9")
    print(f"   {len(result.lrs)} mini-batches, lr from {result.lrs[0]:.0e} to {result.lrs[-1]:.2g}"
          f" ({'stopped: the loss blew up' if result.diverged else 'no blow-up'})")
    print(f"   lowest smoothed loss at lr = {result.best_lr:.3g}; steepest descent at lr = "
          f"{suggestion:.3g} (the suggestion)")
    for lr in (suggestion / 100, suggestion):
        mt.manual_seed(1)
        trial = nn.Sequential(nn.Linear(1, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(),
                              nn.Linear(32, 1))
        opt = optim.SGD(trial.parameters(), lr=lr, momentum=0.9)
        for _ in range(1 if fast else 3):
            for xb, yb in loader:
                opt.zero_grad()
                loss = loss_fn(trial(xb), yb)
                loss.backward()
                opt.step()
        with mt.no_grad():
            final = loss_fn(trial(x), y).item()
        print(f"   training {1 if fast else 3} epochs with lr = {lr:.3g}: loss {final:.4f}")
    return result


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--fast", action="store_true", help="a short run (for tests)")
    parser.add_argument("--out", type=Path, default=Path("runs/learning_rate"))
    args = parser.parse_args(argv)
    steps = 100 if args.fast else args.steps

    threshold_runs = stability(steps)
    seeds = 2 if args.fast else 5
    schedule_runs, schedule_losses = schedules(steps, seeds=seeds)
    lr_test = finder(args.fast)
    out = {"stability": threshold_runs, "schedules": schedule_runs,
           "schedule_losses": schedule_losses, "finder": lr_test}
    try:
        from matplotlib.figure import Figure

        from microtensor.viz.landscape_plots import plot_loss_curves, plot_lr_finder
    except ImportError:
        print("\n(matplotlib is not installed: no plots)")
        return out
    plot_loss_curves(threshold_runs, path=args.out / "threshold.png", ylim=(1e-30, 1e30),
                     title="gradient descent around lr = 2/λ_max", legend_loc="upper right")
    figure = Figure(figsize=(12, 4.2), layout="constrained")
    left, right = figure.subplots(1, 2)
    plot_loss_curves({name: run.lrs for name, run in schedule_runs.items()}, ax=left,
                     logy=False, ylabel="learning rate", title="the schedules")
    plot_loss_curves(schedule_losses, ax=right,
                     title=f"loss with noisy gradients (mean of {seeds} seeds)")
    right.axhline(noise_floor(), color="0.2", ls="--", lw=1.2,
                  label="constant-lr noise floor (theory)")
    right.legend(fontsize="small")
    args.out.mkdir(parents=True, exist_ok=True)
    figure.savefig(args.out / "schedules.png", dpi=110)
    plot_lr_finder(lr_test, path=args.out / "lr_finder.png")
    print(f"\nplots: {args.out / 'threshold.png'}, {args.out / 'schedules.png'}, "
          f"{args.out / 'lr_finder.png'}")
    return out


if __name__ == "__main__":
    main()
