"""Selection ops (``microtensor/ops/selection.py``): gradient checks with NumPy references,
forward results against NumPy, repeated indices, in-place forms, and errors.

Parity with PyTorch is in the golden groups ``selection*`` (``tests/golden/cases_selection.py``).
"""

from __future__ import annotations

import numpy as np
import pytest

import microtensor as mt
from microtensor.ops.selection import gather_array, scatter_add_array
from tests.gradcheck_cases import Case


def _long(values: object) -> mt.Tensor:
    return mt.tensor(np.asarray(values, dtype=np.int64))


GATHER_INDEX = np.array([[0, 3], [3, 3], [2, 0]])
SCATTER_INDEX = np.array([[0, 2, 2], [1, 1, 3], [3, 0, 0]])


def _scatter_reference(x: np.ndarray, index: np.ndarray, src: np.ndarray) -> np.ndarray:
    out = x.copy()
    for i in range(index.shape[0]):  # (a plain loop: the reference is the definition)
        for j in range(index.shape[1]):
            out[i, index[i, j]] = src[i, j]
    return out


def _scatter_add_reference(x: np.ndarray, index: np.ndarray, src: np.ndarray) -> np.ndarray:
    out = x.copy()
    for i in range(index.shape[0]):
        for j in range(index.shape[1]):
            out[i, index[i, j]] += src[i, j]
    return out


def _scatter_reduce_reference(x: np.ndarray, index: np.ndarray, src: np.ndarray, reduce: str,
                              include_self: bool) -> np.ndarray:
    out = x.copy()
    for i in range(x.shape[0]):
        for k in range(x.shape[1]):
            sent = [src[i, j] for j in range(index.shape[1]) if index[i, j] == k]
            if not sent:
                continue
            values = ([x[i, k]] if include_self else []) + sent
            out[i, k] = {"amax": max, "amin": min, "prod": np.prod, "sum": sum,
                         "mean": np.mean}[reduce](values)
    return out


def _reduce_case(reduce: str, include_self: bool) -> Case:
    index = _long(SCATTER_INDEX)
    return Case(
        f"scatter_reduce_{reduce}_{'self' if include_self else 'no_self'}",
        lambda x, s: mt.scatter_reduce(x, 1, index, s, reduce, include_self=include_self),
        [(3, 4), (3, 3)], distinct=True,
        reference=lambda x, s: _scatter_reduce_reference(x, SCATTER_INDEX, s, reduce,
                                                         include_self))


GRADCHECK_CASES = [
    Case("gather", lambda x: mt.gather(x, 1, _long(GATHER_INDEX)), [(3, 4)],
         reference=lambda x: np.take_along_axis(x, GATHER_INDEX, 1)),
    Case("gather_smaller_index_dim0", lambda x: x.gather(0, _long([[2, 0], [2, 2]])), [(3, 4)],
         reference=lambda x: np.array([[x[2, 0], x[0, 1]], [x[2, 0], x[2, 1]]])),
    # (no repeated index in a row: the value written over would have gradient 0 numerically,
    # while PyTorch, and microtensor, give every src value its position's gradient)
    Case("scatter_src", lambda x, s: x.scatter(1, _long(SCATTER_INDEX[:, [0, 2]]), s),
         [(3, 4), (3, 2)],
         reference=lambda x, s: _scatter_reference(x, SCATTER_INDEX[:, [0, 2]], s)),
    Case("scatter_src_larger", lambda x, s: x.scatter(1, _long([[1], [3]]), s),
         [(2, 4), (3, 2)],
         reference=lambda x, s: _scatter_reference(x, np.array([[1], [3]]), s)),
    Case("scatter_value", lambda x: x.scatter(1, _long(SCATTER_INDEX), 0.5), [(3, 4)],
         reference=lambda x: _scatter_reference(x, SCATTER_INDEX, np.full((3, 3), 0.5))),
    Case("scatter_add", lambda x, s: mt.scatter_add(x, 1, _long(SCATTER_INDEX), s),
         [(3, 4), (3, 3)],
         reference=lambda x, s: _scatter_add_reference(x, SCATTER_INDEX, s)),
    _reduce_case("sum", True),
    _reduce_case("sum", False),
    _reduce_case("mean", True),
    _reduce_case("mean", False),
    _reduce_case("amax", True),
    _reduce_case("amax", False),
    _reduce_case("amin", True),
    _reduce_case("prod", True),
    _reduce_case("prod", False),
    Case("index_select", lambda x: mt.index_select(x, 0, _long([2, 0, 2, 2])), [(3, 2)],
         reference=lambda x: x[[2, 0, 2, 2]]),
    Case("index_add", lambda x, s: x.index_add(1, _long([3, 0, 3]), s, alpha=-1.5),
         [(2, 4), (2, 3)],
         reference=lambda x, s: x + np.stack([-1.5 * s[:, 1], 0 * s[:, 0], 0 * s[:, 0],
                                              -1.5 * (s[:, 0] + s[:, 2])], axis=1)),
    Case("index_copy", lambda x, s: x.index_copy(0, _long([2, 0]), s), [(3, 2), (2, 2)],
         reference=lambda x, s: np.stack([s[1], x[1], s[0]])),
    Case("index_fill", lambda x: x.index_fill(1, _long([0, 2]), -2.0), [(2, 3)],
         reference=lambda x: np.stack([np.full(2, -2.0), x[:, 1], np.full(2, -2.0)], axis=1)),
    Case("take", lambda x: mt.take(x, _long([[0, 5], [-1, 3]])), [(2, 3)],
         reference=lambda x: x.reshape(-1)[[[0, 5], [5, 3]]]),
    Case("take_along_dim", lambda x: mt.take_along_dim(x, _long([[0, 2]]), 1), [(3, 3)],
         reference=lambda x: x[:, [0, 2]]),
    Case("masked_select", lambda x: mt.masked_select(x, mt.tensor([True, False, True])),
         [(2, 3)], reference=lambda x: x[:, [0, 2]].reshape(-1)),
    Case("masked_scatter", lambda x, s: x.masked_scatter(mt.tensor([[True, False, True],
                                                                     [False, True, False]]), s),
         [(2, 3), (4,)],
         reference=lambda x, s: np.array([[s[0], x[0, 1], s[1]], [x[1, 0], s[2], x[1, 2]]])),
]


