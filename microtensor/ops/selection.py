"""Selection along a dimension: gather/scatter, index_select/index_add/index_copy/index_fill,
masked_select/masked_scatter, take, take_along_dim, nonzero.

Two pairs of ops carry everything differentiable here, and each is the other's backward:

* ``gather`` reads ``out[i][j] = x[i][index[i][j]]`` (for ``dim=1``); its backward *adds* the
  gradient back to the positions it read: ``scatter_add``. And ``scatter_add``'s backward with
  respect to the added values reads the gradient at those positions: ``gather``.
* ``index_select`` reads whole slices ``out[:, j] = x[:, index[j]]``; its backward is
  ``index_add``, whose backward is ``index_select``.

Because each backward calls the other op (on arrays in a plain backward pass, on Tensors when
``create_graph=True``), double backward needs no extra formula. The rest is composed from
these, ``where`` and indexing: ``take`` is ``index_select`` on the flattened tensor,
``take_along_dim`` is ``gather`` after broadcasting, ``index_fill``/``scatter(value=...)`` are
``masked_fill`` with a mask of the written positions.

Indices are int64 tensors (gather, scatter and index_select/index_add also take int32, as
PyTorch does). An index outside ``[0, size)`` is an error naming the op, the dim, the index and
the size; ``index_fill``, ``take`` and ``take_along_dim`` also accept negative indices
from the end, where PyTorch does.

Writing twice to one position: ``scatter``/``index_copy`` with a repeated index keep the value
written *last* (in index order); PyTorch leaves the choice unspecified. ``scatter_add`` and
``index_add`` add every value (nothing is lost).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from microtensor import _dtypes
from microtensor.autograd.function import Op
from microtensor.ops import array_or_tensor as either
from microtensor.ops.elementwise import masked_fill, where
from microtensor.ops.shape import expand, getitem, normalize_dim, reshape
from microtensor.tensor import Tensor

# --------------------------------------------------------------------------- index checks


def _index_array(op: str, index: Any, allow_int32: bool = False,
                 error: type[Exception] = RuntimeError) -> np.ndarray:
    """The index tensor's values, refused unless int64 (or int32 where PyTorch takes it)."""
    array = index._data if isinstance(index, Tensor) else np.asarray(index)
    allowed = (np.int64, np.int32) if allow_int32 else (np.int64,)
    if array.dtype not in allowed:
        wanted = "int32 or int64" if allow_int32 else "int64 (a long tensor)"
        raise error(f"{op}(): expected dtype {wanted} for index, but got "
                    f"{_dtypes.torch_name(array.dtype)}; convert it with index.long()")
    return array.astype(np.int64, copy=False)


def _check_bounds(op: str, index: np.ndarray, size: int, dim: int, negative_ok: bool = False,
                  error: type[Exception] = IndexError) -> np.ndarray:
    """Index values in [0, size) (or [-size, size) when ``negative_ok``, then wrapped).

    Out of range is a RuntimeError for gather/scatter and an IndexError for the index_* ops
    and take, as in PyTorch."""
    low = -size if negative_ok else 0
    bad = (index < low) | (index >= size)
    if bad.any():
        value = int(index[bad].flat[0])
        raise error(f"{op}(): index {value} is out of bounds for dimension {dim} with size "
                    f"{size}; indices must lie in [{low}, {size}) (index out of range)")
    return index + size * (index < 0) if negative_ok and index.size else index


def _same_dtype(op: str, self: Tensor, other: Tensor, what: str = "src") -> None:
    if self._data.dtype != other._data.dtype:
        raise RuntimeError(
            f"{op}(): expected self and {what} to have the same dtype, but got "
            f"{_dtypes.torch_name(self._data.dtype)} and {_dtypes.torch_name(other._data.dtype)}; "
            f"convert {what} with .to(self.dtype)")


def _tensor(op: str, value: Any, name: str) -> Tensor:
    if not isinstance(value, Tensor):
        raise TypeError(f"{op}(): argument '{name}' must be a Tensor, not {type(value).__name__}")
    return value


# --------------------------------------------------------------------------- gather and scatter
# The positions that ``index`` (same number of dims as x) names along ``axis``: a tuple of
# NumPy index arrays, the index itself at ``axis`` and the running coordinate elsewhere.


def _positions(index: np.ndarray, axis: int) -> tuple[np.ndarray, ...]:
    ndim = index.ndim
    return tuple(index if d == axis else
                 np.arange(size).reshape([-1 if k == d else 1 for k in range(ndim)])
                 for d, size in enumerate(index.shape))


def gather_array(x: np.ndarray, axis: int, index: np.ndarray) -> np.ndarray:
    """out[..., j, ...] = x[..., index[..., j, ...], ...] along ``axis`` (arrays, no checks)."""
    if x.ndim == 0:
        return x[()] if index.ndim == 0 else np.full(index.shape, x)
    return x[_positions(index, axis)]


