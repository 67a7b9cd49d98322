"""The engine's order (newest node first, by ``seq``) and the fast paths of ``Op.apply`` and the
tanh/sigmoid backwards: same results as the plain definitions."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import microtensor as mt
from microtensor.autograd.engine import backward_order


def _diamond() -> tuple[mt.Tensor, list[mt.Tensor]]:
    x = mt.tensor([0.5, -1.0, 2.0], requires_grad=True)
    a = x * 2.0
    b = a.tanh()
    c = a.sigmoid()
    d = b * c + a
    return d.sum(), [a, b, c, d]


def test_backward_order_is_newest_first_and_consumers_come_first() -> None:
    loss, _ = _diamond()
    order = backward_order([loss])
    seqs = [node.seq for node in order]
    assert seqs == sorted(seqs, reverse=True)
    assert len(set(seqs)) == len(seqs)
    position = {node: k for k, node in enumerate(order)}
    for node in order:  # every node after each of its consumers
        for x in node.inputs:
            parent = getattr(x, "grad_fn", None)
            if parent is not None:
                assert position[parent] > position[node]


def test_engine_runs_nodes_in_backward_order() -> None:
    loss, tensors = _diamond()
    expected = [node for node in backward_order([loss]) if node is not loss.grad_fn]
    ran: list[object] = []
    for t in tensors:
        t.register_hook(lambda grad, node=t.grad_fn: ran.append(node))
    loss.backward()
    assert ran == [node for node in expected if node in {t.grad_fn for t in tensors}]


def test_a_deep_copied_graph_backpropagates() -> None:
    # the copies keep their nodes' seq: the engine's heap must cope with equal numbers
    x = mt.tensor([0.1, 0.2, 0.3], requires_grad=True)
    y = (x * 2.0).tanh()
    z = copy.deepcopy(y)
    (y.sum() + z.sum()).backward()
    expected = 2.0 * (1.0 - np.tanh(2.0 * x.detach().numpy()) ** 2)
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-6)


@pytest.mark.parametrize("dtype", [mt.float32, mt.float64])
def test_tanh_and_sigmoid_backward_match_their_formulas_exactly(dtype) -> None:
    values = np.linspace(-3.0, 3.0, 13)
    # (sigmoid's backward is (g * z) * (1 - z), in that order)
    for method, formula in (("tanh", lambda g, y: g * (1 - y * y)),
                            ("sigmoid", lambda g, y: g * y * (1 - y))):
        x = mt.tensor(values, dtype=dtype, requires_grad=True)
        y = getattr(x, method)()
        seed = np.linspace(0.5, 1.5, 13).astype(y.dtype)
        y.backward(mt.tensor(seed))
        out = y.detach().numpy()
        assert x.grad.dtype == dtype
        np.testing.assert_array_equal(x.grad.numpy(), formula(seed, out))


def test_tanh_method_of_an_integer_tensor_still_promotes() -> None:
    assert mt.tensor([0, 1]).tanh().dtype == mt.get_default_dtype()


def test_op_apply_general_path_keywords_and_three_inputs() -> None:
    x = mt.tensor([1.0, 2.0, 3.0], requires_grad=True)
    low, high = mt.tensor([1.5, 1.5, 1.5]), mt.tensor([2.5, 2.5, 2.5])
    y = mt.clamp(x, low, high)  # three inputs
    z = x.sum(dim=0)  # a keyword parameter
    (y.sum() + z).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 2.0, 1.0])
