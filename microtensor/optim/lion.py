"""Lion: EvoLved Sign Momentum (Chen et al., 2023, "Symbolic Discovery of Optimization
Algorithms"). PyTorch has no Lion; this follows the paper's Algorithm 2."""

from __future__ import annotations

from typing import Any

import numpy as np

from microtensor.optim.optimizer import Optimizer, ParamsT
from microtensor.tensor import Tensor

__all__ = ["Lion", "lion_update"]


def lion_update(
    param: np.ndarray,
    grad: np.ndarray,
    exp_avg: np.ndarray,
    *,
    lr: float,
    beta1: float,
    beta2: float,
    weight_decay: float,
    maximize: bool,
) -> None:
    """One Lion step on ``param``; the momentum ``exp_avg`` is updated in place.

    With gradient g, learning rate γ, (β₁, β₂) and decoupled weight decay λ::

        g ← −g                        if maximize
        c ← β₁·m + (1 − β₁)·g         interpolate momentum and gradient
        θ ← θ − γ·(sign(c) + λ·θ)     every coordinate moves by exactly γ (plus the decay)
        m ← β₂·m + (1 − β₂)·g         then update the momentum, with a slower β₂

    Because the step is a sign, its size does not depend on the gradient's scale: Lion wants a
    learning rate 3-10x smaller than AdamW's, and a weight decay 3-10x larger, for the same
    effective decay γλ.
    """
    g = np.negative(grad) if maximize else grad
    tmp = np.empty_like(param)  # one scratch array, reused below

    # c = m + (1 − β₁)·(g − m), which is β₁·m + (1 − β₁)·g
    np.subtract(g, exp_avg, out=tmp)
    tmp *= 1 - beta1
    tmp += exp_avg
    # θ ← θ − γ·λ·θ − γ·sign(c)   (the decay uses θ before the step, as in the formula)
    update = np.sign(tmp)  # a new array: NumPy's sign with out= its input is ~10x slower
    update *= lr
    if weight_decay != 0:
        param *= 1 - lr * weight_decay
    param -= update
    # m ← β₂·m + (1 − β₂)·g
    np.multiply(g, 1 - beta2, out=tmp)
    exp_avg *= beta2
    exp_avg += tmp


class Lion(Optimizer):
    """Lion (Chen et al., 2023); the update is :func:`lion_update`. Not part of PyTorch.

    Args:
        params: parameters, or dicts defining parameter groups.
        lr: learning rate γ (default 1e-4).
        betas: (β₁, β₂) (default (0.9, 0.99)).
        weight_decay: decoupled weight decay λ (default 0).
        maximize: ascend the objective instead of descending.

    State per parameter: ``"exp_avg"`` (the momentum m).
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-4,
        betas: tuple[float, float] = (0.9, 0.99),
        weight_decay: float = 0.0,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = dict(lr=lr, betas=tuple(betas), weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _update(self, p: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        """Apply :func:`lion_update` to one parameter."""
        beta1, beta2 = group["betas"]
        if len(state) == 0:
            state["exp_avg"] = self._zeros_like(p)
        lion_update(
            p._data,
            p.grad._data,
            state["exp_avg"]._data,
            lr=group["lr"],
            beta1=beta1,
            beta2=beta2,
            weight_decay=group["weight_decay"],
            maximize=group["maximize"],
        )
