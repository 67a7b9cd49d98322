"""Linear algebra: matrix multiplication (batched, with PyTorch's rules for 1-D operands) and the
affine map of a Linear layer.

For Z = A B (A: n×k, B: k×m) and incoming gradient G = dL/dZ (n×m):
dL/dA = G Bᵀ and dL/dB = Aᵀ G. With batch dimensions the same holds per matrix of the batch, and
the engine sums the gradient of a broadcast operand over the batch dims it was broadcast along.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from microtensor.autograd.function import Op
from microtensor.ops.shape import reshape
from microtensor.tensor import Tensor


def _rows(x: Any) -> Any:
    """x (*, n) as a matrix of rows (R, n), R = ∏*; also when n = 0, where reshape(-1, 0)
    could not tell R."""
    n = x.shape[-1]
    return x.reshape((-1, n)) if n else x.reshape((int(np.prod(x.shape[:-1])), 0))


class MatMulOp(Op):
    """Z = A @ B for operands of >= 2 dims.  dL/dA = G @ Bᵀ,  dL/dB = Aᵀ @ G."""

    saved_for_gradient_of = (1, 0)  # a is needed only for dL/db, b only for dL/da

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.matmul(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        grad_a = grad @ b.swapaxes(-1, -2)
        if b.ndim == 2 and a.ndim > 2:
            # a batch of inputs times one matrix: fold the batch into rows so that dL/dB is a
            # single matrix product instead of a batch of products summed afterwards
            grad_b = _rows(a).swapaxes(-1, -2) @ _rows(grad)
        else:
            grad_b = a.swapaxes(-1, -2) @ grad
        return grad_a, grad_b


def matmul(input: Any, other: Any) -> Tensor:
    """Matrix product with PyTorch's semantics.

    1-D @ 1-D is the dot product (a 0-d tensor); a 1-D first operand is treated as a row vector
    and a 1-D second operand as a column vector, the added dim being removed from the result;
    leading (batch) dims broadcast.
    """
    a = input if isinstance(input, Tensor) else Tensor._make(np.asarray(input))
    b = other if isinstance(other, Tensor) else Tensor._make(np.asarray(other))
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(
            f"matmul: both arguments need to be at least 1-D, but they are {a.ndim}-D and "
            f"{b.ndim}-D; use * for multiplication by a scalar"
        )
    inner_a = a.shape[-1]
    inner_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if inner_a != inner_b:
        raise RuntimeError(
            f"matmul: shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be multiplied "
            f"({inner_a} columns in the first, {inner_b} rows in the second)"
        )
    if a.dtype != b.dtype:  # as PyTorch: matmul does not promote
        raise RuntimeError(
            f"matmul: expected m1 and m2 to have the same dtype, but got: {a.dtype} != {b.dtype}"
            f" (shapes {tuple(a.shape)} and {tuple(b.shape)}); convert one, e.g. b.to(a.dtype)"
        )
    squeeze_first, squeeze_last = a.ndim == 1, b.ndim == 1
    if squeeze_first:
        a = reshape(a, (1, inner_a))
    if squeeze_last:
        b = reshape(b, (inner_b, 1))
    try:
        out = MatMulOp.apply(a, b)
    except ValueError:
        raise RuntimeError(
            f"matmul: the batch dims of {tuple(a.shape)} and {tuple(b.shape)} cannot be broadcast"
        ) from None
    if squeeze_first or squeeze_last:
        shape = out.shape
        shape = shape[:-2] + ((shape[-2],) if not squeeze_first else ()) + (
            (shape[-1],) if not squeeze_last else ())
        out = reshape(out, shape)
    return out


# --------------------------------------------------------------------------- the affine map
# The affine map of a Linear layer as one primitive: y = x Wᵀ + b. Doing it in one op (instead of
# a transpose, a matmul and a broadcast add) saves two graph nodes and the sum over the batch that
# un-broadcasting the bias would need. Inputs of shape (N, *, in) are handled by folding the
# leading dims into rows: X is (R, in) with R = N·∏*, G = dL/dy (R, out).
class LinearOp(Op):
    """y = x Wᵀ + b, with x (*, in), W (out, in), b (out,) or None.

    dL/dx = G W,   dL/dW = Gᵀ X,   dL/db = Σ_rows G   (X, G: x and dL/dy folded to rows).
    The formulas use only @, reshape, swapaxes and sum, so they also run on Tensors: the op
    supports double backward.
    """

    saved_for_gradient_of = (1, 0)  # x is needed only for dL/dW, W only for dL/dx

    @staticmethod
    def forward(ctx, x, weight, bias):
        ctx.save_for_backward(x, weight)
        out = _rows(x) @ weight.T
        if bias is not None:
            out += bias
        return out.reshape(x.shape[:-1] + (weight.shape[0],))

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        needs_x, needs_weight, needs_bias = ctx.needs_input_grad
        rows_grad = _rows(grad)
        grad_x = grad_weight = grad_bias = None
        if needs_x:
            grad_x = (rows_grad @ weight).reshape(x.shape)
        if needs_weight:
            grad_weight = rows_grad.swapaxes(0, 1) @ _rows(x)
        if needs_bias:
            grad_bias = rows_grad.sum(axis=0)
        return grad_x, grad_weight, grad_bias
