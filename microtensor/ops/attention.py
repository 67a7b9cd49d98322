"""Scaled dot-product attention, composed of differentiable ops (no op of its own).

For queries Q (…, L, E), keys K (…, S, E) and values V (…, S, Ev):

    A = softmax(Q Kᵀ · scale + M)      (row-wise, over the S keys),     out = A V,

with scale = 1/√E unless given, and M the mask: 0 where a key takes part and −∞ where it does
not (a bool ``attn_mask``, True = takes part; ``is_causal``: query i sees keys j ≤ i), or a
float ``attn_mask`` added as it is.

Every step is an existing op (matmul, mul, where, softmax, dropout), so the gradients, and the
gradients of gradients, are theirs: dL/dV = Aᵀ G, dL/dA = G Vᵀ, through the softmax
dL/dS = A ⊙ (dL/dA − Σ_j A ⊙ dL/dA), and dL/dQ = scale · dL/dS K, dL/dK = scale · dL/dSᵀ Q.

A query whose keys are all masked out gets a zero output and zero gradients (PyTorch 2.13's
"safe softmax"), not the NaN of 0/0: its row of A is set to 0 by selection.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from microtensor._arguments import tensor_argument
from microtensor.ops import elementwise as _ew
from microtensor.ops import reduce as _reduce
from microtensor.tensor import Tensor

_OP = "scaled_dot_product_attention"


def _check_inputs(query: Any, key: Any, value: Any) -> tuple[Tensor, Tensor, Tensor]:
    q = tensor_argument(query, "query", 1, _OP)
    k = tensor_argument(key, "key", 2, _OP)
    v = tensor_argument(value, "value", 3, _OP)
    if min(q.ndim, k.ndim, v.ndim) < 2:
        raise RuntimeError(
            f"{_OP}: Expected query, key, and value to all be at least 2 dimensional, but got "
            f"query.dim: {q.ndim} key.dim: {k.ndim} and value.dim: {v.ndim} instead."
        )
    if not q.dtype == k.dtype == v.dtype:
        raise RuntimeError(
            f"{_OP}: Expected query, key, and value to have the same dtype, but got "
            f"query.dtype: {q.dtype} key.dtype: {k.dtype} and value.dtype: {v.dtype} instead."
        )
    if q.dtype.kind != "f":
        raise RuntimeError(f"{_OP}: expected floating point query, key and value, got dtype "
                           f"{q.dtype}; convert them with .float()")
    if k.shape[-1] != q.shape[-1] or k.shape[-2] != v.shape[-2]:
        raise RuntimeError(
            f"{_OP}: query (…, L, E), key (…, S, E) and value (…, S, Ev) must agree in E and S, "
            f"got query {tuple(q.shape)}, key {tuple(k.shape)}, value {tuple(v.shape)}"
        )
    return q, k, v


def _repeat_heads(x: Tensor, repeats: int) -> Tensor:
    """Each head (dim -3) repeated ``repeats`` times in a row: heads h0 h0 h1 h1 ... (as
    ``repeat_interleave``), for grouped-query attention."""
    if repeats == 1:
        return x
    shape = tuple(x.shape)
    grouped = x.unsqueeze(-3).expand(shape[:-2] + (repeats,) + shape[-2:])
    return grouped.reshape(shape[:-3] + (shape[-3] * repeats,) + shape[-2:])


def _grouped_query(q: Tensor, k: Tensor, v: Tensor) -> tuple[Tensor, Tensor]:
    """Key and value heads repeated to the number of query heads (``enable_gqa=True``)."""
    if min(q.ndim, k.ndim, v.ndim) < 3:
        raise RuntimeError(f"{_OP}: enable_gqa=True needs inputs with a heads dim (…, H, L, E)")
    heads = q.shape[-3]
    if heads % k.shape[-3] or heads % v.shape[-3]:
        raise RuntimeError(
            f"{_OP}: Number of heads in key and value must divide the number of heads in query "
            f"(query {heads}, key {k.shape[-3]}, value {v.shape[-3]} heads)"
        )
    return _repeat_heads(k, heads // k.shape[-3]), _repeat_heads(v, heads // v.shape[-3])


def _allowed_keys(attn_mask: Tensor | None, is_causal: bool, length: int,
                  source: int) -> np.ndarray | None:
    """The bool array "query i may look at key j" (None: all may), from a bool mask or the
    causal rule."""
    allowed = np.tril(np.ones((length, source), dtype=bool)) if is_causal else None
    if attn_mask is not None and attn_mask.dtype == np.bool_:
        allowed = attn_mask._data if allowed is None else attn_mask._data & allowed
    return allowed


def _check_mask(attn_mask: Any, q: Tensor) -> Tensor | None:
    if attn_mask is None:
        return None
    mask = tensor_argument(attn_mask, "attn_mask", 4, _OP)
    if mask.dtype != np.bool_ and mask.dtype.kind != "f":
        raise RuntimeError(
            f"{_OP}: Expected attn_mask dtype to be bool or float or to match query dtype, but "
            f"got attn_mask.dtype: {mask.dtype} and query.dtype: {q.dtype} instead."
        )
    return mask


def safe_softmax(scores: Tensor) -> Tensor:
    """softmax over the last dim, with 0 (not NaN) in rows that are all −∞ (fully masked)."""
    dead_rows = np.isneginf(scores._data).all(axis=-1, keepdims=True)
    if not dead_rows.any():
        return _reduce.softmax(scores, -1)
    weights = _reduce.softmax(_ew.where(dead_rows, 0.0, scores), -1)
    return _ew.where(dead_rows, 0.0, weights)


def attention_scores(q: Tensor, k: Tensor, attn_mask: Tensor | None, is_causal: bool,
                     scale: float | None) -> Tensor:
    """Q Kᵀ · scale + M: the logits of the attention weights (−∞ where a key is masked out)."""
    if scale is None:
        scale = 1.0 / math.sqrt(q.shape[-1]) if q.shape[-1] else math.inf
    scores = (q @ k.transpose(-2, -1)) * scale
    if attn_mask is not None and attn_mask.dtype != np.bool_:
        if attn_mask.dtype != scores.dtype:
            attn_mask = attn_mask.to(scores.dtype)
        scores = scores + attn_mask
    allowed = _allowed_keys(attn_mask, is_causal, q.shape[-2], k.shape[-2])
    if allowed is not None:
        scores = _ew.where(allowed, scores, -math.inf)
    return scores


def scaled_dot_product_attention(
    query: Tensor, key: Tensor, value: Tensor, attn_mask: Tensor | None = None,
    dropout_p: float = 0.0, is_causal: bool = False, scale: float | None = None,
    enable_gqa: bool = False,
) -> Tensor:
    """softmax(Q Kᵀ · scale + M) V over the last two dims, leading dims broadcast (see the
    module docstring). ``attn_mask``: bool (True = the key takes part) or float (added to the
    scores), broadcastable to (…, L, S). ``dropout_p``: dropout on the attention weights
    (always applied, as in PyTorch: pass 0.0 in evaluation). ``enable_gqa``: key and value may
    have fewer heads (dim -3) than the query, each then serves a group of query heads.

    Differs from PyTorch 2.13 (CPU), whose fused kernel (taken when E = Ev) is less strict: a
    value whose sequence length differs from the key's, and ``attn_mask`` together with
    ``is_causal``, are errors here, as in PyTorch's reference ("math") implementation and docs.
    """
    q, k, v = _check_inputs(query, key, value)
    if enable_gqa:
        k, v = _grouped_query(q, k, v)
    mask = _check_mask(attn_mask, q)
    if mask is not None and is_causal:
        raise RuntimeError(f"{_OP}: Explicit attn_mask should not be set when is_causal=True; "
                           "fold the causal rule into the mask (mask & tril) instead")
    weights = safe_softmax(attention_scores(q, k, mask, bool(is_causal), scale))
    if dropout_p > 0.0:
        from microtensor.nn import functional as F  # (nn imports the ops: import on use)

        weights = F.dropout(weights, dropout_p, training=True)
    return weights @ v
