"""``unfold`` (im2col) and ``fold`` (col2im) as public ops, as PyTorch's ``F.unfold``/``F.fold``.

``unfold`` copies every sliding block of an image batch (N, C, H, W) into a column:

    cols[n, (c, i, j), (p, q)] = xpad[n, c, p*sh + i*dh, q*sw + j*dw]       (N, C·kH·kW, L)

with xpad the zero-padded input and L = Ho·Wo the number of blocks, rows ordered (c, i, j) and
blocks row by row. ``fold`` is its adjoint (transpose): it adds every column back onto the pixels
it would have been copied from, so values of overlapping blocks are *summed*, and the padding is
cut off. Being each other's transpose, each is the other's backward:

    unfold:  dL/dx    = fold(dL/dcols)
    fold:    dL/dcols = unfold(dL/dy)

Both are linear and their backwards call each other's ``Op``, so double backward works.
(``fold(unfold(x))`` is x times the number of blocks covering each pixel, not x.)
A convolution is ``unfold`` followed by a matrix product; ``conv_fast.py`` does that faster.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from microtensor._arguments import int_pair, tensor_argument
from microtensor.autograd.function import Op
from microtensor.tensor import Tensor

__all__ = ["fold", "unfold"]

IntPair = int | tuple[int, int]
Pair = tuple[int, int]


def _blocks(size: Pair, kernel: Pair, dilation: Pair, padding: Pair, stride: Pair) -> Pair:
    """Number of sliding blocks along height and width."""
    return tuple((size[d] + 2 * padding[d] - dilation[d] * (kernel[d] - 1) - 1) // stride[d] + 1
                 for d in range(2))  # type: ignore[return-value]


def unfold_array(x: np.ndarray, kernel: Pair, dilation: Pair, padding: Pair,
                 stride: Pair) -> np.ndarray:
    """im2col on arrays: (N, C, H, W) -> (N, C·kH·kW, Ho·Wo), one vectorised copy."""
    n, c = x.shape[:2]
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = kernel, dilation, padding, stride
    if ph or pw:
        x = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    reach = (dh * (kh - 1) + 1, dw * (kw - 1) + 1)
    windows = sliding_window_view(x, reach, axis=(2, 3))[:, :, ::sh, ::sw, ::dh, ::dw]
    ho, wo = windows.shape[2:4]
    return windows.transpose(0, 1, 4, 5, 2, 3).reshape(n, c * kh * kw, ho * wo)


def fold_array(cols: np.ndarray, output_size: Pair, kernel: Pair, dilation: Pair,
               padding: Pair, stride: Pair) -> np.ndarray:
    """col2im on arrays: (N, C·kH·kW, L) -> (N, C, H, W), overlapping values summed. One
    vectorised addition per kernel offset (i, j)."""
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = kernel, dilation, padding, stride
    h, w = output_size
    ho, wo = _blocks(output_size, kernel, dilation, padding, stride)
    n = cols.shape[0]
    c = cols.shape[1] // (kh * kw)
    per_offset = cols.reshape(n, c, kh, kw, ho, wo)
    canvas = np.zeros((n, c, h + 2 * ph, w + 2 * pw), cols.dtype)
    for i in range(kh):
        for j in range(kw):
            rows = slice(i * dh, i * dh + sh * (ho - 1) + 1, sh)
            columns = slice(j * dw, j * dw + sw * (wo - 1) + 1, sw)
            canvas[:, :, rows, columns] += per_offset[:, :, i, j]
    return canvas[:, :, ph : ph + h, pw : pw + w]


class UnfoldOp(Op):
    """cols = unfold(x) (im2col).  dL/dx = fold(dL/dcols) (col2im: the adjoint)."""

    @staticmethod
    def forward(ctx, x, *, kernel, dilation, padding, stride):
        ctx.geometry = (kernel, dilation, padding, stride)
        ctx.size = x.shape[2:]
        return unfold_array(x, kernel, dilation, padding, stride)

    @staticmethod
    def backward(ctx, grad):
        kernel, dilation, padding, stride = ctx.geometry
        if isinstance(grad, Tensor):  # a recorded backward: fold, differentiably
            return (FoldOp.apply(grad, output_size=ctx.size, kernel=kernel, dilation=dilation,
                                 padding=padding, stride=stride),)
        return (fold_array(grad, ctx.size, kernel, dilation, padding, stride),)


class FoldOp(Op):
    """y = fold(cols) (col2im, overlaps summed).  dL/dcols = unfold(dL/dy)."""

    @staticmethod
    def forward(ctx, cols, *, output_size, kernel, dilation, padding, stride):
        ctx.geometry = (kernel, dilation, padding, stride)
        return fold_array(cols, output_size, kernel, dilation, padding, stride)

    @staticmethod
    def backward(ctx, grad):
        kernel, dilation, padding, stride = ctx.geometry
        if isinstance(grad, Tensor):
            return (UnfoldOp.apply(grad, kernel=kernel, dilation=dilation, padding=padding,
                                   stride=stride),)
        return (unfold_array(grad, kernel, dilation, padding, stride),)


# =========================================================================== public functions


def _geometry(op: str, kernel_size: Any, dilation: Any, padding: Any,
              stride: Any) -> tuple[Pair, Pair, Pair, Pair]:
    return (int_pair(kernel_size, "kernel_size", op, minimum=1),
            int_pair(dilation, "dilation", op, minimum=1),
            int_pair(padding, "padding", op, minimum=0),
            int_pair(stride, "stride", op, minimum=1))


def _check_floating(op: str, x: Tensor) -> None:
    if x.dtype.kind != "f":
        raise NotImplementedError(
            f"{op}: not implemented for dtype {x.dtype}; convert the input, e.g. x.float()")


def unfold(input: Tensor, kernel_size: IntPair, dilation: IntPair = 1, padding: IntPair = 0,
           stride: IntPair = 1) -> Tensor:
    """Sliding blocks of (N, C, H, W) (or unbatched (C, H, W)) as columns: (N, C·kH·kW, L),
    as PyTorch's ``F.unfold``. Backward: ``fold``; double backward supported."""
    op = "unfold"
    x = tensor_argument(input, "input", 1, op)
    if x.ndim < 3:  # PyTorch's type here
        raise IndexError(f"{op}: Dimension out of range: expected a 3D (C, H, W) or 4D "
                         f"(N, C, H, W) input, but got an input of shape {list(x.shape)}")
    if x.ndim not in (3, 4) or 0 in tuple(x.shape)[-3:]:
        raise RuntimeError(
            f"{op}: Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other "
            f"non-zero dimensions for input, but got: {list(x.shape)}"
        )
    _check_floating(op, x)
    kernel, dilation2, padding2, stride2 = _geometry(op, kernel_size, dilation, padding, stride)
    blocks = _blocks(tuple(x.shape[-2:]), kernel, dilation2, padding2, stride2)
    if min(blocks) < 1:
        raise RuntimeError(
            f"{op}: Given input with spatial size {tuple(x.shape[-2:])}, kernel_size={kernel}, "
            f"dilation={dilation2}, padding={padding2}, calculated shape of the array of sliding "
            f"blocks as {blocks}, but its components must be at least one."
        )
    if x.ndim == 3:
        return UnfoldOp.apply(x.unsqueeze(0), kernel=kernel, dilation=dilation2,
                              padding=padding2, stride=stride2).squeeze(0)
    return UnfoldOp.apply(x, kernel=kernel, dilation=dilation2, padding=padding2, stride=stride2)


