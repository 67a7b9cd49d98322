"""``repr`` of a Tensor, in PyTorch's style: ``tensor([1.0000, 2.5000], requires_grad=True)``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from microtensor import _dtypes

if TYPE_CHECKING:
    from microtensor.tensor import Tensor


def _float_options(values: np.ndarray) -> dict:
    """PyTorch's float formatting: one style and one width for all the elements.

    Whole numbers print as ``1.``, others with 4 decimals, and all in scientific notation when
    the nonzero magnitudes span more than 1000x, exceed 1e8 or (not whole) go below 1e-4. The
    width is that of the widest nonzero finite value; nan/inf are padded to it, never widen it.
    """
    flat = values.reshape(-1).astype(np.float64)
    nonzero = flat[np.isfinite(flat) & (flat != 0)]
    int_mode = bool(np.all(nonzero == np.ceil(nonzero)))
    if nonzero.size:
        magnitude = np.abs(nonzero)
        sci = magnitude.max() / magnitude.min() > 1000 or magnitude.max() > 1e8 or (
            not int_mode and magnitude.min() < 1e-4)
    else:
        sci = False

    def text(value: float) -> str:
        if sci:
            return f"{value:.4e}"
        if int_mode:
            return f"{value:.0f}" + ("." if np.isfinite(value) else "")
        return f"{value:.4f}"

    width = max((len(text(v)) for v in nonzero), default=1)
    return {"formatter": {"float_kind": lambda v: text(float(v)).rjust(width)}}


def format_tensor(tensor: Tensor) -> str:
    data = tensor._data
    prefix = "tensor("
    options: dict = {"separator": ", ", "prefix": prefix, "threshold": 1000, "edgeitems": 3,
                     "max_line_width": 80}
    if data.dtype.kind == "f" and data.size:
        options.update(_float_options(data))
    body = np.array2string(data, **options) if data.ndim else _scalar(data, options)
    extras = []
    default_shown = {_dtypes.get_default_dtype(), _dtypes.int64, _dtypes.bool}
    if data.dtype not in default_shown:
        extras.append(f"dtype=microtensor.{data.dtype}")
    if data.size == 0 and data.ndim != 1:
        extras.append(f"size={tuple(data.shape)}")
    if tensor.grad_fn is not None:
        extras.append(f"grad_fn={tensor.grad_fn!r}")
    elif tensor.requires_grad:
        extras.append("requires_grad=True")
    return prefix + body + "".join(", " + e for e in extras) + ")"


def _scalar(data: np.ndarray, options: dict) -> str:
    return np.array2string(data.reshape(1), **options)[1:-1]
