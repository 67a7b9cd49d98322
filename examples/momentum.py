"""Momentum as the course writes it and as PyTorch writes it: the same optimizer, rescaled.

The course writes momentum as an exponential moving average (EMA) of the gradients g_t::

    v_t = β·v_{t-1} + (1 − β)·g_t,   v_0 = 0,        θ_t = θ_{t-1} − α·v_t

PyTorch's ``SGD(lr, momentum=μ, dampening=τ)`` keeps a buffer b and writes::

    b_1 = g_1                                   (first step: the gradient itself, no dampening)
    b_t = μ·b_{t-1} + (1 − τ)·g_t   (t ≥ 2),      θ_t = θ_{t-1} − lr·b_t

Three ways to translate the course's (α, β) into PyTorch's arguments, and what each gives:

1. ``SGD(lr=α·(1 − β), momentum=β)`` (dampening 0, the default) **is** the course's optimizer,
   step for step, from the first step on. Proof: with τ = 0, b_t = β·b_{t-1} + g_t and b_1 = g_1,
   so (1 − β)·b_t obeys the course's recursion with the same start, (1 − β)·b_1 = (1 − β)·g_1 =
   v_1; hence v_t = (1 − β)·b_t for every t and α·v_t = α(1 − β)·b_t. The run below agrees with
   the course's update to rounding (≤ 1e-15 on every coordinate, float64).
2. ``SGD(lr=α, momentum=β, dampening=β)`` has the course's recursion from step 2 on, but its
   buffer starts at b_1 = g_1 where the course has v_1 = (1 − β)·g_1: the first step is
   1/(1 − β) times (10 times, for β = 0.9) the course's. It is exactly the course's rule started
   from v_0 = g_1 instead of v_0 = 0 (then v_1 = β·g_1 + (1 − β)·g_1 = g_1 = b_1); fed the same
   gradients, the two buffers differ by β^t·g_1, which fades, but the parameters have already
   moved apart: here the big first step throws θ₂ from 1.5 to −9.7, the trajectories differ by
   up to 12, and after 60 steps still by 0.56; the gap shrinks only as both settle at the
   minimum. The trajectories coincide only when g_1 = 0, or when the course's EMA is
   started at v_0 = g_1 (checked below to rounding).
3. ``SGD(lr=α, momentum=β)``, copying α into lr, takes steps 1/(1 − β) = 10 times too large
   (PyTorch's buffer sums the gradients, b ≈ g/(1 − β) for a steady gradient, where the course
   averages them, v ≈ g): on this problem it diverges.

So the EMA form and PyTorch's form are one optimizer, the heavy ball θ_t = θ_{t-1} − η·g_t +
β·(θ_{t-1} − θ_{t-2}), with η = α(1 − β) = lr. What the EMA form buys is units: v is an average
gradient, so α keeps the meaning of a plain gradient-descent step size when β changes.

The problem: f(θ) = ½·(θ₁² + 25·θ₂²) from θ₀ = (−4, 1.5), α = 0.3, β = 0.9, 60 steps, in
float64; every PyTorch-form run uses ``mt.optim.SGD``.

Run:  python examples/momentum.py [--steps S] [--fast] [--out runs/momentum]
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import microtensor as mt

CURVATURES = np.array([1.0, 25.0])  # the Hessian's diagonal: condition number 25
START = np.array([-4.0, 1.5])
ALPHA, BETA = 0.3, 0.9


def loss_of(theta: mt.Tensor) -> mt.Tensor:
    """f(θ) = ½·Σ c_i·θ_i², an ill-conditioned bowl with its minimum at 0."""
    return 0.5 * (mt.tensor(CURVATURES) * theta**2).sum()


def gradient_at(theta: np.ndarray) -> np.ndarray:
    """∇f(θ) = c ⊙ θ, computed by autograd."""
    point = mt.tensor(theta, requires_grad=True)
    loss_of(point).backward()
    return point.grad.numpy().copy()


@dataclass
class Path2D:
    """One optimizer's trajectory: ``points[t]`` is θ after t steps (``points[0]`` = start)."""

    name: str
    points: np.ndarray


