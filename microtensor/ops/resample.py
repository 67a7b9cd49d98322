"""Resampling: ``interpolate`` (nearest, nearest-exact, linear, bilinear, trilinear, area),
``pixel_shuffle`` / ``pixel_unshuffle`` and ``max_unpool2d``, as PyTorch's.

All of them are compositions of existing differentiable ops (indexing, products, reshapes,
scatter), so they need no ``Op`` of their own and support double backward:

* nearest: y = x[src(dst)] along each spatial dim (``index_select``); the backward adds each
  output's gradient onto its source element.
* linear: along each spatial dim, y[dst] = λ₀·x[i₀] + λ₁·x[i₁] with i₀ = ⌊src⌋, i₁ = i₀ + 1
  (or i₀ at the last element) and λ₁ = src - i₀, λ₀ = 1 - λ₁ (bilinear and trilinear: the same
  per dim, the last dim first, which is the order of PyTorch's arithmetic). Backward:
  dL/dx[i₀] += λ₀·g, dL/dx[i₁] += λ₁·g.
* pixel_shuffle: a reshape, a permutation and a reshape; its backward is the inverse permutation.
* max_unpool2d: y.flat[index] = x (a scatter into zeros); backward: dL/dx = g.flat[index].

The source coordinate of an output index ``dst`` along a dim of input size ``n`` and output size
``m`` follows PyTorch's formulas exactly (including the precision they use):

* nearest:       src = min(⌊dst·s⌋, n-1), s = 1/scale_factor or n/m, in float32 (and dst
  itself when m = n, dst // 2 when m = 2n);
* nearest-exact: src = min(⌊(dst + 0.5)·s⌋, n-1), s as above;
* linear, align_corners=True:  src = dst·(n-1)/(m-1) (0 when m = 1);
* linear, align_corners=False: src = max((dst + 0.5)·s - 0.5, 0), s = 1/scale_factor or n/m.
  (scale_factor is used as given unless ``recompute_scale_factor=True``, and m =
  ⌊n·scale_factor⌋.)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from microtensor._arguments import int_pair, tensor_argument
from microtensor.ops.pool1d import adaptive_avg_pool
from microtensor.ops.selection import index_select, scatter
from microtensor.tensor import Tensor

__all__ = ["interpolate", "max_unpool2d", "pixel_shuffle", "pixel_unshuffle"]

_SPATIAL_OF_MODE = {"linear": 1, "bilinear": 2, "trilinear": 3}
_MODES = ("nearest", "nearest-exact", "linear", "bilinear", "trilinear", "area")
_ALL_TORCH_MODES = ("nearest | linear | bilinear | bicubic | trilinear | lanczos | area | "
                    "nearest-exact")

# =========================================================================== interpolate


def _nearest_sources(n: int, m: int, scale: float | None, exact: bool) -> np.ndarray:
    """Source index of every output index along one dim (nearest / nearest-exact)."""
    dst = np.arange(m)
    if not exact and m == n:
        return dst
    if not exact and m == 2 * n:
        return dst >> 1
    if scale is not None and scale > 0:
        s = np.float32(1.0 / scale)
    else:
        s = np.float32(n) / np.float32(m)
    if exact:  # (dst + 0.5) is a double in PyTorch's C++; floorf then rounds it to float
        src = np.floor(((dst + 0.5) * np.float64(s)).astype(np.float32))
    else:
        src = np.floor(dst.astype(np.float32) * s)
    return np.minimum(src.astype(np.int64), n - 1)


def _linear_sources(n: int, m: int, scale: float | None, align_corners: bool,
                    dtype: np.dtype) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(i₀, i₁, λ₀, λ₁) of every output index along one dim (linear interpolation), computed
    in the input's precision as PyTorch does."""
    dst = np.arange(m, dtype=np.float64)
    if align_corners:
        s = dtype.type((n - 1) / (m - 1)) if m > 1 else dtype.type(0)
        src = (s * dst).astype(dtype)
    else:
        s = dtype.type(1.0 / scale) if scale is not None and scale > 0 else (
            dtype.type(n) / dtype.type(m))
        src = np.maximum(np.float64(s) * (dst + 0.5) - 0.5, 0).astype(dtype)
    # PyTorch floors through floorf (float precision), then clamps
    i0 = np.minimum(np.floor(src.astype(np.float32)).astype(np.int64), n - 1)
    i1 = i0 + (i0 < n - 1)
    lambda1 = np.clip(src - i0.astype(dtype), 0, 1).astype(dtype)
    lambda0 = (dtype.type(1) - lambda1).astype(dtype)
    return i0, i1, lambda0, lambda1


