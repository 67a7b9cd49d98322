"""Tensor methods: flips, rolls, triangles, diagonals, splits and stacks.

The ops are in ``ops/rearrange.py`` and ``ops/shape.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from microtensor import ops

if TYPE_CHECKING:
    from microtensor.tensor import Tensor


class RearrangeMethods:
    """The Tensor methods of this family."""

    __slots__ = ()

    # ------------------------------------------------------------------ transposes
    @property
    def T(self) -> Tensor:
        """All dims reversed (the transpose of a matrix; PyTorch warns above 2 dims)."""
        return ops.rearrange.reversed_dims(self)

    @property
    def mT(self) -> Tensor:
        """The last two dims swapped: a batch of matrices transposed."""
        return ops.rearrange.matrix_transpose(self, "mT")

    @property
    def H(self) -> Tensor:
        """The conjugate transpose of a matrix (the transpose: microtensor's tensors are real)."""
        return ops.rearrange.conjugate_transpose(self)

    @property
    def mH(self) -> Tensor:
        """The conjugate transpose of a batch of matrices (= ``mT`` for real tensors)."""
        return ops.rearrange.matrix_transpose(self, "mH")

    def t(self) -> Tensor:
        return ops.rearrange.t(self)

    def movedim(self, source: Any, destination: Any) -> Tensor:
        return ops.rearrange.movedim(self, source, destination)

    def moveaxis(self, source: Any, destination: Any) -> Tensor:
        return ops.rearrange.movedim(self, source, destination)

    # ------------------------------------------------------------------ in-place shape changes
    def unsqueeze_(self, dim: int) -> Tensor:
        return ops.rearrange.change_view_in_place(
            self, "unsqueeze_", lambda t: ops.shape.unsqueeze(t, dim))

    def squeeze_(self, dim: Any = None) -> Tensor:
        return ops.rearrange.change_view_in_place(
            self, "squeeze_", lambda t: ops.shape.squeeze(t, dim))

    def t_(self) -> Tensor:
        if self.ndim > 2:
            raise RuntimeError(f"t_() expects a tensor with <= 2 dimensions, but self is "
                               f"{self.ndim}D")
        return ops.rearrange.change_view_in_place(self, "t_", ops.rearrange.t)

    def transpose_(self, dim0: int, dim1: int) -> Tensor:
        return ops.rearrange.change_view_in_place(
            self, "transpose_", lambda t: ops.shape.transpose(t, dim0, dim1))

    def swapaxes_(self, axis0: int, axis1: int) -> Tensor:
        return self.transpose_(axis0, axis1)

    def swapdims_(self, dim0: int, dim1: int) -> Tensor:
        return self.transpose_(dim0, dim1)

    # ------------------------------------------------------------------ flips and rolls
    def flip(self, *dims: Any) -> Tensor:
        return ops.rearrange.flip(self, ops.shape.shape_arg(dims))

    def fliplr(self) -> Tensor:
        return ops.rearrange.fliplr(self)

    def flipud(self) -> Tensor:
        return ops.rearrange.flipud(self)

    def roll(self, shifts: Any, dims: Any = None) -> Tensor:
        return ops.rearrange.roll(self, shifts, dims)

    def rot90(self, k: int = 1, dims: Sequence[int] = (0, 1)) -> Tensor:
        return ops.rearrange.rot90(self, k, dims)

    # ------------------------------------------------------------------ triangles and diagonals
    def tril(self, diagonal: int = 0) -> Tensor:
        return ops.rearrange.tril(self, diagonal)

    def triu(self, diagonal: int = 0) -> Tensor:
        return ops.rearrange.triu(self, diagonal)

    def tril_(self, diagonal: int = 0) -> Tensor:
        return self._inplace("tril_", lambda t: ops.rearrange.tril(t, diagonal))

    def triu_(self, diagonal: int = 0) -> Tensor:
        return self._inplace("triu_", lambda t: ops.rearrange.triu(t, diagonal))

    def diag(self, diagonal: int = 0) -> Tensor:
        return ops.rearrange.diag(self, diagonal)

    def diagonal(self, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
        return ops.rearrange.diagonal(self, offset, dim1, dim2)

    def diag_embed(self, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
        return ops.rearrange.diag_embed(self, offset, dim1, dim2)

    def diagflat(self, offset: int = 0) -> Tensor:
        return ops.rearrange.diagflat(self, offset)

    # ------------------------------------------------------------------ windows and repeats
    def unfold(self, dimension: int, size: int, step: int) -> Tensor:
        """The windows of ``size`` elements every ``step`` along ``dimension``, in a new last
        dim (a view).  dL/dx = the g of each window added back onto the elements it covers."""
        return ops.rearrange.unfold(self, dimension, size, step)

    def repeat_interleave(self, repeats: Any, dim: int | None = None, *,
                          output_size: int | None = None) -> Tensor:
        return ops.rearrange.repeat_interleave(self, repeats, dim, output_size=output_size)

    def tile(self, *dims: Any) -> Tensor:
        return ops.rearrange.tile(self, ops.shape.shape_arg(dims))

    # ------------------------------------------------------------------ views by slicing
    def narrow(self, dim: int, start: Any, length: int) -> Tensor:
        return ops.rearrange.narrow(self, dim, start, length)

    def unflatten(self, dim: int, sizes: Sequence[int]) -> Tensor:
        return ops.rearrange.unflatten(self, dim, sizes)

    def unbind(self, dim: int = 0) -> tuple[Tensor, ...]:
        return ops.rearrange.unbind(self, dim)

    def tensor_split(self, indices_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
        return ops.rearrange.tensor_split(self, indices_or_sections, dim)

    def hsplit(self, indices_or_sections: Any) -> tuple[Tensor, ...]:
        return ops.rearrange.hsplit(self, indices_or_sections)

    def vsplit(self, indices_or_sections: Any) -> tuple[Tensor, ...]:
        return ops.rearrange.vsplit(self, indices_or_sections)

    def dsplit(self, indices_or_sections: Any) -> tuple[Tensor, ...]:
        return ops.rearrange.dsplit(self, indices_or_sections)
