"""Accuracy of the fast erf / erfc / Φ kernels (microtensor/ops/special.py, pointwise.py) against
Python's math.erf / math.erfc on dense grids, tails, subnormals and special values, in float32
and float64; their gradients by finite differences (float64); and GELU built on them."""

from __future__ import annotations

import math

import numpy as np
import pytest

import microtensor as mt
from microtensor.autograd.gradcheck import gradcheck, gradgradcheck
from microtensor.ops.pointwise import erfc_array
from microtensor.ops.special import erf_array, erf_reference, normal_cdf_array

SPECIALS = [0.0, -0.0, np.inf, -np.inf, np.nan]


def _reference(f, x: np.ndarray) -> np.ndarray:
    return np.array([f(float(v)) if not math.isnan(v) else math.nan for v in x.reshape(-1)]
                    ).reshape(x.shape)


def _ulps(got: np.ndarray, exact: np.ndarray) -> np.ndarray:
    """|got - float32(exact)| in units of the float32 spacing at float32(exact)."""
    rounded = exact.astype(np.float32)
    return np.abs(got.astype(np.float64) - rounded) / np.spacing(np.abs(rounded)).astype(float)


def _float32_grid() -> np.ndarray:
    x = np.concatenate([
        np.linspace(-6, 6, 600_001, dtype=np.float32),
        np.linspace(0.999, 1.001, 20_001, dtype=np.float32),  # the join of the two pieces
        np.geomspace(1e-38, 1, 20_000).astype(np.float32),
        np.array([1e-45, 1e-40, 3.9, 4.0, 4.1, 3.4e38], np.float32),  # subnormals, clamp, max
    ])
    return np.concatenate([x, -x])


def _float64_grid() -> np.ndarray:
    x = np.concatenate([
        np.linspace(-7, 7, 400_001),
        np.linspace(1 - 1e-6, 1 + 1e-6, 2001),
        np.geomspace(5e-324, 1e-3, 3000),  # down to the smallest subnormal
        [5.9, 6.0, 6.1, 1e300],
    ])
    return np.concatenate([x, -x])


# --------------------------------------------------------------------------- erf


def test_erf_float64_to_round_off() -> None:
    x = _float64_grid()
    exact = _reference(math.erf, x)
    got = erf_array(x)
    assert got.dtype == np.float64
    normal = np.abs(exact) >= np.finfo(float).tiny
    relative = np.abs(got - exact)[normal] / np.abs(exact)[normal]
    assert relative.max() < 1.5e-15
    assert np.abs(got - exact)[~normal].max() <= 5e-324  # subnormal: the last bit


def test_erf_float32_within_one_ulp_and_mostly_correctly_rounded() -> None:
    x = _float32_grid()
    got = erf_array(x)
    assert got.dtype == np.float32
    ulps = _ulps(got, _reference(math.erf, x))
    assert ulps.max() <= 1
    assert np.mean(ulps == 0) > 0.95


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_erf_special_values_keep_dtype_and_sign_of_zero(dtype) -> None:
    got = erf_array(np.array(SPECIALS, dtype))
    assert got.dtype == dtype
    assert got[0] == 0 and not np.signbit(got[0])
    assert got[1] == 0 and np.signbit(got[1])
    assert got[2] == 1 and got[3] == -1 and np.isnan(got[4])


def test_erf_is_odd_exactly() -> None:
    x = np.linspace(0, 8, 100_001)
    assert np.array_equal(erf_array(-x), -erf_array(x))
    x32 = x.astype(np.float32)
    assert np.array_equal(erf_array(-x32), -erf_array(x32))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_erf_kernel_matches_the_plain_version(dtype) -> None:
    # several cache blocks, a partial last one, and a strided (non-contiguous) view
    x = (3 * np.random.default_rng(0).standard_normal(300_007)).astype(dtype)
    got = erf_array(x[::3])
    plain = erf_reference(x[::3])
    assert got.shape == plain.shape and got.dtype == dtype
    assert np.abs(got - plain).max() <= np.finfo(dtype).eps


