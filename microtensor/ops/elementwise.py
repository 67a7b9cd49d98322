"""Elementwise primitives: arithmetic, exp/log, trigonometry, activations, clamp, where.

For z = f(x) applied element by element, the chain rule is elementwise too:
dL/dx = dL/dz * f'(x). Each backward below is that product, written so it runs on arrays (first
order) and on Tensors (``create_graph=True``); see ``ops/array_or_tensor.py``. Broadcasting needs
no care here: the engine sums each gradient back to its input's shape.
"""

from __future__ import annotations

import builtins
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from microtensor import _dtypes, ops
from microtensor._out import write_out
from microtensor.autograd.function import Op
from microtensor.ops import array_or_tensor as either
from microtensor.ops import promotion
from microtensor.tensor import Tensor, bind_operator_ops

# --------------------------------------------------------------------------- operands


_PASS_THROUGH = (Tensor, int, float)

# NumPy warns when a computation makes inf or nan (log 0, 1/0, sqrt(-1), exp(1000)); PyTorch
# returns the same values silently. The few ops where such values arise compute inside
# ``np.errstate(**QUIET)``; the others (add, mul, ...) pay nothing for it.
QUIET = {"divide": "ignore", "invalid": "ignore", "over": "ignore"}


def _operand(value: Any) -> Any:
    """Tensors and Python numbers pass through; NumPy arrays become (constant) Tensors.

    Lists and tuples are refused, as PyTorch refuses them (``t + [1., 2.]`` is a TypeError there;
    silently making them float64 arrays changed the result's dtype here)."""
    if isinstance(value, np.generic) and value.dtype.kind in "biuf":
        return value.item()  # a NumPy scalar promotes like a Python number, as in PyTorch
    if isinstance(value, _PASS_THROUGH):
        return value
    if isinstance(value, np.ndarray | np.generic):
        return Tensor._make(np.asarray(value))
    raise TypeError(
        f"unsupported operand type(s): a Tensor and a {type(value).__name__}; an operand must be "
        f"a Tensor or a number (make a {type(value).__name__} a tensor first: mt.tensor(...))"
    )


_INTEGER_RANGES: dict[np.dtype, tuple[int, int]] = {}


def _integer_range(dtype: np.dtype) -> tuple[int, int]:
    if dtype not in _INTEGER_RANGES:
        info = np.iinfo(dtype)
        _INTEGER_RANGES[dtype] = (int(info.min), int(info.max))
    return _INTEGER_RANGES[dtype]


def _to_dtype(x: Any, dtype: np.dtype) -> Any:
    """An operand ready to compute in ``dtype``: a Tensor cast to it; a Python number as it is
    (NumPy keeps the array's dtype for it), except an integer outside the range of an integer
    ``dtype``, which wraps around as in PyTorch (uint8 tensor + (-1) adds 255)."""
    if isinstance(x, Tensor):
        return cast(x, dtype)
    if type(x) is int and dtype.kind in "iu":
        low, high = _integer_range(dtype)
        if not low <= x <= high:
            return np.asarray(x).astype(dtype)
    return x


def _promote(a: Any, b: Any) -> tuple[Any, Any]:
    """Both operands in their common dtype, ``promotion.result_type(a, b)`` (PyTorch's rules)."""
    a, b = _operand(a), _operand(b)
    dtype = promotion.result_type(a, b)
    return _to_dtype(a, dtype), _to_dtype(b, dtype)


def fill_value(op: str, value: Any, dtype: np.dtype) -> np.ndarray:
    """A Python number as a 0-d array of ``dtype``, converted as PyTorch converts a fill value
    or a bound (``masked_fill``, ``clamp``, ``where``): a float is truncated toward zero for an
    integer dtype; a value that does not fit is an error, not a silent wrap."""
    value = value.item() if isinstance(value, np.generic) else value
    if dtype.kind == "b":
        return np.asarray(bool(value))
    if dtype.kind in "iu":
        low, high = _integer_range(dtype)
        if type(value) is not float and dtype.kind == "u":
            low = -high  # PyTorch lets a negative integer wrap into an unsigned dtype
        if not low <= value <= high:  # also false for nan
            raise RuntimeError(f"{op}: value {value} cannot be converted to type {dtype} "
                               "without overflow; convert the tensor to a wider dtype first")
        return np.asarray(int(value)).astype(dtype)
    if dtype.kind == "f" and math.isfinite(value) and builtins.abs(value) > np.finfo(dtype).max:
        raise RuntimeError(f"{op}: value {value} cannot be converted to type {dtype} without "
                           "overflow; convert the tensor to a wider dtype first")
    return np.asarray(value, dtype=dtype)


