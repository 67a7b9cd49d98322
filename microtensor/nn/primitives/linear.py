"""The affine map of a Linear layer as one primitive: y = x Wᵀ + b.

Doing it in one op (instead of a transpose, a matmul and a broadcast add) saves two graph nodes
and the sum over the batch that un-broadcasting the bias would need. Inputs of shape (N, *, in)
are handled by folding the leading dims into rows: X is (R, in) with R = N·∏*, G = dL/dy (R, out).
"""

from __future__ import annotations

from microtensor.autograd.function import Op


class Linear(Op):
    """y = x Wᵀ + b, with x (*, in), W (out, in), b (out,) or None.

    dL/dx = G W,   dL/dW = Gᵀ X,   dL/db = Σ_rows G   (X, G: x and dL/dy folded to rows).
    The formulas use only @, reshape, swapaxes and sum, so they also run on Tensors: the op
    supports double backward.
    """

    @staticmethod
    def forward(ctx, x, weight, bias):
        ctx.save_for_backward(x, weight)
        rows = x.reshape(-1, x.shape[-1])
        out = rows @ weight.T
        if bias is not None:
            out += bias
        return out.reshape(x.shape[:-1] + (weight.shape[0],))

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        needs_x, needs_weight, needs_bias = ctx.needs_input_grad
        rows_grad = grad.reshape((-1, grad.shape[-1]))
        grad_x = grad_weight = grad_bias = None
        if needs_x:
            grad_x = (rows_grad @ weight).reshape(x.shape)
        if needs_weight:
            grad_weight = rows_grad.swapaxes(0, 1) @ x.reshape((-1, x.shape[-1]))
        if needs_bias:
            grad_bias = rows_grad.sum(axis=0)
        return grad_x, grad_weight, grad_bias
