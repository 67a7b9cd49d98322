"""The fast paths of the pooling kernels (``ops/pool_fast.py``) and of adaptive pooling.

* max/avg pooling visit only the taps that land on the input (no padded copy), start the
  backward from ``np.empty`` when the windows tile the input, and run the max loop without the
  NaN rule unless the output holds a NaN: checked against ``conv_plain``'s im2col reference
  over a grid of geometries, and against PyTorch's rules (NaN, ties, all -inf windows) on
  hand-made inputs.
* ``adaptive_avg_pool2d`` is two products with window-mean matrices, with a plain fallback for
  non-finite values: checked against per-window means, with infinities in the input and in the
  gradient, and for double backward.
* ``adaptive_max_pool2d`` finds its maxima on arrays (separably: along H over gathered rows,
  then along W, in chunks of planes and in pieces of the batch) unless a window holds a NaN.
  Its 1x1 average is one matrix-vector product, its backward a broadcast view.

``GRADCHECK_CASES`` (run by ``test_gradcheck.py``): gradcheck, gradgradcheck and NumPy
references for ``AdaptiveAvgPool2dOp`` and ``AdaptiveMaxPool2dOp``.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import microtensor as mt
import microtensor.nn.functional as F
from microtensor import _threads
from microtensor.ops import conv_plain as plain
from microtensor.ops import pool_fast as PK
from tests.gradcheck_cases import Case

inf, nan = np.inf, np.nan

# (shape, kernel, stride, padding, dilation, ceil_mode): tiling, floor leftovers, overlapping,
# padded, dilated, ceil_mode, stride > kernel, non-square
GEOMETRIES = [
    ((2, 3, 8, 8), (2, 2), (2, 2), (0, 0), (1, 1), False),
    ((2, 3, 9, 7), (2, 2), (2, 2), (0, 0), (1, 1), False),
    ((2, 2, 9, 9), (3, 3), (2, 2), (1, 1), (1, 1), False),
    ((1, 2, 8, 10), (3, 3), (1, 1), (1, 1), (1, 1), False),
    ((1, 2, 9, 9), (3, 2), (2, 1), (1, 0), (2, 1), False),
    ((2, 2, 7, 7), (3, 3), (2, 2), (1, 1), (1, 1), True),
    ((1, 3, 10, 10), (2, 2), (3, 3), (0, 0), (1, 1), False),
    ((1, 1, 6, 11), (2, 3), (2, 3), (1, 1), (1, 1), True),
]


def _random(shape, dtype, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, kernel, stride, pad, dilation, ceil", GEOMETRIES)
def test_max_pool_matches_the_plain_reference(shape, kernel, stride, pad, dilation, ceil, dtype):
    x = _random(shape, dtype)
    xt = mt.from_numpy(x.copy()).requires_grad_()
    out, idx = F.max_pool2d(xt, kernel, stride, pad, dilation, ceil, return_indices=True)
    expected = plain.max_pool2d_forward(x, kernel, stride, pad, dilation, ceil)
    np.testing.assert_array_equal(out.detach().numpy(), expected)
    assert out.dtype == xt.dtype
    np.testing.assert_array_equal(idx.detach().numpy(),
                                  plain.max_pool2d_indices(x, kernel, stride, pad, dilation, ceil))
    g = _random(expected.shape, dtype, seed=1)
    out.backward(mt.from_numpy(g))
    want = plain.max_pool2d_backward(g, x, kernel, stride, pad, dilation, ceil)
    np.testing.assert_allclose(xt.grad.detach().numpy(), want, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("count_include_pad, divisor", [(True, None), (False, None), (True, 5)])
@pytest.mark.parametrize("shape, kernel, stride, pad, dilation, ceil",
                         [geometry for geometry in GEOMETRIES if geometry[4] == (1, 1)])
def test_avg_pool_matches_the_plain_reference(shape, kernel, stride, pad, dilation, ceil,
                                              count_include_pad, divisor):
    x = _random(shape, np.float64)
    xt = mt.from_numpy(x.copy()).requires_grad_()
    out = F.avg_pool2d(xt, kernel, stride, pad, ceil, count_include_pad, divisor)
    expected = plain.avg_pool2d_forward(x, kernel, stride, pad, ceil, count_include_pad, divisor)
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-12)
    g = _random(expected.shape, np.float64, seed=1)
    out.backward(mt.from_numpy(g))
    want = plain.avg_pool2d_backward(g, x.shape, kernel, stride, pad, ceil, count_include_pad,
                                     divisor)
    np.testing.assert_allclose(xt.grad.detach().numpy(), want, rtol=1e-12)


def test_a_tiling_backward_fills_every_pixel_and_leftovers_get_zero():
    # 2x2 windows tile 4x4 (np.empty path): every pixel is written; on 5x5 the last row and
    # column are in no window and must be 0, not leftover memory
    for size in (4, 5):
        x = mt.from_numpy(_random((3, 2, size, size), np.float32)).requires_grad_()
        F.max_pool2d(x, 2).sum().backward()
        grad = x.grad.detach().numpy()
        assert np.all(grad.reshape(3, 2, -1).sum(-1) == 4)  # one winner per window
        if size == 5:
            assert not grad[..., 4, :].any() and not grad[..., :, 4].any()
        y = mt.from_numpy(_random((3, 2, size, size), np.float32)).requires_grad_()
        F.avg_pool2d(y, 2).sum().backward()
        expected = np.zeros((size, size), np.float32)
        expected[:4, :4] = 0.25
        np.testing.assert_array_equal(y.grad.detach().numpy(), np.broadcast_to(expected, y.shape))


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.uint8])
@pytest.mark.parametrize("shape, kernel, stride, pad, dilation, ceil", GEOMETRIES)
def test_max_pool_without_a_graph_computes_the_maxima_alone(shape, kernel, stride, pad, dilation,
                                                             ceil, dtype, monkeypatch):
    """No graph will use the winners (no_grad, or an input without requires_grad): the
    maxima come from ``_max_pool_values`` (the loop that tracks winners is not called), equal
    to the reference's, NaN and -inf included; return_indices still gets its indices."""
    x = _random(shape, np.float64) * 50
    if dtype in (np.float32, np.float64):
        x.flat[::7] = nan
        x.flat[3::11] = -inf
    x = x.astype(dtype) if dtype != np.uint8 else np.abs(x).astype(dtype)
    wide = x.astype(np.float64)  # (the reference pads with -inf: floats only)
    expected = plain.max_pool2d_forward(wide, kernel, stride, pad, dilation, ceil).astype(dtype)
    indices = plain.max_pool2d_indices(wide, kernel, stride, pad, dilation, ceil)
    monkeypatch.setattr(PK, "_max_pool_loop", None)  # calling it now would raise
    with mt.no_grad():
        out = F.max_pool2d(mt.from_numpy(x).requires_grad_(x.dtype.kind == "f"), kernel, stride,
                           pad, dilation, ceil)
    np.testing.assert_array_equal(out.numpy(), expected)
    out = F.max_pool2d(mt.from_numpy(x), kernel, stride, pad, dilation, ceil)  # no requires_grad
    np.testing.assert_array_equal(out.numpy(), expected)
    assert out.dtype == mt.from_numpy(x).dtype
    monkeypatch.undo()
    with mt.no_grad():
        out, idx = F.max_pool2d(mt.from_numpy(x), kernel, stride, pad, dilation, ceil,
                                return_indices=True)
    np.testing.assert_array_equal(out.numpy(), expected)
    if not np.isnan(x).any():  # (the reference picks the first NaN, PyTorch the last)
        np.testing.assert_array_equal(idx.numpy(), indices)


