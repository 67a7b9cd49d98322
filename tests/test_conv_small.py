"""conv2d kernels for few channels (microtensor/ops/conv_small.py) against the plain reference.

``conv_small`` must give ``conv_plain``'s numbers on every shape it accepts (the flat trick for
stride 1 with an output as wide as the input, strided windows otherwise), with the gradients a
caller does not ask for left out, its scratch memory reused between calls of different data,
and in chunks of images. Through the Op (``conv2d`` dispatches to it when ``suits``), the float64
gradients pass gradcheck.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import microtensor as mt
from microtensor.ops import conv as C
from microtensor.ops import conv_plain as P
from microtensor.ops import conv_small as S


@pytest.fixture(autouse=True)
def fresh_geometry():
    """Geometries are cached per shape; tests that change the chunk size must not see old ones."""
    S.SmallGeometry.of.cache_clear()
    yield
    S.SmallGeometry.of.cache_clear()


def _problem(n, c, o, groups, size, kernel, seed=0, dtype=np.float64, bias=True):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c, *size)).astype(dtype)
    w = rng.standard_normal((o, c // groups, *kernel)).astype(dtype)
    b = rng.standard_normal(o).astype(dtype) if bias else None
    return x, w, b


def _check(x, w, b, stride, padding, dilation, groups, rtol=1e-10, atol=1e-10):
    """Forward and all three gradients of conv_small equal conv_plain's."""
    expected = P.conv2d_forward(x, w, b, stride, padding, dilation, groups)
    got = S.conv2d_forward(x, w, b, stride, padding, dilation, groups)
    assert got.shape == expected.shape and got.dtype == expected.dtype
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol)
    grad = np.random.default_rng(7).standard_normal(expected.shape).astype(x.dtype)
    reference = P.conv2d_backward(grad, x, w, stride, padding, dilation, groups)
    result = S.conv2d_backward(grad, x, w, stride, padding, dilation, groups)
    for name, mine, theirs in zip(("input", "weight", "bias"), result, reference):
        assert mine.shape == theirs.shape, name
        np.testing.assert_allclose(mine, theirs, rtol=rtol, atol=atol, err_msg=name)


SHAPES = [  # (n, c, o, groups, (h, w), (kh, kw))
    (2, 1, 8, 1, (9, 9), (3, 3)),
    (3, 8, 16, 1, (7, 6), (3, 3)),
    (2, 4, 6, 2, (6, 8), (3, 3)),
    (2, 6, 6, 6, (5, 7), (3, 3)),  # depthwise
    (1, 3, 4, 1, (8, 5), (1, 1)),
    (2, 2, 3, 1, (6, 9), (2, 3)),
    (2, 2, 4, 1, (10, 7), (5, 5)),
]
GEOMETRIES = [  # (stride, (top, bottom, left, right), dilation)
    ((1, 1), (1, 1, 1, 1), (1, 1)),  # 'same' for 3x3: the flat trick
    ((1, 1), (0, 0, 0, 0), (1, 1)),  # narrower output: strided windows
    ((1, 1), (2, 0, 1, 1), (1, 1)),  # uneven vertical padding (flat for 3x3)
    ((1, 1), (0, 3, 2, 2), (2, 2)),  # dilation
    ((2, 2), (1, 1, 1, 1), (1, 1)),
    ((1, 3), (1, 0, 2, 0), (1, 1)),
    ((2, 1), (0, 1, 1, 1), (1, 2)),
    ((1, 1), (2, 2, 2, 2), (1, 1)),  # 'same' for 5x5
    ((1, 1), (0, 1, 0, 1), (1, 1)),  # 'same' for an even kernel width (2): extra on the right
]


@pytest.mark.parametrize("shape,geometry", list(itertools.product(SHAPES, GEOMETRIES)))
def test_matches_plain(shape, geometry):
    n, c, o, groups, size, kernel = shape
    stride, padding, dilation = geometry
    _check(*_problem(n, c, o, groups, size, kernel), stride, padding, dilation, groups)


