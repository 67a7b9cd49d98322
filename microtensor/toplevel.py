"""Small functions PyTorch exports at ``torch.*``: tensor queries, global switches, and the
``torch.*`` forms of functional ops whose signature differs from ``torch.nn.functional``'s.

Most are one line over a method or an existing op. Two groups need a word:

* Global switches that have nothing to switch here: ``compile`` returns the model (or function)
  unchanged (NumPy runs every op eagerly; there is nothing to compile), and
  ``use_deterministic_algorithms`` records the flag (every microtensor op is deterministic).
* The ``torch.*`` forms of some functional ops are the ATen functions, with other signatures than
  ``F.*``: ``torch.dropout(input, p, train)`` (all three required), ``torch.embedding(weight,
  indices)`` (weight first), ``torch.batch_norm(input, weight, bias, running_mean, running_var,
  training, momentum, eps, cudnn_enabled)``, and the losses take ``reduction`` as an int
  (0 = 'none', the default; 1 = 'mean'; 2 = 'sum'). These are written out below; the functional
  ops whose ``torch.*`` signature is ``F``'s are imported in ``microtensor/__init__.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from microtensor import _dtypes, ops
from microtensor.autograd.grad_mode import anomaly_mode
from microtensor.tensor import Tensor

# --------------------------------------------------------------------------- tensor queries


def clone(input: Tensor, *, memory_format: Any = None) -> Tensor:
    """A copy in the graph (the gradient passes straight through): ``Tensor.clone``."""
    return input.clone(memory_format=memory_format)


def detach(input: Tensor) -> Tensor:
    """The same values, cut from the graph: ``Tensor.detach``."""
    return input.detach()


def is_floating_point(input: Tensor) -> bool:
    """Is ``input``'s dtype floating (float16, float32, float64)?
    ``Tensor.is_floating_point``."""
    return input.is_floating_point()


def is_complex(input: Tensor) -> bool:
    """Is ``input``'s dtype complex? ``Tensor.is_complex``."""
    return input.is_complex()


def is_signed(input: Tensor) -> bool:
    """Can the dtype hold negative values? (False for bool and uint8.)"""
    return input.is_signed()


def is_nonzero(input: Tensor) -> bool:
    """Is the one element of ``input`` nonzero? (An error for any other number of elements.)"""
    return bool(input)


def is_same_size(input: Tensor, other: Tensor) -> bool:
    """Do ``input`` and ``other`` have the same shape?"""
    return input.shape == other.shape


def scalar_tensor(s: Any, *, dtype: Any = None, device: Any = None,
                  requires_grad: bool = False) -> Tensor:
    """A 0-d tensor holding the number ``s``, in the default float dtype unless ``dtype``."""
    from microtensor import creation

    target = _dtypes.get_default_dtype() if dtype is None else dtype
    return creation.tensor(s, dtype=target, device=device, requires_grad=requires_grad)


def asarray(obj: Any, *, dtype: Any = None, device: Any = None, copy: bool | None = None,
            requires_grad: bool | None = None) -> Tensor:
    """``obj`` as a tensor, sharing its memory when it can, as ``torch.asarray``.

    A tensor comes back itself (a leaf), or detached from its graph (a result of ops); with
    another ``dtype`` or ``copy=True``, a cast or copy in the graph. A NumPy array is wrapped
    without a copy (unless asked). Other data (lists, numbers) become a tensor as with
    ``mt.tensor``.
    """
    from microtensor import creation
    from microtensor.tensor import _device

    _device.factory_device(device)
    if isinstance(obj, Tensor):
        return _tensor_as_array(obj, dtype, copy, requires_grad)
    if isinstance(obj, np.ndarray):
        target = obj.dtype if dtype is None else _dtypes.resolve(dtype)
        _check_alias(copy, target != obj.dtype, target)
        result = Tensor._make(obj.astype(target, copy=bool(copy)))
        return result.requires_grad_() if requires_grad else result
    return creation.tensor(obj, dtype=dtype, requires_grad=bool(requires_grad))


def _check_alias(copy: bool | None, needs_copy: bool, target: Any) -> None:
    if copy is False and needs_copy:
        raise ValueError("asarray(): can't alias the data with copy=False: the dtype "
                         f"{_dtypes.torch_name(target)} needs a copy")


def _tensor_as_array(obj: Tensor, dtype: Any, copy: bool | None,
                     requires_grad: bool | None) -> Tensor:
    target = obj.dtype if dtype is None else _dtypes.resolve(dtype)
    _check_alias(copy, target != obj.dtype, target)
    if target != obj.dtype or copy:
        result = obj.to(target, copy=True)
    elif obj.is_leaf and requires_grad in (None, obj.requires_grad):
        return obj
    else:
        result = obj.detach()
    if requires_grad is not None and result.requires_grad != requires_grad:
        result = result.detach().requires_grad_(requires_grad)
    return result