def test_max_pool_nan_rule_is_pytorchs():
    # a NaN takes over (the last NaN of a window wins), a later larger value does not
    x = np.array([[[[1.0, nan, 2.0, nan, 5.0, 3.0, 0.0, 1.0]]]])
    xt = mt.from_numpy(x.copy()).requires_grad_()
    out, idx = F.max_pool2d(xt, (1, 4), return_indices=True)
    assert np.isnan(out.detach().numpy()[0, 0, 0, 0]) and out.detach().numpy()[0, 0, 0, 1] == 5.0
    np.testing.assert_array_equal(idx.detach().numpy(), [[[[3, 4]]]])
    out.backward(mt.ones_like(out))
    np.testing.assert_array_equal(xt.grad.detach().numpy(), [[[[0, 0, 0, 1, 1, 0, 0, 0]]]])


def test_max_pool_nan_rule_with_overlapping_padded_windows():
    x = np.arange(25, dtype=np.float32).reshape(1, 1, 5, 5)
    x[0, 0, 1, 1] = nan
    x[0, 0, 2, 2] = nan
    xt = mt.from_numpy(x.copy()).requires_grad_()
    out, idx = F.max_pool2d(xt, 3, 2, 1, return_indices=True)
    # (PyTorch's figures) the window holding both NaNs picks (2, 2), the later one; windows
    # holding only (1, 1) pick it over larger later values
    np.testing.assert_array_equal(idx.detach().numpy()[0, 0], [[6, 6, 9], [6, 12, 19],
                                                               [21, 23, 24]])
    out.backward(mt.ones_like(out))
    grad = xt.grad.detach().numpy()[0, 0]
    assert grad[1, 1] == 3 and grad[2, 2] == 1


