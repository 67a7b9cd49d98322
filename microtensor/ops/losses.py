"""Loss primitives, each fused into one op: forward computes the per-element loss and reduces it,
backward writes the gradient directly (no chain of small ops to walk back through).

Reductions. ``reduction`` is "none" (the per-element losses ℓᵢ), "sum" (Σ ℓᵢ) or "mean"
(Σ ℓᵢ / D). For the upstream gradient g, every ℓᵢ then receives gᵢ = g (sum), g / D (mean) or
the i-th element of g (none); ``_per_element`` computes that.

Class-index losses (cross_entropy, nll_loss) take an input of shape (N, C, d₁, ...) with the
classes on axis 1, and integer targets of shape (N, d₁, ...). For such a target t the loss of
position i is -Σ_c q_ic · log p_ic with a *target distribution* q (``_target_distribution``):

    q_ic = (1-ε) · w_{tᵢ} · [c = tᵢ]  +  (ε/C) · w_c        (0 where tᵢ = ignore_index)

where w are the class weights (all 1 by default) and ε the label smoothing. With "mean" the sum
is divided by D = Σᵢ w_{tᵢ} over non-ignored positions, as in PyTorch (0/0 = nan when every
position is ignored or there are none).

Ignored positions are *selected* away, never multiplied by 0: their loss is exactly 0 and their
gradient exactly 0 whatever their logits hold (NaN, ±inf), since 0 · NaN would be NaN.

Every backward runs on arrays (ordinary backward) and on Tensors (``create_graph=True``), so all
losses support double backward (Hessians, Hessian-vector products).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from microtensor import _dtypes
from microtensor._arguments import tensor_argument
from microtensor.autograd.function import Op
from microtensor.autograd.grad_mode import grad_state, no_grad
from microtensor.ops import array_or_tensor as either
from microtensor.ops.activations import logsigmoid
from microtensor.tensor import Tensor


def _reduce(loss: np.ndarray, reduction: str, denominator: Any = None) -> np.ndarray:
    if reduction == "none":
        return loss
    total = loss.sum()
    if reduction == "sum":
        return total
    with np.errstate(invalid="ignore", divide="ignore"):  # all targets ignored: 0/0 = nan
        return total / (loss.size if denominator is None else denominator)


def _per_element(grad: Any, reduction: str, denominator: Any) -> Any:
    """dL/dℓᵢ for each per-element loss ℓᵢ, given the gradient of the reduced loss."""
    if reduction == "mean":
        return grad / denominator if denominator != 0 else grad * 0
    return grad


def _with_class_axis(values: Any) -> Any:
    """Insert the class axis (axis 1) into a per-position array or Tensor of shape (N, d...)."""
    if values.ndim == 0:
        return values
    shape = tuple(values.shape)
    return values.reshape(shape[:1] + (1,) + shape[1:])


def _class_shape(ndim: int, classes: int) -> tuple[int, ...]:
    """The shape that broadcasts a (C,) vector along axis 1 of an ndim-dimensional input."""
    return (1, classes) + (1,) * (ndim - 2)


# --------------------------------------------------------------------------- class-index losses


class _ClassTargets:
    """What forward learns about integer targets and backward needs again.

    ``ignored`` marks the positions whose target is ``ignore_index`` with the class axis kept
    (shape (N, 1, d...), broadcasting over the classes), or is None when no position is ignored,
    so that the common case pays for no selection.
    """

    __slots__ = ("index", "target_weight", "kept", "ignored", "weight")

    def __init__(self, target: np.ndarray, weight: np.ndarray | None, ignore_index: int,
                 dtype: np.dtype) -> None:
        ignored = target == ignore_index
        safe = np.where(ignored, 0, target)  # any valid class, so that indexing works
        self.index = np.expand_dims(safe, 1)  # (N, 1, d...) for take_along_axis
        self.kept = (~ignored).astype(dtype)
        self.ignored = np.expand_dims(ignored, 1) if np.count_nonzero(ignored) else None
        if weight is None or weight.size == 0:  # no weights, or no classes (all ignored)
            self.target_weight = self.kept
        else:  # selected, so that an inf or NaN weight of class 0 cannot leak into ignored rows
            self.target_weight = np.where(ignored, 0, weight[safe]).astype(dtype, copy=False)
        self.weight = weight

    def pick(self, values: np.ndarray) -> np.ndarray:
        """values[i, tᵢ] for every position i: shape (N, d...) (zeros when there are no classes:
        every target is then ignore_index, which the caller has checked)."""
        if values.shape[1] == 0:
            return np.zeros(self.kept.shape, values.dtype)
        return np.take_along_axis(values, self.index, axis=1).squeeze(1)

    def without_ignored(self, values: Any) -> Any:
        """``values`` (an array or a Tensor, (N, d...) or (N, C, d...)) with 0 selected at the
        ignored positions."""
        if self.ignored is None:
            return values
        mask = self.ignored if values.ndim == self.ignored.ndim else self.ignored.squeeze(1)
        return either.masked_fill(values, mask, 0.0)

    def distribution(self, shape: tuple[int, ...], dtype: np.dtype, smoothing: float
                     ) -> np.ndarray:
        """The target distribution q (see the module docstring), shape (N, C, d...)."""
        q = np.zeros(shape, dtype)
        if shape[1] == 0:
            return q
        np.put_along_axis(q, self.index, _with_class_axis(self.target_weight * (1 - smoothing)),
                          axis=1)
        if smoothing:
            classes = shape[1]
            w = 1.0 if self.weight is None else self.weight.reshape(_class_shape(len(shape),
                                                                                 classes))
            q += (smoothing / classes) * w
        return self.without_ignored(q)


def _log_softmax(x: np.ndarray) -> np.ndarray:
    if x.shape[1] == 0:  # no classes: nothing to normalise (every target is ignored)
        return x.copy()
    shifted = x - x.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


class CrossEntropyOp(Op):
    """ℓᵢ = -Σ_c q_ic log softmax(x)_ic, log-softmax and NLL fused (see the module docstring).

    With p = softmax(x) along the class axis and Σ_c p_ic = 1:

        dℓᵢ/dx_ic = p_ic · Σ_k q_ik - q_ic        (= p - onehot without weights or smoothing)

    so dL/dx = gᵢ · (p · Σq - q), gᵢ being dL/dℓᵢ, and exactly 0 at ignored positions (selected,
    see the module docstring). The ignored rows of x are replaced by 0 before the softmax, in
    forward and in a recorded backward (where p is recomputed from x with the differentiable
    softmax, which gives the second derivative), so NaN or inf logits there reach nothing.

    Differs from PyTorch on purpose: PyTorch's gradient is NaN in an ignored row whose logits
    hold NaN or +inf (its softmax backward multiplies them by 0), although the loss does not
    depend on that row; here it is 0.
    """

    @staticmethod
    def forward(ctx, x, *, target, weight, ignore_index, label_smoothing, reduction):
        classes = x.shape[1]
        targets = _ClassTargets(target, weight, ignore_index, x.dtype)
        logp = _log_softmax(targets.without_ignored(x))  # ignored rows: 0, not NaN or inf
        loss = -(1 - label_smoothing) * targets.target_weight * targets.pick(logp)
        if label_smoothing and classes:
            w = 1.0 if weight is None else weight.reshape(_class_shape(x.ndim, classes))
            loss -= (label_smoothing / classes) * (logp * w).sum(axis=1)
        loss = targets.without_ignored(loss)
        denominator = targets.target_weight.sum()
        ctx.save_for_backward(x, logp)
        ctx.targets, ctx.smoothing = targets, label_smoothing
        ctx.reduction, ctx.denominator = reduction, denominator
        return _reduce(loss, reduction, denominator)

    @staticmethod
    def backward(ctx, grad):
        x, logp = ctx.saved_tensors
        targets = ctx.targets
        q = targets.distribution(tuple(x.shape), logp.dtype, ctx.smoothing)
        if isinstance(x, Tensor):
            p = _softmax_over_classes(targets.without_ignored(x))
        else:
            p = np.exp(logp)
        g = _with_class_axis(_per_element(grad, ctx.reduction, ctx.denominator))
        return (targets.without_ignored((p * q.sum(axis=1, keepdims=True) - q) * g),)


def _softmax_over_classes(x: Tensor) -> Tensor:
    """softmax(x) over the classes (axis 1) of a graph tensor; x itself when there are none."""
    return x if x.shape[1] == 0 else x.softmax(1)


class NLLLossOp(Op):
    """ℓᵢ = -w_{tᵢ} · x_{i,tᵢ} for log-probabilities x (see the module docstring).

    dL/dx_ic = -gᵢ · w_{tᵢ} · [c = tᵢ], exactly 0 at ignored positions (selected, so a NaN or
    inf in x or in the upstream gradient there does not leak): linear in x, so the second
    derivative is zero.
    """

    @staticmethod
    def forward(ctx, x, *, target, weight, ignore_index, reduction):
        targets = _ClassTargets(target, weight, ignore_index, x.dtype)
        loss = -targets.target_weight * targets.without_ignored(targets.pick(x))
        denominator = targets.target_weight.sum()
        ctx.targets, ctx.shape, ctx.dtype = targets, x.shape, x.dtype
        ctx.reduction, ctx.denominator = reduction, denominator
        return _reduce(loss, reduction, denominator)

    @staticmethod
    def backward(ctx, grad):
        q = ctx.targets.distribution(ctx.shape, ctx.dtype, 0.0)
        g = _with_class_axis(_per_element(grad, ctx.reduction, ctx.denominator))
        return (ctx.targets.without_ignored(g * -q),)


# --------------------------------------------------------------------------- binary losses


_LOG_FLOOR = -100.0  # PyTorch clamps the logs of BCE at -100, so p = 0 or 1 gives a finite loss
# and keeps x(1-x) away from 0 in the gradient with its EPSILON, the float32 1e-12 (used as a
# double: 9.99999996e-13)
_BCE_EPS = float(np.float32(1e-12))


def _clamped_logs(x: Any) -> tuple[Any, Any]:
    """(max(log x, -100), max(log(1-x), -100)) of an array or a Tensor."""
    if isinstance(x, Tensor):
        return x.log().clamp(min=_LOG_FLOOR), (1 - x).log().clamp(min=_LOG_FLOOR)
    with np.errstate(divide="ignore"):
        return np.maximum(np.log(x), _LOG_FLOOR), np.maximum(np.log1p(-x), _LOG_FLOOR)


class BinaryCrossEntropyOp(Op):
    """ℓ = -w · (y log x + (1-y) log(1-x)), each log clamped at -100 (as PyTorch).

    dℓ/dx = w · (x - y) / max(x(1-x), 1e-12),    dℓ/dy = w · (log(1-x) - log x)  (clamped logs).

    Differs from PyTorch on purpose: dℓ/dy uses the same clamped logs as the forward pass (it is
    the derivative of the loss as computed), so it is ±100·w at x = 0 or 1 where PyTorch gives
    ±inf.
    """

    @staticmethod
    def forward(ctx, x, y, *, weight, reduction):
        log_x, log_1mx = _clamped_logs(x)
        loss = -(y * log_x + (1 - y) * log_1mx)
        if weight is not None:
            loss = loss * weight
        ctx.save_for_backward(x, y)
        ctx.weight, ctx.reduction, ctx.count = weight, reduction, loss.size
        return _reduce(loss, reduction).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        needs_x, needs_y = ctx.needs_input_grad
        g = _per_element(grad, ctx.reduction, ctx.count)
        if ctx.weight is not None:
            g = g * ctx.weight
        grad_x = grad_y = None
        if needs_x:
            curvature = x * (1 - x)
            if isinstance(curvature, Tensor):
                curvature = curvature.clamp(min=_BCE_EPS)
            else:
                curvature = np.maximum(curvature, _BCE_EPS)
            grad_x = g * (x - y) / curvature
        if needs_y:
            log_x, log_1mx = _clamped_logs(x)
            grad_y = g * (log_1mx - log_x)
        return grad_x, grad_y


def _softplus_neg(x: Any) -> Any:
    """log(1 + e⁻ˣ) = log1p(e^-|x|) + max(-x, 0), which never overflows."""
    if isinstance(x, Tensor):
        return (1 + (-x.abs()).exp()).log() + (-x).relu()
    return np.log1p(np.exp(-np.abs(x))) + np.maximum(-x, 0)


class BinaryCrossEntropyWithLogitsOp(Op):
    """BCE on logits x, with σ inside: ℓ = -w · (pw·y log σ(x) + (1-y) log(1-σ(x))).

    Since -log σ(x) = softplus(-x) and -log(1-σ(x)) = x + softplus(-x), this is

        ℓ = w · ((1-y)·x + (1 + (pw-1)·y) · softplus(-x)),     softplus(-x) = log(1 + e⁻ˣ),

    evaluated stably with softplus(-x) = log1p(e^-|x|) + max(-x, 0) (pw: pos_weight, 1 if not
    given); without pos_weight that is max(x, 0) - x·y + log1p(e^-|x|). Then

        dℓ/dx = w · ((1-y) - (1 + (pw-1)·y)·(1 - σ(x)))       (= w·(σ(x) - y) when pw = 1)
        dℓ/dy = w · (-x + (pw-1)·softplus(-x)).

    Differs from PyTorch on purpose: at x = -inf with 0 < y the loss is +inf (the limit, and
    what the terms give apart: y·(-log σ(x)) = inf, (1-y)·(-log(1-σ(x))) = 0), where PyTorch's
    (1-y)·x + max(-x, 0) gives -inf + inf = nan.
    """

    @staticmethod
    def forward(ctx, x, y, *, weight, pos_weight, reduction):
        pw = 1 if pos_weight is None else pos_weight
        log_weight = 1 if pos_weight is None else 1 + (pos_weight - 1) * y
        # (1-y)·x + log_weight·max(-x, 0), split by the sign of x so that nothing cancels
        # (for pw = 1 this is max(x, 0) - x·y), plus log_weight·log1p(e^-|x|)
        linear = np.where(x >= 0, (1 - y) * x, -(pw * y) * x)
        loss = linear + log_weight * np.log1p(np.exp(-np.abs(x)))
        if weight is not None:
            loss = loss * weight
        ctx.save_for_backward(x, y)
        ctx.weight, ctx.pos_weight = weight, pos_weight
        ctx.reduction, ctx.count = reduction, loss.size
        return _reduce(loss, reduction).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        needs_x, needs_y = ctx.needs_input_grad
        pos_weight = ctx.pos_weight
        g = _per_element(grad, ctx.reduction, ctx.count)
        if ctx.weight is not None:
            g = g * ctx.weight
        grad_x = grad_y = None
        if needs_x:
            sigma = either.sigmoid(x)
            if pos_weight is None:
                grad_x = g * (sigma - y)
            else:
                grad_x = g * ((1 - y) - (1 + (pos_weight - 1) * y) * (1 - sigma))
        if needs_y:
            grad_y = -x if pos_weight is None else -x + (pos_weight - 1) * _softplus_neg(x)
            grad_y = g * grad_y
        return grad_x, grad_y


# --------------------------------------------------------------------------- regression losses


class MSELossOp(Op):
    """ℓ = (x - y)².   dℓ/dx = 2(x - y),  dℓ/dy = -2(x - y)."""

    @staticmethod
    def forward(ctx, x, y, *, reduction):
        diff = x - y
        ctx.save_for_backward(x, y)
        ctx.reduction, ctx.count = reduction, diff.size
        return _reduce(diff * diff, reduction)

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        grad_x = 2 * (x - y) * _per_element(grad, ctx.reduction, ctx.count)
        return grad_x, -grad_x


class L1LossOp(Op):
    """ℓ = |x - y|.   dℓ/dx = sign(x - y) (0 where x = y, as PyTorch),  dℓ/dy = -sign(x - y)."""

    @staticmethod
    def forward(ctx, x, y, *, reduction):
        diff = x - y
        ctx.save_for_backward(np.nan_to_num(np.sign(diff), nan=0.0))  # sign(nan) = 0, as PyTorch
        ctx.reduction, ctx.count = reduction, diff.size
        return _reduce(np.abs(diff), reduction)

    @staticmethod
    def backward(ctx, grad):
        (sign,) = ctx.saved_tensors
        grad_x = _per_element(grad, ctx.reduction, ctx.count) * sign
        return grad_x, -grad_x


# --------------------------------------------------------------------------- composed losses
# The losses below are compositions of differentiable engine ops, written in the order PyTorch
# computes them (its kernels are compositions too, or pointwise formulas whose gradients the
# composition reproduces), so their first *and* second derivatives come from the engine.


_REDUCTIONS = ("none", "mean", "sum")


def reduction_of(reduction: str, size_average: bool | None = None,
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


def _reduced(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "none":
        return loss
    return loss.sum() if reduction == "sum" else loss.mean()


def _floating_input(value: Any, name: str, position: int, op: str) -> Tensor:
    x = tensor_argument(value, name, position, op)
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"{op}: {name} must be a floating point tensor, got dtype "
                           f"{_dtypes.torch_name(x._data.dtype)}; convert it with .float()")
    return x


def _broadcast_pair(x: Tensor, y: Tensor, op: str, warn: bool = True) -> None:
    """PyTorch's warning when the target's shape differs from the input's, and its
    RuntimeError when they do not broadcast."""
    if tuple(x.shape) == tuple(y.shape):
        return
    if warn:
        warnings.warn(
            f"Using a target size ({tuple(y.shape)}) that is different to the input size "
            f"({tuple(x.shape)}). This will likely lead to incorrect results due to "
            f"broadcasting. Please ensure they have the same size. ({op})", UserWarning,
            stacklevel=3)
    _check_broadcast(x, y, op)


def _check_broadcast(a: Tensor, b: Tensor, op: str) -> None:
    try:
        np.broadcast_shapes(tuple(a.shape), tuple(b.shape))
    except ValueError:
        raise RuntimeError(f"{op}: the shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be "
                           "broadcast together (The size of tensor a must match the size of "
                           "tensor b at each non-singleton dimension)") from None


def _clamp_min_passing_gradient(t: Tensor, minimum: float) -> Tensor:
    """max(t, minimum) whose gradient is the identity (PyTorch clamps a clone in place under
    no_grad: the values change, the history stays that of t)."""
    clamped = t.clone()
    with no_grad():
        clamped.clamp_(min=minimum)
    return clamped


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """ℓ = ½d² for |d| < δ, δ·(|d| - ½δ) otherwise, d = x - y: quadratic near 0, linear (so
    robust to outliers) beyond δ. dℓ/dx = d inside, δ·sign(d) outside (the linear branch at
    |d| = δ, where both agree). ``weight`` multiplies each element's loss."""
    op = "huber_loss"
    reduction = reduction_of(reduction)
    if not delta > 0:
        raise RuntimeError(f"{op} does not support non-positive values for delta (got "
                           f"delta={delta}).")
    x = _floating_input(input, "input", 1, op)
    y = tensor_argument(target, "target", 2, op)
    _broadcast_pair(x, y, op)
    diff = x - y
    size = diff.abs()
    near = ~(size._data >= delta)  # NaN takes the quadratic piece (its gradient is NaN)
    small = _where(near, diff, 0.0)  # (the quadratic piece must not see an inf: inf·0)
    loss = _where(near, 0.5 * small * small, delta * (size - 0.5 * delta))
    if weight is not None:
        w = tensor_argument(weight, "weight", 5, op)
        if tuple(w.shape) != tuple(loss.shape):
            raise ValueError(f"Weights and input must have the same size. ({op}: weight of "
                             f"shape {tuple(w.shape)}, loss of shape {tuple(loss.shape)})")
        loss = loss * w
    return _reduced(loss, reduction)


