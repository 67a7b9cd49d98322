"""``mt.nn.functional`` (import it as ``F``): the layers and losses as plain functions.

Each function checks its arguments (with errors that name the function and the shapes) and calls
a primitive: an engine op, a convolution op from ``microtensor/ops/conv.py``, or one of the fused
ops in ``microtensor/ops/`` where the math of each backward is written out.
Names, signatures and defaults follow ``torch.nn.functional``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from microtensor import _dtypes
from microtensor._arguments import tensor_argument
from microtensor.ops import activations as _act
from microtensor.ops import elementwise as _ew
from microtensor.ops import losses as _loss
from microtensor.ops import reduce as _reduce
from microtensor.ops import shape as _shape
from microtensor.ops.activations import (
    celu,
    celu_,
    elu,
    elu_,
    glu,
    hardshrink,
    hardsigmoid,
    hardswish,
    hardtanh,
    hardtanh_,
    leaky_relu,
    leaky_relu_,
    logsigmoid,
    mish,
    prelu,
    relu6,
    relu_,
    selu,
    selu_,
    softmin,
    softshrink,
    softsign,
    tanhshrink,
    threshold,
    threshold_,
)
from microtensor.ops.attention import scaled_dot_product_attention
from microtensor.ops.channel_dropout import (
    alpha_dropout,
    dropout1d,
    dropout2d,
    feature_alpha_dropout,
)
from microtensor.ops.conv import avg_pool2d, check_pool_dtype, conv1d, conv2d, max_pool2d
from microtensor.ops.conv_transpose import conv_transpose1d, conv_transpose2d
from microtensor.ops.embedding import embedding
from microtensor.ops.fold import fold, unfold
from microtensor.ops.linalg import LinearOp
from microtensor.ops.losses import (
    cosine_embedding_loss,
    cosine_similarity,
    gaussian_nll_loss,
    hinge_embedding_loss,
    huber_loss,
    kl_div,
    margin_ranking_loss,
    multi_margin_loss,
    multilabel_margin_loss,
    multilabel_soft_margin_loss,
    normalize,
    pairwise_distance,
    poisson_nll_loss,
    smooth_l1_loss,
    soft_margin_loss,
    triplet_margin_loss,
)
from microtensor.ops.normalization import (
    BatchNormOp,
    group_norm,
    instance_norm,
    layer_norm,
    rms_norm,
)
from microtensor.ops.pool1d import (
    AdaptiveAvgPool2dOp,
    adaptive_avg_pool1d,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
    avg_pool1d,
    check_not_empty,
    global_avg_pool,
    max_pool1d,
)
from microtensor.ops.random_masks import DropoutMaskOp
from microtensor.ops.resample import interpolate, max_unpool2d, pixel_shuffle, pixel_unshuffle
from microtensor.random import Generator
from microtensor.random import generator as _rng
from microtensor.tensor import Tensor

__all__ = [
    "adaptive_avg_pool2d", "avg_pool2d", "batch_norm", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "conv2d", "cross_entropy", "dropout", "elu", "gelu",
    "l1_loss", "leaky_relu", "linear", "log_softmax", "max_pool2d", "mse_loss", "nll_loss",
    "one_hot", "pad", "relu", "sigmoid", "silu", "softmax", "softplus", "tanh",
]
# embeddings, normalisation and attention (written in ops/embedding.py, ops/normalization.py,
# ops/attention.py, where their math is)
__all__ += ["embedding", "group_norm", "instance_norm", "layer_norm", "rms_norm",
            "scaled_dot_product_attention"]
# activations and losses (written in ops/activations.py and ops/losses.py, with their math)
__all__ += [
    "celu", "celu_", "cosine_embedding_loss", "cosine_similarity", "elu_", "gaussian_nll_loss",
    "glu", "hardshrink", "hardsigmoid", "hardswish", "hardtanh", "hardtanh_",
    "hinge_embedding_loss", "huber_loss", "kl_div", "leaky_relu_", "logsigmoid",
    "margin_ranking_loss", "mish", "multi_margin_loss", "multilabel_margin_loss",
    "multilabel_soft_margin_loss",
    "normalize", "pairwise_distance", "poisson_nll_loss", "prelu", "relu6", "relu_", "selu",
    "selu_", "smooth_l1_loss", "soft_margin_loss", "softmin", "softshrink", "softsign",
    "tanhshrink", "threshold", "threshold_", "triplet_margin_loss",
]
__all__ += [  # 1-d, transposed and resampling convolution layers (issue 14, part 3)
    "adaptive_avg_pool1d", "adaptive_max_pool1d", "adaptive_max_pool2d", "alpha_dropout",
    "avg_pool1d", "conv1d", "conv_transpose1d", "conv_transpose2d", "dropout1d", "dropout2d",
    "feature_alpha_dropout", "fold", "interpolate", "max_pool1d", "max_unpool2d",
    "pixel_shuffle", "pixel_unshuffle", "unfold",
]


def _floating(x: Tensor, name: str, op: str) -> Tensor:
    if x.dtype.kind != "f":
        raise RuntimeError(
            f"{op}: {name} must be a floating point tensor, got dtype {x.dtype}; convert it "
            "with .float()"
        )
    return x


# --------------------------------------------------------------------------- linear


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x Wᵀ + b for x of shape (*, in_features), W (out_features, in_features), b (out,)."""
    input = tensor_argument(input, "input", 1, "linear")
    weight = tensor_argument(weight, "weight", 2, "linear")
    if bias is not None:
        tensor_argument(bias, "bias", 3, "linear")
    if weight.ndim != 2:
        raise RuntimeError(
            f"linear: weight must be 2-D (out_features, in_features), got shape "
            f"{tuple(weight.shape)}"
        )
    if input.ndim == 0 or input.shape[-1] != weight.shape[1]:
        features = input.shape[-1] if input.ndim else 0
        raise RuntimeError(
            f"linear: input of shape {tuple(input.shape)} has {features} features in its last "
            f"dim, but the weight of shape {tuple(weight.shape)} expects {weight.shape[1]} "
            "(in_features)"
        )
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise RuntimeError(
            f"linear: bias must have shape ({weight.shape[0]},), got {tuple(bias.shape)}"
        )
    for name, other in (("weight", weight), ("bias", bias)):
        if other is not None and other.dtype != input.dtype:
            raise RuntimeError(
                f"linear: input dtype ({input.dtype}) and {name} dtype ({other.dtype}) must be "
                "the same; convert the input (x.float()) or the model (model.double())"
            )
    return LinearOp.apply(input, weight, bias)


