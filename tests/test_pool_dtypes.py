"""Pooling of integer and bool inputs, and the rules of adaptive average pooling to 1x1: what
PyTorch 2.13 accepts, computes and refuses, function by function.

* ``max_pool2d`` (and ``nn.MaxPool2d``) takes every integer dtype: the same dtype out, the
  windows' maxima (padding counts as the smallest value of the type), int64 indices. bool is
  refused (``"max_pool2d" not implemented for 'Bool'``).
* ``max_pool1d`` runs PyTorch's 1-d kernel, floating point only (``"max_pool1d_impl"``),
  unless ``return_indices=True``, which runs the 2-d one: integers then work.
* ``avg_pool2d``/``avg_pool1d`` take int64 too: the integer sum divided by the divisor,
  truncated toward zero. Other integer dtypes and bool are refused (``"avg_pool2d"``).
* Adaptive pooling takes floating point only (``"adaptive_max_pool2d"``,
  ``"adaptive_avg_pool2d"``); adaptive average pooling of an integer input whose result is
  empty returns it (PyTorch's kernel is not reached).
* Adaptive average pooling to 1x1 (and ``adaptive_avg_pool1d`` to 1) is PyTorch's ``mean``
  over the last two dims, with mean's rules: its dtype error first, any leading dims, empty
  dims allowed (an empty plane is NaN).

In every case the dtype is checked after the shapes and sizes, as in PyTorch. Values are
checked against window loops in NumPy here; ``test_matches_pytorch`` (PyTorch installed) and
the golden group ``conv2_pool_rules`` compare with PyTorch itself.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import microtensor as mt
import microtensor.nn.functional as F
from microtensor import nn

INTEGERS = ["int8", "int16", "int32", "int64", "uint8"]
TORCH_NAMES = {"int8": "Char", "int16": "Short", "int32": "Int", "int64": "Long",
               "uint8": "Byte", "bool": "Bool"}


def _ints(shape, dtype, seed=0):
    """Small integers of ``dtype`` with many ties; the type's extremes at a few places."""
    rng = np.random.default_rng(seed)
    info = np.iinfo(dtype)
    x = rng.integers(max(info.min, -20), min(info.max, 20) + 1, shape).astype(dtype)
    flat = x.reshape(-1)
    flat[:: 7] = info.min
    flat[3:: 11] = info.max
    return x


