"""The Hessian of a model's loss without forming it: Hessian-vector products and eigenvalues.

A network with n parameters has an n × n Hessian (10⁴ parameters: 10⁸ entries), but the product
H v costs about two backward passes. Differentiate the loss once with ``create_graph=True`` to
get g(θ) = ∇L(θ) *as a graph*, then differentiate the scalar g(θ)ᵀ v:

    ∇_θ (g(θ)ᵀ v) = H v            (v held constant).

Iterative eigensolvers need nothing more than this product:

* **power iteration** repeats v ← H v / ‖H v‖; v tends to the eigenvector of largest |λ|, at a
  rate |λ₂/λ₁| per step. Further eigenpairs come from *deflation* (iterate with
  H − Σ λᵢ uᵢ uᵢᵀ, which moves the found ones to 0), and the largest *algebraic* eigenvalue
  from a *shift*: H + ρI with ρ ≥ |λ|_max has the same eigenvectors and only non-negative
  eigenvalues, so its dominant one is λ_max(H) + ρ.
* **Lanczos** builds an orthonormal basis Q of the Krylov space span{v, Hv, H²v, ...} in
  which H is tridiagonal, T = QᵀHQ; the eigenvalues of the small T (Ritz values) approximate
  the extreme eigenvalues of H, at both ends, after far fewer products than power iteration.
  In floating point the basis loses orthogonality, so each new vector is orthogonalised
  against all previous ones again ("full reorthogonalisation"; memory n × iters).

What the top eigenvalue tells you: λ_max is the sharpest curvature of the loss. Gradient
descent is stable only for lr < 2/λ_max, and "flat" minima (small λ_max) are often associated
with better generalisation. A negative eigenvalue means the point is not a minimum: there is a
direction of descent that the gradient alone does not show.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from microtensor.autograd.engine import grad
from microtensor.tensor import Tensor

__all__ = ["HessianEigs", "hessian_eigs", "hvp_operator"]

_WHICH = ("LA", "SA", "LM")


def hvp_operator(loss_fn: Callable[[], Tensor], params: Iterable[Tensor]
                 ) -> tuple[Callable[[np.ndarray], np.ndarray], int]:
    """Build v ↦ H v for the loss ``loss_fn()`` w.r.t. ``params``, on flat float64 vectors.

    The loss and its gradient graph are computed once; each call to the returned function is
    one extra backward pass through that graph (so a call costs about one backward of the
    network, however many parameters there are).

    Returns:
        ``(matvec, n)``: the product function and the total number of parameters n.
    """
    params = list(params)
    if not params:
        raise ValueError("hvp_operator: params is empty")
    for i, p in enumerate(params):
        if not isinstance(p, Tensor) or not p.requires_grad:
            raise ValueError(f"hvp_operator: parameter {i} is not a Tensor that requires grad")
    shapes = [tuple(p.shape) for p in params]
    sizes = [int(np.prod(s)) for s in shapes]
    offsets = np.cumsum([0, *sizes])
    n = int(offsets[-1])
    loss = loss_fn()
    if loss.numel() != 1:
        raise ValueError(f"hessian: loss_fn must return a scalar, got shape {tuple(loss.shape)}")
    grads = grad(loss, params, create_graph=True, allow_unused=True)
    # parameters whose gradient has no graph contribute nothing to H v
    live = [i for i, g in enumerate(grads) if g is not None and g.requires_grad]

    def matvec(v: np.ndarray) -> np.ndarray:
        v = np.asarray(v, dtype=np.float64).reshape(-1)
        if v.size != n:
            raise ValueError(f"hvp: vector has {v.size} entries, parameters have {n}")
        out = np.zeros(n)
        if not live:
            return out
        dot = None
        for i in live:
            piece = v[offsets[i]:offsets[i + 1]].reshape(shapes[i]).astype(params[i].dtype)
            term = (grads[i] * Tensor._make(piece)).sum()
            dot = term if dot is None else dot + term
        assert dot is not None
        products = grad(dot, [params[i] for i in live], retain_graph=True, allow_unused=True)
        for i, hv in zip(live, products):
            if hv is not None:
                out[offsets[i]:offsets[i + 1]] = hv._data.reshape(-1)
        return out

    return matvec, n


@dataclass
class HessianEigs:
    """The result of :func:`hessian_eigs`.

    Attributes:
        eigenvalues: the k estimates, ordered as requested (LA: descending, SA: ascending,
            LM: by decreasing magnitude).
        eigenvectors: (k, n) float64, unit rows, over the flattened parameters (in the order
            of ``params``, each flattened row-major).
        n_hvp: how many Hessian-vector products were used.
        converged: whether every eigenpair met the tolerance.
        residuals: ‖H u − λ u‖ for each pair (Ritz residual estimates for Lanczos).
    """

    eigenvalues: np.ndarray
    eigenvectors: np.ndarray
    n_hvp: int
    converged: bool
    residuals: np.ndarray


def _order(values: np.ndarray, which: str) -> np.ndarray:
    if which == "LA":
        return np.argsort(-values, kind="stable")
    if which == "SA":
        return np.argsort(values, kind="stable")
    return np.argsort(-np.abs(values), kind="stable")


def _lanczos(matvec: Callable[[np.ndarray], np.ndarray], n: int, k: int, iters: int, tol: float,
             which: str, rng: np.random.Generator) -> HessianEigs:
    m = max(min(iters, n), k)
    basis = np.zeros((m + 1, n))
    alphas, betas = np.zeros(m), np.zeros(m)
    q = rng.standard_normal(n)
    basis[0] = q / np.linalg.norm(q)
    steps, converged = 0, False
    theta = s = np.zeros(0)
    for j in range(m):
        w = matvec(basis[j])
        steps = j + 1
        alphas[j] = basis[j] @ w
        w -= alphas[j] * basis[j]
        if j > 0:
            w -= betas[j - 1] * basis[j - 1]
        for _ in range(2):  # full reorthogonalisation, twice ("twice is enough")
            w -= basis[: j + 1].T @ (basis[: j + 1] @ w)
        betas[j] = np.linalg.norm(w)
        off = betas[: steps - 1]
        theta, s = np.linalg.eigh(np.diag(alphas[:steps]) + np.diag(off, 1) + np.diag(off, -1))
        if steps >= k:
            idx = _order(theta, which)[:k]
            # ‖H y − θ y‖ = β_j |s_last| for the Ritz pair (θ, y = Q s)
            res = np.abs(betas[j] * s[-1, idx])
            if np.all(res <= tol * np.maximum(np.abs(theta[idx]), 1e-12)):
                converged = True
                break
        if betas[j] <= 1e-12 * max(1.0, float(np.abs(alphas[:steps]).max())):
            converged = steps >= k  # an invariant subspace: the Ritz values are exact
            break
        basis[j + 1] = w / betas[j]
    idx = _order(theta, which)[:k]
    if len(idx) < k:
        raise RuntimeError(
            f"hessian_eigs: the Krylov space has dimension {steps} < k={k} (the starting vector "
            "met an invariant subspace); try another seed"
        )
    vectors = (basis[:steps].T @ s[:, idx]).T
    residuals = np.abs(betas[steps - 1] * s[-1, idx])
    return HessianEigs(theta[idx], vectors, steps, converged, residuals)


def _power(matvec: Callable[[np.ndarray], np.ndarray], n: int, k: int, iters: int, tol: float,
           shift: float, rng: np.random.Generator) -> tuple[list[float], list[np.ndarray], int,
                                                            bool, list[float]]:
    """Power iteration with deflation on H + shift·I; returns the eigenvalues of H."""
    values: list[float] = []
    vectors: list[np.ndarray] = []
    residuals: list[float] = []
    count, all_converged = 0, True
    for _ in range(k):
        v = rng.standard_normal(n)
        lam, converged, res = 0.0, False, float("inf")
        for it in range(iters):
            for u in vectors:  # stay orthogonal to the found eigenvectors
                v -= (u @ v) * u
            v /= np.linalg.norm(v)
            w = matvec(v) + shift * v
            count += 1
            for value, u in zip(values, vectors):  # deflation: (H + ρI − Σ (λᵢ + ρ) uᵢuᵢᵀ) v
                w -= (value + shift) * (u @ v) * u
            new = float(v @ w)  # Rayleigh quotient
            res = float(np.linalg.norm(w - new * v))
            norm = np.linalg.norm(w)
            if norm == 0.0:
                lam, converged = new, True
                break
            if it > 0 and abs(new - lam) <= tol * max(abs(new), 1e-12):
                lam, converged = new, True
                v = w / norm
                break
            lam, v = new, w / norm
        all_converged &= converged
        values.append(lam - shift)
        vectors.append(v / np.linalg.norm(v))
        residuals.append(res)
    return values, vectors, count, all_converged, residuals


def hessian_eigs(loss_fn: Callable[[], Tensor], params: Iterable[Tensor], k: int = 1,
                 iters: int = 100, method: str = "lanczos", tol: float = 1e-6,
                 which: str = "LA", seed: int = 0) -> HessianEigs:
    """Estimate k extreme eigenvalues of the Hessian of ``loss_fn()`` w.r.t. ``params``.

    Only Hessian-vector products are used (see the module docstring), so this works for models
    with many thousands of parameters.

    Args:
        loss_fn: a closure that computes the scalar loss from ``params`` (e.g. on a fixed
            batch: ``lambda: criterion(model(x), y)``). It is called once.
        params: the tensors to differentiate with respect to (e.g. ``model.parameters()``).
        k: how many eigenvalues.
        iters: the most Lanczos steps, or the most power iterations per eigenvalue.
        method: ``"lanczos"`` (default; full reorthogonalisation) or ``"power"`` (power
            iteration with deflation; for ``which="LA"``/``"SA"`` it first estimates the
            largest |λ| and then iterates on the shifted matrix, so it costs one extra run).
        tol: relative tolerance: Lanczos stops when every wanted Ritz pair has residual
            ‖Hy − θy‖ ≤ tol·|θ|; power iteration when the Rayleigh quotient changes by less
            than tol·|λ| between iterations.
        which: ``"LA"`` (default): the largest *algebraic* eigenvalues (the top of the
            spectrum: λ_max, the sharpest upward curvature); ``"SA"``: the smallest algebraic
            (the most negative curvature); ``"LM"``: the largest in magnitude.
        seed: seeds the random starting vector.

    Returns:
        :class:`HessianEigs` with the eigenvalues and (flattened) eigenvectors.
    """
    if which not in _WHICH:
        raise ValueError(f"hessian_eigs: which must be one of {_WHICH}, got {which!r}")
    if k < 1:
        raise ValueError(f"hessian_eigs: k must be >= 1, got {k}")
    matvec, n = hvp_operator(loss_fn, params)
    if k > n:
        raise ValueError(f"hessian_eigs: asked for k={k} eigenvalues of a {n}×{n} Hessian")
    rng = np.random.default_rng(seed)
    if method == "lanczos":
        return _lanczos(matvec, n, k, iters, tol, which, rng)
    if method != "power":
        raise ValueError(f"hessian_eigs: method must be 'lanczos' or 'power', got {method!r}")
    if which == "LM":
        values, vectors, count, ok, res = _power(matvec, n, k, iters, tol, 0.0, rng)
    else:
        # ρ = |λ|_max, then the dominant eigenvalues of ±H + ρI are the wanted end of H
        (top,), _, count0, _, _ = _power(matvec, n, 1, iters, tol, 0.0, rng)
        rho = 1.05 * abs(top)
        sign = 1.0 if which == "LA" else -1.0

        def signed(v: np.ndarray) -> np.ndarray:
            return sign * matvec(v)

        values, vectors, count, ok, res = _power(signed, n, k, iters, tol, rho, rng)
        values = [sign * v for v in values]
        count += count0
    eigenvalues = np.array(values)
    order = _order(eigenvalues, which)
    return HessianEigs(eigenvalues[order], np.array(vectors)[order], count, ok,
                       np.array(res)[order])
