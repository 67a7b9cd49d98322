"""Four ways to get the gradient of the multiclass SVM loss, and why centred differences win.

A linear classifier s = x·Wᵀ + b scores the 10 classes of the 1,797 scikit-learn digits
(x: 64 pixels in [0, 1]; W: 10 × 64, b: 10, 650 parameters). Its loss is the multiclass hinge
(SVM) loss, ``nn.MultiMarginLoss()``: for example i with label y_i,

    L = (1/N) Σ_i (1/C) Σ_{j ≠ y_i} max(0, 1 − s_{i,y_i} + s_{i,j})       (C = 10 classes)

(PyTorch divides by C; the course's version does not, which only scales L and its gradient.)

The gradient, four ways, compared by relative error ‖a − b‖ / max(‖a‖, ‖b‖) against the
analytic one, with the time each takes:

1. **one-sided differences**, naively: for each of the 650 parameters θ_k, (L(θ + h·e_k) −
   L(θ)) / h, one loss evaluation per parameter (a Python loop over every element);
2. **centred differences**: (L(θ + h·e_k) − L(θ − h·e_k)) / 2h, two evaluations per parameter;
3. **the analytic gradient, derived by hand**: with margins m_ij = 1 − s_{i,y_i} + s_{i,j} and
   the indicator a_ij = [m_ij > 0] for j ≠ y_i,
   ∂L/∂s_ij = a_ij / (N·C) for j ≠ y_i and ∂L/∂s_{i,y_i} = −Σ_{j≠y_i} a_ij / (N·C); then
   ∂L/∂W = (∂L/∂s)ᵀ·x and ∂L/∂b = Σ_i ∂L/∂s_i — two matrix products;
4. **autograd**: ``loss.backward()``, which gives the analytic gradient to rounding (~1e-16)
   in milliseconds (a few times the hand-written NumPy, which skips the graph's bookkeeping),
   without deriving anything.

The numerical gradients cost one (one-sided: 651) or two (centred: 1,300) loss evaluations
*per parameter*: a hundred to thousands of times the time of the analytic gradient (the table
shows the ratio; for a network with millions of parameters, impossible). They are for
*checking* an analytic gradient (``mt.autograd.gradcheck``), never for training.

**Why the centred difference is second-order accurate.** Taylor's theorem along a direction d:
L(θ ± h·d) = L ± h·L' + h²/2·L'' ± h³/6·L''' + …, so

    one-sided:  (L(θ + hd) − L(θ)) / h      = L' + h/2·L''  + O(h²)   error ∝ h   (slope 1)
    centred:    (L(θ + hd) − L(θ − hd)) / 2h = L' + h²/6·L''' + O(h⁴)  error ∝ h²  (slope 2)

— the even terms cancel in the centred difference. Below some h, rounding takes over: L is
known to ε ≈ 1e-16 relative, and dividing by h amplifies that to ε·|L|/h (slope −1). The best h
balances the two: about √ε ≈ 1e-8 for one-sided (best relative error ~1e-7 here) and
ε^(1/3) ≈ 1e-5 for centred (~1e-10 here, a thousand times better). The log-log plot shows
those slopes (fitted: 1.00 and 2.00) on the *smooth* cross-entropy loss of the same
classifier (left).

The hinge loss (right) is not smooth: it is piecewise linear, with a kink wherever a margin
m_ij crosses 0. Taylor's argument does not apply across a kink. Along a direction, while no
kink lies within h, both differences are exact up to rounding (L'' = 0: the error is the
rounding line alone, ~1e-12 at best); once h reaches the nearest kink, both jump to ~1e-3 or
worse, whatever the order (right; the centred difference looks both ways, so it can meet a
kink sooner). So on the hinge the centred difference is no better; what matters is h below
the distance to the nearest kink, and a gradient check can fail at a kink for no fault of the
code (the course's warning). In the table (h = 1e-6), both numerical gradients agree with the
analytic one to better than 1e-8.

Run:  python examples/svm_gradients.py [--fast] [--out runs/svm_gradients]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import microtensor as mt
from microtensor import nn

CLASSES = 10
LossFn = Callable[[np.ndarray], float]


@dataclass
class Problem:
    """The digits as float64 arrays and a random starting classifier θ = (W, b) flattened."""

    x: np.ndarray  # (N, 64)
    y: np.ndarray  # (N,) int64
    theta: np.ndarray  # (10·64 + 10,)

    def unpack(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """θ → (W (10, 64), b (10,))."""
        features = self.x.shape[1]
        return theta[: CLASSES * features].reshape(CLASSES, features), theta[CLASSES * features:]


def make_problem(samples: int | None = None, seed: int = 0) -> Problem:
    """The digits (all, or the first ``samples``) and W ~ N(0, 0.1²), b = 0."""
    digits = mt.datasets.load_digits()
    x = digits.images.numpy().reshape(len(digits), -1).astype(np.float64)
    y = digits.labels.numpy()
    if samples is not None:
        x, y = x[:samples], y[:samples]
    rng = np.random.default_rng(seed)
    theta = np.concatenate([0.1 * rng.standard_normal(CLASSES * x.shape[1]), np.zeros(CLASSES)])
    return Problem(x, y, theta)


def hinge_loss(problem: Problem, theta: np.ndarray) -> float:
    """The multiclass SVM loss at θ, computed by ``nn.MultiMarginLoss`` (no graph)."""
    weight, bias = problem.unpack(theta)
    with mt.no_grad():
        scores = mt.tensor(problem.x) @ mt.tensor(weight).T + mt.tensor(bias)
        return nn.MultiMarginLoss()(scores, mt.tensor(problem.y)).item()


def cross_entropy_loss(problem: Problem, theta: np.ndarray) -> float:
    """The softmax cross-entropy of the same classifier: a smooth loss, for the h plot."""
    weight, bias = problem.unpack(theta)
    with mt.no_grad():
        scores = mt.tensor(problem.x) @ mt.tensor(weight).T + mt.tensor(bias)
        return nn.functional.cross_entropy(scores, mt.tensor(problem.y)).item()


def autograd_gradient(problem: Problem, loss: str = "hinge") -> np.ndarray:
    """∂L/∂θ by ``backward()``."""
    weight_array, bias_array = problem.unpack(problem.theta)
    weight = mt.tensor(weight_array, requires_grad=True)
    bias = mt.tensor(bias_array, requires_grad=True)
    scores = mt.tensor(problem.x) @ weight.T + bias
    if loss == "hinge":
        value = nn.MultiMarginLoss()(scores, mt.tensor(problem.y))
    else:
        value = nn.functional.cross_entropy(scores, mt.tensor(problem.y))
    value.backward()
    return np.concatenate([weight.grad.numpy().ravel(), bias.grad.numpy()])


def analytic_gradient(problem: Problem) -> np.ndarray:
    """The hand-derived gradient of the hinge loss (see the module docstring), in NumPy."""
    weight, bias = problem.unpack(problem.theta)
    samples = len(problem.y)
    rows = np.arange(samples)
    scores = problem.x @ weight.T + bias
    margins = 1 - scores[rows, problem.y][:, None] + scores
    active = (margins > 0).astype(np.float64)
    active[rows, problem.y] = 0.0  # j = y_i is not a term of the sum
    grad_scores = active / (samples * CLASSES)
    grad_scores[rows, problem.y] = -active.sum(axis=1) / (samples * CLASSES)
    return np.concatenate([(grad_scores.T @ problem.x).ravel(), grad_scores.sum(axis=0)])


def one_sided_gradient(loss: LossFn, theta: np.ndarray, h: float) -> np.ndarray:
    """(L(θ + h·e_k) − L(θ)) / h for every k: the naive loop, one evaluation per parameter."""
    base, gradient = loss(theta), np.empty_like(theta)
    for k in range(theta.size):
        shifted = theta.copy()
        shifted[k] += h
        gradient[k] = (loss(shifted) - base) / h
    return gradient


def centred_gradient(loss: LossFn, theta: np.ndarray, h: float) -> np.ndarray:
    """(L(θ + h·e_k) − L(θ − h·e_k)) / 2h for every k: two evaluations per parameter."""
    gradient = np.empty_like(theta)
    for k in range(theta.size):
        plus, minus = theta.copy(), theta.copy()
        plus[k] += h
        minus[k] -= h
        gradient[k] = (loss(plus) - loss(minus)) / (2 * h)
    return gradient


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """‖a − b‖ / max(‖a‖, ‖b‖): 1e-16 is rounding, 1e-7 a passing check, 1e-2 a bug."""
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a), np.linalg.norm(b)))


def timed(compute: Callable[[], np.ndarray], repeats: int = 1) -> tuple[np.ndarray, float]:
    """(the result, the best wall time of ``repeats`` calls, in seconds)."""
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        result = compute()
        best = min(best, time.perf_counter() - start)
    return result, best


def gradient_table(problem: Problem, h: float) -> dict[str, tuple[float, float]]:
    """method → (relative error against the analytic gradient, seconds).

    Timed with one BLAS thread (threadpoolctl comes with scikit-learn): the products here are
    small, and on a busy machine a BLAS thread pool can spend far longer waiting for its threads
    than computing, which would time the machine's load instead of the method."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        return _gradient_table(problem, h)


