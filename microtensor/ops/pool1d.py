"""1-d pooling and adaptive pooling, as PyTorch's: ``max_pool1d``, ``avg_pool1d``,
``adaptive_avg_pool1d``, ``adaptive_max_pool1d``, ``adaptive_max_pool2d``.

* ``max_pool1d`` / ``avg_pool1d`` are the 2-d poolings of ``conv.py`` over an image of height 1,
  (N, C, L) viewed as (N, C, 1, L) with a 1 x k window: the same fast kernels, the same
  gradients (first order, like the 2-d ones).
* Adaptive pooling splits a dim of size n into m windows, window i covering the input range
  [⌊i·n/m⌋, ⌈(i+1)·n/m⌉) (neighbouring windows may overlap by one element). It is written as a
  gather of every window's elements, padded to the longest window by repeating its last one,
  so it is a composition of differentiable indexing ops (double backward included):

      adaptive max:  y = x[argmax of the window]       dL/dx[argmax] += g
      adaptive avg:  y = Σ window / |window|           dL/dx[window] += g / |window|

  (The repeated elements of a short window are *selected* away from the average with ``where``,
  not multiplied by 0, so an infinity in them cannot turn into NaN.)
* Dtypes are PyTorch's: ``max_pool1d`` takes integers with ``return_indices=True`` only (its
  2-d kernel), ``avg_pool1d`` int64 (``conv.avg_pool2d``), adaptive pooling floating point only;
  adaptive average pooling to size 1 is PyTorch's mean over the last dims (``global_avg_pool``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from microtensor._arguments import tensor_argument
from microtensor._dtypes import torch_name
from microtensor.autograd.function import Op
from microtensor.ops import conv as _conv
from microtensor.ops.conv import int_single
from microtensor.ops.elementwise import where
from microtensor.ops.pool_fast import (
    adaptive_avg_matrix,
    adaptive_avg_pool2d_backward,
    adaptive_avg_pool2d_forward,
    adaptive_max_backward,
    adaptive_max_positions,
    adaptive_max_values,
    global_avg_pool_backward,
    global_avg_pool_forward,
)
from microtensor.ops.selection import _scatter_add_either, index_select
from microtensor.tensor import Tensor

__all__ = [
    "AdaptiveAvgPool2dOp", "AdaptiveMaxPool2dOp", "adaptive_avg_pool", "adaptive_avg_pool1d",
    "adaptive_max_pool1d", "adaptive_max_pool2d", "avg_pool1d", "global_avg_pool", "max_pool1d",
]

# =========================================================================== max/avg pool 1-d


def _pool1d_arguments(op: str, x: Tensor, kernel_size: Any, stride: Any, padding: Any,
                      dilation: Any, ceil_mode: bool) -> tuple[int, int, int, int]:
    """Checks of a 1-d pooling (PyTorch's messages); returns kernel, stride, padding,
    dilation."""
    if x.ndim not in (2, 3) or 0 in tuple(x.shape)[-2:]:
        raise RuntimeError(
            f"{op}: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for "
            f"input, but got:{list(x.shape)}")
    for name, value in (("kernel_size", kernel_size), ("stride", stride)):
        if isinstance(value, Sequence) and len(value) > 1:
            raise RuntimeError(f"{op}() argument '{name}' should contain one int (got "
                               f"{len(value)}); {name} must be an int or a tuple of one int")
    kernel = int_single(kernel_size, "kernel_size", op, minimum=1)
    no_stride = stride is None or (isinstance(stride, Sequence) and len(stride) == 0)
    step = kernel if no_stride else int_single(stride, "stride", op, minimum=1)
    pad = int_single(padding, "padding", op, minimum=0)
    spread = int_single(dilation, "dilation", op, minimum=1)
    if pad > kernel // 2:  # (max_pool1d checks the kernel itself, not the dilated one)
        raise RuntimeError(f"{op}() padding should be at most half of kernel size, but got "
                           f"padding={pad} and kernel_size={kernel}")
    size = x.shape[-1] + 2 * pad - spread * (kernel - 1) - 1
    out = (-(-size // step) if ceil_mode else size // step) + 1
    if ceil_mode and (out - 1) * step >= x.shape[-1] + pad:
        out -= 1
    if out < 1:
        raise RuntimeError(
            f"{op}() Invalid computed output size: {out}: Output size is too small (input "
            f"length {x.shape[-1]}, kernel_size {kernel}, stride {step}, padding {pad}, "
            f"dilation {spread}); use a smaller kernel or more padding")
    return kernel, step, pad, spread


def max_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Tensor | tuple[Tensor, Tensor]:
    """Max over each (dilated) window of (N, C, L) or (C, L), as PyTorch's ``F.max_pool1d``;
    with ``return_indices`` also the int64 position of each maximum along L. The 2-d kernel on
    a height-1 image; first-order gradients only.

    Integer inputs work with ``return_indices=True`` only, as in PyTorch (which then runs its
    2-d kernel; its 1-d one, ``max_pool1d_impl``, is floating point only)."""
    op = "max_pool1d"
    x = tensor_argument(input, "input", 1, op)
    k, s, p, d = _pool1d_arguments(op, x, kernel_size, stride, padding, dilation, ceil_mode)
    if not return_indices:  # (with indices PyTorch runs max_pool2d's kernel: integers too)
        _conv.check_pool_dtype(x, "max_pool1d_impl")
    result = _conv.max_pool2d(x.unsqueeze(-2), (1, k), (1, s), (0, p), (1, d), ceil_mode,
                              return_indices)
    if return_indices:
        return result[0].squeeze(-2), result[1].squeeze(-2)
    return result.squeeze(-2)


def avg_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True) -> Tensor:
    """Mean over each window of (N, C, L) or (C, L), as PyTorch's ``F.avg_pool1d``. The 2-d
    kernel on a height-1 image; first-order gradients only. int64 inputs give truncated int64
    means, as ``avg_pool2d``."""
    op = "avg_pool1d"
    x = tensor_argument(input, "input", 1, op)
    if x.ndim not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {x.ndim}-dimensional tensor "
                           f"for argument #1 'self' (while checking arguments for {op})")
    k, s, p, _ = _pool1d_arguments(op, x, kernel_size, stride, padding, 1, ceil_mode)
    return _conv.avg_pool2d(x.unsqueeze(-2), (1, k), (1, s), (0, p), ceil_mode,
                            count_include_pad).squeeze(-2)


# =========================================================================== adaptive pooling


def _windows(n: int, m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Adaptive windows of a dim of size n into m: (index (m, K), valid (m, K), length (m,)),
    K the longest window; a short window repeats its last index where ``valid`` is False."""
    i = np.arange(m)
    start = (i * n) // m
    end = -((-(i + 1) * n) // m)
    longest = int((end - start).max()) if m else 0
    taps = start[:, None] + np.arange(longest)
    return np.minimum(taps, end[:, None] - 1), taps < end[:, None], end - start


def _check_adaptive_input(op: str, x: Tensor, spatial: int) -> None:
    if x.ndim not in (spatial + 1, spatial + 2):
        raise RuntimeError(f"{op}(): Expected {spatial + 1}D or {spatial + 2}D tensor, but got: "
                           f"{list(x.shape)}")
    check_not_empty(op, x, range(1, x.ndim))


def check_not_empty(op: str, x: Tensor, dims: Any) -> None:
    """PyTorch's error for adaptive pooling when one of ``dims`` of x is empty."""
    for dim in dims:
        if x.shape[dim] == 0:
            raise RuntimeError(
                f"{op}(): Expected input to have non-zero size for non-batch dimensions, but "
                f"input has sizes {list(x.shape)} with dimension {dim} being empty")


def _adaptive_sizes(op: str, output_size: Any, x: Tensor, spatial: int) -> list[int]:
    """``output_size`` (an int, or ``spatial`` ints or None) as a list of ints."""
    if isinstance(output_size, Sequence):
        if len(output_size) != spatial:
            count = "one int" if spatial == 1 else f"{spatial} ints"
            raise RuntimeError(f"{op}() argument 'output_size' should contain {count} (got "
                               f"{len(output_size)})")
        sizes = list(output_size)
    else:
        sizes = [output_size] * spatial
    result = []
    for value, keep in zip(sizes, x.shape[-spatial:]):
        if value is None:
            result.append(int(keep))
        elif not isinstance(value, int | np.integer) or isinstance(value, bool):
            raise TypeError(f"{op}: output_size must be an int or a tuple of ints (or None), "
                            f"got {output_size!r}")
        elif value < 0:
            raise RuntimeError(f"{op}: elements of output_size must be greater than or equal "
                               f"to 0 but received {output_size!r}")
        else:
            result.append(int(value))
    return result


def adaptive_avg_pool(x: Tensor, sizes: list[int], op: str) -> Tensor:
    """Adaptive average over the last len(sizes) dims, one dim at a time (a mean of window
    means is the window mean): gather each window, select away the padding, sum, divide."""
    for d in range(len(sizes)):
        axis = x.ndim - len(sizes) + d
        index, valid, length = _windows(x.shape[axis], sizes[d])
        gathered = index_select(x, axis, Tensor._make(index.reshape(-1)))
        gathered = gathered.reshape(*x.shape[:axis], *index.shape, *x.shape[axis + 1:])
        shape = [1] * gathered.ndim
        shape[axis: axis + 2] = index.shape
        kept = where(Tensor._make(valid.reshape(shape)), gathered,
                     Tensor._make(np.zeros((), np.dtype(x.dtype))))
        divisor = length.astype(np.dtype(x.dtype)).reshape(shape[: axis + 1] + shape[axis + 2:])
        x = kept.sum(axis + 1) / Tensor._make(divisor)
    return x


class AdaptiveAvgPool2dOp(Op):
    """y = R @ x @ Cᵀ per (n, c) plane, R (Ho, H) and C (Wo, W) the window-mean matrices
    (``pool_fast.adaptive_avg_matrix``).  dL/dx = Rᵀ @ g @ C.

    The op is linear, so its backward is the same kind of product; written with ``@`` it also
    runs on Tensors, which gives double backward. A 1x1 output is the plane's mean
    (``pool_fast.global_avg_pool_forward``), and its backward g / (H*W) broadcast over the
    plane (a view; ``expand`` when recording).
    """

    @staticmethod
    def forward(ctx, x, *, out_h, out_w):
        ctx.in_shape = x.shape
        if (out_h, out_w) == (1, 1):
            ctx.rows = ctx.cols = None
            return global_avg_pool_forward(x)
        h, w = x.shape[-2:]
        ctx.rows = adaptive_avg_matrix(h, out_h, x.dtype)
        ctx.cols = adaptive_avg_matrix(w, out_w, x.dtype)
        lead = x.shape[:-2]
        planes = x.reshape(-1, 1, h, w)
        out = adaptive_avg_pool2d_forward(planes, ctx.rows, ctx.cols)
        return out.reshape(*lead, out_h, out_w)

    @staticmethod
    def backward(ctx, grad):
        if ctx.rows is None:  # 1x1: g / (H*W) over the plane
            if isinstance(grad, Tensor):
                plane = max(1, ctx.in_shape[-2] * ctx.in_shape[-1])  # (empty: nothing to fill)
                return ((grad / plane).expand(ctx.in_shape),)
            return (global_avg_pool_backward(grad, ctx.in_shape),)
        if isinstance(grad, Tensor):  # create_graph: the same product, recorded
            return (Tensor._make(ctx.rows.T) @ grad @ Tensor._make(ctx.cols),)
        lead, (out_h, out_w) = grad.shape[:-2], grad.shape[-2:]
        planes = grad.reshape(-1, 1, out_h, out_w)
        grad_x = adaptive_avg_pool2d_backward(planes, ctx.rows, ctx.cols)
        return (grad_x.reshape(*lead, *grad_x.shape[-2:]),)


def global_avg_pool(x: Tensor) -> Tensor:
    """Adaptive average pooling to 1x1 as PyTorch computes it: the ``mean`` over the last two
    dims, with mean's rules rather than pooling's (any number of leading dims; empty dims
    allowed, an empty plane giving NaN; a floating point input, checked first). ``F``'s
    ``adaptive_avg_pool2d`` to 1x1 and ``adaptive_avg_pool1d`` to 1 come here."""
    if x.dtype.kind != "f":
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {torch_name(np.dtype(x.dtype))}; adaptive average pooling "
            "to size 1 is a mean: convert the input first, e.g. x.float()")
    if x.ndim < 2:
        raise IndexError("Dimension out of range (expected to be in range of [-1, 0], but got "
                         f"-2): adaptive average pooling to 1x1 averages the last two dims of the "
                         f"input, of shape {tuple(x.shape)}")
    return AdaptiveAvgPool2dOp.apply(x, out_h=1, out_w=1)


def adaptive_avg_pool1d(input: Tensor, output_size: Any) -> Tensor:
    """Average of (N, C, L) or (C, L) over ``output_size`` adaptive windows, as PyTorch's.
    Differentiable (double backward included).

    Size 1 is the mean over L, with mean's rules (``global_avg_pool``). Integer inputs are
    refused, as in PyTorch (NotImplementedError), except where the result is empty."""
    op = "adaptive_avg_pool1d"
    x = tensor_argument(input, "input", 1, op)
    if x.ndim not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {x.ndim}-dimensional tensor "
                           f"for argument #1 'self' (while checking arguments for {op})")
    sizes = _adaptive_sizes(op, output_size, x, 1)
    if sizes == [1]:
        return global_avg_pool(x.unsqueeze(-2)).squeeze(-2)
    check_not_empty(op, x, (x.ndim - 1,))  # (PyTorch checks only L: empty channels are fine)
    if x.dtype.kind != "f":
        if sizes[0] == 0 or x.numel() == 0:  # PyTorch's kernel is not reached: an empty result
            return Tensor._make(np.zeros((*x.shape[:-1], sizes[0]), np.dtype(x.dtype)))
        _conv.check_pool_dtype(x, "adaptive_avg_pool2d")
    return adaptive_avg_pool(x, sizes, op)


