"""Statistics and everyday math (``ops/statistics.py``): gradients through the compositions and
the gamma-function ops, forward values against NumPy, edge cases and errors. PyTorch parity is
in the golden groups ``extras``, ``extras_counts`` and ``extras_scatter``."""

from __future__ import annotations

import math

import numpy as np
import pytest

import microtensor as mt
from tests.gradcheck_cases import Case

LGAMMA = np.frompyfunc(math.lgamma, 1, 1)


def _lgamma(x: np.ndarray) -> np.ndarray:
    return np.asarray(LGAMMA(x), dtype=np.float64)


def _digamma(x: np.ndarray, terms: int = 1000) -> np.ndarray:
    """ψ(x) = ψ(x + N) - Σₖ<N 1/(x + k), with ψ(y) ≈ ln y - 1/(2y) - 1/(12y²) + 1/(120y⁴) for
    y = x + N ≥ 1000 (the next term is below 1e-20)."""
    y = x + terms
    head = sum(1 / (x + k) for k in range(terms))
    return np.log(y) - 1 / (2 * y) - 1 / (12 * y**2) + 1 / (120 * y**4) - head


def _trigamma(x: np.ndarray, terms: int = 1000) -> np.ndarray:
    y = x + terms
    head = sum(1 / (x + k) ** 2 for k in range(terms))
    return head + 1 / y + 1 / (2 * y**2) + 1 / (6 * y**3) - 1 / (30 * y**5)


def _np_cdist(a: np.ndarray, b: np.ndarray, p: float) -> np.ndarray:
    d = np.abs(a[..., :, None, :] - b[..., None, :, :])
    return d.max(-1) if p == np.inf else (d**p).sum(-1) ** (1 / p)


def _np_block_diag(*blocks: np.ndarray) -> np.ndarray:
    blocks = [np.atleast_2d(b) for b in blocks]
    out = np.zeros((sum(b.shape[0] for b in blocks), sum(b.shape[1] for b in blocks)))
    r = c = 0
    for b in blocks:
        out[r:r + b.shape[0], c:c + b.shape[1]] = b
        r, c = r + b.shape[0], c + b.shape[1]
    return out


def _scatter_reference(x: np.ndarray, src: np.ndarray, index) -> np.ndarray:
    out = x.copy()
    out[index] = src
    return out


