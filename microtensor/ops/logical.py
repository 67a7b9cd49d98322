"""Comparisons, predicates, logical and bitwise operations: results that carry no gradient.

Every function here answers a question about values (is it nan? which is larger? which bits are
set?), so its result is a bool or integer tensor outside the graph, as in PyTorch: a comparison
has derivative 0 almost everywhere and none at all where it jumps, so nothing flows through it.
(``fmax``/``fmin``, which do carry gradients, are in ``ops/pointwise.py``.)

Two operands are brought to their common dtype first (``promotion.result_type``), as PyTorch
does: ``uint8 tensor == -1`` compares with 255, ``bool tensor | 2`` is an int64 tensor.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from microtensor import _dtypes
from microtensor.ops import elementwise, promotion
from microtensor.tensor import Tensor

# --------------------------------------------------------------------------- helpers


def _check_tensor(name: str, value: Any, argument: str = "input") -> Tensor:
    if not isinstance(value, Tensor):
        raise TypeError(f"{name}(): argument '{argument}' must be Tensor, not "
                        f"{type(value).__name__}; make it one first (mt.tensor(...))")
    return value


def _constant(values: np.ndarray | np.generic | bool) -> Tensor:
    return Tensor._make(np.asarray(values))


def _not_implemented(kernel: str, dtype: np.dtype) -> NotImplementedError:
    return NotImplementedError(
        f'"{kernel}" not implemented for \'{_dtypes.torch_name(dtype)}\'; bitwise operations '
        "need integer or bool tensors (convert with .long() or .bool())")


def overwrite_without_gradient(t: Tensor, values: Tensor) -> Tensor:
    """``values`` (no history) in ``t``'s dtype, as the result of an in-place op on ``t`` whose
    derivative is 0 (``x.eq_(y)``, ``x.heaviside_(v)``): where ``t`` is in a graph, PyTorch keeps
    it there with gradient 0, so the values are written as ``where(True, values, t)``, which
    takes every value from ``values`` and sends ``t`` a zero gradient."""
    values = elementwise.cast(values, t._data.dtype)
    if not t.requires_grad:
        return values
    return elementwise.where(np.True_, values, t)


# --------------------------------------------------------------------------- predicates


def isnan(input: Tensor) -> Tensor:
    """True where the value is nan (never for integers)."""
    return _constant(np.isnan(_check_tensor("isnan", input)._data))


def isinf(input: Tensor) -> Tensor:
    """True where the value is +inf or -inf."""
    return _constant(np.isinf(_check_tensor("isinf", input)._data))


def isfinite(input: Tensor) -> Tensor:
    """True where the value is neither nan nor ±inf."""
    return _constant(np.isfinite(_check_tensor("isfinite", input)._data))


def isposinf(input: Tensor) -> Tensor:
    """True where the value is +inf."""
    return _constant(np.isposinf(_check_tensor("isposinf", input)._data))


def isneginf(input: Tensor) -> Tensor:
    """True where the value is -inf."""
    return _constant(np.isneginf(_check_tensor("isneginf", input)._data))


def signbit(input: Tensor) -> Tensor:
    """True where the sign bit is set: negative numbers, -0.0, and nan with the bit set."""
    data = _check_tensor("signbit", input)._data
    if data.dtype.kind == "f":
        return _constant(np.signbit(data))
    return _constant(data < 0) if data.dtype.kind == "i" else _constant(np.zeros(data.shape, bool))


def isreal(input: Tensor) -> Tensor:
    """True where the imaginary part is 0: everywhere, for the real tensors microtensor has."""
    data = _check_tensor("isreal", input)._data
    return _constant(np.isreal(data) if data.dtype.kind == "c" else np.ones(data.shape, bool))


# --------------------------------------------------------------------------- comparisons


def _comparison(name: str, function: Callable[..., np.ndarray]) -> Callable[[Any, Any], Tensor]:
    def compare(input: Any, other: Any) -> Tensor:
        return elementwise.constant_result(name, function, _check_tensor(name, input), other)

    compare.__name__ = compare.__qualname__ = name
    compare.__doc__ = f"input {_SYMBOLS[name]} other, elementwise with broadcasting (bool)."
    return compare


_SYMBOLS = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}

eq = _comparison("eq", np.equal)
ne = _comparison("ne", np.not_equal)
lt = _comparison("lt", np.less)
le = _comparison("le", np.less_equal)
gt = _comparison("gt", np.greater)
ge = _comparison("ge", np.greater_equal)
# the longer names PyTorch also has
not_equal, less, less_equal, greater, greater_equal = ne, lt, le, gt, ge


def isclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: bool = False) -> Tensor:
    """|input - other| <= atol + rtol · |other|, elementwise (not symmetric in its arguments).

    Equal values are close (so are equal infinities); nan is close to nan only with
    ``equal_nan``. Both tensors must have the same dtype, as in PyTorch.
    """
    a, b = _check_tensor("isclose", input)._data, _check_tensor("isclose", other, "other")._data
    if a.dtype != b.dtype:
        raise RuntimeError(
            f"isclose(): {_dtypes.torch_name(a.dtype)} did not match "
            f"{_dtypes.torch_name(b.dtype)}; convert one tensor to the other's dtype first")
    for name, value in (("rtol", rtol), ("atol", atol)):
        if value < 0:
            raise RuntimeError(f"{name} must be greater than or equal to zero, but got {value}")
    with np.errstate(invalid="ignore", over="ignore"):
        close = a == b
        if a.dtype.kind != "b":
            work = a.dtype if a.dtype.kind == "f" else _dtypes.get_default_dtype()
            a_work, b_work = a.astype(work, copy=False), b.astype(work, copy=False)
            within = np.abs(a_work - b_work) <= atol + rtol * np.abs(b_work)
            close = close | (within & np.isfinite(a_work) & np.isfinite(b_work))
    if equal_nan and a.dtype.kind == "f":
        close = close | (np.isnan(a) & np.isnan(b))
    return _constant(close)


def allclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> bool:
    """Are all elements close (``isclose(...).all()``)? A Python bool."""
    return bool(np.all(isclose(input, other, rtol, atol, equal_nan)._data))


def equal(input: Tensor, other: Tensor) -> bool:
    """Same shape and the same values (nan is never equal)? A Python bool, as ``torch.equal``."""
    a, b = _check_tensor("equal", input)._data, _check_tensor("equal", other, "other")._data
    return a.shape == b.shape and bool(np.array_equal(a, b))


# --------------------------------------------------------------------------- logical


def _truth(name: str, value: Any, argument: str) -> np.ndarray:
    """Nonzero is True (nan too), as in PyTorch."""
    return _check_tensor(name, value, argument)._data.astype(bool, copy=False)


def _logical(name: str, function: Callable[..., np.ndarray]) -> Callable[[Tensor, Tensor], Tensor]:
    def combine(input: Tensor, other: Tensor) -> Tensor:
        a, b = _truth(name, input, "input"), _truth(name, other, "other")
        try:
            return _constant(function(a, b))
        except ValueError:
            raise elementwise._broadcast_error(name, input, other) from None

    combine.__name__ = combine.__qualname__ = name
    combine.__doc__ = (f"{name.removeprefix('logical_')} of the truth values (nonzero is True), "
                       "elementwise with broadcasting; a bool tensor.")
    return combine


logical_and = _logical("logical_and", np.logical_and)
logical_or = _logical("logical_or", np.logical_or)
logical_xor = _logical("logical_xor", np.logical_xor)


def logical_not(input: Tensor) -> Tensor:
    """not x: True where x is zero (a bool tensor)."""
    return _constant(~_truth("logical_not", input, "input"))


# --------------------------------------------------------------------------- bitwise


def _integer_operands(name: str, kernel: str, input: Any, other: Any) -> tuple[Any, Any]:
    """Both operands as arrays of their common integer or bool dtype (floats are refused)."""
    a, b = elementwise._operand(input), elementwise._operand(other)
    dtype = promotion.result_type(a, b)
    if dtype.kind not in "biu":
        raise _not_implemented(kernel, dtype)
    return elementwise._to_dtype(a, dtype), elementwise._to_dtype(b, dtype)


def _bitwise(name: str, kernel: str, function: Callable[..., np.ndarray]
             ) -> Callable[[Any, Any], Tensor]:
    def combine(input: Any, other: Any) -> Tensor:
        a, b = _integer_operands(name, kernel, input, other)
        return elementwise.constant_result(name, function, a, b)

    combine.__name__ = combine.__qualname__ = name
    combine.__doc__ = (f"{name.removeprefix('bitwise_')} of the bits of integer or bool "
                       "tensors (for bool: the logical operation); floats are refused.")
    return combine


bitwise_and = _bitwise("bitwise_and", "bitwise_and_cpu", np.bitwise_and)
bitwise_or = _bitwise("bitwise_or", "bitwise_or_cpu", np.bitwise_or)
bitwise_xor = _bitwise("bitwise_xor", "bitwise_xor_cpu", np.bitwise_xor)


def bitwise_not(input: Tensor) -> Tensor:
    """Every bit flipped (~x = -x - 1 for signed integers; not x for bool)."""
    data = _check_tensor("bitwise_not", input)._data
    if data.dtype.kind not in "biu":
        raise _not_implemented("bitwise_not_cpu", data.dtype)
    return _constant(np.invert(data))


def invert(input: Tensor) -> Tensor:
    """``~x``: as ``bitwise_not``, with the TypeError PyTorch's operator raises for floats."""
    if input._data.dtype.kind not in "biu":
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type "
                        f"tensors, not {_dtypes.torch_name(input._data.dtype)}; for a mask use "
                        "a bool tensor, or logical_not()")
    return bitwise_not(input)


