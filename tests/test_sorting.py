"""Sorting ops (``microtensor/ops/sorting.py``): gradient checks of the values of sort, topk and
kthvalue, forward results against NumPy (NaN order, stability, ties), unique, searchsorted, and
errors. Parity with PyTorch is in the golden groups ``sorting*``."""

from __future__ import annotations

import numpy as np
import pytest

import microtensor as mt
from microtensor.ops.sorting import stable_order
from tests.gradcheck_cases import Case

nan, inf = float("nan"), float("inf")

GRADCHECK_CASES = [
    Case("sort_values", lambda x: mt.sort(x, 1).values, [(3, 5)], distinct=True,
         reference=lambda x: np.sort(x, 1)),
    Case("sort_descending_dim0", lambda x: x.sort(0, descending=True).values, [(4, 3)],
         distinct=True, reference=lambda x: -np.sort(-x, 0)),
    Case("msort", lambda x: mt.msort(x), [(4, 2)], distinct=True,
         reference=lambda x: np.sort(x, 0)),
    Case("topk_values", lambda x: mt.topk(x, 2).values, [(3, 5)], distinct=True,
         reference=lambda x: -np.sort(-x, 1)[:, :2]),
    Case("topk_smallest", lambda x: x.topk(3, 0, largest=False).values, [(5, 2)],
         distinct=True, reference=lambda x: np.sort(x, 0)[:3]),
    Case("kthvalue_values", lambda x: mt.kthvalue(x, 2, 1, True).values, [(3, 4)],
         distinct=True, reference=lambda x: np.sort(x, 1)[:, 1:2]),
]


# --------------------------------------------------------------------------- sort


def test_sort_puts_nan_last_ascending_and_first_descending() -> None:
    x = mt.tensor([3.0, nan, -inf, 1.0, nan, inf])
    ascending = x.sort()
    assert ascending.indices.tolist() == [2, 3, 0, 5, 1, 4]
    descending = x.sort(descending=True)
    assert descending.indices.tolist() == [1, 4, 5, 0, 3, 2]
    np.testing.assert_array_equal(descending.values.numpy(), [nan, nan, inf, 3.0, 1.0, -inf])


def test_sort_is_stable_in_both_directions() -> None:
    rng = np.random.default_rng(0)
    x = rng.integers(0, 3, 200)
    ascending = mt.tensor(x).sort(stable=True).indices.numpy()
    np.testing.assert_array_equal(ascending, np.argsort(x, kind="stable"))
    descending = mt.tensor(x).argsort(descending=True, stable=True).numpy()
    # stable descending: by value downwards, equal values by position upwards
    np.testing.assert_array_equal(descending, np.lexsort((np.arange(200), -x)))


def test_stable_order_along_a_middle_axis() -> None:
    rng = np.random.default_rng(1)
    x = rng.integers(0, 4, (3, 50, 2))
    order = stable_order(x, 1, descending=True)
    values = np.take_along_axis(x, order, 1)
    assert (np.diff(values, axis=1) <= 0).all()


def test_sort_result_is_a_named_tuple_and_keeps_the_dtype() -> None:
    values, indices = mt.tensor([3, 1, 2]).sort()
    assert values.tolist() == [1, 2, 3] and values.dtype == mt.int64
    assert indices.dtype == mt.int64
    assert type(mt.sort(mt.tensor([1.0]))).__name__ == "sort"


def test_sort_of_0d_and_empty_tensors() -> None:
    values, indices = mt.tensor(2.5).sort()
    assert values.shape == () and indices.item() == 0
    empty = mt.zeros(2, 0).sort(1)
    assert empty.values.shape == (2, 0) and empty.indices.shape == (2, 0)


def test_sort_gradient_goes_back_to_the_source_positions() -> None:
    x = mt.tensor([3.0, 1.0, 2.0], requires_grad=True)
    (x.sort().values * mt.tensor([1.0, 10.0, 100.0])).sum().backward()
    assert x.grad.tolist() == [100.0, 1.0, 10.0]


# --------------------------------------------------------------------------- topk, kthvalue


def test_topk_takes_the_earliest_among_ties() -> None:
    result = mt.tensor([1.0, 2.0, 2.0, 0.0, 2.0]).topk(2)
    assert result.values.tolist() == [2.0, 2.0]
    assert result.indices.tolist() == [1, 2]


def test_topk_and_kthvalue_against_numpy() -> None:
    rng = np.random.default_rng(2)
    x = rng.standard_normal((4, 9))
    np.testing.assert_array_equal(mt.tensor(x).topk(3, largest=False).values.numpy(),
                                  np.sort(x, 1)[:, :3])
    kth = mt.tensor(x).kthvalue(4, 0)
    np.testing.assert_array_equal(kth.values.numpy(), np.sort(x, 0)[3])
    np.testing.assert_array_equal(x[kth.indices.numpy(), np.arange(9)], kth.values.numpy())


def test_kthvalue_counts_nan_as_largest() -> None:
    x = mt.tensor([nan, 1.0, 0.0])
    assert x.kthvalue(2).values.item() == 1.0
    assert np.isnan(x.kthvalue(3).values.item())


