"""microtensor: reverse-mode autograd on NumPy with PyTorch's names.

    import microtensor as mt
    x = mt.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    x.grad            # tensor([2., 4., 6.])

Where to read: ``tensor.py`` (the Tensor), ``autograd/function.py`` (graph nodes),
``autograd/engine.py`` (the backward pass), ``ops/`` (every primitive, forward next to backward).
"""

from microtensor import autograd, datasets, landscape, nn, optim, transforms, utils, viz
from microtensor._dtypes import (
    bool,
    double,
    float,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    int,
    int8,
    int16,
    int32,
    int64,
    long,
    set_default_dtype,
    short,
    uint8,
)
from microtensor.autograd.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from microtensor.creation import (
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from microtensor.ops.activations import relu
from microtensor.ops.elementwise import (
    abs,
    add,
    clamp,
    clip,
    cos,
    div,
    exp,
    log,
    masked_fill,
    maximum,
    minimum,
    mul,
    neg,
    pow,
    sigmoid,
    sign,
    sin,
    sqrt,
    sub,
    tanh,
    where,
)
from microtensor.ops.linalg import matmul
from microtensor.ops.promotion import can_cast, promote_types, result_type
from microtensor.ops.reduce import (
    amax,
    amin,
    argmax,
    argmin,
    log_softmax,
    logsumexp,
    max,
    mean,
    min,
    norm,
    prod,
    softmax,
    std,
    sum,
    var,
)
from microtensor.ops.shape import (
    cat,
    chunk,
    expand,
    flatten,
    permute,
    repeat,
    reshape,
    split,
    squeeze,
    stack,
    transpose,
    unsqueeze,
)
from microtensor.ops.special import erf
from microtensor.random import Generator, manual_seed
from microtensor.serialization import load, save
from microtensor.tensor import Tensor

__version__ = "0.1.0"


def numel(input: Tensor) -> int:
    return input.numel()


def is_tensor(obj: object) -> bool:
    return isinstance(obj, Tensor)


concat = concatenate = cat