def _shape_of(x: Any) -> tuple[int, ...]:
    return tuple(x.shape) if isinstance(x, Tensor) else np.shape(x)


def _broadcast_error(op: str, a: Any, b: Any) -> RuntimeError:
    return RuntimeError(
        f"{op}: shapes {_shape_of(a)} and {_shape_of(b)} cannot be broadcast together. "
        "Broadcasting aligns shapes from the right; each pair of sizes must be equal or one of "
        "them 1. Reshape or unsqueeze one operand."
    )


def _binary(op: type[Op], a: Any, b: Any) -> Tensor:
    if a.__class__ is not Tensor or b.__class__ is not Tensor or a._data.dtype != b._data.dtype:
        a, b = _promote(a, b)
    return op.apply(a, b)


def constant_result(name: str, function: Callable[..., Any], *operands: Any) -> Tensor:
    """Comparisons, floor division, remainder...: results that carry no gradient.

    Two operands are first brought to their ``result_type``, as PyTorch does (int32 // float32
    is float32; uint8 == -1 compares with 255).
    """
    values = [_operand(x) for x in operands]
    if len(values) == 2 and not _same_float_dtype(*values):
        dtype = promotion.result_type(*values)
        values = [_to_dtype(x, dtype) for x in values]
        if name in _INTEGER_DIVISIONS:
            _check_division(name, dtype, values[1])
    arrays = [x._data if isinstance(x, Tensor) else x for x in values]
    try:
        with np.errstate(**QUIET):  # float // 0 is ±inf or nan, silently, as in PyTorch
            return Tensor._make(np.asarray(function(*arrays)))
    except ValueError as error:
        if "broadcast" in str(error) and len(operands) == 2:
            raise _broadcast_error(name, *operands) from None
        raise


def _same_float_dtype(a: Any, b: Any) -> bool:
    """The common case that needs no promotion: float tensors of one dtype, or a float tensor
    and a Python int or float (which NumPy, as PyTorch, computes in the tensor's dtype)."""
    if a.__class__ is Tensor and a._data.dtype.kind == "f":
        other = b
    elif b.__class__ is Tensor and b._data.dtype.kind == "f":
        other = a
    else:
        return False
    if other.__class__ is Tensor:
        return a._data.dtype == b._data.dtype
    return other.__class__ is int or other.__class__ is float


# floor_divide and remainder: the name PyTorch's error gives the kernel that has no bool version
_INTEGER_DIVISIONS = {"floor_divide": "div_floor_cpu", "remainder": "remainder_cpu"}


def _check_division(name: str, dtype: np.dtype, divisor: Any) -> None:
    """Integer floor division and remainder by zero are errors in PyTorch (floats give inf/nan)."""
    if dtype.kind == "b":
        raise NotImplementedError(
            f'{name}: "{_INTEGER_DIVISIONS[name]}" not implemented for \'Bool\'; convert the '
            "bool tensors to an integer dtype first (x.long())"
        )
    if dtype.kind in "iu":
        divisor = divisor._data if isinstance(divisor, Tensor) else divisor
        if np.any(np.asarray(divisor) == 0):
            raise RuntimeError(
                f"ZeroDivisionError: {name} of {dtype} values by zero (divisor of shape "
                f"{np.shape(divisor)}); integer division by zero is undefined. Check the "
                "divisor, or divide floating point tensors, which give inf or nan."
            )


# --------------------------------------------------------------------------- arithmetic


class AddOp(Op):
    """z = a + b.  dL/da = g,  dL/db = g."""

    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, grad):
        return grad, grad


class SubOp(Op):
    """z = a - b.  dL/da = g,  dL/db = -g."""

    @staticmethod
    def forward(ctx, a, b):
        try:
            return a - b
        except TypeError:  # NumPy refuses bool - bool; say it as PyTorch does
            raise _bool_subtraction_error(a, b) from None

    @staticmethod
    def backward(ctx, grad):
        return grad, -grad


def _is_bool(x: Any) -> bool:
    data = x._data if isinstance(x, Tensor) else x
    return isinstance(data, builtins.bool | np.bool_) or (
        isinstance(data, np.ndarray) and data.dtype.kind == "b")


def _bool_subtraction_error(a: Any, b: Any) -> Exception:
    if _is_bool(a) and _is_bool(b):
        return RuntimeError(
            "sub: Subtraction, the `-` operator, with two bool tensors is not supported. Use the "
            "`^` or `logical_xor()` operator instead.")
    if _is_bool(a) or _is_bool(b):
        return RuntimeError(
            "sub: Subtraction, the `-` operator, with a bool tensor is not supported. If you are "
            "trying to invert a mask, use the `~` or `logical_not()` operator instead.")
    return TypeError(f"sub: unsupported operand types {type(a).__name__} and {type(b).__name__}")


