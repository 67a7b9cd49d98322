"""PyTorch's behaviour at the edges of the elementwise, activation and reduction ops.

The findings of a differential fuzzing campaign against PyTorch (issue "Never silently differ
from PyTorch"), one test each. Every expectation is written out here, so CI checks it without
PyTorch; the tests marked ``_matches_pytorch`` run the same cases through PyTorch when it is
installed. Where microtensor differs from PyTorch on purpose (PyTorch mathematically wrong), the
test says so and the op's docstring explains it.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from contextlib import contextmanager
from typing import Any

import numpy as np
import pytest

import microtensor as mt

nan, inf = math.nan, math.inf


def _leaves(*values: Any) -> list[mt.Tensor]:
    return [mt.tensor(v, dtype=mt.float64, requires_grad=True) for v in values]


def _first(output: Any) -> Any:
    return output[0] if isinstance(output, tuple) else output


def _grads(fn: Callable[..., Any], *values: Any) -> tuple[np.ndarray, list[np.ndarray]]:
    """fn(*leaves) and the gradient of its sum with respect to each leaf (plain backward)."""
    leaves = _leaves(*values)
    out = _first(fn(*leaves))
    grads = mt.autograd.grad(out.sum(), leaves, allow_unused=True)
    return out.detach().numpy(), [None if g is None else g.numpy() for g in grads]


def _second(fn: Callable[..., Any], *values: Any) -> list[np.ndarray]:
    """The gradient of Σ (first derivatives) with respect to each leaf (double backward)."""
    leaves = _leaves(*values)
    grads = mt.autograd.grad(_first(fn(*leaves)).sum(), leaves, create_graph=True)
    total = sum(g.sum() for g in grads)
    return [g.numpy() for g in mt.autograd.grad(total, leaves, allow_unused=True)]


@contextmanager
def _no_runtime_warnings():
    """NumPy must not warn from microtensor's internals where PyTorch prints nothing."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        yield


def _same(actual: Any, expected: Any) -> None:
    np.testing.assert_allclose(np.asarray(actual, dtype=float), np.asarray(expected, dtype=float),
                               rtol=1e-12, atol=1e-12, equal_nan=True)


# =========================================================================== 1. masks select
# (input values, expected gradient): the gradient above the mask is infinite at the masked
# elements, and 0 × inf must not turn into nan there

_MASKED = {  # name: (function of (library, x), input values, expected gradient)
    "clamp_min_sqrt": (lambda L, x: x.clamp(min=0).sqrt(), [-1.0, 4.0], [0.0, 0.25]),
    "clamp_both_sqrt": (lambda L, x: x.clamp(-2.0, 0.0).neg().sqrt(), [1.0, -1.0],
                        [0.0, -0.5]),
    "relu_sqrt": (lambda L, x: x.relu().sqrt(), [-1.0, 4.0], [0.0, 0.25]),
    "where_sqrt": (lambda L, x: L.where(x > 0, x, 0.0).sqrt(), [-1.0, 4.0], [0.0, 0.25]),
    "masked_fill_sqrt": (lambda L, x: L.masked_fill(x, x < 0, 0.0).sqrt(), [-1.0, 4.0],
                         [0.0, 0.25]),
    "maximum_sqrt": (lambda L, x: L.maximum(x, L.zeros(2, dtype=L.float64)).sqrt(),
                     [-1.0, 4.0], [0.0, 0.25]),
    "minimum_sqrt": (lambda L, x: L.minimum(x, L.zeros(2, dtype=L.float64)).neg().sqrt(),
                     [1.0, -4.0], [0.0, -0.25]),
    "clamp_tensor_sqrt": (lambda L, x: x.clamp(min=L.zeros(2, dtype=L.float64)).sqrt(),
                          [-1.0, 4.0], [0.0, 0.25]),
    "max_dim_log": (lambda L, x: x.max(1).values.log(), [[0.0, -1.0], [2.0, 0.0]],
                    [[inf, 0.0], [0.5, 0.0]]),
    "min_dim_reciprocal": (lambda L, x: 1 / x.min(0).values, [[0.0, 2.0], [1.0, 4.0]],
                           [[-inf, -0.25], [0.0, 0.0]]),
    "max_all_log": (lambda L, x: x.max().log(), [0.0, -1.0], [inf, 0.0]),
    "min_all_reciprocal": (lambda L, x: 1 / x.min(), [0.0, 1.0], [-inf, 0.0]),
    # PyTorch gives nan at the other elements here (its amax/amin backward multiplies by the
    # mask); the derivative there is 0 (see test_amax_differs_from_pytorch_where_it_multiplies)
    "amax_log": (lambda L, x: x.amax(1).log(), [[0.0, -1.0], [2.0, 0.0]],
                 [[inf, 0.0], [0.5, 0.0]]),
    "amin_reciprocal": (lambda L, x: 1 / x.amin(1), [[0.0, 1.0], [2.0, 4.0]],
                        [[-inf, 0.0], [-0.25, 0.0]]),
}
_PYTORCH_MULTIPLIES = {"amax_log", "amin_reciprocal"}


def _ours(fn: Callable[..., Any]) -> Callable[..., Any]:
    return lambda *xs: fn(mt, *xs)


@pytest.mark.parametrize("name", list(_MASKED))
def test_masking_backwards_select_rather_than_multiply(name):
    fn, values, expected = _MASKED[name]
    with _no_runtime_warnings():
        _, (grad,) = _grads(_ours(fn), values)
    _same(grad, expected)


@pytest.mark.parametrize("name, values, expected", [
    # d²/dx² of √clamp(x, 0) (and of the others) is 0 where x was clamped, -1/(4 x^1.5) at 4
    ("clamp_min_sqrt", [-1.0, 4.0], [0.0, -0.03125]),
    ("relu_sqrt", [-1.0, 4.0], [0.0, -0.03125]),
    ("where_sqrt", [-1.0, 4.0], [0.0, -0.03125]),
    ("masked_fill_sqrt", [-1.0, 4.0], [0.0, -0.03125]),
    ("maximum_sqrt", [-1.0, 4.0], [0.0, -0.03125]),
    ("clamp_tensor_sqrt", [-1.0, 4.0], [0.0, -0.03125]),
    # d²/dx² log max(x) is -1/x² at the maximum, 0 elsewhere
    ("max_dim_log", [[1.0, -1.0], [2.0, 0.0]], [[-1.0, 0.0], [-0.25, 0.0]]),
    ("amax_log", [[1.0, -1.0], [2.0, 0.0]], [[-1.0, 0.0], [-0.25, 0.0]]),
])
def test_masking_backwards_select_in_double_backward_too(name, values, expected):
    with _no_runtime_warnings():
        (second,) = _second(_ours(_MASKED[name][0]), values)
    _same(second, expected)


