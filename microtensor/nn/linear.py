"""``Linear`` (an affine map y = x Wᵀ + b) and ``Identity``."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from microtensor import _dtypes
from microtensor.nn import functional as F
from microtensor.nn import init
from microtensor.nn.module import Module, Parameter
from microtensor.tensor import Tensor


def _new_parameter(shape: tuple[int, ...], dtype: Any) -> Parameter:
    """An uninitialised Parameter (``reset_parameters`` fills it)."""
    dtype = _dtypes.get_default_dtype() if dtype is None else _dtypes.resolve(dtype)
    return Parameter(np.empty(shape, dtype))


def _reset_weight_and_bias(weight: Parameter, bias: Parameter | None) -> None:
    """PyTorch's default start for ``Linear`` and ``Conv2d``: ``kaiming_uniform_`` with a=√5 on
    the weight, which is U(-1/√fan_in, 1/√fan_in), and the same range for the bias (all zeros
    when fan_in is 0, i.e. the layer has no inputs)."""
    init.kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        fan_in, _ = init._calculate_fan_in_and_fan_out(weight)
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
        init.uniform_(bias, -bound, bound)


class Identity(Module):
    """Returns its input unchanged (arguments to the constructor are accepted and ignored)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:
        return input


class Linear(Module):
    """y = x Wᵀ + b on inputs of shape (*, in_features).

    ``weight`` (out_features, in_features) and ``bias`` (out_features,) start uniform on
    [-1/√in_features, 1/√in_features], as in PyTorch (kaiming_uniform_ with a=√5).
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = _new_parameter((out_features, in_features), dtype)
        if bias:
            self.bias = _new_parameter((out_features,), dtype)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _reset_weight_and_bias(self.weight, self.bias)

    def forward(self, input: Tensor) -> Tensor:
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")
