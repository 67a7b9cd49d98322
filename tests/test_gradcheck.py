"""Gradient checks (float64 central differences) of every differentiable primitive.

Cases come from ``GRADCHECK_CASES`` in every test module; ``test_every_primitive_is_checked``
fails when an ``Op`` subclass of the package is not exercised by any case.
"""

from __future__ import annotations

import importlib.util
import pkgutil
from pathlib import Path

import numpy as np
import pytest

import microtensor as mt
from microtensor.autograd.function import Function, Op
from tests.gradcheck_cases import Case

TESTS = Path(__file__).parent


def _load_cases() -> list[Case]:
    cases: list[Case] = []
    for path in sorted(TESTS.glob("test_*.py")):
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


def _import_all_ops() -> set[type]:
    import microtensor

    for info in pkgutil.walk_packages(microtensor.__path__, "microtensor."):
        try:
            importlib.import_module(info.name)
        except ImportError:  # optional dependencies (e.g. matplotlib) may be missing
            continue
    found: set[type] = set()
    stack = [Op]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            if sub.__module__.startswith("microtensor."):
                found.add(sub)
            stack.append(sub)
    return found


def _op_types(output: object) -> set[type]:
    seen: set[type] = set()
    nodes = [o.grad_fn for o in (output if isinstance(output, tuple) else (output,))
             if isinstance(o, mt.Tensor) and o.grad_fn is not None]
    visited = set()
    while nodes:
        node = nodes.pop()
        if id(node) in visited:
            continue
        visited.add(id(node))
        seen.add(type(node))
        nodes.extend(x.grad_fn for x in node.inputs
                     if isinstance(x, mt.Tensor) and x.grad_fn is not None)
    return seen


def _shape_cases() -> list[Case]:
    return [
        Case("reshape", lambda x: x.reshape(3, 4), [(2, 6)]),
        Case("view_-1", lambda x: x.view(-1, 2), [(2, 3, 2)]),
        Case("flatten", lambda x: x.flatten(1), [(2, 3, 2)]),
        Case("unsqueeze_squeeze", lambda x: x.unsqueeze(1).squeeze(), [(3, 4)]),
        Case("transpose", lambda x: x.transpose(0, 2) * 1.5, [(2, 3, 4)]),
        Case("permute", lambda x: x.permute(2, 0, 1), [(2, 3, 4)]),
        Case("T", lambda x: x.T, [(2, 3)]),
        Case("expand", lambda x: x.expand(2, 3, 4), [(3, 1)]),
        Case("repeat", lambda x: x.repeat(2, 1, 3), [(3, 2)]),
        Case("getitem_slice", lambda x: x[1:, ::2], [(3, 5)]),
        Case("getitem_int_none_ellipsis", lambda x: x[0, None, ..., 1], [(2, 3, 4)]),
        Case("getitem_repeated_indices", lambda x: x[np.array([0, 2, 0, 0])], [(3, 2)]),
        Case("getitem_negative_step_like", lambda x: x[[2, 1, 0]], [(3, 2)]),
        Case("getitem_bool_mask", lambda x: x[x.detach() > 0], [(4, 3)]),
        Case("getitem_two_arrays", lambda x: x[np.array([0, 1, 1]), np.array([2, 0, 2])],
             [(2, 3)]),
        Case("setitem", _setitem, [(3, 4), (4,)]),
        Case("cat", lambda a, b: mt.cat([a, b, a], dim=1), [(2, 3), (2, 1)]),
        Case("stack", lambda a, b: mt.stack([a, b], dim=-1), [(2, 3), (2, 3)]),
        Case("split", lambda x: mt.split(x, [1, 3], dim=1)[1] * 2, [(2, 4)]),
        Case("chunk", lambda x: x.chunk(3)[2], [(7, 2)]),
        Case("pad_constant", lambda x: mt.nn_pad(x, (1, 2)) if hasattr(mt, "nn_pad") else
             _pad(x, (1, 2, 0, 1)), [(2, 3)]),
        Case("pad_reflect", lambda x: _pad(x, (2, 1), mode="reflect"), [(2, 4)]),
        Case("pad_replicate", lambda x: _pad(x, (2, 2, 1, 0), mode="replicate"), [(2, 3)]),
        Case("pad_circular", lambda x: _pad(x, (1, 2), mode="circular"), [(2, 3)]),
        Case("clone_cast", lambda x: x.clone().to(mt.float32) * 0 + x.clone(), [(3,)]),
    ]


