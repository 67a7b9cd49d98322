"""Reductions: sum, mean, max/min, var/std, prod, logsumexp, softmax, log_softmax, norm.

A reduction z = Σᵢ xᵢ (over some axes) sends its gradient back to every element it summed:
dL/dxᵢ = dL/dz, i.e. the incoming gradient *broadcast* back over the reduced axes. That is why
each backward first reshapes ``grad`` to keep the reduced axes as size 1 (``keepdim`` form) and
then broadcasts. ``dim`` may be an int, a tuple, or None (all axes); negative dims count from the
end; NumPy's ``axis``/``keepdims`` spellings are accepted as aliases, as PyTorch does.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import numpy as np

from microtensor.autograd.function import Op
from microtensor.ops import array_or_tensor as either
from microtensor.ops.elementwise import _float, abs, norm_sqrt
from microtensor.ops.shape import normalize_dim
from microtensor.tensor import Tensor

ValuesIndices = namedtuple("ValuesIndices", ["values", "indices"])


def normalize_dims(dim: Any, ndim: int, op: str) -> tuple[int, ...]:
    """``dim`` (None, int or sequence) as a sorted tuple of non-negative axes."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, int | np.integer):
        axis = normalize_dim(int(dim), ndim, op)
        return (axis,) if ndim else ()  # a 0-d tensor accepts dim 0 or -1 but has no axis
    axes = tuple(sorted(normalize_dim(int(d), ndim, op) for d in dim))
    if not ndim:
        return ()
    if len(set(axes)) != len(axes):
        raise RuntimeError(f"{op}: dim {tuple(dim)} appears multiple times in the list of dims")
    return axes


