"""Shape and indexing primitives: reshape, permute, expand, repeat, indexing, cat, stack, pad.

These ops move values around without changing them, so each backward moves the gradient back:
reshape the gradient to the old shape, permute it with the inverse permutation, slice it the way
cat glued, scatter it (adding where an element was picked twice) where indexing gathered.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from microtensor.autograd.function import Op
from microtensor.ops import array_or_tensor as either
from microtensor.tensor import Tensor


def normalize_dim(dim: int, ndim: int, op: str) -> int:
    """A dim in [-ndim, ndim) as a non-negative axis; 0-d tensors accept 0 and -1 (PyTorch)."""
    size = max(ndim, 1)
    if not isinstance(dim, int | np.integer) or not -size <= dim < size:
        raise IndexError(
            f"{op}: dimension out of range (expected to be in range of [{-size}, {size - 1}], "
            f"but got {dim})"
        )
    return int(dim) % size


def shape_arg(args: tuple[Any, ...]) -> tuple[int, ...]:
    """Accept both ``f(2, 3)`` and ``f((2, 3))``."""
    if len(args) == 1 and isinstance(args[0], Sequence | np.ndarray):
        return tuple(int(s) for s in args[0])
    return tuple(int(s) for s in args)


# --------------------------------------------------------------------------- reshape and friends


class ReshapeOp(Op):
    """z = x viewed with a new shape.  dL/dx = g reshaped back to x's shape."""

    @staticmethod
    def forward(ctx, x, *, shape):
        ctx.in_shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return (grad.reshape(ctx.in_shape),)


def reshape(input: Tensor, shape: Sequence[int]) -> Tensor:
    """Same values, new shape (one entry may be -1: inferred)."""
    shape = tuple(shape)
    if shape == input.shape:
        return input
    try:
        return ReshapeOp.apply(input, shape=shape)
    except ValueError:
        raise RuntimeError(
            f"reshape: shape {list(shape)} is invalid for input of shape {tuple(input.shape)} "
            f"({input.numel()} elements)"
        ) from None


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dims ``start_dim..end_dim`` into one."""
    if input.ndim == 0:
        return reshape(input, (1,))
    start = normalize_dim(start_dim, input.ndim, "flatten")
    end = normalize_dim(end_dim, input.ndim, "flatten")
    if start > end:
        raise RuntimeError("flatten: start_dim cannot come after end_dim")
    shape = input.shape
    return reshape(input, shape[:start] + (int(np.prod(shape[start:end + 1])),) + shape[end + 1:])


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """Insert a dim of size 1 at ``dim`` (in [-ndim-1, ndim])."""
    axis = normalize_dim(dim, input.ndim + 1, "unsqueeze")
    shape = input.shape
    return reshape(input, shape[:axis] + (1,) + shape[axis:])


def squeeze(input: Tensor, dim: Any = None) -> Tensor:
    """Remove dims of size 1 (all of them, or only ``dim`` if it has size 1)."""
    shape = input.shape
    if dim is None:
        return reshape(input, tuple(s for s in shape if s != 1))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    axes = {normalize_dim(d, input.ndim, "squeeze") for d in dims}
    return reshape(input, tuple(s for i, s in enumerate(shape) if not (i in axes and s == 1)))


class PermuteOp(Op):
    """z = x with its axes reordered.  dL/dx = g with the inverse reordering."""

    @staticmethod
    def forward(ctx, x, *, axes):
        ctx.inverse = tuple(np.argsort(axes))
        return np.transpose(x, axes)

    @staticmethod
    def backward(ctx, grad):
        return (either.permute(grad, ctx.inverse),)


def permute(input: Tensor, dims: Sequence[int]) -> Tensor:
    axes = tuple(normalize_dim(d, input.ndim, "permute") for d in dims)
    if sorted(axes) != list(range(input.ndim)):
        raise RuntimeError(
            f"permute: dims {tuple(dims)} must be a permutation of the {input.ndim} dims of a "
            f"tensor of shape {tuple(input.shape)}"
        )
    return PermuteOp.apply(input, axes=axes)


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swap two dims."""
    axes = list(range(input.ndim))
    a = normalize_dim(dim0, input.ndim, "transpose")
    b = normalize_dim(dim1, input.ndim, "transpose")
    axes[a], axes[b] = axes[b], axes[a]
    return PermuteOp.apply(input, axes=tuple(axes))