def scatter_add_array(base: np.ndarray, axis: int, index: np.ndarray,
                      src: np.ndarray) -> np.ndarray:
    """A copy of ``base`` with each ``src`` value added at the position ``index`` names."""
    if base.ndim == 0:
        return base + src.ravel()[:index.size].sum(dtype=base.dtype)
    values = src[tuple(slice(0, n) for n in index.shape)]
    if base.dtype.kind == "f" and index.size:  # bincount: one vectorised pass, no add.at loop
        flat = np.ravel_multi_index(_positions(index, axis), base.shape).ravel()
        sums = np.bincount(flat, weights=values.ravel(), minlength=base.size)
        return base + sums.reshape(base.shape).astype(base.dtype, copy=False)
    out = base.copy()
    np.add.at(out, _positions(index, axis), values)
    return out


def _written_mask(shape: tuple[int, ...], axis: int, index: np.ndarray) -> np.ndarray:
    """True at every position of a tensor of ``shape`` that ``index`` writes to."""
    written = np.zeros(shape, dtype=bool)
    if written.ndim == 0:
        written[()] = index.size > 0
    else:
        written[_positions(index, axis)] = True
    return written


class GatherOp(Op):
    """z = x gathered along ``axis`` at ``index``:  z[i][j] = x[i][index[i][j]] (axis 1).

    dL/dx = zeros like x with each g[i][j] *added* at x's position [i][index[i][j]]
    (``scatter_add``): a position read twice receives both gradients.
    """

    @staticmethod
    def forward(ctx, x, *, axis, index):
        ctx.in_shape, ctx.dtype, ctx.axis, ctx.index = x.shape, x.dtype, axis, index
        return gather_array(x, axis, index)

    @staticmethod
    def backward(ctx, grad):
        zeros = np.zeros(ctx.in_shape, dtype=ctx.dtype)
        return (_scatter_add_either(zeros, ctx.axis, ctx.index, grad),)


class ScatterAddAlongDimOp(Op):
    """z = x with each src value added at the position ``index`` names along ``axis``.

    dL/dx = g;  dL/dsrc = g gathered at ``index`` (each src value went to one position).
    """

    @staticmethod
    def forward(ctx, x, src, *, axis, index):
        ctx.axis, ctx.index, ctx.src_shape = axis, index, src.shape
        return scatter_add_array(x, axis, index, src)

    @staticmethod
    def backward(ctx, grad):
        return grad, _gather_into(grad, ctx.axis, ctx.index, ctx.src_shape)


class ScatterOp(Op):
    """z = x with src values written at the positions ``index`` names along ``axis``.

    dL/dx = g with the written positions set to 0 (selected, not multiplied: 0 · inf = nan);
    dL/dsrc = g gathered at ``index`` (each src value, even one written over, as in PyTorch).
    """

    @staticmethod
    def forward(ctx, x, src, *, axis, index):
        written = _written_mask(x.shape, axis, index)
        ctx.save_for_backward(written)
        ctx.axis, ctx.index, ctx.src_shape = axis, index, src.shape
        out = x.copy()
        if out.ndim == 0:
            return src.ravel()[0].copy() if index.size else out
        out[_positions(index, axis)] = src[tuple(slice(0, n) for n in index.shape)]
        return out

    @staticmethod
    def backward(ctx, grad):
        (written,) = ctx.saved_tensors
        needs_x, needs_src = ctx.needs_input_grad
        grad_x = either.masked_fill(grad, written, 0.0) if needs_x else None
        grad_src = _gather_into(grad, ctx.axis, ctx.index, ctx.src_shape) if needs_src else None
        return grad_x, grad_src


def _gather_either(values: Any, axis: int, index: np.ndarray) -> Any:
    if isinstance(values, Tensor):
        return GatherOp.apply(values, axis=axis, index=index)
    return gather_array(values, axis, index)


def _gather_into(grad: Any, axis: int, index: np.ndarray, src_shape: tuple[int, ...]) -> Any:
    """g gathered at ``index``, padded with zeros to src's shape (src may be larger)."""
    gathered = _gather_either(grad, axis, index)
    if len(src_shape) == 0 and tuple(index.shape) != ():  # a 0-d src sent to a 0-d input
        return gathered.reshape(())
    return _pad_to(gathered, tuple(src_shape))


def _pad_tensor(t: Tensor, shape: tuple[int, ...]) -> Tensor:
    from microtensor.ops.shape import pad

    widths: list[int] = []
    for have, want in reversed(list(zip(t.shape, shape))):
        widths += [0, want - have]
    return pad(t, widths)


def _scatter_add_either(base: np.ndarray, axis: int, index: np.ndarray, src: Any) -> Any:
    if isinstance(src, Tensor):
        return ScatterAddAlongDimOp.apply(Tensor._make(base), src, axis=axis, index=index)
    return scatter_add_array(base, axis, index, src)


