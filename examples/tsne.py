"""t-SNE by gradient descent: the 1,797 handwritten digits of scikit-learn, from 64 dims to 2.

    python examples/tsne.py                 # all 1,797 digits, 1,000 iterations, and sklearn's TSNE
    python examples/tsne.py --fast          # 400 digits, 500 iterations (what the test runs)
    python examples/tsne.py --no-sklearn    # ours only

Gradient descent fits a line, a squiggle... and clusters. t-SNE (van der Maaten & Hinton, 2008)
places one point yᵢ in the plane for every data point xᵢ so that neighbours stay neighbours. It is
gradient descent on a loss, and here autograd writes the gradient.

1. **Who is whose neighbour (P).** Around each xᵢ put a Gaussian, pⱼ|ᵢ ∝ exp(−βᵢ‖xᵢ − xⱼ‖²),
   and choose its precision βᵢ = 1/(2σᵢ²) so that the distribution has the requested
   *perplexity* e^H (H in nats; 2^H in bits), here 30: about 30 effective neighbours, in dense
   and sparse regions alike. The entropy H falls as βᵢ grows, so βᵢ is found by **bisection**
   (double βᵢ until the entropy drops below log(perplexity), then halve the bracket), all rows
   at once, until |H − log 30| < 1e-5. Then P is made symmetric, pᵢⱼ = (pⱼ|ᵢ + pᵢ|ⱼ) / 2N, so
   Σᵢⱼ pᵢⱼ = 1. Entries below machine epsilon are raised to it, as scikit-learn does.
2. **Who is whose neighbour in the plane (Q).** A Student-t kernel with one degree of freedom,
   qᵢⱼ = (1 + ‖yᵢ − yⱼ‖²)⁻¹ / Z, Z = Σₖ≠ₗ (1 + ‖yₖ − yₗ‖²)⁻¹. Its heavy tail lets clusters sit
   far apart without costing much.
3. **The loss** is KL(P‖Q) = Σ pᵢⱼ log(pᵢⱼ / qᵢⱼ) = const + Σ pᵢⱼ log(1 + dᵢⱼ) + log Z, with
   dᵢⱼ = ‖yᵢ − yⱼ‖². ``tsne_objective`` writes the last two terms with microtensor ops
   (float32, as a PyTorch user would) and ``loss.backward()`` gives the gradient. It equals the
   paper's closed form ∂C/∂yᵢ = 4 Σⱼ (pᵢⱼ − qᵢⱼ)(yᵢ − yⱼ)/(1 + dᵢⱼ) (the test checks it in float64
   to 1e-10).
4. **Early exaggeration**: for the first 250 iterations P is multiplied by 12 (scikit-learn's
   setting; the paper used ×4 for 50 iterations: ``--exaggeration 4 --exaggeration-iters 50``).
   The objective is then Σ 12·pᵢⱼ log(1 + dᵢⱼ) + log Z, whose gradient is the paper's
   4 Σⱼ (12·pᵢⱼ − qᵢⱼ)(yᵢ − yⱼ)/(1 + dᵢⱼ): clusters form early and tightly, then relax.
5. **Momentum gradient descent with the paper's schedule**: momentum 0.5 for the first 250
   iterations, then 0.8; 1,000 iterations. Each coordinate has its own gain, as in the paper's
   implementation (Jacobs' delta-bar-delta): +0.2 when the gradient turns against the last step,
   ×0.8 when it agrees, never below 0.01; the step is momentum × step − lr × gain × gradient.
   The learning rate is scikit-learn's ``"auto"``, max(N / 12 / 4, 50) = 50 for the digits (the
   paper started at 100: ``--lr 100``), the start is the data's first two principal components
   scaled to standard deviation 1e-4 (scikit-learn's default ``init="pca"``; the paper drew
   N(0, 10⁻⁴ I), standard deviation 0.01: ``--init random``), and
   the velocities and gains restart when the exaggeration ends, as in scikit-learn. No PCA to 50
   dims first: the digits have only 64.
6. **The comparison**: ``sklearn.manifold.TSNE`` on the same 64-dim data, same perplexity,
   exaggeration, learning rate, start and number of iterations, with ``method="exact"``: the same
   O(N²) gradient as ours, so that its ``kl_divergence_`` is the exact KL(P‖Q) computed just as
   ours is (the script prints our KL of sklearn's embedding too: the same number). Its default,
   Barnes-Hut (``--sklearn-method barnes_hut``), is faster on large N but reports an
   approximation, with P restricted to 91 neighbours, so its KL is not comparable to ours.
   On the digits (defaults, seed 0) ours ends at KL 0.6799 and scikit-learn's at 0.6803: 0.1 %
   apart, far inside the 10 % the lesson asks. Trustworthiness with 5 neighbours (how few of each
   point's embedded neighbours are strangers in the data) is 0.995 for both (the lesson asks
   ≥ 0.95). The figure puts the two embeddings side by side, coloured by digit: the same ten
   clusters in the same places (same start, same algorithm), and the KL curve. The times of
   both are printed; the whole run takes 70–75 s of CPU time (wall time depends on how busy
   the machine is; docs/lessons/tsne.md has a recorded run).

At ``--fast`` size (the first 400 digits, 500 iterations), which the test runs, the same claims
hold: P matches scikit-learn's, the autograd gradient is the closed form, the KL falls after the
exaggeration ends and ends within 10 % of scikit-learn's, trustworthiness is above 0.95, and the
files are written.
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

import microtensor as mt

MACHINE_EPSILON = np.finfo(np.float64).eps
FAST = dict(samples=400, iterations=500, sklearn_iterations=500)


# --- 1. P: Gaussian neighbourhoods in the data, calibrated to a perplexity ---------------------

def squared_distances(points: np.ndarray) -> np.ndarray:
    """‖xᵢ − xⱼ‖² for every pair, computed so the diagonal is exactly 0 and no entry negative."""
    squared_norms = (points * points).sum(axis=1)
    distances = squared_norms[:, None] + squared_norms[None, :] - 2.0 * points @ points.T
    np.fill_diagonal(distances, 0.0)
    return np.maximum(distances, 0.0)


def conditional_probabilities(distances: np.ndarray, beta: np.ndarray,
                              rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """pⱼ|ᵢ = exp(−βᵢ dᵢⱼ) / Σₖ≠ᵢ exp(−βᵢ dᵢₖ) for the points ``rows``, and their entropies.

    ``distances`` holds those points' rows of the distance matrix. The entropy in nats is
    H(Pᵢ) = −Σⱼ pⱼ|ᵢ log pⱼ|ᵢ = log Sᵢ + βᵢ Σⱼ dᵢⱼ pⱼ|ᵢ, with Sᵢ the row's normaliser.
    """
    weights = np.exp(-distances * beta[:, None])
    weights[np.arange(len(rows)), rows] = 0.0  # a point is not its own neighbour
    normaliser = np.maximum(weights.sum(axis=1), 1e-8)  # every weight can underflow at large β
    probabilities = weights / normaliser[:, None]
    entropy = np.log(normaliser) + beta * (distances * probabilities).sum(axis=1)
    return probabilities, entropy


def calibrate_precisions(distances: np.ndarray, perplexity: float, tolerance: float = 1e-5,
                         max_steps: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """Bisection on each row's precision βᵢ until its entropy is log(perplexity) ± tolerance.

    Start at β = 1. Entropy too high (too many neighbours): β is too small, raise the lower bound
    to β and double β (or bisect, once an upper bound is known). Too low: lower the upper bound
    and halve β (or bisect). Rows that have converged are frozen. Returns (pⱼ|ᵢ, β).
    """
    count = distances.shape[0]
    target = math.log(perplexity)
    beta, low, high = np.ones(count), np.zeros(count), np.full(count, np.inf)
    every_row = np.arange(count)
    probabilities, entropy = conditional_probabilities(distances, beta, every_row)
    for _ in range(max_steps):
        searching = np.abs(entropy - target) > tolerance
        if not searching.any():
            break
        too_flat = searching & (entropy > target)
        too_sharp = searching & ~too_flat
        low[too_flat] = beta[too_flat]
        high[too_sharp] = beta[too_sharp]
        beta = np.where(too_flat, np.where(np.isinf(high), beta * 2, (beta + high) / 2), beta)
        beta = np.where(too_sharp, (beta + low) / 2, beta)
        rows = every_row[searching]
        probabilities[rows], entropy[rows] = conditional_probabilities(distances[rows], beta[rows],
                                                                       rows)
    return probabilities, beta


def joint_probabilities(points: np.ndarray, perplexity: float) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric P: pᵢⱼ = (pⱼ|ᵢ + pᵢ|ⱼ) / Σ(…), at least machine epsilon off the diagonal, 0 on it.

    Returns (P, β) with β the calibrated precisions.
    """
    conditional, beta = calibrate_precisions(squared_distances(points), perplexity)
    joint = conditional + conditional.T
    joint = np.maximum(joint / max(joint.sum(), MACHINE_EPSILON), MACHINE_EPSILON)
    np.fill_diagonal(joint, 0.0)
    return joint, beta


