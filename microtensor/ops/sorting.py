"""Sorting and searching: sort, argsort, msort, topk, kthvalue, unique, unique_consecutive,
searchsorted, bucketize.

The differentiable ones (the values of sort, topk, kthvalue) need no op of their own: the
order is a constant (the indices), and the values are ``gather(x, dim, indices)``. So their
gradient is gather's: g added back at the source positions (``scatter_add``), and double
backward works as it does for gather (``ops/selection.py``).

Order, as in PyTorch: NaN sorts as the largest value (last ascending, first descending); -0.0
and 0.0 are equal. microtensor always sorts *stably* (equal values keep their order, also
descending), which is what ``stable=True`` asks; PyTorch's default ``stable=False`` may order
ties differently on long inputs, and its ``topk``/``kthvalue`` may pick other positions among
equal values. The values are the same either way; only the indices of ties can differ.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from microtensor import _dtypes
from microtensor.ops.reduce import return_types
from microtensor.ops.selection import GatherOp
from microtensor.ops.shape import normalize_dim, reshape
from microtensor.tensor import Tensor

# The (values, indices) results are the named tuples ``return_types.sort``/``topk``/
# ``kthvalue`` of ops/reduce.py, as PyTorch's ``torch.return_types``.


def stable_order(data: np.ndarray, axis: int, descending: bool) -> np.ndarray:
    """The indices that sort ``data`` along ``axis`` stably, NaN as the largest value.

    Descending: sort the reversed array ascending (stable), reverse that order, and map the
    positions back; equal values then keep their original order, and NaNs come first.
    """
    if not descending:
        return np.argsort(data, axis=axis, kind="stable")
    size = data.shape[axis]
    reversed_data = np.flip(data, axis=axis)
    order = np.flip(np.argsort(reversed_data, axis=axis, kind="stable"), axis=axis)
    return size - 1 - order


def _values(input: Tensor, axis: int, indices: np.ndarray) -> Tensor:
    """``gather(input, axis, indices)`` (indices known valid): differentiable values."""
    return GatherOp.apply(input, axis=axis, index=indices)


def _as_1d(input: Tensor) -> Tensor:
    return reshape(input, (1,)) if input.ndim == 0 else input


def _like_input(result: Tensor, input: Tensor) -> Tensor:
    return reshape(result, ()) if input.ndim == 0 else result


def sort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False,
         **keywords: Any) -> Any:
    """(values, indices): ``input`` sorted along ``dim`` and where each value came from.

    Always stable (see module doc); NaN is the largest value. Values are differentiable.
    """
    if keywords:  # PyTorch's keyword-only form sort(input, *, stable, dim, descending)
        dim = keywords.pop("dim", dim)
        descending = keywords.pop("descending", descending)
        if keywords:
            raise TypeError(f"sort() got an unexpected keyword argument '{next(iter(keywords))}'")
    axis = normalize_dim(dim, input.ndim, "sort")
    x = _as_1d(input)
    indices = stable_order(x._data, axis, descending)
    values = _values(x, axis, indices)
    return return_types.sort(_like_input(values, input),
                         _like_input(Tensor._make(indices.astype(np.int64)), input))


def argsort(input: Tensor, dim: int = -1, descending: bool = False,
            stable: bool = False) -> Tensor:
    """The indices that sort ``input`` along ``dim`` (``sort(...).indices``)."""
    axis = normalize_dim(dim, input.ndim, "argsort")
    order = stable_order(_as_1d(input)._data, axis, descending).astype(np.int64)
    return Tensor._make(order.reshape(input.shape))


def msort(input: Tensor) -> Tensor:
    """``input`` sorted along its first dim (``sort(input, dim=0).values``)."""
    return sort(input, dim=0).values


def _check_k(op: str, k: int, size: int, dim: int, low: int) -> None:
    if not isinstance(k, int | np.integer) or not low <= k <= size:
        message = ("selected index k out of range" if op == "topk"
                   else f"selected number k out of range for dimension {dim}")
        raise RuntimeError(f"{op}(): {message}: k = {k}, but dimension {dim} has size {size} "
                           f"(k must lie in [{low}, {size}])")


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True,
         sorted: bool = True) -> Any:
    """(values, indices) of the ``k`` largest (``largest=False``: smallest) elements along
    ``dim``, largest first. ``sorted=False`` returns them in the same (sorted) order, which
    PyTorch allows. Among equal values, the earliest positions are taken (see module doc)."""
    if input._data.dtype == np.bool_:
        raise RuntimeError("topk(): not supported for bool tensors (as in PyTorch on CPU); "
                           "convert to an integer dtype first (x.long())")
    axis = normalize_dim(dim, input.ndim, "topk")
    x = _as_1d(input)
    _check_k("topk", k, x.shape[axis], dim, 0)
    order = stable_order(x._data, axis, descending=largest)
    indices = np.take(order, np.arange(k), axis=axis)
    values = _values(x, axis, indices)
    return return_types.topk(_like_input(values, input),
                         _like_input(Tensor._make(indices.astype(np.int64)), input))


def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False) -> Any:
    """(values, indices) of the ``k``-th smallest element (k from 1) along ``dim``; NaN counts
    as the largest. Among equal values, the k-th in stable order is taken (see module doc)."""
    if input._data.dtype == np.bool_:
        raise NotImplementedError('kthvalue(): "kthvalue_cpu" not implemented for \'Bool\'; '
                                  "convert to an integer dtype first (x.long())")
    axis = normalize_dim(dim, input.ndim, "kthvalue")
    x = _as_1d(input)
    size = x.shape[axis]
    if size == 0:
        raise IndexError(f"kthvalue(): expected reduction dim {dim} to have non-zero size")
    _check_k("kthvalue", k, size, dim, 1)
    order = stable_order(x._data, axis, descending=False)
    indices = np.take(order, [k - 1], axis=axis)
    values = _values(x, axis, indices)
    index_tensor = Tensor._make(indices.astype(np.int64))
    if keepdim and input.ndim:
        return return_types.kthvalue(values, index_tensor)
    out_shape = tuple(n for d, n in enumerate(input.shape) if d != axis)
    return return_types.kthvalue(reshape(values, out_shape), reshape(index_tensor, out_shape))


# --------------------------------------------------------------------------- unique


def _unique_flat(data: np.ndarray, return_inverse: bool,
                 return_counts: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sorted distinct values of the flattened array; NaNs stay distinct, as in PyTorch."""
    flat = data.reshape(-1)
    order = np.argsort(flat, kind="stable")
    ordered = flat[order]
    starts = np.ones(ordered.shape, dtype=bool)
    if ordered.size:
        with np.errstate(invalid="ignore"):
            starts[1:] = ordered[1:] != ordered[:-1]  # nan != nan: each NaN its own group
    group = np.cumsum(starts) - 1
    inverse = np.empty(flat.shape, dtype=np.int64)
    inverse[order] = group
    counts = np.diff(np.append(np.flatnonzero(starts), flat.size))
    return ordered[starts], inverse.reshape(data.shape), counts.astype(np.int64)