def _check_gather_shapes(op: str, input: Tensor, index: np.ndarray, axis: int,
                         src: Tensor | None = None) -> None:
    """PyTorch's rule: index has input's number of dims (a 0-d input counts as 1-d); its sizes
    are at most input's in every dim but ``axis``, and at most src's in every dim."""
    ndim = max(input.ndim, 1)
    if index.ndim != input.ndim and not (input.ndim == 0 and index.ndim <= 1):
        raise RuntimeError(f"{op}(): index tensor must have the same number of dimensions as the "
                           f"input tensor ({input.ndim}), but got an index of shape "
                           f"{tuple(index.shape)}")
    shape = input.shape if input.ndim else (1,)
    for d, size in enumerate(index.shape[:ndim]):
        if d != axis and size > shape[d]:
            raise RuntimeError(f"{op}(): size does not match at dimension {d}: expected index "
                               f"{list(index.shape)} to be no larger than self {list(shape)} "
                               f"apart from dimension {axis}")
        if src is not None and src.ndim and size > src.shape[d]:
            raise RuntimeError(f"{op}(): expected index {list(index.shape)} to be no larger "
                               f"than src {list(src.shape)} in dimension {d}")


def _prepare(op: str, input: Tensor, dim: int, index: Any,
             src: Tensor | None = None) -> tuple[int, np.ndarray]:
    """The axis and the checked index of a gather/scatter call."""
    axis = normalize_dim(dim, input.ndim, op)
    index_array = _index_array(op, index, allow_int32=True)
    if op != "gather" and index_array.ndim == 0 and input.ndim == 1:
        # PyTorch counts a 0-d index as 1-d for a 1-d input: x.scatter_(0, tensor(3), value=1)
        # writes one element (the one-hot of its Transforms tutorial)
        index_array = index_array.reshape(1)
    _check_gather_shapes(op, input, index_array, axis, src)
    size = input.shape[axis] if input.ndim else 1
    _check_bounds(op, index_array, size, dim, error=RuntimeError)
    return axis, index_array


def gather(input: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False) -> Tensor:
    """``out[i][j] = input[i][index[i][j]]`` for ``dim=1`` (as ``torch.gather``).

    ``index`` has ``input``'s number of dims and is no larger than ``input`` except along
    ``dim``; the result has ``index``'s shape. ``sparse_grad`` is accepted and ignored (the
    gradient is always dense). Differentiable in ``input`` (backward: ``scatter_add``).
    """
    axis, index_array = _prepare("gather", input, dim, index)
    return GatherOp.apply(input, axis=axis, index=index_array)


def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """``input`` with ``out[i][index[i][j]] += src[i][j]`` for ``dim=1`` (repeats add up).

    Differentiable in ``input`` (dL/dx = g) and ``src`` (dL/dsrc = g gathered at ``index``).
    """
    src = _tensor("scatter_add", src, "src")
    _same_dtype("scatter_add", input, src)
    axis, index_array = _prepare("scatter_add", input, dim, index, src)
    return ScatterAddAlongDimOp.apply(input, src, axis=axis, index=index_array)


def scatter(input: Tensor, dim: int, index: Tensor, src: Any = None, *, value: Any = None,
            reduce: str | None = None) -> Tensor:
    """``input`` with ``out[i][index[i][j]] = src[i][j]`` for ``dim=1`` (or ``= value``).

    With a repeated index, the value written last (in index order) stays; PyTorch leaves it
    unspecified. ``reduce="add"``/``"multiply"`` is PyTorch's deprecated form of
    ``scatter_reduce`` (it warns, as PyTorch does, and has no gradient).
    """
    if src is None and value is None:
        raise TypeError("scatter(): give the values to write as src (a tensor) or value")
    source = src if src is not None else value
    if reduce is not None:
        return _deprecated_scatter_reduce(input, dim, index, source, reduce)
    if not isinstance(source, Tensor):
        return _scatter_value(input, dim, index, source)
    _same_dtype("scatter", input, source)
    if source.ndim == 0 and input.ndim == 1:  # a 0-d src counts as 1-d too (as the index)
        source = reshape(source, (1,))
    axis, index_array = _prepare("scatter", input, dim, index, source)
    return ScatterOp.apply(input, source, axis=axis, index=index_array)


def _scatter_value(input: Tensor, dim: int, index: Any, value: Any) -> Tensor:
    """``scatter(input, dim, index, value)``: masked_fill of the positions ``index`` names."""
    axis, index_array = _prepare("scatter", input, dim, index)
    return masked_fill(input, _written_mask(input.shape, axis, index_array), value)


