"""Adagrad (Duchi, Hazan & Singer, 2011)."""

from __future__ import annotations

from typing import Any

import numpy as np

from microtensor.optim.optimizer import Optimizer, ParamsT
from microtensor.tensor import Tensor

__all__ = ["Adagrad", "adagrad_update"]


def adagrad_update(
    param: np.ndarray,
    grad: np.ndarray,
    state_sum: np.ndarray,
    *,
    step: int,
    lr: float,
    lr_decay: float,
    weight_decay: float,
    eps: float,
    maximize: bool,
) -> None:
    """One Adagrad step on ``param``; ``state_sum`` is updated in place.

    With gradient g, learning rate γ, learning-rate decay η, weight decay λ and step count t
    (1 on the first step)::

        g ← −g                        if maximize
        g ← g + λ·θ                   if λ ≠ 0
        γₜ ← γ / (1 + (t − 1)·η)
        s ← s + g²                    sum of all squared gradients so far
        θ ← θ − γₜ · g / (√s + ε)

    Each coordinate's step shrinks as its gradients accumulate: rarely updated coordinates keep
    large steps.
    """
    g = np.negative(grad) if maximize else grad
    if weight_decay != 0:
        g = g + weight_decay * param
    clr = lr / (1 + (step - 1) * lr_decay)
    tmp = np.empty_like(param)  # one scratch array, reused below
    np.multiply(g, g, out=tmp)
    state_sum += tmp
    np.sqrt(state_sum, out=tmp)
    tmp += eps
    np.divide(g, tmp, out=tmp)
    tmp *= clr
    param -= tmp


class Adagrad(Optimizer):
    """Adagrad (``torch.optim.Adagrad``); the update is :func:`adagrad_update`.

    Args:
        params: parameters, or dicts defining parameter groups.
        lr: learning rate γ (default 1e-2).
        lr_decay: η, the learning rate at step t is γ / (1 + (t − 1)·η) (default 0).
        weight_decay: L2 penalty λ (default 0).
        initial_accumulator_value: starting value of the sum of squares (default 0).
        eps: ε added to the denominator (default 1e-10).
        maximize: ascend the objective instead of descending.

    State per parameter: ``"step"`` and ``"sum"``.
    """

    _scalar_state = {"step": int}  # a number, not a buffer

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            lr_decay=lr_decay,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            eps=eps,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def _validate_group(self, group: dict[str, Any]) -> None:
        super()._validate_group(group)
        if not group["lr_decay"] >= 0.0:
            raise ValueError(f"Invalid lr_decay value: {group['lr_decay']} (it must be >= 0)")
        if not group["initial_accumulator_value"] >= 0.0:
            raise ValueError(
                "Invalid initial_accumulator_value value: "
                f"{group['initial_accumulator_value']} (it must be >= 0)"
            )

    def _update(self, p: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        """Apply :func:`adagrad_update` to one parameter."""
        if len(state) == 0:
            state["step"] = 0
            state["sum"] = Tensor._make(np.full_like(p._data, group["initial_accumulator_value"]))
        state["step"] += 1
        adagrad_update(
            p._data,
            p.grad._data,
            state["sum"]._data,
            step=state["step"],
            lr=group["lr"],
            lr_decay=group["lr_decay"],
            weight_decay=group["weight_decay"],
            eps=group["eps"],
            maximize=group["maximize"],
        )