def course_momentum(steps: int, alpha: float, beta: float,
                    first_velocity: np.ndarray | None = None) -> Path2D:
    """The course's rule, by hand: v ← βv + (1 − β)g, θ ← θ − αv, with v_0 = 0 (or given)."""
    theta = START.copy()
    velocity = np.zeros(2) if first_velocity is None else first_velocity.copy()
    points = [theta.copy()]
    for _ in range(steps):
        velocity = beta * velocity + (1 - beta) * gradient_at(theta)
        theta = theta - alpha * velocity
        points.append(theta.copy())
    name = "course: v0 = 0" if first_velocity is None else "course: v0 = g1"
    return Path2D(name, np.array(points))


def pytorch_sgd(steps: int, lr: float, momentum: float, dampening: float, name: str) -> Path2D:
    """mt.optim.SGD on the same problem from the same start."""
    theta = mt.tensor(START.copy(), requires_grad=True)
    optimizer = mt.optim.SGD([theta], lr=lr, momentum=momentum, dampening=dampening)
    points = [START.copy()]
    for _ in range(steps):
        optimizer.zero_grad()
        loss_of(theta).backward()
        optimizer.step()
        points.append(theta.detach().numpy().copy())
    return Path2D(name, np.array(points))


def buffer_gap(gradients: np.ndarray, beta: float) -> np.ndarray:
    """Feed one gradient sequence to both buffers; return b_t − v_t for every t (rows)."""
    course_v, pytorch_b, gaps = np.zeros_like(gradients[0]), None, []
    for g in gradients:
        course_v = beta * course_v + (1 - beta) * g
        pytorch_b = g.copy() if pytorch_b is None else beta * pytorch_b + (1 - beta) * g
        gaps.append(pytorch_b - course_v)
    return np.array(gaps)


def largest_gap(a: Path2D, b: Path2D) -> float:
    """The largest coordinate difference between two trajectories over all steps."""
    return float(np.max(np.abs(a.points - b.points)))


def compare(steps: int) -> dict[str, Path2D]:
    """All the runs of the lesson, keyed by a short name."""
    with np.errstate(over="ignore", invalid="ignore"):
        return {
            "course": course_momentum(steps, ALPHA, BETA),
            "rescaled": pytorch_sgd(steps, ALPHA * (1 - BETA), BETA, 0.0,
                                    f"SGD(lr=α(1−β)={ALPHA * (1 - BETA):.2f}, momentum={BETA})"),
            "dampened": pytorch_sgd(steps, ALPHA, BETA, BETA,
                                    f"SGD(lr=α={ALPHA}, momentum={BETA}, dampening={BETA})"),
            "course_warm": course_momentum(steps, ALPHA, BETA,
                                           first_velocity=gradient_at(START)),
            "copied": pytorch_sgd(steps, ALPHA, BETA, 0.0,
                                  f"SGD(lr=α={ALPHA}, momentum={BETA})"),
        }


