"""Forward values of every op against NumPy (several shapes, broadcasting, dims), and gradients
of composite expressions against PyTorch in float64."""

from __future__ import annotations

import numpy as np
import pytest

import microtensor as mt

RNG_SEED = 20240601
SHAPES = [(), (4,), (2, 3), (2, 3, 4)]


def _values(shape, seed=0, low=None):
    rng = np.random.default_rng(RNG_SEED + seed)
    if low is not None:
        return rng.uniform(low, 2.0, shape)
    return rng.standard_normal(shape)


def _check(ours, expected, dtype=None, rtol=1e-6, atol=1e-9):
    assert isinstance(ours, mt.Tensor)
    expected = np.asarray(expected)
    assert ours.shape == expected.shape, (ours.shape, expected.shape)
    if dtype is not None:
        assert ours.dtype == np.dtype(dtype)
    np.testing.assert_allclose(ours.numpy(), expected, rtol=rtol, atol=atol)


# --------------------------------------------------------------------------- elementwise

_UNARY = {
    "exp": (lambda t: t.exp(), np.exp, None),
    "log": (lambda t: t.log(), np.log, 0.1),
    "sqrt": (lambda t: t.sqrt(), np.sqrt, 0.1),
    "abs": (lambda t: t.abs(), np.abs, None),
    "abs_builtin": (abs, np.abs, None),
    "neg": (lambda t: -t, np.negative, None),
    "sin": (lambda t: t.sin(), np.sin, None),
    "cos": (lambda t: t.cos(), np.cos, None),
    "tanh": (lambda t: t.tanh(), np.tanh, None),
    "sigmoid": (lambda t: t.sigmoid(), lambda a: 1 / (1 + np.exp(-a)), None),
    "relu": (lambda t: t.relu(), lambda a: np.maximum(a, 0), None),
    "sign": (lambda t: t.sign(), np.sign, None),
    "square": (lambda t: t.square(), np.square, None),
    "reciprocal": (lambda t: t.reciprocal(), np.reciprocal, 0.1),
    "pow_int": (lambda t: t**3, lambda a: a**3, None),
    "pow_neg": (lambda t: t**-2, lambda a: a**-2.0, 0.1),
    "pow_frac": (lambda t: t**0.5, np.sqrt, 0.1),
    "rpow": (lambda t: 2.0**t, lambda a: 2.0**a, None),
    "clamp": (lambda t: t.clamp(-0.5, 0.3), lambda a: np.clip(a, -0.5, 0.3), None),
    "clamp_min": (lambda t: t.clamp(min=0.1), lambda a: np.maximum(a, 0.1), None),
    "clamp_max": (lambda t: mt.clamp(t, max=0.1), lambda a: np.minimum(a, 0.1), None),
    "clip": (lambda t: mt.clip(t, -1, 1), lambda a: np.clip(a, -1, 1), None),
    "functional_exp": (mt.exp, np.exp, None),
    "functional_tanh": (mt.tanh, np.tanh, None),
    "functional_relu": (mt.relu, lambda a: np.maximum(a, 0), None),
}


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", list(_UNARY))
@pytest.mark.parametrize("dtype", [mt.float32, mt.float64])
def test_unary_matches_numpy(name, shape, dtype):
    ours, theirs, low = _UNARY[name]
    values = _values(shape, low=low).astype(dtype)
    result = ours(mt.tensor(values))
    rtol = 1e-6 if dtype == mt.float32 else 1e-12
    _check(result, theirs(values), dtype=dtype, rtol=rtol, atol=rtol)


_BROADCAST_PAIRS = [
    ((), ()),
    ((3,), ()),
    ((), (3,)),
    ((2, 3), (3,)),
    ((2, 3), (2, 1)),
    ((4, 1), (1, 3)),
    ((2, 3, 4), (3, 1)),
    ((2, 1, 4), (1, 3, 1)),
    ((5, 1, 1, 2), (3, 1, 2)),
]

