"""mt.nn.functional: forward values against NumPy and PyTorch, and gradient checks of the ops it
calls (activations, losses, normalization, dropout in microtensor/ops/; collected by
tests/test_gradcheck.py)."""

from __future__ import annotations

import importlib
import math
import re
from pathlib import Path

import numpy as np
import pytest

import microtensor as mt
import microtensor.nn.functional as F
from microtensor.ops.special import erf, erf_array
from tests.gradcheck_cases import Case

RUNNING_MEAN = np.array([0.3, -0.2, 0.1])
RUNNING_VAR = np.array([1.5, 0.5, 2.0])


def _bn_train(x, w, b):
    return F.batch_norm(x, None, None, w, b, training=True)


def _bn_eval(x, w, b):
    rm = mt.tensor(RUNNING_MEAN, dtype=mt.float64)
    rv = mt.tensor(RUNNING_VAR, dtype=mt.float64)
    return F.batch_norm(x, rm, rv, w, b, training=False)


def _np_erf(x):
    return np.vectorize(math.erf, otypes=[np.float64])(x)


def _np_batch_norm(x, w=None, b=None, mean=None, var=None, eps=1e-5):
    """(x - mean) / sqrt(var + eps) · w + b per channel (axis 1); without mean and var, the
    batch's mean and biased variance over every axis but 1 (training mode)."""
    axes = (0,) + tuple(range(2, x.ndim))
    channel = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    mean = x.mean(axis=axes) if mean is None else mean
    var = ((x - mean.reshape(channel)) ** 2).mean(axis=axes) if var is None else var
    out = (x - mean.reshape(channel)) / np.sqrt(var.reshape(channel) + eps)
    if w is not None:
        out = out * w.reshape(channel) + b.reshape(channel)
    return out


def _np_dropout_seed_3(x, p=0.4):
    """F.dropout with mt.Generator(3): the generator is NumPy's default_rng(3), each element is
    kept where its uniform draw is >= p and then scaled by 1/(1-p)."""
    keep = np.random.default_rng(3).random(x.shape) >= p
    return np.where(keep, x / (1 - p), 0.0)


GRADCHECK_CASES = [
    Case("nn_linear", F.linear, [(3, 4), (2, 4), (2,)],
         reference=lambda x, w, b: x @ w.T + b),
    Case("nn_linear_nd_no_bias", lambda x, w: F.linear(x, w), [(2, 3, 4), (5, 4)],
         reference=lambda x, w: x @ w.T),
    Case("nn_linear_vector_input", F.linear, [(4,), (3, 4), (3,)],
         reference=lambda x, w, b: w @ x + b),
    Case("nn_leaky_relu", lambda x: F.leaky_relu(x, 0.2), [(3, 4)], distinct=True,
         reference=lambda x: np.where(x > 0, x, 0.2 * x)),
    Case("nn_elu", lambda x: F.elu(x - 1.0, alpha=1.5), [(3, 4)], distinct=True,
         reference=lambda x: np.where(x - 1 > 0, x - 1, 1.5 * np.expm1(x - 1))),
    Case("nn_softplus", F.softplus, [(3, 4)],
         reference=lambda x: np.where(x > 20, x, np.log1p(np.exp(x)))),
    Case("nn_softplus_beta", lambda x: F.softplus(x * 3, beta=2.0, threshold=5.0), [(3, 4)],
         reference=lambda x: np.where(2 * (3 * x) > 5, 3 * x, np.log1p(np.exp(2 * (3 * x))) / 2)),
    Case("nn_gelu", F.gelu, [(3, 4)],
         reference=lambda x: 0.5 * x * (1 + _np_erf(x / math.sqrt(2)))),
    Case("nn_gelu_tanh", lambda x: F.gelu(x, approximate="tanh"), [(3, 4)],
         reference=lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi)
                                                    * (x + 0.044715 * x**3)))),
    Case("nn_erf", lambda x: erf(x * 1.5), [(3, 4)], reference=lambda x: _np_erf(x * 1.5)),
    Case("nn_dropout", lambda x: F.dropout(x, 0.4, generator=mt.Generator(3)), [(4, 5)],
         reference=_np_dropout_seed_3),
    Case("nn_batch_norm_train_2d", _bn_train, [(5, 3), (3,), (3,)], reference=_np_batch_norm),
    Case("nn_batch_norm_train_4d", _bn_train, [(3, 3, 2, 2), (3,), (3,)],
         reference=_np_batch_norm),
    Case("nn_batch_norm_train_no_affine",
         lambda x: F.batch_norm(x, None, None, training=True) ** 2, [(4, 3, 2)],
         reference=lambda x: _np_batch_norm(x) ** 2),
    Case("nn_batch_norm_eval", _bn_eval, [(4, 3, 2), (3,), (3,)],
         reference=lambda x, w, b: _np_batch_norm(x, w, b, RUNNING_MEAN, RUNNING_VAR)),
]


