"""The rearrange family (``ops/rearrange.py``): flips, rolls, rotations, triangles, diagonals,
windows, repeats, the split and stack families, meshgrid, broadcasting, transposes and the
in-place shape changes.

Forward results are checked against NumPy, gradients by the gradcheck cases below, PyTorch
parity by the golden groups ``rearrange`` and ``rearrange_views``; here also the view semantics
(shared memory, writes through, version counter) that golden files cannot show.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import microtensor as mt
from microtensor.ops.rearrange import UnfoldBackwardOp
from tests.gradcheck_cases import Case


def _windows(x: np.ndarray, axis: int, size: int, step: int) -> np.ndarray:
    """NumPy's reference for Tensor.unfold."""
    windows = np.lib.stride_tricks.sliding_window_view(x, size, axis=axis)
    return windows[(slice(None),) * axis + (slice(None, None, step),)]


def _fold_reference(g: np.ndarray) -> np.ndarray:
    """The adjoint of unfold(1, 3, 2) of a (2, 7) tensor, element by element."""
    out = np.zeros((2, 7))
    for w in range(g.shape[1]):
        for j in range(3):
            out[:, 2 * w + j] += g[:, w, j]
    return out


def _diag_embed_reference(x: np.ndarray, offset: int) -> np.ndarray:
    n = x.shape[-1] + abs(offset)
    out = np.zeros(x.shape[:-1] + (n, n))
    for k in range(x.shape[-1]):
        row, col = (k, k + offset) if offset >= 0 else (k - offset, k)
        out[..., row, col] = x[..., k]
    return out


def _product(pair):
    return pair[0] * pair[1]


GRADCHECK_CASES = [
    Case("flip", lambda x: mt.flip(x, (0, 2)), [(2, 3, 4)],
         reference=lambda x: x[::-1, :, ::-1]),
    Case("flip_method_fliplr", lambda x: x.fliplr() * 2, [(3, 2)],
         reference=lambda x: np.fliplr(x) * 2),
    Case("roll_dims", lambda x: mt.roll(x, (1, -2), (0, 1)), [(3, 4)],
         reference=lambda x: np.roll(x, (1, -2), (0, 1))),
    Case("roll_flat", lambda x: x.roll(5), [(3, 4)], reference=lambda x: np.roll(x, 5)),
    Case("rot90", lambda x: mt.rot90(x, 1, (1, 2)), [(2, 3, 4)],
         reference=lambda x: np.rot90(x, 1, (1, 2))),
    Case("rot90_k3", lambda x: x.rot90(-1), [(3, 4)], reference=lambda x: np.rot90(x, -1)),
    Case("tril", lambda x: mt.tril(x, -1), [(2, 3, 4)], reference=lambda x: np.tril(x, -1)),
    Case("triu", lambda x: x.triu(1), [(4, 3)], reference=lambda x: np.triu(x, 1)),
    Case("diagonal", lambda x: mt.diagonal(x, 1, 2, 0), [(3, 2, 4)],
         reference=lambda x: np.diagonal(x, 1, 2, 0)),
    Case("diagonal_of_diagonal_input", lambda x: x.diagonal(-1) * x.diagonal(-1), [(4, 3)],
         reference=lambda x: np.diagonal(x, -1) ** 2),
    Case("diag_embed", lambda x: mt.diag_embed(x, 1), [(2, 3)],
         reference=lambda x: _diag_embed_reference(x, 1)),
    Case("diag_matrix", lambda x: mt.diag(x, -1), [(3, 4)],
         reference=lambda x: np.diag(x, -1)),
    Case("diagflat", lambda x: mt.diagflat(x), [(2, 2)], reference=lambda x: np.diagflat(x)),
    Case("unfold", lambda x: x.unfold(1, 3, 2), [(2, 7)],
         reference=lambda x: _windows(x, 1, 3, 2)),
    Case("unfold_overlapping_squared", lambda x: x.unfold(0, 2, 1) ** 2, [(5, 2)],
         reference=lambda x: _windows(x, 0, 2, 1) ** 2),
    Case("unfold_backward",
         lambda g: UnfoldBackwardOp.apply(g, shape=(2, 7), axis=1, size=3, step=2),
         [(2, 3, 3)], reference=_fold_reference),
    Case("repeat_interleave", lambda x: mt.repeat_interleave(x, mt.tensor([2, 0, 1]), dim=1),
         [(2, 3)], reference=lambda x: np.repeat(x, [2, 0, 1], axis=1)),
    Case("tile", lambda x: mt.tile(x, (2, 1, 2)), [(2, 3)],
         reference=lambda x: np.tile(x, (2, 1, 2))),
    Case("narrow", lambda x: x.narrow(1, 1, 2), [(3, 4)], reference=lambda x: x[:, 1:3]),
    Case("movedim", lambda x: mt.movedim(x, (0, 1), (2, 0)), [(2, 3, 4)],
         reference=lambda x: np.moveaxis(x, (0, 1), (2, 0))),
    Case("unflatten", lambda x: x.unflatten(1, (2, -1)), [(2, 6)],
         reference=lambda x: x.reshape(2, 2, 3)),
    Case("unbind", lambda x: mt.unbind(x, 1)[2] * 3, [(2, 3)], reference=lambda x: x[:, 2] * 3),
    Case("tensor_split", lambda x: mt.tensor_split(x, [1, 4], dim=1)[1], [(2, 6)],
         reference=lambda x: x[:, 1:4]),
    Case("hstack", lambda a, b: mt.hstack([a, b]), [(2, 1), (2, 3)],
         reference=lambda a, b: np.hstack([a, b])),
    Case("vstack", lambda a, b: mt.vstack([a, b]), [(3,), (2, 3)],
         reference=lambda a, b: np.vstack([a, b])),
    Case("dstack", lambda a, b: mt.dstack([a, b]), [(3,), (1, 3)],
         reference=lambda a, b: np.dstack([a, b])),
    Case("column_stack", lambda a, b: mt.column_stack([a, b]), [(3,), (3, 2)],
         reference=lambda a, b: np.column_stack([a, b])),
    Case("meshgrid_xy", lambda a, b: _product(mt.meshgrid(a, b, indexing="xy")), [(3,), (2,)],
         reference=lambda a, b: _product(np.meshgrid(a, b, indexing="xy"))),
    Case("broadcast_tensors", lambda a, b: _product(mt.broadcast_tensors(a, b)),
         [(3, 1), (4,)], reference=lambda a, b: _product(np.broadcast_arrays(a, b))),
]