class ExpandOp(Op):
    """z = x broadcast to a larger shape (no copy).

    dL/dx = g summed over the broadcast axes, which the engine does for every op (sum_to_shape).
    """

    @staticmethod
    def forward(ctx, x, *, shape):
        return np.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, grad):
        return (grad,)


def expand(input: Tensor, shape: Sequence[int]) -> Tensor:
    """Broadcast to ``shape``; -1 keeps a size. Only size-1 dims can grow (PyTorch's rule)."""
    shape = tuple(shape)
    lead = len(shape) - input.ndim
    if lead < 0:
        raise RuntimeError(
            f"expand: the number of sizes provided ({len(shape)}) must be greater or equal to "
            f"the number of dimensions in the tensor ({input.ndim})"
        )
    target = tuple(input.shape[i - lead] if s == -1 and i >= lead else s for i, s in
                   enumerate(shape))
    for i, size in enumerate(input.shape):
        if size != 1 and size != target[lead + i]:
            raise RuntimeError(
                f"expand: the expanded size of the tensor ({target[lead + i]}) must match the "
                f"existing size ({size}) at non-singleton dimension {lead + i}. Target sizes: "
                f"{list(shape)}. Tensor sizes: {list(input.shape)}"
            )
    if target == input.shape:
        return input
    return ExpandOp.apply(input, shape=target)


class RepeatOp(Op):
    """z = x tiled ``repeats`` times along each dim.

    Each element of x appears once per tile, so dL/dx sums g over the tiles: view g as
    (r0, s0, r1, s1, ...) and sum the r axes.
    """

    @staticmethod
    def forward(ctx, x, *, repeats):
        x = x.reshape((1,) * (len(repeats) - x.ndim) + x.shape)
        ctx.in_shape, ctx.repeats = x.shape, repeats
        return np.tile(x, repeats)

    @staticmethod
    def backward(ctx, grad):
        interleaved = []
        for r, s in zip(ctx.repeats, ctx.in_shape):
            interleaved += [r, s]
        tiles_axes = tuple(range(0, 2 * len(ctx.repeats), 2))
        return (grad.reshape(interleaved).sum(axis=tiles_axes),)


def repeat(input: Tensor, repeats: Sequence[int]) -> Tensor:
    repeats = tuple(repeats)
    if len(repeats) < input.ndim:
        raise RuntimeError(
            f"repeat: number of repeat dims ({len(repeats)}) can not be smaller than the number "
            f"of dimensions of the tensor ({input.ndim})"
        )
    return RepeatOp.apply(input, repeats=repeats)


# --------------------------------------------------------------------------- indexing


def _normalize_index(index: Any) -> tuple[Any, ...]:
    """Tensors and lists inside an index become arrays; the index is always a tuple."""
    if not isinstance(index, tuple):
        index = (index,)
    out = []
    for item in index:
        if isinstance(item, Tensor):
            item = item._data
        elif isinstance(item, list):
            item = np.asarray(item)
        if isinstance(item, np.ndarray) and item.dtype.kind not in "biu":
            raise IndexError(
                f"tensors used as indices must be integer or bool tensors, got dtype {item.dtype}"
            )
        out.append(item)
    return tuple(out)


def _is_basic(index: tuple[Any, ...]) -> bool:
    """Only ints, slices, None and Ellipsis: every element is picked at most once."""
    return all(isinstance(i, int | slice | np.integer) or i is None or i is Ellipsis
               for i in index)


class GetItemOp(Op):
    """z = x[index].

    dL/dx = zeros like x with g scattered to the picked positions; an element picked several
    times (integer-array indexing) receives the sum of its gradients (``np.add.at``).
    """

    @staticmethod
    def forward(ctx, x, *, index):
        ctx.in_shape, ctx.index = x.shape, index
        return x[index]

    @staticmethod
    def backward(ctx, grad):
        return (_scatter_add(grad, ctx.index, ctx.in_shape),)


class ScatterAddOp(Op):
    """z = zeros(shape) with g added at ``index`` (the backward of GetItem).

    Linear in g, so its own backward is indexing again: dL/dg = g'[index].
    """

    @staticmethod
    def forward(ctx, grad, *, index, shape):
        ctx.index = index
        out = np.zeros(shape, dtype=grad.dtype)
        if _is_basic(index):
            out[index] = grad
        else:
            np.add.at(out, index, grad)
        return out

    @staticmethod
    def backward(ctx, grad):
        return (grad[ctx.index],)


