"""Rearranging values: flips, rolls, rotations, triangles, diagonals, sliding windows, repeats;
and the shape functions built on ``shape.py`` (narrow, movedim, unflatten, unbind, the
``tensor_split`` family, the ``*stack`` family, meshgrid, broadcasting, ``atleast_*d``).

Every op here moves values without changing them, so every backward moves the gradient back:

* a permutation of the elements (flip, roll) is undone by the inverse permutation;
* a selection (tril, a diagonal, a window) sends the gradient back to the selected places, zeros
  elsewhere, and where one element was selected several times (overlapping windows, an
  interleaved repeat) the gradients of its copies add up.

Where PyTorch returns a *view* (``narrow``, ``diagonal``, ``movedim``, ``unflatten``, ``unbind``,
``Tensor.unfold``, the splits, ``broadcast_to``, ``meshgrid``) the op is a ``ViewOp`` (or a
composition of them): the result shares memory and version counter with its input. Everything
else returns a copy, as in PyTorch.
"""

from __future__ import annotations

import math
import operator
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided, sliding_window_view

from microtensor.autograd.function import Op, ViewOp
from microtensor.autograd.inplace import mark_multi_output_views
from microtensor.ops import shape
from microtensor.ops.shape import GetItemOp, Index, normalize_dim
from microtensor.tensor import Size, Tensor

# --------------------------------------------------------------------------- argument helpers


def _dims_list(dims: Any) -> tuple[int, ...]:
    """An int or a sequence of ints (PyTorch's ``int[]`` arguments accept a lone int)."""
    if isinstance(dims, int | np.integer):
        return (int(dims),)
    return tuple(operator.index(d) for d in dims)


def _distinct_axes(dims: Sequence[int], ndim: int, op: str) -> tuple[int, ...]:
    """``dims`` as non-negative axes; each may appear once."""
    axes = tuple(normalize_dim(d, ndim, op) for d in dims)
    for axis in axes:
        if axes.count(axis) > 1:
            raise RuntimeError(f"{op}: dim {axis} appears multiple times in the list of dims "
                               f"{list(dims)}")
    return axes


def _require_dims(input: Tensor, at_least: int, op: str) -> None:
    if input.ndim < at_least:
        raise RuntimeError(f"{op}: input tensor must have at least {at_least} dimensions, got "
                           f"a {input.ndim}-D tensor of shape {tuple(input.shape)}")


def _dim_of_nonscalar(dim: int, input: Tensor, op: str) -> int:
    """``dim`` for an op that needs a real dim: a 0-d tensor has none (IndexError, PyTorch's)."""
    if input.ndim == 0:
        raise IndexError(f"{op}: Dimension specified as {dim} but tensor has no dimensions")
    return normalize_dim(dim, input.ndim, op)


def _slice_along(input: Tensor, axis: int, piece: slice | np.ndarray) -> Tensor:
    """``input[:, ..., piece, ...]`` on ``axis``: a view for a slice, a copy for index arrays."""
    lead = (slice(None),) * axis
    if isinstance(piece, slice):
        return GetItemOp.apply(input, index=Index(lead + (piece, Ellipsis)))
    return GetItemOp.apply(input, index=Index((Ellipsis,), lead + (piece,)))


# --------------------------------------------------------------------------- flip, roll, rot90


class FlipOp(Op):
    """z = x reversed along ``axes`` (a copy, as PyTorch's flip).

    Reversal is its own inverse: dL/dx = g reversed along the same axes.
    """

    @staticmethod
    def forward(ctx, x, *, axes):
        ctx.axes = axes
        return np.flip(x, axes).copy()

    @staticmethod
    def backward(ctx, grad):
        return (_flipped(grad, ctx.axes),)


def _flipped(values: Any, axes: tuple[int, ...]) -> Any:
    if isinstance(values, Tensor):
        return FlipOp.apply(values, axes=axes)
    return np.flip(values, axes)


def flip(input: Tensor, dims: Any) -> Tensor:
    """Reverse the order of the elements along ``dims`` (a copy)."""
    axes = _distinct_axes(_dims_list(dims), input.ndim, "flip")
    return FlipOp.apply(input, axes=axes if input.ndim else ())


def fliplr(input: Tensor) -> Tensor:
    """Flip left-right: reverse dim 1 (the columns of a matrix)."""
    if input.ndim < 2:
        raise RuntimeError(f"fliplr: Input must be >= 2-d, got a {input.ndim}-D tensor")
    return flip(input, (1,))


def flipud(input: Tensor) -> Tensor:
    """Flip up-down: reverse dim 0 (the rows of a matrix)."""
    if input.ndim < 1:
        raise RuntimeError("flipud: Input must be >= 1-d, got a 0-D tensor")
    return flip(input, (0,))


class RollOp(Op):
    """z = x shifted cyclically by ``shifts`` along ``axes`` (the flattened x if ``axes`` is None).

    Element i moves to i + s (mod n), so dL/dx = g shifted by -s.
    """

    @staticmethod
    def forward(ctx, x, *, shifts, axes):
        ctx.shifts, ctx.axes = shifts, axes
        return np.roll(x, shifts, axes)

    @staticmethod
    def backward(ctx, grad):
        back = tuple(-s for s in ctx.shifts)
        if isinstance(grad, Tensor):
            return (RollOp.apply(grad, shifts=back, axes=ctx.axes),)
        return (np.roll(grad, back, ctx.axes),)