# --------------------------------------------------------------------------- forward vs NumPy


def _random(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape)


@pytest.mark.parametrize("k", [-3, -1, 0, 1, 2, 4, 7])
def test_rot90_matches_numpy_for_every_k(k: int) -> None:
    x = _random(2, 3, 4)
    np.testing.assert_array_equal(mt.rot90(mt.tensor(x), k, (0, 2)).numpy(),
                                  np.rot90(x, k, (0, 2)))


@pytest.mark.parametrize("offset", [-4, -1, 0, 2, 5])
def test_tril_triu_diagonal_match_numpy(offset: int) -> None:
    x = _random(2, 3, 4)
    t = mt.tensor(x)
    np.testing.assert_array_equal(mt.tril(t, offset).numpy(), np.tril(x, offset))
    np.testing.assert_array_equal(mt.triu(t, offset).numpy(), np.triu(x, offset))
    np.testing.assert_array_equal(mt.diagonal(t, offset, 1, 2).numpy(),
                                  np.diagonal(x, offset, 1, 2))
    np.testing.assert_array_equal(mt.diag(mt.tensor(x[0]), offset).numpy(), np.diag(x[0], offset))
    np.testing.assert_array_equal(mt.diag(mt.tensor(x[0, 0]), offset).numpy(),
                                  np.diag(x[0, 0], offset))


def test_triangles_select_rather_than_multiply() -> None:
    x = mt.tensor([[np.inf, np.nan], [-np.inf, 1.0]], requires_grad=True)
    lower = mt.tril(x)
    np.testing.assert_array_equal(lower.detach().numpy(), [[np.inf, 0.0], [-np.inf, 1.0]])
    upper_grad = mt.tensor([[1.0, np.inf], [np.nan, 2.0]])
    lower.backward(upper_grad)
    np.testing.assert_array_equal(x.grad.numpy(), [[1.0, 0.0], [np.nan, 2.0]])


def test_roll_without_dims_rolls_the_flattened_tensor() -> None:
    x = _random(3, 4)
    np.testing.assert_array_equal(mt.roll(mt.tensor(x), -7).numpy(), np.roll(x, -7))
    np.testing.assert_array_equal(mt.tensor(x).roll((1, 1), (1, 1)).numpy(), np.roll(x, 2, 1))