# --- 2-3. Q and the loss, in microtensor ops ----------------------------------------------------

def tsne_objective(embedding: mt.Tensor, P: mt.Tensor) -> mt.Tensor:
    """Σᵢⱼ pᵢⱼ log(1 + dᵢⱼ) + log Z: KL(P‖Q) minus the constant Σ pᵢⱼ log pᵢⱼ (when Σ P = 1).

    dᵢⱼ = ‖yᵢ − yⱼ‖², qᵢⱼ = (1 + dᵢⱼ)⁻¹ / Z, Z = Σₖ≠ₗ (1 + dₖₗ)⁻¹. The differences are taken one
    coordinate at a time (no ‖y‖² expansion, whose cancellation would spoil float32), so the
    diagonal is exactly 1 + 0 and Z is the full sum minus N. (``square`` and ``reciprocal`` rather
    than ``d * d`` and ``1 / d``: one op each, cheaper backwards; a third faster in all.)
    Gradient (from backward()):
    ∂/∂yᵢ = 4 Σⱼ (pᵢⱼ − qᵢⱼ)(yᵢ − yⱼ)/(1 + dᵢⱼ) when P sums to 1; with P exaggerated by α,
    the paper's 4 Σⱼ (α pᵢⱼ − qᵢⱼ)(yᵢ − yⱼ)/(1 + dᵢⱼ).
    """
    count = embedding.shape[0]
    x, y = embedding[:, 0], embedding[:, 1]
    one_plus_distance = 1 + (x[:, None] - x[None, :]).square() + (y[:, None] - y[None, :]).square()
    attraction = (P * mt.log(one_plus_distance)).sum()
    normaliser = one_plus_distance.reciprocal().sum() - count
    return attraction + mt.log(normaliser)


