"""Tensor methods: trigonometric, hyperbolic, exp/log variants, rounding and other pointwise math.

The ops are in ``ops/pointwise.py`` (and ``ops/elementwise.py`` for ``div``); each method is a
one-line call into them. An in-place method ``x.tan_()`` writes ``tan(x)`` into ``x`` (keeping
its dtype; an integer tensor whose result is a float is refused, as in PyTorch).
"""

from __future__ import annotations

from typing import Any

from microtensor import ops


class PointwiseMethods:
    """The Tensor methods of this family."""

    __slots__ = ()

    # ------------------------------------------------------------------ trigonometric
    def tan(self) -> Any:
        return ops.pointwise.tan(self)

    def asin(self) -> Any:
        return ops.pointwise.asin(self)

    def acos(self) -> Any:
        return ops.pointwise.acos(self)

    def atan(self) -> Any:
        return ops.pointwise.atan(self)

    def atan2(self, other: Any) -> Any:
        return ops.pointwise.atan2(self, other)

    def sinh(self) -> Any:
        return ops.pointwise.sinh(self)

    def cosh(self) -> Any:
        return ops.pointwise.cosh(self)

    def asinh(self) -> Any:
        return ops.pointwise.asinh(self)

    def acosh(self) -> Any:
        return ops.pointwise.acosh(self)

    def atanh(self) -> Any:
        return ops.pointwise.atanh(self)

    # NumPy's names
    def arcsin(self) -> Any:
        return ops.pointwise.asin(self)

    def arccos(self) -> Any:
        return ops.pointwise.acos(self)

    def arctan(self) -> Any:
        return ops.pointwise.atan(self)

    def arctan2(self, other: Any) -> Any:
        return ops.pointwise.atan2(self, other)

    def arcsinh(self) -> Any:
        return ops.pointwise.asinh(self)

    def arccosh(self) -> Any:
        return ops.pointwise.acosh(self)

    def arctanh(self) -> Any:
        return ops.pointwise.atanh(self)

    # ------------------------------------------------------------------ exp, log and powers
    def exp2(self) -> Any:
        return ops.pointwise.exp2(self)

    def expm1(self) -> Any:
        return ops.pointwise.expm1(self)

    def log2(self) -> Any:
        return ops.pointwise.log2(self)

    def log10(self) -> Any:
        return ops.pointwise.log10(self)

    def log1p(self) -> Any:
        return ops.pointwise.log1p(self)

    def logaddexp(self, other: Any) -> Any:
        return ops.pointwise.logaddexp(self, other)

    def logaddexp2(self, other: Any) -> Any:
        return ops.pointwise.logaddexp2(self, other)

    def xlogy(self, other: Any) -> Any:
        return ops.pointwise.xlogy(self, other)

    def logit(self, eps: float | None = None) -> Any:
        return ops.pointwise.logit(self, eps)

    def rsqrt(self) -> Any:
        return ops.pointwise.rsqrt(self)

    def reciprocal(self) -> Any:
        return ops.pointwise.reciprocal(self)

    def square(self) -> Any:
        return ops.pointwise.square(self)

    def erfc(self) -> Any:
        return ops.pointwise.erfc(self)

    def erfinv(self) -> Any:
        return ops.pointwise.erfinv(self)

    def hypot(self, other: Any) -> Any:
        return ops.pointwise.hypot(self, other)

    # ------------------------------------------------------------------ rounding and signs
    def floor(self) -> Any:
        return ops.pointwise.floor(self)

    def ceil(self) -> Any:
        return ops.pointwise.ceil(self)

    def round(self, decimals: int = 0) -> Any:
        return ops.pointwise.round(self, decimals=decimals)

    def trunc(self) -> Any:
        return ops.pointwise.trunc(self)

    def fix(self) -> Any:
        return ops.pointwise.trunc(self)

    def frac(self) -> Any:
        return ops.pointwise.frac(self)

    def sgn(self) -> Any:
        return ops.pointwise.sgn(self)

    def copysign(self, other: Any) -> Any:
        return ops.pointwise.copysign(self, other)

    def heaviside(self, values: Any) -> Any:
        return ops.pointwise.heaviside(self, values)

    def nan_to_num(self, nan: float = 0.0, posinf: float | None = None,
                   neginf: float | None = None) -> Any:
        return ops.pointwise.nan_to_num(self, nan, posinf, neginf)

    def clamp_min(self, min: Any) -> Any:
        return ops.pointwise.clamp_min(self, min)

    def clamp_max(self, max: Any) -> Any:
        return ops.pointwise.clamp_max(self, max)

    def lerp(self, end: Any, weight: Any) -> Any:
        return ops.pointwise.lerp(self, end, weight)

    def fmax(self, other: Any) -> Any:
        return ops.pointwise.fmax(self, other)

    def fmin(self, other: Any) -> Any:
        return ops.pointwise.fmin(self, other)

    # ------------------------------------------------------------------ division
    def div(self, other: Any, *, rounding_mode: str | None = None) -> Any:
        return ops.elementwise.div(self, other, rounding_mode=rounding_mode)

    def divide(self, other: Any, *, rounding_mode: str | None = None) -> Any:
        return ops.elementwise.div(self, other, rounding_mode=rounding_mode)

    def true_divide(self, other: Any) -> Any:
        return ops.elementwise.div(self, other)

    def floor_divide(self, other: Any) -> Any:
        return ops.pointwise.floor_divide(self, other)

    def fmod(self, other: Any) -> Any:
        return ops.pointwise.fmod(self, other)

    def remainder(self, other: Any) -> Any:
        return ops.pointwise.remainder(self, other)

    def __floordiv__(self, other: Any) -> Any:
        return ops.pointwise.floor_divide(self, other)

    def __rfloordiv__(self, other: Any) -> Any:
        return ops.pointwise.floor_divide(other, self)

    def __mod__(self, other: Any) -> Any:
        return ops.pointwise.remainder(self, other)

    def __rmod__(self, other: Any) -> Any:
        return ops.pointwise.remainder(other, self)

    def __ifloordiv__(self, other: Any) -> Any:
        return self.floor_divide_(other)

    def __imod__(self, other: Any) -> Any:
        return self._inplace("remainder_", lambda t: ops.pointwise.remainder(t, other),
                             arithmetic=True)

    # ------------------------------------------------------------------ NumPy's names
    def negative(self) -> Any:
        return ops.elementwise.neg(self)

    def absolute(self) -> Any:
        return ops.elementwise.abs(self)

    def multiply(self, other: Any) -> Any:
        return ops.elementwise.mul(self, other)

    def subtract(self, other: Any, *, alpha: float = 1) -> Any:
        return ops.elementwise.sub(self, other, alpha=alpha)

    # ------------------------------------------------------------------ in place
    def _inplace_math(self, name: str, function: Any) -> Any:
        """``function(self)`` written into this tensor (see ``Tensor._inplace``)."""
        return self._inplace(name, function, arithmetic=True)

    def tan_(self) -> Any:
        return self._inplace_math("tan_", ops.pointwise.tan)

    def asin_(self) -> Any:
        return self._inplace_math("asin_", ops.pointwise.asin)

    def acos_(self) -> Any:
        return self._inplace_math("acos_", ops.pointwise.acos)

    def atan_(self) -> Any:
        return self._inplace_math("atan_", ops.pointwise.atan)

    def atan2_(self, other: Any) -> Any:
        return self._inplace_math("atan2_", lambda t: ops.pointwise.atan2(t, other))

    def sinh_(self) -> Any:
        return self._inplace_math("sinh_", ops.pointwise.sinh)

    def cosh_(self) -> Any:
        return self._inplace_math("cosh_", ops.pointwise.cosh)

    def asinh_(self) -> Any:
        return self._inplace_math("asinh_", ops.pointwise.asinh)

    def acosh_(self) -> Any:
        return self._inplace_math("acosh_", ops.pointwise.acosh)

    def atanh_(self) -> Any:
        return self._inplace_math("atanh_", ops.pointwise.atanh)

    def arcsin_(self) -> Any:
        return self._inplace_math("arcsin_", ops.pointwise.asin)

    def arccos_(self) -> Any:
        return self._inplace_math("arccos_", ops.pointwise.acos)

    def arctan_(self) -> Any:
        return self._inplace_math("arctan_", ops.pointwise.atan)

    def arctan2_(self, other: Any) -> Any:
        return self._inplace_math("arctan2_", lambda t: ops.pointwise.atan2(t, other))

    def arcsinh_(self) -> Any:
        return self._inplace_math("arcsinh_", ops.pointwise.asinh)

    def arccosh_(self) -> Any:
        return self._inplace_math("arccosh_", ops.pointwise.acosh)

    def arctanh_(self) -> Any:
        return self._inplace_math("arctanh_", ops.pointwise.atanh)

    def exp2_(self) -> Any:
        return self._inplace_math("exp2_", ops.pointwise.exp2)

    def expm1_(self) -> Any:
        return self._inplace_math("expm1_", ops.pointwise.expm1)

    def log2_(self) -> Any:
        return self._inplace_math("log2_", ops.pointwise.log2)

    def log10_(self) -> Any:
        return self._inplace_math("log10_", ops.pointwise.log10)

    def log1p_(self) -> Any:
        return self._inplace_math("log1p_", ops.pointwise.log1p)

    def xlogy_(self, other: Any) -> Any:
        return self._inplace_math("xlogy_", lambda t: ops.pointwise.xlogy(t, other))

    def logit_(self, eps: float | None = None) -> Any:
        return self._inplace_math("logit_", lambda t: ops.pointwise.logit(t, eps))

    def rsqrt_(self) -> Any:
        return self._inplace_math("rsqrt_", ops.pointwise.rsqrt)

    def reciprocal_(self) -> Any:
        return self._inplace_math("reciprocal_", ops.pointwise.reciprocal)

    def square_(self) -> Any:
        return self._inplace_math("square_", ops.pointwise.square)

    def erfc_(self) -> Any:
        return self._inplace_math("erfc_", ops.pointwise.erfc)

    def erfinv_(self) -> Any:
        return self._inplace_math("erfinv_", ops.pointwise.erfinv)

    def hypot_(self, other: Any) -> Any:
        return self._inplace_math("hypot_", lambda t: ops.pointwise.hypot(t, other))

    def floor_(self) -> Any:
        return self._inplace_math("floor_", ops.pointwise.floor)

    def ceil_(self) -> Any:
        return self._inplace_math("ceil_", ops.pointwise.ceil)

    def round_(self, decimals: int = 0) -> Any:
        return self._inplace_math("round_", lambda t: ops.pointwise.round(t, decimals=decimals))

    def trunc_(self) -> Any:
        return self._inplace_math("trunc_", ops.pointwise.trunc)

    def fix_(self) -> Any:
        return self._inplace_math("fix_", ops.pointwise.trunc)

    def frac_(self) -> Any:
        return self._inplace_math("frac_", ops.pointwise.frac)

    def sgn_(self) -> Any:
        return self._inplace_math("sgn_", ops.pointwise.sgn)

    def copysign_(self, other: Any) -> Any:
        return self._inplace_math("copysign_", lambda t: ops.pointwise.copysign(t, other))

    def heaviside_(self, values: Any) -> Any:
        return self._inplace_math("heaviside_", lambda t: ops.logical.overwrite_without_gradient(
            t, ops.pointwise.heaviside(t, values)))

    def nan_to_num_(self, nan: float = 0.0, posinf: float | None = None,
                    neginf: float | None = None) -> Any:
        return self._inplace_math("nan_to_num_",
                           lambda t: ops.pointwise.nan_to_num(t, nan, posinf, neginf))

    def clamp_min_(self, min: Any) -> Any:
        return self._inplace_math("clamp_min_", lambda t: ops.pointwise.clamp_min(t, min))

    def clamp_max_(self, max: Any) -> Any:
        return self._inplace_math("clamp_max_", lambda t: ops.pointwise.clamp_max(t, max))

    def lerp_(self, end: Any, weight: Any) -> Any:
        return self._inplace_math("lerp_", lambda t: ops.pointwise.lerp(t, end, weight))

    def div_(self, other: Any, *, rounding_mode: str | None = None) -> Any:
        return self._inplace_math("div_", lambda t: ops.elementwise.div(t, other,
                                                                 rounding_mode=rounding_mode))

    def divide_(self, other: Any, *, rounding_mode: str | None = None) -> Any:
        return self._inplace_math("divide_", lambda t: ops.elementwise.div(t, other,
                                                                    rounding_mode=rounding_mode))

    def true_divide_(self, other: Any) -> Any:
        return self._inplace_math("true_divide_", lambda t: ops.elementwise.div(t, other))

    def floor_divide_(self, other: Any) -> Any:
        return self._inplace_math("floor_divide_", lambda t: ops.logical.overwrite_without_gradient(
            t, ops.pointwise.floor_divide(t, other)))

    def fmod_(self, other: Any) -> Any:
        return self._inplace_math("fmod_", lambda t: ops.pointwise.fmod(t, other))

    def remainder_(self, other: Any) -> Any:
        return self._inplace_math("remainder_", lambda t: ops.pointwise.remainder(t, other))

    def negative_(self) -> Any:
        return self._inplace_math("negative_", ops.elementwise.neg)

    def absolute_(self) -> Any:
        return self._inplace_math("absolute_", ops.elementwise.abs)

    def multiply_(self, other: Any) -> Any:
        return self._inplace_math("multiply_", lambda t: ops.elementwise.mul(t, other))

    def subtract_(self, other: Any, *, alpha: float = 1) -> Any:
        return self._inplace_math("subtract_", lambda t: ops.elementwise.sub(t, other, alpha=alpha))