def _pad(x, pad, mode="constant"):
    from microtensor.ops.shape import pad as pad_fn

    return pad_fn(x, pad, mode=mode, value=0.5)


def _setitem(x, v):
    y = x * 1.0
    y[1] = v
    y[0, 1:3] = v[:2] * 2
    return y


def _elementwise_cases() -> list[Case]:
    return [
        Case("add_broadcast", lambda a, b: a + b, [(2, 3, 4), (3, 1)]),
        Case("add_scalar", lambda a: 2.5 + a, [(3,)]),
        Case("sub_broadcast", lambda a, b: a - b, [(4, 1), (1, 3)]),
        Case("rsub", lambda a: 1 - a, [(3,)]),
        Case("mul_broadcast", lambda a, b: a * b, [(2, 3), (3,)]),
        Case("mul_self", lambda a: a * a, [(3, 2)]),
        Case("div_broadcast", lambda a, b: a / b, [(2, 3), (2, 1)], positive=True),
        Case("rdiv", lambda a: 1.5 / a, [(3,)], positive=True),
        Case("neg", lambda a: -a, [(3,)]),
        Case("pow_scalar", lambda a: a**3, [(3, 2)]),
        Case("pow_square", lambda a: a**2, [(3,)]),
        Case("pow_fractional", lambda a: a**1.5, [(3,)], positive=True),
        Case("pow_tensor", lambda a, b: a**b, [(2, 3), (3,)], positive=True),
        Case("rpow", lambda b: 2.0**b, [(3,)]),
        Case("exp", lambda a: a.exp(), [(2, 3)]),
        Case("log", lambda a: a.log(), [(2, 3)], positive=True),
        Case("sqrt", lambda a: a.sqrt(), [(2, 3)], positive=True),
        Case("abs", lambda a: a.abs(), [(2, 3)]),
        Case("sign", lambda a: a.sign() * a, [(2, 3)]),
        Case("sin", lambda a: a.sin(), [(4,)]),
        Case("cos", lambda a: a.cos(), [(4,)]),
        Case("tanh", lambda a: a.tanh(), [(4,)]),
        Case("sigmoid", lambda a: a.sigmoid(), [(4,)]),
        Case("relu", lambda a: a.relu(), [(5,)], distinct=True),
        Case("clamp", lambda a: a.clamp(-0.5, 0.7), [(6,)], distinct=True),
        Case("clamp_min_only", lambda a: a.clamp(min=0.3), [(6,)], distinct=True),
        Case("maximum", lambda a, b: mt.maximum(a, b), [(2, 3), (3,)]),
        Case("minimum", lambda a, b: mt.minimum(a, b), [(2, 3), (2, 1)]),
        Case("where", lambda a, b: mt.where(a.detach() > 0, a, b), [(2, 3), (3,)]),
        Case("masked_fill", lambda a: a.masked_fill(a.detach() < 0, 0.5), [(2, 3)]),
    ]