def typename(obj: Any) -> str:
    """The type of ``obj`` as a string: a tensor's legacy type (``'torch.FloatTensor'``, as
    ``Tensor.type()``), else ``module.QualifiedName`` (just the name for built-ins)."""
    if isinstance(obj, Tensor):
        return obj.type()
    named = obj if hasattr(obj, "__qualname__") else type(obj)
    module = getattr(named, "__module__", "") or ""
    return named.__qualname__ if module in ("", "builtins") else f"{module}.{named.__qualname__}"


# --------------------------------------------------------------------------- global switches

_deterministic = {"enabled": False, "warn_only": False}


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Record the flag: every microtensor op is deterministic already (NumPy on one CPU)."""
    _deterministic.update(enabled=bool(mode), warn_only=bool(warn_only))


def are_deterministic_algorithms_enabled() -> bool:
    """The flag last given to
    ``mt.use_deterministic_algorithms`` (every microtensor op is deterministic either way)."""
    return _deterministic["enabled"]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    """The ``warn_only`` flag last given
    to ``mt.use_deterministic_algorithms``."""
    return _deterministic["warn_only"]


def set_anomaly_enabled(enabled: bool, check_nan: bool = True) -> None:
    """Switch anomaly detection on or off for the whole process (``detect_anomaly`` without a
    ``with`` block)."""
    anomaly_mode.enabled = bool(enabled)


def is_anomaly_enabled() -> bool:
    """Is anomaly detection on (inside
    ``mt.autograd.detect_anomaly()``)? ``mt.autograd.is_anomaly_enabled``."""
    return anomaly_mode.enabled


def compile(model: Any = None, *, fullgraph: bool = False, dynamic: bool | None = None,
            backend: Any = "inductor", mode: str | None = None, options: dict | None = None,
            disable: bool = False) -> Any:
    """The model or function itself, unchanged: microtensor runs every op eagerly with NumPy,
    so there is nothing to compile. ``@mt.compile`` and ``@mt.compile(mode=...)`` work too."""
    if model is None:
        return lambda function: function
    return model


# --------------------------------------------------------------------------- torch.* ATen forms

_REDUCTIONS = {0: "none", 1: "mean", 2: "sum"}


def _reduction(reduction: Any, op: str) -> str:
    if isinstance(reduction, bool) or reduction not in _REDUCTIONS:
        raise TypeError(f"{op}(): argument 'reduction' must be int (0 = none, 1 = mean, 2 = "
                        f"sum), not {reduction!r}; the F.{op} form takes the names")
    return _REDUCTIONS[reduction]


def dropout(input: Tensor, p: float, train: bool) -> Tensor:
    """``torch.dropout(input, p, train)``: ``F.dropout`` with ``train`` required."""
    from microtensor.nn import functional as F

    return F.dropout(input, p, train)


def alpha_dropout(input: Tensor, p: float, train: bool) -> Tensor:
    """``torch.alpha_dropout(input, p, train)``: ``F.alpha_dropout``
    (dropout that keeps SELU's mean 0 and variance 1) with ``train`` required."""
    return ops.channel_dropout.alpha_dropout(input, p, train)


def feature_alpha_dropout(input: Tensor, p: float, train: bool) -> Tensor:
    """``torch.feature_alpha_dropout(input, p, train)``:
    ``F.feature_alpha_dropout`` (alpha dropout of whole channels) with ``train`` required."""
    return ops.channel_dropout.feature_alpha_dropout(input, p, train)


def embedding(weight: Tensor, indices: Tensor, padding_idx: int = -1,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """``torch.embedding(weight, indices)``: the rows of ``weight``; ``padding_idx=-1`` means
    none (``F.embedding`` takes ``(indices, weight)`` and ``padding_idx=None``)."""
    return ops.embedding.embedding(indices, weight, None if padding_idx == -1 else padding_idx,
                                   scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)


def batch_norm(input: Tensor, weight: Tensor | None, bias: Tensor | None,
               running_mean: Tensor | None, running_var: Tensor | None, training: bool,
               momentum: float, eps: float, cudnn_enabled: bool) -> Tensor:
    """``torch.batch_norm``: ``F.batch_norm`` with ATen's argument order
    (weight and bias before the running statistics, all required); ``cudnn_enabled`` is ignored."""
    from microtensor.nn import functional as F

    return F.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def instance_norm(input: Tensor, weight: Tensor | None, bias: Tensor | None,
                  running_mean: Tensor | None, running_var: Tensor | None,
                  use_input_stats: bool, momentum: float, eps: float,
                  cudnn_enabled: bool) -> Tensor:
    """``torch.instance_norm``: ``F.instance_norm`` with ATen's argument
    order (weight and bias first; ``use_input_stats``); ``cudnn_enabled`` is ignored."""
    return ops.normalization.instance_norm(input, running_mean, running_var, weight, bias,
                                           use_input_stats, momentum, eps)


def layer_norm(input: Tensor, normalized_shape: Any, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5,
               cudnn_enable: bool = True) -> Tensor:
    """``torch.layer_norm``: ``F.layer_norm``, normalising over the last
    ``normalized_shape`` dims; ``cudnn_enable`` is ignored."""
    return ops.normalization.layer_norm(input, normalized_shape, weight, bias, eps)


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5,
               cudnn_enabled: bool = True) -> Tensor:
    """``torch.group_norm``: ``F.group_norm``, normalising each of
    ``num_groups`` groups of channels; ``cudnn_enabled`` is ignored."""
    return ops.normalization.group_norm(input, num_groups, weight, bias, eps)


def adaptive_max_pool1d(input: Tensor, output_size: Any) -> tuple[Tensor, Tensor]:
    """``torch.adaptive_max_pool1d``: the maxima and their indices (always both)."""
    return ops.pool1d.adaptive_max_pool1d(input, output_size, return_indices=True)


def threshold(input: Tensor, threshold: float, value: float) -> Tensor:
    """y = x where x > threshold, else ``value``: ``F.threshold``.
    dL/dx = g where x > threshold, else 0."""
    return ops.activations.threshold(input, threshold, value)


def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
          training: bool = False, generator: Any = None) -> Tensor:
    """Randomized leaky ReLU: negative values times a slope drawn uniformly from
    ``[lower, upper]`` per element when ``training``, else times ``(lower + upper) / 2``."""
    if not training:
        return ops.activations.leaky_relu(input, (lower + upper) / 2)
    from microtensor.random import generator as numpy_generator

    slopes = numpy_generator(generator).uniform(lower, upper, input.shape)
    negative_part = input * Tensor._make(slopes.astype(input.dtype))
    return ops.elementwise.where(input >= 0, input, negative_part)


