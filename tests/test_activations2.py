"""Activations of issue 14 (Hardtanh/ReLU6, SELU, CELU, Mish, Hardswish, Hardsigmoid,
LogSigmoid, Softsign, Softmin, Tanhshrink, Softshrink, Hardshrink, Threshold, PReLU, GLU) and
the fixes of ReLU and ELU: gradient checks against NumPy references (collected by
tests/test_gradcheck.py), forward values at the kinks, modules, in-place forms and errors.
PyTorch parity is in the golden groups activations2* (tests/golden/cases_activations2.py)."""

from __future__ import annotations

import numpy as np
import pytest

import microtensor as mt
import microtensor.nn.functional as F
from microtensor import nn
from tests.gradcheck_cases import Case

SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def _np_elu(x, alpha=1.0, scale=1.0, input_scale=1.0):
    return np.where(x > 0, scale * x, scale * alpha * np.expm1(np.minimum(x, 0) * input_scale))


def _np_sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _np_softplus(x):
    return np.log1p(np.exp(x))


def _np_softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


PRELU_WEIGHT_SHAPE = (3,)

GRADCHECK_CASES = [
    Case("act2_hardtanh", lambda x: F.hardtanh(x * 2, -1.5, 0.5), [(3, 4)],
         reference=lambda x: np.clip(x * 2, -1.5, 0.5)),
    Case("act2_relu6", lambda x: F.relu6(x * 5), [(3, 4)],
         reference=lambda x: np.clip(x * 5, 0, 6)),
    Case("act2_selu", F.selu, [(3, 4)],
         reference=lambda x: _np_elu(x, SELU_ALPHA, SELU_SCALE)),
    Case("act2_celu", lambda x: F.celu(x, 0.7), [(3, 4)],
         reference=lambda x: _np_elu(x, 0.7, 1.0, 1 / 0.7)),
    Case("act2_elu", lambda x: F.elu(x * 3, 0.5), [(3, 4)],
         reference=lambda x: _np_elu(x * 3, 0.5)),
    Case("act2_mish", F.mish, [(3, 4)], reference=lambda x: x * np.tanh(_np_softplus(x))),
    Case("act2_hardswish", lambda x: F.hardswish(x * 3), [(3, 4)],
         reference=lambda x: x * 3 * np.clip(x * 3 + 3, 0, 6) / 6),
    Case("act2_hardsigmoid", lambda x: F.hardsigmoid(x * 3), [(3, 4)],
         reference=lambda x: np.clip(x * 3 + 3, 0, 6) / 6),
    Case("act2_logsigmoid", lambda x: F.logsigmoid(x * 4), [(3, 4)],
         reference=lambda x: np.log(_np_sigmoid(x * 4))),
    Case("act2_softsign", F.softsign, [(3, 4)], reference=lambda x: x / (1 + np.abs(x))),
    Case("act2_tanhshrink", F.tanhshrink, [(3, 4)], reference=lambda x: x - np.tanh(x)),
    Case("act2_softmin", lambda x: F.softmin(x, dim=1), [(3, 4)],
         reference=lambda x: _np_softmax(-x, 1)),
    Case("act2_softshrink", lambda x: F.softshrink(x, 0.3), [(3, 4)],
         reference=lambda x: np.where(x > 0.3, x - 0.3, np.where(x < -0.3, x + 0.3, 0.0))),
    Case("act2_hardshrink", lambda x: F.hardshrink(x, 0.3), [(3, 4)],
         reference=lambda x: np.where(np.abs(x) > 0.3, x, 0.0)),
    Case("act2_threshold", lambda x: F.threshold(x, 0.2, -1.0), [(3, 4)],
         reference=lambda x: np.where(x > 0.2, x, -1.0)),
    Case("act2_prelu", F.prelu, [(2, 3, 4), PRELU_WEIGHT_SHAPE],
         reference=lambda x, w: np.where(x > 0, x, w.reshape(3, 1) * x)),
    Case("act2_prelu_shared", F.prelu, [(4, 3), (1,)],
         reference=lambda x, w: np.where(x > 0, x, w * x)),
    Case("act2_glu", lambda x: F.glu(x, 0), [(4, 3)],
         reference=lambda x: x[:2] * _np_sigmoid(x[2:])),
]


