"""Comparisons, predicates, logical and bitwise operations (``ops/logical.py``): forward results
against NumPy, dtypes and promotion, operators in every form, and the errors PyTorch raises.
(These ops carry no gradient, so they have no gradient checks; ``fmax``/``fmin`` are in
tests/test_pointwise.py.)"""

from __future__ import annotations

import numpy as np
import pytest

import microtensor as mt

GRADCHECK_CASES: list = []  # nothing here is differentiable

inf, nan = float("inf"), float("nan")
VALUES = np.array([inf, -inf, nan, 0.0, -0.0, 1.5, -2.5, 1e-300])


@pytest.mark.parametrize("name, reference", [
    ("isnan", np.isnan), ("isinf", np.isinf), ("isfinite", np.isfinite),
    ("isposinf", np.isposinf), ("isneginf", np.isneginf), ("signbit", np.signbit),
])
def test_predicates_match_numpy(name: str, reference) -> None:
    x = mt.tensor(VALUES)
    for out in (getattr(mt, name)(x), getattr(x, name)()):
        assert out.dtype == mt.bool
        assert out.tolist() == reference(VALUES).tolist()


def test_predicates_of_integers_and_bools() -> None:
    i = mt.tensor([-2, 0, 3])
    assert mt.isnan(i).tolist() == [False] * 3
    assert mt.isfinite(i).tolist() == [True] * 3
    assert mt.signbit(i).tolist() == [True, False, False]
    assert mt.signbit(mt.tensor([True, False])).tolist() == [False, False]
    assert mt.isreal(mt.tensor([1.5, nan])).tolist() == [True, True]


def test_predicates_do_not_follow_the_graph() -> None:
    x = mt.tensor([nan, 1.0], requires_grad=True)
    out = mt.isnan(x)
    assert not out.requires_grad and out.grad_fn is None


@pytest.mark.parametrize("name, reference", [
    ("eq", np.equal), ("ne", np.not_equal), ("lt", np.less), ("le", np.less_equal),
    ("gt", np.greater), ("ge", np.greater_equal), ("not_equal", np.not_equal),
    ("less", np.less), ("less_equal", np.less_equal), ("greater", np.greater),
    ("greater_equal", np.greater_equal),
])
def test_comparisons_match_numpy_with_broadcasting(name: str, reference) -> None:
    rng = np.random.default_rng(0)
    a, b = rng.integers(-2, 3, (3, 4)).astype(float), rng.integers(-2, 3, (4,)).astype(float)
    expected = reference(a, b).tolist()
    assert getattr(mt, name)(mt.tensor(a), mt.tensor(b)).tolist() == expected
    assert getattr(mt.tensor(a), name)(mt.tensor(b)).tolist() == expected
    in_place = mt.tensor(a)
    assert getattr(in_place, f"{name}_")(mt.tensor(b)) is in_place
    assert in_place.dtype == mt.float64
    assert in_place.tolist() == np.asarray(expected, float).tolist()


def test_comparison_promotes_like_pytorch() -> None:
    assert mt.eq(mt.tensor([255, 0], dtype=mt.uint8), -1).tolist() == [True, False]
    assert mt.lt(mt.tensor([1, 2]), 1.5).tolist() == [True, False]


def test_in_place_comparison_gives_gradient_zero() -> None:
    x = mt.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    y.gt_(4.0)
    assert y.tolist() == [0.0, 1.0]
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0]


def test_isclose_and_allclose() -> None:
    a = mt.tensor([1.0, inf, nan, 1e-9, 100.0], dtype=mt.float64)
    b = mt.tensor([1.0 + 1e-6, inf, nan, 0.0, 100.001], dtype=mt.float64)
    expected = np.isclose(a.numpy(), b.numpy())
    assert mt.isclose(a, b).tolist() == expected.tolist()
    assert mt.isclose(a, b, equal_nan=True).tolist() == [True, True, True, True, True]
    assert not mt.allclose(a, b) and mt.allclose(a, b, equal_nan=True)
    assert a.allclose(a, equal_nan=True) and isinstance(a.allclose(b), bool)
    assert mt.isclose(mt.tensor([1, 2]), mt.tensor([1, 3]), rtol=0.5).tolist() == [True, True]
    with pytest.raises(RuntimeError, match="did not match"):
        mt.isclose(a, a.float())
    with pytest.raises(RuntimeError, match="rtol"):
        mt.isclose(a, b, rtol=-1)


def test_equal() -> None:
    a = mt.tensor([1.0, 2.0])
    assert mt.equal(a, a.clone()) and a.equal(a * 1)
    assert not mt.equal(a, a[:1]) and not mt.equal(a, a + 1)
    assert mt.equal(mt.tensor([1, 2]), mt.tensor([1.0, 2.0]))
    assert not mt.equal(mt.tensor([nan]), mt.tensor([nan]))


