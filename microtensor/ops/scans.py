"""Scans (cumulative reductions) along one dim: cumsum, cumprod, cummax, cummin, logcumsumexp.

A scan keeps every partial result: yᵢ = x₀ ∘ x₁ ∘ … ∘ xᵢ along ``dim``. Element xⱼ enters every
yᵢ with i ≥ j, so a backward gathers the gradients of all the *later* outputs: it is a scan too,
run from the end (a "reverse" scan). ``dim`` may be negative; a 0-d tensor is its own scan.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from microtensor.autograd.function import Op
from microtensor.ops import array_or_tensor as either
from microtensor.ops.elementwise import QUIET
from microtensor.ops.reduce import (
    _TORCH_NAMES,
    as_dtype,
    axis_alias,
    integer_result,
    return_types,
    take_along,
)
from microtensor.ops.shape import normalize_dim
from microtensor.tensor import Tensor

# --------------------------------------------------------------------------- helpers


def _reverse_cumsum_array(x: np.ndarray, axis: int) -> np.ndarray:
    """zⱼ = Σ_{i ≥ j} xᵢ along ``axis``."""
    return np.flip(np.cumsum(np.flip(x, axis), axis=axis), axis)


def _cumsum_either(x: Any, axis: int, reverse: bool) -> Any:
    """A (reverse) cumulative sum of an array, or of a Tensor (differentiably)."""
    if isinstance(x, Tensor):
        return CumsumOp.apply(x, axis=axis, reverse=reverse)
    return _reverse_cumsum_array(x, axis) if reverse else np.cumsum(x, axis=axis)


def _cumprod_either(x: Any, axis: int) -> Any:
    if isinstance(x, Tensor):
        return CumprodOp.apply(x, axis=axis)
    return np.cumprod(x, axis=axis)


def _scan_input(input: Tensor, dim: Any, dtype: Any, op: str) -> tuple[Tensor, int]:
    """The input in ``dtype`` (integers and bools as int64, as PyTorch) and the scan's axis."""
    axis = normalize_dim(dim, input.ndim, op)
    input = as_dtype(input, dtype)
    if dtype is None and input._data.dtype.kind in "biu" and input._data.dtype != np.int64:
        input = as_dtype(input, np.int64)
    return input, axis


def _as_vector(input: Tensor) -> Tensor:
    """A 0-d tensor as a 1-element vector (its scan is itself)."""
    return input.reshape(1) if input.ndim == 0 else input


def _like_input(result: Tensor, input: Tensor) -> Tensor:
    """The scan of a 0-d input back as 0-d."""
    return result.reshape(()) if input.ndim == 0 else result


# --------------------------------------------------------------------------- cumsum


class CumsumOp(Op):
    """yᵢ = Σ_{j ≤ i} xⱼ along ``axis`` (``reverse``: yᵢ = Σ_{j ≥ i} xⱼ).

    dL/dxⱼ = Σ_{i ≥ j} gᵢ: the reverse cumulative sum of g (and the backward of a reverse
    cumsum is a forward one). Linear in g, so double backward is this op again."""

    @staticmethod
    def forward(ctx, x, *, axis, reverse=False):
        ctx.axis, ctx.reverse = axis, reverse
        return _reverse_cumsum_array(x, axis) if reverse else np.cumsum(x, axis=axis)

    @staticmethod
    def backward(ctx, grad):
        return (_cumsum_either(grad, ctx.axis, not ctx.reverse),)


def cumsum(input: Tensor, dim: int | None = None, *, dtype: Any = None,
           **aliases: Any) -> Tensor:
    """Cumulative sum along ``dim``; integer and bool tensors give int64, as in PyTorch; with
    ``dtype`` the input is converted first."""
    dim = _required_dim(axis_alias("cumsum", dim, aliases), "cumsum")
    input, axis = _scan_input(input, dim, dtype, "cumsum")
    result = CumsumOp.apply(_as_vector(input), axis=axis)
    return integer_result(_like_input(result, input), input._data.dtype) if (
        input._data.dtype.kind in "biu") else _like_input(result, input)


def _required_dim(dim: Any, op: str) -> Any:
    if dim is None:
        raise TypeError(f'{op}() missing 1 required positional argument: "dim"; a scan runs '
                        f"along one dim, e.g. x.{op}(0) or x.{op}(dim=-1)")
    return dim


# --------------------------------------------------------------------------- cumprod