def kl_divergence(P: np.ndarray, embedding: np.ndarray) -> float:
    """KL(P‖Q) = Σᵢ≠ⱼ pᵢⱼ log pᵢⱼ + objective, in float64: what sklearn's ``kl_divergence_`` is."""
    off_diagonal = P[~np.eye(len(P), dtype=bool)]
    with mt.no_grad():
        objective = tsne_objective(mt.tensor(embedding, dtype=mt.float64), mt.tensor(P)).item()
    return float((off_diagonal * np.log(off_diagonal)).sum() + objective)


def closed_form_gradient(P: np.ndarray, embedding: np.ndarray) -> np.ndarray:
    """The paper's ∂C/∂yᵢ = 4 Σⱼ (pᵢⱼ − qᵢⱼ)(yᵢ − yⱼ)(1 + dᵢⱼ)⁻¹, in NumPy (the check)."""
    kernel = 1.0 / (1.0 + squared_distances(embedding))
    np.fill_diagonal(kernel, 0.0)
    weights = (P - kernel / kernel.sum()) * kernel
    return 4.0 * (weights.sum(axis=1)[:, None] * embedding - weights @ embedding)


# --- 4-5. the optimisation ----------------------------------------------------------------------

def initial_embedding(points: np.ndarray, init: str, seed: int) -> np.ndarray:
    """PCA's first two components scaled to std 1e-4 on the first (sklearn's default), or the
    paper's N(0, 10⁻⁴ I) (standard deviation 0.01; sklearn's ``init="random"`` uses 1e-4)."""
    if init == "random":
        return 1e-2 * np.random.default_rng(seed).standard_normal((len(points), 2))
    centred = points - points.mean(axis=0)
    _, _, directions = np.linalg.svd(centred, full_matrices=False)
    directions = directions[:2]
    # a direction's sign is arbitrary: make its largest entry positive (sklearn's PCA does too)
    directions *= np.sign(directions[[0, 1], np.abs(directions).argmax(axis=1)])[:, None]
    components = centred @ directions.T
    return components / components[:, 0].std() * 1e-4