def _max_positions(values: np.ndarray) -> np.ndarray:
    """Per window (last axis): PyTorch's pick, the first maximum, or the last NaN if any.

    ``np.argmax`` alone gives the first maximum (or the first NaN); the NaN rule needs an
    ``isnan`` pass and a reversed search over every candidate, which is most of the cost for
    inputs that hold no NaN. So it runs only when a picked value is NaN (checked on the small
    result)."""
    first = np.argmax(values, axis=-1)
    picked = np.take_along_axis(values, first[..., None], axis=-1)
    if not np.isnan(picked).any():
        return first
    is_nan = np.isnan(values)
    last_nan = values.shape[-1] - 1 - np.argmax(is_nan[..., ::-1], axis=-1)
    return np.where(is_nan.any(axis=-1), last_nan, first)


class AdaptiveMaxPool2dOp(Op):
    """y[..., i, j] = x[..., positions[..., i, j]] over the flattened (H*W) plane (the positions
    of the windows' maxima, found on arrays).  dL/dx: each gradient added at its position.

    The first-order backward adds the gradients into a zeroed input-sized array
    (``pool_fast.adaptive_max_backward``); with create_graph it is a recorded ``scatter_add``
    (so double backward works).
    """

    @staticmethod
    def forward(ctx, x, *, positions):
        ctx.in_shape, ctx.positions = x.shape, positions
        planes = (int(np.prod(x.shape[:-2])), *x.shape[-2:])
        cells = positions.shape[-2] * positions.shape[-1]
        picked = adaptive_max_values(x.reshape(planes), positions.reshape(planes[0], cells, 1))
        return picked.reshape(positions.shape)

    @staticmethod
    def backward(ctx, grad):
        shape, positions = ctx.in_shape, ctx.positions
        lead, plane = shape[:-2], shape[-2] * shape[-1]
        cells = positions.shape[-2] * positions.shape[-1]
        if isinstance(grad, Tensor):  # create_graph: a recorded scatter_add
            zeros = np.zeros((*lead, plane), np.dtype(grad.dtype))
            index = positions.reshape(*lead, cells)
            axis = len(lead)  # (a non-negative axis, as the helper needs)
            return (_scatter_add_either(zeros, axis, index, grad.reshape(*lead, cells))
                    .reshape(*shape),)
        planes = (int(np.prod(lead)), *positions.shape[-2:])
        grad_x = adaptive_max_backward(grad.reshape(planes), positions.reshape(planes),
                                       *shape[-2:])
        return (grad_x.reshape(shape),)


