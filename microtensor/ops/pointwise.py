"""Pointwise math beyond the basics of ``elementwise.py``: trigonometric and hyperbolic functions
and their inverses, exp/log variants, rounding, division with rounding and remainders, and the
two-argument functions (atan2, hypot, logaddexp, copysign, xlogy, lerp, fmax, fmin).

Every op applies a function f element by element, so its backward is the elementwise chain rule
dL/dx = g · f'(x), with g = dL/dz. Each formula is written with operators and helpers that work
on NumPy arrays (an ordinary backward) and on Tensors (``create_graph=True``), so the same line
gives second derivatives. Where a formula needs f(x) itself (tan, exp2, rsqrt, ...), the *output*
is saved: in a recorded backward it becomes a graph tensor, so it is differentiated too.

Integer inputs follow PyTorch: the math functions compute in the default float dtype; floor,
ceil, round and trunc return the integer tensor unchanged; fmod, remainder and division with a
rounding mode stay integer (and an integer division by zero is an error, as in PyTorch).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from microtensor import _dtypes
from microtensor.autograd.function import Op
from microtensor.ops import array_or_tensor as either
from microtensor.ops import elementwise, promotion
from microtensor.ops.special import (
    ERF_SMALL_FLOAT64,
    blockwise,
    erf_array,
    erf_derivative_times,
    fit_polynomial,
    horner,
)
from microtensor.tensor import Tensor

QUIET = elementwise.QUIET  # inf and nan arise silently, as in PyTorch (no NumPy warnings)
_LN2 = math.log(2.0)
_LN10 = math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_SQRT_PI_OVER_TWO = math.sqrt(math.pi) / 2.0


# --------------------------------------------------------------------------- helpers


def _tensor_or_array(method: str, numpy_function: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """f(x) for a Tensor (the recorded op, a method of that name) or an array (plain NumPy)."""

    def apply(x: Any) -> Any:
        if isinstance(x, Tensor):
            return getattr(x, method)()
        with np.errstate(**QUIET):
            return numpy_function(x)

    return apply


_sqrt = _tensor_or_array("sqrt", np.sqrt)
_sinh = _tensor_or_array("sinh", np.sinh)
_cosh = _tensor_or_array("cosh", np.cosh)


def _check_tensor(name: str, input: Any, argument: str = "input") -> Tensor:
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument '{argument}' must be Tensor, not "
                        f"{type(input).__name__}; make it one first (mt.tensor(...))")
    return input


def _floating(name: str, input: Any) -> Tensor:
    """The input as a floating tensor: integers and bools go to the default float dtype."""
    input = _check_tensor(name, input)
    if input._data.dtype.kind in "biu":
        return elementwise.cast(input, _dtypes.get_default_dtype())
    return input


def _operand(value: Any) -> Any:
    """A Tensor or a Python number (a NumPy scalar becomes a number, an array a Tensor)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return Tensor._make(value)
    if isinstance(value, Tensor | int | float | bool):
        return value
    raise TypeError(f"expected a Tensor or a number, got {type(value).__name__}")


def _in_dtype(x: Any, dtype: np.dtype) -> Any:
    """A Tensor cast to ``dtype``; a number as a 0-d array of ``dtype`` (NumPy then keeps it)."""
    if isinstance(x, Tensor):
        return elementwise.cast(x, dtype)
    return np.asarray(x, dtype=dtype)


def _not_implemented(kernel: str, dtype: np.dtype) -> NotImplementedError:
    return NotImplementedError(
        f'"{kernel}" not implemented for \'{_dtypes.torch_name(dtype)}\'; '
        "convert the tensor to a floating dtype first (x.double())")


def _float_pair(name: str, a: Any, b: Any, integers: str = "promote") -> tuple[Any, Any]:
    """Both operands in their common floating dtype (``result_type``; integer results go to the
    default float dtype, or are refused when ``integers`` names PyTorch's kernel)."""
    a, b = _operand(a), _operand(b)
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        raise TypeError(f"{name}(): expected at least one Tensor argument")
    dtype = promotion.result_type(a, b)
    if dtype.kind in "biu":
        if integers != "promote":
            raise _not_implemented(integers, dtype)
        dtype = _dtypes.get_default_dtype()
    return _in_dtype(a, dtype), _in_dtype(b, dtype)


# --------------------------------------------------------------------------- trigonometry