def _check_mode(x: Tensor, mode: str, align_corners: bool | None) -> None:
    if x.ndim not in (3, 4, 5) or mode not in _MODES:
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {x.ndim}D) for the "
            f"modes: {_ALL_TORCH_MODES} (got {mode}); microtensor implements "
            f"{', '.join(_MODES)}"
        )
    if align_corners is not None and mode not in _SPATIAL_OF_MODE:
        raise ValueError("align_corners option can only be set with the interpolating modes: "
                         "linear | bilinear | bicubic | trilinear")
    needed = _SPATIAL_OF_MODE.get(mode, x.ndim - 2)
    if mode == "area" and x.ndim == 5:
        raise NotImplementedError("interpolate: mode 'area' is implemented for 3D and 4D "
                                  "inputs only in microtensor")
    if needed != x.ndim - 2:
        raise NotImplementedError(f"Got {x.ndim}D input, but {mode} mode needs {needed + 2}D "
                                  "input")
    if x.dtype.kind != "f":
        raise NotImplementedError(
            f"interpolate ({mode}): not implemented for dtype {x.dtype}; convert the input, "
            "e.g. x.float()")


def _as_list(value: Any, spatial: int, what: str, x: Tensor) -> list[Any]:
    if isinstance(value, Sequence):
        if len(value) != spatial:
            raise ValueError(
                f"Input and {what} must have the same number of spatial dimensions, but got "
                f"input with spatial dimensions of {list(x.shape[2:])} and {what} of shape "
                f"{tuple(value)}. Please provide input tensor in (N, C, d1, d2, ...,dK) format "
                f"and {what} in (o1, o2, ...,oK) format."
            )
        return list(value)
    return [value] * spatial


def _output_sizes(x: Tensor, size: Any, scale_factor: Any,
                  recompute_scale_factor: bool | None) -> tuple[list[int], list[float | None]]:
    """The output size of every spatial dim, and the scale each dim's formula uses (None: the
    ratio of the sizes)."""
    spatial = x.ndim - 2
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is None and scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    if size is not None:
        if recompute_scale_factor:
            raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
        return [int(s) for s in _as_list(size, spatial, "output size", x)], [None] * spatial
    factors = [float(s) for s in _as_list(scale_factor, spatial, "scale_factor", x)]
    sizes = [int(math.floor(float(n) * s)) for n, s in zip(x.shape[2:], factors)]
    scales: list[float | None] = [None] * spatial if recompute_scale_factor else list(factors)
    return sizes, scales


def _check_sizes(x: Tensor, sizes: list[int]) -> None:
    if min(sizes) <= 0 or 0 in tuple(x.shape[2:]):
        names = "DHW"[3 - len(sizes):]
        given = ", ".join(f"{a}: {n}" for a, n in zip(names, x.shape[2:]))
        wanted = ", ".join(f"{a}: {n}" for a, n in zip(names, sizes))
        raise RuntimeError(f"Input and output sizes should be greater than 0, but got input "
                           f"({given}) output ({wanted})")


def _along(x: Tensor, axis: int, index: np.ndarray) -> Tensor:
    return index_select(x, axis, Tensor._make(index))


