"""``Flatten`` and ``Unflatten``: reshape between layers (e.g. images to vectors)."""

from __future__ import annotations

from collections.abc import Sequence

from microtensor.nn.module import Module
from microtensor.ops.shape import normalize_dim
from microtensor.tensor import Tensor


class Flatten(Module):
    """Merge dims ``start_dim``..``end_dim`` into one: (N, C, H, W) → (N, C·H·W) by default."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input: Tensor) -> Tensor:
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split dim ``dim`` into ``unflattened_size``: (N, 784) → (N, 1, 28, 28)."""

    def __init__(self, dim: int, unflattened_size: Sequence[int]) -> None:
        super().__init__()
        self.dim = dim
        self.unflattened_size = tuple(unflattened_size)

    def forward(self, input: Tensor) -> Tensor:
        dim = normalize_dim(self.dim, input.ndim, "Unflatten")
        shape = tuple(input.shape)
        return input.reshape(shape[:dim] + self.unflattened_size + shape[dim + 1:])

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
