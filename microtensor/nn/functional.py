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
from microtensor.ops import activations as _act
from microtensor.ops import elementwise as _ew
from microtensor.ops import losses as _loss
from microtensor.ops import reduce as _reduce
from microtensor.ops import shape as _shape
from microtensor.ops.conv import avg_pool2d, conv2d, max_pool2d
from microtensor.ops.linalg import LinearOp
from microtensor.ops.normalization import BatchNormOp
from microtensor.ops.random_masks import DropoutMaskOp
from microtensor.random import Generator
from microtensor.random import generator as _rng
from microtensor.tensor import Tensor

__all__ = [
    "adaptive_avg_pool2d", "avg_pool2d", "batch_norm", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "conv2d", "cross_entropy", "dropout", "elu", "gelu",
    "l1_loss", "leaky_relu", "linear", "log_softmax", "max_pool2d", "mse_loss", "nll_loss",
    "one_hot", "pad", "relu", "sigmoid", "silu", "softmax", "softplus", "tanh",
]


def _tensor(value: Any, name: str, op: str) -> Tensor:
    if isinstance(value, Tensor):
        return value
    if isinstance(value, np.ndarray | list | tuple | int | float):
        return Tensor._make(np.asarray(value))
    raise TypeError(f"{op}: {name} must be a Tensor, got {type(value).__name__}")


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
    pair; None keeps that dim). Output cell i along a dim of size S covers the input range
    [floor(i·S/out), ceil((i+1)·S/out)), as in PyTorch."""
    if input.ndim not in (3, 4):
        raise ValueError(f"adaptive_avg_pool2d: expected a 3-D or 4-D input, got shape "
                         f"{tuple(input.shape)}")
    size = output_size if isinstance(output_size, tuple | list) else (output_size, output_size)
    h, w = input.shape[-2:]
    out_h = h if size[0] is None else int(size[0])
    out_w = w if size[1] is None else int(size[1])
    if h % out_h == 0 and w % out_w == 0:  # equal windows: an ordinary average pooling
        return avg_pool2d(input, (h // out_h, w // out_w))
    rows = []
    for i in range(out_h):
        top, bottom = (i * h) // out_h, -((-(i + 1) * h) // out_h)
        cells = []
        for j in range(out_w):
            left, right = (j * w) // out_w, -((-(j + 1) * w) // out_w)
            cells.append(input[..., top:bottom, left:right].mean(dim=(-2, -1)))
        rows.append(_shape.stack(cells, dim=-1))
    return _shape.stack(rows, dim=-2)


# --------------------------------------------------------------------------- activations


def _maybe_inplace(input: Tensor, inplace: bool, name: str,
                   function: Callable[[Tensor], Tensor]) -> Tensor:
    """``function(input)``, or, with ``inplace=True``, the result written into ``input``."""
    return input._inplace(name, function) if inplace else function(input)


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0)."""
    return _maybe_inplace(input, inplace, "relu_", _act.relu)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False
               ) -> Tensor:
    """x for x > 0, negative_slope·x otherwise."""
    return _maybe_inplace(input, inplace, "leaky_relu_", lambda t: _act.LeakyReLUOp.apply(
        _floating(t, "input", "leaky_relu"), negative_slope=float(negative_slope)))


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, alpha·(eˣ - 1) otherwise."""
    return _maybe_inplace(input, inplace, "elu_", lambda t: _act.ELUOp.apply(
        _floating(t, "input", "elu"), alpha=float(alpha)))


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x·Φ(x) (Φ: the standard normal CDF, via erf), or its tanh approximation."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return _act.GELUOp.apply(_floating(input, "input", "gelu"), approximate=approximate)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + e^(βx))/β, a smooth ReLU (linear where βx > threshold)."""
    return _act.SoftplusOp.apply(_floating(input, "input", "softplus"), beta=float(beta),
                               threshold=float(threshold))


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x·σ(x) (also called swish)."""
    return _maybe_inplace(input, inplace, "silu_", lambda t: t * _ew.sigmoid(t))


def sigmoid(input: Tensor) -> Tensor:
    return _ew.sigmoid(input)


def tanh(input: Tensor) -> Tensor:
    return _ew.tanh(input)


def _softmax_dim(name: str, ndim: int) -> int:
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. Change the call to include "
        "dim=X as an argument.", UserWarning, stacklevel=3,
    )
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim: int | None = None, dtype: Any = None) -> Tensor:
    """e^x / Σ e^x along ``dim``."""
    if dim is None:
        dim = _softmax_dim("softmax", input.ndim)
    return _reduce.softmax(input, dim, dtype=dtype)


def log_softmax(input: Tensor, dim: int | None = None, dtype: Any = None) -> Tensor:
    """x - logsumexp(x) along ``dim``."""
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
    x = _floating(input, "input", op)
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
    target = _tensor(target, "target", op)
    return target if target.dtype == x.dtype else _ew.cast(target, x.dtype)


def _check_same_shape(x: Tensor, target: Tensor, op: str) -> None:
    if tuple(target.shape) != tuple(x.shape):
        raise ValueError(
            f"{op}: target size {tuple(target.shape)} must be the same as input size "
            f"{tuple(x.shape)}"
        )


def _constant(value: Any, dtype: np.dtype) -> np.ndarray | None:
    """Weights enter the losses as constants (no gradient flows to them)."""
    if value is None:
        return None
    array = value._data if isinstance(value, Tensor) else np.asarray(value)
    return array.astype(dtype, copy=False)


def mse_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
             reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """Mean squared error, (x - y)² per element, reduced."""
    op = "mse_loss"
    reduction = _reduction(reduction, size_average, reduce)
    x = _floating(_tensor(input, "input", op), "input", op)
    y = _like_input(target, x, op)
    _warn_if_broadcast(x, y, op)
    return _loss.MSELossOp.apply(x, y, reduction=reduction)


def l1_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
            reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """Mean absolute error, |x - y| per element, reduced."""
    op = "l1_loss"
    reduction = _reduction(reduction, size_average, reduce)
    x = _floating(_tensor(input, "input", op), "input", op)
    y = _like_input(target, x, op)
    _warn_if_broadcast(x, y, op)
    return _loss.L1LossOp.apply(x, y, reduction=reduction)


def _warn_if_broadcast(x: Tensor, y: Tensor, op: str) -> None:
    if tuple(x.shape) != tuple(y.shape):
        warnings.warn(
            f"{op}: using a target size {tuple(y.shape)} that is different to the input size "
            f"{tuple(x.shape)}. This will likely lead to incorrect results due to broadcasting. "
            "Please ensure they have the same size.", UserWarning, stacklevel=3,
        )


def _class_index_target(x: Tensor, target: Tensor, ignore_index: int, op: str) -> np.ndarray:
    """Check integer targets against an (N, C, d...) input and return them as an array."""
    t = target._data
    if t.dtype.kind not in "iu":
        raise RuntimeError(
            f"{op}: class-index targets must be an integer tensor (e.g. mt.int64), got dtype "
            f"{t.dtype}" + ("; for class probabilities pass a float target of the input's "
                            "shape" if op == "cross_entropy" else "")
        )
    expected = x.shape[:1] + x.shape[2:]
    if t.shape != expected:
        raise ValueError(
            f"{op}: expected target of shape {expected} for input of shape {tuple(x.shape)} "
            f"(classes on dim 1), got {tuple(t.shape)}"
        )
    valid = (t >= 0) & (t < x.shape[1]) | (t == ignore_index)
    if not valid.all():
        bad = t[~valid].flat[0]
        raise IndexError(f"{op}: Target {bad} is out of bounds (the input has {x.shape[1]} "
                         "classes)")
    return t


def _class_weight(weight: Any, x: Tensor, op: str) -> np.ndarray | None:
    w = _constant(weight, x.dtype)
    if w is not None and w.shape != (x.shape[1],):
        raise RuntimeError(
            f"{op}: weight must have one value per class, shape ({x.shape[1]},), got {w.shape}"
        )
    return w


def _batched(x: Tensor, target: Tensor, op: str) -> tuple[Tensor, Tensor, bool]:
    """Add a batch dim to an unbatched (C,) input and its scalar target."""
    if x.ndim == 0:
        raise ValueError(f"{op}: input must have at least 1 dim (C,) or (N, C, ...), got a scalar")
    if x.ndim == 1:
        return _shape.unsqueeze(x, 0), _shape.unsqueeze(target, 0), True
    return x, target, False


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
             size_average: bool | None = None, ignore_index: int = -100,
             reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of class ``target`` given log-probabilities ``input``
    (N, C, d...): -weight[t]·input[i, t], reduced ("mean" divides by the summed weights)."""
    op = "nll_loss"
    reduction = _reduction(reduction, size_average, reduce)
    x = _floating(_tensor(input, "input", op), "input", op)
    x, target, unbatched = _batched(x, _tensor(target, "target", op), op)
    t = _class_index_target(x, target, ignore_index, op)
    loss = _loss.NLLLossOp.apply(x, target=t, weight=_class_weight(weight, x, op),
                               ignore_index=ignore_index, reduction=reduction)
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

    ``input``: logits (N, C, d...) or (C,). ``target``: class indices (N, d...) (integer), or
    class probabilities of the input's shape (float). ``weight``: per-class weights (C,);
    ``ignore_index``: targets with this value contribute nothing (index targets only);
    ``label_smoothing`` ε mixes the target with the uniform distribution: (1-ε)·y + ε/C.
    """
    op = "cross_entropy"
    reduction = _reduction(reduction, size_average, reduce)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{op}: label_smoothing must be between 0.0 and 1.0, got "
                         f"{label_smoothing}")
    x = _floating(_tensor(input, "input", op), "input", op)
    target = _tensor(target, "target", op)
    x, target, unbatched = _batched(x, target, op)
    w = _class_weight(weight, x, op)
    if target.dtype.kind == "f":
        loss = _soft_cross_entropy(x, target, w, reduction, label_smoothing, op)
    else:
        t = _class_index_target(x, target, ignore_index, op)
        loss = _loss.CrossEntropyOp.apply(x, target=t, weight=w, ignore_index=ignore_index,
                                        label_smoothing=float(label_smoothing),
                                        reduction=reduction)
    return _shape.squeeze(loss, 0) if unbatched and reduction == "none" else loss


def _soft_cross_entropy(x: Tensor, target: Tensor, weight: np.ndarray | None, reduction: str,
                        label_smoothing: float, op: str) -> Tensor:
    """Probability targets: ℓᵢ = -Σ_c w_c·y_ic·log softmax(x)_ic, composed of engine ops."""
    if tuple(target.shape) != tuple(x.shape):
        raise ValueError(
            f"{op}: a float target holds class probabilities and must have the input's shape "
            f"{tuple(x.shape)}, got {tuple(target.shape)}; class-index targets must be an "
            "integer tensor (e.g. mt.int64)"
        )
    y = target if target.dtype == x.dtype else _ew.cast(target, x.dtype)
    classes = x.shape[1]
    if label_smoothing:
        y = y * (1 - label_smoothing) + label_smoothing / classes
    if weight is not None:
        y = y * Tensor._make(weight.reshape((1, classes) + (1,) * (x.ndim - 2)))
    loss = -(_reduce.log_softmax(x, 1) * y).sum(dim=1)
    if reduction == "none":
        return loss
    return loss.sum() if reduction == "sum" else loss.mean()


def binary_cross_entropy(input: Tensor, target: Tensor,
                         weight: Tensor | None = None, size_average: bool | None = None,
                         reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """-w·(y log x + (1-y) log(1-x)) for probabilities x in [0, 1]; logs clamped at -100."""
    op = "binary_cross_entropy"
    reduction = _reduction(reduction, size_average, reduce)
    x = _floating(_tensor(input, "input", op), "input", op)
    y = _like_input(target, x, op)
    _check_same_shape(x, y, op)
    if x._data.size and not ((x._data >= 0) & (x._data <= 1)).all():
        raise RuntimeError(
            f"{op}: all elements of input should be between 0 and 1 (probabilities); for "
            "logits use binary_cross_entropy_with_logits"
        )
    return _loss.BinaryCrossEntropyOp.apply(x, y, weight=_constant(weight, x.dtype),
                                          reduction=reduction)


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

    ``pos_weight`` multiplies the loss of positive targets (one value per class, broadcast
    along the last dim).
    """
    op = "binary_cross_entropy_with_logits"
    reduction = _reduction(reduction, size_average, reduce)
    x = _floating(_tensor(input, "input", op), "input", op)
    y = _like_input(target, x, op)
    _check_same_shape(x, y, op)
    return _loss.BinaryCrossEntropyWithLogitsOp.apply(
        x, y, weight=_constant(weight, x.dtype), pos_weight=_constant(pos_weight, x.dtype),
        reduction=reduction,
    )


# --------------------------------------------------------------------------- utilities


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """(*, ) integer class indices → (*, num_classes) int64 one-hot vectors."""
    data = tensor._data
    if data.dtype.kind not in "iu":
        raise RuntimeError(f"one_hot is only applicable to index tensors, got dtype {data.dtype}")
    if num_classes == -1:
        if data.size == 0:
            raise RuntimeError("one_hot: can not infer the number of classes of an empty tensor")
        num_classes = int(data.max()) + 1
    if data.size and data.min() < 0:
        raise RuntimeError("one_hot: class values must be non-negative")
    if data.size and data.max() >= num_classes:
        raise RuntimeError(f"one_hot: class values must be smaller than num_classes "
                           f"({num_classes})")
    return Tensor._make((data[..., None] == np.arange(num_classes)).astype(_dtypes.int64))


def pad(input: Tensor, pad: Sequence[int], mode: str = "constant",
        value: float | None = None) -> Tensor:
    """Pad the last len(pad)//2 dims; ``pad`` = (left, right, top, bottom, ...) from the last
    dim backwards. Modes: constant (with ``value``, default 0), reflect, replicate, circular."""
    return _shape.pad(input, pad, mode=mode, value=0.0 if value is None else value)
