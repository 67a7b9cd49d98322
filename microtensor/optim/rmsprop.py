"""RMSprop (Hinton's lecture notes, 2012; centered variant from Graves, 2013)."""

from __future__ import annotations

from typing import Any

import numpy as np

from microtensor.optim.optimizer import Optimizer, ParamsT
from microtensor.tensor import Tensor

__all__ = ["RMSprop", "rmsprop_update"]


def rmsprop_update(
    param: np.ndarray,
    grad: np.ndarray,
    square_avg: np.ndarray,
    grad_avg: np.ndarray | None,
    momentum_buffer: np.ndarray | None,
    *,
    lr: float,
    alpha: float,
    eps: float,
    weight_decay: float,
    momentum: float,
    centered: bool,
    maximize: bool,
) -> None:
    """One RMSprop step on ``param``; the buffers are updated in place.

    With gradient g, learning rate γ, smoothing constant α, momentum μ, weight decay λ::

        g ← −g                        if maximize
        g ← g + λ·θ                   if λ ≠ 0
        v ← α·v + (1 − α)·g²          running mean of the squared gradient
        if centered:
            ḡ ← α·ḡ + (1 − α)·g       running mean of the gradient
            s ← √(v − ḡ²) + ε         (an estimate of the gradient's standard deviation)
        else:
            s ← √v + ε
        if μ > 0:
            b ← μ·b + g / s
            θ ← θ − γ·b
        else:
            θ ← θ − γ·g / s

    ``grad_avg`` is needed only when ``centered``, ``momentum_buffer`` only when ``momentum > 0``
    (both start at zero).
    """
    g = np.negative(grad) if maximize else grad
    if weight_decay != 0:
        g = g + weight_decay * param

    tmp = np.empty_like(param)  # one scratch array, reused below

    # v ← α·v + (1 − α)·g²
    np.multiply(g, g, out=tmp)
    tmp *= 1 - alpha
    square_avg *= alpha
    square_avg += tmp
    if centered:
        # ḡ ← ḡ + (1 − α)·(g − ḡ), then s ← √(v − ḡ²)
        np.subtract(g, grad_avg, out=tmp)
        tmp *= 1 - alpha
        grad_avg += tmp
        np.multiply(grad_avg, grad_avg, out=tmp)
        np.subtract(square_avg, tmp, out=tmp)
        np.sqrt(tmp, out=tmp)
    else:
        np.sqrt(square_avg, out=tmp)
    tmp += eps
    np.divide(g, tmp, out=tmp)  # g / s

    if momentum > 0:
        momentum_buffer *= momentum
        momentum_buffer += tmp
        np.multiply(momentum_buffer, lr, out=tmp)
    else:
        tmp *= lr
    param -= tmp


class RMSprop(Optimizer):
    """RMSprop (``torch.optim.RMSprop``); the update is :func:`rmsprop_update`.

    Args:
        params: parameters, or dicts defining parameter groups.
        lr: learning rate γ (default 1e-2).
        alpha: smoothing constant α of the running mean of g² (default 0.99).
        eps: ε added to the denominator (default 1e-8).
        weight_decay: L2 penalty λ (default 0).
        momentum: momentum factor μ (default 0).
        centered: divide by an estimate of the gradient's standard deviation instead of its
            root mean square.
        maximize: ascend the objective instead of descending.

    State per parameter: ``"step"``, ``"square_avg"``, and ``"momentum_buffer"`` (if
    ``momentum > 0``) and ``"grad_avg"`` (if ``centered``).
    """

    _scalar_state = {"step": int}  # a number, not a buffer

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            alpha=alpha,
            eps=eps,
            weight_decay=weight_decay,
            momentum=momentum,
            centered=centered,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def _validate_group(self, group: dict[str, Any]) -> None:
        super()._validate_group(group)
        if not group["momentum"] >= 0.0:
            raise ValueError(f"Invalid momentum value: {group['momentum']} (it must be >= 0)")
        if not group["alpha"] >= 0.0:
            raise ValueError(f"Invalid alpha value: {group['alpha']} (it must be >= 0)")

    def _update(self, p: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        """Apply :func:`rmsprop_update` to one parameter."""
        momentum = group["momentum"]
        centered = group["centered"]
        if len(state) == 0:
            state["step"] = 0
            state["square_avg"] = self._zeros_like(p)
        if momentum > 0 and "momentum_buffer" not in state:
            state["momentum_buffer"] = self._zeros_like(p)
        if centered and "grad_avg" not in state:
            state["grad_avg"] = self._zeros_like(p)
        state["step"] += 1
        rmsprop_update(
            p._data,
            p.grad._data,
            state["square_avg"]._data,
            state["grad_avg"]._data if centered else None,
            state["momentum_buffer"]._data if momentum > 0 else None,
            lr=group["lr"],
            alpha=group["alpha"],
            eps=group["eps"],
            weight_decay=group["weight_decay"],
            momentum=momentum,
            centered=centered,
            maximize=group["maximize"],
        )
