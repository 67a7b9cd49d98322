"""The check for saved values changed in place: no false alarm where the changed value is not
needed, and an error that says what changed it."""

from __future__ import annotations

import numpy as np
import pytest

import microtensor as mt
from microtensor import nn


def test_two_forward_passes_backward_step_backward_like_pytorch() -> None:
    # the reproduction: PyTorch raises no error here, because the second backward needs
    # the weight only for the input's gradient, and the input needs none
    layer = nn.Linear(3, 2)
    optimizer = mt.optim.SGD(layer.parameters(), lr=0.1)
    x1, x2 = mt.randn(4, 3), mt.randn(4, 3)
    loss1, loss2 = layer(x1).sum(), layer(x2).square().sum()
    loss1.backward()
    optimizer.step()
    optimizer.zero_grad()
    loss2.backward()
    # dL2/dW = 2 (x2 W0ᵀ + b0)ᵀ x2 with the weights of the forward pass (before the step)
    assert layer.weight.grad is not None and layer.weight.grad.shape == (2, 3)


def test_the_check_still_fires_when_the_changed_value_is_needed() -> None:
    layer = nn.Linear(3, 2)
    optimizer = mt.optim.SGD(layer.parameters(), lr=0.1)
    x = mt.randn(4, 3, requires_grad=True)  # now dL/dx needs the weight
    loss1, loss2 = layer(x).sum(), layer(x).square().sum()
    loss1.backward()
    optimizer.step()
    with pytest.raises(RuntimeError) as error:
        loss2.backward()
    message = str(error.value)
    assert "modified by an in-place operation" in message
    assert "a Parameter of shape (2, 3)" in message and "by SGD.step()" in message
    assert "backward() before optimizer.step()" in message
    assert "x = x + y" not in message  # not the advice for an in-place op in user code


def test_the_error_names_the_in_place_op_that_changed_the_value() -> None:
    a = mt.tensor([1.0, 2.0], requires_grad=True)
    d = mt.tensor([1.0, 2.0])
    y = (a * d).sum()
    d.add_(1)
    with pytest.raises(RuntimeError, match=r"Mul: .*a tensor of shape \(2,\) was changed by add_ "
                                           r"after Mul saved it \(it is now at version 1\)\. "
                                           r"Use an out-of-place operation"):
        y.backward()


def test_a_constant_factor_changed_after_its_use_is_still_refused_when_needed() -> None:
    w = mt.tensor([1.0, 2.0], requires_grad=True)
    d = mt.tensor([3.0, 4.0])
    y = (d * w).sum()  # dL/dw = d: d is needed
    d.zero_()
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.backward()


def test_a_changed_value_that_no_gradient_needs_is_ignored_for_matmul() -> None:
    w = mt.tensor(np.eye(2), requires_grad=True)
    x = mt.tensor([[1.0, 2.0]], dtype=mt.float64)
    y = (x @ w).sum()  # dL/dw = xᵀ g needs x; w is needed only for dL/dx, which is not wanted
    with mt.no_grad():
        w.mul_(5)
    y.backward()
    np.testing.assert_allclose(w.grad.numpy(), [[1.0, 1.0], [2.0, 2.0]])
