"""Higher-order derivatives: autograd.grad(create_graph=True), autograd.functional, and custom
autograd.Function (including double backward through one)."""

from __future__ import annotations

import numpy as np
import pytest

import microtensor as mt
from microtensor.autograd.functional import hessian, hvp, jacobian, vjp

X0 = np.array([0.3, -1.2, 2.0, 0.7])


def _x(values=X0):
    return mt.tensor(values, dtype=mt.float64, requires_grad=True)


def _sigmoid(a):
    return 1 / (1 + np.exp(-a))


# (name, function, first, second, third derivative in closed form)
_CLOSED_FORMS = [
    ("cube", lambda t: t**3, lambda a: 3 * a**2, lambda a: 6 * a, lambda a: 6 + 0 * a),
    ("tanh", lambda t: t.tanh(), lambda a: 1 - np.tanh(a) ** 2,
     lambda a: -2 * np.tanh(a) * (1 - np.tanh(a) ** 2),
     lambda a: (6 * np.tanh(a) ** 2 - 2) * (1 - np.tanh(a) ** 2)),
    ("sigmoid", lambda t: t.sigmoid(), lambda a: _sigmoid(a) * (1 - _sigmoid(a)),
     lambda a: _sigmoid(a) * (1 - _sigmoid(a)) * (1 - 2 * _sigmoid(a)),
     lambda a: _sigmoid(a) * (1 - _sigmoid(a)) * (1 - 6 * _sigmoid(a) * (1 - _sigmoid(a)))),
    ("exp", lambda t: t.exp(), np.exp, np.exp, np.exp),
    ("sin", lambda t: t.sin(), np.cos, lambda a: -np.sin(a), lambda a: -np.cos(a)),
    ("cos", lambda t: t.cos(), lambda a: -np.sin(a), lambda a: -np.cos(a), np.sin),
    ("log_abs", lambda t: (t * t).log(), lambda a: 2 / a, lambda a: -2 / a**2, lambda a: 4 / a**3),
    ("sqrt_sq", lambda t: (t * t + 1).sqrt(), lambda a: a / np.sqrt(a * a + 1),
     lambda a: (a * a + 1) ** -1.5, lambda a: -3 * a * (a * a + 1) ** -2.5),
    ("reciprocal", lambda t: 1 / (t + 3), lambda a: -1 / (a + 3) ** 2, lambda a: 2 / (a + 3) ** 3,
     lambda a: -6 / (a + 3) ** 4),
    ("pow_frac", lambda t: (t + 3) ** 2.5, lambda a: 2.5 * (a + 3) ** 1.5,
     lambda a: 3.75 * (a + 3) ** 0.5, lambda a: 1.875 * (a + 3) ** -0.5),
    ("rpow", lambda t: 2.0**t, lambda a: np.log(2) * 2**a, lambda a: np.log(2) ** 2 * 2**a,
     lambda a: np.log(2) ** 3 * 2**a),
]


@pytest.mark.parametrize("name, f, d1, d2, d3", _CLOSED_FORMS, ids=[c[0] for c in _CLOSED_FORMS])
def test_first_second_third_derivatives_match_closed_forms(name, f, d1, d2, d3):
    x = _x()
    (g1,) = mt.autograd.grad(f(x).sum(), x, create_graph=True)
    assert g1.requires_grad and g1.grad_fn is not None
    np.testing.assert_allclose(g1.detach().numpy(), d1(X0), rtol=1e-12)
    (g2,) = mt.autograd.grad(g1.sum(), x, create_graph=True)
    np.testing.assert_allclose(g2.detach().numpy(), d2(X0), rtol=1e-10, atol=1e-12)
    (g3,) = mt.autograd.grad(g2.sum(), x)
    assert not g3.requires_grad
    np.testing.assert_allclose(g3.numpy(), d3(X0), rtol=1e-9, atol=1e-12)


def test_grad_without_create_graph_is_detached_and_does_not_touch_dot_grad():
    x = _x()
    (g,) = mt.autograd.grad((x**3).sum(), x)
    assert not g.requires_grad and g.grad_fn is None
    assert x.grad is None
    np.testing.assert_allclose(g.numpy(), 3 * X0**2)


def test_backward_with_create_graph_gives_a_differentiable_grad():
    x = _x()
    (x**3).sum().backward(create_graph=True)
    g = x.grad
    assert g.requires_grad
    (g2,) = mt.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(g2.numpy(), 6 * X0)


