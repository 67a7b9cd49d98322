"""Logistic regression: fitting the "squiggle" to yes/no data by maximum likelihood.

Some mice are obese (1), some are not (0), and heavier mice are obese more often. Logistic
regression models the *probability* of obesity with the S-shaped squiggle

    P(obese | weight) = σ(intercept + slope × weight),    σ(z) = 1 / (1 + e^(−z)),

so the **log-odds**, log(p / (1 − p)) = intercept + slope × weight, are a straight line: e^slope
is the factor by which each gram multiplies the odds.

There are no residuals to square: a squiggle is judged by the **likelihood** of the observed
labels, Π pᵢ^yᵢ (1 − pᵢ)^(1−yᵢ), or its logarithm, the log-likelihood
LL = Σ yᵢ log pᵢ + (1 − yᵢ) log(1 − pᵢ). The binary cross-entropy loss is −LL / n, so
minimising it *is* maximum likelihood. ``nn.BCEWithLogitsLoss`` takes the line's value z (the
"logit") rather than p = σ(z) and computes the same loss without overflow for large |z|.

Two ways to the same answer:

* **gradient descent** on ``BCEWithLogitsLoss`` with ``nn.Linear(1, 1)``. The weight is
  *standardised* first, w → (w − mean) / std: on raw grams (15–45) the loss is a long narrow
  valley (the intercept and slope directions have very different curvatures) and plain gradient
  descent would crawl; afterwards the coefficients are converted back to grams.
* **Newton's method** in float64, θ ← θ − H⁻¹ ∇LL, with the Hessian H from
  ``mt.autograd.functional.hessian`` (double backward through the same loss). It uses the
  curvature, is unaffected by the units, and converges quadratically: the digits double each
  iteration, so about ten iterations reach machine precision (this is what statistics packages
  do, under the name IRLS).

Then, as in a statistics package: the null model (the same probability for every mouse), McFadden's
pseudo-R² = 1 − LL / LL_null, and the likelihood-ratio test 2 (LL − LL_null) ~ χ²(1 d.f.).

Run:  python examples/logistic_regression.py [--steps N] [--fast] [--out runs/logistic_regression]
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import microtensor as mt
from microtensor import nn
from microtensor.autograd.functional import hessian
from microtensor.nn import functional as F

TRUE_SLOPE, TRUE_MIDPOINT = 0.25, 30.0  # how the synthetic mice are made: σ(0.25 (w − 30))


@dataclass
class Fit:
    """A fitted squiggle, in grams: P(obese | w) = σ(intercept + slope × w)."""

    intercept: float
    slope: float
    losses: list[float]  # the mean BCE after each step (gradient descent) or iteration (Newton)

    def probability(self, weight: np.ndarray | float) -> np.ndarray:
        return 1 / (1 + np.exp(-(self.intercept + self.slope * np.asarray(weight))))


def make_mice(n: int = 60, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Synthetic mice: weights 15–45 g, obese with probability σ(0.25 × (weight − 30))."""
    rng = np.random.default_rng(seed)
    weight = np.sort(rng.uniform(15, 45, n))
    p_obese = 1 / (1 + np.exp(-TRUE_SLOPE * (weight - TRUE_MIDPOINT)))
    obese = (rng.random(n) < p_obese).astype(np.float64)
    return weight, obese


def log_likelihood(fit: Fit, weight: np.ndarray, obese: np.ndarray) -> float:
    """LL = Σ y log p + (1 − y) log(1 − p), computed stably from the logits."""
    logits = fit.intercept + fit.slope * weight
    # log σ(z) = −log(1 + e^(−z)) and log(1 − σ(z)) = −log(1 + e^z)
    return float(-np.sum(obese * np.logaddexp(0, -logits) + (1 - obese) * np.logaddexp(0, logits)))