GRADCHECK_CASES = [
    Case("extras.diff", lambda x: mt.diff(x, n=2, dim=0), [(5, 3)],
         reference=lambda x: np.diff(x, n=2, axis=0)),
    Case("extras.diff_prepend", lambda x, p: x.diff(dim=1, prepend=p), [(2, 3), (2, 2)],
         reference=lambda x, p: np.diff(np.concatenate([p, x], 1), axis=1)),
    Case("extras.cov", lambda x: mt.cov(x), [(3, 5)], reference=np.cov),
    Case("extras.cov_weights",
         lambda x, w: mt.cov(x, fweights=mt.tensor([1, 2, 1, 3]), aweights=w.abs()),
         [(2, 4), (4,)],
         reference=lambda x, w: np.cov(x, fweights=[1, 2, 1, 3], aweights=np.abs(w))),
    Case("extras.corrcoef", lambda x: mt.corrcoef(x), [(3, 6)], reference=np.corrcoef),
    Case("extras.quantile_linear", lambda x: mt.quantile(x, mt.tensor(
        [0.1, 0.5, 0.85], dtype=mt.float64), dim=1), [(2, 7)], distinct=True,
         reference=lambda x: np.quantile(x, [0.1, 0.5, 0.85], axis=1)),
    Case("extras.quantile_midpoint", lambda x: x.quantile(0.3, interpolation="midpoint"),
         [(9,)], distinct=True,
         reference=lambda x: np.quantile(x, 0.3, method="midpoint")),
    Case("extras.nanquantile", lambda x: mt.nanquantile(x, 0.4, dim=0, keepdim=True),
         [(6, 2)], distinct=True,
         reference=lambda x: np.nanquantile(x, 0.4, axis=0, keepdims=True)),
    Case("extras.cdist", lambda a, b: mt.cdist(a, b), [(4, 3), (5, 3)],
         reference=lambda a, b: _np_cdist(a, b, 2.0)),
    Case("extras.cdist_p1_batched", lambda a, b: mt.cdist(a, b, p=1.0), [(2, 3, 2), (2, 4, 2)],
         reference=lambda a, b: _np_cdist(a, b, 1.0)),
    Case("extras.pdist", lambda x: mt.pdist(x, 3), [(4, 2)],
         reference=lambda x: _np_cdist(x, x, 3.0)[np.triu_indices(4, 1)]),
    Case("extras.dist", lambda a, b: mt.dist(a, b, 1.5), [(3, 2), (2,)],
         reference=lambda a, b: (np.abs(a - b) ** 1.5).sum() ** (1 / 1.5)),
    Case("extras.addcmul", lambda x, a, b: mt.addcmul(x, a, b, value=0.5), [(2, 3), (3,), (2, 1)],
         reference=lambda x, a, b: x + 0.5 * a * b),
    Case("extras.addcdiv", lambda x, a, b: x.addcdiv(a, b, value=-2), [(3,), (3,), (3,)],
         positive=True, reference=lambda x, a, b: x - 2 * a / b),
    Case("extras.float_power", lambda x, y: mt.float_power(x, y), [(4,), (4,)], positive=True,
         reference=np.power),
    Case("extras.deg2rad", lambda x: mt.deg2rad(x), [(3,)], reference=np.deg2rad),
    Case("extras.rad2deg", lambda x: x.rad2deg(), [(3,)], reference=np.rad2deg),
    Case("extras.sinc", lambda x: mt.sinc(x), [(2, 4)], reference=np.sinc),
    Case("extras.ldexp", lambda x: mt.ldexp(x, mt.tensor([-2, 0, 3])), [(3,)],
         reference=lambda x: x * np.array([0.25, 1.0, 8.0])),
    Case("extras.frexp_mantissa", lambda x: mt.frexp(x).mantissa, [(5,)],
         reference=lambda x: np.frexp(x)[0]),
    Case("extras.renorm", lambda x: mt.renorm(x, 2, 0, 1.0), [(3, 4)],
         reference=lambda x: x * np.where(np.linalg.norm(x, axis=1, keepdims=True) > 1,
                                          1 / (np.linalg.norm(x, axis=1, keepdims=True) + 1e-7),
                                          1)),
    Case("extras.select_scatter", lambda x, s: mt.select_scatter(x, s, 1, 2), [(3, 4), (3,)],
         reference=lambda x, s: _scatter_reference(x, s, (slice(None), 2))),
    Case("extras.slice_scatter", lambda x, s: mt.slice_scatter(x, s, 0, 1, 5, 2),
         [(5, 2), (2, 2)], reference=lambda x, s: _scatter_reference(x, s, slice(1, 5, 2))),
    Case("extras.diagonal_scatter", lambda x, s: mt.diagonal_scatter(x, s, 1), [(3, 4), (3,)],
         reference=lambda x, s: _scatter_reference(x, s, (np.arange(3), np.arange(1, 4)))),
    Case("extras.narrow_copy", lambda x: mt.narrow_copy(x, 1, 1, 2), [(3, 4)],
         reference=lambda x: x[:, 1:3]),
    Case("extras.sum_to_size", lambda x: x.sum_to_size(3, 1), [(2, 3, 4)],
         reference=lambda x: x.sum(axis=(0, 2))[:, None]),
    Case("extras.cartesian_prod", lambda a, b: mt.cartesian_prod(a, b), [(3,), (2,)],
         reference=lambda a, b: np.stack(np.meshgrid(a, b, indexing="ij"), -1).reshape(-1, 2)),
    Case("extras.combinations", lambda x: mt.combinations(x, 2), [(4,)],
         reference=lambda x: x[np.array([[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]])]),
    Case("extras.block_diag", lambda a, b: mt.block_diag(a, b), [(2, 2), (3,)],
         reference=_np_block_diag),
    Case("extras.lgamma", lambda x: mt.lgamma(x), [(2, 3)], positive=True, reference=_lgamma),
    Case("extras.lgamma_negative", lambda x: (x - 3.0).lgamma(), [(4,)], positive=True,
         reference=lambda x: _lgamma(x - 3.0)),
    Case("extras.digamma", lambda x: mt.digamma(x), [(2, 3)], positive=True,
         reference=_digamma),
    Case("extras.polygamma1", lambda x: mt.polygamma(1, x), [(4,)], positive=True,
         reference=_trigamma),
    Case("extras.polygamma3", lambda x: x.polygamma(3), [(3,)], positive=True,
         reference=lambda x: 6 * sum(1 / (x + k) ** 4 for k in range(200000))),
    Case("extras.mvlgamma", lambda x: mt.mvlgamma(x + 1.0, 3), [(2, 2)], positive=True,
         reference=lambda x: 1.5 * np.log(np.pi) + sum(_lgamma(x + 1.0 - i / 2)
                                                      for i in range(3))),
]