def _where(condition: np.ndarray, a: Tensor, b: Tensor) -> Tensor:
    from microtensor import ops

    return ops.elementwise.where(condition, a, b)


def smooth_l1_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
                   reduce: bool | None = None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """ℓ = ½d²/β for |d| < β, |d| - ½β otherwise (d = x - y; = huber_loss / β). β = 0 is the
    L1 loss. dℓ/dx = d/β inside, sign(d) outside."""
    op = "smooth_l1_loss"
    reduction = reduction_of(reduction, size_average, reduce)
    if beta < 0:
        raise RuntimeError(f"{op} does not support negative values for beta (got beta={beta}).")
    x = _floating_input(input, "input", 1, op)
    y = tensor_argument(target, "target", 2, op)
    _broadcast_pair(x, y, op)
    diff = x - y
    size = diff.abs()
    if beta == 0:
        return _reduced(size, reduction)
    near = ~(size._data >= beta)  # NaN takes the quadratic piece (its gradient is NaN)
    small = _where(near, diff, 0.0)  # (the quadratic piece must not see an inf: inf·0)
    loss = _where(near, 0.5 * small * small / beta, size - 0.5 * beta)
    return _reduced(loss, reduction)


def _xlogx(t: Tensor) -> Tensor:
    """t·log t with 0·log 0 = 0 (NaN stays NaN)."""
    zero = t._data == 0
    safe = _where(zero, Tensor._make(np.ones((), t._data.dtype)), t)
    return _where(zero, Tensor._make(np.zeros((), t._data.dtype)), t * safe.log())


