"""Channel and alpha dropout: ``dropout1d``, ``dropout2d``, ``alpha_dropout``,
``feature_alpha_dropout`` (``F.*``; the layers are in ``microtensor/nn/dropout.py``).

``dropout1d`` / ``dropout2d`` zero whole channels (every element of channel c of sample n
together, which suits convolutional features, whose neighbours are strongly correlated) and
scale the rest by 1/(1-p); alpha dropout keeps the mean and variance of SELU networks. All are
``x·m (+ b)`` with a constant random mask m, so the backward is ``g·m`` (``DropoutMaskOp``),
double backward included. Masks come from microtensor's generator (``mt.manual_seed`` makes
them repeatable; they are not PyTorch's random numbers).
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from microtensor._arguments import tensor_argument
from microtensor.ops.random_masks import DropoutMaskOp
from microtensor.random import Generator
from microtensor.random import generator as _rng
from microtensor.tensor import Tensor

__all__ = ["alpha_dropout", "dropout1d", "dropout2d", "feature_alpha_dropout"]

# SELU's -scale·alpha: the value a SELU unit saturates to, where dropped units are put
SELU_SATURATION = 1.7580993408473766


def _check_p(p: float) -> None:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _keep_mask(shape: tuple[int, ...], p: float, dtype: np.dtype,
               generator: Generator | None) -> np.ndarray:
    """1 where kept (probability 1 - p), 0 where dropped, of ``shape``."""
    if p == 1.0:
        return np.zeros(shape, dtype)
    return (_rng(generator).random(shape) >= p).astype(dtype)


def _channel_shape(x: Tensor) -> tuple[int, ...]:
    """One mask value per (sample, channel): (N, C, 1, ..., 1) (an element each for 2-D)."""
    return tuple(x.shape[:2]) + (1,) * (x.ndim - 2)


def _scaled_by_mask(x: Tensor, mask: np.ndarray, inplace: bool, name: str) -> Tensor:
    def function(t: Tensor) -> Tensor:
        return DropoutMaskOp.apply(t, mask=mask.astype(t.dtype, copy=False))

    return x._inplace(name, function) if inplace else function(x)


def _feature_dropout(x: Tensor, p: float, training: bool, inplace: bool, name: str,
                     generator: Generator | None, batched: bool) -> Tensor:
    """Channel dropout of a batched input (``batched`` False: add the batch dim first)."""
    _check_p(p)
    if not training or p == 0.0:
        return x
    dtype = np.dtype(x.dtype) if x.dtype in (np.float32, np.float64) else np.dtype(np.float64)
    # batched: one value per (sample, channel); unbatched (C, L): one per channel
    shape = _channel_shape(x) if batched else (x.shape[0],) + (1,) * (x.ndim - 1)
    mask = _keep_mask(shape, p, dtype, generator)
    if p < 1.0:
        mask *= 1.0 / (1.0 - p)
    return _scaled_by_mask(x, mask, inplace, f"{name}_")


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False,
              generator: Generator | None = None) -> Tensor:
    """Zero whole channels of (N, C, L) or (C, L) with probability ``p``, scale the rest by
    1/(1-p). ``generator`` is an addition to PyTorch's signature."""
    x = tensor_argument(input, "input", 1, "dropout1d")
    if x.ndim not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {x.ndim}D input. Note that "
            "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial "
            "dimension, a channel dimension, and an optional batch dimension (i.e. 2D or 3D "
            "inputs).")
    return _feature_dropout(x, p, training, inplace, "dropout1d", generator, x.ndim == 3)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False,
              generator: Generator | None = None) -> Tensor:
    """Zero whole channels of (N, C, H, W) (or (C, H, W)... see below) with probability ``p``,
    scale the rest by 1/(1-p).

    As PyTorch today: a 3-D input is taken as (N, C, L) (channel-wise 1-d dropout) with a
    warning, and other ranks are accepted with a deprecation warning (a 2-D input then drops
    single elements)."""
    x = tensor_argument(input, "input", 1, "dropout2d")
    if x.ndim == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D "
            "dropout behavior is desired - input is interpreted as shape (N, C, L), where C is "
            "the channel dim. This behavior will change in a future release to interpret the "
            "input as one without a batch dimension, i.e. shape (C, H, W). To maintain the 1D "
            "channel-wise dropout behavior, please switch to using dropout1d instead.",
            UserWarning, stacklevel=2)
    elif x.ndim != 4:
        warnings.warn(
            f"dropout2d: Received a {x.ndim}-D input to dropout2d, which is deprecated and will "
            "result in an error in a future release. To retain the behavior and silence this "
            "warning, please use dropout instead. Note that dropout2d exists to provide "
            "channel-wise dropout on inputs with 2 spatial dimensions, a channel dimension, and "
            "an optional batch dimension (i.e. 3D or 4D inputs).", UserWarning, stacklevel=2)
    if x.ndim < 2:
        raise RuntimeError(f"dropout2d: Feature dropout requires at least 2 dimensions in the "
                           f"input, got an input of shape {list(x.shape)}")
    return _feature_dropout(x, p, training, inplace, "dropout2d", generator, True)


def _alpha(x: Tensor, p: float, training: bool, inplace: bool, mask_shape: tuple[int, ...],
           name: str, generator: Generator | None) -> Tensor:
    """y = a·(x·m + α'·(1 - m)) + b, i.e. kept: a·x + α'·a·p, dropped: α'·a·(p - 1),
    with α' = SELU_SATURATION, a = 1/√((α'²p + 1)(1 - p)), b = α'·a·p: a dropped unit is set
    to SELU's saturation value, and a, b restore zero mean and unit variance.
    dL/dx = a·m·g."""
    _check_p(p)
    if not training or p == 0.0:
        return x
    dtype = np.dtype(x.dtype) if x.dtype in (np.float32, np.float64) else np.dtype(np.float64)
    if p == 1.0:  # PyTorch: everything dropped gives zeros
        return _scaled_by_mask(x, np.zeros(mask_shape, dtype), inplace, f"{name}_")
    keep = _keep_mask(mask_shape, p, dtype, generator)
    a = 1.0 / math.sqrt((SELU_SATURATION**2 * p + 1) * (1 - p))
    shift = (keep - 1) * (SELU_SATURATION * a) + SELU_SATURATION * a * p
    shift_tensor = Tensor._make(shift.astype(np.dtype(x.dtype), copy=False))
    def function(t: Tensor) -> Tensor:
        return DropoutMaskOp.apply(t, mask=(keep * a).astype(t.dtype, copy=False)) + shift_tensor

    return x._inplace(f"{name}_", function) if inplace else function(x)


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False,
                  generator: Generator | None = None) -> Tensor:
    """Alpha dropout (for SELU networks): each element dropped with probability ``p`` is set to
    SELU's negative saturation value, then an affine map restores the mean and variance.
    Note PyTorch's default ``training=False`` for this function."""
    x = tensor_argument(input, "input", 1, "alpha_dropout")
    return _alpha(x, p, training, inplace, tuple(x.shape), "alpha_dropout", generator)


def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                          inplace: bool = False, generator: Generator | None = None) -> Tensor:
    """Alpha dropout of whole channels (one mask value per (sample, channel))."""
    x = tensor_argument(input, "input", 1, "feature_alpha_dropout")
    if x.ndim < 2:
        raise RuntimeError(f"feature_alpha_dropout: Feature dropout requires at least 2 "
                           f"dimensions in the input, got {list(x.shape)}")
    return _alpha(x, p, training, inplace, _channel_shape(x), "feature_alpha_dropout",
                  generator)
