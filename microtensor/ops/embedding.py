"""Embedding lookup: rows of a weight matrix picked by integer indices.

    y[n] = W[i_n]      for each index i_n (any shape of indices; y has shape (*indices, D)).

Backward, a scatter-add: every row of W gets the sum of the output gradients of the positions
that picked it,

    dL/dW[k] = Σ_{n: i_n = k} s_n · g[n],

with s_n = 1, or s_n = 1/count(i_n) with ``scale_grad_by_freq`` (count: how often i_n occurs
in this batch of indices), and no gradient at all for the row ``padding_idx``.

That scatter is linear in g, so its own derivative (double backward) is the gather again:
``EmbeddingOp`` gathers, ``EmbeddingScatterOp`` scatters, and each one's backward is the other.

``padding_idx`` and ``scale_grad_by_freq`` make the backward differ from the true derivative on
purpose (as in PyTorch). Differs from PyTorch 2.13: the derivative of the scatter with respect
to g keeps the factors s_n (it is the scatter's exact adjoint); PyTorch's double backward leaves
them out.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from microtensor._arguments import tensor_argument
from microtensor.autograd.function import Op
from microtensor.autograd.grad_mode import no_grad
from microtensor.ops import array_or_tensor as either
from microtensor.tensor import Tensor


def _row_scales(indices: np.ndarray, num_rows: int, padding_idx: int,
                scale_grad_by_freq: bool) -> tuple[np.ndarray | None, np.ndarray | None]:
    """(s per position, or None for all ones; mask of the positions that pick the padding row,
    or None when there is none)."""
    flat = indices.reshape(-1)
    scale = None
    if scale_grad_by_freq:
        counts = np.bincount(flat, minlength=num_rows)
        scale = 1.0 / counts[flat]
    padding = None
    if padding_idx >= 0:
        padding = flat == padding_idx
        if not padding.any():
            padding = None
    return scale, padding


def _gather(table: Any, indices: np.ndarray, scale: np.ndarray | None,
            padding: np.ndarray | None) -> Any:
    """Rows ``table[i_n]`` for the flat indices, times s_n, zero at padding positions; shape
    (positions, D). On arrays or Tensors (then differentiable)."""
    rows = table[indices.reshape(-1)]
    if scale is not None:
        rows = rows * scale.astype(either.data(rows).dtype)[:, None]
    if padding is not None:
        rows = either.keep(rows, ~padding[:, None])
    return rows


def _scatter_add(rows: np.ndarray, indices: np.ndarray, num_rows: int) -> np.ndarray:
    """out[k] = Σ_{n: i_n = k} rows[n], an array of shape (num_rows, D)."""
    out = np.zeros((num_rows, rows.shape[-1]), dtype=rows.dtype)
    np.add.at(out, indices.reshape(-1), rows)
    return out


class EmbeddingOp(Op):
    """y = W[indices] (see the module docstring); dL/dW = the scatter-add of g."""

    @staticmethod
    def forward(ctx, weight, *, indices, padding_idx, scale_grad_by_freq):
        ctx.indices, ctx.num_rows = indices, weight.shape[0]
        ctx.padding_idx, ctx.scale_grad_by_freq = padding_idx, scale_grad_by_freq
        return np.take(weight, indices, axis=0)

    @staticmethod
    def backward(ctx, grad):
        params = dict(indices=ctx.indices, num_rows=ctx.num_rows, padding_idx=ctx.padding_idx,
                      scale_grad_by_freq=ctx.scale_grad_by_freq)
        if isinstance(grad, Tensor):  # recorded backward: the scatter as a differentiable op
            return (EmbeddingScatterOp.apply(grad, **params),)
        return (EmbeddingScatterOp.forward(ctx, grad, **params),)


class EmbeddingScatterOp(Op):
    """dW = Σ_{n: i_n = k} s_n·g[n] per row k (the backward of ``EmbeddingOp``), as an op of g.

    Linear in g, so its backward is the gather: dL/dg[n] = s_n · G[i_n] (0 at padding
    positions), for G = dL/d(dW).
    """

    @staticmethod
    def forward(ctx, grad, *, indices, num_rows, padding_idx, scale_grad_by_freq):
        scale, padding = _row_scales(indices, num_rows, padding_idx, scale_grad_by_freq)
        ctx.indices, ctx.scale, ctx.padding = indices, scale, padding
        rows = _gather_rows_of(grad, indices)
        if scale is not None:
            rows = rows * scale.astype(rows.dtype)[:, None]
        if padding is not None:
            rows = np.where(padding[:, None], rows.dtype.type(0), rows)
        return _scatter_add(rows, indices, num_rows)

    @staticmethod
    def backward(ctx, grad):
        rows = _gather(grad, ctx.indices, ctx.scale, ctx.padding)
        return (rows.reshape(ctx.indices.shape + (rows.shape[-1],)),)


def _gather_rows_of(grad: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """The output gradient as (positions, D)."""
    return grad.reshape((indices.size, grad.shape[-1]))


# --------------------------------------------------------------------------- public function


def _check_indices(indices: Tensor, num_rows: int) -> np.ndarray:
    data = indices._data
    if data.dtype not in (np.int64, np.int32):
        raise RuntimeError(
            "embedding: Expected tensor for argument #1 'indices' to have one of the following "
            f"scalar types: Long, Int; but got dtype {indices.dtype} instead (convert the "
            "indices with .long())"
        )
    if data.size and (data.min() < 0 or data.max() >= num_rows):
        bad = data[(data < 0) | (data >= num_rows)].reshape(-1)[0]
        raise IndexError(
            f"embedding: index out of range in self: index {int(bad)} for a weight of "
            f"{num_rows} rows (indices must be in [0, {num_rows}))"
        )
    return data.astype(np.intp, copy=False)


def _padding_row(padding_idx: int | None, num_rows: int) -> int:
    """``padding_idx`` as a row number (negative counts from the end), -1 for none."""
    if padding_idx is None:
        return -1
    if not -num_rows <= padding_idx < num_rows:
        raise AssertionError(
            f"Padding_idx must be within num_embeddings (padding_idx={padding_idx}, "
            f"num_embeddings={num_rows})"
        )
    return padding_idx % num_rows


def renorm_rows_(weight: Tensor, indices: np.ndarray, max_norm: float, norm_type: float) -> None:
    """Rescale in place (not recorded) the rows of ``weight`` picked by ``indices`` whose
    ``norm_type``-norm exceeds ``max_norm``: row ← row · max_norm / (norm + 1e-7), as PyTorch's
    ``embedding_renorm_``."""
    rows = np.unique(indices)
    if rows.size == 0:
        return
    with no_grad():
        picked = weight._data[rows]
        norms = np.linalg.norm(picked, ord=norm_type, axis=1)
        too_long = norms > max_norm
        if too_long.any():
            scale = max_norm / (norms[too_long] + 1e-7)
            weight._data[rows[too_long]] = picked[too_long] * scale[:, None].astype(picked.dtype)
            weight._bump_version()


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of ``weight`` (num_embeddings, embedding_dim) picked by the integer ``input``:
    the result has shape ``input.shape + (embedding_dim,)``.

    ``padding_idx``: that row gets no gradient. ``max_norm``: the picked rows longer than it
    (in ``norm_type``-norm) are first rescaled in place. ``scale_grad_by_freq``: each row's
    gradient is divided by how often it occurs in ``input``. ``sparse=True`` (sparse gradients)
    is not supported.
    """
    op = "embedding"
    indices = tensor_argument(input, "input", 1, op)
    weight = tensor_argument(weight, "weight", 2, op)
    if weight.ndim != 2:
        raise RuntimeError(f"embedding: 'weight' must be 2-D (num_embeddings, embedding_dim), "
                           f"got shape {tuple(weight.shape)}")
    if sparse:
        raise NotImplementedError("embedding: sparse=True (sparse gradients) is not supported "
                                  "by microtensor; use sparse=False (dense gradients)")
    num_rows = weight.shape[0]
    row = _padding_row(padding_idx, num_rows)
    index_array = _check_indices(indices, num_rows)
    if max_norm is not None:
        renorm_rows_(weight, index_array, float(max_norm), float(norm_type))
    return EmbeddingOp.apply(weight, indices=index_array, padding_idx=row,
                             scale_grad_by_freq=bool(scale_grad_by_freq))