def _interpolate_linear(x: Tensor, sizes: list[int], scales: list[float | None],
                        align_corners: bool) -> Tensor:
    """Separable linear interpolation, the last spatial dim first (PyTorch's order)."""
    dtype = np.dtype(x.dtype)
    for d in reversed(range(len(sizes))):
        axis = 2 + d
        i0, i1, lambda0, lambda1 = _linear_sources(x.shape[axis], sizes[d], scales[d],
                                                   align_corners, dtype)
        shape = [1] * x.ndim
        shape[axis] = sizes[d]
        weight0 = Tensor._make(lambda0.reshape(shape))
        weight1 = Tensor._make(lambda1.reshape(shape))
        x = _along(x, axis, i0) * weight0 + _along(x, axis, i1) * weight1
    return x


def interpolate(input: Tensor, size: Any = None, scale_factor: Any = None,
                mode: str = "nearest", align_corners: bool | None = None,
                recompute_scale_factor: bool | None = None, antialias: bool = False) -> Tensor:
    """Resize (N, C, *spatial) to ``size`` or by ``scale_factor``, as PyTorch's
    ``F.interpolate``. Modes: nearest, nearest-exact, linear (3-D input), bilinear (4-D),
    trilinear (5-D), area (3-D and 4-D: adaptive average pooling). Differentiable, double
    backward included (a composition of indexing and products). ``antialias=True`` and the
    bicubic/lanczos modes are not implemented (NotImplementedError)."""
    x = tensor_argument(input, "input", 1, "interpolate")
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not implemented in "
                                  "microtensor")
    _check_mode(x, mode, align_corners)
    sizes, scales = _output_sizes(x, size, scale_factor, recompute_scale_factor)
    _check_sizes(x, sizes)
    if mode in _SPATIAL_OF_MODE:
        return _interpolate_linear(x, sizes, scales, bool(align_corners))
    if mode == "area":
        return adaptive_avg_pool(x, sizes, "interpolate")
    for d in range(len(sizes)):
        index = _nearest_sources(x.shape[2 + d], sizes[d], scales[d], mode == "nearest-exact")
        x = _along(x, 2 + d, index)
    return x


# =========================================================================== pixel shuffle


def _shuffle_factor(value: Any, op: str, what: str) -> int:
    if not isinstance(value, int | np.integer) or isinstance(value, bool):
        raise TypeError(f"{op}(): argument '{what}' must be int, not {type(value).__name__}")
    if value <= 0:
        raise RuntimeError(f"{op} expects a positive {what}, but got {value}")
    return int(value)


