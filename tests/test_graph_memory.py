"""After ``backward()`` the graph holds no activations (as in PyTorch): keeping loss tensors
around does not keep their forward passes' arrays alive."""

from __future__ import annotations

import gc
import weakref

import numpy as np

import microtensor as mt
from microtensor import nn
from microtensor.autograd.function import KEEP_BYTES, FreedTensor


def _mlp_loss(model: nn.Module, batch: int = 128) -> tuple[mt.Tensor, list[weakref.ref]]:
    x = mt.randn(batch, 784)
    h1 = model[0](x)
    h2 = model[1](h1)
    logits = model[2](h2)
    loss = nn.functional.cross_entropy(logits, mt.randint(0, 10, (batch,)))
    return loss, [weakref.ref(h1._data), weakref.ref(h2._data)]


def test_kept_losses_do_not_keep_activations_after_backward() -> None:
    mt.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    kept, activations = [], []
    for _ in range(5):
        loss, refs = _mlp_loss(model)
        loss.backward()
        kept.append(loss)
        activations += refs
    gc.collect()
    assert all(ref() is None for ref in activations)  # (128, 256) float32 arrays, 128 KB each


def test_retain_graph_keeps_the_values() -> None:
    mt.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    loss, refs = _mlp_loss(model)
    loss.backward(retain_graph=True)
    gc.collect()
    assert all(ref() is not None for ref in refs)
    loss.backward()  # and the graph can be run again


def test_small_intermediates_and_leaves_keep_their_values() -> None:
    w = mt.tensor([1.0, 2.0], requires_grad=True)
    y = w * 3
    loss = (y * y).sum()
    loss.backward()
    node_inputs = loss.grad_fn.inputs[0].grad_fn.inputs
    assert all(not isinstance(x, FreedTensor) for x in node_inputs)


def test_the_drawing_after_backward_says_what_was_freed() -> None:
    x = mt.randn(64, 64, requires_grad=True)  # 16 KB float32 intermediates
    loss = (x.tanh() * 2).sum()
    assert (x.tanh() * 2)._data.nbytes > KEEP_BYTES
    loss.backward()
    source = mt.viz.draw_graph(loss).source
    assert "values freed by backward()" in source
    assert "min 0, max 0" not in source  # no made-up statistics for freed values
    # a tensor the user still holds is drawn with its values; the one nobody holds is freed
    h = x.tanh()
    loss2 = (h * 2).sum()
    loss2.backward()
    source2 = mt.viz.draw_graph(loss2, params={"h": h}, max_elements=10**6).source
    assert source2.count("values freed by backward()") == 1 + 1  # h * 2: box and tooltip
    h_box = source2[source2.index(">h<"):][:400]
    assert "values freed" not in h_box and "data" in h_box
    np.testing.assert_allclose(h.detach().numpy(), np.tanh(x.detach().numpy()))


def test_a_tensor_used_by_several_released_nodes_gets_one_twin() -> None:
    x = mt.randn(40, 40, requires_grad=True)
    h = x * 2  # 6.4 KB: let go after backward
    loss = (h.exp() + h.sin()).sum()
    loss.backward()
    exp_input = loss.grad_fn.inputs[0].grad_fn.inputs[0].grad_fn.inputs[0]
    sin_input = loss.grad_fn.inputs[0].grad_fn.inputs[1].grad_fn.inputs[0]
    assert isinstance(exp_input, FreedTensor) and exp_input is sin_input
    assert exp_input.original() is h
