"""dtypes: microtensor's dtypes are NumPy's (``mt.float32 is np.dtype("float32")``).

The default floating dtype is float32, as in PyTorch; ``set_default_dtype(mt.float64)`` switches
it (gradient checks run in float64).
"""

from __future__ import annotations

from typing import Any

import numpy as np

float16 = half = np.dtype(np.float16)
float32 = float = np.dtype(np.float32)
float64 = double = np.dtype(np.float64)
int8 = np.dtype(np.int8)
int16 = short = np.dtype(np.int16)
int32 = int = np.dtype(np.int32)
int64 = long = np.dtype(np.int64)
uint8 = np.dtype(np.uint8)
bool = np.dtype(np.bool_)

_default_dtype = float32


def resolve(dtype: Any) -> np.dtype:
    """Turn a dtype-like (``mt.float64``, ``np.float64``, ``"float64"``) into an np.dtype."""
    try:
        resolved = np.dtype(dtype)
    except TypeError as error:
        raise TypeError(f"{dtype!r} is not a dtype; use e.g. mt.float32 or mt.int64") from error
    return resolved


def get_default_dtype() -> np.dtype:
    """The dtype of new floating point tensors (float32 unless changed)."""
    return _default_dtype


def set_default_dtype(dtype: Any) -> None:
    """Set the dtype of new floating point tensors; only float32 and float64 are allowed."""
    global _default_dtype
    resolved = np.dtype(dtype)
    if resolved not in (float32, float64):
        raise TypeError(
            f"set_default_dtype: only float32 and float64 are supported, got {resolved}"
        )
    _default_dtype = resolved


def infer(data: Any) -> np.dtype:
    """The dtype ``mt.tensor(data)`` gives: bools stay bool, integers int64, floats the default;
    a NumPy array keeps its own dtype."""
    if isinstance(data, np.ndarray | np.generic):
        return data.dtype
    kind = np.asarray(data).dtype.kind
    if kind == "b":
        return bool
    if kind in "iu":
        return int64
    if kind == "f":
        return _default_dtype
    raise TypeError(f"can't make a tensor from data of type {type(data).__name__}")