# --------------------------------------------------------------------------- erf


def test_erf_matches_math_erf_to_double_precision() -> None:
    xs = np.concatenate([np.linspace(-7, 7, 20001), np.geomspace(1e-300, 1e-2, 300),
                         -np.geomspace(1e-300, 1e-2, 300), [0.0, 0.99999, 1.00001, 2.0, 6.0]])
    reference = np.array([math.erf(v) for v in xs])
    relative = np.abs(erf_array(xs) - reference) / np.maximum(np.abs(reference), 1e-300)
    assert relative.max() < 5e-15


def test_erf_special_values_and_float32() -> None:
    out = erf_array(np.array([np.inf, -np.inf, np.nan, 0.0, -0.0]))
    assert out[0] == 1 and out[1] == -1 and np.isnan(out[2]) and out[3] == 0
    assert np.signbit(out[4])
    x32 = np.linspace(-5, 5, 1001, dtype=np.float32)
    got = erf_array(x32)
    assert got.dtype == np.float32
    reference = np.array([math.erf(float(v)) for v in x32])
    assert np.abs(got - reference).max() < 3e-7


# --------------------------------------------------------------------------- forward values


def _x(shape, seed=0, scale=1.0):
    return np.random.default_rng(seed).standard_normal(shape) * scale


def test_linear_matches_numpy_on_batched_input() -> None:
    x, w, b = _x((2, 3, 4)), _x((5, 4), 1), _x((5,), 2)
    out = F.linear(mt.tensor(x), mt.tensor(w), mt.tensor(b))
    assert out.shape == (2, 3, 5)
    np.testing.assert_allclose(out.numpy(), x @ w.T + b, rtol=1e-12)


def test_linear_errors_name_the_shapes_and_dtypes() -> None:
    with pytest.raises(RuntimeError, match=r"linear: input of shape \(2, 3\).*expects 4"):
        F.linear(mt.randn(2, 3), mt.randn(5, 4))
    with pytest.raises(RuntimeError, match="dtype"):
        F.linear(mt.randn(2, 4, dtype=mt.float64), mt.randn(5, 4))
    with pytest.raises(RuntimeError, match=r"bias must have shape \(5,\)"):
        F.linear(mt.randn(2, 4), mt.randn(5, 4), mt.randn(4))


@pytest.mark.parametrize("name, fn, reference", [
    ("relu", F.relu, lambda x: np.maximum(x, 0)),
    ("leaky_relu", lambda t: F.leaky_relu(t, 0.1), lambda x: np.where(x > 0, x, 0.1 * x)),
    ("elu", lambda t: F.elu(t, 2.0), lambda x: np.where(x > 0, x, 2.0 * np.expm1(x))),
    ("softplus", F.softplus, lambda x: np.log1p(np.exp(x))),
    ("softplus_beta", lambda t: F.softplus(t, beta=2.0, threshold=3.0),
     lambda x: np.where(2 * x > 3, x, np.log1p(np.exp(2 * x)) / 2)),
    ("silu", F.silu, lambda x: x / (1 + np.exp(-x))),
    ("sigmoid", F.sigmoid, lambda x: 1 / (1 + np.exp(-x))),
    ("tanh", F.tanh, np.tanh),
    ("gelu", F.gelu,
     lambda x: 0.5 * x * (1 + np.array([math.erf(v / math.sqrt(2)) for v in x.flat]).reshape(
         x.shape))),
    ("gelu_tanh", lambda t: F.gelu(t, approximate="tanh"),
     lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))),
    ("softmax", lambda t: F.softmax(t, dim=1),
     lambda x: np.exp(x) / np.exp(x).sum(1, keepdims=True)),
    ("log_softmax", lambda t: F.log_softmax(t, dim=1),
     lambda x: x - np.log(np.exp(x).sum(1, keepdims=True))),
])
def test_activation_forward_matches_numpy(name, fn, reference) -> None:
    x = _x((4, 6), scale=3.0)
    np.testing.assert_allclose(fn(mt.tensor(x)).numpy(), reference(x), rtol=1e-12, atol=1e-14)