def kl_div(input: Tensor, target: Tensor, size_average: bool | None = None,
           reduce: bool | None = None, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    """Kullback-Leibler divergence KL(y ‖ p) pointwise, with the input x = log p:

        ℓ = y·(log y - x)          (0 where y = 0)
        ℓ = eʸ·(y - x)             with log_target=True (y holds log-probabilities).

    "batchmean" divides the sum by the batch size (the KL divergence per sample); "mean"
    divides by the number of elements (and warns, as PyTorch).

    Differs from PyTorch on purpose: where the target is exactly 0, the term y·log y adds 0 to
    the derivative with respect to y (which is then -x); PyTorch's is NaN there (its xlogy
    backward divides 0 by 0). The loss values are the same.
    """
    op = "kl_div"
    if reduction == "mean":
        warnings.warn(
            "reduction: 'mean' divides the total loss by both the batch size and the support "
            "size.'batchmean' divides only by the batch size, and aligns with the KL div math "
            "definition.'mean' will be changed to behave the same as 'batchmean' in the next "
            "major release.", UserWarning, stacklevel=2)
    batchmean = reduction == "batchmean"
    reduction = reduction_of("sum" if batchmean else reduction, size_average, reduce)
    x = _floating_input(input, "input", 1, op)
    y = tensor_argument(target, "target", 2, op)
    _check_broadcast(x, y, op)
    loss = y.exp() * (y - x) if log_target else _xlogx(y) - y * x
    if batchmean and reduction == "sum":
        total = loss.sum()
        return total / x.shape[0] if x.ndim else total
    return _reduced(loss, reduction)


def gaussian_nll_loss(input: Tensor, target: Tensor, var: Tensor | float, full: bool = False,
                      eps: float = 1e-6, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of y ~ Normal(x, var):

        ℓ = ½·(log max(var, eps) + (x - y)² / max(var, eps))  (+ ½·log 2π with full=True).

    ``var`` has the input's shape, or one value per sample (the input's shape without its last
    dim, or with 1 there), or is a number. The clamp at eps passes the gradient through (as in
    PyTorch: it happens in place under no_grad).
    """
    op = "gaussian_nll_loss"
    x = _floating_input(input, "input", 1, op)
    y = tensor_argument(target, "target", 2, op)
    if not isinstance(var, Tensor):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = Tensor._make(np.full(x.shape, var, x._data.dtype))
    var = _variance_shape(var, x)
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not valid")
    if (var._data < 0).any():
        raise ValueError("var has negative entry/entries")
    var = _clamp_min_passing_gradient(var, eps)
    loss = 0.5 * (var.log() + (x - y) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduced(loss, reduction)


def _variance_shape(var: Tensor, x: Tensor) -> Tensor:
    shape, wanted = tuple(var.shape), tuple(x.shape)
    if shape == wanted:
        return var
    if wanted[:-1] == shape:  # one variance per sample: broadcast it over the last dim
        return var.unsqueeze(-1)
    if wanted[:-1] == shape[:-1] and shape[-1:] == (1,):  # the same, with the 1 kept
        return var
    raise ValueError(f"var is of incorrect size: {shape} for an input of shape {wanted} (give "
                     "it the input's shape, or the input's shape without its last dim)")


def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True, full: bool = False,
                     size_average: bool | None = None, eps: float = 1e-8,
                     reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of counts y ~ Poisson(λ), without the constant log y!:

        ℓ = eˣ - y·x                 (log_input=True: the input is log λ)
        ℓ = x - y·log(x + eps)       (log_input=False: the input is λ)

    full=True adds Stirling's approximation of log y!, y·log y - y + ½·log(2πy), where y > 1.
    """
    op = "poisson_nll_loss"
    reduction = reduction_of(reduction, size_average, reduce)
    x = _floating_input(input, "input", 1, op)
    y = tensor_argument(target, "target", 2, op)
    _check_broadcast(x, y, op)
    loss = x.exp() - y * x if log_input else x - y * (x + eps).log()
    if full:
        stirling = y * y.log() - y + 0.5 * (2 * math.pi * y).log()
        loss = loss + stirling.masked_fill(Tensor._make(y._data <= 1), 0)
    return _reduced(loss, reduction)


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0,
                          size_average: bool | None = None, reduce: bool | None = None,
                          reduction: str = "mean") -> Tensor:
    """For label y = 1 (similar pairs) ℓ = 1 - cos(x₁, x₂); for y = -1 (dissimilar)
    ℓ = max(0, cos(x₁, x₂) - margin). cos = x₁·x₂ / √((|x₁|² + ε)(|x₂|² + ε)), ε = 1e-12,
    along the feature dim; (N, D) inputs take (N,) labels, (D,) inputs a 0-d label."""
    op = "cosine_embedding_loss"
    reduction = reduction_of(reduction, size_average, reduce)
    a = _floating_input(input1, "input1", 1, op)
    b = _floating_input(input2, "input2", 2, op)
    t = tensor_argument(target, "target", 3, op)
    if t.ndim > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    wanted = 2 if t.ndim == 1 else 1
    if a.ndim != wanted or b.ndim != wanted:
        raise RuntimeError(f"{t.ndim}D target tensor expects {wanted}D input tensors, but "
                           f"found inputs with sizes {list(a.shape)} and {list(b.shape)}.")
    dim = t.ndim
    epsilon = 1e-12
    products = (a * b).sum(dim)
    norms = ((a * a).sum(dim) + epsilon) * ((b * b).sum(dim) + epsilon)
    cos = products / norms.sqrt()
    _check_broadcast(cos, t, op)
    labels = t._data
    similar = _where(labels == 1, 1 - cos, 0.0)
    dissimilar = _where(labels == -1, (cos - margin).clamp(min=0), 0.0)
    return _reduced(similar + dissimilar, reduction)


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0,
                        size_average: bool | None = None, reduce: bool | None = None,
                        reduction: str = "mean") -> Tensor:
    """ℓ = max(0, -y·(x₁ - x₂) + margin): y = 1 wants x₁ ranked above x₂ by the margin,
    y = -1 the reverse."""
    op = "margin_ranking_loss"
    reduction = reduction_of(reduction, size_average, reduce)
    a = tensor_argument(input1, "input1", 1, op)
    b = tensor_argument(input2, "input2", 2, op)
    t = tensor_argument(target, "target", 3, op)
    if not a.ndim == b.ndim == t.ndim:
        raise RuntimeError(
            f"margin_ranking_loss : All input tensors should have same dimension but got "
            f"sizes: input1: {tuple(a.shape)}, input2: {tuple(b.shape)}, target: "
            f"{tuple(t.shape)} ")
    _check_broadcast(a, b, op)
    _check_broadcast(a - b, t, op)
    return _reduced((-t * (a - b) + margin).clamp(min=0), reduction)


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0,
                         size_average: bool | None = None, reduce: bool | None = None,
                         reduction: str = "mean") -> Tensor:
    """ℓ = x where y = 1, max(0, margin - x) where y = -1 (x: a distance; labels ±1; other
    labels count both terms, as in PyTorch)."""
    op = "hinge_embedding_loss"
    reduction = reduction_of(reduction, size_average, reduce)
    x = _floating_input(input, "input", 1, op)
    t = tensor_argument(target, "target", 2, op)
    _check_broadcast(x, t, op)
    labels = t._data
    far = _where(labels != 1, (margin - x).clamp(min=0), 0.0)
    near = _where(labels != -1, x, 0.0)
    return _reduced(far + near, reduction)