def test_flat_trick_is_used_where_it_applies():
    """The cases above meant to exercise the flat trick really do (and the others do not)."""
    def flat(size, kernel, geometry):
        stride, padding, dilation = geometry
        return S.SmallGeometry.of((1, 1, *size), (1, 1, *kernel), stride, padding, dilation, 1,
                                  8).flat

    assert flat((7, 6), (3, 3), GEOMETRIES[0])
    assert flat((7, 6), (3, 3), GEOMETRIES[2])
    assert flat((7, 6), (3, 3), GEOMETRIES[3])  # 2 + 2 = dilation 2 * (3 - 1)
    assert flat((10, 7), (5, 5), GEOMETRIES[7])
    assert flat((6, 9), (2, 2), GEOMETRIES[8])
    assert not flat((7, 6), (3, 3), GEOMETRIES[1])
    assert not flat((7, 6), (3, 3), GEOMETRIES[4])


@pytest.mark.parametrize("dtype,rtol", [(np.float32, 1e-4), (np.float64, 1e-10)])
def test_small_cnn_layers(dtype, rtol):
    """The two layers of the example CNN, in both float types, bias and no bias."""
    for c, o, size in [(1, 8, 28), (8, 16, 14)]:
        for bias in (True, False):
            x, w, b = _problem(5, c, o, 1, (size, size), (3, 3), dtype=dtype, bias=bias)
            _check(x, w, b, (1, 1), (1, 1, 1, 1), (1, 1), 1, rtol=rtol, atol=rtol)


def test_empty_batch_from_the_columns_of_grad():
    """An empty batch on the backward from the columns of G: empty dL/dx, zero dL/dw and dL/db."""
    x, w, b = _problem(0, 4, 4, 2, (6, 6), (3, 3))
    args = ((1, 1), (1, 1, 1, 1), (1, 1), 2)
    assert S._uses_columns_of_grad(S.SmallGeometry.of(x.shape, w.shape, *args, 8))
    out = S.conv2d_forward(x, w, b, *args)
    grad_x, grad_w, grad_b = S.conv2d_backward(out, x, w, *args)
    assert grad_x.shape == (0, 4, 6, 6)
    np.testing.assert_array_equal(grad_w, np.zeros_like(w))
    np.testing.assert_array_equal(grad_b, np.zeros(4))


def test_batch_of_one_and_empty_batch():
    _check(*_problem(1, 3, 5, 1, (6, 6), (3, 3)), (1, 1), (1, 1, 1, 1), (1, 1), 1)
    x, w, b = _problem(0, 3, 5, 1, (6, 6), (3, 3))
    out = S.conv2d_forward(x, w, b, (1, 1), (1, 1, 1, 1), (1, 1), 1)
    assert out.shape == (0, 5, 6, 6)
    saved = []
    assert S.conv2d_forward(x, w, b, (1, 1), (1, 1, 1, 1), (1, 1), 1, saved=saved).shape == (
        0, 5, 6, 6)
    for cols in (None, saved[0]):
        grad_x, grad_w, grad_b = S.conv2d_backward(out, x, w, (1, 1), (1, 1, 1, 1), (1, 1), 1,
                                                   cols=cols)
        assert grad_x.shape == (0, 3, 6, 6)
        np.testing.assert_array_equal(grad_w, np.zeros_like(w))
        np.testing.assert_array_equal(grad_b, np.zeros(5))


@pytest.mark.parametrize("need", list(itertools.product([False, True], repeat=3)))
def test_only_the_gradients_asked_for(need):
    """Each combination of need_input / need_weight / need_bias: None where not asked, the
    reference where asked (the bias gradient comes from the GEMM or, alone, from a sum)."""
    x, w, _ = _problem(3, 4, 6, 2, (7, 7), (3, 3))
    grad = np.random.default_rng(3).standard_normal((3, 6, 7, 7))
    args = ((1, 1), (1, 1, 1, 1), (1, 1), 2)
    reference = P.conv2d_backward(grad, x, w, *args)
    _check_only_needed(grad, x, w, args, need, reference)


def _check_only_needed(grad, x, w, args, need, reference):
    """conv_small's backward with only the gradients in ``need`` (input, weight, bias): those
    match ``reference`` (conv_plain's three), the others are None."""
    result = S.conv2d_backward(grad, x, w, *args, need_input=need[0], need_weight=need[1],
                               need_bias=need[2])
    for wanted, mine, theirs in zip(need, result, reference):
        if wanted:
            np.testing.assert_allclose(mine, theirs, rtol=1e-10, atol=1e-10)
        else:
            assert mine is None