_BINARY = {
    "add": (lambda a, b: a + b, np.add),
    "sub": (lambda a, b: a - b, np.subtract),
    "mul": (lambda a, b: a * b, np.multiply),
    "div": (lambda a, b: a / b, np.divide),
    "pow": (lambda a, b: a.abs() ** b, lambda a, b: np.abs(a) ** b),
    "maximum": (mt.maximum, np.maximum),
    "minimum": (mt.minimum, np.minimum),
    "max_binary": (mt.max, np.maximum),
    "min_binary": (mt.min, np.minimum),
    "functional_add": (mt.add, np.add),
    "functional_sub": (mt.sub, np.subtract),
    "functional_mul": (mt.mul, np.multiply),
    "functional_div": (mt.div, np.divide),
    "add_alpha": (lambda a, b: mt.add(a, b, alpha=-2), lambda a, b: a - 2 * b),
    "sub_alpha_method": (lambda a, b: a.sub(b, alpha=3), lambda a, b: a - 3 * b),
}


@pytest.mark.parametrize("shapes", _BROADCAST_PAIRS, ids=str)
@pytest.mark.parametrize("name", list(_BINARY))
def test_binary_broadcasting_matches_numpy(name, shapes):
    ours, theirs = _BINARY[name]
    a, b = _values(shapes[0], 1), _values(shapes[1], 2)
    if name in ("div",):
        b = np.where(np.abs(b) < 0.1, 0.5, b)
    _check(ours(mt.tensor(a, dtype=mt.float64), mt.tensor(b, dtype=mt.float64)), theirs(a, b),
           dtype=mt.float64, rtol=1e-12)


@pytest.mark.parametrize("scalar", [2, -1.5, 0.25])
def test_binary_with_python_scalars_both_sides(scalar):
    a = _values((2, 3))
    t = mt.tensor(a, dtype=mt.float64)
    for ours, theirs in [
        (t + scalar, a + scalar), (scalar + t, scalar + a),
        (t - scalar, a - scalar), (scalar - t, scalar - a),
        (t * scalar, a * scalar), (scalar * t, scalar * a),
        (t / scalar, a / scalar), (scalar / t, scalar / a),
        (t.abs() ** scalar, np.abs(a) ** scalar), (abs(scalar) ** t, abs(scalar) ** a),
    ]:
        _check(ours, theirs, dtype=mt.float64, rtol=1e-12)


def test_elementwise_special_values():
    x = mt.tensor([-2.0, 0.0, 3.0])
    assert x.relu().tolist() == [0.0, 0.0, 3.0]
    assert x.sign().tolist() == [-1.0, 0.0, 1.0]
    assert x.abs().tolist() == [2.0, 0.0, 3.0]
    assert mt.tensor([0.0]).sigmoid().item() == 0.5
    assert mt.maximum(x, mt.tensor(0.0)).tolist() == [0.0, 0.0, 3.0]
    assert mt.tensor([-3, 2]).abs().tolist() == [3, 2]
    assert mt.tensor([-3, 2]).relu().dtype == mt.int64


@pytest.mark.parametrize("shape_c, shape_a, shape_b", [
    ((3,), (3,), (3,)),
    ((2, 3), (2, 3), ()),
    ((2, 1), (1, 3), (2, 3)),
    ((4,), (2, 1), (4,)),
])
def test_where_matches_numpy(shape_c, shape_a, shape_b):
    cond = _values(shape_c, 3) > 0
    a, b = _values(shape_a, 4), _values(shape_b, 5)
    _check(mt.where(mt.tensor(cond), mt.tensor(a), mt.tensor(b)), np.where(cond, a, b))
    _check(mt.where(mt.tensor(cond), mt.tensor(a), 0.5), np.where(cond, a, 0.5))
    _check(mt.where(mt.tensor(cond), -1.0, mt.tensor(b)), np.where(cond, -1.0, b))


def test_where_and_masked_fill_dtypes():
    cond = mt.tensor([True, False])
    assert mt.where(cond, mt.tensor([1.0, 2.0]), 0).dtype == mt.float32
    assert mt.where(cond, mt.tensor([1, 2]), mt.tensor([3, 4])).tolist() == [1, 4]
    x = mt.tensor([1.0, -1.0, 2.0])
    assert x.masked_fill(x < 0, 0.0).tolist() == [1.0, 0.0, 2.0]