# --------------------------------------------------------------------------- diff, cov


def test_diff_of_bools_is_inequality_and_n_beyond_the_length_is_empty() -> None:
    x = mt.tensor([True, True, False, True])
    np.testing.assert_array_equal(mt.diff(x).numpy(), [False, True, True])
    assert mt.diff(mt.arange(3.0), n=5).shape == (0,)
    np.testing.assert_array_equal(mt.diff(mt.tensor([1, 4, 9]), append=mt.tensor([16])).numpy(),
                                  [3, 5, 7])


@pytest.mark.parametrize("call, fragment", [
    (lambda: mt.diff(mt.tensor(1.0)), "one-dimensional"),
    (lambda: mt.diff(mt.ones(3), n=-1), "non-negative"),
    (lambda: mt.cov(mt.ones(2, 2, 2)), "two or fewer dimensions"),
    (lambda: mt.cov(mt.ones(2, 3), fweights=mt.ones(3)), "integral dtype"),
    (lambda: mt.cov(mt.ones(2, 3), aweights=mt.ones(2)), "same numel"),
    (lambda: mt.cov(mt.ones(2, 3), fweights=mt.tensor([1, -1, 1])), "cannot be negative"),
])
def test_diff_and_cov_errors(call, fragment) -> None:
    with pytest.raises(RuntimeError, match=fragment):
        call()


def test_cov_of_integers_and_of_one_observation() -> None:
    x = np.array([[1, 4, 2, 8], [3, 3, 5, 1]])
    np.testing.assert_allclose(mt.cov(mt.tensor(x)).numpy(), np.cov(x), rtol=1e-6)
    assert mt.cov(mt.tensor(x)).dtype == mt.float32
    with np.errstate(all="ignore"):
        single = mt.cov(mt.tensor([[1.0], [2.0]])).numpy()
    assert np.isnan(single).all()  # 0 / 0, as in PyTorch, and no warning leaks


def test_corrcoef_is_clipped_to_minus_one_one() -> None:
    x = mt.tensor([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [-3.0, -6.0, -9.0]], dtype=mt.float64)
    c = mt.corrcoef(x).numpy()
    assert c.max() <= 1 and c.min() >= -1
    np.testing.assert_allclose(c, [[1, 1, -1], [1, 1, -1], [-1, -1, 1]], atol=1e-12)


# --------------------------------------------------------------------------- quantiles


@pytest.mark.parametrize("method", ["linear", "lower", "higher", "midpoint", "nearest"])
def test_quantile_matches_numpy_for_every_interpolation(method: str) -> None:
    x = np.random.default_rng(0).standard_normal((4, 9))
    q = np.array([0.0, 0.125, 0.5, 0.6, 1.0])
    ours = mt.quantile(mt.tensor(x), mt.tensor(q), dim=1, interpolation=method).numpy()
    np.testing.assert_allclose(ours, np.quantile(x, q, axis=1, method=method), rtol=1e-12)


def test_quantile_nan_handling() -> None:
    x = mt.tensor([[1.0, float("nan"), 3.0], [float("nan")] * 3], dtype=mt.float64)
    assert np.isnan(mt.quantile(x, 0.5, dim=1).numpy()).all()
    np.testing.assert_array_equal(mt.nanquantile(x, 0.5, dim=1).numpy(), [2.0, np.nan])


def test_quantile_shapes() -> None:
    x = mt.randn(2, 3, 4, dtype=mt.float64)
    q = mt.tensor([0.2, 0.8], dtype=mt.float64)
    assert mt.quantile(x, q).shape == (2,)
    assert mt.quantile(x, q, keepdim=True).shape == (2, 1, 1, 1)
    assert mt.quantile(x, q, dim=1).shape == (2, 2, 4)
    assert mt.quantile(x, q, dim=-1, keepdim=True).shape == (2, 2, 3, 1)
    assert mt.quantile(x, 0.5, dim=0).shape == (3, 4)
    assert mt.quantile(mt.tensor(2.0, dtype=mt.float64), 0.5).shape == ()