def plot(runs: dict[str, Path2D], path: Path) -> None:
    """Left: the paths on the loss's contours. Right: distance to the course's path per step."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(12, 4.8), layout="constrained")
    plane, gaps = figure.subplots(1, 2)
    course, rescaled, dampened = runs["course"], runs["rescaled"], runs["dampened"]
    reach = np.max(np.abs(np.concatenate([course.points, dampened.points])), axis=0) * 1.1
    grid_1, grid_2 = np.meshgrid(np.linspace(-reach[0], reach[0], 200),
                                 np.linspace(-reach[1], reach[1], 200))
    heights = 0.5 * (CURVATURES[0] * grid_1**2 + CURVATURES[1] * grid_2**2)
    plane.contour(grid_1, grid_2, heights, levels=np.geomspace(0.05, heights.max(), 14),
                  colors="0.8", linewidths=0.7)
    plane.plot(*course.points.T, "-", color="tab:blue", linewidth=3, alpha=0.5,
               label=course.name.replace("course: v0 = 0", "course EMA, α=0.3, β=0.9"))
    plane.plot(*rescaled.points.T, "x", color="black", markersize=5, label=rescaled.name)
    plane.plot(*dampened.points.T, ".-", color="tab:orange", linewidth=1, label=dampened.name)
    plane.plot(*START, "ko", markersize=7)
    plane.annotate("start", START, textcoords="offset points", xytext=(6, 6))
    plane.plot(0, 0, "*", color="tab:red", markersize=12, label="minimum")
    plane.set(xlabel="θ₁ (curvature 1)",
              ylabel="θ₂ (curvature 25)", title="the paths: × lies on the course's line")
    plane.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.13), ncols=2)

    steps = np.arange(len(course.points))
    floor = 1e-18  # where a difference is exactly 0 (log axis)
    comparisons = (
        (rescaled, course, "x-", "1. lr=α(1−β), dampening 0  vs  course"),
        (dampened, course, ".-", "2. lr=α, dampening=β  vs  course"),
        (runs["course_warm"], dampened, "+-", "2. vs course started at v0 = g1"),
    )
    for run, other, style, label in comparisons:
        gap = np.max(np.abs(run.points - other.points), axis=1)
        gaps.semilogy(steps, np.maximum(gap, floor), style, markersize=4, label=label)
    gaps.set(xlabel="step t", ylabel="max |θ difference| (1e-18 = exactly 0)",
             title="distance between trajectories", ylim=(floor / 3, 1e3))
    gaps.grid(True, alpha=0.3)
    gaps.legend(fontsize="small", loc="center")
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)


def main(argv: list[str] | None = None) -> dict[str, Path2D]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--fast", action="store_true", help="a short run (for tests)")
    parser.add_argument("--out", type=Path, default=Path("runs/momentum"))
    args = parser.parse_args(argv)
    steps = 30 if args.fast else args.steps

    runs = compare(steps)
    course = runs["course"]
    print(f"f(θ) = ½(θ₁² + 25θ₂²) from θ₀ = ({START[0]:g}, {START[1]:g}); course: "
          f"α = {ALPHA}, β = {BETA}; {steps} steps, float64\n")
    print(f"{'PyTorch form':<45} {'first step':>10} {'max |Δθ| vs course':>19} "
          f"{'final |θ|':>10} {'final |Δθ|':>10}")
    first_course = np.linalg.norm(course.points[1] - course.points[0])
    print(f"{'course EMA (by hand)':<45} {first_course:>10.4f} {0.0:>19.1e} "
          f"{np.linalg.norm(course.points[-1]):>10.2e} {0.0:>10.1e}")
    for key in ("rescaled", "dampened", "copied"):
        run = runs[key]
        first = np.linalg.norm(run.points[1] - run.points[0])
        print(f"{run.name:<45} {first:>10.4f} {largest_gap(run, course):>19.2e} "
              f"{np.linalg.norm(run.points[-1]):>10.2e} "
              f"{np.max(np.abs(run.points[-1] - course.points[-1])):>10.2e}")
    print("\n1. lr = α(1−β), dampening 0: the course's optimizer, to rounding.")
    print(f"2. dampening = β, lr = α: first step {1 / (1 - BETA):.0f}x the course's; it is the "
          f"course's rule started at v0 = g1 (max |Δθ| "
          f"{largest_gap(runs['dampened'], runs['course_warm']):.1e}).")
    gradients = np.array([gradient_at(p) for p in course.points[:-1]])
    gaps = buffer_gap(gradients, BETA)
    expected = BETA ** np.arange(1, len(gradients) + 1)[:, None] * gradients[0]
    print(f"   Fed the same gradients, b_t − v_t = β^t·g1 (max error "
          f"{np.max(np.abs(gaps - expected)):.1e}).")
    print("3. lr = α, dampening 0: steps 1/(1−β) too large: final |θ| = "
          f"{np.linalg.norm(runs['copied'].points[-1]):.1e} (diverged).")

    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print("\n(matplotlib is not installed: no plot)")
        return runs
    path = args.out / "momentum.png"
    plot(runs, path)
    print(f"\nplot: {path}")
    return runs


if __name__ == "__main__":
    main()