def soft_margin_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
                     reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """ℓ = log(1 + e^(-y·x)), the logistic loss of labels y = ±1."""
    op = "soft_margin_loss"
    reduction = reduction_of(reduction, size_average, reduce)
    x = _floating_input(input, "input", 1, op)
    y = tensor_argument(target, "target", 2, op)
    if y.requires_grad and grad_state.enabled:
        raise RuntimeError("The function 'soft_margin_loss' is not differentiable with respect "
                           "to argument 'target'. This input cannot have requires_grad True.")
    _check_broadcast(x, y, op)
    return _reduced((-x * y).exp().log1p(), reduction)


def multilabel_soft_margin_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                size_average: bool | None = None, reduce: bool | None = None,
                                reduction: str = "mean") -> Tensor:
    """One logistic loss per class, averaged over the C classes (last dim):

        ℓᵢ = -(1/C)·Σ_c w_c·(y_ic·log σ(x_ic) + (1 - y_ic)·log σ(-x_ic)).
    """
    op = "multilabel_soft_margin_loss"
    reduction = reduction_of(reduction, size_average, reduce)
    x = _floating_input(input, "input", 1, op)
    y = tensor_argument(target, "target", 2, op)
    _check_broadcast(x, y, op)
    loss = -(y * logsigmoid(x) + (1 - y) * logsigmoid(-x))
    if weight is not None:
        loss = loss * tensor_argument(weight, "weight", 3, op)
    class_dim = x.ndim - 1
    loss = loss.sum(class_dim) / x.shape[class_dim]
    return _reduced(loss, reduction)


