"""Property-based tests (hypothesis): broadcasting gradients, random programs, reductions."""

from __future__ import annotations

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

import microtensor as mt  # noqa: E402

# derandomize: the same examples on every run (a seeded test suite)
FAST = settings(max_examples=60, deadline=None, derandomize=True)
SLOW = settings(max_examples=100, deadline=None, derandomize=True)

seeds = st.integers(0, 2**32 - 1)


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum a broadcast gradient back to ``shape`` (written independently of the engine)."""
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis=axis, keepdims=True)
    return grad


# --------------------------------------------------------------------------- broadcasting

_BINARY = {
    # name: (op, d(out)/da, d(out)/db) on NumPy arrays (a and b already broadcast)
    "add": (lambda a, b: a + b, lambda a, b: np.ones_like(a), lambda a, b: np.ones_like(b)),
    "sub": (lambda a, b: a - b, lambda a, b: np.ones_like(a), lambda a, b: -np.ones_like(b)),
    "mul": (lambda a, b: a * b, lambda a, b: b, lambda a, b: a),
    "div": (lambda a, b: a / b, lambda a, b: 1 / b, lambda a, b: -a / b**2),
    "maximum": (mt.maximum, lambda a, b: (a > b).astype(float), lambda a, b: (b > a).astype(float)),
    "minimum": (mt.minimum, lambda a, b: (a < b).astype(float), lambda a, b: (b < a).astype(float)),
    "pow": (lambda a, b: a**b, lambda a, b: b * a ** (b - 1), lambda a, b: a**b * np.log(a)),
}


@FAST
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4,
                                                max_side=4),
       name=st.sampled_from(sorted(_BINARY)), seed=seeds)
def test_binary_gradients_under_broadcasting(shapes, name, seed):
    (shape_a, shape_b), out_shape = shapes.input_shapes, shapes.result_shape
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape_a)
    b = rng.standard_normal(shape_b)
    if name in ("div", "pow"):  # keep away from 0 (and negative bases for pow)
        b = np.where(np.abs(b) < 0.3, 0.7, b)
    if name == "pow":
        a = rng.uniform(0.5, 2.0, shape_a)
    upstream = rng.standard_normal(out_shape)
    op, da, db = _BINARY[name]

    ta = mt.tensor(a, dtype=mt.float64, requires_grad=True)
    tb = mt.tensor(b, dtype=mt.float64, requires_grad=True)
    out = op(ta, tb)
    assert out.shape == out_shape
    out.backward(mt.tensor(upstream, dtype=mt.float64))

    full_a, full_b = np.broadcast_to(a, out_shape), np.broadcast_to(b, out_shape)
    assert ta.grad.shape == shape_a and tb.grad.shape == shape_b
    np.testing.assert_allclose(ta.grad.numpy(), unbroadcast(upstream * da(full_a, full_b),
                                                            shape_a), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(tb.grad.numpy(), unbroadcast(upstream * db(full_a, full_b),
                                                            shape_b), rtol=1e-10, atol=1e-12)


@FAST
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=3,
                                                max_side=3), seed=seeds)
def test_where_gradients_under_broadcasting(shapes, seed):
    (shape_c, shape_a, shape_b), out_shape = shapes.input_shapes, shapes.result_shape
    rng = np.random.default_rng(seed)
    cond = rng.random(shape_c) > 0.5
    a, b = rng.standard_normal(shape_a), rng.standard_normal(shape_b)
    ta = mt.tensor(a, dtype=mt.float64, requires_grad=True)
    tb = mt.tensor(b, dtype=mt.float64, requires_grad=True)
    out = mt.where(mt.tensor(cond), ta, tb)
    np.testing.assert_array_equal(out.detach().numpy(), np.where(cond, a, b))
    out.sum().backward()
    full_cond = np.broadcast_to(cond, out_shape)
    np.testing.assert_allclose(ta.grad.numpy(), unbroadcast(full_cond * 1.0, shape_a))
    np.testing.assert_allclose(tb.grad.numpy(), unbroadcast(~full_cond * 1.0, shape_b))


@FAST
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=1, max_dims=3,
                                                max_side=3, base_shape=(2, 3)), seed=seeds)
def test_matmul_gradients_with_broadcast_batches(shapes, seed):
    shape_a, shape_b = shapes.input_shapes
    shape_a, shape_b = shape_a[:-1] + (4,), shape_b[:-2] + (4, shape_b[-1])
    if len(shape_b) < 2:
        shape_b = (4, 2)
    rng = np.random.default_rng(seed)
    a, b = rng.standard_normal(shape_a), rng.standard_normal(shape_b)
    ta = mt.tensor(a, dtype=mt.float64, requires_grad=True)
    tb = mt.tensor(b, dtype=mt.float64, requires_grad=True)
    out = ta @ tb
    expected = np.matmul(a, b)
    assert out.shape == expected.shape
    upstream = rng.standard_normal(expected.shape)
    out.backward(mt.tensor(upstream, dtype=mt.float64))
    a2 = a if a.ndim > 1 else a[None]
    up2 = upstream if a.ndim > 1 else upstream[..., None, :]
    grad_a = unbroadcast(up2 @ np.swapaxes(b, -1, -2), a2.shape)
    grad_b = unbroadcast(np.swapaxes(a2, -1, -2) @ up2, b.shape)
    np.testing.assert_allclose(ta.grad.numpy(), grad_a.reshape(a.shape), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(tb.grad.numpy(), grad_b, rtol=1e-10, atol=1e-12)


# --------------------------------------------------------------------------- random programs

_UNARY = {
    "tanh": lambda t: t.tanh(),
    "sin": lambda t: t.sin(),
    "cos": lambda t: t.cos(),
    "sigmoid": lambda t: t.sigmoid(),
    "square": lambda t: t * t,
    "cube": lambda t: t**3,
    "exp_neg_sq": lambda t: (-(t * t)).exp(),
    "softplus_like": lambda t: (t.exp() + 1).log(),
    "sqrt_pos": lambda t: (t * t + 1).sqrt(),
    "recip_pos": lambda t: 1 / (t * t + 1),
    "scale": lambda t: t * 0.5 - 1.5,
    "softmax": lambda t: t.softmax(-1) if t.ndim else t,
    "log_softmax": lambda t: t.log_softmax(0) if t.ndim else t,
    "transpose": lambda t: t.transpose(0, -1) if t.ndim else t,
    "flip_reshape": lambda t: t.reshape(-1)[::-1].reshape(t.shape),
    "index": lambda t: t[..., :1] * 2 + t if t.ndim else t,
    "cumulative": lambda t: mt.cat([t, t * 2], dim=-1)[..., : t.shape[-1]] if t.ndim else t,
}
_BINARY_PROGRAM = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div_pos": lambda a, b: a / (b * b + 0.5),
    "pow_pos": lambda a, b: (a * a + 0.5) ** b,
    "stack_sum": lambda a, b: mt.stack([a, b * 1.0 + a * 0]).sum(0),
}
_REDUCE = {
    "sum": lambda t: t.sum(),
    "mean": lambda t: t.mean(),
    "logsumexp": lambda t: mt.logsumexp(t, tuple(range(t.ndim))) if t.ndim else t,
    "norm": lambda t: (t * t + 1).sum().sqrt(),
    "var": lambda t: t.reshape(-1).var(correction=0) if t.numel() > 1 else t.sum(),
    "prod": lambda t: (t.tanh() + 2).prod(),
    "identity": lambda t: t,
}


def _program(steps, reduce):
    def run(a, b):
        h = a
        for kind, name in steps:
            h = _UNARY[name](h) if kind == "unary" else _BINARY_PROGRAM[name](h, b)
        return _REDUCE[reduce](h)
    return run


steps_strategy = st.lists(
    st.one_of(st.tuples(st.just("unary"), st.sampled_from(sorted(_UNARY))),
              st.tuples(st.just("binary"), st.sampled_from(sorted(_BINARY_PROGRAM)))),
    min_size=1, max_size=5,
)


@SLOW
@given(steps=steps_strategy, reduce=st.sampled_from(sorted(_REDUCE)),
       shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=2,
                                                max_side=3), seed=seeds)
def test_random_programs_pass_gradcheck(steps, reduce, shapes, seed):
    shape_a, shape_b = shapes.input_shapes
    result_shape = shapes.result_shape
    rng = np.random.default_rng(seed)
    # the program keeps h at the broadcast shape; start from that shape
    a = mt.tensor(rng.standard_normal(result_shape), dtype=mt.float64, requires_grad=True)
    b = mt.tensor(rng.standard_normal(shape_b), dtype=mt.float64, requires_grad=True)
    program = _program(steps, reduce)
    assert mt.autograd.gradcheck(program, (a, b))


@settings(max_examples=30, deadline=None, derandomize=True)
@given(steps=steps_strategy, shape=hnp.array_shapes(min_dims=1, max_dims=2, max_side=3),
       seed=seeds)
def test_random_programs_pass_gradgradcheck(steps, shape, seed):
    rng = np.random.default_rng(seed)
    a = mt.tensor(rng.standard_normal(shape), dtype=mt.float64, requires_grad=True)
    b = mt.tensor(rng.standard_normal(shape), dtype=mt.float64, requires_grad=True)
    assert mt.autograd.gradgradcheck(_program(steps, "sum"), (a, b))


# --------------------------------------------------------------------------- reductions


@st.composite
def shape_and_dims(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=4))
    ndim = len(shape)
    dims = draw(st.lists(st.integers(-ndim, ndim - 1), min_size=1, max_size=ndim,
                         unique_by=lambda d: d % ndim))
    as_int = len(dims) == 1 and draw(st.booleans())
    return shape, (dims[0] if as_int else tuple(dims))


@FAST
@given(case=shape_and_dims(), keepdim=st.booleans(), seed=seeds,
       name=st.sampled_from(["sum", "mean", "amax", "amin", "var", "logsumexp"]))
def test_reductions_over_random_dims(case, keepdim, seed, name):
    shape, dim = case
    axes = tuple(sorted(d % len(shape) for d in ((dim,) if isinstance(dim, int) else dim)))
    rng = np.random.default_rng(seed)
    # distinct values so that max/min have a unique argmax
    a = (rng.permutation(int(np.prod(shape))) * 0.1 + rng.uniform(0, 0.01)).reshape(shape)
    a = a - a.mean()
    x = mt.tensor(a, dtype=mt.float64, requires_grad=True)
    count = int(np.prod([shape[ax] for ax in axes]))
    if name == "var" and count < 2:
        return
    out = getattr(x, name)(dim, keepdim=keepdim)

    kept = np.ones_like(a)
    if name == "sum":
        expected, grad = a.sum(axis=axes, keepdims=True), kept
    elif name == "mean":
        expected, grad = a.mean(axis=axes, keepdims=True), kept / count
    elif name in ("amax", "amin"):
        reduce = np.max if name == "amax" else np.min
        expected = reduce(a, axis=axes, keepdims=True)
        grad = (a == expected).astype(float)
    elif name == "var":
        expected = a.var(axis=axes, keepdims=True, ddof=1)
        grad = 2 * (a - a.mean(axis=axes, keepdims=True)) / (count - 1)
    else:
        m = a.max(axis=axes, keepdims=True)
        expected = np.log(np.exp(a - m).sum(axis=axes, keepdims=True)) + m
        grad = np.exp(a - expected)
    if not keepdim:
        expected = expected.squeeze(axis=axes)
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-10, atol=1e-12)
    out.sum().backward()
    assert x.grad.shape == shape
    np.testing.assert_allclose(x.grad.numpy(), grad, rtol=1e-10, atol=1e-12)


@FAST
@given(case=shape_and_dims(), seed=seeds, largest=st.booleans())
def test_max_along_random_dim(case, seed, largest):
    shape, dim = case
    dim = dim if isinstance(dim, int) else dim[0]
    rng = np.random.default_rng(seed)
    a = rng.permutation(int(np.prod(shape))).reshape(shape).astype(float)
    x = mt.tensor(a, dtype=mt.float64, requires_grad=True)
    values, indices = x.max(dim) if largest else x.min(dim)
    index = np.argmax(a, axis=dim) if largest else np.argmin(a, axis=dim)
    np.testing.assert_array_equal(indices.numpy(), index)
    picked = np.take_along_axis(a, np.expand_dims(index, dim), dim).squeeze(dim)
    np.testing.assert_array_equal(values.detach().numpy(), picked)
    values.sum().backward()
    expected = np.zeros_like(a)
    np.put_along_axis(expected, np.expand_dims(index, dim), 1.0, axis=dim)
    np.testing.assert_array_equal(x.grad.numpy(), expected)


@FAST
@given(shape=hnp.array_shapes(min_dims=1, max_dims=4, max_side=4), seed=seeds,
       data=st.data())
def test_softmax_rows_sum_to_one_and_gradient_is_orthogonal(shape, seed, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    rng = np.random.default_rng(seed)
    x = mt.tensor(rng.standard_normal(shape) * 5, dtype=mt.float64, requires_grad=True)
    y = x.softmax(dim)
    np.testing.assert_allclose(y.detach().numpy().sum(axis=dim), 1.0, rtol=1e-12)
    upstream = rng.standard_normal(shape)
    y.backward(mt.tensor(upstream, dtype=mt.float64))
    # adding a constant along dim doesn't change softmax: the gradient sums to 0 along dim
    np.testing.assert_allclose(x.grad.numpy().sum(axis=dim), 0.0, atol=1e-12)


@FAST
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, max_side=4), seed=seeds, data=st.data())
def test_shape_ops_round_trip_gradients(shape, seed, data):
    """Gradients of pure data movement are data movement: each element's gradient is the
    upstream value at the position the element moved to."""
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape)
    x = mt.tensor(a, dtype=mt.float64, requires_grad=True)
    perm = tuple(data.draw(st.permutations(range(len(shape)))))
    reps = tuple(data.draw(st.lists(st.integers(1, 2), min_size=len(shape),
                                    max_size=len(shape))))
    y = x.permute(perm).reshape(-1).unsqueeze(0).repeat(2, 1)
    expected_forward = np.tile(np.transpose(a, perm).reshape(1, -1), (2, 1))
    np.testing.assert_array_equal(y.detach().numpy(), expected_forward)
    weights = rng.standard_normal(y.shape)
    (y * mt.tensor(weights, dtype=mt.float64)).sum().backward()
    back = (weights[0] + weights[1]).reshape(np.transpose(a, perm).shape)
    np.testing.assert_allclose(x.grad.numpy(), np.transpose(back, np.argsort(perm)), rtol=1e-12)
    x.grad = None
    z = x.repeat(*reps)
    z.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full(shape, float(np.prod(reps))))


@FAST
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, max_side=4), seed=seeds, data=st.data())
def test_indexing_gradients_scatter_back(shape, seed, data):
    """x[index] picks elements (possibly the same one several times); the gradient adds the
    upstream values back at the picked positions (computed here with np.add.at)."""
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape)
    x = mt.tensor(a, dtype=mt.float64, requires_grad=True)
    kind = data.draw(st.sampled_from(["ints", "slice", "mask", "mixed"]))
    if kind == "ints":
        index = (rng.integers(-shape[0], shape[0], size=data.draw(st.integers(1, 6))),)
    elif kind == "slice":
        start = data.draw(st.integers(-shape[0], shape[0]))
        step = data.draw(st.sampled_from([1, 2, -1]))
        index = (slice(start, None, step), Ellipsis, None)
    elif kind == "mask":
        index = (rng.random(shape) > 0.5,)
    else:
        index = (slice(None),) * (len(shape) - 1) + (rng.integers(0, shape[-1], size=3),)
    out = x[index]
    np.testing.assert_array_equal(out.detach().numpy(), a[index])
    upstream = rng.standard_normal(out.shape)
    out.backward(mt.tensor(upstream, dtype=mt.float64))
    expected = np.zeros_like(a)
    np.add.at(expected, index, upstream)
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-12)
