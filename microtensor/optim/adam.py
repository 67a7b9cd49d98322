"""Adam (Kingma & Ba, 2015) and AdamW (Loshchilov & Hutter, 2019)."""

from __future__ import annotations

from typing import Any

import numpy as np

from microtensor.optim.optimizer import Optimizer, ParamsT
from microtensor.tensor import Tensor

__all__ = ["Adam", "AdamW", "adam_update"]


def adam_update(
    param: np.ndarray,
    grad: np.ndarray,
    exp_avg: np.ndarray,
    exp_avg_sq: np.ndarray,
    max_exp_avg_sq: np.ndarray | None,
    *,
    step: int,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    amsgrad: bool,
    maximize: bool,
    decoupled_weight_decay: bool,
) -> None:
    """One Adam/AdamW step on ``param``; the moment buffers are updated in place.

    With gradient g, learning rate γ, decay rates β₁ β₂, weight decay λ and step count t
    (1 on the first step)::

        g ← −g                            if maximize
        θ ← θ·(1 − γλ)                    if λ ≠ 0 and decoupled (AdamW)
        g ← g + λ·θ                       if λ ≠ 0 and not decoupled (Adam's L2 penalty)
        m ← β₁·m + (1 − β₁)·g             running mean of the gradient
        v ← β₂·v + (1 − β₂)·g²            running mean of its square
        v̂ ← max(v̂, v); use v̂ for v below  if amsgrad
        m̂ ← m / (1 − β₁ᵗ)                 bias corrections: m and v start at 0
        v̂ ← v / (1 − β₂ᵗ)
        θ ← θ − γ · m̂ / (√v̂ + ε)

    As in PyTorch, the correction of m is folded into the step size and ε is added after the
    square root of the corrected v.
    """
    g = np.negative(grad) if maximize else grad
    if weight_decay != 0:
        if decoupled_weight_decay:
            param *= 1 - lr * weight_decay
        else:
            g = g + weight_decay * param

    tmp = np.empty_like(param)  # one scratch array, reused by every line below

    # m ← m + (1 − β₁)·(g − m), which is β₁·m + (1 − β₁)·g
    np.subtract(g, exp_avg, out=tmp)
    tmp *= 1 - beta1
    exp_avg += tmp
    # v ← β₂·v + (1 − β₂)·g²
    np.multiply(g, g, out=tmp)
    tmp *= 1 - beta2
    exp_avg_sq *= beta2
    exp_avg_sq += tmp

    bias_correction1 = 1 - beta1**step
    bias_correction2 = 1 - beta2**step
    step_size = lr / bias_correction1
    if amsgrad:
        np.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
        second = max_exp_avg_sq
    else:
        second = exp_avg_sq
    # denominator √v / √(1 − β₂ᵗ) + ε
    np.sqrt(second, out=tmp)
    tmp /= bias_correction2**0.5
    tmp += eps
    # θ ← θ − (γ / (1 − β₁ᵗ)) · m / denominator
    np.divide(exp_avg, tmp, out=tmp)
    tmp *= step_size
    param -= tmp


class Adam(Optimizer):
    """Adam (``torch.optim.Adam``); the update is :func:`adam_update`.

    Args:
        params: parameters, or dicts defining parameter groups.
        lr: learning rate γ (default 1e-3).
        betas: (β₁, β₂), decay rates of the running means of g and g² (default (0.9, 0.999)).
        eps: ε added to the denominator (default 1e-8).
        weight_decay: λ (default 0); an L2 penalty added to the gradient, unless
            ``decoupled_weight_decay`` is set, which gives AdamW.
        amsgrad: use the running maximum of v (Reddi et al., 2018).
        maximize: ascend the objective instead of descending.
        decoupled_weight_decay: shrink θ directly by γλ·θ instead of adding λθ to g.

    State per parameter: ``"step"`` (int), ``"exp_avg"``, ``"exp_avg_sq"`` and, with amsgrad,
    ``"max_exp_avg_sq"``.
    """

    _scalar_state = {"step": int}  # a number, not a buffer (see Optimizer._scalar_state)

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        decoupled_weight_decay: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            betas=tuple(betas),
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
            decoupled_weight_decay=decoupled_weight_decay,
        )
        super().__init__(params, defaults)

    def _update(self, p: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        """Apply :func:`adam_update` to one parameter."""
        beta1, beta2 = group["betas"]
        amsgrad = group["amsgrad"]
        if len(state) == 0:
            state["step"] = 0
            state["exp_avg"] = self._zeros_like(p)
            state["exp_avg_sq"] = self._zeros_like(p)
        if amsgrad and "max_exp_avg_sq" not in state:
            state["max_exp_avg_sq"] = self._zeros_like(p)
        state["step"] += 1
        adam_update(
            p._data,
            p.grad._data,
            state["exp_avg"]._data,
            state["exp_avg_sq"]._data,
            state["max_exp_avg_sq"]._data if amsgrad else None,
            step=state["step"],
            lr=group["lr"],
            beta1=beta1,
            beta2=beta2,
            eps=group["eps"],
            weight_decay=group["weight_decay"],
            amsgrad=amsgrad,
            maximize=group["maximize"],
            decoupled_weight_decay=group["decoupled_weight_decay"],
        )


class AdamW(Adam):
    """AdamW (``torch.optim.AdamW``): Adam with decoupled weight decay.

    Identical to ``Adam(..., decoupled_weight_decay=True)``, with PyTorch's default
    ``weight_decay=1e-2``. The update is :func:`adam_update`: before the Adam step, each weight
    shrinks by the factor (1 − γλ) instead of having λθ added to its gradient, so the decay is not
    rescaled by the adaptive denominator.
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
            decoupled_weight_decay=True,
        )