def multi_margin_loss(input: Tensor, target: Tensor, p: int = 1, margin: float = 1.0,
                      weight: Tensor | None = None, size_average: bool | None = None,
                      reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """The multiclass SVM hinge loss (Weston and Watkins; Crammer and Singer's margin):
    for scores x (N, C) and the correct class y of each row,

        ℓ = (1/C) · Σ_{j ≠ y} w_y · max(0, margin - x_y + x_j)^p,        p = 1 or 2,

    so each wrong class j is penalised until the right score beats it by ``margin``.
    Derivatives (p = 1), with the active set A = {j ≠ y : margin - x_y + x_j > 0}:

        dℓ/dx_j = w_y / C for j ∈ A,     dℓ/dx_y = -|A| · w_y / C,     0 elsewhere;

    for p = 2 each active term contributes 2·(margin - x_y + x_j)·w_y / C instead. At exactly
    zero margin violation the term is inactive (slope 0), as in PyTorch. Composed of engine ops,
    so it also has a second derivative (PyTorch has none: its double backward raises).
    """
    op = "multi_margin_loss"
    reduction = reduction_of(reduction, size_average, reduce)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    x = _floating_input(input, "input", 1, op)
    t = tensor_argument(target, "target", 2, op)
    scores, labels = _margin_rows(x, t, op)
    classes = scores.shape[1]
    w = None if weight is None else _margin_weight(weight, classes, x, op)
    rows = np.arange(scores.shape[0])
    right = scores[rows, labels].unsqueeze(1)
    violation = margin - right + scores
    wrong = labels[:, None] != np.arange(classes)
    terms = _where((violation._data > 0) & wrong, violation, 0.0)
    if p == 2:
        terms = terms * terms
    if w is not None:
        terms = terms * Tensor._make(w[labels][:, None])
    loss = terms.sum(1) / classes
    if x.ndim == 1:
        loss = loss.reshape(tuple(t.shape))
    return _reduced(loss, reduction)


def _margin_rows(x: Tensor, t: Tensor, op: str) -> tuple[Tensor, np.ndarray]:
    """The scores as (N, C) and the labels as (N,) int64, checked as PyTorch checks them."""
    if x.ndim > 2 or x.ndim == 0 or x.shape[-1] == 0:
        raise RuntimeError(f"{op}: Expected non-empty vector or matrix with optional 0-dim batch "
                           f"size, but got: {list(x.shape)}")
    samples = x.shape[0] if x.ndim == 2 else 1
    if t.ndim > 1 or t.numel() != samples:
        raise RuntimeError(
            f"{op}: target tensor should be 1-D with size equal to the number of input samples "
            f"(batch size). Expected target size [{samples}], but got {list(t.shape)}. Input "
            f"has shape {list(x.shape)}.")
    if t._data.dtype != np.int64:
        raise RuntimeError(f"{op}: expected scalar type Long but found "
                           f"{_dtypes.torch_name(t._data.dtype)} (class-index targets must be "
                           "int64; convert them with .long())")
    labels = t._data.reshape(samples)
    classes = x.shape[-1]
    if labels.size and (labels.min() < 0 or labels.max() >= classes):
        raise RuntimeError(f"{op}: target out of range (class indices must lie in [0, "
                           f"{classes}))")
    return (x if x.ndim == 2 else x.reshape(1, classes)), labels


def _margin_weight(weight: Any, classes: int, x: Tensor, op: str) -> np.ndarray:
    w = tensor_argument(weight, "weight", 5, op)
    if tuple(w.shape) != (classes,):
        raise RuntimeError(f"{op}: inconsistent weight size, expected {classes} but got "
                           f"{list(w.shape)}")
    return w._data.astype(x._data.dtype, copy=False)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """‖x₁ - x₂ + eps‖_p along the last dim (the eps keeps the norm's gradient finite when
    the two are equal)."""
    op = "pairwise_distance"
    a = tensor_argument(x1, "x1", 1, op)
    b = tensor_argument(x2, "x2", 2, op)
    _check_broadcast(a, b, op)
    last = max(a.ndim, b.ndim) - 1
    difference = a - b + eps
    if last < 0:  # two 0-d tensors: the distance of one number, |d| (as PyTorch)
        return difference.abs()
    return difference.norm(p, last, keepdim)


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor,
                        margin: float = 1.0, p: float = 2, eps: float = 1e-6,
                        swap: bool = False, size_average: bool | None = None,
                        reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """ℓ = max(0, margin + d(a, p) - d(a, n)), d = pairwise_distance (p-norm, eps): the anchor
    must be nearer the positive than the negative by the margin. ``swap`` uses
    min(d(a, n), d(p, n)) as the negative distance (the harder of the two)."""
    op = "triplet_margin_loss"
    reduction = reduction_of(reduction, size_average, reduce)
    a = tensor_argument(anchor, "anchor", 1, op)
    pos = tensor_argument(positive, "positive", 2, op)
    neg = tensor_argument(negative, "negative", 3, op)
    if not a.ndim == pos.ndim == neg.ndim:
        raise RuntimeError(
            f"The anchor, positive, and negative tensors are expected to have the same number "
            f"of dimensions, but got: anchor {a.ndim}D, positive {pos.ndim}D, and negative "
            f"{neg.ndim}D inputs")
    near = pairwise_distance(a, pos, p, eps)
    far = pairwise_distance(a, neg, p, eps)
    if swap:
        from microtensor import ops

        far = ops.elementwise.minimum(far, pairwise_distance(pos, neg, p, eps))
    return _reduced((margin + near - far).clamp(min=0), reduction)


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12,
              out: Tensor | None = None) -> Tensor:
    """x / max(‖x‖_p, eps) along ``dim``: unit vectors (zero vectors stay zero)."""
    x = tensor_argument(input, "input", 1, "normalize")
    if out is not None:
        raise TypeError("normalize: out= is not supported; use the returned tensor")
    return x / x.norm(p, dim, keepdim=True).clamp(min=eps)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """Σ (x₁/‖x₁‖)·(x₂/‖x₂‖) along ``dim``, each norm clamped at eps (PyTorch 2's form: the
    inputs are normalised first, so the result stays within [-1, 1]; the clamp passes the
    gradient through, as PyTorch's in-place clamp under no_grad)."""
    op = "cosine_similarity"
    a = tensor_argument(x1, "x1", 1, op)
    b = tensor_argument(x2, "x2", 2, op)
    common = np.result_type(a._data.dtype, b._data.dtype)
    if common.kind != "f":
        raise RuntimeError(f"{op}: expected common dtype to be floating point, yet common "
                           f"dtype is {_dtypes.torch_name(common)}")
    _check_broadcast(a, b, op)
    from microtensor import ops

    shape = np.broadcast_shapes(tuple(a.shape), tuple(b.shape))
    # integers become the common dtype; a float32 input stays float32 up to the final product
    a = ops.elementwise.cast(a, common) if a._data.dtype.kind != "f" else a
    b = ops.elementwise.cast(b, common) if b._data.dtype.kind != "f" else b
    a, b = a.expand(shape), b.expand(shape)
    norm_a = _clamp_min_passing_gradient(a.norm(2, dim, keepdim=True), eps)
    norm_b = _clamp_min_passing_gradient(b.norm(2, dim, keepdim=True), eps)
    return ((a / norm_a) * (b / norm_b)).sum(dim)