def test_softmax_without_dim_warns_and_picks_dim_1() -> None:
    x = mt.tensor(_x((2, 3)))
    with pytest.warns(UserWarning, match="Implicit dimension"):
        out = F.softmax(x)
    np.testing.assert_allclose(out.numpy().sum(1), 1.0)


def test_gelu_rejects_unknown_approximation() -> None:
    with pytest.raises(RuntimeError, match="approximate argument must be either none or tanh"):
        F.gelu(mt.randn(3), approximate="fast")


def test_inplace_activation_writes_into_its_input() -> None:
    x = mt.tensor([-1.0, 2.0])
    out = F.relu(x, inplace=True)
    assert out is x and x.tolist() == [0.0, 2.0]
    y = mt.tensor([-1.0, 2.0], requires_grad=True) * 1.0  # a non-leaf in a graph
    F.leaky_relu(y, 0.5, inplace=True)
    y.sum().backward()  # the graph was extended through the in-place op


def test_dropout_scales_kept_values_and_is_identity_in_eval() -> None:
    mt.manual_seed(0)
    x = mt.ones(1000, 10)
    out = F.dropout(x, 0.3)
    values = np.unique(out.numpy())
    np.testing.assert_allclose(values, [0.0, 1 / 0.7], rtol=1e-6)
    assert abs((out.numpy() == 0).mean() - 0.3) < 0.02
    assert F.dropout(x, 0.3, training=False) is x
    assert F.dropout(x, 0.0) is x
    assert (F.dropout(x, 1.0).numpy() == 0).all()
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.dropout(x, 1.5)


def test_dropout_is_repeatable_with_manual_seed() -> None:
    x = mt.ones(50)
    mt.manual_seed(7)
    a = F.dropout(x, 0.5).numpy()
    mt.manual_seed(7)
    b = F.dropout(x, 0.5).numpy()
    np.testing.assert_array_equal(a, b)


def test_batch_norm_training_normalises_and_updates_running_stats() -> None:
    x = _x((8, 3, 4, 4), scale=2.0) + 5
    rm, rv = mt.zeros(3, dtype=mt.float64), mt.ones(3, dtype=mt.float64)
    out = F.batch_norm(mt.tensor(x), rm, rv, training=True, momentum=0.1).numpy()
    mean = x.mean(axis=(0, 2, 3))
    var = x.var(axis=(0, 2, 3))
    expected = (x - mean[None, :, None, None]) / np.sqrt(var[None, :, None, None] + 1e-5)
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-12)
    n = 8 * 16
    np.testing.assert_allclose(rm.numpy(), 0.1 * mean, rtol=1e-12)
    np.testing.assert_allclose(rv.numpy(), 0.9 + 0.1 * var * n / (n - 1), rtol=1e-12)


def test_batch_norm_eval_uses_running_stats_and_needs_them() -> None:
    x = _x((4, 3))
    w, b = _x((3,), 1), _x((3,), 2)
    out = _bn_eval(mt.tensor(x), mt.tensor(w), mt.tensor(b)).numpy()
    expected = (x - RUNNING_MEAN) / np.sqrt(RUNNING_VAR + 1e-5) * w + b
    np.testing.assert_allclose(out, expected, rtol=1e-12)
    with pytest.raises(RuntimeError, match="evaluation mode"):
        F.batch_norm(mt.tensor(x), None, None)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        F.batch_norm(mt.randn(1, 3), None, None, training=True)
    with pytest.raises(RuntimeError, match="dtype"):
        F.batch_norm(mt.randn(4, 3), None, None, mt.ones(3, dtype=mt.float64), training=True)


def test_one_hot() -> None:
    out = F.one_hot(mt.tensor([0, 2, 1]))
    assert out.dtype == mt.int64
    assert out.tolist() == [[1, 0, 0], [0, 0, 1], [0, 1, 0]]
    assert F.one_hot(mt.tensor([1]), num_classes=4).shape == (1, 4)
    with pytest.raises(RuntimeError, match="smaller than num_classes"):
        F.one_hot(mt.tensor([3]), num_classes=3)
    with pytest.raises(RuntimeError, match="index tensors"):
        F.one_hot(mt.tensor([1.0]))