def fold(input: Tensor, output_size: IntPair, kernel_size: IntPair, dilation: IntPair = 1,
         padding: IntPair = 0, stride: IntPair = 1) -> Tensor:
    """Columns (N, C·kH·kW, L) (or unbatched (C·kH·kW, L)) summed back into an image
    (N, C, *output_size), as PyTorch's ``F.fold``: the adjoint of ``unfold``. Backward:
    ``unfold``; double backward supported."""
    op = "fold"
    x = tensor_argument(input, "input", 1, op)
    if x.ndim not in (2, 3) or 0 in tuple(x.shape)[-2:]:
        raise RuntimeError(
            f"{op}: Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size "
            f"and non-zero dimensions for input, but got: {list(x.shape)}"
        )
    _check_floating(op, x)
    size = int_pair(output_size, "output_size", op, minimum=1)
    kernel, dilation2, padding2, stride2 = _geometry(op, kernel_size, dilation, padding, stride)
    rows = x.shape[-2]
    if rows % (kernel[0] * kernel[1]):
        raise RuntimeError(
            f"{op}: Expected size of input's dimension 1 to be divisible by the product of "
            f"kernel_size, but got input.size(1)={rows} and kernel_size={kernel}."
        )
    blocks = _blocks(size, kernel, dilation2, padding2, stride2)
    if min(blocks) < 1 or blocks[0] * blocks[1] != x.shape[-1]:
        raise RuntimeError(
            f"{op}: Given output_size={size}, kernel_size={kernel}, dilation={dilation2}, "
            f"padding={padding2}, stride={stride2}, expected size of input's dimension 2 to "
            f"match the calculated number of sliding blocks {blocks[0]} * {blocks[1]} = "
            f"{blocks[0] * blocks[1]}, but got input.size(2)={x.shape[-1]}."
        )
    params = dict(output_size=size, kernel=kernel, dilation=dilation2, padding=padding2,
                  stride=stride2)
    if x.ndim == 2:
        return FoldOp.apply(x.unsqueeze(0), **params).squeeze(0)
    return FoldOp.apply(x, **params)