def test_max_pool_ties_go_to_the_first_maximum():
    x = np.zeros((1, 1, 4, 4))
    xt = mt.from_numpy(x).requires_grad_()
    out, idx = F.max_pool2d(xt, 2, return_indices=True)
    np.testing.assert_array_equal(idx.detach().numpy()[0, 0], [[0, 2], [8, 10]])
    out.backward(mt.ones_like(out))
    expected = np.zeros((4, 4))
    expected[::2, ::2] = 1
    np.testing.assert_array_equal(xt.grad.detach().numpy()[0, 0], expected)


def test_all_minus_infinity_windows_pick_their_first_tap_on_the_input():
    # PyTorch starts every window at -inf with the index of its first tap inside the input;
    # nothing beats -inf, so that tap gets the gradient (not a tap in the padding)
    xt = mt.from_numpy(np.full((1, 1, 4, 4), -inf)).requires_grad_()
    out, idx = F.max_pool2d(xt, 3, 2, 1, return_indices=True)
    np.testing.assert_array_equal(idx.detach().numpy()[0, 0], [[0, 1], [4, 5]])
    out.backward(mt.ones_like(out))
    expected = np.zeros((4, 4))
    expected[:2, :2] = 1
    np.testing.assert_array_equal(xt.grad.detach().numpy()[0, 0], expected)


def test_unbatched_input_and_geometry_taps():
    x = _random((2, 6, 6), np.float32)
    out = F.max_pool2d(mt.from_numpy(x), 3, 2, 1)
    np.testing.assert_array_equal(out.detach().numpy(),
                                  plain.max_pool2d_forward(x[None], (3, 3), (2, 2), (1, 1))[0])
    # taps in the padding are skipped: with pad 1 the corner tap reaches rows/cols 1.. only
    g = PK.PoolGeometry.of((1, 1, 6, 6), (3, 3), (2, 2), (1, 1), (1, 1), False)
    first_tap = PK._taps(g)[0]
    assert first_tap[0] == 0 and first_tap[1][2] == slice(1, 3) and first_tap[2][2].start == 1


# --------------------------------------------------------------------------- adaptive pooling


def _adaptive_mean(x: np.ndarray, out_h: int, out_w: int) -> np.ndarray:
    h, w = x.shape[-2:]
    out = np.empty(x.shape[:-2] + (out_h, out_w), x.dtype)
    for i, j in itertools.product(range(out_h), range(out_w)):
        top, bottom = (i * h) // out_h, -((-(i + 1) * h) // out_h)
        left, right = (j * w) // out_w, -((-(j + 1) * w) // out_w)
        out[..., i, j] = x[..., top:bottom, left:right].mean(axis=(-2, -1))
    return out


def _adaptive_max(x: np.ndarray, out_h: int, out_w: int) -> np.ndarray:
    h, w = x.shape[-2:]
    out = np.empty(x.shape[:-2] + (out_h, out_w), x.dtype)
    for i, j in itertools.product(range(out_h), range(out_w)):
        top, bottom = (i * h) // out_h, -((-(i + 1) * h) // out_h)
        left, right = (j * w) // out_w, -((-(j + 1) * w) // out_w)
        out[..., i, j] = x[..., top:bottom, left:right].max(axis=(-2, -1))
    return out


