"""Formatting a tensor in an f-string, as every training loop does with its loss."""

from __future__ import annotations

import pytest

import microtensor as mt


def test_a_0d_tensor_formats_as_its_number() -> None:
    assert f"{mt.tensor(1.23456):.4f}" == "1.2346"
    assert str.format("{:.2e}", mt.tensor(3.0)) == "3.00e+00"
    assert format(mt.tensor(2), "d") == "2"
    loss = (mt.tensor([1.0, 2.0], requires_grad=True) ** 2).sum()
    assert f"loss {loss:.3f}" == "loss 5.000"


def test_other_tensors_take_only_an_empty_spec() -> None:
    t = mt.tensor([1.0, 2.0])
    assert f"{t}" == repr(t)
    with pytest.raises(TypeError, match="unsupported format string passed to Tensor.__format__"):
        format(t, ".2f")