def _deprecated_scatter_reduce(input: Tensor, dim: int, index: Any, source: Any,
                               reduce: str) -> Tensor:
    if reduce not in ("add", "multiply"):
        raise RuntimeError(f"scatter(): reduce argument must be either add or multiply, got "
                           f"{reduce!r}; use scatter_reduce for other reductions")
    if isinstance(source, Tensor):
        warnings.warn("The reduce argument of scatter with Tensor src is deprecated; use "
                      "scatter_reduce instead for more reduction options.", UserWarning,
                      stacklevel=3)
    _refuse_gradient("scatter with reduce", input, source)
    if not isinstance(source, Tensor):
        axis, index_array = _prepare("scatter", input, dim, index)
        source = Tensor._make(np.full(index_array.shape, source, dtype=input._data.dtype))
    name = {"add": "sum", "multiply": "prod"}[reduce]
    return scatter_reduce(input, dim, index, source, name)


def _refuse_gradient(op: str, *tensors: Any) -> None:
    from microtensor.autograd.grad_mode import grad_state

    if grad_state.enabled and any(isinstance(t, Tensor) and t.requires_grad for t in tensors):
        raise RuntimeError(f"{op}: the derivative is not implemented (as in PyTorch); use "
                           "scatter_reduce, which is differentiable")


# --------------------------------------------------------------------------- scatter_reduce

_REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")


class ScatterExtremeOp(Op):
    """z = x with z[p] = max (or min) of x[p] (if include_self) and the src values sent to p.

    The gradient is shared evenly among the elements equal to the result (as in PyTorch):
    with N[p] = number of them at p, dL/dx[p] = g[p]/N[p] where x[p] is one of them, and
    dL/dsrc[j] = g[p]/N[p] where src[j] is (p = the position src[j] goes to). Masks select.
    """

    @staticmethod
    def forward(ctx, x, src, *, axis, index, largest, include_self):
        out = x.copy() if include_self else _fill_written(x, axis, index, largest)
        extreme = np.maximum if largest else np.minimum
        if out.ndim == 0:
            out = extreme.reduce(np.append(out, src.ravel()[:index.size]))
        else:
            extreme.at(out, _positions(index, axis), src[tuple(slice(0, n) for n in index.shape)])
        ctx.save_for_backward(*_extreme_shares(x, src, out, axis, index, include_self))
        ctx.axis, ctx.index, ctx.src_shape = axis, index, src.shape
        return np.asarray(out)

    @staticmethod
    def backward(ctx, grad):
        x_is_result, src_is_result, count = ctx.saved_tensors
        shared = grad / count
        grad_x = either.keep(shared, x_is_result)
        grad_src = either.keep(_gather_into(shared, ctx.axis, ctx.index, ctx.src_shape),
                               src_is_result)
        return grad_x, grad_src


def _fill_written(x: np.ndarray, axis: int, index: np.ndarray, largest: bool) -> np.ndarray:
    """x with the positions ``index`` writes to set to the identity of max (or min)."""
    if x.dtype.kind == "f":
        identity = -np.inf if largest else np.inf
    elif x.dtype.kind == "b":
        identity = not largest
    else:
        info = np.iinfo(x.dtype)
        identity = info.min if largest else info.max
    return np.where(_written_mask(x.shape, axis, index), x.dtype.type(identity), x)


def _extreme_shares(x: np.ndarray, src: np.ndarray, out: np.ndarray, axis: int,
                    index: np.ndarray, include_self: bool) -> tuple[np.ndarray, ...]:
    """Which elements equal the result, and how many share each position's gradient."""
    x_is_result = x == out
    if not include_self:  # a value left out of the reduction gets no share (see docs)
        x_is_result &= ~_written_mask(x.shape, axis, index)
    padded = np.zeros(src.shape, dtype=bool)
    if index.size:
        padded[tuple(slice(0, n) for n in index.shape)] = (
            src[tuple(slice(0, n) for n in index.shape)] == gather_array(out, axis, index))
    count = scatter_add_array(x_is_result.astype(np.float64), axis, index,
                              padded.astype(np.float64))
    dtype = x.dtype if x.dtype.kind == "f" else np.float64
    return x_is_result, padded, np.maximum(count, 1).astype(dtype)


