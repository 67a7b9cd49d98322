"""The backward engine: graph building, accumulation, hooks, grad modes, memory."""

from __future__ import annotations

import gc
import math
import threading
import weakref

import numpy as np
import pytest

import microtensor as mt


def _leaf(values, dtype=mt.float64):
    return mt.tensor(values, dtype=dtype, requires_grad=True)


# --------------------------------------------------------------------------- the dynamic graph


def test_graph_is_built_dynamically_by_python_control_flow():
    x = _leaf([1.0, -2.0, 3.0])
    for k in range(3):
        y = x * 2 if k % 2 == 0 else x.exp()
        if (y.detach() > 0).all():
            out = y.sum()
        else:
            out = (y * y).sum()
        out.backward()
        if k % 2 == 0:  # y = 2x has a negative entry: out = sum((2x)^2), d/dx = 8x
            expected = 8 * np.array([1.0, -2.0, 3.0])
        else:  # y = exp(x) > 0: out = sum(exp(x))
            expected = np.exp([1.0, -2.0, 3.0])
        np.testing.assert_allclose(x.grad.numpy(), expected)
        x.grad = None


def test_chain_of_100k_ops_backpropagates_without_recursion():
    x = mt.tensor([1.5], requires_grad=True)
    y = x
    for _ in range(50_000):
        y = y + 1.0
        y = y - 1.0
    y.backward(gradient=mt.tensor([2.0]))
    assert x.grad.tolist() == [2.0]
    assert y.item() == pytest.approx(1.5)


def test_deep_chain_with_saved_values():
    x = mt.tensor([0.5], dtype=mt.float64, requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.sum().backward()
    assert x.grad.item() == pytest.approx(1.0001 ** 10_000, rel=1e-9)


def test_shared_subexpressions_and_diamond():
    x = _leaf(2.0)
    a = x * 3
    b = a.exp()
    c = a.sin()
    d = b * c
    d.backward()
    expected = 3 * math.exp(6) * math.sin(6) + math.exp(6) * 3 * math.cos(6)
    assert x.grad.item() == pytest.approx(expected, rel=1e-12)


def test_wide_diamond_counts_every_path():
    x = _leaf([1.0, 2.0])
    parts = [x * k for k in range(1, 21)]
    total = parts[0]
    for p in parts[1:]:
        total = total + p
    total.sum().backward()
    assert x.grad.tolist() == [210.0, 210.0]


def test_repeated_use_of_a_tensor_sums_gradients():
    x = _leaf(3.0)
    y = x * x * x + x  # x used four times
    y.backward()
    assert x.grad.item() == 3 * 9 + 1
    z = _leaf([1.0, 2.0])
    out = mt.stack([z, z, z]).sum() + (z * z).sum()
    out.backward()
    assert z.grad.tolist() == [5.0, 7.0]


def test_unused_inputs_get_no_gradient():
    x, w = _leaf([1.0]), _leaf([2.0])
    (x * 3).sum().backward()
    assert x.grad.tolist() == [3.0]
    assert w.grad is None


# --------------------------------------------------------------------------- accumulation


def test_gradients_accumulate_across_backward_calls_as_tensors():
    x = _leaf([1.0, 2.0])
    (x * x).sum().backward()
    first = x.grad
    assert isinstance(first, mt.Tensor)
    assert not first.requires_grad and first.grad_fn is None
    assert first.tolist() == [2.0, 4.0]
    (x * 3).sum().backward()
    assert x.grad.tolist() == [5.0, 7.0]
    assert x.grad is first  # accumulated into the same tensor, in place
    x.grad.zero_()
    (x * 1).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]
    x.grad = None
    (x * 4).sum().backward()
    assert x.grad.tolist() == [4.0, 4.0]


def test_grad_is_a_private_copy_not_an_alias():
    x = _leaf([1.0, 2.0])
    g = mt.tensor([5.0, 6.0], dtype=mt.float64)
    y = x * 1
    y.backward(gradient=g)
    x.grad.add_(1)
    assert g.tolist() == [5.0, 6.0]
    # broadcasting: the gradient of an expanded tensor is summed, and writable
    b = _leaf([1.0])
    (b.expand(3) * 2).sum().backward()
    assert b.grad.tolist() == [6.0]
    b.grad.mul_(2)
    assert b.grad.tolist() == [12.0]