def test_clamp_with_tensor_bounds():
    a = _values((3, 4))
    low, high = _values((4,), 6) - 0.5, _values((4,), 7) + 0.5
    high = np.maximum(high, low)
    t = mt.tensor(a).clamp(mt.tensor(low), mt.tensor(high))
    _check(t, np.minimum(np.maximum(a, low), high))


# --------------------------------------------------------------------------- reductions

_DIMS = [None, 0, -1, 1, (0, 2), (-1, 0), (0, 1, 2)]
_REDUCTIONS = {
    "sum": (lambda t, d, k: t.sum(d, keepdim=k), lambda a, d, k: a.sum(axis=d, keepdims=k)),
    "mean": (lambda t, d, k: t.mean(d, keepdim=k), lambda a, d, k: a.mean(axis=d, keepdims=k)),
    "amax": (lambda t, d, k: t.amax(d, keepdim=k), lambda a, d, k: a.max(axis=d, keepdims=k)),
    "amin": (lambda t, d, k: mt.amin(t, d, keepdim=k), lambda a, d, k: a.min(axis=d, keepdims=k)),
    "var": (lambda t, d, k: t.var(d, keepdim=k), lambda a, d, k: a.var(axis=d, keepdims=k, ddof=1)),
    "var_c0": (lambda t, d, k: t.var(d, correction=0, keepdim=k),
               lambda a, d, k: a.var(axis=d, keepdims=k)),
    "var_c2": (lambda t, d, k: mt.var(t, d, correction=2, keepdim=k),
               lambda a, d, k: a.var(axis=d, keepdims=k, ddof=2)),
    "var_unbiased_false": (lambda t, d, k: t.var(d, unbiased=False, keepdim=k),
                           lambda a, d, k: a.var(axis=d, keepdims=k)),
    "std": (lambda t, d, k: t.std(d, keepdim=k), lambda a, d, k: a.std(axis=d, keepdims=k, ddof=1)),
    "logsumexp": (lambda t, d, k: t.logsumexp(d if d is not None else (0, 1, 2), keepdim=k),
                  lambda a, d, k: np.log(np.exp(a).sum(axis=d, keepdims=k))),
    "norm": (lambda t, d, k: t.norm(dim=d, keepdim=k),
             lambda a, d, k: np.sqrt((a * a).sum(axis=d, keepdims=k))),
    "norm1": (lambda t, d, k: t.norm(p=1, dim=d, keepdim=k),
              lambda a, d, k: np.abs(a).sum(axis=d, keepdims=k)),
    "norm3": (lambda t, d, k: t.norm(p=3, dim=d, keepdim=k),
              lambda a, d, k: (np.abs(a) ** 3).sum(axis=d, keepdims=k) ** (1 / 3)),
    "norm_inf": (lambda t, d, k: t.norm(p=float("inf"), dim=d, keepdim=k),
                 lambda a, d, k: np.abs(a).max(axis=d, keepdims=k)),
}


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", _DIMS, ids=str)
@pytest.mark.parametrize("name", list(_REDUCTIONS))
def test_reductions_match_numpy(name, dim, keepdim):
    ours, theirs = _REDUCTIONS[name]
    a = _values((3, 4, 5), 8)
    axis = dim if dim is None or isinstance(dim, int) else tuple(dim)
    _check(ours(mt.tensor(a, dtype=mt.float64), dim, keepdim), theirs(a, axis, keepdim),
           rtol=1e-12)


def test_reductions_accept_numpy_spellings_and_lists():
    a = _values((3, 4), 9)
    t = mt.tensor(a, dtype=mt.float64)
    _check(t.sum(axis=1, keepdims=True), a.sum(axis=1, keepdims=True), rtol=1e-12)
    _check(t.mean(axis=0), a.mean(axis=0), rtol=1e-12)
    _check(t.mean([0, 1]), a.mean(), rtol=1e-12)
    _check(mt.sum(t, -1), a.sum(-1), rtol=1e-12)
    _check(mt.mean(t), a.mean(), rtol=1e-12)
    _check(t.norm(p="fro"), np.sqrt((a * a).sum()), rtol=1e-12)
    with pytest.raises(TypeError, match="unexpected keyword"):
        t.sum(dims=1)