def _shift(a: np.ndarray, b: np.ndarray, left: bool) -> np.ndarray:
    """a << b or a >> b, with PyTorch's answer for a shift outside [0, bits): everything
    shifted out (0; or -1 for a negative number shifted right), where C leaves it undefined."""
    bits = a.dtype.itemsize * 8
    out_of_range = (b < 0) | (b >= bits)
    amount = np.where(out_of_range, 0, b).astype(a.dtype, copy=False)
    if left:
        return np.where(out_of_range, a.dtype.type(0), np.left_shift(a, amount))
    gone = np.where(a < 0, a.dtype.type(-1), a.dtype.type(0)) if a.dtype.kind == "i" else 0
    return np.where(out_of_range, gone, np.right_shift(a, amount)).astype(a.dtype, copy=False)


def _shift_function(name: str, kernel: str, left: bool) -> Callable[[Any, Any], Tensor]:
    def shift(input: Any, other: Any) -> Tensor:
        a, b = _integer_operands(name, kernel, input, other)
        a, b = (x._data if isinstance(x, Tensor) else np.asarray(x) for x in (a, b))
        if a.dtype.kind == "b" or b.dtype.kind == "b":
            raise _not_implemented(kernel, np.dtype(bool))
        try:
            np.broadcast_shapes(a.shape, b.shape)
        except ValueError:
            raise elementwise._broadcast_error(name, input, other) from None
        return _constant(np.asarray(_shift(a, b, left)))

    shift.__name__ = shift.__qualname__ = name
    shift.__doc__ = (f"input {'<<' if left else '>>'} other: the bits of integer tensors moved "
                     f"{'left' if left else 'right'} (a shift by a negative amount or by the "
                     "bit width or more gives 0, or -1 for a negative number shifted right).")
    return shift


bitwise_left_shift = _shift_function("bitwise_left_shift", "lshift_cpu", left=True)
bitwise_right_shift = _shift_function("bitwise_right_shift", "rshift_cpu", left=False)
