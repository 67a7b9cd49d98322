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
    CELU,
    ELU,
    GELU,
    GLU,
    SELU,
    Hardshrink,
    Hardsigmoid,
    Hardswish,
    Hardtanh,
    LeakyReLU,
    LogSigmoid,
    LogSoftmax,
    Mish,
    PReLU,
    ReLU,
    ReLU6,
    Sigmoid,
    SiLU,
    Softmax,
    Softmin,
    Softplus,
    Softshrink,
    Softsign,
    Tanh,
    Tanhshrink,
    Threshold,
)
from microtensor.nn.attention import MultiheadAttention
from microtensor.nn.container import (
    ModuleDict,
    ModuleList,
    ParameterDict,
    ParameterList,
    Sequential,
)
from microtensor.nn.conv import (
    AdaptiveAvgPool2d,
    AvgPool2d,
    Conv1d,
    Conv2d,
    ConvTranspose1d,
    ConvTranspose2d,
    Fold,
    MaxPool2d,
    Unfold,
)
from microtensor.nn.dropout import (
    AlphaDropout,
    Dropout,
    Dropout1d,
    Dropout2d,
    FeatureAlphaDropout,
)
from microtensor.nn.flatten import Flatten, Unflatten
from microtensor.nn.linear import Identity, Linear
from microtensor.nn.loss import (
    BCELoss,
    BCEWithLogitsLoss,
    CosineEmbeddingLoss,
    CrossEntropyLoss,
    GaussianNLLLoss,
    HingeEmbeddingLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MarginRankingLoss,
    MSELoss,
    MultiLabelMarginLoss,
    MultiLabelSoftMarginLoss,
    MultiMarginLoss,
    NLLLoss,
    PoissonNLLLoss,
    SmoothL1Loss,
    SoftMarginLoss,
    TripletMarginLoss,
)
from microtensor.nn.module import Module, Parameter
from microtensor.nn.normalization import (
    BatchNorm1d,
    BatchNorm2d,
    GroupNorm,
    InstanceNorm1d,
    InstanceNorm2d,
    LayerNorm,
    RMSNorm,
)
from microtensor.nn.pooling import (
    AdaptiveAvgPool1d,
    AdaptiveMaxPool1d,
    AdaptiveMaxPool2d,
    AvgPool1d,
    MaxPool1d,
    MaxUnpool2d,
)
from microtensor.nn.rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase
from microtensor.nn.sparse import Embedding
from microtensor.nn.transformer import (
    Transformer,
    TransformerDecoder,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
)
from microtensor.nn.upsampling import PixelShuffle, PixelUnshuffle, Upsample

__all__ = [
    "AdaptiveAvgPool2d", "AvgPool2d", "BCELoss", "BCEWithLogitsLoss", "BatchNorm1d",
    "BatchNorm2d", "Conv2d", "CrossEntropyLoss", "Dropout", "ELU", "Flatten", "GELU", "Identity",
    "L1Loss", "LeakyReLU", "Linear", "LogSoftmax", "MSELoss", "MaxPool2d", "Module",
    "ModuleDict", "ModuleList", "NLLLoss", "Parameter", "ReLU", "Sequential", "SiLU", "Sigmoid",
    "Softmax", "Softplus", "Tanh", "Unflatten", "functional", "init", "utils",
    # activations and losses of issue 14
    "CELU", "CosineEmbeddingLoss", "GLU", "GaussianNLLLoss", "Hardshrink", "Hardsigmoid",
    "Hardswish", "Hardtanh", "HingeEmbeddingLoss", "HuberLoss", "KLDivLoss", "LogSigmoid",
    "MarginRankingLoss", "Mish", "MultiLabelMarginLoss", "MultiLabelSoftMarginLoss",
    "MultiMarginLoss", "PReLU",
    "PoissonNLLLoss", "ReLU6", "SELU", "SmoothL1Loss", "SoftMarginLoss", "Softmin",
    "Softshrink", "Softsign", "Tanhshrink", "Threshold", "TripletMarginLoss",
]
__all__ += ["ParameterDict", "ParameterList"]
__all__ += [
    "Embedding", "GroupNorm", "InstanceNorm1d", "InstanceNorm2d", "LayerNorm", "MultiheadAttention",
    "RMSNorm", "Transformer", "TransformerDecoder", "TransformerDecoderLayer", "TransformerEncoder",
    "TransformerEncoderLayer",
]
__all__ += ["GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "RNNBase", "RNNCell", "RNNCellBase"]
__all__ += [  # 1-d, transposed and resampling convolution layers (issue 14, part 3)
    "AdaptiveAvgPool1d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "AlphaDropout", "AvgPool1d",
    "Conv1d", "ConvTranspose1d", "ConvTranspose2d", "Dropout1d", "Dropout2d",
    "FeatureAlphaDropout", "Fold", "MaxPool1d", "MaxUnpool2d", "PixelShuffle", "PixelUnshuffle",
    "Unfold", "Upsample",
]