def _check_at_least_3d(x: Tensor, op: str) -> None:
    if x.ndim < 3:
        raise RuntimeError(f"{op} expects input to have at least 3 dimensions, but got input "
                           f"with {x.ndim} dimension(s)")


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """(*, C·r², H, W) -> (*, C, H·r, W·r): y[c, h·r + i, w·r + j] = x[c·r² + i·r + j, h, w].

    A reshape to (*, C, r, r, H, W), a permutation to (*, C, H, r, W, r) and a reshape."""
    op = "pixel_shuffle"
    x = tensor_argument(input, "input", 1, op)
    r = _shuffle_factor(upscale_factor, op, "upscale_factor")
    _check_at_least_3d(x, op)
    *batch, c, h, w = x.shape
    if c % (r * r):
        raise RuntimeError(
            f"{op} expects its input's 'channel' dimension to be divisible by the square of "
            f"upscale_factor, but input.size(-3)={c} is not divisible by {r * r}")
    lead = len(batch)
    split = x.reshape(*batch, c // (r * r), r, r, h, w)
    order = [*range(lead), lead, lead + 3, lead + 1, lead + 4, lead + 2]
    return split.permute(*order).reshape(*batch, c // (r * r), h * r, w * r)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """(*, C, H·r, W·r) -> (*, C·r², H, W), the inverse of ``pixel_shuffle``."""
    op = "pixel_unshuffle"
    x = tensor_argument(input, "input", 1, op)
    r = _shuffle_factor(downscale_factor, op, "downscale_factor")
    _check_at_least_3d(x, op)
    *batch, c, h, w = x.shape
    for name, size, dim in (("height", h, -2), ("width", w, -1)):
        if size % r:
            raise RuntimeError(f"{op} expects {name} to be divisible by downscale_factor, but "
                               f"input.size({dim})={size} is not divisible by {r}")
    lead = len(batch)
    split = x.reshape(*batch, c, h // r, r, w // r, r)
    order = [*range(lead), lead, lead + 2, lead + 4, lead + 1, lead + 3]
    return split.permute(*order).reshape(*batch, c * r * r, h // r, w // r)


# =========================================================================== max_unpool2d


def _unpool_size(x: Tensor, kernel: tuple[int, int], stride: tuple[int, int],
                 padding: tuple[int, int], output_size: Any) -> tuple[int, int]:
    """The default size (H-1)·stride - 2·padding + kernel, or ``output_size`` within one stride
    of it (PyTorch's rule)."""
    default = [(x.shape[-2 + d] - 1) * stride[d] - 2 * padding[d] + kernel[d] for d in range(2)]
    if output_size is None:
        return default[0], default[1]
    given = list(output_size)
    if len(given) == x.ndim:  # with the batch and channel dims
        given = given[-2:]
    if len(given) != 2:
        raise ValueError(f"output_size should be a sequence containing 2 or {x.ndim} "
                         f"elements, but it has a length of '{len(given)}'")
    for d in range(2):
        low, high = default[d] - stride[d], default[d] + stride[d]
        if not low < given[d] < high:
            raise ValueError(f'invalid output_size "{tuple(output_size)}" (dim {d} must be '
                             f"between {low} and {high})")
    return int(given[0]), int(given[1])


def max_unpool2d(input: Tensor, indices: Tensor, kernel_size: Any, stride: Any = None,
                 padding: Any = 0, output_size: Any = None) -> Tensor:
    """The partial inverse of ``max_pool2d``: each value goes back to the position its index
    names (flat h·W + w in its output plane), zeros elsewhere. As PyTorch's ``F.max_unpool2d``;
    a scatter into zeros, so differentiable (double backward too). With repeated indices the
    value written last wins (PyTorch leaves that unspecified)."""
    op = "max_unpool2d"
    x = tensor_argument(input, "input", 1, op)
    index = tensor_argument(indices, "indices", 2, op)
    if x.ndim not in (3, 4):
        raise RuntimeError(f"{op}: Expected 3D or 4D input, but got input of size "
                           f"{list(x.shape)}")
    if index.dtype != np.int64:
        raise RuntimeError(f"{op}: elements in indices should be type int64 but got: "
                           f"{index.dtype}")
    if tuple(index.shape) != tuple(x.shape):
        raise RuntimeError(
            f"{op}: Expected shape of indices to be same as that of the input tensor "
            f"({list(x.shape)}) but got indices tensor with shape: {list(index.shape)}")
    kernel = int_pair(kernel_size, "kernel_size", op, minimum=1)
    stride2 = kernel if stride is None else int_pair(stride, "stride", op, minimum=1)
    padding2 = int_pair(padding, "padding", op, minimum=0)
    out_h, out_w = _unpool_size(x, kernel, stride2, padding2, output_size)
    flat_index = index._data.reshape(*x.shape[:-2], -1)
    if flat_index.size and (flat_index.min() < 0 or flat_index.max() >= out_h * out_w):
        bad = flat_index[(flat_index < 0) | (flat_index >= out_h * out_w)][0]
        raise RuntimeError(f"{op}: Found an invalid max index: {bad} (output volumes are of "
                           f"size {out_h}x{out_w})")
    lead = tuple(x.shape[:-2])
    base = Tensor._make(np.zeros((*lead, out_h * out_w), np.dtype(x.dtype)))
    values = x.reshape(*lead, -1)
    out = scatter(base, -1, Tensor._make(flat_index), values)
    return out.reshape(*lead, out_h, out_w)