def _adaptive_max(op: str, x: Tensor, sizes: list[int],
                  return_indices: bool) -> Tensor | tuple[Tensor, Tensor]:
    """Adaptive max over the last two dims: the flat positions h·W + w of every window's
    maximum (found on arrays, ``pool_fast.adaptive_max_positions``; windows holding a NaN by
    ``_max_positions``), then the values at those positions."""
    h, w = x.shape[-2:]
    out_h, out_w = sizes
    lead = tuple(x.shape[:-2])
    positions = None
    if out_h and out_w and x.numel():
        positions = adaptive_max_positions(x._data.reshape(-1, h, w), out_h, out_w)
    if positions is not None:
        positions = positions.reshape(*lead, out_h, out_w)
    else:
        positions = _nan_rule_positions(x, out_h, out_w).reshape(*lead, out_h, out_w)
    out = AdaptiveMaxPool2dOp.apply(x, positions=positions)
    if return_indices:
        return out, Tensor._make(positions)
    return out


def _nan_rule_positions(x: Tensor, out_h: int, out_w: int) -> np.ndarray:
    """Every window's candidates gathered, then ``_max_positions`` (first maximum, last NaN)."""
    h, w = x.shape[-2:]
    lead = tuple(x.shape[:-2])
    rows, _, _ = _windows(h, out_h)
    columns, _, _ = _windows(w, out_w)
    # candidates[(i, j), (a, b)] = flat position of tap (a, b) of window (i, j)
    candidates = (rows[:, None, :, None] * w + columns[None, :, None, :]).reshape(
        out_h * out_w, rows.shape[1] * columns.shape[1])
    flat = x._data.reshape(*lead, h * w)
    if not (candidates.size and flat.size):
        return np.zeros((*lead, out_h * out_w), np.int64)
    picked = _max_positions(flat[..., candidates])
    positions = np.take_along_axis(
        np.broadcast_to(candidates, picked.shape + candidates.shape[-1:]),
        picked[..., None], axis=-1)[..., 0]
    return np.ascontiguousarray(positions, dtype=np.int64)