def adaptive_avg_pool2d(input: Tensor, output_size: Any) -> Tensor:
    """Average pooling of (N, C, H, W) or (C, H, W) to the spatial size ``output_size`` (int or
    pair; None keeps that dim; 0 gives an empty output). Output cell i along a dim of size S
    covers the input range [floor(i·S/out), ceil((i+1)·S/out)), as in PyTorch.

    A 1x1 output is the mean over the last two dims, with PyTorch's rules for it (those of
    ``mean``: any number of leading dims, empty dims allowed; ``pool1d.global_avg_pool``).
    Integer inputs are refused, as in PyTorch (NotImplementedError; for 1x1, mean's
    RuntimeError), except where the result is empty."""
    op = "adaptive_avg_pool2d"
    x = tensor_argument(input, "input", 1, op)
    out_h, out_w = _adaptive_output_size(output_size, x, op)
    if (out_h, out_w) == (1, 1):
        return global_avg_pool(x)
    if x.ndim not in (3, 4):
        raise RuntimeError(f"{op}(): Expected 3D or 4D tensor, but got {list(x.shape)} (input "
                           "of shape (N, C, H, W) or (C, H, W))")
    check_not_empty(op, x, (x.ndim - 2, x.ndim - 1))  # as in PyTorch, H and W only
    if out_h == 0 or out_w == 0 or x.numel() == 0:  # an empty result, still in the graph
        return x[..., :0, :0].reshape(tuple(x.shape[:-2]) + (out_h, out_w))
    check_pool_dtype(x, op)  # (integers: PyTorch's kernel is reached only for a result)
    # two matrix products with the window-mean matrices (ops/pool1d.py, pool_fast.py)
    return AdaptiveAvgPool2dOp.apply(x, out_h=out_h, out_w=out_w)


