"""Loss functions are negative log-likelihoods: gradient descent as maximum-likelihood estimation.

1. **Mean squared error = Gaussian likelihood.** If y = Xβ + ε with ε ~ N(0, σ²), the negative
   log-likelihood of n observations is

       NLL(β, σ) = n·log σ + Σ (yᵢ − xᵢᵀβ)² / (2σ²) + (n/2)·log 2π.

   For any fixed σ it is minimised by the β that minimises the squared error: least squares,
   β̂ = (XᵀX)⁻¹Xᵀy. Setting ∂NLL/∂σ = 0 then gives σ̂² = RSS/n, the mean squared residual (the
   MLE divides by n; the unbiased estimate divides by n − p).

2. **Cross-entropy = categorical likelihood.** With class probabilities p = softmax(b), the mean
   cross-entropy −(1/n) Σ log p_{yᵢ} = −Σₖ (nₖ/n) log pₖ is minimised at pₖ = nₖ/n: an
   intercept-only model learns the class frequencies. With a linear score it is logistic
   regression, whose MLE has no closed form (Newton's method / IRLS is the classical solver).

3. **Standard errors from curvature.** Near the MLE the NLL is ≈ quadratic, and the inverse of
   its Hessian (the observed Fisher information) is the asymptotic covariance of the estimate:
   a sharply curved NLL pins the parameter down, a flat one does not. Here the Hessian comes
   from ``mt.autograd.functional.hessian`` (double backward) and is compared with the textbook
   formulas: σ̂²(XᵀX)⁻¹ for least squares, (XᵀWX)⁻¹ with W = diag(pᵢ(1 − pᵢ)) for logistic
   regression. (OLS software reports s²(XᵀX)⁻¹ with s² = RSS/(n − p): larger by √(n/(n − p)).)

Run:  python examples/mle.py [--steps N] [--fast] [--out runs/mle]
"""

from __future__ import annotations

import argparse
import math
import unicodedata
from pathlib import Path
from typing import Any

import numpy as np

import microtensor as mt
from microtensor import optim
from microtensor.autograd.functional import hessian


def _pad(text: str, width: int) -> str:
    """Left-justify, not counting combining accents (the hat of σ̂) as characters."""
    visible = sum(not unicodedata.combining(ch) for ch in text)
    return text + " " * max(width - visible, 0)


def _fit(loss_fn: Any, theta: mt.Tensor, steps: int, lr: float, momentum: float = 0.9) -> float:
    opt = optim.SGD([theta], lr=lr, momentum=momentum)
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_fn(theta)
        loss.backward()
        opt.step()
    return float(loss_fn(theta).item())


