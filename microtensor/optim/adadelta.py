"""Adadelta (Zeiler, 2012): per-coordinate steps with units of the parameter."""

from __future__ import annotations

from typing import Any

import numpy as np

from microtensor.optim.optimizer import Optimizer, ParamsT
from microtensor.tensor import Tensor

__all__ = ["Adadelta", "adadelta_update"]


def adadelta_update(
    param: np.ndarray,
    grad: np.ndarray,
    square_avg: np.ndarray,
    acc_delta: np.ndarray,
    *,
    lr: float,
    rho: float,
    eps: float,
    weight_decay: float,
    maximize: bool,
) -> None:
    """One Adadelta step on ``param``; both running means are updated in place.

    With gradient g, learning rate γ, decay ρ, weight decay λ; v and u start at zero::

        g ← −g                          if maximize
        g ← g + λ·θ                     if λ ≠ 0
        v ← ρ·v + (1 − ρ)·g²            running mean of the squared gradient
        Δ ← √(u + ε) / √(v + ε) · g     the step: RMS of past steps over RMS of gradients
        u ← ρ·u + (1 − ρ)·Δ²            running mean of the squared step
        θ ← θ − γ·Δ

    The ratio of the two RMS values gives Δ the units of θ, which is why the default γ is 1.
    """
    g = np.negative(grad) if maximize else grad
    if weight_decay != 0:
        g = g + weight_decay * param

    tmp = np.empty_like(param)
    delta = np.empty_like(param)
    # v ← ρ·v + (1 − ρ)·g²
    np.multiply(g, g, out=tmp)
    tmp *= 1 - rho
    square_avg *= rho
    square_avg += tmp
    # Δ ← √(u + ε) / √(v + ε) · g
    np.add(acc_delta, eps, out=delta)
    np.sqrt(delta, out=delta)
    np.add(square_avg, eps, out=tmp)
    np.sqrt(tmp, out=tmp)
    delta /= tmp
    delta *= g
    # u ← ρ·u + (1 − ρ)·Δ²
    np.multiply(delta, delta, out=tmp)
    tmp *= 1 - rho
    acc_delta *= rho
    acc_delta += tmp
    # θ ← θ − γ·Δ
    delta *= lr
    param -= delta


class Adadelta(Optimizer):
    """Adadelta (``torch.optim.Adadelta``); the update is :func:`adadelta_update`.

    Args:
        params: parameters, or dicts defining parameter groups.
        lr: γ, a factor on the step Δ (default 1.0).
        rho: ρ, decay rate of the running means (default 0.9), in [0, 1].
        eps: ε inside both square roots (default 1e-6).
        weight_decay: L2 penalty λ (default 0).
        maximize: ascend the objective instead of descending.

    State per parameter: ``"step"`` (int), ``"square_avg"`` (v), ``"acc_delta"`` (u).
    """

    _scalar_state = {"step": int}

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _validate_group(self, group: dict[str, Any]) -> None:
        super()._validate_group(group)
        if not 0.0 <= group["rho"] <= 1.0:
            raise ValueError(f"Invalid rho value: {group['rho']} (it must be in [0, 1])")

    def _update(self, p: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        """Apply :func:`adadelta_update` to one parameter."""
        if len(state) == 0:
            state["step"] = 0
            state["square_avg"] = self._zeros_like(p)
            state["acc_delta"] = self._zeros_like(p)
        state["step"] += 1
        adadelta_update(
            p._data,
            p.grad._data,
            state["square_avg"]._data,
            state["acc_delta"]._data,
            lr=group["lr"],
            rho=group["rho"],
            eps=group["eps"],
            weight_decay=group["weight_decay"],
            maximize=group["maximize"],
        )