def _adaptive_output_size(output_size: Any, x: Tensor, op: str) -> tuple[int, int]:
    """``output_size`` (an int, or a pair of ints or None) as (out_h, out_w); None is the
    input's size there (PyTorch's order of checks: a pair needs a 3-D input at least)."""
    if isinstance(output_size, tuple | list):
        if x.ndim <= len(output_size):
            raise ValueError(f"Input dimension should be at least {len(output_size) + 1} "
                             f"({op}: input of shape {tuple(x.shape)}, output_size "
                             f"{output_size!r})")
        size = tuple(output_size)
    else:
        size = (output_size, output_size)
    if len(size) != 2:
        raise RuntimeError(f"{op}: output_size must be 2 (an int or a pair), got {output_size!r}")
    result = []
    for value, dim in zip(size, (-2, -1)):
        if value is None:
            result.append(x.shape[dim])
            continue
        if not isinstance(value, int | np.integer) or isinstance(value, bool):
            raise TypeError(f"{op}: output_size must be an int or a pair of ints (or None), got "
                            f"{output_size!r}")
        if value < 0:
            raise RuntimeError(f"{op}: elements of output_size must be greater than or equal to "
                               f"0 but received {output_size!r}")
        result.append(int(value))
    return result[0], result[1]


# --------------------------------------------------------------------------- activations


