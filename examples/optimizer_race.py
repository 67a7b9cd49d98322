"""An optimizer race: seven optimizers from ``mt.optim`` on Rosenbrock's valley and on a saddle.

Every run is the real training loop on a two-parameter "network" x = (x, y):
``opt.zero_grad(); f(x).backward(); opt.step()``, recorded by ``mt.landscape.trajectory``.

What to look for:

* **Rosenbrock** f = (1 − x)² + 100 (y − x²)²: a steep-walled, nearly flat, curved valley.
  Plain gradient descent must use lr < 2/λ_max ≈ 2/1000 to stay stable across the valley, and
  with that lr it crawls along the floor (curvature ≈ 0.4 there: each step gains ~lr·0.4 of the
  remaining distance). Momentum accumulates the small, consistent along-valley gradient and
  gets there; Adam and RMSprop divide each coordinate by a running RMS of its gradient, which
  evens out the curvature. Lion takes steps of fixed size lr·sign(·) and ends up jittering
  within about lr of the minimum unless the lr decays.
* **Saddle** f = x² − y² from (1, 0.001): the gradient in y is 2y = 0.002, so gradient descent
  spends a long time near the saddle before the tiny y grows by (1 + 2 lr) per step. Momentum
  builds speed; adaptive methods rescale the tiny gradient to a full-size step and leave at once.

Run:  python examples/optimizer_race.py [--steps N] [--fast] [--out runs/optimizer_race]
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from microtensor import landscape, optim

# (label, optimizer class, hyperparameters): lrs tuned by hand per function, within each
# method's stable range, so that the race compares methods rather than bad settings
ROSENBROCK_RUNNERS: list[tuple[str, Any, dict[str, Any]]] = [
    ("SGD", optim.SGD, dict(lr=2e-3)),
    ("Momentum", optim.SGD, dict(lr=1e-3, momentum=0.9)),
    ("Nesterov", optim.SGD, dict(lr=1e-3, momentum=0.9, nesterov=True)),
    ("RMSprop", optim.RMSprop, dict(lr=1e-2)),
    ("Adam", optim.Adam, dict(lr=5e-2)),
    ("NAdam", optim.NAdam, dict(lr=5e-2)),
    ("Lion", optim.Lion, dict(lr=2e-3)),
]
SADDLE_RUNNERS: list[tuple[str, Any, dict[str, Any]]] = [
    ("SGD", optim.SGD, dict(lr=1e-2)),
    ("Momentum", optim.SGD, dict(lr=1e-2, momentum=0.9)),
    ("Nesterov", optim.SGD, dict(lr=1e-2, momentum=0.9, nesterov=True)),
    ("RMSprop", optim.RMSprop, dict(lr=1e-2)),
    ("Adam", optim.Adam, dict(lr=1e-2)),
    ("NAdam", optim.NAdam, dict(lr=1e-2)),
    ("Lion", optim.Lion, dict(lr=1e-2)),
]


def _hyper(kwargs: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                     for k, v in kwargs.items())


def race(name: str, runners: list[tuple[str, Any, dict[str, Any]]], steps: int
         ) -> dict[str, landscape.Trajectory]:
    record = landscape.TEST_FUNCTIONS[name]
    return {label: landscape.trajectory(record.fn, cls, record.start, steps, name=label, **kw)
            for label, cls, kw in runners}


def print_rosenbrock(runs: dict[str, landscape.Trajectory], steps: int) -> None:
    record = landscape.TEST_FUNCTIONS["rosenbrock"]
    print(f"Rosenbrock from {record.start}, {steps} steps; minimum at (1, 1) with f = 0")
    print(f"{'optimizer':<10} {'hyperparameters':<36} {'final loss':>11} {'dist to min':>12}"
          f" {'steps to 0.05':>14}")
    for (label, _, kw), run in zip(ROSENBROCK_RUNNERS, runs.values()):
        reached = run.steps_to((1.0, 1.0), 0.05)
        print(f"{label:<10} {_hyper(kw):<36} {run.final_loss:>11.3e} "
              f"{record.distance_to_minimum(run.final_point):>12.3e} "
              f"{'-' if reached is None else reached:>14}")
    print("(steps to 0.05: the step after which the path stays within 0.05 of the minimum)")


def print_saddle(runs: dict[str, landscape.Trajectory], steps: int) -> None:
    record = landscape.TEST_FUNCTIONS["saddle"]
    print(f"\nSaddle x² − y² from {record.start}, {steps} steps; saddle at (0, 0), no minimum")
    print(f"{'optimizer':<10} {'hyperparameters':<36} {'final loss':>11} {'dist to saddle':>15}"
          f" {'escape step':>12}")
    for (label, _, kw), run in zip(SADDLE_RUNNERS, runs.values()):
        escaped = np.flatnonzero(np.abs(run.path[:, 1]) > 1.0)
        step = str(int(escaped[0])) if escaped.size else "-"
        print(f"{label:<10} {_hyper(kw):<36} {run.final_loss:>11.3e} "
              f"{np.linalg.norm(run.final_point):>15.3e} {step:>12}")
    print("(escape step: the first step with |y| > 1)")


def main(argv: list[str] | None = None) -> dict[str, dict[str, landscape.Trajectory]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1500, help="steps on Rosenbrock")
    parser.add_argument("--fast", action="store_true", help="a short run (for tests)")
    parser.add_argument("--out", type=Path, default=Path("runs/optimizer_race"))
    args = parser.parse_args(argv)
    steps = 200 if args.fast else args.steps
    saddle_steps = 150 if args.fast else 300

    rosen = race("rosenbrock", ROSENBROCK_RUNNERS, steps)
    print_rosenbrock(rosen, steps)
    saddle = race("saddle", SADDLE_RUNNERS, saddle_steps)
    print_saddle(saddle, saddle_steps)

    try:
        from microtensor.viz.landscape_plots import plot_loss_curves, plot_trajectories

        plot_trajectories("rosenbrock", rosen, path=args.out / "rosenbrock.png",
                          title=f"Rosenbrock: {steps} steps per optimizer")
        plot_trajectories("saddle", saddle, path=args.out / "saddle.png",
                          title=f"x² − y² from (1, 0.001): {saddle_steps} steps")
        plot_loss_curves(rosen, path=args.out / "rosenbrock_loss.png",
                         title="Rosenbrock: loss per step")
    except ImportError as error:
        print(f"\n(no plots: {error})")
    else:
        print(f"\nplots: {args.out / 'rosenbrock.png'}, {args.out / 'saddle.png'}, "
              f"{args.out / 'rosenbrock_loss.png'}")
    return {"rosenbrock": rosen, "saddle": saddle}


if __name__ == "__main__":
    main()