def test_sum_of_integers_and_bools():
    assert mt.tensor([1, 2, 3]).sum().dtype == mt.int64
    assert mt.tensor([1, 2, 3]).sum().item() == 6
    assert mt.tensor([True, True, False]).sum().item() == 2
    assert mt.tensor([True, True, False]).sum().dtype == mt.int64
    assert mt.tensor([[3, 2], [1, 4]]).prod(1).tolist() == [6, 4]


@pytest.mark.parametrize("dim", [0, 1, -1, 2])
@pytest.mark.parametrize("keepdim", [False, True])
def test_max_min_along_dim_give_values_and_indices(dim, keepdim):
    a = _values((3, 4, 5), 10)
    t = mt.tensor(a)
    values, indices = t.max(dim, keepdim=keepdim)
    _check(values, a.max(axis=dim, keepdims=keepdim), rtol=1e-6)
    assert indices.dtype == mt.int64
    np.testing.assert_array_equal(indices.numpy(), np.argmax(a, axis=dim, keepdims=keepdim))
    result = t.min(dim=dim, keepdim=keepdim)
    assert result.values.shape == result.indices.shape
    _check(result.values, a.min(axis=dim, keepdims=keepdim), rtol=1e-6)
    np.testing.assert_array_equal(result.indices.numpy(), np.argmin(a, axis=dim, keepdims=keepdim))
    np.testing.assert_array_equal(t.argmax(dim, keepdim=keepdim).numpy(),
                                  np.argmax(a, axis=dim, keepdims=keepdim))
    np.testing.assert_array_equal(mt.argmin(t, dim).numpy(), np.argmin(a, axis=dim))


def test_max_without_dim_and_argmax_flat():
    a = _values((3, 4), 11)
    t = mt.tensor(a)
    assert t.max().shape == () and t.max().item() == pytest.approx(a.max())
    assert mt.min(t).item() == pytest.approx(a.min())
    assert t.argmax().item() == int(np.argmax(a))
    assert t.argmin().item() == int(np.argmin(a))
    assert t.argmax().dtype == mt.int64
    with pytest.raises(RuntimeError, match=r"max\(\): Expected reduction dim to be specified"):
        mt.zeros(0).max()


def test_max_of_integers_keeps_dtype():
    values, indices = mt.tensor([[3, 9], [7, 1]]).max(1)
    assert values.dtype == mt.int64 and values.tolist() == [9, 7]
    assert indices.tolist() == [1, 0]


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_prod_softmax_log_softmax(dim):
    a = _values((3, 4, 2), 12)
    t = mt.tensor(a, dtype=mt.float64)
    _check(t.prod(dim), a.prod(axis=dim), rtol=1e-12)
    _check(t.prod(dim, keepdim=True), a.prod(axis=dim, keepdims=True), rtol=1e-12)
    e = np.exp(a - a.max(axis=dim, keepdims=True))
    soft = e / e.sum(axis=dim, keepdims=True)
    _check(t.softmax(dim), soft, rtol=1e-12)
    _check(mt.softmax(t, dim), soft, rtol=1e-12)
    _check(t.log_softmax(dim), np.log(soft), rtol=1e-12)
    _check(mt.log_softmax(t, dim=dim), np.log(soft), rtol=1e-12)
    np.testing.assert_allclose(t.softmax(dim).sum(dim).numpy(), 1.0, rtol=1e-12)
    _check(t.prod(), a.prod(), rtol=1e-12)


def test_reductions_of_a_0d_tensor_accept_dim_0_and_minus_1():
    s = mt.tensor(2.5, dtype=mt.float64)
    for d in (0, -1):
        for result in (s.sum(d), s.mean(d), s.amax(d), s.prod(d), s.logsumexp(d),
                       s.max(d).values, s.norm(dim=d), s.sum(d, keepdim=True)):
            assert result.shape == ()
        assert s.sum(d).item() == 2.5
        assert s.softmax(d).item() == 1.0
        assert s.log_softmax(d).item() == 0.0
        assert s.argmax(d).item() == 0 and s.argmax(d, keepdim=True).shape == ()
        assert s.max(d).indices.item() == 0
        assert s.var(d, correction=0).item() == 0.0
    with pytest.raises(IndexError):
        s.sum(1)


# --------------------------------------------------------------------------- shape ops


