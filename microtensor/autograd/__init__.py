"""Automatic differentiation: the graph nodes, the backward engine and its tools."""

from microtensor.autograd import functional
from microtensor.autograd.anomaly import detect_anomaly, is_anomaly_enabled
from microtensor.autograd.engine import backward, grad
from microtensor.autograd.function import Function, Op
from microtensor.autograd.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from microtensor.autograd.gradcheck import GradcheckError, gradcheck, gradgradcheck

__all__ = [
    "Function", "Op", "GradcheckError", "backward", "detect_anomaly", "enable_grad", "functional",
    "grad", "gradcheck", "gradgradcheck", "is_anomaly_enabled", "is_grad_enabled", "no_grad",
    "set_grad_enabled",
]