def test_pad_and_adaptive_pool() -> None:
    x = mt.tensor(_x((1, 1, 2, 3)))
    padded = F.pad(x, (1, 1), value=5.0)
    assert padded.shape == (1, 1, 2, 5) and padded.numpy()[0, 0, 0, 0] == 5.0
    data = _x((2, 3, 5, 7))
    out = F.adaptive_avg_pool2d(mt.tensor(data), (2, 3)).numpy()
    # cell (1, 2) covers rows [2, 5) and columns [4, 7)
    np.testing.assert_allclose(out[:, :, 1, 2], data[:, :, 2:5, 4:7].mean(axis=(2, 3)))
    assert F.adaptive_avg_pool2d(mt.tensor(data), 1).shape == (2, 3, 1, 1)


# --------------------------------------------------------------------------- non-Tensor inputs

_X = mt.zeros(2, 3)
_IMAGE = mt.zeros(1, 1, 4, 4)
# every function of F but pad (which its own tests cover), with each Tensor argument in turn
# replaced by a list: (function name, call taking the replacement, argument name, position)
NON_TENSOR_CALLS = [
    ("linear", lambda v: F.linear(v, mt.zeros(2, 3)), "input", 1),
    ("linear", lambda v: F.linear(_X, v), "weight", 2),
    ("linear", lambda v: F.linear(_X, mt.zeros(2, 3), v), "bias", 3),
    ("relu", lambda v: F.relu(v), "input", 1),
    ("relu", lambda v: F.relu(v, inplace=True), "input", 1),
    ("leaky_relu", lambda v: F.leaky_relu(v), "input", 1),
    ("elu", lambda v: F.elu(v), "input", 1),
    ("gelu", lambda v: F.gelu(v), "input", 1),
    ("softplus", lambda v: F.softplus(v), "input", 1),
    ("silu", lambda v: F.silu(v), "input", 1),
    ("sigmoid", lambda v: F.sigmoid(v), "input", 1),
    ("tanh", lambda v: F.tanh(v), "input", 1),
    ("softmax", lambda v: F.softmax(v, 1), "input", 1),
    ("log_softmax", lambda v: F.log_softmax(v, 1), "input", 1),
    ("dropout", lambda v: F.dropout(v), "input", 1),
    ("dropout", lambda v: F.dropout(v, training=False), "input", 1),
    ("batch_norm", lambda v: F.batch_norm(v, None, None, training=True), "input", 1),
    ("batch_norm", lambda v: F.batch_norm(_X, v, mt.ones(3)), "running_mean", 2),
    ("batch_norm", lambda v: F.batch_norm(_X, mt.zeros(3), v), "running_var", 3),
    ("batch_norm", lambda v: F.batch_norm(_X, mt.zeros(3), mt.ones(3), v), "weight", 4),
    ("batch_norm", lambda v: F.batch_norm(_X, mt.zeros(3), mt.ones(3), None, v), "bias", 5),
    ("mse_loss", lambda v: F.mse_loss(v, _X), "input", 1),
    ("l1_loss", lambda v: F.l1_loss(_X, v), "target", 2),
    ("cross_entropy", lambda v: F.cross_entropy(v, mt.tensor([0, 1])), "input", 1),
    ("nll_loss", lambda v: F.nll_loss(_X, v), "target", 2),
    ("binary_cross_entropy", lambda v: F.binary_cross_entropy(v, _X), "input", 1),
    ("binary_cross_entropy_with_logits",
     lambda v: F.binary_cross_entropy_with_logits(_X, _X, weight=v), "weight", 3),
    ("one_hot", lambda v: F.one_hot(v), "tensor", 1),
    ("conv2d", lambda v: F.conv2d(v, mt.zeros(1, 1, 1, 1)), "input", 1),
    ("conv2d", lambda v: F.conv2d(_IMAGE, v), "weight", 2),
    ("conv2d", lambda v: F.conv2d(_IMAGE, mt.zeros(1, 1, 1, 1), v), "bias", 3),
    ("max_pool2d", lambda v: F.max_pool2d(v, 2), "input", 1),
    ("max_pool2d", lambda v: F.max_pool2d(v, 2, return_indices=True), "input", 1),
    ("avg_pool2d", lambda v: F.avg_pool2d(v, 2), "input", 1),
    ("adaptive_avg_pool2d", lambda v: F.adaptive_avg_pool2d(v, 1), "input", 1),
]