def test_amax_differs_from_pytorch_where_it_multiplies():
    torch = pytest.importorskip("torch")
    for name in _PYTORCH_MULTIPLIES:
        fn, values, expected = _MASKED[name]
        x = torch.tensor(values, dtype=torch.float64, requires_grad=True)
        (theirs,) = torch.autograd.grad(fn(torch, x).sum(), x)
        assert np.isnan(theirs.numpy()).any()  # 0 × inf in PyTorch
        assert not np.isnan(expected).any()  # what we give (test above)


# =========================================================================== 2. edge formulas


def test_norm_minus_inf_is_the_smallest_magnitude():
    value, (grad,) = _grads(lambda x: x.norm(p=-inf), [3.0, -1.0, 2.0])
    assert value == 1.0
    _same(grad, [0.0, -1.0, 0.0])
    value, (grad,) = _grads(lambda x: x.norm(p=-inf), [2.0, -1.0, 1.0])  # a tie shares
    _same(grad, [0.0, -0.5, 0.5])
    value, (grad,) = _grads(lambda x: x.norm(p=-inf), [2.0, 0.0, 1.0])
    assert value == 0.0
    _same(grad, [0.0, 0.0, 0.0])


def test_norm_zero_counts_the_non_zeros_with_zero_gradient():
    value, (grad,) = _grads(lambda x: x.norm(p=0), [3.0, 0.0, 2.0])
    assert value == 2.0 and value.dtype == np.float64
    _same(grad, [0.0, 0.0, 0.0])
    assert mt.tensor([[1.0, 0.0], [2.0, 3.0]]).norm(p=0, dim=1).tolist() == [1.0, 2.0]


@pytest.mark.parametrize("p, values, norm, expected", [
    (0.5, [3.0, 0.0, 2.0], 9.898979485566356, [1.8164965809277258, 0.0, 2.224744871391589]),
    (-1.0, [3.0, 0.0, 2.0], 0.0, [0.0, 0.0, 0.0]),
    (-2.0, [3.0, 1.0, 2.0], 0.8571428571428571,
     [0.023323615160349854, 0.6297376093294461, 0.07871720116618076]),
    (3.0, [3.0, 0.0, 2.0], 3.2710663101885893, [0.8411313369056371, 0.0, 0.37383614973583873]),
    (3.0, [0.0, 0.0], 0.0, [0.0, 0.0]),
    (0.5, [0.0, 0.0], 0.0, [0.0, 0.0]),
    (-2.0, [0.0, 0.0], 0.0, [0.0, 0.0]),
    (inf, [0.0, 0.0], 0.0, [0.0, 0.0]),
    (inf, [2.0, -2.0, 1.0], 2.0, [0.5, -0.5, 0.0]),
])
def test_norm_gradients_at_zeros_are_pytorchs(p, values, norm, expected):
    with _no_runtime_warnings():
        value, (grad,) = _grads(lambda x: x.norm(p=p), values)
    _same(value, norm)
    _same(grad, expected)


def test_norm_refuses_an_identity_less_norm_of_nothing():
    with pytest.raises(RuntimeError, match="cannot compute the inf norm on an empty tensor"):
        mt.zeros(0, 3).norm(p=inf)
    with pytest.raises(RuntimeError, match="cannot compute the -1 norm on an empty tensor"):
        mt.zeros(0).norm(p=-1)
    assert mt.zeros(0, 3).norm(p=inf, dim=1).shape == (0,)
    assert mt.zeros(0, 3).norm().item() == 0.0
    with pytest.raises(ValueError, match="p='nuc' is not supported"):
        mt.ones(2, 2).norm(p="nuc")


@pytest.mark.parametrize("correction", [3, 4])
def test_var_and_std_with_no_degrees_of_freedom_are_inf(correction):
    with _no_runtime_warnings():
        value, (grad,) = _grads(lambda x: x.var(correction=correction), [1.0, 2.0, 4.0])
        assert value == inf
        # the limit of 2 (x - mean) / (N - c) as N - c -> 0+ (PyTorch: +inf for all three)
        _same(grad, [-inf, -inf, inf])
        value, (grad,) = _grads(lambda x: x.std(correction=correction), [1.0, 2.0, 4.0])
        assert value == inf
        _same(grad, [nan, nan, nan])
        value, (grad,) = _grads(lambda x: x.var(correction=correction), [1.0, 1.0, 1.0])
        assert math.isnan(value)
        _same(grad, [nan, nan, nan])


def test_var_with_a_dim_and_no_degrees_of_freedom():
    with _no_runtime_warnings():
        value, (grad,) = _grads(lambda x: x.var(1, correction=3), [[1.0, 2.0, 4.0], [1, 1, 1]])
    _same(value, [inf, nan])
    _same(grad, [[-inf, -inf, inf], [nan, nan, nan]])
    with _no_runtime_warnings():  # var of one element (0-d), and of none: nan
        assert math.isnan(mt.tensor(2.0).var().item())
        _same(mt.zeros(0, 3).var(0).numpy(), [nan, nan, nan])
        assert mt.tensor(2.0).var(correction=0).item() == 0.0


def test_second_derivative_of_pow_at_zero_exponent_is_one_over_the_base():
    a, b = _leaves([2.0, 0.5], [0.0, 0.0])
    grad_a, grad_b = mt.autograd.grad((a**b).sum(), [a, b], create_graph=True)
    _same(grad_a.detach().numpy(), [0.0, 0.0])
    _same(grad_b.detach().numpy(), [math.log(2.0), math.log(0.5)])
    (cross,) = mt.autograd.grad(grad_a.sum(), [b], retain_graph=True)
    _same(cross.numpy(), [0.5, 2.0])  # d/db (b a^(b-1)) = 1/a at b = 0 (PyTorch: 0)
    (cross,) = mt.autograd.grad(grad_b.sum(), [a])
    _same(cross.numpy(), [0.5, 2.0])  # d/da (a^b ln a) = 1/a at b = 0: the Hessian is symmetric