def test_repeat_interleave_forms() -> None:
    x = _random(2, 3)
    t = mt.tensor(x)
    np.testing.assert_array_equal(mt.repeat_interleave(t, 2).numpy(), np.repeat(x, 2))
    np.testing.assert_array_equal(t.repeat_interleave(mt.tensor([1, 3]), 0).numpy(),
                                  np.repeat(x, [1, 3], 0))
    counts = mt.repeat_interleave(mt.tensor([2, 0, 1]))
    assert counts.dtype == mt.int64 and counts.tolist() == [0, 0, 2]
    with pytest.raises(TypeError, match="repeat_interleave"):
        mt.repeat_interleave(t, 1.5)


def test_repeat_interleave_backward_adds_the_copies() -> None:
    x = mt.tensor([1.0, 2.0, 3.0], requires_grad=True)
    mt.repeat_interleave(x, mt.tensor([3, 0, 2])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 0.0, 2.0])


def test_unfold_matches_numpy_windows() -> None:
    x = _random(3, 9, 2)
    for size, step in ((1, 1), (3, 2), (4, 3), (9, 1), (2, 5)):
        np.testing.assert_array_equal(mt.tensor(x).unfold(1, size, step).numpy(),
                                      _windows(x, 1, size, step))


def test_unfold_backward_counts_overlaps() -> None:
    x = mt.ones(5, requires_grad=True)
    x.unfold(0, 3, 1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1, 2, 3, 2, 1])


def test_tensor_split_matches_numpy_array_split() -> None:
    x = _random(7, 2)
    for spec in (3, 7, 9, [2, 5], [5, 2], [0, 7]):
        ours = [p.numpy() for p in mt.tensor_split(mt.tensor(x), spec)]
        theirs = np.array_split(x, spec)
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            np.testing.assert_array_equal(a, b)


def test_splits_and_stacks_match_numpy() -> None:
    x = _random(4, 6, 2)
    for ours, theirs in ((mt.hsplit(mt.tensor(x), 3), np.hsplit(x, 3)),
                         (mt.vsplit(mt.tensor(x), [1, 3]), np.vsplit(x, [1, 3])),
                         (mt.dsplit(mt.tensor(x), 2), np.dsplit(x, 2))):
        for a, b in zip(ours, theirs, strict=True):
            np.testing.assert_array_equal(a.numpy(), b)
    a, b = _random(3), _random(3, seed=1)
    for ours, theirs in ((mt.hstack, np.hstack), (mt.vstack, np.vstack),
                         (mt.row_stack, np.vstack), (mt.dstack, np.dstack),
                         (mt.column_stack, np.column_stack)):
        np.testing.assert_array_equal(ours([mt.tensor(a), mt.tensor(b)]).numpy(), theirs([a, b]))


def test_meshgrid_matches_numpy() -> None:
    a, b, c = np.arange(3.0), np.arange(2.0), np.arange(4.0)
    for indexing in ("ij", "xy"):
        ours = mt.meshgrid(mt.tensor(a), mt.tensor(b), mt.tensor(c), indexing=indexing)
        for mine, theirs in zip(ours, np.meshgrid(a, b, c, indexing=indexing), strict=True):
            np.testing.assert_array_equal(mine.numpy(), theirs)


def test_meshgrid_warns_without_indexing_like_pytorch() -> None:
    with pytest.warns(UserWarning, match="indexing argument"):
        grids = mt.meshgrid(mt.arange(3), mt.arange(2))
    assert grids[0].shape == (3, 2)


def test_broadcast_shapes_and_tensors() -> None:
    assert mt.broadcast_shapes((2, 1), (3,), 1) == (2, 3)
    assert mt.broadcast_shapes() == ()
    with pytest.raises(RuntimeError, match="broadcast_shapes"):
        mt.broadcast_shapes((2, 3), (4,))
    a, b = mt.broadcast_tensors(mt.zeros(3, 1), mt.ones(4))
    assert a.shape == b.shape == (3, 4)


def test_atleast_functions() -> None:
    assert mt.atleast_1d(mt.tensor(1.0)).shape == (1,)
    assert mt.atleast_2d(mt.zeros(3)).shape == (1, 3)
    assert mt.atleast_3d(mt.zeros(3)).shape == (1, 3, 1)
    assert mt.atleast_3d(mt.zeros(2, 3)).shape == (2, 3, 1)
    x = mt.zeros(2, 3, 4)
    assert mt.atleast_3d(x) is x
    pair = mt.atleast_2d([mt.tensor(1.0), mt.zeros(2)])
    assert isinstance(pair, tuple) and [p.shape for p in pair] == [(1, 1), (1, 2)]


