"""``mt.nn.utils``: gradient clipping, flattening parameters into one vector, and (re-exported
from ``regularization.py``) L1/L2 penalties."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from microtensor.autograd.grad_mode import no_grad
from microtensor.nn.regularization import l1_penalty, l2_penalty
from microtensor.nn.utils import rnn
from microtensor.ops.shape import cat, reshape
from microtensor.tensor import Tensor

__all__ = [
    "clip_grad_norm_", "clip_grad_value_", "l1_penalty", "l2_penalty", "parameters_to_vector",
    "vector_to_parameters",
]


def _as_list(parameters: Tensor | Iterable[Tensor]) -> list[Tensor]:
    return [parameters] if isinstance(parameters, Tensor) else list(parameters)


def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float,
                    norm_type: float = 2.0, error_if_nonfinite: bool = False,
                    foreach: bool | None = None) -> Tensor:
    """Rescale the gradients in place so that their joint norm is at most ``max_norm``.

    The total norm is the ``norm_type``-norm of all gradients concatenated into one vector
    (``inf`` for the largest absolute value). If it exceeds ``max_norm``, every gradient is
    multiplied by max_norm / (total_norm + 1e-6), so the direction of the step is unchanged.
    Returns the total norm (before clipping) as a 0-d tensor. ``foreach`` is accepted and
    ignored.
    """
    grads = [p.grad for p in _as_list(parameters) if p.grad is not None]
    max_norm, norm_type = float(max_norm), float(norm_type)
    if not grads:
        return Tensor._make(np.array(0.0, dtype=np.float32))
    arrays = [g._data for g in grads]
    if norm_type == math.inf:
        total = max(float(np.max(np.abs(a))) if a.size else 0.0 for a in arrays)
    elif norm_type == 2.0:
        flat = [a.reshape(-1).astype(np.float64) for a in arrays]
        total = math.sqrt(sum(float(f @ f) for f in flat))  # a dot product per gradient (BLAS)
    else:
        total = sum(float(np.sum(np.abs(a.astype(np.float64)) ** norm_type)) for a in arrays)
        total = total ** (1.0 / norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is "
            "non-finite, so it cannot be clipped. To disable this error and scale the gradients "
            "by the non-finite norm anyway, set `error_if_nonfinite=False`"
        )
    coefficient = min(max_norm / (total + 1e-6), 1.0)
    with no_grad():
        for g in grads:
            np.multiply(g._data, coefficient, out=g._data, casting="unsafe")
            g._bump_version()
    return Tensor._make(np.array(total, dtype=grads[0].dtype))


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float,
                     foreach: bool | None = None) -> None:
    """Clamp every gradient element to [-clip_value, clip_value], in place."""
    clip_value = float(clip_value)
    for p in _as_list(parameters):
        if p.grad is not None:
            np.clip(p.grad._data, -clip_value, clip_value, out=p.grad._data)
            p.grad._bump_version()


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All parameters flattened and concatenated into one 1-D tensor (differentiable)."""
    return cat([reshape(p, (-1,)) for p in parameters])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of the 1-D ``vec`` into the parameters, in place."""
    if not isinstance(vec, Tensor) or vec.ndim != 1:
        raise TypeError("vector_to_parameters expects a 1-D Tensor")
    params = list(parameters)
    total = sum(p.numel() for p in params)
    if vec.numel() != total:
        raise ValueError(
            f"vector_to_parameters: the vector has {vec.numel()} elements but the parameters "
            f"have {total}"
        )
    offset = 0
    with no_grad():
        for p in params:
            n = p.numel()
            np.copyto(p._data, vec._data[offset:offset + n].reshape(p.shape), casting="unsafe")
            p._bump_version()
            offset += n
