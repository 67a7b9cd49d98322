"""Operands PyTorch refuses are refused; NumPy arrays and numbers are accepted (as PyTorch)."""

from __future__ import annotations

import numpy as np
import pytest

import microtensor as mt


@pytest.mark.parametrize("operation", [
    lambda t: t + [1.0, 2.0],
    lambda t: t * (1.0, 2.0),
    lambda t: mt.add(t, [1.0, 2.0]),
    lambda t: t.sub([1.0, 2.0]),
    lambda t: mt.maximum(t, [0.0, 3.0]),
])
def test_lists_and_tuples_are_refused(operation) -> None:
    with pytest.raises(TypeError, match="an operand must be a Tensor or a number"):
        operation(mt.ones(2))


def test_numpy_arrays_and_scalars_are_accepted_as_in_pytorch() -> None:
    t = mt.ones(2)
    assert (t + np.ones(2)).dtype == mt.float64  # PyTorch: float64 too (a dimensioned array)
    assert (t * np.float64(2)).dtype == mt.float32  # a NumPy scalar acts like a number


def test_masked_fill_method_keeps_the_dtype_and_sub_with_alpha_refuses_bools() -> None:
    t = mt.tensor([1, 2, 3])
    filled = t.masked_fill(t > 1, 0.5)
    assert filled.dtype == mt.int64 and filled.tolist() == [1, 0, 0]
    b = mt.tensor([True, False])
    with pytest.raises(RuntimeError, match="Subtraction, the `-` operator, with two bool"):
        b.sub(b, alpha=2)
    assert mt.tensor([1.0, 2.0]).sub(mt.tensor([1.0, 1.0]), alpha=2).tolist() == [-1.0, 0.0]