def test_transposes_of_real_tensors() -> None:
    x = mt.tensor(_random(2, 3, 4))
    np.testing.assert_array_equal(x.mT.numpy(), np.swapaxes(x.numpy(), -1, -2))
    np.testing.assert_array_equal(x.mH.numpy(), x.mT.numpy())
    np.testing.assert_array_equal(x[0].H.numpy(), x[0].numpy().T)
    with pytest.warns(UserWarning, match="x.T"):
        assert x.T.shape == (4, 3, 2)
    with pytest.raises(RuntimeError, match=r"tensor.H is only supported on matrices"):
        _ = x.H
    with pytest.raises(RuntimeError, match="<= 2 dimensions"):
        mt.t(x)


# --------------------------------------------------------------------------- views


@pytest.mark.parametrize("make", [
    lambda b: b.narrow(1, 1, 2), lambda b: b.diagonal(), lambda b: mt.movedim(b, 0, 1),
    lambda b: b.unflatten(1, (2, 2)), lambda b: b.unfold(1, 2, 1), lambda b: b.t(),
    lambda b: b.mT, lambda b: b.swapaxes(0, 1), lambda b: mt.unbind(b)[1],
    lambda b: mt.tensor_split(b, 2, 1)[1], lambda b: b.hsplit(2)[0],
    lambda b: mt.broadcast_to(b[0], (2, 4)), lambda b: mt.meshgrid(b[0], indexing="ij")[0],
    lambda b: mt.atleast_3d(b),
], ids=["narrow", "diagonal", "movedim", "unflatten", "unfold", "t", "mT", "swapaxes",
        "unbind", "tensor_split", "hsplit", "broadcast_to", "meshgrid", "atleast_3d"])
def test_views_share_memory_and_version_with_their_base(make) -> None:
    base = mt.arange(12.0).reshape(3, 4)
    view = make(base)
    assert np.shares_memory(view.numpy(), base.numpy())
    before = view._version
    base.add_(1)
    assert view._version == before + 1
    assert view.numpy().min() >= 1  # the view sees the base's new values


def test_writes_through_views_reach_the_base() -> None:
    base = mt.zeros(3, 4)
    base.diagonal().fill_(1)
    base.narrow(1, 3, 1).add_(5)
    base.unfold(0, 1, 1)[0, 0, 0] = 7
    with pytest.raises(RuntimeError, match="single memory location"):
        base.unfold(1, 2, 1).add_(1)  # overlapping windows
    np.testing.assert_array_equal(base.numpy(), [[7, 0, 0, 5], [0, 1, 0, 5], [0, 0, 1, 5]])


def test_copies_do_not_share_memory() -> None:
    base = mt.arange(6.0).reshape(2, 3)
    for copy in (mt.flip(base, (0,)), mt.roll(base, 1), mt.tril(base), mt.diag(base),
                 mt.rot90(base), mt.rot90(base, 0), mt.repeat_interleave(base, 1, 0),
                 mt.tile(base, (1,))):
        assert not np.shares_memory(copy.numpy(), base.numpy())


def test_gradient_through_a_write_into_a_diagonal_view() -> None:
    w = mt.tensor([1.0, 2.0, 3.0], requires_grad=True)
    m = mt.zeros(3, 3) + 0 * w.sum()
    m.diagonal().mul_(0).add_(w * w)
    (m * 2).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), 4 * w.detach().numpy())


def test_unbind_outputs_refuse_in_place_changes_while_recording() -> None:
    x = mt.ones(2, 3, requires_grad=True) * 1
    first, _ = x.unbind()
    with pytest.raises(RuntimeError, match="multiple views"):
        first.add_(1)


# --------------------------------------------------------------------------- in place shapes


def test_in_place_shape_changes() -> None:
    x = mt.zeros(1, 3, 1)
    storage = x.numpy()
    assert x.squeeze_((0, 2)) is x and x.shape == (3,)
    assert x.unsqueeze_(0).shape == (1, 3)
    assert x.t_().shape == (3, 1)
    assert x.transpose_(0, 1).shape == (1, 3)
    assert x.swapdims_(0, 1).swapaxes_(1, 0).shape == (1, 3)
    x.fill_(2)
    assert np.shares_memory(x.numpy(), storage) and (storage == 2).all()
    assert x._version == 7  # every in-place shape change counts as a write, as in PyTorch


