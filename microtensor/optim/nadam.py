"""NAdam: Adam with Nesterov momentum (Dozat, 2016)."""

from __future__ import annotations

from typing import Any

import numpy as np

from microtensor.optim.optimizer import Optimizer, ParamsT
from microtensor.tensor import Tensor

__all__ = ["NAdam", "nadam_update"]


def nadam_update(
    param: np.ndarray,
    grad: np.ndarray,
    exp_avg: np.ndarray,
    exp_avg_sq: np.ndarray,
    *,
    step: int,
    mu_product: float,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    momentum_decay: float,
    decoupled_weight_decay: bool,
    maximize: bool,
) -> float:
    """One NAdam step on ``param``; buffers updated in place. Returns the new ``mu_product``.

    With gradient g, learning rate γ, decay rates β₁ β₂, momentum decay ψ, weight decay λ and step
    count t (1 on the first step); ``mu_product`` is ∏ μ₁…μₜ₋₁ (1 before the first step)::

        g ← −g                                    if maximize
        θ ← θ·(1 − γλ)                            if λ ≠ 0 and decoupled
        g ← g + λ·θ                               if λ ≠ 0 and not decoupled
        μₜ   ← β₁·(1 − ½·0.96^(t·ψ))              momentum schedule (warms up towards β₁)
        μₜ₊₁ ← β₁·(1 − ½·0.96^((t+1)·ψ))
        m ← β₁·m + (1 − β₁)·g
        v ← β₂·v + (1 − β₂)·g²
        d ← √(v / (1 − β₂ᵗ)) + ε
        θ ← θ − γ·(1 − μₜ)/(1 − ∏ᵢ₌₁ᵗ μᵢ) · g/d − γ·μₜ₊₁/(1 − ∏ᵢ₌₁ᵗ⁺¹ μᵢ) · m/d

    The last line is Nesterov's look-ahead: the current gradient and the momentum of the
    *next* step, each with its own bias correction.
    """
    g = np.negative(grad) if maximize else grad
    if weight_decay != 0:
        if decoupled_weight_decay:
            param *= 1 - lr * weight_decay
        else:
            g = g + weight_decay * param

    mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * momentum_decay))
    mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * momentum_decay))
    mu_product = mu_product * mu
    mu_product_next = mu_product * mu_next

    tmp = np.empty_like(param)  # scratch arrays, reused below
    denom = np.empty_like(param)

    # m ← m + (1 − β₁)·(g − m), which is β₁·m + (1 − β₁)·g
    np.subtract(g, exp_avg, out=tmp)
    tmp *= 1 - beta1
    exp_avg += tmp
    # v ← β₂·v + (1 − β₂)·g²
    np.multiply(g, g, out=tmp)
    tmp *= 1 - beta2
    exp_avg_sq *= beta2
    exp_avg_sq += tmp
    # d ← √(v / (1 − β₂ᵗ)) + ε
    np.divide(exp_avg_sq, 1 - beta2**step, out=denom)
    np.sqrt(denom, out=denom)
    denom += eps

    np.divide(g, denom, out=tmp)
    tmp *= lr * (1.0 - mu) / (1.0 - mu_product)
    param -= tmp
    np.divide(exp_avg, denom, out=tmp)
    tmp *= lr * mu_next / (1.0 - mu_product_next)
    param -= tmp
    return mu_product


class NAdam(Optimizer):
    """NAdam (``torch.optim.NAdam``); the update is :func:`nadam_update`.

    Args:
        params: parameters, or dicts defining parameter groups.
        lr: learning rate γ (default 2e-3).
        betas: (β₁, β₂) (default (0.9, 0.999)).
        eps: ε added to the denominator (default 1e-8).
        weight_decay: λ (default 0).
        momentum_decay: ψ (default 4e-3).
        decoupled_weight_decay: shrink θ by γλ·θ (as AdamW) instead of adding λθ to g.
        maximize: ascend the objective instead of descending.

    State per parameter: ``"step"``, ``"mu_product"`` (float), ``"exp_avg"``, ``"exp_avg_sq"``.
    """

    _scalar_state = {"step": int, "mu_product": float}  # numbers, not buffers

    def __init__(
        self,
        params: ParamsT,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum_decay: float = 4e-3,
        decoupled_weight_decay: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            betas=tuple(betas),
            eps=eps,
            weight_decay=weight_decay,
            momentum_decay=momentum_decay,
            decoupled_weight_decay=decoupled_weight_decay,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def _validate_group(self, group: dict[str, Any]) -> None:
        super()._validate_group(group)
        if not group["momentum_decay"] >= 0.0:
            raise ValueError(
                f"Invalid momentum_decay value: {group['momentum_decay']} (it must be >= 0)"
            )

    def _update(self, p: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        """Apply :func:`nadam_update` to one parameter."""
        beta1, beta2 = group["betas"]
        if len(state) == 0:
            state["step"] = 0
            state["mu_product"] = 1.0
            state["exp_avg"] = self._zeros_like(p)
            state["exp_avg_sq"] = self._zeros_like(p)
        state["step"] += 1
        state["mu_product"] = nadam_update(
            p._data,
            p.grad._data,
            state["exp_avg"]._data,
            state["exp_avg_sq"]._data,
            step=state["step"],
            mu_product=state["mu_product"],
            lr=group["lr"],
            beta1=beta1,
            beta2=beta2,
            eps=group["eps"],
            weight_decay=group["weight_decay"],
            momentum_decay=group["momentum_decay"],
            decoupled_weight_decay=group["decoupled_weight_decay"],
            maximize=group["maximize"],
        )