def test_scratch_reused_across_calls(monkeypatch):
    """Kept buffers (with entries never written, which must stay zero, and the ones row of the
    bias) give right answers for new data, a smaller batch, no bias, and in several chunks."""
    monkeypatch.setattr(S, "_CHUNK_BYTES", 3000)  # a few images per chunk, a short last one
    args = ((1, 1), (1, 1, 1, 1), (1, 1), 1)
    for seed, n, bias in [(0, 7, True), (1, 7, True), (2, 3, False), (3, 7, True)]:
        x, w, b = _problem(n, 2, 3, 1, (6, 5), (3, 3), seed=seed, bias=bias)
        assert S.SmallGeometry.of(x.shape, w.shape, *args, 8).chunk < n
        _check(x, w, b, *args)


@pytest.mark.parametrize("geometry", [GEOMETRIES[0], GEOMETRIES[2], GEOMETRIES[4]])
@pytest.mark.parametrize("bias", [True, False])
def test_columns_kept_from_forward(geometry, bias):
    """conv2d_forward(saved=[]) hands its cols to conv2d_backward(cols=...): the same gradients,
    also after another call has overwritten the scratch buffers in between."""
    x, w, b = _problem(3, 4, 6, 2, (7, 7), (3, 3), seed=11, bias=bias)
    saved = []
    out = S.conv2d_forward(x, w, b, *geometry, 2, saved=saved)
    assert len(saved) == 1 and saved[0].shape[0] == 3
    other, *_ = _problem(3, 4, 6, 2, (7, 7), (3, 3), seed=12)
    S.conv2d_forward(other, w, b, *geometry, 2)  # the scratch now holds other's cols
    np.testing.assert_allclose(out, P.conv2d_forward(x, w, b, *geometry, 2), rtol=1e-10)
    grad = np.random.default_rng(13).standard_normal(out.shape)
    reference = P.conv2d_backward(grad, x, w, *geometry, 2)
    for need_bias in ([True, False] if bias else [False]):
        result = S.conv2d_backward(grad, x, w, *geometry, 2, need_bias=need_bias,
                                   cols=saved[0])
        for mine, theirs in zip(result[:2], reference[:2]):
            np.testing.assert_allclose(mine, theirs, rtol=1e-10, atol=1e-10)
        if need_bias:
            np.testing.assert_allclose(result[2], reference[2], rtol=1e-10, atol=1e-10)
        else:
            assert result[2] is None


def test_columns_not_kept_when_too_big(monkeypatch):
    monkeypatch.setattr(S, "_KEEP_BYTES", 1000)
    x, w, b = _problem(3, 2, 3, 1, (6, 6), (3, 3))
    saved = []
    out = S.conv2d_forward(x, w, b, (1, 1), (1, 1, 1, 1), (1, 1), 1, saved=saved)
    assert saved == []
    np.testing.assert_allclose(out, P.conv2d_forward(x, w, b, (1, 1), (1, 1, 1, 1), (1, 1), 1))


def test_mixed_input_and_weight_dtypes():
    """float32 input with float64 weights computes in float64, as conv_fast does."""
    x, w, b = _problem(2, 2, 3, 1, (6, 6), (3, 3))
    x32 = x.astype(np.float32)
    out = S.conv2d_forward(x32, w, b, (1, 1), (1, 1, 1, 1), (1, 1), 1)
    assert out.dtype == np.float64
    expected = P.conv2d_forward(x32.astype(np.float64), w, b, (1, 1), (1, 1, 1, 1), (1, 1), 1)
    np.testing.assert_allclose(out, expected, rtol=1e-12)


def test_suits():
    same = ((1, 1), (1, 1, 1, 1), (1, 1), 1)
    assert S.suits((64, 1, 28, 28), (8, 1, 3, 3), *same)  # the example CNN's layers
    assert S.suits((64, 8, 14, 14), (16, 8, 3, 3), *same)
    assert not S.suits((32, 32, 32, 32), (64, 32, 3, 3), *same)  # many channels: conv_fast
    assert not S.suits((32, 16, 16, 16), (32, 16, 3, 3), *same)  # K = 144 without groups
    assert not S.suits((64, 1, 28, 28), (8, 1, 3, 3), (2, 2), (1, 1, 1, 1), (1, 1), 1)
    assert not S.suits((64, 1, 28, 28), (8, 1, 3, 3), (1, 1), (0, 0, 0, 0), (1, 1), 1)
    grouped = ((1, 1), (1, 1, 1, 1), (1, 1))
    assert S.suits((32, 64, 16, 16), (64, 16, 3, 3), *grouped, 4)  # K = 144 in 4 groups
    assert S.suits((32, 256, 8, 8), (256, 64, 3, 3), *grouped, 4)  # K = 576
    assert S.suits((32, 64, 16, 16), (64, 1, 3, 3), *grouped, 64)  # depthwise
    assert not S.suits((8, 256, 8, 8), (256, 128, 3, 3), *grouped, 2)  # K = 1152
    assert not S.suits((32, 64, 16, 16), (64, 16, 3, 3), (2, 2), (1, 1, 1, 1), (1, 1), 4)


