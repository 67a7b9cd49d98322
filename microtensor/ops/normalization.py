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

Layer normalisation (``LayerNormOp``) is the same computation over the *last* axes of each
sample instead of over the batch; group and instance normalisation are layer normalisation of a
reshaped input followed by a per-channel affine part, and RMS normalisation is a composition of
elementwise ops and a mean (``layer_norm``, ``group_norm``, ``instance_norm``, ``rms_norm`` below,
exported as ``F.*``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from microtensor._arguments import tensor_argument
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


# --------------------------------------------------------------------------- layer norm


def _layer_statistics(x: Any, inner_axes: tuple[int, ...], eps: float
                      ) -> tuple[Any, Any, Any]:
    """(x̂, μ, r) over ``inner_axes``: x̂ = (x - μ)·r, r = 1/√(σ² + ε) (biased σ²), μ and r in
    keepdims shape.

    Runs on arrays or Tensors: the recorded backward (double backward) needs μ and σ² as
    functions of x, so it recomputes them with differentiable ops."""
    if isinstance(x, Tensor):
        mean = x.mean(dim=inner_axes, keepdim=True)
        centered = x - mean
        invstd = ((centered * centered).mean(dim=inner_axes, keepdim=True) + eps) ** -0.5
        return centered * invstd, mean, invstd
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = x.mean(axis=inner_axes, keepdims=True)
        centered = x - mean
        # σ² = mean((x - μ)²) as a row-wise dot product (one pass, no squared copy)
        count = int(np.prod([x.shape[a] for a in inner_axes]))
        rows = centered.reshape(mean.shape[:x.ndim - len(inner_axes)] + (count,))
        variance = (np.einsum("...i,...i->...", rows, rows) / count).reshape(mean.shape)
        invstd = (1.0 / np.sqrt(variance + eps)).astype(x.dtype, copy=False)
        centered *= invstd
        return centered, mean, invstd


class LayerNormOp(Op):
    """y = γ·x̂ + β with x̂ = (x - μ)/√(σ² + ε), μ and σ² (biased) over the last
    ``normalized_ndim`` axes of each sample; γ (``weight``) and β (``bias``) may be None.

    Backward, with g = dL/dy and gγ = g·γ (g itself without γ), means over the normalized axes:

        dL/dx = r · (gγ - mean(gγ) - x̂ · mean(gγ·x̂)),     r = 1/√(σ² + ε),
        dL/dγ = Σ_batch g·x̂,    dL/dβ = Σ_batch g,

    the two subtracted means being the paths through μ and through σ² (as in batch norm, over
    the other axes). The formula is written with operators, so it is recorded for double
    backward.
    """

    @staticmethod
    def forward(ctx, x, weight, bias, *, normalized_ndim, eps):
        inner_axes = tuple(range(x.ndim - normalized_ndim, x.ndim))
        out, mean, invstd = _layer_statistics(x, inner_axes, eps)  # x̂: a fresh array
        ctx.mean, ctx.invstd = mean, invstd
        if weight is not None:
            out *= weight
        if bias is not None:
            out += bias
        ctx.save_for_backward(x, weight)
        ctx.inner_axes, ctx.eps = inner_axes, eps
        return out.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        inner_axes = ctx.inner_axes
        outer_axes = tuple(range(x.ndim - len(inner_axes)))
        if isinstance(x, Tensor):  # recorded backward: μ and r as functions of x
            xhat, _, invstd = _layer_statistics(x, inner_axes, ctx.eps)
        else:
            invstd = ctx.invstd
            xhat = x - ctx.mean
            xhat *= invstd
        needs_x, needs_weight, needs_bias = ctx.needs_input_grad
        grad_x = grad_weight = grad_bias = None
        if needs_x:
            g = grad if weight is None else grad * weight
            with np.errstate(invalid="ignore"):
                grad_x = invstd * (g - g.mean(axis=inner_axes, keepdims=True)
                                   - xhat * (g * xhat).mean(axis=inner_axes, keepdims=True))
        if needs_weight:
            grad_weight = _sum_over(grad * xhat, outer_axes)
        if needs_bias:
            grad_bias = _sum_over(grad, outer_axes)
        return grad_x, grad_weight, grad_bias


def _sum_over(x: Any, axes: tuple[int, ...]) -> Any:
    """Σ over ``axes`` (none: x itself), on an array or a Tensor."""
    return x.sum(axis=axes) if axes else x


# --------------------------------------------------------------------------- public functions


def _floating_input(x: Any, op: str) -> Tensor:
    x = tensor_argument(x, "input", 1, op)
    if x.dtype.kind != "f":
        raise NotImplementedError(
            f"{op}: not implemented for dtype {x.dtype} (input of shape {tuple(x.shape)}); "
            "normalisation needs a floating point input: convert it with .float()"
        )
    return x


def _optional_tensors(op: str, first_position: int, **arguments: Any) -> None:
    """PyTorch's TypeError for any of the optional tensor ``arguments`` (in positional order,
    the first at ``first_position``) that is given but not a Tensor."""
    for position, (name, value) in enumerate(arguments.items(), start=first_position):
        if value is not None:
            tensor_argument(value, name, position, op)


def _same_dtype(x: Tensor, op: str, **others: Tensor | None) -> None:
    for name, other in others.items():
        if other is not None and other.dtype != x.dtype:
            raise RuntimeError(
                f"{op}: mixed dtype (CPU): all inputs must share same datatype; input is "
                f"{x.dtype} but {name} is {other.dtype}: convert one (x.float(), model.double())"
            )


def _shape_tuple(normalized_shape: Any, op: str) -> tuple[int, ...]:
    if isinstance(normalized_shape, int | np.integer) and not isinstance(normalized_shape, bool):
        return (int(normalized_shape),)
    if isinstance(normalized_shape, Sequence | Tensor | np.ndarray):
        return tuple(int(n) for n in normalized_shape)
    raise TypeError(f"{op}(): argument 'normalized_shape' must be a tuple of ints, not "
                    f"{type(normalized_shape).__name__}")


def _check_normalized_shape(x: Tensor, shape: tuple[int, ...], op: str, **affine: Any) -> None:
    if not shape:
        raise RuntimeError(
            f"{op}: Expected normalized_shape to be at least 1-dimensional, i.e., containing at "
            "least one element, but got normalized_shape = []"
        )
    if x.ndim < len(shape) or tuple(x.shape[x.ndim - len(shape):]) != shape:
        raise RuntimeError(
            f"{op}: Given normalized_shape={list(shape)}, expected input with shape "
            f"[*, {', '.join(map(str, shape))}], but got input of size {list(x.shape)}"
        )
    _optional_tensors(op, 3, **affine)
    for name, t in affine.items():
        if t is not None and tuple(t.shape) != shape:
            raise RuntimeError(
                f"{op}: Expected {name} to be of same shape as normalized_shape, but got "
                f"{name} of shape {list(t.shape)} and normalized_shape = {list(shape)}"
            )


def layer_norm(input: Tensor, normalized_shape: Sequence[int], weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise each sample over its last ``len(normalized_shape)`` dims to zero mean and unit
    (biased) variance, then scale by ``weight`` and shift by ``bias`` (both of shape
    ``normalized_shape``, optional). Backward: ``LayerNormOp``."""
    op = "layer_norm"
    x = _floating_input(input, op)
    shape = _shape_tuple(normalized_shape, op)
    _check_normalized_shape(x, shape, op, weight=weight, bias=bias)
    _same_dtype(x, op, weight=weight, bias=bias)
    return LayerNormOp.apply(x, weight, bias, normalized_ndim=len(shape), eps=float(eps))


def rms_norm(input: Tensor, normalized_shape: Sequence[int], weight: Tensor | None = None,
             eps: float | None = None) -> Tensor:
    """y = x / √(mean(x²) + ε) · γ, the mean over the last ``len(normalized_shape)`` dims.

    ``eps=None`` is the machine epsilon of the input's dtype (``torch.finfo(dtype).eps``).
    A composition of differentiable ops (square, mean, pow, mul), so double backward works."""
    op = "rms_norm"
    x = _floating_input(input, op)
    shape = _shape_tuple(normalized_shape, op)
    _check_normalized_shape(x, shape, op, weight=weight)
    if eps is None:
        eps = float(np.finfo(x.dtype).eps)
    dims = tuple(range(x.ndim - len(shape), x.ndim))
    out = x * ((x * x).mean(dim=dims, keepdim=True) + eps) ** -0.5
    return out if weight is None else out * weight


def _affine_per_channel(y: Tensor, weight: Tensor | None, bias: Tensor | None) -> Tensor:
    """y·γ + β with γ, β of shape (C,) broadcast along axis 1 of y."""
    shape = (y.shape[1],) + (1,) * (y.ndim - 2)
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y


def _check_channel_vectors(x: Tensor, op: str, **vectors: Tensor | None) -> None:
    channels = x.shape[1]
    for name, t in vectors.items():
        if t is not None and (t.ndim != 1 or t.shape[0] != channels):
            raise RuntimeError(
                f"{op}: Expected {name} to be a vector of size equal to the number of channels "
                f"in input, but got {name} of shape {list(t.shape)} and input of shape "
                f"{list(x.shape)}"
            )


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Split the C channels of an (N, C, *) input into ``num_groups`` groups; normalise each
    sample's group (its channels and positions together) to zero mean and unit variance, then
    scale and shift per channel. The normalisation is ``LayerNormOp`` on (N, G, C/G·∏*)."""
    op = "group_norm"
    x = _floating_input(input, op)
    if x.ndim < 2:
        raise RuntimeError(f"{op}: Expected at least 2 dimensions for input tensor but received "
                           f"{x.ndim}")
    channels = x.shape[1]
    if num_groups <= 0 or channels % num_groups != 0:
        raise RuntimeError(
            f"{op}: Expected number of channels in input to be divisible by num_groups, but got "
            f"input of shape {list(x.shape)} and num_groups={num_groups}"
        )
    _optional_tensors(op, 3, weight=weight, bias=bias)
    _check_channel_vectors(x, op, weight=weight, bias=bias)
    _same_dtype(x, op, weight=weight, bias=bias)
    positions = int(np.prod(x.shape[2:]))
    grouped = x.reshape((x.shape[0], num_groups, channels // num_groups * positions))
    normalized = LayerNormOp.apply(grouped, None, None, normalized_ndim=1, eps=float(eps))
    return _affine_per_channel(normalized.reshape(tuple(x.shape)), weight, bias)


def instance_norm(input: Tensor, running_mean: Tensor | None = None,
                  running_var: Tensor | None = None, weight: Tensor | None = None,
                  bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each channel of each sample of an (N, C, *) input over its positions, then
    scale and shift per channel. With ``use_input_stats`` the statistics are the instance's
    own (``LayerNormOp`` on (N, C, ∏*)), and the running statistics, when given, are updated
    in place with their mean over the batch (the unbiased variance, as ``batch_norm``);
    otherwise the running statistics are used (``batch_norm`` in evaluation mode)."""
    op = "instance_norm"
    x = _floating_input(input, op)
    _optional_tensors(op, 2, running_mean=running_mean, running_var=running_var, weight=weight,
                      bias=bias)
    if x.ndim < 3 or (use_input_stats and int(np.prod(x.shape[2:])) <= 1):
        raise ValueError(f"Expected more than 1 spatial element when training, got input size "
                         f"{tuple(x.shape)} ({op} needs an (N, C, L...) input)")
    _check_channel_vectors(x, op, weight=weight, bias=bias, running_mean=running_mean,
                           running_var=running_var)
    _same_dtype(x, op, weight=weight, bias=bias)
    if not use_input_stats:
        from microtensor.nn import functional as F  # (nn imports ops: import on use)

        return F.batch_norm(x, running_mean, running_var, weight, bias, False, momentum, eps)
    flat = x.reshape((x.shape[0], x.shape[1], int(np.prod(x.shape[2:]))))
    _update_instance_running_stats(flat._data, running_mean, running_var, momentum)
    normalized = LayerNormOp.apply(flat, None, None, normalized_ndim=1, eps=float(eps))
    return _affine_per_channel(normalized.reshape(tuple(x.shape)), weight, bias)


def _update_instance_running_stats(flat: np.ndarray, running_mean: Tensor | None,
                                   running_var: Tensor | None, momentum: float) -> None:
    """running ← (1 - momentum)·running + momentum·(batch mean of the per-instance statistic)."""
    for running, statistic in ((running_mean, lambda a: a.mean(axis=-1)),
                               (running_var, lambda a: a.var(axis=-1, ddof=1))):
        if running is not None:
            batch_value = statistic(flat.astype(np.float64)).mean(axis=0)
            running._data[...] = (1 - momentum) * running._data + momentum * batch_value
            running._bump_version()
