"""conv2d, max_pool2d, avg_pool2d.

The reference is the plain im2col version, ``microtensor/ops/conv_plain.py``: the tuned kernels
(``conv_fast.py``, ``pool_fast.py``, run through the public ops) must match it, forward and
backward, on fixed and random geometries. The plain version is checked in turn against
brute-force loops over output pixels written from the definitions. Also: gradients by central
differences in float64, PyTorch parity when it is installed, PyTorch's argument rules and errors.
"""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest

import microtensor as mt
from microtensor.ops import conv as C
from microtensor.ops import conv_fast as CK
from microtensor.ops import conv_plain as P
from tests.gradcheck_cases import Case

SEED = 20240607


def _rng(offset: int = 0) -> np.random.Generator:
    return np.random.default_rng(SEED + offset)


def _tensor(array: np.ndarray, requires_grad: bool = False) -> mt.Tensor:
    return mt.tensor(array, dtype=array.dtype, requires_grad=requires_grad)


def _same_padding(kernel: tuple[int, int], dilation: tuple[int, int]) -> tuple[int, ...]:
    pads = []
    for k, d in zip(kernel, dilation):
        total = d * (k - 1)
        pads += [total // 2, total - total // 2]
    return tuple(pads)  # top, bottom, left, right


def _pads(padding, kernel, dilation) -> tuple[int, int, int, int]:
    if padding == "same":
        return _same_padding(kernel, dilation)
    if padding == "valid":
        return (0, 0, 0, 0)
    ph, pw = (padding, padding) if isinstance(padding, int) else padding
    return (ph, ph, pw, pw)


# --------------------------------------------------------------------------- brute force
# Loops over output pixels, written from the definitions. They check conv_plain only; conv_plain
# (fast enough for many geometries) is the reference for the tuned kernels.


def brute_force_conv2d(x, w, b, stride, pads, dilation, groups):
    """Direct loops over output pixels: y[n,o,p,q] = b[o] + sum w[o,c,i,j] xpad[n,c,..]."""
    n, c_in, h, wd = x.shape
    c_out, c_group, kh, kw = w.shape
    top, bottom, left, right = pads
    xpad = np.zeros((n, c_in, h + top + bottom, wd + left + right), x.dtype)
    xpad[:, :, top : top + h, left : left + wd] = x
    ho = (xpad.shape[2] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    wo = (xpad.shape[3] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((n, c_out, ho, wo), x.dtype)
    o_group = c_out // groups
    for o in range(c_out):
        first = (o // o_group) * c_group
        for p in range(ho):
            for q in range(wo):
                rows = p * stride[0] + dilation[0] * np.arange(kh)
                cols = q * stride[1] + dilation[1] * np.arange(kw)
                window = xpad[:, first : first + c_group][:, :, rows][:, :, :, cols]
                out[:, o, p, q] = np.einsum("ncij,cij->n", window, w[o])
    if b is not None:
        out += b[None, :, None, None]
    return out


def brute_force_pool2d(x, kernel, stride, padding, dilation, ceil_mode, kind,
                       count_include_pad=True, divisor_override=None, grad=None):
    """Loops over windows, following PyTorch's rules for sizes, padding and divisors.

    Returns the output, dL/dx for dL/dy = ``grad`` (zeros when None), and for max pooling the
    flat position h*W + w of each window's maximum: the first one in row-major order on ties,
    which also gets the gradient.
    """
    n, c, h, w = x.shape
    sizes = []
    for size, k, s, p, d in zip((h, w), kernel, stride, padding, dilation):
        span = size + 2 * p - d * (k - 1) - 1
        out = (span + (s - 1 if ceil_mode else 0)) // s + 1
        if ceil_mode and (out - 1) * s >= size + p:
            out -= 1
        sizes.append(out)
    ho, wo = sizes
    out = np.zeros((n, c, ho, wo), x.dtype)
    grad_x = np.zeros_like(x)
    indices = np.zeros((n, c, ho, wo), np.int64)
    for p_ in range(ho):
        for q in range(wo):
            h0, w0 = p_ * stride[0] - padding[0], q * stride[1] - padding[1]
            rows = [h0 + i * dilation[0] for i in range(kernel[0])]
            cols = [w0 + j * dilation[1] for j in range(kernel[1])]
            inside_r = [r for r in rows if 0 <= r < h]
            inside_c = [cc for cc in cols if 0 <= cc < w]
            window = x[:, :, inside_r][:, :, :, inside_c]
            if kind == "max":
                out[:, :, p_, q] = window.max(axis=(2, 3))
                for image, channel in itertools.product(range(n), range(c)):
                    values = window[image, channel].ravel().tolist()
                    first = values.index(max(values))  # the first maximum, row-major
                    r, cc = inside_r[first // len(inside_c)], inside_c[first % len(inside_c)]
                    indices[image, channel, p_, q] = r * w + cc
                    if grad is not None:
                        grad_x[image, channel, r, cc] += grad[image, channel, p_, q]
                continue
            if divisor_override is not None:
                divisor = divisor_override
            elif count_include_pad:  # the window clipped to the padded input
                hend = min(h0 + kernel[0], h + padding[0])
                wend = min(w0 + kernel[1], w + padding[1])
                divisor = (hend - h0) * (wend - w0)
            else:
                divisor = len(inside_r) * len(inside_c)
            out[:, :, p_, q] = window.sum(axis=(2, 3)) / divisor
            if grad is not None:
                for r, cc in itertools.product(inside_r, inside_c):
                    grad_x[:, :, r, cc] += grad[:, :, p_, q] / divisor
    return out, grad_x, indices


def _distinct(shape, seed=0) -> np.ndarray:
    """Well separated values: no ties, and a 1e-6 nudge never changes a window's maximum."""
    rng = _rng(seed)
    size = int(np.prod(shape))
    return (rng.permutation(size) * 0.37 + rng.uniform(-0.1, 0.1, size)).reshape(shape)


# --------------------------------------------------------------------------- problems

STRIDES = [1, 2]
PADDINGS = [0, 1, (1, 2), "same"]
DILATIONS = [1, 2]
GROUPS = [1, 2]
CONV_COMBOS = [
    combo for combo in itertools.product(STRIDES, PADDINGS, DILATIONS, GROUPS)
    if not (combo[0] != 1 and combo[1] == "same")  # 'same' is for stride 1 only (PyTorch)
]


def _conv_problem(stride, padding, dilation, groups, seed=0, dtype=np.float64,
                  shape=(2, 2, 7, 9), c_out=4, kernel=(2, 3)):
    rng = _rng(seed)
    x = rng.standard_normal(shape).astype(dtype)
    w = rng.standard_normal((c_out, shape[1] // groups) + kernel).astype(dtype)
    b = rng.standard_normal(c_out).astype(dtype)
    s2 = (stride, stride)
    d2 = (dilation, dilation)
    return x, w, b, s2, _pads(padding, kernel, d2), d2


# (weight shape, stride, padding, groups) on a (3, 2, 5, 6) input: a 1x1 kernel with padding
# larger than the kernel's reach, a kernel as wide as the input, stride 3, unequal strides
AWKWARD_CONVS = [((2, 2, 1, 1), 1, 3, 1), ((2, 2, 3, 6), 1, (2, 0), 1), ((2, 2, 2, 2), 3, 2, 1),
                 ((4, 1, 3, 3), (1, 2), (3, 1), 2)]

POOL_COMBOS = [  # kernel, stride, padding, dilation, ceil_mode
    ((2, 2), (2, 2), (0, 0), (1, 1), False),
    ((3, 3), (2, 2), (1, 1), (1, 1), False),
    ((2, 3), (1, 2), (1, 1), (1, 1), True),
    ((3, 2), (2, 1), (1, 0), (2, 1), False),
    ((2, 2), (3, 3), (1, 1), (2, 2), True),
    ((3, 3), (3, 3), (0, 0), (1, 1), True),
    ((1, 1), (2, 2), (0, 0), (1, 1), False),
]
AVG_POOL_COMBOS = [c for c in POOL_COMBOS if c[3] == (1, 1)]  # avg_pool2d has no dilation


def _random_conv_geometry(rng):
    """A random conv2d problem (asymmetric padding up to 3, dilation, stride, groups, 1x1 to
    3x3 kernels, inputs down to one pixel wide), or None when the kernel does not fit."""
    groups = int(rng.choice([1, 1, 2, 3]))
    c_group, o_group = int(rng.integers(1, 3)), int(rng.integers(1, 3))
    n, h, w = int(rng.integers(1, 5)), int(rng.integers(1, 8)), int(rng.integers(1, 8))
    kh, kw = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    stride = (1, 1)
    if rng.random() < 0.3:
        stride = (int(rng.integers(1, 3)), int(rng.integers(1, 3)))
    dilation = (int(rng.integers(1, 3)), int(rng.integers(1, 3)))
    pads = tuple(int(v) for v in rng.integers(0, 4, 4))
    if (h + pads[0] + pads[1] < dilation[0] * (kh - 1) + 1
            or w + pads[2] + pads[3] < dilation[1] * (kw - 1) + 1):
        return None
    x = rng.standard_normal((n, c_group * groups, h, w))
    weight = rng.standard_normal((o_group * groups, c_group, kh, kw))
    bias = rng.standard_normal(o_group * groups)
    return x, weight, bias, (stride, pads, dilation, groups)


# --------------------------------------------------------------------------- the reference:
# conv_plain against brute force


@pytest.mark.parametrize("stride,padding,dilation,groups", CONV_COMBOS)
def test_plain_conv2d_forward_matches_brute_force(stride, padding, dilation, groups):
    x, w, b, s2, pads, d2 = _conv_problem(stride, padding, dilation, groups)
    expected = brute_force_conv2d(x, w, b, s2, pads, d2, groups)
    out = P.conv2d_forward(x, w, b, s2, pads, d2, groups)
    assert out.shape == expected.shape
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)


def test_plain_conv2d_forward_on_awkward_geometries():
    rng = _rng(6)
    x = rng.standard_normal((3, 2, 5, 6))
    for w_shape, stride, padding, groups in AWKWARD_CONVS:
        w = rng.standard_normal(w_shape)
        s2 = (stride, stride) if isinstance(stride, int) else stride
        pads = _pads(padding, w_shape[2:], (1, 1))
        np.testing.assert_allclose(P.conv2d_forward(x, w, None, s2, pads, (1, 1), groups),
                                   brute_force_conv2d(x, w, None, s2, pads, (1, 1), groups),
                                   rtol=1e-12, atol=1e-12)
    x, w, b, s2, pads, d2 = _conv_problem(1, "valid", 1, 1, seed=5, kernel=(1, 1))
    np.testing.assert_allclose(P.conv2d_forward(x, w, b, s2, pads, d2, 1),
                               brute_force_conv2d(x, w, b, s2, pads, d2, 1),
                               rtol=1e-12, atol=1e-12)


def test_conv2d_gradients_against_brute_force_vjp():
    """dL/dx, dL/dw, dL/db of L = sum(y * g), from the plain and from the tuned backward, equal
    the derivatives of the brute-force result (checked with the forward's linearity:
    dL/dw[o,c,i,j] = L(e_ocij) - L(0))."""
    x, w, b, s2, pads, d2 = _conv_problem(2, (1, 2), 2, 2, seed=9)
    g = _rng(10).standard_normal(brute_force_conv2d(x, w, b, s2, pads, d2, 2).shape)
    basis = np.zeros_like(w)
    expected_w = np.empty_like(w)
    for index in np.ndindex(w.shape):
        basis[index] = 1.0
        expected_w[index] = (brute_force_conv2d(x, basis, None, s2, pads, d2, 2) * g).sum()
        basis[index] = 0.0
    basis = np.zeros_like(x)
    expected_x = np.empty_like(x)
    for index in np.ndindex(x.shape):
        basis[index] = 1.0
        expected_x[index] = (brute_force_conv2d(basis, w, None, s2, pads, d2, 2) * g).sum()
        basis[index] = 0.0
    for backward in (P.conv2d_backward, CK.conv2d_backward):
        grad_x, grad_w, grad_b = backward(g, x, w, s2, pads, d2, 2)
        np.testing.assert_allclose(grad_w, expected_w, rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(grad_b, g.sum(axis=(0, 2, 3)), rtol=1e-12)
        np.testing.assert_allclose(grad_x, expected_x, rtol=1e-10, atol=1e-10)


def test_plain_conv2d_random_geometries_against_brute_force():
    """40 random geometries: the plain forward matches the loops, and its backward is their
    exact adjoint, <dL/dx, u> = <conv(u, w), G> and <dL/dw, v> = <conv(x, v), G> for random
    directions u, v."""
    rng = _rng(41)
    checked = 0
    while checked < 40:
        problem = _random_conv_geometry(rng)
        if problem is None:
            continue
        checked += 1
        x, weight, bias, args = problem
        expected = brute_force_conv2d(x, weight, bias, *args)
        np.testing.assert_allclose(P.conv2d_forward(x, weight, bias, *args), expected,
                                   rtol=1e-12, atol=1e-12)
        g = rng.standard_normal(expected.shape)
        grad_x, grad_w, grad_b = P.conv2d_backward(g, x, weight, *args)
        assert grad_x.shape == x.shape and grad_w.shape == weight.shape
        u, v = rng.standard_normal(x.shape), rng.standard_normal(weight.shape)
        along_u = (brute_force_conv2d(u, weight, None, *args) * g).sum()
        along_v = (brute_force_conv2d(x, v, None, *args) * g).sum()
        np.testing.assert_allclose((grad_x * u).sum(), along_u, rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose((grad_w * v).sum(), along_v, rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(grad_b, g.sum(axis=(0, 2, 3)), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("combo", POOL_COMBOS)
def test_plain_max_pool2d_matches_brute_force(combo):
    x = _rng(20).standard_normal((2, 3, 7, 9))
    out = P.max_pool2d_forward(x, *combo)
    grad = _rng(29).standard_normal(out.shape)
    expected, expected_grad, expected_indices = brute_force_pool2d(x, *combo, kind="max",
                                                                   grad=grad)
    assert out.shape == expected.shape
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_array_equal(P.max_pool2d_indices(x, *combo), expected_indices)
    np.testing.assert_allclose(P.max_pool2d_backward(grad, x, *combo), expected_grad,
                               rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("combo", AVG_POOL_COMBOS)
@pytest.mark.parametrize("count_include_pad", [True, False])
def test_plain_avg_pool2d_matches_brute_force(combo, count_include_pad):
    kernel, stride, padding, _, ceil_mode = combo
    x = _rng(21).standard_normal((2, 3, 7, 9))
    out = P.avg_pool2d_forward(x, kernel, stride, padding, ceil_mode, count_include_pad)
    grad = _rng(30).standard_normal(out.shape)
    expected, expected_grad, _ = brute_force_pool2d(
        x, *combo, kind="avg", count_include_pad=count_include_pad, grad=grad)
    assert out.shape == expected.shape
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-14)
    grad_x = P.avg_pool2d_backward(grad, x.shape, kernel, stride, padding, ceil_mode,
                                   count_include_pad)
    np.testing.assert_allclose(grad_x, expected_grad, rtol=1e-12, atol=1e-14)


def test_plain_avg_pool2d_divisor_override_matches_brute_force():
    x = _rng(22).standard_normal((1, 2, 6, 6))
    geometry = ((3, 3), (2, 2), (1, 1))
    out = P.avg_pool2d_forward(x, *geometry, divisor_override=5)
    grad = _rng(31).standard_normal(out.shape)
    expected, expected_grad, _ = brute_force_pool2d(x, *geometry, (1, 1), False, "avg",
                                                    divisor_override=5, grad=grad)
    np.testing.assert_allclose(out, expected, rtol=1e-12)
    np.testing.assert_allclose(P.avg_pool2d_backward(grad, x.shape, *geometry,
                                                     divisor_override=5),
                               expected_grad, rtol=1e-12)


def test_plain_max_pool2d_ties_go_to_the_first_maximum():
    """Few distinct values, so windows hold several maxima: the first in row-major order gets
    the index and the gradient, as in the brute-force loops (and in PyTorch)."""
    x = np.array([[[[1.0, 1.0, 2.0, 0.0], [1.0, 0.0, 2.0, 2.0],
                    [0.0, 3.0, 5.0, 5.0], [3.0, 3.0, 5.0, 5.0]]]])
    np.testing.assert_array_equal(P.max_pool2d_indices(x, (2, 2), (2, 2), (0, 0)),
                                  [[[[0, 2], [9, 10]]]])
    expected_grad = np.zeros_like(x)
    expected_grad.reshape(-1)[[0, 2, 9, 10]] = [1.0, 2.0, 3.0, 4.0]
    np.testing.assert_array_equal(
        P.max_pool2d_backward(np.array([[[[1.0, 2.0], [3.0, 4.0]]]]), x, (2, 2), (2, 2), (0, 0)),
        expected_grad)
    x = _rng(32).integers(0, 3, (2, 2, 7, 9)).astype(np.float64)
    for combo in POOL_COMBOS:
        grad = _rng(33).standard_normal(P.max_pool2d_forward(x, *combo).shape)
        _, expected_grad, expected_indices = brute_force_pool2d(x, *combo, kind="max",
                                                                grad=grad)
        np.testing.assert_array_equal(P.max_pool2d_indices(x, *combo), expected_indices)
        np.testing.assert_allclose(P.max_pool2d_backward(grad, x, *combo), expected_grad,
                                   rtol=1e-12, atol=1e-14)


# --------------------------------------------------------------------------- conv2d: the tuned
# kernels (through the public op) against conv_plain


def _conv2d_through_op(x, w, b, stride, pads, dilation, groups, grad):
    """Output and (dL/dx, dL/dw, dL/db) for dL/dy = grad from the Op that ``conv2d`` calls
    (it takes the padding as (top, bottom, left, right), any four values)."""
    xt, wt = _tensor(x, True), _tensor(w, True)
    bt = None if b is None else _tensor(b, True)
    out = C.Conv2dOp.apply(xt, wt, bt, stride=stride, padding=pads, dilation=dilation,
                           groups=groups)
    out.backward(_tensor(grad))
    grads = [xt.grad.numpy(), wt.grad.numpy(), None if bt is None else bt.grad.numpy()]
    return out.detach().numpy(), grads


def _assert_same_gradients(ours, reference, rtol=1e-12, atol=1e-12):
    for mine, theirs in zip(ours, reference, strict=True):
        if theirs is None:
            assert mine is None
        else:
            assert mine.shape == theirs.shape
            np.testing.assert_allclose(mine, theirs, rtol=rtol, atol=atol)


@pytest.mark.parametrize("stride,padding,dilation,groups", CONV_COMBOS)
def test_conv2d_matches_plain(stride, padding, dilation, groups):
    x, w, b, s2, pads, d2 = _conv_problem(stride, padding, dilation, groups)
    expected = P.conv2d_forward(x, w, b, s2, pads, d2, groups)
    xt, wt, bt = _tensor(x, True), _tensor(w, True), _tensor(b, True)
    out = C.conv2d(xt, wt, bt, stride=stride, padding=padding, dilation=dilation, groups=groups)
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-12, atol=1e-12)
    grad = _rng(19).standard_normal(expected.shape)
    out.backward(_tensor(grad))
    _assert_same_gradients([t.grad.numpy() for t in (xt, wt, bt)],
                           P.conv2d_backward(grad, x, w, s2, pads, d2, groups))


@pytest.mark.parametrize("stride,padding,dilation,groups", CONV_COMBOS)
def test_conv2d_gradcheck(stride, padding, dilation, groups):
    x, w, b, *_ = _conv_problem(stride, padding, dilation, groups, seed=1)
    inputs = (_tensor(x, True), _tensor(w, True), _tensor(b, True))

    def fn(x, w, b):
        return C.conv2d(x, w, b, stride=stride, padding=padding, dilation=dilation,
                        groups=groups)

    assert mt.autograd.gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3)


def _torch_conv(torch, x, w, b, stride, padding, dilation, groups, grad):
    xt = torch.tensor(x, requires_grad=True)
    wt = torch.tensor(w, requires_grad=True)
    bt = None if b is None else torch.tensor(b, requires_grad=True)
    out = torch.nn.functional.conv2d(xt, wt, bt, stride=stride, padding=padding,
                                     dilation=dilation, groups=groups)
    out.backward(torch.tensor(grad))
    grads = [xt.grad.numpy(), wt.grad.numpy(), None if bt is None else bt.grad.numpy()]
    return out.detach().numpy(), grads


@pytest.mark.parametrize("stride,padding,dilation,groups", CONV_COMBOS)
def test_conv2d_matches_torch(stride, padding, dilation, groups):
    torch = pytest.importorskip("torch")
    x, w, b, *_ = _conv_problem(stride, padding, dilation, groups, seed=2)
    xt, wt, bt = _tensor(x, True), _tensor(w, True), _tensor(b, True)
    out = C.conv2d(xt, wt, bt, stride=stride, padding=padding, dilation=dilation, groups=groups)
    grad = _rng(3).standard_normal(out.shape)
    out.backward(_tensor(grad))
    expected, grads = _torch_conv(torch, x, w, b, stride, padding, dilation, groups, grad)
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-10, atol=1e-12)
    for ours, theirs in zip((xt, wt, bt), grads):
        np.testing.assert_allclose(ours.grad.numpy(), theirs, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kernel,dilation", [((2, 2), 1), ((4, 3), 1), ((2, 4), 3), ((1, 1), 1)])
def test_conv2d_same_padding_even_kernels_like_torch(kernel, dilation):
    torch = pytest.importorskip("torch")
    rng = _rng(4)
    x = rng.standard_normal((2, 3, 8, 7))
    w = rng.standard_normal((5, 3) + kernel)
    out = C.conv2d(_tensor(x), _tensor(w), None, padding="same", dilation=dilation)
    expected = torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w), padding="same",
                                          dilation=dilation)
    assert out.shape == (2, 5, 8, 7)
    np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-10, atol=1e-12)


def test_conv2d_valid_padding_and_1x1_kernel():
    x, w, b, s2, pads, d2 = _conv_problem(1, "valid", 1, 1, seed=5, kernel=(1, 1))
    out = C.conv2d(_tensor(x), _tensor(w), _tensor(b), padding="valid")
    np.testing.assert_allclose(out.numpy(), P.conv2d_forward(x, w, b, s2, pads, d2, 1),
                               rtol=1e-12, atol=1e-12)


def test_conv2d_large_padding_and_wide_kernel():
    """Padding larger than the kernel reach, a kernel as wide as the input, stride 3: forward
    and backward as the plain version's."""
    rng = _rng(6)
    x = rng.standard_normal((3, 2, 5, 6))
    for w_shape, stride, padding, groups in AWKWARD_CONVS:
        w = rng.standard_normal(w_shape)
        s2 = (stride, stride) if isinstance(stride, int) else stride
        pads = _pads(padding, w_shape[2:], (1, 1))
        xt, wt = _tensor(x, True), _tensor(w, True)
        out = C.conv2d(xt, wt, stride=stride, padding=padding, groups=groups)
        np.testing.assert_allclose(out.detach().numpy(),
                                   P.conv2d_forward(x, w, None, s2, pads, (1, 1), groups),
                                   rtol=1e-12, atol=1e-12)
        grad = rng.standard_normal(out.shape)
        out.backward(_tensor(grad))
        expected_x, expected_w, _ = P.conv2d_backward(grad, x, w, s2, pads, (1, 1), groups)
        _assert_same_gradients([xt.grad.numpy(), wt.grad.numpy()], [expected_x, expected_w])


@pytest.mark.parametrize("stride,padding,dilation,groups", [
    (1, 1, 1, 1), (1, (2, 0), 2, 1), (1, (0, 3), 1, 2), (1, "same", 2, 2),
    (2, 1, 1, 1), (2, (2, 0), 2, 1), (2, (0, 3), 1, 2), (3, 0, 1, 2),
])
def test_conv2d_in_chunks_matches_in_one_go(stride, padding, dilation, groups, monkeypatch):
    """Small chunks (many GEMMs, the last chunk reusing scratch left by fuller ones) and, with
    the flat trick, bands of a few output rows of one image give the same values as the whole
    batch in one chunk, which gives the plain version's."""
    x, w, b, s2, pads, d2 = _conv_problem(stride, padding, dilation, groups, seed=7,
                                          shape=(5, 4, 9, 8))
    expected = P.conv2d_forward(x, w, b, s2, pads, d2, groups)
    grad = _rng(8).standard_normal(expected.shape)
    whole = CK.conv2d_forward(x, w, b, s2, pads, d2, groups)
    np.testing.assert_allclose(whole, expected, rtol=1e-12, atol=1e-12)
    grads = CK.conv2d_backward(grad, x, w, s2, pads, d2, groups)
    _assert_same_gradients(grads, P.conv2d_backward(grad, x, w, s2, pads, d2, groups))
    geometry = CK.ConvGeometry.of(x.shape, w.shape, s2, pads, d2, groups, 8)
    assert geometry.chunk == 5
    bytes_per_image = x.shape[1] * w[0, 0].size * geometry.block * 8  # of cols
    for images in (1, 2):  # chunks of 1, 1, 1, 1, 1 images; then 2, 2, 1
        monkeypatch.setattr(CK, "_CHUNK_BYTES", images * bytes_per_image)
        geometry = CK.ConvGeometry.of(x.shape, w.shape, s2, pads, d2, groups, 8)
        assert geometry.chunk == images and len(list(geometry.chunks())) == -(-5 // images)
        np.testing.assert_allclose(CK.conv2d_forward(x, w, b, s2, pads, d2, groups), whole,
                                   rtol=1e-12, atol=1e-12)
        for chunked, single in zip(CK.conv2d_backward(grad, x, w, s2, pads, d2, groups),
                                   grads):
            np.testing.assert_allclose(chunked, single, rtol=1e-12, atol=1e-12)
    if stride == 1:  # bands of 2 output rows, then of 1
        for rows in (2, 1):
            monkeypatch.setattr(CK, "_CHUNK_BYTES", rows * bytes_per_image // geometry.block
                                * geometry.row)
            banded = CK.ConvGeometry.of(x.shape, w.shape, s2, pads, d2, groups, 8)
            assert banded.chunk == 1 and banded.band_rows == rows
            assert len(list(banded.bands(1))) == -(-banded.ho // rows)
            np.testing.assert_allclose(CK.conv2d_forward(x, w, b, s2, pads, d2, groups), whole,
                                       rtol=1e-12, atol=1e-12)
            for banded_grad, single in zip(
                    CK.conv2d_backward(grad, x, w, s2, pads, d2, groups), grads):
                np.testing.assert_allclose(banded_grad, single, rtol=1e-12, atol=1e-12)


def test_conv2d_random_geometries_and_chunks(monkeypatch):
    """60 random geometries (asymmetric padding up to 3, dilation, stride, groups, 1x1 to 3x3
    kernels, inputs down to one pixel wide) with random chunk sizes, through conv2d's Op: the
    output and all three gradients match the plain version's."""
    rng = _rng(40)
    checked = 0
    while checked < 60:
        problem = _random_conv_geometry(rng)
        if problem is None:
            continue
        checked += 1
        x, weight, bias, args = problem
        monkeypatch.setattr(CK, "_CHUNK_BYTES", int(rng.choice([8, 300, 3000, 5 << 19])))
        expected = P.conv2d_forward(x, weight, bias, *args)
        g = rng.standard_normal(expected.shape)
        out, grads = _conv2d_through_op(x, weight, bias, *args, g)
        np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)
        _assert_same_gradients(grads, P.conv2d_backward(g, x, weight, *args))


def test_conv2d_skips_gradients_nobody_needs():
    x, w, b, *_ = _conv_problem(1, 1, 1, 1, seed=11)
    full = [_tensor(x, True), _tensor(w, True), _tensor(b, True)]
    C.conv2d(*full, padding=1).sum().backward()
    frozen_input = [_tensor(x), _tensor(w, True), None]
    C.conv2d(*frozen_input, padding=1).sum().backward()
    assert frozen_input[0].grad is None
    np.testing.assert_allclose(frozen_input[1].grad.numpy(), full[1].grad.numpy(), rtol=1e-12)
    frozen_weight = [_tensor(x, True), _tensor(w), _tensor(b)]
    C.conv2d(*frozen_weight, padding=1).sum().backward()
    assert frozen_weight[1].grad is None and frozen_weight[2].grad is None
    np.testing.assert_allclose(frozen_weight[0].grad.numpy(), full[0].grad.numpy(), rtol=1e-12)
    assert CK.conv2d_backward(np.ones((2, 4, 7, 9)), x, w, (1, 1), (1, 1, 1, 1), (1, 1), 1,
                             need_input=False, need_weight=False)[:2] == (None, None)


def test_conv2d_unbatched_input_is_a_batch_of_one():
    x, w, b, *_ = _conv_problem(1, 1, 1, 2, seed=12)
    single = _tensor(x[0], True)
    out = C.conv2d(single, _tensor(w), _tensor(b), padding=1, groups=2)
    batch = C.conv2d(_tensor(x[:1]), _tensor(w), _tensor(b), padding=1, groups=2)
    assert out.shape == batch.shape[1:]
    np.testing.assert_allclose(out.detach().numpy(), batch.numpy()[0], rtol=1e-12)
    out.sum().backward()
    assert single.grad.shape == single.shape


def test_conv2d_keeps_float32_and_float64():
    for dtype in (np.float32, np.float64):
        x, w, b, *_ = _conv_problem(1, 1, 1, 1, seed=13, dtype=dtype)
        xt, wt, bt = _tensor(x, True), _tensor(w, True), _tensor(b, True)
        out = C.conv2d(xt, wt, bt, padding=1)
        out.sum().backward()
        assert out.dtype == dtype
        assert xt.grad.dtype == wt.grad.dtype == bt.grad.dtype == dtype
    x32, w32, b32, s2, pads, d2 = _conv_problem(2, 1, 1, 1, seed=13, dtype=np.float32)
    expected = P.conv2d_forward(x32.astype(np.float64), w32.astype(np.float64),
                                b32.astype(np.float64), s2, pads, d2, 1)
    out = C.conv2d(_tensor(x32), _tensor(w32), _tensor(b32), stride=2, padding=1)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-5, atol=1e-5)


def test_conv2d_scratch_memory_is_safe_across_shapes():
    """Calls of different geometries in between reuse scratch buffers without mixing them up."""
    problems = [_conv_problem(1, p, d, 1, seed=14 + k, shape=s)
                for k, (p, d, s) in enumerate([(1, 1, (2, 2, 7, 9)), ((2, 0), 1, (2, 2, 7, 9)),
                                               ("same", 2, (2, 2, 7, 9)), (0, 1, (3, 2, 7, 9)),
                                               (1, 1, (2, 2, 7, 9))])]
    for _ in range(2):
        for x, w, b, s2, pads, d2 in problems:
            out = CK.conv2d_forward(x, w, b, s2, pads, d2, 1)
            np.testing.assert_allclose(out, P.conv2d_forward(x, w, b, s2, pads, d2, 1),
                                       rtol=1e-12, atol=1e-12)
    CK.clear_workspace()
    x, w, b, s2, pads, d2 = problems[0]
    np.testing.assert_allclose(CK.conv2d_forward(x, w, b, s2, pads, d2, 1),
                               P.conv2d_forward(x, w, b, s2, pads, d2, 1), rtol=1e-12,
                               atol=1e-12)


@pytest.mark.parametrize("stride,padding", [(1, 1), (2, 0), (2, 1)])
def test_conv2d_results_do_not_share_scratch_memory(stride, padding):
    x, w, b, s2, pads, d2 = _conv_problem(stride, padding, 1, 1, seed=17)
    grad = np.ones_like(CK.conv2d_forward(x, w, b, s2, pads, d2, 1))
    first = CK.conv2d_forward(x, w, b, s2, pads, d2, 1)
    first_grads = CK.conv2d_backward(grad, x, w, s2, pads, d2, 1)
    kept = [first.copy()] + [g.copy() for g in first_grads]
    CK.conv2d_forward(x * 2, w * 3, b, s2, pads, d2, 1)
    CK.conv2d_backward(grad * 5, x * 2, w * 3, s2, pads, d2, 1)
    for result, copy in zip([first, *first_grads], kept):
        np.testing.assert_array_equal(result, copy)


def test_conv2d_big_input_uses_huge_page_scratch_memory():
    """Scratch arrays over 2 MB come from mmap (zeroed, writable); results stay right."""
    scratch = CK._Workspace._zeros((600, 1000), np.dtype(np.float32))
    assert scratch.flags.writeable and not scratch.any()
    rng = _rng(18)
    x = rng.standard_normal((4, 16, 128, 128)).astype(np.float32)
    w = rng.standard_normal((8, 16, 3, 3)).astype(np.float32)
    expected = P.conv2d_forward(x.astype(np.float64), w.astype(np.float64), None, (1, 1),
                                (1, 1, 1, 1), (1, 1), 1)
    out = CK.conv2d_forward(x, w, None, (1, 1), (1, 1, 1, 1), (1, 1), 1)
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-4)


def test_scratch_memory_stays_under_its_limit(monkeypatch):
    workspace = CK._Workspace()
    monkeypatch.setattr(CK._Workspace, "limit_bytes", 10_000)
    first = workspace.get(("a",), (1000,), np.float32)
    assert workspace.get(("a",), (1000,), np.float32) is first  # kept and reused
    workspace.get(("b",), (1000,), np.float32)
    workspace.get(("c",), (1000,), np.float32)  # 12 kB in all: "a", the oldest, is dropped
    assert workspace.get(("a",), (1000,), np.float32) is not first
    huge = workspace.get(("d",), (5000,), np.float32)  # bigger than the limit: not kept
    assert workspace.get(("d",), (5000,), np.float32) is not huge
    assert sum(a.nbytes for a in workspace.arrays.values()) <= 10_000


def test_conv2d_empty_batch():
    x = np.zeros((0, 2, 5, 5))
    w = _rng(15).standard_normal((3, 2, 3, 3))
    out = C.conv2d(_tensor(x, True), _tensor(w, True), padding=1)
    assert out.shape == (0, 3, 5, 5)


def test_conv2d_is_first_order_only():
    x, w, b, *_ = _conv_problem(1, 1, 1, 1, seed=16)
    xt, wt = _tensor(x, True), _tensor(w, True)
    out = C.conv2d(xt, wt, padding=1).sum()
    with pytest.raises(NotImplementedError, match="Conv2d supports first-order gradients only"):
        mt.autograd.grad(out, [xt], create_graph=True)


# --------------------------------------------------------------------------- pooling: the tuned
# kernels (through the public ops) against conv_plain


def _pool_call(x, combo, kind, **extra):
    kernel, stride, padding, dilation, ceil_mode = combo
    if kind == "max":
        return C.max_pool2d(x, kernel, stride, padding, dilation, ceil_mode, **extra)
    return C.avg_pool2d(x, kernel, stride, padding, ceil_mode, **extra)


def _assert_max_pool2d_matches_plain(x, combo, grad_seed):
    """max_pool2d's output, indices and gradient equal the plain version's."""
    kernel, stride, padding, dilation, ceil_mode = combo
    xt = _tensor(x, True)
    out, indices = C.max_pool2d(xt, kernel, stride, padding, dilation, ceil_mode,
                                return_indices=True)
    expected = P.max_pool2d_forward(x, *combo)
    assert out.shape == expected.shape
    np.testing.assert_array_equal(out.detach().numpy(), expected)
    np.testing.assert_array_equal(indices.numpy(), P.max_pool2d_indices(x, *combo))
    grad = _rng(grad_seed).standard_normal(out.shape)
    out.backward(_tensor(grad))
    np.testing.assert_allclose(xt.grad.numpy(), P.max_pool2d_backward(grad, x, *combo),
                               rtol=1e-12, atol=1e-14)


def _assert_avg_pool2d_matches_plain(x, combo, grad_seed, **options):
    """avg_pool2d's output and gradient equal the plain version's (``options``:
    count_include_pad, divisor_override)."""
    kernel, stride, padding, _, ceil_mode = combo
    xt = _tensor(x, True)
    out = C.avg_pool2d(xt, kernel, stride, padding, ceil_mode, **options)
    expected = P.avg_pool2d_forward(x, kernel, stride, padding, ceil_mode, **options)
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-12, atol=1e-14)
    grad = _rng(grad_seed).standard_normal(out.shape)
    out.backward(_tensor(grad))
    expected_grad = P.avg_pool2d_backward(grad, x.shape, kernel, stride, padding, ceil_mode,
                                          **options)
    np.testing.assert_allclose(xt.grad.numpy(), expected_grad, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("combo", POOL_COMBOS)
def test_max_pool2d_matches_plain(combo):
    _assert_max_pool2d_matches_plain(_rng(20).standard_normal((2, 3, 7, 9)), combo, 34)


@pytest.mark.parametrize("combo", AVG_POOL_COMBOS)
@pytest.mark.parametrize("count_include_pad", [True, False])
def test_avg_pool2d_matches_plain(combo, count_include_pad):
    _assert_avg_pool2d_matches_plain(_rng(21).standard_normal((2, 3, 7, 9)), combo, 35,
                                     count_include_pad=count_include_pad)


def test_avg_pool2d_divisor_override():
    x = _rng(22).standard_normal((1, 2, 6, 6))
    _assert_avg_pool2d_matches_plain(x, ((3, 3), (2, 2), (1, 1), (1, 1), False), 36,
                                     divisor_override=5)


def test_max_pool2d_ties_match_plain():
    """Few distinct values, so windows hold several maxima: the same one wins in both."""
    x = _rng(37).integers(0, 3, (2, 2, 7, 9)).astype(np.float64)
    for combo in POOL_COMBOS:
        _assert_max_pool2d_matches_plain(x, combo, 38)


def _windows_reach_input(size, k, s, p, d, out):
    """Whether each of the ``out`` windows along a dim has a tap on the input (not all in the
    padding), by brute force over the taps o·s - p + j·d."""
    return all(any(0 <= o * s - p + j * d < size for j in range(k)) for o in range(out))


def test_pools_random_geometries_match_plain():
    """60 random pooling geometries (kernels 1 to 3, strides 1 to 3, padding up to half the
    kernel, dilation, ceil_mode, inputs down to one pixel): output, indices and gradients as
    the plain version's."""
    rng = _rng(42)
    checked = 0
    while checked < 60:
        kernel = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
        stride = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
        dilation = (int(rng.integers(1, 3)), int(rng.integers(1, 3)))
        if rng.random() < 0.5:
            dilation = (1, 1)
        padding = tuple(int(rng.integers(0, k // 2 + 1)) for k in kernel)
        ceil_mode = bool(rng.random() < 0.5)
        shape = (int(rng.integers(1, 3)), int(rng.integers(1, 3)),
                 int(rng.integers(1, 9)), int(rng.integers(1, 9)))
        sizes = [P.pool_output_size(size, k, s, p, d, ceil_mode)
                 for size, k, s, p, d in zip(shape[2:], kernel, stride, padding, dilation)]
        if min(sizes) < 1 or not all(
                _windows_reach_input(*args) for args in zip(shape[2:], kernel, stride, padding,
                                                             dilation, sizes)):
            continue
        checked += 1
        x = rng.standard_normal(shape)
        combo = (kernel, stride, padding, dilation, ceil_mode)
        _assert_max_pool2d_matches_plain(x, combo, 43 + checked)
        if dilation == (1, 1):
            _assert_avg_pool2d_matches_plain(x, combo, 143 + checked,
                                             count_include_pad=bool(rng.random() < 0.5))


@pytest.mark.parametrize("combo", POOL_COMBOS)
def test_max_pool2d_gradcheck(combo):
    x = _tensor(_distinct((2, 2, 7, 9), seed=23), True)
    assert mt.autograd.gradcheck(lambda t: _pool_call(t, combo, "max"), (x,), eps=1e-6,
                                 atol=1e-5, rtol=1e-3)


@pytest.mark.parametrize("combo", [c for c in POOL_COMBOS if c[3] == (1, 1)])
@pytest.mark.parametrize("count_include_pad", [True, False])
def test_avg_pool2d_gradcheck(combo, count_include_pad):
    x = _tensor(_rng(24).standard_normal((2, 2, 7, 9)), True)

    def fn(t):
        return _pool_call(t, combo, "avg", count_include_pad=count_include_pad)

    assert mt.autograd.gradcheck(fn, (x,), eps=1e-6, atol=1e-5, rtol=1e-3)


@pytest.mark.parametrize("combo", POOL_COMBOS)
def test_pools_match_torch_with_indices(combo):
    torch = pytest.importorskip("torch")
    functional = torch.nn.functional
    kernel, stride, padding, dilation, ceil_mode = combo
    x = _distinct((2, 3, 7, 9), seed=25)
    xt = _tensor(x, True)
    out, indices = _pool_call(xt, combo, "max", return_indices=True)
    grad = _rng(26).standard_normal(out.shape)
    out.backward(_tensor(grad))
    xq = torch.tensor(x, requires_grad=True)
    expected, expected_indices = functional.max_pool2d(xq, kernel, stride, padding, dilation,
                                                       ceil_mode, return_indices=True)
    expected.backward(torch.tensor(grad))
    np.testing.assert_array_equal(out.detach().numpy(), expected.detach().numpy())
    np.testing.assert_array_equal(indices.numpy(), expected_indices.numpy())
    assert indices.dtype == np.int64
    np.testing.assert_allclose(xt.grad.numpy(), xq.grad.numpy(), rtol=1e-12)
    if dilation == (1, 1):
        for include in (True, False):
            xt = _tensor(x, True)
            out = _pool_call(xt, combo, "avg", count_include_pad=include)
            out.backward(_tensor(grad))
            xq = torch.tensor(x, requires_grad=True)
            expected = functional.avg_pool2d(xq, kernel, stride, padding, ceil_mode, include)
            expected.backward(torch.tensor(grad))
            np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(),
                                       rtol=1e-12)
            np.testing.assert_allclose(xt.grad.numpy(), xq.grad.numpy(), rtol=1e-12)


def test_max_pool2d_ties_and_nan_like_torch():
    """On ties the first maximum of the window wins; a NaN is the maximum and propagates."""
    x = np.array([[[[1.0, 1.0, 2.0, 0.0], [1.0, 0.0, 2.0, 2.0],
                    [np.nan, 3.0, 5.0, 5.0], [3.0, np.nan, 5.0, 5.0]]]])
    xt = _tensor(x, True)
    out, indices = C.max_pool2d(xt, 2, return_indices=True)
    out.backward(_tensor(np.ones(out.shape)))
    np.testing.assert_array_equal(out.detach().numpy(), [[[[1.0, 2.0], [np.nan, 5.0]]]])
    np.testing.assert_array_equal(indices.numpy(), [[[[0, 2], [13, 10]]]])
    expected_grad = np.zeros_like(x)
    expected_grad.reshape(-1)[[0, 2, 13, 10]] = 1.0
    np.testing.assert_array_equal(xt.grad.numpy(), expected_grad)
    torch = pytest.importorskip("torch")
    out_t, indices_t = torch.nn.functional.max_pool2d(torch.tensor(x), 2, return_indices=True)
    np.testing.assert_array_equal(indices.numpy(), indices_t.numpy())


def test_pools_keep_dtype_accept_unbatched_input_and_are_first_order():
    x32 = _rng(27).standard_normal((3, 6, 6)).astype(np.float32)
    for pool in (C.max_pool2d, C.avg_pool2d):
        xt = _tensor(x32, True)
        out = pool(xt, 2)
        assert out.shape == (3, 3, 3) and out.dtype == np.float32
        np.testing.assert_allclose(out.detach().numpy(), pool(_tensor(x32[None]), 2).numpy()[0])
        out.sum().backward()
        assert xt.grad.shape == xt.shape and xt.grad.dtype == np.float32
        with pytest.raises(NotImplementedError, match="first-order gradients only"):
            mt.autograd.grad(pool(xt, 2).sum(), [xt], create_graph=True)


def test_pool_stride_defaults_to_kernel_size():
    x = _tensor(_rng(28).standard_normal((1, 1, 6, 6)))
    assert C.max_pool2d(x, 3).shape == (1, 1, 2, 2)
    assert C.max_pool2d(x, 3, stride=[]).shape == (1, 1, 2, 2)
    assert C.avg_pool2d(x, (2, 3)).shape == (1, 1, 3, 2)


# --------------------------------------------------------------------------- errors


def _x(shape=(1, 3, 8, 8)):
    return _tensor(np.zeros(shape, np.float32))


def _w(shape=(8, 4, 3, 3)):
    return _tensor(np.zeros(shape, np.float32))


@pytest.mark.parametrize("call,error,match", [
    (lambda: C.conv2d(_x((3, 8)), _w()), RuntimeError, r"conv2d: expected a 4-D input .* \(3, 8\)"),
    (lambda: C.conv2d(_x(), _w()), RuntimeError,
     r"conv2d: input has 3 channels but weight expects 4 \(weight shape \(8, 4, 3, 3\), "
     r"groups 1\)"),
    (lambda: C.conv2d(_x(), _w((8, 3, 3))), RuntimeError, r"conv2d: weight must be 4-D"),
    (lambda: C.conv2d(_x((1, 3, 2, 2)), _w((8, 3, 3, 3))), RuntimeError,
     r"conv2d: the \(dilated\) kernel 3x3 is larger than the padded input 2x2"),
    (lambda: C.conv2d(_x((1, 4, 5, 6)), _w((8, 4, 3, 3)), dilation=3, padding=(0, 1)),
     RuntimeError, r"conv2d: the \(dilated\) kernel 7x7 is larger than the padded input 5x8"),
    (lambda: C.conv2d(_x((1, 3, 8, 8)), _w((8, 1, 3, 3)), groups=2), RuntimeError,
     r"conv2d: groups=2 must divide the number of input channels"),
    (lambda: C.conv2d(_x((1, 4, 8, 8)), _w((6, 1, 3, 3)), groups=4), RuntimeError,
     r"conv2d: groups=4 must divide the number of output channels"),
    (lambda: C.conv2d(_x((1, 4, 8, 8)), _w(), stride=0), RuntimeError,
     r"conv2d: stride must be positive"),
    (lambda: C.conv2d(_x((1, 4, 8, 8)), _w(), padding=-1), RuntimeError,
     r"conv2d: padding must be non-negative"),
    (lambda: C.conv2d(_x((1, 4, 8, 8)), _w(), stride=2, padding="same"), RuntimeError,
     r"padding='same' is not supported for strided convolutions"),
    (lambda: C.conv2d(_x((1, 4, 8, 8)), _w(), padding="full"), RuntimeError,
     r"conv2d: Invalid padding string: 'full'"),
    (lambda: C.conv2d(_x((1, 4, 8, 8)), _w(), groups=0), RuntimeError,
     r"groups must be a positive integer"),
    (lambda: C.conv2d(_x((1, 4, 8, 8)), _w(), _tensor(np.zeros(3, np.float32))), RuntimeError,
     r"conv2d: bias must have shape \(8,\)"),
    (lambda: C.conv2d(_x((1, 4, 8, 8)), _tensor(np.zeros((8, 4, 3, 3)))), RuntimeError,
     r"input dtype \(float32\) and weight dtype \(float64\) must be the same"),
    (lambda: C.conv2d(_tensor(np.zeros((1, 4, 8, 8), np.int64)), _w()), RuntimeError,
     r"expected a floating point input"),
    (lambda: C.conv2d(_x((1, 4, 8, 8)), _w(), stride=(1, 2, 3)), TypeError,
     r"stride must be an int or a pair of ints"),
    (lambda: C.max_pool2d(_x(), 2, padding=2), RuntimeError,
     r"max_pool2d: pad should be at most half of effective kernel size, but got pad=2, "
     r"kernel_size=2 and dilation=1"),
    (lambda: C.max_pool2d(_x((1, 1, 2, 2)), 3), RuntimeError,
     r"max_pool2d: input of shape \(1, 1, 2, 2\) is too small for kernel_size \(3, 3\)"),
    (lambda: C.avg_pool2d(_x((8, 8)), 2), IndexError,
     r"avg_pool2d: dimension out of range: the input of shape \(8, 8\)"),
    (lambda: C.avg_pool2d(_x(), 0), RuntimeError, r"avg_pool2d: kernel_size must be positive"),
    (lambda: C.avg_pool2d(_x(), 2, divisor_override=0), RuntimeError,
     r"divisor_override must be a non-zero int"),
])
def test_clear_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize("pool", [C.max_pool2d, C.avg_pool2d])
def test_pool_padding_rules_are_pytorchs(pool):
    """pad <= half the effective (dilated) kernel, height then width; then pad <= half the
    kernel itself (which only bites with dilation). PyTorch's messages."""
    op = pool.__name__
    with pytest.raises(RuntimeError, match=rf"{op}: pad should be at most half of effective "
                       r"kernel size, but got pad=2, kernel_size=3 and dilation=1"):
        pool(_x((1, 1, 5, 5)), 3, padding=2)
    with pytest.raises(RuntimeError, match=r"but got pad=2, kernel_size=3 and dilation=1"):
        pool(_x((1, 1, 5, 5)), (5, 3), padding=(2, 2))  # the width is the one too padded
    assert pool(_x((1, 1, 5, 5)), 3, stride=1, padding=1).shape == (1, 1, 5, 5)


def test_max_pool2d_padding_at_most_half_the_undilated_kernel():
    x = _x((1, 1, 5, 5))
    with pytest.raises(RuntimeError, match=r"max_pool2d: pad should be smaller than or equal to "
                       r"half of kernel size, but got padW = 2, padH = 2, kW = 2, kH = 2"):
        C.max_pool2d(x, 2, stride=1, padding=2, dilation=3)  # 2 <= (3·1 + 1)//2, but 2 > 2//2
    with pytest.raises(RuntimeError, match=r"padW = 0, padH = 2, kW = 1, kH = 3"):
        C.max_pool2d(x, (3, 1), stride=1, padding=(2, 0), dilation=(2, 1))
    assert C.max_pool2d(x, 2, stride=1, padding=1, dilation=3).shape == (1, 1, 4, 4)


def test_max_pool2d_refuses_dilated_windows_wholly_in_the_padding():
    """Height 2, kernel 2, dilation 3, padding 1: the first window's taps are rows -1 and 2,
    both outside. PyTorch returns -inf with index 6 (outside the 2x3 plane) and its backward
    writes out of bounds; here the call is refused."""
    x = _tensor(np.arange(12.0).reshape(1, 2, 2, 3), True)
    with pytest.raises(RuntimeError, match=r"max_pool2d: the window of output height position 0 "
                       r"lies wholly in the padding \(input height 2, kernel_size 2, stride 2, "
                       r"padding 1, dilation 3\)"):
        C.max_pool2d(x, 2, stride=(2, 1), padding=1, dilation=(3, 1), ceil_mode=True)
    with pytest.raises(RuntimeError, match=r"output width position 0 lies wholly in the padding"):
        C.max_pool2d(_x((1, 1, 3, 1)), (1, 2), stride=1, padding=(0, 1), dilation=(1, 2))
    out = C.max_pool2d(x, 2, stride=1, padding=1, dilation=(1, 2))  # every window reaches in
    assert np.isfinite(out.detach().numpy()).all()


def test_pools_refuse_empty_channels_or_planes_but_take_an_empty_batch():
    for pool in (C.max_pool2d, C.avg_pool2d):
        for shape in ((1, 0, 3, 3), (1, 1, 0, 3), (1, 1, 3, 0), (0, 3, 3)):
            with pytest.raises(RuntimeError, match=rf"{pool.__name__}: Expected 3D or 4D \(batch "
                               r"mode\) tensor with optional 0 dim batch size for input, but "
                               rf"got: {re.escape(str(list(shape)))}"):
                pool(_x(shape), 1)
        x = _tensor(np.zeros((0, 2, 4, 4)), True)
        out = pool(x, 2)
        assert out.shape == (0, 2, 2, 2)
        out.sum().backward()
        assert x.grad.shape == (0, 2, 4, 4)


@pytest.mark.parametrize("call, match", [
    (lambda: C.conv2d(_x((1, 1, 3, 3)), _w((1, 1, 0, 1))),
     r"conv2d: kernel size should be greater than zero, but got kernel_height: 0 kernel_width: "
     r"1"),
    (lambda: C.conv2d(_x((1, 1, 3, 3)), _w((0, 1, 1, 1))),
     r"conv2d: expected weight to be at least 1 at dimension 0 \(out_channels\), but got "
     r"weight of size \[0, 1, 1, 1\]"),
    (lambda: C.conv2d(_x((1, 1, 0, 3)), _w((1, 1, 1, 1)), padding=1),
     r"conv2d: Only zero batch or zero channel inputs are supported, but got input shape: "
     r"\[1, 1, 0, 3\]"),
    (lambda: C.conv2d(_x((1, 1, 0, 3)), _w((1, 1, 1, 1))),
     r"conv2d: the \(dilated\) kernel 1x1 is larger than the padded input 0x3"),
])
def test_conv2d_refuses_empty_kernels_and_planes(call, match):
    with pytest.raises(RuntimeError, match=match):
        call()


def test_conv2d_empty_batch_and_empty_channels():
    """An empty batch may have empty planes (PyTorch's rule). Zero input channels sum to
    nothing, so the output is the bias (PyTorch returns an empty tensor with 0 channels, which
    is wrong; the docstring says so)."""
    assert C.conv2d(_x((0, 1, 0, 3)), _w((2, 1, 1, 1)), padding=1).shape == (0, 2, 2, 5)
    bias = _tensor(np.array([1.5, -2.0], np.float32))
    out = C.conv2d(_x((2, 0, 3, 3)), _w((2, 0, 2, 2)), bias)
    assert out.shape == (2, 2, 2, 2)
    np.testing.assert_array_equal(out.numpy()[:, 0], 1.5)
    np.testing.assert_array_equal(out.numpy()[:, 1], -2.0)


@pytest.mark.parametrize("value, kind", [([[[[1.0]]]], "list"), (np.ones((1, 1, 2, 2)),
                                                               "numpy.ndarray")])
def test_conv_and_pools_refuse_non_tensors(value, kind):
    for call, name, position in (
            (lambda v: C.conv2d(v, _w((1, 1, 1, 1))), "input", 1),
            (lambda v: C.conv2d(_x((1, 1, 2, 2)), v), "weight", 2),
            (lambda v: C.conv2d(_x((1, 1, 2, 2)), _w((1, 1, 1, 1)), v), "bias", 3)):
        with pytest.raises(TypeError, match=rf"conv2d\(\): argument '{name}' \(position "
                           rf"{position}\) must be Tensor, not {re.escape(kind)}"):
            call(value)
    for pool in (C.max_pool2d, C.avg_pool2d):
        with pytest.raises(TypeError, match=rf"{pool.__name__}\(\): argument 'input' \(position "
                           rf"1\) must be Tensor, not {re.escape(kind)}"):
            pool(value, 1)


def test_pool_padding_checks_match_torch_on_a_grid():
    """Every kernel, padding and dilation up to 4/3/3 on 5x5 and 1x1 inputs: PyTorch raises
    exactly when microtensor does (windows wholly in the padding aside, which PyTorch lets
    through with -inf and out-of-plane indices), and the outputs agree otherwise."""
    torch = pytest.importorskip("torch")
    import torch.nn.functional as TF

    for size, k, p, d, ceil in itertools.product((1, 5), range(1, 5), range(4), range(1, 4),
                                                 (False, True)):
        x = _rng(61).standard_normal((1, 1, size, size))
        for ours, theirs, kw in ((C.max_pool2d, TF.max_pool2d, dict(dilation=d)),
                                 (C.avg_pool2d, TF.avg_pool2d, {})):
            if ours is C.avg_pool2d and d > 1:
                continue
            args = dict(kernel_size=k, stride=1, padding=p, ceil_mode=ceil, **kw)
            try:
                expected = theirs(torch.tensor(x), **args).numpy()
            except RuntimeError as error:
                with pytest.raises(RuntimeError, match=re.escape(str(error)[:40])
                                   if str(error).startswith("pad should") else None):
                    ours(_tensor(x), **args)
                continue
            if np.isinf(expected).any():
                with pytest.raises(RuntimeError, match="wholly in the padding"):
                    ours(_tensor(x), **args)
                continue
            np.testing.assert_allclose(ours(_tensor(x), **args).numpy(), expected, rtol=1e-12)


# --------------------------------------------------------------------------- engine gradchecks

GRADCHECK_CASES = [
    Case("conv2d_stride2_pad_dilation_groups",
         lambda x, w, b: C.conv2d(x, w, b, stride=2, padding=(1, 2), dilation=(2, 1), groups=2),
         [(2, 4, 6, 7), (2, 2, 2, 3), (2,)], double=False,
         reference=lambda x, w, b: P.conv2d_forward(x, w, b, (2, 2), (1, 1, 2, 2), (2, 1), 2)),
    # "same" with a 2x3 kernel pads 0 above, 1 below, 1 on each side (PyTorch's split)
    Case("conv2d_same_no_bias", lambda x, w: C.conv2d(x, w, padding="same"),
         [(1, 2, 5, 6), (3, 2, 2, 3)], double=False,
         reference=lambda x, w: P.conv2d_forward(x, w, None, (1, 1), (0, 1, 1, 1), (1, 1), 1)),
    Case("max_pool2d_overlapping", lambda x: C.max_pool2d(x, 3, 2, 1, ceil_mode=True),
         [(2, 2, 6, 7)], double=False, distinct=True,
         reference=lambda x: P.max_pool2d_forward(x, (3, 3), (2, 2), (1, 1), ceil_mode=True)),
    Case("avg_pool2d_exclude_pad", lambda x: C.avg_pool2d(x, 3, 2, 1, count_include_pad=False),
         [(2, 2, 6, 7)], double=False,
         reference=lambda x: P.avg_pool2d_forward(x, (3, 3), (2, 2), (1, 1),
                                                  count_include_pad=False)),
]