def test_reshape_view_flatten():
    a = np.arange(24.0).reshape(2, 3, 4)
    t = mt.tensor(a)
    _check(t.reshape(6, 4), a.reshape(6, 4))
    _check(t.reshape((4, -1)), a.reshape(4, -1))
    _check(t.reshape([-1]), a.reshape(-1))
    _check(t.view(3, 2, 4), a.reshape(3, 2, 4))
    _check(t.view(-1, 2), a.reshape(-1, 2))
    _check(mt.reshape(t, (24,)), a.reshape(24))
    _check(t.view_as(mt.zeros(4, 6)), a.reshape(4, 6))
    _check(t.reshape_as(mt.zeros(24)), a.reshape(24))
    _check(t.flatten(), a.reshape(-1))
    _check(t.flatten(1), a.reshape(2, 12))
    _check(t.flatten(0, 1), a.reshape(6, 4))
    _check(t.flatten(-2), a.reshape(2, 12))
    _check(mt.flatten(t, start_dim=1, end_dim=-1), a.reshape(2, 12))
    _check(mt.tensor(3.0).flatten(), np.array([3.0]))


def test_squeeze_unsqueeze():
    a = np.arange(6.0).reshape(1, 3, 1, 2)
    t = mt.tensor(a)
    _check(t.squeeze(), a.squeeze())
    _check(t.squeeze(0), a.squeeze(0))
    _check(t.squeeze(-2), a.squeeze(-2))
    _check(t.squeeze(1), a)  # size 3: unchanged, as in PyTorch
    _check(t.squeeze((0, 2)), a.squeeze((0, 2)))
    _check(mt.squeeze(t), a.squeeze())
    b = np.arange(6.0).reshape(2, 3)
    s = mt.tensor(b)
    for dim, axis in [(0, 0), (1, 1), (2, 2), (-1, 2), (-3, 0)]:
        _check(s.unsqueeze(dim), np.expand_dims(b, axis))
    _check(mt.unsqueeze(mt.tensor(1.0), 0), np.array([1.0]))


def test_transpose_permute_expand_repeat():
    a = np.arange(24.0).reshape(2, 3, 4)
    t = mt.tensor(a)
    _check(t.transpose(0, 2), a.transpose(2, 1, 0))
    _check(t.transpose(-1, -2), a.swapaxes(-1, -2))
    _check(mt.transpose(t, 0, 1), a.swapaxes(0, 1))
    _check(t.swapaxes(0, 1), a.swapaxes(0, 1))
    _check(t.permute(2, 0, 1), a.transpose(2, 0, 1))
    _check(t.permute((1, 2, 0)), a.transpose(1, 2, 0))
    _check(t.permute(-1, 0, 1), a.transpose(2, 0, 1))
    _check(mt.permute(t, (0, 2, 1)), a.transpose(0, 2, 1))
    b = np.arange(3.0).reshape(3, 1)
    _check(mt.tensor(b).expand(2, 3, 4), np.broadcast_to(b, (2, 3, 4)))
    _check(mt.tensor(b).expand(-1, 5), np.broadcast_to(b, (3, 5)))
    _check(mt.tensor(b).expand_as(mt.zeros(2, 3, 2)), np.broadcast_to(b, (2, 3, 2)))
    _check(mt.tensor(b).broadcast_to((3, 3)), np.broadcast_to(b, (3, 3)))
    _check(mt.expand(mt.tensor(b), (3, 2)), np.broadcast_to(b, (3, 2)))
    _check(mt.tensor(b).repeat(2, 3), np.tile(b, (2, 3)))
    _check(mt.tensor(b).repeat(2, 1, 3), np.tile(b, (2, 1, 3)))
    _check(mt.repeat(mt.tensor([1.0, 2.0]), (3,)), np.tile([1.0, 2.0], 3))


_INDICES = [
    0, -1, (1, 2), (slice(None), 1), (Ellipsis, 2), (None, 0),
    (slice(1, None), slice(None, None, 2), -1), (slice(None), None, slice(None), None),
    (0, Ellipsis, None), (slice(-2, None), slice(1, 3)),
    np.array([1, 0, 1]), (slice(None), np.array([0, 2])), (np.array([0, 1]), np.array([1, 2])),
    (np.array([[0], [1]]), np.array([0, 2])), (1, np.array([0, 2]), slice(1, 3)),
    (slice(None), np.array([0, 2]), np.array([1, 3])),
    (np.array([0, 1]), slice(None), np.array([1, 3])),
    (Ellipsis, np.array([0, 3])), np.array([True, False]), (0, np.array([True, False, True])),
    [1, 0], [True, False], (slice(None), [2, 0, 2]),
]


