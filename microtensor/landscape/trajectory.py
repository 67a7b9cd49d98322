"""Run a real optimizer on a 2-D test function and record where it goes.

The point x is an ordinary parameter (a float64 Tensor with ``requires_grad=True``) and each step
is the training loop in miniature::

    optimizer.zero_grad(); loss = fn(x); loss.backward(); optimizer.step()

so the path drawn on the contour plot is exactly what ``mt.optim.Adam`` (or any other class) does
to a network's weights, one coordinate pair at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from microtensor.autograd.grad_mode import no_grad
from microtensor.tensor import Tensor

__all__ = ["Trajectory", "trajectory"]


@dataclass
class Trajectory:
    """The record of one optimizer run.

    Attributes:
        path: (steps + 1, d) positions; row 0 is the start, row t the point after t steps.
        losses: (steps + 1,) f at each row of ``path``.
        lrs: (steps,) the learning rate used by each step (schedulers change it).
        name: a label for plots and tables.
        diverged: True if the loss or the point became inf/nan; later rows are nan.
    """

    path: np.ndarray
    losses: np.ndarray
    lrs: np.ndarray
    name: str
    diverged: bool = False

    @property
    def final_point(self) -> np.ndarray:
        return self.path[-1]

    @property
    def final_loss(self) -> float:
        return float(self.losses[-1])

    def distance_to(self, point: Any) -> float:
        """‖final point − point‖ (nan if the run diverged)."""
        return float(np.linalg.norm(self.path[-1] - np.asarray(point, dtype=np.float64)))

    def steps_to(self, point: Any, radius: float) -> int | None:
        """The first step after which the path stays within ``radius`` of ``point`` (or None)."""
        inside = np.linalg.norm(self.path - np.asarray(point, dtype=np.float64), axis=1) <= radius
        if not inside[-1]:
            return None
        outside = np.flatnonzero(~inside)
        return 0 if outside.size == 0 else int(outside[-1] + 1)


def _label(optimizer_cls: Any, kwargs: dict[str, Any]) -> str:
    name = getattr(optimizer_cls, "__name__", type(optimizer_cls).__name__)
    args = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                     for k, v in kwargs.items())
    return f"{name}({args})"


def trajectory(fn: Callable[[Tensor], Tensor], optimizer_cls: Callable[..., Any], start: Any,
               steps: int, *, noise: float = 0.0, seed: int = 0,
               scheduler: Callable[[Any], Any] | None = None, name: str | None = None,
               **opt_kwargs: Any) -> Trajectory:
    """Minimise ``fn`` from ``start`` with ``optimizer_cls(**opt_kwargs)`` for ``steps`` steps.

    Args:
        fn: a scalar function of a 1-D Tensor (see :mod:`~microtensor.landscape.functions`).
        optimizer_cls: an optimizer class from ``mt.optim`` (or any callable
            ``(params, **opt_kwargs) -> optimizer``).
        start: the starting point (any length; 2 for plots).
        steps: the number of optimizer steps.
        noise: if > 0, add N(0, noise²·I) to the gradient before each step: a model of the
            noise in stochastic (mini-batch) gradients.
        seed: seeds the gradient noise.
        scheduler: optional ``optimizer -> lr scheduler`` (e.g.
            ``lambda opt: CosineAnnealingLR(opt, T_max=100)``), stepped after every step.
        name: a label (default: the class name and its arguments).
        **opt_kwargs: the optimizer's hyperparameters (``lr=0.01, momentum=0.9``, ...).

    Returns:
        A :class:`Trajectory` (path of shape (steps + 1, d)).
    """
    x0 = np.array(start.detach()._data if isinstance(start, Tensor) else start, dtype=np.float64)
    x = Tensor._make(x0.reshape(-1).copy(), requires_grad=True)
    optimizer = optimizer_cls([x], **opt_kwargs)
    sched = scheduler(optimizer) if scheduler is not None else None
    rng = np.random.default_rng(seed)
    path = np.full((steps + 1, x.numel()), np.nan)
    losses = np.full(steps + 1, np.nan)
    lrs = np.full(steps, np.nan)
    with np.errstate(over="ignore", invalid="ignore"):  # divergence is a result, not an error
        diverged = _run(fn, x, optimizer, sched, rng, noise, steps, path, losses, lrs)
    if diverged:  # everything from the first non-finite value on is nan
        bad = ~(np.isfinite(losses) & np.all(np.isfinite(path), axis=1))
        first = int(np.argmax(bad))
        path[first:], losses[first:] = np.nan, np.nan
    return Trajectory(path, losses, lrs, name or _label(optimizer_cls, opt_kwargs), diverged)


def _run(fn: Callable[[Tensor], Tensor], x: Tensor, optimizer: Any, sched: Any,
         rng: np.random.Generator, noise: float, steps: int, path: np.ndarray,
         losses: np.ndarray, lrs: np.ndarray) -> bool:
    """The loop of :func:`trajectory`; fills the arrays, returns whether it diverged."""
    for t in range(steps):
        optimizer.zero_grad()
        loss = fn(x)
        path[t], losses[t] = x._data, loss.item()
        if not (np.isfinite(losses[t]) and np.all(np.isfinite(path[t]))):
            return True
        loss.backward()
        if noise > 0 and x.grad is not None:
            x.grad = Tensor._make(x.grad._data + noise * rng.standard_normal(x.shape))
        lrs[t] = optimizer.param_groups[0]["lr"]
        optimizer.step()
        if sched is not None:
            sched.step()
    with no_grad():
        path[steps], losses[steps] = x._data, fn(x).item()
    return not (np.isfinite(losses[steps]) and np.all(np.isfinite(path[steps])))