def linear_regression(rng: np.random.Generator, steps: int) -> dict[str, Any]:
    n, beta_true, sigma_true = 200, np.array([1.0, 2.0]), 0.5
    x = rng.uniform(-2, 2, n)
    design = np.column_stack([np.ones(n), x])
    y = design @ beta_true + sigma_true * rng.standard_normal(n)
    X, Y = mt.tensor(design, dtype=mt.float64), mt.tensor(y, dtype=mt.float64)

    # (a) minimise the mean squared error by gradient descent
    beta = mt.zeros(2, dtype=mt.float64, requires_grad=True)
    _fit(lambda b: ((Y - X @ b) ** 2).mean(), beta, steps, lr=0.1)
    residuals = y - design @ beta.detach().numpy()
    sigma2_gd = float(np.mean(residuals**2))
    # (b) minimise the Gaussian NLL in (β, log σ) jointly
    theta = mt.tensor([0.0, 0.0, 0.0], dtype=mt.float64, requires_grad=True)

    def nll(t: mt.Tensor) -> mt.Tensor:  # t = (β₀, β₁, log σ), NLL per observation
        r = Y - X @ t[:2]
        return t[2] + (r**2).mean() / (2 * (2 * t[2]).exp()) + 0.5 * math.log(2 * math.pi)

    _fit(nll, theta, steps, lr=0.1)
    # closed form
    beta_ls, *_ = np.linalg.lstsq(design, y, rcond=None)
    rss = float(np.sum((y - design @ beta_ls) ** 2))
    print(f"1. Linear regression, n = {n}: y = {beta_true[0]:g} + {beta_true[1]:g}·x + "
          f"N(0, {sigma_true}²)")
    print(f"   {_pad('', 34)} {'β₀':>9} {'β₁':>9} {'σ̂²':>10}")
    print(f"   {_pad('least squares (closed form)', 34)} {beta_ls[0]:>9.5f} {beta_ls[1]:>9.5f} "
          f"{rss / n:>9.5f}   (σ̂² = RSS/n)")
    b = beta.detach().numpy()
    print(f"   {_pad('gradient descent on MSE', 34)} {b[0]:>9.5f} {b[1]:>9.5f} {sigma2_gd:>9.5f}"
          "   (mean squared residual)")
    t = theta.detach().numpy()
    print(f"   {_pad('gradient descent on Gaussian NLL', 34)} {t[0]:>9.5f} {t[1]:>9.5f} "
          f"{math.exp(2 * t[2]):>9.5f}   (σ̂² = exp(2·log σ̂))")
    gap = max(np.abs(b - beta_ls).max(), np.abs(t[:2] - beta_ls).max(),
              abs(sigma2_gd - rss / n), abs(math.exp(2 * t[2]) - rss / n))
    print(f"   largest difference from the closed form: {gap:.1e}")

    # standard errors: inverse Hessian of the total NLL at the MLE, in (β₀, β₁, σ)
    sigma_hat = math.sqrt(rss / n)
    mle = mt.tensor([*beta_ls, sigma_hat], dtype=mt.float64)

    def total_nll(p: mt.Tensor) -> mt.Tensor:
        r = Y - X @ p[:2]
        return n * p[2].log() + (r**2).sum() / (2 * p[2] ** 2)

    h = hessian(total_nll, mle).numpy()
    se_hessian = np.sqrt(np.diag(np.linalg.inv(h)))
    xtx_inv = np.linalg.inv(design.T @ design)
    se_mle = np.sqrt(np.diag(sigma_hat**2 * xtx_inv))
    se_ols = np.sqrt(np.diag(rss / (n - 2) * xtx_inv))
    print("   standard errors:")
    print(f"   {_pad('', 34)} {'β₀':>9} {'β₁':>9} {'σ̂':>10}")
    print(f"   {_pad('√diag(H⁻¹), H = autograd Hessian', 34)} {se_hessian[0]:>9.5f} "
          f"{se_hessian[1]:>9.5f} {se_hessian[2]:>9.5f}")
    print(f"   {_pad('σ̂²(XᵀX)⁻¹ and σ̂/√(2n)', 34)} {se_mle[0]:>9.5f} {se_mle[1]:>9.5f} "
          f"{sigma_hat / math.sqrt(2 * n):>9.5f}")
    print(f"   {_pad('OLS: s²(XᵀX)⁻¹, s² = RSS/(n − 2)', 34)} {se_ols[0]:>9.5f} {se_ols[1]:>9.5f}"
          f"   (ratio √(n/(n − 2)) = {math.sqrt(n / (n - 2)):.5f})")
    return dict(x=x, y=y, beta_ls=beta_ls, beta_gd=b, sigma2=rss / n, sigma2_gd=sigma2_gd,
                se_hessian=se_hessian, se_mle=se_mle, se_ols=se_ols)


def categorical(rng: np.random.Generator, steps: int) -> dict[str, Any]:
    probs, n = np.array([0.5, 0.3, 0.2]), 500
    labels = rng.choice(3, size=n, p=probs)
    freqs = np.bincount(labels, minlength=3) / n
    logits = mt.zeros(3, dtype=mt.float64, requires_grad=True)
    _fit(lambda b: -(b.log_softmax(0)[labels]).mean(), logits, steps, lr=1.0)
    fitted = logits.detach().softmax(0).numpy()
    print(f"\n2. Categorical, intercept only: {n} labels drawn with p = {probs.tolist()}")
    print(f"   class frequencies n_k/n   {np.array2string(freqs, precision=5)}")
    print(f"   softmax(b) after GD on CE {np.array2string(fitted, precision=5)}")
    print(f"   largest difference: {np.abs(fitted - freqs).max():.1e}")
    return dict(freqs=freqs, fitted=fitted, probs=probs)