@pytest.mark.parametrize("index", _INDICES, ids=lambda i: repr(i).replace(" ", ""))
def test_getitem_matches_numpy(index):
    a = np.arange(24.0).reshape(2, 3, 4)
    t = mt.tensor(a)
    numpy_index = tuple(np.asarray(i) if isinstance(i, list) else i for i in index) \
        if isinstance(index, tuple) else (np.asarray(index) if isinstance(index, list) else index)
    _check(t[index], a[numpy_index])


def test_getitem_with_tensor_indices_and_masks():
    a = np.arange(24.0).reshape(2, 3, 4)
    t = mt.tensor(a)
    _check(t[mt.tensor([1, 0])], a[[1, 0]])
    _check(t[mt.tensor(1)], a[1])
    _check(t[t > 10], a[a > 10])
    _check(t[:, mt.tensor([[0, 1], [2, 2]])], a[:, [[0, 1], [2, 2]]])
    _check(t[0][t[0] > 3], a[0][a[0] > 3])
    with pytest.raises(IndexError, match="integer or bool"):
        t[mt.tensor([0.0, 1.0])]


def test_cat_stack_match_numpy():
    a, b = _values((2, 3, 4), 13), _values((2, 1, 4), 14)
    ta, tb = mt.tensor(a), mt.tensor(b)
    _check(mt.cat([ta, tb], dim=1), np.concatenate([a, b], axis=1))
    _check(mt.cat([ta, tb, ta], -2), np.concatenate([a, b, a], axis=-2))
    _check(mt.cat([ta, ta]), np.concatenate([a, a]))
    _check(mt.cat((ta,), dim=2), a)
    _check(mt.concat([ta, ta], dim=-1), np.concatenate([a, a], axis=-1))
    for dim in (0, 1, 3, -1, -4):
        _check(mt.stack([ta, ta * 2], dim=dim), np.stack([a, a * 2], axis=dim))
    _check(mt.stack([mt.tensor(1.0), mt.tensor(2.0)]), np.array([1.0, 2.0]))
    assert mt.cat([mt.tensor([1, 2]), mt.tensor([3])]).dtype == mt.int64


@pytest.mark.parametrize("length, size", [(7, 3), (6, 2), (5, 5), (2, 5), (10, 4)])
def test_split_by_size(length, size):
    a = np.arange(float(length))
    pieces = mt.tensor(a).split(size)
    expected = [a[i:i + size] for i in range(0, length, size)]
    assert len(pieces) == len(expected)
    for piece, ref in zip(pieces, expected):
        _check(piece, ref)


def test_split_by_sections_and_dim():
    a = np.arange(24.0).reshape(2, 6, 2)
    pieces = mt.split(mt.tensor(a), [1, 3, 2], dim=1)
    for piece, ref in zip(pieces, np.split(a, [1, 4], axis=1)):
        _check(piece, ref)
    pieces = mt.tensor(a).split(1, dim=-1)
    assert [p.shape for p in pieces] == [(2, 6, 1), (2, 6, 1)]


@pytest.mark.parametrize("length, chunks, sizes", [
    (7, 3, [3, 3, 1]),
    (6, 4, [2, 2, 2]),  # PyTorch: fewer chunks than asked when sizes don't divide evenly
    (5, 5, [1, 1, 1, 1, 1]),
    (2, 5, [1, 1]),
    (10, 3, [4, 4, 2]),
])
def test_chunk_sizes_like_pytorch(length, chunks, sizes):
    a = np.arange(float(length))
    pieces = mt.tensor(a).chunk(chunks)
    assert [p.shape[0] for p in pieces] == sizes
    _check(mt.cat(list(pieces)), a)
    pieces = mt.chunk(mt.tensor(a).reshape(1, -1), chunks, dim=1)
    assert [p.shape[1] for p in pieces] == sizes