def adaptive_max_pool2d(input: Tensor, output_size: Any,
                        return_indices: bool = False) -> Tensor | tuple[Tensor, Tensor]:
    """Max of (N, C, H, W) or (C, H, W) over adaptive windows, as PyTorch's; with
    ``return_indices`` also the int64 flat position h·W + w of each maximum (the first one in a
    tie; a NaN wins, the last NaN of the window). Differentiable (double backward included).
    Floating point inputs only, as in PyTorch (NotImplementedError otherwise)."""
    op = "adaptive_max_pool2d"
    x = tensor_argument(input, "input", 1, op)
    _check_adaptive_input(op, x, 2)
    sizes = _adaptive_sizes(op, output_size, x, 2)
    _conv.check_pool_dtype(x, "adaptive_max_pool2d")  # (PyTorch: no integers, even if empty)
    return _adaptive_max(op, x, sizes, return_indices)


def adaptive_max_pool1d(input: Tensor, output_size: Any,
                        return_indices: bool = False) -> Tensor | tuple[Tensor, Tensor]:
    """Max of (N, C, L) or (C, L) over adaptive windows, as PyTorch's (the 2-d one over a
    height-1 image)."""
    op = "adaptive_max_pool1d"
    x = tensor_argument(input, "input", 1, op)
    _check_adaptive_input(op, x, 1)
    sizes = [1, *_adaptive_sizes(op, output_size, x, 1)]
    _conv.check_pool_dtype(x, "adaptive_max_pool2d")  # (PyTorch's kernel name)
    result = _adaptive_max(op, x.unsqueeze(-2), sizes, return_indices)
    if return_indices:
        return result[0].squeeze(-2), result[1].squeeze(-2)
    return result.squeeze(-2)