def test_relu_keeps_negative_zero_and_nan():
    x = mt.tensor([-0.0, 0.0, -1.0, 2.0, float("nan"), -float("inf")])
    out = x.relu().numpy()
    assert np.signbit(out[0]) and not np.signbit(out[1]) and not np.signbit(out[2])
    np.testing.assert_array_equal(out[2:4], [0.0, 2.0])
    assert np.isnan(out[4]) and out[5] == 0.0


def test_relu_large_tensor_keeps_negative_zero():
    x = np.random.default_rng(0).standard_normal(10000)
    x[::7] = -0.0
    out = mt.tensor(x).relu().numpy()
    assert np.signbit(out[::7]).all()
    np.testing.assert_array_equal(out, np.where(x < 0, 0.0, x))


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("size", [1, 5, 16384, 16384 * 3 + 17])
def test_relu_in_rows_of_zeros_matches_numpy(dtype, size):
    """relu compares big contiguous float arrays with a kept row of zeros, in whole rows and
    a shorter last piece (activations._max_with_zero): the values are np.maximum(x, 0)'s,
    -0.0 and NaN of either sign kept, in the input's dtype."""
    rng = np.random.default_rng(size)
    x = rng.standard_normal(size).astype(dtype)
    x[::5] = -0.0
    x[1::11] = np.nan
    x[2::13] = -np.abs(np.array(np.nan, dtype))  # a NaN with its sign bit set
    out = mt.tensor(x).relu().numpy()
    assert out.dtype == dtype
    expected = np.maximum(x, 0)
    np.copyto(expected, x, where=x == 0)
    np.testing.assert_array_equal(out, expected)  # NaN where NaN
    zeros = ~np.isnan(x) & (x <= 0)  # the output's zeros: -0.0 only where x was -0.0
    assert zeros.any() and (out[zeros] == 0).all()
    np.testing.assert_array_equal(np.signbit(out[zeros]), np.signbit(x[zeros]) & (x[zeros] == 0))


def test_relu_of_views_and_shapes():
    x = np.random.default_rng(1).standard_normal((3, 40000), dtype=np.float32)
    for view in (x.T, x[:, ::3], x.reshape(2, 60000)[1], x[0]):
        np.testing.assert_array_equal(mt.from_numpy(view).relu().numpy(), np.maximum(view, 0))


def test_relu_gradient_passes_nan_output_and_stops_at_zero():
    x = mt.tensor([float("nan"), -1.0, 0.0, -0.0, 3.0] * 2000, requires_grad=True)
    grad = mt.tensor([1.0, float("inf"), float("inf"), 2.0, 5.0] * 2000)
    x.relu().backward(grad)
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 0.0, 0.0, 0.0, 5.0] * 2000)


def test_elu_slope_far_left_does_not_cancel():
    x = mt.tensor([-40.0, -100.0, -700.0], dtype=mt.float64, requires_grad=True)
    F.elu(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp([-40.0, -100.0, -700.0]), rtol=1e-14)


@pytest.mark.parametrize("name", ["hardtanh", "relu6"])
def test_hardtanh_slope_is_zero_at_the_bounds(name):
    x = mt.tensor([-1.0, 1.0, 0.0, 6.0, 0.5], dtype=mt.float64, requires_grad=True)
    getattr(F, name)(x).sum().backward()
    expected = [0, 0, 1, 0, 1] if name == "hardtanh" else [0, 1, 0, 0, 1]
    np.testing.assert_array_equal(x.grad.numpy(), expected)


def test_hardswish_and_hardsigmoid_slopes_at_the_joins():
    x = mt.tensor([-3.0, 3.0, 0.0, -4.0, 4.0], dtype=mt.float64, requires_grad=True)
    F.hardswish(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0, 0.5, 0.0, 1.0])
    x.grad = None
    F.hardsigmoid(x).sum().backward()
    sixth = float(np.float32(1) / np.float32(6))  # PyTorch's float constant
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, sixth, 0.0, 0.0])


