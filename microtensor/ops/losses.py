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

from typing import Any

import numpy as np

from microtensor.autograd.function import Op
from microtensor.ops import array_or_tensor as either
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
_BCE_EPS = 1e-12  # and keeps x(1-x) away from 0 in the gradient


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