def multilabel_margin_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
                           reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """The multi-label hinge loss. Each row of ``target`` lists the row's classes (int64),
    ended by the first -1; with Y that set (entries counted as listed) and C the classes,

        ℓ = (1/C) · Σ_{y ∈ Y} Σ_{j ∉ Y} max(0, 1 - (x_y - x_j)),

    so every listed class must beat every other class by a margin of 1. Derivatives: each
    active pair (1 - x_y + x_j > 0, strictly, as PyTorch) adds 1/C to dℓ/dx_j and -1/C to
    dℓ/dx_y. Composed of engine ops: twice differentiable (PyTorch has no double backward).
    """
    op = "multilabel_margin_loss"
    reduction = reduction_of(reduction, size_average, reduce)
    x = _floating_input(input, "input", 1, op)
    t = tensor_argument(target, "target", 2, op)
    scores, listed, valid = _multilabel_rows(x, t, op)
    samples, classes = scores.shape
    rows = np.arange(samples)[:, None]
    is_target = np.zeros((samples, classes), bool)
    is_target[np.broadcast_to(rows, listed.shape)[valid], listed[valid]] = True
    chosen = scores[rows, listed]  # (N, K): x_y for every listed entry (padding: class 0)
    violation = 1 - chosen.unsqueeze(2) + scores.unsqueeze(1)  # (N, K, C)
    active = valid[:, :, None] & ~is_target[:, None, :] & (violation._data > 0)
    loss = _where(active, violation, 0.0).sum((1, 2)) / max(classes, 1)
    if x.ndim < 2:
        loss = loss.reshape(())
    return _reduced(loss, reduction)


