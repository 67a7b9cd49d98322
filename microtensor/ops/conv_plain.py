"""Convolution and pooling on NumPy arrays, the plain way: read this before ``conv_fast.py``.

This module is the textbook version of the arithmetic behind ``conv2d``, ``max_pool2d`` and
``avg_pool2d``: short functions on arrays, no caching, no chunking, no layout tricks. The package
itself runs the tuned kernels in ``conv_fast.py`` and ``pool_fast.py`` (they compute the same
numbers, faster and with less memory); the tests use this module as their reference, and check
it in turn against brute-force loops over output pixels.

One idea carries everything: **im2col**. With ``xpad`` the padded input (N, C, Hp, Wp), kernel
offset (i, j) of output pixel (p, q) reads ``xpad[n, c, p*sh + i*dh, q*sw + j*dw]`` ((sh, sw)
the stride, (dh, dw) the dilation). For a fixed (i, j), those pixels over all (p, q) form one
strided slice of ``xpad``. Copying the kH*kW slices into one array gives the columns

    cols[c, i, j, n, p, q] = xpad[n, c, p*sh + i*dh, q*sw + j*dw]

and then
  * a convolution is one matrix product, W (O, C*kH*kW) @ cols (C*kH*kW, N*Ho*Wo);
  * max pooling is a maximum over the (i, j) axes of cols, average pooling a mean over them.
Backward passes run the other way with **col2im**, the adjoint of im2col: each offset's slice of
the gradient is added back onto the pixels it was copied from (a pixel read by several windows
collects several contributions), and the padding's share is dropped.

Arguments are taken as ``microtensor/ops/conv.py`` passes them to the kernels, already checked:
4-D NCHW arrays (``conv.py`` adds and removes the batch axis of an unbatched input), pairs of
ints for kernel sizes, strides and dilations, and conv2d's padding as (top, bottom, left, right)
(what ``padding="same"`` turns into; pooling pads symmetrically). Everything the public ops
support is here, with one exception: when a max-pooling window holds several NaNs, PyTorch (and
``pool_fast``) send the gradient to the last NaN, this module to the first.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "avg_pool2d_backward",
    "avg_pool2d_forward",
    "col2im",
    "conv2d_backward",
    "conv2d_forward",
    "im2col",
    "max_pool2d_backward",
    "max_pool2d_forward",
    "max_pool2d_indices",
    "output_size",
    "pad",
    "pool_output_size",
    "unpad",
]

Pair = tuple[int, int]
Padding = tuple[int, int, int, int]  # top, bottom, left, right

# =========================================================================== im2col and col2im


def pad(x: np.ndarray, padding: Padding, fill: float = 0.0) -> np.ndarray:
    """x (N, C, H, W) with ``fill`` added around each image: (N, C, H+top+bottom, W+left+right)."""
    top, bottom, left, right = padding
    return np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)), constant_values=fill)


def unpad(xpad: np.ndarray, padding: Padding) -> np.ndarray:
    """The inverse of ``pad``: the pixels inside the border."""
    top, bottom, left, right = padding
    height, width = xpad.shape[2], xpad.shape[3]
    return xpad[:, :, top : height - bottom, left : width - right]


def output_size(padded_size: int, kernel: int, stride: int, dilation: int) -> int:
    """How many windows fit: the dilated kernel spans dilation*(kernel - 1) + 1 pixels."""
    return (padded_size - dilation * (kernel - 1) - 1) // stride + 1


def _offset_slice(offset: int, stride: int, dilation: int, count: int) -> slice:
    """The rows (or columns) that kernel offset ``offset`` reads for outputs 0 .. count-1:
    offset*dilation + p*stride for p = 0, 1, ..., count - 1."""
    first = offset * dilation
    return slice(first, first + stride * (count - 1) + 1, stride)


def im2col(xpad: np.ndarray, kernel: Pair, stride: Pair, dilation: Pair) -> np.ndarray:
    """The columns of a padded input (N, C, Hp, Wp), shape (C, kH, kW, N, Ho, Wo):

        cols[c, i, j, n, p, q] = xpad[n, c, p*sh + i*dh, q*sw + j*dw]

    One strided copy per kernel offset (i, j). Channels come first so that
    ``cols.reshape(C*kH*kW, N*Ho*Wo)`` is the im2col matrix, rows ordered (c, i, j) like the
    entries of one filter ``w[o]``.
    """
    n, c, hp, wp = xpad.shape
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    ho, wo = output_size(hp, kh, sh, dh), output_size(wp, kw, sw, dw)
    channels_first = xpad.transpose(1, 0, 2, 3)  # (C, N, Hp, Wp)
    cols = np.empty((c, kh, kw, n, ho, wo), xpad.dtype)
    for i in range(kh):
        for j in range(kw):
            rows, columns = _offset_slice(i, sh, dh, ho), _offset_slice(j, sw, dw, wo)
            cols[:, i, j] = channels_first[:, :, rows, columns]
    return cols


def col2im(grad_cols: np.ndarray, padded_shape: tuple[int, ...], stride: Pair,
           dilation: Pair) -> np.ndarray:
    """The adjoint of ``im2col``: dL/dxpad (N, C, Hp, Wp) from dL/dcols (C, kH, kW, N, Ho, Wo),

        grad_xpad[n, c, p*sh + i*dh, q*sw + j*dw] += grad_cols[c, i, j, n, p, q]

    Every column entry is added back onto the pixel it was copied from; one strided addition
    per kernel offset (i, j) (the slices of different offsets overlap when windows do).
    """
    c, kh, kw, n, ho, wo = grad_cols.shape
    (sh, sw), (dh, dw) = stride, dilation
    grad_channels_first = np.zeros((c, n, padded_shape[2], padded_shape[3]), grad_cols.dtype)
    for i in range(kh):
        for j in range(kw):
            rows, columns = _offset_slice(i, sh, dh, ho), _offset_slice(j, sw, dw, wo)
            grad_channels_first[:, :, rows, columns] += grad_cols[:, i, j]
    return grad_channels_first.transpose(1, 0, 2, 3)


# =========================================================================== conv2d


def conv2d_forward(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None, stride: Pair,
                   padding: Padding, dilation: Pair, groups: int) -> np.ndarray:
    """y = conv2d(x, w) + b: x (N, C, H, W), w (O, C/groups, kH, kW), b (O,) or None.

        y[n, o, p, q] = b[o] + sum_{c, i, j} w[o, c, i, j] * xpad[n, c, p*sh + i*dh, q*sw + j*dw]

    As matrices: cols = im2col(xpad) (C*kH*kW, N*Ho*Wo), W = w.reshape(O, C*kH*kW), Y = W @ cols.
    With groups, channel group g only meets filter group g: the same product per group, as one
    batched matmul of (groups, O/groups, K) @ (groups, K, N*Ho*Wo), K = C/groups*kH*kW.
    """
    n = x.shape[0]
    c_out, c_per_group, kh, kw = weight.shape
    cols = im2col(pad(x, padding), (kh, kw), stride, dilation)
    ho, wo = cols.shape[4], cols.shape[5]
    cols_matrix = cols.reshape(groups, c_per_group * kh * kw, n * ho * wo)
    weight_matrix = weight.reshape(groups, c_out // groups, c_per_group * kh * kw)
    y = weight_matrix @ cols_matrix  # (groups, O/groups, N*Ho*Wo)
    y = y.reshape(c_out, n, ho, wo).transpose(1, 0, 2, 3)
    if bias is not None:
        y = y + bias[:, None, None]
    return np.ascontiguousarray(y)


def conv2d_backward(grad: np.ndarray, x: np.ndarray, weight: np.ndarray, stride: Pair,
                    padding: Padding, dilation: Pair, groups: int
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(dL/dx, dL/dw, dL/db) from grad = dL/dy (N, O, Ho, Wo).

    Y = W @ cols is a matrix product, so with G = dL/dY in Y's layout (O, N*Ho*Wo):

        dL/dW    = G @ colsᵀ            (O, C*kH*kW), reshaped to w's (O, C/groups, kH, kW)
        dL/dcols = Wᵀ @ G               (C*kH*kW, N*Ho*Wo)
        dL/dx    = col2im(dL/dcols)     with the padding's share dropped
        dL/db    = sum of G over n, p, q (b[o] is added to every output pixel of channel o)

    per group when groups > 1. The columns are rebuilt from x rather than kept from the forward.
    """
    n = x.shape[0]
    c_out, c_per_group, kh, kw = weight.shape
    xpad = pad(x, padding)
    cols = im2col(xpad, (kh, kw), stride, dilation)
    ho, wo = cols.shape[4], cols.shape[5]
    cols_matrix = cols.reshape(groups, c_per_group * kh * kw, n * ho * wo)
    weight_matrix = weight.reshape(groups, c_out // groups, c_per_group * kh * kw)
    grad_matrix = grad.transpose(1, 0, 2, 3).reshape(groups, c_out // groups, n * ho * wo)

    grad_weight = grad_matrix @ cols_matrix.transpose(0, 2, 1)
    grad_cols = weight_matrix.transpose(0, 2, 1) @ grad_matrix
    grad_xpad = col2im(grad_cols.reshape(cols.shape), xpad.shape, stride, dilation)
    grad_x = np.ascontiguousarray(unpad(grad_xpad, padding))
    grad_bias = grad.sum(axis=(0, 2, 3))
    return grad_x, grad_weight.reshape(weight.shape), grad_bias


# =========================================================================== pooling


def pool_output_size(size: int, kernel: int, stride: int, padding: int, dilation: int,
                     ceil_mode: bool) -> int:
    """PyTorch's output size for pooling: windows that fit (floor) or, with ``ceil_mode``, also
    a last partial window, provided that it starts inside the input or its left padding."""
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    if not ceil_mode:
        return span // stride + 1
    count = -(-span // stride) + 1
    if (count - 1) * stride >= size + padding:
        count -= 1
    return count


def _pool_padding(height: int, width: int, kernel: Pair, stride: Pair, padding: Pair,
                  dilation: Pair, ceil_mode: bool) -> Padding:
    """(top, bottom, left, right) for a pooling input: ``padding`` on every side, and on the
    bottom and right whatever else ceil_mode's last windows reach."""
    pads = []
    for size, k, s, p, d in zip((height, width), kernel, stride, padding, dilation, strict=True):
        count = pool_output_size(size, k, s, p, d, ceil_mode)
        reach = (count - 1) * s + d * (k - 1) + 1  # padded pixels the windows cover
        pads += [p, max(p, reach - size - p)]
    return pads[0], pads[1], pads[2], pads[3]


def _pool_windows(x: np.ndarray, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair,
                  ceil_mode: bool, fill: float) -> np.ndarray:
    """Every window's values, (C, kH*kW, N, Ho, Wo): the columns of x padded with ``fill``."""
    pads = _pool_padding(x.shape[2], x.shape[3], kernel, stride, padding, dilation, ceil_mode)
    cols = im2col(pad(x, pads, fill), kernel, stride, dilation)
    c, kh, kw, n, ho, wo = cols.shape
    return cols.reshape(c, kh * kw, n, ho, wo)


def _pool_grad_input(grad_windows: np.ndarray, input_shape: tuple[int, ...], kernel: Pair,
                     stride: Pair, padding: Pair, dilation: Pair, ceil_mode: bool) -> np.ndarray:
    """dL/dx from the gradient of every window's values (C, kH*kW, N, Ho, Wo): col2im, then
    the padding's share dropped."""
    n, c, height, width = input_shape
    pads = _pool_padding(height, width, kernel, stride, padding, dilation, ceil_mode)
    padded_shape = (n, c, height + pads[0] + pads[1], width + pads[2] + pads[3])
    grad_cols = grad_windows.reshape(c, kernel[0], kernel[1], *grad_windows.shape[2:])
    return np.ascontiguousarray(unpad(col2im(grad_cols, padded_shape, stride, dilation), pads))


def max_pool2d_forward(x: np.ndarray, kernel: Pair, stride: Pair, padding: Pair,
                       dilation: Pair = (1, 1), ceil_mode: bool = False) -> np.ndarray:
    """y[n, c, p, q] = max of x over the window of (p, q); the padding is -inf, so it never
    wins (PyTorch's rule that padding is at most half the kernel keeps a pixel in each window).
    A NaN in the window makes the maximum NaN."""
    windows = _pool_windows(x, kernel, stride, padding, dilation, ceil_mode, -np.inf)
    return np.ascontiguousarray(windows.max(axis=1).transpose(1, 0, 2, 3))


def max_pool2d_backward(grad: np.ndarray, x: np.ndarray, kernel: Pair, stride: Pair,
                        padding: Pair, dilation: Pair = (1, 1), ceil_mode: bool = False
                        ) -> np.ndarray:
    """dL/dx: each output's gradient g[n, c, p, q] is routed to the argmax of its window (the
    maximum is a selection: d max / d x_k is 1 for the winner and 0 for the others), and summed
    where overlapping windows pick the same pixel.

    On ties the first maximum in row-major window order wins, as in PyTorch; ``np.argmax`` does
    exactly that. The winners are found again from x (an Op would keep them from the forward).
    """
    windows = _pool_windows(x, kernel, stride, padding, dilation, ceil_mode, -np.inf)
    winner = windows.argmax(axis=1)[:, None]  # (C, 1, N, Ho, Wo): offset t = i*kW + j
    offsets = np.arange(windows.shape[1]).reshape(1, -1, 1, 1, 1)
    grad_channels_first = grad.transpose(1, 0, 2, 3)[:, None]  # (C, 1, N, Ho, Wo)
    grad_windows = np.where(offsets == winner, grad_channels_first, 0)  # select, not multiply
    return _pool_grad_input(grad_windows, x.shape, kernel, stride, padding, dilation,
                            ceil_mode)


def max_pool2d_indices(x: np.ndarray, kernel: Pair, stride: Pair, padding: Pair,
                       dilation: Pair = (1, 1), ceil_mode: bool = False) -> np.ndarray:
    """PyTorch's ``return_indices``: the flat position h*W + w in its input plane of each
    window's maximum (int64). Offset t = i*kW + j of output (p, q) is input row
    p*sh - top + i*dh and column q*sw - left + j*dw."""
    windows = _pool_windows(x, kernel, stride, padding, dilation, ceil_mode, -np.inf)
    i, j = np.divmod(windows.argmax(axis=1), kernel[1])  # (C, N, Ho, Wo) each
    ho, wo = i.shape[2], i.shape[3]
    rows = (np.arange(ho) * stride[0] - padding[0])[:, None] + i * dilation[0]
    columns = np.arange(wo) * stride[1] - padding[1] + j * dilation[1]
    return (rows * x.shape[3] + columns).transpose(1, 0, 2, 3).astype(np.int64)


def _avg_divisor(input_shape: tuple[int, ...], kernel: Pair, stride: Pair, padding: Pair,
                 ceil_mode: bool, count_include_pad: bool, divisor_override: int | None,
                 dtype: np.dtype) -> np.ndarray | float:
    """What each window's sum is divided by, as PyTorch counts: the window's cells inside the
    padded input (count_include_pad) or inside the input only; the cells that only ceil_mode's
    last windows reach never count. Counted by summing a mask of the counted cells over each
    window: (Ho, Wo) values."""
    if divisor_override is not None:
        return float(divisor_override)
    height, width = input_shape[2], input_shape[3]
    (ph, pw) = padding
    top, bottom, left, right = _pool_padding(height, width, kernel, stride, padding, (1, 1),
                                             ceil_mode)
    counted = np.zeros((1, 1, top + height + bottom, left + width + right), dtype)
    if count_include_pad:
        counted[:, :, : height + 2 * ph, : width + 2 * pw] = 1  # the input and its padding
    else:
        counted[:, :, ph : ph + height, pw : pw + width] = 1  # the input only
    cols = im2col(counted, kernel, stride, (1, 1))  # (1, kH, kW, 1, Ho, Wo)
    return cols.sum(axis=(1, 2))[0, 0]


def avg_pool2d_forward(x: np.ndarray, kernel: Pair, stride: Pair, padding: Pair,
                       ceil_mode: bool = False, count_include_pad: bool = True,
                       divisor_override: int | None = None) -> np.ndarray:
    """y[n, c, p, q] = (sum of x over the window of (p, q)) / divisor[p, q], zero padding."""
    divisor = _avg_divisor(x.shape, kernel, stride, padding, ceil_mode, count_include_pad,
                           divisor_override, x.dtype)
    windows = _pool_windows(x, kernel, stride, padding, (1, 1), ceil_mode, 0.0)
    return np.ascontiguousarray(windows.sum(axis=1).transpose(1, 0, 2, 3) / divisor)


def avg_pool2d_backward(grad: np.ndarray, input_shape: tuple[int, ...], kernel: Pair,
                        stride: Pair, padding: Pair, ceil_mode: bool = False,
                        count_include_pad: bool = True, divisor_override: int | None = None
                        ) -> np.ndarray:
    """dL/dx: y is a sum scaled by 1/divisor, so every cell of a window receives g / divisor
    (g / (kH*kW) for a full window): each window's share spread over its kH*kW cells by col2im,
    summed where windows overlap, the padding's share dropped. Needs only x's shape."""
    divisor = _avg_divisor(input_shape, kernel, stride, padding, ceil_mode, count_include_pad,
                           divisor_override, grad.dtype)
    share = (grad / divisor).transpose(1, 0, 2, 3)[:, None]  # (C, 1, N, Ho, Wo)
    grad_windows = np.broadcast_to(share, (share.shape[0], kernel[0] * kernel[1],
                                           *share.shape[2:]))
    return _pool_grad_input(grad_windows, input_shape, kernel, stride, padding, (1, 1),
                            ceil_mode)
