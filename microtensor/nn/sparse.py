"""``nn.Embedding``: a learnable lookup table of vectors, one row per index (word, token, id).

The lookup and its scatter-add backward are in ``ops/embedding.py`` (``F.embedding``).
"""

from __future__ import annotations

from typing import Any

from microtensor.autograd.grad_mode import no_grad
from microtensor.nn import functional as F
from microtensor.nn import init
from microtensor.nn.linear import _new_parameter
from microtensor.nn.module import Module, Parameter
from microtensor.ops.embedding import _padding_row
from microtensor.tensor import Tensor


class Embedding(Module):
    """``weight`` (num_embeddings, embedding_dim), drawn from N(0, 1) as in PyTorch, with the row
    ``padding_idx`` (if given; negative counts from the end) set to zeros and given no gradient.

    ``max_norm``: rows looked up that are longer than it (in ``norm_type``-norm) are rescaled in
    place first. ``scale_grad_by_freq``: a row's gradient is divided by how often it occurs in
    the batch. ``_weight``: use this tensor as the weight (shared, as PyTorch); ``_freeze``: the
    weight then needs no gradient. ``sparse=True`` is not supported (dense gradients only).
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 max_norm: float | None = None, norm_type: float = 2.0,
                 scale_grad_by_freq: bool = False, sparse: bool = False,
                 _weight: Tensor | None = None, _freeze: bool = False, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        if sparse:
            raise NotImplementedError("Embedding: sparse=True (sparse gradients) is not "
                                      "supported by microtensor; use sparse=False")
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.padding_idx = (None if padding_idx is None
                            else _padding_row(padding_idx, num_embeddings))
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        self.sparse = sparse
        if _weight is None:
            self.weight = _new_parameter((num_embeddings, embedding_dim), dtype)
            self.weight.requires_grad = not _freeze
            self.reset_parameters()
        else:
            if tuple(_weight.shape) != (num_embeddings, embedding_dim):
                raise AssertionError(
                    "Shape of weight does not match num_embeddings and embedding_dim: got "
                    f"{tuple(_weight.shape)}, expected ({num_embeddings}, {embedding_dim})"
                )
            self.weight = Parameter(_weight, requires_grad=not _freeze)

    def reset_parameters(self) -> None:
        init.normal_(self.weight)
        self._fill_padding_idx_with_zero()

    def _fill_padding_idx_with_zero(self) -> None:
        if self.padding_idx is not None:
            with no_grad():
                self.weight[self.padding_idx] = 0.0

    def forward(self, input: Tensor) -> Tensor:
        return F.embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                           self.scale_grad_by_freq, self.sparse)

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            text += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            text += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq:
            text += f", scale_grad_by_freq={self.scale_grad_by_freq}"
        return text

    @classmethod
    def from_pretrained(cls, embeddings: Tensor, freeze: bool = True,
                        padding_idx: int | None = None, max_norm: float | None = None,
                        norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                        sparse: bool = False) -> Embedding:
        """An Embedding whose weight is ``embeddings`` (2-D, shared), frozen unless
        ``freeze=False``."""
        if embeddings.ndim != 2:
            raise AssertionError("Embeddings parameter is expected to be 2-dimensional, got "
                                 f"shape {tuple(embeddings.shape)}")
        rows, cols = embeddings.shape
        return cls(rows, cols, padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse,
                   _weight=embeddings, _freeze=freeze)
