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


# PyTorch's names of the scalar types, as its error messages print them
_TORCH_NAMES = {float16: "Half", float32: "Float", float64: "Double", int8: "Char",
                int16: "Short", int32: "Int", int64: "Long", uint8: "Byte", bool: "Bool"}
_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}  # bool < integer < floating < complex


def torch_name(dtype: np.dtype) -> str:
    """``float32`` -> ``"Float"``: the name PyTorch's messages use."""
    return _TORCH_NAMES.get(np.dtype(dtype), str(dtype))


def can_cast(from_: Any, to: Any) -> bool:
    """``torch.can_cast``: may a result of dtype ``from_`` be written into a tensor of ``to``?

    Only a move to a lower category is refused (floating to integer, integer to bool, complex to
    real); a move within a category (float64 into float32, int64 into uint8) is allowed.
    """
    return _CATEGORY[np.dtype(from_).kind] <= _CATEGORY[np.dtype(to).kind]
