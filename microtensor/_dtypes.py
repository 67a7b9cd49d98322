"""dtypes: microtensor's dtypes are NumPy's (``mt.float32 is np.dtype("float32")``).

The default floating dtype is float32, as in PyTorch; ``set_default_dtype(mt.float64)`` switches
it (gradient checks run in float64).

``bfloat16`` has no NumPy equivalent: ``mt.bfloat16`` exists (so code that names it imports), and
using it to make or convert a tensor raises a TypeError that says so. This module also holds
PyTorch's legacy type names (``'torch.FloatTensor'``) and the memory-format objects
(``mt.contiguous_format``...), which belong with the dtypes in PyTorch's namespace.
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

float16 = half = np.dtype(np.float16)
float32 = float = np.dtype(np.float32)
float64 = double = np.dtype(np.float64)
int8 = char = np.dtype(np.int8)
int16 = short = np.dtype(np.int16)
int32 = int = np.dtype(np.int32)
int64 = long = np.dtype(np.int64)
uint8 = np.dtype(np.uint8)
bool = np.dtype(np.bool_)



class UnsupportedDtype:
    """A PyTorch dtype NumPy cannot represent (``mt.bfloat16``): it can be named and compared,
    and any attempt to make a tensor of it raises a clear TypeError."""

    __slots__ = ("name", "advice")

    def __init__(self, name: str, advice: str) -> None:
        self.name, self.advice = name, advice

    def __repr__(self) -> str:
        return f"microtensor.{self.name}"

    def error(self) -> TypeError:
        return TypeError(f"{self.name} is not supported by microtensor: NumPy, which holds its "
                         f"values, has no {self.name} type. {self.advice}")


bfloat16 = UnsupportedDtype("bfloat16", "Use mt.float32 (or mt.float16 for half precision).")

_default_dtype = float32


def resolve(dtype: Any) -> np.dtype:
    """Turn a dtype-like (``mt.float64``, ``np.float64``, ``"float64"``) into an np.dtype."""
    if isinstance(dtype, UnsupportedDtype):
        raise dtype.error()
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


# PyTorch's legacy tensor type names ('torch.FloatTensor'), by dtype
_LEGACY_NAMES = {float16: "HalfTensor", float32: "FloatTensor", float64: "DoubleTensor",
                 int8: "CharTensor", int16: "ShortTensor", int32: "IntTensor",
                 int64: "LongTensor", uint8: "ByteTensor", bool: "BoolTensor"}
_LEGACY_DTYPES = {name: dtype for dtype, name in _LEGACY_NAMES.items()}


def legacy_name(dtype: np.dtype) -> str:
    """``float32`` -> ``"FloatTensor"`` (what ``Tensor.type()`` reports after ``torch.``)."""
    return _LEGACY_NAMES[np.dtype(dtype)]


def legacy_dtype(name: str) -> np.dtype:
    return _LEGACY_DTYPES[name]


def resolve_type_name(target: Any) -> np.dtype:
    """The dtype of ``Tensor.type(target)``: a dtype, a legacy class (``mt.LongTensor``, which
    has a ``dtype``), or a name ``'torch.LongTensor'`` (``'microtensor.LongTensor'`` too)."""
    if isinstance(target, str):
        module, _, name = target.rpartition(".")
        if module in ("torch.cuda", "microtensor.cuda"):
            raise AssertionError("Torch not compiled with CUDA enabled")
        if module not in ("torch", "microtensor") or name not in _LEGACY_DTYPES:
            raise ValueError(f"invalid type: {target!r}")
        return _LEGACY_DTYPES[name]
    legacy = getattr(target, "legacy_dtype", None)
    return resolve(target if legacy is None else legacy)


class memory_format:
    """How a tensor's elements are ordered in memory (PyTorch's ``torch.memory_format``).
    microtensor's arrays are row-major (``contiguous_format``); the objects exist so that
    ``x.clone(memory_format=mt.contiguous_format)`` and friends run."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"microtensor.{self.name}"


contiguous_format = memory_format("contiguous_format")
preserve_format = memory_format("preserve_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")


_CHANNELS_LAST_RANK = {channels_last: 4, channels_last_3d: 5}


def check_memory_format(format: Any, op: str, ndim: int) -> None:
    """Check a ``memory_format=`` argument for a tensor of ``ndim`` dims, as PyTorch does (the
    channels-last formats need 4-D / 5-D tensors). microtensor always makes row-major arrays:
    a channels-last request is accepted and gives the same values in row-major layout."""
    if format is None or format is contiguous_format or format is preserve_format:
        return
    if not isinstance(format, memory_format):
        raise TypeError(f"{op}(): memory_format must be a memory_format such as "
                        f"mt.contiguous_format, not {type(format).__name__}")
    rank = _CHANNELS_LAST_RANK[format]
    if ndim != rank:
        raise RuntimeError(f"required rank {rank} tensor to use {format.name} format "
                           f"({op}() got a {ndim}-D tensor)")


def is_channels_last(array: np.ndarray) -> builtins.bool:
    """Is a 4-D array laid out as N, H, W, C (PyTorch's channels_last strides: C varies
    fastest, then W, H, N)? Sizes-1 dims may have any stride."""
    if array.ndim != 4:
        return False
    n, c, h, w = array.shape
    expected = (h * w * c, 1, w * c, c)
    actual = [s // array.itemsize for s in array.strides]
    return all(size == 1 or a == e for size, a, e in zip(array.shape, actual, expected))


def can_cast(from_: Any, to: Any) -> bool:
    """``torch.can_cast``: may a result of dtype ``from_`` be written into a tensor of ``to``?

    Only a move to a lower category is refused (floating to integer, integer to bool, complex to
    real); a move within a category (float64 into float32, int64 into uint8) is allowed.
    """
    return _CATEGORY[np.dtype(from_).kind] <= _CATEGORY[np.dtype(to).kind]
