"""Factories: ``tensor``, ``zeros``, ``ones``, ``full``, ``empty``, ``rand``, ``randn``,
``randint``, ``arange``, ``linspace``, ``eye``, the ``*_like`` forms and ``from_numpy``."""

from __future__ import annotations

from typing import Any

import numpy as np

from microtensor import _dtypes
from microtensor import random as _random
from microtensor.ops.shape import shape_arg
from microtensor.random import Generator
from microtensor.tensor import Tensor


def _finish(array: np.ndarray, requires_grad: bool) -> Tensor:
    t = Tensor._make(array)
    if requires_grad:
        t.requires_grad = True
    return t


def _float_dtype(dtype: Any) -> np.dtype:
    return _dtypes.get_default_dtype() if dtype is None else _dtypes.resolve(dtype)


def tensor(data: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None
           ) -> Tensor:
    """A new tensor holding a copy of ``data`` (nested lists, numbers, arrays or a tensor).

    Python floats give the default dtype (float32), ints int64, bools bool; arrays keep theirs.
    """
    if isinstance(data, Tensor):
        data = data._data
    target = _dtypes.resolve(dtype) if dtype is not None else _dtypes.infer(data)
    return _finish(np.array(data, dtype=target), requires_grad)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``array`` (changes to one show in the other)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy expects an np.ndarray, got {type(array).__name__}")
    return Tensor._make(array)


def as_tensor(data: Any, dtype: Any = None) -> Tensor:
    if isinstance(data, Tensor) and (dtype is None or data.dtype == _dtypes.resolve(dtype)):
        return data
    if isinstance(data, np.ndarray) and (dtype is None or data.dtype == _dtypes.resolve(dtype)):
        return Tensor._make(data)
    return tensor(data, dtype=dtype)


def zeros(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _finish(np.zeros(shape_arg(size), _float_dtype(dtype)), requires_grad)


def ones(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _finish(np.ones(shape_arg(size), _float_dtype(dtype)), requires_grad)


def empty(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _finish(np.empty(shape_arg(size), _float_dtype(dtype)), requires_grad)


def full(size: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    if dtype is None:
        dtype = _dtypes.infer(fill_value)
    return _finish(np.full(shape_arg((size,)), fill_value, _dtypes.resolve(dtype)), requires_grad)


def zeros_like(input: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _finish(np.zeros(input.shape, dtype or input.dtype), requires_grad)


def ones_like(input: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _finish(np.ones(input.shape, dtype or input.dtype), requires_grad)


def empty_like(input: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _finish(np.empty(input.shape, dtype or input.dtype), requires_grad)


def full_like(input: Tensor, fill_value: Any, dtype: Any = None,
              requires_grad: bool = False) -> Tensor:
    return _finish(np.full(input.shape, fill_value, dtype or input.dtype), requires_grad)


def rand(*size: Any, generator: Generator | None = None, dtype: Any = None,
         requires_grad: bool = False) -> Tensor:
    """Uniform samples in [0, 1)."""
    values = _random.generator(generator).random(shape_arg(size))
    return _finish(values.astype(_float_dtype(dtype)), requires_grad)


def randn(*size: Any, generator: Generator | None = None, dtype: Any = None,
          requires_grad: bool = False) -> Tensor:
    """Standard normal samples."""
    values = _random.generator(generator).standard_normal(shape_arg(size))
    return _finish(values.astype(_float_dtype(dtype)), requires_grad)


def randint(low: int, high: int | None = None, size: Any = (), *,
            generator: Generator | None = None, dtype: Any = None) -> Tensor:
    """Integers in [low, high) (``randint(high, size)`` starts at 0, as in PyTorch)."""
    if high is None or isinstance(high, tuple | list):  # randint(high, size)
        low, high, size = 0, low, size if high is None else high
    values = _random.generator(generator).integers(low, high, size=shape_arg((size,)))
    return Tensor._make(values.astype(_dtypes.int64 if dtype is None else _dtypes.resolve(dtype)))


def randperm(n: int, *, generator: Generator | None = None) -> Tensor:
    return Tensor._make(_random.generator(generator).permutation(n).astype(np.int64))


def rand_like(input: Tensor, requires_grad: bool = False) -> Tensor:
    return rand(*input.shape, dtype=input.dtype, requires_grad=requires_grad)


def randn_like(input: Tensor, requires_grad: bool = False) -> Tensor:
    return randn(*input.shape, dtype=input.dtype, requires_grad=requires_grad)


def arange(start: float, end: float | None = None, step: float = 1, *, dtype: Any = None,
           requires_grad: bool = False) -> Tensor:
    """Values from ``start`` to ``end`` (exclusive); int64 if all arguments are ints."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        is_int = all(isinstance(v, int) for v in (start, end, step))
        dtype = _dtypes.int64 if is_int else _dtypes.get_default_dtype()
    return _finish(np.arange(start, end, step).astype(_dtypes.resolve(dtype)), requires_grad)


def linspace(start: float, end: float, steps: int, *, dtype: Any = None,
             requires_grad: bool = False) -> Tensor:
    return _finish(np.linspace(start, end, steps).astype(_float_dtype(dtype)), requires_grad)


def eye(n: int, m: int | None = None, *, dtype: Any = None, requires_grad: bool = False
        ) -> Tensor:
    return _finish(np.eye(n, m, dtype=_float_dtype(dtype)), requires_grad)
