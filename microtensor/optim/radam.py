"""RAdam: Adam with a rectified adaptive learning rate (Liu et al., 2020)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from microtensor.optim.optimizer import Optimizer, ParamsT
from microtensor.tensor import Tensor

__all__ = ["RAdam", "radam_update"]


def radam_update(
    param: np.ndarray,
    grad: np.ndarray,
    exp_avg: np.ndarray,
    exp_avg_sq: np.ndarray,
    *,
    step: int,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    decoupled_weight_decay: bool,
    maximize: bool,
) -> None:
    """One RAdam step on ``param``; the moment buffers are updated in place.

    With gradient g, learning rate γ, decay rates β₁ β₂, weight decay λ and step count t
    (1 on the first step)::

        g ← −g                              if maximize
        θ ← θ·(1 − γλ)                      if λ ≠ 0 and decoupled (as AdamW)
        g ← g + λ·θ                         if λ ≠ 0 and not decoupled
        m ← β₁·m + (1 − β₁)·g
        v ← β₂·v + (1 − β₂)·g²
        m̂ ← m / (1 − β₁ᵗ)
        ρ∞ ← 2/(1 − β₂) − 1                 length of the simple moving average v stands for
        ρₜ ← ρ∞ − 2t·β₂ᵗ/(1 − β₂ᵗ)           its length after t steps
        if ρₜ > 5:                          v is reliable: Adam's step, rectified by r
            r ← √((ρₜ − 4)(ρₜ − 2)ρ∞ / ((ρ∞ − 4)(ρ∞ − 2)ρₜ))
            θ ← θ − γ·m̂·r·√(1 − β₂ᵗ)/(√v + ε)
        else:                               too few steps: plain momentum SGD
            θ ← θ − γ·m̂

    ε is added to √v before the bias correction of v, as in PyTorch.
    """
    g = np.negative(grad) if maximize else grad
    if weight_decay != 0:
        if decoupled_weight_decay:
            param *= 1 - lr * weight_decay
        else:
            g = g + weight_decay * param

    tmp = np.empty_like(param)
    # m ← m + (1 − β₁)·(g − m);  v ← β₂·v + (1 − β₂)·g²
    np.subtract(g, exp_avg, out=tmp)
    tmp *= 1 - beta1
    exp_avg += tmp
    np.multiply(g, g, out=tmp)
    tmp *= 1 - beta2
    exp_avg_sq *= beta2
    exp_avg_sq += tmp

    bias_correction1 = 1 - beta1**step
    bias_correction2 = 1 - beta2**step
    rho_inf = 2 / (1 - beta2) - 1
    rho_t = rho_inf - 2 * step * beta2**step / bias_correction2

    step_direction = exp_avg / bias_correction1  # m̂
    if rho_t > 5.0:
        rect = math.sqrt(
            (rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
        )
        np.sqrt(exp_avg_sq, out=tmp)
        tmp += eps
        np.divide(math.sqrt(bias_correction2), tmp, out=tmp)  # adaptive lr √(1 − β₂ᵗ)/(√v + ε)
        step_direction *= lr
        step_direction *= tmp
        step_direction *= rect
    else:
        step_direction *= lr
    param -= step_direction


class RAdam(Optimizer):
    """RAdam (``torch.optim.RAdam``); the update is :func:`radam_update`.

    Args:
        params: parameters, or dicts defining parameter groups.
        lr: learning rate γ (default 1e-3).
        betas: (β₁, β₂) (default (0.9, 0.999)).
        eps: ε added to √v (default 1e-8).
        weight_decay: λ (default 0).
        decoupled_weight_decay: shrink θ by γλ·θ (as AdamW) instead of adding λθ to g.
        maximize: ascend the objective instead of descending.

    State per parameter: ``"step"`` (int), ``"exp_avg"``, ``"exp_avg_sq"``.
    """

    _scalar_state = {"step": int}

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        decoupled_weight_decay: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            betas=tuple(betas),
            eps=eps,
            weight_decay=weight_decay,
            decoupled_weight_decay=decoupled_weight_decay,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def _update(self, p: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        """Apply :func:`radam_update` to one parameter."""
        beta1, beta2 = group["betas"]
        if len(state) == 0:
            state["step"] = 0
            state["exp_avg"] = self._zeros_like(p)
            state["exp_avg_sq"] = self._zeros_like(p)
        state["step"] += 1
        radam_update(
            p._data,
            p.grad._data,
            state["exp_avg"]._data,
            state["exp_avg_sq"]._data,
            step=state["step"],
            lr=group["lr"],
            beta1=beta1,
            beta2=beta2,
            eps=group["eps"],
            weight_decay=group["weight_decay"],
            decoupled_weight_decay=group["decoupled_weight_decay"],
            maximize=group["maximize"],
        )
