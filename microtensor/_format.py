"""``repr`` of a Tensor, in PyTorch's style: ``tensor([1.0000, 2.5000], requires_grad=True)``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from microtensor import _dtypes

if TYPE_CHECKING:
    from microtensor.tensor import Tensor


def _float_options(values: np.ndarray) -> dict:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return {"floatmode": "maxprec"}
    if np.all(finite == np.round(finite)):  # whole numbers print as "1.", like PyTorch
        big = np.abs(finite).max() >= 1e8
        return {"floatmode": "maxprec", "precision": 0 if not big else 4, "suppress_small": True}
    magnitude = np.abs(finite)
    nonzero = magnitude[magnitude > 0]
    if nonzero.size and (nonzero.max() / nonzero.min() > 1000 or nonzero.max() >= 1e8
                         or nonzero.max() < 1e-4):
        return {"floatmode": "fixed", "precision": 4, "formatter": {"float_kind": "{:.4e}".format}}
    return {"floatmode": "fixed", "precision": 4}


def format_tensor(tensor: Tensor) -> str:
    data = tensor._data
    prefix = "tensor("
    options: dict = {"separator": ", ", "prefix": prefix, "threshold": 1000, "edgeitems": 3}
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