# --------------------------------------------------------------------------- matmul

_MATMUL_SHAPES = [
    ((3, 4), (4, 2)),
    ((4,), (4,)),
    ((4,), (4, 3)),
    ((3, 4), (4,)),
    ((2, 3, 4), (2, 4, 5)),
    ((2, 3, 4), (4, 5)),
    ((4, 5), (2, 5, 3)),
    ((2, 1, 3, 4), (5, 4, 2)),
    ((4,), (2, 4, 3)),
    ((2, 3, 4), (4,)),
    ((1, 4), (4, 1)),
]


@pytest.mark.parametrize("shapes", _MATMUL_SHAPES, ids=str)
def test_matmul_matches_numpy(shapes):
    a, b = _values(shapes[0], 15), _values(shapes[1], 16)
    ta, tb = mt.tensor(a, dtype=mt.float64), mt.tensor(b, dtype=mt.float64)
    expected = np.matmul(a, b)
    _check(ta @ tb, expected, rtol=1e-12)
    _check(mt.matmul(ta, tb), expected, rtol=1e-12)
    _check(ta.matmul(tb), expected, rtol=1e-12)


def test_matmul_variants_and_dtypes():
    a, b = _values((3, 4), 17), _values((4, 2), 18)
    _check(mt.tensor(a).mm(mt.tensor(b)), a @ b, rtol=1e-5)
    _check(mt.tensor(a[0]).dot(mt.tensor(b[:, 0])), a[0] @ b[:, 0], rtol=1e-5)
    _check(a @ mt.tensor(b, dtype=mt.float64), a @ b, rtol=1e-12)  # ndarray @ Tensor
    ints = mt.tensor([[1, 2]]) @ mt.tensor([[3], [4]])
    assert ints.dtype == mt.int64 and ints.tolist() == [[11]]
    assert (mt.ones(3) @ mt.ones(3)).shape == ()


# --------------------------------------------------------------------------- gradients vs PyTorch


def _composites(lib):
    """Composite expressions, written once for both libraries (``lib`` is torch or mt)."""
    def mlp(x, w, b):
        hidden = (x @ w + b).tanh()
        return (hidden.log_softmax(-1) * hidden.sigmoid()).sum()

    def attention(x, w, b):
        scores = (x @ w) @ (x @ w).transpose(-1, -2) / 2.0
        return (scores.softmax(-1) @ x).pow(2).mean() + b.exp().sum()

    def statistics(x, w, b):
        centered = x - x.mean(0, keepdim=True)
        return (centered / (x.var(0, keepdim=True) + 1.0).sqrt()).abs().sum() + w.norm() * b.max()

    def shapes(x, w, b):
        y = lib.cat([x, x * 2], dim=1).reshape(-1, 2).transpose(0, 1)
        z = lib.stack([y[0], y[1].flip(0) if lib is not mt else y[1][::-1]], dim=0)
        return (z[:, 1:4] ** 3).sum() + (w.unsqueeze(0).expand(3, -1, -1) * b).sum()

    def reductions(x, w, b):
        return (lib.logsumexp(x, 1).sum() + x.amax(0).sum() * 0.5
                + lib.where(x > 0, x.clamp(max=1.0), x * x).sum() + (w * w).prod()
                + lib.maximum(w, b).sum() + x.std() + x.max(1).values.sum())

    def division(x, w, b):
        return (x.abs() + 1).log().sum() / (w.cos() + 2).sum() + (1 / (b ** 2 + 1)).sum() \
            + (x.sin() * x.relu()).mean()

    return [mlp, attention, statistics, reductions, division, shapes]