def _maybe_inplace(input: Tensor, inplace: bool, name: str,
                   function: Callable[[Tensor], Tensor]) -> Tensor:
    """``function(input)``, or, with ``inplace=True``, the result written into ``input``."""
    return input._inplace(name, function) if inplace else function(input)


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0)."""
    return _maybe_inplace(tensor_argument(input, "input", 1, "relu"), inplace, "relu_", _act.relu)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x·Φ(x) (Φ: the standard normal CDF, via erf), or its tanh approximation."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError(
            f"gelu: approximate argument must be either none or tanh. (got {approximate!r})")
    x = _floating(tensor_argument(input, "input", 1, "gelu"), "input", "gelu")
    return _act.GELUOp.apply(x, approximate=approximate)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + e^(βx))/β, a smooth ReLU (linear where βx > threshold)."""
    x = _floating(tensor_argument(input, "input", 1, "softplus"), "input", "softplus")
    return _act.SoftplusOp.apply(x, beta=float(beta), threshold=float(threshold))


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x·σ(x) (also called swish)."""
    input = tensor_argument(input, "input", 1, "silu")
    return _maybe_inplace(input, inplace, "silu_", lambda t: t * _ew.sigmoid(t))


def sigmoid(input: Tensor) -> Tensor:
    """1 / (1 + e⁻ˣ)."""
    return _ew.sigmoid(tensor_argument(input, "input", 1, "sigmoid"))


def tanh(input: Tensor) -> Tensor:
    """(eˣ - e⁻ˣ) / (eˣ + e⁻ˣ)."""
    return _ew.tanh(tensor_argument(input, "input", 1, "tanh"))


def _softmax_dim(name: str, ndim: int) -> int:
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. Change the call to include "
        "dim=X as an argument.", UserWarning, stacklevel=3,
    )
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim: int | None = None, dtype: Any = None) -> Tensor:
    """e^x / Σ e^x along ``dim``."""
    input = tensor_argument(input, "input", 1, "softmax")
    if dim is None:
        dim = _softmax_dim("softmax", input.ndim)
    return _reduce.softmax(input, dim, dtype=dtype)


def log_softmax(input: Tensor, dim: int | None = None, dtype: Any = None) -> Tensor:
    """x - logsumexp(x) along ``dim``."""
    input = tensor_argument(input, "input", 1, "log_softmax")
    if dim is None:
        dim = _softmax_dim("log_softmax", input.ndim)
    return _reduce.log_softmax(input, dim, dtype=dtype)


# --------------------------------------------------------------------------- dropout


def dropout(input: Tensor, p: float = 0.5, training: bool = True,
            inplace: bool = False, generator: Generator | None = None) -> Tensor:
    """Inverted dropout: zero each element with probability ``p`` and scale the rest by
    1/(1-p), so the expected value is unchanged; the identity when ``training`` is False.

    The mask is drawn from the global generator (``mt.manual_seed``) unless ``generator`` is
    given (an addition to PyTorch's signature).
    """
    input = tensor_argument(input, "input", 1, "dropout")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    dtype = input.dtype if input.dtype in (np.float32, np.float64) else np.float64
    if p == 1.0:
        mask = np.zeros(input.shape, dtype)
    else:
        mask = (_rng(generator).random(input.shape, dtype=dtype) >= p).astype(dtype)
        mask *= 1.0 / (1.0 - p)
    return _maybe_inplace(input, inplace, "dropout_",
                          lambda t: DropoutMaskOp.apply(t, mask=mask.astype(t.dtype, copy=False)))


# --------------------------------------------------------------------------- normalisation


def batch_norm(
    input: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each channel (axis 1) to zero mean and unit variance, then scale and shift.

    Training: uses the batch's mean and biased variance, and updates the running statistics
    in place (when given) as running = (1 - momentum)·running + momentum·batch, with the
    *unbiased* variance for running_var (PyTorch's convention). Evaluation: uses the running
    statistics.
    """
    op = "batch_norm"
    x = _floating(tensor_argument(input, "input", 1, op), "input", op)
    for position, (name, t) in enumerate((("running_mean", running_mean),
                                          ("running_var", running_var), ("weight", weight),
                                          ("bias", bias)), start=2):
        if t is not None:
            tensor_argument(t, name, position, op)
    if x.ndim < 2:
        raise ValueError(f"{op}: expected an input with at least 2 dims (N, C, ...), got shape "
                         f"{tuple(x.shape)}")
    channels = x.shape[1]
    for name, t in (("weight", weight), ("bias", bias), ("running_mean", running_mean),
                    ("running_var", running_var)):
        if t is not None and tuple(t.shape) != (channels,):
            raise RuntimeError(
                f"{op}: {name} must have shape ({channels},) (one value per channel of the input "
                f"of shape {tuple(x.shape)}), got {tuple(t.shape)}"
            )
        if t is not None and name in ("weight", "bias") and t.dtype != x.dtype:
            raise RuntimeError(
                f"{op}: input dtype ({x.dtype}) and {name} dtype ({t.dtype}) must be the same; "
                "convert the input (x.float()) or the model (model.double())"
            )
    if training:
        count = x.numel() // channels
        if count <= 1:
            raise ValueError(
                "Expected more than 1 value per channel when training, got input size "
                f"{tuple(x.shape)}"
            )
        axes = (0,) + tuple(range(2, x.ndim))
        mean = x._data.mean(axis=axes, dtype=np.float64)
        var = x._data.var(axis=axes, dtype=np.float64)
        _update_running(running_mean, mean, momentum)
        _update_running(running_var, var * (count / (count - 1)), momentum)
    else:
        if running_mean is None or running_var is None:
            raise RuntimeError(
                f"{op}: running_mean and running_var are needed in evaluation mode "
                "(training=False)"
            )
        mean, var = running_mean._data, running_var._data
    return BatchNormOp.apply(x, weight, bias, mean=mean.astype(x.dtype), var=var.astype(x.dtype),
                           eps=float(eps), training=bool(training))


def _update_running(running: Tensor | None, batch_value: np.ndarray, momentum: float) -> None:
    if running is None:
        return
    data = running._data
    data[...] = (1 - momentum) * data + momentum * batch_value
    running._bump_version()


# --------------------------------------------------------------------------- losses


_REDUCTIONS = ("none", "mean", "sum")


def _reduction(reduction: str, size_average: bool | None = None,
               reduce: bool | None = None) -> str:
    """Check ``reduction``; map PyTorch's legacy size_average/reduce flags onto it."""
    if size_average is not None or reduce is not None:
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        reduction = "none" if not reduce else ("mean" if size_average else "sum")
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction; use 'none', 'mean' "
                         "or 'sum'")
    return reduction


