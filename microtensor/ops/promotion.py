"""Type promotion: the dtype an operation on mixed operands computes in, by PyTorch's rules.

NumPy and PyTorch agree within a category but not across them, and they treat operands of
different *kinds* differently. PyTorch's rules (``torch.result_type``, ``torch.promote_types``):

1. Dtypes fall into categories: bool < integer < floating < complex.
2. ``promote_types(a, b)``: two dtypes of the same category give the smallest dtype that holds
   both (int8 + uint8 -> int16, float16 + float32 -> float32); of different categories, the
   dtype of the higher category wins *as it is* (int64 + float16 -> float16; NumPy would say
   float64).
3. ``result_type(*operands)`` groups the operands by priority: tensors with at least one
   dimension, 0-d tensors, then Python numbers ("wrapped numbers"). A lower-priority group only
   matters if its category is higher than every group above it:
   ``float32 [n] + float64 []`` is float32, ``int32 [n] + float64 []`` is float64,
   ``uint8 [n] + (-1)`` stays uint8 (the number wraps), ``int64 [n] * 2.5`` is the default
   float dtype (a Python float stands for the default dtype, a Python int for int64, a bool
   for bool).

Every op that combines operands asks ``result_type`` (elementwise arithmetic, comparisons,
floor division and remainder, ``where``, ``clamp``, ``pow``, ``matmul``), so the rules live
here and nowhere else.
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from microtensor import _dtypes

# bool < integer < floating < complex, by NumPy's dtype.kind
CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}

_BOOL = np.dtype(np.bool_)
_INT64 = np.dtype(np.int64)


def category(dtype: np.dtype) -> int:
    """0 for bool, 1 for integers, 2 for floating point, 3 for complex."""
    return CATEGORY[dtype.kind]


def promote_types(type1: Any, type2: Any) -> np.dtype:
    """The smallest dtype to which both may be converted, as ``torch.promote_types``.

    Within a category it is NumPy's answer (uint8 + int8 -> int16); across categories the
    higher category's dtype is kept as it is (int64 + float16 -> float16), except that a complex
    dtype with a float of higher precision widens (complex64 + float64 -> complex128).
    """
    a, b = _dtypes.resolve(type1), _dtypes.resolve(type2)
    if a == b:
        return a
    rank_a, rank_b = CATEGORY[a.kind], CATEGORY[b.kind]
    if rank_a == rank_b:
        return np.promote_types(a, b)
    high, low = (a, b) if rank_a > rank_b else (b, a)
    if high.kind == "c" and low.kind == "f":
        return np.promote_types(high, low)
    return high


def _combine(higher: np.dtype | None, lower: np.dtype | None) -> np.dtype | None:
    """Merge a higher-priority group's dtype with a lower one's (PyTorch's combine_categories).

    The lower group only counts if its category is higher; a bool higher group always defers.
    """
    if higher is None:
        return lower
    if lower is None:
        return higher
    if CATEGORY[lower.kind] <= CATEGORY[higher.kind] and higher.kind != "b":
        return higher
    if lower.kind == "c" and higher.kind == "f":  # the float's precision, made complex
        return np.result_type(higher, np.complex64)
    return promote_types(higher, lower)


def _number_dtype(value: Any) -> np.dtype:
    """The dtype a Python number stands for: bool, int64, the default float, or complex."""
    if isinstance(value, builtins.bool | np.bool_):
        return _BOOL
    if isinstance(value, builtins.int | np.integer):
        return _INT64
    if isinstance(value, builtins.float | np.floating):
        return _dtypes.get_default_dtype()
    if isinstance(value, builtins.complex | np.complexfloating):
        single = _dtypes.get_default_dtype() == np.float32
        return np.dtype(np.complex64 if single else np.complex128)
    raise TypeError(
        f"result_type: expected Tensors or Python numbers, got {type(value).__name__}"
    )


def _merge(current: np.dtype | None, dtype: np.dtype) -> np.dtype:
    return dtype if current is None or current == dtype else promote_types(current, dtype)


def result_type(*operands: Any) -> np.dtype:
    """The dtype an operation on ``operands`` (Tensors and Python numbers) computes in.

    As ``torch.result_type`` (which takes two operands; any number may be given here): tensors
    with dimensions decide, unless a 0-d tensor is of a higher category, unless a Python number
    is of a higher category still (see the module docstring). ``None`` operands are skipped.
    """
    dims = zero_dims = numbers = None
    for x in operands:
        data = getattr(x, "_data", x)  # a Tensor's array, or the operand itself
        if isinstance(data, np.ndarray):
            if data.ndim:
                dims = _merge(dims, data.dtype)
            else:
                zero_dims = _merge(zero_dims, data.dtype)
        elif x is not None:
            numbers = _merge(numbers, _number_dtype(x))
    result = _combine(dims, _combine(zero_dims, numbers))
    if result is None:
        raise TypeError("result_type: expected at least one Tensor or number")
    return result


def can_cast(from_: Any, to: Any) -> bool:
    """Whether PyTorch's casting rules allow ``from_`` -> ``to`` (as ``torch.can_cast``).

    A cast may not lower the category (float -> integer, integer -> bool); any cast within a
    category or to a higher one is allowed, narrowing included (float64 -> float16).
    """
    a, b = _dtypes.resolve(from_), _dtypes.resolve(to)
    return CATEGORY[a.kind] <= CATEGORY[b.kind]