class CumprodOp(Op):
    """yᵢ = Π_{j ≤ i} xⱼ along ``axis``.

    dL/dxⱼ = Σ_{i ≥ j} gᵢ · Π_{k ≤ i, k ≠ j} xₖ. Where no earlier element is 0 this is
    Σ_{i ≥ j} gᵢ yᵢ / xⱼ (a reverse cumsum divided by xⱼ), as long as xⱼ ≠ 0. Zeros are handled
    exactly, as PyTorch does: with z the position of the first zero of a slice,
      j < z:  Σ_{i ≥ j} gᵢ yᵢ / xⱼ   (xⱼ ≠ 0, and yᵢ = 0 for i ≥ z);
      j = z:  Σ_{i ≥ z} gᵢ y'ᵢ, with y' the cumprod of x with that zero replaced by 1;
      j > z:  0 (every product that holds xⱼ also holds the zero x_z).
    Recorded for double backward, the zero-free formula is used as it stands (it is
    differentiable); with zeros the "0 for j > z" has a derivative that is not 0 (∂/∂x_z of
    Π_{k ≠ j} xₖ), so the sum is built as an n × n matrix [j, i] = Π_{k ≤ i, k ≠ j} xₖ (the
    cumprod of x with xⱼ set to 1 in row j), differentiable everywhere; n² memory per slice.
    """

    @staticmethod
    def forward(ctx, x, *, axis):
        ctx.axis = axis
        out = np.cumprod(x, axis=axis)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        axis, values = ctx.axis, either.data(x)
        zeros = values == 0
        with np.errstate(**QUIET):
            if not zeros.any():
                return (_cumsum_either(grad * out, axis, True) / x,)
            if isinstance(grad, Tensor):
                return (_cumprod_backward_recorded(x, grad, axis),)
            seen = np.cumsum(zeros, axis=axis)
            before, first_zero = seen == 0, zeros & (seen == 1)
            safe_x = either.masked_fill(x, ~before, 1.0)
            early = either.keep(_cumsum_either(grad * out, axis, True) / safe_x, before)
            out_without_zero = _cumprod_either(either.masked_fill(x, first_zero, 1.0), axis)
            at_zero = either.keep(_cumsum_either(grad * out_without_zero, axis, True),
                                  first_zero)
            return (early + at_zero,)


def _cumprod_backward_recorded(x: Tensor, grad: Tensor, axis: int) -> Tensor:
    """dL/dxⱼ = Σ_{i ≥ j} gᵢ Π_{k ≤ i, k ≠ j} xₖ with Tensor ops, over the last two dims."""
    n = x.shape[axis]
    xs, gs = x.transpose(axis, -1), grad.transpose(axis, -1)
    rows = xs.unsqueeze(-2).expand(*xs.shape[:-1], n, n)  # [..., j, i] = xᵢ
    others = either.masked_fill(rows, np.eye(n, dtype=bool), 1.0).cumprod(-1)
    later = np.triu(np.ones((n, n), dtype=bool))  # i ≥ j
    return either.keep(others * gs.unsqueeze(-2), later).sum(-1).transpose(axis, -1)


def cumprod(input: Tensor, dim: int | None = None, *, dtype: Any = None,
            **aliases: Any) -> Tensor:
    """Cumulative product along ``dim``; integer and bool tensors give int64; gradients are
    exact where x has zeros (see ``CumprodOp``)."""
    dim = _required_dim(axis_alias("cumprod", dim, aliases), "cumprod")
    input, axis = _scan_input(input, dim, dtype, "cumprod")
    result = CumprodOp.apply(_as_vector(input), axis=axis)
    return integer_result(_like_input(result, input), input._data.dtype) if (
        input._data.dtype.kind in "biu") else _like_input(result, input)


# --------------------------------------------------------------------------- cummax, cummin


def _running_extreme_index(data: np.ndarray, axis: int, largest: bool) -> np.ndarray:
    """The index of the running max (min) of each prefix along ``axis``.

    An element is a new record when it is >= (<=) every element before it, ties included (so
    the index moves to the *last* of equal maxima), or when it is nan (nan beats everything
    and, once there, only a later nan moves the index) -- PyTorch's rule. The index at each
    position is then the latest record so far: a running maximum of the record positions."""
    with np.errstate(**QUIET):
        running = (np.maximum if largest else np.minimum).accumulate(data, axis=axis)
        record = data == running
    if data.dtype.kind == "f":
        record |= np.isnan(data)
    shape = [1] * data.ndim
    shape[axis] = data.shape[axis]
    positions = np.arange(data.shape[axis]).reshape(shape)
    return np.maximum.accumulate(np.where(record, positions, 0), axis=axis)


def _cumulative_extreme(input: Tensor, dim: Any, largest: bool, op: str) -> Any:
    result_type = return_types.cummax if largest else return_types.cummin
    axis = normalize_dim(dim, input.ndim, op)
    vector = _as_vector(input)
    index = _running_extreme_index(vector._data, axis, largest)
    values = take_along(vector, index, axis)
    if input.ndim == 0:
        return result_type(values.reshape(()), Tensor._make(np.asarray(0, dtype=np.int64)))
    return result_type(values, Tensor._make(index.astype(np.int64, copy=False)))


