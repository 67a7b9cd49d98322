"""Dropout's multiplication by a fixed random mask."""

from __future__ import annotations

from microtensor.autograd.function import Op


class DropoutMaskOp(Op):
    """z = x · m, with m a constant mask of 0 and 1/(1-p) (inverted dropout).

    dL/dx = g · m (a product by a constant, so also valid in a recorded backward).
    """

    @staticmethod
    def forward(ctx, x, *, mask):
        ctx.save_for_backward(mask)
        return x * mask

    @staticmethod
    def backward(ctx, grad):
        (mask,) = ctx.saved_tensors
        return (grad * mask,)