def roll(input: Tensor, shifts: Any, dims: Any = None) -> Tensor:
    """Shift the elements cyclically: by ``shifts[k]`` along ``dims[k]``; without ``dims``, the
    flattened tensor by one shift and the shape restored."""
    shifts = _dims_list(shifts)
    dims = () if dims is None else _dims_list(dims)
    if not shifts:
        raise RuntimeError("roll: `shifts` required (an int or a non-empty sequence of ints)")
    if not dims and len(shifts) == 1:
        return RollOp.apply(input, shifts=shifts, axes=None)
    if len(shifts) != len(dims):
        raise RuntimeError(f"roll: shifts and dimensions must align. shifts: {len(shifts)}, "
                           f"dims:{len(dims)}")
    axes = tuple(_dim_of_nonscalar(d, input, "roll") for d in dims)
    return RollOp.apply(input, shifts=shifts, axes=axes)


def rot90(input: Tensor, k: int = 1, dims: Sequence[int] = (0, 1)) -> Tensor:
    """Rotate by 90° ``k`` times in the plane of ``dims``, from the first towards the second.

    A composition: one quarter turn is a flip of ``dims[1]`` and a swap of the two dims; two are
    a flip of both; three are a flip of ``dims[0]`` and a swap (as in PyTorch; a copy).
    """
    dims = _dims_list(dims)
    if len(dims) != 2:
        raise RuntimeError(f"rot90: expected total rotation dims == 2, but got dims = {len(dims)}")
    if input.ndim < 2:
        raise RuntimeError(f"rot90: expected total dims >= 2, but got total dims = {input.ndim}")
    first, second = (normalize_dim(d, input.ndim, "rot90") for d in dims)
    if first == second:
        raise RuntimeError(f"rot90: expected rotation dims to be different, but got dim0 = "
                           f"{dims[0]} and dim1 = {dims[1]}")
    turns = operator.index(k) % 4
    if turns == 1:
        return shape.transpose(flip(input, (second,)), first, second)
    if turns == 2:
        return flip(input, (first, second))
    if turns == 3:
        return shape.transpose(flip(input, (first,)), first, second)
    return input.clone()


# --------------------------------------------------------------------------- triangles


class TriangleOp(Op):
    """z = the lower (``lower``) or upper triangle of each matrix in x, from the ``diagonal``-th
    diagonal, zeros elsewhere.

    A selection: dL/dx = the same triangle of g (zeros where x was zeroed; selected with
    np.tril/np.triu, never multiplied by a mask, so an infinite g stays out of the zeros).
    """

    @staticmethod
    def forward(ctx, x, *, lower, diagonal):
        ctx.lower, ctx.diagonal = lower, diagonal
        return np.tril(x, diagonal) if lower else np.triu(x, diagonal)

    @staticmethod
    def backward(ctx, grad):
        if isinstance(grad, Tensor):
            return (TriangleOp.apply(grad, lower=ctx.lower, diagonal=ctx.diagonal),)
        return (np.tril(grad, ctx.diagonal) if ctx.lower else np.triu(grad, ctx.diagonal),)


def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    """The lower triangle of the last two dims: z[..., i, j] = x[..., i, j] if j - i <= diagonal
    else 0."""
    _require_dims(input, 2, "tril")
    return TriangleOp.apply(input, lower=True, diagonal=operator.index(diagonal))


def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    """The upper triangle of the last two dims: z[..., i, j] = x[..., i, j] if j - i >= diagonal
    else 0."""
    _require_dims(input, 2, "triu")
    return TriangleOp.apply(input, lower=False, diagonal=operator.index(diagonal))


# --------------------------------------------------------------------------- diagonals


def _diagonal_view(x: np.ndarray, offset: int, axis1: int, axis2: int) -> np.ndarray:
    """The writable view of x's ``offset``-th diagonal in the plane (axis1, axis2), as a last dim.

    Element k of the diagonal is x[..., k, k + offset] (rows on axis1, columns on axis2): one
    step along it moves by the sum of the two strides. (NumPy's ``np.diagonal`` is read-only.)
    """
    plane = np.moveaxis(x, (axis1, axis2), (-2, -1))
    plane = plane[..., :, offset:] if offset >= 0 else plane[..., -offset:, :]
    length = max(min(plane.shape[-2], plane.shape[-1]), 0)
    strides = plane.strides[:-2] + (plane.strides[-2] + plane.strides[-1],)
    return _strided_view(plane, plane.shape[:-2] + (length,), strides)


def _strided_view(x: np.ndarray, shape: tuple[int, ...], strides: tuple[int, ...]) -> np.ndarray:
    """A view of x's memory (starting at x's first element) with the given shape and strides.

    Made on the array that owns the memory, so that the view's ``.base`` chain leads to it and
    autograd links the result to its base (``as_strided``'s chain stops at a helper object).
    """
    owner = x
    while isinstance(owner.base, np.ndarray):
        owner = owner.base
    if not (owner.flags.c_contiguous or owner.flags.f_contiguous):
        return as_strided(x, shape, strides)  # (memory that is itself strided: not linked)
    offset = x.__array_interface__["data"][0] - owner.__array_interface__["data"][0]
    return np.ndarray(shape, x.dtype, buffer=owner, offset=offset, strides=strides)