def test_erf_shapes_and_integer_input() -> None:
    assert erf_array(np.array(0.5)).shape == ()
    assert erf_array(np.array(0.5)) == pytest.approx(math.erf(0.5), rel=1e-15)
    grid = np.arange(-3, 4).reshape(7, 1)
    out = erf_array(grid)
    assert out.dtype == np.float64 and out.shape == (7, 1)
    np.testing.assert_allclose(out[:, 0], [math.erf(v) for v in range(-3, 4)], rtol=1.5e-15)


# --------------------------------------------------------------------------- erfc


def test_erfc_float64_relative_accuracy_including_the_far_tail() -> None:
    x = np.concatenate([np.linspace(-7, 26.5, 300_001), [1.5, 4.0, np.nextafter(4.0, 0)]])
    exact = _reference(math.erfc, x)
    got = erfc_array(x)
    normal = exact > 1e-300  # (subnormal results have fewer digits, in math.erfc too)
    relative = np.abs(got - exact)[normal] / exact[normal]
    assert relative.max() < 2e-14
    left = x < 1  # no cancellation there: erfc = 1 - erf with erf <= 0.85, or 2 - erfc(-x)
    assert (np.abs(got - exact)[left] / exact[left]).max() < 4e-15


def test_erfc_float32_within_one_ulp() -> None:
    x = np.linspace(-5, 9.1, 400_001, dtype=np.float32)
    got = erfc_array(x)
    assert got.dtype == np.float32
    exact = _reference(math.erfc, x)
    normal = exact > np.finfo(np.float32).tiny
    assert _ulps(got, exact)[normal].max() <= 1


def test_erfc_special_values() -> None:
    for dtype in (np.float32, np.float64):
        got = erfc_array(np.array([*SPECIALS, 30.0, -30.0, 5e-45], dtype))
        assert got.dtype == dtype
        np.testing.assert_array_equal(got[:4], [1, 1, 0, 2])
        assert np.isnan(got[4])
        np.testing.assert_array_equal(got[5:], [0, 2, 1])


# --------------------------------------------------------------------------- Φ and GELU


def _exact_cdf(x: np.ndarray) -> np.ndarray:
    return _reference(lambda v: 0.5 * math.erfc(-v / math.sqrt(2)), x)


def test_normal_cdf_float32_within_three_ulps() -> None:
    x = np.linspace(-9, 9, 400_001, dtype=np.float32)
    got = normal_cdf_array(x)
    assert got.dtype == np.float32
    exact = _exact_cdf(x)
    # relative (in ulps) where Φ >= 1/2, absolute (as PyTorch's (1 + erf)/2) below
    assert _ulps(got, exact)[x >= 0].max() <= 3
    assert np.abs(got - exact)[x < 0].max() < 1.5e-7
    assert np.all(got >= 0) and np.all(got <= 1)
    assert np.all(got[x >= 5.5] == 1) and np.all(got[x <= -6] == 0)
    # saturated beyond the fitted range, up to overflow of x² and to ±inf (no clamp)
    far = np.concatenate([np.geomspace(9, 3.4e38, 20_000), [np.inf]]).astype(np.float32)
    assert np.all(normal_cdf_array(far) == 1) and np.all(normal_cdf_array(-far) == 0)
    assert np.isnan(normal_cdf_array(np.array([np.nan], np.float32)))[0]


def test_normal_cdf_float64() -> None:
    # (1 + erf)/2, as PyTorch: relative to round-off for x >= 0, absolute below
    x = np.linspace(-8, 8, 100_001)
    got, exact = normal_cdf_array(x), _exact_cdf(x)
    right = x >= 0
    np.testing.assert_allclose(got[right], exact[right], rtol=1.5e-15)
    assert np.abs(got - exact)[~right].max() < 5e-16