def _keep_shape(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(1 if i in axes else size for i, size in enumerate(shape))


def _aliases(op: str, dim: Any, keepdim: bool, aliases: dict[str, Any]) -> tuple[Any, bool]:
    for name in aliases:
        if name not in ("axis", "keepdims"):
            raise TypeError(f"{op}() got an unexpected keyword argument '{name}'")
    return aliases.get("axis", dim), aliases.get("keepdims", keepdim)


# --------------------------------------------------------------------------- sum and mean


class SumOp(Op):
    """z = Σ x over ``axes``.  dL/dx = g broadcast back over the summed axes."""

    @staticmethod
    def forward(ctx, x, *, axes, keepdims):
        ctx.in_shape = x.shape
        ctx.keep_shape = _keep_shape(x.shape, axes)
        return np.sum(x, axis=axes, keepdims=keepdims)

    @staticmethod
    def backward(ctx, grad):
        return (either.broadcast_to(grad.reshape(ctx.keep_shape), ctx.in_shape),)


class MeanOp(Op):
    """z = (1/n) Σ x over ``axes`` (n elements each).  dL/dx = g/n broadcast back."""

    @staticmethod
    def forward(ctx, x, *, axes, keepdims):
        ctx.in_shape = x.shape
        ctx.keep_shape = _keep_shape(x.shape, axes)
        ctx.count = int(np.prod([x.shape[a] for a in axes]))
        return np.mean(x, axis=axes, keepdims=keepdims)

    @staticmethod
    def backward(ctx, grad):
        scaled = grad.reshape(ctx.keep_shape) * (1.0 / (ctx.count or 1))
        return (either.broadcast_to(scaled, ctx.in_shape),)


def sum(input: Tensor, dim: Any = None, keepdim: bool = False, **aliases: Any) -> Tensor:
    """Sum over ``dim`` (all elements if None)."""
    dim, keepdim = _aliases("sum", dim, keepdim, aliases)
    axes = normalize_dims(dim, input.ndim, "sum")
    if input._data.dtype.kind == "b":
        input = Tensor._make(input._data.astype(np.int64))
    return SumOp.apply(input, axes=axes, keepdims=keepdim)


def mean(input: Tensor, dim: Any = None, keepdim: bool = False, **aliases: Any) -> Tensor:
    """Mean over ``dim`` (all elements if None); needs a floating tensor, as in PyTorch."""
    dim, keepdim = _aliases("mean", dim, keepdim, aliases)
    if input._data.dtype.kind not in "fc":
        raise RuntimeError(
            f"mean: could not infer output dtype; input dtype is {input.dtype}, use .float() first"
        )
    axes = normalize_dims(dim, input.ndim, "mean")
    return MeanOp.apply(input, axes=axes, keepdims=keepdim)


# --------------------------------------------------------------------------- max and min


class MaxAlongDimOp(Op):
    """values = max of x along one axis (``indices`` kept in ctx).

    dL/dx = g at the position of each maximum (one per slice, the one ``indices`` names), else 0.
    """

    @staticmethod
    def forward(ctx, x, *, axis, keepdims, largest):
        index = np.argmax(x, axis=axis) if largest else np.argmin(x, axis=axis)
        index = np.expand_dims(index, axis)
        values = np.take_along_axis(x, index, axis=axis)
        ctx.save_for_backward(index)
        ctx.axis, ctx.in_shape = axis, x.shape
        ctx.indices = index if keepdims else np.squeeze(index, axis)
        return values if keepdims else np.squeeze(values, axis)

    @staticmethod
    def backward(ctx, grad):
        (index,) = ctx.saved_tensors
        axis, shape = ctx.axis, ctx.in_shape
        column = [-1 if i == axis else 1 for i in range(len(shape))]
        positions = np.arange(shape[axis]).reshape(column)
        one_hot = positions == index
        keep = list(shape)
        keep[axis] = 1
        return (grad.reshape(keep) * one_hot,)


class AMaxOp(Op):
    """z = max of x over ``axes`` (amax). dL/dx = g split evenly among the tied maxima."""

    @staticmethod
    def forward(ctx, x, *, axes, keepdims, largest):
        reduce = np.max if largest else np.min
        out = reduce(x, axis=axes, keepdims=True)
        is_extreme = x == out
        ctx.save_for_backward(is_extreme / is_extreme.sum(axis=axes, keepdims=True, dtype=x.dtype))
        ctx.keep_shape = out.shape
        return out if keepdims else np.squeeze(out, axes)

    @staticmethod
    def backward(ctx, grad):
        (share,) = ctx.saved_tensors
        return (grad.reshape(ctx.keep_shape) * share,)


def _extreme(input: Tensor, dim: Any, keepdim: bool, largest: bool, op: str) -> Any:
    if input.numel() == 0:
        raise RuntimeError(f"{op}(): expected a non-empty tensor")
    if dim is None:
        return AMaxOp.apply(input, axes=tuple(range(input.ndim)), keepdims=False, largest=largest)
    axis = normalize_dim(dim, input.ndim, op)
    if input.ndim == 0:
        return ValuesIndices(input, Tensor._make(np.asarray(0)))
    values = MaxAlongDimOp.apply(input, axis=axis, keepdims=keepdim, largest=largest)
    indices = values.grad_fn.indices if values.grad_fn is not None else _indices(
        input, axis, keepdim, largest)
    return ValuesIndices(values, Tensor._make(np.asarray(indices, dtype=np.int64)))


def _indices(input: Tensor, axis: int, keepdim: bool, largest: bool) -> np.ndarray:
    if input.ndim == 0:
        return np.asarray(0)
    index = np.argmax(input._data, axis=axis) if largest else np.argmin(input._data, axis=axis)
    return np.expand_dims(index, axis) if keepdim else index


def max(input: Tensor, dim: Any = None, keepdim: bool = False) -> Any:
    """Largest element (no dim), or ``(values, indices)`` along ``dim``, as in PyTorch."""
    if isinstance(dim, Tensor):  # torch.max(a, b) is the elementwise maximum
        from microtensor.ops.elementwise import maximum

        return maximum(input, dim)
    return _extreme(input, dim, keepdim, True, "max")


def min(input: Tensor, dim: Any = None, keepdim: bool = False) -> Any:
    """Smallest element (no dim), or ``(values, indices)`` along ``dim``."""
    if isinstance(dim, Tensor):
        from microtensor.ops.elementwise import minimum

        return minimum(input, dim)
    return _extreme(input, dim, keepdim, False, "min")


def amax(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    """Max over one or several dims; the gradient is shared evenly among ties."""
    axes = normalize_dims(dim, input.ndim, "amax")
    return AMaxOp.apply(input, axes=axes, keepdims=keepdim, largest=True)


def amin(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    axes = normalize_dims(dim, input.ndim, "amin")
    return AMaxOp.apply(input, axes=axes, keepdims=keepdim, largest=False)


def argmax(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """Index of the largest element (of the flattened tensor if dim is None)."""
    if dim is None:
        return Tensor._make(np.asarray(np.argmax(input._data), dtype=np.int64))
    axis = normalize_dim(dim, input.ndim, "argmax")
    return Tensor._make(_indices(input, axis, keepdim, True).astype(np.int64))


def argmin(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    if dim is None:
        return Tensor._make(np.asarray(np.argmin(input._data), dtype=np.int64))
    axis = normalize_dim(dim, input.ndim, "argmin")
    return Tensor._make(_indices(input, axis, keepdim, False).astype(np.int64))


# --------------------------------------------------------------------------- variance


def var(input: Tensor, dim: Any = None, *, correction: int = 1, keepdim: bool = False,
        unbiased: bool | None = None) -> Tensor:
    """Σ (x - mean)² / (n - correction); composed of differentiable ops, so its gradient
    2 (x - mean) / (n - correction) comes out of the chain rule."""
    if unbiased is not None:
        correction = 1 if unbiased else 0
    input = _float(input)
    axes = normalize_dims(dim, input.ndim, "var")
    count = int(np.prod([input.shape[a] for a in axes]))
    centered = input - mean(input, axes, keepdim=True)
    return sum(centered * centered, axes, keepdim=keepdim) / (count - correction)


def std(input: Tensor, dim: Any = None, *, correction: int = 1, keepdim: bool = False,
        unbiased: bool | None = None) -> Tensor:
    """√var (see ``var``); the gradient at a constant input (std 0) is 0, as in PyTorch."""
    return norm_sqrt(var(input, dim, correction=correction, keepdim=keepdim, unbiased=unbiased))


def norm(input: Tensor, p: float = 2, dim: Any = None, keepdim: bool = False) -> Tensor:
    """The p-norm (Σ|x|^p)^(1/p) over ``dim``; p may be ``float('inf')``.

    The 2-norm of a zero vector has gradient 0 (a subgradient), as in PyTorch."""
    if p == 2 or p == "fro":
        return norm_sqrt(sum(input * input, dim, keepdim))
    if p == 1:
        return sum(abs(input), dim, keepdim)
    if p == float("inf"):
        return amax(abs(input), dim, keepdim)
    return sum(abs(input) ** p, dim, keepdim) ** (1.0 / p)


# --------------------------------------------------------------------------- products


class ProdOp(Op):
    """z = Π x over one axis (or all).  dL/dxᵢ = g · Π_{j≠i} xⱼ.

    The product of the *other* elements is computed as (product of those before i) × (product of
    those after i) with cumulative products, so zeros in x are handled exactly.
    """

    @staticmethod
    def forward(ctx, x, *, axis, keepdims):
        out = np.prod(x, axis=axis, keepdims=keepdims)
        ctx.save_for_backward(x, out)
        ctx.axis = axis
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        axis = ctx.axis
        keep = list(x.shape)
        keep[axis] = 1
        grad = grad.reshape(keep)
        if isinstance(x, Tensor):  # recorded backward: z / x, valid while no element is zero
            if (x._data == 0).any():
                raise RuntimeError("prod: double backward through a product containing zeros "
                                   "is not supported")
            return (grad * out.reshape(keep) / x,)
        ones = np.ones_like(np.take(x, [0], axis=axis))
        before = np.cumprod(np.concatenate([ones, x], axis=axis), axis=axis)
        before = np.delete(before, -1, axis=axis)
        after = np.flip(np.cumprod(np.flip(np.concatenate([x, ones], axis=axis), axis), axis), axis)
        after = np.delete(after, 0, axis=axis)
        return (grad * before * after,)


def prod(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """Product of all elements, or along ``dim``."""
    if dim is None:
        return ProdOp.apply(input.reshape(-1), axis=0, keepdims=False)
    return ProdOp.apply(input, axis=normalize_dim(dim, input.ndim, "prod"), keepdims=keepdim)


# --------------------------------------------------------------------------- softmax family


class LogSumExpOp(Op):
    """z = log Σ eˣ, computed as m + log Σ e^(x-m) with m = max x (no overflow).

    dL/dx = g · e^(x - z) = g · softmax(x).
    """

    @staticmethod
    def forward(ctx, x, *, axes, keepdims):
        shift = np.max(x, axis=axes, keepdims=True)
        shift = np.where(np.isfinite(shift), shift, 0)
        out = np.log(np.sum(np.exp(x - shift), axis=axes, keepdims=True)) + shift
        ctx.keep_shape = out.shape
        out = out if keepdims else np.squeeze(out, axes)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        keep = ctx.keep_shape
        return (grad.reshape(keep) * either.exp(x - out.reshape(keep)),)


class SoftmaxOp(Op):
    """yᵢ = e^(xᵢ - m) / Σⱼ e^(xⱼ - m) along ``axis``.

    Jacobian dyᵢ/dxⱼ = yᵢ(δᵢⱼ - yⱼ), so dL/dx = y ⊙ (g - Σ g⊙y).
    """

    @staticmethod
    def forward(ctx, x, *, axis):
        e = np.exp(x - np.max(x, axis=axis, keepdims=True))
        out = e / np.sum(e, axis=axis, keepdims=True)
        ctx.save_for_backward(out)
        ctx.axis = axis
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return (out * (grad - (grad * out).sum(axis=ctx.axis, keepdims=True)),)


class LogSoftmaxOp(Op):
    """yᵢ = xᵢ - logsumexp(x) along ``axis``.  dL/dx = g - softmax(x) · Σ g = g - eʸ Σ g."""

    @staticmethod
    def forward(ctx, x, *, axis):
        shifted = x - np.max(x, axis=axis, keepdims=True)
        out = shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
        ctx.save_for_backward(out)
        ctx.axis = axis
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return (grad - either.exp(out) * grad.sum(axis=ctx.axis, keepdims=True),)


def logsumexp(input: Tensor, dim: Any, keepdim: bool = False) -> Tensor:
    """log Σ exp(x) over ``dim``, stable for large |x|."""
    input = _float(input)
    return LogSumExpOp.apply(input, axes=normalize_dims(dim, input.ndim, "logsumexp"),
                           keepdims=keepdim)


def softmax(input: Tensor, dim: int, dtype: Any = None) -> Tensor:
    """exp(x) / Σ exp(x) along ``dim`` (stable: the max is subtracted first)."""
    input = _float(input) if dtype is None else input.to(dtype)
    return SoftmaxOp.apply(input, axis=normalize_dim(dim, input.ndim, "softmax"))


def log_softmax(input: Tensor, dim: int, dtype: Any = None) -> Tensor:
    """x - logsumexp(x) along ``dim``; use it rather than log(softmax(x)) for stability."""
    input = _float(input) if dtype is None else input.to(dtype)
    return LogSoftmaxOp.apply(input, axis=normalize_dim(dim, input.ndim, "log_softmax"))
