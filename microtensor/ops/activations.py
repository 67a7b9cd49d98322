"""The activation functions of neural networks: ReLU, LeakyReLU, the ELU family (ELU, SELU,
CELU), Softplus, GELU, the piecewise-linear ones (Hardtanh/ReLU6, Hardswish, Hardsigmoid,
Softshrink, Hardshrink, Threshold, PReLU), Mish and LogSigmoid; and, composed of those and of
engine ops, Softsign, Tanhshrink, Softmin and GLU.

(tanh and sigmoid, which are also plain math functions like exp, are in ``elementwise.py``.)

Each backward is written with operators and helpers that work on NumPy arrays (the ordinary
backward pass) and on Tensors (``create_graph=True``), so all of them can be differentiated
twice; see ``microtensor/ops/array_or_tensor.py``. Values that are constant for the derivative
(masks, slopes) are saved as plain arrays.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from microtensor import _dtypes
from microtensor._arguments import tensor_argument
from microtensor.autograd.function import Op
from microtensor.ops import array_or_tensor as either
from microtensor.ops.special import (
    erf_tensor_or_array,
    gelu_and_normal_cdf,
    gelu_backward_array,
)
from microtensor.tensor import Tensor

# A row of zeros per float dtype, for ``_max_with_zero`` (read-only, kept for the process).
_ZERO_ROW_LENGTH = 16384
_zero_rows: dict[np.dtype, np.ndarray] = {}


def _max_with_zero(x: np.ndarray) -> np.ndarray:
    """np.maximum(x, 0), faster for a C-contiguous float array.

    NumPy compares an array with the scalar 0 in its broadcasting loop, which is not
    vectorised: ~3x slower than the maximum of two arrays (measured with NumPy 2.4 on 401,408
    float32 values: 149 µs against 54 µs, and 75 against 27 on 200,704). So x is compared in
    rows of 16,384 values with one kept row of zeros (64 kB for float32, in the cache after the
    first row): every row is an array-array maximum. Same values, same NaN propagation.
    """
    if x.dtype.kind != "f" or not x.flags.c_contiguous or x.ndim == 0:
        return np.maximum(x, 0)
    zeros = _zero_rows.get(x.dtype)
    if zeros is None:
        zeros = np.zeros(_ZERO_ROW_LENGTH, x.dtype)
        zeros.flags.writeable = False
        _zero_rows[x.dtype] = zeros
    out = np.empty_like(x)
    values, result = x.reshape(-1), out.reshape(-1)
    whole = values.size - values.size % _ZERO_ROW_LENGTH  # the values in whole rows
    if whole:
        np.maximum(values[:whole].reshape(-1, _ZERO_ROW_LENGTH), zeros,
                   out=result[:whole].reshape(-1, _ZERO_ROW_LENGTH))
    rest = values.size - whole
    if rest:
        np.maximum(values[whole:], zeros[:rest], out=result[whole:])
    return out


class ReLUOp(Op):
    """z = x, except 0 where x < 0 (so relu(-0.0) = -0.0 and relu(nan) = nan, as PyTorch).

    dL/dx = g, except 0 where z = 0 (z is never negative; a NaN z passes g, as PyTorch). The
    zeros are selected, not g × 0: below an infinite g (say √ of the output at 0) the gradient
    is 0 where x < 0, not nan.
    """

    @staticmethod
    def forward(ctx, x):
        out = _max_with_zero(x)  # it turns -0.0 into +0.0, put back below
        zeros = x == 0
        if zeros.any():
            out = np.asarray(out)  # (a 0-d input gives a NumPy scalar)
            np.copyto(out, x, where=zeros)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return (either.keep(grad, either.data(out) != 0),)


class LeakyReLUOp(Op):
    """z = x for x > 0, else slope·x.   dL/dx = g · (1 if x > 0 else slope)."""

    @staticmethod
    def forward(ctx, x, *, negative_slope):
        factor = np.where(x > 0, 1.0, negative_slope).astype(x.dtype)
        ctx.save_for_backward(factor)
        return x * factor

    @staticmethod
    def backward(ctx, grad):
        (factor,) = ctx.saved_tensors
        return (grad * factor,)


class ELUOp(Op):
    """The ELU family (ELU, SELU, CELU) in PyTorch's one form, with s = ``scale`` and
    c = ``input_scale``:

        z = s·x for x > 0,  else s·α·(e^(c·x) - 1).

    ELU is (α, s, c) = (α, 1, 1); SELU (1.6733, 1.0507, 1); CELU (α, 1, 1/α).

    dL/dx = g·z' with z' = s for x > 0 (and for NaN, as PyTorch: g passes), s·α·c·e^(c·x) for
    x < 0. The slope is computed from x as s·α·c·e^(c·x), not from the output as z + s·α (which
    cancels to 0 once e^(cx) < 1e-16). For double backward z'' = s·α·c²·e^(c·x) for x < 0 and 0
    for x > 0. At the kink x = 0 PyTorch takes z'(0) = s·α·c (the left branch) but z''(0) = 0
    (the right one); so do we: there z' is a constant.
    """

    @staticmethod
    def forward(ctx, x, *, alpha, scale, input_scale):
        positive = ~(x <= 0)  # NaN takes the identity branch, as in PyTorch
        negative = x < 0
        with np.errstate(over="ignore", invalid="ignore"):
            left = np.expm1(np.minimum(x, 0) * input_scale) * (alpha * scale)
        out = np.where(positive, x * scale, left).astype(x.dtype, copy=False)
        ctx.save_for_backward(x, positive, negative)
        ctx.alpha, ctx.scale, ctx.input_scale = alpha, scale, input_scale
        return out

    @staticmethod
    def backward(ctx, grad):
        x, positive, negative = ctx.saved_tensors
        c, left_scale = ctx.input_scale, ctx.alpha * ctx.scale * ctx.input_scale
        # e^(c·x) where x < 0, else e^0 = 1: the kink and the right side get constant slopes
        exp_cx = either.exp(either.masked_fill(x, ~negative, 0.0) * c)
        slope = either.masked_fill(exp_cx * left_scale, positive, ctx.scale)
        return (grad * slope,)


class SoftplusOp(Op):
    """z = log(1 + e^(βx)) / β, and z = x where βx > threshold (where the two agree to rounding).

    dL/dx = g · σ(βx) (and g where βx > threshold).
    """

    @staticmethod
    def forward(ctx, x, *, beta, threshold):
        bx = x * beta
        linear = bx > threshold
        out = np.where(linear, x, np.log1p(np.exp(np.minimum(bx, threshold))) / beta)
        ctx.save_for_backward(x, linear)
        ctx.beta = beta
        return out.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        x, linear = ctx.saved_tensors
        slope = either.sigmoid(x * ctx.beta)
        return (grad * (slope * ~linear + linear),)


_SQRT_2 = math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_GELU_CUBIC = 0.044715


class GELUOp(Op):
    """Gaussian error linear unit, z = x·Φ(x), with Φ the standard normal CDF.

    approximate="none":  Φ(x) = (1 + erf(x/√2))/2, and
        dL/dx = g · (Φ(x) + x·φ(x)),  φ(x) = e^(-x²/2)/√(2π) the normal density.
    approximate="tanh":  z = x/2 · (1 + tanh u),  u = √(2/π)(x + 0.044715x³), and
        dL/dx = g · ((1 + tanh u)/2 + x/2 · (1 - tanh²u) · √(2/π)(1 + 3·0.044715x²)).

    Speed: the forward saves Φ(x) (or tanh u), so the ordinary backward does not compute it
    again (it cost as much as the forward), and works in place (``special.gelu_backward_array``
    and ``_gelu_tanh_backward``). Recorded for double backward (``create_graph=True``, x a
    Tensor), the backward recomputes Φ from x instead, through differentiable ops.
    """

    @staticmethod
    def forward(ctx, x, *, approximate):
        ctx.approximate = approximate
        with np.errstate(invalid="ignore", over="ignore"):  # -inf·0 = nan, as in PyTorch
            if approximate == "tanh":
                t = _gelu_tanh_inner(x)
                np.tanh(t, out=t)
                ctx.save_for_backward(x, t)
                out = np.add(t, 1, out=np.empty_like(t))  # (out=: 0-d stays an array)
                out *= x
                out *= 0.5
                return out
            out, cdf = gelu_and_normal_cdf(x)
            ctx.save_for_backward(x, cdf)
            return out

    @staticmethod
    def backward(ctx, grad):
        x, saved = ctx.saved_tensors
        recorded = isinstance(x, Tensor) or isinstance(grad, Tensor)
        if ctx.approximate == "tanh":
            if not recorded:
                with np.errstate(invalid="ignore", over="ignore"):
                    return (_gelu_tanh_backward(x, saved, grad),)
            x2 = x * x
            t = either.tanh(_SQRT_2_OVER_PI * (x + _GELU_CUBIC * x2 * x))
            du = _SQRT_2_OVER_PI * (1 + 3 * _GELU_CUBIC * x2)
            return (grad * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du),)
        if not recorded:
            return (gelu_backward_array(x, saved, grad),)
        cdf = 0.5 * (1 + erf_tensor_or_array(x / _SQRT_2))
        pdf = _INV_SQRT_2PI * either.exp(-0.5 * (x * x))
        return (grad * (cdf + x * pdf),)


def _gelu_tanh_inner(x: np.ndarray) -> np.ndarray:
    """u = √(2/π)(x + 0.044715x³) = x·(√(2/π) + √(2/π)·0.044715·x²), in one new array."""
    u = np.multiply(x, x, out=np.empty_like(x))  # (out=: 0-d stays an array)
    u *= _SQRT_2_OVER_PI * _GELU_CUBIC
    u += _SQRT_2_OVER_PI
    u *= x
    return u


def _gelu_tanh_backward(x: np.ndarray, t: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """g · ((1 + t)/2 + x/2 · (1 - t²) · √(2/π)(1 + 3·0.044715x²)), t = tanh u saved by the
    forward, in two arrays (the formula written out makes about ten temporaries)."""
    du = np.multiply(x, x, out=np.empty_like(x))
    du *= 3 * _GELU_CUBIC * _SQRT_2_OVER_PI
    du += _SQRT_2_OVER_PI
    du *= x  # x·u'(x)
    slope = np.multiply(t, t, out=np.empty_like(t))
    np.subtract(1, slope, out=slope)
    slope *= du
    slope += t
    slope += 1
    slope *= 0.5
    slope *= grad
    return slope


class HardtanhOp(Op):
    """z = clamp(x, lo, hi) (NaN stays NaN; a zero keeps its sign, as PyTorch's relu6(-0.0)).

    dL/dx = g for lo < x < hi (and for NaN), 0 where x <= lo or x >= hi: PyTorch's slope at
    either bound is 0. Linear pieces: the second derivative is 0.
    """

    @staticmethod
    def forward(ctx, x, *, min_val, max_val):
        out = np.clip(x, min_val, max_val).astype(x.dtype, copy=False)
        at_bound = (x == min_val) | (x == max_val)
        if at_bound.any():  # clip turns -0.0 into the bound +0.0; keep x there
            np.copyto(out, x, where=at_bound)
        ctx.save_for_backward((x <= min_val) | (x >= max_val))
        return out

    @staticmethod
    def backward(ctx, grad):
        (flat,) = ctx.saved_tensors
        return (either.masked_fill(grad, flat, 0.0),)


class HardswishOp(Op):
    """z = x · min(max(x + 3, 0), 6) / 6, a piecewise-quadratic swish.

    dL/dx = 0 for x <= -3,  g · (x/3 + 1/2) for -3 < x < 3,  g for x >= 3 (and NaN), PyTorch's
    slopes at the two joins. Second derivative: 1/3 inside (-3, 3), 0 elsewhere (the slopes
    outside, and at ±3, are constants).
    """

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x, (x > -3) & (x < 3), x <= -3)
        with np.errstate(invalid="ignore"):  # inf · 0 = NaN below -3, as in PyTorch
            return x * np.minimum(np.maximum(x + 3, 0), 6) / 6

    @staticmethod
    def backward(ctx, grad):
        x, middle, left = ctx.saved_tensors
        outside = either.masked_fill(grad, left, 0.0)
        return (either.where(middle, grad * (x / 3 + 0.5), outside),)


# PyTorch's kernels write 1/6 as the float constant 1.0f / 6.0f, also for float64 tensors
_ONE_SIXTH_FLOAT32 = float(np.float32(1.0) / np.float32(6.0))


class HardsigmoidOp(Op):
    """z = min(max(x + 3, 0), 6) / 6, a piecewise-linear sigmoid.

    dL/dx = g/6 for -3 < x < 3, else 0 (also at ±3 and for NaN, as PyTorch). PyTorch's 1/6
    here is the float32 constant 0.16666667163..., in float64 too, and so is ours. PyTorch has
    no double backward for it; ours is the exact 0.
    """

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward((x > -3) & (x < 3))
        return np.minimum(np.maximum(x + 3, 0), 6) / 6

    @staticmethod
    def backward(ctx, grad):
        (middle,) = ctx.saved_tensors
        return (either.keep(grad, middle) * _ONE_SIXTH_FLOAT32,)


class SoftshrinkOp(Op):
    """z = x - λ for x > λ,  x + λ for x < -λ,  0·x (a signed zero) in between.

    dL/dx = g outside [-λ, λ] (and for NaN), 0 inside, bounds included.
    """

    @staticmethod
    def forward(ctx, x, *, lambd):
        with np.errstate(invalid="ignore"):  # (the unused inf · 0 of the middle piece)
            out = np.where(x > lambd, x - lambd, np.where(x < -lambd, x + lambd, x * 0))
        ctx.save_for_backward((x >= -lambd) & (x <= lambd))
        return out.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        (inside,) = ctx.saved_tensors
        return (either.masked_fill(grad, inside, 0.0),)


class HardshrinkOp(Op):
    """z = x outside [-λ, λ], 0 inside (bounds included).   dL/dx = g outside, 0 inside."""

    @staticmethod
    def forward(ctx, x, *, lambd):
        inside = (x >= -lambd) & (x <= lambd)
        ctx.save_for_backward(inside)
        return np.where(inside, x.dtype.type(0), x)

    @staticmethod
    def backward(ctx, grad):
        (inside,) = ctx.saved_tensors
        return (either.masked_fill(grad, inside, 0.0),)


class ThresholdOp(Op):
    """z = x where x > threshold (and NaN), else ``value``.   dL/dx = g there, else 0."""

    @staticmethod
    def forward(ctx, x, *, threshold, value):
        replaced = x <= threshold
        ctx.save_for_backward(replaced)
        return np.where(replaced, np.asarray(value).astype(x.dtype), x)

    @staticmethod
    def backward(ctx, grad):
        (replaced,) = ctx.saved_tensors
        return (either.masked_fill(grad, replaced, 0.0),)


class PReLUOp(Op):
    """z = x for x > 0, else w·x, with a learned slope w (broadcast along the channels).

    dL/dx = g where x > 0, else g·w;   dL/dw = 0 where x >= 0, else g·x (summed to w's shape by
    the engine). NaN takes the w·x branch, as PyTorch. At x = 0 the mixed second derivative
    ∂²z/∂x∂w is 0, as PyTorch's (there the slope w is a constant of dL/dx, and dL/dw is 0).
    """

    @staticmethod
    def forward(ctx, x, w):
        positive = x > 0
        ctx.save_for_backward(x, w, positive)
        return np.where(positive, x, w * x)

    @staticmethod
    def backward(ctx, grad):
        x, w, positive = ctx.saved_tensors
        needs_x, needs_w = ctx.needs_input_grad
        at_zero = either.data(x) == 0
        if isinstance(w, Tensor) and at_zero.any():  # recorded: w is a constant at x = 0
            w = either.where(at_zero, either.data(w), w)
        grad_x = either.where(positive, grad, grad * w) if needs_x else None
        grad_w = either.masked_fill(grad * x, positive | at_zero, 0.0) if needs_w else None
        return grad_x, grad_w


def _softplus(x):
    """log(1 + eˣ), linear above 20 (PyTorch's softplus), on an array or a graph Tensor."""
    if isinstance(x, Tensor):
        return SoftplusOp.apply(x, beta=1.0, threshold=20.0)
    with np.errstate(over="ignore"):
        return np.where(x > 20, x, np.log1p(np.exp(np.minimum(x, 20))))


class MishOp(Op):
    """z = x · tanh(softplus(x)), softplus(x) = log(1 + eˣ).

    With t = tanh(softplus(x)) and softplus' = σ(x):

        dL/dx = g · (t + x · σ(x) · (1 - t²)),

    PyTorch's formula (so mish'(inf) is NaN, as there: inf · 0).
    """

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(over="ignore", invalid="ignore"):
            return x * np.tanh(np.log1p(np.exp(x)))

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        with np.errstate(over="ignore", invalid="ignore"):
            t = either.tanh(_softplus(x))
            return (grad * (t + x * either.sigmoid(x) * (1 - t * t)),)


class LogSigmoidOp(Op):
    """z = log σ(x) = min(x, 0) - log(1 + e^-|x|), which neither overflows nor cancels.

    dL/dx = g · σ(-x)  (= 1 - σ(x));  second derivative -σ(x)·σ(-x).
    """

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return (grad * either.sigmoid(-x),)


# --------------------------------------------------------------------------- public functions
# (``mt.nn.functional`` exports them; each checks its arguments as PyTorch does, then applies an
# op above or composes engine ops exactly as PyTorch composes them)


def _check_tensor(input: Any, op: str) -> Tensor:
    return tensor_argument(input, "input", 1, op)


def _floating_only(input: Any, op: str, kernel: str | None = None) -> Tensor:
    """``input``, checked to be a floating tensor: PyTorch has no integer or bool kernel for
    these activations and raises NotImplementedError naming its kernel and the dtype."""
    input = _check_tensor(input, op)
    if input._data.dtype.kind != "f":
        raise NotImplementedError(
            f'{op}: "{kernel or op}_cpu" not implemented for '
            f"'{_dtypes.torch_name(input._data.dtype)}': the input must be a floating point "
            "tensor; convert it with .float()"
        )
    return input


def _maybe_inplace(input: Tensor, inplace: bool, name: str,
                   function: Callable[[Tensor], Tensor]) -> Tensor:
    """``function(input)``, or, with ``inplace=True``, the result written into ``input``."""
    return input._inplace(name, function) if inplace else function(input)


def relu(input: Tensor) -> Tensor:
    """max(x, 0) (``mt.relu``, ``Tensor.relu``); integer tensors keep their dtype."""
    if input._data.dtype.kind == "b":
        raise RuntimeError("relu: Boolean inputs not supported for relu; convert the tensor "
                           "first (x.float())")
    return ReLUOp.apply(input)


def relu_(input: Tensor) -> Tensor:
    """``relu`` written into ``input`` (``F.relu_``)."""
    return _check_tensor(input, "relu_")._inplace("relu_", relu)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x for x > 0, negative_slope·x otherwise (floating input only, as PyTorch)."""
    x = _floating_only(input, "leaky_relu")
    return _maybe_inplace(x, inplace, "leaky_relu_", lambda t: LeakyReLUOp.apply(
        t, negative_slope=float(negative_slope)))


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """``leaky_relu`` written into ``input``."""
    _check_tensor(input, "leaky_relu_")
    return leaky_relu(input, negative_slope, inplace=True)


def _elu_family(input: Tensor, inplace: bool, name: str, alpha: float, scale: float,
                input_scale: float) -> Tensor:
    x = _floating_only(input, name, "elu")
    return _maybe_inplace(x, inplace, name + "_", lambda t: ELUOp.apply(
        t, alpha=float(alpha), scale=float(scale), input_scale=float(input_scale)))


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, α·(eˣ - 1) otherwise."""
    return _elu_family(input, inplace, "elu", alpha, 1.0, 1.0)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """``elu`` written into ``input``."""
    _check_tensor(input, "elu_")
    return elu(input, alpha, inplace=True)


# SELU's constants (Klambauer et al. 2017), to the digits PyTorch uses
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale·(x for x > 0, α·(eˣ - 1) otherwise), α = 1.6733, scale = 1.0507: self-normalising
    (keeps zero mean and unit variance through deep stacks of layers at LeCun-normal init)."""
    return _elu_family(input, inplace, "selu", SELU_ALPHA, SELU_SCALE, 1.0)


def selu_(input: Tensor) -> Tensor:
    """``selu`` written into ``input``."""
    _check_tensor(input, "selu_")
    return selu(input, inplace=True)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, α·(e^(x/α) - 1) otherwise (continuously differentiable at 0 for any α)."""
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU (celu divides x by "
                           "alpha)")
    return _elu_family(input, inplace, "celu", alpha, 1.0, 1.0 / alpha)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """``celu`` written into ``input``."""
    _check_tensor(input, "celu_")
    return celu(input, alpha, inplace=True)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """clamp(x, min_val, max_val); the slope is 0 at and beyond the bounds."""
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val cannot be greater than max_val (got min_val="
                         f"{min_val}, max_val={max_val})")
    x = _check_tensor(input, "hardtanh")
    if x._data.dtype.kind == "b":
        raise RuntimeError("hardtanh: Bool inputs not supported for hardtanh; convert the "
                           "tensor first (x.float())")
    return _maybe_inplace(x, inplace, "hardtanh_", lambda t: HardtanhOp.apply(
        t, min_val=min_val, max_val=max_val))


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """``hardtanh`` written into ``input``."""
    _check_tensor(input, "hardtanh_")
    return hardtanh(input, min_val, max_val, inplace=True)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6) = hardtanh(x, 0, 6): slope 0 at 0 and at 6, as PyTorch."""
    return hardtanh(_check_tensor(input, "relu6"), 0.0, 6.0, inplace)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """x · relu6(x + 3) / 6."""
    x = _floating_only(input, "hardswish")
    return _maybe_inplace(x, inplace, "hardswish_", HardswishOp.apply)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """relu6(x + 3) / 6."""
    x = _floating_only(input, "hardsigmoid")
    return _maybe_inplace(x, inplace, "hardsigmoid_", HardsigmoidOp.apply)


def _check_lambd(lambd: float, x: Tensor, op: str) -> None:
    if not lambd >= 0:
        limit = float(np.finfo(x._data.dtype).max)
        raise RuntimeError(f"{op}: lambda must be in range [0, {limit:g}] for input dtype "
                           f"{_dtypes.torch_name(x._data.dtype)}, but found {lambd}")


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x - λ above λ, x + λ below -λ, 0 in between (λ >= 0)."""
    x = _floating_only(input, "softshrink", "softshrink_check")
    _check_lambd(lambd, x, "softshrink")
    return SoftshrinkOp.apply(x, lambd=float(lambd))


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x outside [-λ, λ], 0 inside."""
    x = _floating_only(input, "hardshrink")
    return HardshrinkOp.apply(x, lambd=float(lambd))


def _threshold(input: Tensor, limit: float, value: float, inplace: bool) -> Tensor:
    x = _check_tensor(input, "threshold")
    if x._data.dtype.kind == "b":
        _floating_only(x, "threshold")
    return _maybe_inplace(x, inplace, "threshold_", lambda t: ThresholdOp.apply(
        t, threshold=limit, value=value))


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """x where x > threshold, else ``value`` (integer tensors keep their dtype)."""
    return _threshold(input, threshold, value, inplace)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    """``threshold`` written into ``input``."""
    _check_tensor(input, "threshold_")
    return _threshold(input, threshold, value, True)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x · tanh(softplus(x))."""
    x = _floating_only(input, "mish")
    return _maybe_inplace(x, inplace, "mish_", MishOp.apply)


def logsigmoid(input: Tensor) -> Tensor:
    """log σ(x), computed without overflow."""
    return LogSigmoidOp.apply(_floating_only(input, "logsigmoid", "log_sigmoid"))


def softsign(input: Tensor) -> Tensor:
    """x / (1 + |x|), composed as PyTorch composes it (so softsign(±inf) is NaN, as there)."""
    x = _check_tensor(input, "softsign")
    return x / (x.abs() + 1)


def tanhshrink(input: Tensor) -> Tensor:
    """x - tanh(x), composed as in PyTorch."""
    x = _check_tensor(input, "tanhshrink")
    return x - x.tanh()


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype: Any = None) -> Tensor:
    """softmax(-x) along ``dim``: large weights on small values."""
    x = _check_tensor(input, "softmin")
    if dim is None:
        warnings.warn("Implicit dimension choice for softmin has been deprecated. Change the "
                      "call to include dim=X as an argument.", UserWarning,
                      stacklevel=_stacklevel)
        dim = 0 if x.ndim in (0, 1, 3) else 1
    from microtensor import ops

    return ops.reduce.softmax(-x, dim, dtype=dtype)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """Gated linear unit: a · σ(b), where a and b are the two halves of ``input`` along
    ``dim``. dL/da = g·σ(b), dL/db = g·a·σ(b)(1 - σ(b)) (through the composed ops)."""
    x = _check_tensor(input, "glu")
    if x.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    axis = dim + x.ndim if -x.ndim <= dim < 0 else dim
    if not 0 <= axis < x.ndim:
        raise IndexError(f"glu: Dimension out of range (expected to be in range of "
                         f"[{-x.ndim}, {x.ndim - 1}], but got {dim})")
    if x.shape[axis] % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {axis} is size "
                           f"{x.shape[axis]} (glu splits the input along dim {dim} into two "
                           "halves)")
    x = _floating_only(x, "glu")
    half = x.shape[axis] // 2
    before = (slice(None),) * axis
    a, b = x[before + (slice(0, half),)], x[before + (slice(half, None),)]
    return a * b.sigmoid()


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """x for x > 0, w·x otherwise, with one learned slope (w of 1 element) or one per channel
    (w of C elements, channels on dim 1; a 0-d or 1-D input has one channel)."""
    x = _check_tensor(input, "prelu")
    w = tensor_argument(weight, "weight", 2, "prelu")
    if w.ndim > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: "
                           f"ndim = {w.ndim}")
    channels = x.shape[1] if x.ndim >= 2 else 1
    if w.numel() not in (1, channels):
        raise RuntimeError(
            f"Mismatch of parameter numbers and input channel size. Found parameter numbers = "
            f"{w.numel()} and channel size = {channels}. (prelu: the weight has one slope, or "
            f"one per channel on dim 1 of the input of shape {tuple(x.shape)})")
    if w.dtype != x.dtype:
        raise RuntimeError(f"prelu: Type promoting not supported. Got "
                           f"{_dtypes.torch_name(x._data.dtype)} and "
                           f"{_dtypes.torch_name(w._data.dtype)}; convert the weight with "
                           ".to(input.dtype)")
    x = _floating_only(x, "prelu")
    if w.numel() == 1 or x.ndim < 2:
        w = w.reshape(())
    else:
        w = w.reshape((channels,) + (1,) * (x.ndim - 2))
    return PReLUOp.apply(x, w)
