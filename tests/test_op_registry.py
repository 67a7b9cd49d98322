"""Every differentiable op has one home and every check it needs.

The rules (CONTRIBUTING.md, "Adding an op"):

* every ``Op`` subclass lives under ``microtensor/ops/`` and its class name ends in ``Op`` (so
  no op shares a name with an ``nn`` module, which is the layer that calls it);
* it is exercised by a float64 gradcheck case, by a case with a NumPy forward reference, and,
  unless it declares ``supports_double_backward = False``, by a gradgradcheck case;
* an op that saved values for backward refuses a second backward through a freed graph with the
  documented error; one that saved nothing may run again (as in PyTorch).
"""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import microtensor as mt
from microtensor.autograd.function import Op
from tests.gradcheck_cases import Case
from tests.test_gradcheck import ALL_CASES

FREED_ERROR = "backward through the graph a second time"


def all_ops() -> set[type]:
    """Every ``Op`` subclass defined anywhere in the package."""
    for info in pkgutil.walk_packages(mt.__path__, "microtensor."):
        try:
            importlib.import_module(info.name)
        except ImportError:  # optional dependencies (e.g. matplotlib) may be missing
            continue
    found: set[type] = set()
    stack = [Op]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            # (base classes such as ViewOp live in autograd/ and compute nothing themselves)
            if sub.__module__.startswith("microtensor.") and "forward" in vars(sub):
                found.add(sub)
            stack.append(sub)
    return found


def graph_nodes(outputs: object) -> list:
    """Every node of the graph behind ``outputs`` (a tensor or a tuple of them), each once."""
    found = []
    nodes = [o.grad_fn for o in (outputs if isinstance(outputs, tuple) else (outputs,))
             if isinstance(o, mt.Tensor) and o.grad_fn is not None]
    visited: set[int] = set()
    while nodes:
        node = nodes.pop()
        if id(node) in visited:
            continue
        visited.add(id(node))
        found.append(node)
        nodes.extend(x.grad_fn for x in node.inputs
                     if isinstance(x, mt.Tensor) and x.grad_fn is not None)
    return found


def graph_ops(outputs: object) -> set[type]:
    """The op classes in the graph behind ``outputs``."""
    return {type(node) for node in graph_nodes(outputs)}


def ops_of_case(case: Case, with_backward_graph: bool) -> set[type]:
    """The ops a case runs forward, and (optionally) those its recorded backward pass runs."""
    inputs = case.inputs()
    output = case.fn(*inputs)
    found = graph_ops(output)
    if with_backward_graph:  # ops that only appear in recorded backward passes (ScatterAdd)
        outputs = output if isinstance(output, tuple) else (output,)
        targets = [x for x in inputs if isinstance(x, mt.Tensor) and x.requires_grad]
        seeds = [mt.ones_like(o, requires_grad=True) for o in outputs]
        grads = mt.autograd.grad(outputs, targets, seeds, create_graph=True, allow_unused=True)
        found |= graph_ops(tuple(g for g in grads if g is not None))
    return found


OPS = all_ops()


def _names(classes: set[type]) -> list[str]:
    return sorted(f"{cls.__module__}.{cls.__qualname__}" for cls in classes)


def test_the_package_has_ops() -> None:
    assert len(OPS) >= 50  # the enumeration itself works


def test_every_op_lives_under_ops_and_is_named_as_an_op() -> None:
    elsewhere = {cls for cls in OPS if not cls.__module__.startswith("microtensor.ops.")}
    assert not elsewhere, f"ops outside microtensor/ops/: {_names(elsewhere)}"
    misnamed = {cls for cls in OPS if not cls.__name__.endswith("Op")}
    assert not misnamed, f"op class names must end in 'Op': {_names(misnamed)}"
    modules = {name for name in dir(mt.nn) if isinstance(getattr(mt.nn, name), type)}
    clashes = {cls for cls in OPS if cls.__name__ in modules}
    assert not clashes, f"op classes named like nn modules: {_names(clashes)}"


def test_every_op_has_a_gradcheck() -> None:
    exercised = set().union(*(ops_of_case(c, c.double) for c in ALL_CASES))
    missing = OPS - exercised
    assert not missing, f"these ops have no gradcheck case: {_names(missing)}"


def test_every_op_has_a_forward_check_against_numpy() -> None:
    exercised = set().union(*(ops_of_case(c, False) for c in ALL_CASES if c.reference))
    # ScatterAdd exists only inside recorded backward passes: checked against GetItem's adjoint
    missing = {cls for cls in OPS - exercised if cls.__name__ != "ScatterAddOp"}
    assert not missing, f"these ops have no case with a NumPy reference: {_names(missing)}"


def test_every_op_that_supports_it_has_a_gradgradcheck() -> None:
    exercised = set().union(*(ops_of_case(c, True) for c in ALL_CASES if c.double))
    missing = {cls for cls in OPS - exercised if cls.supports_double_backward}
    assert not missing, (f"these ops support double backward but have no gradgradcheck case: "
                         f"{_names(missing)}")


def test_ops_without_double_backward_say_so() -> None:
    first_order = {cls for cls in OPS if not cls.supports_double_backward}
    for case in ALL_CASES:
        ops = ops_of_case(case, False)
        if not ops & first_order:
            continue
        inputs = case.inputs()
        output = case.fn(*inputs)
        output = output[0] if isinstance(output, tuple) else output
        with pytest.raises(NotImplementedError, match="supports first-order gradients only"):
            mt.autograd.grad(output.sum(), [x for x in inputs if isinstance(x, mt.Tensor)],
                             create_graph=True)


@pytest.mark.parametrize("case", ALL_CASES, ids=repr)
def test_a_second_backward_through_a_freed_graph(case: Case) -> None:
    inputs = case.inputs()
    output = case.fn(*inputs)
    output = output[0] if isinstance(output, tuple) else output
    loss = output.sum() if output.ndim else output
    # did any node of the graph save values for its backward?
    saved_anything = any(node.saved for node in graph_nodes(loss))
    loss.backward()
    if saved_anything:
        with pytest.raises(RuntimeError, match=FREED_ERROR) as error:
            loss.backward()
        assert "retain_graph=True" in str(error.value)
    else:  # nothing was freed: PyTorch runs such a graph again, and so do we
        first = [x.grad.numpy().copy() for x in inputs if isinstance(x, mt.Tensor)]
        loss.backward()
        again = [x.grad.numpy() for x in inputs if isinstance(x, mt.Tensor)]
        for g1, g2 in zip(first, again):
            assert (g2 == 2 * g1).all()


def test_the_documented_freed_graph_error_for_ops_that_read_saved_masks() -> None:
    # the reproduction of the issue: relu read ctx.saved directly and crashed with a TypeError
    x = mt.tensor([1.0, -2.0], requires_grad=True)
    for make in (lambda t: t.relu().sum(), lambda t: t.max(dim=0).values,
                 lambda t: t.amax(), lambda t: mt.maximum(t, t * 2).sum(),
                 lambda t: mt.where(t > 0, t, 0.0).sum(),
                 lambda t: mt.nn.functional.leaky_relu(t).sum(),
                 lambda t: mt.nn.functional.l1_loss(t, t.detach() * 2)):
        y = make(x)
        y.backward()
        with pytest.raises(RuntimeError, match=FREED_ERROR):
            y.backward()


def test_setitem_graph_refuses_a_second_backward() -> None:
    x = mt.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 1
    y[0] = x[1] * 3
    loss = (y * y).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match=FREED_ERROR):
        loss.backward()
