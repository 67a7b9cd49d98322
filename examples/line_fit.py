"""Gradient descent, one step at a time: fitting a line to three points.

Three people have weights 0.5, 2.3, 2.9 and heights 1.4, 1.9, 3.2. We model

    predicted height = intercept + slope × weight

and measure how bad a line is by the **sum of squared residuals**

    SSR(intercept, slope) = Σᵢ (heightᵢ − (intercept + slope × weightᵢ))².

1. **One parameter.** Fix the slope at 0.64 and look for the intercept. The derivative of the
   SSR with respect to the intercept is −2 Σᵢ residualᵢ. At intercept 0 it is −5.7: the loss
   falls if the intercept grows. Gradient descent moves by the **step size = learning rate ×
   derivative**, in the downhill direction: new intercept = 0 − 0.1 × (−5.7) = 0.57. Near the
   bottom the derivative shrinks, and so do the steps: 0.57, 0.8, 0.89, … 0.95. We stop when
   the step size is below 0.001 (or after 1000 steps).

2. **Two parameters.** Start from intercept 0 and slope 1 with learning rate 0.01. Now there
   are two derivatives, −2 Σᵢ residualᵢ = −1.6 and −2 Σᵢ weightᵢ × residualᵢ = −0.8, and each
   parameter takes its own step. The answer is the least-squares line (0.95, 0.64), which here
   also has a closed form (``np.linalg.lstsq``) to compare with.

   A lesson about stopping rules: "step size below 0.001" is a rule about the *step*, not about
   the distance to the answer. With learning rate 0.01 a step of 0.001 still means a derivative
   of 0.1, and in the long, shallow valley of this SSR that stops the descent at about
   (0.86, 0.68), far from (0.95, 0.64). A smaller tolerance (1e-6) walks the rest of the way.

How the pieces map onto microtensor (the same as PyTorch):

* the data are tensors, the parameters are tensors with ``requires_grad=True``;
* the loss is an ordinary expression of them, ``((height - predicted) ** 2).sum()``;
* ``loss.backward()`` computes the derivative of the loss and stores it in ``param.grad``;
* ``optimizer.step()`` takes the step ``param ← param − lr × param.grad``. The optimizer never
  sees the loss: it only reads ``.grad``. ``optimizer.zero_grad()`` clears ``.grad`` first,
  because ``backward()`` *adds* to it.

Run:  python examples/line_fit.py [--every K] [--fast] [--out runs/line_fit]
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import microtensor as mt

WEIGHTS = (0.5, 2.3, 2.9)
HEIGHTS = (1.4, 1.9, 3.2)


@dataclass(frozen=True)
class Step:
    """One step of gradient descent, as printed in the table."""

    number: int
    loss: float  # the SSR before the step
    derivatives: dict[str, float]  # d SSR / d parameter, read from param.grad
    step_sizes: dict[str, float]  # learning rate × derivative
    values: dict[str, float]  # every parameter after the step


def data() -> tuple[mt.Tensor, mt.Tensor]:
    """The three (weight, height) points as float64 tensors (so the printed digits are exact)."""
    weight = mt.tensor(WEIGHTS, dtype=mt.float64)
    height = mt.tensor(HEIGHTS, dtype=mt.float64)
    return weight, height


def sum_of_squared_residuals(intercept: mt.Tensor, slope: mt.Tensor,
                             weight: mt.Tensor, height: mt.Tensor) -> mt.Tensor:
    """SSR = Σ (observed − predicted)²: the loss, built from tensors so it can be differentiated."""
    predicted = intercept + slope * weight
    residuals = height - predicted
    return (residuals**2).sum()


def gradient_descent(intercept: mt.Tensor, slope: mt.Tensor, lr: float,
                     tolerance: float = 1e-3, max_steps: int = 1000) -> list[Step]:
    """Minimise the SSR over the parameters that require grad; return every step taken.

    Stops when every step size is below ``tolerance`` (in absolute value) or after
    ``max_steps`` steps.
    """
    weight, height = data()
    params = {"intercept": intercept, "slope": slope}
    trainable = {name: p for name, p in params.items() if p.requires_grad}
    optimizer = mt.optim.SGD(list(trainable.values()), lr=lr)
    history: list[Step] = []
    for number in range(1, max_steps + 1):
        optimizer.zero_grad()  # backward() accumulates: start from zero
        loss = sum_of_squared_residuals(intercept, slope, weight, height)
        loss.backward()  # fills p.grad with d SSR / d p
        derivatives = {name: p.grad.item() for name, p in trainable.items()}
        step_sizes = {name: lr * d for name, d in derivatives.items()}
        optimizer.step()  # p ← p − lr × p.grad, for each trainable p
        values = {name: p.item() for name, p in params.items()}
        history.append(Step(number, loss.item(), derivatives, step_sizes, values))
        if all(abs(size) < tolerance for size in step_sizes.values()):
            break
    return history


def fit_intercept(slope: float = 0.64, intercept: float = 0.0, lr: float = 0.1,
                  tolerance: float = 1e-3, max_steps: int = 1000) -> list[Step]:
    """Part 1: the slope is a constant (no grad), only the intercept moves."""
    b = mt.tensor(intercept, dtype=mt.float64, requires_grad=True)
    s = mt.tensor(slope, dtype=mt.float64)
    return gradient_descent(b, s, lr, tolerance, max_steps)


def fit_line(intercept: float = 0.0, slope: float = 1.0, lr: float = 0.01,
             tolerance: float = 1e-3, max_steps: int = 1000) -> list[Step]:
    """Part 2: intercept and slope both move, each by its own step."""
    b = mt.tensor(intercept, dtype=mt.float64, requires_grad=True)
    s = mt.tensor(slope, dtype=mt.float64, requires_grad=True)
    return gradient_descent(b, s, lr, tolerance, max_steps)


def least_squares() -> tuple[float, float]:
    """The closed-form answer (intercept, slope): solve the least-squares problem directly."""
    design = np.column_stack([np.ones(len(WEIGHTS)), WEIGHTS])  # columns: 1, weight
    (intercept, slope), *_ = np.linalg.lstsq(design, np.array(HEIGHTS), rcond=None)
    return float(intercept), float(slope)


def best_intercept(slope: float) -> float:
    """With the slope fixed, dSSR/d intercept = 0 gives intercept = mean(height − slope·weight)."""
    return float(np.mean(np.array(HEIGHTS) - slope * np.array(WEIGHTS)))


def stop_reason(history: list[Step], tolerance: float = 1e-3, max_steps: int = 1000) -> str:
    """Why the descent stopped: the size |step| of every last step is below the tolerance (a
    step's sign only says which way it went), or the step limit."""
    last = history[-1]
    if len(history) >= max_steps:
        return f"after the maximum of {max_steps} steps"
    sizes = ", ".join(f"{abs(size):.2e}" for size in last.step_sizes.values())
    return f"after {last.number} steps: |step| = {sizes}, below the tolerance {tolerance:g}"


def print_intercept_table(history: list[Step]) -> None:
    print(f"{'step':>4}  {'SSR':>7}  {'derivative':>10}  {'step size':>10}  {'new intercept':>13}")
    for step in history:
        d, size = step.derivatives["intercept"], step.step_sizes["intercept"]
        print(f"{step.number:>4}  {step.loss:7.4f}  {d:10.4f}  {size:10.4f}  "
              f"{step.values['intercept']:13.4f}")


def print_line_table(history: list[Step], every: int) -> None:
    """Print steps 1-5, then every ``every``-th step, and always the last one."""
    print(f"{'step':>4}  {'SSR':>7}  {'d/d intercept':>13}  {'d/d slope':>9}  "
          f"{'step b':>9}  {'step s':>9}  {'intercept':>9}  {'slope':>7}")
    for step in history:
        if step.number > 5 and step.number % every and step is not history[-1]:
            continue
        d, size, v = step.derivatives, step.step_sizes, step.values
        print(f"{step.number:>4}  {step.loss:7.4f}  {d['intercept']:13.4f}  {d['slope']:9.4f}  "
              f"{size['intercept']:9.2e}  {size['slope']:9.2e}  {v['intercept']:9.4f}  "
              f"{v['slope']:7.4f}")


def plot(intercept_run: list[Step], line_run: list[Step], strict_run: list[Step],
         path: Path) -> None:
    """Three panels: the lines of part 1, SSR vs intercept with the steps, the 2-D path."""
    from matplotlib.figure import Figure

    x, y = np.array(WEIGHTS), np.array(HEIGHTS)
    figure = Figure(figsize=(14, 4.3), layout="constrained")
    lines, curve, valley = figure.subplots(1, 3)

    grid = np.linspace(0, 3.3, 50)
    intercepts = [0.0] + [step.values["intercept"] for step in intercept_run]
    for number, b in enumerate(intercepts):
        last = number == len(intercepts) - 1
        lines.plot(grid, b + 0.64 * grid, color="tab:blue", alpha=1.0 if last else 0.3,
                   label="start (intercept 0)" if number == 0 else "last step" if last else None)
    lines.legend(fontsize="small")
    lines.scatter(x, y, color="black", zorder=3)
    lines.set(xlabel="weight", ylabel="height", title="part 1: the line after each step")

    b_grid = np.linspace(-0.2, 1.6, 200)
    ssr = ((y[None, :] - b_grid[:, None] - 0.64 * x[None, :]) ** 2).sum(axis=1)
    curve.plot(b_grid, ssr, color="gray")
    b_path = [0.0] + [s.values["intercept"] for s in intercept_run]
    losses = [s.loss for s in intercept_run] + [float(((y - b_path[-1] - 0.64 * x) ** 2).sum())]
    curve.plot(b_path, losses, "o-", color="tab:red", markersize=4)
    curve.set(xlabel="intercept", ylabel="SSR", title="part 1: big steps far away, small near")

    b_mesh, s_mesh = np.meshgrid(np.linspace(-0.2, 1.3, 120), np.linspace(0.4, 1.1, 120))
    ssr_mesh = ((y - b_mesh[..., None] - s_mesh[..., None] * x) ** 2).sum(axis=-1)
    valley.contour(b_mesh, s_mesh, ssr_mesh, levels=np.geomspace(0.6, 8, 14), colors="gray",
                   linewidths=0.6)
    path_b = [0.0] + [s.values["intercept"] for s in strict_run]
    path_s = [1.0] + [s.values["slope"] for s in strict_run]
    valley.plot(path_b, path_s, color="tab:orange", label="path of gradient descent")
    early = line_run[-1].values
    valley.plot(early["intercept"], early["slope"], "o", color="tab:blue", markersize=8,
                label=f"|step| < 0.001: stop after {len(line_run)} steps")
    late = strict_run[-1].values
    # a ring around the star: the strict stop lands on the least-squares point (8.6e-05 away)
    valley.plot(late["intercept"], late["slope"], "o", color="tab:orange", markersize=16,
                markerfacecolor="none", markeredgewidth=2.2,
                label=f"|step| < 1e-6: stop after {len(strict_run)} steps")
    valley.plot(*least_squares(), "k*", markersize=10, label="least squares", zorder=4)
    valley.set(xlabel="intercept", ylabel="slope", title="part 2: down the long valley")
    valley.legend(fontsize="small")

    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)