@pytest.mark.parametrize("name", ["logical_and", "logical_or", "logical_xor"])
def test_logical_ops_use_truth_values(name: str) -> None:
    a, b = np.array([0.0, -0.0, 2.0, nan, 0.0]), np.array([1, 0, 0, 5, 0])
    expected = getattr(np, name)(a, b).tolist()
    assert getattr(mt, name)(mt.tensor(a), mt.tensor(b)).tolist() == expected
    out = mt.tensor(a)
    getattr(out, f"{name}_")(mt.tensor(b))
    assert out.tolist() == np.asarray(expected, float).tolist()
    with pytest.raises(TypeError, match="must be Tensor"):
        getattr(mt, name)(mt.tensor(a), 1)


def test_logical_not() -> None:
    assert mt.logical_not(mt.tensor([0.0, nan, -1.0])).tolist() == [True, False, False]
    x = mt.tensor([0, 3])
    x.logical_not_()
    assert x.tolist() == [1, 0] and x.dtype == mt.int64


@pytest.mark.parametrize("name, symbol, reference", [
    ("bitwise_and", "&", np.bitwise_and), ("bitwise_or", "|", np.bitwise_or),
    ("bitwise_xor", "^", np.bitwise_xor),
])
def test_bitwise_ops_in_every_form(name: str, symbol: str, reference) -> None:
    rng = np.random.default_rng(1)
    a, b = rng.integers(-50, 50, (3, 4)), rng.integers(0, 16, (4,))
    expected = reference(a, b).tolist()
    ta, tb = mt.tensor(a), mt.tensor(b)
    assert getattr(mt, name)(ta, tb).tolist() == expected
    assert getattr(ta, name)(tb).tolist() == expected
    assert eval(f"ta {symbol} tb").tolist() == expected
    assert eval(f"6 {symbol} tb").tolist() == reference(6, b).tolist()
    t = mt.tensor(a)
    exec(f"t {symbol}= tb")
    assert t.tolist() == expected
    masks = mt.tensor([True, False]), mt.tensor([True, True])
    assert getattr(mt, name)(*masks).dtype == mt.bool
    with pytest.raises(NotImplementedError, match="not implemented for 'Float'"):
        eval(f"mt.tensor([1.0]) {symbol} mt.tensor([1.0])")
    with pytest.raises(NotImplementedError):
        getattr(mt, name)(ta, 1.5)
    with pytest.raises(RuntimeError, match="can't be cast"):
        getattr(mt.tensor([True]), f"{name}_")(mt.tensor([3]))


def test_bitwise_not_and_invert() -> None:
    assert (~mt.tensor([0, -3, 7])).tolist() == [-1, 2, -8]
    assert (~mt.tensor([True, False])).tolist() == [False, True]
    assert mt.bitwise_not(mt.tensor([0], dtype=mt.uint8)).tolist() == [255]
    with pytest.raises(TypeError, match="only implemented on integer and Boolean"):
        ~mt.tensor([1.0])
    with pytest.raises(NotImplementedError, match="bitwise_not_cpu"):
        mt.bitwise_not(mt.tensor([1.0]))


def test_shifts_match_pytorch_outside_the_bit_width() -> None:
    a = mt.tensor([3, -4, 5, -6, 1])
    s = mt.tensor([-1, -1, 64, 70, 63])
    assert (a << s).tolist() == [0, 0, 0, 0, -(2**63)]
    assert (a >> s).tolist() == [0, -1, 0, -1, 0]
    assert mt.bitwise_left_shift(mt.tensor([1, 3]), 2).tolist() == [4, 12]
    assert mt.bitwise_right_shift(mt.tensor([-8, 8]), 1).tolist() == [-4, 4]
    assert (3 << mt.tensor([1, 2])).tolist() == [6, 12]
    assert (mt.tensor([255], dtype=mt.uint8) >> mt.tensor([9], dtype=mt.uint8)).tolist() == [0]
    assert (mt.tensor([True, False]) << 1).tolist() == [2, 0]
    x = mt.tensor([1, 2])
    x <<= 3
    x >>= 1
    assert x.tolist() == [4, 8] and x.dtype == mt.int64


def test_shift_errors() -> None:
    with pytest.raises(NotImplementedError, match="lshift_cpu"):
        mt.tensor([True]) << mt.tensor([True])
    with pytest.raises(NotImplementedError, match="rshift_cpu"):
        mt.tensor([1.0]) >> 1
    with pytest.raises(NotImplementedError, match="lshift_cpu"):
        mt.tensor([1]) << 1.5
    with pytest.raises(RuntimeError, match="broadcast"):
        mt.tensor([1, 2]) << mt.tensor([1, 2, 3])


def test_tensor_stays_hashable() -> None:
    x = mt.tensor([1.0])
    assert {x: 1}[x] == 1
