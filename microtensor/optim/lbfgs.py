"""L-BFGS: limited-memory BFGS (Nocedal, 1980; Liu & Nocedal, 1989), with an optional
strong-Wolfe line search (Nocedal & Wright, *Numerical Optimization*, algorithms 3.5 and 3.6).

Unlike the other optimizers, L-BFGS evaluates the objective several times per ``step``, so
``step`` needs a ``closure`` that clears the gradients, computes the loss, calls ``backward()``
and returns the loss::

    optimizer = LBFGS(model.parameters(), line_search_fn="strong_wolfe")

    def closure():
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        return loss

    optimizer.step(closure)

All parameters are treated as one flat vector θ (their values one after the other), with one
flat gradient g. The algorithm is in :meth:`LBFGS.step`; the pieces are plain functions on
NumPy vectors: :func:`lbfgs_direction` (the two-loop recursion), :func:`cubic_interpolate` and
:func:`strong_wolfe` (the line search).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from microtensor.autograd.grad_mode import enable_grad
from microtensor.optim.optimizer import Optimizer, ParamsT
from microtensor.tensor import Tensor

__all__ = ["LBFGS", "cubic_interpolate", "lbfgs_direction", "strong_wolfe"]

# evaluate(t) → (loss, flat gradient) at θ + t·d, leaving θ unchanged
DirectionalObjective = Callable[[float], tuple[float, np.ndarray]]


# ---------------------------------------------------------------------------------- direction
def lbfgs_direction(
    flat_grad: np.ndarray,
    old_dirs: list[np.ndarray],
    old_stps: list[np.ndarray],
    ro: list[float],
    h_diag: float,
) -> np.ndarray:
    """The L-BFGS search direction d = −H·g by the two-loop recursion.

    H is the inverse-Hessian approximation built from the last m pairs (sᵢ, yᵢ) of steps
    sᵢ = θᵢ₊₁ − θᵢ (``old_stps``) and gradient changes yᵢ = gᵢ₊₁ − gᵢ (``old_dirs``), with
    ρᵢ = 1/(yᵢ·sᵢ) (``ro``), starting from H₀ = h·I (``h_diag`` = y·s / y·y of the newest pair)::

        q ← −g
        for i = m−1 … 0:   aᵢ ← ρᵢ·(sᵢ·q);   q ← q − aᵢ·yᵢ
        r ← h·q
        for i = 0 … m−1:   bᵢ ← ρᵢ·(yᵢ·r);   r ← r + (aᵢ − bᵢ)·sᵢ
        d ← r

    Each loop applies one BFGS update H ← (I − ρsyᵀ) H (I − ρysᵀ) + ρssᵀ to a vector without
    ever forming the n×n matrix: O(m·n) work.
    """
    q = np.negative(flat_grad)
    alphas = [0.0] * len(old_dirs)
    for i in range(len(old_dirs) - 1, -1, -1):
        alphas[i] = float(np.dot(old_stps[i], q)) * ro[i]
        q += -alphas[i] * old_dirs[i]
    r = q * h_diag
    for i in range(len(old_dirs)):
        beta_i = float(np.dot(old_dirs[i], r)) * ro[i]
        r += (alphas[i] - beta_i) * old_stps[i]
    return r


# ---------------------------------------------------------------------------------- line search
def cubic_interpolate(
    x1: float,
    f1: float,
    g1: float,
    x2: float,
    f2: float,
    g2: float,
    bounds: tuple[float, float] | None = None,
) -> float:
    """The minimiser of the cubic through (x1, f1) and (x2, f2) with slopes g1 and g2.

    With the points ordered so that x1 ≤ x2 (swap the roles otherwise)::

        d1 = g1 + g2 − 3·(f1 − f2)/(x1 − x2)
        d2 = √(d1² − g1·g2)
        x* = x2 − (x2 − x1)·(g2 + d2 − d1)/(g2 − g1 + 2·d2)

    clipped to ``bounds`` (default: the interval between the points). When d1² < g1·g2 the
    cubic has no minimum and the middle of the bounds is returned.
    """
    low, high = bounds if bounds is not None else (min(x1, x2), max(x1, x2))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1 * d1 - g1 * g2
    if not d2_square >= 0:
        return (low + high) / 2.0
    d2 = math.sqrt(d2_square)
    if x1 <= x2:
        minimiser = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        minimiser = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(minimiser, low), high)


class _Point:
    """One evaluated point of the line search: step t, loss f, gradient g, slope g·d."""

    __slots__ = ("t", "f", "g", "gtd")

    def __init__(self, t: float, f: float, g: np.ndarray, gtd: float) -> None:
        self.t, self.f, self.g, self.gtd = t, f, g, gtd


def _bracket_phase(
    evaluate: DirectionalObjective,
    start: _Point,
    trial: _Point,
    d: np.ndarray,
    c1: float,
    c2: float,
    max_ls: int,
) -> tuple[list[_Point], bool, int]:
    """Grow the step until an interval [a, b] is known to hold a strong-Wolfe point.

    Returns (bracket, done, iterations); ``done`` means the one point of the bracket already
    satisfies both conditions. Algorithm 3.5 of Nocedal & Wright, with cubic extrapolation to a
    step in [t + 0.01·(t − t_prev), 10·t].
    """
    previous, iterations = start, 0
    while iterations < max_ls:
        armijo_fails = trial.f > start.f + c1 * trial.t * start.gtd
        if armijo_fails or (iterations > 1 and trial.f >= previous.f):
            return [previous, trial], False, iterations
        if abs(trial.gtd) <= -c2 * start.gtd:  # curvature condition: done
            return [trial], True, iterations
        if trial.gtd >= 0:  # the slope turned: a minimum lies between
            return [previous, trial], False, iterations
        t_next = cubic_interpolate(
            previous.t,
            previous.f,
            previous.gtd,
            trial.t,
            trial.f,
            trial.gtd,
            bounds=(trial.t + 0.01 * (trial.t - previous.t), trial.t * 10),
        )
        previous = trial
        f_new, g_new = evaluate(t_next)
        trial = _Point(t_next, f_new, g_new, float(np.dot(g_new, d)))
        iterations += 1
    # out of evaluations: keep the best of the start and the last trial
    return [start, trial], False, iterations


def _safeguarded_trial(bracket: list[_Point], insufficient_progress: bool) -> tuple[float, bool]:
    """The next trial step of the zoom: the cubic minimiser, pushed 10% of the interval away
    from an end point when it keeps landing next to one. Returns (t, insufficient_progress)."""
    a, b = bracket
    t = cubic_interpolate(a.t, a.f, a.gtd, b.t, b.f, b.gtd)
    low, high = min(a.t, b.t), max(a.t, b.t)
    margin = 0.1 * (high - low)
    if not min(high - t, t - low) < margin:
        return t, False
    if not (insufficient_progress or t >= high or t <= low):
        return t, True
    t = high - margin if abs(t - high) < abs(t - low) else low + margin
    return t, False


def _zoom_phase(
    evaluate: DirectionalObjective,
    start: _Point,
    bracket: list[_Point],
    d: np.ndarray,
    iterations: int,
    c1: float,
    c2: float,
    tolerance_change: float,
    max_ls: int,
) -> tuple[_Point, int]:
    """Shrink the bracket [lo, hi] until a point satisfies the strong Wolfe conditions.

    ``lo`` is the end with the lower loss. Algorithm 3.6 of Nocedal & Wright: a trial that fails
    sufficient decrease (or is no lower than lo) replaces hi; otherwise it becomes the new lo
    (and the old lo becomes hi when the slope says the minimum lies on the other side).
    """
    d_norm = float(np.max(np.abs(d)))
    low = 0 if bracket[0].f <= bracket[-1].f else 1
    insufficient_progress = False
    while iterations < max_ls:
        if abs(bracket[1].t - bracket[0].t) * d_norm < tolerance_change:
            break
        t, insufficient_progress = _safeguarded_trial(bracket, insufficient_progress)
        f_new, g_new = evaluate(t)
        trial = _Point(t, f_new, g_new, float(np.dot(g_new, d)))
        iterations += 1
        high = 1 - low
        if trial.f > start.f + c1 * t * start.gtd or trial.f >= bracket[low].f:
            bracket[high] = trial
            low = 0 if bracket[0].f <= bracket[1].f else 1
            continue
        wolfe = abs(trial.gtd) <= -c2 * start.gtd
        if not wolfe and trial.gtd * (bracket[high].t - bracket[low].t) >= 0:
            bracket[high] = bracket[low]
        bracket[low] = trial
        if wolfe:
            break
    return bracket[low], iterations


def strong_wolfe(
    evaluate: DirectionalObjective,
    t: float,
    d: np.ndarray,
    loss: float,
    flat_grad: np.ndarray,
    gtd: float,
    c1: float = 1e-4,
    c2: float = 0.9,
    tolerance_change: float = 1e-9,
    max_ls: int = 25,
) -> tuple[float, np.ndarray, float, int]:
    """A step length t along d satisfying the strong Wolfe conditions.

    With φ(t) = loss(θ + t·d) and φ'(t) = g(θ + t·d)·d (``gtd`` = φ'(0) < 0)::

        φ(t) ≤ φ(0) + c₁·t·φ'(0)        sufficient decrease (Armijo)
        |φ'(t)| ≤ c₂·|φ'(0)|            curvature: the slope has flattened enough

    First a bracket holding such a t is found by extrapolating (:func:`_bracket_phase`), then
    it is shrunk by cubic interpolation (:func:`_zoom_phase`), with at most ``max_ls``
    evaluations after the first. Returns (loss, flat gradient, t, number of evaluations) at the
    chosen step (the best point found if the budget ran out).
    """
    start = _Point(0.0, loss, np.array(flat_grad, copy=True), gtd)
    f_new, g_new = evaluate(t)
    trial = _Point(t, f_new, g_new, float(np.dot(g_new, d)))
    bracket, done, iterations = _bracket_phase(evaluate, start, trial, d, c1, c2, max_ls)
    if done:
        best = bracket[0]
    elif iterations >= max_ls:
        best = bracket[0] if bracket[0].f <= bracket[1].f else bracket[1]
    else:
        best, iterations = _zoom_phase(
            evaluate, start, bracket, d, iterations, c1, c2, tolerance_change, max_ls
        )
    return best.f, best.g, best.t, iterations + 1


# ---------------------------------------------------------------------------------- optimizer
class LBFGS(Optimizer):
    """L-BFGS (``torch.optim.LBFGS``); ``step(closure)`` runs up to ``max_iter`` iterations.

    Args:
        params: the parameters (one group only).
        lr: γ, the initial step length of each line search (default 1).
        max_iter: iterations per ``step`` (default 20).
        max_eval: closure evaluations per ``step`` (default ``max_iter * 5 // 4``).
        tolerance_grad: stop when max |gᵢ| ≤ this (default 1e-7).
        tolerance_change: stop when the step, or the change of the loss, is below this
            (default 1e-9).
        history_size: m, the number of (s, y) pairs kept (default 100).
        line_search_fn: ``None`` (fixed step t = γ; min(1, 1/‖g‖₁)·γ on the very first
            iteration) or ``"strong_wolfe"`` (:func:`strong_wolfe`).

    One iteration: d ← :func:`lbfgs_direction` (−g on the first), then θ ← θ + t·d with t from
    the line search, then the pair s = t·d, y = g_new − g joins the history if y·s > 1e-10.

    The state (kept, as in PyTorch, under the first parameter): ``"func_evals"`` and
    ``"n_iter"`` (ints, over all steps), ``"d"`` and ``"prev_flat_grad"`` (flat vectors),
    ``"t"``, ``"H_diag"``, ``"prev_loss"`` (floats), ``"old_dirs"``, ``"old_stps"`` (lists of
    flat vectors) and ``"ro"`` (a list of floats). Unlike PyTorch it keeps no ``"al"`` scratch
    list, and numbers are kept as Python floats rather than 0-d tensors.
    """

    _scalar_state = {
        "func_evals": int,
        "n_iter": int,
        "t": float,
        "H_diag": float,
        "prev_loss": float,
    }
    _flat_state = ("d", "prev_flat_grad")
    _list_state = ("old_dirs", "old_stps", "ro", "al")

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1,
        max_iter: int = 20,
        max_eval: int | None = None,
        tolerance_grad: float = 1e-7,
        tolerance_change: float = 1e-9,
        history_size: int = 100,
        line_search_fn: str | None = None,
    ) -> None:
        if line_search_fn not in (None, "strong_wolfe"):
            raise ValueError(
                f"LBFGS: line_search_fn must be None or 'strong_wolfe', got {line_search_fn!r}"
            )
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = dict(
            lr=lr,
            max_iter=max_iter,
            max_eval=max_eval,
            tolerance_grad=tolerance_grad,
            tolerance_change=tolerance_change,
            history_size=history_size,
            line_search_fn=line_search_fn,
        )
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params: list[Tensor] = self.param_groups[0]["params"]

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        if self.param_groups:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        super().add_param_group(param_group)

    # ------------------------------------------------------------------ flat views
    def _gather_flat_grad(self) -> np.ndarray:
        """All gradients as one vector (zeros for a parameter without a gradient)."""
        return np.concatenate(
            [
                np.zeros(p._data.size, p.dtype) if p.grad is None else p.grad._data.reshape(-1)
                for p in self._params
            ]
        )

    def _add_to_params(self, step_size: float, direction: np.ndarray) -> None:
        """θ ← θ + step_size·direction, on the flat vector of all parameters."""
        offset = 0
        for p in self._params:
            n = p._data.size
            p._data += step_size * direction[offset : offset + n].reshape(p.shape)
            p._bump_version("LBFGS.step()")
            offset += n

    def _set_params(self, values: list[np.ndarray]) -> None:
        for p, value in zip(self._params, values, strict=True):
            p._data[...] = value
            p._bump_version("LBFGS.step()")

    def _evaluate(self, closure: Callable[[], Any]) -> tuple[Any, float, np.ndarray]:
        with enable_grad():
            loss = closure()
        return loss, float(loss), self._gather_flat_grad()

    # ------------------------------------------------------------------ one step
    def step(self, closure: Callable[[], Any]) -> Any:  # type: ignore[override]
        """Run up to ``max_iter`` L-BFGS iterations; return the loss of the first evaluation.

        Stops early when max |g| ≤ ``tolerance_grad``, the directional derivative g·d is above
        −``tolerance_change``, the step or the change of the loss is below
        ``tolerance_change``, or ``max_eval`` evaluations are used up.
        """
        if not callable(closure):
            raise TypeError(
                "LBFGS.step() needs a closure that re-evaluates the model and returns the loss"
            )
        group = self.param_groups[0]
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        orig_loss, loss, flat_grad = self._evaluate(closure)
        state["func_evals"] += 1
        if np.max(np.abs(flat_grad), initial=0.0) <= group["tolerance_grad"]:
            return orig_loss
        run = _Run(self, closure, group, state, loss, flat_grad)
        run.iterate()
        run.save(state)
        return orig_loss

    # ------------------------------------------------------------------ checkpoints
    def state_dict(self) -> dict[str, Any]:
        packed = super().state_dict()
        for entry in packed["state"].values():
            for name in self._list_state:
                if name in entry:
                    entry[name] = [_copy_entry(v) for v in entry[name]]
        return packed

    def _restore_state_value(self, p: Tensor, name: str, value: Any) -> Any:
        if name in self._flat_state:
            return None if value is None else _copy_entry(value)
        if name in self._list_state:
            return [_copy_entry(v) for v in value]
        return super()._restore_state_value(p, name, value)


def _copy_entry(value: Any) -> Any:
    """A copy of one history entry: vectors become fresh tensors, numbers floats."""
    if isinstance(value, Tensor):
        value = value._data
    if isinstance(value, np.ndarray) and value.ndim > 0:
        return Tensor._make(np.array(value, copy=True))
    if value is None:
        return None
    return float(value)


class _Run:
    """The iterations of one ``LBFGS.step`` call, with the history as NumPy vectors."""

    def __init__(
        self,
        optimizer: LBFGS,
        closure: Callable[[], Any],
        group: dict[str, Any],
        state: dict[str, Any],
        loss: float,
        flat_grad: np.ndarray,
    ) -> None:
        self.optimizer, self.closure, self.group = optimizer, closure, group
        self.state = state
        self.loss, self.flat_grad = loss, flat_grad
        self.evals = 1

        def array(name: str) -> np.ndarray | None:
            value = state.get(name)
            return None if value is None else value._data

        self.d = array("d")
        self.prev_flat_grad = array("prev_flat_grad")
        self.t = state.get("t")
        self.prev_loss = state.get("prev_loss")
        self.h_diag = state.get("H_diag", 1.0)
        self.old_dirs = [v._data for v in state.get("old_dirs", [])]
        self.old_stps = [v._data for v in state.get("old_stps", [])]
        self.ro = list(state.get("ro", []))

    def iterate(self) -> None:
        n_iter = 0
        max_iter = self.group["max_iter"]
        while n_iter < max_iter:
            n_iter += 1
            self.state["n_iter"] += 1
            self._choose_direction()
            self.prev_flat_grad = np.array(self.flat_grad, copy=True)
            self.prev_loss = self.loss
            first = self.state["n_iter"] == 1
            if first:
                with np.errstate(divide="ignore"):
                    inverse_l1 = 1.0 / float(np.sum(np.abs(self.flat_grad)))
                self.t = min(1.0, inverse_l1) * self.group["lr"]
            else:
                self.t = self.group["lr"]
            gtd = float(np.dot(self.flat_grad, self.d))
            if gtd > -self.group["tolerance_change"]:
                break  # not a descent direction any more
            converged = self._take_step(gtd, last=n_iter == max_iter)
            if n_iter == max_iter or self.evals >= self.group["max_eval"] or converged:
                break
            if self._stalled():
                break

    def _choose_direction(self) -> None:
        """d ← −g on the very first iteration, else the two-loop direction after adding the
        newest (s, y) pair to the history."""
        if self.state["n_iter"] == 1:
            self.d = np.negative(self.flat_grad)
            self.old_dirs, self.old_stps, self.ro, self.h_diag = [], [], [], 1.0
            return
        y = self.flat_grad - self.prev_flat_grad
        s = self.d * self.t
        ys = float(np.dot(y, s))
        if ys > 1e-10:  # keep only pairs of positive curvature (H stays positive definite)
            if len(self.old_dirs) == self.group["history_size"]:
                del self.old_dirs[0], self.old_stps[0], self.ro[0]
            self.old_dirs.append(y)
            self.old_stps.append(s)
            self.ro.append(1.0 / ys)
            self.h_diag = ys / float(np.dot(y, y))
        self.d = lbfgs_direction(self.flat_grad, self.old_dirs, self.old_stps, self.ro, self.h_diag)

    def _take_step(self, gtd: float, last: bool) -> bool:
        """Move along d; returns whether the new gradient is below ``tolerance_grad``."""
        opt = self.optimizer
        if self.group["line_search_fn"] == "strong_wolfe":
            x_start = [np.array(p._data, copy=True) for p in opt._params]

            def evaluate(t: float) -> tuple[float, np.ndarray]:
                opt._add_to_params(t, self.d)
                _, loss, flat_grad = opt._evaluate(self.closure)
                opt._set_params(x_start)
                return loss, flat_grad

            self.loss, self.flat_grad, self.t, evals = strong_wolfe(
                evaluate,
                self.t,
                self.d,
                self.loss,
                self.flat_grad,
                gtd,
                max_ls=self.group["max_eval"] - self.evals,
            )
            opt._add_to_params(self.t, self.d)
        else:
            opt._add_to_params(self.t, self.d)
            if last:  # no use evaluating again after the last iteration
                return False
            _, self.loss, self.flat_grad = opt._evaluate(self.closure)
            evals = 1
        self.evals += evals
        self.state["func_evals"] += evals
        return bool(np.max(np.abs(self.flat_grad)) <= self.group["tolerance_grad"])

    def _stalled(self) -> bool:
        tolerance = self.group["tolerance_change"]
        if np.max(np.abs(self.d * self.t)) <= tolerance:
            return True
        return abs(self.loss - self.prev_loss) < tolerance

    def save(self, state: dict[str, Any]) -> None:
        state["d"] = Tensor._make(self.d)
        state["t"] = float(self.t)
        state["old_dirs"] = [Tensor._make(v) for v in self.old_dirs]
        state["old_stps"] = [Tensor._make(v) for v in self.old_stps]
        state["ro"] = list(self.ro)
        state["H_diag"] = float(self.h_diag)
        state["prev_flat_grad"] = Tensor._make(self.prev_flat_grad)
        state["prev_loss"] = float(self.prev_loss)