@pytest.mark.parametrize("call, fragment", [
    (lambda: mt.quantile(mt.ones(3), 1.5), r"range \[0, 1\]"),
    (lambda: mt.quantile(mt.ones(0), 0.5), "non-empty"),
    (lambda: mt.quantile(mt.ones(3), 0.5, interpolation="cubic"), "interpolation"),
    (lambda: mt.quantile(mt.ones(3), mt.tensor([0.5], dtype=mt.float64)), "same dtype"),
    (lambda: mt.quantile(mt.tensor([1, 2]), 0.5), "float or double"),
])
def test_quantile_errors(call, fragment) -> None:
    with pytest.raises(RuntimeError, match=fragment):
        call()


# --------------------------------------------------------------------------- counting


def test_histc_matches_numpy_histogram() -> None:
    x = np.random.default_rng(1).standard_normal(500)
    counts = mt.histc(mt.tensor(x), bins=7, min=-2, max=2).numpy()
    inside = x[(x >= -2) & (x <= 2)]
    np.testing.assert_array_equal(counts, np.histogram(inside, 7, (-2, 2))[0])
    data_range = mt.histc(mt.tensor(x), bins=5).numpy()
    np.testing.assert_array_equal(data_range, np.histogram(x, 5)[0])
    assert mt.histc(mt.tensor([2.0, 2.0]), 4).numpy().tolist() == [0.0, 0.0, 2.0, 0.0]


def test_histogram_counts_weights_and_density() -> None:
    x = np.random.default_rng(2).standard_normal(300)
    w = np.random.default_rng(3).uniform(0, 1, 300)
    hist, edges = mt.histogram(mt.tensor(x), 6, range=(-1.5, 1.5), weight=mt.tensor(w))
    want, want_edges = np.histogram(x, 6, (-1.5, 1.5), weights=w)
    np.testing.assert_allclose(hist.numpy(), want, rtol=1e-12)
    np.testing.assert_allclose(edges.numpy(), want_edges, rtol=1e-12)
    density, _ = mt.histogram(mt.tensor(x), mt.tensor([-3.0, 0.0, 0.5, 3.0]), density=True)
    np.testing.assert_allclose(density.numpy(),
                               np.histogram(x, [-3.0, 0.0, 0.5, 3.0], density=True)[0])


def test_bincount() -> None:
    x = mt.tensor([0, 1, 1, 3])
    assert mt.bincount(x).numpy().tolist() == [1, 2, 0, 1]
    assert mt.bincount(x, minlength=6).shape == (6,)
    assert mt.bincount(x, mt.tensor([0.5, 1.0, 2.0, 4.0])).numpy().tolist() == [0.5, 3, 0, 4]
    assert mt.bincount(x, mt.tensor([0.5, 1.0, 2.0, 4.0])).dtype == mt.float32
    assert mt.bincount(x, mt.tensor([1, 2, 3, 4])).dtype == mt.float64
    with pytest.raises(RuntimeError, match="1-d non-negative"):
        mt.bincount(mt.tensor([-1]))
    with pytest.raises(NotImplementedError, match="Float"):
        mt.bincount(mt.tensor([1.0]))


def test_isin_and_set_helpers() -> None:
    x = mt.tensor([[1, 2], [3, 4]])
    np.testing.assert_array_equal(mt.isin(x, mt.tensor([2, 4, 9])).numpy(),
                                  [[False, True], [False, True]])
    np.testing.assert_array_equal(mt.isin(x, 3, invert=True).numpy(),
                                  [[True, True], [False, True]])
    assert mt.isin(2, mt.tensor([1, 2])).item() is True
    rows, cols = np.tril_indices(3, -1, 4)
    np.testing.assert_array_equal(mt.tril_indices(3, 4, -1).numpy(), [rows, cols])
    rows, cols = np.triu_indices(4, 1, 2)
    np.testing.assert_array_equal(mt.triu_indices(4, 2, 1).numpy(), [rows, cols])
    assert mt.triu_indices(3, 3).dtype == mt.int64