def _scatter_add(grad: Any, index: tuple[Any, ...], shape: tuple[int, ...]) -> Any:
    if isinstance(grad, Tensor):
        return ScatterAddOp.apply(grad, index=index, shape=shape)
    return ScatterAddOp.forward(_Scratch(), grad, index=index, shape=shape)


class _Scratch:
    """A throwaway ctx for calling a forward directly on arrays."""


def getitem(input: Tensor, index: Any) -> Tensor:
    """Indexing with ints, slices, None, Ellipsis, integer arrays and bool masks (NumPy rules)."""
    index = _normalize_index(index)
    try:
        return GetItemOp.apply(input, index=index)
    except IndexError as error:
        raise IndexError(f"getitem: {error} (indexing a tensor of shape {tuple(input.shape)})"
                         ) from None


class IndexPutOp(Op):
    """z = x with z[index] = v (the functional form of ``x[index] = v``).

    dL/dx = g with the overwritten positions zeroed,  dL/dv = g[index] (summed to v's shape).
    """

    @staticmethod
    def forward(ctx, x, value, *, index):
        out = x.copy()
        out[index] = value
        kept = np.ones(x.shape, dtype=bool)
        kept[index] = False
        ctx.save_for_backward(kept)
        ctx.index = index
        return out

    @staticmethod
    def backward(ctx, grad):
        (kept,) = ctx.saved_tensors
        return grad * kept, grad[ctx.index]


def index_put(input: Tensor, index: Any, value: Any) -> Tensor:
    index = _normalize_index(index)
    if not isinstance(value, Tensor):
        value = Tensor._make(np.asarray(value, dtype=input.dtype))
    try:
        target = np.shape(input._data[index])
    except IndexError as error:
        raise IndexError(f"__setitem__: {error} (indexing a tensor of shape "
                         f"{tuple(input.shape)})") from None
    extra = value.ndim - len(target)
    if extra > 0 and all(size == 1 for size in value.shape[:extra]):
        value = reshape(value, value.shape[extra:])  # leading 1s are dropped, as in PyTorch
    try:
        np.broadcast_shapes(value.shape, target)
    except ValueError:
        raise RuntimeError(
            f"__setitem__: a value of shape {tuple(value.shape)} cannot be broadcast to the "
            f"indexed part of shape {target} of a tensor of shape {tuple(input.shape)}"
        ) from None
    return IndexPutOp.apply(input, value, index=index)


# --------------------------------------------------------------------------- joining and splitting


class CatOp(Op):
    """z = the inputs joined along ``axis``.  dL/d(input k) = the slice of g input k filled."""

    @staticmethod
    def forward(ctx, *arrays, axis):
        ctx.axis = axis
        ctx.bounds = np.cumsum([0] + [a.shape[axis] for a in arrays])
        return np.concatenate(arrays, axis=axis)

    @staticmethod
    def backward(ctx, grad):
        lead = (slice(None),) * ctx.axis
        bounds = ctx.bounds
        return tuple(grad[lead + (slice(bounds[k], bounds[k + 1]),)]
                     for k in range(len(bounds) - 1))


def _tensors(tensors: Sequence[Any], op: str) -> list[Tensor]:
    if isinstance(tensors, Tensor) or not len(tensors):
        raise TypeError(f"{op}: expected a non-empty sequence of tensors")
    return [t if isinstance(t, Tensor) else Tensor._make(np.asarray(t)) for t in tensors]


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join tensors along an existing dim; all other sizes must match."""
    tensors = _tensors(tensors, "cat")
    first = tensors[0]
    axis = normalize_dim(dim, first.ndim, "cat")
    for k, t in enumerate(tensors[1:], start=1):
        if t.ndim != first.ndim or any(
            a != b for i, (a, b) in enumerate(zip(t.shape, first.shape)) if i != axis
        ):
            raise RuntimeError(
                f"cat: sizes of tensors must match except in dimension {axis}; got "
                f"{tuple(first.shape)} at position 0 and {tuple(t.shape)} at position {k}"
            )
    return CatOp.apply(*tensors, axis=axis)


class StackOp(Op):
    """z = the inputs stacked along a new ``axis``.  dL/d(input k) = g indexed at k on that axis."""

    @staticmethod
    def forward(ctx, *arrays, axis):
        ctx.axis, ctx.count = axis, len(arrays)
        return np.stack(arrays, axis=axis)

    @staticmethod
    def backward(ctx, grad):
        lead = (slice(None),) * ctx.axis
        return tuple(grad[lead + (k,)] for k in range(ctx.count))


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join same-shaped tensors along a new dim."""
    tensors = _tensors(tensors, "stack")
    first = tensors[0]
    for k, t in enumerate(tensors[1:], start=1):
        if t.shape != first.shape:
            raise RuntimeError(
                f"stack: expects each tensor to be equal size, but got {tuple(first.shape)} at "
                f"entry 0 and {tuple(t.shape)} at entry {k}"
            )
    return StackOp.apply(*tensors, axis=normalize_dim(dim, first.ndim + 1, "stack"))