def descend(embedding: mt.Tensor, P: mt.Tensor, iterations: int, lr: float, momentum: float,
            after_step: Callable[[mt.Tensor], None], min_gain: float = 0.01) -> None:
    """Momentum gradient descent with per-coordinate gains (the paper's implementation), in place.

    gain ← gain + 0.2 where the gradient opposes the last step, gain × 0.8 elsewhere, ≥ min_gain;
    step ← momentum · step − lr · gain · gradient;  y ← y + step. Velocities and gains start at
    0 and 1 at each call (scikit-learn restarts them when the exaggeration ends, too).
    """
    step = mt.zeros_like(embedding)
    gains = mt.ones_like(embedding)
    for _ in range(iterations):
        embedding.grad = None
        tsne_objective(embedding, P).backward()
        with mt.no_grad():
            gradient = embedding.grad
            gains = mt.where(step * gradient < 0, gains + 0.2, gains * 0.8).clamp(min=min_gain)
            step = momentum * step - lr * gains * gradient
            embedding += step
        after_step(embedding)


def optimise(P: np.ndarray, start: np.ndarray, args: argparse.Namespace,
             report_every: int = 50) -> tuple[np.ndarray, dict]:
    """The exaggerated phase (momentum 0.5), then the rest (momentum 0.8).

    Returns the embedding (float64) and the history: KL(P‖Q) every ``report_every`` iterations.
    """
    dtype = getattr(mt, args.dtype)
    embedding = mt.tensor(start, dtype=dtype, requires_grad=True)
    history = dict(iteration=[0], kl=[kl_divergence(P, start)])

    count = 0

    def record(current: mt.Tensor) -> None:
        nonlocal count
        count += 1
        if count % report_every == 0 or count == args.iterations:
            history["iteration"].append(count)
            history["kl"].append(kl_divergence(P, current.detach().numpy()))

    exaggerated = min(args.exaggeration_iters, args.iterations)
    descend(embedding, mt.tensor(P * args.exaggeration, dtype=dtype), exaggerated, args.lr,
            0.5, record)
    descend(embedding, mt.tensor(P, dtype=dtype), args.iterations - exaggerated, args.lr, 0.8,
            record)
    return embedding.detach().numpy().astype(np.float64), history


# --- 6. the comparison --------------------------------------------------------------------------

def load_digits(samples: int | None) -> tuple[np.ndarray, np.ndarray]:
    """The 8×8 digits as 64-dim float64 rows (pixel values 0..16) and their labels; the first
    ``samples`` of them if given."""
    from sklearn.datasets import load_digits as sklearn_digits

    digits = sklearn_digits()
    return digits.data[:samples].astype(np.float64), digits.target[:samples]