# --------------------------------------------------------------------------- the backward's paths


@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-10), (np.float32, 2e-4)])
@pytest.mark.parametrize("c,o,groups", [(12, 6, 1), (24, 24, 2), (48, 24, 3)])
def test_weight_gradient_with_copied_grad_transpose(c, o, groups, dtype, tol):
    """With more than ``_COPY_GRAD_T_ROWS`` rows of cols per group (K = 108 and 144, + the
    bias's), dL/dw's products read a row-by-row copy of G[n]ᵀ: the same gradients (and the
    bias's from the ones row), in chunks of images."""
    x, w, b = _problem(5, c, o, groups, (6, 7), (3, 3), seed=c, dtype=dtype)
    g = S.SmallGeometry.of(x.shape, w.shape, (1, 1), (1, 1, 1, 1), (1, 1), groups, x.itemsize)
    assert g.k + 1 > S._COPY_GRAD_T_ROWS
    _check(x, w, b, (1, 1), (1, 1, 1, 1), (1, 1), groups, rtol=tol, atol=tol)
    _check(x, w, None, (1, 1), (1, 1, 1, 1), (1, 1), groups, rtol=tol, atol=tol)


GRAD_COLUMNS_CASES = [  # (c, o, groups, (h, w), kernel, padding, dilation, from G's columns)
    (4, 4, 1, (7, 6), (3, 3), (1, 1, 1, 1), (1, 1), True),  # 'same'
    (8, 8, 4, (6, 9), (3, 3), (2, 0, 1, 1), (1, 1), True),  # uneven vertical padding
    (6, 3, 3, (8, 7), (5, 5), (2, 2, 2, 2), (1, 1), True),  # 5x5, fewer output channels
    (4, 4, 4, (9, 8), (3, 3), (0, 4, 2, 2), (2, 2), True),  # depthwise, dilated
    (4, 2, 2, (6, 5), (2, 2), (0, 1, 0, 1), (1, 1), True),  # even kernel
    (48, 48, 3, (5, 6), (3, 3), (1, 1, 1, 1), (1, 1), True),  # 144 rows: x[n]ᵀ copied
    (3, 6, 1, (7, 6), (3, 3), (1, 1, 1, 1), (1, 1), False),  # more output channels: x's
    (4, 4, 2, (7, 6), (3, 3), (3, 0, 1, 1), (1, 1), False),  # padding 3 > 2: cropped, x's
]


@pytest.mark.parametrize("c,o,groups,size,kernel,padding,dilation,from_grad",
                         GRAD_COLUMNS_CASES)
def test_gradients_from_the_columns_of_grad(c, o, groups, size, kernel, padding, dilation,
                                            from_grad):
    """dL/dx (a forward convolution of G with the flipped, transposed weights) and dL/dw (from
    the same columns of G) where that applies (stride 1 with the flat trick, no more output than
    input channels, a padding of at most dilation*(k - 1)), the columns of x otherwise: the
    plain version's gradients either way, each alone or all three, in float64 and float32; the
    forward then keeps no columns of x."""
    x, w, b = _problem(3, c, o, groups, size, kernel, seed=o + c)
    g = S.SmallGeometry.of(x.shape, w.shape, (1, 1), padding, dilation, groups, x.itemsize)
    assert g.flat and S._uses_columns_of_grad(g) == from_grad
    _check(x, w, b, (1, 1), padding, dilation, groups)
    saved = []
    S.conv2d_forward(x, w, b, (1, 1), padding, dilation, groups, saved=saved)
    assert (saved == []) == from_grad
    args = ((1, 1), padding, dilation, groups)
    grad = np.random.default_rng(1).standard_normal(P.conv2d_forward(x, w, b, *args).shape)
    expected = P.conv2d_backward(grad, x, w, *args)
    for need in ((True, False, False), (False, True, False), (False, False, True)):
        _check_only_needed(grad, x, w, args, need, expected)
    x32, w32, grad32 = x.astype(np.float32), w.astype(np.float32), grad.astype(np.float32)
    got32 = S.conv2d_backward(grad32, x32, w32, *args)
    for mine, theirs in zip(got32, expected):
        assert mine.dtype == np.float32
        np.testing.assert_allclose(mine, theirs, rtol=2e-4, atol=2e-4 * np.abs(theirs).max())


