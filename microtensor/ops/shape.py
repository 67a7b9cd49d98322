"""Shape and indexing primitives: reshape, permute, expand, repeat, indexing, cat, stack, pad.

These ops move values around without changing them, so each backward moves the gradient back:
reshape the gradient to the old shape, permute it with the inverse permutation, slice it the way
cat glued, scatter it (adding where an element was picked twice) where indexing gathered.
"""

from __future__ import annotations

import math
import operator
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from microtensor.autograd.function import Op, ViewOp
from microtensor.autograd.inplace import mark_multi_output_views
from microtensor.ops import array_or_tensor as either
from microtensor.ops import promotion
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


class ReshapeOp(ViewOp):
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


def view(input: Tensor, shape: Sequence[int]) -> Tensor:
    """``input`` with a new shape, sharing its memory (one entry may be -1: inferred).

    As in PyTorch, a view must not need a copy: a tensor that is not contiguous (a transpose,
    a slice with a step, an expanded tensor) can only be viewed with shapes that split or merge
    its dims within runs of dims that are contiguous among themselves (``can_view``); for any
    other shape use ``reshape``, which copies when it must.
    """
    shape = _inferred_shape(tuple(shape), input.shape, "view")
    array = input._data
    if not array.flags.c_contiguous and not can_view(array, shape):
        raise RuntimeError(
            f"view: view size is not compatible with input tensor's size and stride (at least "
            f"one dimension spans across two contiguous subspaces): shape {list(shape)} of a "
            f"tensor of shape {tuple(input.shape)} and strides {_element_strides(array)}. Use "
            ".reshape(...) instead.")
    return reshape(input, shape)