def _like_input(target: Any, x: Tensor, op: str) -> Tensor:
    """The target as a tensor of the input's floating dtype (a differentiable cast)."""
    target = tensor_argument(target, "target", 2, op)
    return target if target.dtype == x.dtype else _ew.cast(target, x.dtype)


def _same_shape_pair(input: Any, target: Any, op: str) -> tuple[Tensor, Tensor]:
    """Input and target of the binary losses: Tensors of one shape (checked first, as in
    PyTorch), the input floating, the target cast to its dtype."""
    x = tensor_argument(input, "input", 1, op)
    y = tensor_argument(target, "target", 2, op)
    if tuple(y.shape) != tuple(x.shape):
        raise ValueError(
            f"{op}: target size {tuple(y.shape)} must be the same as input size "
            f"{tuple(x.shape)}"
        )
    x = _floating(x, "input", op)
    return x, _like_input(y, x, op)


def _constant(value: Tensor | None, dtype: np.dtype) -> np.ndarray | None:
    """Weights enter the losses as constants (no gradient flows to them)."""
    if value is None:
        return None
    return value._data.astype(dtype, copy=False)


def _elementwise_weight(weight: Any, name: str, position: int, x: Tensor, op: str
                        ) -> np.ndarray | None:
    """``weight`` or ``pos_weight`` of the binary losses as a constant array, checked to
    broadcast *to* the input's shape: a larger one would silently enlarge the loss, which
    PyTorch refuses."""
    if weight is None:
        return None
    w = tensor_argument(weight, name, position, op)
    shape, wanted = tuple(w.shape), tuple(x.shape)
    # aligned from the right, each size of the weight is 1 or the input's, and it has no more dims
    fits = len(shape) <= len(wanted) and all(
        size in (1, full) for size, full in zip(reversed(shape), reversed(wanted)))
    if not fits:
        raise RuntimeError(
            f"{op}: {name} of shape {shape} must be broadcastable to the input shape {wanted} "
            f"(one value per element, or a shape with 1s where it repeats, e.g. "
            f"{(1,) * (len(wanted) - 1) + wanted[-1:] if wanted else ()}); it would make the "
            "loss a different shape from the input"
        )
    return _constant(w, x.dtype)


def mse_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
             reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """Mean squared error, (x - y)² per element, reduced."""
    op = "mse_loss"
    reduction = _reduction(reduction, size_average, reduce)
    x = _floating(tensor_argument(input, "input", 1, op), "input", op)
    y = _like_input(target, x, op)
    _warn_if_broadcast(x, y, op)
    return _loss.MSELossOp.apply(x, y, reduction=reduction)


def l1_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
            reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """Mean absolute error, |x - y| per element, reduced."""
    op = "l1_loss"
    reduction = _reduction(reduction, size_average, reduce)
    x = _floating(tensor_argument(input, "input", 1, op), "input", op)
    y = _like_input(target, x, op)
    _warn_if_broadcast(x, y, op)
    return _loss.L1LossOp.apply(x, y, reduction=reduction)


def _warn_if_broadcast(x: Tensor, y: Tensor, op: str) -> None:
    """PyTorch's warning when the target has another shape than the input, and its
    RuntimeError when the two do not broadcast at all."""
    if tuple(x.shape) != tuple(y.shape):
        warnings.warn(
            f"{op}: using a target size {tuple(y.shape)} that is different to the input size "
            f"{tuple(x.shape)}. This will likely lead to incorrect results due to broadcasting. "
            "Please ensure they have the same size.", UserWarning, stacklevel=3,
        )
        try:
            np.broadcast_shapes(tuple(x.shape), tuple(y.shape))
        except ValueError:
            raise RuntimeError(
                f"{op}: the input of shape {tuple(x.shape)} and the target of shape "
                f"{tuple(y.shape)} cannot be broadcast together; give the target the input's "
                "shape"
            ) from None


_CLASS_INDEX_DTYPES = (np.dtype(np.int64), np.dtype(np.uint8))  # PyTorch's Long and Byte