def _windows(size, kernel, stride, pad, dilation, ceil_mode):
    """For each output position along a dim, the input positions of its window that lie on
    the input (PyTorch's output size rule)."""
    span = size + 2 * pad - dilation * (kernel - 1) - 1
    out = (span + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= size + pad:
        out -= 1
    return [[o * stride - pad + k * dilation for k in range(kernel)
             if 0 <= o * stride - pad + k * dilation < size] for o in range(out)]


def max_pool_reference(x, kernel, stride, pad, dilation=(1, 1), ceil_mode=False):
    """Window maxima and the flat h*W + w index of the first one (row-major), by loops."""
    rows = _windows(x.shape[-2], kernel[0], stride[0], pad[0], dilation[0], ceil_mode)
    cols = _windows(x.shape[-1], kernel[1], stride[1], pad[1], dilation[1], ceil_mode)
    out = np.empty(x.shape[:-2] + (len(rows), len(cols)), x.dtype)
    index = np.empty(out.shape, np.int64)
    for lead in np.ndindex(*x.shape[:-2]):
        for (p, r), (q, c) in itertools.product(enumerate(rows), enumerate(cols)):
            cells = [(i, j) for i in r for j in c]
            values = [x[lead + cell] for cell in cells]
            best = int(np.argmax(values))
            out[lead + (p, q)] = values[best]
            index[lead + (p, q)] = cells[best][0] * x.shape[-1] + cells[best][1]
    return out, index


def avg_pool_reference(x, kernel, stride, pad, ceil_mode=False, count_include_pad=True,
                       divisor_override=None):
    """Integer window means: Python's exact integer sum, divided toward zero (C's rule)."""
    size = x.shape[-2:]
    rows = _windows(size[0], kernel[0], stride[0], pad[0], 1, ceil_mode)
    cols = _windows(size[1], kernel[1], stride[1], pad[1], 1, ceil_mode)
    out = np.empty(x.shape[:-2] + (len(rows), len(cols)), x.dtype)
    for lead in np.ndindex(*x.shape[:-2]):
        for (p, r), (q, c) in itertools.product(enumerate(rows), enumerate(cols)):
            total = sum(int(x[lead + (i, j)]) for i in r for j in c)
            if divisor_override is not None:
                divisor = divisor_override
            elif count_include_pad:  # the window clipped to the padded input
                height = min(p * stride[0] - pad[0] + kernel[0], size[0] + pad[0])
                width = min(q * stride[1] - pad[1] + kernel[1], size[1] + pad[1])
                divisor = (height - (p * stride[0] - pad[0])) * (width - (q * stride[1] - pad[1]))
            else:
                divisor = len(r) * len(c)
            quotient = abs(total) // abs(divisor)
            out[lead + (p, q)] = quotient if (total < 0) == (divisor < 0) else -quotient
    return out


# --------------------------------------------------------------------------- max pooling


@pytest.mark.parametrize("dtype", INTEGERS)
@pytest.mark.parametrize("kernel, stride, pad, dilation, ceil_mode", [
    ((2, 2), (2, 2), (0, 0), (1, 1), False),
    ((3, 3), (2, 2), (1, 1), (1, 1), False),
    ((3, 2), (1, 2), (1, 1), (2, 1), True),
])
def test_max_pool2d_of_integers_keeps_the_dtype(dtype, kernel, stride, pad, dilation, ceil_mode):
    x = _ints((2, 3, 7, 6), dtype)
    out, index = F.max_pool2d(mt.tensor(x), kernel, stride, pad, dilation, ceil_mode,
                              return_indices=True)
    expected, expected_index = max_pool_reference(x, kernel, stride, pad, dilation, ceil_mode)
    assert out.dtype == np.dtype(dtype) and index.dtype == mt.int64
    np.testing.assert_array_equal(out.numpy(), expected)
    np.testing.assert_array_equal(index.numpy(), expected_index)
    assert not out.requires_grad


@pytest.mark.parametrize("dtype", ["int8", "uint8"])
def test_max_pool2d_padding_is_the_smallest_value_of_the_type(dtype):
    # every value is the type's minimum, as is the padding: each window keeps its first tap
    # on the input (PyTorch's index), never a padded one
    low = np.iinfo(dtype).min
    x = np.full((1, 1, 2, 2), low, dtype)
    out, index = F.max_pool2d(mt.tensor(x), 2, 1, 1, return_indices=True)
    np.testing.assert_array_equal(out.numpy(), np.full((1, 1, 3, 3), low, dtype))
    np.testing.assert_array_equal(index.numpy()[0, 0], [[0, 0, 1], [0, 0, 1], [2, 2, 3]])


@pytest.mark.parametrize("dtype", INTEGERS)
def test_max_pool1d_of_integers_needs_return_indices(dtype):
    x = _ints((2, 3, 9), dtype)
    out, index = F.max_pool1d(mt.tensor(x), 3, 2, 1, return_indices=True)
    expected, expected_index = max_pool_reference(x[:, :, None], (1, 3), (1, 2), (0, 1))
    assert out.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(out.numpy(), expected[:, :, 0])
    np.testing.assert_array_equal(index.numpy(), expected_index[:, :, 0])
    with pytest.raises(NotImplementedError,
                       match=rf"\"max_pool1d_impl\" not implemented for '{TORCH_NAMES[dtype]}'"):
        F.max_pool1d(mt.tensor(x), 3, 2, 1)
    with pytest.raises(NotImplementedError, match="max_pool1d_impl"):
        nn.MaxPool1d(2)(mt.tensor(x))
    values, _ = nn.MaxPool1d(2, return_indices=True)(mt.tensor(x))
    np.testing.assert_array_equal(values.numpy(), np.maximum(x[..., 0:8:2], x[..., 1:9:2]))


def test_max_pool_modules_take_integers():
    x = _ints((2, 3, 6, 6), "int16")
    out = nn.MaxPool2d(3, 2, 1)(mt.tensor(x))
    np.testing.assert_array_equal(out.numpy(), max_pool_reference(x, (3, 3), (2, 2), (1, 1))[0])
    assert out.dtype == mt.int16


def test_max_pool_refuses_bool_after_the_shape_checks():
    x = mt.tensor(np.ones((1, 2, 4, 4), bool))
    with pytest.raises(NotImplementedError, match=r"\"max_pool2d\" not implemented for 'Bool'"):
        F.max_pool2d(x, 2)
    with pytest.raises(NotImplementedError, match=r"\"max_pool2d\" not implemented for 'Bool'"):
        F.max_pool1d(x[0], 2, return_indices=True)
    with pytest.raises(NotImplementedError, match=r"\"max_pool2d\" not implemented for 'Bool'"):
        F.max_pool2d(mt.tensor(np.ones((0, 2, 4, 4), bool)), 2)  # even for an empty batch
    with pytest.raises(RuntimeError, match="too small"):  # the sizes come first
        F.max_pool2d(x, 5)
    with pytest.raises(RuntimeError, match="3D or 4D"):
        F.max_pool2d(x[0, 0], 2)


def test_an_empty_batch_of_integers():
    x = mt.tensor(np.zeros((0, 2, 4, 4), np.int32))
    assert F.max_pool2d(x, 2).shape == (0, 2, 2, 2) and F.max_pool2d(x, 2).dtype == mt.int32
    with pytest.raises(NotImplementedError, match="max_pool1d_impl"):
        F.max_pool1d(x[:, :, 0], 2)
    with pytest.raises(NotImplementedError, match=r"\"avg_pool2d\" not implemented for 'Int'"):
        F.avg_pool2d(x, 2)


# --------------------------------------------------------------------------- average pooling


@pytest.mark.parametrize("options", [
    dict(kernel=(2, 2), stride=(2, 2), pad=(0, 0)),
    dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1)),
    dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1), ceil_mode=True, count_include_pad=False),
    dict(kernel=(2, 3), stride=(1, 2), pad=(1, 1), ceil_mode=True),
    dict(kernel=(2, 2), stride=(1, 1), pad=(0, 0), divisor_override=-3),
    dict(kernel=(1, 1), stride=(1, 1), pad=(0, 0)),
])
def test_avg_pool2d_of_int64_divides_toward_zero(options):
    x = np.random.default_rng(3).integers(-50, 50, (2, 3, 7, 6))
    kernel, stride, pad = options["kernel"], options["stride"], options["pad"]
    extra = {k: v for k, v in options.items() if k not in ("kernel", "stride", "pad")}
    out = F.avg_pool2d(mt.tensor(x), kernel, stride, pad, **extra)
    assert out.dtype == mt.int64
    np.testing.assert_array_equal(out.numpy(), avg_pool_reference(x, kernel, stride, pad, **extra))