def sklearn_tsne(points: np.ndarray, args: argparse.Namespace) -> tuple[np.ndarray, float, float]:
    """scikit-learn's t-SNE with the same perplexity, exaggeration, learning rate, start and
    iterations: the embedding, its ``kl_divergence_`` and the seconds it took."""
    from sklearn.manifold import TSNE

    model = TSNE(n_components=2, perplexity=args.perplexity, early_exaggeration=args.exaggeration,
                 learning_rate=args.lr, max_iter=args.sklearn_iterations, init=args.init,
                 method=args.sklearn_method, random_state=args.seed)
    started = time.perf_counter()
    embedding = model.fit_transform(points)
    return embedding.astype(np.float64), float(model.kl_divergence_), time.perf_counter() - started


def plot_embeddings(panels: list[tuple[str, np.ndarray]], labels: np.ndarray, history: dict,
                    path: Path) -> bool:
    """The embeddings side by side, coloured by digit (label at each cluster's median), and the
    KL divergence per iteration. False when matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import matplotlib.ticker
    except ImportError:
        return False
    colours = plt.get_cmap("tab10")
    fig, axes = plt.subplots(1, len(panels) + 1, figsize=(5.2 * len(panels) + 4.6, 5.2), dpi=110,
                             gridspec_kw=dict(width_ratios=[1.15] * len(panels) + [1]))
    for ax, (title, embedding) in zip(axes, panels):
        for digit in range(10):
            chosen = labels == digit
            ax.scatter(embedding[chosen, 0], embedding[chosen, 1], s=5, color=colours(digit),
                       label=str(digit))
            if chosen.any():
                centre = np.median(embedding[chosen], axis=0)
                ax.text(centre[0], centre[1], str(digit), fontsize=13, fontweight="bold",
                        ha="center", va="center", color="black",
                        bbox=dict(boxstyle="circle,pad=0.2", fc="white", ec=colours(digit),
                                  alpha=0.85))
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("t-SNE dimension 1")
        ax.set_ylabel("t-SNE dimension 2")
        ax.set_aspect("equal", adjustable="datalim")
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, title="digit", loc="lower center", ncol=10, markerscale=3,
               frameon=False, bbox_to_anchor=(0.4, 0.0))
    kl_axis = axes[-1]
    kl_axis.plot(history["iteration"], history["kl"], marker="o", ms=3,
                 label="ours (every 50 iterations)")
    if "sklearn_kl" in history:
        kl_axis.axhline(history["sklearn_kl"], color="gray", linestyle="--",
                        label=f"scikit-learn's final ({history['sklearn_kl']:.3f})")
    kl_axis.axvline(history["exaggeration_iters"], color="tab:red", alpha=0.4,
                    label="exaggeration ends")
    kl_axis.set_xlabel("iteration")
    kl_axis.set_ylabel("KL(P‖Q) (nats)")
    kl_axis.set_yscale("log")
    kl_axis.yaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
    kl_axis.yaxis.set_minor_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
    kl_axis.set_title("KL divergence (exaggeration removed)", fontsize=10)
    kl_axis.grid(alpha=0.3)
    kl_axis.legend(loc="upper right", fontsize=8)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    fig.savefig(path)
    plt.close(fig)
    return True


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="t-SNE of the scikit-learn digits on "
                                                 "microtensor autograd, compared with sklearn.")
    parser.add_argument("--samples", type=int, default=None, help="first N digits (all: 1797)")
    parser.add_argument("--perplexity", type=float, default=30.0)
    parser.add_argument("--iterations", type=int, default=1000)
    parser.add_argument("--sklearn-iterations", type=int, default=1000)
    parser.add_argument("--exaggeration", type=float, default=12.0)
    parser.add_argument("--exaggeration-iters", type=int, default=250)
    parser.add_argument("--lr", type=float, default=None,
                        help="learning rate (default: sklearn's auto, max(N/exaggeration/4, 50))")
    parser.add_argument("--init", choices=["pca", "random"], default="pca")
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-sklearn", action="store_true", help="skip sklearn's TSNE")
    parser.add_argument("--sklearn-method", choices=["exact", "barnes_hut"], default="exact")
    parser.add_argument("--fast", action="store_true", help="400 digits, 500 iterations")
    parser.add_argument("--out", type=Path, default=Path("runs/tsne"))
    args = parser.parse_args(argv)
    if args.fast:
        for name, value in FAST.items():
            if getattr(args, name) == parser.get_default(name):
                setattr(args, name, value)
    return args


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    from sklearn.manifold import trustworthiness

    points, labels = load_digits(args.samples)
    if args.lr is None:
        args.lr = max(len(points) / args.exaggeration / 4, 50.0)
    print(f"data: {len(points)} digits, {points.shape[1]} dims; perplexity {args.perplexity:g}, "
          f"exaggeration ×{args.exaggeration:g} for {args.exaggeration_iters} iterations, "
          f"learning rate {args.lr:g}, {args.iterations} iterations, {args.dtype}")
    started = time.perf_counter()
    P, beta = joint_probabilities(points, args.perplexity)
    calibration_seconds = time.perf_counter() - started
    sigma = np.sqrt(1 / (2 * beta))
    print(f"P calibrated by bisection in {calibration_seconds:.1f} s: σᵢ from {sigma.min():.2f} "
          f"to {sigma.max():.2f} (median {np.median(sigma):.2f})")
    embedding, history = optimise(P, initial_embedding(points, args.init, args.seed), args)
    seconds = time.perf_counter() - started
    history["exaggeration_iters"] = args.exaggeration_iters
    print("  iteration  KL(P‖Q)")
    for iteration, kl in zip(history["iteration"], history["kl"]):
        if iteration % 250 == 0 or iteration == history["iteration"][-1]:
            print(f"  {iteration:9d}  {kl:.4f}")
    kl = history["kl"][-1]
    trust = trustworthiness(points, embedding, n_neighbors=5)
    print(f"ours:         KL {kl:.4f}, trustworthiness (5 neighbours) {trust:.4f}, "
          f"{seconds:.1f} s")
    result = dict(P=P, beta=beta, embedding=embedding, labels=labels, history=history, kl=kl,
                  trustworthiness=trust, seconds=seconds, args=args)
    panels = [(f"microtensor: KL {kl:.3f}, trustworthiness {trust:.3f}, {seconds:.0f} s",
               embedding)]
    if not args.no_sklearn:
        theirs, their_kl, their_seconds = sklearn_tsne(points, args)
        their_trust = trustworthiness(points, theirs, n_neighbors=5)
        print(f"scikit-learn: KL {their_kl:.4f}, trustworthiness (5 neighbours) "
              f"{their_trust:.4f}, {their_seconds:.1f} s (TSNE(method='{args.sklearn_method}'))")
        print(f"KL of sklearn's embedding under our P: {kl_divergence(P, theirs):.4f}")
        gap = (kl - their_kl) / their_kl
        print(f"our KL is {abs(gap):.1%} {'above' if gap > 0 else 'below'} scikit-learn's")
        history["sklearn_kl"] = their_kl
        result.update(sklearn_embedding=theirs, sklearn_kl=their_kl,
                      sklearn_trustworthiness=their_trust, sklearn_seconds=their_seconds)
        panels.append((f"scikit-learn TSNE(method='{args.sklearn_method}'): KL {their_kl:.3f}, "
                       f"trustworthiness {their_trust:.3f}, {their_seconds:.0f} s", theirs))
    args.out.mkdir(parents=True, exist_ok=True)
    np.savez(args.out / "tsne.npz", embedding=embedding, labels=labels,
             **({"sklearn_embedding": result["sklearn_embedding"]} if not args.no_sklearn else {}))
    result["plotted"] = plot_embeddings(panels, labels, history, args.out / "tsne.png")
    print(f"saved {args.out / 'tsne.npz'}" + (f" and {args.out / 'tsne.png'}"
                                              if result["plotted"] else ""))
    return result


if __name__ == "__main__":
    main()