def _class_index_target(x: Tensor, target: Tensor, ignore_index: int, op: str) -> np.ndarray:
    """Check integer targets against an (N, C, d...) input and return them as an array.

    PyTorch's checks, in its order and with its exception types: the batch size (ValueError),
    the other dims (RuntimeError), the dtype, int64 or uint8 only (RuntimeError). The range is
    checked by ``_check_class_range``, after the class weights (PyTorch's order).
    """
    t = target._data
    expected = x.shape[:1] + x.shape[2:]
    hint = ""
    if op == "cross_entropy" and t.dtype.kind == "f":
        hint = (f"; a float target holds class probabilities and must have the input's shape "
                f"{tuple(x.shape)}")
    if t.ndim == 0 or t.shape[0] != x.shape[0]:
        raise ValueError(
            f"{op}: Expected input batch_size ({x.shape[0]}) to match target batch_size "
            f"({t.shape[0] if t.ndim else 0}): expected target of shape {expected} for input of "
            f"shape {tuple(x.shape)} (classes on dim 1), got {t.shape}{hint}"
        )
    if t.shape != expected:
        raise RuntimeError(
            f"{op}: expected target of shape {expected} for input of shape {tuple(x.shape)} "
            f"(classes on dim 1), got {t.shape}{hint}"
        )
    if t.dtype not in _CLASS_INDEX_DTYPES:
        raise RuntimeError(
            f"{op}: expected target dtype to be Long or Byte, but got {t.dtype}: class-index "
            "targets must be an integer tensor of dtype mt.int64 (or uint8); convert them with "
            f".long(){hint}"
        )
    return t


def _check_class_range(t: np.ndarray, x: Tensor, ignore_index: int, op: str) -> None:
    """Every class index lies in [0, C) or is ``ignore_index`` (PyTorch's IndexError)."""
    valid = (t >= 0) & (t < x.shape[1]) | (t == ignore_index)
    if not valid.all():
        bad = t[~valid].flat[0]
        raise IndexError(f"{op}: Target {bad} is out of bounds. (the input of shape "
                         f"{tuple(x.shape)} has {x.shape[1]} classes on dim 1)")


def _class_weight(weight: Any, x: Tensor, op: str, same_dtype: bool) -> np.ndarray | None:
    """The per-class ``weight`` (C,) as a constant array in the input's dtype. With class-index
    targets PyTorch wants it in that dtype already (``same_dtype``)."""
    if weight is None:
        return None
    w = _class_weight_tensor(weight, x, op, same_dtype)
    return _constant(w, x.dtype)


def _class_weight_tensor(weight: Any, x: Tensor, op: str, same_dtype: bool) -> Tensor:
    w = tensor_argument(weight, "weight", 3, op)
    if tuple(w.shape) != (x.shape[1],):
        raise RuntimeError(
            f"{op}: weight must have one value per class, shape ({x.shape[1]},) for the input "
            f"of shape {tuple(x.shape)}, got {tuple(w.shape)}"
        )
    if same_dtype and w.dtype != x.dtype:
        raise RuntimeError(
            f"{op}: expected weight of the input's dtype {x.dtype}, but found {w.dtype}; "
            "convert it with weight.to(input.dtype)"
        )
    return w


