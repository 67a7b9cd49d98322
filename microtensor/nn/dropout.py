"""Dropout layers: randomly zero activations while training (a regulariser).

``Dropout`` zeroes single elements; ``Dropout1d`` / ``Dropout2d`` zero whole channels;
``AlphaDropout`` / ``FeatureAlphaDropout`` keep the mean and variance of SELU networks. All are
the identity in eval mode. The arithmetic is in ``F.dropout`` and
``microtensor/ops/channel_dropout.py``. Masks come from the global generator:
``mt.manual_seed`` makes them repeatable.
"""

from __future__ import annotations

from microtensor.nn import functional as F
from microtensor.nn.module import Module
from microtensor.tensor import Tensor

__all__ = ["AlphaDropout", "Dropout", "Dropout1d", "Dropout2d", "FeatureAlphaDropout"]


def _check_p(p: float) -> None:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


class _DropoutNd(Module):
    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        _check_p(p)
        self.p = p
        self.inplace = inplace

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """In training mode, zero each element with probability ``p`` and scale the others by
    1/(1-p) (inverted dropout, so evaluation needs no rescaling); the identity in eval mode.
    Masks come from the global generator: ``mt.manual_seed`` makes them repeatable."""

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout(input, self.p, self.training, self.inplace)


class Dropout1d(_DropoutNd):
    """Channel dropout of (N, C, L) or (C, L) in training mode: ``F.dropout1d``."""

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout1d(input, self.p, self.training, self.inplace)


class Dropout2d(_DropoutNd):
    """Channel dropout of (N, C, H, W) in training mode: ``F.dropout2d``."""

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout2d(input, self.p, self.training, self.inplace)


class AlphaDropout(_DropoutNd):
    """Alpha dropout in training mode (keeps SELU's self-normalisation): ``F.alpha_dropout``."""

    def forward(self, input: Tensor) -> Tensor:
        return F.alpha_dropout(input, self.p, self.training)


class FeatureAlphaDropout(_DropoutNd):
    """Alpha dropout of whole channels in training mode: ``F.feature_alpha_dropout``."""

    def forward(self, input: Tensor) -> Tensor:
        return F.feature_alpha_dropout(input, self.p, self.training)
