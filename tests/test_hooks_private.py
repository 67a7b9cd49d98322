"""What a gradient hook receives is its own: later backward passes and ``.grad.zero_()`` do not
change it (PyTorch's behaviour)."""

from __future__ import annotations

import microtensor as mt


def test_a_stored_node_gradient_does_not_follow_the_leaf_grad() -> None:
    x = mt.tensor([1.0, 2.0], requires_grad=True)
    z = x.clone()  # clone passes the gradient through unchanged, to x.grad
    stored = []
    z.register_hook(stored.append)
    (z * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]
    x.grad.zero_()
    (x.clone() * 3).sum().backward()  # accumulates into x.grad in place
    assert stored[0].tolist() == [3.0, 3.0]


def test_a_stored_leaf_gradient_does_not_follow_later_passes() -> None:
    x = mt.tensor([1.0, 2.0], requires_grad=True)
    stored = []
    x.register_hook(stored.append)
    (x.clone() * 3).sum().backward()
    (x.clone() * 5).sum().backward()
    x.grad.zero_()
    assert [g.tolist() for g in stored] == [[3.0, 3.0], [5.0, 5.0]]


def test_a_gradient_returned_by_a_hook_is_not_written_into() -> None:
    x = mt.tensor([1.0, 2.0], requires_grad=True)
    replacement = mt.tensor([10.0, 20.0])
    x.register_hook(lambda g: replacement)
    (x * 3).sum().backward()
    assert x.grad.tolist() == [10.0, 20.0]
    (x * 3).sum().backward()  # accumulates: x.grad = 20, 40
    assert x.grad.tolist() == [20.0, 40.0]
    assert replacement.tolist() == [10.0, 20.0]