def test_pow_derivatives_at_a_zero_base():
    with _no_runtime_warnings():
        value, (grad_a, grad_b) = _grads(lambda a, b: a**b, [0.0, 0.0, 0.0, 0.0, 0.0],
                                         [-1.0, 0.0, 0.5, 1.0, 2.0])
    _same(value, [inf, 1.0, 0.0, 0.0, 0.0])
    _same(grad_a, [-inf, 0.0, inf, 1.0, 0.0])
    _same(grad_b, [-inf, 0.0, 0.0, 0.0, 0.0])  # 0^b = inf·ln 0 = -inf for b < 0 (was nan)
    with _no_runtime_warnings():
        value, (grad,) = _grads(lambda b: 0.0**b, [-1.0, 0.0, 2.0])
    _same(value, [inf, 1.0, 0.0])
    _same(grad, [-inf, 0.0, 0.0])


def test_elu_derivatives_at_zero_are_pytorchs():
    def elu(x):
        return mt.nn.functional.elu(x, alpha=2.0)

    _, (grad,) = _grads(elu, [0.0, -1.0, 1.0])
    _same(grad, [2.0, 2 * math.exp(-1), 1.0])  # the left branch at 0: α
    (second,) = _second(elu, [0.0, -1.0, 1.0])
    _same(second, [0.0, 2 * math.exp(-1), 0.0])  # but the right one for the second: 0


def test_clamp_with_tensor_bounds_gives_a_tie_to_the_input():
    _, (grad_x, grad_low) = _grads(lambda x, low: x.clamp(min=low), [1.0, 0.0], [1.0, 0.0])
    _same(grad_x, [1.0, 1.0])
    _same(grad_low, [0.0, 0.0])
    _, (grad_x, grad_high) = _grads(lambda x, high: x.clamp(max=high), [1.0, 0.0], [1.0, 0.0])
    _same(grad_x, [1.0, 1.0])
    _same(grad_high, [0.0, 0.0])
    _, grads = _grads(lambda x, low, high: x.clamp(low, high), [1.0, 0.0, 5.0, -5.0],
                      [1.0, 0.0, 0.0, 0.0], [2.0, 0.0, 1.0, 1.0])
    _same(grads, [[1, 1, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]])
    _, grads = _grads(lambda x, low, high: x.clamp(low, high), [1.0, 0.0], [2.0, 2.0],
                      [1.0, 1.0])  # low > high: the result is high, and so is the gradient
    _same(grads, [[0, 0], [0, 0], [1, 1]])


def test_maximum_and_minimum_split_a_tie_in_halves():
    _, grads = _grads(mt.maximum, [1.0, 2.0], [1.0, 1.0])
    _same(grads, [[0.5, 1.0], [0.5, 0.0]])
    _, grads = _grads(mt.minimum, [1.0, 2.0], [1.0, 1.0])
    _same(grads, [[0.5, 0.0], [0.5, 1.0]])
    _, grads = _grads(lambda a, b: mt.max(a, b), [1.0, 2.0], [1.0, 1.0])
    _same(grads, [[0.5, 1.0], [0.5, 0.0]])


def test_clamp_with_mixed_bounds_is_refused_as_in_pytorch():
    x = mt.ones(3)
    with pytest.raises(TypeError, match="both be numbers or both be tensors"):
        x.clamp(min=mt.zeros(3), max=2.0)
    with pytest.raises(RuntimeError, match="At least one of 'min' or 'max'"):
        x.clamp()


@pytest.mark.parametrize("name, fn, values, value, grads", [
    ("max_all", lambda x: x.max(), [[1.0, nan, 3.0]], nan, [[0.0, 1.0, 0.0]]),
    ("max_all_two_nans", lambda x: x.max(), [[1.0, nan, nan]], nan, [[0.0, 0.5, 0.5]]),
    ("min_all", lambda x: x.min(), [[1.0, nan, 3.0]], nan, [[0.0, 1.0, 0.0]]),
    ("max_dim_first_nan", lambda x: x.max(0), [[nan, 5.0, nan]], nan, [[1.0, 0.0, 0.0]]),
    ("amax", lambda x: x.amax(), [[1.0, nan, 3.0]], nan, [[nan, nan, nan]]),
    ("relu", lambda x: x.relu(), [[nan, -1.0, 0.0, 2.0]], [nan, 0.0, 0.0, 2.0],
     [[1.0, 0.0, 0.0, 1.0]]),
    ("maximum", mt.maximum, [[nan, 1.0, nan, 2.0], [1.0, nan, nan, 2.0]], [nan, nan, nan, 2.0],
     [[1.0, 1.0, 1.0, 0.5], [1.0, 1.0, 1.0, 0.5]]),
    ("minimum", mt.minimum, [[nan, 1.0], [1.0, nan]], [nan, nan], [[1.0, 1.0], [1.0, 1.0]]),
    ("abs", lambda x: x.abs(), [[nan, -0.0, 0.0, -2.0]], [nan, 0.0, 0.0, 2.0],
     [[0.0, 0.0, 0.0, -1.0]]),
    ("sign", lambda x: x.sign(), [[nan, -0.0, 0.0, -2.0]], [0.0, 0.0, 0.0, -1.0],
     [[0.0, 0.0, 0.0, 0.0]]),
    ("clamp", lambda x: x.clamp(0.0, 1.0), [[nan, -1.0, 0.5, 2.0]], [nan, 0.0, 0.5, 1.0],
     [[0.0, 0.0, 1.0, 0.0]]),
    ("clamp_nan_bound", lambda x: x.clamp(min=nan), [[1.0, -1.0]], [nan, nan], [[0.0, 0.0]]),
    ("clamp_tensor_nan_bound", lambda x, low: x.clamp(min=low), [[1.0, 2.0], [nan, 0.0]],
     [nan, 2.0], [[0.0, 1.0], [0.0, 0.0]]),
])
def test_nan_routing_is_pytorchs(name, fn, values, value, grads):
    with _no_runtime_warnings():
        out, got = _grads(fn, *values)
    _same(out, value)
    _same(got, grads)


def test_max_along_a_dim_picks_the_first_nan_as_its_index():
    values, indices = mt.tensor([1.0, nan, 3.0, nan]).max(0)
    assert math.isnan(values.item()) and indices.item() == 1
    assert mt.tensor([1.0, nan, 3.0, nan]).argmax().item() == 1


# =========================================================================== 3. no more crashes


@pytest.mark.parametrize("base", [3.0, 2])
def test_python_number_to_the_power_of_a_0d_tensor(base):
    x = mt.tensor(1.5, requires_grad=True)
    y = base**x
    y.backward()
    assert y.dtype == mt.float32 and x.grad.dtype == mt.float32 and x.grad.shape == ()
    np.testing.assert_allclose(y.item(), base**1.5, rtol=1e-6)
    np.testing.assert_allclose(x.grad.item(), base**1.5 * math.log(base), rtol=1e-6)