def test_mixed_partial_derivatives():
    x, y = _x([1.5]), _x([-0.5])
    f = (x * x * y).sin()
    gx, gy = mt.autograd.grad(f, [x, y], create_graph=True)
    (gxy,) = mt.autograd.grad(gx, y, retain_graph=True)  # the two graphs share nodes
    (gyx,) = mt.autograd.grad(gy, x)
    a, b = 1.5, -0.5
    expected = 2 * a * np.cos(a * a * b) - 2 * a**3 * b * np.sin(a * a * b)
    assert gxy.item() == pytest.approx(expected, rel=1e-12)
    assert gyx.item() == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("reduce", ["sum", "mean", "reshape", "matmul", "softmax", "index"])
def test_grad_of_grad_through_structural_ops(reduce):
    rng = np.random.default_rng(3)
    a = rng.standard_normal((3, 4))
    w = rng.standard_normal((4, 2))
    x = mt.tensor(a, dtype=mt.float64, requires_grad=True)
    if reduce == "sum":
        f = lambda t: (t.sum(1) ** 3).sum()  # noqa: E731
        # d/dx_ij = 3 s_i^2 ; second: d/dx_ij of sum_kl (3 s_k^2) = 6 s_i * 4 (row of 4)
        expected = 6 * a.sum(1, keepdims=True) * 4 * np.ones_like(a)
    elif reduce == "mean":
        f = lambda t: (t.mean(0) ** 3).sum()  # noqa: E731
        # d/dx_ij = m_j^2 ; the sum of those is 3 sum_j m_j^2, whose derivative is 2 m_j
        expected = 2 * a.mean(0, keepdims=True) * np.ones_like(a)
    elif reduce == "reshape":
        f = lambda t: (t.reshape(2, 6).T ** 3).sum()  # noqa: E731
        expected = 6 * a
    elif reduce == "matmul":
        f = lambda t: ((t @ mt.tensor(w)) ** 2).sum()  # noqa: E731
        # grad = 2 (x w) wᵀ; its sum is 2 1ᵀ x w wᵀ 1, whose derivative is 2 1 1ᵀ w wᵀ
        expected = 2 * np.ones((3, 4)) @ w @ w.T
    elif reduce == "softmax":
        f = lambda t: (t.softmax(-1) * mt.tensor(np.arange(4.0))).sum()  # noqa: E731
        expected = None
    else:
        f = lambda t: (t[:, [0, 0, 2]] ** 3).sum() + (t[t > 0] ** 2).sum()  # noqa: E731
        counts = np.zeros_like(a)
        counts[:, 0] = 2
        counts[:, 2] = 1
        expected = 6 * a * counts + 2 * (a > 0)
    (g,) = mt.autograd.grad(f(x), x, create_graph=True)
    (gg,) = mt.autograd.grad(g.sum(), x)
    if expected is not None:
        np.testing.assert_allclose(gg.numpy(), expected, rtol=1e-10, atol=1e-12)
    # always: agrees with central differences of the first derivative
    eps = 1e-6
    numeric = np.zeros_like(a)
    for idx in np.ndindex(a.shape):
        for sign in (1, -1):
            shifted = a.copy()
            shifted[idx] += sign * eps
            xs = mt.tensor(shifted, dtype=mt.float64, requires_grad=True)
            (gs,) = mt.autograd.grad(f(xs), xs)
            numeric[idx] += sign * gs.numpy().sum() / (2 * eps)
    np.testing.assert_allclose(gg.numpy(), numeric, rtol=1e-5, atol=1e-6)


def test_gradient_penalty_pattern():
    """WGAN-GP style: the norm of a gradient is itself minimized."""
    rng = np.random.default_rng(4)
    w = mt.tensor(rng.standard_normal(3), dtype=mt.float64, requires_grad=True)
    x = mt.tensor(rng.standard_normal((5, 3)), dtype=mt.float64, requires_grad=True)
    out = ((x @ w).tanh()).sum()
    (gx,) = mt.autograd.grad(out, x, create_graph=True)
    penalty = ((gx * gx).sum(1) - 1).pow(2).mean()
    penalty.backward()
    torch = pytest.importorskip("torch")
    tw = torch.tensor(w.detach().numpy(), requires_grad=True)
    tx = torch.tensor(x.detach().numpy(), requires_grad=True)
    (tgx,) = torch.autograd.grad((tx @ tw).tanh().sum(), tx, create_graph=True)
    ((tgx * tgx).sum(1) - 1).pow(2).mean().backward()
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12, atol=1e-14)


