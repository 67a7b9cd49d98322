"""Stochastic gradient descent, with momentum, Nesterov momentum and weight decay."""

from __future__ import annotations

from typing import Any

import numpy as np

from microtensor.optim.optimizer import Optimizer, ParamsT
from microtensor.tensor import Tensor

__all__ = ["SGD", "sgd_update"]


def sgd_update(
    param: np.ndarray,
    grad: np.ndarray,
    momentum_buffer: np.ndarray | None,
    *,
    lr: float,
    momentum: float,
    dampening: float,
    nesterov: bool,
    weight_decay: float,
    maximize: bool,
) -> np.ndarray | None:
    """One SGD step on ``param``, in place. Returns the (new or updated) momentum buffer.

    With gradient g, learning rate γ, momentum μ, dampening τ and weight decay λ::

        g ← −g                       if maximize
        g ← g + λ·θ                  if λ ≠ 0          (L2 penalty ½λ‖θ‖² added to the loss)
        if μ ≠ 0:
            b ← g                    on the first step
            b ← μ·b + (1 − τ)·g      afterwards
            g ← g + μ·b              if nesterov       (look one momentum step ahead)
            g ← b                    otherwise
        θ ← θ − γ·g

    ``grad`` is never modified; ``momentum_buffer`` is updated in place (``None`` on the first
    step, or when ``momentum == 0``, in which case ``None`` is returned).
    """
    d = np.negative(grad) if maximize else grad
    if weight_decay != 0:
        d = d + weight_decay * param
    if momentum != 0:
        if momentum_buffer is None:
            momentum_buffer = np.array(d, dtype=param.dtype, copy=True)
        else:
            momentum_buffer *= momentum
            momentum_buffer += d if dampening == 0 else (1 - dampening) * d
        if nesterov:
            d = d + momentum * momentum_buffer
        else:
            d = momentum_buffer
    param -= lr * d
    return momentum_buffer


class SGD(Optimizer):
    """Stochastic gradient descent (``torch.optim.SGD``); the update is :func:`sgd_update`.

    Args:
        params: parameters, or dicts defining parameter groups.
        lr: learning rate γ (default 1e-3, as in PyTorch).
        momentum: momentum factor μ (default 0).
        dampening: dampening τ of the gradient added to the momentum buffer (default 0).
        weight_decay: L2 penalty λ (default 0).
        nesterov: use Nesterov momentum (needs ``momentum > 0`` and ``dampening == 0``).
        maximize: ascend the objective instead of descending.

    State per parameter: ``"momentum_buffer"`` (only when ``momentum != 0``).
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def _validate_group(self, group: dict[str, Any]) -> None:
        super()._validate_group(group)
        if not group["momentum"] >= 0.0:
            raise ValueError(f"Invalid momentum value: {group['momentum']} (it must be >= 0)")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("Nesterov momentum requires a momentum > 0 and zero dampening")

    def _update(self, p: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        """Apply :func:`sgd_update` to one parameter."""
        buf = state.get("momentum_buffer")
        new_buf = sgd_update(
            p._data,
            p.grad._data,
            buf._data if buf is not None else None,
            lr=group["lr"],
            momentum=group["momentum"],
            dampening=group["dampening"],
            nesterov=group["nesterov"],
            weight_decay=group["weight_decay"],
            maximize=group["maximize"],
        )
        if group["momentum"] != 0 and buf is None:
            state["momentum_buffer"] = Tensor._make(new_buf)
