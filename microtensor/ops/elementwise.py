"""Elementwise primitives: arithmetic, exp/log, trigonometry, activations, clamp, where.

For z = f(x) applied element by element, the chain rule is elementwise too:
dL/dx = dL/dz * f'(x). Each backward below is that product, written so it runs on arrays (first
order) and on Tensors (``create_graph=True``); see ``ops/array_or_tensor.py``. Broadcasting needs
no care here: the engine sums each gradient back to its input's shape.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from microtensor import _dtypes
from microtensor.autograd.function import Op
from microtensor.ops import array_or_tensor as either
from microtensor.tensor import Tensor

# --------------------------------------------------------------------------- operands


_PASS_THROUGH = (Tensor, int, float)


def _operand(value: Any) -> Any:
    """Tensors and Python numbers pass through; lists and arrays become (constant) Tensors."""
    if isinstance(value, np.generic) and value.dtype.kind in "biuf":
        return value.item()  # a NumPy scalar promotes like a Python number, as in PyTorch
    if isinstance(value, _PASS_THROUGH):
        return value
    if isinstance(value, np.ndarray | np.generic | list | tuple):
        return Tensor._make(np.asarray(value))
    raise TypeError(f"unsupported operand type {type(value).__name__} for a tensor operation")


def _promote(a: Any, b: Any) -> tuple[Any, Any]:
    """PyTorch's type promotion where it differs from NumPy's.

    A float tensor combined with an integer or bool tensor keeps the float tensor's dtype, and a
    Python float with an integer tensor gives the default float dtype. A 0-d tensor combined with
    a tensor of 1 or more dims only matters if its kind (bool < integer < float) is higher:
    float32 [n] + float64 [] is float32, int32 [n] + int64 [] is int32.
    """
    a, b = _operand(a), _operand(b)
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        dtype_a, dtype_b = a._data.dtype, b._data.dtype
        if dtype_a == dtype_b:
            return a, b
        if (a._data.ndim == 0) == (b._data.ndim == 0):
            target = _promote_types(dtype_a, dtype_b)
        else:
            dim, zero = (dtype_a, dtype_b) if b._data.ndim == 0 else (dtype_b, dtype_a)
            target = dim if _KIND_RANK[dim.kind] >= _KIND_RANK[zero.kind] else zero
        return cast(a, target), cast(b, target)
    if type(b) is float and isinstance(a, Tensor) and a._data.dtype.kind in "biu":
        a = cast(a, _dtypes.get_default_dtype())
    elif type(a) is float and isinstance(b, Tensor) and b._data.dtype.kind in "biu":
        b = cast(b, _dtypes.get_default_dtype())
    return a, b


_KIND_RANK = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def _promote_types(a: np.dtype, b: np.dtype) -> np.dtype:
    """PyTorch's promote_types: an integer with a float gives the float (NumPy: float64)."""
    rank_a, rank_b = _KIND_RANK[a.kind], _KIND_RANK[b.kind]
    if rank_a != rank_b:
        return a if rank_a > rank_b else b
    return np.promote_types(a, b)


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
    """Comparisons, floor division, remainder...: results that carry no gradient."""
    arrays = [x._data if isinstance(x, Tensor) else _operand(x) for x in operands]
    arrays = [x._data if isinstance(x, Tensor) else x for x in arrays]
    try:
        return Tensor._make(np.asarray(function(*arrays)))
    except ValueError as error:
        if "broadcast" in str(error) and len(operands) == 2:
            raise _broadcast_error(name, *operands) from None
        raise


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
        return a - b

    @staticmethod
    def backward(ctx, grad):
        return grad, -grad


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
    """z = a / b.  dL/da = g / b,  dL/db = -g * a / b²."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a / b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        grad_a = grad / b
        return grad_a, -grad_a * a / b


class NegOp(Op):
    """z = -x.  dL/dx = -g."""

    @staticmethod
    def forward(ctx, x):
        return -x

    @staticmethod
    def backward(ctx, grad):
        return (-grad,)


class PowScalarOp(Op):
    """z = x ** p for a constant p.  dL/dx = g * p * x^(p-1)."""

    @staticmethod
    def forward(ctx, x, *, exponent):
        ctx.save_for_backward(x)
        ctx.exponent = exponent
        return x**exponent

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        p = ctx.exponent
        if p == 2:
            return (grad * 2 * x,)
        if p == 0:  # x^0 = 1 is constant (also at x = 0, where p x^(p-1) would be 0 * inf)
            return (grad * 0,)
        return (grad * p * x ** (p - 1),)


class PowOp(Op):
    """z = a ** b with a tensor exponent.

    dL/da = g * b * a^(b-1),   dL/db = g * z * ln(a)   (defined for a > 0).

    As in PyTorch, dL/da = 0 where b = 0, and dL/db = 0 where a = 0 (and b >= 0): the formulas
    would give 0 * inf there, so the exponent in the first and the log's argument in the second
    are replaced by 1 at those points.
    """

    @staticmethod
    def forward(ctx, a, b):
        out = np.power(a, b)
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, b, out = ctx.saved_tensors
        zero_exponent = np.asarray(either.data(b)) == 0
        zero_base = np.asarray(either.data(a)) == 0
        b_safe = either.masked_fill(b, zero_exponent, 1.0) if zero_exponent.any() else b
        a_safe = either.masked_fill(a, zero_base, 1.0) if zero_base.any() else a
        return grad * b * a ** (b_safe - 1), grad * out * either.log(a_safe)


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
        out = np.exp(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return (grad * out,)


class LogOp(Op):
    """z = ln x.  dL/dx = g / x."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return (grad / x,)