class ScatterProdOp(Op):
    """z = x with z[p] = x[p] (if include_self) times the product of the src values sent to p.

    dL/de = g[p] · (product of the other factors of z[p]) for each factor e of z[p], written so
    that it is exact with zeros and differentiable once more (double backward):

    * e ≠ 0: the others' product is z[p]/e;
    * e = 0 and the only zero of its group: P[p], the product of the nonzero factors;
    * e = 0 and one other zero e' in the group: P[p]·e' (0, but its derivative in e' is P[p]),
      with e' = S[p] − e, S the sum of the group's zero factors;
    * more zeros: 0 (and so is its derivative).

    P and S are scatter products/sums and the cases are selections with constant masks.
    """

    @staticmethod
    def forward(ctx, x, src, *, axis, index, include_self):
        left_out = _written_mask(x.shape, axis, index) if not include_self else None
        base = x if left_out is None else np.where(left_out, x.dtype.type(1), x)
        out = _scatter_multiply(base, axis, index, src)
        ctx.save_for_backward(x, src, out)
        ctx.axis, ctx.index, ctx.left_out = axis, index, left_out
        return out

    @staticmethod
    def backward(ctx, grad):
        x, src, out = ctx.saved_tensors
        axis, index, left_out = ctx.axis, ctx.index, ctx.left_out
        own = x if left_out is None else either.masked_fill(x, left_out, 1.0)
        corner = tuple(slice(0, n) for n in index.shape)
        sent = src[corner] if tuple(index.shape) != tuple(src.shape) else src
        own_zero, sent_zero = either.data(own) == 0, either.data(sent) == 0
        zeros = scatter_add_array(own_zero.astype(np.int64), axis, index,
                                  sent_zero.astype(np.int64))
        product = _scatter_prod_either(either.masked_fill(own, own_zero, 1.0), axis, index,
                                       either.masked_fill(sent, sent_zero, 1.0))
        zero_sum = _scatter_add_any(either.keep(own, own_zero), axis, index,
                                    either.keep(sent, sent_zero))
        grad_x = grad * _others_product(own, own_zero, zeros, (out, product, zero_sum))
        if left_out is not None:  # input's value was left out where something was sent
            grad_x = either.masked_fill(grad_x, left_out, 0.0)
        group = tuple(_gather_either(v, axis, index) for v in (out, product, zero_sum))
        grad_sent = _gather_either(grad, axis, index) * _others_product(
            sent, sent_zero, gather_array(zeros, axis, index), group)
        return grad_x, _pad_to(grad_sent, tuple(src.shape))


def _scatter_multiply(base: np.ndarray, axis: int, index: np.ndarray,
                      src: np.ndarray) -> np.ndarray:
    out = base.copy()
    if out.ndim == 0:
        return out * np.prod(src.ravel()[:index.size], dtype=out.dtype)
    np.multiply.at(out, _positions(index, axis), src[tuple(slice(0, n) for n in index.shape)])
    return out


def _scatter_prod_either(base: Any, axis: int, index: np.ndarray, src: Any) -> Any:
    if isinstance(base, Tensor) or isinstance(src, Tensor):
        base, src = (v if isinstance(v, Tensor) else Tensor._make(v) for v in (base, src))
        return ScatterProdOp.apply(base, src, axis=axis, index=index, include_self=True)
    return _scatter_multiply(base, axis, index, src)


def _scatter_add_any(base: Any, axis: int, index: np.ndarray, src: Any) -> Any:
    if isinstance(base, Tensor) or isinstance(src, Tensor):
        base, src = (v if isinstance(v, Tensor) else Tensor._make(v) for v in (base, src))
        return ScatterAddAlongDimOp.apply(base, src, axis=axis, index=index)
    return scatter_add_array(base, axis, index, src)


def _others_product(value: Any, is_zero: np.ndarray, zeros: np.ndarray,
                    group: tuple[Any, Any, Any]) -> Any:
    """The product of the other factors of each value's group (see ScatterProdOp).
    ``group``: the group's result z, product of nonzero factors P, and sum of zero factors S."""
    total, product, zero_sum = group
    nonzero_case = total / either.masked_fill(value, is_zero, 1.0)  # (never divides by 0)
    two_zeros = product * (zero_sum - value)
    zero_case = either.where(zeros == 1, product, either.where(zeros == 2, two_zeros, 0.0))
    return either.where(is_zero, zero_case, nonzero_case)


def _pad_to(values: Any, shape: tuple[int, ...]) -> Any:
    """``values`` in the corner of zeros of ``shape`` (src may be larger than index)."""
    if tuple(values.shape) == shape:
        return values
    if isinstance(values, Tensor):
        return _pad_tensor(values, shape)
    padded = np.zeros(shape, dtype=values.dtype)
    padded[tuple(slice(0, n) for n in values.shape)] = values
    return padded


def scatter_reduce(input: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *,
                   include_self: bool = True) -> Tensor:
    """Reduce the src values sent to each position (``sum``, ``prod``, ``mean``, ``amax``,
    ``amin``) together with input's value there (unless ``include_self=False``).

    Positions no index names keep input's value. ``mean`` of integers rounds down (floor), as
    PyTorch. Gradients: sum, mean, prod (exact with zeros), amax/amin (shared
    evenly among equal extremes; with ``include_self=False`` input's own value takes no share,
    where PyTorch still counts it and so hands out less than g in total).
    """
    if reduce not in _REDUCTIONS:
        raise RuntimeError(f"scatter_reduce(): reduce argument must be either sum, prod, mean, "
                           f"amax or amin, got {reduce}")
    src = _tensor("scatter_reduce", src, "src")
    _same_dtype("scatter_reduce", input, src)
    axis, index_array = _prepare("scatter_reduce", input, dim, index, src)
    if reduce in ("amax", "amin"):
        return ScatterExtremeOp.apply(input, src, axis=axis, index=index_array,
                                      largest=reduce == "amax", include_self=include_self)
    if reduce == "prod":
        return ScatterProdOp.apply(input, src, axis=axis, index=index_array,
                                   include_self=include_self)
    written = _written_mask(input.shape, axis, index_array)
    base = input if include_self else masked_fill(input, written, 0)
    total = ScatterAddAlongDimOp.apply(base, src, axis=axis, index=index_array)
    if reduce == "sum":
        return total
    return _divide_by_counts(total, input.shape, axis, index_array, include_self)


