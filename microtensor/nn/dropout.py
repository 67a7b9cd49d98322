"""``Dropout``: randomly zero activations while training (a regulariser)."""

from __future__ import annotations

from microtensor.nn import functional as F
from microtensor.nn.module import Module
from microtensor.tensor import Tensor


class Dropout(Module):
    """In training mode, zero each element with probability ``p`` and scale the others by
    1/(1-p) (inverted dropout, so evaluation needs no rescaling); the identity in eval mode.
    Masks come from the global generator: ``mt.manual_seed`` makes them repeatable."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout(input, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"
