"""Views share memory and version counter with their base; in-place changes through either are
seen by both and give PyTorch's gradients (the graph is rebased, as PyTorch's CopySlices does)."""

from __future__ import annotations

import numpy as np
import pytest

import microtensor as mt
from microtensor.ops.views import ViewScatterOp
from tests.gradcheck_cases import Case

INDEX = np.array([[0, 2], [3, 5]])  # a 2x2 view of a (2, 3) base, at these flat positions


def _scatter_reference(base, source):
    out = base.copy()
    out.reshape(-1)[INDEX.reshape(-1)] = source.reshape(-1)
    return out


GRADCHECK_CASES = [
    Case("view_scatter", lambda b, s: ViewScatterOp.apply(b, s, index=INDEX), [(2, 3), (2, 2)],
         reference=_scatter_reference),
    Case("inplace_through_a_view", lambda w: _rebased(w), [(2, 3)],
         reference=lambda w: _rebased_reference(w)),
]


def _rebased(w):
    h = w * 1.5
    row = h[1]
    row.mul_(w[0])  # changes h through its view
    return h * h


def _rebased_reference(w):
    h = w * 1.5
    h[1] = h[1] * w[0]
    return h * h


def _leaf(values):
    return mt.tensor(values, dtype=mt.float64, requires_grad=True)


# --------------------------------------------------------------------------- memory and versions
def test_a_view_shares_memory_and_version_counter_with_its_base() -> None:
    base = mt.arange(6.0).reshape(2, 3)
    view = base[0]
    assert view._version == base._version == 0
    view.mul_(10)
    assert base.tolist() == [[0.0, 10.0, 20.0], [3.0, 4.0, 5.0]]
    assert view._version == base._version == 1
    base.add_(1)
    assert view.tolist() == [1.0, 11.0, 21.0]
    assert view._version == base._version == 2


def test_views_of_views_and_reshapes_and_transposes_write_through() -> None:
    base = mt.zeros(2, 3)
    base.T[1].fill_(7.0)  # column 1 of base
    base.reshape(6)[0] = 5.0
    assert base.tolist() == [[5.0, 7.0, 0.0], [0.0, 7.0, 0.0]]


# --------------------------------------------------------------------------- gradients
def test_changing_a_view_changes_the_base_while_recording() -> None:
    leaf = _leaf([[1.0, 2.0], [3.0, 4.0]])
    base = leaf * 1
    v = base[0]
    v.mul_(10)
    assert base.tolist() == [[10.0, 20.0], [3.0, 4.0]]  # PyTorch: the same
    base.sum().backward()
    assert leaf.grad.tolist() == [[10.0, 10.0], [1.0, 1.0]]


def test_a_view_taken_before_the_base_changed_sees_the_change() -> None:
    leaf = _leaf([[1.0, 2.0], [3.0, 4.0]])
    base = leaf * 1
    v = base[0]
    base.mul_(10)
    assert v.tolist() == [10.0, 20.0]
    (v * v).sum().backward()
    assert leaf.grad.tolist() == [[200.0, 400.0], [0.0, 0.0]]  # PyTorch's values


def test_the_issues_row_plus_five_reproduction() -> None:
    w = _leaf([[1.0, 2.0], [3.0, 4.0]])
    h = w * 1
    row = h[0]
    row += 5
    (h ** 2).sum().backward()
    assert w.grad.tolist() == [[12.0, 14.0], [6.0, 8.0]]  # was [[2, 4], [6, 8]]


def test_gradients_through_views_match_pytorch() -> None:
    torch = pytest.importorskip("torch")
    values = np.random.default_rng(0).standard_normal((3, 4))
    results = []
    for lib in (torch, mt):
        w = lib.tensor(values, dtype=lib.float64, requires_grad=True)
        h = w * 2
        early = h.sum()  # recorded before the changes
        col = h[:, 1]
        col.mul_(w[0, :3])
        h[2].add_(h[0])
        flat = h.reshape(12)
        flat[5:8].pow_(2)
        out = (h * h).sum() + early + (col * 3).sum()
        (g,) = lib.autograd.grad(out, w, create_graph=True)
        (gg,) = lib.autograd.grad((g * g).sum(), w)
        results.append((h.detach().numpy(), g.detach().numpy(), gg.numpy()))
    for ours, theirs in zip(results[1], results[0]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


# --------------------------------------------------------------------------- refused, as in PyTorch
def test_in_place_on_a_view_of_a_leaf_requiring_grad_is_refused() -> None:
    x = _leaf([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
        x[0].mul_(2)
    with mt.no_grad():
        x[0].mul_(2)  # allowed without recording, as in PyTorch
    assert x.tolist() == [[2.0, 4.0], [3.0, 4.0]]


def test_in_place_on_an_output_of_chunk_is_refused_while_recording() -> None:
    h = _leaf([[1.0, -2.0], [3.0, -4.0]]) * 1
    a, b = h.chunk(2, dim=1)
    with pytest.raises(RuntimeError, match="output 1 of chunk is a view and is being modified "
                                           "inplace"):
        b.clamp_(min=0)
    with mt.no_grad():
        b.clamp_(min=0)
    assert h.tolist() == [[1.0, 0.0], [3.0, 0.0]]


def test_in_place_on_an_expanded_tensor_is_refused() -> None:
    e = mt.zeros(3).expand(2, 3)
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor"):
        e.add_(1)


def test_overwriting_a_saved_output_through_another_view_keeps_the_right_gradient() -> None:
    """b[1].tanh_() saves its output; b[:, 0].exp_() then changes one of those values. PyTorch
    refuses this backward (views share one version counter); microtensor keeps the history of
    in-place changes and gives the true gradient (a documented difference)."""

    def second_write_to_saved_output(x: mt.Tensor) -> mt.Tensor:
        base = x * 1
        base[1].tanh_()
        base[:, 0].exp_()
        return base

    x = mt.tensor(np.random.default_rng(0).standard_normal((3, 2)), requires_grad=True)
    assert mt.autograd.gradcheck(second_write_to_saved_output, (x,))
