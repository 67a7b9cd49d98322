"""ASGD: averaged stochastic gradient descent (Polyak & Juditsky, 1992)."""

from __future__ import annotations

from typing import Any

import numpy as np

from microtensor.optim.optimizer import Optimizer, ParamsT
from microtensor.tensor import Tensor

__all__ = ["ASGD", "asgd_update"]


def asgd_update(
    param: np.ndarray,
    grad: np.ndarray,
    ax: np.ndarray,
    *,
    step: int,
    eta: float,
    mu: float,
    lr: float,
    lambd: float,
    alpha: float,
    t0: float,
    weight_decay: float,
    maximize: bool,
) -> tuple[float, float]:
    """One ASGD step on ``param``; the average ``ax`` is updated in place.

    Returns the step size η and averaging rate μ of the *next* step. With gradient g, learning
    rate γ, decay term λ (``lambd``), power α, averaging start t₀, weight decay λ_wd and step
    count t (1 on the first step); η starts at γ and μ at 1::

        g ← −g                          if maximize
        g ← g + λ_wd·θ                  if λ_wd ≠ 0
        θ ← θ·(1 − λ·η)                 decay
        θ ← θ − η·g                     SGD step with the current step size
        θ̄ ← θ̄ + μ·(θ − θ̄)               running average of the iterates (θ̄ ← θ when μ = 1)
        η ← γ / (1 + λ·γ·t)^α           step size for the next step
        μ ← 1 / max(1, t − t₀)          averaging starts after t₀ steps

    The average θ̄ is kept in the state as ``"ax"``; like PyTorch, the optimizer never writes it
    back into the parameter (copy it yourself to evaluate the averaged model).
    """
    g = np.negative(grad) if maximize else grad
    if weight_decay != 0:
        g = g + weight_decay * param

    param *= 1 - lambd * eta
    param -= eta * g
    if mu != 1:
        ax += mu * (param - ax)
    else:
        ax[...] = param
    next_eta = lr / ((1 + lambd * lr * step) ** alpha)
    next_mu = 1 / max(1, step - t0)
    return next_eta, next_mu


class ASGD(Optimizer):
    """Averaged SGD (``torch.optim.ASGD``); the update is :func:`asgd_update`.

    Args:
        params: parameters, or dicts defining parameter groups.
        lr: learning rate γ (default 1e-2).
        lambd: decay term λ (default 1e-4).
        alpha: power α of the step-size decay (default 0.75).
        t0: the step after which averaging starts (default 1e6).
        weight_decay: L2 penalty (default 0).
        maximize: ascend the objective instead of descending.

    State per parameter: ``"step"`` (int), ``"eta"`` and ``"mu"`` (floats), ``"ax"`` (the
    average of the iterates).
    """

    _scalar_state = {"step": int, "eta": float, "mu": float}

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,
        lambd: float = 1e-4,
        alpha: float = 0.75,
        t0: float = 1e6,
        weight_decay: float = 0,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay, maximize=maximize
        )
        super().__init__(params, defaults)

    def _update(self, p: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        """Apply :func:`asgd_update` to one parameter."""
        if len(state) == 0:
            state["step"] = 0
            state["eta"] = float(group["lr"])
            state["mu"] = 1.0
            state["ax"] = self._zeros_like(p)
        state["step"] += 1
        state["eta"], state["mu"] = asgd_update(
            p._data,
            p.grad._data,
            state["ax"]._data,
            step=state["step"],
            eta=state["eta"],
            mu=state["mu"],
            lr=group["lr"],
            lambd=group["lambd"],
            alpha=group["alpha"],
            t0=group["t0"],
            weight_decay=group["weight_decay"],
            maximize=group["maximize"],
        )