# --------------------------------------------------------------------------- forward vs NumPy


def test_gather_matches_take_along_axis_on_a_3d_tensor() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4, 5))
    index = rng.integers(0, 4, (3, 6, 5))
    out = mt.tensor(x).gather(1, mt.tensor(index))
    np.testing.assert_array_equal(out.numpy(), np.take_along_axis(x, index, 1))


def test_scatter_add_array_accumulates_repeats_for_ints_and_floats() -> None:
    index = np.array([0, 0, 2, 0])
    for dtype in (np.int64, np.float32):
        out = scatter_add_array(np.zeros(3, dtype), 0, index, np.array([1, 2, 3, 4], dtype))
        np.testing.assert_array_equal(out, np.array([7, 0, 3], dtype))
        assert out.dtype == dtype


def test_gather_then_scatter_add_is_the_adjoint_pair() -> None:
    rng = np.random.default_rng(1)
    x, g = rng.standard_normal((4, 5)), rng.standard_normal((4, 7))
    index = rng.integers(0, 5, (4, 7))
    # <gather(x), g> == <x, scatter_add(0, g)>
    left = np.sum(gather_array(x, 1, index) * g)
    right = np.sum(x * scatter_add_array(np.zeros_like(x), 1, index, g))
    assert np.isclose(left, right)


def test_scatter_with_repeated_index_keeps_the_last_value() -> None:
    out = mt.zeros(3).scatter(0, _long([1, 1, 1]), mt.tensor([1.0, 2.0, 3.0]))
    assert out.tolist() == [0.0, 3.0, 0.0]


def test_index_add_accumulates_repeated_slices() -> None:
    out = mt.zeros(2, 3).index_add(1, _long([2, 2, 0]), mt.ones(2, 3), alpha=2)
    assert out.tolist() == [[2.0, 0.0, 4.0], [2.0, 0.0, 4.0]]


def test_scatter_reduce_mean_of_integers_rounds_down() -> None:
    out = mt.zeros(3, dtype=mt.int64).scatter_reduce(0, _long([0, 0, 1]), _long([-3, -4, 5]),
                                                     "mean", include_self=False)
    assert out.tolist() == [-4, 5, 0]
    assert out.dtype == mt.int64


def test_scatter_reduce_amax_shares_the_gradient_of_ties() -> None:
    x = mt.tensor([1.0, 2.0], requires_grad=True)
    s = mt.tensor([1.0, 5.0, 2.0, 2.0], requires_grad=True)
    x.scatter_reduce(0, _long([0, 0, 1, 1]), s, "amax").sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 1 / 3])
    np.testing.assert_allclose(s.grad.numpy(), [0.0, 1.0, 1 / 3, 1 / 3])


def test_scatter_reduce_prod_gradient_is_exact_with_zeros() -> None:
    x = mt.tensor([2.0, 0.0, 3.0], requires_grad=True)
    s = mt.tensor([0.0, 5.0, 4.0, 0.0, 0.0, 0.5], requires_grad=True)
    out = x.scatter_reduce(0, _long([0, 0, 1, 1, 2, 2]), s, "prod")
    out.backward(mt.ones(3))
    # group 0: 2·0·5 (one zero), group 1: 0·4·0 (two zeros), group 2: 3·0·0.5 (one zero)
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(s.grad.numpy(), [10.0, 0.0, 0.0, 0.0, 1.5, 0.0])