def _loss(name: str) -> Callable[..., Tensor]:
    return getattr(ops.losses, name)


def kl_div(input: Tensor, target: Tensor, reduction: int = 0, *,
           log_target: bool = False) -> Tensor:
    """``torch.kl_div``: 1 (mean) is the mean over all elements, without the warning
    ``F.kl_div`` gives for ``'mean'`` (PyTorch's ``torch.kl_div`` gives none either)."""
    how = _reduction(reduction, "kl_div")
    pointwise = _loss("kl_div")(input, target, reduction="none" if how == "mean" else how,
                                log_target=log_target)
    return pointwise.mean() if how == "mean" else pointwise


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0,
                         reduction: int = 0) -> Tensor:
    """``F.hinge_embedding_loss``: x where y = 1,
    max(0, margin - x) where y = -1.
    ``reduction`` is an int: 0 = 'none' (the default), 1 = 'mean', 2 = 'sum'."""
    return _loss("hinge_embedding_loss")(
        input, target, margin, reduction=_reduction(reduction, "hinge_embedding_loss"))


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                        reduction: int = 0) -> Tensor:
    """``F.margin_ranking_loss``: max(0, -y · (x1 - x2) + margin).
    ``reduction`` is an int: 0 = 'none' (the default), 1 = 'mean', 2 = 'sum'."""
    return _loss("margin_ranking_loss")(
        input1, input2, target, margin,
        reduction=_reduction(reduction, "margin_ranking_loss"))


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor,
                          margin: float = 0.0, reduction: int = 0) -> Tensor:
    """``F.cosine_embedding_loss``: 1 - cos(x1, x2) where y = 1,
    max(0, cos(x1, x2) - margin) where y = -1.
    ``reduction`` is an int: 0 = 'none' (the default), 1 = 'mean', 2 = 'sum'."""
    return _loss("cosine_embedding_loss")(
        input1, input2, target, margin,
        reduction=_reduction(reduction, "cosine_embedding_loss"))


def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool, full: bool, eps: float,
                     reduction: int) -> Tensor:
    """``F.poisson_nll_loss``: eˣ - y · x (``log_input``) or
    x - y · log(x + eps), plus Stirling's term with ``full``; all arguments required.
    ``reduction`` is an int: 0 = 'none' (the default), 1 = 'mean', 2 = 'sum'."""
    return _loss("poisson_nll_loss")(
        input, target, log_input, full, eps=eps,
        reduction=_reduction(reduction, "poisson_nll_loss"))


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor,
                        margin: float = 1.0, p: float = 2, eps: float = 1e-6,
                        swap: bool = False, reduction: int = 0) -> Tensor:
    """``F.triplet_margin_loss``:
    max(d(a, p) - d(a, n) + margin, 0) with d the p-norm distance.
    ``reduction`` is an int: 0 = 'none' (the default), 1 = 'mean', 2 = 'sum'."""
    return _loss("triplet_margin_loss")(
        anchor, positive, negative, margin, p, eps, swap,
        reduction=_reduction(reduction, "triplet_margin_loss"))


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor,
                                     weight: Tensor | None = None,
                                     pos_weight: Tensor | None = None,
                                     reduction: int = 0) -> Tensor:
    """``F.binary_cross_entropy_with_logits``:
    -w · [pos_weight · y · log σ(x) + (1 - y) · log(1 - σ(x))], computed stably.
    ``reduction`` is an int: 0 = 'none' (the default), 1 = 'mean', 2 = 'sum'."""
    from microtensor.nn import functional as F

    return F.binary_cross_entropy_with_logits(
        input, target, weight, reduction=_reduction(reduction, "binary_cross_entropy_with_logits"),
        pos_weight=pos_weight)
