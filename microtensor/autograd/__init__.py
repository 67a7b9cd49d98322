"""Automatic differentiation: the graph nodes, the backward engine and its tools."""

from typing import Any

from microtensor.autograd import functional, profiler
from microtensor.autograd.anomaly import detect_anomaly, is_anomaly_enabled
from microtensor.autograd.engine import backward, grad
from microtensor.autograd.function import Function, Op
from microtensor.autograd.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from microtensor.autograd.gradcheck import GradcheckError, gradcheck, gradgradcheck
from microtensor.tensor import Tensor


def Variable(data: Tensor, requires_grad: bool = False, volatile: bool = False) -> Tensor:
    """PyTorch's deprecated ``Variable`` wrapper (before 0.4 tensors needed it for autograd):
    today every tensor is one. As in PyTorch, ``Variable(t)`` is a new tensor sharing ``t``'s
    memory, cut from the graph, that requires grad if ``requires_grad=True``; write
    ``t.detach().requires_grad_()`` instead."""
    if not isinstance(data, Tensor):
        raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
    alias: Any = data.detach()
    return alias.requires_grad_() if requires_grad else alias

__all__ = [
    "Function", "Op", "GradcheckError", "Variable", "backward", "detect_anomaly", "enable_grad",
    "functional", "grad", "gradcheck", "gradgradcheck", "is_anomaly_enabled", "is_grad_enabled",
    "no_grad", "profiler", "set_grad_enabled",
]
