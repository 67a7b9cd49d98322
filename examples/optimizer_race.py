"""An optimizer race: seven optimizers from ``mt.optim`` on Rosenbrock's valley and on a saddle.

Every run is the real training loop on a two-parameter "network" x = (x, y):
``opt.zero_grad(); f(x).backward(); opt.step()``, recorded by ``mt.landscape.trajectory``.

What to look for (``tests/test_examples_lab.py`` checks every claim below on the default run):

* **Rosenbrock** f = (1 − x)² + 100 (y − x²)²: a steep-walled, nearly flat, curved valley.
  Plain gradient descent must use lr < 2/λ_max ≈ 2/1000 to stay stable across the valley, and
  with that lr it crawls along the floor (curvature ≈ 0.4 there: each step gains ~lr·0.4 of the
  remaining distance): after 1,500 steps it is still about 0.3 from the minimum. Momentum and
  Nesterov accumulate the small, consistent along-valley gradient and get within 0.05 first
  (in about 650 steps); Adam follows (about 1,200 steps).
* Per-coordinate scaling is not a cure for a *curved* valley: RMSprop and NAdam divide each
  coordinate by a running RMS of its gradient, which evens out the scales of x and y, but the
  valley runs diagonally, so the normalised step keeps pointing partly across it. At these lrs
  both are still 0.1 to 0.2 from the minimum after 1,500 steps, and their loss curves jump up
  (by more than half in one step) wherever a step overshoots the valley wall.
* Lion steps by exactly ±lr in every coordinate (the sign of its momentum), whatever the gradient's
  size: it closes in at a fixed speed and never settles. It reaches 0.05 of the minimum only near
  the end of the race, and a longer run keeps stepping ±lr, cycling at about 5·lr from the minimum
  (0.01 for lr = 0.002), unless the lr decays.
* **Saddle** f = x² − y² from (1, 0.001): the gradient in y is −2y = −0.002. Gradient descent
  multiplies y by (1 + 2·lr) per step, so with lr = 0.01 it needs log(1000)/log(1.02) ≈ 349
  steps to reach |y| > 1. Momentum builds speed (about 70 steps). Adam, NAdam and Lion rescale the
  tiny gradient to a step of about lr from the very first step: |y| grows by ≈ lr per step, out
  in about 1/lr = 100 steps (Lion exactly 100; Adam and NAdam a little sooner). RMSprop leaves
  first (17 steps): without bias correction its running mean of g² starts at (1 − α)g², so its
  first steps are lr/√(1 − α) = 10·lr long.

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


# one color per optimizer in every picture (bright enough to see on the contours)
COLORS = ["#e41a1c", "#377eb8", "#ff7f00", "#984ea3", "#a65628", "#f781bf", "#111111"]


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


def plot_rosenbrock(runs: dict[str, landscape.Trajectory], steps: int, path: Path) -> None:
    """One small panel per optimizer (their paths share the valley floor, so on one panel the
    last drawn would hide the others), on the same contours."""
    from microtensor.viz._figures import new_figure, save_figure
    from microtensor.viz.landscape_plots import plot_trajectories

    figure = new_figure((13.0, 6.4), "optimizer_race")
    panels = list(figure.subplots(2, 4).flat)
    record = landscape.TEST_FUNCTIONS["rosenbrock"]
    for k, (axis, (label, run)) in enumerate(zip(panels, runs.items())):
        distance = record.distance_to_minimum(run.final_point)
        plot_trajectories(record, {label: run}, ax=axis, colorbar=False, legend=False,
                          resolution=120, colors=[COLORS[k]],
                          title=f"{label}: ends {distance:.2g} from ★")
        if k % 4:
            axis.set_ylabel("")
        if k < 4:
            axis.set_xlabel("")
    last = panels[len(runs)]
    for k, (label, run) in enumerate(runs.items()):
        distances = np.linalg.norm(run.path - np.array([1.0, 1.0]), axis=1)
        last.plot(distances, label=label, lw=1.0, color=COLORS[k])
    last.set_yscale("log")
    last.set_ylim(1e-4, 5)  # one Lion step lands on (1, 1) to round-off: keep 1e-15 off
    last.set_xlabel("step")
    last.set_ylabel("distance to the minimum")
    last.axhline(0.05, color="0.4", ls=":", lw=0.8)
    last.set_title("distance per step (··· 0.05)")
    last.legend(fontsize="x-small", ncols=2)
    figure.suptitle(f"Rosenbrock from (−1.2, 1): {steps} steps per optimizer (o start, ■ end)")
    save_figure(figure, path)


def main(argv: list[str] | None = None) -> dict[str, dict[str, landscape.Trajectory]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1500, help="steps on Rosenbrock")
    parser.add_argument("--fast", action="store_true", help="a short run (for tests)")
    parser.add_argument("--out", type=Path, default=Path("runs/optimizer_race"))
    args = parser.parse_args(argv)
    steps = 200 if args.fast else args.steps
    saddle_steps = 150 if args.fast else 400

    rosen = race("rosenbrock", ROSENBROCK_RUNNERS, steps)
    print_rosenbrock(rosen, steps)
    saddle = race("saddle", SADDLE_RUNNERS, saddle_steps)
    print_saddle(saddle, saddle_steps)

    try:
        from microtensor.viz.landscape_plots import plot_loss_curves, plot_trajectories

        plot_rosenbrock(rosen, steps, args.out / "rosenbrock.png")
        plot_trajectories("saddle", saddle, path=args.out / "saddle.png", colors=COLORS,
                          title=f"x² − y² from (1, 0.001): {saddle_steps} steps")
        plot_loss_curves(rosen, path=args.out / "rosenbrock_loss.png", ylim=(1e-9, 1e2),
                         title="Rosenbrock: loss per step\n(Lion's dip off the bottom: one "
                               "step lands on the minimum, to round-off)")
    except ImportError as error:
        print(f"\n(no plots: {error})")
    else:
        print(f"\nplots: {args.out / 'rosenbrock.png'}, {args.out / 'saddle.png'}, "
              f"{args.out / 'rosenbrock_loss.png'}")
    return {"rosenbrock": rosen, "saddle": saddle}


if __name__ == "__main__":
    main()