def test_prod_of_a_0d_tensor_and_over_an_empty_dim():
    value, (grad,) = _grads(lambda x: x.prod(0), 2.0)
    assert value.shape == () and value == 2.0 and grad == 1.0
    assert mt.tensor(3).prod(0).item() == 3
    value, (grad,) = _grads(lambda x: x.prod(1), np.zeros((2, 0)))
    _same(value, [1.0, 1.0])
    assert grad.shape == (2, 0)
    value, (grad,) = _grads(lambda x: x.prod(0), np.zeros((2, 0)))
    assert value.shape == (0,) and grad.shape == (2, 0)
    assert mt.tensor([3, 4], dtype=mt.uint8).prod().dtype == mt.int64
    assert mt.tensor([True, True]).prod().dtype == mt.int64
    assert mt.tensor([200, 100], dtype=mt.uint8).sum().item() == 300


def test_double_backward_of_prod_with_zeros():
    x = _leaves([0.0, 2.0, 3.0])[0]
    _same(mt.autograd.functional.hessian(lambda t: t.prod(), x).numpy(),
          [[0, 3, 2], [3, 0, 0], [2, 0, 0]])
    _same(_second(lambda t: t.prod(), [0.0, 2.0, 0.0]), [[2.0, 0.0, 2.0]])
    _same(_second(lambda t: t.prod(1), [[0.0, 2.0, 3.0], [1.0, 2.0, 3.0]]),
          [[[5.0, 3.0, 2.0], [5.0, 4.0, 3.0]]])


@pytest.mark.parametrize("shape_a, shape_b, shape_out", [
    ((2, 3, 0), (0, 4), (2, 3, 4)),
    ((2, 0), (0, 3), (2, 3)),
    ((0,), (0,), ()),
    ((0,), (0, 3), (3,)),
    ((3, 0), (2, 0, 4), (2, 3, 4)),
])
def test_matmul_with_an_empty_inner_dim(shape_a, shape_b, shape_out):
    value, (grad_a, grad_b) = _grads(lambda a, b: a @ b, np.zeros(shape_a), np.zeros(shape_b))
    assert value.shape == shape_out and not value.any()
    assert grad_a.shape == shape_a and grad_b.shape == shape_b


def test_linear_with_no_input_features():
    x, w, b = _leaves(np.zeros((2, 3, 0)), np.zeros((4, 0)), [1.0, 2.0, 3.0, 4.0])
    y = mt.nn.functional.linear(x, w, b)
    assert y.shape == (2, 3, 4)
    y.sum().backward()
    assert x.grad.shape == (2, 3, 0) and w.grad.shape == (4, 0)
    _same(b.grad.numpy(), [6.0] * 4)


@pytest.mark.parametrize("dim", [0, 1])
@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
def test_softmax_over_an_empty_dim(op, dim):
    value, (grad,) = _grads(lambda x: getattr(x, op)(dim), np.zeros((2, 0)))
    assert value.shape == (2, 0) and grad.shape == (2, 0)


def test_logsumexp_over_an_empty_dim_is_minus_inf():
    with _no_runtime_warnings():
        value, (grad,) = _grads(lambda x: x.logsumexp(1), np.zeros((2, 0)))
        _same(value, [-inf, -inf])
        assert grad.shape == (2, 0)
        assert mt.zeros(2, 0).logsumexp((0, 1)).item() == -inf
        assert mt.zeros(0, 3).logsumexp(1).shape == (0,)
        masked = mt.tensor([[-inf, -inf], [0.0, 0.0]], dtype=mt.float64)
        _same(masked.logsumexp(1).numpy(), [-inf, math.log(2)])


def test_max_and_min_along_a_non_empty_dim_of_an_empty_tensor():
    values, indices = mt.zeros(0, 3).max(1)
    assert values.shape == (0,) and indices.shape == (0,) and indices.dtype == mt.int64
    values, indices = mt.zeros(0, 3).min(1, keepdim=True)
    assert values.shape == (0, 1) and indices.shape == (0, 1)
    assert mt.zeros(0, 3, dtype=mt.int64).max(1).values.dtype == mt.int64
    _, (grad,) = _grads(lambda x: x.max(1), np.zeros((0, 3)))
    assert grad.shape == (0, 3)
    assert mt.zeros(0, 3).amax(1).shape == (0,)
    assert mt.zeros(0, 3).argmax(1).shape == (0,)


@pytest.mark.parametrize("op", ["max", "min", "amax", "amin", "argmax", "argmin"])
def test_extremes_of_an_empty_dim_are_errors(op):
    with pytest.raises(IndexError, match=rf"{op}\(\): Expected reduction dim 0 to have non-zero"):
        getattr(mt.zeros(0, 3), op)(0)
    error = IndexError if op.startswith("arg") else RuntimeError
    with pytest.raises(error, match=rf"{op}\(\): Expected reduction dim to be specified for "
                                    r"input.numel\(\) == 0"):
        getattr(mt.zeros(0, 3), op)()


def test_integer_arithmetic_wraps_a_python_number_as_pytorch():
    u = mt.tensor([1, 200], dtype=mt.uint8)
    assert (u + -1).tolist() == [0, 199] and (u + -1).dtype == mt.uint8
    assert (u - 1).tolist() == [0, 199]
    assert (u * -1).tolist() == [255, 56]
    assert (u + 300).tolist() == [45, 244]
    assert (mt.tensor([1], dtype=mt.int8) + 200).tolist() == [-55]
    assert (u == -1).tolist() == [False, False]  # -1 is 255 in uint8
    assert (mt.tensor([255], dtype=mt.uint8) == -1).tolist() == [True]
    assert (u / 300).dtype == mt.float32  # true division does not wrap
    np.testing.assert_allclose((u / 300).numpy(), [1 / 300, 200 / 300], rtol=1e-6)


def test_sign_of_bool_and_abs_of_bool():
    s = mt.tensor([True, False]).sign()
    assert s.dtype == mt.bool and s.tolist() == [True, False]
    assert mt.tensor([0, 3], dtype=mt.uint8).sign().tolist() == [0, 1]
    with pytest.raises(NotImplementedError, match="abs_cpu"):
        mt.tensor([True]).abs()


# =========================================================================== 4. bad input


