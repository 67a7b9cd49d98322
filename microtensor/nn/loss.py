"""Loss layers. Each loss is the negative log-likelihood of a probability model of the targets,
which is why minimising it is maximum-likelihood estimation (see each class's docstring).

``reduction``: "mean" (default), "sum" or "none" (one loss per element/sample).
"""

from __future__ import annotations

from microtensor.nn import functional as F
from microtensor.nn.module import Module
from microtensor.tensor import Tensor


class _Loss(Module):
    def __init__(self, size_average: bool | None = None, reduce: bool | None = None,
                 reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = F._reduction(reduction, size_average, reduce)


class _WeightedLoss(_Loss):
    def __init__(self, weight: Tensor | None = None, size_average: bool | None = None,
                 reduce: bool | None = None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)


class MSELoss(_Loss):
    """Mean squared error: ℓ = (x - y)².

    Likelihood: y ~ Normal(x, σ²) with a fixed σ has -log p(y | x) = (x - y)²/(2σ²) + const, so
    minimising the MSE is maximising a Gaussian likelihood.
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error: ℓ = |x - y|.

    Likelihood: y ~ Laplace(x, b) with a fixed scale b has -log p(y | x) = |x - y|/b + const
    (its minimiser is the median, hence L1's robustness to outliers).
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.l1_loss(input, target, reduction=self.reduction)


class CrossEntropyLoss(_WeightedLoss):
    """Cross-entropy of logits (N, C, d...) against class indices (N, d...) or probabilities.

    Likelihood: a categorical distribution p = softmax(x) over the C classes has
    -log p(y = t) = -log softmax(x)_t: cross-entropy is the categorical negative log-likelihood
    (log-softmax and NLL fused in one op). ``weight`` (C,) weighs classes, ``ignore_index``
    skips positions, ``label_smoothing`` ε trains against (1-ε)·onehot + ε/C.
    """

    def __init__(self, weight: Tensor | None = None, size_average: bool | None = None,
                 ignore_index: int = -100, reduce: bool | None = None, reduction: str = "mean",
                 label_smoothing: float = 0.0) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.cross_entropy(input, target, weight=self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of class indices given log-probabilities (N, C, d...).

    Likelihood: the input holds log p(class); ℓ = -log p(y = t) is the categorical negative
    log-likelihood. ``LogSoftmax`` followed by ``NLLLoss`` equals ``CrossEntropyLoss``.
    """

    def __init__(self, weight: Tensor | None = None, size_average: bool | None = None,
                 ignore_index: int = -100, reduce: bool | None = None,
                 reduction: str = "mean") -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)


class BCELoss(_WeightedLoss):
    """Binary cross-entropy of probabilities x ∈ [0, 1] and targets y ∈ [0, 1].

    Likelihood: y ~ Bernoulli(x) has -log p(y | x) = -(y log x + (1-y) log(1-x)). The logs are
    clamped at -100 (as PyTorch), so x = 0 or 1 gives a large but finite loss.
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.binary_cross_entropy(input, target, weight=self.weight,
                                      reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy of σ(x) for logits x, computed stably (no overflow for large |x|):
    ℓ = max(x, 0) - x·y + log(1 + e^-|x|).

    Likelihood: y ~ Bernoulli(σ(x)), the negative log-likelihood of logistic regression.
    ``pos_weight`` multiplies the positive term (trades recall against precision).
    """

    def __init__(self, weight: Tensor | None = None, size_average: bool | None = None,
                 reduce: bool | None = None, reduction: str = "mean",
                 pos_weight: Tensor | None = None) -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.binary_cross_entropy_with_logits(input, target, self.weight,
                                                  pos_weight=self.pos_weight,
                                                  reduction=self.reduction)