@pytest.mark.parametrize("value, kind", [([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], "list"),
                                         (np.zeros((2, 3)), "numpy.ndarray"),
                                         (1.5, "float"), ((1, 2), "tuple")])
@pytest.mark.parametrize("name, call, argument, position", NON_TENSOR_CALLS,
                         ids=[f"{c[0]}-{c[2]}-{i}" for i, c in enumerate(NON_TENSOR_CALLS)])
def test_functions_refuse_non_tensors_as_pytorch_does(name, call, argument, position, value,
                                                      kind) -> None:
    """PyTorch's TypeError, "linear(): argument 'input' (position 1) must be Tensor, not list",
    for lists, NumPy arrays and numbers alike: nothing is converted silently."""
    with pytest.raises(TypeError, match=rf"^{name}\(\): argument '{argument}' \(position "
                       rf"{position}\) must be Tensor, not {re.escape(kind)}"):
        call(value)


def all_non_tensor_calls() -> list[tuple]:
    """NON_TENSOR_CALLS of this module and of every test module that defines one (each family
    of F's functions lists its calls next to its own tests)."""
    calls = list(NON_TENSOR_CALLS)
    for path in sorted(Path(__file__).parent.glob("test_*.py")):
        if path.name != Path(__file__).name and "NON_TENSOR_CALLS = [" in path.read_text():
            module = importlib.import_module(f"tests.{path.stem}")
            calls.extend(module.NON_TENSOR_CALLS)
    return calls


def test_every_public_function_is_checked_for_non_tensors() -> None:
    """The NON_TENSOR_CALLS lists cover every function of F (pad is tested with the shape ops)."""
    covered = {name for name, *_ in all_non_tensor_calls()}
    missing = set(F.__all__) - {"pad"} - covered
    assert not missing, f"F functions with no non-tensor check: {sorted(missing)}"


def test_parameters_and_subclasses_are_tensors() -> None:
    w = mt.nn.Parameter(mt.ones(2, 3))
    assert F.linear(mt.ones(1, 3), w).tolist() == [[3.0, 3.0]]


# --------------------------------------------------------------------------- adaptive pooling


def test_adaptive_avg_pool2d_output_size_zero_is_empty_and_differentiable() -> None:
    x = mt.tensor(_x((2, 3, 4, 5)), requires_grad=True)
    out = F.adaptive_avg_pool2d(x, (0, 3))
    assert out.shape == (2, 3, 0, 3)
    out.sum().backward()
    assert x.grad.shape == (2, 3, 4, 5) and (x.grad.numpy() == 0).all()
    assert F.adaptive_avg_pool2d(x, 0).shape == (2, 3, 0, 0)
    assert F.adaptive_avg_pool2d(mt.zeros(0, 4, 4), 2).shape == (0, 2, 2)  # empty 3-D first dim
    assert F.adaptive_avg_pool2d(mt.zeros(0, 1, 4, 4), (2, None)).shape == (0, 1, 2, 4)


@pytest.mark.parametrize("call, error, match", [
    (lambda: F.adaptive_avg_pool2d(mt.zeros(1, 1, 4, 4), (2,)), RuntimeError,
     r"adaptive_avg_pool2d: output_size must be 2"),
    (lambda: F.adaptive_avg_pool2d(mt.zeros(1, 1, 4, 4), (2, 3, 4)), RuntimeError,
     r"adaptive_avg_pool2d: output_size must be 2"),
    (lambda: F.adaptive_avg_pool2d(mt.zeros(1, 1, 4, 4), -1), RuntimeError,
     r"adaptive_avg_pool2d: elements of output_size must be greater than or equal to 0 but "
     r"received -1"),
    (lambda: F.adaptive_avg_pool2d(mt.zeros(1, 1, 4, 4), (2, -1)), RuntimeError,
     r"received \(2, -1\)"),
    (lambda: F.adaptive_avg_pool2d(mt.zeros(1, 1, 4, 4), 2.0), TypeError,
     r"adaptive_avg_pool2d: output_size must be an int or a pair of ints"),
    (lambda: F.adaptive_avg_pool2d(mt.zeros(3, 3), 2), RuntimeError,
     r"adaptive_avg_pool2d\(\): Expected 3D or 4D tensor, but got \[3, 3\]"),
    (lambda: F.adaptive_avg_pool2d(mt.zeros(1, 1, 0, 3), 2), RuntimeError,
     r"Expected input to have non-zero size for non-batch dimensions, but input has sizes "
     r"\[1, 1, 0, 3\] with dimension 2 being empty"),
    (lambda: F.adaptive_avg_pool2d(mt.zeros(3, 0, 3), 2), RuntimeError,
     r"with dimension 1 being empty"),
    (lambda: F.adaptive_avg_pool2d(mt.zeros(1, 1, 4, 4, dtype=mt.int64), 2),
     NotImplementedError, r"\"adaptive_avg_pool2d\" not implemented for 'Long'"),
])
def test_adaptive_avg_pool2d_argument_errors(call, error, match) -> None:
    with pytest.raises(error, match=match):
        call()