@pytest.mark.parametrize("call, error, fragment", [
    (lambda: mt.zeros(3).topk(4), RuntimeError, "k out of range"),
    (lambda: mt.tensor([True]).topk(1), RuntimeError, "bool"),
    (lambda: mt.zeros(3).kthvalue(0), RuntimeError, "k out of range"),
    (lambda: mt.zeros(0).kthvalue(1), IndexError, "non-zero size"),
    (lambda: mt.tensor([True]).kthvalue(1), NotImplementedError, "Bool"),
    (lambda: mt.zeros(2, 3).sort(2), IndexError, "out of range"),
    (lambda: mt.zeros(2, 0).unique(dim=0), RuntimeError, "0-sized"),
    (lambda: mt.searchsorted(mt.zeros(3), mt.zeros(2), side="middle"), RuntimeError, "side"),
    (lambda: mt.searchsorted(mt.zeros(2, 3), mt.zeros(3, 1)), RuntimeError, "first N-1"),
    (lambda: mt.bucketize(mt.zeros(2), mt.zeros(2, 2)), RuntimeError, "1 dimension"),
])
def test_bad_arguments_raise_clear_errors(call: object, error: type, fragment: str) -> None:
    with pytest.raises(error, match=fragment):
        call()  # type: ignore[operator]


# --------------------------------------------------------------------------- unique


def test_unique_matches_numpy_and_keeps_nans_apart() -> None:
    x = np.array([3.0, 1.0, nan, 1.0, nan, 3.0, 2.0])
    values, inverse, counts = mt.unique(mt.tensor(x), return_inverse=True, return_counts=True)
    np.testing.assert_array_equal(values.numpy(), [1.0, 2.0, 3.0, nan, nan])
    assert counts.tolist() == [2, 1, 2, 1, 1]
    np.testing.assert_array_equal(values.numpy()[inverse.numpy()], x)


def test_unique_along_a_dim_matches_numpy() -> None:
    rng = np.random.default_rng(3)
    x = rng.integers(0, 2, (3, 12))
    values, inverse, counts = mt.tensor(x).unique(dim=1, return_inverse=True,
                                                  return_counts=True)
    expected, expected_inverse, expected_counts = np.unique(x, axis=1, return_inverse=True,
                                                            return_counts=True)
    np.testing.assert_array_equal(values.numpy(), expected)
    np.testing.assert_array_equal(inverse.numpy(), expected_inverse.reshape(-1))
    np.testing.assert_array_equal(counts.numpy(), expected_counts)


def test_unique_consecutive_merges_runs_only() -> None:
    values, inverse, counts = mt.unique_consecutive(
        mt.tensor([1, 1, 2, 2, 1, 3, 3]), return_inverse=True, return_counts=True)
    assert values.tolist() == [1, 2, 1, 3]
    assert inverse.tolist() == [0, 0, 1, 1, 2, 3, 3]
    assert counts.tolist() == [2, 2, 1, 2]


def test_unique_carries_no_gradient() -> None:
    out = mt.tensor([2.0, 1.0, 2.0], requires_grad=True).unique()
    assert not out.requires_grad


# --------------------------------------------------------------------------- searchsorted


def test_searchsorted_1d_matches_numpy_on_both_sides() -> None:
    rng = np.random.default_rng(4)
    boundaries = np.sort(rng.integers(0, 10, 20)).astype(np.float64)
    values = rng.integers(-1, 12, (3, 7)).astype(np.float64)
    for side in ("left", "right"):
        out = mt.searchsorted(mt.tensor(boundaries), mt.tensor(values), side=side)
        np.testing.assert_array_equal(out.numpy(), np.searchsorted(boundaries, values, side))
        assert out.dtype == mt.int64


def test_searchsorted_nd_matches_numpy_row_by_row() -> None:
    rng = np.random.default_rng(5)
    boundaries = np.sort(rng.integers(0, 6, (2, 3, 8)), axis=-1).astype(np.float64)
    values = rng.integers(-1, 8, (2, 3, 5)).astype(np.float64)
    values[0, 0, 0] = nan
    for right in (False, True):
        out = mt.searchsorted(mt.tensor(boundaries), mt.tensor(values), right=right).numpy()
        side = "right" if right else "left"
        for row in np.ndindex(2, 3):
            np.testing.assert_array_equal(out[row],
                                          np.searchsorted(boundaries[row], values[row], side))


def test_searchsorted_with_sorter_and_int32_output() -> None:
    out = mt.searchsorted(mt.tensor([3.0, 1.0, 2.0]), mt.tensor([2.0, 0.0]),
                          sorter=mt.tensor([1, 2, 0]), out_int32=True)
    assert out.tolist() == [1, 0] and out.dtype == mt.int32


def test_bucketize_is_searchsorted_with_its_arguments_swapped() -> None:
    boundaries = mt.tensor([1.0, 3.0, 5.0])
    x = mt.tensor([[0.0, 1.0, 4.0], [5.0, 6.0, 3.0]])
    assert mt.bucketize(x, boundaries).tolist() == [[0, 0, 2], [2, 3, 1]]
    assert mt.bucketize(x, boundaries, right=True).tolist() == [[0, 1, 2], [3, 3, 2]]
    assert mt.bucketize(2.0, boundaries).shape == ()
