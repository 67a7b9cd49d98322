"""The layout tricks of ``conv_fast`` (polyphase canvases for strides, the direct per-image
layout, chunks and bands) against the plain im2col of ``conv_plain``, on awkward shapes.

Every case runs the array kernels forward and backward and compares the output and the three
gradients with the plain version's (float64: to 1e-12; float32: to float32 rounding). The
geometry asserts check that the path meant to be covered is the one taken.
"""

from __future__ import annotations

import numpy as np
import pytest

from microtensor.ops import conv_fast as CK
from microtensor.ops import conv_plain as P


def _problem(shape, w_shape, seed, dtype=np.float64):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(dtype)
    w = rng.standard_normal(w_shape).astype(dtype)
    b = rng.standard_normal(w_shape[0]).astype(dtype)
    return rng, x, w, b


def _check(x, w, b, stride, pads, dilation, groups, rng, tol=1e-12, need=(True, True, True)):
    """conv_fast forward and backward equal conv_plain's; returns conv_fast's output."""
    out = CK.conv2d_forward(x, w, b, stride, pads, dilation, groups)
    expected = P.conv2d_forward(x, w, b, stride, pads, dilation, groups)
    assert out.shape == expected.shape and out.dtype == expected.dtype
    np.testing.assert_allclose(out, expected, rtol=tol, atol=tol)
    grad = rng.standard_normal(out.shape).astype(x.dtype)
    ours = CK.conv2d_backward(grad, x, w, stride, pads, dilation, groups, need_input=need[0],
                              need_weight=need[1], need_bias=need[2])
    theirs = P.conv2d_backward(grad, x, w, stride, pads, dilation, groups)
    for mine, reference, needed in zip(ours, theirs, need, strict=True):
        if not needed:
            assert mine is None
            continue
        assert mine.shape == reference.shape and mine.dtype == reference.dtype
        np.testing.assert_allclose(mine, reference, rtol=tol, atol=tol * 10)
    return out


def _geometry(x, w, stride, pads, dilation, groups):
    return CK.ConvGeometry.of(x.shape, w.shape, stride, pads, dilation, groups, x.itemsize)


# (input shape, weight shape, stride, padding (top, bottom, left, right), dilation, groups)
STRIDED = [
    ((3, 4, 9, 8), (6, 4, 3, 3), (2, 2), (1, 1, 1, 1), (1, 1), 1),   # the usual stride-2 layer
    ((2, 4, 10, 7), (4, 2, 3, 3), (2, 2), (1, 1, 1, 1), (1, 1), 2),  # odd width, groups
    ((2, 3, 11, 12), (5, 3, 3, 2), (3, 2), (2, 0, 0, 3), (1, 1), 1),  # asymmetric everything
    ((1, 2, 13, 13), (3, 2, 3, 3), (3, 3), (1, 2, 2, 1), (1, 1), 1),  # stride 3, batch 1
    ((2, 2, 12, 11), (2, 2, 2, 2), (2, 2), (0, 0, 0, 0), (1, 1), 1),  # 2x2 kernel, no padding
    ((2, 3, 9, 10), (4, 3, 3, 3), (2, 2), (1, 0, 2, 1), (1, 3), 1),   # dilation 3 along width
    ((2, 2, 5, 6), (2, 2, 4, 4), (2, 3), (3, 3, 3, 3), (1, 1), 1),   # padding wider than stride
    ((2, 4, 1, 9), (4, 4, 1, 3), (1, 2), (0, 0, 1, 1), (1, 1), 1),   # a conv1d with stride 2
    ((2, 2, 13, 12), (3, 2, 3, 3), (3, 3), (0, 0, 0, 0), (2, 2), 1),  # phase 1 first read at u=1
]


@pytest.mark.parametrize("x_shape,w_shape,stride,pads,dilation,groups", STRIDED)
def test_strided_convs_on_polyphase_canvases_match_plain(x_shape, w_shape, stride, pads,
                                                         dilation, groups):
    """Strides 2 and 3 with every phase read take the flat trick on sh*sw phase canvases, in
    float64 and float32, and give the plain version's values and gradients (twice: the second
    call's scratch holds the first one's numbers, which must not leak into the result)."""
    rng, x, w, b = _problem(x_shape, w_shape, seed=len(x_shape) + sum(stride) + sum(pads))
    g = _geometry(x, w, stride, pads, dilation, groups)
    assert g.flat and g.phases == stride[0] * stride[1]
    for _ in range(2):
        _check(x, w, b, stride, pads, dilation, groups, rng)
    x32, w32, b32 = x.astype(np.float32), w.astype(np.float32), b.astype(np.float32)
    _check(x32, w32, b32, stride, pads, dilation, groups, rng, tol=2e-5)


@pytest.mark.parametrize("w_shape,stride,dilation", [
    ((3, 2, 1, 1), (2, 2), (1, 1)),  # 1x1 kernel at stride 2: only phase (0, 0) is read
    ((3, 2, 3, 3), (2, 2), (2, 2)),  # dilation 2 at stride 2: odd phases never read
    ((3, 2, 2, 2), (3, 3), (1, 1)),  # stride larger than the kernel
])
def test_strides_that_skip_phases_use_strided_views(w_shape, stride, dilation):
    """When some phase image is read by no kernel offset the kernels fall back to one strided
    view per offset (no flat trick), with the same values as the plain version."""
    rng, x, w, b = _problem((2, 2, 9, 8), w_shape, seed=11)
    pads = (1, 0, 0, 1)
    assert not _geometry(x, w, stride, pads, dilation, 1).flat
    _check(x, w, b, stride, pads, dilation, 1, rng)


