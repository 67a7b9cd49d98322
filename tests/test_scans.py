"""Scans (cumsum, cumprod, cummax, cummin, logcumsumexp) and the reductions of issue 13 part 3
(any/all with dim, median, nanmedian, mode, nansum, nanmean, std_mean, var_mean, aminmax,
count_nonzero, dtype= and axis=), plus the norm and std findings of issue 12.

Parity with PyTorch is in the golden cases (tests/golden/cases_scans.py); here: gradchecks with
NumPy references, forward checks against NumPy, and the rules each op documents.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import microtensor as mt
from tests.gradcheck_cases import Case


def _lower_median(a: np.ndarray, axis: int) -> np.ndarray:
    ordered = np.sort(a, axis=axis)
    return np.take(ordered, (a.shape[axis] - 1) // 2, axis=axis)


def _reverse_cumsum(a: np.ndarray, axis: int) -> np.ndarray:
    return np.flip(np.cumsum(np.flip(a, axis), axis=axis), axis)


def _with_zeros(a: mt.Tensor) -> mt.Tensor:
    """Zeros at fixed places (one, two and no zeros in the rows of a (3, 4) input)."""
    mask = mt.tensor([[False, True, False, False], [True, False, False, True],
                      [False, False, False, False]])
    return mt.where(mask, 0.0, a)


def _zeros_reference(a: np.ndarray) -> np.ndarray:
    a = a.copy()
    a[0, 1] = a[1, 0] = a[1, 3] = 0.0
    return np.cumprod(a, axis=1)


GRADCHECK_CASES = [
    Case("scans.cumsum", lambda a: a.cumsum(1), [(3, 4)],
         reference=lambda a: np.cumsum(a, axis=1)),
    Case("scans.cumsum_neg_dim", lambda a: mt.cumsum(a, dim=-3), [(3, 2, 2)],
         reference=lambda a: np.cumsum(a, axis=0)),
    Case("scans.reverse_cumsum", lambda a: a.cumsum(0) * a, [(4,)],
         reference=lambda a: np.cumsum(a) * a),
    Case("scans.cumprod", lambda a: a.cumprod(1), [(3, 4)],
         reference=lambda a: np.cumprod(a, axis=1)),
    Case("scans.cumprod_zeros", lambda a: _with_zeros(a).cumprod(1), [(3, 4)],
         reference=_zeros_reference),
    Case("scans.cummax", lambda a: a.cummax(0).values, [(5, 2)], distinct=True,
         reference=lambda a: np.maximum.accumulate(a, axis=0)),
    Case("scans.cummin", lambda a: mt.cummin(a, -1)[0], [(2, 5)], distinct=True,
         reference=lambda a: np.minimum.accumulate(a, axis=-1)),
    Case("scans.logcumsumexp", lambda a: a.logcumsumexp(1), [(3, 4)],
         reference=lambda a: np.log(np.cumsum(np.exp(a), axis=1))),
    Case("scans.take_along", lambda a: a.median(1).values * a.sum(), [(3, 5)], distinct=True,
         reference=lambda a: _lower_median(a, 1) * a.sum()),
    Case("scans.scatter_add_along", lambda a: a.cummax(1).values.sum(1, keepdim=True) * a, [(2, 4)],
         distinct=True,
         reference=lambda a: np.maximum.accumulate(a, axis=1).sum(1, keepdims=True) * a),
    Case("scans.median_all", lambda a: a.median() * a, [(3, 3)], distinct=True,
         reference=lambda a: np.sort(a.ravel())[4] * a),
    Case("scans.mode", lambda a: a.mode(0).values, [(1, 4)],
         reference=lambda a: a[0]),
    Case("scans.nansum", lambda a: a.nansum(1), [(3, 4)],
         reference=lambda a: np.sum(a, axis=1)),
    Case("scans.nanmean", lambda a: a.nanmean((0, 1)), [(3, 4)],
         reference=lambda a: np.mean(a)),
    Case("scans.norm2_dim", lambda a: a.norm(dim=1, keepdim=True), [(3, 4)],
         reference=lambda a: np.sqrt(np.sum(a * a, axis=1, keepdims=True))),
    Case("scans.std_constant_shift", lambda a: a.std(0), [(4, 3)],
         reference=lambda a: np.std(a, axis=0, ddof=1)),
]


# --------------------------------------------------------------------------- scans


def test_cumsum_and_cumprod_match_numpy_and_integer_results_are_int64() -> None:
    data = np.arange(1, 13).reshape(3, 4)
    x = mt.tensor(data.astype(np.int32))
    assert x.cumsum(0).dtype == mt.int64
    np.testing.assert_array_equal(x.cumsum(1).numpy(), np.cumsum(data, axis=1))
    np.testing.assert_array_equal(x.cumprod(-1).numpy(), np.cumprod(data, axis=1))
    assert mt.tensor([True, False, True]).cumsum(0).tolist() == [1, 1, 2]
    as_float = x.cumsum(1, dtype=mt.float64)
    assert as_float.dtype == mt.float64
    np.testing.assert_array_equal(as_float.numpy(), np.cumsum(data, axis=1).astype(np.float64))


def test_scans_of_0d_and_empty_tensors() -> None:
    scalar = mt.tensor(2.5)
    assert scalar.cumsum(0).shape == () and scalar.cumsum(0).item() == 2.5
    assert scalar.cumprod(-1).item() == 2.5
    values, indices = scalar.cummax(0)
    assert values.shape == () and indices.item() == 0
    assert mt.zeros(0, 3).cumsum(0).shape == (0, 3)
    assert mt.zeros(2, 0).logcumsumexp(1).shape == (2, 0)


def test_scan_needs_a_dim_and_a_valid_one() -> None:
    with pytest.raises(TypeError, match="dim"):
        mt.ones(3).cumsum()
    with pytest.raises(IndexError, match="out of range"):
        mt.ones(3).cumsum(1)


def test_axis_is_an_alias_of_dim_in_scans() -> None:
    x = mt.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert x.cumsum(axis=0).tolist() == [[1.0, 2.0], [4.0, 6.0]]
    with pytest.raises(TypeError, match="unexpected keyword"):
        x.cumsum(0, keepdims=True)


def test_cumprod_gradient_is_exact_with_zeros() -> None:
    # y = (x0, x0 x1, x0 x1 x2, x0 x1 x2 x3), x1 = 0: dΣy/dx1 = x0 + x0 x2 + x0 x2 x3
    x = mt.tensor([2.0, 0.0, 3.0, 5.0], dtype=mt.float64, requires_grad=True)
    x.cumprod(0).sum().backward()
    assert x.grad.tolist() == [1.0, 2.0 + 6.0 + 30.0, 0.0, 0.0]
    # two zeros: only the first one gets a gradient (through the products before the second)
    x = mt.tensor([2.0, 0.0, 0.0, 5.0], dtype=mt.float64, requires_grad=True)
    x.cumprod(0).sum().backward()
    assert x.grad.tolist() == [1.0, 2.0, 0.0, 0.0]


def test_cumprod_double_backward_with_zeros_matches_finite_differences() -> None:
    x = mt.tensor([[1.5, 0.0, -0.5, 2.0]], dtype=mt.float64, requires_grad=True)
    assert mt.autograd.gradgradcheck(lambda a: a.cumprod(1), (x,))


def test_cummax_indices_take_the_last_tie_and_follow_nan() -> None:
    x = mt.tensor([1.0, 3.0, 3.0, 2.0, 3.0])
    assert x.cummax(0).indices.tolist() == [0, 1, 2, 2, 4]
    nan = float("nan")
    y = mt.tensor([1.0, nan, 0.0, 3.0, nan, -1.0])
    values, indices = y.cummin(0)
    assert indices.tolist() == [0, 1, 1, 1, 4, 4]
    assert np.isnan(values.numpy()[1:]).all()


def test_cummax_gradient_adds_up_where_one_element_is_picked_many_times() -> None:
    x = mt.tensor([3.0, 1.0, 2.0, 5.0], requires_grad=True)
    x.cummax(0).values.sum().backward()
    assert x.grad.tolist() == [3.0, 0.0, 0.0, 1.0]


def test_logcumsumexp_is_stable_for_large_and_very_negative_values() -> None:
    x = mt.tensor([1000.0, 1000.0, -1000.0], dtype=mt.float64, requires_grad=True)
    y = x.logcumsumexp(0)
    np.testing.assert_allclose(y.detach().numpy(), [1000.0, 1000.0 + np.log(2), 1000.0 + np.log(2)])
    y.backward(mt.tensor([1.0, -2.0, 0.5], dtype=mt.float64))
    np.testing.assert_allclose(x.grad.numpy(), [1.0 - 1.0 + 0.25, -1.0 + 0.25, 0.0], atol=1e-12)
    small = mt.tensor([-1000.0, -1001.0], dtype=mt.float64).logcumsumexp(0)
    np.testing.assert_allclose(small.numpy(), [-1000.0, -1000.0 + np.log1p(np.exp(-1.0))])


def test_logcumsumexp_refuses_integers_as_pytorch() -> None:
    with pytest.raises(NotImplementedError, match="Long"):
        mt.tensor([1, 2]).logcumsumexp(0)


def test_logcumsumexp_backward_is_the_softmax_weighted_tail() -> None:
    rng = np.random.default_rng(3)
    a, g = rng.standard_normal((2, 5)), rng.standard_normal((2, 5))
    x = mt.tensor(a, requires_grad=True)
    x.logcumsumexp(1).backward(mt.tensor(g))
    y = np.log(np.cumsum(np.exp(a), axis=1))
    expected = np.exp(a) * _reverse_cumsum(g * np.exp(-y), 1)
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-12)


def test_cumsum_in_place_keeps_the_dtype_and_records_the_graph() -> None:
    x = mt.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 1.0
    y.cumsum_(0)
    assert y.tolist() == [1.0, 3.0, 6.0]
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 2.0, 1.0]
    ints = mt.tensor([1, 2, 3], dtype=mt.int32)
    ints.cumsum_(0)
    assert ints.dtype == mt.int32 and ints.tolist() == [1, 3, 6]


# --------------------------------------------------------------------------- any / all, counts


def test_any_all_over_dims_and_uint8() -> None:
    data = np.array([[0, 1, 0], [0, 0, 0]])
    x = mt.tensor(data)
    assert x.any(1).tolist() == [True, False]
    assert x.all(dim=0).tolist() == [False, False, False]
    assert x.any((0, 1)).item() is True
    assert x.any(-1, keepdim=True).shape == (2, 1)
    assert mt.any(x, axis=0).tolist() == [False, True, False]
    assert mt.ones(2, 0).all(1).tolist() == [True, True]
    assert mt.ones(2, 0).any(1).tolist() == [False, False]
    as_bytes = mt.tensor([[1, 2]], dtype=mt.uint8).all(1)
    assert as_bytes.dtype == mt.uint8 and as_bytes.tolist() == [1]


def test_count_nonzero() -> None:
    x = mt.tensor([[1.0, 0.0], [3.0, 0.0], [0.0, -0.0]])
    assert mt.count_nonzero(x).item() == 2
    assert x.count_nonzero(0).tolist() == [2, 0]
    assert x.count_nonzero((0, 1)).dtype == mt.int64
    assert x.count_nonzero(axis=1).tolist() == [1, 1, 0]


# --------------------------------------------------------------------------- medians and modes


def test_median_is_the_lower_median_and_propagates_nan() -> None:
    assert mt.tensor([4.0, 1.0, 3.0, 2.0]).median().item() == 2.0
    assert np.isnan(mt.tensor([1.0, float("nan"), 3.0]).median().item())
    assert mt.tensor([1.0, float("nan"), 3.0]).nanmedian().item() == 1.0
    assert np.isnan(mt.tensor([]).median().item())


def test_median_along_a_dim_picks_the_stable_sorted_position() -> None:
    nan = float("nan")
    x = mt.tensor([[2.0, 1, 2, 1, 3], [3.0, 3, 1, 1, 1]])
    values, indices = x.median(1)
    assert values.tolist() == [2.0, 1.0] and indices.tolist() == [0, 4]
    y = mt.tensor([[1.0, nan, 3.0, 2.0], [nan, nan, 0.0, 1.0]])
    assert y.median(1).indices.tolist() == [1, 0]
    values, indices = y.nanmedian(1)
    assert values.tolist() == [2.0, 0.0] and indices.tolist() == [3, 2]


def test_median_gradient_without_dim_is_shared_among_ties() -> None:
    x = mt.tensor([1.0, 2.0, 2.0, 3.0], requires_grad=True)
    x.median().backward()
    assert x.grad.tolist() == [0.0, 0.5, 0.5, 0.0]


def test_mode_is_the_smallest_most_frequent_value_at_its_last_occurrence() -> None:
    x = mt.tensor([[2.0, 1, 2, 1, 3], [5.0, 4, 4, 5, 0]])
    values, indices = x.mode()
    assert values.tolist() == [1.0, 4.0] and indices.tolist() == [3, 2]
    assert mt.mode(mt.tensor([7, 7, 1]), 0).values.item() == 7
    picked = mt.tensor([1.0, 2.0, 2.0, 3.0], requires_grad=True)
    picked.mode(0).values.backward()
    assert picked.grad.tolist() == [0.0, 0.0, 1.0, 0.0]


def test_mode_random_rows_agree_with_a_counting_reference() -> None:
    rng = np.random.default_rng(1)
    data = rng.integers(0, 4, (50, 9))
    values, indices = mt.tensor(data).mode(1)
    for row, value, index in zip(data, values.tolist(), indices.tolist()):
        counts = np.bincount(row, minlength=4)
        assert value == int(np.argmax(counts))  # argmax: the smallest of the most frequent
        assert index == int(np.flatnonzero(row == value)[-1])


def test_median_mode_errors_on_empty_dims() -> None:
    with pytest.raises(IndexError, match="non-zero size"):
        mt.zeros(2, 0).median(1)
    with pytest.raises(IndexError, match="non-zero size"):
        mt.zeros(2, 0).mode(1)


# --------------------------------------------------------------------------- nan-ignoring


def test_nansum_and_nanmean_ignore_nan_in_values_and_gradients() -> None:
    nan = float("nan")
    x = mt.tensor([[1.0, nan, 3.0], [nan, nan, nan]], requires_grad=True)
    assert x.nansum(1).tolist() == [4.0, 0.0]
    means = x.nanmean(1)
    assert means.tolist()[0] == 2.0 and np.isnan(means.tolist()[1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (x.nansum() + x.nanmean(1)[0]).backward()
    assert x.grad.tolist() == [[1.5, 0.0, 1.5], [0.0, 0.0, 0.0]]


def test_nansum_selects_so_an_infinite_gradient_stays_off_the_nans() -> None:
    x = mt.tensor([1.0, float("nan")], requires_grad=True)
    x.nansum().backward(mt.tensor(float("inf")))
    assert x.grad.tolist() == [float("inf"), 0.0]


def test_nanmean_of_integers_is_refused_and_nansum_of_integers_is_int64() -> None:
    with pytest.raises(RuntimeError, match="floating point"):
        mt.tensor([1, 2]).nanmean()
    assert mt.tensor([1, 2], dtype=mt.int32).nansum().dtype == mt.int64


# --------------------------------------------------------------------------- var/std, aminmax


def test_std_mean_and_var_mean_return_both() -> None:
    data = np.array([[1.0, 2.0, 4.0], [0.5, 0.5, 3.0]])
    std, mean = mt.std_mean(mt.tensor(data), 1, keepdim=True)
    np.testing.assert_allclose(std.numpy(), data.std(axis=1, ddof=1, keepdims=True))
    np.testing.assert_allclose(mean.numpy(), data.mean(axis=1, keepdims=True))
    var, mean = mt.var_mean(mt.tensor(data), correction=0)
    np.testing.assert_allclose(var.numpy(), data.var())
    np.testing.assert_allclose(mean.numpy(), data.mean())


def test_var_accepts_the_positional_unbiased_forms_and_refuses_both_spellings() -> None:
    data = np.array([[1.0, 2.0, 4.0], [0.5, 0.5, 3.0]])
    x = mt.tensor(data)
    np.testing.assert_allclose(x.var(False).numpy(), data.var())
    np.testing.assert_allclose(x.var(1, False).numpy(), data.var(axis=1))
    with pytest.raises(TypeError, match="correction"):
        x.var(1, unbiased=True, correction=0)


def test_std_of_constant_slices_is_exactly_zero_with_zero_gradient() -> None:
    x = mt.tensor([[0.1, 0.1, 0.1], [0.7, 0.7, 0.7]], dtype=mt.float64, requires_grad=True)
    std = x.std(1)
    assert std.tolist() == [0.0, 0.0]
    std.sum().backward()
    assert x.grad.tolist() == [[0.0] * 3, [0.0] * 3]
    assert mt.tensor([0.1, 0.1, 0.1], dtype=mt.float64).var().item() == 0.0


def test_var_gradient_is_exact_far_from_zero() -> None:
    # x = 1e9 + (1, 2, 4): x - x̄ = (-4/3, -1/3, 5/3) exactly in real numbers; the shift by
    # x₀ keeps it to round-off of 4/3 (PyTorch's x - mean(x) is off by ~1e-7 relative here)
    x = mt.tensor([1e9 + 1.0, 1e9 + 2.0, 1e9 + 4.0], dtype=mt.float64, requires_grad=True)
    x.var().backward()  # dvar/dx = 2 (x - x̄) / (n - 1) = x - x̄
    np.testing.assert_allclose(x.grad.numpy(), [-4 / 3, -1 / 3, 5 / 3], rtol=1e-15)


def test_aminmax() -> None:
    x = mt.tensor([[1.0, 2.0], [3.0, 0.0]], requires_grad=True)
    low, high = mt.aminmax(x, dim=0)
    assert low.tolist() == [1.0, 0.0] and high.tolist() == [3.0, 2.0]
    result = x.aminmax()
    assert result.min.item() == 0.0 and result.max.item() == 3.0
    (result.min + result.max).backward()
    assert x.grad.tolist() == [[0.0, 0.0], [1.0, 1.0]]
    with pytest.raises(RuntimeError, match="empty"):
        mt.zeros(0).aminmax()


# --------------------------------------------------------------------------- dtype= and axis=


def test_dtype_argument_of_sum_mean_prod() -> None:
    x = mt.tensor([1, 2, 3])
    assert x.sum(dtype=mt.float64).dtype == mt.float64
    assert x.mean(dtype=mt.float64).item() == 2.0
    assert x.prod(dtype=mt.float32).dtype == mt.float32
    floats = mt.tensor([1.5, 2.5], requires_grad=True)
    total = floats.sum(dtype=mt.float64)
    total.backward()
    assert total.dtype == mt.float64 and floats.grad.dtype == mt.float32


@pytest.mark.parametrize("name", ["sum", "mean", "max", "min", "amax", "amin", "argmax",
                                  "argmin", "var", "std", "prod", "logsumexp", "median",
                                  "nanmedian", "mode", "nansum", "nanmean", "any", "all"])
def test_axis_and_keepdims_aliases(name: str) -> None:
    data = np.random.default_rng(0).standard_normal((3, 4))
    x = mt.tensor(data)
    by_dim = getattr(x, name)(1, keepdim=True)
    by_axis = getattr(mt, name)(x, axis=1, keepdims=True)
    first = by_dim[0] if isinstance(by_dim, tuple) else by_dim
    second = by_axis[0] if isinstance(by_axis, tuple) else by_axis
    assert first.shape == (3, 1)
    np.testing.assert_array_equal(first.numpy(), second.numpy())


def test_named_tuples_are_pytorch_return_types() -> None:
    result = mt.tensor([[1.0, 3.0]]).max(1)
    assert isinstance(result, mt.return_types.max)
    assert result.values.tolist() == [3.0] and result.indices.tolist() == [1]
    assert type(mt.tensor([1.0]).cummin(0)).__name__ == "cummin"


# --------------------------------------------------------------------------- norm findings


def test_two_norm_second_derivative_at_zero_is_nan() -> None:
    x = mt.tensor([0.0, 0.0], dtype=mt.float64, requires_grad=True)
    (g,) = mt.autograd.grad(x.norm(), x, create_graph=True)
    assert g.tolist() == [0.0, 0.0]
    (h,) = mt.autograd.grad(g.sum(), x)
    assert np.isnan(h.numpy()).all()


def test_two_norm_of_a_single_element_is_its_absolute_value() -> None:
    x = mt.tensor([[1e200], [-1e-200]], dtype=mt.float64, requires_grad=True)
    norms = x.norm(dim=1)
    assert norms.tolist() == [1e200, 1e-200]
    norms.sum().backward()
    assert x.grad.tolist() == [[1.0], [-1.0]]
    assert mt.tensor(-1e200, dtype=mt.float64).norm().item() == 1e200


def test_two_norm_overflow_is_silent() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert mt.tensor([1e200, 3e200], dtype=mt.float64).norm().item() == float("inf")