# --------------------------------------------------------------------------- through the Op


def _spy(monkeypatch):
    calls = []
    forward, backward = S.conv2d_forward, S.conv2d_backward

    def spy_forward(*args, **kwargs):
        calls.append("forward")
        return forward(*args, **kwargs)

    def spy_backward(*args, **kwargs):
        calls.append("backward")
        return backward(*args, **kwargs)

    monkeypatch.setattr(S, "conv2d_forward", spy_forward)
    monkeypatch.setattr(S, "conv2d_backward", spy_backward)
    return calls


@pytest.mark.parametrize("unbatched", [False, True])
def test_op_dispatches_and_gradchecks(monkeypatch, unbatched):
    calls = _spy(monkeypatch)
    x, w, b = _problem(2, 2, 4, 1, (5, 6), (3, 3), seed=4)
    x = x[0] if unbatched else x
    inputs = (mt.tensor(x, requires_grad=True), mt.tensor(w, requires_grad=True),
              mt.tensor(b, requires_grad=True))

    def fn(x, w, b):
        return C.conv2d(x, w, b, padding=1)

    assert mt.autograd.gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3)
    assert "forward" in calls and "backward" in calls

    out = fn(*inputs)
    batched = x[None] if unbatched else x
    expected = P.conv2d_forward(batched, w, b, (1, 1), (1, 1, 1, 1), (1, 1), 1)
    np.testing.assert_allclose(out.detach().numpy(), expected[0] if unbatched else expected,
                               rtol=1e-12, atol=1e-12)


def test_op_grouped_gradcheck(monkeypatch):
    calls = _spy(monkeypatch)
    x, w, b = _problem(2, 4, 4, 2, (5, 5), (3, 3), seed=5)
    inputs = (mt.tensor(x, requires_grad=True), mt.tensor(w, requires_grad=True),
              mt.tensor(b, requires_grad=True))
    assert mt.autograd.gradcheck(lambda x, w, b: C.conv2d(x, w, b, padding="same", groups=2),
                                 inputs, eps=1e-6, atol=1e-5, rtol=1e-3)
    assert calls


def test_op_input_without_grad_and_no_bias(monkeypatch):
    """Only dL/dw is asked for (the example CNN's first layer): the same numbers as the plain
    reference."""
    calls = _spy(monkeypatch)
    x, w, _ = _problem(3, 1, 8, 1, (9, 9), (3, 3), seed=6)
    xt, wt = mt.tensor(x), mt.tensor(w, requires_grad=True)
    out = C.conv2d(xt, wt, None, padding=1)
    grad = np.random.default_rng(8).standard_normal(out.shape)
    out.backward(mt.tensor(grad))
    assert calls == ["forward", "backward"] and xt.grad is None
    _, expected, _ = P.conv2d_backward(grad, x, w, (1, 1), (1, 1, 1, 1), (1, 1), 1)
    np.testing.assert_allclose(wt.grad.numpy(), expected, rtol=1e-10, atol=1e-10)


def test_op_keeps_columns_only_while_recording(monkeypatch):
    """The Op asks conv_small to keep its columns for the backward only when a graph is being
    recorded; under no_grad nothing is kept."""
    kept = []
    forward = S.conv2d_forward

    def spy(*args, saved=None):
        kept.append(saved is not None)
        return forward(*args, saved=saved)

    monkeypatch.setattr(S, "conv2d_forward", spy)
    x, w, b = _problem(2, 1, 4, 1, (6, 6), (3, 3))
    wt = mt.tensor(w, requires_grad=True)
    C.conv2d(mt.tensor(x), wt, mt.tensor(b), padding=1).sum().backward()
    with mt.no_grad():
        C.conv2d(mt.tensor(x), wt, mt.tensor(b), padding=1)
    assert kept == [True, False]


def test_op_in_place_change_of_input_after_forward_is_refused():
    """The kept columns are the input's: changing the input in place before backward must be
    refused (as for any saved tensor), not give gradients of stale columns."""
    x, w, b = _problem(2, 1, 4, 1, (6, 6), (3, 3))
    xt, wt = mt.tensor(x), mt.tensor(w, requires_grad=True)
    out = C.conv2d(xt, wt, mt.tensor(b), padding=1)
    xt.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        out.sum().backward()