def cummax(input: Tensor, dim: int | None = None, **aliases: Any) -> Any:
    """Running maximum along ``dim``: a named tuple ``(values, indices)``, indices the position
    of each running max (the last of tied ones; nan propagates). The gradient of each value goes
    to the element its index names (several values may name one element: they add up)."""
    dim = _required_dim(axis_alias("cummax", dim, aliases), "cummax")
    return _cumulative_extreme(input, dim, True, "cummax")


def cummin(input: Tensor, dim: int | None = None, **aliases: Any) -> Any:
    """Running minimum along ``dim``: ``(values, indices)``, as ``cummax``."""
    dim = _required_dim(axis_alias("cummin", dim, aliases), "cummin")
    return _cumulative_extreme(input, dim, False, "cummin")


# --------------------------------------------------------------------------- logcumsumexp


class LogCumsumExpOp(Op):
    """yᵢ = log Σ_{j ≤ i} e^(xⱼ) along ``axis``, by the stable pairwise log(eᵃ + eᵇ) scan
    (``np.logaddexp.accumulate``: no overflow for large x, no log 0 for very negative x).

    dL/dxⱼ = Σ_{i ≥ j} gᵢ e^(xⱼ - yᵢ)   (∂yᵢ/∂xⱼ = e^(xⱼ - yᵢ), a softmax weight, for i ≥ j).
    First order, in log space: the positive and the negative parts of g are summed separately,
    e^(xⱼ + log Σ_{i ≥ j} e^(log g±ᵢ - yᵢ)), with a reverse logcumsumexp, so that no e^(-yᵢ)
    overflows. Recorded (double backward), it is the same sum as an n × n masked matrix
    (e^(xⱼ - yᵢ) ≤ 1 for i ≥ j, the exponent set to -inf for i < j), which is differentiable
    and stable but takes n² memory per slice.
    """

    @staticmethod
    def forward(ctx, x, *, axis):
        ctx.axis = axis
        with np.errstate(**QUIET):  # -inf - -inf inside logaddexp for leading -infs
            out = np.logaddexp.accumulate(x, axis=axis)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        if isinstance(grad, Tensor):
            return (_logcumsumexp_backward_recorded(x, out, grad, ctx.axis),)
        with np.errstate(**QUIET):
            positive = _weighted_tail(x, out, np.where(grad > 0, grad, 0), ctx.axis)
            negative = _weighted_tail(x, out, np.where(grad < 0, -grad, 0), ctx.axis)
            return (positive - negative,)


def _weighted_tail(x: np.ndarray, out: np.ndarray, weight: np.ndarray, axis: int) -> np.ndarray:
    """Σ_{i ≥ j} wᵢ e^(xⱼ - yᵢ) for w ≥ 0, in log space."""
    log_terms = np.log(weight) - out
    tail = np.flip(np.logaddexp.accumulate(np.flip(log_terms, axis), axis=axis), axis)
    return np.exp(x + tail)


def _logcumsumexp_backward_recorded(x: Tensor, out: Tensor, grad: Tensor, axis: int) -> Tensor:
    """Σ_{i ≥ j} gᵢ e^(xⱼ - yᵢ) with Tensor ops: a matrix [i, j] over the last two dims."""
    n = x.shape[axis]
    xs, ys, gs = (t.transpose(axis, -1) for t in (x, out, grad))
    exponent = xs.unsqueeze(-2) - ys.unsqueeze(-1)  # [..., i, j] = xⱼ - yᵢ
    later = np.tril(np.ones((n, n), dtype=bool))  # i ≥ j
    weights = either.masked_fill(exponent, ~later, -np.inf).exp()
    return (weights * gs.unsqueeze(-1)).sum(-2).transpose(axis, -1)


def logcumsumexp(input: Tensor, dim: int | None = None, **aliases: Any) -> Tensor:
    """log of the cumulative sum of exp(x) along ``dim``, computed stably (see the op).
    Needs a floating tensor, as in PyTorch."""
    dim = _required_dim(axis_alias("logcumsumexp", dim, aliases), "logcumsumexp")
    axis = normalize_dim(dim, input.ndim, "logcumsumexp")
    if input._data.dtype.kind not in "fc":
        name = _TORCH_NAMES.get(str(input.dtype), str(input.dtype))
        raise NotImplementedError(
            f"logcumsumexp: \"logcumsumexp_out_cpu\" not implemented for '{name}'; convert the "
            "tensor first (x.float())")
    if input.ndim == 0:
        return LogCumsumExpOp.apply(input.reshape(1), axis=0).reshape(())
    return LogCumsumExpOp.apply(input, axis=axis)