def test_avg_pool_of_int64_truncates_negative_means():
    x = mt.tensor([[[-7, 3, -5, 2, 8, -1]]])
    # windows: -4/2 = -2, -3/2 = -1.5 -> -1 (not -2), 7/2 = 3.5 -> 3
    assert F.avg_pool1d(x, 2).tolist() == [[[-2, -1, 3]]]
    assert nn.AvgPool2d(2, 1)(x.reshape(1, 1, 2, 3)).tolist() == [[[[1, 1]]]]  # 2/4, 4/4


def test_avg_pool2d_sums_wrap_around_like_int64():
    big = 2**62
    out = F.avg_pool2d(mt.tensor(np.full((1, 1, 2, 2), big, np.int64)), 2)
    assert out.tolist() == [[[[0]]]]  # 4 * 2**62 wraps to 0 in int64, as in PyTorch


@pytest.mark.parametrize("dtype", ["int8", "int16", "int32", "uint8", "bool"])
def test_avg_pool_refuses_other_integers(dtype):
    x = mt.tensor(np.ones((1, 2, 4, 4), dtype))
    name = TORCH_NAMES[dtype]
    with pytest.raises(NotImplementedError, match=rf"\"avg_pool2d\" not implemented for '{name}'"):
        F.avg_pool2d(x, 2)
    with pytest.raises(NotImplementedError, match=rf"\"avg_pool2d\" not implemented for '{name}'"):
        F.avg_pool1d(x[0], 2)
    with pytest.raises(NotImplementedError, match="avg_pool2d"):
        nn.AvgPool2d(2)(x)
    with pytest.raises(RuntimeError, match="pad should be at most half"):  # arguments first
        F.avg_pool2d(x, 2, padding=2)