def test_grad_arguments():
    x, y = _x([1.0, 2.0]), _x([3.0])
    with pytest.raises(RuntimeError, match=r"input 1 .*not used.*allow_unused"):
        mt.autograd.grad((x * 2).sum(), [x, y])
    gx, gy = mt.autograd.grad((x * 2).sum(), [x, y], allow_unused=True)
    assert gx.tolist() == [2.0, 2.0] and gy is None
    (g,) = mt.autograd.grad(x * 3, x, grad_outputs=mt.tensor([1.0, 2.0], dtype=mt.float64))
    assert g.tolist() == [3.0, 6.0]
    with pytest.raises(RuntimeError, match="does not require grad"):
        mt.autograd.grad((x * 2).sum(), mt.tensor([1.0]))
    out = (x * x).sum()
    mt.autograd.grad(out, x, retain_graph=True)
    (g,) = mt.autograd.grad(out, x)
    assert g.tolist() == [2.0, 4.0]
    with pytest.raises(RuntimeError, match="second time"):
        mt.autograd.grad(out, x)


def test_grad_with_repeated_inputs_and_writable_results():
    x = _x([1.0, 2.0])
    first, second = mt.autograd.grad((x * x).sum(), [x, x])
    assert first.tolist() == second.tolist() == [2.0, 4.0]
    a, b = _x([1.0]), _x([1.0])
    ga, gb = mt.autograd.grad((a + b).sum(), [a, b])  # Add passes one array to both inputs
    ga.add_(5)  # the results are independent and writable
    assert ga.tolist() == [6.0] and gb.tolist() == [1.0]
    (g,) = mt.autograd.grad(x.sum(), x)  # Sum's backward is a read-only broadcast view
    g.mul_(3)
    assert g.tolist() == [3.0, 3.0]
    h = x * 3
    gh, gx, gh2 = mt.autograd.grad((h * h).sum(), [h, x, h])
    assert gh.tolist() == gh2.tolist() == [6.0, 12.0]
    assert gx.tolist() == [18.0, 36.0]


def test_grad_of_intermediate_tensor():
    x = _x([1.0, 2.0])
    h = x * 3
    out = (h * h).sum()
    gh, gx = mt.autograd.grad(out, [h, x])
    assert gh.tolist() == [6.0, 12.0]
    assert gx.tolist() == [18.0, 36.0]


# --------------------------------------------------------------------------- autograd.functional


def _f_scalar(a):
    return (a**2).sum() * a[0] + a.sin().prod()


def _hessian_closed_form(a):
    n = a.size
    h = 2 * a[0] * np.eye(n)
    h[0, :] += 2 * a
    h[:, 0] += 2 * a
    s, c = np.sin(a), np.cos(a)
    for i in range(n):
        for j in range(n):
            if i == j:
                h[i, j] += -np.prod(s)
            else:
                h[i, j] += c[i] * c[j] * np.prod(np.delete(s, [i, j]))
    return h


def test_jacobian_closed_form():
    x = _x()
    jac = jacobian(lambda a: a.exp() * a[1], x)
    expected = np.diag(np.exp(X0) * X0[1])
    expected[:, 1] += np.exp(X0)
    assert jac.shape == (4, 4)
    np.testing.assert_allclose(jac.numpy(), expected, rtol=1e-12)
    assert x.grad is None  # jacobian does not touch .grad


def test_jacobian_shapes_with_several_inputs_and_outputs():
    a, b = _x([1.0, 2.0, 3.0]), mt.tensor([[1.0], [2.0]], dtype=mt.float64)
    jacs = jacobian(lambda p, q: (p * q, p.sum()), (a, b))
    (j_pq_p, j_pq_q), (j_s_p, j_s_q) = jacs
    assert j_pq_p.shape == (2, 3, 3) and j_pq_q.shape == (2, 3, 2, 1)
    assert j_s_p.shape == (3,) and j_s_q.shape == (2, 1)
    np.testing.assert_allclose(j_pq_p.numpy()[1], 2 * np.eye(3))
    np.testing.assert_allclose(j_pq_q.numpy()[0, :, 0, 0], [1.0, 2.0, 3.0])
    np.testing.assert_allclose(j_pq_q.numpy()[0, :, 1, 0], 0.0)
    np.testing.assert_allclose(j_s_p.numpy(), 1.0)
    np.testing.assert_allclose(j_s_q.numpy(), 0.0)