def _divide_by_counts(total: Tensor, shape: tuple[int, ...], axis: int, index: np.ndarray,
                      include_self: bool) -> Tensor:
    """The mean: each position's sum over the number of its terms (at least 1)."""
    ones = np.ones(index.shape, dtype=np.int64)
    counts = scatter_add_array(np.full(shape, int(include_self), np.int64), axis, index, ones)
    counts = np.maximum(counts, 1)
    if total._data.dtype.kind in "f":
        return total / Tensor._make(counts.astype(total._data.dtype))
    return Tensor._make(np.floor_divide(total._data, counts).astype(total._data.dtype))


# --------------------------------------------------------------------------- index_select & co


def _along_first(array: np.ndarray, axis: int) -> np.ndarray:
    return np.moveaxis(array, axis, 0)


class IndexSelectOp(Op):
    """z = the slices of x at ``index`` along ``axis``: z[:, j] = x[:, index[j]] (axis 1).

    dL/dx = zeros like x with the slices of g *added* back at ``index`` (``index_add``).
    """

    @staticmethod
    def forward(ctx, x, *, axis, index):
        ctx.in_shape, ctx.dtype, ctx.axis, ctx.index = x.shape, x.dtype, axis, index
        return np.take(x, index, axis=axis)

    @staticmethod
    def backward(ctx, grad):
        zeros = np.zeros(ctx.in_shape, dtype=ctx.dtype)
        return (_index_add_either(zeros, ctx.axis, ctx.index, grad),)


class IndexAddOp(Op):
    """z = x with ``alpha · src[:, j]`` added to the slice ``x[:, index[j]]`` (axis 1).

    dL/dx = g;  dL/dsrc = alpha · (the slices of g at ``index``) (``index_select``).
    """

    @staticmethod
    def forward(ctx, x, src, *, axis, index, alpha):
        ctx.axis, ctx.index, ctx.alpha = axis, index, alpha
        out = x.copy()
        np.add.at(_along_first(out, axis), index, _along_first(src * alpha if alpha != 1
                                                               else src, axis))
        return out

    @staticmethod
    def backward(ctx, grad):
        selected = _index_select_either(grad, ctx.axis, ctx.index)
        return grad, (selected if ctx.alpha == 1 else selected * ctx.alpha)


class IndexCopyOp(Op):
    """z = x with the slice ``x[:, index[j]]`` replaced by ``src[:, j]`` (axis 1).

    dL/dx = g with the replaced slices set to 0 (selected);  dL/dsrc = the slices of g at
    ``index``.
    """

    @staticmethod
    def forward(ctx, x, src, *, axis, index):
        ctx.save_for_backward(_slice_mask(x.shape, axis, index))
        ctx.axis, ctx.index = axis, index
        out = x.copy()
        _along_first(out, axis)[index] = _along_first(src, axis)
        return out

    @staticmethod
    def backward(ctx, grad):
        (written,) = ctx.saved_tensors
        needs_x, needs_src = ctx.needs_input_grad
        grad_x = either.masked_fill(grad, written, 0.0) if needs_x else None
        grad_src = _index_select_either(grad, ctx.axis, ctx.index) if needs_src else None
        return grad_x, grad_src


def _index_select_either(values: Any, axis: int, index: np.ndarray) -> Any:
    if isinstance(values, Tensor):
        return IndexSelectOp.apply(values, axis=axis, index=index)
    return np.take(values, index, axis=axis)


def _index_add_either(base: np.ndarray, axis: int, index: np.ndarray, src: Any) -> Any:
    if isinstance(src, Tensor):
        return IndexAddOp.apply(Tensor._make(base), src, axis=axis, index=index, alpha=1)
    return IndexAddOp.forward(_Scratch(), base, src, axis=axis, index=index, alpha=1)


class _Scratch:
    """A throwaway ctx for calling a forward directly on arrays."""


def _slice_mask(shape: tuple[int, ...], axis: int, index: np.ndarray) -> np.ndarray:
    """True on the slices along ``axis`` that ``index`` names."""
    if not shape:
        return np.asarray(index.size > 0)
    picked = np.zeros(shape[axis], dtype=bool)
    picked[index] = True
    return np.broadcast_to(picked.reshape([-1 if d == axis else 1 for d in range(len(shape))]),
                           shape)