def test_grad_setter_validates():
    x = _leaf([1.0, 2.0])
    x.grad = mt.zeros(2, dtype=mt.float64)
    with pytest.raises(RuntimeError, match="shape"):
        x.grad = mt.zeros(3)
    with pytest.raises(TypeError):
        x.grad = np.zeros(2)


def test_gradient_dtype_follows_the_input():
    x32 = mt.tensor([1.0, 2.0], requires_grad=True)
    (x32 * 2).sum().backward()
    assert x32.grad.dtype == mt.float32
    x64 = _leaf([1.0, 2.0])
    (x64 * 2).sum().backward()
    assert x64.grad.dtype == mt.float64


# --------------------------------------------------------------------------- non-leaf grads


def test_non_leaf_grads_only_with_retain_grad():
    x = _leaf([1.0, 2.0])
    y = x * 3
    z = x * 4
    y.retain_grad()
    assert y.retains_grad and not z.retains_grad
    out = (y * y).sum() + (z * z).sum()
    out.backward(retain_graph=True)
    assert y.grad.tolist() == [6.0, 12.0]
    with pytest.warns(UserWarning, match="not a leaf Tensor"):  # PyTorch's warning
        assert z.grad is None
    with pytest.warns(UserWarning, match="not a leaf Tensor"):
        assert out.grad is None
    assert x.grad.tolist() == [18.0 + 32.0, 36.0 + 64.0]
    # retain_grad accumulates over calls too
    (y * 1).sum().backward()
    assert y.grad.tolist() == [7.0, 13.0]


def test_retain_grad_sees_the_gradient_after_hooks_whatever_the_order():
    for retain_first in (True, False):
        x = _leaf([1.0, 2.0])
        y = x * 2
        if retain_first:
            y.retain_grad()
            y.register_hook(lambda g: g * 100)
        else:
            y.register_hook(lambda g: g * 100)
            y.retain_grad()
        y.sum().backward()
        assert y.grad.tolist() == [100.0, 100.0]
        assert x.grad.tolist() == [200.0, 200.0]


def test_retain_grad_follows_an_inplace_change_but_hooks_stay():
    # as in PyTorch: .grad is the gradient of the tensor's current (new) value, while a hook
    # registered before the change belongs to the old value
    x = _leaf([1.0, 2.0])
    y = x * 2
    y.retain_grad()
    y *= 3
    (y * y).sum().backward()
    assert y.grad.tolist() == [12.0, 24.0]
    assert x.grad.tolist() == [72.0, 144.0]
    x = _leaf([1.0, 2.0])
    y = x * 2
    y.register_hook(lambda g: g * 100)
    y *= 3
    y.sum().backward()
    assert x.grad.tolist() == [600.0, 600.0]


def test_retain_grad_on_leaf_without_grad_is_an_error():
    with pytest.raises(RuntimeError, match="requires_grad=False"):
        mt.tensor([1.0]).retain_grad()
    x = _leaf([1.0])
    x.retain_grad()  # a no-op for leaves that require grad
    (x * 2).sum().backward()
    assert x.grad.tolist() == [2.0]


# --------------------------------------------------------------------------- backward arguments


def test_backward_with_gradient_for_non_scalar_outputs():
    x = _leaf([1.0, 2.0, 3.0])
    y = x * x
    y.backward(gradient=mt.tensor([1.0, 0.5, 0.0], dtype=mt.float64))
    assert x.grad.tolist() == [2.0, 2.0, 0.0]
    x.grad = None
    m = _leaf([[1.0, 2.0], [3.0, 4.0]])
    (m * 3).backward(mt.ones(2, 2, dtype=mt.float64))
    assert m.grad.tolist() == [[3.0, 3.0], [3.0, 3.0]]
    # a gradient of another float dtype is accepted
    x.grad = None
    (x * 2).backward(mt.ones(3))
    assert x.grad.tolist() == [2.0, 2.0, 2.0]
    # scalar output with an explicit gradient scales everything
    x.grad = None
    (x * x).sum().backward(mt.tensor(3.0, dtype=mt.float64))
    assert x.grad.tolist() == [6.0, 12.0, 18.0]


