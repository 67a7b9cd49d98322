"""Convolution and pooling: ``conv2d``, ``conv1d``, ``max_pool2d``, ``avg_pool2d`` (NCHW, PyTorch
semantics). A 1-d convolution is a 2-d one over an image of height 1: ``conv1d`` reshapes and
calls the same kernels.

This module checks the arguments (PyTorch's rules and error messages) and defines the ``Op``s;
the arithmetic on arrays is in ``conv_fast.py`` (convolution as matrix products, im2col) and
``pool_fast.py`` (pooling windows).

Only first-order gradients are implemented for these ops (no double backward).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from microtensor._arguments import int_pair, tensor_argument
from microtensor._dtypes import torch_name
from microtensor.autograd.function import Op
from microtensor.autograd.grad_mode import grad_state
from microtensor.ops import conv_fast, conv_small
from microtensor.ops.conv_fast import clear_workspace
from microtensor.ops.pool_fast import (
    PoolGeometry,
    _avg_divisor,
    _pool_output_size,
    avg_pool2d_backward,
    avg_pool2d_forward,
    max_pool2d_backward,
    max_pool2d_forward,
    max_pool2d_indices,
)
from microtensor.tensor import Tensor

__all__ = ["avg_pool2d", "clear_workspace", "conv1d", "conv2d", "int_single", "max_pool2d"]

IntPair = int | tuple[int, int]

# =========================================================================== arguments


def _conv_padding(
    padding: Any, kernel: tuple[int, int], stride: tuple[int, int], dilation: tuple[int, int],
    op: str = "conv2d",
) -> tuple[int, int, int, int]:
    """PyTorch's conv padding argument as (top, bottom, left, right).

    ``"valid"`` is no padding. ``"same"`` pads so that the output has the input's size (stride 1
    only): dilation*(kernel-1) in total, half on each side; when that total is odd the extra one
    goes to the bottom/right, as in PyTorch.
    """
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0, 0, 0)
        if padding == "same":
            if stride != (1, 1):
                raise RuntimeError(
                    f"{op}: padding='same' is not supported for strided convolutions "
                    f"(stride {stride}); use stride=1 or give the padding as numbers"
                )
            total_h = dilation[0] * (kernel[0] - 1)
            total_w = dilation[1] * (kernel[1] - 1)
            return (total_h // 2, total_h - total_h // 2, total_w // 2, total_w - total_w // 2)
        raise RuntimeError(
            f"{op}: Invalid padding string: {padding!r}; expected 'same' or 'valid' (or an int "
            "or a pair of ints)"
        )
    ph, pw = int_pair(padding, "padding", op, minimum=0)
    return (ph, ph, pw, pw)


def _check_image_input(x: Tensor, op: str) -> None:
    if x.ndim not in (3, 4):
        raise RuntimeError(
            f"{op}: expected a 4-D input (batch, channels, height, width) or a 3-D unbatched "
            f"input (channels, height, width), but got an input of shape {tuple(x.shape)}; "
            "add a batch dimension with x.unsqueeze(0) or reshape the input"
        )
    if x.dtype.kind != "f":
        raise RuntimeError(
            f"{op}: expected a floating point input, got dtype {x.dtype}; convert it first, "
            "e.g. x.float()"
        )


# =========================================================================== the Ops


class Conv2dOp(Op):
    """y = x ⋆ w + b (cross-correlation, NCHW), computed as Y = W @ im2col(x).

    Forward:  cols = im2col(x),  Y = W @ cols  (+ b),  with W[o, (i, j, c)] = w[o, c, i, j].
    Backward, with G = dL/dY in the layout of Y:
        dL/dw = G @ colsᵀ           (reordered to w's (O, C, kH, kW))
        dL/dx = col2im(Wᵀ @ G)      (each column added back onto the pixels it was copied from)
        dL/db = sum of G over batch and pixels
    Per group when groups > 1. First-order gradients only (no double backward).
    """

    supports_double_backward = False

    @staticmethod
    def forward(ctx, x, weight, bias, *, stride, padding, dilation, groups):
        ctx.unbatched = x.ndim == 3
        if ctx.unbatched:
            x = x[None]
        ctx.params = (stride, padding, dilation, groups)
        # few channels: per-image products straight into the output (conv_small.suits says when);
        # while recording, its im2col columns are kept for dL/dw (saved: freed with the graph)
        if conv_small.suits(x.shape, weight.shape, stride, padding, dilation, groups):
            ctx.kernels, kept = conv_small, []
            out = conv_small.conv2d_forward(x, weight, bias, stride, padding, dilation, groups,
                                            saved=kept if grad_state.enabled else None)
            ctx.save_for_backward(x, weight, *kept)
        else:
            ctx.kernels = conv_fast
            out = conv_fast.conv2d_forward(x, weight, bias, stride, padding, dilation, groups)
            ctx.save_for_backward(x, weight)
        return out[0] if ctx.unbatched else out

    @staticmethod
    def backward(ctx, grad):
        x, weight, *kept = ctx.saved_tensors  # kept: conv_small's columns, if any
        need_x, need_w, need_b = ctx.needs_input_grad
        if ctx.unbatched:
            grad = grad[None]
        grad_x, grad_w, grad_b = ctx.kernels.conv2d_backward(
            grad, x, weight, *ctx.params, need_input=need_x, need_weight=need_w,
            need_bias=need_b, **({"cols": kept[0]} if kept else {}),
        )
        if ctx.unbatched and grad_x is not None:
            grad_x = grad_x[0]
        return grad_x, grad_w, grad_b


class MaxPool2dOp(Op):
    """y[n, c, p, q] = max over the window of x.  dL/dx = g routed to each window's argmax.

    First-order gradients only.
    """

    supports_double_backward = False

    @staticmethod
    def forward(ctx, x, *, kernel_size, stride, padding, dilation, ceil_mode, indices=None,
                with_argmax=True):
        ctx.unbatched = x.ndim == 3
        if ctx.unbatched:
            x = x[None]
        g = PoolGeometry.of(x.shape, kernel_size, stride, padding, dilation, ceil_mode)
        out, ctx.argmax = max_pool2d_forward(x, g, with_argmax or indices is not None)
        ctx.geometry = g
        if indices is not None:  # return_indices=True: hand the int64 positions back
            found = max_pool2d_indices(ctx.argmax, g)
            indices.append(found[0] if ctx.unbatched else found)
        return out[0] if ctx.unbatched else out

    @staticmethod
    def backward(ctx, grad):
        if ctx.unbatched:
            grad = grad[None]
        grad_x = max_pool2d_backward(grad, ctx.argmax, ctx.geometry)
        return (grad_x[0] if ctx.unbatched else grad_x,)


class AvgPool2dOp(Op):
    """y[n, c, p, q] = (sum of x over the window) / divisor.  dL/dx[window] += g / divisor.

    First-order gradients only.
    """

    supports_double_backward = False

    @staticmethod
    def forward(ctx, x, *, kernel_size, stride, padding, ceil_mode, count_include_pad,
                divisor_override):
        ctx.unbatched = x.ndim == 3
        if ctx.unbatched:
            x = x[None]
        g = PoolGeometry.of(x.shape, kernel_size, stride, padding, (1, 1), ceil_mode)
        ctx.geometry = g
        ctx.divisor = _avg_divisor(g, count_include_pad, divisor_override, x.dtype)
        out = avg_pool2d_forward(x, g, ctx.divisor)
        return out[0] if ctx.unbatched else out

    @staticmethod
    def backward(ctx, grad):
        if ctx.unbatched:
            grad = grad[None]
        grad_x = avg_pool2d_backward(grad, ctx.geometry, ctx.divisor)
        return (grad_x[0] if ctx.unbatched else grad_x,)


# =========================================================================== public functions


def conv2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: IntPair = 1,
    padding: IntPair | str = 0,
    dilation: IntPair = 1,
    groups: int = 1,
) -> Tensor:
    """2-D convolution (cross-correlation) over an NCHW (or unbatched CHW) input, as PyTorch's.

    ``weight``: (C_out, C_in/groups, kH, kW); ``bias``: (C_out,) or None; ``stride``,
    ``dilation``: int or pair; ``padding``: int, pair, ``"valid"`` or ``"same"`` (stride 1 only;
    for an even kernel the extra row/column of padding goes to the bottom/right).
    Output size per dimension: (size + 2*pad - dilation*(k-1) - 1) // stride + 1.
    First-order gradients only (no double backward).

    Differs from PyTorch on purpose: an input with zero channels (and a weight with zero input
    channels) gives the bias at every output pixel, shape (N, C_out, H_out, W_out), which is the
    sum over no channels; PyTorch returns an empty tensor with 0 channels, (N, 0, H_out, W_out).
    """
    op = "conv2d"
    x = tensor_argument(input, "input", 1, op)
    w = tensor_argument(weight, "weight", 2, op)
    b = None if bias is None else tensor_argument(bias, "bias", 3, op)
    _check_image_input(x, op)
    _check_conv_weight(w, op)
    stride2 = int_pair(stride, "stride", op, minimum=1)
    dilation2 = int_pair(dilation, "dilation", op, minimum=1)
    return _checked_conv2d(op, x, w, b, stride2, padding, dilation2, groups)


def _checked_conv2d(op: str, x: Tensor, w: Tensor, b: Tensor | None, stride2: tuple[int, int],
                    padding: Any, dilation2: tuple[int, int], groups: Any) -> Tensor:
    """conv2d once input, weight, stride and dilation are known to be well formed (conv1d
    comes here too, with H = 1)."""
    if not isinstance(groups, int | np.integer) or isinstance(groups, bool) or groups < 1:
        raise RuntimeError(f"{op}: groups must be a positive integer, got {groups!r}")
    groups = int(groups)
    kernel = (w.shape[2], w.shape[3])
    pads = _conv_padding(padding, kernel, stride2, dilation2, op)

    c_in = x.shape[-3]
    c_out = w.shape[0]
    if c_out % groups != 0:
        raise RuntimeError(
            f"{op}: groups={groups} must divide the number of output channels, but weight has "
            f"shape {tuple(w.shape)} ({c_out} output channels)"
        )
    if c_in % groups != 0:
        raise RuntimeError(
            f"{op}: groups={groups} must divide the number of input channels, but the input has "
            f"shape {tuple(x.shape)} ({c_in} channels)"
        )
    if c_in != w.shape[1] * groups:
        raise RuntimeError(
            f"{op}: input has {c_in} channels but weight expects {w.shape[1] * groups} (weight "
            f"shape {tuple(w.shape)}, groups {groups}); pass an input with that many channels, "
            f"or a weight of shape ({c_out}, {c_in // groups}, {kernel[0]}, {kernel[1]})"
        )
    if b is not None and tuple(b.shape) != (c_out,):
        raise RuntimeError(
            f"{op}: bias must have shape ({c_out},) (one value per output channel), got "
            f"{tuple(b.shape)}"
        )
    for name, other in (("weight", w), ("bias", b)):
        if other is not None and other.dtype != x.dtype:
            raise RuntimeError(
                f"{op}: input dtype ({x.dtype}) and {name} dtype ({other.dtype}) must be the "
                f"same; convert one of them, e.g. {name}.to(input.dtype)"
            )
    _check_conv_size(x, w, pads, dilation2, op)
    return Conv2dOp.apply(
        x, w, b, stride=stride2, padding=pads, dilation=dilation2, groups=groups
    )


def _check_conv_weight(w: Tensor, op: str) -> None:
    """A 4-D weight with at least one output channel and a kernel of at least 1x1."""
    if w.ndim != 4:
        raise RuntimeError(
            f"{op}: weight must be 4-D (out_channels, in_channels/groups, kH, kW), got shape "
            f"{tuple(w.shape)}"
        )
    if w.shape[0] == 0:
        raise RuntimeError(
            f"{op}: expected weight to be at least 1 at dimension 0 (out_channels), but got "
            f"weight of size {list(w.shape)} instead"
        )
    if w.shape[2] == 0 or w.shape[3] == 0:
        raise RuntimeError(
            f"{op}: kernel size should be greater than zero, but got kernel_height: "
            f"{w.shape[2]} kernel_width: {w.shape[3]} (weight of size {list(w.shape)})"
        )


def _check_conv_size(x: Tensor, w: Tensor, pads: tuple[int, int, int, int],
                     dilation: tuple[int, int], op: str) -> None:
    """The (dilated) kernel fits in the padded input, and the image is not empty."""
    h, wd = x.shape[-2], x.shape[-1]
    padded = (h + pads[0] + pads[1], wd + pads[2] + pads[3])
    reach = (dilation[0] * (w.shape[2] - 1) + 1, dilation[1] * (w.shape[3] - 1) + 1)
    if padded[0] < reach[0] or padded[1] < reach[1]:
        raise RuntimeError(
            f"{op}: the (dilated) kernel {reach[0]}x{reach[1]} is larger than the padded input "
            f"{padded[0]}x{padded[1]} (input shape {tuple(x.shape)}, weight shape "
            f"{tuple(w.shape)}, padding {pads[0]},{pads[1]},{pads[2]},{pads[3]} "
            "(top, bottom, left, right)); use a bigger input, a smaller kernel, or more padding"
        )
    # an empty image is padded only when the batch or the channels are empty too (PyTorch)
    if (h == 0 or wd == 0) and 0 not in tuple(x.shape)[:-2]:
        raise RuntimeError(
            f"{op}: Only zero batch or zero channel inputs are supported, but got input shape: "
            f"{list(x.shape)} (an empty height or width)"
        )


def _check_pool_input(x: Tensor, op: str) -> None:
    """A 3-D or 4-D input whose channels, height and width are not empty (PyTorch allows only
    an empty batch). The dtype is checked after the other arguments (``check_pool_dtype``), in
    PyTorch's order."""
    if x.ndim not in (3, 4):
        raise RuntimeError(
            f"{op}: non-empty 3D or 4D (batch mode) tensor expected for input, but got an input "
            f"of shape {tuple(x.shape)}; add a batch dimension with x.unsqueeze(0) or reshape "
            "the input"
        )
    if 0 in tuple(x.shape)[-3:]:
        raise RuntimeError(
            f"{op}: Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for "
            f"input, but got: {list(x.shape)} (only the batch dim may be empty)"
        )


# the integer dtypes max pooling takes (PyTorch's max_pool2d: every integer type, not bool)
INTEGER_DTYPES = ("int8", "int16", "int32", "int64", "uint8")


def check_pool_dtype(x: Tensor, kernel: str, integers: tuple[str, ...] = ()) -> None:
    """The dtypes a pooling kernel takes, as in PyTorch: floating point ones, and the integer
    dtypes named in ``integers`` (``max_pool2d``: all but bool; ``avg_pool2d``: int64 only).
    Others raise PyTorch's NotImplementedError, named after its kernel (``"max_pool2d" not
    implemented for 'Bool'``); it comes after the checks of the shapes and sizes, as there."""
    dtype = np.dtype(x.dtype)
    if dtype.kind == "f" or dtype.name in integers:
        return
    takes = "floating point" + (f" or {', '.join(integers)}" if integers else "")
    raise NotImplementedError(
        f'"{kernel}" not implemented for \'{torch_name(dtype)}\'; this pooling takes {takes} '
        "inputs: convert the input first, e.g. x.float()"
    )


def _check_pool_padding(op: str, kernel: tuple[int, int], pad: tuple[int, int],
                        dilation: tuple[int, int]) -> None:
    """PyTorch's two padding rules, in its order: pad <= half the dilated kernel (height, then
    width), then pad <= half the kernel itself. Either keeps every window partly on the input."""
    for d in range(2):
        if pad[d] > (dilation[d] * (kernel[d] - 1) + 1) // 2:
            raise RuntimeError(
                f"{op}: pad should be at most half of effective kernel size, but got "
                f"pad={pad[d]}, kernel_size={kernel[d]} and dilation={dilation[d]}; use a "
                "smaller padding or a bigger kernel"
            )
    if pad[0] > kernel[0] // 2 or pad[1] > kernel[1] // 2:
        raise RuntimeError(
            f"{op}: pad should be smaller than or equal to half of kernel size, but got "
            f"padW = {pad[1]}, padH = {pad[0]}, kW = {kernel[1]}, kH = {kernel[0]}; use a "
            "smaller padding or a bigger kernel"
        )


def _check_windows_reach_input(op: str, sizes: tuple[int, int], outputs: tuple[int, int],
                               kernel: tuple[int, int], stride: tuple[int, int],
                               pad: tuple[int, int], dilation: tuple[int, int]) -> None:
    """Every (dilated) window has at least one tap on the input, not all in the padding.

    Output position o of a dim of size n has its taps at o·stride - pad + j·dilation
    (j = 0 ... kernel-1). Without dilation the padding rules already guarantee one of them lies
    in [0, n); with dilation the taps can straddle a small input. PyTorch then returns -inf with
    an index outside the input plane, and its backward writes out of bounds, so this refuses it.
    """
    for d, name in ((0, "height"), (1, "width")):
        if dilation[d] == 1:
            continue
        starts = np.arange(outputs[d]) * stride[d] - pad[d]
        first = np.maximum(-(starts // dilation[d]), 0)  # first tap index j with a position >= 0
        reach = (first <= kernel[d] - 1) & (starts + first * dilation[d] < sizes[d])
        if not reach.all():
            o = int(np.argmin(reach))
            raise RuntimeError(
                f"{op}: the window of output {name} position {o} lies wholly in the padding "
                f"(input {name} {sizes[d]}, kernel_size {kernel[d]}, stride {stride[d]}, "
                f"padding {pad[d]}, dilation {dilation[d]}): it covers no input element; use "
                "less padding or dilation, or a bigger input"
            )


def _pool_arguments(
    op: str, x: Tensor, kernel_size: Any, stride: Any, padding: Any, dilation: Any,
    ceil_mode: bool,
) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int], tuple[int, int]]:
    _check_pool_input(x, op)
    kernel = int_pair(kernel_size, "kernel_size", op, minimum=1)
    if stride is None or (isinstance(stride, tuple | list) and len(stride) == 0):
        stride2 = kernel
    else:
        stride2 = int_pair(stride, "stride", op, minimum=1)
    pad = int_pair(padding, "padding", op, minimum=0)
    dilation2 = int_pair(dilation, "dilation", op, minimum=1)
    _check_pool_padding(op, kernel, pad, dilation2)
    h, w = x.shape[-2], x.shape[-1]
    ho = _pool_output_size(h, kernel[0], stride2[0], pad[0], dilation2[0], ceil_mode)
    wo = _pool_output_size(w, kernel[1], stride2[1], pad[1], dilation2[1], ceil_mode)
    if ho < 1 or wo < 1:
        raise RuntimeError(
            f"{op}: input of shape {tuple(x.shape)} is too small for kernel_size {kernel}, "
            f"stride {stride2}, padding {pad}, dilation {dilation2}: the output would be "
            f"{ho}x{wo}; use a smaller kernel or more padding"
        )
    if dilation2 != (1, 1):
        _check_windows_reach_input(op, (h, w), (ho, wo), kernel, stride2, pad, dilation2)
    return kernel, stride2, pad, dilation2


def max_pool2d(
    input: Tensor,
    kernel_size: IntPair,
    stride: IntPair | None = None,
    padding: IntPair = 0,
    dilation: IntPair = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Tensor | tuple[Tensor, Tensor]:
    """Max over each (dilated) window, as PyTorch's; ``stride`` defaults to ``kernel_size`` and
    the implicit padding is -inf. With ``return_indices=True`` also returns, as int64, the flat
    position h*W + w of each maximum in its input plane (ties: the first in the window wins).
    First-order gradients only.

    Integer inputs (int8, int16, int32, int64, uint8) work as in PyTorch: the same dtype out,
    the padding counting as the type's smallest value; bool raises PyTorch's
    NotImplementedError, after the checks of the shapes and sizes.

    Differs from PyTorch on purpose: a dilated window that lies wholly in the padding (the
    padding rules allow it on a small input) is refused; PyTorch returns -inf there with an
    index outside the input plane, and its backward writes out of bounds.
    """
    op = "max_pool2d"
    x = tensor_argument(input, "input", 1, op)
    kernel, stride2, pad, dilation2 = _pool_arguments(
        op, x, kernel_size, stride, padding, dilation, ceil_mode
    )
    check_pool_dtype(x, "max_pool2d", INTEGER_DTYPES)
    found: list[np.ndarray] | None = [] if return_indices else None
    # the winners are needed by a backward only, so a forward that no graph records (no_grad,
    # or an input that needs no gradient) computes the maxima alone: ~half the work
    out = MaxPool2dOp.apply(
        x, kernel_size=kernel, stride=stride2, padding=pad, dilation=dilation2,
        ceil_mode=bool(ceil_mode), indices=found,
        with_argmax=x.requires_grad and grad_state.enabled,
    )
    if return_indices:
        return out, Tensor._make(found[0])
    return out


def avg_pool2d(
    input: Tensor,
    kernel_size: IntPair,
    stride: IntPair | None = None,
    padding: IntPair = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """Mean over each window, as PyTorch's; ``stride`` defaults to ``kernel_size``, padding is
    zeros. The divisor is the window size counting padding (``count_include_pad=True``) or only
    the input pixels it covers, unless ``divisor_override`` is given.
    First-order gradients only.

    An int64 input gives int64 means, as in PyTorch: the window sum (wrapping around on
    overflow) divided by the divisor, truncated toward zero; other integer dtypes and bool raise
    PyTorch's NotImplementedError, after the checks of the arguments.
    """
    op = "avg_pool2d"
    x = tensor_argument(input, "input", 1, op)
    if x.ndim < 3:  # PyTorch's type here (max_pool2d raises RuntimeError for the same input)
        raise IndexError(
            f"{op}: dimension out of range: the input of shape {tuple(x.shape)} has no channel "
            "and spatial dims; expected a 3-D (C, H, W) or 4-D (N, C, H, W) input"
        )
    kernel, stride2, pad, _ = _pool_arguments(op, x, kernel_size, stride, padding, 1, ceil_mode)
    if divisor_override is not None and (
        not isinstance(divisor_override, int | np.integer) or divisor_override == 0
    ):
        raise RuntimeError(
            f"{op}: divisor_override must be a non-zero int, got {divisor_override!r}"
        )
    check_pool_dtype(x, "avg_pool2d", ("int64",))
    return AvgPool2dOp.apply(
        x, kernel_size=kernel, stride=stride2, padding=pad, ceil_mode=bool(ceil_mode),
        count_include_pad=bool(count_include_pad), divisor_override=divisor_override,
    )


# =========================================================================== 1-d convolution


def int_single(value: Any, name: str, op: str, minimum: int | None = None) -> int:
    """A 1-d op's size argument: an int or a list/tuple of one int (PyTorch's ``_single``)."""
    if isinstance(value, tuple | list):
        if len(value) != 1:
            raise RuntimeError(
                f"{op}: expected {name} to be a single integer value or a list of 1 values to "
                f"match the convolution dimensions, but got {name}={list(value)}"
            )
        value = value[0]
    return int_pair(value, name, op, minimum=minimum)[0]


def conv1d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: int | tuple[int] = 1,
    padding: int | tuple[int] | str = 0,
    dilation: int | tuple[int] = 1,
    groups: int = 1,
) -> Tensor:
    """1-D convolution (cross-correlation) over (N, C_in, L) or unbatched (C_in, L), as PyTorch's.

    ``weight``: (C_out, C_in/groups, k). Computed as ``conv2d`` of the input viewed as
    (N, C_in, 1, L) with the weight viewed as (C_out, C_in/groups, 1, k), so it runs on the fast
    2-d kernels; the gradients are those of conv2d, reshaped back (first order only).
    L_out = (L + 2*padding - dilation*(k-1) - 1) // stride + 1.
    """
    op = "conv1d"
    x = tensor_argument(input, "input", 1, op)
    w = tensor_argument(weight, "weight", 2, op)
    b = None if bias is None else tensor_argument(bias, "bias", 3, op)
    if w.ndim != 3:
        raise RuntimeError(
            f"{op}: weight must be 3-D (out_channels, in_channels/groups, kernel_size), got "
            f"weight of size {list(w.shape)}"
        )
    if x.ndim not in (2, 3):
        raise RuntimeError(
            f"Expected 2D (unbatched) or 3D (batched) input to conv1d, but got input of size: "
            f"{list(x.shape)}; add a batch dimension with x.unsqueeze(0) or reshape the input"
        )
    if x.dtype.kind != "f":
        raise RuntimeError(f"{op}: expected a floating point input, got dtype {x.dtype}; "
                           "convert it first, e.g. x.float()")
    stride1 = int_single(stride, "stride", op, minimum=1)
    dilation1 = int_single(dilation, "dilation", op, minimum=1)
    if not isinstance(padding, str):
        padding = (0, int_single(padding, "padding", op, minimum=0))
    image = x.unsqueeze(-2)
    out = _checked_conv2d(op, image, w.unsqueeze(-2), b, (1, stride1), padding, (1, dilation1),
                          groups)
    return out.squeeze(-2)
