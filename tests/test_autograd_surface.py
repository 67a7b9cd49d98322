"""The autograd surface PyTorch users look at: ``grad_fn.next_functions`` with ``AccumulateGrad``
nodes, ``autograd.Variable``, the warning on reading ``.grad`` of a non-leaf, and the profiler
(``mt.autograd.profiler.profile``, also reachable as ``mt.profiler``).
"""

from __future__ import annotations

import gc
import warnings

import numpy as np
import pytest

import microtensor as mt
from microtensor.autograd.function import AccumulateGrad
from microtensor.autograd.profiler import profiling
from tests.gradcheck_cases import Case

GRADCHECK_CASES = [
    # a backward under the profiler computes the same gradients (first and second order)
    Case("autograd_surface_profiled", lambda a, b: _profiled(lambda: (a * b).exp().sum()),
         [(2, 3), (2, 3)], reference=lambda a, b: np.exp(a * b).sum()),
]


def _profiled(compute):
    with mt.autograd.profiler.profile():
        return compute()


def _leaves(*shapes):
    return [mt.randn(*shape, requires_grad=True) for shape in shapes]


# --------------------------------------------------------------------------- next_functions


def _kinds(node):
    """Each next function as 'acc' (AccumulateGrad), 'none' or the node's name."""
    return [("acc" if isinstance(n, AccumulateGrad) else "none" if n is None else n.op_name, k)
            for n, k in node.next_functions]


def test_next_functions_match_pytorchs_pairs() -> None:
    a, b = _leaves((3,), (3,))
    c = mt.randn(3)
    w = mt.randn(3, 2, requires_grad=True)
    assert _kinds((a * b).grad_fn) == [("acc", 0), ("acc", 0)]
    assert _kinds((2 * b).grad_fn) == [("acc", 0), ("none", 0)]  # mul(b, 2), as PyTorch
    assert _kinds((a + 1).grad_fn) == [("acc", 0), ("none", 0)]
    assert _kinds((1 + a).grad_fn) == [("acc", 0), ("none", 0)]
    assert _kinds((c + a).grad_fn) == [("none", 0), ("acc", 0)]
    assert _kinds(a.sum().grad_fn) == [("acc", 0)]
    assert _kinds(a.exp().grad_fn) == [("acc", 0)]
    assert _kinds(mt.cat([a, c, b]).grad_fn) == [("acc", 0), ("none", 0), ("acc", 0)]
    assert _kinds((a * b).exp().grad_fn) == [("Mul", 0)]
    assert len((a @ w).grad_fn.next_functions) == 1


def test_accumulate_grad_nodes() -> None:
    a, b = _leaves((2,), (2,))
    node = (a * b).grad_fn.next_functions[0][0]
    assert isinstance(node, AccumulateGrad) and node.variable is a
    assert node.next_functions == () and node.name() == "AccumulateGrad"
    assert (a + b).grad_fn.next_functions[0][0] is node  # one node per leaf while held
    assert (a * a).grad_fn.next_functions[0][0] is (a * a).grad_fn.next_functions[1][0]
    assert (a * b).grad_fn.next_functions[1][0] is not node
    assert "shape (2,)" in repr(node)


def test_the_leaf_holds_its_node_weakly() -> None:
    (a,) = _leaves((2,))
    node = (a * 2).grad_fn.next_functions[0][0]
    assert node.variable is a and a._grad_accumulator() is node
    del node
    gc.collect()
    # nothing holds the node now: the leaf did not keep it alive, and a new one is made
    assert a._grad_accumulator() is None
    assert isinstance((a * 2).grad_fn.next_functions[0][0], AccumulateGrad)


def test_walking_next_functions_reaches_every_leaf() -> None:
    x, w1, w2 = _leaves((4, 3), (3, 5), (5, 2))
    loss = ((x @ w1).tanh() @ w2).sum()
    found, stack, seen = [], [loss.grad_fn], set()
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, AccumulateGrad):
            found.append(node.variable)
        stack.extend(n for n, _ in node.next_functions)
    assert {id(t) for t in found} == {id(x), id(w1), id(w2)}