def _gradient_table(problem: Problem, h: float) -> dict[str, tuple[float, float]]:
    loss = lambda theta: hinge_loss(problem, theta)  # noqa: E731
    analytic, analytic_seconds = timed(lambda: analytic_gradient(problem), repeats=5)
    results = {
        "one-sided differences": timed(lambda: one_sided_gradient(loss, problem.theta, h)),
        "centred differences": timed(lambda: centred_gradient(loss, problem.theta, h)),
        "analytic (by hand)": (analytic, analytic_seconds),
        "autograd (backward)": timed(lambda: autograd_gradient(problem), repeats=5),
    }
    return {name: (relative_error(gradient, analytic), seconds)
            for name, (gradient, seconds) in results.items()}


def errors_versus_h(problem: Problem, steps: np.ndarray, loss: str,
                    seed: int = 1) -> tuple[np.ndarray, np.ndarray, float]:
    """|finite difference − ∇L·d| / |∇L·d| along one random unit direction d, for every h.

    Returns (one-sided errors, centred errors, ε·|L| / |∇L·d|: the rounding error is about
    this over h). The directional derivative ∇L·d comes from autograd; each h costs two loss
    evaluations (not one per parameter)."""
    evaluate = hinge_loss if loss == "hinge" else cross_entropy_loss
    direction = np.random.default_rng(seed).standard_normal(problem.theta.size)
    direction /= np.linalg.norm(direction)
    exact = float(autograd_gradient(problem, loss) @ direction)
    base = evaluate(problem, problem.theta)
    one_sided, centred = [], []
    for h in steps:
        plus = evaluate(problem, problem.theta + h * direction)
        minus = evaluate(problem, problem.theta - h * direction)
        one_sided.append(abs((plus - base) / h - exact) / abs(exact))
        centred.append(abs((plus - minus) / (2 * h) - exact) / abs(exact))
    rounding = np.finfo(np.float64).eps * abs(base) / abs(exact)
    return np.array(one_sided), np.array(centred), rounding


