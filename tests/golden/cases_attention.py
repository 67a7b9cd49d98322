"""Golden cases of the attention family (see ``cases.py`` for the registry and its helpers):
``F.scaled_dot_product_attention``, ``nn.MultiheadAttention`` and the Transformer layers.

PyTorch 2.13 on CPU runs scaled_dot_product_attention with a fused kernel when the query's and
the value's last dims are equal; that kernel has no double backward, so those cases (and the
layers that use it: MultiheadAttention with ``need_weights=False``, the Transformer layers)
compare values and first derivatives only. Cases with Ev ≠ E take PyTorch's reference path and
compare second derivatives too.

Layers are built in both libraries and given the same weights: ``_seeded`` fills every entry
of the state dict (whose keys are the same in both) from a seeded NumPy generator.
"""

from __future__ import annotations

from typing import Any

import numpy as np

inf = float("inf")


def _sdpa(**kwargs: Any) -> Any:
    return lambda lib, q, k, v, *mask: lib.nn.functional.scaled_dot_product_attention(
        q, k, v, *mask, **kwargs)


def _seeded(lib: Any, module: Any, seed: int = 0) -> Any:
    """``module`` with every state-dict entry drawn from N(0, 0.5²) by a seeded generator."""
    rng = np.random.default_rng(seed)
    state = {name: lib.tensor(0.5 * rng.standard_normal(tuple(value.shape)))
             for name, value in module.state_dict().items()}
    module.load_state_dict(state)
    return module


def _scaled_dot_product() -> None:
    from tests.golden.cases import add, f, ints, mask, vals

    g = "attention"
    # Ev = 3 != E = 4: PyTorch's reference path, with double backward
    add(g, "sdpa.4d", _sdpa(), f(2, 2, 3, 4), f(2, 2, 5, 4), f(2, 2, 5, 3))
    add(g, "sdpa.3d", _sdpa(), f(2, 3, 4), f(2, 5, 4), f(2, 5, 3))
    add(g, "sdpa.2d", _sdpa(), f(3, 4), f(5, 4), f(5, 2))
    add(g, "sdpa.fused_path", _sdpa(), f(2, 2, 3, 4), f(2, 2, 5, 4), f(2, 2, 5, 4),
        double=False)
    add(g, "sdpa.scale", _sdpa(scale=0.3), f(2, 3, 4), f(2, 5, 4), f(2, 5, 3))
    add(g, "sdpa.bool_mask", _sdpa(), f(2, 3, 4), f(2, 5, 4), f(2, 5, 3), mask(3, 5))
    fully_masked_row = vals(True, False, True, True, False, False, False, False, False, False,
                            True, True, True, True, True, shape=(3, 5), dtype="bool")
    add(g, "sdpa.bool_mask_fully_masked_row", _sdpa(), f(2, 3, 4), f(2, 5, 4), f(2, 5, 3),
        fully_masked_row)
    add(g, "sdpa.bool_mask_broadcast", _sdpa(), f(2, 2, 3, 4), f(2, 2, 5, 4), f(2, 2, 5, 3),
        mask(2, 1, 3, 5))
    add(g, "sdpa.float_mask", _sdpa(), f(2, 3, 4), f(2, 5, 4), f(2, 5, 3), f(3, 5))
    float_mask = vals(0.0, -inf, 1.0, -1.0, 0.5, -inf, -inf, -inf, -inf, -inf,
                      2.0, 0.0, -inf, 0.0, -1e300, shape=(3, 5))
    add(g, "sdpa.float_mask_with_inf", _sdpa(), f(2, 3, 4), f(2, 5, 4), f(2, 5, 3),
        float_mask)
    add(g, "sdpa.float32_mask", _sdpa(), f(2, 3, 4), f(2, 5, 4), f(2, 5, 3),
        f(3, 5, dtype="float32"))
    add(g, "sdpa.causal_square", _sdpa(is_causal=True), f(2, 4, 4), f(2, 4, 4), f(2, 4, 3))
    add(g, "sdpa.causal_short_query", _sdpa(is_causal=True), f(2, 3, 4), f(2, 5, 4),
        f(2, 5, 3))
    add(g, "sdpa.causal_long_query", _sdpa(is_causal=True), f(2, 6, 4), f(2, 5, 4),
        f(2, 5, 3))
    add(g, "sdpa.broadcast_key_heads", _sdpa(), f(2, 2, 3, 4), f(2, 1, 5, 4), f(2, 1, 5, 3))
    add(g, "sdpa.grouped_query", _sdpa(enable_gqa=True), f(1, 4, 3, 4), f(1, 2, 5, 4),
        f(1, 2, 5, 3))
    add(g, "sdpa.empty_keys", _sdpa(), f(2, 3, 4), f(2, 0, 4), f(2, 0, 3), double=False)
    add(g, "sdpa.empty_queries", _sdpa(), f(2, 0, 4), f(2, 5, 4), f(2, 5, 3))
    add(g, "sdpa.single_key", _sdpa(), f(2, 3, 4), f(2, 1, 4), f(2, 1, 3))
    add(g, "sdpa.dropout_all", _sdpa(dropout_p=1.0), f(2, 3, 4), f(2, 5, 4), f(2, 5, 4),
        double=False)
    add(g, "sdpa.float32", _sdpa(), f(2, 3, 4, dtype="float32"), f(2, 5, 4, dtype="float32"),
        f(2, 5, 3, dtype="float32"))
    add(g, "sdpa.error_mask_and_causal", _sdpa(is_causal=True), f(2, 3, 4), f(2, 5, 4),
        f(2, 5, 3), mask(3, 5), match="Explicit attn_mask should not be set when is_causal")
    add(g, "sdpa.error_int_mask", _sdpa(), f(2, 3, 4), f(2, 5, 4), f(2, 5, 3), ints(3, 5),
        match="Expected attn_mask dtype to be bool or float")
    add(g, "sdpa.error_dtypes", _sdpa(), f(2, 3, 4), f(2, 5, 4, dtype="float32"), f(2, 5, 3),
        match="Expected query, key, and value to have the same dtype")
    add(g, "sdpa.error_1d", _sdpa(), f(4), f(5, 4), f(5, 3),
        match="at least 2 dimensional")
    add(g, "sdpa.error_value_length", _sdpa(), f(2, 3, 4), f(2, 5, 4), f(2, 4, 3))
    add(g, "sdpa.error_key_size", _sdpa(), f(2, 3, 4), f(2, 5, 3), f(2, 5, 3))
    add(g, "sdpa.error_grouped_heads", _sdpa(enable_gqa=True), f(1, 4, 3, 4), f(1, 3, 5, 4),
        f(1, 3, 5, 3), match="must divide the number of heads in")
    add(g, "sdpa.error_mask_shape", _sdpa(), f(2, 3, 4), f(2, 5, 4), f(2, 5, 3), f(2, 5))