def test_integer_math() -> None:
    a, b = mt.tensor([12, -18, 0, 7]), mt.tensor([8, 12, 0, 0])
    assert mt.gcd(a, b).numpy().tolist() == [4, 6, 0, 7]
    assert mt.lcm(a, b).numpy().tolist() == [24, 36, 0, 0]
    with pytest.raises(NotImplementedError, match="Float"):
        mt.gcd(mt.ones(2), mt.ones(2))
    mantissa, exponent = mt.frexp(mt.tensor([8.0, -0.375, 0.0]))
    assert mantissa.numpy().tolist() == [0.5, -0.75, 0.0]
    assert exponent.numpy().tolist() == [4, -1, 0] and exponent.dtype == mt.int32
    up = mt.nextafter(mt.tensor([1.0], dtype=mt.float64), mt.tensor([2.0], dtype=mt.float64))
    assert up.item() == np.nextafter(1.0, 2.0)


# --------------------------------------------------------------------------- where we are right


def test_ldexp_gradient_is_two_to_the_exponent_even_for_negative_integer_exponents() -> None:
    x = mt.tensor([1.5, -2.0, 3.0], dtype=mt.float64, requires_grad=True)
    mt.ldexp(x, mt.tensor([-3, 0, 2])).sum().backward()
    assert x.grad.numpy().tolist() == [0.125, 1.0, 4.0]  # PyTorch gives 0 for the first


def test_dist_p0_counts_differences_and_has_a_zero_gradient() -> None:
    a = mt.tensor([1.0, 2.0, 3.0], dtype=mt.float64, requires_grad=True)
    d = mt.dist(a, mt.tensor([1.0, 0.0, 0.0], dtype=mt.float64), 0)
    assert d.item() == 2.0
    d.backward()  # PyTorch's backward raises an internal error here
    assert a.grad.numpy().tolist() == [0.0, 0.0, 0.0]


def test_cdist_gradient_is_zero_at_a_zero_distance() -> None:
    a = mt.tensor([[1.0, 2.0]], dtype=mt.float64, requires_grad=True)
    mt.cdist(a, mt.tensor([[1.0, 2.0], [4.0, 6.0]], dtype=mt.float64)).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), [[-0.6, -0.8]])


def test_sinc_at_zero_is_one_with_a_zero_gradient() -> None:
    x = mt.tensor([0.0, 1.0], dtype=mt.float64, requires_grad=True)
    y = mt.sinc(x)
    assert y.detach().numpy()[0] == 1.0 and abs(y.detach().numpy()[1]) < 1e-16
    y.sum().backward()
    assert x.grad.numpy()[0] == 0.0 and np.isclose(x.grad.numpy()[1], -1.0)


def test_gamma_functions_at_known_values() -> None:
    euler_gamma = 0.5772156649015329
    x = mt.tensor([1.0, 0.5, 2.0], dtype=mt.float64)
    np.testing.assert_allclose(mt.digamma(x).numpy(),
                               [-euler_gamma, -euler_gamma - 2 * math.log(2), 1 - euler_gamma],
                               rtol=1e-15)
    np.testing.assert_allclose(mt.polygamma(1, x).numpy(),
                               [math.pi**2 / 6, math.pi**2 / 2, math.pi**2 / 6 - 1], rtol=1e-14)
    zeta3 = 1.2020569031595942
    np.testing.assert_allclose(mt.polygamma(2, x[:1]).numpy(), [-2 * zeta3], rtol=1e-14)
    np.testing.assert_allclose(mt.lgamma(x).numpy(), [0.0, math.log(math.pi) / 2, 0.0],
                               atol=1e-15)
    poles = mt.tensor([0.0, -0.0, -3.0], dtype=mt.float64)
    assert mt.lgamma(poles).numpy().tolist() == [math.inf] * 3
    digamma_poles = mt.digamma(poles).numpy()
    assert digamma_poles[0] == -math.inf and digamma_poles[1] == math.inf
    assert np.isnan(digamma_poles[2])
    assert mt.digamma(mt.tensor([-0.5], dtype=mt.float64)).item() == pytest.approx(
        0.03648997397857652, rel=1e-14)