def _inferred_shape(shape: tuple[int, ...], old: tuple[int, ...], op: str) -> tuple[int, ...]:
    """``shape`` with its -1 (if any) replaced by the size that keeps the number of elements."""
    numel = math.prod(old)
    for k, size in enumerate(shape):
        if size < -1:
            raise RuntimeError(f"{op}: invalid shape dimension {size} at index {k} of shape "
                               f"{list(shape)}")
    if shape.count(-1) > 1:
        raise RuntimeError(f"{op}: only one dimension can be inferred, got shape {list(shape)}")
    known = math.prod(s for s in shape if s != -1)
    if -1 in shape and known == 0:
        raise RuntimeError(
            f"{op}: cannot reshape tensor of 0 elements into shape {list(shape)} because the "
            "unspecified dimension size -1 can be any value and is ambiguous")
    if -1 in shape and numel % known == 0:
        shape = tuple(numel // known if s == -1 else s for s in shape)
    if math.prod(shape) != numel or -1 in shape:
        raise RuntimeError(f"{op}: shape {list(shape)} is invalid for input of shape {old} "
                           f"({numel} elements)")
    return shape


def _element_strides(array: np.ndarray) -> tuple[int, ...]:
    """NumPy's strides (bytes) as PyTorch counts them (elements)."""
    return tuple(s // array.itemsize for s in array.strides)


def can_view(array: np.ndarray, shape: tuple[int, ...]) -> bool:
    """Can ``array`` be seen with ``shape`` (same number of elements) without a copy?

    PyTorch's rule (``computeStride``): cut the old dims, from the last, into *chunks* of dims
    that are contiguous among themselves (stride[d] = stride[d+1] * size[d+1]; dims of size 1
    never cut). Each chunk is then one flat run of evenly spaced elements, so the new dims,
    taken from the last, must fill the chunks exactly: a new dim may split a chunk but never
    span two. Tensors without elements or dims can always be viewed.
    """
    if array.size == 0 or array.ndim == 0:
        return True
    d = len(shape) - 1
    for numel in _chunk_sizes(array.shape, _element_strides(array)):
        filled = 1
        while d >= 0 and (filled < numel or shape[d] == 1):
            filled *= shape[d]
            d -= 1
        if filled != numel:
            return False
    return d == -1


def _chunk_sizes(shape: tuple[int, ...], strides: tuple[int, ...]) -> list[int]:
    """The numbers of elements of the contiguous chunks of dims (see ``can_view``), last first."""
    sizes, numel, step = [], 1, strides[-1]
    for d in range(len(shape) - 1, -1, -1):
        numel *= shape[d]
        if d == 0 or (shape[d - 1] != 1 and strides[d - 1] != numel * step):
            sizes.append(numel)
            if d > 0:
                numel, step = 1, strides[d - 1]
    return sizes


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
    """Remove dims of size 1: all of them, or those of ``dim`` (an int or a tuple, as in
    PyTorch 2.x) that have size 1 (a view)."""
    shape = input.shape
    if dim is None:
        return reshape(input, tuple(s for s in shape if s != 1))
    dims = (dim,) if isinstance(dim, int | np.integer) else tuple(dim)
    axes = [normalize_dim(d, input.ndim, "squeeze") for d in dims]
    for axis in axes:
        if axes.count(axis) > 1:
            raise RuntimeError(f"squeeze: dim {axis} appears multiple times in the list of dims "
                               f"{list(dims)}")
    return reshape(input, tuple(s for i, s in enumerate(shape) if not (i in axes and s == 1)))


class PermuteOp(ViewOp):
    """z = x with its axes reordered.  dL/dx = g with the inverse reordering."""

    @staticmethod
    def forward(ctx, x, *, axes):
        ctx.inverse = tuple(np.argsort(axes))
        return np.transpose(x, axes)

    @staticmethod
    def backward(ctx, grad):
        return (either.permute(grad, ctx.inverse),)


def permute(input: Tensor, dims: Sequence[int]) -> Tensor:
    """The tensor with its dims reordered, a view:
    result dim i is input dim ``dims[i]`` (negative dims count from the end).
    dL/dx = g with the inverse permutation."""
    axes = tuple(normalize_dim(d, input.ndim, "permute") for d in dims)
    if sorted(axes) != list(range(input.ndim)):
        raise RuntimeError(
            f"permute: dims {tuple(dims)} must be a permutation of the {input.ndim} dims of a "
            f"tensor of shape {tuple(input.shape)}"
        )
    return PermuteOp.apply(input, axes=axes)


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swap two dims (a 0-d tensor accepts dims 0 and -1 and stays as it is, as in PyTorch)."""
    axes = list(range(input.ndim))
    a = normalize_dim(dim0, input.ndim, "transpose")
    b = normalize_dim(dim1, input.ndim, "transpose")
    if axes:
        axes[a], axes[b] = axes[b], axes[a]
    return PermuteOp.apply(input, axes=tuple(axes))


class ExpandOp(ViewOp):
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
    """The tensor tiled ``repeats[i]`` times along dim
    i (a copy); extra leading repeats add leading dims, as ``Tensor.repeat``.
    dL/dx = g summed over the tiles."""
    repeats = tuple(repeats)
    if len(repeats) < input.ndim:
        raise RuntimeError(
            f"repeat: number of repeat dims ({len(repeats)}) can not be smaller than the number "
            f"of dimensions of the tensor ({input.ndim})"
        )
    return RepeatOp.apply(input, repeats=repeats)


# --------------------------------------------------------------------------- indexing


class Index:
    """A PyTorch index, run as two NumPy steps: ``array[basic]`` (a view), then ``[advanced]``.

    PyTorch's rules, which differ from NumPy's where an int meets an index array:

    1. An int *selects*: its dim disappears at once (a view), and the index tensors of the same
       expression never see it. NumPy instead treats the int as one more index array.
    2. Slices, None (a new dim of size 1) and ``...`` are views as well.
    3. ``True``/``False`` (a Python bool or a 0-d bool tensor) adds a dim of size 1 and indexes
       it with the index tensor ``[0]`` (True) or ``[]`` (False).
    4. The index tensors (int tensors and lists; a bool mask as its ``nonzero()`` coordinates,
       one per dim it covers) are broadcast together. If the dims they index are adjacent, the
       broadcast shape takes their place; if not, it goes first.

    ``basic`` holds steps 1-3 (ints, slices and None, ending in ``...`` so that the result is
    always an array view); ``advanced`` holds step 4 on the dims of that view (slices and index
    arrays only, where NumPy's placement rule is PyTorch's), or is None.
    """

    __slots__ = ("basic", "advanced")

    def __init__(self, basic: tuple[Any, ...], advanced: tuple[Any, ...] | None = None) -> None:
        self.basic = basic
        self.advanced = advanced

    def gather(self, array: np.ndarray) -> np.ndarray:
        """``array[index]``: a view when there are no index arrays, else a contiguous copy (as
        PyTorch's; NumPy may lay it out in another order)."""
        view = array[self.basic]
        if self.advanced is None:
            return view
        out = view[self.advanced]
        return out if out.flags.c_contiguous else np.ascontiguousarray(out)

    def put(self, out: np.ndarray, value: Any) -> None:
        """``out[index] = value``, in place (where an element is picked twice, the last wins)."""
        if self.advanced is None:
            out[self.basic] = value
        else:
            out[self.basic][self.advanced] = value

    def add_at(self, out: np.ndarray, value: np.ndarray) -> None:
        """``out[index] += value``, adding once per pick (an element picked twice gets both)."""
        if self.advanced is None:
            out[self.basic] += value
        else:
            np.add.at(out[self.basic], self.advanced, value)


_VALID_INDICES = ("only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                  "Variables are valid indices")


def parse_index(index: Any, shape: tuple[int, ...]) -> Index:
    """Read ``index`` (as in ``x[index]``) by PyTorch's rules for a tensor of ``shape``."""
    if type(index) is int:  # the most common index: one select, checked here
        size = shape[0] if shape else 0
        if shape and -size <= index < size:
            return Index((index, Ellipsis))
    items = [_index_item(item) for item in _index_tuple(index)]
    walk = _IndexWalk(shape, items)
    for item in items:
        walk.take(item)
    return walk.result()


def _index_tuple(index: Any) -> tuple[Any, ...]:
    """The index as a tuple of items.

    A list that holds a slice, None, ``...``, a sequence or a tensor (and has fewer than 32
    items) is read as a tuple, ``x[[0, slice(None)]]`` as ``x[0, :]``: PyTorch still does so (with
    a deprecation warning), following an old NumPy rule.
    """
    if isinstance(index, tuple):
        return index
    if isinstance(index, list) and len(index) < 32 and any(
        isinstance(item, Tensor | list | tuple | np.ndarray | slice) or item is None
        or item is Ellipsis for item in index
    ):
        warnings.warn(
            "Using a non-tuple sequence for multidimensional indexing is deprecated; use "
            "x[tuple(seq)] instead of x[seq] (PyTorch reads it as a tuple, and so does "
            "microtensor)", UserWarning, stacklevel=6)
        return tuple(index)
    return (index,)


def _index_item(item: Any) -> Any:
    """One item of an index as None, ``...``, a slice, a bool, an int or an index array."""
    if item is None or item is Ellipsis or isinstance(item, slice | bool):
        return item
    if isinstance(item, int | np.integer):
        return int(item)
    if isinstance(item, Tensor):
        return _array_item(item._data)
    if isinstance(item, np.ndarray):
        return _array_item(item)
    if isinstance(item, list | tuple | range):  # a range indexes as the list it holds
        array = np.asarray(item)
        if array.dtype.kind == "f" or array.size == 0:
            array = array.astype(np.int64)  # PyTorch turns an index list into a long tensor
        return _array_item(array)
    try:
        return operator.index(item)
    except TypeError:
        raise IndexError(f"{_VALID_INDICES} (got {type(item).__name__})") from None


def _array_item(array: np.ndarray) -> Any:
    """An index array: bool (and uint8, PyTorch's old byte masks) or integer; 0-d ones are
    a bool or an int (a 0-d integer tensor selects, as an int does)."""
    kind = array.dtype.kind
    if kind == "b" or array.dtype == np.uint8:
        return bool(array) if array.ndim == 0 else array.astype(bool, copy=False)
    if kind not in "iu":
        raise IndexError(
            f"tensors used as indices must be integer or bool tensors (long, int, byte or bool), "
            f"got dtype {array.dtype}")
    return int(array) if array.ndim == 0 else array.astype(np.intp, copy=False)


def _dims_taken(item: Any) -> int:
    """How many dims of the tensor an index item consumes."""
    if item is None or item is Ellipsis or isinstance(item, bool):
        return 0
    if isinstance(item, np.ndarray) and item.dtype == bool:
        return item.ndim
    return 1


class _IndexWalk:
    """Walks an index from left to right as PyTorch does, building an ``Index``.

    ``dim`` is the next dim of the tensor to consume; ``out`` the next dim of the view that the
    basic part produces (where the index arrays go).
    """

    __slots__ = ("shape", "free", "dim", "out", "basic", "arrays", "ellipsis")

    def __init__(self, shape: tuple[int, ...], items: list[Any]) -> None:
        taken = sum(_dims_taken(item) for item in items)
        if taken > len(shape):
            hint = " (read a 0-dim tensor with tensor.item())" if not shape else ""
            raise IndexError(f"too many indices for tensor of dimension {len(shape)}{hint}")
        self.shape, self.free = shape, len(shape) - taken
        self.dim = self.out = 0
        self.basic: list[Any] = []
        self.arrays: dict[int, np.ndarray] = {}
        self.ellipsis = False

    def take(self, item: Any) -> None:
        if item is None:
            self._keep(None, 0, 1)
        elif item is Ellipsis:
            self._ellipsis()
        elif isinstance(item, bool):  # a new dim of size 1, indexed by [0] or []
            self.arrays[self.out] = np.zeros(int(item), dtype=np.intp)
            self._keep(None, 0, 1)
        elif isinstance(item, int):
            self._select(item)
        elif isinstance(item, slice):
            self._slice(item)
        elif item.dtype == bool:
            self._mask(item)
        else:
            self._check_bounds(item)
            self.arrays[self.out] = item
            self._keep(slice(None), 1, 1)

    def result(self) -> Index:
        if not self.ellipsis:
            self.basic.append(Ellipsis)  # a view even when every dim is selected
        if not self.arrays:
            return Index(tuple(self.basic))
        advanced = tuple(self.arrays.get(d, slice(None)) for d in range(max(self.arrays) + 1))
        return Index(tuple(self.basic), advanced)

    def _keep(self, basic_item: Any, dims: int, outs: int) -> None:
        self.basic.append(basic_item)
        self.dim += dims
        self.out += outs

    def _ellipsis(self) -> None:
        if self.ellipsis:
            # PyTorch accepts a second `...` and reads it inconsistently; NumPy refuses it
            raise IndexError("an index can only have a single ellipsis ('...')")
        self.ellipsis = True
        self.basic.append(Ellipsis)
        self.dim += self.free
        self.out += self.free

    def _select(self, i: int) -> None:
        size = self.shape[self.dim]
        if not -size <= i < size:
            raise IndexError(f"index {i} is out of bounds for dimension {self.dim} with size "
                             f"{size}")
        self._keep(i, 1, 0)

    def _slice(self, item: slice) -> None:
        if item.step is not None and operator.index(item.step) == 0:
            raise ValueError("slice step cannot be zero")
        self._keep(item, 1, 1)

    def _check_bounds(self, indices: np.ndarray) -> None:
        size = self.shape[self.dim]
        if indices.size and (indices.min() < -size or indices.max() >= size):
            bad = indices[(indices < -size) | (indices >= size)].flat[0]
            raise IndexError(f"index {bad} is out of bounds for dimension {self.dim} with size "
                             f"{size}")

    def _mask(self, mask: np.ndarray) -> None:
        covered = self.shape[self.dim:self.dim + mask.ndim]
        for k, (m, s) in enumerate(zip(mask.shape, covered)):
            if m != s:
                raise IndexError(
                    f"The shape of the mask {list(mask.shape)} at index {k} does not match the "
                    f"shape of the indexed tensor {list(self.shape)} at index {self.dim + k}")
        for k, coordinates in enumerate(mask.nonzero()):
            self.arrays[self.out + k] = coordinates
        for _ in range(mask.ndim):
            self._keep(slice(None), 1, 1)


class GetItemOp(ViewOp):
    """z = x[index] (``index`` an ``Index``).

    dL/dx = zeros like x with g added at the picked positions: an element picked several times
    (index arrays with repeats) receives the sum of its gradients (``np.add.at``).
    """

    @staticmethod
    def forward(ctx, x, *, index):
        ctx.in_shape, ctx.index = x.shape, index
        return index.gather(x)

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
        index.add_at(out, grad)
        return out

    @staticmethod
    def backward(ctx, grad):
        return (_gather(grad, ctx.index),)


def _scatter_add(grad: Any, index: Index, shape: tuple[int, ...]) -> Any:
    if isinstance(grad, Tensor):
        return ScatterAddOp.apply(grad, index=index, shape=shape)
    return ScatterAddOp.forward(_Scratch(), grad, index=index, shape=shape)


def _gather(values: Any, index: Index) -> Any:
    if isinstance(values, Tensor):
        return GetItemOp.apply(values, index=index)
    return index.gather(values)


class _Scratch:
    """A throwaway ctx for calling a forward directly on arrays."""


def getitem(input: Tensor, index: Any) -> Tensor:
    """``input[index]`` by PyTorch's rules (see ``Index``): ints, slices, None, ``...``, bools,
    integer tensors/lists/arrays and bool masks. Ints and slices give views, as in PyTorch.

    Differences from PyTorch, on purpose, each where PyTorch raises or is inconsistent: a
    negative slice step reverses, as in NumPy and Python (PyTorch raises "step must be greater
    than zero"; microtensor has no ``flip``); a second ``...`` is an error (PyTorch reads it
    inconsistently); a bool mask given as a list or NumPy array covers as many dims as it has
    (PyTorch counts it as one dim next to ``...`` and then refuses its shape).
    """
    return GetItemOp.apply(input, index=_parse_for("getitem", index, input.shape))


def _parse_for(op: str, index: Any, shape: tuple[int, ...]) -> Index:
    """``parse_index``, with the op and the tensor's shape in its errors."""
    try:
        return parse_index(index, shape)
    except (IndexError, ValueError) as error:
        raise type(error)(f"{op}: {error} (indexing a tensor of shape {tuple(shape)})") from None


class IndexPutOp(Op):
    """z = x with z[index] = v (the functional form of ``x[index] = v``).

    dL/dx = g with the overwritten positions set to 0 (a selection, not a product with a mask:
    0 · inf would be nan), dL/dv = g[index] (summed to v's shape by the engine). Where an index
    array repeats a position, each copy of v gets g of that position, as in PyTorch.
    """

    @staticmethod
    def forward(ctx, x, value, *, index):
        out = x.copy()
        index.put(out, value)
        written = np.zeros(x.shape, dtype=bool)
        index.put(written, True)
        ctx.save_for_backward(written)
        ctx.index = index
        return out

    @staticmethod
    def backward(ctx, grad):
        (written,) = ctx.saved_tensors
        needs_x, needs_value = ctx.needs_input_grad
        grad_x = either.masked_fill(grad, written, 0.0) if needs_x else None
        return grad_x, (_gather(grad, ctx.index) if needs_value else None)


def index_put(input: Tensor, index: Any, value: Any) -> Tensor:
    """``input`` with ``input[index] = value``, out of place (``Tensor.__setitem__`` uses it)."""
    index = _parse_for("__setitem__", index, input.shape)
    if not isinstance(value, Tensor):
        value = Tensor._make(np.asarray(value, dtype=input.dtype))
    target = np.shape(index.gather(input._data))
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
    """z = the inputs joined along ``axis``, in the promoted ``dtype``.

    dL/d(input k) = the slice of g that input k filled (the engine casts it to input k's dtype).
    An input marked in ``skipped`` (a 1-D tensor of size 0, PyTorch's legacy rule) fills nothing
    and gets an empty gradient.
    """

    @staticmethod
    def forward(ctx, *arrays, axis, dtype, skipped=None):
        ctx.axis, ctx.skipped = axis, skipped
        if skipped is not None:
            arrays = tuple(a for a, skip in zip(arrays, skipped) if not skip)
        ctx.bounds = np.cumsum([0] + [a.shape[axis] for a in arrays])
        return np.concatenate(arrays, axis=axis, dtype=dtype, casting="same_kind")

    @staticmethod
    def backward(ctx, grad):
        lead = (slice(None),) * ctx.axis
        bounds = ctx.bounds
        grads = [grad[lead + (slice(bounds[k], bounds[k + 1]),)] for k in range(len(bounds) - 1)]
        if ctx.skipped is None:
            return tuple(grads)
        joined = iter(grads)
        return tuple(grad.reshape((-1,))[0:0] if skip else next(joined) for skip in ctx.skipped)


def _tensors(tensors: Sequence[Any], op: str) -> list[Tensor]:
    if isinstance(tensors, Tensor) or not isinstance(tensors, Sequence):
        raise TypeError(f"{op}(): argument 'tensors' must be a sequence of Tensors, not "
                        f"{type(tensors).__name__}")
    if not len(tensors):  # PyTorch: a ValueError from cat, a RuntimeError from stack
        raise (ValueError if op == "cat" else RuntimeError)(
            f"{op}(): expected a non-empty sequence of Tensors")
    for k, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}(): expected Tensor as element {k} in argument 0, but got "
                            f"{type(t).__name__}; wrap it with mt.tensor(...)")
    return list(tensors)


def _joined_dtype(tensors: list[Tensor]) -> np.dtype:
    """PyTorch's ``result_type`` of the inputs (float32 with int64 is float32, not float64)."""
    dtype = tensors[0]._data.dtype
    if all(t._data.dtype == dtype for t in tensors):
        return dtype
    return promotion.result_type(*tensors)


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join tensors along an existing dim; all other sizes must match. The result has the
    promoted dtype of the inputs (``torch.result_type``), and, as in PyTorch, 1-D tensors of
    size 0 are skipped whatever the other shapes (a legacy rule)."""
    tensors = _tensors(tensors, "cat")
    for k, t in enumerate(tensors):
        if t.ndim == 0:
            raise RuntimeError(f"cat: zero-dimensional tensor (at position {k}) cannot be "
                               "concatenated; use stack, or unsqueeze it first")
    shaped = [(k, t) for k, t in enumerate(tensors) if t.shape != (0,)]
    first = shaped[0][1] if shaped else tensors[0]
    skipped = None
    if first.ndim != 1 and len(shaped) < len(tensors):
        skipped = tuple(t.shape == (0,) for t in tensors)
    axis = normalize_dim(dim, first.ndim, "cat")
    for k, t in shaped:
        _check_cat_shape(first, t, k, axis)
    return CatOp.apply(*tensors, axis=axis, dtype=_joined_dtype(tensors), skipped=skipped)


def _check_cat_shape(first: Tensor, t: Tensor, position: int, axis: int) -> None:
    if t.ndim != first.ndim or any(
        a != b for i, (a, b) in enumerate(zip(t.shape, first.shape)) if i != axis
    ):
        raise RuntimeError(
            f"cat: sizes of tensors must match except in dimension {axis}; got "
            f"{tuple(first.shape)} at position 0 and {tuple(t.shape)} at position {position}"
        )


class StackOp(Op):
    """z = the inputs (in the promoted ``dtype``) stacked along a new ``axis``.

    dL/d(input k) = g indexed at k on that axis (the engine casts it to input k's dtype).
    """

    @staticmethod
    def forward(ctx, *arrays, axis, dtype):
        ctx.axis, ctx.count = axis, len(arrays)
        return np.stack(arrays, axis=axis, dtype=dtype, casting="same_kind")

    @staticmethod
    def backward(ctx, grad):
        lead = (slice(None),) * ctx.axis
        return tuple(grad[lead + (k,)] for k in range(ctx.count))


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join same-shaped tensors along a new dim, in their promoted dtype (``torch.result_type``)."""
    tensors = _tensors(tensors, "stack")
    first = tensors[0]
    for k, t in enumerate(tensors[1:], start=1):
        if t.shape != first.shape:
            raise RuntimeError(
                f"stack: expects each tensor to be equal size, but got {tuple(first.shape)} at "
                f"entry 0 and {tuple(t.shape)} at entry {k}"
            )
    axis = normalize_dim(dim, first.ndim + 1, "stack")
    return StackOp.apply(*tensors, axis=axis, dtype=_joined_dtype(tensors))


def split(tensor: Tensor, split_size_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """Pieces of ``split_size`` along ``dim`` (the last may be smaller), or of the listed sizes.

    As in PyTorch, an int size gives at least one piece (a dim of size 0 gives one empty piece),
    and the pieces are views of ``tensor``.
    """
    if tensor.ndim == 0:
        raise RuntimeError("split: expects at least a 1-dimensional tensor, got a 0-dim tensor")
    axis = normalize_dim(dim, tensor.ndim, "split")
    length = tensor.shape[axis]
    if isinstance(split_size_or_sections, int | np.integer):
        sizes = _equal_pieces(int(split_size_or_sections), length)
    elif isinstance(split_size_or_sections, Sequence | np.ndarray):
        sizes = _listed_pieces(split_size_or_sections, length, axis)
    else:
        raise TypeError(f"split: split_size_or_sections must be an int or a sequence of ints, "
                        f"got {type(split_size_or_sections).__name__}")
    return mark_multi_output_views(_pieces(tensor, sizes, axis), "split")


def _equal_pieces(size: int, length: int) -> list[int]:
    """ceil(length / size) pieces of ``size`` (at least one), the last holding the rest."""
    if size < 0:
        raise RuntimeError(f"split: expects split_size be non-negative, but got split_size={size}")
    if size == 0:
        if length:
            raise RuntimeError(f"split: split_size can only be 0 if dimension size is 0, but "
                               f"got dimension size of {length}")
        return [0]
    count = max(-(-length // size), 1)
    return [size] * (count - 1) + [length - size * (count - 1)]


def _listed_pieces(sections: Any, length: int, axis: int) -> list[int]:
    sizes = [operator.index(s) for s in sections]
    if any(s < 0 for s in sizes):
        raise RuntimeError(f"split: split_with_sizes expects split_sizes have only non-negative "
                           f"entries, but got split_sizes={sizes}")
    if sum(sizes) != length:
        raise RuntimeError(
            f"split: split sizes {sizes} must sum to the size of dim {axis} ({length}) "
            f"(split_with_sizes expects split_sizes to sum exactly to {length})")
    return sizes


def _pieces(tensor: Tensor, sizes: list[int], axis: int) -> tuple[Tensor, ...]:
    """Consecutive views of ``tensor`` along ``axis`` with the given sizes."""
    lead = (slice(None),) * axis
    pieces, start = [], 0
    for size in sizes:
        index = Index(lead + (slice(start, start + size), Ellipsis))
        pieces.append(GetItemOp.apply(tensor, index=index))
        start += size
    return tuple(pieces)


def chunk(tensor: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """Pieces of ceil(n / chunks) along ``dim`` (the last may be smaller; there may be fewer than
    ``chunks``), as in PyTorch; a dim of size 0 gives ``chunks`` empty pieces."""
    if tensor.ndim == 0:
        raise RuntimeError("chunk: expects at least a 1-dimensional tensor, got a 0-dim tensor")
    if chunks <= 0:
        raise RuntimeError(f"chunk: expects `chunks` to be greater than 0, got: {chunks}")
    axis = normalize_dim(dim, tensor.ndim, "chunk")
    length = tensor.shape[axis]
    sizes = [0] * chunks if length == 0 else _equal_pieces(-(-length // chunks), length)
    return mark_multi_output_views(_pieces(tensor, sizes, axis), "chunk")


# --------------------------------------------------------------------------- padding


class ConstantPadOp(Op):
    """z = x cropped where a width is negative, then surrounded by a constant where positive.

    Padding by widths w is linear, and its adjoint is padding by -w with zeros:
    dL/dx = pad(g, -w, 0), the inner part of g (with zeros where x was cropped away).
    """

    @staticmethod
    def forward(ctx, x, *, widths, value):
        ctx.widths = widths
        return _constant_pad(x, widths, value)

    @staticmethod
    def backward(ctx, grad):
        back = tuple((-before, -after) for before, after in ctx.widths)
        if isinstance(grad, Tensor):
            return (ConstantPadOp.apply(grad, widths=back, value=0),)
        return (_constant_pad(grad, back, 0),)


def _constant_pad(x: np.ndarray, widths: tuple[tuple[int, int], ...], value: Any) -> np.ndarray:
    crop = tuple(slice(max(-before, 0), size - max(-after, 0))
                 for (before, after), size in zip(widths, x.shape))
    grow = tuple((max(before, 0), max(after, 0)) for before, after in widths)
    kept = x[crop]
    if not any(before or after for before, after in grow):
        return kept
    return np.pad(kept, grow, mode="constant", constant_values=value)


def pad(input: Tensor, pad: Sequence[int], mode: str = "constant",
        value: float | None = None) -> Tensor:
    """Pad the last ``len(pad) // 2`` dims; ``pad`` lists (before, after) from the last dim
    backwards, as in PyTorch. Modes: constant (with ``value``, default 0), reflect, replicate,
    circular; a negative width crops (not in circular mode, see ``_check_gather_pad``).

    The non-constant modes are gathers: each output element is a copy of some input element, so
    they are computed as indexing (``GetItem`` with one index array per padded dim), whose
    backward adds up the gradients of all copies. ``value`` is ignored by them (``F.pad`` refuses
    a value there, as PyTorch does).
    """
    widths = _pad_widths(input, pad)
    if mode == "constant":
        for d, ((before, after), size) in enumerate(zip(widths, input.shape)):
            if max(-before, 0) + max(-after, 0) > size:
                raise RuntimeError(
                    f"pad: negative padding ({before}, {after}) at dimension {d} crops more "
                    f"than the {size} elements of that dim of the input of shape "
                    f"{tuple(input.shape)}; crop at most the whole dim")
        return ConstantPadOp.apply(input, widths=widths, value=0.0 if value is None else value)
    if mode not in _PAD_POSITIONS:
        raise NotImplementedError(f"pad: unrecognised padding mode {mode!r}; use 'constant', "
                                  "'reflect', 'replicate' or 'circular'")
    padded = len(pad) // 2
    _check_gather_pad(tuple(input.shape), widths[input.ndim - padded:], mode)
    arrays = [_PAD_POSITIONS[mode](np.arange(-before, size + after), size)
              for (before, after), size in zip(widths[input.ndim - padded:],
                                                input.shape[input.ndim - padded:])]
    advanced = (slice(None),) * (input.ndim - padded) + np.ix_(*arrays)
    return GetItemOp.apply(input, index=Index((Ellipsis,), advanced))


def _pad_widths(input: Tensor, pad: Sequence[int]) -> tuple[tuple[int, int], ...]:
    """PyTorch's flat ``pad`` (last dim first) as one (before, after) pair per dim."""
    for position, width in enumerate(pad):
        if not isinstance(width, int | np.integer) or isinstance(width, bool):
            raise TypeError(f"pad: argument 'pad' must be a sequence of ints, but found element "
                            f"of type {type(width).__name__} at pos {position}")
    if len(pad) % 2:
        raise RuntimeError(
            f"pad: padding length must be divisible by 2, got {len(pad)} values {tuple(pad)}; "
            "give a (before, after) pair for each padded dim, the last dim first")
    if len(pad) // 2 > input.ndim:
        raise RuntimeError(
            f"pad: padding length should be less than or equal to two times the input dimension "
            f"but got padding length {len(pad)} and input of dimension {input.ndim} (shape "
            f"{tuple(input.shape)}); give at most one (before, after) pair per dim")
    widths = [(0, 0)] * input.ndim
    for k in range(len(pad) // 2):
        widths[input.ndim - 1 - k] = (int(pad[2 * k]), int(pad[2 * k + 1]))
    return tuple(widths)


def _reflect_positions(positions: np.ndarray, size: int) -> np.ndarray:
    positions = np.abs(positions)
    return np.where(positions >= size, 2 * (size - 1) - positions, positions)


def _circular_positions(positions: np.ndarray, size: int) -> np.ndarray:
    return positions % size if size else positions


# where each output position of a padded dim reads from (positions run from -before to
# size + after - 1; a negative ``before`` starts inside the input: a crop)
_PAD_POSITIONS = {
    "reflect": _reflect_positions,
    "replicate": lambda positions, size: np.clip(positions, 0, size - 1),
    "circular": _circular_positions,
}


def _check_gather_pad(shape: tuple[int, ...], widths: tuple[tuple[int, int], ...],
                      mode: str) -> None:
    """What the reflect, replicate and circular modes need of the padded dims.

    Circular padding refuses negative widths: PyTorch crops first and then wraps around the
    cropped tensor, and for some widths returns uninitialised memory; crop by slicing instead.
    """
    first = len(shape) - len(widths)
    for d, ((before, after), size) in enumerate(zip(widths, shape[first:]), start=first):
        where = f"({before}, {after}) at dimension {d} of input {shape}"
        if mode == "circular" and (before < 0 or after < 0):
            raise RuntimeError(
                f"pad: circular padding does not take negative (cropping) widths, got {where}; "
                "crop by slicing, then pad (PyTorch's result for them is not well defined)")
        if mode == "circular" and max(before, after) > size:
            raise RuntimeError(f"pad: circular padding {where} wraps around more than once; pad "
                               f"at most the size of the dim ({size})")
        if mode == "reflect" and max(before, after) >= max(size, 1):
            raise RuntimeError(
                f"pad: reflect padding {where}: padding size should be less than the "
                "corresponding input dimension; use 'replicate' or 'constant' mode to pad more")
        if mode == "replicate" and size == 0 and max(before, after) > 0:
            raise RuntimeError(f"pad: replicate padding {where} has no element to replicate")
        if size + before + after < 0:
            raise RuntimeError(f"pad: negative padding {where} crops more than the whole dim")


def check_pad_limits(input: Tensor, pad: Sequence[int], mode: str) -> None:
    """PyTorch's limits on ``F.pad`` in the reflect, replicate and circular modes.

    ``pad`` above pads any number of dims in every mode; ``F.pad`` keeps to what PyTorch
    supports: 1 to 3 padded dims of a tensor with one or two more dims (channels, batch), no
    zero-size dim but the batch (reflect, replicate), and some output size at least 1.
    """
    _pad_widths(input, pad)  # the checks of every mode first, in PyTorch's order
    shape = tuple(input.shape)
    padded, ndim = len(pad) // 2, len(shape)
    if padded not in (1, 2, 3) or ndim not in (padded + 1, padded + 2):
        raise NotImplementedError(
            f"pad: padding size {len(pad)} is not supported for {ndim}D input tensor (shape "
            f"{shape}) in {mode!r} mode. Supported combinations for non-constant padding: 2D or "
            "3D input: padding size = 2 (pads last dimension); 3D or 4D input: padding size = "
            "4 (pads last 2 dimensions); 4D or 5D input: padding size = 6 (pads last 3 "
            "dimensions)")
    if mode == "circular":
        return
    batch = 1 if ndim == padded + 2 else 0
    if 0 in shape[batch:]:
        raise RuntimeError(
            f"pad: {mode} padding expects a {padded + 1}D or {padded + 2}D (batch mode) tensor "
            f"with possibly 0 batch size and other non-zero dimensions, but got shape {shape}")
    outputs = [shape[ndim - 1 - k] + int(pad[2 * k]) + int(pad[2 * k + 1])
               for k in range(padded)]
    if max(outputs) < 1:
        raise RuntimeError(f"pad: input of shape {shape} is too small for the padding "
                           f"{tuple(pad)}: calculated output sizes {outputs[::-1]}")