class TanOp(Op):
    """z = tan x.  dL/dx = g · (1 + tan²x) = g · (1 + z²)."""

    @staticmethod
    def forward(ctx, x):
        with np.errstate(**QUIET):  # tan(±inf) = nan, silently
            out = np.tan(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return (grad * (1 + out * out),)


class AsinOp(Op):
    """z = asin x.  dL/dx = g / √(1 - x²)  (±inf at x = ±1, nan outside [-1, 1])."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(**QUIET):
            return np.arcsin(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        with np.errstate(**QUIET):
            return (grad / _sqrt(1 - x * x),)


class AcosOp(Op):
    """z = acos x.  dL/dx = -g / √(1 - x²)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(**QUIET):
            return np.arccos(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        with np.errstate(**QUIET):
            return (-grad / _sqrt(1 - x * x),)


class AtanOp(Op):
    """z = atan x.  dL/dx = g / (1 + x²)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.arctan(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        with np.errstate(**QUIET):
            return (grad / (1 + x * x),)


class Atan2Op(Op):
    """z = atan2(a, b), the angle of the point (b, a).

    dL/da = g · b / (a² + b²),   dL/db = -g · a / (a² + b²),   and 0 at the origin, where
    atan2 has no derivative (PyTorch's value; selected).
    """

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.arctan2(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        origin = np.asarray((either.data(a) == 0) & (either.data(b) == 0))
        with np.errstate(**QUIET):
            scale = grad / (a * a + b * b)
            if origin.any():
                scale = either.masked_fill(scale, origin, 0.0)
            return scale * b, -scale * a


# --------------------------------------------------------------------------- hyperbolic


class SinhOp(Op):
    """z = sinh x.  dL/dx = g · cosh x."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(**QUIET):
            return np.sinh(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return (grad * _cosh(x),)


class CoshOp(Op):
    """z = cosh x.  dL/dx = g · sinh x."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(**QUIET):
            return np.cosh(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return (grad * _sinh(x),)


class AsinhOp(Op):
    """z = asinh x = ln(x + √(x² + 1)).  dL/dx = g / √(x² + 1)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.arcsinh(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        with np.errstate(**QUIET):
            return (grad / _sqrt(x * x + 1),)


class AcoshOp(Op):
    """z = acosh x (x >= 1; nan below).  dL/dx = g / √(x² - 1)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(**QUIET):
            return np.arccosh(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        with np.errstate(**QUIET):
            return (grad / _sqrt(x * x - 1),)


class AtanhOp(Op):
    """z = atanh x (±inf at ±1).  dL/dx = g / (1 - x²)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(**QUIET):
            return np.arctanh(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        with np.errstate(**QUIET):
            return (grad / (1 - x * x),)


# --------------------------------------------------------------------------- exp and log


class Exp2Op(Op):
    """z = 2ˣ.  dL/dx = g · 2ˣ · ln 2 = g · z · ln 2."""

    @staticmethod
    def forward(ctx, x):
        with np.errstate(**QUIET):
            out = np.exp2(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return (grad * out * _LN2,)


class Expm1Op(Op):
    """z = eˣ - 1 (exact for tiny x).  dL/dx = g · eˣ = g · (z + 1)."""

    @staticmethod
    def forward(ctx, x):
        with np.errstate(**QUIET):
            out = np.expm1(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return (grad * (out + 1),)


class Log2Op(Op):
    """z = log₂ x.  dL/dx = g / (x · ln 2)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(**QUIET):
            return np.log2(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        with np.errstate(**QUIET):
            return (grad / (x * _LN2),)


class Log10Op(Op):
    """z = log₁₀ x.  dL/dx = g / (x · ln 10)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(**QUIET):
            return np.log10(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        with np.errstate(**QUIET):
            return (grad / (x * _LN10),)


class Log1pOp(Op):
    """z = ln(1 + x) (exact for tiny x).  dL/dx = g / (1 + x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(**QUIET):
            return np.log1p(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        with np.errstate(**QUIET):
            return (grad / (1 + x),)


class RsqrtOp(Op):
    """z = 1/√x.  dL/dx = -½ g · x^(-3/2) = -½ g · z³."""

    @staticmethod
    def forward(ctx, x):
        with np.errstate(**QUIET):
            out = 1 / np.sqrt(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        with np.errstate(**QUIET):
            return (-0.5 * grad * (out * out * out),)


class ReciprocalOp(Op):
    """z = 1/x.  dL/dx = -g / x² = -g · z²."""

    @staticmethod
    def forward(ctx, x):
        with np.errstate(**QUIET):
            out = 1 / x
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        with np.errstate(**QUIET):
            return (-grad * (out * out),)


class LogaddexpOp(Op):
    """z = ln(eᵃ + eᵇ), without overflow.

    dL/da = g · eᵃ / (eᵃ + eᵇ) = g · σ(a - b),   dL/db = g · σ(b - a)   (σ: the sigmoid).
    """

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        with np.errstate(**QUIET):
            return np.logaddexp(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        with np.errstate(**QUIET):
            return grad * either.sigmoid(a - b), grad * either.sigmoid(b - a)


class Logaddexp2Op(Op):
    """z = log₂(2ᵃ + 2ᵇ).

    dL/da = g · 2ᵃ / (2ᵃ + 2ᵇ) = g · σ((a - b) ln 2),   dL/db = g · σ((b - a) ln 2).
    """

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        with np.errstate(**QUIET):
            return np.logaddexp2(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        with np.errstate(**QUIET):
            return (grad * either.sigmoid((a - b) * _LN2),
                    grad * either.sigmoid((b - a) * _LN2))


class XlogyOp(Op):
    """z = x · ln y, and 0 where x = 0 (unless y is nan): the convention of entropy sums.

    dL/dx = g · ln y, but 0 where x = 0 and y <= 0 (z is 0 along x = 0 there) and where g = 0
    (as PyTorch's xlogy(g, y));   dL/dy = g · x / y.
    """

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        with np.errstate(**QUIET):
            out = x * np.log(y)
        return np.where((x == 0) & ~np.isnan(y), out.dtype.type(0), out)

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        x_values, y_values = either.data(x), either.data(y)
        with np.errstate(**QUIET):
            no_slope = ((x_values == 0) & (y_values <= 0)) | (
                (either.data(grad) == 0) & ~np.isnan(y_values))
            grad_x = grad * either.log(y)
            if np.any(no_slope):
                grad_x = either.masked_fill(grad_x, np.asarray(no_slope), 0.0)
            return grad_x, grad * x / y


class LogitOp(Op):
    """z = ln(x / (1 - x)), with x first clamped to [eps, 1 - eps] when eps is given.

    dL/dx = g / (x (1 - x)) inside [0, 1] and nan outside it (where z is nan); with eps, 0
    where x was clamped (selected, as PyTorch).

    Differs from PyTorch in the second derivative outside [0, 1] (no eps): PyTorch multiplies
    by its mask, so it gets -0.0 at x = 1.5 and nan at x = -1e-300 (0 · inf); here it is 0
    (the first derivative there is a constant nan).
    """

    @staticmethod
    def forward(ctx, x, *, eps):
        ctx.save_for_backward(x)
        ctx.eps = eps
        if eps is not None:
            x = np.clip(x, eps, 1 - eps)
        with np.errstate(**QUIET):
            return np.log(x / (1 - x))

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        with np.errstate(**QUIET):
            slope = grad / (x * (1 - x))
        values = either.data(x)
        if ctx.eps is None:
            outside = (values < 0) | (values > 1)
            return (either.masked_fill(slope, outside, np.nan) if np.any(outside) else slope,)
        return (either.keep(slope, (values >= ctx.eps) & (values <= 1 - ctx.eps)),)


# --------------------------------------------------------------------------- erfc and erfinv


# (x from which, terms): enough terms of the continued fraction for float64 round-off
_FRACTION_TERMS = ((8.0, 10), (5.0, 20), (3.5, 35))


def _erfc_continued_fraction(x: np.ndarray) -> np.ndarray:
    """erfc(x) for x >= 3.5 by Laplace's continued fraction, evaluated from the tail up:

        erfc(x) = e^(-x²)/√π · 1 / (x + (1/2) / (x + 1 / (x + (3/2) / (x + 2 / (x + ...))))).

    It converges faster as x grows: 35 terms reach round-off at x = 3.5, 10 beyond x = 8
    (and 120 at x = 1.5, too slow: ``_erfc_middle`` covers [1.5, 4)).
    """
    t = np.empty_like(x)
    upper = np.inf
    for start, terms in _FRACTION_TERMS:
        part = (x >= start) & (x < upper)
        upper = start
        if part.any():
            xp = x[part]
            tp = xp.copy()
            for k in range(terms, 0, -1):
                tp = xp + (k / 2) / tp
            t[part] = tp
    with np.errstate(under="ignore", over="ignore"):
        return _exp_of_minus_square(x) / (math.sqrt(math.pi) * t)


def _exp_of_minus_square(x: np.ndarray) -> np.ndarray:
    """e^(-x²) without the rounding of x²: that rounding (relative 1e-16) becomes a relative
    error of x² · 1e-16 in the result (6e-14 at x = 25). With x = high + low, where high has
    few enough bits that high² is exact: e^(-x²) = e^(-high²) · e^(-low (x + high))."""
    high = np.multiply(x, 4096.0)
    np.floor(high, out=high)
    high *= 1 / 4096
    minus_low_x_plus_high = np.subtract(high, x)  # in place below: 3 arrays, not 8
    minus_low_x_plus_high *= x + high
    np.exp(minus_low_x_plus_high, out=minus_low_x_plus_high)
    np.multiply(high, high, out=high)
    np.negative(high, out=high)
    np.exp(high, out=high)
    high *= minus_low_x_plus_high
    return high


def _exp_of_minus_square_scalar(x: float) -> float:
    """``_exp_of_minus_square`` for one Python float: e^(-x²) without the rounding of x²."""
    high = math.floor(x * 4096) / 4096
    return math.exp(-high * high) * math.exp(-(x - high) * (x + high))


# erfc(x) = e^(-x²)·R(u) on 1 <= x <= 4, with R(x) = e^(x²)·erfc(x) a polynomial in
# u = scale/x - shift (1/x mapped onto [-1, 1]), fitted to math.erfc at import for relative
# accuracy (degree 20: within about 1e-14)
_ERFC_MIDDLE_RANGE = (1.0, 4.0)
_ERFC_SCALE = 2 / (1 / _ERFC_MIDDLE_RANGE[0] - 1 / _ERFC_MIDDLE_RANGE[1])
_ERFC_SHIFT = _ERFC_SCALE * (1 / _ERFC_MIDDLE_RANGE[0] + 1 / _ERFC_MIDDLE_RANGE[1]) / 2
_ERFC_MIDDLE = fit_polynomial(
    lambda v: math.erfc(v) / _exp_of_minus_square_scalar(v), *_ERFC_MIDDLE_RANGE, 20,
    variable=lambda v: _ERFC_SCALE / v - _ERFC_SHIFT,
    weight=lambda v: np.array([_exp_of_minus_square_scalar(t) / math.erfc(t) for t in v]),
).tolist()


def _erfc_block(out: np.ndarray, x: np.ndarray, a: np.ndarray, s: np.ndarray, c: np.ndarray,
                e: np.ndarray, mask: np.ndarray) -> None:
    """erfc of one float64 block, with the pieces of ``erfc_array`` selected by 0/1 masks
    (|x| > 4 is redone afterwards), and erfc(x) = 2 - erfc(-x) for x < 0."""
    np.abs(x, out=a)
    # |x| < 1: 1 - erf(|x|), erf from its small piece s + s·P(s²)
    np.clip(a, 0.0, 1.0, out=s)
    np.multiply(s, s, out=c)
    horner(ERF_SMALL_FLOAT64, c, out)
    out *= s
    out += s
    np.subtract(1.0, out, out=out)
    # 1 <= |x| <= 4: e^(-c²)·R(u) (the rounding of c² costs at most 2e-15 here)
    np.clip(a, *_ERFC_MIDDLE_RANGE, out=c)
    np.negative(c, out=e)
    e *= c
    np.exp(e, out=e)
    np.divide(_ERFC_SCALE, c, out=c)
    c -= _ERFC_SHIFT
    horner(_ERFC_MIDDLE, c, s)
    s *= e
    np.less(a, 1.0, out=mask)
    out *= mask
    np.logical_not(mask, out=mask)
    s *= mask
    out += s
    # x < 0
    np.subtract(2.0, out, out=e)
    np.less(x, 0.0, out=mask)
    e *= mask
    np.logical_not(mask, out=mask)
    out *= mask  # (nan stays nan: nan · 0 = nan)
    out += e


def erfc_array(x: np.ndarray) -> np.ndarray:
    """erfc(x) = 1 - erf(x), to float64 round-off also where erf(x) is close to 1.

    1 - erf(x) loses log₁₀(1/erfc(x)) digits, at most 0.8 for |x| < 1, where it is used (a
    relative error below 4e-15). From 1 to 4 a polynomial fit of e^(x²)·erfc(x) in 1/x is
    used, beyond 4 Laplace's continued fraction (35 terms or fewer there; near 1.5 it would
    need 120). For x < 0, erfc(x) = 2 - erfc(-x) cancels nothing. Computed in float64 and
    rounded to the input's dtype, in cache-sized blocks like ``special.erf_array``; the
    pieces are selected by multiplying with 0/1 masks (``np.where`` is 20x slower on random
    masks), except the rare |x| > 4, gathered.
    """
    x = np.asarray(x)
    work = np.ascontiguousarray(x, dtype=np.float64).reshape(-1)
    out = np.empty_like(work)
    with np.errstate(under="ignore", over="ignore", invalid="ignore"):
        blockwise(_erfc_block, 4, out, work)
        far = np.flatnonzero(np.abs(work) > _ERFC_MIDDLE_RANGE[1])
        if far.size:
            value = _erfc_continued_fraction(np.minimum(np.abs(work[far]), 1e300))  # inf: 0
            out[far] = np.where(work[far] < 0, 2 - value, value)
    return out.reshape(x.shape).astype(x.dtype, copy=False)


class ErfcOp(Op):
    """z = erfc x = 1 - erf x.  dL/dx = -g · 2/√π · e^(-x²)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return erfc_array(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        if not (isinstance(x, Tensor) or isinstance(grad, Tensor)):  # in place, no temporaries
            return (np.negative(erf_derivative_times(x, grad)),)
        with np.errstate(**QUIET, under="ignore"):
            return (-grad * (_TWO_OVER_SQRT_PI * either.exp(-(x * x))),)


def _erfinv_first_guess(x: np.ndarray) -> np.ndarray:
    """A first guess at erfinv(x) for 0 <= x < 1, good to a few percent: the inverse of the
    approximation erf(z)² ≈ 1 - exp(-z² (4/π + a z²) / (1 + a z²)) with a = 0.147 (Winitzki),
    which solves in closed form for z²."""
    a = 0.147
    log_term = np.log1p(-x * x)  # ln(1 - x²) < 0
    half = 2 / (math.pi * a) + log_term / 2
    return np.sqrt(np.sqrt(half * half - log_term / a) - half)


def erfinv_array(x: np.ndarray) -> np.ndarray:
    """erfinv, the inverse of erf on (-1, 1): ±inf at ±1, nan outside [-1, 1].

    A closed-form first guess (``_erfinv_first_guess``, good to 2e-3) is refined by Halley's
    method on f(z) = erf z - x: with f' = 2/√π e^(-z²), f'' = -2z f' and the Newton step
    s = f / f', the step is z ← z - s / (1 + z s). It triples the correct digits at each step,
    so two steps reach round-off. Near |x| = 1 the residual is computed as (1 - |x|) - erfc z
    instead (1 - |x| is exact there, while erf z would round to 1). Computed in float64 and
    rounded to the input's dtype; odd, so done on |x|.
    """
    x = np.asarray(x)
    a = np.abs(x.astype(np.float64))
    inside = a < 1
    u = np.where(inside, a, 0.0)
    tail = u > 0.5
    complement = 1 - u[tail]  # exact for u in [0.5, 1] (Sterbenz)
    with np.errstate(**QUIET):
        z = _erfinv_first_guess(u)
        for _ in range(2):
            residual = np.empty_like(z)
            residual[tail] = complement - erfc_array(z[tail])
            residual[~tail] = erf_array(z[~tail]) - u[~tail]
            newton_step = residual / (_TWO_OVER_SQRT_PI * np.exp(-z * z))
            z = z - newton_step / (1 + z * newton_step)
    out = np.where(inside, z, np.where(a == 1, np.inf, np.nan))
    return np.copysign(out, x).astype(x.dtype, copy=False)


class ErfinvOp(Op):
    """z = erfinv x, so erf z = x.  dL/dx = g / erf'(z) = g · √π/2 · e^(z²)."""

    @staticmethod
    def forward(ctx, x):
        out = erfinv_array(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        with np.errstate(**QUIET):
            return (grad * (_SQRT_PI_OVER_TWO * either.exp(out * out)),)


# --------------------------------------------------------------------------- rounding


class StepFunctionOp(Op):
    """z = floor x, ceil x, round x or trunc x: piecewise constant, so dL/dx = 0 (as PyTorch;
    at the jumps there is no derivative, and 0 is the value PyTorch uses)."""

    @staticmethod
    def forward(ctx, x, *, function):
        return function(x)

    @staticmethod
    def backward(ctx, grad):
        return (either.zeros_like(grad),)


class FracOp(Op):
    """z = x - trunc x, the fractional part (with x's sign).  dL/dx = g."""

    @staticmethod
    def forward(ctx, x):
        with np.errstate(**QUIET):
            return x - np.trunc(x)

    @staticmethod
    def backward(ctx, grad):
        return (grad,)


def _round_to_decimals(decimals: int) -> Callable[[np.ndarray], np.ndarray]:
    """Round half to even at ``decimals`` digits: rint(x · 10ᵈ) / 10ᵈ (d < 0: rint(x / 10⁻ᵈ) ·
    10⁻ᵈ), PyTorch's formula."""
    if decimals > 0:
        scale = 10.0**decimals
        return lambda x: np.rint(x * scale) / scale
    scale = 10.0 ** (-decimals)
    return lambda x: np.rint(x / scale) * scale


# --------------------------------------------------------------------------- division


def _floor_division(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """⌊a / b⌋ as Python and PyTorch compute it for floats (from fmod, so exact)."""
    with np.errstate(**QUIET):
        return np.floor_divide(a, b)


def _trunc_division(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(**QUIET):
        return np.trunc(a / b)


def _pytorch_remainder(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a - b ⌊a / b⌋, with the divisor's sign: fmod(a, b), moved by b when the signs differ.
    (Unlike NumPy's remainder it keeps fmod's -0.0, as PyTorch does.)"""
    with np.errstate(**QUIET):
        rest = np.fmod(a, b)
        return np.where((rest != 0) & ((b < 0) != (rest < 0)), rest + b, rest)


class RoundedDivisionOp(Op):
    """z = trunc(a / b) or ⌊a / b⌋ (``div`` with a rounding mode) for floats: piecewise
    constant, so dL/da = dL/db = 0, as in PyTorch."""

    @staticmethod
    def forward(ctx, a, b, *, function):
        return function(a, b)

    @staticmethod
    def backward(ctx, grad):
        zeros = either.zeros_like(grad)
        return zeros, zeros


class FmodOp(Op):
    """z = fmod(a, b) = a - b · trunc(a / b), with a's sign (C's fmod).

    dL/da = g,   dL/db = -g · trunc(a / b)   (the quotient is piecewise constant).
    """

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        with np.errstate(**QUIET):
            return np.fmod(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = (either.data(v) for v in ctx.saved_tensors)
        return grad, -grad * _trunc_division(a, b)


class RemainderOp(Op):
    """z = a mod b = a - b · ⌊a / b⌋, with b's sign (Python's %).

    dL/da = g,   dL/db = -g · ⌊a / b⌋   (the quotient is piecewise constant).
    """

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _pytorch_remainder(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = (either.data(v) for v in ctx.saved_tensors)
        return grad, -grad * _floor_division(a, b)


# --------------------------------------------------------------------------- two arguments


class HypotOp(Op):
    """z = √(a² + b²) without overflow.  dL/da = g · a / z,  dL/db = g · b / z."""

    @staticmethod
    def forward(ctx, a, b):
        out = np.hypot(a, b)
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, b, out = ctx.saved_tensors
        with np.errstate(**QUIET):
            scale = grad / out
            return scale * a, scale * b


class CopysignOp(Op):
    """z = |a| with the sign of b (the sign bit: -0.0 counts as negative).

    dL/da = g · z / a: +g where a already has b's sign, -g where it is flipped; 0 at a = 0
    (selected) and nan at a = ±inf or nan (inf / inf), as PyTorch.  dL/db = 0.
    """

    @staticmethod
    def forward(ctx, a, b):
        out = np.copysign(a, b)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, out = (either.data(v) for v in ctx.saved_tensors)
        with np.errstate(**QUIET):
            sign_change = np.where(a == 0, a.dtype.type(0), out / a)  # a constant: ±1 (or nan)
        return either.keep(grad * sign_change, np.asarray(a != 0)), either.zeros_like(grad)


class LerpOp(Op):
    """z = start + w · (end - start), evaluated from the nearer end as PyTorch does
    (end - (end - start)(1 - w) for w >= ½), so z = end exactly at w = 1.

    dL/dstart = g · (1 - w),   dL/dend = g · w,   dL/dw = g · (end - start).
    """

    @staticmethod
    def forward(ctx, start, end, weight):
        ctx.save_for_backward(start, end, weight)
        difference = end - start
        return np.where(np.abs(weight) < 0.5, start + weight * difference,
                        end - difference * (1 - weight))

    @staticmethod
    def backward(ctx, grad):
        start, end, weight = ctx.saved_tensors
        return grad * (1 - weight), grad * weight, grad * (end - start)


class FmaxOp(Op):
    """z = max(a, b), ignoring a nan (nan only where both are nan).

    dL/da = g where a >= b or b is nan, else 0;  dL/db = g elsewhere (a tie goes to a, as in
    PyTorch). Selected, not multiplied by a mask.
    """

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.fmax(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = (either.data(v) for v in ctx.saved_tensors)
        to_a = np.asarray((a >= b) | np.isnan(b))
        return either.keep(grad, to_a), either.masked_fill(grad, to_a, 0.0)


class FminOp(Op):
    """z = min(a, b), ignoring a nan.  dL/da = g where a <= b or b is nan; dL/db elsewhere."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.fmin(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = (either.data(v) for v in ctx.saved_tensors)
        to_a = np.asarray((a <= b) | np.isnan(b))
        return either.keep(grad, to_a), either.masked_fill(grad, to_a, 0.0)


class NanToNumOp(Op):
    """z = x with nan, +inf and -inf replaced by given numbers.

    dL/dx = g where x is finite, 0 where it was replaced (selected: PyTorch multiplies by the
    mask, which gives nan there for an infinite g; the derivative of a constant is 0).
    """

    @staticmethod
    def forward(ctx, x, *, nan, posinf, neginf):
        finite = np.isfinite(x)
        ctx.save_for_backward(finite)
        return np.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)

    @staticmethod
    def backward(ctx, grad):
        (finite,) = ctx.saved_tensors
        return (either.keep(grad, finite),)


# =========================================================================== public functions
# (Tensor methods in microtensor/methods/pointwise.py call these.)


def _unary(op: type[Op], name: str) -> Callable[[Tensor], Tensor]:
    """The public function of a math op: integer input computes in the default float dtype."""

    def function(input: Tensor) -> Tensor:
        return op.apply(_floating(name, input))

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"{op.__doc__.splitlines()[0]}  (``torch.{name}``)"
    return function


tan = _unary(TanOp, "tan")
asin = _unary(AsinOp, "asin")
acos = _unary(AcosOp, "acos")
atan = _unary(AtanOp, "atan")
sinh = _unary(SinhOp, "sinh")
cosh = _unary(CoshOp, "cosh")
asinh = _unary(AsinhOp, "asinh")
acosh = _unary(AcoshOp, "acosh")
atanh = _unary(AtanhOp, "atanh")
exp2 = _unary(Exp2Op, "exp2")
expm1 = _unary(Expm1Op, "expm1")
log2 = _unary(Log2Op, "log2")
log10 = _unary(Log10Op, "log10")
log1p = _unary(Log1pOp, "log1p")
rsqrt = _unary(RsqrtOp, "rsqrt")
reciprocal = _unary(ReciprocalOp, "reciprocal")
erfc = _unary(ErfcOp, "erfc")
erfinv = _unary(ErfinvOp, "erfinv")

# NumPy's names, which PyTorch also has
arcsin, arccos, arctan = asin, acos, atan
arcsinh, arccosh, arctanh = asinh, acosh, atanh


def square(input: Tensor) -> Tensor:
    """x², as ``torch.square`` (= x ** 2: integers stay integer, bool becomes int64)."""
    input = _check_tensor("square", input)
    if input._data.dtype.kind == "b":
        input = elementwise.cast(input, np.int64)
    with np.errstate(**QUIET):  # (1e300)² = inf, silently
        return elementwise.pow(input, 2)


def _step_function(name: str, function: Callable[[np.ndarray], np.ndarray],
                   input: Tensor) -> Tensor:
    input = _check_tensor(name, input)
    kind = input._data.dtype.kind
    if kind == "b":
        kernel = "round" if name == "round" else f"{name}_vml"
        raise _not_implemented(f"{kernel}_cpu", input._data.dtype)
    if kind in "iu":
        return Tensor._make(input._data.copy())  # integers are already whole numbers
    return StepFunctionOp.apply(input, function=function)


def floor(input: Tensor) -> Tensor:
    """The largest integer <= x, elementwise; integer tensors are returned as they are."""
    return _step_function("floor", np.floor, input)


def ceil(input: Tensor) -> Tensor:
    """The smallest integer >= x, elementwise; integer tensors are returned as they are."""
    return _step_function("ceil", np.ceil, input)


def trunc(input: Tensor) -> Tensor:
    """x rounded toward zero, elementwise; integer tensors are returned as they are."""
    return _step_function("trunc", np.trunc, input)


fix = trunc


def round(input: Tensor, *, decimals: int = 0) -> Tensor:
    """x rounded to ``decimals`` digits, halves to even (``torch.round``): round(2.5) = 2.

    With decimals ≠ 0 the value is rint(x · 10ᵈ) / 10ᵈ, so the result is the float nearest that
    (0.125 at 2 digits is 0.12, as in PyTorch).
    """
    input = _check_tensor("round", input)
    if decimals != 0 and input._data.dtype.kind in "biu":
        raise _not_implemented("round_cpu", input._data.dtype)
    function = np.rint if decimals == 0 else _round_to_decimals(decimals)
    with np.errstate(**QUIET):
        return _step_function("round", function, input)


def frac(input: Tensor) -> Tensor:
    """x - trunc(x), the fractional part with x's sign (frac(-1.5) = -0.5)."""
    input = _check_tensor("frac", input)
    if input._data.dtype.kind in "biu":
        raise _not_implemented("frac_cpu", input._data.dtype)
    return FracOp.apply(input)


def sgn(input: Tensor) -> Tensor:
    """sign(x) (for real tensors ``sgn`` and ``sign`` are the same function)."""
    return elementwise.sign(_check_tensor("sgn", input))


def logit(input: Tensor, eps: float | None = None) -> Tensor:
    """ln(x / (1 - x)), the inverse of the sigmoid; with ``eps``, x is clamped to
    [eps, 1 - eps] first (and the gradient is 0 where it was clamped)."""
    return LogitOp.apply(_floating("logit", input), eps=eps)


def nan_to_num(input: Tensor, nan: float = 0.0, posinf: float | None = None,
               neginf: float | None = None) -> Tensor:
    """nan → ``nan``, +inf → ``posinf``, -inf → ``neginf`` (by default the largest and the
    lowest finite value of the dtype). Integer and bool tensors are returned as copies."""
    input = _check_tensor("nan_to_num", input)
    dtype = input._data.dtype
    if dtype.kind in "biu":
        return Tensor._make(input._data.copy())
    info = np.finfo(dtype)
    return NanToNumOp.apply(input, nan=nan, posinf=info.max if posinf is None else posinf,
                            neginf=info.min if neginf is None else neginf)


def clamp_min(input: Tensor, min: Any) -> Tensor:
    """max(x, min): ``clamp(input, min=min)``."""
    return elementwise.clamp(input, min=min)


def clamp_max(input: Tensor, max: Any) -> Tensor:
    """min(x, max): ``clamp(input, max=max)``."""
    return elementwise.clamp(input, max=max)


def negative(input: Tensor) -> Tensor:
    """-x (NumPy's name for ``neg``)."""
    return elementwise.neg(input)


def absolute(input: Tensor) -> Tensor:
    """|x| (NumPy's name for ``abs``)."""
    return elementwise.abs(input)


def multiply(input: Any, other: Any) -> Tensor:
    """input · other (NumPy's name for ``mul``)."""
    return elementwise.mul(input, other)


def subtract(input: Any, other: Any, *, alpha: float = 1) -> Tensor:
    """input - alpha · other (NumPy's name for ``sub``)."""
    return elementwise.sub(input, other, alpha=alpha)


def divide(input: Any, other: Any, *, rounding_mode: str | None = None) -> Tensor:
    """input / other, optionally rounded (NumPy's name for ``div``)."""
    return elementwise.div(input, other, rounding_mode=rounding_mode)


def true_divide(input: Any, other: Any) -> Tensor:
    """input / other, always true division (``div`` without a rounding mode)."""
    return elementwise.div(input, other)


# --------------------------------------------------------------------------- division


_ROUNDINGS = {"trunc": _trunc_division, "floor": _floor_division}


def rounded_division(input: Any, other: Any, rounding_mode: str) -> Tensor:
    """``div(input, other, rounding_mode=...)``: trunc(a / b) or ⌊a / b⌋, in
    ``result_type(a, b)`` (integers stay integers, and dividing them by zero is an error)."""
    if rounding_mode not in _ROUNDINGS:
        raise RuntimeError(
            "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
            f"{rounding_mode!r}")
    kernel = f"div_{rounding_mode}_cpu"
    a, b = _operand(input), _operand(other)
    dtype = promotion.result_type(a, b)
    if dtype.kind in "biu":
        function = _integer_trunc_division if rounding_mode == "trunc" else np.floor_divide
        return _integer_result("div", kernel, function, a, b, dtype)
    a, b = _in_dtype(a, dtype), _in_dtype(b, dtype)
    return RoundedDivisionOp.apply(a, b, function=_ROUNDINGS[rounding_mode])


def floor_divide(input: Any, other: Any) -> Tensor:
    """⌊input / other⌋ (Python's //), as ``torch.floor_divide``.

    Differs from PyTorch on purpose: PyTorch's result of a float ``//`` requires grad but its
    backward raises "not implemented"; here it carries no gradient (use
    ``div(a, b, rounding_mode="floor")``, whose gradient is 0, to keep a graph).
    """
    a, b = _operand(input), _operand(other)
    dtype = promotion.result_type(a, b)
    if dtype.kind in "biu":
        return _integer_result("floor_divide", "div_floor_cpu", np.floor_divide, a, b, dtype)
    return Tensor._make(np.asarray(_floor_division(_array_in(a, dtype), _array_in(b, dtype))))


def _integer_trunc_division(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Integer a / b rounded toward zero, exactly: floor division, plus one where the division
    was inexact and the signs differ."""
    quotient = np.floor_divide(a, b)
    inexact = (quotient * b != a) & ((a < 0) != (b < 0))
    return quotient + inexact.astype(quotient.dtype)


def _array_in(x: Any, dtype: np.dtype) -> np.ndarray:
    if isinstance(x, Tensor):
        return x._data.astype(dtype, copy=False)
    return np.asarray(x).astype(dtype)  # a Python int wraps into range, as in PyTorch


def _integer_result(name: str, kernel: str, function: Callable[..., np.ndarray], a: Any, b: Any,
                    dtype: np.dtype) -> Tensor:
    """An integer division-like op (no gradient): refused for bool, and for a zero divisor."""
    if dtype.kind == "b":
        raise _not_implemented(kernel, dtype)
    a, b = _array_in(a, dtype), _array_in(b, dtype)
    if np.any(b == 0):
        raise RuntimeError(
            f"ZeroDivisionError: {name} of {dtype} values by zero (divisor of shape "
            f"{b.shape}); integer division by zero is undefined. Check the divisor, or use "
            "floating point tensors, which give inf or nan.")
    try:
        return Tensor._make(np.asarray(function(a, b)))
    except ValueError:
        raise elementwise._broadcast_error(name, a, b) from None


def fmod(input: Tensor, other: Any) -> Tensor:
    """a - b · trunc(a / b): the remainder with the dividend's sign (C's fmod); differentiable
    for floats (dL/da = g, dL/db = -g · trunc(a / b))."""
    _check_tensor("fmod", input)
    return _division_remainder("fmod", "fmod_cpu", FmodOp, np.fmod, input, other)


def remainder(input: Any, other: Any) -> Tensor:
    """a - b · ⌊a / b⌋: the remainder with the divisor's sign (Python's %); differentiable for
    floats (dL/da = g, dL/db = -g · ⌊a / b⌋)."""
    return _division_remainder("remainder", "remainder_cpu", RemainderOp, np.remainder, input,
                               other)


def _division_remainder(name: str, kernel: str, op: type[Op],
                        integer_function: Callable[..., np.ndarray], a: Any, b: Any) -> Tensor:
    a, b = _operand(a), _operand(b)
    dtype = promotion.result_type(a, b)
    if dtype.kind in "biu":
        return _integer_result(name, kernel, integer_function, a, b, dtype)
    return op.apply(_in_dtype(a, dtype), _in_dtype(b, dtype))


# --------------------------------------------------------------------------- two arguments


def atan2(input: Tensor, other: Any) -> Tensor:
    """The angle of the point (other, input) in (-π, π]; integers give the default float."""
    _check_tensor("atan2", input)
    _check_tensor("atan2", other, "other")
    return Atan2Op.apply(*_float_pair("atan2", input, other))


arctan2 = atan2


def hypot(input: Tensor, other: Any) -> Tensor:
    """√(input² + other²), without overflow (floating tensors only, as in PyTorch)."""
    _check_tensor("hypot", input)
    _check_tensor("hypot", other, "other")
    return HypotOp.apply(*_float_pair("hypot", input, other, integers="hypot_cpu"))


def logaddexp(input: Tensor, other: Any) -> Tensor:
    """ln(eᵃ + eᵇ), without overflow (floating tensors only, as in PyTorch)."""
    _check_tensor("logaddexp", input)
    _check_tensor("logaddexp", other, "other")
    return LogaddexpOp.apply(*_float_pair("logaddexp", input, other, integers="logaddexp_cpu"))


def logaddexp2(input: Tensor, other: Any) -> Tensor:
    """log₂(2ᵃ + 2ᵇ), without overflow (floating tensors only, as in PyTorch)."""
    _check_tensor("logaddexp2", input)
    _check_tensor("logaddexp2", other, "other")
    return Logaddexp2Op.apply(*_float_pair("logaddexp2", input, other,
                                           integers="logaddexp2_cpu"))


def copysign(input: Tensor, other: Any) -> Tensor:
    """|input| with the sign (bit) of other; integers give the default float."""
    _check_tensor("copysign", input)
    return CopysignOp.apply(*_float_pair("copysign", input, other))


def xlogy(input: Any, other: Any) -> Tensor:
    """input · ln(other), and 0 where input = 0 (unless other is nan); either may be a number."""
    return XlogyOp.apply(*_float_pair("xlogy", input, other))


def lerp(input: Tensor, end: Tensor, weight: Any) -> Tensor:
    """input + weight · (end - input); ``weight`` a number or a tensor. All tensors must share
    one floating dtype, as in PyTorch."""
    tensors = [_check_tensor("lerp", input), _check_tensor("lerp", end)]
    if isinstance(weight, Tensor):
        tensors.append(weight)
    dtype = input._data.dtype
    if dtype.kind not in "f":
        raise _not_implemented("lerp_kernel_scalar" if len(tensors) == 2 else
                               "lerp_kernel_tensor", dtype)
    for name, t in zip(("end", "weight"), tensors[1:]):
        if t._data.dtype != dtype:
            raise RuntimeError(
                f"lerp: expected dtype {_dtypes.torch_name(dtype).lower()} for `{name}` but got "
                f"dtype {_dtypes.torch_name(t._data.dtype).lower()}; convert it first "
                "(.to(input.dtype))")
    if not isinstance(weight, Tensor):
        weight = _operand(weight)
    return LerpOp.apply(input, end, weight)


def fmax(input: Tensor, other: Tensor) -> Tensor:
    """max(a, b) elementwise, ignoring nan (the other value wins), as ``torch.fmax``."""
    return _maximum_like("fmax", FmaxOp, np.fmax, input, other)


def fmin(input: Tensor, other: Tensor) -> Tensor:
    """min(a, b) elementwise, ignoring nan (the other value wins), as ``torch.fmin``."""
    return _maximum_like("fmin", FminOp, np.fmin, input, other)


def _maximum_like(name: str, op: type[Op], function: Callable[..., np.ndarray], a: Any,
                  b: Any) -> Tensor:
    _check_tensor(name, a)
    _check_tensor(name, b, "other")
    dtype = promotion.result_type(a, b)
    if dtype.kind in "biu":
        return Tensor._make(np.asarray(function(_array_in(a, dtype), _array_in(b, dtype))))
    return op.apply(_in_dtype(a, dtype), _in_dtype(b, dtype))


def heaviside(input: Tensor, values: Tensor) -> Tensor:
    """The step function: 0 for x < 0, ``values`` at x = 0, 1 for x > 0 (no gradient).

    Both tensors must have the same dtype, as in PyTorch. Differs from PyTorch: PyTorch's result
    of a tensor that requires grad also requires grad, and its backward raises "not
    implemented"; here the result carries no gradient.
    """
    _check_tensor("heaviside", input)
    _check_tensor("heaviside", values)
    if input._data.dtype != values._data.dtype:
        raise RuntimeError(
            "heaviside is not yet implemented for tensors with different dtypes "
            f"({_dtypes.torch_name(input._data.dtype)} and "
            f"{_dtypes.torch_name(values._data.dtype)}); convert one first")
    x, at_zero = input._data, values._data
    try:
        shape = np.broadcast_shapes(x.shape, at_zero.shape)
    except ValueError:
        raise elementwise._broadcast_error("heaviside", input, values) from None
    one, zero = x.dtype.type(1), x.dtype.type(0)
    step = np.where(x == 0, at_zero, np.where(x > 0, one, zero))
    return Tensor._make(np.asarray(np.broadcast_to(step, shape).astype(x.dtype)))
