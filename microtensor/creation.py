"""Factories: ``tensor``, ``zeros``, ``ones``, ``full``, ``empty``, ``rand``, ``randn``,
``randint``, ``arange``, ``linspace``, ``eye``, the ``*_like`` forms, ``from_numpy``, and
PyTorch's legacy typed constructors (``mt.FloatTensor``, ``mt.LongTensor``...).

Every factory takes PyTorch's ``device=`` (only the CPU exists: ``"cuda"`` raises PyTorch's
CPU-only error, see ``device.py``); the functions PyTorch gives ``out=`` take it too (see
``_out.py``: the values are written into ``out``, which is returned; without ``dtype=`` the
factory makes ``out``'s dtype).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from microtensor import _dtypes
from microtensor import random as _random
from microtensor._out import factory_dtype, write_out
from microtensor.device import factory_device
from microtensor.ops.shape import shape_arg
from microtensor.random import Generator
from microtensor.tensor import Tensor, legacy_array


def _finish(array: np.ndarray, requires_grad: bool, out: Any = None, name: str = "") -> Tensor:
    if out is not None:
        return write_out(out, array, name)
    t = Tensor._make(array)
    if requires_grad:
        t.requires_grad = True
    return t


def _float_dtype(dtype: Any, out: Any = None, name: str = "") -> np.dtype:
    if out is not None:
        return factory_dtype(out, dtype, name)
    return _dtypes.get_default_dtype() if dtype is None else _dtypes.resolve(dtype)


def _given_dtype(dtype: Any, out: Any, name: str, default: Any) -> np.dtype:
    """``dtype``, else ``out``'s, else ``default`` (a dtype, or the value to infer it from)."""
    if out is not None:
        return factory_dtype(out, dtype, name)
    if dtype is not None:
        return _dtypes.resolve(dtype)
    return default