@pytest.mark.parametrize("index", range(6))
def test_composite_gradients_match_pytorch(index):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(RNG_SEED + index)
    values = [rng.standard_normal((3, 4)), rng.standard_normal((4, 5)), rng.standard_normal(5)]
    if index == 2:  # statistics: w and b shapes differ
        values[2] = rng.standard_normal(())
    if index == 5:
        values[1] = rng.standard_normal((2, 2))
        values[2] = rng.standard_normal((3, 1, 2))
    if index == 3:
        values[1] = rng.standard_normal((2, 2)) * 0.5
        values[2] = rng.standard_normal(2)

    ours = [mt.tensor(v, dtype=mt.float64, requires_grad=True) for v in values]
    theirs = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in values]
    out = _composites(mt)[index](*ours)
    ref = _composites(torch)[index](*theirs)
    out.backward()
    ref.backward()
    np.testing.assert_allclose(out.item(), ref.item(), rtol=1e-12)
    for mine, reference in zip(ours, theirs):
        assert mine.grad.shape == tuple(reference.grad.shape)
        np.testing.assert_allclose(mine.grad.numpy(), reference.grad.numpy(), rtol=1e-12,
                                   atol=1e-12)


# --------------------------------------------------------------------------- boundary gradients


@pytest.mark.parametrize(
    "fn, values, expected",
    [
        # PyTorch's conventions at points where a formula would give 0 * inf = nan
        (lambda x: x**0, [0.0, 2.0], [0.0, 0.0]),
        (lambda x: x.norm(), [0.0, 0.0], [0.0, 0.0]),
        (lambda x: x.reshape(2, 2).norm(dim=1), [0.0, 0.0, 3.0, 4.0], [0.0, 0.0, 0.6, 0.8]),
        (lambda x: x.std(), [3.0, 3.0], [0.0, 0.0]),
        (lambda x: mt.tensor([0.0, 0.0, 2.0], dtype=mt.float64) ** x, [0.0, 2.0, 0.0],
         [0.0, 0.0, np.log(2.0)]),
        (lambda x: x ** mt.tensor([0.0, 2.0, 0.0], dtype=mt.float64), [0.0, 0.0, 2.0],
         [0.0, 0.0, 0.0]),
        (lambda x: x.abs(), [0.0, -1.0], [0.0, -1.0]),
        (lambda x: x.relu(), [0.0, 1.0], [0.0, 1.0]),
        (lambda x: x.clamp(0.0, 1.0), [0.0, 1.0], [1.0, 1.0]),
        (lambda x: mt.maximum(x, mt.tensor([0.0, 1.0], dtype=mt.float64)), [0.0, 0.0],
         [0.5, 0.0]),
        (lambda x: x.max(), [1.0, 1.0, 0.0], [0.5, 0.5, 0.0]),
        (lambda x: x.reshape(1, 3).max(1).values, [1.0, 1.0, 0.0], [1.0, 0.0, 0.0]),
        (lambda x: x.prod(), [0.0, 2.0, 3.0], [6.0, 0.0, 0.0]),
        (lambda x: x.prod(), [0.0, 0.0, 3.0], [0.0, 0.0, 0.0]),
    ],
)
def test_gradients_at_boundary_points(fn, values, expected):
    x = mt.tensor(values, dtype=mt.float64, requires_grad=True)
    with np.errstate(all="raise"):
        fn(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-12)


def test_gradients_at_boundary_points_match_pytorch():
    torch = pytest.importorskip("torch")
    cases = [
        (lambda x, lib: x**0, [0.0, 2.0]),
        (lambda x, lib: x.norm(), [0.0, 0.0]),
        (lambda x, lib: x.std(), [3.0, 3.0, 3.0]),
        (lambda x, lib: lib.tensor([0.0, 0.0, 2.0], dtype=x.dtype) ** x, [0.0, 2.0, 0.0]),
        (lambda x, lib: x ** lib.tensor([0.0, 2.0, 0.5], dtype=x.dtype), [0.0, 0.0, 2.0]),
        (lambda x, lib: lib.maximum(x, x.detach() * 0 + 1), [1.0, 0.0]),
        (lambda x, lib: x.amax(), [2.0, 2.0, 1.0]),
        (lambda x, lib: x.prod(), [0.0, 2.0, 3.0]),
        (lambda x, lib: x.clamp(min=1.0), [1.0, 0.5]),
        (lambda x, lib: x.sqrt(), [0.0, 4.0]),
    ]
    for fn, values in cases:
        ours = mt.tensor(values, dtype=mt.float64, requires_grad=True)
        theirs = torch.tensor(values, dtype=torch.float64, requires_grad=True)
        with np.errstate(divide="ignore"):
            fn(ours, mt).sum().backward()
        fn(theirs, torch).sum().backward()
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12)
