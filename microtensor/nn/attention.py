"""``nn.MultiheadAttention``: attention with several heads, as in "Attention Is All You Need".

For a query sequence (L, N, E) and key/value sequences (S, N, kdim) and (S, N, vdim)
((N, L, E) etc. with ``batch_first=True``; unbatched (L, E) also works):

    Q = query Wqᵀ + bq,   K = key Wkᵀ + bk,   V = value Wvᵀ + bv      (the in-projection),
    split E into H heads of size E/H, and per head   headₕ = softmax(Qₕ Kₕᵀ/√(E/H) + M) Vₕ,
    out = concat(head₁ … head_H) Woᵀ + bo                             (``out_proj``).

Masks follow PyTorch's MultiheadAttention, where True means *masked out* (the opposite of
``F.scaled_dot_product_attention``): ``attn_mask`` (L, S) or (N·H, L, S) and
``key_padding_mask`` (N, S), bool (True = ignore) or float (added to the scores).

Everything is composed of differentiable ops (linear, reshape, matmul, softmax, dropout), so
gradients and gradients of gradients come from them.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from microtensor.nn import functional as F
from microtensor.nn import init
from microtensor.nn.linear import Linear, _new_parameter
from microtensor.nn.module import Module
from microtensor.ops import shape as _shape
from microtensor.tensor import Tensor

_MASK_HINT = ("Need attn_mask if specifying the is_causal hint. You may use the Transformer "
              "module method `generate_square_subsequent_mask` to create this mask.")


def _as_float_mask(mask: Tensor | None, name: str, dtype: np.dtype) -> Tensor | None:
    """A bool mask (True = masked out) as 0 / −∞ of ``dtype``; a float mask as it is."""
    if mask is None:
        return None
    if mask.dtype == np.bool_:
        return Tensor._make(np.where(mask._data, dtype.type(-np.inf), dtype.type(0)))
    if mask.dtype.kind != "f":
        raise AssertionError(f"MultiheadAttention: only bool and floating types of {name} are "
                             f"supported, got dtype {mask.dtype}")
    return mask


def _pad_key_dim(mask: Tensor | None) -> Tensor | None:
    """One more key (a zero, i.e. not masked) at the end of the last dim."""
    return None if mask is None else F.pad(mask, (0, 1))


class MultiheadAttention(Module):
    """Multi-head attention (see the module docstring). Parameters as PyTorch's:
    ``in_proj_weight`` (3E, E) (or ``q_proj_weight``, ``k_proj_weight``, ``v_proj_weight`` when
    ``kdim`` or ``vdim`` differ from E), ``in_proj_bias`` (3E), ``out_proj`` (a Linear E → E),
    and with ``add_bias_kv`` the learned extra key and value ``bias_k``, ``bias_v`` (1, 1, E).
    ``add_zero_attn``: an extra all-zero key and value. ``dropout``: on the attention weights.
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False,
                 kdim: int | None = None, vdim: int | None = None, batch_first: bool = False,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"embed_dim and num_heads must be greater than 0, got embed_dim="
                             f"{embed_dim} and num_heads={num_heads} instead")
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        if self.head_dim * num_heads != embed_dim:
            raise AssertionError(f"embed_dim must be divisible by num_heads (embed_dim="
                                 f"{embed_dim}, num_heads={num_heads})")
        self._make_projections(bias, add_bias_kv, dtype)
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _make_projections(self, bias: bool, add_bias_kv: bool, dtype: Any) -> None:
        e = self.embed_dim
        if self._qkv_same_embed_dim:
            self.in_proj_weight = _new_parameter((3 * e, e), dtype)
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        else:
            self.q_proj_weight = _new_parameter((e, e), dtype)
            self.k_proj_weight = _new_parameter((e, self.kdim), dtype)
            self.v_proj_weight = _new_parameter((e, self.vdim), dtype)
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = _new_parameter((3 * e,), dtype)
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = Linear(e, e, bias=bias, dtype=dtype)
        if add_bias_kv:
            self.bias_k = _new_parameter((1, 1, e), dtype)
            self.bias_v = _new_parameter((1, 1, e), dtype)
        else:
            self.bias_k = self.bias_v = None

    def _reset_parameters(self) -> None:
        """PyTorch's start: xavier_uniform_ projections, zero biases, xavier_normal_ bias_k/v
        (``out_proj.weight`` keeps Linear's own initialisation)."""
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            for weight in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                init.xavier_uniform_(weight)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
            init.xavier_normal_(self.bias_v)

    # ----------------------------------------------------------------- forward

    def forward(self, query: Tensor, key: Tensor, value: Tensor,
                key_padding_mask: Tensor | None = None, need_weights: bool = True,
                attn_mask: Tensor | None = None, average_attn_weights: bool = True,
                is_causal: bool = False) -> tuple[Tensor, Tensor | None]:
        """(attention output, attention weights or None). Output (L, N, E) ((N, L, E) with
        ``batch_first``); weights (N, L, S) averaged over heads, or (N, H, L, S)."""
        if is_causal and attn_mask is None:
            raise RuntimeError(_MASK_HINT)
        batched = query.ndim == 3
        self._check_shapes(query, key, value, batched)
        if batched and self.batch_first:
            query, key, value = (x.transpose(0, 1) for x in (query, key, value))
        if not batched:
            query, key, value = (x.unsqueeze(1) for x in (query, key, value))
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.unsqueeze(0)
        output, weights = self._attend(query, key, value, key_padding_mask, attn_mask,
                                       need_weights)
        if weights is not None and average_attn_weights:
            weights = weights.mean(dim=1)
        if not batched:
            return output.squeeze(1), None if weights is None else weights.squeeze(0)
        if self.batch_first:
            output = output.transpose(0, 1)
        return output, weights

    def _check_shapes(self, query: Tensor, key: Tensor, value: Tensor, batched: bool) -> None:
        ndim = 3 if batched else 2
        if query.ndim not in (2, 3) or key.ndim != ndim or value.ndim != ndim:
            raise AssertionError(
                f"MultiheadAttention: query, key and value must all be 3-D (batched) or all 2-D "
                f"(unbatched), got {query.ndim}-D, {key.ndim}-D and {value.ndim}-D"
            )
        for name, x, size in (("query", query, self.embed_dim), ("key", key, self.kdim),
                              ("value", value, self.vdim)):
            if x.shape[-1] != size:
                raise AssertionError(f"MultiheadAttention: was expecting {name} embedding "
                                     f"dimension of {size}, but got {x.shape[-1]}")

    def _project(self, query: Tensor, key: Tensor, value: Tensor) -> tuple[Tensor, ...]:
        """Q, K, V: the in-projections of query, key and value."""
        e = self.embed_dim
        if self._qkv_same_embed_dim:
            weights = _shape.split(self.in_proj_weight, e, dim=0)
        else:
            weights = (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight)
        biases = ((None,) * 3 if self.in_proj_bias is None
                  else _shape.split(self.in_proj_bias, e, dim=0))
        return tuple(F.linear(x, w, b) for x, w, b in zip((query, key, value), weights, biases))

    def _merged_mask(self, key_padding_mask: Tensor | None, attn_mask: Tensor | None,
                     dtype: np.dtype, batch: int, length: int, source: int) -> Tensor | None:
        """The additive mask, broadcastable to (N, H, L, S)."""
        attn_mask = _as_float_mask(attn_mask, "attn_mask", dtype)
        key_padding_mask = _as_float_mask(key_padding_mask, "key_padding_mask", dtype)
        if self.bias_k is not None:
            attn_mask, key_padding_mask = _pad_key_dim(attn_mask), _pad_key_dim(key_padding_mask)
        merged = None
        if attn_mask is not None:
            merged = self._attn_mask_4d(attn_mask, batch, length, source)
        if key_padding_mask is not None:
            if tuple(key_padding_mask.shape) != (batch, source):
                raise AssertionError(f"MultiheadAttention: expecting key_padding_mask shape of "
                                     f"{(batch, source)}, but got {tuple(key_padding_mask.shape)}")
            padding = key_padding_mask.reshape((batch, 1, 1, source))
            merged = padding if merged is None else merged + padding
        return merged

    def _attn_mask_4d(self, mask: Tensor, batch: int, length: int, source: int) -> Tensor:
        heads = self.num_heads
        if mask.ndim == 2 and tuple(mask.shape) == (length, source):
            return mask
        if mask.ndim == 3 and tuple(mask.shape) == (batch * heads, length, source):
            return mask.reshape((batch, heads, length, source))
        expected = (length, source) if mask.ndim == 2 else (batch * heads, length, source)
        raise RuntimeError(f"The shape of the {mask.ndim}D attn_mask is {tuple(mask.shape)}, but "
                           f"should be {expected}.")

    def _attend(self, query: Tensor, key: Tensor, value: Tensor,
                key_padding_mask: Tensor | None, attn_mask: Tensor | None,
                need_weights: bool) -> tuple[Tensor, Tensor | None]:
        """Core on (L, N, E) inputs: (output (L, N, E), weights (N, H, L, S) or None)."""
        length, batch, e = query.shape
        q, k, v = self._project(query, key, value)
        if self.bias_k is not None:
            k = _shape.cat([k, self.bias_k.expand((1, batch, e))], dim=0)
            v = _shape.cat([v, self.bias_v.expand((1, batch, e))], dim=0)
        mask = self._merged_mask(key_padding_mask, attn_mask, q._data.dtype, batch, length,
                                 k.shape[0])
        q, k, v = (self._split_heads(x) for x in (q, k, v))
        if self.add_zero_attn:
            zeros = Tensor._make(np.zeros(tuple(k.shape[:2]) + (1, self.head_dim), k._data.dtype))
            k, v = _shape.cat([k, zeros], dim=2), _shape.cat([v, zeros], dim=2)
            mask = _pad_key_dim(mask)
        dropout_p = self.dropout if self.training else 0.0
        if need_weights:
            scores = (q * math.sqrt(1.0 / self.head_dim)) @ k.transpose(-2, -1)
            with np.errstate(invalid="ignore"):  # a fully masked row: NaN, as PyTorch
                weights = F.softmax(scores if mask is None else scores + mask, dim=-1)
            dropped = F.dropout(weights, dropout_p) if dropout_p > 0.0 else weights
            heads = dropped @ v
        else:
            weights = None
            heads = F.scaled_dot_product_attention(q, k, v, mask, dropout_p)
        merged = heads.permute(2, 0, 1, 3).reshape((length, batch, e))
        return self.out_proj(merged), weights

    def _split_heads(self, x: Tensor) -> Tensor:
        """(T, N, E) → (N, H, T, E/H)."""
        steps, batch = x.shape[0], x.shape[1]
        return x.reshape((steps, batch, self.num_heads, self.head_dim)).permute(1, 2, 0, 3)
