"""Critical points: where the gradient vanishes, and what the Hessian says about them.

Near a point x* where ∇f(x*) = 0, Taylor's theorem gives

    f(x* + h) ≈ f(x*) + ½ hᵀ H h = f(x*) + ½ Σᵢ λᵢ (uᵢᵀ h)²,

with (λᵢ, uᵢ) the eigenpairs of the Hessian H = ∇²f(x*). Each eigenvalue is the curvature of f
along its eigenvector: λ > 0 curves up, λ < 0 curves down. Hence the second-derivative test:

* all λᵢ > 0: a (strict local) **minimum**;
* all λᵢ < 0: a (strict local) **maximum**;
* some λᵢ > 0 and some < 0: a **saddle** (down one way, up another);
* otherwise, some λᵢ = 0 and no opposite signs: **degenerate**: the quadratic term says nothing
  in the flat directions and higher-order terms decide (the monkey saddle x³ − 3xy² at 0).

Both the gradient and the Hessian come from autograd: the Hessian is the Jacobian of the
gradient, computed by differentiating the backward pass once more (``create_graph=True``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from microtensor.autograd.engine import grad
from microtensor.autograd.functional import hessian as autograd_hessian
from microtensor.tensor import Tensor

__all__ = ["CriticalPoint", "classify_critical_point", "find_critical_point"]

KINDS = ("minimum", "maximum", "saddle", "degenerate", "not critical")


@dataclass
class CriticalPoint:
    """What :func:`classify_critical_point` found at ``point``.

    Attributes:
        point: the point (float64 array).
        kind: "minimum", "maximum", "saddle", "degenerate" or "not critical".
        value: f(point).
        gradient: ∇f(point).
        grad_norm: ‖∇f(point)‖₂.
        hessian: ∇²f(point), a symmetric (n, n) array.
        eigenvalues: the Hessian's eigenvalues, ascending (the curvatures).
        eigenvectors: the matching unit eigenvectors, as columns.
    """

    point: np.ndarray
    kind: str
    value: float
    gradient: np.ndarray
    grad_norm: float
    hessian: np.ndarray
    eigenvalues: np.ndarray
    eigenvectors: np.ndarray

    def __str__(self) -> str:
        coords = ", ".join(f"{c:.6g}" for c in self.point)
        eigs = ", ".join(f"{e:.6g}" for e in self.eigenvalues)
        return (f"{self.kind} at ({coords}): f = {self.value:.6g}, |grad| = {self.grad_norm:.2e}, "
                f"Hessian eigenvalues = [{eigs}]")


def _as_point(point: Any) -> Tensor:
    if isinstance(point, Tensor):
        array = point.detach()._data
    else:
        array = np.asarray(point)
    return Tensor._make(np.array(array, dtype=np.float64).reshape(-1), requires_grad=True)


def _derivatives(fn: Callable[[Tensor], Tensor], x: Tensor
                 ) -> tuple[float, np.ndarray, np.ndarray]:
    value = fn(x)
    if value.numel() != 1:
        raise ValueError(
            f"classify_critical_point: fn must return a scalar, got shape {tuple(value.shape)}"
        )
    (g,) = grad(value, [x], allow_unused=True)
    gradient = np.zeros(x.shape) if g is None else np.array(g._data, dtype=np.float64)
    h = autograd_hessian(fn, x)
    hess = np.array(h._data, dtype=np.float64).reshape(x.numel(), x.numel())
    # symmetrise: round-off can make H[i, j] and H[j, i] differ in the last bits
    return float(value.item()), gradient, 0.5 * (hess + hess.T)


def classify_critical_point(fn: Callable[[Tensor], Tensor], point: Any, tol: float = 1e-6
                            ) -> CriticalPoint:
    """Classify ``point`` for ``fn`` with the second-derivative test (see the module docstring).

    Args:
        fn: a scalar function of a 1-D Tensor (evaluated in float64).
        point: where to look (sequence, array or Tensor; flattened).
        tol: ``point`` is critical when ‖∇f‖ ≤ tol; an eigenvalue counts as zero when
            |λ| ≤ tol · max(1, max |λ|).

    Returns:
        A :class:`CriticalPoint`; its eigenvalues are reported even when the point is not
        critical (they are then the local curvatures, not a classification).

    Example::

        >>> classify_critical_point(saddle, [0.0, 0.0]).kind
        'saddle'
    """
    x = _as_point(point)
    value, gradient, hess = _derivatives(fn, x)
    eigenvalues, eigenvectors = np.linalg.eigh(hess)
    grad_norm = float(np.linalg.norm(gradient))
    zero = tol * max(1.0, float(np.abs(eigenvalues).max(initial=0.0)))
    positive, negative = eigenvalues > zero, eigenvalues < -zero
    if not grad_norm <= tol:
        kind = "not critical"
    elif positive.all():
        kind = "minimum"
    elif negative.all():
        kind = "maximum"
    elif positive.any() and negative.any():
        kind = "saddle"
    else:
        kind = "degenerate"
    return CriticalPoint(np.array(x._data), kind, value, gradient, grad_norm, hess, eigenvalues,
                         eigenvectors)


def find_critical_point(fn: Callable[[Tensor], Tensor], start: Any, steps: int = 50,
                        tol: float = 1e-10) -> CriticalPoint:
    """Newton's method on the gradient, x ← x − H⁻¹ ∇f(x), then classify where it stopped.

    Newton's method solves ∇f(x) = 0; it does not care whether the solution is a minimum, a
    maximum or a saddle, and it converges quadratically to the nearest non-degenerate one. (This
    is one reason plain Newton is not used to train networks: it is *attracted* to saddles.)
    Stops when ‖∇f‖ ≤ tol or after ``steps`` iterations; a singular H is handled by least
    squares.
    """
    x = np.array(_as_point(start)._data)
    for _ in range(steps):
        _, gradient, hess = _derivatives(fn, _as_point(x))
        if np.linalg.norm(gradient) <= tol:
            break
        step, *_ = np.linalg.lstsq(hess, gradient, rcond=None)
        x = x - step
    return classify_critical_point(fn, x, tol=max(tol, 1e-6))