@pytest.mark.parametrize("stride", [(1, 1), (2, 2), (2, 1)])
def test_chunks_and_bands_match_one_go(stride, monkeypatch):
    """With scratch budgets of one image, then of one or two output rows (bands of one image),
    strided and unstrided convolutions give the same results as in one chunk."""
    rng, x, w, b = _problem((3, 2, 12, 10), (4, 2, 3, 3), seed=5)
    pads, dilation = (1, 2, 1, 0), (1, 1)
    whole = _check(x, w, b, stride, pads, dilation, 1, rng)
    g = _geometry(x, w, stride, pads, dilation, 1)
    per_column = x.shape[1] * 9 * x.itemsize  # bytes of cols
    for budget, rows in ((per_column * g.block, 0), (per_column * g.row * 2, 2),
                         (per_column * g.row, 1)):
        monkeypatch.setattr(CK, "_CHUNK_BYTES", budget)
        g = _geometry(x, w, stride, pads, dilation, 1)
        assert g.chunk == 1 and g.band_rows == rows and not (rows and g.direct)
        np.testing.assert_allclose(_check(x, w, b, stride, pads, dilation, 1, rng), whole,
                                   rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("pads,direct", [((1, 1, 1, 1), True), ((0, 0, 0, 0), False),
                                         ((2, 0, 1, 1), True), ((0, 1, 0, 1), False)])
def test_direct_layout_when_image_columns_are_output_pixels(pads, direct):
    """The products run per image on y and dL/dy in place exactly when an image's GEMM columns
    are its output pixels (row == Wo); both layouts give the plain version's values, with an
    empty batch too."""
    rng, x, w, b = _problem((3, 4, 7, 6), (6, 2, 3, 3), seed=3)
    g = _geometry(x, w, (1, 1), pads, (1, 1), 2)
    assert g.direct == direct
    _check(x, w, b, (1, 1), pads, (1, 1), 2, rng)
    empty = np.zeros((0, 4, 7, 6))
    out = CK.conv2d_forward(empty, w, b, (1, 1), pads, (1, 1), 2)
    grads = CK.conv2d_backward(out, empty, w, (1, 1), pads, (1, 1), 2)
    assert out.shape == (0, 6) + out.shape[2:] and grads[0].shape == empty.shape
    np.testing.assert_array_equal(grads[1], np.zeros_like(w))
    np.testing.assert_array_equal(grads[2], np.zeros(6))


def test_gradient_subsets_and_a_non_contiguous_gradient():
    """Only the gradients asked for are computed (the others are None), and dL/dy given as a
    strided view (read in place by the direct layout) gives the same numbers."""
    rng, x, w, b = _problem((2, 3, 8, 8), (4, 3, 3, 3), seed=9)
    for need in ((True, False, False), (False, True, False), (False, False, True)):
        _check(x, w, b, (1, 1), (1, 1, 1, 1), (1, 1), 1, rng, need=need)
        _check(x, w, b, (2, 2), (1, 1, 1, 1), (1, 1), 1, rng, need=need)
    grad = rng.standard_normal((2, 4, 8, 8))
    strided = np.asfortranarray(grad)
    for mine, reference in zip(
            CK.conv2d_backward(strided, x, w, (1, 1), (1, 1, 1, 1), (1, 1), 1),
            P.conv2d_backward(grad, x, w, (1, 1), (1, 1, 1, 1), (1, 1), 1), strict=True):
        np.testing.assert_allclose(mine, reference, rtol=1e-12, atol=1e-12)


def test_scratch_reused_across_strides_and_batch_sizes():
    """Calls that alternate stride 1 and stride 2 on the same input size, and a full batch with
    a shorter one, share scratch memory without reading each other's leftovers."""
    rng, x, w, b = _problem((4, 3, 10, 10), (5, 3, 3, 3), seed=21)
    for _ in range(2):
        for stride in ((1, 1), (2, 2), (1, 1)):
            for images in (4, 1, 3):
                _check(x[:images], w, b, stride, (1, 1, 1, 1), (1, 1), 1, rng)


@pytest.mark.parametrize("stride,dilation", [((1, 1), (1, 1)), ((2, 2), (1, 1)),
                                             ((3, 3), (2, 2))])
def test_col2im_does_not_read_what_the_gradient_canvas_held(stride, dilation):
    """The canvas col2im adds onto is set by the first offset that reads each phase (no zeroing
    pass): whatever it held before (another geometry's numbers; here NaN) must not reach dL/dx."""
    rng, x, w, b = _problem((2, 2, 13, 12), (3, 2, 3, 3), seed=4)
    CK.clear_workspace()
    _check(x, w, b, stride, (0, 0, 0, 0), dilation, 1, rng)
    dirtied = 0
    for key, array in CK._workspace.arrays.items():
        if key[0] == "conv2d.grad_canvas":
            array.fill(np.nan)
            dirtied += 1
    assert dirtied == 1
    _check(x, w, b, stride, (0, 0, 0, 0), dilation, 1, rng)