def _vector_index(op: str, input: Tensor, dim: int, index: Any, allow_int32: bool = True,
                  dtype_error: type[Exception] = RuntimeError,
                  negative_ok: bool = False) -> tuple[int, np.ndarray]:
    """The axis and the index (a vector, or a 0-d/one-element tensor) of an index_* call."""
    axis = normalize_dim(dim, input.ndim, op)
    array = _index_array(op, index, allow_int32, dtype_error)
    if array.ndim > 1:
        raise IndexError(f"{op}(): index is supposed to be a vector (0-d or 1-d), but got "
                         f"shape {tuple(array.shape)}")
    size = input.shape[axis] if input.ndim else 1
    return axis, _check_bounds(op, array.reshape(-1), size, dim, negative_ok)


def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """The slices of ``input`` along ``dim`` at the positions ``index`` (a vector) lists.

    Differentiable in ``input`` (backward: ``index_add`` of g at ``index``).
    """
    axis, index_array = _vector_index("index_select", input, dim, index)
    if input.ndim == 0:
        if index_array.size != 1:
            raise RuntimeError(f"index_select(): index to a 0-d tensor can have only 1 value, "
                               f"got {index_array.size} value(s)")
        return reshape(input, ()) if input.requires_grad else input.clone()
    return IndexSelectOp.apply(input, axis=axis, index=index_array)


def _check_source(op: str, input: Tensor, axis: int, index: np.ndarray, source: Tensor) -> None:
    expected = list(input.shape)
    if input.ndim:
        expected[axis] = index.size
    if list(source.shape) != expected and not (input.ndim == 0 and source.numel() == 1
                                               and source.ndim <= 1 and index.size == 1):
        raise RuntimeError(
            f"{op}(): source of shape {list(source.shape)} does not fit: it must have self's "
            f"shape {list(input.shape)} with dimension {axis} of size len(index) = {index.size}")


def _index_write_args(op: str, input: Tensor, dim: int, index: Any, source: Any,
                      allow_int32: bool) -> tuple[int, np.ndarray, Tensor]:
    source = _tensor(op, source, "source")
    axis, index_array = _vector_index(op, input, dim, index, allow_int32)
    _same_dtype(op, input, source, "source")
    _check_source(op, input, axis, index_array, source)
    if input.ndim == 0:
        source = reshape(source, ())
    return axis, index_array, source


def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *,
              alpha: Any = 1) -> Tensor:
    """``input`` with ``alpha · source[:, j]`` added to the slice ``input[:, index[j]]``
    (``dim=1``); repeated indices add up. Differentiable in ``input`` and ``source``."""
    axis, index_array, source = _index_write_args("index_add", input, dim, index, source, True)
    if input.ndim == 0:
        return ScatterAddAlongDimOp.apply(input, source * alpha if alpha != 1 else source,
                                          axis=0, index=np.zeros((), np.int64))
    return IndexAddOp.apply(input, source, axis=axis, index=index_array, alpha=alpha)