def test_backward_on_non_scalar_without_gradient_raises():
    x = _leaf([1.0, 2.0])
    y = x * 2
    with pytest.raises(RuntimeError, match=r"only for scalar outputs.*shape \(2,\)"):
        y.backward()
    with pytest.raises(RuntimeError, match=r"gradient has shape \(3,\).*\(2,\)"):
        y.backward(mt.ones(3))
    (x * 2)[0:1].backward()  # one element: allowed, as in PyTorch
    assert x.grad.tolist() == [2.0, 0.0]


def test_backward_on_a_tensor_without_graph_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        mt.tensor(1.0).backward()
    x = _leaf([1.0])
    with mt.no_grad():
        y = (x * 2).sum()
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()


def test_backward_of_a_leaf_itself():
    x = _leaf(2.0)
    x.backward()
    assert x.grad.item() == 1.0


def test_backward_inputs_argument_restricts_accumulation():
    x, w = _leaf([1.0]), _leaf([2.0])
    (x * w).sum().backward(inputs=[w])
    assert x.grad is None
    assert w.grad.tolist() == [1.0]


def test_saved_arrays_are_freed_after_backward():
    x = _leaf([1.0, 2.0])
    y = x.exp()
    out = (y * x).sum()
    out.backward()
    with pytest.raises(RuntimeError, match=r"backward through the graph a second time.*"
                                           r"retain_graph=True"):
        out.backward()
    assert y.grad_fn.saved is not None
    with pytest.raises(RuntimeError, match="second time"):  # as a backward would read them
        (_,) = y.grad_fn.saved_tensors


def test_retain_graph_allows_a_second_backward():
    x = _leaf([1.0, 2.0])
    out = (x.exp() * x).sum()
    out.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    out.backward(retain_graph=True)
    np.testing.assert_allclose(x.grad.numpy(), 2 * first)
    out.backward()  # the last one may free
    np.testing.assert_allclose(x.grad.numpy(), 3 * first)
    with pytest.raises(RuntimeError, match="second time"):
        out.backward()


def test_graph_without_saved_values_can_be_traversed_again():
    # as in PyTorch: only saved tensors are freed, so add/sum graphs survive
    x = _leaf([1.0, 2.0])
    out = (x + x).sum()
    out.backward()
    out.backward()
    assert x.grad.tolist() == [4.0, 4.0]


# --------------------------------------------------------------------------- grad modes


def test_no_grad_context():
    x = _leaf([1.0])
    with mt.no_grad():
        y = x * 2
        assert not mt.is_grad_enabled()
    assert mt.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    z = x * 2
    assert z.requires_grad


def test_no_grad_restores_the_mode_after_an_exception():
    with pytest.raises(ValueError):
        with mt.no_grad():
            raise ValueError("boom")
    assert mt.is_grad_enabled()


def test_grad_modes_nest():
    x = _leaf([1.0])
    with mt.no_grad():
        with mt.enable_grad():
            assert (x * 2).requires_grad
            with mt.no_grad():
                assert not (x * 2).requires_grad
            assert (x * 2).requires_grad
        assert not (x * 2).requires_grad
        with mt.set_grad_enabled(True):
            assert (x * 2).requires_grad
    with mt.set_grad_enabled(False):
        assert not (x * 2).requires_grad
        with mt.autograd.enable_grad():
            assert (x * 2).requires_grad
    assert mt.is_grad_enabled()


def test_grad_modes_as_decorators():
    x = _leaf([1.0])

    @mt.no_grad()
    def double(t):
        return t * 2

    @mt.no_grad
    def triple(t):  # bare decorator, as PyTorch allows
        return t * 3

    @mt.enable_grad()
    def quadruple(t):
        return t * 4

    @mt.set_grad_enabled(False)
    def quintuple(t):
        return t * 5

    assert mt.is_grad_enabled()  # defining a decorated function changes nothing
    assert not double(x).requires_grad
    assert not triple(x).requires_grad
    assert not quintuple(x).requires_grad
    assert double.__name__ == "double"
    assert mt.is_grad_enabled()
    with mt.no_grad():
        assert quadruple(x).requires_grad
        assert not mt.is_grad_enabled()