def _unique_along(data: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct slices along ``axis``, in lexicographic order (as ``torch.unique(dim=...)``)."""
    moved = np.moveaxis(data, axis, 0)
    rows = moved.reshape(moved.shape[0], int(np.prod(moved.shape[1:])))
    order = np.lexsort(rows.T[::-1]) if rows.shape[1] else np.arange(rows.shape[0])
    ordered = rows[order]
    starts = np.ones(len(order), dtype=bool)
    if len(order):
        starts[1:] = (ordered[1:] != ordered[:-1]).any(axis=1)
    group = np.cumsum(starts) - 1
    inverse = np.empty(len(order), dtype=np.int64)
    inverse[order] = group
    counts = np.diff(np.append(np.flatnonzero(starts), len(order)))
    values = moved[order[starts]]
    return np.moveaxis(values, 0, axis), inverse, counts.astype(np.int64)


def _unique_result(values: np.ndarray, inverse: np.ndarray, counts: np.ndarray,
                   return_inverse: bool, return_counts: bool) -> Any:
    result = [Tensor._make(np.ascontiguousarray(values))]
    if return_inverse:
        result.append(Tensor._make(inverse))
    if return_counts:
        result.append(Tensor._make(counts))
    return result[0] if len(result) == 1 else tuple(result)


def _check_unique_dim(op: str, data: np.ndarray, axis: int) -> None:
    if any(n == 0 for d, n in enumerate(data.shape) if d != axis):
        raise RuntimeError(f"{op}(): there are 0-sized dimensions other than dim {axis} in a "
                           f"tensor of shape {tuple(data.shape)}, so unique cannot be applied")


def unique(input: Tensor, sorted: bool = True, return_inverse: bool = False,
           return_counts: bool = False, dim: int | None = None) -> Any:
    """The distinct values (or slices along ``dim``) of ``input``, sorted; optionally the
    inverse (where each element went) and the counts. NaNs are all distinct (as in PyTorch).

    Always sorted (PyTorch's CPU result for ``sorted=False`` is sorted too). Not
    differentiable: the result carries no gradient (PyTorch records a node whose backward
    raises).
    """
    data = input._data
    if dim is None:
        values, inverse, counts = _unique_flat(data, return_inverse, return_counts)
    else:
        axis = normalize_dim(dim, input.ndim, "unique")
        _check_unique_dim("unique", data, axis)
        values, inverse, counts = _unique_along(data if data.ndim else data.reshape(1), axis)
    return _unique_result(values, inverse, counts, return_inverse, return_counts)


def unique_consecutive(input: Tensor, return_inverse: bool = False, return_counts: bool = False,
                       dim: int | None = None) -> Any:
    """``input`` with each run of equal consecutive values (or slices along ``dim``) kept once;
    optionally the inverse and the run lengths. Not differentiable."""
    data = input._data
    if dim is None:
        moved, axis = data.reshape(-1, 1), 0
    else:
        axis = normalize_dim(dim, input.ndim, "unique_consecutive")
        _check_unique_dim("unique_consecutive", data, axis)
        moved = np.moveaxis(data if data.ndim else data.reshape(1), axis, 0)
    rows = moved.reshape(moved.shape[0], int(np.prod(moved.shape[1:])))
    starts = np.ones(rows.shape[0], dtype=bool)
    if rows.shape[0]:
        with np.errstate(invalid="ignore"):
            starts[1:] = (rows[1:] != rows[:-1]).any(axis=1)
    inverse = (np.cumsum(starts) - 1).astype(np.int64)
    counts = np.diff(np.append(np.flatnonzero(starts), rows.shape[0])).astype(np.int64)
    if dim is None:
        return _unique_result(data.reshape(-1)[starts], inverse.reshape(data.shape), counts,
                              return_inverse, return_counts)
    values = np.moveaxis(moved[starts], 0, axis)
    return _unique_result(values, inverse, counts, return_inverse, return_counts)


# --------------------------------------------------------------------------- searchsorted


def _side(right: bool, side: str | None) -> str:
    if side is None:
        return "right" if right else "left"
    if side not in ("left", "right"):
        raise RuntimeError(f"searchsorted(): side can only be 'left' or 'right' but got {side}")
    if right and side == "left":
        raise RuntimeError("searchsorted(): side and right can't be set to opposites, got side "
                           "of left while right was True")
    return side


def _search_rows(boundaries: np.ndarray, values: np.ndarray, side: str) -> np.ndarray:
    """searchsorted row by row for 2-d ``boundaries`` (R, n) and ``values`` (R, m), vectorised.

    All elements are sorted together by (row, value, tie rank); for side 'left' a value goes
    before boundaries equal to it, for 'right' after them. A value's answer is the number of
    boundaries before it in that order, minus those of the earlier rows (row · n).
    """
    rows, n = boundaries.shape
    m = values.shape[1]
    keys = np.concatenate([boundaries.reshape(-1), values.reshape(-1)])
    is_boundary = np.arange(keys.size) < rows * n
    row = np.concatenate([np.repeat(np.arange(rows), n), np.repeat(np.arange(rows), m)])
    tie_rank = is_boundary if side == "left" else ~is_boundary
    order = np.lexsort((tie_rank, keys, row))
    boundaries_before = np.cumsum(is_boundary[order])
    answer = np.empty(keys.size, dtype=np.int64)
    answer[order] = boundaries_before - row[order] * n
    return answer[rows * n:].reshape(rows, m)


def _check_search_shapes(boundaries: np.ndarray, values: np.ndarray) -> None:
    if boundaries.ndim == 0:
        raise RuntimeError("searchsorted(): boundaries tensor should have positive dimension, "
                           "but got 0 dimension")
    if boundaries.ndim > 1 and boundaries.shape[:-1] != values.shape[:-1]:
        raise RuntimeError(
            f"searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
            f"dimensions of boundaries tensor and input value tensor must match, but we got "
            f"boundaries tensor {list(boundaries.shape)} and input value tensor "
            f"{list(values.shape)}")


def searchsorted(sorted_sequence: Tensor, input: Any, *, out_int32: bool = False,
                 right: bool = False, side: str | None = None, sorter: Tensor | None = None
                 ) -> Tensor:
    """For each value, the index where it would be inserted into ``sorted_sequence`` (along its
    last dim) to keep it sorted: the first such place (``side='left'``) or the last
    (``right=True`` / ``side='right'``). ``sorted_sequence`` is 1-d, or has the leading dims of
    ``input``; ``sorter`` gives the order that sorts an unsorted sequence. NaN is largest."""
    side = _side(right, side)
    boundaries = sorted_sequence._data
    values = input._data if isinstance(input, Tensor) else np.asarray(input)
    _check_search_shapes(boundaries, values)
    if sorter is not None:
        boundaries = np.take_along_axis(boundaries, _sorter_array(sorter, boundaries), axis=-1)
    if boundaries.ndim == 1:
        answer = np.searchsorted(boundaries, values, side=side)
    else:
        answer = _search_rows(boundaries.reshape(-1, boundaries.shape[-1]),
                              values.reshape(-1, values.shape[-1]), side).reshape(values.shape)
    return Tensor._make(np.asarray(answer).astype(np.int32 if out_int32 else np.int64))


def _sorter_array(sorter: Tensor, boundaries: np.ndarray) -> np.ndarray:
    order = sorter._data
    if order.dtype != np.int64 or order.shape != boundaries.shape:
        raise RuntimeError(f"searchsorted(): sorter must be an int64 tensor of the boundaries' "
                           f"shape {list(boundaries.shape)}, but got "
                           f"{_dtypes.torch_name(order.dtype)} of shape {list(order.shape)}")
    return order


def bucketize(input: Any, boundaries: Tensor, *, out_int32: bool = False,
              right: bool = False) -> Tensor:
    """The bucket of each value among the sorted 1-d ``boundaries``: i with
    boundaries[i-1] < x <= boundaries[i] (``right=True``: boundaries[i-1] <= x < boundaries[i])."""
    if boundaries.ndim != 1:
        raise RuntimeError(f"bucketize(): boundaries tensor must be 1 dimension, but got "
                           f"dim({boundaries.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)