def _batched(x: Tensor, target: Tensor, op: str) -> tuple[Tensor, Tensor, bool]:
    """Add a batch dim to an unbatched (C,) input and to its target: a scalar class index or a
    (C,) probability vector. A (1,) class-index target already has one, as in PyTorch."""
    if x.ndim == 0:
        raise ValueError(f"{op}: Expected 1 or more dimensions (got 0): the input must be (C,) "
                         "or (N, C, ...), got a scalar")
    if x.ndim == 1:
        if not (target.ndim == 1 and target.dtype.kind in "iu"):
            target = _shape.unsqueeze(target, 0)
        return _shape.unsqueeze(x, 0), target, True
    return x, target, False


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
             size_average: bool | None = None, ignore_index: int = -100,
             reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of class ``target`` given log-probabilities ``input``
    (N, C, d...): -weight[t]·input[i, t], reduced ("mean" divides by the summed weights).
    Positions whose target is ``ignore_index`` contribute exactly 0 to the loss and get a zero
    gradient, whatever the input holds there."""
    op = "nll_loss"
    reduction = _reduction(reduction, size_average, reduce)
    x = tensor_argument(input, "input", 1, op)
    x, target, unbatched = _batched(x, tensor_argument(target, "target", 2, op), op)
    t = _class_index_target(x, target, ignore_index, op)  # PyTorch checks the target first
    x = _floating(x, "input", op)
    w = _class_weight(weight, x, op, True)
    _check_class_range(t, x, ignore_index, op)
    loss = _loss.NLLLossOp.apply(x, target=t, weight=w, ignore_index=ignore_index,
                                 reduction=reduction)
    return _shape.squeeze(loss, 0) if unbatched and reduction == "none" else loss


def cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    ignore_index: int = -100,
    reduce: bool | None = None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Cross-entropy between softmax(input) over dim 1 and the target classes (fused op).

    ``input``: logits (N, C, d...) or (C,). ``target``: class indices (N, d...) (int64 or
    uint8), or class probabilities of the input's shape (float). ``weight``: per-class weights
    (C,); ``ignore_index``: targets with this value contribute exactly 0 and get a zero gradient
    whatever their logits (even NaN or inf; index targets only); ``label_smoothing`` ε mixes the
    target with the uniform distribution: (1-ε)·y + ε/C. "mean" over no position at all (an
    empty batch, or every target ignored) is nan, as in PyTorch.

    Differs from PyTorch on purpose: a negative ``label_smoothing`` is refused (PyTorch ignores
    it for class indices and extrapolates with it for probabilities); and with no classes at all
    (C = 0, every target ignored) and ``label_smoothing`` > 0, each position's loss is 0 (a sum
    over no classes), where PyTorch's is nan (its ε/C = ε/0 times 0) for class indices, though 0
    for probabilities.
    """
    op = "cross_entropy"
    reduction = _reduction(reduction, size_average, reduce)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"{op}: label_smoothing must be between 0.0 and 1.0. Got: "
                           f"{label_smoothing}")
    x = tensor_argument(input, "input", 1, op)
    target = tensor_argument(target, "target", 2, op)
    x, target, unbatched = _batched(x, target, op)
    if target.dtype.kind == "f" and tuple(target.shape) == tuple(x.shape):
        loss = _soft_cross_entropy(_floating(x, "input", op), target, weight, reduction,
                                   label_smoothing, ignore_index, op)
    else:
        t = _class_index_target(x, target, ignore_index, op)  # PyTorch checks the target first
        x = _floating(x, "input", op)
        w = _class_weight(weight, x, op, True)
        _check_class_range(t, x, ignore_index, op)
        loss = _loss.CrossEntropyOp.apply(x, target=t, weight=w, ignore_index=ignore_index,
                                          label_smoothing=float(label_smoothing),
                                          reduction=reduction)
    return _shape.squeeze(loss, 0) if unbatched and reduction == "none" else loss


def _soft_cross_entropy(x: Tensor, target: Tensor, weight: Any, reduction: str,
                        label_smoothing: float, ignore_index: int, op: str) -> Tensor:
    """Probability targets: ℓᵢ = -Σ_c w_c·y_ic·log softmax(x)_ic, composed of engine ops, in
    the promoted dtype of input, target and weight (float32 logits with float64 targets or
    weights give float64), as in PyTorch."""
    if ignore_index >= 0:
        raise RuntimeError(
            f"{op}: ignore_index is not supported for floating point target (class "
            f"probabilities of shape {tuple(target.shape)}); got ignore_index={ignore_index}"
        )
    w = None if weight is None else _class_weight_tensor(weight, x, op, False)
    floats = [d for d in (x.dtype, target.dtype, None if w is None else w.dtype)
              if d is not None and d.kind == "f"]  # an integer weight does not widen the result
    dtype = np.result_type(*floats)
    x = x if x.dtype == dtype else _ew.cast(x, dtype)
    y = target if target.dtype == dtype else _ew.cast(target, dtype)
    classes = x.shape[1]
    if label_smoothing and classes:
        y = y * (1 - label_smoothing) + label_smoothing / classes
    if w is not None:
        y = y * Tensor._make(_constant(w, dtype).reshape((1, classes) + (1,) * (x.ndim - 2)))
    log_p = _reduce.log_softmax(x, 1) if classes else x  # no classes: nothing to normalise
    loss = -(log_p * y).sum(dim=1)
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    # PyTorch: the mean of an empty input is nan (also with no classes, where loss holds zeros)
    return loss.mean() if x.numel() else loss.sum() * float("nan")