def test_in_place_shape_change_keeps_the_graph_right() -> None:
    x = mt.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    y = x * 2
    z = (y + 1).sum(1)  # used y with its old shape
    y.t_()
    assert y.shape == (3, 1) and y.grad_fn is not None
    (z.sum() + (y * mt.tensor([[1.0], [10.0], [100.0]])).sum()).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[4.0, 22.0, 202.0]])


def test_in_place_shape_change_of_a_view_follows_its_base() -> None:
    base = mt.zeros(2, 3)
    row = base[1]
    row.unsqueeze_(0)
    base.add_(1)
    assert row.shape == (1, 3) and (row.numpy() == 1).all()


def test_in_place_shape_changes_refused_like_pytorch() -> None:
    leaf = mt.zeros(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        leaf.unsqueeze_(0)
    with pytest.raises(RuntimeError, match="view of a leaf"):
        leaf[0].unsqueeze_(0)
    with pytest.raises(RuntimeError, match="<= 2 dimensions"):
        mt.zeros(1, 2, 3).t_()
    with mt.no_grad():
        assert leaf.t_().shape == (3, 2)


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize("call, error, fragment", [
    (lambda: mt.flip(mt.zeros(2, 3), (1, -1)), RuntimeError, "flip: dim 1 appears"),
    (lambda: mt.roll(mt.zeros(2), (1, 2), 0), RuntimeError, "roll: shifts and dimensions"),
    (lambda: mt.rot90(mt.zeros(2, 2), 1, (0, -2)), RuntimeError, "rot90: expected rotation"),
    (lambda: mt.tril(mt.zeros(3)), RuntimeError, "tril: input tensor must have at least 2"),
    (lambda: mt.diagonal(mt.zeros(2, 2), 0, 1, -1), RuntimeError, "diagonal: diagonal dim"),
    (lambda: mt.diag(mt.zeros(1, 1, 1)), RuntimeError, "diag(): Supports 1D or 2D"),
    (lambda: mt.zeros(3).unfold(0, 4, 1), RuntimeError, "unfold: maximum size"),
    (lambda: mt.zeros(3).unfold(0, 2, 0), RuntimeError, "unfold: step is 0"),
    (lambda: mt.repeat_interleave(mt.zeros(2), -1), RuntimeError, "non-negative"),
    (lambda: mt.zeros(3, 2).narrow(1, 1, 2), RuntimeError, "narrow(): start (1) + length (2)"),
    (lambda: mt.zeros(3).narrow(0, 4, 0), IndexError, "narrow(): start out of range"),
    (lambda: mt.unbind(mt.tensor(1.0)), IndexError, "unbind: Dimension"),
    (lambda: mt.zeros(2, 6).unflatten(1, (4, 2)), RuntimeError, "unflatten: Provided sizes"),
    (lambda: mt.movedim(mt.zeros(2, 3), (0, 0), (1, 0)), RuntimeError, "movedim: repeated"),
    (lambda: mt.hsplit(mt.zeros(2, 3), 2), RuntimeError, "hsplit attempted to split"),
    (lambda: mt.tensor_split(mt.zeros(3), mt.tensor([1.0])), RuntimeError, "dtype of long"),
    (lambda: mt.meshgrid(mt.zeros(2), indexing="ji"), RuntimeError, "indexing must be"),
    (lambda: mt.vstack([]), RuntimeError, "vstack expects a non-empty"),
    (lambda: mt.zeros(1, 2).squeeze((0, -2)), RuntimeError, "squeeze: dim 0 appears"),
    (lambda: mt.tile(mt.zeros(2), (-1,)), RuntimeError, "tile: Trying to create"),
])
def test_errors_name_the_op(call, error, fragment) -> None:
    with pytest.raises(error) as raised:
        call()
    assert fragment in str(raised.value)


def test_no_numpy_warnings_leak() -> None:
    x = mt.tensor([[np.inf, np.nan], [0.0, -0.0]], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        outputs = [mt.tril(x), mt.flip(x, (0,)), mt.roll(x, 1), mt.diag(x), mt.diag_embed(x),
                   x.unfold(1, 1, 1), mt.repeat_interleave(x, 2, 0)]
        for out in outputs:
            out.sum().backward()