class MulOp(Op):
    """z = a * b.  dL/da = g * b,  dL/db = g * a."""

    saved_for_gradient_of = (1, 0)  # a is needed only for dL/db, b only for dL/da

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return grad * b, grad * a


class DivOp(Op):
    """z = a / b.  dL/da = g / b,  dL/db = -g * a / b².

    x / 0 is ±inf (0 / 0 nan) without a NumPy warning, as in PyTorch.
    """

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        with np.errstate(**QUIET):
            return a / b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        with np.errstate(**QUIET):
            grad_a = grad / b
            return grad_a, -grad_a * a / b


class NegOp(Op):
    """z = -x.  dL/dx = -g."""

    @staticmethod
    def forward(ctx, x):
        try:
            return -x
        except TypeError:  # NumPy refuses -bool
            raise RuntimeError(
                "neg: Negation, the `-` operator, on a bool tensor is not supported. If you are "
                "trying to invert a mask, use the `~` or `logical_not()` operator instead."
            ) from None

    @staticmethod
    def backward(ctx, grad):
        return (-grad,)


class PowScalarOp(Op):
    """z = x ** p for a constant p.  dL/dx = g * p * x^(p-1).

    At x = 0 that is 0 for p > 1, g for p = 1, ±inf for p < 1 (as PyTorch); for p = 0, z = 1 is
    constant and dL/dx = 0 everywhere (the formula would give 0 * inf at x = 0).
    """

    @staticmethod
    def forward(ctx, x, *, exponent):
        ctx.save_for_backward(x)
        ctx.exponent = exponent
        if exponent == 2:
            return x * x
        with np.errstate(**QUIET):  # 0 ** -1 = inf, (-1) ** 0.5 = nan
            return x**exponent

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        p = ctx.exponent
        if p == 2:
            return (grad * 2 * x,)
        if p == 0:
            return (either.zeros_like(grad),)
        with np.errstate(**QUIET):
            return (grad * p * x ** (p - 1),)


class PowOp(Op):
    """z = a ** b with a tensor exponent.

    dL/da = g * b * a^(b-1),   dL/db = g * z * ln(a).

    Where the formulas meet 0 * inf they take the limit PyTorch takes: dL/da = 0 at a = b = 0
    (a^0 = 1 is constant in a), and dL/db = 0 at a = 0, b >= 0 (0^b is constant there for
    b > 0). Only those points are masked; elsewhere the formula is used as it is, so that its
    own derivatives are right: at b = 0, d²z/(da db) = 1/a from either side, and at a = 0,
    b < 0, dL/db = inf * ln 0 = -inf, as in PyTorch. (PyTorch replaces dL/da by a constant 0 on
    all of b = 0, so differentiating its dL/da by b gives 0 there instead of 1/a, while its
    dL/db differentiated by a gives 1/a: its Hessian is not symmetric. Ours is.)
    """

    @staticmethod
    def forward(ctx, a, b):
        with np.errstate(**QUIET):
            out = np.power(a, b)
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, b, out = ctx.saved_tensors
        a_values, b_values = either.data(a), either.data(b)
        with np.errstate(**QUIET):
            zero_both = (a_values == 0) & (b_values == 0)
            base = either.masked_fill(a, zero_both, 1.0) if np.any(zero_both) else a
            grad_a = grad * b * base ** (b - 1)
            zero_base = (a_values == 0) & (b_values >= 0)
            base = either.masked_fill(a, zero_base, 1.0) if np.any(zero_base) else a
            return grad_a, grad * out * either.log(base)


class CloneOp(Op):
    """z = copy of x.  dL/dx = g."""

    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, grad):
        return (grad,)


class CastOp(Op):
    """z = x converted to another dtype.  dL/dx = g (the engine casts it back to x's dtype)."""

    @staticmethod
    def forward(ctx, x, *, dtype):
        return x.astype(dtype)

    @staticmethod
    def backward(ctx, grad):
        return (grad,)


# --------------------------------------------------------------------------- functions