def test_in_place_forms_write_into_the_tensor() -> None:
    x = mt.zeros(2, 3)
    assert x.scatter_(1, _long([[2], [0]]), 1.0) is x
    x.scatter_add_(1, _long([[2], [2]]), mt.ones(2, 1))
    x.index_fill_(0, _long([1]), 7.0)
    assert x.tolist() == [[0.0, 0.0, 2.0], [7.0, 7.0, 7.0]]
    x.index_copy_(1, _long([1]), mt.tensor([[5.0], [6.0]]))
    x.index_add_(0, _long([0]), mt.ones(1, 3))
    x.masked_scatter_(mt.tensor([False, False, True]), mt.tensor([-1.0, -2.0]))
    assert x.tolist() == [[1.0, 6.0, -1.0], [7.0, 6.0, -2.0]]


def test_in_place_scatter_records_the_gradient() -> None:
    x = mt.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 1
    y.scatter_(0, _long([1]), mt.tensor([10.0]))
    y.sum().backward()
    assert x.grad.tolist() == [1.0, 0.0, 1.0]


def test_nonzero_argwhere_and_one_argument_where() -> None:
    x = mt.tensor([[0.0, 1.5], [float("nan"), 0.0]])
    assert mt.nonzero(x).tolist() == [[0, 1], [1, 0]]
    assert mt.argwhere(x).tolist() == [[0, 1], [1, 0]]
    rows, columns = mt.where(x != 0)
    assert rows.tolist() == [0, 1] and columns.tolist() == [1, 0]
    assert rows.dtype == mt.int64
    assert [t.tolist() for t in mt.tensor(3.0).nonzero(as_tuple=True)] == [[0]]


def test_masked_select_broadcasts_and_keeps_row_major_order() -> None:
    x = mt.arange(6.0).reshape(2, 3)
    assert x.masked_select(mt.tensor([True, False, True])).tolist() == [0.0, 2.0, 3.0, 5.0]


def test_take_along_dim_without_dim_reads_the_flat_tensor() -> None:
    x = mt.arange(6.0).reshape(2, 3)
    assert mt.take_along_dim(x, _long([5, 0])).tolist() == [5.0, 0.0]


def test_double_backward_of_gather_goes_through_scatter_add() -> None:
    x = mt.tensor([1.0, 2.0, 3.0], dtype=mt.float64, requires_grad=True)
    y = (x.gather(0, _long([2, 2, 0])) ** 2).sum()
    (g,) = mt.autograd.grad(y, x, create_graph=True)
    assert g.tolist() == [2.0, 0.0, 12.0]
    (h,) = mt.autograd.grad(g.sum(), x)
    assert h.tolist() == [2.0, 0.0, 4.0]


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize("call, error, fragment", [
    (lambda: mt.zeros(3).gather(0, _long([3])), RuntimeError, "index 3 is out of bounds"),
    (lambda: mt.zeros(3).gather(0, mt.tensor([0.0])), RuntimeError, "for index"),
    (lambda: mt.zeros(2, 3).gather(1, _long([0])), RuntimeError, "same number of dimensions"),
    (lambda: mt.zeros(3).scatter(0, _long([0]), mt.ones(1, dtype=mt.int64)), RuntimeError,
     "same dtype"),
    (lambda: mt.zeros(3).scatter_reduce(0, _long([0]), mt.ones(1), "max"), RuntimeError,
     "reduce argument"),
    (lambda: mt.zeros(3).index_select(0, _long([3])), IndexError, "out of bounds"),
    (lambda: mt.zeros(3).index_select(0, _long([[0]])), IndexError, "vector"),
    (lambda: mt.zeros(3).index_select(0, _long([-1])), IndexError, "out of bounds"),
    (lambda: mt.zeros(3).take_along_dim(_long([3]), 0), IndexError, "out of bounds"),
    (lambda: mt.zeros(3).index_add(0, _long([0, 1]), mt.ones(3)), RuntimeError, "source"),
    (lambda: mt.zeros(3).index_fill(0, mt.tensor([0], dtype=mt.int32), 1.0), IndexError,
     "int64"),
    (lambda: mt.zeros(2, 3).take(_long([6])), IndexError, "out of range"),
    (lambda: mt.zeros(3).masked_select(_long([1, 0, 1])), RuntimeError, "bool"),
    (lambda: mt.zeros(3).masked_scatter(mt.tensor([True, True, False]), mt.ones(1)),
     RuntimeError, "at least as many"),
])
def test_bad_arguments_raise_clear_errors(call: object, error: type, fragment: str) -> None:
    with pytest.raises(error, match=fragment):
        call()  # type: ignore[operator]


def test_deprecated_scatter_reduce_warns_and_refuses_gradients() -> None:
    with pytest.warns(UserWarning, match="deprecated"):
        out = mt.ones(3).scatter(0, _long([0, 0]), mt.tensor([3.0, 2.0]), reduce="multiply")
    assert out.tolist() == [6.0, 1.0, 1.0]
    x = mt.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="not implemented"):
        x.scatter(0, _long([0]), 2.0, reduce="add")