def logistic(rng: np.random.Generator, steps: int) -> dict[str, Any]:
    n, w_true = 400, np.array([-0.5, 2.0])
    x = rng.standard_normal(n)
    design = np.column_stack([np.ones(n), x])
    y = (rng.random(n) < 1 / (1 + np.exp(-design @ w_true))).astype(np.float64)
    X, Y = mt.tensor(design, dtype=mt.float64), mt.tensor(y, dtype=mt.float64)

    def nll(w: mt.Tensor) -> mt.Tensor:
        """Mean binary cross-entropy, from logits z: log(1 + eᶻ) − y·z (stable form)."""
        z = X @ w
        return (mt.logsumexp(mt.stack([mt.zeros_like(z), z]), dim=0) - Y * z).mean()

    w = mt.zeros(2, dtype=mt.float64, requires_grad=True)
    _fit(nll, w, steps, lr=1.0)
    # reference: Newton's method (IRLS) in NumPy
    w_irls = np.zeros(2)
    for _ in range(25):
        p = 1 / (1 + np.exp(-design @ w_irls))
        fisher = design.T @ (design * (p * (1 - p))[:, None])
        w_irls = w_irls + np.linalg.solve(fisher, design.T @ (y - p))
    p = 1 / (1 + np.exp(-design @ w_irls))
    fisher = design.T @ (design * (p * (1 - p))[:, None])
    se_fisher = np.sqrt(np.diag(np.linalg.inv(fisher)))
    h = hessian(lambda v: n * nll(v), mt.tensor(w_irls, dtype=mt.float64)).numpy()
    se_hessian = np.sqrt(np.diag(np.linalg.inv(h)))
    wg = w.detach().numpy()
    gap = max(np.abs(wg - w_irls).max(), np.abs(se_hessian - se_fisher).max())
    print(f"\n3. Logistic regression, n = {n}: P(y = 1) = σ({w_true[0]:g} + {w_true[1]:g}·x)")
    print(f"   {_pad('', 34)} {'w₀':>9} {'w₁':>9}")
    print(f"   {_pad('gradient descent on cross-entropy', 34)} {wg[0]:>9.5f} {wg[1]:>9.5f}")
    print(f"   {_pad('Newton / IRLS (NumPy)', 34)} {w_irls[0]:>9.5f} {w_irls[1]:>9.5f}")
    print(f"   {_pad('SE: √diag(H⁻¹), autograd Hessian', 34)} {se_hessian[0]:>9.5f} "
          f"{se_hessian[1]:>9.5f}")
    print(f"   {_pad('SE: √diag((XᵀWX)⁻¹), W = p(1 − p)', 34)} {se_fisher[0]:>9.5f} "
          f"{se_fisher[1]:>9.5f}")
    print(f"   largest difference (estimates and SEs): {gap:.1e}")
    return dict(x=x, y=y, w_gd=wg, w_irls=w_irls, w_true=w_true, se_hessian=se_hessian,
                se_fisher=se_fisher)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fast", action="store_true", help="a short run (for tests)")
    parser.add_argument("--out", type=Path, default=Path("runs/mle"))
    args = parser.parse_args(argv)
    steps = 300 if args.fast else args.steps
    rng = np.random.default_rng(args.seed)
    results = {"linear": linear_regression(rng, steps), "categorical": categorical(rng, steps),
               "logistic": logistic(rng, steps)}
    try:
        from matplotlib.figure import Figure
    except ImportError:
        print("\n(matplotlib is not installed: no plots)")
        return results
    lin, cat, log = results["linear"], results["categorical"], results["logistic"]
    figure = Figure(figsize=(14, 4.2), layout="constrained")
    a, b, c = figure.subplots(1, 3)
    grid = np.linspace(-2, 2, 50)
    a.scatter(lin["x"], lin["y"], s=8, alpha=0.5, label="data")
    a.plot(grid, lin["beta_gd"][0] + lin["beta_gd"][1] * grid, "r", lw=2,
           label=f"GD on MSE, σ̂ = {math.sqrt(lin['sigma2_gd']):.3f}")
    a.set_title("MSE = Gaussian NLL: the least-squares line")
    a.set_xlabel("x")
    a.set_ylabel("y = 1 + 2x + noise")
    a.legend(fontsize="small")
    k = np.arange(3)
    b.bar(k - 0.2, cat["freqs"], width=0.4, label="class frequency n_k/n")
    b.bar(k + 0.2, cat["fitted"], width=0.4, label="softmax(b) after GD")
    b.set_xticks(k)
    b.set_title("cross-entropy = categorical NLL")
    b.set_xlabel("class")
    b.set_ylabel("probability")
    b.legend(fontsize="small")
    grid = np.linspace(-3, 3, 100)
    jitter = 0.03 * np.random.default_rng(1).standard_normal(len(log["y"]))
    c.scatter(log["x"], log["y"] + jitter, s=8, alpha=0.4, label="data (jittered)")
    c.plot(grid, 1 / (1 + np.exp(-(log["w_gd"][0] + log["w_gd"][1] * grid))), "r", lw=2,
           label="GD on cross-entropy")
    c.plot(grid, 1 / (1 + np.exp(-(log["w_true"][0] + log["w_true"][1] * grid))), "k--",
           lw=1, label="true P(y = 1 | x)")
    c.set_title("logistic regression")
    c.set_xlabel("x")
    c.set_ylabel("y ∈ {0, 1} (jittered);  P(y = 1 | x)")
    c.legend(fontsize="small")
    args.out.mkdir(parents=True, exist_ok=True)
    figure.savefig(args.out / "mle.png", dpi=110)
    print(f"\nplot: {args.out / 'mle.png'}")
    return results


if __name__ == "__main__":
    main()