@pytest.mark.parametrize("dtype", [mt.float32, mt.float64])
@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_values_and_saved_backward(dtype, approximate) -> None:
    data = np.random.default_rng(1).standard_normal((3, 70_001)) * 3
    x = mt.tensor(data, dtype=dtype, requires_grad=True)
    out = mt.nn.functional.gelu(x, approximate=approximate)
    w = np.random.default_rng(2).standard_normal(data.shape)
    (out * mt.tensor(w, dtype=dtype)).sum().backward()
    xs = x.detach().numpy().astype(np.float64)
    if approximate == "none":
        cdf = _exact_cdf(xs)
        pdf = np.exp(-xs * xs / 2) / math.sqrt(2 * math.pi)
        value, slope = xs * cdf, cdf + xs * pdf
    else:
        t = np.tanh(math.sqrt(2 / math.pi) * (xs + 0.044715 * xs ** 3))
        du = math.sqrt(2 / math.pi) * (1 + 3 * 0.044715 * xs * xs)
        value, slope = 0.5 * xs * (1 + t), 0.5 * (1 + t) + 0.5 * xs * (1 - t * t) * du
    tolerance = 1e-13 if dtype == mt.float64 else 1e-6
    assert out.dtype == dtype and x.grad.dtype == dtype
    np.testing.assert_allclose(out.detach().numpy(), value, rtol=tolerance, atol=tolerance)
    if dtype == mt.float32 and approximate == "tanh":
        tolerance = 1e-5  # 1 - tanh²u in float32 loses all digits where tanh u ≈ -1
    np.testing.assert_allclose(x.grad.numpy(), w * slope, rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_special_values(approximate) -> None:
    for dtype in (mt.float32, mt.float64):
        x = mt.tensor([-np.inf, np.nan, -0.0, 0.0, 40.0, -40.0], dtype=dtype)
        out = mt.nn.functional.gelu(x, approximate=approximate).numpy()
        assert np.isnan(out[0]) and np.isnan(out[1])
        assert out[2] == 0 and np.signbit(out[2]) and out[3] == 0 and not np.signbit(out[3])
        assert out[4] == 40 and out[5] == 0


def test_gelu_zero_dimensional() -> None:
    for approximate in ("none", "tanh"):
        x = mt.tensor(0.5, requires_grad=True)
        mt.nn.functional.gelu(x, approximate=approximate).backward()
        expected = 0.5 * (1 + math.erf(0.5 / math.sqrt(2))) + 0.5 * math.exp(-0.125) / math.sqrt(
            2 * math.pi) if approximate == "none" else None
        if expected is not None:
            assert x.grad.item() == pytest.approx(expected, rel=1e-6)
        assert x.grad.shape == ()


# --------------------------------------------------------------------------- gradients


def _points() -> mt.Tensor:
    # both sides of the join at |x| = 1, and a point in each tail
    return mt.tensor([-4.5, -2.0, -1.0000001, -0.3, 0.0, 0.7, 0.9999999, 1.5, 3.0, 5.0],
                     dtype=mt.float64, requires_grad=True)


@pytest.mark.parametrize("name", ["erf", "erfc"])
def test_erf_erfc_gradcheck(name) -> None:
    f = getattr(mt, name)
    assert gradcheck(f, (_points(),))
    assert gradgradcheck(f, (_points(),))


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_gradcheck_and_double_backward(approximate) -> None:
    def f(x):
        return mt.nn.functional.gelu(x, approximate=approximate)

    assert gradcheck(f, (_points(),))
    assert gradgradcheck(f, (_points(),))
    x = _points()
    (g,) = mt.autograd.grad(f(x).sum(), x, create_graph=True)
    (h,) = mt.autograd.grad(g.sum(), x)
    xs = x.detach().numpy()
    if approximate == "none":  # d²/dx² x·Φ(x) = φ(x)·(2 - x²)
        expected = np.exp(-xs * xs / 2) / math.sqrt(2 * math.pi) * (2 - xs * xs)
        np.testing.assert_allclose(h.numpy(), expected, rtol=1e-12, atol=1e-15)