class ExpOp(Op):
    """z = eˣ.  dL/dx = g * eˣ = g * z (the saved output)."""

    @staticmethod
    def forward(ctx, x):
        with np.errstate(**QUIET):  # e^1000 = inf, silently
            out = np.exp(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return (grad * out,)


class LogOp(Op):
    """z = ln x.  dL/dx = g / x.  (ln 0 = -inf and ln(-1) = nan, silently, as in PyTorch.)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(**QUIET):
            return np.log(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        with np.errstate(**QUIET):
            return (grad / x,)


class SqrtOp(Op):
    """z = √x.  dL/dx = g / (2√x) = g * 0.5 / z.  (√-1 = nan, silently, as in PyTorch.)"""

    @staticmethod
    def forward(ctx, x):
        with np.errstate(**QUIET):
            out = np.sqrt(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        with np.errstate(**QUIET):
            return (grad * 0.5 / out,)


class NormSqrtOp(SqrtOp):
    """z = √x applied to a sum of squares (``norm``, ``std``).  dL/dx = g / (2√x), and 0 at x = 0.

    √ has no derivative at 0, but there a norm or a standard deviation is at its minimum; 0 is
    the subgradient PyTorch uses, so the norm of a zero vector doesn't turn gradients into nan.
    The forward is ``Sqrt``'s; only the backward differs.
    """

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        zero = either.data(out) == 0
        if zero.any():
            return (either.masked_fill(grad, zero, 0.0) * 0.5 / either.masked_fill(out, zero, 1.0),)
        return (grad * 0.5 / out,)


def torch_sign(x: np.ndarray) -> np.ndarray:
    """sign(x) as PyTorch computes it: -1, 0 or 1, and 0 (not nan) for nan."""
    sign = np.sign(x)
    if x.dtype.kind == "f":
        nan = np.isnan(sign)
        if nan.any():
            sign = np.where(nan, 0, sign)
    return sign


class AbsOp(Op):
    """z = |x|.  dL/dx = g * sign(x), with sign(0) = 0 and sign(nan) = 0, as PyTorch.

    A product, as in PyTorch: at x = 0 an infinite g gives nan (|x| has a corner there).
    """

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.abs(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return (grad * torch_sign(either.data(x)),)


class SignOp(Op):
    """z = sign(x), piecewise constant (sign(nan) = 0, as PyTorch).  dL/dx = 0."""

    @staticmethod
    def forward(ctx, x):
        return torch_sign(x)

    @staticmethod
    def backward(ctx, grad):
        return (either.zeros_like(grad),)


class SinOp(Op):
    """z = sin x.  dL/dx = g * cos x."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sin(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return (grad * either.cos(x),)


class CosOp(Op):
    """z = cos x.  dL/dx = -g * sin x."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.cos(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return (-grad * either.sin(x),)


class _Ones(dict):
    """dtype -> a 0-d array holding 1 of that dtype (made on first use)."""

    def __missing__(self, dtype: np.dtype) -> np.ndarray:
        one = self[dtype] = np.ones((), dtype)
        return one


_ONES = _Ones()


def _one_minus(v: Any) -> Any:
    """1 - v, for an array or a Tensor (the backwards of tanh and sigmoid).

    For an array the 1 is a ready-made 0-d array of v's dtype: NumPy converts a Python number
    anew on every call, which on a small array costs as much as the subtraction itself (~300 ns
    of a tanh backward's ~1.1 us). The values are the same (1 is exact in every dtype)."""
    if v.__class__ is np.ndarray:
        return _ONES[v.dtype] - v
    return 1 - v


class TanhOp(Op):
    """z = tanh x.  dL/dx = g * (1 - z²)."""

    @staticmethod
    def forward(ctx, x):
        out = np.tanh(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return (grad * _one_minus(out * out),)  # g * (1 - z²), 1 - v as _one_minus(v)


class SigmoidOp(Op):
    """z = σ(x) = 1 / (1 + e⁻ˣ).  dL/dx = g * z * (1 - z).

    Computed as 1/(1+e^-|x|) or e^-|x|/(1+e^-|x|) by the sign of x, so no exponential overflows.
    """

    @staticmethod
    def forward(ctx, x):
        out = either.stable_sigmoid(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return (grad * out * _one_minus(out),)


class ClampOp(Op):
    """z = min(max(x, low), high) for constant bounds.

    dL/dx = g where low <= x <= high, else 0 (PyTorch's rule; nan is outside). The gradient is
    *selected*, not multiplied by a 0/1 mask: an infinite g from above (say √ at a clamped 0)
    gives 0 where x was clamped, not 0 × inf = nan.

    At a bound (x == low or x == high) the gradient passes: PyTorch 2.13's convention, pinned by
    the golden files (tests/golden/, generated with 2.13). PyTorch 2.14 changed the gradient of
    ``clamp(min=1)`` at exactly 1; both are valid subgradients, and we keep one on purpose.
    """

    @staticmethod
    def forward(ctx, x, *, low, high):
        if high is None:
            inside = x >= low
        elif low is None:
            inside = x <= high
        else:
            inside = (x >= low) & (x <= high)
        ctx.save_for_backward(inside)
        out = x if low is None else _replace_where(x < low, low, x)
        return out if high is None else _replace_where(out > high, high, out)

    @staticmethod
    def backward(ctx, grad):
        (inside,) = ctx.saved_tensors
        return (either.keep(grad, inside),)


def _replace_where(beyond: np.ndarray, bound: np.ndarray, x: np.ndarray) -> np.ndarray:
    """x, with the bound where x is beyond it: x is kept otherwise, so -0.0 stays -0.0 at a
    bound 0.0 (np.clip and np.maximum would give 0.0). A nan bound gives nan everywhere, as in
    PyTorch."""
    if bound != bound:  # nan
        return np.full_like(x, bound)
    return np.where(beyond, bound, x)


class ClampTensorOp(Op):
    """z = min(max(x, low), high) with tensor bounds (``low`` or ``high`` may be None).

    Who receives g (PyTorch's rule, by selection):
        x:     where low <= x <= high
        low:   where x < low  (and low < high, when both are given)
        high:  where x > high (or high < low: then z = high everywhere)
    A tie x = low goes to x alone; ``maximum(x, low)`` would split it ½–½.
    """

    @staticmethod
    def forward(ctx, x, low, high):
        ctx.save_for_backward(x, low, high)
        out = x if low is None else np.maximum(x, low)
        return out if high is None else np.minimum(out, high)

    @staticmethod
    def backward(ctx, grad):
        x, low, high = (either.data(v) for v in ctx.saved_tensors)
        if high is None:
            return either.keep(grad, x >= low), either.keep(grad, x < low), None
        if low is None:
            return either.keep(grad, x <= high), None, either.keep(grad, x > high)
        return (either.keep(grad, (x >= low) & (x <= high)),
                either.keep(grad, (x < low) & (low < high)),
                either.keep(grad, (x > high) | (high < low)))


class MaximumOp(Op):
    """z = max(a, b) elementwise.

    dL/da = g where a > b, g/2 where a = b, 0 where a < b; dL/db the mirror image; where a or
    b is nan (z is nan) both receive g, as in PyTorch. The zeros are selected, not g × 0.
    """

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.maximum(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = (either.data(v) for v in ctx.saved_tensors)
        shared = _split_ties(grad, a, b)
        return either.masked_fill(shared, a < b, 0.0), either.masked_fill(shared, a > b, 0.0)


class MinimumOp(Op):
    """z = min(a, b) elementwise.  dL/da = g where a < b, g/2 where a = b; dL/db the mirror."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.minimum(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = (either.data(v) for v in ctx.saved_tensors)
        shared = _split_ties(grad, a, b)
        return either.masked_fill(shared, a > b, 0.0), either.masked_fill(shared, a < b, 0.0)


def _split_ties(grad: Any, a: Any, b: Any) -> Any:
    """g, halved where a = b (each of the two tied inputs gets half, as in PyTorch)."""
    tie = a == b
    return either.where(tie, grad * 0.5, grad) if np.any(tie) else grad


class WhereOp(Op):
    """z = a where cond else b.  dL/da = g where cond (else 0), dL/db = g where not cond."""

    @staticmethod
    def forward(ctx, a, b, *, condition):
        ctx.save_for_backward(condition)
        return np.where(condition, a, b)

    @staticmethod
    def backward(ctx, grad):
        (condition,) = ctx.saved_tensors
        return either.keep(grad, condition), either.masked_fill(grad, condition, 0.0)


# --------------------------------------------------------------------------- public functions


def add(input: Any, other: Any, *, alpha: float = 1, out: Tensor | None = None) -> Tensor:
    """input + alpha * other, with broadcasting."""
    if out is not None:  # (_out.py)
        return write_out(out, add(input, other, alpha=alpha), "add")
    return _binary(AddOp, input, other if alpha == 1 else other * alpha)


def sub(input: Any, other: Any, *, alpha: float = 1, out: Tensor | None = None) -> Tensor:
    """input - alpha * other, with broadcasting; refused for bool operands, as in PyTorch."""
    if out is not None:  # (_out.py)
        return write_out(out, sub(input, other, alpha=alpha), "sub")
    if _is_bool(input) or _is_bool(other):
        raise _bool_subtraction_error(input, other)
    return _binary(SubOp, input, other if alpha == 1 else other * alpha)


def mul(input: Any, other: Any, *, out: Tensor | None = None) -> Tensor:
    """input * other elementwise, with broadcasting; the dtype is
    ``result_type(input, other)``.  dL/dinput = g * other,  dL/dother = g * input."""
    if out is not None:  # (_out.py)
        return write_out(out, mul(input, other), "mul")
    return _binary(MulOp, input, other)


def div(input: Any, other: Any, *, rounding_mode: str | None = None,
        out: Tensor | None = None) -> Tensor:
    """True division; integer inputs give a default-float result, as in PyTorch.

    ``rounding_mode="trunc"`` or ``"floor"`` rounds the quotient (``ops/pointwise.py``).
    """
    if out is not None:  # (_out.py)
        return write_out(out, div(input, other, rounding_mode=rounding_mode), "div")
    if rounding_mode is not None:
        return ops.pointwise.rounded_division(input, other, rounding_mode)
    input, other = _operand(input), _operand(other)
    dtype = promotion.result_type(input, other)
    if dtype.kind not in "fc":  # no wrapping of integers here: 3 / 300 is 0.01 for any dtype
        dtype = _dtypes.get_default_dtype()
    input = cast(input, dtype) if isinstance(input, Tensor) else input
    other = cast(other, dtype) if isinstance(other, Tensor) else other
    return DivOp.apply(input, other)


def neg(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """-input elementwise; refused for bool (use ``~`` or ``logical_not``), as in
    PyTorch.  dL/dx = -g."""
    if out is not None:  # (_out.py)
        return write_out(out, neg(input), "neg", exact=True)
    return NegOp.apply(input)


def pow(input: Any, exponent: Any, *, out: Tensor | None = None) -> Tensor:
    """input ** exponent: a constant exponent uses x^p; a tensor exponent uses a^b.

    The result dtype is ``result_type(input, exponent)``; an integer result is computed
    exactly, without gradient (integer tensor ** -1 is an error, as in PyTorch).
    """
    if out is not None:  # (_out.py)
        return write_out(out, pow(input, exponent), "pow")
    if exponent.__class__ in _NUMBERS and input.__class__ is Tensor and \
            input._data.dtype.kind == "f":  # the common case, x ** 2: x's dtype
        return PowScalarOp.apply(input, exponent=exponent)
    base, exponent = _operand(input), _operand(exponent)
    if isinstance(base, Tensor) and isinstance(exponent, int | float):
        return _pow_scalar(base, exponent)
    dtype = promotion.result_type(base, exponent)
    if dtype.kind in "biu":
        return _integer_power(_array_of(base, dtype), _array_of(exponent, dtype))
    base = cast(base, dtype) if isinstance(base, Tensor) else np.asarray(base, dtype=dtype)
    exponent = (cast(exponent, dtype) if isinstance(exponent, Tensor)
                else np.asarray(exponent, dtype=dtype))
    return PowOp.apply(base, exponent)


_NUMBERS = (int, float)


def _pow_scalar(input: Tensor, exponent: float) -> Tensor:
    dtype = promotion.result_type(input, exponent)
    if dtype.kind not in "biu":
        return PowScalarOp.apply(cast(input, dtype), exponent=exponent)
    if exponent < 0:
        raise RuntimeError(
            f"pow: Integers to negative integer powers are not allowed. ({input.dtype} tensor "
            f"** {exponent}); use a float exponent ({float(exponent)}) or a float tensor")
    exponent = fill_value("pow", exponent, dtype)
    return _integer_power(input._data.astype(dtype, copy=False), exponent)


def _array_of(x: Any, dtype: np.dtype) -> np.ndarray:
    if isinstance(x, Tensor):
        return x._data.astype(dtype, copy=False)
    return np.asarray(x).astype(dtype)  # a Python int wraps into range, as in PyTorch


def _integer_power(base: np.ndarray, exponent: np.ndarray) -> Tensor:
    """Integer a ** b, which carries no gradient. A negative exponent gives PyTorch's integer
    result: 1 for a = 1, ±1 for a = -1 (by the parity of b), else 0 (1/a truncated)."""
    if base.dtype.kind == "b":
        raise NotImplementedError(
            '"pow" not implemented for \'Bool\'; convert the tensors to an integer or float '
            "dtype first")
    negative = exponent < 0
    if not np.any(negative):
        return Tensor._make(np.asarray(np.power(base, exponent)))
    result = np.power(base, np.where(negative, 0, exponent))
    odd = exponent % 2 != 0
    reciprocal = np.where(base == 1, 1, np.where(base == -1, np.where(odd, -1, 1), 0))
    return Tensor._make(np.asarray(np.where(negative, reciprocal, result).astype(result.dtype)))


def exp(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """eˣ elementwise; integer and bool inputs give the default float dtype, as in
    PyTorch.  dL/dx = g * eˣ."""
    if out is not None:  # (_out.py)
        return write_out(out, exp(input), "exp")
    return ExpOp.apply(_float(input))


def log(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """ln x elementwise (ln 0 = -inf, ln of a negative = nan, silently, as in
    PyTorch); integer inputs give the default float dtype.  dL/dx = g / x."""
    if out is not None:  # (_out.py)
        return write_out(out, log(input), "log")
    return LogOp.apply(_float(input))


def sqrt(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """√x elementwise (√ of a negative = nan, silently, as in PyTorch); integer
    inputs give the default float dtype.  dL/dx = g / (2√x)."""
    if out is not None:  # (_out.py)
        return write_out(out, sqrt(input), "sqrt")
    return SqrtOp.apply(_float(input))


def norm_sqrt(input: Tensor) -> Tensor:
    """√x with a zero gradient at 0 (see ``NormSqrt``); used by ``norm`` and ``std``."""
    return NormSqrtOp.apply(_float(input))


def abs(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """|x| elementwise, in x's dtype; refused for bool, as in PyTorch.
    dL/dx = g * sign(x), so 0 at x = 0."""
    if out is not None:  # (_out.py)
        return write_out(out, abs(input), "abs", exact=True)
    if input._data.dtype.kind == "b":
        raise NotImplementedError(
            "abs: \"abs_cpu\" not implemented for 'Bool'; convert the tensor first (x.long())")
    return AbsOp.apply(input)


def sign(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """-1, 0 or 1 by the sign of each element; sign(nan) = 0 and bool stays bool, as PyTorch.
    dL/dx = 0 (piecewise constant)."""
    if out is not None:  # (_out.py)
        return write_out(out, sign(input), "sign", exact=True)
    if input._data.dtype.kind == "b":
        return Tensor._make(input._data.copy())
    return SignOp.apply(input)


def sin(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """sin x elementwise (x in radians); integers give the default float dtype.
    dL/dx = g * cos x."""
    if out is not None:  # (_out.py)
        return write_out(out, sin(input), "sin")
    return SinOp.apply(_float(input))


def cos(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """cos x elementwise (x in radians); integers give the default float dtype.
    dL/dx = -g * sin x."""
    if out is not None:  # (_out.py)
        return write_out(out, cos(input), "cos")
    return CosOp.apply(_float(input))


def tanh(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """tanh x = (eˣ - e⁻ˣ) / (eˣ + e⁻ˣ) elementwise; integers give the default float
    dtype.  dL/dx = g * (1 - tanh² x)."""
    if out is not None:  # (_out.py)
        return write_out(out, tanh(input), "tanh")
    return TanhOp.apply(_float(input))


def sigmoid(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """σ(x) = 1 / (1 + e⁻ˣ) elementwise, computed without overflow (also
    ``mt.special.expit``); integers give the default float dtype.  dL/dx = g * σ(x) * (1 - σ(x))."""
    if out is not None:  # (_out.py)
        return write_out(out, sigmoid(input), "sigmoid")
    return SigmoidOp.apply(_float(input))


def clone(input: Tensor) -> Tensor:
    return CloneOp.apply(input)


def cast(input: Tensor, dtype: Any) -> Tensor:
    """The tensor converted to ``dtype`` (differentiable between floating dtypes)."""
    dtype = _dtypes.resolve(dtype)
    if input._data.dtype == dtype:
        return input
    if dtype.kind not in "fc":  # integer results carry no gradient
        return Tensor._make(input._data.astype(dtype))
    return CastOp.apply(input, dtype=dtype)


def clamp(input: Tensor, min: Any = None, max: Any = None, *,
          out: Tensor | None = None) -> Tensor:
    """Limit values to [min, max]; either bound may be None. Bounds are both numbers or both
    tensors (as in PyTorch); the result dtype is ``result_type(input, min, max)``."""
    if out is not None:  # (_out.py)
        return write_out(out, clamp(input, min, max), "clamp", exact=True)
    if min is None and max is None:
        raise RuntimeError("clamp: At least one of 'min' or 'max' must not be None")
    dtype = promotion.result_type(input, min, max)
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        if not all(bound is None or isinstance(bound, Tensor) for bound in (min, max)):
            raise TypeError(
                f"clamp: min and max must both be numbers or both be tensors, got "
                f"{type(min).__name__} and {type(max).__name__}; make the number a tensor "
                "(mt.tensor(value)) or pass it alone")
        low, high = (None if b is None else cast(b, dtype) for b in (min, max))
        return ClampTensorOp.apply(cast(input, dtype), low, high)
    low, high = (None if b is None else fill_value("clamp", b, dtype) for b in (min, max))
    return ClampOp.apply(cast(input, dtype), low=low, high=high)


clip = clamp


def maximum(input: Any, other: Any, *, out: Tensor | None = None) -> Tensor:
    """max(input, other) elementwise, with broadcasting; nan where either is nan
    (``fmax`` skips nan).  dL/dinput = g where input > other, g/2 at ties, 0 where input < other;
    dL/dother the mirror image."""
    if out is not None:  # (_out.py)
        return write_out(out, maximum(input, other), "maximum")
    return _binary(MaximumOp, input, other)


def minimum(input: Any, other: Any, *, out: Tensor | None = None) -> Tensor:
    """min(input, other) elementwise, with broadcasting; nan where either is nan
    (``fmin`` skips nan).  dL/dinput = g where input < other, g/2 at ties, 0 where input > other;
    dL/dother the mirror image."""
    if out is not None:  # (_out.py)
        return write_out(out, minimum(input, other), "minimum")
    return _binary(MinimumOp, input, other)


def where(condition: Any, input: Any = None, other: Any = None, *,
          out: Tensor | None = None) -> Any:
    """Elements of ``input`` where ``condition`` holds, else of ``other`` (broadcast together).

    The result dtype is ``result_type(input, other)``; a Python number stands for its value in
    that dtype (it must fit, as in PyTorch). ``where(condition)`` alone is
    ``nonzero(condition, as_tuple=True)`` (``ops/selection.py``).
    """
    if input is None and other is None:
        return ops.selection.nonzero(condition, as_tuple=True)
    if out is not None:  # (_out.py)
        return write_out(out, where(condition, input, other), "where", exact=True)
    if input is None or other is None:
        raise TypeError("where(): give both input and other, or neither (where(condition) is "
                        "nonzero(condition, as_tuple=True))")
    cond = condition._data if isinstance(condition, Tensor) else np.asarray(condition)
    if cond.dtype != np.bool_:
        raise RuntimeError(
            f"where: condition must be a bool tensor (where expected condition to be a boolean "
            f"tensor, but got a tensor with dtype {_dtypes.torch_name(cond.dtype)}; {cond.dtype})"
        )
    input, other = _operand(input), _operand(other)
    dtype = promotion.result_type(input, other)
    input, other = (cast(v, dtype) if isinstance(v, Tensor) else fill_value("where", v, dtype)
                    for v in (input, other))
    _check_where_shapes(cond, input, other)
    return WhereOp.apply(input, other, condition=cond)


def masked_fill(input: Tensor, mask: Any, value: Any) -> Tensor:
    """``input`` with ``value`` where ``mask`` is True, broadcast; as ``torch.masked_fill``.

    Unlike ``where``, the result keeps ``input``'s dtype: the value is converted to it
    (an int64 tensor filled with 0.5 holds 0; a value that does not fit is an error). ``value``
    may be a 0-d tensor, which then receives the gradient of the filled positions.
    """
    cond = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
    if cond.dtype != np.bool_:
        raise RuntimeError(f"masked_fill: only supports boolean masks, but got mask with dtype "
                           f"{cond.dtype}; compare it to build one (mask != 0)")
    dtype = input._data.dtype
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(
                f"masked_fill: only supports a 0-dimensional value tensor, but got tensor with "
                f"{value.ndim} dimension(s); use where(mask, value, input) to fill from a tensor")
        fill = cast(value, dtype)
    else:
        fill = fill_value("masked_fill", value, dtype)
    _check_where_shapes(cond, fill, input)
    return WhereOp.apply(fill, input, condition=cond)


def _check_where_shapes(cond: np.ndarray, input: Any, other: Any) -> None:
    try:
        np.broadcast_shapes(cond.shape, _shape_of(input), _shape_of(other))
    except ValueError:
        raise RuntimeError(
            f"where: condition {cond.shape}, input {_shape_of(input)} and other "
            f"{_shape_of(other)} cannot be broadcast together"
        ) from None


def _float(x: Any) -> Any:
    """Functions like exp of an integer tensor give the default float dtype, as in PyTorch."""
    if isinstance(x, Tensor) and x._data.dtype.kind in "biu":
        return cast(x, _dtypes.get_default_dtype())
    if not isinstance(x, Tensor):
        raise TypeError(f"expected a Tensor, got {type(x).__name__}")
    return x


# Tensor's + - * / and .tanh() call these ops through methods bound once (see
# ``bind_operator_ops`` in tensor.py, which cannot import this module): bound now they exist.
bind_operator_ops(AddOp, SubOp, MulOp, DivOp, TanhOp)