class SqrtOp(Op):
    """z = √x.  dL/dx = g / (2√x) = g * 0.5 / z."""

    @staticmethod
    def forward(ctx, x):
        out = np.sqrt(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
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


class AbsOp(Op):
    """z = |x|.  dL/dx = g * sign(x) (0 at x = 0, as PyTorch)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(np.sign(x))
        return np.abs(x)

    @staticmethod
    def backward(ctx, grad):
        (sign,) = ctx.saved_tensors
        return (grad * sign,)


class SignOp(Op):
    """z = sign(x), piecewise constant.  dL/dx = 0."""

    @staticmethod
    def forward(ctx, x):
        return np.sign(x)

    @staticmethod
    def backward(ctx, grad):
        return (grad * 0,)


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
        return (grad * (1 - out * out),)


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
        return (grad * out * (1 - out),)


class ClampOp(Op):
    """z = min(max(x, low), high).  dL/dx = g where low <= x <= high, else 0 (PyTorch's rule)."""

    @staticmethod
    def forward(ctx, x, *, low, high):
        inside = np.ones(x.shape, dtype=bool)
        if low is not None:
            inside &= x >= low
        if high is not None:
            inside &= x <= high
        ctx.save_for_backward(inside)
        return np.clip(x, low, high)

    @staticmethod
    def backward(ctx, grad):
        (inside,) = ctx.saved_tensors
        return (grad * inside,)


class MaximumOp(Op):
    """z = max(a, b) elementwise.  dL/da = g·[a > b] + g/2·[a = b], dL/db = the rest of g."""

    @staticmethod
    def forward(ctx, a, b):
        out = np.maximum(a, b)
        weight_a = ((a > b) + 0.5 * (a == b)).astype(out.dtype)
        ctx.save_for_backward(weight_a)
        return out

    @staticmethod
    def backward(ctx, grad):
        (weight_a,) = ctx.saved_tensors
        return grad * weight_a, grad * (1 - weight_a)


class MinimumOp(Op):
    """z = min(a, b) elementwise.  dL/da = g·[a < b] + g/2·[a = b], dL/db = the rest of g."""

    @staticmethod
    def forward(ctx, a, b):
        out = np.minimum(a, b)
        weight_a = ((a < b) + 0.5 * (a == b)).astype(out.dtype)
        ctx.save_for_backward(weight_a)
        return out

    @staticmethod
    def backward(ctx, grad):
        (weight_a,) = ctx.saved_tensors
        return grad * weight_a, grad * (1 - weight_a)


class WhereOp(Op):
    """z = a where cond else b.  dL/da = g·cond,  dL/db = g·(not cond)."""

    @staticmethod
    def forward(ctx, a, b, *, condition):
        ctx.save_for_backward(condition)
        return np.where(condition, a, b)

    @staticmethod
    def backward(ctx, grad):
        (condition,) = ctx.saved_tensors
        return grad * condition, grad * ~condition


# --------------------------------------------------------------------------- public functions


def add(input: Any, other: Any, *, alpha: float = 1) -> Tensor:
    """input + alpha * other, with broadcasting."""
    return _binary(AddOp, input, other if alpha == 1 else other * alpha)


def sub(input: Any, other: Any, *, alpha: float = 1) -> Tensor:
    """input - alpha * other, with broadcasting."""
    return _binary(SubOp, input, other if alpha == 1 else other * alpha)


def mul(input: Any, other: Any) -> Tensor:
    return _binary(MulOp, input, other)


def div(input: Any, other: Any) -> Tensor:
    """True division; integer inputs give a default-float result, as in PyTorch."""
    input, other = _promote(input, other)
    if all(not isinstance(x, Tensor) or x._data.dtype.kind in "biu" for x in (input, other)):
        input = cast(input, _dtypes.get_default_dtype()) if isinstance(input, Tensor) else input
        other = cast(other, _dtypes.get_default_dtype()) if isinstance(other, Tensor) else other
    return _binary(DivOp, input, other)


def neg(input: Tensor) -> Tensor:
    return NegOp.apply(input)


def pow(input: Any, exponent: Any) -> Tensor:
    """input ** exponent: a constant exponent uses x^p; a tensor exponent uses a^b."""
    if isinstance(exponent, int | float) and isinstance(input, Tensor):
        if input._data.dtype.kind in "biu" and (type(exponent) is float or exponent < 0):
            input = cast(input, _dtypes.get_default_dtype())
        return PowScalarOp.apply(input, exponent=exponent)
    return _binary(PowOp, input, exponent)


def exp(input: Tensor) -> Tensor:
    return ExpOp.apply(_float(input))


def log(input: Tensor) -> Tensor:
    return LogOp.apply(_float(input))


def sqrt(input: Tensor) -> Tensor:
    return SqrtOp.apply(_float(input))


def norm_sqrt(input: Tensor) -> Tensor:
    """√x with a zero gradient at 0 (see ``NormSqrt``); used by ``norm`` and ``std``."""
    return NormSqrtOp.apply(_float(input))


def abs(input: Tensor) -> Tensor:
    return AbsOp.apply(input)


def sign(input: Tensor) -> Tensor:
    return SignOp.apply(input)


def sin(input: Tensor) -> Tensor:
    return SinOp.apply(_float(input))


def cos(input: Tensor) -> Tensor:
    return CosOp.apply(_float(input))


def tanh(input: Tensor) -> Tensor:
    return TanhOp.apply(_float(input))


def sigmoid(input: Tensor) -> Tensor:
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


def clamp(input: Tensor, min: Any = None, max: Any = None) -> Tensor:
    """Limit values to [min, max]; either bound may be None (or a Tensor)."""
    if min is None and max is None:
        raise ValueError("clamp: at least one of min and max must be given")
    if input._data.dtype.kind in "biu" and float in (type(min), type(max)):
        input = cast(input, _dtypes.get_default_dtype())  # as in PyTorch: int.clamp(0.5) is float
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        result = input
        if min is not None:
            result = maximum(result, min)
        if max is not None:
            result = minimum(result, max)
        return result
    return ClampOp.apply(input, low=min, high=max)


clip = clamp


def maximum(input: Any, other: Any) -> Tensor:
    return _binary(MaximumOp, input, other)


def minimum(input: Any, other: Any) -> Tensor:
    return _binary(MinimumOp, input, other)


def where(condition: Any, input: Any, other: Any) -> Tensor:
    """Elements of ``input`` where ``condition`` holds, else of ``other`` (broadcast together)."""
    cond = condition._data if isinstance(condition, Tensor) else np.asarray(condition)
    if cond.dtype != np.bool_:
        raise TypeError(f"where: condition must be a bool tensor, got dtype {cond.dtype}")
    input, other = _operand(input), _operand(other)
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):  # two Python numbers
        input, other = (Tensor._make(np.asarray(v, dtype=_dtypes.infer(v))) for v in (input, other))
    input, other = _promote(input, other)
    try:
        np.broadcast_shapes(cond.shape, np.shape(input._data if isinstance(input, Tensor) else
                                                 input), np.shape(other._data if isinstance(
                                                     other, Tensor) else other))
    except ValueError:
        raise RuntimeError(
            f"where: condition {cond.shape}, input {_shape_of(input)} and other "
            f"{_shape_of(other)} cannot be broadcast together"
        ) from None
    return WhereOp.apply(input, other, condition=cond)


def _float(x: Any) -> Any:
    """Functions like exp of an integer tensor give the default float dtype, as in PyTorch."""
    if isinstance(x, Tensor) and x._data.dtype.kind in "biu":
        return cast(x, _dtypes.get_default_dtype())
    if not isinstance(x, Tensor):
        raise TypeError(f"expected a Tensor, got {type(x).__name__}")
    return x