def test_gamma_function_of_integers_is_float_and_polygamma_rejects_negative_n() -> None:
    assert mt.lgamma(mt.tensor([1, 2, 3])).dtype == mt.float32
    with pytest.raises(RuntimeError, match="negative n"):
        mt.polygamma(-1, mt.ones(2))


# --------------------------------------------------------------------------- shapes and memory


def test_split_select_and_sum_to_size() -> None:
    x = mt.arange(10.0).reshape(5, 2)
    parts = mt.split_with_sizes(x, [1, 4])
    assert [tuple(p.shape) for p in parts] == [(1, 2), (4, 2)]
    assert mt.select(x, 1, -1).numpy().tolist() == [1.0, 3.0, 5.0, 7.0, 9.0]
    with pytest.raises(IndexError, match="out of range"):
        x.select(0, 5)
    with pytest.raises(RuntimeError, match="sum exactly to 5"):
        x.split_with_sizes([2, 2])
    assert x.sum_to_size(1, 2).numpy().tolist() == [[20.0, 25.0]]
    with pytest.raises(RuntimeError, match="not expandable"):
        x.sum_to_size(3)


def test_stride_storage_offset_and_new() -> None:
    x = mt.zeros(3, 4, dtype=mt.float64)
    assert x.stride() == (4, 1) and x.t().stride() == (1, 4) and x.stride(0) == 4
    assert x[1:, 2:].storage_offset() == 6 and x.storage_offset() == 0
    assert x.expand(2, 3, 4).stride() == (0, 4, 1)
    made = x.new(2, 5)
    assert made.shape == (2, 5) and made.dtype == mt.float64
    assert x.new([1, 2]).numpy().tolist() == [1.0, 2.0] and x.new([1, 2]).dtype == mt.float64
    assert x.new().shape == (0,) and x.new(mt.Size([2])).shape == (2,)


def test_scatter_ops_leave_the_input_unchanged() -> None:
    x = mt.zeros(2, 3)
    y = mt.slice_scatter(x, mt.ones(2, 1), dim=1, start=2)
    assert x.sum().item() == 0 and y.numpy().tolist() == [[0, 0, 1], [0, 0, 1]]
    with pytest.raises(RuntimeError, match="equal to the slice"):
        mt.diagonal_scatter(x, mt.ones(3))


def test_logspace_and_float_power() -> None:
    np.testing.assert_allclose(mt.logspace(0, 3, 4, base=2).numpy(), [1, 2, 4, 8])
    assert mt.logspace(0, 1, 3).dtype == mt.float32
    assert mt.float_power(mt.tensor([2]), 3).dtype == mt.float64
    with pytest.raises(RuntimeError, match="float_power_"):
        mt.ones(2).float_power_(2)


@pytest.mark.parametrize("call, fragment", [
    (lambda: mt.cdist(mt.ones(2, 3), mt.ones(2, 4)), "same number of columns"),
    (lambda: mt.cdist(mt.ones(3), mt.ones(3)), "at least 2D"),
    (lambda: mt.pdist(mt.ones(3)), "2D"),
    (lambda: mt.cdist(mt.ones(2, 2), mt.ones(2, 2), p=-1.0), "non-negative p"),
    (lambda: mt.block_diag(mt.ones(1, 1, 1)), "2 or fewer"),
    (lambda: mt.cartesian_prod(mt.ones(2, 2)), "1D vector"),
    (lambda: mt.positive(mt.tensor([True])), "bool tensor"),
    (lambda: mt.addcdiv(mt.ones(2), mt.tensor([1, 2]), mt.tensor([1, 2])), "Integer division"),
])
def test_errors(call, fragment) -> None:
    with pytest.raises(RuntimeError, match=fragment):
        call()


def test_no_numpy_warnings_leak() -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mt.sinc(mt.tensor([0.0, float("inf")]))
        mt.digamma(mt.tensor([0.0, -1.0, float("-inf")]))
        mt.polygamma(2, mt.tensor([0.0, -1.0, float("inf")]))
        mt.lgamma(mt.tensor([0.0, -2.0]))
        mt.histogram(mt.tensor([1.0, 2.0]), 2, density=True)
        mt.corrcoef(mt.tensor([[1.0, 1.0], [1.0, 2.0]]))
        mt.multinomial(mt.tensor([1.0, 0.0]), 2)
