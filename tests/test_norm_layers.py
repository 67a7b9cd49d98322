"""Normalisation layers and embeddings: ``F.layer_norm``, ``F.rms_norm``, ``F.group_norm``,
``F.instance_norm``, ``F.embedding`` and ``nn.LayerNorm``, ``nn.RMSNorm``, ``nn.GroupNorm``,
``nn.InstanceNorm1d/2d``, ``nn.BatchNorm1d`` on (N, C, L), ``nn.Embedding``.

PyTorch parity (values, first and second derivatives, errors) is in the golden groups
``norm2`` (``tests/golden/cases_norm2.py``); here: gradchecks with NumPy references, state-dict
keys and reprs as PyTorch's (recorded), initialisation, in-place behaviour and errors.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import microtensor as mt
import microtensor.nn.functional as F
from microtensor import nn
from microtensor.ops.embedding import EmbeddingScatterOp
from tests.gradcheck_cases import Case

# --------------------------------------------------------------------------- NumPy references


def np_layer_norm(x: np.ndarray, ndim: int, weight=None, bias=None, eps: float = 1e-5):
    axes = tuple(range(x.ndim - ndim, x.ndim))
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)
    y = (x - mean) / np.sqrt(var + eps)
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y


def np_rms_norm(x: np.ndarray, ndim: int, weight=None, eps: float | None = None):
    eps = np.finfo(x.dtype).eps if eps is None else eps
    axes = tuple(range(x.ndim - ndim, x.ndim))
    y = x / np.sqrt((x * x).mean(axis=axes, keepdims=True) + eps)
    return y if weight is None else y * weight


def np_group_norm(x: np.ndarray, groups: int, weight, bias, eps: float = 1e-5):
    n, c = x.shape[:2]
    y = np_layer_norm(x.reshape(n, groups, -1), 1, eps=eps).reshape(x.shape)
    shape = (c,) + (1,) * (x.ndim - 2)
    return y * weight.reshape(shape) + bias.reshape(shape)


def np_instance_norm(x: np.ndarray, eps: float = 1e-5):
    return np_layer_norm(x.reshape(x.shape[0], x.shape[1], -1), 1, eps=eps).reshape(x.shape)


def np_scatter_rows(rows: np.ndarray, indices: np.ndarray, num_rows: int) -> np.ndarray:
    out = np.zeros((num_rows, rows.shape[-1]))
    for row, index in zip(rows.reshape(-1, rows.shape[-1]), indices.reshape(-1)):
        out[index] += row
    return out


INDICES = np.array([[1, 1, 2], [0, 3, 1]])
IDX = mt.tensor(INDICES)


def _scatter(grad: mt.Tensor, **options) -> mt.Tensor:
    params = dict(indices=INDICES, num_rows=4, padding_idx=-1, scale_grad_by_freq=False)
    params.update(options)
    return EmbeddingScatterOp.apply(grad, **params)


def _scaled_rows(rows: np.ndarray) -> np.ndarray:
    counts = np.bincount(INDICES.reshape(-1), minlength=4)[INDICES]
    return rows / counts[..., None]


GRADCHECK_CASES = [
    Case("layer_norm_affine", lambda x, w, b: F.layer_norm(x, (4,), w, b),
         [(2, 3, 4), (4,), (4,)], reference=lambda x, w, b: np_layer_norm(x, 1, w, b)),
    Case("layer_norm_two_dims_weight_only", lambda x, w: F.layer_norm(x, (3, 4), w, eps=1e-3),
         [(2, 3, 4), (3, 4)], reference=lambda x, w: np_layer_norm(x, 2, w, eps=1e-3)),
    Case("layer_norm_plain", lambda x: F.layer_norm(x, (5,)), [(3, 5)],
         reference=lambda x: np_layer_norm(x, 1)),
    Case("layer_norm_bias_only", lambda x, b: F.layer_norm(x, (5,), None, b), [(5,), (5,)],
         reference=lambda x, b: np_layer_norm(x, 1, None, b)),
    Case("rms_norm_weight", lambda x, w: F.rms_norm(x, (4,), w), [(3, 4), (4,)],
         reference=lambda x, w: np_rms_norm(x, 1, w)),
    Case("rms_norm_two_dims", lambda x: F.rms_norm(x, [2, 3], eps=0.1), [(2, 2, 3)],
         reference=lambda x: np_rms_norm(x, 2, eps=0.1)),
    Case("group_norm", lambda x, w, b: F.group_norm(x, 2, w, b), [(2, 4, 3), (4,), (4,)],
         reference=lambda x, w, b: np_group_norm(x, 2, w, b)),
    Case("instance_norm", lambda x: F.instance_norm(x), [(2, 3, 2, 2)],
         reference=np_instance_norm),
    Case("embedding", lambda w: F.embedding(IDX, w), [(4, 3)],
         reference=lambda w: w[INDICES]),
    # (padding_idx and scale_grad_by_freq change the gradient on purpose, so they have no
    # finite-difference check; their scatter is checked on its own just below, and the tests
    # further down check their first derivatives)
    Case("embedding_scatter", lambda g: _scatter(g), [(2, 3, 2)],
         reference=lambda g: np_scatter_rows(g, INDICES, 4)),
    Case("embedding_scatter_scaled_padding",
         lambda g: _scatter(g, padding_idx=1, scale_grad_by_freq=True) ** 2, [(2, 3, 2)],
         reference=lambda g: np_scatter_rows(
             np.where((INDICES == 1)[..., None], 0.0, _scaled_rows(g)), INDICES, 4) ** 2),
]


# --------------------------------------------------------------------------- state dicts


def test_state_dict_keys_are_pytorchs() -> None:
    # recorded from torch 2.13: list(torch.nn.X(...).state_dict())
    expected = {
        "LayerNorm(4)": ["weight", "bias"],
        "LayerNorm(4, bias=False)": ["weight"],
        "LayerNorm(4, elementwise_affine=False)": [],
        "RMSNorm(4)": ["weight"],
        "GroupNorm(2, 4)": ["weight", "bias"],
        "InstanceNorm1d(3)": [],
        "InstanceNorm2d(3, affine=True, track_running_stats=True)":
            ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"],
        "Embedding(5, 3, padding_idx=1)": ["weight"],
    }
    for text, keys in expected.items():
        assert list(eval(f"nn.{text}").state_dict()) == keys, text


def test_reprs_are_pytorchs() -> None:
    # recorded from torch 2.13: repr(torch.nn.X(...))
    expected = {
        "LayerNorm(4)": "LayerNorm((4,), eps=1e-05, elementwise_affine=True, bias=True)",
        "RMSNorm(4)": "RMSNorm((4,), eps=None, elementwise_affine=True)",
        "GroupNorm(2, 4)": "GroupNorm(2, 4, eps=1e-05, affine=True, bias=True)",
        "InstanceNorm1d(3)": "InstanceNorm1d(3, eps=1e-05, momentum=0.1, affine=False, "
                             "bias=False, track_running_stats=False)",
        "Embedding(5, 3, padding_idx=-2)": "Embedding(5, 3, padding_idx=3)",
        "Embedding(5, 3, max_norm=1.0, scale_grad_by_freq=True)":
            "Embedding(5, 3, max_norm=1.0, scale_grad_by_freq=True)",
    }
    for text, shown in expected.items():
        assert repr(eval(f"nn.{text}")) == shown


# --------------------------------------------------------------------------- layers


def test_layer_norm_layer_starts_as_plain_normalisation() -> None:
    m = nn.LayerNorm((3, 4), dtype=mt.float64)
    assert m.normalized_shape == (3, 4)
    np.testing.assert_array_equal(m.weight.detach().numpy(), np.ones((3, 4)))
    np.testing.assert_array_equal(m.bias.detach().numpy(), np.zeros((3, 4)))
    x = np.random.default_rng(0).standard_normal((2, 3, 4))
    np.testing.assert_allclose(m(mt.tensor(x)).detach().numpy(), np_layer_norm(x, 2),
                               rtol=1e-12, atol=1e-12)


def test_layer_norm_default_dtype_is_float32() -> None:
    m = nn.LayerNorm(4)
    assert m.weight.dtype == mt.float32
    assert m(mt.randn(2, 4)).dtype == mt.float32


def test_rms_norm_default_eps_is_the_dtypes_machine_epsilon() -> None:
    x = np.array([[1e-4, -2e-4, 3e-5]], dtype=np.float32)
    y = F.rms_norm(mt.tensor(x), [3]).numpy()
    np.testing.assert_allclose(y, np_rms_norm(x, 1), rtol=1e-5)
    assert nn.RMSNorm(3).eps is None


def test_group_norm_layer_checks_groups() -> None:
    with pytest.raises(ValueError, match="divisible by num_groups"):
        nn.GroupNorm(3, 4)
    m = nn.GroupNorm(2, 4, dtype=mt.float64)
    x = np.random.default_rng(1).standard_normal((2, 4, 5))
    np.testing.assert_allclose(m(mt.tensor(x)).detach().numpy(),
                               np_group_norm(x, 2, np.ones(4), np.zeros(4)), atol=1e-12)


def test_instance_norm_updates_running_stats_as_pytorch() -> None:
    x = np.random.default_rng(2).standard_normal((2, 3, 5))
    m = nn.InstanceNorm1d(3, track_running_stats=True, dtype=mt.float64)
    y = m(mt.tensor(x))
    np.testing.assert_allclose(y.numpy(), np_instance_norm(x), atol=1e-12)
    # running ← 0.9 · running + 0.1 · (batch mean of each instance's statistic)
    np.testing.assert_allclose(m.running_mean.numpy(), 0.1 * x.mean(axis=2).mean(axis=0))
    np.testing.assert_allclose(m.running_var.numpy(),
                               0.9 + 0.1 * x.var(axis=2, ddof=1).mean(axis=0))
    assert int(m.num_batches_tracked.item()) == 0  # PyTorch does not count for instance norm
    m.eval()
    expected = (x - m.running_mean.numpy()[:, None]) / np.sqrt(
        m.running_var.numpy()[:, None] + 1e-5)
    np.testing.assert_allclose(m(mt.tensor(x)).numpy(), expected, atol=1e-12)


def test_instance_norm_unbatched_and_errors() -> None:
    x = np.random.default_rng(3).standard_normal((3, 4))
    y = nn.InstanceNorm1d(3, dtype=mt.float64)(mt.tensor(x))
    np.testing.assert_allclose(y.numpy(), np_instance_norm(x[None])[0], atol=1e-12)
    with pytest.raises(ValueError, match="expected 2D or 3D input"):
        nn.InstanceNorm1d(3)(mt.zeros(3))
    with pytest.raises(ValueError, match="more than 1 spatial element"):
        F.instance_norm(mt.zeros(2, 3, 1))


def test_batch_norm1d_on_ncl_input_normalises_over_batch_and_length() -> None:
    x = np.random.default_rng(4).standard_normal((4, 3, 5))
    m = nn.BatchNorm1d(3, dtype=mt.float64)
    y = m(mt.tensor(x)).detach().numpy()
    mean = x.mean(axis=(0, 2), keepdims=True)
    var = x.var(axis=(0, 2), keepdims=True)
    np.testing.assert_allclose(y, (x - mean) / np.sqrt(var + 1e-5), atol=1e-12)
    np.testing.assert_allclose(m.running_var.numpy(),
                               0.9 + 0.1 * x.var(axis=(0, 2), ddof=1))


def test_normalisation_errors() -> None:
    x = mt.zeros(2, 4, dtype=mt.float64)
    with pytest.raises(RuntimeError, match=r"normalized_shape=\[3\]"):
        F.layer_norm(x, (3,))
    with pytest.raises(RuntimeError, match="at least 1-dimensional"):
        F.layer_norm(x, ())
    with pytest.raises(RuntimeError, match="mixed dtype"):
        F.layer_norm(x, (4,), mt.ones(4))
    with pytest.raises(NotImplementedError, match="floating point"):
        F.layer_norm(mt.zeros(2, 4, dtype=mt.int64), (4,))
    with pytest.raises(TypeError, match="must be Tensor"):
        F.layer_norm(np.zeros((2, 4)), (4,))
    with pytest.raises(RuntimeError, match="divisible by num_groups"):
        F.group_norm(mt.zeros(2, 3, 4), 2)


def test_layer_norm_of_nonfinite_values_gives_nan_without_warnings() -> None:
    x = mt.tensor([[np.inf, 0.0, 1.0], [1.0, 2.0, 3.0]], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = F.layer_norm(x, (3,))
        y.sum().backward()
    assert np.isnan(y.detach().numpy()[0]).all()
    assert np.isfinite(y.detach().numpy()[1]).all()


def test_layer_norm_double_backward_matches_finite_differences() -> None:
    x = mt.tensor(np.random.default_rng(5).standard_normal((2, 4)), requires_grad=True)
    w = mt.tensor(np.random.default_rng(6).standard_normal(4), requires_grad=True)
    assert mt.autograd.gradgradcheck(lambda a, b: F.layer_norm(a, (4,), b) ** 2, (x, w))


# --------------------------------------------------------------------------- embedding


def test_embedding_layer_init_and_padding_row() -> None:
    mt.manual_seed(0)
    m = nn.Embedding(1000, 16, padding_idx=-1)
    assert m.padding_idx == 999
    weights = m.weight.detach().numpy()
    np.testing.assert_array_equal(weights[999], np.zeros(16))
    assert abs(weights[:999].mean()) < 0.02 and abs(weights[:999].std() - 1) < 0.02  # N(0, 1)
    out = m(mt.tensor([[999, 3]]))
    out.sum().backward()
    grad = m.weight.grad.numpy()
    np.testing.assert_array_equal(grad[999], np.zeros(16))
    np.testing.assert_array_equal(grad[3], np.ones(16))


def test_embedding_scale_grad_by_freq_divides_by_counts() -> None:
    w = mt.tensor(np.ones((4, 2)), requires_grad=True)
    F.embedding(mt.tensor([1, 1, 1, 2, 0]), w, padding_idx=0, scale_grad_by_freq=True).sum(
        ).backward()
    np.testing.assert_allclose(w.grad.numpy(), [[0, 0], [1, 1], [1, 1], [0, 0]])


def test_embedding_second_derivative_in_the_incoming_gradient_keeps_the_counts() -> None:
    # dL/dW = scatter(s · g) is linear in g, so d(dL/dW)/dg is the gather scaled by s = 1/count.
    # (PyTorch 2.13 leaves the 1/count out of this double backward.)
    w = mt.tensor(np.random.default_rng(8).standard_normal((4, 3)), requires_grad=True)

    def gradient_of_weight(g: mt.Tensor) -> mt.Tensor:
        with mt.enable_grad():  # (gradcheck evaluates the function under no_grad)
            out = F.embedding(IDX, w, padding_idx=1, scale_grad_by_freq=True)
            return mt.autograd.grad(out, w, grad_outputs=g, create_graph=True)[0]

    g = mt.tensor(np.random.default_rng(9).standard_normal((2, 3, 3)), requires_grad=True)
    assert mt.autograd.gradcheck(gradient_of_weight, (g,))


def test_embedding_max_norm_renormalises_used_rows_in_place() -> None:
    data = np.array([[3.0, 4.0], [0.3, 0.4], [6.0, 8.0]])
    w = mt.tensor(data.copy(), requires_grad=True)
    version = w._version
    out = F.embedding(mt.tensor([0, 1, 0]), w, max_norm=1.0)
    expected = data.copy()
    expected[0] *= 1.0 / (5.0 + 1e-7)  # row 2 is not looked up: unchanged
    np.testing.assert_allclose(w.detach().numpy(), expected)
    np.testing.assert_allclose(out.detach().numpy(), expected[[0, 1, 0]])
    assert w._version > version and w.is_leaf


def test_embedding_from_pretrained_shares_and_freezes() -> None:
    table = mt.tensor(np.arange(6.0).reshape(3, 2))
    m = nn.Embedding.from_pretrained(table)
    assert not m.weight.requires_grad
    table._data[0, 0] = 10.0
    assert m.weight.detach().numpy()[0, 0] == 10.0
    assert nn.Embedding.from_pretrained(table, freeze=False).weight.requires_grad
    with pytest.raises(AssertionError, match="2-dimensional"):
        nn.Embedding.from_pretrained(mt.zeros(3))


def test_embedding_errors() -> None:
    w = mt.zeros(5, 2)
    with pytest.raises(IndexError, match="index out of range in self"):
        F.embedding(mt.tensor([5]), w)
    with pytest.raises(IndexError, match="index out of range in self"):
        F.embedding(mt.tensor([-1]), w)
    with pytest.raises(RuntimeError, match="Long, Int"):
        F.embedding(mt.tensor([1.0]), w)
    with pytest.raises(RuntimeError, match="must be 2-D"):
        F.embedding(mt.tensor([1]), mt.zeros(5))
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        nn.Embedding(5, 2, padding_idx=5)
    with pytest.raises(NotImplementedError, match="sparse"):
        nn.Embedding(5, 2, sparse=True)
    with pytest.raises(NotImplementedError, match="sparse"):
        F.embedding(mt.tensor([1]), w, sparse=True)


def test_embedding_int32_indices_and_shapes() -> None:
    w = mt.tensor(np.arange(10.0).reshape(5, 2))
    out = F.embedding(mt.tensor(np.array([[4, 0]], dtype=np.int32)), w)
    assert tuple(out.shape) == (1, 2, 2)
    np.testing.assert_array_equal(out.numpy(), [[[8, 9], [0, 1]]])
    assert tuple(F.embedding(mt.tensor(3), w).shape) == (2,)
    assert tuple(F.embedding(mt.tensor(np.zeros(0, dtype=np.int64)), w).shape) == (0, 2)


# --------------------------------------------------------------------------- PyTorch (optional)


def test_layers_match_pytorch_on_the_same_weights() -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 4, 6))
    pairs = [(nn.LayerNorm(6, dtype=mt.float64), torch.nn.LayerNorm(6, dtype=torch.float64)),
             (nn.RMSNorm(6, dtype=mt.float64), torch.nn.RMSNorm(6, dtype=torch.float64)),
             (nn.GroupNorm(2, 4, dtype=mt.float64), torch.nn.GroupNorm(2, 4, dtype=torch.float64)),
             (nn.InstanceNorm1d(4, affine=True, dtype=mt.float64),
              torch.nn.InstanceNorm1d(4, affine=True, dtype=torch.float64))]
    for ours, theirs in pairs:
        state = {k: rng.standard_normal(tuple(v.shape)) for k, v in theirs.state_dict().items()}
        theirs.load_state_dict({k: torch.tensor(v) for k, v in state.items()})
        ours.load_state_dict({k: mt.tensor(v) for k, v in state.items()})
        a, b = mt.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        (ours(a) ** 2).sum().backward()
        (theirs(b) ** 2).sum().backward()
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-10, atol=1e-12)
        for name, p in theirs.named_parameters():
            np.testing.assert_allclose(dict(ours.named_parameters())[name].grad.numpy(),
                                       p.grad.numpy(), rtol=1e-10, atol=1e-12)


# --------------------------------------------------------------------------- non-Tensor inputs

_X = mt.zeros(2, 3, 4)
# every F function of this family, with each Tensor argument in turn replaced by a list
# (the same check as test_nn_functional.py's NON_TENSOR_CALLS)
NON_TENSOR_CALLS = [
    ("layer_norm", lambda v: F.layer_norm(v, (4,)), "input", 1),
    ("layer_norm", lambda v: F.layer_norm(_X, (4,), v), "weight", 3),
    ("layer_norm", lambda v: F.layer_norm(_X, (4,), None, v), "bias", 4),
    ("rms_norm", lambda v: F.rms_norm(v, (4,)), "input", 1),
    ("rms_norm", lambda v: F.rms_norm(_X, (4,), v), "weight", 3),
    ("group_norm", lambda v: F.group_norm(v, 1), "input", 1),
    ("group_norm", lambda v: F.group_norm(_X, 1, v), "weight", 3),
    ("group_norm", lambda v: F.group_norm(_X, 1, None, v), "bias", 4),
    ("instance_norm", lambda v: F.instance_norm(v), "input", 1),
    ("instance_norm", lambda v: F.instance_norm(_X, v), "running_mean", 2),
    ("instance_norm", lambda v: F.instance_norm(_X, None, v), "running_var", 3),
    ("instance_norm", lambda v: F.instance_norm(_X, None, None, v), "weight", 4),
    ("instance_norm", lambda v: F.instance_norm(_X, None, None, None, v), "bias", 5),
    ("embedding", lambda v: F.embedding(v, mt.zeros(3, 2)), "input", 1),
    ("embedding", lambda v: F.embedding(mt.tensor([0]), v), "weight", 2),
    ("scaled_dot_product_attention", lambda v: F.scaled_dot_product_attention(v, _X, _X),
     "query", 1),
    ("scaled_dot_product_attention", lambda v: F.scaled_dot_product_attention(_X, v, _X),
     "key", 2),
    ("scaled_dot_product_attention", lambda v: F.scaled_dot_product_attention(_X, _X, v),
     "value", 3),
    ("scaled_dot_product_attention",
     lambda v: F.scaled_dot_product_attention(_X, _X, _X, v), "attn_mask", 4),
]


@pytest.mark.parametrize("name, call, argument, position", NON_TENSOR_CALLS,
                         ids=[f"{c[0]}-{c[2]}" for c in NON_TENSOR_CALLS])
def test_functions_refuse_non_tensors_as_pytorch_does(name, call, argument, position) -> None:
    with pytest.raises(TypeError, match=rf"^{name}\(\): argument '{argument}' \(position "
                       rf"{position}\) must be Tensor, not list"):
        call([[1.0, 2.0]])