def index_copy(input: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    """``input`` with the slice ``input[:, index[j]]`` replaced by ``source[:, j]`` (``dim=1``).

    With a repeated index the slice copied last stays (PyTorch leaves it unspecified).
    """
    axis, index_array, source = _index_write_args("index_copy", input, dim, index, source, False)
    if input.ndim == 0:
        return ScatterOp.apply(input, source, axis=0, index=np.zeros((), np.int64))
    return IndexCopyOp.apply(input, source, axis=axis, index=index_array)


def index_fill(input: Tensor, dim: int, index: Tensor, value: Any) -> Tensor:
    """``input`` with the slices along ``dim`` that ``index`` lists set to ``value`` (a number
    or a 0-d tensor, which then receives their gradient)."""
    axis, index_array = _vector_index("index_fill", input, dim, index, allow_int32=False,
                                      dtype_error=IndexError, negative_ok=True)
    return masked_fill(input, _slice_mask(input.shape, axis, index_array), value)


# --------------------------------------------------------------------------- take, masks


def take(input: Tensor, index: Tensor) -> Tensor:
    """``input`` read as a flat (row-major) vector at ``index``; the result has index's shape.

    Negative indices count from the end. Differentiable (backward: ``index_add``).
    """
    index_array = _index_array("take", index)
    flat = reshape(input, (-1,))
    size = flat.shape[0]
    if size == 0 and index_array.size:
        raise IndexError(f"take(): tried to access index {int(index_array.flat[0])} on a tensor "
                         "of 0 elements")
    positions = _check_bounds("take", index_array.reshape(-1), size, 0, negative_ok=True)
    return reshape(IndexSelectOp.apply(flat, axis=0, index=positions), index_array.shape)


def take_along_dim(input: Tensor, indices: Tensor, dim: int | None = None) -> Tensor:
    """``gather`` after broadcasting ``input`` and ``indices`` in every dim but ``dim``
    (``dim=None``: both flattened). Negative indices count from the end, as in PyTorch."""
    index_array = _index_array("take_along_dim", indices)
    if dim is None:
        return take_along_dim(reshape(input, (-1,)), Tensor._make(index_array.reshape(-1)), 0)
    if input.ndim == 0:
        raise IndexError(f"take_along_dim(): dimension specified as {dim} but tensor has no "
                         "dimensions; use dim=None, or unsqueeze the 0-d tensor first")
    if input.ndim != index_array.ndim:
        raise RuntimeError(f"take_along_dim(): input and indices should have the same number of "
                           f"dimensions, but got {input.ndim} and {index_array.ndim}")
    axis = normalize_dim(dim, input.ndim, "take_along_dim")
    shape_in, shape_index = _broadcast_except(input.shape, index_array.shape, axis)
    size = input.shape[axis] if input.ndim else 1
    index_array = _check_bounds("take_along_dim", index_array, size, dim, negative_ok=True)
    if tuple(input.shape) != shape_in:
        input = expand(input, shape_in)
    return GatherOp.apply(input, axis=axis, index=np.broadcast_to(index_array, shape_index))


def _broadcast_except(a: tuple[int, ...], b: tuple[int, ...],
                      axis: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Both shapes broadcast together in every dim except ``axis``, where each keeps its size."""
    a_rest = tuple(1 if d == axis else n for d, n in enumerate(a))
    b_rest = tuple(1 if d == axis else n for d, n in enumerate(b))
    try:
        common = list(np.broadcast_shapes(a_rest, b_rest))
    except ValueError:
        raise RuntimeError(f"take_along_dim(): shapes {a} and {b} cannot be broadcast together "
                           f"apart from dimension {axis}") from None
    shape_a, shape_b = list(common), list(common)
    if a:
        shape_a[axis], shape_b[axis] = a[axis], b[axis]
    return tuple(shape_a), tuple(shape_b)


def _bool_mask(op: str, mask: Any) -> np.ndarray:
    array = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
    if array.dtype != np.bool_:
        raise RuntimeError(f"{op}: expected a bool tensor for mask, but got "
                           f"{_dtypes.torch_name(array.dtype)}; compare to build one (mask != 0)")
    return array


def masked_select(input: Tensor, mask: Tensor) -> Tensor:
    """The elements of ``input`` where ``mask`` is True, as a 1-d tensor (row-major order);
    ``input`` and ``mask`` broadcast together. Differentiable (backward: g put back)."""
    mask_array = _bool_mask("masked_select", mask)
    try:
        shape = np.broadcast_shapes(input.shape, mask_array.shape)
    except ValueError:
        raise RuntimeError(f"masked_select: the shape of the mask {tuple(mask_array.shape)} "
                           f"cannot be broadcast to input's {tuple(input.shape)}") from None
    if tuple(input.shape) != shape:
        input = expand(input, shape)
    flat_mask = np.broadcast_to(mask_array, shape).reshape(-1)
    return getitem(reshape(input, (-1,)), Tensor._make(np.ascontiguousarray(flat_mask)))


def masked_scatter(input: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    """``input`` with the positions where ``mask`` is True filled, in row-major order, by the
    first elements of ``source`` (read flat). ``mask`` broadcasts to input's shape.

    Composed: each masked position k reads source's element (number of Trues before it), via
    ``take``; ``where`` keeps input elsewhere. Differentiable in both.
    """
    mask_array = _bool_mask("masked_scatter", mask)
    source = _tensor("masked_scatter", source, "source")
    _same_dtype("masked_scatter", input, source, "source")
    try:
        mask_array = np.broadcast_to(mask_array, input.shape)
    except ValueError:
        raise RuntimeError(f"masked_scatter: the shape of the mask {tuple(mask_array.shape)} "
                           f"cannot be broadcast to input's {tuple(input.shape)}") from None
    needed = int(mask_array.sum())
    if needed > source.numel():
        raise RuntimeError(f"masked_scatter: the mask has {needed} True elements but source has "
                           f"only {source.numel()}; source needs at least as many elements")
    reads = np.maximum(np.cumsum(mask_array.reshape(-1)) - 1, 0).reshape(mask_array.shape)
    if source.numel() == 0:
        return where(mask_array, input, input)
    return where(mask_array, take(source, Tensor._make(reads)), input)


def nonzero(input: Tensor, *, as_tuple: bool = False) -> Any:
    """The indices of the nonzero elements: an int64 tensor of shape (count, ndim), or with
    ``as_tuple=True`` one 1-d tensor per dim (a 0-d input counts as 1-d there, as in PyTorch).
    Not differentiable."""
    data = input._data if isinstance(input, Tensor) else np.asarray(input)
    if as_tuple:
        flat = data.reshape(-1) if data.ndim == 0 else data
        return tuple(Tensor._make(coordinates.astype(np.int64)) for coordinates in flat.nonzero())
    return Tensor._make(np.argwhere(data).astype(np.int64))


def argwhere(input: Tensor) -> Tensor:
    """``nonzero(input)``: the (count, ndim) indices of the nonzero elements."""
    return nonzero(input)
