"""``mt.nn``: layers, losses and the ``Module`` machinery, with PyTorch's names.

    import microtensor as mt
    from microtensor import nn
    import microtensor.nn.functional as F

    model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
    loss = nn.CrossEntropyLoss()(model(x), y)

Where to read: ``module.py`` (Module, Parameter), the layer files (``linear.py``, ``conv.py``,
``normalization.py``, ...), ``functional.py`` (the same as functions) and ``primitives/`` (the
fused ops, forward next to backward).
"""

from microtensor.nn import functional, init, utils
from microtensor.nn.activation import (
    ELU,
    GELU,
    LeakyReLU,
    LogSoftmax,
    ReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Tanh,
)
from microtensor.nn.container import ModuleDict, ModuleList, Sequential
from microtensor.nn.conv import AdaptiveAvgPool2d, AvgPool2d, Conv2d, MaxPool2d
from microtensor.nn.dropout import Dropout
from microtensor.nn.flatten import Flatten, Unflatten
from microtensor.nn.linear import Identity, Linear
from microtensor.nn.loss import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
)
from microtensor.nn.module import Module, Parameter
from microtensor.nn.normalization import BatchNorm1d, BatchNorm2d

__all__ = [
    "AdaptiveAvgPool2d", "AvgPool2d", "BCELoss", "BCEWithLogitsLoss", "BatchNorm1d",
    "BatchNorm2d", "Conv2d", "CrossEntropyLoss", "Dropout", "ELU", "Flatten", "GELU", "Identity",
    "L1Loss", "LeakyReLU", "Linear", "LogSoftmax", "MSELoss", "MaxPool2d", "Module",
    "ModuleDict", "ModuleList", "NLLLoss", "Parameter", "ReLU", "Sequential", "SiLU", "Sigmoid",
    "Softmax", "Softplus", "Tanh", "Unflatten", "functional", "init", "utils",
]