def test_hessian_closed_form():
    h = hessian(_f_scalar, _x())
    assert h.shape == (4, 4)
    np.testing.assert_allclose(h.numpy(), _hessian_closed_form(X0), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(h.numpy(), h.numpy().T, atol=1e-12)


def test_vjp_and_hvp_closed_forms():
    x = _x()
    v = mt.tensor([1.0, -1.0, 0.5, 2.0], dtype=mt.float64)
    out, grad_v = vjp(lambda a: a**3, x, v)
    np.testing.assert_allclose(out.numpy(), X0**3)
    np.testing.assert_allclose(grad_v.numpy(), 3 * X0**2 * v.numpy())
    value, hv = hvp(_f_scalar, x, v)
    assert value.item() == pytest.approx(_f_scalar(mt.tensor(X0)).item())
    np.testing.assert_allclose(hv.numpy(), _hessian_closed_form(X0) @ v.numpy(), rtol=1e-10)
    assert not hv.requires_grad
    out, g = vjp(_f_scalar, x)  # v may be omitted for a scalar function
    assert g.shape == (4,)


def test_functional_matches_torch():
    torch = pytest.importorskip("torch")
    from torch.autograd import functional as tf

    rng = np.random.default_rng(5)
    a = rng.standard_normal(3)
    b = rng.standard_normal((3, 2))
    v = rng.standard_normal(3)
    w = rng.standard_normal((3, 2))

    def f(lib):
        def inner(p, q):
            return ((p @ q).tanh() ** 2).sum() + (p.exp() * p).sum() + q.sigmoid().prod()
        return inner

    def g(lib):
        def inner(p, q):
            return (p.unsqueeze(1) * q).softmax(0) @ (q.sum(0) ** 2)
        return inner

    m = lambda arr: mt.tensor(arr, dtype=mt.float64)  # noqa: E731
    t = lambda arr: torch.tensor(arr, dtype=torch.float64)  # noqa: E731
    ours = jacobian(g(mt), (m(a), m(b)))
    theirs = tf.jacobian(g(torch), (t(a), t(b)))
    for o, r in zip(ours, theirs):
        np.testing.assert_allclose(o.numpy(), r.numpy(), rtol=1e-10, atol=1e-13)
    ours = hessian(f(mt), (m(a), m(b)))
    theirs = tf.hessian(f(torch), (t(a), t(b)))
    for row_o, row_t in zip(ours, theirs):
        for o, r in zip(row_o, row_t):
            assert o.shape == tuple(r.shape)
            np.testing.assert_allclose(o.numpy(), r.numpy(), rtol=1e-10, atol=1e-13)
    _, ours = vjp(g(mt), (m(a), m(b)), m(v))
    _, theirs = tf.vjp(g(torch), (t(a), t(b)), t(v))
    for o, r in zip(ours, theirs):
        np.testing.assert_allclose(o.numpy(), r.numpy(), rtol=1e-10, atol=1e-13)
    _, ours = hvp(f(mt), (m(a), m(b)), (m(v), m(w)))
    _, theirs = tf.hvp(f(torch), (t(a), t(b)), (t(v), t(w)))
    for o, r in zip(ours, theirs):
        np.testing.assert_allclose(o.numpy(), r.numpy(), rtol=1e-10, atol=1e-13)


def test_functional_create_graph():
    x = _x([0.5, -1.0])
    jac = jacobian(lambda a: a**3, x, create_graph=True)
    assert jac.requires_grad
    (d,) = mt.autograd.grad(jac.sum(), x)
    np.testing.assert_allclose(d.numpy(), 6 * np.array([0.5, -1.0]))
    h = hessian(lambda a: (a**4).sum(), x, create_graph=True)
    (d3,) = mt.autograd.grad(h.sum(), x)
    np.testing.assert_allclose(d3.numpy(), 24 * np.array([0.5, -1.0]))


# --------------------------------------------------------------------------- custom Function


class ScaledCube(mt.autograd.Function):
    """y = s * x³ with a constant s (not differentiated): dy/dx = 3 s x²."""

    @staticmethod
    def forward(ctx, x, scale):
        ctx.save_for_backward(x)
        ctx.scale = scale
        return x**3 * scale

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * ctx.scale * x**2, None


class MulAdd(mt.autograd.Function):
    """z = a * b + c; records needs_input_grad so tests can check it."""

    seen: list = []

    @staticmethod
    def forward(ctx, a, b, c):
        ctx.save_for_backward(a, b)
        MulAdd.seen.append(ctx.needs_input_grad)
        return a * b + c

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        grad_a = grad * b if ctx.needs_input_grad[0] else None
        grad_b = grad * a if ctx.needs_input_grad[1] else None
        grad_c = grad if ctx.needs_input_grad[2] else None
        return grad_a, grad_b, grad_c


class ClampedExp(mt.autograd.Function):
    """A custom op whose backward does not follow its forward (a straight-through estimator)."""

    @staticmethod
    def forward(ctx, x):
        return x.exp().clamp(max=2.0)

    @staticmethod
    def backward(ctx, grad):
        return grad * 1.0


def test_custom_function_forward_and_backward():
    x = _x([1.0, -2.0])
    y = ScaledCube.apply(x, 2.0)
    assert isinstance(y, mt.Tensor)
    assert y.grad_fn is not None and isinstance(y.grad_fn, ScaledCube)
    np.testing.assert_allclose(y.detach().numpy(), 2 * np.array([1.0, -8.0]))
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 6 * np.array([1.0, 4.0]))