# --------------------------------------------------------------------------- PyTorch parity


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


@pytest.mark.parametrize("name", ["gelu", "gelu_tanh", "leaky_relu", "elu", "softplus", "silu",
                                  "linear", "batch_norm", "adaptive_avg_pool2d"])
def test_functional_matches_torch_in_float64(torch, name) -> None:
    import torch.nn.functional as TF

    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 3, 5, 5)) * 3
    extra: list[np.ndarray] = []
    calls = {
        "gelu": (F.gelu, TF.gelu),
        "gelu_tanh": (lambda t: F.gelu(t, approximate="tanh"),
                      lambda t: TF.gelu(t, approximate="tanh")),
        "leaky_relu": (lambda t: F.leaky_relu(t, 0.2), lambda t: TF.leaky_relu(t, 0.2)),
        "elu": (lambda t: F.elu(t, 1.3), lambda t: TF.elu(t, 1.3)),
        "softplus": (lambda t: F.softplus(t, 2.0, 5.0), lambda t: TF.softplus(t, 2.0, 5.0)),
        "silu": (F.silu, TF.silu),
        "adaptive_avg_pool2d": (lambda t: F.adaptive_avg_pool2d(t, (2, 3)),
                                lambda t: TF.adaptive_avg_pool2d(t, (2, 3))),
    }
    if name == "linear":
        extra = [rng.standard_normal((7, 5)), rng.standard_normal(7)]
        fns = (F.linear, TF.linear)
    elif name == "batch_norm":
        extra = [rng.standard_normal(3), rng.standard_normal(3)]
        fns = (lambda t, w, b: F.batch_norm(t, None, None, w, b, training=True),
               lambda t, w, b: TF.batch_norm(t, None, None, w, b, training=True))
    else:
        fns = calls[name]
    arrays = [x] + extra
    ours = [mt.tensor(a, dtype=mt.float64, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    out, expected = fns[0](*ours), fns[1](*theirs)
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(),
                               rtol=1e-13, atol=1e-13)
    seed = rng.standard_normal(tuple(expected.shape))
    out.backward(mt.tensor(seed, dtype=mt.float64))
    expected.backward(torch.tensor(seed))
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("output_size", [0, (0, 2), (3, 0), (2, None), (5, 7), -1, (2,)])
def test_adaptive_avg_pool2d_sizes_and_errors_match_torch(torch, output_size) -> None:
    import torch.nn.functional as TF

    x = np.random.default_rng(2).standard_normal((2, 3, 4, 5))
    try:
        theirs = TF.adaptive_avg_pool2d(torch.tensor(x), output_size).numpy()
    except RuntimeError:
        with pytest.raises(RuntimeError):
            F.adaptive_avg_pool2d(mt.tensor(x), output_size)
        return
    ours = F.adaptive_avg_pool2d(mt.tensor(x), output_size).numpy()
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=1e-13)


@pytest.mark.parametrize("value", [[[1.0, 2.0, 3.0]], np.ones((1, 3))])
def test_non_tensor_inputs_raise_torchs_type_error(torch, value) -> None:
    import torch.nn.functional as TF

    for ours, theirs in ((F.linear, TF.linear), (F.relu, TF.relu), (F.gelu, TF.gelu),
                         (F.dropout, TF.dropout)):
        args = (mt.ones(2, 3),) if ours is F.linear else ()
        targs = (torch.ones(2, 3),) if ours is F.linear else ()
        with pytest.raises(TypeError) as expected:
            theirs(value, *targs)
        with pytest.raises(TypeError, match=re.escape(str(expected.value))):
            ours(value, *args)
