"""Gradient checks (float64 central differences) of every differentiable primitive.

Cases come from ``GRADCHECK_CASES`` in every test module; ``tests/test_op_registry.py`` fails
when an ``Op`` subclass of the package is not exercised by the checks it needs.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import microtensor as mt
from microtensor.autograd.function import Function
from tests.gradcheck_cases import Case

TESTS = Path(__file__).parent


def _load_cases() -> list[Case]:
    cases: list[Case] = []
    for path in sorted(TESTS.glob("test_*.py")):
        if "GRADCHECK_CASES =" not in path.read_text():
            continue
        if path.name == "test_gradcheck.py":
            module = globals()
        else:
            spec = importlib.util.spec_from_file_location(f"_cases_{path.stem}", path)
            loaded = importlib.util.module_from_spec(spec)
            try:
                spec.loader.exec_module(loaded)
            except pytest.skip.Exception:
                continue
            module = vars(loaded)
        cases.extend(module.get("GRADCHECK_CASES", []))
    return cases


def _shape_cases() -> list[Case]:
    return [
        Case("reshape", lambda x: x.reshape(3, 4), [(2, 6)],
             reference=lambda x: np.reshape(x, (3, 4))),
        Case("view_-1", lambda x: x.view(-1, 2), [(2, 3, 2)],
             reference=lambda x: np.reshape(x, (6, 2))),
        Case("flatten", lambda x: x.flatten(1), [(2, 3, 2)],
             reference=lambda x: np.reshape(x, (2, 6))),
        Case("unsqueeze_squeeze", lambda x: x.unsqueeze(1).squeeze(), [(3, 4)],
             reference=lambda x: np.squeeze(np.expand_dims(x, 1))),
        Case("transpose", lambda x: x.transpose(0, 2) * 1.5, [(2, 3, 4)],
             reference=lambda x: np.swapaxes(x, 0, 2) * 1.5),
        Case("permute", lambda x: x.permute(2, 0, 1), [(2, 3, 4)],
             reference=lambda x: np.transpose(x, (2, 0, 1))),
        Case("T", lambda x: x.T, [(2, 3)], reference=np.transpose),
        Case("expand", lambda x: x.expand(2, 3, 4), [(3, 1)],
             reference=lambda x: np.broadcast_to(x, (2, 3, 4))),
        Case("repeat", lambda x: x.repeat(2, 1, 3), [(3, 2)],
             reference=lambda x: np.tile(x, (2, 1, 3))),
        Case("getitem_slice", lambda x: x[1:, ::2], [(3, 5)], reference=lambda x: x[1:, ::2]),
        Case("getitem_int_none_ellipsis", lambda x: x[0, None, ..., 1], [(2, 3, 4)],
             reference=lambda x: x[0][None, :, 1]),
        Case("getitem_repeated_indices", lambda x: x[np.array([0, 2, 0, 0])], [(3, 2)],
             reference=lambda x: np.stack([x[0], x[2], x[0], x[0]])),
        Case("getitem_negative_step_like", lambda x: x[[2, 1, 0]], [(3, 2)],
             reference=lambda x: x[::-1]),
        Case("getitem_bool_mask", lambda x: x[x.detach() > 0], [(4, 3)],
             reference=lambda x: x[x > 0]),
        Case("getitem_two_arrays", lambda x: x[np.array([0, 1, 1]), np.array([2, 0, 2])],
             [(2, 3)], reference=lambda x: np.array([x[0, 2], x[1, 0], x[1, 2]])),
        Case("setitem", _setitem, [(3, 4), (4,)], reference=_setitem_reference),
        Case("cat", lambda a, b: mt.cat([a, b, a], dim=1), [(2, 3), (2, 1)],
             reference=lambda a, b: np.concatenate([a, b, a], axis=1)),
        Case("stack", lambda a, b: mt.stack([a, b], dim=-1), [(2, 3), (2, 3)],
             reference=lambda a, b: np.stack([a, b], axis=-1)),
        Case("split", lambda x: mt.split(x, [1, 3], dim=1)[1] * 2, [(2, 4)],
             reference=lambda x: np.split(x, [1], axis=1)[1] * 2),
        # chunk(3) of 7 rows: chunks of ceil(7/3) = 3 rows, so the third is the last row alone
        Case("chunk", lambda x: x.chunk(3)[2], [(7, 2)], reference=lambda x: x[6:7]),
        Case("pad_constant", lambda x: mt.nn_pad(x, (1, 2)) if hasattr(mt, "nn_pad") else
             _pad(x, (1, 2, 0, 1)), [(2, 3)],
             reference=lambda x: np.pad(x, ((0, 1), (1, 2)), constant_values=0.5)),
        Case("pad_reflect", lambda x: _pad(x, (2, 1), mode="reflect"), [(2, 4)],
             reference=lambda x: np.pad(x, ((0, 0), (2, 1)), mode="reflect")),
        Case("pad_replicate", lambda x: _pad(x, (2, 2, 1, 0), mode="replicate"), [(2, 3)],
             reference=lambda x: np.pad(x, ((1, 0), (2, 2)), mode="edge")),
        Case("pad_circular", lambda x: _pad(x, (1, 2), mode="circular"), [(2, 3)],
             reference=lambda x: np.pad(x, ((0, 0), (1, 2)), mode="wrap")),
        Case("clone_cast", lambda x: x.clone().to(mt.float32) * 0 + x.clone(), [(3,)],
             reference=lambda x: x.astype(np.float32) * np.float32(0) + x),
    ]


def _pad(x, pad, mode="constant"):
    from microtensor.ops.shape import pad as pad_fn

    return pad_fn(x, pad, mode=mode, value=0.5)


def _setitem(x, v):
    y = x * 1.0
    y[1] = v
    y[0, 1:3] = v[:2] * 2
    return y


def _setitem_reference(x, v):
    y = x.copy()
    y[1] = v
    y[0, 1:3] = v[:2] * 2
    return y


def _np_softmax(a, axis):
    e = np.exp(a - np.max(a, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


# an exponent tensor with exact zeros, differentiated too (a fixed tensor: random draws never
# give 0); and a mask that puts exact zeros into a product
_ZERO_EXPONENTS = mt.tensor([0.0, 0.0, 1.5], dtype=mt.float64, requires_grad=True)
_ZEROS_MASK = mt.tensor([[0.0, 1.0, 1.0], [0.0, 1.0, 0.0]], dtype=mt.float64)


def _elementwise_cases() -> list[Case]:
    return [
        Case("add_broadcast", lambda a, b: a + b, [(2, 3, 4), (3, 1)], reference=np.add),
        Case("add_scalar", lambda a: 2.5 + a, [(3,)], reference=lambda a: 2.5 + a),
        Case("sub_broadcast", lambda a, b: a - b, [(4, 1), (1, 3)], reference=np.subtract),
        Case("rsub", lambda a: 1 - a, [(3,)], reference=lambda a: 1 - a),
        Case("mul_broadcast", lambda a, b: a * b, [(2, 3), (3,)], reference=np.multiply),
        Case("mul_self", lambda a: a * a, [(3, 2)], reference=np.square),
        Case("div_broadcast", lambda a, b: a / b, [(2, 3), (2, 1)], positive=True,
             reference=np.divide),
        Case("rdiv", lambda a: 1.5 / a, [(3,)], positive=True, reference=lambda a: 1.5 / a),
        Case("neg", lambda a: -a, [(3,)], reference=np.negative),
        Case("pow_scalar", lambda a: a**3, [(3, 2)], reference=lambda a: a * a * a),
        Case("pow_square", lambda a: a**2, [(3,)], reference=np.square),
        Case("pow_fractional", lambda a: a**1.5, [(3,)], positive=True,
             reference=lambda a: np.power(a, 1.5)),
        Case("pow_tensor", lambda a, b: a**b, [(2, 3), (3,)], positive=True,
             reference=np.power),
        # exponents exactly 0: there d²(a**b)/(da db) = 1/a (it used to come out as 1)
        Case("pow_tensor_zero_exponent", lambda a, b: a**b, [(3,), _ZERO_EXPONENTS],
             positive=True, reference=np.power),
        Case("rpow", lambda b: 2.0**b, [(3,)], reference=np.exp2),
        Case("exp", lambda a: a.exp(), [(2, 3)], reference=np.exp),
        Case("log", lambda a: a.log(), [(2, 3)], positive=True, reference=np.log),
        Case("sqrt", lambda a: a.sqrt(), [(2, 3)], positive=True, reference=np.sqrt),
        Case("abs", lambda a: a.abs(), [(2, 3)], reference=np.abs),
        Case("sign", lambda a: a.sign() * a, [(2, 3)], reference=lambda a: np.sign(a) * a),
        Case("sin", lambda a: a.sin(), [(4,)], reference=np.sin),
        Case("cos", lambda a: a.cos(), [(4,)], reference=np.cos),
        Case("tanh", lambda a: a.tanh(), [(4,)], reference=np.tanh),
        Case("sigmoid", lambda a: a.sigmoid(), [(4,)], reference=lambda a: 1 / (1 + np.exp(-a))),
        Case("relu", lambda a: a.relu(), [(5,)], distinct=True,
             reference=lambda a: np.maximum(a, 0.0)),
        Case("clamp", lambda a: a.clamp(-0.5, 0.7), [(6,)], distinct=True,
             reference=lambda a: np.clip(a, -0.5, 0.7)),
        Case("clamp_min_only", lambda a: a.clamp(min=0.3), [(6,)], distinct=True,
             reference=lambda a: np.maximum(a, 0.3)),
        Case("clamp_tensor_bounds", lambda a, lo, hi: a.clamp(lo, hi), [(3, 4), (4,), (3, 1)],
             distinct=True, reference=lambda a, lo, hi: np.minimum(np.maximum(a, lo), hi)),
        Case("clamp_tensor_min", lambda a, lo: mt.clamp(a, min=lo), [(3, 4), (4,)],
             distinct=True, reference=np.maximum),
        Case("clamp_tensor_max", lambda a, hi: mt.clamp(a, max=hi), [(3, 4), (3, 1)],
             distinct=True, reference=np.minimum),
        Case("maximum", lambda a, b: mt.maximum(a, b), [(2, 3), (3,)], reference=np.maximum),
        Case("minimum", lambda a, b: mt.minimum(a, b), [(2, 3), (2, 1)], reference=np.minimum),
        Case("where", lambda a, b: mt.where(a.detach() > 0, a, b), [(2, 3), (3,)],
             reference=lambda a, b: np.where(a > 0, a, b)),
        Case("masked_fill", lambda a: a.masked_fill(a.detach() < 0, 0.5), [(2, 3)],
             reference=lambda a: np.where(a < 0, 0.5, a)),
    ]


def _reduce_cases() -> list[Case]:
    return [
        Case("sum_all", lambda a: a.sum(), [(2, 3)], reference=np.sum),
        Case("sum_dim_keepdim", lambda a: a.sum(dim=1, keepdim=True), [(2, 3, 2)],
             reference=lambda a: np.sum(a, axis=1, keepdims=True)),
        Case("sum_dims_negative", lambda a: a.sum(dim=(0, -1)), [(2, 3, 2)],
             reference=lambda a: np.sum(a, axis=(0, 2))),
        Case("mean_all", lambda a: a.mean(), [(2, 3)], reference=np.mean),
        Case("mean_dim", lambda a: a.mean(-1), [(2, 3)], reference=lambda a: np.mean(a, axis=-1)),
        Case("max_all", lambda a: a.max(), [(2, 3)], distinct=True, reference=np.max),
        Case("max_dim", lambda a: a.max(dim=1).values, [(3, 4)], distinct=True,
             reference=lambda a: np.max(a, axis=1)),
        Case("min_dim_keepdim", lambda a: a.min(0, keepdim=True)[0], [(3, 4)], distinct=True,
             reference=lambda a: np.min(a, axis=0, keepdims=True)),
        Case("amax_dims", lambda a: a.amax(dim=(0, 2)), [(2, 3, 2)], distinct=True,
             reference=lambda a: np.max(a, axis=(0, 2))),
        Case("amin", lambda a: a.amin(1), [(2, 3)], distinct=True,
             reference=lambda a: np.min(a, axis=1)),
        Case("var", lambda a: a.var(1), [(3, 4)], reference=lambda a: np.var(a, axis=1, ddof=1)),
        Case("var_correction0", lambda a: a.var(correction=0), [(3, 4)], reference=np.var),
        Case("std", lambda a: a.std(0, keepdim=True), [(4, 3)],
             reference=lambda a: np.std(a, axis=0, ddof=1, keepdims=True)),
        Case("logsumexp", lambda a: a.logsumexp(1), [(3, 4)],
             reference=lambda a: np.log(np.sum(np.exp(a), axis=1))),
        Case("logsumexp_dims", lambda a: mt.logsumexp(a, (0, 1), keepdim=True), [(3, 4)],
             reference=lambda a: np.log(np.sum(np.exp(a), axis=(0, 1), keepdims=True))),
        Case("softmax", lambda a: a.softmax(-1), [(3, 4)], reference=lambda a: _np_softmax(a, 1)),
        Case("softmax_dim0", lambda a: mt.softmax(a, 0), [(3, 4)],
             reference=lambda a: _np_softmax(a, 0)),
        Case("log_softmax", lambda a: a.log_softmax(1), [(3, 4)],
             reference=lambda a: np.log(_np_softmax(a, 1))),
        Case("prod_dim", lambda a: a.prod(1), [(3, 4)],
             reference=lambda a: a[:, 0] * a[:, 1] * a[:, 2] * a[:, 3]),
        Case("prod_all", lambda a: a.prod(), [(2, 3)], reference=np.prod),
        Case("prod_with_zero", lambda a: (a * mt.tensor([0.0, 1.0, 1.0],
                                                        dtype=mt.float64)).prod(), [(3,)],
             reference=lambda a: np.prod(a * np.array([0.0, 1.0, 1.0]))),
        Case("prod_dim_with_zeros", lambda a: (a * _ZEROS_MASK).prod(1), [(2, 3)],
             reference=lambda a: np.prod(a * _ZEROS_MASK.numpy(), axis=1)),
        Case("norm2", lambda a: a.norm(), [(2, 3)], reference=lambda a: np.sqrt(np.sum(a * a))),
        Case("norm1_dim", lambda a: a.norm(p=1, dim=1), [(2, 3)],
             reference=lambda a: np.sum(np.abs(a), axis=1)),
        Case("norm3", lambda a: a.norm(p=3), [(2, 3)],
             reference=lambda a: np.sum(np.abs(a) ** 3) ** (1 / 3)),
        Case("norm_half_dim", lambda a: a.norm(p=0.5, dim=1), [(2, 3)],
             reference=lambda a: np.sum(np.abs(a) ** 0.5, axis=1) ** 2),
        Case("norm_negative", lambda a: a.norm(p=-1.5, dim=0, keepdim=True), [(2, 3)],
             reference=lambda a: np.sum(np.abs(a) ** -1.5, axis=0, keepdims=True) ** (-1 / 1.5)),
        Case("norm_inf", lambda a: a.norm(p=float("inf"), dim=1), [(2, 3)], distinct=True,
             reference=lambda a: np.max(np.abs(a), axis=1)),
        Case("norm_minus_inf", lambda a: a.norm(p=float("-inf")), [(2, 3)], distinct=True,
             reference=lambda a: np.min(np.abs(a))),
        Case("norm0", lambda a: a.norm(p=0, dim=0) * a.sum(), [(2, 3)],
             reference=lambda a: np.sum(a != 0, axis=0) * np.sum(a)),
    ]


def _linalg_cases() -> list[Case]:
    return [
        Case("matmul_2d", lambda a, b: a @ b, [(3, 4), (4, 2)], reference=np.matmul),
        Case("matmul_batched", lambda a, b: a @ b, [(2, 3, 4), (2, 4, 5)], reference=np.matmul),
        Case("matmul_broadcast_batch", lambda a, b: a @ b, [(2, 1, 3, 4), (3, 4, 2)],
             reference=np.matmul),
        Case("matmul_batch_times_matrix", lambda a, b: a @ b, [(2, 3, 4), (4, 2)],
             reference=np.matmul),
        Case("matmul_vec_vec", lambda a, b: a @ b, [(4,), (4,)], reference=np.matmul),
        Case("matmul_vec_mat", lambda a, b: a @ b, [(4,), (4, 3)], reference=np.matmul),
        Case("matmul_mat_vec", lambda a, b: mt.matmul(a, b), [(2, 3, 4), (4,)],
             reference=np.matmul),
    ]


def _custom_function_cases() -> list[Case]:
    return [Case("custom_function_cube", lambda x: Cube.apply(x), [(3,)],
                 reference=lambda x: x * x * x)]


class Cube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x**2


GRADCHECK_CASES = (_elementwise_cases() + _reduce_cases() + _shape_cases() + _linalg_cases()
                   + _custom_function_cases())
ALL_CASES = _load_cases()


@pytest.mark.parametrize("case", ALL_CASES, ids=repr)
def test_gradcheck(case: Case) -> None:
    assert mt.autograd.gradcheck(case.fn, case.inputs(), **case.kwargs)


@pytest.mark.parametrize("case", [c for c in ALL_CASES if c.double], ids=repr)
def test_gradgradcheck(case: Case) -> None:
    assert mt.autograd.gradgradcheck(case.fn, case.inputs(), **case.kwargs)


def test_gradcheck_reports_the_wrong_element() -> None:
    class BadSquare(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            wrong = x.detach().clone()
            wrong[1] = 0.0  # element 1 gets a wrong derivative
            return grad * 2 * wrong

    x = mt.tensor([1.0, 2.0, 3.0], dtype=mt.float64, requires_grad=True)
    with pytest.raises(mt.autograd.GradcheckError, match=r"input 0 .*element \(1,\).*numerical 4"):
        mt.autograd.gradcheck(BadSquare.apply, (x,))
    assert mt.autograd.gradcheck(BadSquare.apply, (x,), raise_exception=False) is False


def test_gradcheck_requires_float64() -> None:
    x = mt.randn(3, requires_grad=True)
    with pytest.raises(ValueError, match="float64"):
        mt.autograd.gradcheck(lambda t: t * 2, (x,))


@pytest.mark.parametrize("case", [c for c in ALL_CASES if c.reference is not None], ids=repr)
def test_forward_matches_numpy_reference(case: Case) -> None:
    inputs = case.inputs()
    ours = case.fn(*inputs)
    expected = case.reference(*case.reference_arrays(inputs))
    ours = ours if isinstance(ours, tuple) else (ours,)
    expected = expected if isinstance(expected, tuple) else (expected,)
    assert len(ours) == len(expected)
    for value, want in zip(ours, expected):
        want = np.asarray(want)
        assert value.shape == want.shape, (value.shape, want.shape)
        np.testing.assert_allclose(value.detach().numpy(), want, rtol=1e-10, atol=1e-12)