def main(argv: list[str] | None = None) -> dict[str, list[Step]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--every", type=int, default=50,
                        help="in part 2, print steps 1-5 and then every K-th (1: all of them)")
    parser.add_argument("--fast", action="store_true", help="accepted for uniformity: it is fast")
    parser.add_argument("--out", type=Path, default=Path("runs/line_fit"))
    args = parser.parse_args(argv)

    print("Data: weight", WEIGHTS, " height", HEIGHTS)
    print("Loss: SSR = Σ (height − (intercept + slope × weight))²\n")

    print("1. The intercept alone (slope fixed at 0.64), learning rate 0.1, from intercept 0")
    intercept_run = fit_intercept()
    print_intercept_table(intercept_run)
    print(f"   stopped {stop_reason(intercept_run)}")
    print(f"   gradient descent: intercept = {intercept_run[-1].values['intercept']:.4f};  "
          f"closed form mean(height − 0.64 × weight) = {best_intercept(0.64):.4f}\n")

    b_ls, s_ls = least_squares()
    print("2. Intercept and slope together, learning rate 0.01, from (intercept 0, slope 1)")
    line_run = fit_line()
    print_line_table(line_run, args.every)
    final = line_run[-1].values
    print(f"   stopped {stop_reason(line_run)}")
    print(f"   gradient descent: intercept = {final['intercept']:.4f}, slope = "
          f"{final['slope']:.4f}")
    print(f"   least squares (np.linalg.lstsq): intercept = {b_ls:.4f}, slope = {s_ls:.4f}")
    print("   Not there yet! With lr 0.01 a step of 0.001 still means a derivative of 0.1, and")
    print("   the valley of the SSR is long and shallow: small steps, but far from the bottom.\n")

    print("   The same descent with tolerance 1e-6:")
    strict_run = fit_line(tolerance=1e-6)
    print_line_table(strict_run, args.every * 4)
    final = strict_run[-1].values
    print(f"   stopped {stop_reason(strict_run, tolerance=1e-6)}")
    print(f"   gradient descent: intercept = {final['intercept']:.4f}, slope = "
          f"{final['slope']:.4f}")
    print(f"   least squares (np.linalg.lstsq): intercept = {b_ls:.4f}, slope = {s_ls:.4f}")
    print(f"   difference: {abs(final['intercept'] - b_ls):.1e}, {abs(final['slope'] - s_ls):.1e}")

    runs = {"intercept": intercept_run, "line": line_run, "line_strict": strict_run}
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print("\n(matplotlib is not installed: no plot)")
        return runs
    path = args.out / "line_fit.png"
    plot(intercept_run, line_run, strict_run, path)
    print(f"\nplot: {path}")
    return runs


if __name__ == "__main__":
    main()