def test_set_grad_enabled_as_a_function_call():
    x = _leaf([1.0])
    mt.set_grad_enabled(False)
    try:
        assert not mt.is_grad_enabled()
        assert not (x * 2).requires_grad
    finally:
        mt.set_grad_enabled(True)
    assert (x * 2).requires_grad


def test_detach():
    x = _leaf([1.0, 2.0])
    y = x * 2
    d = y.detach()
    assert not d.requires_grad and d.is_leaf and d.grad_fn is None
    assert np.shares_memory(d.numpy(), y.detach().numpy())
    out = (d * x).sum()
    out.backward()
    assert x.grad.tolist() == [2.0, 4.0]  # d is a constant


def test_detach_shares_the_version_counter():
    x = _leaf([1.0, 2.0])
    y = x * x  # saves x
    x.detach().mul_(10)  # silently changes x's values behind the graph's back...
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.sum().backward()  # ...which the version counter detects


def test_requires_grad_():
    t = mt.tensor([1.0, 2.0])
    assert t.requires_grad_() is t
    assert t.requires_grad
    (t * 2).sum().backward()
    assert t.grad.tolist() == [2.0, 2.0]
    t.requires_grad_(False)
    assert not t.requires_grad
    y = _leaf([1.0]) * 2
    with pytest.raises(RuntimeError, match="leaf"):
        y.requires_grad_(False)


def test_operations_without_grad_inputs_record_nothing():
    a, b = mt.tensor([1.0]), mt.tensor([2.0])
    c = a * b + a.exp()
    assert not c.requires_grad and c.grad_fn is None


# --------------------------------------------------------------------------- hooks


def test_hook_on_leaf_modifies_grad_and_can_be_removed():
    x = _leaf([1.0, 2.0])
    handle = x.register_hook(lambda g: g * 10)
    (x * 2).sum().backward()
    assert x.grad.tolist() == [20.0, 20.0]
    handle.remove()
    x.grad = None
    (x * 2).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


def test_hook_on_non_leaf_changes_what_flows_upstream():
    x = _leaf([1.0, 2.0])
    y = x * 2
    seen = []

    def record_and_zero_first(g):
        seen.append(g.numpy().copy())
        g = g.clone()
        g[0] = 0.0
        return g

    handle = y.register_hook(record_and_zero_first)
    (y * y).sum().backward()
    np.testing.assert_array_equal(seen[0], [4.0, 8.0])
    assert x.grad.tolist() == [0.0, 16.0]
    handle()  # calling the handle removes it too
    x.grad = None
    y2 = x * 2
    (y2 * y2).sum().backward()
    assert x.grad.tolist() == [8.0, 16.0]
    assert len(seen) == 1


def test_hook_returning_none_observes_only_and_hooks_chain():
    x = _leaf([1.0, 2.0])
    calls = []
    x.register_hook(lambda g: calls.append("observe"))
    x.register_hook(lambda g: g + 1)
    x.register_hook(lambda g: g * 2)
    (x * 3).sum().backward()
    assert calls == ["observe"]
    assert x.grad.tolist() == [8.0, 8.0]


def test_hook_sees_the_total_gradient_once():
    x = _leaf([1.0])
    grads = []
    x.register_hook(lambda g: grads.append(g.item()))
    (x * 2 + x * 3).sum().backward()
    assert grads == [5.0]


def test_bad_hooks_are_reported():
    x = _leaf([1.0, 2.0])
    x.register_hook(lambda g: mt.zeros(3, dtype=mt.float64))
    with pytest.raises(RuntimeError, match="shape"):
        (x * 2).sum().backward()
    y = _leaf([1.0])
    y.register_hook(lambda g: 5)
    with pytest.raises(TypeError, match="Tensor or None"):
        (y * 2).sum().backward()
    with pytest.raises(RuntimeError, match="doesn't require"):
        mt.tensor([1.0]).register_hook(lambda g: g)


# --------------------------------------------------------------------------- in-place on non-leaves