def split(tensor: Tensor, split_size_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """Pieces of ``split_size`` along ``dim`` (the last may be smaller), or of the listed sizes."""
    axis = normalize_dim(dim, tensor.ndim, "split")
    length = tensor.shape[axis]
    if isinstance(split_size_or_sections, int):
        if split_size_or_sections <= 0:
            raise RuntimeError(f"split: split_size must be positive, got {split_size_or_sections}")
        sizes = [split_size_or_sections] * (length // split_size_or_sections)
        if length % split_size_or_sections:
            sizes.append(length % split_size_or_sections)
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != length:
            raise RuntimeError(
                f"split: split sizes {sizes} must sum to the size of dim {axis} ({length})"
            )
    lead = (slice(None),) * axis
    starts = np.cumsum([0] + sizes)
    return tuple(tensor[lead + (slice(int(starts[k]), int(starts[k + 1])),)]
                 for k in range(len(sizes)))


def chunk(tensor: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """``chunks`` pieces of equal size (ceil(n / chunks)) along ``dim``; the last may be smaller."""
    if chunks <= 0:
        raise RuntimeError(f"chunk: chunks must be positive, got {chunks}")
    length = tensor.shape[normalize_dim(dim, tensor.ndim, "chunk")]
    return split(tensor, max(-(-length // chunks), 1), dim)


# --------------------------------------------------------------------------- padding


class ConstantPadOp(Op):
    """z = x surrounded by a constant.  dL/dx = the inner (unpadded) part of g."""

    @staticmethod
    def forward(ctx, x, *, widths, value):
        ctx.inner = tuple(slice(before, before + size) for (before, _), size in
                          zip(widths, x.shape))
        return np.pad(x, widths, mode="constant", constant_values=value)

    @staticmethod
    def backward(ctx, grad):
        return (grad[ctx.inner],)


def pad(input: Tensor, pad: Sequence[int], mode: str = "constant", value: float = 0.0) -> Tensor:
    """Pad the last ``len(pad) // 2`` dims; ``pad`` lists (before, after) from the last dim
    backwards, as in PyTorch. Modes: constant, reflect, replicate, circular.

    The non-constant modes are gathers: each output element is a copy of some input element, so
    they are computed as indexing (``GetItem`` with one index array per padded axis), whose
    backward adds up the gradients of all copies.
    """
    if len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise RuntimeError(
            f"pad: padding length {len(pad)} must be even and at most 2 * ndim ({input.ndim})"
        )
    if any(p < 0 for p in pad):
        raise RuntimeError("pad: negative padding (cropping) is not supported; slice instead")
    widths = [(0, 0)] * input.ndim
    for k in range(len(pad) // 2):
        widths[input.ndim - 1 - k] = (int(pad[2 * k]), int(pad[2 * k + 1]))
    if mode == "constant":
        return ConstantPadOp.apply(input, widths=tuple(widths), value=value)
    numpy_mode = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}.get(mode)
    if numpy_mode is None:
        raise ValueError(
            f"pad: mode must be 'constant', 'reflect', 'replicate' or 'circular', got {mode!r}"
        )
    for (before, after), size in zip(widths, input.shape):
        if mode == "reflect" and max(before, after) >= size and before + after:
            raise RuntimeError(
                f"pad: reflect padding ({before}, {after}) must be smaller than the dim size {size}"
            )
    axes_index = [np.pad(np.arange(size), w, mode=numpy_mode) for w, size in
                  zip(widths, input.shape)]
    return GetItemOp.apply(input, index=np.ix_(*axes_index))
