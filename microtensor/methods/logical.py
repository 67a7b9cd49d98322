"""Tensor methods: comparisons, predicates (isnan, ...), logical and bitwise operations.

The ops are in ``ops/logical.py``; each method is a one-line call into them. The operators
``& | ^ ~ << >>`` (with their reflected forms, ``3 & t``, and in-place forms, ``t &= m``) are
here too. ``==``, ``<``, ... are defined on ``Tensor`` itself (with ``__hash__``).
"""

from __future__ import annotations

from typing import Any

from microtensor import ops


class LogicalMethods:
    """The Tensor methods of this family."""

    __slots__ = ()

    # ------------------------------------------------------------------ predicates
    def isnan(self) -> Any:
        return ops.logical.isnan(self)

    def isinf(self) -> Any:
        return ops.logical.isinf(self)

    def isfinite(self) -> Any:
        return ops.logical.isfinite(self)

    def isposinf(self) -> Any:
        return ops.logical.isposinf(self)

    def isneginf(self) -> Any:
        return ops.logical.isneginf(self)

    def signbit(self) -> Any:
        return ops.logical.signbit(self)

    def isreal(self) -> Any:
        return ops.logical.isreal(self)

    # ------------------------------------------------------------------ comparisons
    def eq(self, other: Any) -> Any:
        return ops.logical.eq(self, other)

    def ne(self, other: Any) -> Any:
        return ops.logical.ne(self, other)

    def lt(self, other: Any) -> Any:
        return ops.logical.lt(self, other)

    def le(self, other: Any) -> Any:
        return ops.logical.le(self, other)

    def gt(self, other: Any) -> Any:
        return ops.logical.gt(self, other)

    def ge(self, other: Any) -> Any:
        return ops.logical.ge(self, other)

    def not_equal(self, other: Any) -> Any:
        return ops.logical.ne(self, other)

    def less(self, other: Any) -> Any:
        return ops.logical.lt(self, other)

    def less_equal(self, other: Any) -> Any:
        return ops.logical.le(self, other)

    def greater(self, other: Any) -> Any:
        return ops.logical.gt(self, other)

    def greater_equal(self, other: Any) -> Any:
        return ops.logical.ge(self, other)

    def isclose(self, other: Any, rtol: float = 1e-05, atol: float = 1e-08,
                equal_nan: bool = False) -> Any:
        return ops.logical.isclose(self, other, rtol, atol, equal_nan)

    def allclose(self, other: Any, rtol: float = 1e-05, atol: float = 1e-08,
                 equal_nan: bool = False) -> bool:
        return ops.logical.allclose(self, other, rtol, atol, equal_nan)

    def equal(self, other: Any) -> bool:
        return ops.logical.equal(self, other)

    # ------------------------------------------------------------------ logical
    def logical_and(self, other: Any) -> Any:
        return ops.logical.logical_and(self, other)

    def logical_or(self, other: Any) -> Any:
        return ops.logical.logical_or(self, other)

    def logical_xor(self, other: Any) -> Any:
        return ops.logical.logical_xor(self, other)

    def logical_not(self) -> Any:
        return ops.logical.logical_not(self)

    # ------------------------------------------------------------------ bitwise
    def bitwise_and(self, other: Any) -> Any:
        return ops.logical.bitwise_and(self, other)

    def bitwise_or(self, other: Any) -> Any:
        return ops.logical.bitwise_or(self, other)

    def bitwise_xor(self, other: Any) -> Any:
        return ops.logical.bitwise_xor(self, other)

    def bitwise_not(self) -> Any:
        return ops.logical.bitwise_not(self)

    def bitwise_left_shift(self, other: Any) -> Any:
        return ops.logical.bitwise_left_shift(self, other)

    def bitwise_right_shift(self, other: Any) -> Any:
        return ops.logical.bitwise_right_shift(self, other)

    def __invert__(self) -> Any:
        return ops.logical.invert(self)

    def __and__(self, other: Any) -> Any:
        return ops.logical.bitwise_and(self, other)

    def __rand__(self, other: Any) -> Any:
        return ops.logical.bitwise_and(other, self)

    def __or__(self, other: Any) -> Any:
        return ops.logical.bitwise_or(self, other)

    def __ror__(self, other: Any) -> Any:
        return ops.logical.bitwise_or(other, self)

    def __xor__(self, other: Any) -> Any:
        return ops.logical.bitwise_xor(self, other)

    def __rxor__(self, other: Any) -> Any:
        return ops.logical.bitwise_xor(other, self)

    def __lshift__(self, other: Any) -> Any:
        return ops.logical.bitwise_left_shift(self, other)

    def __rlshift__(self, other: Any) -> Any:
        return ops.logical.bitwise_left_shift(other, self)

    def __rshift__(self, other: Any) -> Any:
        return ops.logical.bitwise_right_shift(self, other)

    def __rrshift__(self, other: Any) -> Any:
        return ops.logical.bitwise_right_shift(other, self)

    # ------------------------------------------------------------------ in place
    # comparisons and logical ops write 0/1 in this tensor's dtype (x.eq_(y) on floats: 1.0/0.0);
    # bitwise ops keep the dtype and refuse a result that does not fit (bool_t &= int_t)
    def _inplace_bits(self, name: str, function: Any) -> Any:
        return self._inplace(name, function, arithmetic=True)

    def _inplace_truth(self, name: str, function: Any) -> Any:
        """``function(self)`` (bool) written as 0/1 into this tensor, with gradient 0."""
        return self._inplace(
            name, lambda t: ops.logical.overwrite_without_gradient(t, function(t)))

    def eq_(self, other: Any) -> Any:
        return self._inplace_truth("eq_", lambda t: ops.logical.eq(t, other))

    def ne_(self, other: Any) -> Any:
        return self._inplace_truth("ne_", lambda t: ops.logical.ne(t, other))

    def lt_(self, other: Any) -> Any:
        return self._inplace_truth("lt_", lambda t: ops.logical.lt(t, other))

    def le_(self, other: Any) -> Any:
        return self._inplace_truth("le_", lambda t: ops.logical.le(t, other))

    def gt_(self, other: Any) -> Any:
        return self._inplace_truth("gt_", lambda t: ops.logical.gt(t, other))

    def ge_(self, other: Any) -> Any:
        return self._inplace_truth("ge_", lambda t: ops.logical.ge(t, other))

    def not_equal_(self, other: Any) -> Any:
        return self._inplace_truth("not_equal_", lambda t: ops.logical.ne(t, other))

    def less_(self, other: Any) -> Any:
        return self._inplace_truth("less_", lambda t: ops.logical.lt(t, other))

    def less_equal_(self, other: Any) -> Any:
        return self._inplace_truth("less_equal_", lambda t: ops.logical.le(t, other))

    def greater_(self, other: Any) -> Any:
        return self._inplace_truth("greater_", lambda t: ops.logical.gt(t, other))

    def greater_equal_(self, other: Any) -> Any:
        return self._inplace_truth("greater_equal_", lambda t: ops.logical.ge(t, other))

    def logical_and_(self, other: Any) -> Any:
        return self._inplace_truth("logical_and_", lambda t: ops.logical.logical_and(t, other))

    def logical_or_(self, other: Any) -> Any:
        return self._inplace_truth("logical_or_", lambda t: ops.logical.logical_or(t, other))

    def logical_xor_(self, other: Any) -> Any:
        return self._inplace_truth("logical_xor_", lambda t: ops.logical.logical_xor(t, other))

    def logical_not_(self) -> Any:
        return self._inplace_truth("logical_not_", ops.logical.logical_not)

    def bitwise_and_(self, other: Any) -> Any:
        return self._inplace_bits("bitwise_and_", lambda t: ops.logical.bitwise_and(t, other))

    def bitwise_or_(self, other: Any) -> Any:
        return self._inplace_bits("bitwise_or_", lambda t: ops.logical.bitwise_or(t, other))

    def bitwise_xor_(self, other: Any) -> Any:
        return self._inplace_bits("bitwise_xor_", lambda t: ops.logical.bitwise_xor(t, other))

    def bitwise_not_(self) -> Any:
        return self._inplace_bits("bitwise_not_", ops.logical.bitwise_not)

    def bitwise_left_shift_(self, other: Any) -> Any:
        return self._inplace_bits("bitwise_left_shift_",
                                  lambda t: ops.logical.bitwise_left_shift(t, other))

    def bitwise_right_shift_(self, other: Any) -> Any:
        return self._inplace_bits("bitwise_right_shift_",
                                  lambda t: ops.logical.bitwise_right_shift(t, other))

    def __iand__(self, other: Any) -> Any:
        return self.bitwise_and_(other)

    def __ior__(self, other: Any) -> Any:
        return self.bitwise_or_(other)

    def __ixor__(self, other: Any) -> Any:
        return self.bitwise_xor_(other)

    def __ilshift__(self, other: Any) -> Any:
        return self.bitwise_left_shift_(other)

    def __irshift__(self, other: Any) -> Any:
        return self.bitwise_right_shift_(other)