def fitted_slope(steps: np.ndarray, errors: np.ndarray, low: float, high: float) -> float:
    """The slope of log(error) against log(h) for low ≤ h ≤ high (least squares)."""
    keep = (steps >= low) & (steps <= high) & (errors > 0)
    return float(np.polyfit(np.log10(steps[keep]), np.log10(errors[keep]), 1)[0])


def first_kink(steps: np.ndarray, errors: np.ndarray, jump: float = 1e-6) -> float:
    """The smallest h above which the error stays over ``jump``: where the difference first
    straddles a kink (below it, the error is rounding only)."""
    below = np.flatnonzero(errors < jump)
    return float(steps[below[-1] + 1]) if below.size and below[-1] + 1 < steps.size else np.nan


def plot(steps: np.ndarray, curves: dict[str, tuple[np.ndarray, np.ndarray, float]],
         path: Path) -> None:
    """Error against h, log-log: left the smooth cross-entropy, right the hinge."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(12, 4.8), layout="constrained")
    axes = figure.subplots(1, 2, sharey=True)
    titles = {"cross-entropy": "smooth loss (cross-entropy): slopes 1 and 2",
              "hinge": "hinge loss (piecewise linear): kinks spoil both"}
    floor = 1e-17
    for ax, (loss, (one_sided, centred, rounding)) in zip(axes, curves.items(), strict=True):
        ax.loglog(steps, np.maximum(one_sided, floor), "o-", markersize=4,
                  label="one-sided (L(θ+hd) − L(θ)) / h")
        ax.loglog(steps, np.maximum(centred, floor), "s-", markersize=4,
                  label="centred (L(θ+hd) − L(θ−hd)) / 2h")
        ax.loglog(steps, rounding / steps, "-.", color="gray",
                  label="rounding: ε·|L| / (|L'|·h), slope −1")
        ax.set(xlabel="step h", title=titles[loss], ylim=(floor / 2, 10))
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize="small", loc="lower left")
    one_sided, centred, _ = curves["cross-entropy"]
    for slope, errors, at, style in ((1, one_sided, 1e-3, ":"), (2, centred, 1e-2, "--")):
        through = errors[np.argmin(np.abs(np.log(steps / at)))]
        reference = through * (steps / at) ** slope
        keep = (reference > 1e-14) & (reference < 1)
        axes[0].loglog(steps[keep], reference[keep], style, color="black", linewidth=1,
                       label=f"slope {slope}: error ∝ h{'²' if slope == 2 else ''}")
    axes[0].legend(fontsize="small", loc="lower left")
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--h", type=float, default=1e-6, help="the step of the table")
    parser.add_argument("--fast", action="store_true", help="200 digits (for tests)")
    parser.add_argument("--out", type=Path, default=Path("runs/svm_gradients"))
    args = parser.parse_args(argv)
    problem = make_problem(200 if args.fast else None)

    print(f"Linear classifier on {len(problem.y)} digits, {problem.theta.size} parameters; "
          f"nn.MultiMarginLoss = {hinge_loss(problem, problem.theta):.6f}\n")
    table = gradient_table(problem, args.h)
    fastest = min(seconds for _, seconds in table.values())
    print(f"{'gradient':<24} {'relative error':>15} {'seconds':>9} {'x fastest':>10}")
    for name, (error, seconds) in table.items():
        print(f"{name:<24} {error:>15.2e} {seconds:>9.4f} {seconds / fastest:>10.0f}")
    print(f"(finite differences with h = {args.h:g}; errors against the analytic gradient)")

    steps = np.logspace(-12, -1, 23)
    curves = {loss: errors_versus_h(problem, steps, loss) for loss in ("cross-entropy", "hinge")}
    one_sided, centred, _ = curves["cross-entropy"]
    slopes = (fitted_slope(steps, one_sided, 1e-6, 1e-2), fitted_slope(steps, centred, 1e-3, 1e-1))
    print("\nError of the directional derivative against h, along a random direction:")
    print(f"  cross-entropy: one-sided slope {slopes[0]:.2f} (h in 1e-6..1e-2), best "
          f"{one_sided.min():.1e} at h = {steps[one_sided.argmin()]:.0e}; centred slope "
          f"{slopes[1]:.2f} (h in 1e-3..1e-1), best {centred.min():.1e} at h = "
          f"{steps[centred.argmin()]:.0e}")
    one_sided, centred, _ = curves["hinge"]
    kink = min(first_kink(steps, one_sided), first_kink(steps, centred))
    jumped = steps >= kink
    print(f"  hinge: both exact up to rounding for h < {kink:.0e} (best one-sided "
          f"{one_sided.min():.1e}, centred {centred.min():.1e}); from h = {kink:.0e} on a kink "
          f"lies within h: errors up to {one_sided[jumped].max():.0e} (one-sided) and "
          f"{centred[jumped].max():.0e} (centred)")
    result: dict[str, object] = {"table": table, "steps": steps, "curves": curves,
                                 "slopes": slopes}

    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print("\n(matplotlib is not installed: no plot)")
        return result
    path = args.out / "svm_gradients.png"
    plot(steps, curves, path)
    print(f"\nplot: {path}")
    return result


if __name__ == "__main__":
    main()