def test_next_functions_of_a_custom_function() -> None:
    class Double(mt.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return grad * 2

    (a,) = _leaves((3,))
    assert _kinds(Double.apply(a).grad_fn) == [("acc", 0)]
    assert _kinds(Double.apply(a.exp()).grad_fn) == [("Exp", 0)]


# --------------------------------------------------------------------------- Variable


def test_variable_is_a_detached_alias() -> None:
    x = mt.tensor([1.0, 2.0])
    v = mt.autograd.Variable(x)
    assert v is not x and not v.requires_grad and v.is_leaf
    v[0] = 5.0
    assert x.tolist() == [5.0, 2.0]  # same memory
    y = mt.autograd.Variable(x * 1, requires_grad=True)
    assert y.requires_grad and y.is_leaf
    with pytest.raises(TypeError, match="Variable data has to be a tensor, but got list"):
        mt.autograd.Variable([1.0])


# --------------------------------------------------------------------------- .grad of non-leaves


def test_reading_grad_of_a_non_leaf_warns_like_pytorch() -> None:
    (x,) = _leaves((2,))
    y = x * 2
    with pytest.warns(UserWarning, match="The .grad attribute of a Tensor that is not a leaf "
                                         "Tensor is being accessed"):
        assert y.grad is None


def test_no_warning_for_leaves_retained_grads_and_constants() -> None:
    (x,) = _leaves((2,))
    y = x * 2
    y.retain_grad()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert x.grad is None and y.grad is None and mt.ones(2).grad is None
        (y * y).sum().backward()
        assert y.grad.tolist() == pytest.approx((4 * x).tolist())
        assert x.grad is not None


# --------------------------------------------------------------------------- profiler


def test_profiler_counts_forward_and_backward_per_op() -> None:
    a, b = _leaves((50, 50), (50, 50))
    with mt.autograd.profiler.profile(record_shapes=True) as prof:
        loss = (a * b).exp().sum() + (a * a).sum()
        loss.backward()
    rows = {row.key: row for row in prof.key_averages()}
    assert rows["Mul"].count == 2 and rows["MulBackward"].count == 2
    assert rows["Exp"].count == 1 and rows["ExpBackward"].count == 1
    assert rows["Sum"].count == 2 and rows["Add"].count == 1
    assert all(row.cpu_time_total >= row.self_cpu_time_total >= 0 for row in rows.values())
    assert rows["Mul"].cpu_time == pytest.approx(rows["Mul"].cpu_time_total / 2)


def test_profiler_table() -> None:
    (a,) = _leaves((10,))
    with mt.autograd.profiler.profile() as prof:
        for _ in range(3):
            a.tanh().sum().backward()
    table = prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=2)
    lines = table.splitlines()
    assert "Name" in lines[1] and "Self CPU" in lines[1] and "# of Calls" in lines[1]
    body = [line for line in lines[3:] if line and not line.startswith("-")
            and not line.startswith("Self CPU time total")]
    assert len(body) == 2  # row_limit
    assert table.rstrip().splitlines()[-1].startswith("Self CPU time total:")
    counts = {row.key: row.count for row in prof.key_averages()}
    assert counts["Tanh"] == 3 and counts["TanhBackward"] == 3
    with pytest.raises(AttributeError, match="not a field"):
        prof.key_averages().table(sort_by="banana")


def test_profiler_costs_nothing_outside_and_restores_its_flag() -> None:
    (a,) = _leaves((3,))
    assert profiling.active is False
    with mt.autograd.profiler.profile() as outer:
        with mt.profiler.profile(activities=[mt.profiler.ProfilerActivity.CPU]) as inner:
            a.exp()
        assert profiling.active is True
        a.sin()
    assert profiling.active is False
    assert [row.key for row in inner.key_averages()] == ["Exp"]
    assert [row.key for row in outer.key_averages()] == ["Sin"]
    a.cos()
    assert [row.key for row in outer.key_averages()] == ["Sin"]
    with mt.autograd.profiler.profile(enabled=False) as off:
        a.cos()
    assert len(off.key_averages()) == 0


def test_profiler_start_stop_and_record_function() -> None:
    (a,) = _leaves((3,))
    prof = mt.profiler.profile()
    prof.start()
    with mt.profiler.record_function("my block"):
        a.exp()
    prof.step()
    prof.stop()
    rows = {row.key: row for row in prof.key_averages()}
    assert rows["my block"].count == 1 and rows["Exp"].count == 1
    assert rows["my block"].cpu_time_total >= rows["Exp"].cpu_time_total
    assert rows["my block"].self_cpu_time_total <= rows["my block"].cpu_time_total


def test_profiled_double_backward_records_nested_ops() -> None:
    (x,) = _leaves((4,))
    with mt.autograd.profiler.profile() as prof:
        (g,) = mt.autograd.grad((x ** 3).sum(), x, create_graph=True)
        g.sum().backward()
    keys = {row.key for row in prof.key_averages()}
    assert {"PowScalar", "PowScalarBackward", "Sum", "SumBackward"} <= keys
    np.testing.assert_allclose(x.grad.numpy(), 6 * x.detach().numpy(), rtol=1e-6)