def fit_by_gradient_descent(weight: np.ndarray, obese: np.ndarray, steps: int,
                            lr: float = 1.0, seed: int = 0) -> Fit:
    """nn.Linear(1, 1) + BCEWithLogitsLoss + SGD with momentum, on the standardised weight."""
    mean, std = weight.mean(), weight.std()
    x = mt.tensor((weight - mean) / std, dtype=mt.float32).reshape(-1, 1)
    y = mt.tensor(obese, dtype=mt.float32).reshape(-1, 1)
    mt.manual_seed(seed)
    model = nn.Linear(1, 1)
    loss_fn = nn.BCEWithLogitsLoss()  # −(mean log-likelihood) of the labels
    optimizer = mt.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    # σ(a + b (w − mean) / std) = σ((a − b·mean/std) + (b/std) w): back to grams
    a, b = model.bias.item(), model.weight.item()
    return Fit(intercept=a - b * mean / std, slope=b / std, losses=losses)


def fit_by_newton(weight: np.ndarray, obese: np.ndarray, max_iterations: int = 30) -> Fit:
    """Newton's method on the raw weight, in float64: θ ← θ − H⁻¹ g."""
    w = mt.tensor(weight, dtype=mt.float64)
    y = mt.tensor(obese, dtype=mt.float64)

    def negative_log_likelihood(theta: mt.Tensor) -> mt.Tensor:
        return F.binary_cross_entropy_with_logits(theta[0] + theta[1] * w, y, reduction="sum")

    theta = np.zeros(2)
    losses = []
    for _ in range(max_iterations):
        point = mt.tensor(theta, requires_grad=True)
        loss = negative_log_likelihood(point)
        (gradient,) = mt.autograd.grad(loss, [point])
        curvature = hessian(negative_log_likelihood, point)  # 2 × 2 matrix of 2nd derivatives
        step = np.linalg.solve(curvature.numpy(), gradient.numpy())
        theta = theta - step
        losses.append(negative_log_likelihood(mt.tensor(theta)).item() / len(weight))
        if np.max(np.abs(step)) < 1e-12:
            break
    return Fit(intercept=float(theta[0]), slope=float(theta[1]), losses=losses)


def chi2_1df_p_value(statistic: float) -> float:
    """P(χ²₁ > statistic): a χ² with 1 d.f. is a squared standard normal."""
    return math.erfc(math.sqrt(max(statistic, 0.0) / 2))


def report(gd: Fit, newton: Fit, weight: np.ndarray, obese: np.ndarray) -> dict[str, float]:
    """Print the coefficients, log-likelihoods, tests and a few predictions; return the numbers."""
    ll_gd = log_likelihood(gd, weight, obese)
    ll_newton = log_likelihood(newton, weight, obese)
    share = obese.mean()
    ll_null = float(np.sum(obese * np.log(share) + (1 - obese) * np.log(1 - share)))
    print(f"\n{'':<22}{'intercept':>10}{'slope /g':>10}{'log-likelihood':>16}")
    for name, fit, ll in (("gradient descent", gd, ll_gd), ("Newton (float64)", newton, ll_newton)):
        print(f"{name:<22}{fit.intercept:>10.4f}{fit.slope:>10.5f}{ll:>16.6f}")
    print(f"{'difference':<22}{abs(gd.intercept - newton.intercept):>10.1e}"
          f"{abs(gd.slope - newton.slope):>10.1e}{abs(ll_gd - ll_newton):>16.1e}")

    print(f"\nNewton's method: {len(newton.losses)} iterations; mean BCE per iteration:")
    print("  " + "  ".join(f"{loss:.10f}" for loss in newton.losses[:6]) + " ...")
    r2 = 1 - ll_newton / ll_null
    lr_statistic = 2 * (ll_newton - ll_null)
    print(f"\nnull model (P(obese) = {share:.3f} for every mouse): LL_null = {ll_null:.4f}")
    print(f"McFadden's pseudo-R² = 1 − LL / LL_null = {r2:.3f}")
    print(f"likelihood-ratio test: 2 (LL − LL_null) = {lr_statistic:.2f} on 1 d.f., "
          f"p = {chi2_1df_p_value(lr_statistic):.1e}")
    print(f"odds ratio per gram: e^slope = {math.exp(newton.slope):.3f}; "
          f"P = 0.5 at weight −intercept / slope = {-newton.intercept / newton.slope:.2f} g")

    print("\npredicted P(obese):")
    for grams in (20, 25, 30, 35, 40):
        print(f"  {grams} g: {gd.probability(grams):.3f} (gradient descent)   "
              f"{newton.probability(grams):.3f} (Newton)")
    return {"ll_gd": ll_gd, "ll_newton": ll_newton, "ll_null": ll_null, "r2": r2}