def binary_cross_entropy(input: Tensor, target: Tensor,
                         weight: Tensor | None = None, size_average: bool | None = None,
                         reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """-w·(y log x + (1-y) log(1-x)) for probabilities x in [0, 1]; logs clamped at -100.
    ``weight`` must broadcast to the input's shape (PyTorch's rule)."""
    op = "binary_cross_entropy"
    reduction = _reduction(reduction, size_average, reduce)
    x, y = _same_shape_pair(input, target, op)
    w = _elementwise_weight(weight, "weight", 3, x, op)
    if x._data.size and not ((x._data >= 0) & (x._data <= 1)).all():
        raise RuntimeError(
            f"{op}: all elements of input should be between 0 and 1 (probabilities); for "
            "logits use binary_cross_entropy_with_logits"
        )
    return _loss.BinaryCrossEntropyOp.apply(x, y, weight=w, reduction=reduction)


def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    pos_weight: Tensor | None = None,
) -> Tensor:
    """Binary cross-entropy of σ(input) and target, computed stably from the logits.

    ``pos_weight`` multiplies the loss of positive targets (typically one value per class,
    broadcast along the last dim). Both ``weight`` and ``pos_weight`` must broadcast to the
    input's shape (PyTorch's rule): neither may make the loss larger than the input.
    """
    op = "binary_cross_entropy_with_logits"
    reduction = _reduction(reduction, size_average, reduce)
    x, y = _same_shape_pair(input, target, op)
    return _loss.BinaryCrossEntropyWithLogitsOp.apply(
        x, y, weight=_elementwise_weight(weight, "weight", 3, x, op),
        pos_weight=_elementwise_weight(pos_weight, "pos_weight", 7, x, op),
        reduction=reduction,
    )


# --------------------------------------------------------------------------- utilities


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """(*, ) integer class indices → (*, num_classes) int64 one-hot vectors."""
    data = tensor_argument(tensor, "tensor", 1, "one_hot")._data
    if data.dtype != np.int64:
        raise RuntimeError(f"one_hot is only applicable to index tensor of type LongTensor. "
                           f"(index tensors must be int64, got dtype {data.dtype}; convert it "
                           "with .long())")
    if data.size == 0 and num_classes <= 0:
        raise RuntimeError("one_hot: Can not infer total number of classes from empty "
                           "tensor. (give num_classes)")
    if num_classes == -1:
        num_classes = int(data.max()) + 1
    if data.size and data.min() < 0:
        raise RuntimeError("one_hot: Class values must be non-negative.")
    if data.size and data.max() >= num_classes:
        raise RuntimeError(f"one_hot: Class values must be smaller than num_classes. "
                           f"(num_classes={num_classes})")
    if num_classes < 0:
        raise RuntimeError(f"one_hot: num_classes should be positive or -1, got {num_classes}")
    return Tensor._make((data[..., None] == np.arange(num_classes)).astype(_dtypes.int64))


def pad(input: Tensor, pad: Sequence[int], mode: str = "constant",
        value: float | None = None) -> Tensor:
    """Pad the last len(pad)//2 dims; ``pad`` = (left, right, top, bottom, ...) from the last
    dim backwards; a negative width crops. Modes: constant (with ``value``, default 0), reflect,
    replicate, circular (the last three within PyTorch's limits: ``check_pad_limits``).

    Circular padding takes no negative widths (PyTorch's result for them is not well defined).
    """
    input = tensor_argument(input, "input", 1, "pad")
    if mode != "constant":
        if value is not None and value != 0:
            raise RuntimeError(f'pad: padding mode "{mode}" doesn\'t take in value argument '
                               f"(got value={value}); only mode='constant' pads with a value")
        if mode in ("reflect", "replicate", "circular"):
            _shape.check_pad_limits(input, pad, mode)
    return _shape.pad(input, pad, mode=mode, value=value)