GRADCHECK_CASES = [
    Case("adaptive_avg_pool2d_matrices", lambda x: F.adaptive_avg_pool2d(x, (2, 3)),
         [(2, 2, 5, 7)], reference=lambda x: _adaptive_mean(x, 2, 3)),
    Case("adaptive_avg_pool2d_global", lambda x: F.adaptive_avg_pool2d(x, 1), [(2, 3, 4, 5)],
         reference=lambda x: _adaptive_mean(x, 1, 1)),
    Case("adaptive_avg_pool2d_upsample", lambda x: F.adaptive_avg_pool2d(x, (5, 4)),
         [(3, 3, 2)], reference=lambda x: _adaptive_mean(x, 5, 4)),
    Case("adaptive_max_pool2d_separable", lambda x: F.adaptive_max_pool2d(x, (3, 4)),
         [(2, 2, 7, 9)], distinct=True, reference=lambda x: _adaptive_max(x, 3, 4)),
    Case("adaptive_max_pool2d_global", lambda x: F.adaptive_max_pool2d(x, 1), [(2, 3, 4, 5)],
         distinct=True, reference=lambda x: _adaptive_max(x, 1, 1)),
]


@pytest.mark.parametrize("shape, size", [((2, 3, 9, 7), (4, 3)), ((2, 3, 8, 8), 1),
                                         ((1, 2, 5, 5), 7), ((3, 6, 6), (2, 4)),
                                         ((2, 2, 32, 32), 7)])
def test_adaptive_avg_matches_window_means(shape, size):
    x = _random(shape, np.float64)
    xt = mt.from_numpy(x.copy()).requires_grad_()
    out = F.adaptive_avg_pool2d(xt, size)
    out_h, out_w = (size, size) if isinstance(size, int) else size
    np.testing.assert_allclose(out.detach().numpy(), _adaptive_mean(x, out_h, out_w), rtol=1e-12)
    g = _random(out.shape, np.float64, seed=2)
    out.backward(mt.from_numpy(g))
    # the gradient is the transpose of the (linear) forward: <dx, v> = <g, pool(v)>
    v = _random(shape, np.float64, seed=3)
    pooled = _adaptive_mean(v, out_h, out_w)
    np.testing.assert_allclose((xt.grad.detach().numpy() * v).sum(), (g * pooled).sum(),
                               rtol=1e-10)


def test_adaptive_avg_keeps_infinities_out_of_other_windows():
    # a product with the window matrix would give 0 * inf = NaN in every window of the row
    x = np.arange(30, dtype=np.float32).reshape(1, 1, 5, 6)
    x[0, 0, 0, 0] = inf
    x[0, 0, 4, 5] = -inf
    out = F.adaptive_avg_pool2d(mt.from_numpy(x), (2, 3)).detach().numpy()
    np.testing.assert_allclose(out, _adaptive_mean(x, 2, 3), rtol=1e-6)
    assert out[0, 0, 0, 0] == inf and out[0, 0, 1, 2] == -inf and np.isfinite(out).sum() == 4
    xt = mt.from_numpy(_random((1, 1, 5, 6), np.float32)).requires_grad_()
    g = np.ones((1, 1, 2, 3), np.float32)
    g[0, 0, 0, 0] = inf
    F.adaptive_avg_pool2d(xt, (2, 3)).backward(mt.from_numpy(g))
    grad = xt.grad.detach().numpy()[0, 0]
    assert np.isinf(grad[:3, :2]).all() and not np.isnan(grad).any()
    assert np.isfinite(grad[3:, :]).all() and np.isfinite(grad[:, 2:]).all()


def test_adaptive_avg_double_backward():
    x = mt.from_numpy(_random((1, 2, 5, 7), np.float64)).requires_grad_()
    w = mt.from_numpy(_random((1, 2, 2, 3), np.float64, seed=4)).requires_grad_()
    (gx,) = mt.autograd.grad((F.adaptive_avg_pool2d(x, (2, 3)) * w).sum(), x, create_graph=True)
    # gx = poolᵀ(w), linear in w: d<gx, v>/dw = pool(v)
    v = _random((1, 2, 5, 7), np.float64, seed=5)
    (gw,) = mt.autograd.grad((gx * mt.from_numpy(v)).sum(), w)
    np.testing.assert_allclose(gw.detach().numpy(), _adaptive_mean(v, 2, 3), rtol=1e-12)


def test_adaptive_max_nan_and_ties_rules():
    x = np.zeros((1, 1, 4, 4))
    x[0, 0, 0, 1] = nan
    x[0, 0, 1, 0] = nan
    out, idx = F.adaptive_max_pool2d(mt.from_numpy(x), 2, return_indices=True)
    # top-left window: the last NaN (row-major) wins; the other windows tie at 0: the first
    np.testing.assert_array_equal(idx.detach().numpy()[0, 0], [[4, 2], [8, 10]])
    assert np.isnan(out.detach().numpy()[0, 0, 0, 0])
    y = _random((2, 3, 9, 7), np.float32)
    out, idx = F.adaptive_max_pool2d(mt.from_numpy(y), (4, 3), return_indices=True)
    flat = y.reshape(2, 3, -1)
    picked = np.take_along_axis(flat, idx.detach().numpy().reshape(2, 3, -1), -1)
    np.testing.assert_array_equal(out.detach().numpy().reshape(2, 3, -1), picked)