def _mha(need_weights: bool = True, average: bool = True,
         masks: tuple[str, ...] = (), **options: Any) -> Any:
    """MultiheadAttention(4, 2, **options) with seeded weights on (q, k, v, *masks named by
    ``masks``); returns the output and, with ``need_weights``, the attention weights."""
    def fn(lib: Any, q: Any, k: Any, v: Any, *mask_tensors: Any) -> Any:
        m = _seeded(lib, lib.nn.MultiheadAttention(4, 2, dtype=lib.float64, **options))
        out, weights = m(q, k, v, need_weights=need_weights, average_attn_weights=average,
                         **dict(zip(masks, mask_tensors)))
        return (out,) if weights is None else (out, weights)
    return fn


def _multihead_attention() -> None:
    from tests.golden.cases import add, f, mask, vals

    g = "attention"
    L, S, N = 3, 5, 2
    qkv = (f(L, N, 4), f(S, N, 4), f(S, N, 4))
    add(g, "mha.self_shapes", _mha(), f(L, N, 4), f(L, N, 4), f(L, N, 4))
    add(g, "mha.weights", _mha(), *qkv)
    add(g, "mha.weights_per_head", _mha(average=False), *qkv)
    add(g, "mha.no_weights", _mha(need_weights=False), *qkv, double=False)
    add(g, "mha.batch_first", _mha(batch_first=True), f(N, L, 4), f(N, S, 4), f(N, S, 4))
    add(g, "mha.unbatched", _mha(), f(L, 4), f(S, 4), f(S, 4))
    add(g, "mha.no_bias", _mha(bias=False), *qkv)
    add(g, "mha.bias_kv", _mha(add_bias_kv=True), *qkv)
    add(g, "mha.zero_attn", _mha(add_zero_attn=True), *qkv)
    add(g, "mha.kdim_vdim", _mha(kdim=3, vdim=5), f(L, N, 4), f(S, N, 3), f(S, N, 5))
    padding = vals(False, False, False, True, True, False, True, False, False, False,
                   shape=(N, S), dtype="bool")
    both = ("key_padding_mask", "attn_mask")
    add(g, "mha.key_padding_mask", _mha(masks=both[:1]), *qkv, padding)
    add(g, "mha.float_key_padding_mask", _mha(masks=both[:1]), *qkv, f(N, S))
    add(g, "mha.attn_mask", _mha(masks=both[1:]), *qkv, mask(L, S))
    add(g, "mha.both_masks_no_weights", _mha(need_weights=False, masks=both), *qkv, padding,
        mask(L, S), double=False)
    add(g, "mha.3d_float_attn_mask", _mha(average=False, masks=both[1:]), *qkv,
        f(N * 2, L, S))
    add(g, "mha.bias_kv_masks", _mha(add_bias_kv=True, add_zero_attn=True, masks=both), *qkv,
        padding, mask(L, S))

    def causal(lib: Any, x: Any) -> Any:
        m = _seeded(lib, lib.nn.MultiheadAttention(4, 2, dtype=lib.float64))
        hidden = lib.tensor(np.triu(np.ones((3, 3), bool), 1))  # True above the diagonal
        return m(x, x, x, attn_mask=hidden, is_causal=True, need_weights=False)[0]

    add(g, "mha.is_causal_with_mask", causal, f(3, 2, 4), double=False)
    add(g, "mha.error_is_causal_without_mask",
        lambda lib, x: lib.nn.MultiheadAttention(4, 2)(x, x, x, is_causal=True), f(3, 2, 4),
        match="Need attn_mask if specifying the is_causal hint")
    add(g, "mha.error_heads", lambda lib: lib.nn.MultiheadAttention(5, 2),
        match="embed_dim must be divisible by num_heads")
    add(g, "mha.error_attn_mask_shape", _mha(masks=both[1:]), *qkv, mask(L, L))


