"""The activation functions of neural networks: ReLU, LeakyReLU, ELU, Softplus, GELU.

(tanh and sigmoid, which are also plain math functions like exp, are in ``elementwise.py``.)

Each backward is written with operators and helpers that work on NumPy arrays (the ordinary
backward pass) and on Tensors (``create_graph=True``), so all of them can be differentiated
twice; see ``microtensor/ops/array_or_tensor.py``. Values that are constant for the derivative
(masks, slopes) are saved as plain arrays.
"""

from __future__ import annotations

import math

import numpy as np

from microtensor.autograd.function import Op
from microtensor.ops import array_or_tensor as either
from microtensor.ops.special import erf_tensor_or_array
from microtensor.tensor import Tensor


class ReLUOp(Op):
    """z = max(x, 0).  dL/dx = g, except 0 where z <= 0 (relu(nan) = nan passes g, as PyTorch).

    The zeros are selected, not g × 0: below an infinite g (say √ of the output at 0) the
    gradient is 0 where x < 0, not nan.
    """

    @staticmethod
    def forward(ctx, x):
        out = np.maximum(x, 0)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return (either.masked_fill(grad, either.data(out) <= 0, 0.0),)


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
    """z = x for x > 0, else α(eˣ - 1).

    dL/dx = g·z' with z' = 1 for x > 0, else α·eˣ = z + α: the saved output gives the
    derivative, and (for double backward) the derivative's own dependence on x through z,
    z'' = α·eˣ for x < 0 and 0 for x > 0.
    At the kink x = 0 PyTorch takes z'(0) = α (the left branch) but z''(0) = 0 (the right
    one); so do we: there z' is the constant α, not z + α.
    """

    @staticmethod
    def forward(ctx, x, *, alpha):
        positive = ~(x <= 0)  # nan takes the identity branch, as in PyTorch: g passes through
        out = np.where(positive, x, alpha * np.expm1(np.minimum(x, 0))).astype(x.dtype)
        ctx.save_for_backward(positive, x < 0, out)
        ctx.alpha = alpha
        return out

    @staticmethod
    def backward(ctx, grad):
        positive, negative, out = ctx.saved_tensors
        slope = either.masked_fill(out, ~negative, 0.0) + ctx.alpha  # α·eˣ, and α at x = 0
        return (grad * either.masked_fill(slope, positive, 1.0),)


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
    """

    @staticmethod
    def forward(ctx, x, *, approximate):
        ctx.save_for_backward(x)
        ctx.approximate = approximate
        if approximate == "tanh":
            inner = _SQRT_2_OVER_PI * (x + _GELU_CUBIC * x * x * x)
            return 0.5 * x * (1 + np.tanh(inner))
        return 0.5 * x * (1 + erf_tensor_or_array(x / _SQRT_2))

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        if ctx.approximate == "tanh":
            x2 = x * x
            t = either.tanh(_SQRT_2_OVER_PI * (x + _GELU_CUBIC * x2 * x))
            du = _SQRT_2_OVER_PI * (1 + 3 * _GELU_CUBIC * x2)
            return (grad * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du),)
        cdf = 0.5 * (1 + erf_tensor_or_array(x / _SQRT_2))
        pdf = _INV_SQRT_2PI * either.exp(-0.5 * (x * x))
        return (grad * (cdf + x * pdf),)


# --------------------------------------------------------------------------- public functions


def relu(input: Tensor) -> Tensor:
    if input._data.dtype.kind == "b":
        raise RuntimeError("relu: Boolean inputs not supported for relu; convert the tensor "
                           "first (x.float())")
    return ReLUOp.apply(input)