def test_inplace_on_non_leaf_gives_correct_gradients():
    x = _leaf([1.0, 2.0])
    y = x * 2
    y += 1
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]
    x.grad = None
    y = x * 2
    y *= x  # y = 2x * x
    y.sum().backward()
    assert x.grad.tolist() == [4.0, 8.0]


def test_earlier_consumers_of_a_tensor_changed_in_place_keep_their_gradient():
    x = _leaf([1.0, 2.0])
    y = x * 2
    z = y.exp()  # uses the value before the in-place change
    y.sub_(x)  # y = 2x - x
    (z.sum() + 10 * y.sum()).backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp([2.0, 4.0]) + 10)

    x = _leaf([1.0, 2.0])
    y = x * 2
    a = y * 1.0
    y.mul_(3)
    b = y * 1.0
    y.add_(x)
    c = y * 1.0
    (a.sum() + 10 * b.sum() + 100 * c.sum()).backward()
    assert x.grad.tolist() == [2.0 + 60.0 + 700.0] * 2


def test_inplace_changes_with_double_backward_match_pytorch():
    torch = pytest.importorskip("torch")
    results = []
    for lib in (torch, mt):
        x = lib.tensor([0.5, -1.0], dtype=lib.float64, requires_grad=True)
        y = x * 2
        z = (y + 1).exp()  # recorded before y changes
        y.mul_(x)
        w = y.clone()
        w[0] = x[1] ** 3
        out = z.sum() + (y * y).sum() + (w * x).sum()
        (g,) = lib.autograd.grad(out, x, create_graph=True)
        (gg,) = lib.autograd.grad((g * g).sum(), x)
        results.append((g.detach().numpy(), gg.numpy()))
    np.testing.assert_allclose(results[1][0], results[0][0], rtol=1e-12)
    np.testing.assert_allclose(results[1][1], results[0][1], rtol=1e-12)


def test_setitem_into_a_buffer_used_before_raises_like_pytorch():
    x, w = _leaf([1.0, 2.0]), _leaf([3.0, 4.0])
    buf = mt.zeros(2, dtype=mt.float64)
    z = buf * w  # saves buf's values for w's gradient
    buf[0] = x[0] * 5
    with pytest.raises(RuntimeError, match="Mul: .*modified by an in-place operation"):
        z.sum().backward()
    (buf * w).sum().backward()  # a product recorded after the write uses the new values
    assert x.grad.tolist() == [15.0, 0.0]
    assert w.grad.tolist() == [5.0, 0.0]


def test_copy_into_a_tensor_does_not_alias_the_source():
    x = _leaf([1.0, 2.0])
    source = x * 2
    target = mt.zeros(2, dtype=mt.float64)
    target.copy_(source)
    assert not np.shares_memory(target.detach().numpy(), source.detach().numpy())
    with mt.no_grad():
        target.add_(100)
    assert source.tolist() == [2.0, 4.0]
    (target * 3).sum().backward()
    assert x.grad.tolist() == [6.0, 6.0]


# --------------------------------------------------------------------------- memory


def test_graph_is_garbage_after_backward():
    x = _leaf(np.ones(1000))
    y = x * 2
    z = y.exp()
    node_ref = weakref.ref(y.grad_fn)
    tensor_ref = weakref.ref(y)
    out = z.sum()
    del y, z
    assert node_ref() is not None  # kept alive by the graph of `out`
    out.backward()
    del out
    gc.collect()
    assert node_ref() is None
    assert tensor_ref() is None


def test_graph_is_freed_without_the_cycle_collector():
    gc.disable()
    try:
        x = _leaf(np.ones(10))
        y = x * 2
        y.retain_grad()
        out = y.exp().sum()
        node_ref, tensor_ref = weakref.ref(out.grad_fn), weakref.ref(y)
        out.backward()
        del out, y
        assert node_ref() is None  # plain reference counting freed it: no cycles
        assert tensor_ref() is None
    finally:
        gc.enable()


def test_saved_arrays_released_after_backward():
    x = _leaf(np.ones(5))
    y = x.exp()
    node = y.grad_fn
    saved_before = node.saved
    assert saved_before and saved_before[0] is not None
    y.sum().backward()
    assert node.saved is not saved_before
    assert node.output is None