def _multilabel_rows(x: Tensor, t: Tensor, op: str) -> tuple[Tensor, np.ndarray, np.ndarray]:
    """(scores (N, C), listed classes (N, C) with 0 in place of the padding, the mask of the
    entries before each row's first -1), checked as PyTorch checks them."""
    if x.ndim > 2 or (x.ndim >= 1 and x.shape[-1] == 0):
        raise RuntimeError(f"{op}: Expected non-empty vector or matrix with optional 0-dim batch "
                           f"size, but got: {list(x.shape)}")
    if tuple(t.shape) != tuple(x.shape):
        raise RuntimeError(f"{op}: inconsistent target size: {list(t.shape)} for input of size: "
                           f"{list(x.shape)}")
    if t._data.dtype != np.int64:
        raise RuntimeError(f"{op}: expected scalar type Long but found "
                           f"{_dtypes.torch_name(t._data.dtype)} (class-index targets must be "
                           "int64; convert them with .long())")
    classes = x.shape[-1] if x.ndim else 1
    scores = x.reshape(-1, classes)
    listed = t._data.reshape(-1, classes)
    valid = np.cumsum(listed == -1, axis=1) == 0  # before the first -1
    if ((listed < 0) | (listed >= classes))[valid].any():
        raise RuntimeError(f"{op}: argument #2 'target' is out of range (class indices must lie "
                           f"in [0, {classes}), each row ended by -1)")
    return scores, np.where(valid, listed, 0), valid