# --------------------------------------------------------------------------- adaptive pooling


@pytest.mark.parametrize("dtype", INTEGERS + ["bool"])
def test_adaptive_pooling_refuses_integers(dtype):
    x = mt.tensor(np.ones((2, 3, 6, 6), dtype))
    name = TORCH_NAMES[dtype]
    for call in (lambda: F.adaptive_max_pool2d(x, 2), lambda: F.adaptive_max_pool2d(x, 0),
                 lambda: F.adaptive_max_pool1d(x[0], 2), lambda: nn.AdaptiveMaxPool2d(3)(x)):
        with pytest.raises(NotImplementedError,
                           match=rf"\"adaptive_max_pool2d\" not implemented for '{name}'"):
            call()
    for call in (lambda: F.adaptive_avg_pool2d(x, (2, 3)), lambda: F.adaptive_avg_pool1d(x[0], 4),
                 lambda: nn.AdaptiveAvgPool2d(2)(x)):
        with pytest.raises(NotImplementedError,
                           match=rf"\"adaptive_avg_pool2d\" not implemented for '{name}'"):
            call()
    for call in (lambda: F.adaptive_avg_pool2d(x, 1), lambda: F.adaptive_avg_pool1d(x[0], 1),
                 lambda: F.adaptive_avg_pool2d(x[0, 0, 0], 1)):  # (1-D: the dtype comes first)
        with pytest.raises(RuntimeError, match=rf"mean\(\): could not infer output dtype\. "
                           rf"Input dtype must be either a floating point or complex dtype\. "
                           rf"Got: {name}"):
            call()


def test_adaptive_average_of_integers_with_an_empty_result_is_returned():
    x = mt.tensor(np.ones((2, 3, 6, 6), np.int32))
    assert F.adaptive_avg_pool2d(x, 0).shape == (2, 3, 0, 0)
    assert F.adaptive_avg_pool2d(x[:0], 2).shape == (0, 3, 2, 2)
    assert F.adaptive_avg_pool2d(x, 0).dtype == mt.int32
    assert F.adaptive_avg_pool1d(x[0], 0).shape == (3, 6, 0)
    assert F.adaptive_avg_pool1d(x[:0, 0], 2).dtype == mt.int32
    with pytest.raises(RuntimeError, match="non-zero size"):  # the shape is checked first
        F.adaptive_avg_pool2d(mt.tensor(np.ones((2, 3, 0, 6), np.int32)), 2)


def test_adaptive_average_to_one_is_the_mean_over_the_last_two_dims():
    x = np.random.default_rng(4).standard_normal((2, 1, 3, 5, 6))
    xt = mt.tensor(x, requires_grad=True)
    out = F.adaptive_avg_pool2d(xt, 1)  # five dims: any leading dims, as mean
    np.testing.assert_allclose(out.detach().numpy(), x.mean(axis=(-2, -1), keepdims=True),
                               rtol=1e-14)
    g = np.random.default_rng(5).standard_normal(out.shape)
    out.backward(mt.tensor(g))
    np.testing.assert_allclose(xt.grad.numpy(), np.broadcast_to(g / 30, x.shape), rtol=1e-14)
    assert F.adaptive_avg_pool2d(mt.tensor(x[0, 0, 0]), 1).shape == (1, 1)  # two dims
    assert F.adaptive_avg_pool2d(mt.tensor(x[..., :1]), (1, None)).shape == (2, 1, 3, 1, 1)
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range "
                       r"of \[-1, 0\], but got -2\)"):
        F.adaptive_avg_pool2d(mt.tensor(x[0, 0, 0, 0]), 1)
    with pytest.raises(ValueError, match="Input dimension should be at least 3"):
        F.adaptive_avg_pool2d(mt.tensor(x[0, 0, 0, 0]), (1, 1))  # a pair: PyTorch's check