def test_version_counter():
    t = mt.zeros(3)
    assert t._version == 0
    t.add_(1)
    t[0] = 5.0
    assert t._version == 2
    assert t.tolist() == [5.0, 1.0, 1.0]


def test_leaf_gradients_never_share_memory() -> None:
    """Add hands the same gradient array to both inputs; each .grad must own its memory,
    since .grad is later modified in place (accumulation, clip_grad_norm_)."""
    x = mt.tensor([1.0, 2.0], requires_grad=True)
    y = mt.tensor([3.0, 4.0], requires_grad=True)
    seed = mt.tensor([1.0, 1.0])
    (x + y).backward(seed)
    assert not np.shares_memory(x.grad.numpy(), y.grad.numpy())
    assert not np.shares_memory(x.grad.numpy(), seed.numpy())
    x.grad.mul_(10)
    assert y.grad.tolist() == [1.0, 1.0] and seed.tolist() == [1.0, 1.0]
    (x + y).backward(seed)  # accumulation in place does not leak into the other leaf either
    assert x.grad.tolist() == [11.0, 11.0] and y.grad.tolist() == [2.0, 2.0]


def test_a_leaf_used_many_times_sums_in_place_without_touching_shared_gradients():
    # AddOp hands the same array to both inputs, and the first gradient of x here is the
    # caller's own array: the engine sums a leaf's later gradients in place, but only into an
    # array it made itself.
    x = mt.tensor([1.0, 2.0, 3.0], requires_grad=True)
    seed = mt.tensor([1.0, 10.0, 100.0])
    y = x + x + x + x * 2 + x.tanh()
    y.backward(seed)
    t = np.tanh(x.detach().numpy())
    np.testing.assert_allclose(x.grad.numpy(), seed.numpy() * (5 + 1 - t * t))
    np.testing.assert_array_equal(seed.numpy(), [1.0, 10.0, 100.0])  # the caller's, untouched
    x.grad = None
    z = (x + x) * 1.0  # two gradients only: the second makes the sum
    z.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0, 2.0])


def test_in_place_sums_follow_autograd_grad_and_create_graph():
    x = mt.tensor([0.5, -1.0], requires_grad=True)
    y = (x * x + x * x + x * x).sum()  # x receives six gradients
    (g,) = mt.autograd.grad(y, x, create_graph=True)  # Tensors: summed out of place
    np.testing.assert_allclose(g.detach().numpy(), 6 * x.detach().numpy())
    (h,) = mt.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(h.numpy(), [6.0, 6.0])
    (g2,) = mt.autograd.grad((x + x + x + x).sum(), x)  # arrays: the later ones in place
    np.testing.assert_array_equal(g2.numpy(), [4.0, 4.0])


def test_graph_and_array_backwards_of_one_graph_in_two_threads_at_once():
    # A create_graph backward hands its op backwards a GraphContext (saved values as the graph's
    # Tensors); a first-order backward of the same retained graph, in another thread at the
    # same time, must still get the saved arrays: nothing is switched on the shared nodes.
    x = mt.tensor([0.5, -1.0, 2.0], requires_grad=True)
    y = (x.tanh() * x * x).sum()
    t = np.tanh(x.detach().numpy())
    v = x.detach().numpy()
    first = (1 - t * t) * v * v + 2 * t * v
    start = threading.Barrier(2)
    results: dict[str, list] = {"graph": [], "arrays": []}

    def graph_grads():
        start.wait()
        for _ in range(40):
            (g,) = mt.autograd.grad(y, x, create_graph=True, retain_graph=True)
            assert g.grad_fn is not None
            results["graph"].append(g.detach().numpy())

    def array_grads():
        start.wait()
        for _ in range(40):
            (g,) = mt.autograd.grad(y, x, retain_graph=True)
            assert g.grad_fn is None
            results["arrays"].append(g.numpy())

    threads = [threading.Thread(target=graph_grads), threading.Thread(target=array_grads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results["graph"]) == len(results["arrays"]) == 40
    for g in results["graph"] + results["arrays"]:
        np.testing.assert_allclose(g, first, rtol=1e-6)