def test_custom_function_forward_runs_without_recording():
    recorded = []

    class Probe(mt.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            recorded.append(mt.is_grad_enabled())
            y = x * 2
            recorded.append(y.requires_grad)
            return y

        @staticmethod
        def backward(ctx, grad):
            return grad * 2

    x = _x([1.0])
    out = Probe.apply(x)
    assert recorded == [False, False]
    assert out.requires_grad


def test_custom_function_needs_input_grad():
    MulAdd.seen.clear()
    a, b = _x([2.0]), mt.tensor([3.0], dtype=mt.float64)
    c = _x([1.0])
    out = MulAdd.apply(a, b, c)
    assert MulAdd.seen[-1] == (True, False, True)
    out.backward()
    assert a.grad.tolist() == [3.0] and b.grad is None and c.grad.tolist() == [1.0]
    with mt.no_grad():
        out = MulAdd.apply(a, b, c)
    assert not out.requires_grad


def test_custom_function_returning_an_array_keeps_its_dtype():
    class Double(mt.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return np.asarray(x) * 2  # an ndarray, not a Tensor

        @staticmethod
        def backward(ctx, grad):
            return grad * 2

    x = _x([1.0, 2.0])
    y = Double.apply(x)
    assert isinstance(y, mt.Tensor) and y.dtype == mt.float64 and y.requires_grad
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


def test_custom_function_output_gradient_ignores_forward():
    x = _x([0.0, 5.0])
    y = ClampedExp.apply(x)
    np.testing.assert_allclose(y.detach().numpy(), [1.0, 2.0])
    y.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]


def test_custom_function_wrong_gradient_count_is_reported():
    class Bad(mt.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a + b

        @staticmethod
        def backward(ctx, grad):
            return grad

    out = Bad.apply(_x([1.0]), _x([2.0]))
    with pytest.raises(RuntimeError, match=r"Bad\.backward returned 1 gradients .* 2 inputs"):
        out.sum().backward()


def test_double_backward_through_custom_function():
    x = _x([1.0, -2.0, 0.5])
    y = ScaledCube.apply(x, 2.0)
    (g,) = mt.autograd.grad(y.sum(), x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), 6 * x.detach().numpy() ** 2)
    (gg,) = mt.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(gg.numpy(), 12 * x.detach().numpy())
    assert mt.autograd.gradgradcheck(lambda t: ScaledCube.apply(t, 2.0), (x,))


def test_custom_function_saving_its_output():
    class Exp(mt.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            out = x.exp()
            ctx.save_for_backward(out)
            return out

        @staticmethod
        def backward(ctx, grad):
            (out,) = ctx.saved_tensors
            return grad * out

    x = _x([0.5, -1.0])
    (g,) = mt.autograd.grad(Exp.apply(x).sum(), x, create_graph=True)
    (gg,) = mt.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(gg.numpy(), np.exp([0.5, -1.0]), rtol=1e-12)
    assert mt.autograd.gradcheck(Exp.apply, (_x([0.1, 0.2]),))


def test_custom_function_matches_torch_custom_function():
    torch = pytest.importorskip("torch")

    class TorchScaledCube(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, scale):
            ctx.save_for_backward(x)
            ctx.scale = scale
            return x**3 * scale

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * ctx.scale * x**2, None

    values = np.array([0.3, -1.1, 2.0])
    x = _x(values)
    tx = torch.tensor(values, requires_grad=True)
    out = (ScaledCube.apply(x.sin(), 1.5) * x).sum()
    ref = (TorchScaledCube.apply(tx.sin(), 1.5) * tx).sum()
    (g,) = mt.autograd.grad(out, x, create_graph=True)
    (tg,) = torch.autograd.grad(ref, tx, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), tg.detach().numpy(), rtol=1e-12)
    (gg,) = mt.autograd.grad((g * g).sum(), x)
    (tgg,) = torch.autograd.grad((tg * tg).sum(), tx)
    np.testing.assert_allclose(gg.numpy(), tgg.numpy(), rtol=1e-12)
