"""Adamax: Adam with the infinity norm (Kingma & Ba, 2015, section 7.1)."""

from __future__ import annotations

from typing import Any

import numpy as np

from microtensor.optim.optimizer import Optimizer, ParamsT
from microtensor.tensor import Tensor

__all__ = ["Adamax", "adamax_update"]


def adamax_update(
    param: np.ndarray,
    grad: np.ndarray,
    exp_avg: np.ndarray,
    exp_inf: np.ndarray,
    *,
    step: int,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    maximize: bool,
) -> None:
    """One Adamax step on ``param``; ``exp_avg`` and ``exp_inf`` are updated in place.

    With gradient g, learning rate γ, decay rates β₁ β₂, weight decay λ and step count t
    (1 on the first step); m and u start at zero::

        g ← −g                          if maximize
        g ← g + λ·θ                     if λ ≠ 0
        m ← β₁·m + (1 − β₁)·g           running mean of the gradient
        u ← max(β₂·u, |g| + ε)          decaying maximum of |g| (Adam's √v with p → ∞)
        θ ← θ − γ/(1 − β₁ᵗ) · m / u

    As in PyTorch, ε is added to |g| inside the maximum (so u ≥ ε and never divides by 0).
    """
    g = np.negative(grad) if maximize else grad
    if weight_decay != 0:
        g = g + weight_decay * param

    tmp = np.empty_like(param)
    # m ← m + (1 − β₁)·(g − m)
    np.subtract(g, exp_avg, out=tmp)
    tmp *= 1 - beta1
    exp_avg += tmp
    # u ← max(β₂·u, |g| + ε)
    np.abs(g, out=tmp)
    tmp += eps
    exp_inf *= beta2
    np.maximum(exp_inf, tmp, out=exp_inf)
    # θ ← θ − γ/(1 − β₁ᵗ) · m / u
    np.divide(exp_avg, exp_inf, out=tmp)
    tmp *= lr / (1 - beta1**step)
    param -= tmp


class Adamax(Optimizer):
    """Adamax (``torch.optim.Adamax``); the update is :func:`adamax_update`.

    Args:
        params: parameters, or dicts defining parameter groups.
        lr: learning rate γ (default 2e-3).
        betas: (β₁, β₂) (default (0.9, 0.999)).
        eps: ε added to |g| (default 1e-8).
        weight_decay: L2 penalty λ (default 0).
        maximize: ascend the objective instead of descending.

    State per parameter: ``"step"`` (int), ``"exp_avg"`` (m), ``"exp_inf"`` (u).
    """

    _scalar_state = {"step": int}

    def __init__(
        self,
        params: ParamsT,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, maximize=maximize
        )
        super().__init__(params, defaults)

    def _update(self, p: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        """Apply :func:`adamax_update` to one parameter."""
        beta1, beta2 = group["betas"]
        if len(state) == 0:
            state["step"] = 0
            state["exp_avg"] = self._zeros_like(p)
            state["exp_inf"] = self._zeros_like(p)
        state["step"] += 1
        adamax_update(
            p._data,
            p.grad._data,
            state["exp_avg"]._data,
            state["exp_inf"]._data,
            step=state["step"],
            lr=group["lr"],
            beta1=beta1,
            beta2=beta2,
            eps=group["eps"],
            weight_decay=group["weight_decay"],
            maximize=group["maximize"],
        )