def test_shrinks_and_threshold_values():
    x = mt.tensor([-1.0, -0.5, -0.1, -0.0, 0.5, 2.0])
    np.testing.assert_array_equal(F.softshrink(x).numpy(), [-0.5, 0.0, 0.0, 0.0, 0.0, 1.5])
    assert np.signbit(F.softshrink(x).numpy()[2])  # 0 · x keeps the sign, as PyTorch
    np.testing.assert_array_equal(F.hardshrink(x).numpy(), [-1.0, 0, 0, 0, 0, 2.0])
    np.testing.assert_array_equal(F.threshold(x, 0.5, 9.0).numpy(), [9, 9, 9, 9, 9, 2.0])
    ints = mt.tensor([1, 2, 3])
    assert F.threshold(ints, 1, 5).tolist() == [5, 2, 3]
    assert F.hardtanh(ints, 0, 2).dtype == mt.int64


def test_logsigmoid_is_stable():
    x = mt.tensor([-800.0, 800.0, 0.0], dtype=mt.float64)
    np.testing.assert_allclose(F.logsigmoid(x).numpy(), [-800.0, 0.0, -np.log(2)], rtol=1e-15)


@pytest.mark.parametrize("fn", [F.leaky_relu, F.elu, F.selu, F.celu, F.mish, F.hardswish,
                                F.hardsigmoid, F.softshrink, F.hardshrink, F.logsigmoid])
def test_integer_input_is_not_implemented(fn):
    with pytest.raises(NotImplementedError, match="not implemented for 'Long'"):
        fn(mt.tensor([1, -2]))


def test_argument_errors():
    x = mt.tensor([1.0, -1.0])
    with pytest.raises(ValueError, match="min_val cannot be greater than max_val"):
        F.hardtanh(x, 2.0, 1.0)
    with pytest.raises(RuntimeError, match="lambda must be in range"):
        F.softshrink(x, -0.5)
    with pytest.raises(RuntimeError, match="alpha cannot be 0"):
        F.celu(x, 0.0)
    with pytest.raises(RuntimeError, match="Halving dimension must be even"):
        F.glu(mt.ones(3, 3))
    with pytest.raises(RuntimeError, match="scalars"):
        F.glu(mt.tensor(1.0))
    with pytest.raises(RuntimeError, match="Mismatch of parameter numbers"):
        F.prelu(mt.ones(2, 3), mt.ones(2))
    with pytest.raises(RuntimeError, match="scalar or 1D"):
        F.prelu(mt.ones(2, 3), mt.ones(1, 3))


def test_softmin_without_dim_warns():
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmin"):
        out = F.softmin(mt.tensor([[1.0, 2.0], [3.0, 0.0]]))
    np.testing.assert_allclose(out.numpy(), _np_softmax(-np.array([[1.0, 2], [3, 0]]), 1),
                               rtol=1e-6)


def test_inplace_forms_write_into_the_tensor():
    base = mt.tensor([-2.0, -0.5, 0.5, 7.0], dtype=mt.float64, requires_grad=True)
    for fn, expected in ((F.relu_, [0, 0, 0.5, 7]), (lambda t: F.hardtanh_(t, -1, 1),
                                                     [-1, -0.5, 0.5, 1]),
                         (lambda t: F.threshold_(t, 0, 3.0), [3, 3, 0.5, 7]),
                         (lambda t: F.relu6(t, inplace=True), [0, 0, 0.5, 6])):
        t = base * 1
        out = fn(t)
        assert out is t
        np.testing.assert_allclose(t.detach().numpy(), expected)
        t.sum().backward()
    for fn in (F.elu_, F.selu_, F.celu_, F.leaky_relu_):
        t = base * 1
        assert fn(t) is t
        assert t.grad_fn is not None


