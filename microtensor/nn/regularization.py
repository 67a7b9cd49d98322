"""L1 and L2 penalties on a model's parameters, to add to a loss.

    loss = criterion(model(x), y) + nn.utils.l2_penalty(model, weight_decay=1e-4)

``l2_penalty`` is (λ/2)·Σ‖w‖², whose gradient λ·w is exactly what ``SGD(weight_decay=λ)`` adds
to each gradient: the same regularisation, written as part of the objective. (With adaptive
optimizers such as Adam the two differ, which is the point of AdamW.) ``l1_penalty`` is λ·Σ|w|,
which pushes weights to exactly zero (sparsity); its gradient is λ·sign(w).

Biases are usually left out of weight decay; ``skip_bias=True`` skips parameters named "bias"
(for a plain list of tensors: the 1-D ones).
"""

from __future__ import annotations

from collections.abc import Iterable

from microtensor.nn.module import Module
from microtensor.tensor import Tensor

__all__ = ["l1_penalty", "l2_penalty"]


def _selected(parameters: Module | Iterable[Tensor], skip_bias: bool) -> list[Tensor]:
    if isinstance(parameters, Module):
        return [p for name, p in parameters.named_parameters()
                if not (skip_bias and name.rsplit(".", 1)[-1] == "bias")]
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    return [p for p in params if not (skip_bias and p.ndim == 1)]


def _total(terms: list[Tensor]) -> Tensor:
    if not terms:
        raise ValueError("no parameters to penalise")
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


def l2_penalty(parameters: Module | Iterable[Tensor], weight_decay: float = 1.0,
               skip_bias: bool = False) -> Tensor:
    """(weight_decay / 2) · Σ w² over the parameters (a differentiable scalar)."""
    terms = [(p * p).sum() for p in _selected(parameters, skip_bias)]
    return _total(terms) * (weight_decay / 2)


def l1_penalty(parameters: Module | Iterable[Tensor], weight: float = 1.0,
               skip_bias: bool = False) -> Tensor:
    """weight · Σ |w| over the parameters (a differentiable scalar)."""
    terms = [p.abs().sum() for p in _selected(parameters, skip_bias)]
    return _total(terms) * weight
