"""Attention: ``F.scaled_dot_product_attention``, ``nn.MultiheadAttention`` and the Transformer
layers (``TransformerEncoderLayer``, ``TransformerDecoderLayer``, ``TransformerEncoder``,
``TransformerDecoder``).

PyTorch parity (values, derivatives, errors) is in the golden group ``attention``
(``tests/golden/cases_attention.py``); here: NumPy references, gradchecks, masks, state-dict
keys as PyTorch's (recorded), initialisation and errors.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import microtensor as mt
import microtensor.nn.functional as F
from microtensor import nn
from tests.gradcheck_cases import Case

RNG = np.random.default_rng(0)


def np_softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def np_attention(q, k, v, allowed=None, additive=None, scale=None):
    scale = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
    scores = q @ np.swapaxes(k, -1, -2) * scale
    if additive is not None:
        scores = scores + additive
    if allowed is not None:
        scores = np.where(allowed, scores, -np.inf)
    return np_softmax(scores) @ v


CAUSAL = np.tril(np.ones((4, 4), dtype=bool))
MASK = np.array([[True, False, True, True, False], [False, True, True, True, True],
                 [True, True, False, False, True]])
BIAS = RNG.standard_normal((3, 5))

GRADCHECK_CASES = [
    Case("sdpa", lambda q, k, v: F.scaled_dot_product_attention(q, k, v),
         [(2, 3, 4), (2, 5, 4), (2, 5, 3)], reference=np_attention),
    Case("sdpa_bool_mask", lambda q, k, v: F.scaled_dot_product_attention(
        q, k, v, attn_mask=mt.tensor(MASK)), [(2, 3, 4), (2, 5, 4), (2, 5, 3)],
        reference=lambda q, k, v: np_attention(q, k, v, allowed=MASK)),
    Case("sdpa_float_mask_scale", lambda q, k, v, m: F.scaled_dot_product_attention(
        q, k, v, attn_mask=m, scale=0.7), [(2, 3, 4), (2, 5, 4), (2, 5, 3), (3, 5)],
        reference=lambda q, k, v, m: np_attention(q, k, v, additive=m, scale=0.7)),
    Case("sdpa_causal", lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True),
         [(1, 2, 4, 3), (1, 2, 4, 3), (1, 2, 4, 2)],
         reference=lambda q, k, v: np_attention(q, k, v, allowed=CAUSAL)),
]


# --------------------------------------------------------------------------- sdpa


def _qkv(*shapes):
    return [mt.tensor(RNG.standard_normal(s), requires_grad=True) for s in shapes]


def test_fully_masked_rows_give_zeros_and_zero_gradients_without_warnings() -> None:
    q, k, v = _qkv((3, 4), (5, 4), (5, 2))
    allowed = MASK.copy()
    allowed[1] = False
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=mt.tensor(allowed))
        out.sum().backward()
    np.testing.assert_array_equal(out.detach().numpy()[1], [0.0, 0.0])
    np.testing.assert_array_equal(q.grad.numpy()[1], np.zeros(4))
    expected = np_attention(*(x.detach().numpy() for x in (q, k, v)), allowed=MASK)
    np.testing.assert_allclose(out.detach().numpy()[[0, 2]], expected[[0, 2]], rtol=1e-12)
    bias = np.zeros((3, 5))
    bias[2] = -np.inf
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mt.tensor(bias))
    np.testing.assert_array_equal(out.detach().numpy()[2], [0.0, 0.0])


def test_causal_mask_is_top_left_aligned() -> None:
    q, k, v = _qkv((6, 3), (4, 3), (4, 3))
    out = F.scaled_dot_product_attention(q, k, v, is_causal=True).detach().numpy()
    allowed = np.tril(np.ones((6, 4), dtype=bool))
    expected = np_attention(*(x.detach().numpy() for x in (q, k, v)), allowed=allowed)
    np.testing.assert_allclose(out, expected, rtol=1e-12)


def test_grouped_query_attention_repeats_each_key_head() -> None:
    q, k, v = _qkv((1, 4, 3, 2), (1, 2, 5, 2), (1, 2, 5, 2))
    out = F.scaled_dot_product_attention(q, k, v, enable_gqa=True).detach().numpy()
    kk, vv = (np.repeat(x.detach().numpy(), 2, axis=1) for x in (k, v))  # heads 0 0 1 1
    np.testing.assert_allclose(out, np_attention(q.detach().numpy(), kk, vv), rtol=1e-12)


def test_dropout_on_the_attention_weights() -> None:
    q, k, v = _qkv((2, 3, 4), (2, 5, 4), (2, 5, 4))
    np.testing.assert_array_equal(
        F.scaled_dot_product_attention(q, k, v, dropout_p=1.0).detach().numpy(), 0.0)
    mt.manual_seed(3)
    first = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5).detach().numpy()
    mt.manual_seed(3)
    again = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5).detach().numpy()
    np.testing.assert_array_equal(first, again)
    plain = F.scaled_dot_product_attention(q, k, v).detach().numpy()
    assert not np.allclose(first, plain)


def test_empty_keys_give_zeros() -> None:
    q, k, v = _qkv((2, 3, 4), (2, 0, 4), (2, 0, 3))
    out = F.scaled_dot_product_attention(q, k, v)
    assert tuple(out.shape) == (2, 3, 3)
    np.testing.assert_array_equal(out.detach().numpy(), 0.0)


def test_sdpa_errors() -> None:
    q, k, v = _qkv((2, 3, 4), (2, 5, 4), (2, 5, 3))
    with pytest.raises(RuntimeError, match="Explicit attn_mask should not be set"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=mt.tensor(MASK), is_causal=True)
    with pytest.raises(RuntimeError, match="bool or float"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=mt.tensor(MASK.astype(np.int64)))
    with pytest.raises(RuntimeError, match="same dtype"):
        F.scaled_dot_product_attention(q, k.float(), v)
    with pytest.raises(RuntimeError, match="at least 2 dimensional"):
        F.scaled_dot_product_attention(q[0, 0], k, v)
    with pytest.raises(RuntimeError, match="must agree in E and S"):
        F.scaled_dot_product_attention(q, k, v[:, :4])
    with pytest.raises(RuntimeError, match="must divide the number of heads"):
        F.scaled_dot_product_attention(*_qkv((1, 4, 3, 2), (1, 3, 5, 2), (1, 3, 5, 2)),
                                       enable_gqa=True)


# --------------------------------------------------------------------------- MultiheadAttention


def np_mha(m: nn.MultiheadAttention, q, k, v, additive=None):
    """MultiheadAttention by hand on (L, N, E) arrays: (output, head-averaged weights)."""
    e, h = m.embed_dim, m.num_heads
    w = m.in_proj_weight.detach().numpy()
    b = m.in_proj_bias.detach().numpy()
    qq, kk, vv = (x @ w[i * e:(i + 1) * e].T + b[i * e:(i + 1) * e]
                  for i, x in enumerate((q, k, v)))

    def heads(x):  # (T, N, E) -> (N, H, T, E/H)
        return x.reshape(x.shape[0], x.shape[1], h, e // h).transpose(1, 2, 0, 3)

    scores = heads(qq) @ heads(kk).swapaxes(-1, -2) / math.sqrt(e // h)
    if additive is not None:
        scores = scores + additive
    weights = np_softmax(scores)
    merged = (weights @ heads(vv)).transpose(2, 0, 1, 3).reshape(q.shape[0], q.shape[1], e)
    out = merged @ m.out_proj.weight.detach().numpy().T + m.out_proj.bias.detach().numpy()
    return out, weights.mean(axis=1)


def _mha(**options) -> nn.MultiheadAttention:
    mt.manual_seed(0)
    m = nn.MultiheadAttention(4, 2, dtype=mt.float64, **options)
    with mt.no_grad():
        for p in m.parameters():
            p.copy_(mt.tensor(RNG.standard_normal(tuple(p.shape))))
    return m


def test_mha_state_dict_keys_are_pytorchs() -> None:
    # recorded from torch 2.13: list(torch.nn.MultiheadAttention(...).state_dict())
    assert list(nn.MultiheadAttention(4, 2).state_dict()) == [
        "in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"]
    assert list(nn.MultiheadAttention(4, 2, add_bias_kv=True, kdim=3, vdim=5).state_dict()) == [
        "q_proj_weight", "k_proj_weight", "v_proj_weight", "in_proj_bias", "bias_k", "bias_v",
        "out_proj.weight", "out_proj.bias"]
    assert list(nn.MultiheadAttention(4, 2, bias=False).state_dict()) == [
        "in_proj_weight", "out_proj.weight"]


def test_mha_initialisation_is_pytorchs() -> None:
    mt.manual_seed(0)
    m = nn.MultiheadAttention(64, 4)
    bound = math.sqrt(6 / (64 + 3 * 64))  # xavier_uniform_ on the (3E, E) in_proj_weight
    w = m.in_proj_weight.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    np.testing.assert_array_equal(m.in_proj_bias.detach().numpy(), 0.0)
    np.testing.assert_array_equal(m.out_proj.bias.detach().numpy(), 0.0)
    assert m.head_dim == 16 and m._qkv_same_embed_dim
    assert tuple(nn.MultiheadAttention(4, 2, add_bias_kv=True).bias_k.shape) == (1, 1, 4)


def test_mha_matches_a_numpy_reference() -> None:
    m = _mha()
    q, k, v = (RNG.standard_normal(s) for s in ((3, 2, 4), (5, 2, 4), (5, 2, 4)))
    out, weights = m(mt.tensor(q), mt.tensor(k), mt.tensor(v))
    expected_out, expected_weights = np_mha(m, q, k, v)
    np.testing.assert_allclose(out.detach().numpy(), expected_out, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(weights.detach().numpy(), expected_weights, rtol=1e-10)
    out2, none = m(mt.tensor(q), mt.tensor(k), mt.tensor(v), need_weights=False)
    assert none is None
    np.testing.assert_allclose(out2.detach().numpy(), expected_out, rtol=1e-10, atol=1e-12)


def test_mha_masks_use_true_for_masked_out() -> None:
    m = _mha()
    q, k, v = (RNG.standard_normal(s) for s in ((3, 2, 4), (5, 2, 4), (5, 2, 4)))
    padding = np.array([[False, False, False, True, True], [False] * 5])
    hidden = np.triu(np.ones((3, 5), dtype=bool), 1)
    out, weights = m(mt.tensor(q), mt.tensor(k), mt.tensor(v),
                     key_padding_mask=mt.tensor(padding), attn_mask=mt.tensor(hidden))
    additive = np.where(padding[:, None, None, :] | hidden, -np.inf, 0.0)
    expected_out, expected_weights = np_mha(m, q, k, v, additive)
    np.testing.assert_allclose(out.detach().numpy(), expected_out, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(weights.detach().numpy()[0, :, 3:], 0.0)
    np.testing.assert_allclose(weights.detach().numpy(), expected_weights, rtol=1e-10)


def test_mha_layouts_agree() -> None:
    m = _mha()
    q, k, v = (RNG.standard_normal(s) for s in ((3, 2, 4), (5, 2, 4), (5, 2, 4)))
    out, _ = m(mt.tensor(q), mt.tensor(k), mt.tensor(v))
    m.batch_first = True
    out_bf, w_bf = m(*(mt.tensor(x.transpose(1, 0, 2)) for x in (q, k, v)))
    np.testing.assert_allclose(out_bf.detach().numpy().transpose(1, 0, 2),
                               out.detach().numpy(), rtol=1e-12)
    one, w_one = m(*(mt.tensor(x[:, 0]) for x in (q, k, v)))  # unbatched (L, E)
    np.testing.assert_allclose(one.detach().numpy(), out.detach().numpy()[:, 0], rtol=1e-12)
    assert tuple(w_one.shape) == (3, 5) and tuple(w_bf.shape) == (2, 3, 5)
    _, per_head = m(*(mt.tensor(x[:, 0]) for x in (q, k, v)), average_attn_weights=False)
    assert tuple(per_head.shape) == (2, 3, 5)


def test_mha_gradients_reach_every_parameter() -> None:
    m = _mha(add_bias_kv=True, add_zero_attn=True, kdim=3, vdim=5)
    q, k, v = _qkv((3, 2, 4), (5, 2, 3), (5, 2, 5))
    out, weights = m(q, k, v)
    (out.sum() + (weights ** 2).sum()).backward()
    for name, p in m.named_parameters():
        assert p.grad is not None and np.abs(p.grad.numpy()).sum() > 0, name


def test_mha_errors() -> None:
    with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
        nn.MultiheadAttention(5, 2)
    m = _mha()
    x = mt.zeros(3, 2, 4, dtype=mt.float64)
    with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal hint"):
        m(x, x, x, is_causal=True)
    with pytest.raises(RuntimeError, match="The shape of the 2D attn_mask"):
        m(x, x, x, attn_mask=mt.zeros(3, 4, dtype=mt.bool))
    with pytest.raises(AssertionError, match="key_padding_mask"):
        m(x, x, x, key_padding_mask=mt.zeros(3, 3, dtype=mt.bool))
    with pytest.raises(AssertionError, match="embedding dimension of 4"):
        m(x, x, mt.zeros(3, 2, 5, dtype=mt.float64))


# --------------------------------------------------------------------------- Transformer


ENCODER_KEYS = [  # recorded from torch 2.13
    "self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight",
    "self_attn.out_proj.bias", "linear1.weight", "linear1.bias", "linear2.weight",
    "linear2.bias", "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias"]
DECODER_KEYS = [
    "self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight",
    "self_attn.out_proj.bias", "multihead_attn.in_proj_weight", "multihead_attn.in_proj_bias",
    "multihead_attn.out_proj.weight", "multihead_attn.out_proj.bias", "linear1.weight",
    "linear1.bias", "linear2.weight", "linear2.bias", "norm1.weight", "norm1.bias",
    "norm2.weight", "norm2.bias", "norm3.weight", "norm3.bias"]


def test_transformer_state_dict_keys_are_pytorchs() -> None:
    assert list(nn.TransformerEncoderLayer(4, 2, 8).state_dict()) == ENCODER_KEYS
    assert list(nn.TransformerDecoderLayer(4, 2, 8).state_dict()) == DECODER_KEYS
    stack = nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2, 8), 2, norm=nn.LayerNorm(4))
    assert list(stack.state_dict()) == (
        [f"layers.0.{k}" for k in ENCODER_KEYS] + [f"layers.1.{k}" for k in ENCODER_KEYS]
        + ["norm.weight", "norm.bias"])
    decoder = nn.TransformerDecoder(nn.TransformerDecoderLayer(4, 2, 8), 1)
    assert list(decoder.state_dict()) == [f"layers.0.{k}" for k in DECODER_KEYS]


def test_whole_transformer_keys_init_and_causal_mask() -> None:
    model = nn.Transformer(4, 2, 1, 1, 8)
    assert list(model.state_dict()) == (
        [f"encoder.layers.0.{k}" for k in ENCODER_KEYS] + ["encoder.norm.weight",
                                                           "encoder.norm.bias"]
        + [f"decoder.layers.0.{k}" for k in DECODER_KEYS] + ["decoder.norm.weight",
                                                             "decoder.norm.bias"])
    bound = math.sqrt(6 / (8 + 4))  # xavier_uniform_ on every matrix, e.g. linear1 (8, 4)
    assert np.abs(model.encoder.layers[0].linear1.weight.detach().numpy()).max() <= bound
    mask = nn.Transformer.generate_square_subsequent_mask(3)
    assert mask.dtype == mt.float32
    np.testing.assert_array_equal(mask.numpy(), [[0, -np.inf, -np.inf], [0, 0, -np.inf],
                                                 [0, 0, 0]])
    out = model(mt.randn(5, 2, 4), mt.randn(3, 2, 4), tgt_mask=mask)
    assert tuple(out.shape) == (3, 2, 4)
    with pytest.raises(RuntimeError, match="batch number of src and tgt"):
        model(mt.randn(5, 2, 4), mt.randn(3, 1, 4))


def test_transformer_encoder_layer_matches_its_definition() -> None:
    mt.manual_seed(0)
    layer = nn.TransformerEncoderLayer(4, 2, 6, dropout=0.0, dtype=mt.float64)
    x = mt.tensor(RNG.standard_normal((3, 2, 4)))
    attended = layer.self_attn(x, x, x, need_weights=False)[0]
    h = layer.norm1(x + attended)
    expected = layer.norm2(h + layer.linear2(F.relu(layer.linear1(h))))
    np.testing.assert_allclose(layer(x).detach().numpy(), expected.detach().numpy(), rtol=1e-12)
    layer.norm_first = True
    h = x + layer.self_attn(layer.norm1(x), layer.norm1(x), layer.norm1(x),
                            need_weights=False)[0]
    expected = h + layer.linear2(F.relu(layer.linear1(layer.norm2(h))))
    np.testing.assert_allclose(layer(x).detach().numpy(), expected.detach().numpy(), rtol=1e-12)


def test_transformer_stacks_copy_the_layer() -> None:
    layer = nn.TransformerEncoderLayer(4, 2, 8, dropout=0.0)
    stack = nn.TransformerEncoder(layer, 3)
    weights = [m.linear1.weight for m in stack.layers]
    assert len({id(w) for w in weights}) == 3 and all(w is not layer.linear1.weight
                                                      for w in weights)
    x = mt.randn(5, 2, 4)
    mask = mt.tensor(np.triu(np.full((5, 5), -np.inf), 1).astype(np.float32))
    assert tuple(stack(x, mask=mask).shape) == (5, 2, 4)
    decoder = nn.TransformerDecoder(nn.TransformerDecoderLayer(4, 2, 8, batch_first=True), 2)
    assert tuple(decoder(mt.randn(2, 5, 4), mt.randn(2, 7, 4)).shape) == (2, 5, 4)


def test_transformer_activation_choices() -> None:
    assert nn.TransformerEncoderLayer(4, 2, activation="gelu").activation is F.gelu
    assert nn.TransformerEncoderLayer(4, 2).activation is F.relu
    custom = nn.TransformerDecoderLayer(4, 2, activation=mt.tanh)
    assert custom.activation is mt.tanh
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        nn.TransformerEncoderLayer(4, 2, activation="tanh")


# --------------------------------------------------------------------------- PyTorch (optional)


def test_transformer_layers_match_pytorch_on_the_same_weights() -> None:
    torch = pytest.importorskip("torch")
    for ours, theirs in [
        (nn.TransformerEncoderLayer(4, 2, 6, dropout=0.0, norm_first=True, dtype=mt.float64),
         torch.nn.TransformerEncoderLayer(4, 2, 6, dropout=0.0, norm_first=True,
                                          dtype=torch.float64)),
        (nn.MultiheadAttention(4, 2, add_bias_kv=True, dtype=mt.float64),
         torch.nn.MultiheadAttention(4, 2, add_bias_kv=True, dtype=torch.float64)),
    ]:
        state = {k: RNG.standard_normal(tuple(v.shape)) for k, v in theirs.state_dict().items()}
        theirs.load_state_dict({k: torch.tensor(v) for k, v in state.items()})
        ours.load_state_dict({k: mt.tensor(v) for k, v in state.items()})
        x = RNG.standard_normal((3, 2, 4))
        a, b = mt.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        out_a = ours(a) if isinstance(ours, nn.TransformerEncoderLayer) else ours(a, a, a)[0]
        out_b = theirs(b) if isinstance(ours, nn.TransformerEncoderLayer) else theirs(b, b, b)[0]
        np.testing.assert_allclose(out_a.detach().numpy(), out_b.detach().numpy(), rtol=1e-10,
                                   atol=1e-12)
        out_a.sum().backward()
        out_b.sum().backward()
        for name, p in theirs.named_parameters():
            np.testing.assert_allclose(dict(ours.named_parameters())[name].grad.numpy(),
                                       p.grad.numpy(), rtol=1e-9, atol=1e-12)