@pytest.mark.parametrize("fn", [
    lambda i: i // 0,
    lambda i: i % 0,
    lambda i: i // mt.tensor([0, 1, 1]),
    lambda i: i % mt.tensor([0, 1, 1]),
    lambda i: 7 // mt.tensor([1, 0, 2]),
    lambda i: i % mt.tensor([True, False, True]),
])
def test_integer_division_by_zero_is_an_error(fn):
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        fn(mt.tensor([1, 2, 3]))


def test_float_division_by_zero_is_inf_or_nan_silently():
    x = mt.tensor([1.0, -1.0, 0.0])
    with _no_runtime_warnings():
        _same((x // 0).numpy(), [inf, -inf, nan])
        _same((x % 0).numpy(), [nan, nan, nan])
        _same((mt.tensor([1, 2]) % 0.0).numpy(), [nan, nan])
        _same((x / 0).numpy(), [inf, -inf, nan])


def test_floor_division_of_bools_is_not_implemented():
    b = mt.tensor([True, False])
    with pytest.raises(NotImplementedError, match="div_floor_cpu"):
        b // b
    with pytest.raises(NotImplementedError, match="remainder_cpu"):
        b % b
    assert (b // mt.tensor([1, 1])).tolist() == [1, 0]


@pytest.mark.parametrize("fn, fragment", [
    (lambda b, f: b - b, "with two bool tensors is not supported"),
    (lambda b, f: b - True, "with two bool tensors is not supported"),
    (lambda b, f: True - b, "with two bool tensors is not supported"),
    (lambda b, f: mt.sub(b, b), "with two bool tensors is not supported"),
    (lambda b, f: b - 1, "with a bool tensor is not supported"),
    (lambda b, f: 1 - b, "with a bool tensor is not supported"),
    (lambda b, f: f - b, "with a bool tensor is not supported"),
    (lambda b, f: f - True, "with a bool tensor is not supported"),
    (lambda b, f: mt.sub(f, b, alpha=2), "with a bool tensor is not supported"),
    (lambda b, f: -b, "Negation, the `-` operator, on a bool tensor is not supported"),
])
def test_bool_subtraction_and_negation_are_errors(fn, fragment):
    with pytest.raises(RuntimeError, match=fragment):
        fn(mt.tensor([True, False]), mt.tensor([1.0, 2.0]))


def test_integer_powers():
    i = mt.tensor([1, 2, 3])
    for tensor in (i, mt.tensor([True, False])):
        with pytest.raises(RuntimeError, match="Integers to negative integer powers are not "
                                               "allowed"):
            tensor**-1
    assert (i**2).dtype == mt.int64 and (i**2).tolist() == [1, 4, 9]
    assert (i ** mt.tensor(-2)).tolist() == [1, 0, 0]
    assert (mt.tensor([0, 1, -1, 2, -1]) ** mt.tensor([-1, -2, -3, -2, -2])).tolist() == [
        0, 1, -1, 0, 1]
    assert (2 ** mt.tensor([-1, 2])).tolist() == [0, 4]
    assert (2 ** mt.tensor([9], dtype=mt.uint8)).tolist() == [0]  # wraps, as uint8
    assert (mt.tensor([20], dtype=mt.uint8) ** 2).tolist() == [144]
    assert (i**-1.0).dtype == mt.float32
    assert (2.5**i).dtype == mt.float32
    b = mt.tensor([True, False])
    assert (b**2).dtype == mt.int64 and (b**2).tolist() == [1, 0]
    assert (b**2.0).dtype == mt.float32
    with pytest.raises(RuntimeError, match="cannot be converted to type uint8"):
        mt.tensor([2], dtype=mt.uint8) ** 300


@pytest.mark.parametrize("op, fragment", [
    ("var", "std and var only support floating point"),
    ("std", "std and var only support floating point"),
    ("norm", "Expected a floating point or complex tensor"),
])
@pytest.mark.parametrize("values", [[1, 2, 3], [True, False]])
def test_var_std_norm_of_integers_are_errors(op, fragment, values):
    with pytest.raises(RuntimeError, match=fragment):
        getattr(mt.tensor(values), op)()


_SILENT = {
    "log_0": lambda: mt.tensor([0.0, -1.0]).log(),
    "sqrt_-1": lambda: mt.tensor([-1.0]).sqrt(),
    "div_0": lambda: mt.tensor([1.0, 0.0]) / 0,
    "div_0_tensor": lambda: mt.tensor([1.0, 0.0]) / mt.tensor([0.0, 0.0]),
    "exp_overflow": lambda: mt.tensor([1000.0]).exp(),
    "pow_0_negative": lambda: mt.tensor([0.0]) ** -1,
    "pow_negative_fraction": lambda: mt.tensor([-1.0]) ** 0.5,
    "pow_tensor": lambda: mt.tensor([0.0, -1.0]) ** mt.tensor([-1.0, 0.5]),
    "logsumexp_minus_inf": lambda: mt.tensor([-inf, -inf]).logsumexp(0),
    "mean_of_nothing": lambda: mt.zeros(0, 3).mean(0),
    "var_no_dof": lambda: mt.tensor([1.0]).var(),
    "norm_negative_p": lambda: mt.tensor([0.0, 1.0]).norm(p=-1),
    "reciprocal_0": lambda: mt.tensor([0.0]).reciprocal(),
}


@pytest.mark.parametrize("name", list(_SILENT))
def test_no_numpy_warnings_where_pytorch_prints_nothing(name):
    with _no_runtime_warnings():
        _SILENT[name]()


@pytest.mark.parametrize("fn, values", [
    (lambda x: x.log(), [0.0, 1.0]),
    (lambda x: x.sqrt(), [0.0, 1.0]),
    (lambda x: 1 / x, [0.0, 1.0]),
    (lambda x: x**0.5, [0.0, 1.0]),
    (lambda x: x**-1, [0.0, 1.0]),
    (lambda x: mt.tensor([0.0, 2.0], dtype=mt.float64) ** x, [-1.0, 1.0]),
])
def test_no_numpy_warnings_in_the_backward_of_singular_points(fn, values):
    with _no_runtime_warnings():
        _grads(fn, values)


# =========================================================================== 5. type promotion

# (operand a, operand b, torch.result_type(a, b)): "t" a tensor with dims, "z" a 0-d tensor
_RESULT_TYPES = [
    ("t:bool", "t:bool", "bool"), ("t:bool", "t:uint8", "uint8"), ("t:uint8", "t:int8", "int16"),
    ("t:uint8", "t:int16", "int16"), ("t:uint8", "t:int64", "int64"),
    ("t:int8", "t:int32", "int32"), ("t:int32", "t:int64", "int64"),
    ("t:int64", "t:float16", "float16"), ("t:int32", "t:float32", "float32"),
    ("t:float16", "t:float32", "float32"), ("t:float32", "t:float64", "float64"),
    ("t:bool", "t:float16", "float16"),
    ("t:float32", "z:float64", "float32"), ("t:float16", "z:float64", "float16"),
    ("t:int32", "z:int64", "int32"), ("t:uint8", "z:int8", "uint8"),
    ("t:uint8", "z:int64", "uint8"), ("t:int32", "z:float64", "float64"),
    ("t:int64", "z:float16", "float16"), ("t:bool", "z:int8", "int8"),
    ("t:bool", "z:uint8", "uint8"), ("t:bool", "z:float64", "float64"),
    ("z:uint8", "z:int8", "int16"), ("z:int32", "z:float16", "float16"),
    ("z:float32", "z:float64", "float64"), ("z:bool", "t:int16", "int16"),
    ("t:uint8", 1, "uint8"), ("t:uint8", -1, "uint8"), ("t:int8", 1000, "int8"),
    ("t:int32", 2.5, "float32"), ("t:float16", 2.5, "float16"), ("t:float64", 2.5, "float64"),
    ("t:bool", 1, "int64"), ("t:bool", 2.5, "float32"), ("t:bool", True, "bool"),
    ("t:int16", True, "int16"), ("t:float16", 1, "float16"), ("z:int32", 2.5, "float32"),
    ("z:uint8", 1, "uint8"), ("z:bool", 1, "int64"), ("z:float64", 1, "float64"),
    (True, "z:uint8", "uint8"), (1, 2.5, "float32"), (1, 2, "int64"), (True, False, "bool"),
]


def _make_operand(spec: Any) -> Any:
    if not isinstance(spec, str):
        return spec
    kind, dtype = spec.split(":")
    return mt.tensor(np.zeros((2,) if kind == "t" else (), dtype=dtype))


@pytest.mark.parametrize("a, b, expected", _RESULT_TYPES, ids=str)
def test_result_type_table(a, b, expected):
    assert mt.result_type(_make_operand(a), _make_operand(b)) == np.dtype(expected)
    assert mt.result_type(_make_operand(b), _make_operand(a)) == np.dtype(expected)


def test_result_type_with_the_default_dtype_float64():
    mt.set_default_dtype(mt.float64)
    try:
        assert mt.result_type(mt.tensor([1, 2]), 2.5) == mt.float64
        assert mt.result_type(mt.tensor([1.0], dtype=mt.float32), 2.5) == mt.float32
    finally:
        mt.set_default_dtype(mt.float32)


@pytest.mark.parametrize("a, b, expected", [
    ("bool", "uint8", "uint8"), ("uint8", "int8", "int16"), ("uint8", "int32", "int32"),
    ("int8", "int16", "int16"), ("int64", "float16", "float16"), ("int32", "float32", "float32"),
    ("float16", "float64", "float64"), ("bool", "float32", "float32"), ("int64", "int64", "int64"),
])
def test_promote_types_table(a, b, expected):
    assert mt.promote_types(getattr(mt, a), getattr(mt, b)) == np.dtype(expected)
    assert mt.promote_types(getattr(mt, b), getattr(mt, a)) == np.dtype(expected)


def test_can_cast():
    assert mt.can_cast(mt.float64, mt.float16) and mt.can_cast(mt.int64, mt.uint8)
    assert mt.can_cast(mt.bool, mt.float32) and mt.can_cast(mt.int8, mt.float16)
    assert not mt.can_cast(mt.float32, mt.int64) and not mt.can_cast(mt.int8, mt.bool)


@pytest.mark.parametrize("fn, dtype, values", [
    (lambda: mt.tensor([7], dtype=mt.int32) // mt.tensor([2.0]), "float32", [3.0]),
    (lambda: mt.tensor([7], dtype=mt.int32) % mt.tensor([2.0]), "float32", [1.0]),
    (lambda: mt.tensor([7], dtype=mt.int32) % mt.tensor(2.0, dtype=mt.float64), "float64",
     [1.0]),
    (lambda: mt.tensor([7], dtype=mt.uint8) % mt.tensor(3, dtype=mt.int8), "uint8", [1]),
    (lambda: mt.tensor([7], dtype=mt.uint8) // mt.tensor(3), "uint8", [2]),
    (lambda: mt.tensor([7], dtype=mt.uint8) // -1, "uint8", [0]),
    (lambda: 7.5 // mt.tensor([1, 2, 3]), "float32", [7.0, 3.0, 2.0]),
    (lambda: mt.tensor([1, 2, 3]) // 2.5, "float32", [0.0, 0.0, 1.0]),
    (lambda: mt.tensor([True, False, True]) // mt.tensor([1, 2, 3]), "int64", [1, 0, 0]),
    (lambda: mt.tensor([-7, 7]) % mt.tensor([2, -2]), "int64", [1, -1]),
    (lambda: mt.tensor([-7.0, 7.0]) % inf, "float32", [inf, 7.0]),
    (lambda: mt.tensor([3], dtype=mt.int32) & mt.tensor(1), "int32", [1]),
    (lambda: mt.tensor([0.1]) == mt.tensor(0.1, dtype=mt.float64), "bool", [True]),
    (lambda: mt.tensor([True, False]) ** 2, "int64", [1, 0]),
    (lambda: mt.tensor([2], dtype=mt.int32) ** mt.tensor(2), "int32", [4]),
    (lambda: mt.tensor([1.0, 2.0]) ** mt.tensor(2.0, dtype=mt.float64), "float32", [1.0, 4.0]),
    (lambda: mt.tensor([1, 2, 3]).clamp(min=2.5), "float32", [2.5, 2.5, 3.0]),
    (lambda: mt.tensor([1, 2, 3]).clamp(min=mt.tensor([2.5])), "float32", [2.5, 2.5, 3.0]),
    (lambda: mt.tensor([1.0, 2.0]).clamp(min=mt.tensor([2.0], dtype=mt.float64)), "float64",
     [2.0, 2.0]),
    (lambda: mt.tensor([True, False]).clamp(min=0), "int64", [1, 0]),
    (lambda: mt.tensor([1, 2], dtype=mt.uint8).clamp(min=-1), "uint8", [255, 255]),
    (lambda: mt.where(mt.tensor([True, False]), 1, 2.5), "float32", [1.0, 2.5]),
    (lambda: mt.where(mt.tensor([True, False]), mt.tensor([1, 2]), 0.5), "float32",
     [1.0, 0.5]),
    (lambda: mt.maximum(mt.tensor([1, 2]), mt.tensor([1.5, 1.5])), "float32", [1.5, 2.0]),
])
def test_promotion_outside_arithmetic(fn, dtype, values):
    with _no_runtime_warnings():
        result = fn()
    assert result.dtype == np.dtype(dtype)
    _same(result.numpy(), values)


@pytest.mark.parametrize("values, mask, value, expected, dtype", [
    ([1, 2, 3], [True, False, False], 0.5, [0, 2, 3], "int64"),
    ([1, 2, 3], [True, False, False], -2.7, [-2, 2, 3], "int64"),
    ([1, 2, 3], [True, False, False], True, [1, 2, 3], "int64"),
    ([True, False, True], [True, False, False], 2, [True, False, True], "bool"),
    (np.array([1, 2], dtype=np.uint8), [True, False], -1, [255, 2], "uint8"),
    ([1.0, 2.0], [True, False], 7, [7.0, 2.0], "float32"),
])
def test_masked_fill_keeps_the_input_dtype(values, mask, value, expected, dtype):
    result = mt.masked_fill(mt.tensor(values), mt.tensor(mask), value)
    assert result.dtype == np.dtype(dtype) and result.tolist() == expected


def test_masked_fill_refuses_what_pytorch_refuses():
    x, mask = mt.tensor([1, 2, 3]), mt.tensor([True, False, False])
    for value in (inf, nan, 2.0**70):
        with pytest.raises(RuntimeError, match="cannot be converted to type int64 without "
                                               "overflow"):
            mt.masked_fill(x, mask, value)
    with pytest.raises(RuntimeError, match="cannot be converted to type uint8"):
        mt.masked_fill(mt.tensor([1], dtype=mt.uint8), mt.tensor([True]), 300)
    with pytest.raises(RuntimeError, match="only supports boolean masks"):
        mt.masked_fill(x, mt.tensor([1, 0, 0]), 1)
    with pytest.raises(RuntimeError, match="only supports a 0-dimensional value tensor"):
        mt.masked_fill(x.float(), mask, mt.tensor([2.5]))
    with pytest.raises(RuntimeError, match="cannot be converted to type uint8"):
        mt.where(mt.tensor([True]), mt.tensor([1], dtype=mt.uint8), 300)


def test_masked_fill_with_a_0d_tensor_value_is_differentiable():
    x, value = _leaves([1.0, 2.0, 3.0], 5.0)
    y = mt.masked_fill(x, mt.tensor([True, False, True]), value)
    _same(y.detach().numpy(), [5.0, 2.0, 5.0])
    y.sum().backward()
    _same(x.grad.numpy(), [0.0, 1.0, 0.0])
    _same(value.grad.numpy(), 2.0)
    filled = mt.masked_fill(mt.tensor([1.0, 2.0]), mt.tensor([[True], [False]]), 0.0)
    assert filled.shape == (2, 2) and filled.tolist() == [[0.0, 0.0], [1.0, 2.0]]


# =========================================================================== against PyTorch

_DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


def test_result_type_matches_pytorch_exhaustively():
    torch = pytest.importorskip("torch")

    def both(dtype: str, dims: bool) -> tuple[Any, Any]:
        shape = (2,) if dims else ()
        return (mt.tensor(np.zeros(shape, dtype=dtype)),
                torch.zeros(shape, dtype=getattr(torch, dtype)))

    def name(dtype: Any) -> str:
        return str(dtype).replace("torch.", "")

    for a in _DTYPES:
        for b in _DTYPES:
            assert name(mt.promote_types(getattr(mt, a), getattr(mt, b))) == name(
                torch.promote_types(getattr(torch, a), getattr(torch, b))), (a, b)
            assert mt.can_cast(getattr(mt, a), getattr(mt, b)) == torch.can_cast(
                getattr(torch, a), getattr(torch, b)), (a, b)
            for dims_a in (True, False):
                for dims_b in (True, False):
                    (x, tx), (y, ty) = both(a, dims_a), both(b, dims_b)
                    assert name(mt.result_type(x, y)) == name(torch.result_type(tx, ty)), (
                        a, dims_a, b, dims_b)
        for number in (True, 1, -1, 2.5):
            for dims in (True, False):
                x, tx = both(a, dims)
                assert name(mt.result_type(x, number)) == name(torch.result_type(tx, number))
                assert name(mt.result_type(number, x)) == name(torch.result_type(number, tx))


def test_result_type_table_matches_pytorch():
    torch = pytest.importorskip("torch")

    def torch_operand(spec: Any) -> Any:
        if not isinstance(spec, str):
            return spec
        kind, dtype = spec.split(":")
        return torch.zeros((2,) if kind == "t" else (), dtype=getattr(torch, dtype))

    for a, b, expected in _RESULT_TYPES:
        if isinstance(a, str) or isinstance(b, str):
            actual = torch.result_type(torch_operand(a), torch_operand(b))
            assert str(actual) == f"torch.{expected}", (a, b)


_GRADIENT_CASES = [  # (function of (library, *inputs), inputs)
    *[(fn, [values]) for name, (fn, values, _) in _MASKED.items()
      if name not in _PYTORCH_MULTIPLIES],
    (lambda L, x: x.norm(p=-inf), [[3.0, -1.0, 2.0]]),
    (lambda L, x: x.norm(p=0.5), [[3.0, 0.0, 2.0]]),
    (lambda L, x: x.norm(p=-1), [[3.0, 0.0, 2.0]]),
    (lambda L, x: x.norm(p=3), [[0.0, 0.0]]),
    (lambda L, x: x.norm(p=inf), [[2.0, -2.0, 1.0]]),
    (lambda L, x: x.var(1, correction=3), [[[1.0, 2.0, 4.0], [1.0, 1.0, 1.0]]]),
    (lambda L, x: x.std(correction=4), [[1.0, 2.0, 4.0]]),
    (lambda L, a, b: a**b, [[0.0, 0.0, 0.0, 2.0], [-1.0, 0.0, 2.0, 0.0]]),
    (lambda L, x, low: x.clamp(min=low), [[1.0, 0.0, -1.0], [1.0, 0.0, 0.0]]),
    (lambda L, x, high: x.clamp(max=high), [[1.0, 0.0, 2.0], [1.0, 0.0, 0.0]]),
    (lambda L, x, low, high: x.clamp(low, high), [[1.0, 0.0, 5.0, -5.0],
                                                   [1.0, 0.0, 0.0, 0.0], [2.0, 0.0, 1.0, 1.0]]),
    (lambda L, a, b: a.maximum(b), [[1.0, 2.0, nan], [1.0, 1.0, 0.0]]),
    (lambda L, a, b: a.minimum(b), [[1.0, 2.0, nan], [1.0, 1.0, 0.0]]),
    (lambda L, x: x.max(), [[1.0, nan, nan]]),
    (lambda L, x: x.max(), [[3.0, 1.0, 3.0]]),
    (lambda L, x: x.max(0)[0], [[nan, 5.0, nan]]),
    (lambda L, x: x.amax(), [[1.0, nan, 3.0]]),
    (lambda L, x: x.relu(), [[nan, -1.0, 0.0, 2.0]]),
    (lambda L, x: x.abs(), [[nan, -0.0, 0.0, -2.0]]),
    (lambda L, x: x.sign(), [[nan, -0.0, 0.0, -2.0]]),
    (lambda L, x: x.clamp(0, 1), [[nan, -1.0, 0.0, 1.0]]),
    (lambda L, x: L.nn.functional.elu(x, alpha=2.0), [[0.0, -1.0, 1.0]]),
    (lambda L, x: x.prod(0), [2.0]),
    (lambda L, x: x.prod(1), [np.zeros((2, 0))]),
    (lambda L, x: x.logsumexp(1), [np.zeros((2, 0))]),
    (lambda L, x: x.softmax(1), [np.zeros((2, 0))]),
    (lambda L, x: x.log_softmax(0), [np.zeros((2, 0))]),
]


@pytest.mark.parametrize("index", range(len(_GRADIENT_CASES)))
def test_values_and_gradients_match_pytorch(index):
    torch = pytest.importorskip("torch")
    fn, values = _GRADIENT_CASES[index]
    ours, our_grads = _grads(_ours(fn), *values)
    leaves = [torch.tensor(np.asarray(v, dtype=np.float64), requires_grad=True) for v in values]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch's own notes on degrees of freedom
        out = _first(fn(torch, *leaves))
        theirs = torch.autograd.grad(out.sum(), leaves, allow_unused=True)
    _same(ours, out.detach().numpy())
    for got, want, leaf in zip(our_grads, theirs, leaves):
        _same(got, np.zeros(leaf.shape) if want is None else want.numpy())


def test_double_backward_matches_pytorch():
    torch = pytest.importorskip("torch")
    cases = [
        (lambda x: x.clamp(min=0).sqrt(), [[-1.0, 4.0]]),
        (lambda x: x.relu().sqrt(), [[-1.0, 4.0]]),
        (lambda x: (x * x).amax(1).log(), [[[0.0, 1.0], [2.0, 0.0]]]),
        (lambda x: (x * x).max(1)[0].log(), [[[0.0, 1.0], [2.0, 0.0]]]),
        (lambda x: x.prod(), [[0.0, 2.0, 3.0]]),
        (lambda x: x.prod(1), [[[0.0, 2.0, 3.0], [1.0, 2.0, 0.0]]]),
        (lambda x: x.var(), [[0.0, 2.0, 3.0]]),
        (lambda x: x.norm(p=0.5), [[1.0, 2.0, 3.0]]),
        (lambda x: x.norm(p=-2), [[1.0, 2.0, 3.0]]),
        (lambda x: x.norm(p=3), [[1.0, 2.0, 3.0]]),
        (lambda x: x.norm(p=inf) ** 2, [[1.0, -3.0, 2.0]]),
        (lambda x, low: x.clamp(min=low) ** 3, [[1.0, -1.0, 2.0], [1.0, 0.0, 0.0]]),
        (lambda a, b: a**b, [[2.0, 0.5], [1.0, 3.0]]),
    ]
    for fn, values in cases:
        ours = _second(fn, *values)
        leaves = [torch.tensor(np.asarray(v, dtype=np.float64), requires_grad=True)
                  for v in values]
        grads = torch.autograd.grad(fn(*leaves).sum(), leaves, create_graph=True)
        total = sum(g.sum() for g in grads)
        theirs = torch.autograd.grad(total, leaves, allow_unused=True)
        for got, want, leaf in zip(ours, theirs, leaves):
            _same(got, np.zeros(leaf.shape) if want is None else want.numpy())
    # ELU: PyTorch's second derivative at 0 is 0 (the right branch)
    x = torch.tensor([0.0, -1.0, 1.0], dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(torch.nn.functional.elu(x, 2.0).sum(), x, create_graph=True)
    (gg,) = torch.autograd.grad(g.sum(), x)
    _same(_second(lambda t: mt.nn.functional.elu(t, alpha=2.0), [0.0, -1.0, 1.0])[0], gg.numpy())


def test_errors_match_pytorch():
    torch = pytest.importorskip("torch")
    cases = [
        (lambda lib: lib.tensor([1, 2]) // 0, RuntimeError),
        (lambda lib: lib.tensor([1, 2]) % 0, RuntimeError),
        (lambda lib: lib.tensor([True]) - lib.tensor([False]), RuntimeError),
        (lambda lib: lib.tensor([1.0]) - True, RuntimeError),
        (lambda lib: -lib.tensor([True]), RuntimeError),
        (lambda lib: lib.tensor([1, 2]) ** -1, RuntimeError),
        (lambda lib: lib.tensor([1, 2]).var(), RuntimeError),
        (lambda lib: lib.tensor([1, 2]).std(), RuntimeError),
        (lambda lib: lib.tensor([1, 2]).norm(), RuntimeError),
        (lambda lib: lib.zeros(0, 3).max(0), IndexError),
        (lambda lib: lib.zeros(0, 3).max(), RuntimeError),
        (lambda lib: lib.zeros(0, 3).amax(0), IndexError),
        (lambda lib: lib.zeros(0, 3).argmax(), IndexError),
        (lambda lib: lib.zeros(0).norm(p=inf), RuntimeError),
        (lambda lib: lib.tensor([True]) // lib.tensor([True]), NotImplementedError),
        (lambda lib: lib.masked_fill(lib.tensor([1]), lib.tensor([True]), inf), RuntimeError),
        (lambda lib: lib.tensor([1.0]).clamp(min=lib.tensor([0.0]), max=2.0), TypeError),
        (lambda lib: lib.tensor([True]).relu(), RuntimeError),
    ]
    for fn, error in cases:
        with pytest.raises(error):
            fn(torch)
        with pytest.raises(error):
            fn(mt)