class DiagonalOp(ViewOp):
    """z = the ``offset``-th diagonal of x in the plane (axis1, axis2), as a new last dim (a view).

    dL/dx = zeros with that diagonal set to g (``DiagonalEmbedOp``, whose adjoint is this op).
    """

    @staticmethod
    def forward(ctx, x, *, offset, axis1, axis2):
        ctx.in_shape, ctx.plane = x.shape, (offset, axis1, axis2)
        return _diagonal_view(x, offset, axis1, axis2)

    @staticmethod
    def backward(ctx, grad):
        offset, axis1, axis2 = ctx.plane
        if isinstance(grad, Tensor):
            return (DiagonalEmbedOp.apply(grad, shape=ctx.in_shape, offset=offset, axis1=axis1,
                                          axis2=axis2),)
        return (_embedded(grad, ctx.in_shape, offset, axis1, axis2),)


class DiagonalEmbedOp(Op):
    """z = zeros of ``shape`` whose ``offset``-th diagonal in the plane (axis1, axis2) is x.

    x runs along the diagonal in its last dim. The adjoint of taking a diagonal:
    dL/dx = the same diagonal of g (``DiagonalOp``).
    """

    @staticmethod
    def forward(ctx, x, *, shape, offset, axis1, axis2):
        ctx.plane = (offset, axis1, axis2)
        return _embedded(x, shape, offset, axis1, axis2)

    @staticmethod
    def backward(ctx, grad):
        offset, axis1, axis2 = ctx.plane
        if isinstance(grad, Tensor):
            return (DiagonalOp.apply(grad, offset=offset, axis1=axis1, axis2=axis2),)
        return (_diagonal_view(grad, offset, axis1, axis2),)


def _embedded(values: np.ndarray, shape: tuple[int, ...], offset: int, axis1: int,
              axis2: int) -> np.ndarray:
    out = np.zeros(shape, dtype=values.dtype)
    _diagonal_view(out, offset, axis1, axis2)[...] = values
    return out


def _diagonal_plane(ndim: int, dim1: int, dim2: int, op: str) -> tuple[int, int]:
    axis1, axis2 = normalize_dim(dim1, ndim, op), normalize_dim(dim2, ndim, op)
    if axis1 == axis2:
        raise RuntimeError(f"{op}: diagonal dimensions cannot be identical {dim1}, {dim2}")
    return axis1, axis2


