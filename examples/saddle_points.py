"""Critical points and saddles: what the Hessian says, and why gradient descent can stall.

1. Classify critical points with the second-derivative test. At a point where ∇f = 0,
   f(x* + h) ≈ f(x*) + ½ Σ λᵢ (uᵢᵀh)² with (λᵢ, uᵢ) the Hessian's eigenpairs: all λ > 0 is a
   minimum, all λ < 0 a maximum, mixed signs a saddle, and a zero λ (with no sign change) leaves
   the test undecided ("degenerate", the monkey saddle). ``mt.landscape.classify_critical_point``
   gets ∇f and the Hessian from autograd (double backward).

2. Saddles and gradient descent, on f = x² − y². The gradient is (2x, −2y), so one step maps
   y ↦ (1 + 2·lr)·y: the y-coordinate grows geometrically, *unless it is exactly 0*. Started on
   the stable manifold y = 0, gradient descent slides straight into the saddle and stops there
   (the gradient vanishes) although f is unbounded below. Any perturbation δ escapes after about
   log(1/δ) / log(1 + 2·lr) steps; momentum shortens this, and gradient noise (as in SGD)
   supplies the perturbation by itself. In high dimensions saddles vastly outnumber minima, which
   is why this matters for training networks.

Run:  python examples/saddle_points.py [--steps N] [--fast] [--out runs/saddle_points]
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np

from microtensor import landscape, optim


def classify_all() -> list[landscape.CriticalPoint]:
    """Classify the known critical points of a few test functions, and print a table."""
    cases: list[tuple[str, str, tuple[float, float]]] = [
        ("saddle", "x² − y²", (0.0, 0.0)),
        ("monkey_saddle", "x³ − 3xy²", (0.0, 0.0)),
        ("rosenbrock", "Rosenbrock", (1.0, 1.0)),
        ("beale", "Beale", (3.0, 0.5)),
        ("beale", "Beale", (0.0, 1.0)),
    ]
    him = landscape.TEST_FUNCTIONS["himmelblau"]
    cases += [("himmelblau", "Himmelblau", p) for p in him.minima + him.maxima + him.saddles]
    cases.append(("rosenbrock", "Rosenbrock", (0.0, 0.0)))
    print("1. Critical points from the gradient and the Hessian (autograd, double backward)")
    print(f"{'function':<12} {'point':<22} {'kind':<13} {'|grad f|':>9}  Hessian eigenvalues")
    results = []
    for key, label, point in cases:
        result = landscape.classify_critical_point(landscape.TEST_FUNCTIONS[key].fn, point)
        results.append(result)
        where = f"({point[0]:.4f}, {point[1]:.4f})"
        eigs = ", ".join(f"{e:9.3f}" for e in result.eigenvalues)
        print(f"{label:<12} {where:<22} {result.kind:<13} {result.grad_norm:>9.1e}  [{eigs}]")
    newton = landscape.find_critical_point(landscape.saddle, (0.5, 0.3))
    print(f"\nNewton's method x ← x − H⁻¹∇f from (0.5, 0.3) on x² − y² lands on a {newton.kind} "
          f"at ({newton.point[0]:.1e}, {newton.point[1]:.1e}) in one step:\nit solves ∇f = 0 and "
          "is attracted to saddles as much as to minima.")
    return results


def escape_runs(steps: int, lr: float) -> dict[str, landscape.Trajectory]:
    fn = landscape.saddle
    return {
        "GD from (1, 0)": landscape.trajectory(fn, optim.SGD, (1.0, 0.0), steps, lr=lr,
                                               name="GD from (1, 0)"),
        "GD from (1, 1e-8)": landscape.trajectory(fn, optim.SGD, (1.0, 1e-8), steps, lr=lr,
                                                  name="GD from (1, 1e-8)"),
        "momentum 0.9 from (1, 1e-8)": landscape.trajectory(
            fn, optim.SGD, (1.0, 1e-8), steps, lr=lr, momentum=0.9,
            name="momentum 0.9 from (1, 1e-8)"),
        "GD + gradient noise 1e-3": landscape.trajectory(
            fn, optim.SGD, (1.0, 0.0), steps, lr=lr, noise=1e-3, seed=0,
            name="GD + gradient noise 1e-3"),
    }


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--fast", action="store_true", help="a short run (for tests)")
    parser.add_argument("--out", type=Path, default=Path("runs/saddle_points"))
    args = parser.parse_args(argv)
    steps, lr = args.steps, args.lr

    results = classify_all()

    print(f"\n2. Gradient descent on x² − y² (lr = {lr}, {steps} steps)")
    runs = escape_runs(steps, lr)
    print(f"{'run':<30} {'final point':<26} {'final loss':>11} {'|grad|':>9} "
          f"{'escape step':>12}")
    for name, run in runs.items():
        x, y = run.final_point
        escaped = np.flatnonzero(np.abs(run.path[:, 1]) > 1.0)
        step = str(int(escaped[0])) if escaped.size else "never"
        grad_norm = 2 * math.hypot(x, y)
        print(f"{name:<30} ({x:10.3e}, {y:10.3e}) {run.final_loss:>11.3e} {grad_norm:>9.1e} "
              f"{step:>12}")
    predicted = math.log(1 / 1e-8) / math.log(1 + 2 * lr)
    print(f"(escape step: first step with |y| > 1; theory for GD from y = 1e-8: "
          f"log(1e8)/log(1 + 2·lr) = {predicted:.0f})")
    stuck = runs["GD from (1, 0)"]
    verdict = landscape.classify_critical_point(landscape.saddle, stuck.final_point)
    print(f"GD from (1, 0) stopped at a {verdict.kind} (eigenvalues "
          f"{verdict.eigenvalues[0]:g}, {verdict.eigenvalues[1]:g}): zero gradient, but a "
          "direction of negative curvature it cannot see.")

    out = {"critical": results, "runs": runs}
    try:
        from matplotlib.figure import Figure

        from microtensor.viz.landscape_plots import plot_loss_curves, plot_trajectories
    except ImportError:
        print("\n(matplotlib is not installed: no plots)")
        return out
    figure = Figure(figsize=(12.5, 5.0), layout="constrained")
    left, right = figure.subplots(1, 2)
    plot_trajectories("saddle", runs, ax=left, title="x² − y²: escaping the saddle")
    distances = {}
    for name, run in runs.items():
        y = np.abs(run.path[:, 1])
        label = name + (" (y = 0 exactly: drawn at the floor)" if not y.any() else "")
        distances[label] = np.maximum(y, 2e-10)
    plot_loss_curves(distances, ax=right, logy=True, ylim=(1e-10, 1e3),
                     ylabel="|y| (distance from the stable manifold y = 0)",
                     title="|y| grows by (1 + 2·lr) per step, unless it is exactly 0")
    right.axhline(1.0, color="0.5", ls="--", lw=0.8)
    right.legend(fontsize="small", loc="lower right", bbox_to_anchor=(1.0, 0.06))  # empty there
    args.out.mkdir(parents=True, exist_ok=True)
    figure.savefig(args.out / "saddle_escape.png", dpi=110)
    him = landscape.TEST_FUNCTIONS["himmelblau"]
    starts = [(0.0, 0.0), (-1.0, 1.0), (-1.0, -1.5), (1.0, -2.5)]
    paths = {f"GD from {s}": landscape.trajectory(him.fn, optim.SGD, s, 200 if args.fast else 400,
                                                  lr=0.005) for s in starts}
    plot_trajectories(him, paths, path=args.out / "himmelblau.png",
                      title="Himmelblau: 4 minima (★), 1 maximum (▲), 4 saddles (X)")
    print(f"\nplots: {args.out / 'saddle_escape.png'}, {args.out / 'himmelblau.png'}")
    return out


if __name__ == "__main__":
    main()