def _transformer_layers() -> None:
    from tests.golden.cases import add, f

    g = "attention"

    def encoder_layer(**options: Any) -> Any:
        def fn(lib: Any, x: Any) -> Any:
            layer = lib.nn.TransformerEncoderLayer(4, 2, 6, dropout=0.0, dtype=lib.float64,
                                                   **options)
            return _seeded(lib, layer)(x)
        return fn

    def decoder_layer(**options: Any) -> Any:
        def fn(lib: Any, x: Any, memory: Any) -> Any:
            layer = lib.nn.TransformerDecoderLayer(4, 2, 6, dropout=0.0, dtype=lib.float64,
                                                   **options)
            return _seeded(lib, layer)(x, memory)
        return fn

    add(g, "transformer.encoder_layer", encoder_layer(), f(3, 2, 4), double=False)
    add(g, "transformer.encoder_layer_norm_first_gelu",
        encoder_layer(norm_first=True, activation="gelu"), f(3, 2, 4), double=False)
    add(g, "transformer.encoder_layer_batch_first_no_bias",
        encoder_layer(batch_first=True, bias=False), f(2, 3, 4), double=False)
    add(g, "transformer.decoder_layer", decoder_layer(), f(3, 2, 4), f(5, 2, 4), double=False)
    add(g, "transformer.decoder_layer_norm_first", decoder_layer(norm_first=True), f(3, 2, 4),
        f(5, 2, 4), double=False)

    def encoder_stack(lib: Any, x: Any, mask: Any) -> Any:
        layer = lib.nn.TransformerEncoderLayer(4, 2, 6, dropout=0.0, dtype=lib.float64)
        options = {"enable_nested_tensor": False}
        stack = lib.nn.TransformerEncoder(layer, 2, norm=lib.nn.LayerNorm(4, dtype=lib.float64),
                                          **options)
        return _seeded(lib, stack)(x, mask=mask)

    def decoder_stack(lib: Any, x: Any, memory: Any) -> Any:
        layer = lib.nn.TransformerDecoderLayer(4, 2, 6, dropout=0.0, dtype=lib.float64)
        return _seeded(lib, lib.nn.TransformerDecoder(layer, 2))(x, memory)

    add(g, "transformer.encoder_stack", encoder_stack, f(3, 2, 4), f(3, 3, kind="normal"),
        double=False)
    add(g, "transformer.decoder_stack", decoder_stack, f(3, 2, 4), f(4, 2, 4), double=False)
    def whole_model(lib: Any, src: Any, tgt: Any) -> Any:
        model = lib.nn.Transformer(4, 2, 1, 2, 6, dropout=0.0, dtype=lib.float64)
        causal = lib.nn.Transformer.generate_square_subsequent_mask(3, dtype=lib.float64)
        return _seeded(lib, model)(src, tgt, tgt_mask=causal)

    add(g, "transformer.whole_model", whole_model, f(5, 2, 4), f(3, 2, 4), double=False)
    add(g, "transformer.square_subsequent_mask",
        lambda lib: lib.nn.Transformer.generate_square_subsequent_mask(4))
    add(g, "transformer.error_batch_mismatch",
        lambda lib, src, tgt: lib.nn.Transformer(4, 2, 1, 1, 6, dtype=lib.float64)(src, tgt),
        f(5, 2, 4), f(3, 3, 4), match="the batch number of src and tgt must be equal")
    add(g, "transformer.error_activation",
        lambda lib: lib.nn.TransformerEncoderLayer(4, 2, activation="tanh"),
        match="activation should be relu/gelu")


def register() -> None:
    """Append this family's cases to ``cases.CASES`` (called once, from ``cases.py``)."""
    _scaled_dot_product()
    _multihead_attention()
    _transformer_layers()