def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The ``offset``-th diagonal of the matrices in the plane (dim1, dim2), as the last dim of a
    view (``offset`` > 0 above the main diagonal, < 0 below it)."""
    axis1, axis2 = _diagonal_plane(input.ndim, dim1, dim2, "diagonal")
    return DiagonalOp.apply(input, offset=operator.index(offset), axis1=axis1, axis2=axis2)


def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """Matrices (in the new dims dim1, dim2) whose ``offset``-th diagonal is the last dim of
    ``input``, zeros elsewhere; each has size n + |offset|."""
    offset = operator.index(offset)
    ndim = input.ndim + 1
    axis1, axis2 = _diagonal_plane(ndim, dim1, dim2, "diag_embed")
    size = input.shape[-1] + abs(offset)
    batch = list(input.shape[:-1])
    for axis in sorted((axis1, axis2)):
        batch.insert(axis, size)
    return DiagonalEmbedOp.apply(input, shape=tuple(batch), offset=offset, axis1=axis1,
                                 axis2=axis2)


def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    """A vector → the square matrix with it on the ``diagonal``-th diagonal; a matrix → a copy of
    its ``diagonal``-th diagonal."""
    if input.ndim == 1:
        return diag_embed(input, diagonal)
    if input.ndim == 2:
        return DiagonalOp.apply(input, offset=operator.index(diagonal), axis1=0,
                                axis2=1).clone()
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D (shape "
                       f"{tuple(input.shape)}); use diagonal() or diag_embed() for batches")


def diagflat(input: Tensor, offset: int = 0) -> Tensor:
    """The square matrix with the flattened ``input`` on its ``offset``-th diagonal."""
    return diag_embed(shape.flatten(input), offset)


# --------------------------------------------------------------------------- sliding windows


class UnfoldOp(ViewOp):
    """z = the windows of ``size`` elements, ``step`` apart, along ``axis`` (a view).

    The axis holds the window positions, a new last dim the elements of each window. Windows
    may overlap, so an element of x can appear several times in z: dL/dx adds the gradients of
    all its copies (``UnfoldBackwardOp``).
    """

    @staticmethod
    def forward(ctx, x, *, axis, size, step):
        ctx.in_shape, ctx.window = x.shape, (axis, size, step)
        windows = sliding_window_view(x, size, axis=axis)
        windows = windows[(slice(None),) * axis + (slice(None, None, step),)]
        view = _strided_view(x, windows.shape, windows.strides)
        if step < size:  # overlapping windows: one element at several places, so read-only
            view.flags.writeable = False  # (an in-place write raises, as in PyTorch)
        return view

    @staticmethod
    def backward(ctx, grad):
        axis, size, step = ctx.window
        if isinstance(grad, Tensor):
            return (UnfoldBackwardOp.apply(grad, shape=ctx.in_shape, axis=axis, size=size,
                                           step=step),)
        return (_fold_windows(grad, ctx.in_shape, axis, size, step),)


class UnfoldBackwardOp(Op):
    """z = zeros of ``shape`` with each window of g added at its place (the adjoint of unfold).

    Linear in g; its adjoint is unfolding again: dL/dg = unfold(g').
    """

    @staticmethod
    def forward(ctx, grad, *, shape, axis, size, step):
        ctx.window = (axis, size, step)
        return _fold_windows(grad, shape, axis, size, step)

    @staticmethod
    def backward(ctx, grad):
        axis, size, step = ctx.window
        if isinstance(grad, Tensor):
            return (UnfoldOp.apply(grad, axis=axis, size=size, step=step),)
        return (UnfoldOp.forward(_Scratch(), grad, axis=axis, size=size, step=step),)


class _Scratch:
    """A throwaway ctx for calling a forward directly on arrays."""


def _fold_windows(windows: np.ndarray, shape: tuple[int, ...], axis: int, size: int,
                  step: int) -> np.ndarray:
    """Zeros of ``shape``; window w's element j is added at position w * step + j of ``axis``.

    One vectorised addition per position j inside a window (a loop over the window length,
    never over elements).
    """
    out = np.zeros(shape, dtype=windows.dtype)
    along = np.moveaxis(out, axis, -1)
    per_window = np.moveaxis(windows, axis, -2)  # (..., window, element)
    count = per_window.shape[-2]
    for j in range(size):
        along[..., j:j + step * (count - 1) + 1:step] += per_window[..., j]
    return out


def unfold(input: Tensor, dimension: int, size: int, step: int) -> Tensor:
    """``Tensor.unfold``: the windows of ``size`` elements every ``step`` along ``dimension``, in
    a new last dim (a view)."""
    size, step = operator.index(size), operator.index(step)
    axis = normalize_dim(dimension, input.ndim, "unfold")
    length = input.shape[axis] if input.ndim else 1
    if size > length:
        raise RuntimeError(f"unfold: maximum size for tensor at dimension {axis} is {length} "
                           f"but size is {size}")
    if step <= 0:
        raise RuntimeError(f"unfold: step is {step} but must be > 0")
    if size < 0:
        raise RuntimeError(f"unfold: size is {size} but must be >= 0")
    if input.ndim == 0:
        return shape.reshape(input, (1,))
    return UnfoldOp.apply(input, axis=axis, size=size, step=step)


# --------------------------------------------------------------------------- repeats and tiles


def repeat_interleave(input: Tensor, repeats: Any = None, dim: int | None = None, *,
                      output_size: int | None = None) -> Tensor:
    """Repeat each element ``repeats`` times (an int, or one count per element along ``dim``),
    next to itself: [a, b] → [a, a, b, b]. Without ``dim``, on the flattened tensor.

    With only a tensor of counts (``repeat_interleave(counts)``), the positions 0, 1, ...
    repeated by their counts. One count for all is an expand of a new dim next to ``dim``,
    merged into it (the backward sums the copies); several counts are a gather along ``dim``
    (indexing), whose backward adds up the gradients of the copies of each element.
    """
    if repeats is None:
        counts = _repeat_counts(input, None, "repeat_interleave")
        return Tensor._make(np.repeat(np.arange(counts.size, dtype=np.int64), counts))
    if dim is None:
        input, axis = shape.flatten(input), 0
    else:
        axis = normalize_dim(dim, input.ndim, "repeat_interleave")
    length = input.shape[axis] if input.ndim else 1
    counts = _repeat_counts(repeats, length, "repeat_interleave")
    positions = np.repeat(np.arange(length), counts)
    if output_size is not None and output_size != positions.size:
        raise RuntimeError(f"repeat_interleave: Invalid output_size, expected {positions.size} "
                           f"but got {output_size}")
    if input.ndim == 0:
        input = shape.reshape(input, (1,))
    if counts.size and (counts == 1).all():  # every count 1: a copy, as in PyTorch
        return input.clone()
    if counts.size and counts.strides == (0,):  # one count for all: expand a new dim, merge
        wide = input.shape[:axis + 1] + (int(counts[0]),) + input.shape[axis + 1:]
        merged = input.shape[:axis] + (positions.size,) + input.shape[axis + 1:]
        return shape.reshape(shape.expand(shape.unsqueeze(input, axis + 1), wide), merged)
    return _slice_along(input, axis, positions)


def _repeat_counts(repeats: Any, length: int | None, op: str) -> np.ndarray:
    """The count of each element: an int for all, or a 0-d/1-d integer tensor."""
    if isinstance(repeats, Tensor):
        counts = repeats._data
        if counts.dtype.kind not in "iu":
            raise NotImplementedError(f"{op}: repeats must be an integer tensor, got dtype "
                                      f"{repeats.dtype}")
        if counts.ndim > 1 or (length is None and counts.ndim != 1):
            raise RuntimeError(f"{op}: repeats must be 0-dim or 1-dim tensor, got shape "
                               f"{tuple(counts.shape)}")
        if counts.size and counts.min() < 0:
            raise RuntimeError(f"{op}: repeats can not be negative, got {counts.tolist()}")
    elif isinstance(repeats, int | np.integer) and not isinstance(repeats, bool):
        counts = np.asarray(int(repeats))
        if counts < 0:
            raise RuntimeError(f"{op}: Repeats must be non-negative, got {int(repeats)}")
    else:
        raise TypeError(f"{op}(): repeats must be an int or an integer Tensor, got "
                        f"{type(repeats).__name__}")
    if length is None:
        return counts
    if counts.ndim == 1 and counts.size != 1 and counts.size != length:
        raise RuntimeError(f"{op}: repeats must have the same size as input along dim, but got "
                           f"repeats.size(0) = {counts.size} and input.size(dim) = {length}")
    return np.broadcast_to(counts.reshape(-1), (length,))


def tile(input: Tensor, dims: Sequence[int]) -> Tensor:
    """Repeat the whole tensor ``dims[k]`` times along dim k; missing leading counts are 1
    (``repeat`` with the counts padded on the left, as in PyTorch)."""
    dims = _dims_list(dims)
    for k, count in enumerate(dims):
        if count < 0:
            raise RuntimeError(f"tile: Trying to create tensor with negative dimension {count} "
                               f"(repeat count at position {k} of {list(dims)})")
    dims = (1,) * (input.ndim - len(dims)) + dims
    return shape.repeat(input, dims)


# --------------------------------------------------------------------------- views by slicing


def narrow(input: Tensor, dim: int, start: Any, length: int) -> Tensor:
    """``length`` elements of ``dim`` from ``start`` on (a view); ``start`` may be negative or a
    0-d integer tensor."""
    if input.ndim == 0:
        raise RuntimeError("narrow(): cannot be applied to a 0-dim tensor.")
    axis = normalize_dim(dim, input.ndim, "narrow")
    size = input.shape[axis]
    start, length = operator.index(start), operator.index(length)
    if length < 0:
        raise RuntimeError(f"narrow(): length must be non-negative, got {length}")
    if not -size <= start <= size:
        raise IndexError(f"narrow(): start out of range (expected to be in range of [{-size}, "
                         f"{size}], but got {start})")
    if start < 0:
        start += size
    if start + length > size:
        raise RuntimeError(f"narrow(): start ({start}) + length ({length}) exceeds dimension "
                           f"size ({size}).")
    return _slice_along(input, axis, slice(start, start + length))


def unbind(input: Tensor, dim: int = 0) -> tuple[Tensor, ...]:
    """The slices along ``dim``, each without that dim (views)."""
    axis = _dim_of_nonscalar(dim, input, "unbind")
    lead = (slice(None),) * axis
    pieces = tuple(GetItemOp.apply(input, index=Index(lead + (k, Ellipsis)))
                   for k in range(input.shape[axis]))
    return mark_multi_output_views(pieces, "unbind")


def tensor_split(input: Tensor, indices_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """Views along ``dim``: ``sections`` pieces as equal as can be (the first n % sections one
    longer), or the pieces between the given ``indices`` (a list or an integer tensor)."""
    if input.ndim == 0:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a "
                           "tensor with 0 dims")
    axis = normalize_dim(dim, input.ndim, "tensor_split")
    split_at = _split_points(indices_or_sections, input.shape[axis])
    pieces = tuple(_slice_along(input, axis, slice(start, stop))
                   for start, stop in zip(split_at[:-1], split_at[1:]))
    return mark_multi_output_views(pieces, "tensor_split")


def _split_points(indices_or_sections: Any, length: int) -> list[Any]:
    """The boundaries of the pieces: [0, i1, ..., ik, None]."""
    spec = indices_or_sections
    if isinstance(spec, Tensor):
        if spec.dtype != np.int64:
            raise RuntimeError(f"tensor_split expected tensor_indices_or_sections to have dtype "
                               f"of long, but got {spec.dtype}")
        if spec.ndim > 1:
            raise RuntimeError(f"tensor_split expected tensor_indices_or_sections to be a "
                               f"zero-dimensional or one-dimensional tensor, but got a tensor "
                               f"with {spec.ndim} dims")
        spec = int(spec.item()) if spec.ndim == 0 else spec._data.tolist()
    if isinstance(spec, int | np.integer):
        sections = int(spec)
        if sections <= 0:
            raise RuntimeError(f"tensor_split: number of sections must be larger than 0, got "
                               f"{sections}")
        small, longer = divmod(length, sections)
        sizes = [small + 1] * longer + [small] * (sections - longer)
        return [0, *np.cumsum(sizes).tolist()[:-1], None]
    return [0, *(operator.index(i) for i in spec), None]


def _even_split(input: Tensor, sections: Any, axis: int, op: str) -> tuple[Tensor, ...]:
    if isinstance(sections, int | np.integer):
        size = input.shape[axis]
        if sections == 0 or size % sections:
            raise RuntimeError(
                f"torch.{op} attempted to split along dimension {axis}, but the size of the "
                f"dimension {size} is not divisible by the split_size {sections}!")
    return tensor_split(input, sections, axis)


def hsplit(input: Tensor, indices_or_sections: Any) -> tuple[Tensor, ...]:
    """Split horizontally: along dim 1 (dim 0 of a 1-d tensor); an int must divide the size."""
    if input.ndim < 1:
        raise RuntimeError("torch.hsplit requires a tensor with at least 1 dimension, but got a "
                           "tensor with 0 dimensions!")
    return _even_split(input, indices_or_sections, 0 if input.ndim == 1 else 1, "hsplit")


def vsplit(input: Tensor, indices_or_sections: Any) -> tuple[Tensor, ...]:
    """Split vertically: along dim 0 of a tensor with at least 2 dims."""
    if input.ndim < 2:
        raise RuntimeError(f"torch.vsplit requires a tensor with at least 2 dimension, but got a "
                           f"tensor with {input.ndim} dimensions!")
    return _even_split(input, indices_or_sections, 0, "vsplit")


def dsplit(input: Tensor, indices_or_sections: Any) -> tuple[Tensor, ...]:
    """Split depth-wise: along dim 2 of a tensor with at least 3 dims."""
    if input.ndim < 3:
        raise RuntimeError(f"torch.dsplit requires a tensor with at least 3 dimension, but got a "
                           f"tensor with {input.ndim} dimensions!")
    return _even_split(input, indices_or_sections, 2, "dsplit")


# --------------------------------------------------------------------------- moving dims


def movedim(input: Tensor, source: Any, destination: Any) -> Tensor:
    """Move the dims ``source`` to the positions ``destination``; the others keep their order
    (a view)."""
    source, destination = _dims_list(source), _dims_list(destination)
    if len(source) != len(destination):
        raise RuntimeError(
            f"movedim: Invalid source or destination dims: source ({list(source)} dims) should "
            f"contain the same number of dims as destination ({list(destination)} dims)")
    moved = [normalize_dim(d, input.ndim, "movedim") for d in source]
    places = [normalize_dim(d, input.ndim, "movedim") for d in destination]
    for name, dims, given in (("source", moved, source), ("destination", places, destination)):
        if len(set(dims)) != len(dims):
            raise RuntimeError(f"movedim: repeated dim in `{name}` ({list(given)})")
    if input.ndim == 0:
        return shape.reshape(input, ())
    rest = iter(d for d in range(input.ndim) if d not in moved)
    put = dict(zip(places, moved))
    return shape.permute(input, [put[k] if k in put else next(rest) for k in range(input.ndim)])


moveaxis = movedim


def swapaxes(input: Tensor, axis0: int, axis1: int) -> Tensor:
    """Swap two dims (a view): NumPy's name for ``transpose``."""
    return shape.transpose(input, axis0, axis1)


def swapdims(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swap two dims (a view): another name for ``transpose``."""
    return shape.transpose(input, dim0, dim1)


def t(input: Tensor) -> Tensor:
    """The transpose of a matrix; a 0-d or 1-d tensor as it is (a view)."""
    if input.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                           f"{input.ndim}D; t() transposes tensors of <= 2 dims: use "
                           "transpose(dim0, dim1), or .mT for the last two dims")
    return shape.transpose(input, 0, -1) if input.ndim == 2 else shape.reshape(input,
                                                                               input.shape)


def unflatten(input: Tensor, dim: int, sizes: Sequence[int]) -> Tensor:
    """Split dim ``dim`` into the dims ``sizes`` (one may be -1: inferred), a view."""
    sizes = _dims_list(sizes)
    if input.ndim == 0:
        raise RuntimeError(f"unflatten: Dimension specified as {dim} but tensor has no "
                           "dimensions")
    axis = normalize_dim(dim, input.ndim, "unflatten")
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    length = input.shape[axis]
    known = math.prod(s for s in sizes if s != -1)
    if sizes.count(-1) > 1 or (-1 in sizes and (known == 0 or length % known)) or (
            -1 not in sizes and known != length):
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the "
                           f"size of dim {dim} ({length}) in the input tensor")
    sizes = tuple(length // known if s == -1 else s for s in sizes)
    return shape.reshape(input, input.shape[:axis] + sizes + input.shape[axis + 1:])


# --------------------------------------------------------------------------- broadcasting


def broadcast_shapes(*shapes: Any) -> Size:
    """The shape that all ``shapes`` broadcast to (an int counts as a 1-d shape), as a ``Size``."""
    given = [(int(s),) if isinstance(s, int | np.integer) else tuple(s) for s in shapes]
    result: list[int] = []
    for k, current in enumerate(given):
        if any(size < 0 for size in current):
            raise ValueError("broadcast_shapes: Attempting to broadcast a dimension with "
                             f"negative length! (shape {current})")
        result = _broadcast_pair(result, list(current), k)
    return Size(result)


def _broadcast_pair(result: list[int], current: list[int], k: int) -> list[int]:
    width = max(len(result), len(current))
    result = [1] * (width - len(result)) + result
    current = [1] * (width - len(current)) + current
    for d, (a, b) in enumerate(zip(result, current)):
        if a != b and a != 1 and b != 1:
            raise RuntimeError(
                f"broadcast_shapes: Attempting to broadcast a dimension of length {b} at "
                f"{d - width}! Mismatching argument at index {k} had {tuple(current)}; but "
                f"expected shape should be broadcastable to {result}")
        result[d] = a if b == 1 else b
    return result


def broadcast_to(input: Tensor, size: Sequence[int]) -> Tensor:
    """``input`` expanded to ``size`` (a view; -1 keeps a size)."""
    return shape.expand(input, _dims_list(size))


def broadcast_tensors(*tensors: Tensor) -> tuple[Tensor, ...]:
    """The tensors expanded to their common broadcast shape (views)."""
    if len(tensors) == 1 and isinstance(tensors[0], list | tuple):
        tensors = tuple(tensors[0])
    try:
        common = np.broadcast_shapes(*(t.shape for t in tensors))
    except ValueError:
        shapes = ", ".join(str(tuple(t.shape)) for t in tensors)
        raise RuntimeError(f"broadcast_tensors: The size of tensors {shapes} cannot be "
                           "broadcast together (sizes must match or be 1 at each "
                           "non-singleton dimension)") from None
    return tuple(shape.expand(t, common) for t in tensors)


def meshgrid(*tensors: Any, indexing: str | None = None) -> tuple[Tensor, ...]:
    """Coordinate grids: output k holds tensor k's values along dim k of the grid (``"ij"``);
    ``"xy"`` swaps the first two grid dims (Cartesian: x varies along the columns). Views.

    Without ``indexing`` PyTorch warns and uses ``"ij"``; so does microtensor.
    """
    if len(tensors) == 1 and isinstance(tensors[0], list | tuple):
        tensors = tuple(tensors[0])
    if indexing is None:
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the "
                      "indexing argument.", UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f'torch.meshgrid: indexing must be one of "xy" or "ij", but '
                           f"received: {indexing}")
    _check_grid_inputs(tensors)
    sizes = [t.numel() for t in tensors]
    places = list(range(len(tensors)))
    if indexing == "xy" and len(tensors) >= 2:
        places[0], places[1] = 1, 0
        sizes[0], sizes[1] = sizes[1], sizes[0]
    grids = []
    for t, place in zip(tensors, places):
        column = [1] * len(tensors)
        column[place] = -1
        grids.append(shape.expand(shape.reshape(t, tuple(column)), tuple(sizes)))
    return tuple(grids)


def _check_grid_inputs(tensors: tuple[Any, ...]) -> None:
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    for t in tensors:
        if not isinstance(t, Tensor):
            raise TypeError(f"meshgrid(): expected Tensors, got {type(t).__name__}")
        if t.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but "
                               f"got a tensor of shape {tuple(t.shape)}")
        if t.dtype != tensors[0].dtype:
            raise RuntimeError(f"meshgrid expects all tensors to have the same dtype, got "
                               f"{tensors[0].dtype} and {t.dtype}")


# --------------------------------------------------------------------------- at least n dims


def _at_least(tensors: tuple[Any, ...], make: Any) -> Any:
    """One tensor → one result; several (or one list of them) → a tuple."""
    if len(tensors) == 1 and isinstance(tensors[0], Tensor):
        return make(tensors[0])
    if len(tensors) == 1 and isinstance(tensors[0], list | tuple):
        tensors = tuple(tensors[0])
    return tuple(make(t) for t in tensors)


def _atleast_1d(t: Tensor) -> Tensor:
    return shape.reshape(t, (1,)) if t.ndim == 0 else t


def _atleast_2d(t: Tensor) -> Tensor:
    return shape.reshape(t, (1,) * (2 - t.ndim) + t.shape) if t.ndim < 2 else t


def _atleast_3d(t: Tensor) -> Tensor:
    if t.ndim == 0:
        return shape.reshape(t, (1, 1, 1))
    if t.ndim == 1:
        return shape.reshape(t, (1, t.shape[0], 1))
    return shape.reshape(t, t.shape + (1,)) if t.ndim == 2 else t


def atleast_1d(*tensors: Any) -> Any:
    """A 0-d tensor as shape (1,); others as they are (one tensor, or a tuple for several)."""
    return _at_least(tensors, _atleast_1d)


def atleast_2d(*tensors: Any) -> Any:
    """0-d → (1, 1), (n,) → (1, n); others as they are."""
    return _at_least(tensors, _atleast_2d)


def atleast_3d(*tensors: Any) -> Any:
    """0-d → (1, 1, 1), (n,) → (1, n, 1), (m, n) → (m, n, 1); others as they are."""
    return _at_least(tensors, _atleast_3d)


# --------------------------------------------------------------------------- stacks


def _stack_inputs(tensors: Any, op: str) -> list[Tensor]:
    if isinstance(tensors, Tensor) or not isinstance(tensors, Sequence):
        raise TypeError(f"{op}(): argument 'tensors' must be a sequence of Tensors, not "
                        f"{type(tensors).__name__}")
    if not len(tensors):
        raise RuntimeError(f"{op} expects a non-empty TensorList")
    return list(tensors)


def hstack(tensors: Sequence[Tensor]) -> Tensor:
    """Join horizontally: along dim 1, or dim 0 for 1-d tensors (0-d ones count as 1-d)."""
    parts = [_atleast_1d(t) for t in _stack_inputs(tensors, "hstack")]
    return shape.cat(parts, 0 if parts[0].ndim == 1 else 1)


def vstack(tensors: Sequence[Tensor]) -> Tensor:
    """Join vertically: along dim 0 of the tensors made at least 2-d ((n,) → (1, n))."""
    return shape.cat([_atleast_2d(t) for t in _stack_inputs(tensors, "vstack")], 0)


def row_stack(tensors: Sequence[Tensor]) -> Tensor:
    """Another name for ``vstack``."""
    return shape.cat([_atleast_2d(t) for t in _stack_inputs(tensors, "row_stack")], 0)


def dstack(tensors: Sequence[Tensor]) -> Tensor:
    """Join depth-wise: along dim 2 of the tensors made at least 3-d."""
    return shape.cat([_atleast_3d(t) for t in _stack_inputs(tensors, "dstack")], 2)


def column_stack(tensors: Sequence[Tensor]) -> Tensor:
    """Join as columns: 0-d and 1-d tensors become columns (n, 1), then all join along dim 1."""
    parts = [shape.reshape(t, (t.numel(), 1)) if t.ndim < 2 else t
             for t in _stack_inputs(tensors, "column_stack")]
    return shape.cat(parts, 1)


# --------------------------------------------------------------------------- transposes


def matrix_transpose(input: Tensor, op: str = "mT") -> Tensor:
    """``.mT``: the last two dims swapped (a batch of matrices transposed; a view)."""
    if input.ndim == 0:
        warnings.warn(f"Tensor.{op} is deprecated on 0-D tensors. This function is the identity "
                      "in these cases.", UserWarning, stacklevel=3)
        return shape.reshape(input, ())
    if input.ndim < 2:
        raise RuntimeError(f"tensor.{op} is only supported on matrices or batches of matrices. "
                           f"Got {input.ndim}-D tensor.")
    return shape.transpose(input, -2, -1)


def reversed_dims(input: Tensor) -> Tensor:
    """``.T``: all dims reversed (a view). PyTorch deprecates it for more than 2 dims and warns."""
    if input.ndim > 2:
        warnings.warn("The use of `x.T` on tensors of dimension other than 2 to reverse their "
                      "shape is deprecated and it will throw an error in a future release. "
                      "Consider `x.mT` to transpose batches of matrices or `x.permute(*torch."
                      "arange(x.ndim - 1, -1, -1))` to reverse the dimensions of a tensor.",
                      UserWarning, stacklevel=3)
    return shape.permute(input, tuple(range(input.ndim - 1, -1, -1)))


def conjugate_transpose(input: Tensor) -> Tensor:
    """``.H``: the conjugate transpose of a matrix; for real tensors (all of microtensor's) the
    transpose."""
    if input.ndim == 0:
        warnings.warn("Tensor.H is deprecated on 0-D tensors. Consider using x.conj().",
                      UserWarning, stacklevel=3)
        return shape.reshape(input, ())
    if input.ndim != 2:
        raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got "
                           f"{input.ndim}-D tensor." + (" For batches of matrices, consider "
                                                        "using tensor.mH" if input.ndim > 2
                                                        else ""))
    return shape.transpose(input, 0, 1)


# --------------------------------------------------------------------------- in-place shape changes


def change_view_in_place(t: Tensor, name: str, view_fn: Any) -> Tensor:
    """``t.unsqueeze_(0)`` and friends: ``t`` itself becomes ``view_fn(t)`` (same memory, new
    shape/strides), as PyTorch's in-place metadata ops do (they count as a write: the version
    counter is bumped, so an op that saved ``t`` refuses to backpropagate).

    While recording, PyTorch refuses them on a leaf that requires grad, on a view of one and on
    an output of a multi-view function (``unbind``). Otherwise ``t`` continues with the view's
    ``grad_fn``; nodes recorded earlier keep seeing the old tensor (a snapshot, as for every
    in-place change, ``autograd/inplace.py``), and if ``t`` is itself a view, its replay from its
    base gains the new step.
    """
    from microtensor.autograd.grad_mode import grad_state
    from microtensor.autograd.inplace import _refuse_unrecordable, _set_history
    from microtensor.autograd.versions import write_clock

    recording = grad_state.enabled and t._requires_grad
    if grad_state.enabled:
        _refuse_unrecordable(t, name)
    old = Tensor._make(t._data, t._requires_grad, t.grad_fn)
    new = view_fn(old)
    if recording:
        t._counter()  # (made now, so that the snapshot of the old tensor shares it)
        write_clock.tick()  # nodes recorded before now read the snapshot of the old tensor
        _set_history(t, new.grad_fn)
    t._data = new._data
    t._bump_version(name)
    replay = getattr(t, "_view_replay", None)
    if replay is not None:
        t._view_replay = lambda base, first=replay: view_fn(first(base))
    return t
