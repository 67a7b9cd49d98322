"""The pooling kernels on NumPy arrays: max and average pooling, one kernel offset at a time.

Read ``conv_plain.py`` first. There pooling is im2col followed by a max (or a sum) over the
window axis, and the backward is col2im of the gradient routed to each window's argmax (or
spread as g/divisor over the window); the tests hold this module to its results. The values are
the same here; the difference is memory:

* No window array. The plain version materialises every window's values, (C, kH*kW, N, Ho, Wo):
  kH*kW values per output (9 for 3x3 windows), and its backward builds a gradient array of the
  same size (a one-hot one for max pooling). Here each kernel offset's strided view of the
  input is visited once and folded into a running result, so the work arrays are output-sized.
* Max pooling keeps the winner as the offset t = i*kW + j in a uint8 (1 byte per output where
  an int64 argmax takes 8), updated with a running ``maximum`` rather than a masked assignment
  (slow in NumPy). The rule is PyTorch's: first maximum on ties, and a NaN always takes over
  (so the last NaN of a window wins; ``conv_plain`` picks the first). The backward adds, offset
  by offset, the gradient of the outputs that this offset won.
* Where windows cannot overlap (stride at least the window), the backward writes each offset's
  share instead of adding it. The input is padded only when the geometry needs it, and the
  average's divisor is a scalar when it is the same for every window.

The public ``max_pool2d``/``avg_pool2d`` and their ``Op``s are in ``microtensor/ops/conv.py``.

Pooling windows are visited the same way, one kernel offset (i, j) at a time: the strided view
``xpad[:, :, i*dh :: sh, j*dw :: sw]`` holds, for every output pixel, the input value at offset
(i, j) of its window. Max pooling keeps a running maximum and the offset where it was found
(first occurrence wins on ties, a NaN always wins, as in PyTorch); its backward adds the gradient
at the winning offset only. Average pooling sums the views and divides by the window size.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np


def _pool_output_size(size: int, kernel: int, stride: int, pad: int, dilation: int,
                      ceil_mode: bool) -> int:
    """PyTorch's rule, including ceil_mode's 'the last window must start inside the input or
    the left padding'."""
    span = size + 2 * pad - dilation * (kernel - 1) - 1
    out = (span + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= size + pad:
        out -= 1
    return out


@dataclass(frozen=True, slots=True)
class PoolGeometry:
    """Sizes of one pooling call; the input is padded to (hp, wp): ``pad`` on the top/left, and
    on the bottom/right ``pad`` plus what ceil_mode's last windows need."""

    n: int
    c: int
    h: int
    w: int
    kernel: tuple[int, int]
    stride: tuple[int, int]
    pad: tuple[int, int]
    dilation: tuple[int, int]
    ho: int
    wo: int
    hp: int
    wp: int

    @staticmethod
    def of(shape: tuple[int, ...], kernel: tuple[int, int], stride: tuple[int, int],
           pad: tuple[int, int], dilation: tuple[int, int], ceil_mode: bool) -> PoolGeometry:
        n, c, h, w = shape
        ho = _pool_output_size(h, kernel[0], stride[0], pad[0], dilation[0], ceil_mode)
        wo = _pool_output_size(w, kernel[1], stride[1], pad[1], dilation[1], ceil_mode)
        # rows/columns reached by the last window: at least the padded size
        hp = max(h + 2 * pad[0], (ho - 1) * stride[0] + dilation[0] * (kernel[0] - 1) + 1)
        wp = max(w + 2 * pad[1], (wo - 1) * stride[1] + dilation[1] * (kernel[1] - 1) + 1)
        return PoolGeometry(n, c, h, w, kernel, stride, pad, dilation, ho, wo, hp, wp)


def _pool_pad(x: np.ndarray, g: PoolGeometry, fill: float) -> np.ndarray:
    if (g.hp, g.wp) == (g.h, g.w):
        return x
    xpad = np.full((g.n, g.c, g.hp, g.wp), fill, x.dtype)
    xpad[:, :, g.pad[0] : g.pad[0] + g.h, g.pad[1] : g.pad[1] + g.w] = x
    return xpad


def _windows(xpad: np.ndarray, g: PoolGeometry) -> Iterator[tuple[int, np.ndarray]]:
    """For each kernel offset t = i*kW + j, the (N, C, Ho, Wo) view of the window pixels at
    offset (i, j): view[n, c, p, q] = xpad[n, c, p*sh + i*dh, q*sw + j*dw]."""
    (kh, kw), (sh, sw), (dh, dw) = g.kernel, g.stride, g.dilation
    for i in range(kh):
        for j in range(kw):
            yield i * kw + j, xpad[:, :, i * dh :: sh, j * dw :: sw][:, :, : g.ho, : g.wo]


def _crop(gpad: np.ndarray, g: PoolGeometry) -> np.ndarray:
    if (g.hp, g.wp) == (g.h, g.w):
        return gpad
    return np.ascontiguousarray(gpad[:, :, g.pad[0] : g.pad[0] + g.h, g.pad[1] : g.pad[1] + g.w])


def _overlapping(g: PoolGeometry) -> bool:
    """Can an input pixel belong to two windows? (Not when the stride is at least the window.)"""
    return any(g.stride[d] < g.dilation[d] * (g.kernel[d] - 1) + 1 for d in range(2))


def max_pool2d_forward(x: np.ndarray, g: PoolGeometry) -> tuple[np.ndarray, np.ndarray]:
    """Window maxima and, per output pixel, the kernel offset t = i*kW + j where it was found.

    Offsets are visited in order; a value larger than the running maximum takes over, an equal
    one does not (the first maximum wins), and a NaN always does (NaN propagates, as in
    PyTorch). The padding is -inf, so it never wins. Since t only grows, the winning offset is
    the largest t at which the maximum improved: a running ``maximum`` again, with no masked
    assignment (those are slow in NumPy).
    """
    fill = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
    xpad = _pool_pad(x, g, fill)
    offsets = g.kernel[0] * g.kernel[1]
    code = np.uint8 if offsets <= 256 else np.int32
    best = argmax = None
    for t, view in _windows(xpad, g):
        if best is None:
            best = view.copy()
            argmax = np.zeros(best.shape, code)
            continue
        better = view > best
        if x.dtype.kind == "f":
            np.logical_or(better, np.isnan(view), out=better)
        np.maximum(best, view, out=best)  # NaN propagates
        np.maximum(argmax, better * code(t), out=argmax)
    return best, argmax


def max_pool2d_backward(grad: np.ndarray, argmax: np.ndarray, g: PoolGeometry) -> np.ndarray:
    """dL/dx: each output's gradient goes to the input pixel that won its window (summed where
    overlapping windows picked the same pixel)."""
    grad_pad = np.zeros((g.n, g.c, g.hp, g.wp), grad.dtype)
    overlapping = _overlapping(g)
    for t, view in _windows(grad_pad, g):
        if overlapping:
            view += grad * (argmax == t)
        else:  # every pixel is in one window at most: write instead of add
            np.multiply(grad, argmax == t, out=view)
    return _crop(grad_pad, g)


def max_pool2d_indices(argmax: np.ndarray, g: PoolGeometry) -> np.ndarray:
    """PyTorch's ``return_indices``: the flat position h*W + w, in the unpadded input plane, of
    each window's maximum (int64)."""
    kw = g.kernel[1]
    rows = (np.arange(g.ho) * g.stride[0] - g.pad[0])[:, None] + (argmax // kw) * g.dilation[0]
    cols = (np.arange(g.wo) * g.stride[1] - g.pad[1]) + (argmax % kw) * g.dilation[1]
    return (rows.astype(np.int64) * g.w + cols).astype(np.int64)


def _avg_divisor(g: PoolGeometry, count_include_pad: bool, divisor_override: int | None,
                 dtype: np.dtype) -> np.ndarray | float:
    """Number of values averaged by each window, as PyTorch counts them: the window clipped to
    the padded input (count_include_pad) or to the input itself; (Ho, Wo) or a scalar."""
    if divisor_override is not None:
        return float(divisor_override)

    def counts(out: int, size: int, k: int, s: int, p: int) -> np.ndarray:
        start = np.arange(out) * s - p
        end = np.minimum(start + k, size + p)
        if count_include_pad:
            return end - start
        return np.minimum(end, size) - np.maximum(start, 0)

    rows = counts(g.ho, g.h, g.kernel[0], g.stride[0], g.pad[0])
    cols = counts(g.wo, g.w, g.kernel[1], g.stride[1], g.pad[1])
    divisor = np.outer(rows, cols).astype(dtype)
    if (divisor == divisor.flat[0]).all():
        return float(divisor.flat[0])
    return divisor


def avg_pool2d_forward(x: np.ndarray, g: PoolGeometry, divisor: np.ndarray | float) -> np.ndarray:
    """y = (sum of the window's values) / divisor, with zero padding."""
    xpad = _pool_pad(x, g, 0)
    total = None
    for _, view in _windows(xpad, g):
        if total is None:
            total = view.copy()
        else:
            total += view
    total /= divisor
    return total


def avg_pool2d_backward(grad: np.ndarray, g: PoolGeometry, divisor: np.ndarray | float
                        ) -> np.ndarray:
    """dL/dx: every pixel of a window receives that window's gradient / divisor."""
    share = grad / divisor
    grad_pad = np.zeros((g.n, g.c, g.hp, g.wp), grad.dtype)
    overlapping = _overlapping(g)
    for _, view in _windows(grad_pad, g):
        if overlapping:
            view += share
        else:  # every pixel is in one window at most: write instead of add
            view[...] = share
    return _crop(grad_pad, g)