def plot(gd: Fit, newton: Fit, weight: np.ndarray, obese: np.ndarray, path: Path) -> None:
    """Left: the mice and the squiggles. Right: how fast each method approaches the optimum."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(12, 4.5), layout="constrained")
    squiggle, convergence = figure.subplots(1, 2)
    grid = np.linspace(weight.min() - 2, weight.max() + 2, 300)
    squiggle.scatter(weight, obese, c=obese, cmap="coolwarm", edgecolors="black", zorder=3)
    squiggle.plot(grid, gd.probability(grid), label="gradient descent (BCEWithLogitsLoss)")
    squiggle.plot(grid, newton.probability(grid), "--", color="black", label="Newton's method")
    squiggle.plot(grid, 1 / (1 + np.exp(-TRUE_SLOPE * (grid - TRUE_MIDPOINT))), ":",
                  color="gray", label="the curve the data were drawn from")
    squiggle.set(xlabel="weight (g)", ylabel="P(obese)", title="the squiggle")
    squiggle.legend(fontsize="small", loc="lower right", bbox_to_anchor=(1, 0.08))

    best = newton.losses[-1]
    float32_resolution = best * np.finfo(np.float32).eps  # gradient descent runs in float32
    gap_gd = np.maximum(np.array(gd.losses) - best, float32_resolution)
    gap_newton = np.maximum(np.array(newton.losses) - best, 1e-16)
    convergence.semilogy(range(1, len(gap_gd) + 1), gap_gd, label="gradient descent (steps)")
    convergence.semilogy(range(1, len(gap_newton) + 1), gap_newton, "o-", color="black",
                         label="Newton (iterations, float64)")
    convergence.axhline(float32_resolution, color="gray", linestyle=":",
                        label="float32 round-off")
    convergence.set(xlabel="step / iteration", ylabel="mean BCE − its minimum",
                    title="Newton: digits double each iteration")
    convergence.grid(True, alpha=0.3)
    convergence.legend(fontsize="small")
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=400, help="gradient-descent steps")
    parser.add_argument("--mice", type=int, default=60)
    parser.add_argument("--fast", action="store_true", help="a short run (for tests)")
    parser.add_argument("--out", type=Path, default=Path("runs/logistic_regression"))
    args = parser.parse_args(argv)
    steps = 250 if args.fast else args.steps

    weight, obese = make_mice(args.mice)
    print(f"{len(weight)} mice, {weight.min():.1f}–{weight.max():.1f} g, "
          f"{int(obese.sum())} obese")
    print(f"gradient descent: nn.Linear(1, 1) on (weight − {weight.mean():.2f}) / "
          f"{weight.std():.2f}, BCEWithLogitsLoss, SGD(lr=1, momentum=0.9), {steps} steps")
    gd = fit_by_gradient_descent(weight, obese, steps)
    for step in sorted({1, steps // 10, steps // 3, steps}):
        print(f"  step {step:>4}: mean BCE {gd.losses[step - 1]:.6f}")
    newton = fit_by_newton(weight, obese)
    numbers = report(gd, newton, weight, obese)

    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print("\n(matplotlib is not installed: no plot)")
        return numbers
    path = args.out / "logistic_regression.png"
    plot(gd, newton, weight, obese, path)
    print(f"\nplot: {path}")
    return numbers


if __name__ == "__main__":
    main()
