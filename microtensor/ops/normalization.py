"""Batch normalisation as one primitive, with the whole backward in closed form.

For one channel, over its M values x₁..x_M (all batch items and positions):

    μ = mean(x),   σ² = mean((x - μ)²)   (biased),   r = 1/√(σ² + ε),
    x̂ = (x - μ)·r,   y = γ·x̂ + β.

Training mode (μ, σ² from the batch itself). Writing g = dL/dy:

    dL/dβ = Σ g,    dL/dγ = Σ g·x̂,
    dL/dx = γ·r · (g - mean(g) - x̂ · mean(g·x̂)),

the last because μ and σ² depend on every xⱼ: the two subtracted means are the paths through μ
and through σ². Evaluation mode (μ, σ² fixed running statistics) only keeps dL/dx = γ·r·g.

Channels are axis 1 of an (N, C), (N, C, L) or (N, C, H, W) input; sums run over all other axes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from microtensor.autograd.function import Op
from microtensor.tensor import Tensor


def _channel_shape(ndim: int, channels: int) -> tuple[int, ...]:
    return (1, channels) + (1,) * (ndim - 2)


def _batch_norm_grads(g: Any, xhat: Any, scale: Any, axes: tuple[int, ...], training: bool
                      ) -> tuple[Any, Any, Any]:
    """(dL/dx, dL/dγ, dL/dβ) in keepdims shape, on arrays or Tensors; ``scale`` = γ·r."""
    grad_beta = g.sum(axis=axes, keepdims=True)
    grad_gamma = (g * xhat).sum(axis=axes, keepdims=True)
    if not training:
        return g * scale, grad_gamma, grad_beta
    count = 1
    for axis in axes:
        count *= xhat.shape[axis]
    grad_x = scale * (g - grad_beta / count - xhat * (grad_gamma / count))
    return grad_x, grad_gamma, grad_beta


class BatchNormOp(Op):
    """y = γ·(x - μ)/√(σ² + ε) + β per channel (see the module docstring for the backward).

    ``mean`` and ``var`` (biased) are given: the batch statistics in training mode, the running
    statistics in evaluation mode. ``weight`` (γ) and ``bias`` (β) may be None (no affine part).
    """

    @staticmethod
    def forward(ctx, x, weight, bias, *, mean, var, eps, training):
        shape = _channel_shape(x.ndim, x.shape[1])
        invstd = (1.0 / np.sqrt(var + eps)).astype(x.dtype, copy=False)
        scale = invstd if weight is None else invstd * weight
        shift = -mean * scale if bias is None else bias - mean * scale
        out = x * scale.reshape(shape)
        out += shift.reshape(shape)
        ctx.save_for_backward(x, weight)
        ctx.mean, ctx.invstd, ctx.eps, ctx.training = mean, invstd, eps, training
        return out

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        channels = x.shape[1]
        shape = _channel_shape(x.ndim, channels)
        axes = (0,) + tuple(range(2, x.ndim))
        if isinstance(x, Tensor) and ctx.training:
            # recorded backward: the batch statistics are functions of x, so recompute them
            # with differentiable ops
            mean = x.mean(dim=axes, keepdim=True)
            centered = x - mean
            invstd = ((centered * centered).mean(dim=axes, keepdim=True) + ctx.eps) ** -0.5
            xhat = centered * invstd
        else:
            invstd = ctx.invstd.reshape(shape)
            xhat = (x - ctx.mean.reshape(shape)) * invstd
        scale = invstd if weight is None else invstd * weight.reshape(shape)
        grad_x, grad_gamma, grad_beta = _batch_norm_grads(grad, xhat, scale, axes, ctx.training)
        needs_x, needs_weight, needs_bias = ctx.needs_input_grad
        return (
            grad_x if needs_x else None,
            grad_gamma.reshape((channels,)) if needs_weight else None,
            grad_beta.reshape((channels,)) if needs_bias else None,
        )
