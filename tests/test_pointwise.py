"""Pointwise math (``ops/pointwise.py``): gradient checks with NumPy references, and the edge
cases, dtypes and errors that golden files cannot show (accuracy of erfc/erfinv, warnings,
in-place forms, second derivatives where PyTorch's are artefacts)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import microtensor as mt
from microtensor.ops.pointwise import erfc_array, erfinv_array
from tests.gradcheck_cases import Case


def _erfc_reference(x: np.ndarray) -> np.ndarray:
    return np.vectorize(math.erfc)(x)


def _remainder_reference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a - b * np.floor(a / b)


def _lerp_reference(a: np.ndarray, b: np.ndarray, w: np.ndarray) -> np.ndarray:
    return a + w * (b - a)


def _logit_reference(x: np.ndarray) -> np.ndarray:
    return np.log(x / (1 - x))


GRADCHECK_CASES = [
    Case("tan", lambda x: mt.tan(x * 0.5), [(2, 3)], reference=lambda x: np.tan(x * 0.5)),
    Case("asin", lambda x: mt.asin(x * 0.4), [(2, 3)], positive=True,
         reference=lambda x: np.arcsin(x * 0.4)),
    Case("acos", lambda x: x.mul(-0.4).acos(), [(2, 3)], positive=True,
         reference=lambda x: np.arccos(x * -0.4)),
    Case("atan", lambda x: mt.atan(x), [(3, 2)], reference=np.arctan),
    Case("atan2", lambda a, b: mt.atan2(a, b), [(2, 3), (3,)], reference=np.arctan2),
    Case("sinh", lambda x: x.sinh(), [(4,)], reference=np.sinh),
    Case("cosh", lambda x: mt.cosh(x), [(2, 2)], reference=np.cosh),
    Case("asinh", lambda x: mt.asinh(x), [(3,)], reference=np.arcsinh),
    Case("acosh", lambda x: mt.acosh(x + 1), [(3,)], positive=True,
         reference=lambda x: np.arccosh(x + 1)),
    Case("atanh", lambda x: mt.atanh(x * 0.4), [(3,)], positive=True,
         reference=lambda x: np.arctanh(x * 0.4)),
    Case("exp2", lambda x: mt.exp2(x), [(2, 3)], reference=np.exp2),
    Case("expm1", lambda x: x.expm1(), [(2, 3)], reference=np.expm1),
    Case("log2", lambda x: mt.log2(x), [(3,)], positive=True, reference=np.log2),
    Case("log10", lambda x: x.log10(), [(3,)], positive=True, reference=np.log10),
    Case("log1p", lambda x: mt.log1p(x), [(3,)], positive=True, reference=np.log1p),
    Case("rsqrt", lambda x: mt.rsqrt(x), [(3,)], positive=True,
         reference=lambda x: 1 / np.sqrt(x)),
    Case("reciprocal", lambda x: mt.reciprocal(x), [(3,)], positive=True,
         reference=lambda x: 1 / x),
    Case("logaddexp", lambda a, b: mt.logaddexp(a, b), [(2, 3), (3,)],
         reference=np.logaddexp),
    Case("logaddexp2", lambda a, b: a.logaddexp2(b), [(2, 3), (2, 1)],
         reference=np.logaddexp2),
    Case("xlogy", lambda a, b: mt.xlogy(a, b), [(2, 3), (3,)], positive=True,
         reference=lambda a, b: a * np.log(b)),
    Case("logit", lambda x: mt.logit(x * 0.4), [(3,)], positive=True,
         reference=lambda x: _logit_reference(x * 0.4)),
    Case("logit_eps", lambda x: mt.logit(x * 0.4, eps=0.3), [(6,)], positive=True,
         reference=lambda x: _logit_reference(np.clip(x * 0.4, 0.3, 0.7))),
    Case("erfc", lambda x: mt.erfc(x), [(2, 3)], reference=_erfc_reference),
    Case("erfinv", lambda x: mt.erfinv(x * 0.45), [(2, 3)], positive=True,
         reference=lambda x: _erfinv_by_bisection(x * 0.45)),
    Case("floor", lambda x: mt.floor(x * 3) + x, [(2, 3)],
         reference=lambda x: np.floor(x * 3) + x),
    Case("round_decimals", lambda x: x.round(decimals=1) * x, [(2, 3)],
         reference=lambda x: np.round(x, 1) * x),
    Case("frac", lambda x: mt.frac(x * 3), [(2, 3)], reference=lambda x: x * 3 - np.trunc(x * 3)),
    Case("div_floor", lambda a, b: mt.div(a, b, rounding_mode="floor") + a, [(2, 3), (3,)],
         reference=lambda a, b: np.floor_divide(a, b) + a),
    Case("div_trunc", lambda a, b: a.div(b, rounding_mode="trunc") * b, [(2, 3), (3,)],
         reference=lambda a, b: np.trunc(a / b) * b),
    Case("fmod", lambda a, b: mt.fmod(a * 3, b), [(2, 3), (3,)], distinct=True,
         reference=lambda a, b: np.fmod(a * 3, b)),
    Case("remainder", lambda a, b: (a * 3) % b, [(2, 3), (3,)], distinct=True,
         reference=lambda a, b: _remainder_reference(a * 3, b)),
    Case("hypot", lambda a, b: mt.hypot(a, b), [(2, 3), (3,)], reference=np.hypot),
    Case("copysign", lambda a, b: mt.copysign(a, b), [(2, 3), (3,)], distinct=True,
         reference=np.copysign),
    Case("lerp_tensor_weight", lambda a, b, w: mt.lerp(a, b, w), [(2, 3), (3,), (2, 1)],
         reference=_lerp_reference),
    Case("lerp_scalar_weight", lambda a, b: a.lerp(b, 0.75), [(2, 3), (2, 3)],
         reference=lambda a, b: _lerp_reference(a, b, 0.75)),
    Case("fmax", lambda a, b: mt.fmax(a, b), [(2, 3), (3,)], distinct=True, reference=np.fmax),
    Case("fmin", lambda a, b: mt.fmin(a, b), [(2, 3), (3,)], distinct=True, reference=np.fmin),
    Case("nan_to_num", lambda x: mt.nan_to_num(x), [(2, 3)], reference=np.nan_to_num),
]


def _erfinv_by_bisection(y: np.ndarray) -> np.ndarray:
    """erfinv by bisection on math.erf: slow and simple, an independent reference."""
    low, high = np.full(y.shape, -6.0), np.full(y.shape, 6.0)
    erf = np.vectorize(math.erf)
    for _ in range(200):
        middle = (low + high) / 2
        below = erf(middle) < y
        low, high = np.where(below, middle, low), np.where(below, high, middle)
    return (low + high) / 2


# --------------------------------------------------------------------------- accuracy


def test_erfc_matches_math_erfc_to_round_off_into_the_far_tail() -> None:
    x = np.concatenate([np.linspace(-6, 6, 1201), np.linspace(6, 27, 400)])
    expected = _erfc_reference(x)
    np.testing.assert_allclose(erfc_array(x), expected, rtol=5e-14, atol=0)
    assert erfc_array(np.array([np.inf, -np.inf]))[0] == 0
    assert erfc_array(np.array([-np.inf]))[0] == 2
    assert np.isnan(erfc_array(np.array([np.nan])))[0]


def test_erfinv_inverts_erf_to_round_off() -> None:
    x = np.concatenate([np.linspace(-0.999999, 0.999999, 2001), [1e-300, -1e-20, 0.0]])
    z = erfinv_array(x)
    erf = np.vectorize(math.erf)
    np.testing.assert_allclose(erf(z), x, rtol=4e-15, atol=1e-300)
    # near 1: the tail is solved on erfc, where erf would round to 1
    tail = np.array([1 - 2.0**-52, 1 - 1e-12, 1 - 1e-8])
    np.testing.assert_allclose(_erfc_reference(erfinv_array(tail)), 1 - tail, rtol=1e-13)


def test_erfinv_edges_and_dtype() -> None:
    out = erfinv_array(np.array([1.0, -1.0, 1.5, -2.0, np.nan, 0.0, -0.0]))
    assert out[0] == np.inf and out[1] == -np.inf
    assert np.isnan(out[2:5]).all()
    assert out[5] == 0 and np.signbit(out[6])
    assert erfinv_array(np.array([0.5], dtype=np.float32)).dtype == np.float32


def test_erfinv_gradient_is_the_reciprocal_slope_of_erf() -> None:
    x = mt.tensor([0.3, -0.7], dtype=mt.float64, requires_grad=True)
    mt.erfinv(x).sum().backward()
    z = erfinv_array(np.array([0.3, -0.7]))
    np.testing.assert_allclose(x.grad.numpy(), math.sqrt(math.pi) / 2 * np.exp(z * z))


# --------------------------------------------------------------------------- dtypes


@pytest.mark.parametrize("name", ["tan", "asin", "sinh", "exp2", "log2", "erfc", "erfinv",
                                  "rsqrt", "reciprocal", "logit", "expm1"])
def test_math_of_integers_is_the_default_float(name: str) -> None:
    out = getattr(mt, name)(mt.tensor([0, 1, 2]))
    assert out.dtype == mt.float32
    mt.set_default_dtype(mt.float64)
    try:
        assert getattr(mt, name)(mt.tensor([0, 1])).dtype == mt.float64
    finally:
        mt.set_default_dtype(mt.float32)


@pytest.mark.parametrize("name", ["floor", "ceil", "round", "trunc", "fix"])
def test_rounding_keeps_integers_and_refuses_bool(name: str) -> None:
    x = mt.tensor([-3, 0, 7])
    out = getattr(mt, name)(x)
    assert out.dtype == mt.int64 and out.tolist() == [-3, 0, 7]
    with pytest.raises(NotImplementedError, match="Bool"):
        getattr(mt, name)(mt.tensor([True]))


def test_round_is_half_to_even_with_and_without_decimals() -> None:
    x = mt.tensor([0.5, 1.5, 2.5, -2.5, 0.125, 0.375], dtype=mt.float64)
    assert mt.round(x).tolist() == [0.0, 2.0, 2.0, -2.0, 0.0, 0.0]
    assert mt.round(x, decimals=2).tolist() == [0.5, 1.5, 2.5, -2.5, 0.12, 0.38]
    assert mt.round(mt.tensor([15.0, 25.0]), decimals=-1).tolist() == [20.0, 20.0]


def test_floor_ceil_trunc_gradients_are_zero() -> None:
    x = mt.tensor([0.3, -1.7, 2.0], requires_grad=True)
    (mt.floor(x) + mt.ceil(x) + mt.trunc(x) + mt.round(x) + mt.sgn(x)).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]


def test_integer_division_by_zero_raises_like_floor_division() -> None:
    for call in (lambda: mt.fmod(mt.tensor([1, 2]), 0),
                 lambda: mt.tensor([1, 2]) % mt.tensor([1, 0]),
                 lambda: mt.div(mt.tensor([1]), 0, rounding_mode="trunc")):
        with pytest.raises(RuntimeError, match="ZeroDivisionError"):
            call()


def test_integer_trunc_division_is_exact_for_large_int64() -> None:
    a = mt.tensor([2**62 + 1, -(2**62) - 1, -7, 7])
    b = mt.tensor([3, 3, 2, -2])
    expected = [(abs(x) // abs(y)) * (-1 if (x < 0) != (y < 0) else 1)
                for x, y in zip(a.tolist(), b.tolist())]
    assert mt.div(a, b, rounding_mode="trunc").tolist() == expected
    assert mt.div(a, b, rounding_mode="floor").tolist() == [x // y for x, y in
                                                           zip(a.tolist(), b.tolist())]


def test_remainder_of_float_keeps_the_sign_of_zero_as_pytorch() -> None:
    out = mt.remainder(mt.tensor([-0.0, 0.0, -3.0]), 3.0)
    assert np.signbit(out.numpy()).tolist() == [True, False, True]


# --------------------------------------------------------------------------- gradients


def test_remainder_operator_is_differentiable_in_both_arguments() -> None:
    a = mt.tensor([1.5, -2.5], dtype=mt.float64, requires_grad=True)
    b = mt.tensor([0.7, 0.7], dtype=mt.float64, requires_grad=True)
    (a % b).sum().backward()
    assert a.grad.tolist() == [1.0, 1.0]
    assert b.grad.tolist() == [-2.0, 4.0]  # -floor(a / b)


def test_number_mod_tensor_is_differentiable_here() -> None:
    # (PyTorch: "derivative for aten::remainder is not implemented" for number % tensor)
    b = mt.tensor([0.7, 2.0], dtype=mt.float64, requires_grad=True)
    (5.5 % b).sum().backward()
    assert b.grad.tolist() == [-7.0, -2.0]


def test_in_place_mod_and_floor_division() -> None:
    x = mt.tensor([5.5, -5.5])
    x %= 2.0
    assert x.tolist() == [1.5, 0.5]
    y = mt.tensor([7, -7])
    y //= 2
    assert y.tolist() == [3, -4] and y.dtype == mt.int64


def test_logaddexp_second_derivative_far_apart_is_finite() -> None:
    # PyTorch gives nan here (inf / inf in its formula); the true value is ~0
    a = mt.tensor([1000.0, 0.0], dtype=mt.float64, requires_grad=True)
    b = mt.tensor([1.0, 0.0], dtype=mt.float64, requires_grad=True)
    (grad_a,) = mt.autograd.grad(mt.logaddexp(a, b).sum(), [a], create_graph=True)
    (second,) = mt.autograd.grad(grad_a.sum(), [a])
    assert np.isfinite(second.numpy()).all()
    np.testing.assert_allclose(second.numpy(), [0.0, 0.25], atol=1e-300)


def test_masked_gradients_select_instead_of_multiplying() -> None:
    # an infinite incoming gradient where the mask is 0 gives 0, not 0 * inf = nan
    x = mt.tensor([float("nan"), 1.0], dtype=mt.float64, requires_grad=True)
    z = mt.nan_to_num(x)
    z.backward(mt.tensor([float("inf"), 1.0], dtype=mt.float64))
    assert x.grad.tolist() == [0.0, 1.0]
    a = mt.tensor([0.0, 2.0], dtype=mt.float64, requires_grad=True)
    mt.copysign(a, -1.0).backward(mt.tensor([float("inf"), 1.0], dtype=mt.float64))
    assert a.grad.tolist() == [0.0, -1.0]


def test_fmax_ties_go_to_the_first_argument() -> None:
    a = mt.tensor([1.0, float("nan"), 2.0], requires_grad=True)
    b = mt.tensor([1.0, 3.0, float("nan")], requires_grad=True)
    out = mt.fmax(a, b)
    assert out.tolist() == [1.0, 3.0, 2.0]
    out.sum().backward()
    assert a.grad.tolist() == [1.0, 0.0, 1.0] and b.grad.tolist() == [0.0, 1.0, 0.0]


def test_clamp_min_keeps_negative_zero() -> None:
    out = mt.tensor([-0.0, -1.0, 0.5]).clamp(min=0.0)
    assert np.signbit(out.numpy()).tolist() == [True, False, False]


# --------------------------------------------------------------------------- warnings and errors


def test_domain_edges_warn_nothing() -> None:
    x = mt.tensor([-2.0, -1.0, 0.0, 1.0, 2.0, float("inf"), float("nan"), 1e300],
                  dtype=mt.float64, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name in ("tan", "asin", "acos", "acosh", "atanh", "log2", "log10", "log1p", "rsqrt",
                     "reciprocal", "erfc", "erfinv", "logit", "exp2", "expm1", "sinh", "cosh",
                     "square", "frac"):
            out = getattr(mt, name)(x)
            out.backward(mt.ones_like(out))


def test_in_place_math_of_an_integer_tensor_is_refused() -> None:
    with pytest.raises(RuntimeError, match="can't be cast"):
        mt.tensor([1, 2]).tan_()


def test_in_place_forms_write_the_tensor() -> None:
    x = mt.tensor([0.25, 0.5])
    assert x.asin_() is x
    np.testing.assert_allclose(x.numpy(), np.arcsin([0.25, 0.5]), rtol=1e-6)
    y = mt.tensor([1.5, -1.5])
    y.frac_()
    assert y.tolist() == [0.5, -0.5]


def test_errors_name_the_op() -> None:
    with pytest.raises(TypeError, match="tan"):
        mt.tan([1.0])
    with pytest.raises(NotImplementedError, match="hypot_cpu"):
        mt.hypot(mt.tensor([1]), mt.tensor([2]))
    with pytest.raises(RuntimeError, match="rounding_mode"):
        mt.div(mt.tensor([1.0]), 2.0, rounding_mode="nearest")
    with pytest.raises(RuntimeError, match="expected dtype float"):
        mt.lerp(mt.tensor([1.0]), mt.tensor([1.0], dtype=mt.float64), 0.5)
    with pytest.raises(RuntimeError, match="different dtypes"):
        mt.heaviside(mt.tensor([1.0]), mt.tensor([1]))


def test_special_namespace() -> None:
    x = mt.tensor([0.25, 0.5], dtype=mt.float64)
    assert mt.special.expit(x).allclose(mt.sigmoid(x))
    assert mt.special.logit(x).allclose(mt.logit(x))
    assert mt.special.xlogy(x, x).allclose(x * x.log())
    for name in ("erf", "erfc", "erfinv", "exp2", "expm1", "log1p"):
        assert getattr(mt.special, name)(x).allclose(getattr(mt, name)(x))


def test_numpy_aliases_are_the_same_functions() -> None:
    assert mt.arcsin is mt.asin and mt.arctan2 is mt.atan2 and mt.fix is mt.trunc
    x = mt.tensor([-1.5, 2.0])
    assert mt.negative(x).tolist() == [1.5, -2.0]
    assert mt.absolute(x).tolist() == [1.5, 2.0]
    assert mt.multiply(x, 2).tolist() == [-3.0, 4.0]
    assert mt.subtract(x, 1, alpha=2).tolist() == [-3.5, 0.0]
    assert mt.divide(x, 2).tolist() == [-0.75, 1.0]
    assert mt.true_divide(mt.tensor([3]), 2).tolist() == [1.5]