def tensor(data: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,
           pin_memory: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (nested lists, numbers, arrays or a tensor).

    Python floats give the default dtype (float32), ints int64, bools bool; arrays keep theirs.
    """
    factory_device(device)
    if isinstance(data, Tensor):
        data = data._data
    target = _dtypes.resolve(dtype) if dtype is not None else _dtypes.infer(data)
    return _finish(np.array(data, dtype=target), requires_grad)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``array`` (changes to one show in the other)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy expects an np.ndarray, got {type(array).__name__}")
    return Tensor._make(array)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """``data`` itself if it is a tensor of ``dtype``, a tensor sharing an array's memory if it
    is one of ``dtype``, else a new tensor (as ``tensor``)."""
    factory_device(device)
    if isinstance(data, Tensor):  # the same tensor, or a cast of it that stays in the graph
        return data if dtype is None else data.to(dtype)
    if isinstance(data, np.ndarray) and (dtype is None or data.dtype == _dtypes.resolve(dtype)):
        return Tensor._make(data)
    return tensor(data, dtype=dtype)


def zeros(*size: Any, out: Tensor | None = None, dtype: Any = None, device: Any = None,
          requires_grad: bool = False) -> Tensor:
    """A tensor of shape ``size`` filled with 0 (``zeros(2, 3)`` or ``zeros((2, 3))``);
    the dtype defaults to ``mt.get_default_dtype()``."""
    factory_device(device)
    return _finish(np.zeros(shape_arg(size), _float_dtype(dtype, out, "zeros")), requires_grad,
                   out, "zeros")


def ones(*size: Any, out: Tensor | None = None, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    """A tensor of shape ``size`` filled with 1 (``ones(2, 3)`` or ``ones((2, 3))``);
    the dtype defaults to ``mt.get_default_dtype()``."""
    factory_device(device)
    return _finish(np.ones(shape_arg(size), _float_dtype(dtype, out, "ones")), requires_grad,
                   out, "ones")


def empty(*size: Any, out: Tensor | None = None, dtype: Any = None, device: Any = None,
          requires_grad: bool = False) -> Tensor:
    """A tensor of shape ``size`` whose values are whatever the memory held (uninitialised,
    as in PyTorch: fill it before reading); the dtype defaults to the default float."""
    factory_device(device)
    return _finish(np.empty(shape_arg(size), _float_dtype(dtype, out, "empty")), requires_grad,
                   out, "empty")


def full(size: Any, fill_value: Any, *, out: Tensor | None = None, dtype: Any = None,
         device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ``size`` filled with ``fill_value`` (whose type gives the dtype: a bool fill
    makes bool, an int int64, a float the default float dtype)."""
    factory_device(device)
    target = _given_dtype(dtype, out, "full", None)
    target = _dtypes.infer(fill_value) if target is None else target
    return _finish(np.full(shape_arg((size,)), fill_value, target), requires_grad, out, "full")


# --------------------------------------------------------------------------- *_like


def _like_dtype(input: Tensor, dtype: Any) -> np.dtype:
    return input._data.dtype if dtype is None else _dtypes.resolve(dtype)


def _like(fill: Any, input: Tensor, dtype: Any, device: Any, requires_grad: bool,
          memory_format: Any) -> Tensor:
    factory_device(device)
    _dtypes.check_memory_format(memory_format, "like", input.ndim)
    return _finish(fill(input.shape, _like_dtype(input, dtype)), requires_grad)


def zeros_like(input: Tensor, *, dtype: Any = None, device: Any = None,
               requires_grad: bool = False, memory_format: Any = None) -> Tensor:
    """Zeros with ``input``'s shape and (unless ``dtype`` is given) dtype."""
    return _like(np.zeros, input, dtype, device, requires_grad, memory_format)


def ones_like(input: Tensor, *, dtype: Any = None, device: Any = None,
              requires_grad: bool = False, memory_format: Any = None) -> Tensor:
    """Ones with ``input``'s shape and (unless ``dtype`` is given) dtype."""
    return _like(np.ones, input, dtype, device, requires_grad, memory_format)


def empty_like(input: Tensor, *, dtype: Any = None, device: Any = None,
               requires_grad: bool = False, memory_format: Any = None) -> Tensor:
    """Uninitialised values with ``input``'s shape and (unless ``dtype`` is
    given) dtype: see ``mt.empty``."""
    return _like(np.empty, input, dtype, device, requires_grad, memory_format)


def full_like(input: Tensor, fill_value: Any, *, dtype: Any = None, device: Any = None,
              requires_grad: bool = False, memory_format: Any = None) -> Tensor:
    """``fill_value`` everywhere, with ``input``'s shape and (unless ``dtype``
    is given) dtype; the value is converted to that dtype."""
    return _like(lambda shape, dt: np.full(shape, fill_value, dt), input, dtype, device,
                 requires_grad, memory_format)


def rand_like(input: Tensor, *, dtype: Any = None, device: Any = None,
              requires_grad: bool = False, memory_format: Any = None,
              generator: Generator | None = None) -> Tensor:
    """Samples uniform in [0, 1) with ``input``'s shape and (unless ``dtype``
    is given) dtype, which must be floating."""
    factory_device(device)
    _dtypes.check_memory_format(memory_format, "rand_like", input.ndim)
    return rand(*input.shape, dtype=_floating_like(input, dtype, "rand_like"),
                requires_grad=requires_grad, generator=generator)


def randn_like(input: Tensor, *, dtype: Any = None, device: Any = None,
               requires_grad: bool = False, memory_format: Any = None,
               generator: Generator | None = None) -> Tensor:
    """Samples from N(0, 1) with ``input``'s shape and (unless ``dtype`` is
    given) dtype, which must be floating."""
    factory_device(device)
    _dtypes.check_memory_format(memory_format, "randn_like", input.ndim)
    return randn(*input.shape, dtype=_floating_like(input, dtype, "randn_like"),
                 requires_grad=requires_grad, generator=generator)


def _floating_like(input: Tensor, dtype: Any, name: str) -> np.dtype:
    target = _like_dtype(input, dtype)
    if target.kind != "f":
        raise NotImplementedError(f"{name}: not implemented for '{_dtypes.torch_name(target)}' "
                                  "(random floats need a floating dtype); pass dtype=mt.float32")
    return target


def randint_like(input: Tensor, low: int, high: int | None = None, *, dtype: Any = None,
                 device: Any = None, requires_grad: bool = False, memory_format: Any = None,
                 generator: Generator | None = None) -> Tensor:
    """Integers in [low, high) of ``input``'s shape and dtype (``randint_like(x, high)`` starts at
    0); a float ``input`` gives whole numbers stored as floats, as in PyTorch."""
    factory_device(device)
    _dtypes.check_memory_format(memory_format, "randint_like", input.ndim)
    if high is None:
        low, high = 0, low
    values = _random.generator(generator).integers(low, high, size=input.shape)
    return _finish(values.astype(_like_dtype(input, dtype)), requires_grad)


# --------------------------------------------------------------------------- random


def rand(*size: Any, generator: Generator | None = None, out: Tensor | None = None,
         dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Uniform samples in [0, 1)."""
    factory_device(device)
    target = _float_dtype(dtype, out, "rand")
    values = _random.generator(generator).random(shape_arg(size))
    return _finish(values.astype(target), requires_grad, out, "rand")


def randn(*size: Any, generator: Generator | None = None, out: Tensor | None = None,
          dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples."""
    factory_device(device)
    target = _float_dtype(dtype, out, "randn")
    values = _random.generator(generator).standard_normal(shape_arg(size))
    return _finish(values.astype(target), requires_grad, out, "randn")


def randint(low: int, high: int | None = None, size: Any = (), *,
            generator: Generator | None = None, out: Tensor | None = None, dtype: Any = None,
            device: Any = None, requires_grad: bool = False) -> Tensor:
    """Integers in [low, high) (``randint(high, size)`` starts at 0, as in PyTorch)."""
    factory_device(device)
    if high is None or isinstance(high, tuple | list):  # randint(high, size)
        low, high, size = 0, low, size if high is None else high
    target = _given_dtype(dtype, out, "randint", _dtypes.int64)
    values = _random.generator(generator).integers(low, high, size=shape_arg((size,)))
    return _finish(values.astype(target), requires_grad, out, "randint")


def randperm(n: int, *, generator: Generator | None = None, out: Tensor | None = None,
             dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A random permutation of 0, ..., n - 1."""
    factory_device(device)
    target = _given_dtype(dtype, out, "randperm", _dtypes.int64)
    values = _random.generator(generator).permutation(n).astype(target)
    return _finish(values, requires_grad, out, "randperm")


# --------------------------------------------------------------------------- ranges


def arange(start: float, end: float | None = None, step: float = 1, *,
           out: Tensor | None = None, dtype: Any = None, device: Any = None,
           requires_grad: bool = False) -> Tensor:
    """Values from ``start`` to ``end`` (exclusive); int64 if all arguments are ints."""
    factory_device(device)
    if end is None:
        start, end = 0, start
    is_int = all(isinstance(v, int) for v in (start, end, step))
    default = _dtypes.int64 if is_int else _dtypes.get_default_dtype()
    target = _given_dtype(dtype, out, "arange", default)
    return _finish(np.arange(start, end, step).astype(target), requires_grad, out, "arange")


def linspace(start: float, end: float, steps: int, *, out: Tensor | None = None,
             dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end``, both included:
    start + i · (end - start) / (steps - 1); the dtype defaults to the default float."""
    factory_device(device)
    target = _float_dtype(dtype, out, "linspace")
    return _finish(np.linspace(start, end, steps).astype(target), requires_grad, out,
                   "linspace")


def eye(n: int, m: int | None = None, *, out: Tensor | None = None, dtype: Any = None,
        device: Any = None, requires_grad: bool = False) -> Tensor:
    """The n × m identity matrix (m defaults to n): 1 on the diagonal, 0 elsewhere;
    the dtype defaults to the default float."""
    factory_device(device)
    target = _float_dtype(dtype, out, "eye")
    return _finish(np.eye(n, m, dtype=target), requires_grad, out, "eye")


# --------------------------------------------------------------------------- legacy constructors


class _LegacyTensorType(type):
    """The metaclass of ``mt.FloatTensor`` & co: calling the class makes a Tensor of its dtype,
    and ``isinstance(x, mt.FloatTensor)`` asks whether ``x`` is a float32 tensor (as PyTorch)."""

    legacy_dtype: np.dtype

    def __call__(cls, *data: Any, device: Any = None) -> Tensor:  # type: ignore[override]
        factory_device(device)
        return Tensor._make(legacy_array(data, cls.legacy_dtype, False, cls.__name__)
                            if not (len(data) == 1 and isinstance(data[0], Tensor))
                            else _legacy_from_tensor(cls, data[0]))

    def __instancecheck__(cls, instance: Any) -> bool:
        return isinstance(instance, Tensor) and instance._data.dtype == cls.legacy_dtype

    def __repr__(cls) -> str:
        return f"<class 'microtensor.{cls.__name__}'>"


def _legacy_from_tensor(cls: Any, data: Tensor) -> np.ndarray:
    if data._data.dtype != cls.legacy_dtype:
        raise TypeError(f"{cls.__name__}(tensor): expected a tensor of dtype "
                        f"{cls.legacy_dtype}, got {data._data.dtype}; use tensor.to(...)")
    return data._data


def _legacy_type(name: str) -> Any:
    dtype = _dtypes.legacy_dtype(name)
    doc = (f"``mt.{name}(data)`` / ``mt.{name}(*sizes)``: PyTorch's legacy constructor of "
           f"{dtype} tensors; prefer ``mt.tensor(data, dtype=mt.{dtype})``.")
    return _LegacyTensorType(name, (), {"legacy_dtype": dtype, "__doc__": doc})


FloatTensor = _legacy_type("FloatTensor")
DoubleTensor = _legacy_type("DoubleTensor")
HalfTensor = _legacy_type("HalfTensor")
LongTensor = _legacy_type("LongTensor")
IntTensor = _legacy_type("IntTensor")
ShortTensor = _legacy_type("ShortTensor")
CharTensor = _legacy_type("CharTensor")
ByteTensor = _legacy_type("ByteTensor")
BoolTensor = _legacy_type("BoolTensor")
