"""Helpers that let one backward formula run on arrays *and* on Tensors.

An op's ``backward`` gets NumPy arrays in an ordinary backward pass, and Tensors when the
backward pass is itself recorded (``create_graph=True``, for gradients of gradients). Operators
(``+ - * / ** @``), ``.reshape``, ``.sum(axis=..., keepdims=...)`` and ``.swapaxes`` mean the same
on both; the few functions below pick the NumPy function or the differentiable Tensor op.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from microtensor import ops
from microtensor.tensor import Tensor


def exp(x: Any) -> Any:
    return x.exp() if isinstance(x, Tensor) else np.exp(x)


def log(x: Any) -> Any:
    return x.log() if isinstance(x, Tensor) else np.log(x)


def sin(x: Any) -> Any:
    return x.sin() if isinstance(x, Tensor) else np.sin(x)


def cos(x: Any) -> Any:
    return x.cos() if isinstance(x, Tensor) else np.cos(x)


def tanh(x: Any) -> Any:
    return x.tanh() if isinstance(x, Tensor) else np.tanh(x)


def stable_sigmoid(x: np.ndarray) -> np.ndarray:
    """σ(x) = 1/(1+e⁻ˣ) on an array, without overflow: e^-|x| is at most 1."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


def sigmoid(x: Any) -> Any:
    return x.sigmoid() if isinstance(x, Tensor) else stable_sigmoid(x)


def broadcast_to(x: Any, shape: tuple[int, ...]) -> Any:
    return x.expand(shape) if isinstance(x, Tensor) else np.broadcast_to(x, shape)


def permute(x: Any, axes: tuple[int, ...]) -> Any:
    return x.permute(axes) if isinstance(x, Tensor) else np.transpose(x, axes)


# Masks select, they do not multiply: g * mask is nan where g is infinite and the mask 0
# (0 * inf), while the derivative there is 0. Hence ``keep``/``masked_fill``/``where`` below,
# which pick values with np.where (or the differentiable where op on Tensors).


def where(condition: np.ndarray, x: Any, y: Any) -> Any:
    """``x`` where the (constant) bool array ``condition`` is True, else ``y``."""
    if isinstance(x, Tensor) or isinstance(y, Tensor):
        return ops.elementwise.where(condition, x, y)
    return np.where(condition, x, y)


def masked_fill(x: Any, mask: np.ndarray, value: float) -> Any:
    """``x`` with ``value`` where the (constant) bool array ``mask`` is True."""
    if isinstance(x, Tensor):
        return ops.elementwise.where(mask, value, x)
    x = np.asarray(x)
    if value == 0:
        return keep(x, ~mask)
    # the value in x's dtype: a Python float would make NumPy's result float64
    return np.where(mask, x.dtype.type(value), x)


def keep(x: Any, mask: np.ndarray) -> Any:
    """``x`` where the (constant) bool array ``mask`` is True, 0 elsewhere."""
    if isinstance(x, Tensor):
        return ops.elementwise.where(mask, x, 0.0)
    x = np.asarray(x)
    # Fast path for large arrays: multiplying by the 0/1 mask is ~15x faster than np.where, and
    # exact when x is finite (0 * inf would be nan, which is why this is a selection).
    if x.size > 4096 and x.dtype.kind == "f" and np.isfinite(x).all():
        return x * mask
    return np.where(mask, x, x.dtype.type(0))


def zeros_like(x: Any) -> Any:
    """Zeros of x's shape and dtype; on a Tensor, still (trivially) a function of x."""
    if isinstance(x, Tensor):
        return ops.elementwise.where(np.True_, 0.0, x)
    return np.zeros_like(x)


def sign(x: Any) -> Any:
    """sign(x), with PyTorch's sign(nan) = 0; on a Tensor its derivative is 0."""
    return x.sign() if isinstance(x, Tensor) else ops.elementwise.torch_sign(x)


def abs(x: Any) -> Any:
    return x.abs() if isinstance(x, Tensor) else np.abs(x)


def data(x: Any) -> np.ndarray:
    """The values as an array (for masks and tests that are constants of the formula)."""
    return x._data if isinstance(x, Tensor) else x
