"""In-place ops keep the tensor's dtype and refuse the casts PyTorch refuses."""

from __future__ import annotations

import numpy as np
import pytest

import microtensor as mt


def test_float32_nonleaf_plus_float64_stays_float32_while_recording() -> None:
    x = mt.ones(2, requires_grad=True)
    y = x * 1
    y += mt.tensor([0.5, 0.25], dtype=mt.float64)
    assert y.dtype == mt.float32
    (y * y).sum().backward()
    assert x.grad.dtype == mt.float32
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 2.5])


def test_float32_plus_float64_stays_float32_without_recording() -> None:
    y = mt.ones(2)
    y += mt.tensor([0.5, 0.25], dtype=mt.float64)
    assert y.dtype == mt.float32 and y.tolist() == [1.5, 1.25]


LONG, BOOL = "can't be cast to the desired output type Long", "cast to the desired output type Bool"


@pytest.mark.parametrize("make, update, message", [
    (lambda: mt.tensor([1, 2]), lambda t: t.__itruediv__(2), "result type Float " + LONG),
    (lambda: mt.tensor([1, 2]), lambda t: t.__iadd__(1.7), "result type Float " + LONG),
    (lambda: mt.tensor([True, False]), lambda t: t.__iadd__(1.0), "Float can't be " + BOOL),
    (lambda: mt.tensor([True, False]), lambda t: t.add_(1), "Long can't be " + BOOL),
    (lambda: mt.tensor([1, 2]), lambda t: t.mul_(0.5), "result type Float " + LONG),
])
def test_in_place_refuses_casts_to_a_lower_category(make, update, message) -> None:
    t = make()
    before = t.tolist()
    with pytest.raises(RuntimeError, match=message):
        update(t)
    assert t.tolist() == before  # nothing was written


def test_integer_in_place_within_integers_keeps_the_dtype() -> None:
    t = mt.tensor([1, 2], dtype=mt.int32)
    t += mt.tensor([10, 20])  # int64 result, stored as int32 (as PyTorch)
    assert t.dtype == mt.int32 and t.tolist() == [11, 22]


def test_copy_and_fill_may_cast_down_as_in_pytorch() -> None:
    t = mt.zeros(2, dtype=mt.int64)
    t.copy_(mt.tensor([1.7, -2.5]))
    assert t.tolist() == [1, -2]
    t.fill_(3.9)
    assert t.tolist() == [3, 3]