def _reduce_cases() -> list[Case]:
    return [
        Case("sum_all", lambda a: a.sum(), [(2, 3)]),
        Case("sum_dim_keepdim", lambda a: a.sum(dim=1, keepdim=True), [(2, 3, 2)]),
        Case("sum_dims_negative", lambda a: a.sum(dim=(0, -1)), [(2, 3, 2)]),
        Case("mean_all", lambda a: a.mean(), [(2, 3)]),
        Case("mean_dim", lambda a: a.mean(-1), [(2, 3)]),
        Case("max_all", lambda a: a.max(), [(2, 3)], distinct=True),
        Case("max_dim", lambda a: a.max(dim=1).values, [(3, 4)], distinct=True),
        Case("min_dim_keepdim", lambda a: a.min(0, keepdim=True)[0], [(3, 4)], distinct=True),
        Case("amax_dims", lambda a: a.amax(dim=(0, 2)), [(2, 3, 2)], distinct=True),
        Case("amin", lambda a: a.amin(1), [(2, 3)], distinct=True),
        Case("var", lambda a: a.var(1), [(3, 4)]),
        Case("var_correction0", lambda a: a.var(correction=0), [(3, 4)]),
        Case("std", lambda a: a.std(0, keepdim=True), [(4, 3)]),
        Case("logsumexp", lambda a: a.logsumexp(1), [(3, 4)]),
        Case("logsumexp_dims", lambda a: mt.logsumexp(a, (0, 1), keepdim=True), [(3, 4)]),
        Case("softmax", lambda a: a.softmax(-1), [(3, 4)]),
        Case("softmax_dim0", lambda a: mt.softmax(a, 0), [(3, 4)]),
        Case("log_softmax", lambda a: a.log_softmax(1), [(3, 4)]),
        Case("prod_dim", lambda a: a.prod(1), [(3, 4)]),
        Case("prod_all", lambda a: a.prod(), [(2, 3)]),
        Case("prod_with_zero", lambda a: (a * mt.tensor([0.0, 1.0, 1.0],
                                                        dtype=mt.float64)).prod(), [(3,)],
             double=False),
        Case("norm2", lambda a: a.norm(), [(2, 3)]),
        Case("norm1_dim", lambda a: a.norm(p=1, dim=1), [(2, 3)]),
        Case("norm3", lambda a: a.norm(p=3), [(2, 3)]),
    ]


def _linalg_cases() -> list[Case]:
    return [
        Case("matmul_2d", lambda a, b: a @ b, [(3, 4), (4, 2)]),
        Case("matmul_batched", lambda a, b: a @ b, [(2, 3, 4), (2, 4, 5)]),
        Case("matmul_broadcast_batch", lambda a, b: a @ b, [(2, 1, 3, 4), (3, 4, 2)]),
        Case("matmul_batch_times_matrix", lambda a, b: a @ b, [(2, 3, 4), (4, 2)]),
        Case("matmul_vec_vec", lambda a, b: a @ b, [(4,), (4,)]),
        Case("matmul_vec_mat", lambda a, b: a @ b, [(4,), (4, 3)]),
        Case("matmul_mat_vec", lambda a, b: mt.matmul(a, b), [(2, 3, 4), (4,)]),
    ]


def _custom_function_cases() -> list[Case]:
    return [Case("custom_function_cube", lambda x: Cube.apply(x), [(3,)])]


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


def test_every_primitive_is_checked() -> None:
    exercised: set[type] = set()
    for case in ALL_CASES:
        inputs = case.inputs()
        output = case.fn(*inputs)
        exercised |= _op_types(output)
        if case.double:  # ops that only appear in recorded backward passes (e.g. ScatterAdd)
            outputs = output if isinstance(output, tuple) else (output,)
            targets = [x for x in inputs if isinstance(x, mt.Tensor) and x.requires_grad]
            seeds = [mt.ones_like(o, requires_grad=True) for o in outputs]
            grads = mt.autograd.grad(outputs, targets, seeds, create_graph=True,
                                     allow_unused=True)
            exercised |= _op_types(tuple(g for g in grads if g is not None))
    missing = sorted(cls.__qualname__ for cls in _import_all_ops() - exercised)
    assert not missing, f"these primitives have no gradcheck case: {missing}"


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