def _first_max_positions(x: np.ndarray, out_h: int, out_w: int) -> np.ndarray:
    """Row-major first maximum of each adaptive window (PyTorch's tie rule), by a loop."""
    h, w = x.shape[-2:]
    planes = x.reshape(-1, h, w)
    out = np.empty((planes.shape[0], out_h, out_w), np.int64)
    for k, i, j in itertools.product(range(planes.shape[0]), range(out_h), range(out_w)):
        top, bottom = (i * h) // out_h, -((-(i + 1) * h) // out_h)
        left, right = (j * w) // out_w, -((-(j + 1) * w) // out_w)
        window = planes[k, top:bottom, left:right]
        r, c = np.unravel_index(np.argmax(window), window.shape)
        out[k, i, j] = (top + r) * w + left + c
    return out.reshape(x.shape[:-2] + (out_h, out_w))


@pytest.mark.parametrize("size", [(3, 4), (7, 7), (4, 1), 1, (9, 12)])
def test_adaptive_max_ties_and_infinities_match_a_loop(size):
    # few distinct values: many ties inside every window (the separable search must still pick
    # the row-major first, though it searches column by column); then +-inf in the input
    x = np.random.default_rng(7).integers(0, 3, (2, 3, 9, 12)).astype(np.float32)
    out_h, out_w = (size, size) if isinstance(size, int) else size
    for values in (x, np.where(x == 2, inf, np.where(x == 0, -inf, x))):
        out, idx = F.adaptive_max_pool2d(mt.from_numpy(values), size, return_indices=True)
        np.testing.assert_array_equal(idx.detach().numpy(),
                                      _first_max_positions(values, out_h, out_w))
        np.testing.assert_array_equal(out.detach().numpy(), _adaptive_max(values, out_h, out_w))


@pytest.mark.parametrize("pieces, chunk_planes", [(1, 1000), (1, 4), (2, 3), (3, 2)])
def test_adaptive_max_in_chunks_and_pieces_matches_a_loop(pieces, chunk_planes, monkeypatch):
    # the search along H goes through the planes in chunks, and the whole kernel (backward
    # too) over pieces of the planes: every split gives the loop's positions and gradient
    monkeypatch.setattr(_threads, "kernel_threads", lambda elements: pieces)
    monkeypatch.setattr(PK, "_ROWS_CHUNK_ELEMENTS", chunk_planes * 11 * 9)
    x = np.random.default_rng(8).integers(0, 4, (3, 5, 11, 9)).astype(np.float64)
    with_nan = x.copy()
    with_nan[2, 1, 5, 3] = nan  # one NaN in one piece: the whole call takes the exact path
    for values in (x, with_nan):
        xt = mt.tensor(values, requires_grad=True)
        out, idx = F.adaptive_max_pool2d(xt, (4, 3), return_indices=True)
        expected = _first_max_positions(np.nan_to_num(values, nan=9.0), 4, 3)
        np.testing.assert_array_equal(idx.numpy(), expected)
        g = np.random.default_rng(9).standard_normal(out.shape)
        out.backward(mt.tensor(g))
        grad = np.zeros((15, 99))
        np.add.at(grad, (np.arange(15)[:, None], expected.reshape(15, 12)), g.reshape(15, 12))
        np.testing.assert_allclose(xt.grad.numpy(), grad.reshape(x.shape), rtol=1e-15)


def test_adaptive_max_over_windows_longer_than_256():
    # the taps of a window of 300 rows are counted in uint16
    x = np.random.default_rng(10).standard_normal((1, 2, 300, 5))
    x[0, 1, 299, 4] = 50.0  # the winner in the last row of the window
    out, idx = F.adaptive_max_pool2d(mt.tensor(x), (1, 2), return_indices=True)
    np.testing.assert_array_equal(idx.numpy(), _first_max_positions(x, 1, 2))
    np.testing.assert_array_equal(out.numpy(), _adaptive_max(x, 1, 2))