def test_adaptive_average_to_one_of_empty_dims():
    with np.errstate(all="raise"):  # no NumPy warning either
        plane = F.adaptive_avg_pool2d(mt.zeros(2, 3, 0, 4), 1)
        line = F.adaptive_avg_pool1d(mt.zeros(2, 3, 0), 1)
    assert plane.shape == (2, 3, 1, 1) and np.isnan(plane.numpy()).all()
    assert line.shape == (2, 3, 1) and np.isnan(line.numpy()).all()
    assert F.adaptive_avg_pool2d(mt.zeros(2, 0, 4, 4), 1).shape == (2, 0, 1, 1)
    assert F.adaptive_avg_pool1d(mt.zeros(2, 0, 4), 1).shape == (2, 0, 1)
    x = mt.zeros(2, 3, 0, 4, requires_grad=True)
    F.adaptive_avg_pool2d(x, 1).sum().backward()
    assert x.grad.shape == (2, 3, 0, 4)


def test_adaptive_average_allows_empty_channels():
    # PyTorch 2.13 checks only H and W of adaptive *average* pooling (max pooling: all dims)
    assert F.adaptive_avg_pool2d(mt.zeros(2, 0, 3, 3), 2).shape == (2, 0, 2, 2)
    assert F.adaptive_avg_pool1d(mt.zeros(2, 0, 5), 2).shape == (2, 0, 2)
    with pytest.raises(RuntimeError, match="with dimension 1 being empty"):
        F.adaptive_max_pool2d(mt.zeros(2, 0, 3, 3), 2)


# --------------------------------------------------------------------------- against PyTorch


CALLS = {
    "max_pool1d": lambda lib, x: lib.nn.functional.max_pool1d(x[0], 3, 2, 1),
    "max_pool1d_indices": lambda lib, x: lib.nn.functional.max_pool1d(x[0], 3, 2, 1,
                                                                      return_indices=True),
    "max_pool2d": lambda lib, x: lib.nn.functional.max_pool2d(x, 3, 2, 1, return_indices=True),
    "MaxPool2d": lambda lib, x: lib.nn.MaxPool2d(2, 1, dilation=2)(x),
    "avg_pool1d": lambda lib, x: lib.nn.functional.avg_pool1d(x[0], 3, 2, 1),
    "avg_pool2d": lambda lib, x: lib.nn.functional.avg_pool2d(x, 3, 2, 1, ceil_mode=True,
                                                              count_include_pad=False),
    "adaptive_avg_pool1d": lambda lib, x: lib.nn.functional.adaptive_avg_pool1d(x[0], 4),
    "adaptive_avg_pool2d": lambda lib, x: lib.nn.functional.adaptive_avg_pool2d(x, (4, 3)),
    "adaptive_avg_pool2d_1x1": lambda lib, x: lib.nn.functional.adaptive_avg_pool2d(x, 1),
    "adaptive_max_pool1d": lambda lib, x: lib.nn.functional.adaptive_max_pool1d(x[0], 4),
    "adaptive_max_pool2d": lambda lib, x: lib.nn.functional.adaptive_max_pool2d(x, (4, 3)),
}


def _outcome(lib, call, x):
    """The result's dtype names and values, or the built-in type of the error and its text up
    to microtensor's own advice (after '; ')."""
    try:
        result = call(lib, lib.tensor(x.copy()))
    except Exception as error:  # the error is the outcome compared
        kind = next(c for c in type(error).__mro__ if c.__module__ == "builtins")
        return kind.__name__, str(error).split("; ")[0]
    results = result if isinstance(result, tuple) else (result,)
    return [(str(r.dtype).split(".")[-1], r.numpy()) for r in results]


@pytest.mark.parametrize("dtype", INTEGERS + ["bool", "float64"])
@pytest.mark.parametrize("name", sorted(CALLS))
def test_matches_pytorch(name, dtype):
    torch = pytest.importorskip("torch")
    x = _ints((2, 3, 7, 6), dtype) if dtype in INTEGERS else (
        np.random.default_rng(6).standard_normal((2, 3, 7, 6)).astype(dtype))
    theirs, ours = _outcome(torch, CALLS[name], x), _outcome(mt, CALLS[name], x)
    if isinstance(theirs, tuple):  # an error: the same type and PyTorch's text
        assert isinstance(ours, tuple) and ours == theirs
        return
    assert [d for d, _ in ours] == [d for d, _ in theirs]
    for (_, a), (_, b) in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-12)