def test_modules_parameters_and_reprs():
    prelu = nn.PReLU(3, init=0.1)
    assert list(dict(prelu.named_parameters())) == ["weight"]
    np.testing.assert_allclose(prelu.weight.detach().numpy(), [0.1, 0.1, 0.1], rtol=1e-7)
    assert prelu.weight.dtype == mt.float32
    assert repr(prelu) == "PReLU(num_parameters=3)"
    reprs = {
        nn.Hardtanh(): "Hardtanh(min_val=-1.0, max_val=1.0)", nn.ReLU6(): "ReLU6()",
        nn.ReLU6(True): "ReLU6(inplace=True)", nn.SELU(): "SELU()",
        nn.CELU(): "CELU(alpha=1.0)", nn.Softshrink(): "Softshrink(0.5)",
        nn.Hardshrink(0.3): "Hardshrink(0.3)", nn.GLU(): "GLU(dim=-1)",
        nn.Threshold(0.1, 20): "Threshold(threshold=0.1, value=20)",
        nn.Softmin(1): "Softmin(dim=1)", nn.Mish(True): "Mish(inplace=True)",
        nn.Hardswish(True): "Hardswish()", nn.Hardsigmoid(): "Hardsigmoid()",
    }
    for module, text in reprs.items():
        assert repr(module) == text
    x = mt.randn(2, 3, 4)
    out = prelu(x)
    np.testing.assert_allclose(out.detach().numpy(),
                               np.where(x.numpy() > 0, x.numpy(), 0.1 * x.numpy()), rtol=1e-6)


def test_modules_match_pytorch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(1).standard_normal((2, 4, 3)) * 4
    for name, args in (("Hardtanh", (-2.0, 2.0)), ("ReLU6", ()), ("SELU", ()), ("CELU", (0.5,)),
                       ("Mish", ()), ("Hardswish", ()), ("Hardsigmoid", ()), ("LogSigmoid", ()),
                       ("Softsign", ()), ("Softmin", (1,)), ("Tanhshrink", ()),
                       ("Softshrink", (0.7,)), ("Hardshrink", (0.7,)),
                       ("Threshold", (0.3, -2.0)), ("GLU", (1,)), ("PReLU", (4, 0.2))):
        ours = getattr(nn, name)(*args).double()(mt.tensor(x)).detach().numpy()
        theirs = getattr(torch.nn, name)(*args).double()(torch.tensor(x)).detach().numpy()
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15, err_msg=name)


_X = mt.ones(2, 4)
# (function, call with the non-tensor v, argument, position): the F functions of this family
NON_TENSOR_CALLS = [
    ("celu", lambda v: F.celu(v), "input", 1), ("celu_", lambda v: F.celu_(v), "input", 1),
    ("elu_", lambda v: F.elu_(v), "input", 1), ("selu", lambda v: F.selu(v), "input", 1),
    ("selu_", lambda v: F.selu_(v), "input", 1), ("glu", lambda v: F.glu(v), "input", 1),
    ("hardshrink", lambda v: F.hardshrink(v), "input", 1),
    ("hardsigmoid", lambda v: F.hardsigmoid(v), "input", 1),
    ("hardswish", lambda v: F.hardswish(v), "input", 1),
    ("hardtanh", lambda v: F.hardtanh(v), "input", 1),
    ("hardtanh_", lambda v: F.hardtanh_(v), "input", 1),
    ("leaky_relu_", lambda v: F.leaky_relu_(v), "input", 1),
    ("logsigmoid", lambda v: F.logsigmoid(v), "input", 1),
    ("mish", lambda v: F.mish(v), "input", 1), ("prelu", lambda v: F.prelu(v, _X), "input", 1),
    ("prelu", lambda v: F.prelu(_X, v), "weight", 2), ("relu6", lambda v: F.relu6(v), "input", 1),
    ("relu_", lambda v: F.relu_(v), "input", 1), ("softmin", lambda v: F.softmin(v, 1), "input", 1),
    ("softshrink", lambda v: F.softshrink(v), "input", 1),
    ("softsign", lambda v: F.softsign(v), "input", 1),
    ("tanhshrink", lambda v: F.tanhshrink(v), "input", 1),
    ("threshold", lambda v: F.threshold(v, 0.1, 0.0), "input", 1),
    ("threshold_", lambda v: F.threshold_(v, 0.1, 0.0), "input", 1),
]


@pytest.mark.parametrize("name, call, argument, position", NON_TENSOR_CALLS,
                         ids=[f"{c[0]}-{c[2]}" for c in NON_TENSOR_CALLS])
def test_functions_refuse_non_tensors(name, call, argument, position):
    with pytest.raises(TypeError, match=rf"^{name}\(\): argument '{argument}' \(position "
                       rf"{position}\) must be Tensor, not list"):
        call([[1.0, 2.0], [3.0, 4.0]])
