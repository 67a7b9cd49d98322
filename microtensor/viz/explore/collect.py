"""Collecting what the explorer shows: the graph, the forward order, and a recorded backward pass.

:func:`collect` walks the graph behind an output (the same walk as ``draw_graph``), numbers every
tensor ``t0, t1, ...`` and every op ``op1, op2, ...`` as ``draw_graph`` does, and then runs the
chain rule once more *while writing everything down*:

* the order: ``engine.backward_order`` -- newest node first by recording number, the order the
  engine's loop pops them in, so the page steps through the nodes as ``backward()`` does;
* for each node, the contributions dL/d(output) its consumers sent (a tensor used twice receives
  two, and their sum is what its backward receives), and the gradient it sends to each input,
  after the engine's own ``sum_to_shape`` (undoing broadcasting) and dtype cast.

The recording pass calls each node's ``backward`` exactly as the engine does
(``node.run_backward(grad, create_graph=False)``) but keeps the graph (it frees nothing) and
writes no ``.grad``: exploring changes nothing. It runs no gradient hooks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from microtensor.autograd.engine import as_dtype_of, backward_order, sum_to_shape
from microtensor.autograd.function import FreedTensor
from microtensor.tensor import Tensor
from microtensor.viz.graph import _alive, _flat_inputs, _names_by_id, _ops_inputs_first

__all__ = ["Graph", "OpNode", "TensorNode", "BackwardStep", "collect", "record_modules"]


@dataclass
class TensorNode:
    """A tensor of the graph: ``kind`` is param, input, intermediate or output."""

    id: str
    tensor: Tensor
    kind: str
    name: str | None
    producer: str | None = None  # the op that made it
    consumers: list[str] = field(default_factory=list)
    grad: np.ndarray | None = None  # dL/d(this tensor) from the recorded pass (None: not reached)


@dataclass
class OpNode:
    """An op of the graph; ``inputs`` holds tensor ids, or ``("const", value)`` for constants."""

    id: str
    node: Any
    inputs: list[Any]
    output: str | None = None
    scope: str = ""  # the module it ran in ("" for the top level), e.g. "features.0"


@dataclass
class BackwardStep:
    """One node of the backward pass: what arrived, what its backward sent to each input."""

    op: str
    contributions: list[tuple[str | None, np.ndarray]]  # (consumer op id or None=seed, grad)
    grad: np.ndarray  # their sum: the dL/d(output) this node's backward received
    sent: list[tuple[int, str, np.ndarray]]  # (input position, tensor id, dL/d(input))


@dataclass
class Graph:
    """Everything the page is built from."""

    tensors: dict[str, TensorNode]
    ops: dict[str, OpNode]
    outputs: list[str]
    forward_order: list[str]  # op ids, every op after its inputs' ops
    backward_steps: list[BackwardStep]  # in the engine's order
    engine_order: list[str]  # op ids in ``backward_order`` (skipped nodes included)
    modules: dict[str, str] = field(default_factory=dict)  # scope -> module class name


def collect(
    outputs: list[Tensor],
    params: Mapping[str, Tensor] | Iterable[tuple[str, Tensor]] | None = None,
    scopes: dict[Any, str] | None = None,
) -> Graph:
    """Walk the graph behind ``outputs`` and record one backward pass (see the module doc).

    ``scopes`` maps graph nodes to the module they ran in (from :func:`record_modules`).
    """
    names = _names_by_id(params)
    graph = _walk(outputs, names, scopes or {})
    _record_backward(graph, outputs)
    return graph


# --------------------------------------------------------------------------- the walk
def _walk(outputs: list[Tensor], names: dict[int, str], scopes: dict[Any, str]) -> Graph:
    tensors: dict[str, TensorNode] = {}
    by_object: dict[int, str] = {}
    output_ids = {id(t) for t in outputs}

    def tensor_id(t: Tensor) -> str:
        known = by_object.get(id(t))
        if known is not None:
            return known
        node_id = by_object[id(t)] = f"t{len(tensors)}"
        if id(t) in output_ids:
            kind = "output"
        elif t.grad_fn is not None:
            kind = "intermediate"
        else:
            kind = "param" if t.requires_grad else "input"
        tensors[node_id] = TensorNode(node_id, t, kind, names.get(id(t)))
        return node_id

    ops: dict[str, OpNode] = {}
    op_ids: dict[int, str] = {}
    for number, node in enumerate(_ops_inputs_first(outputs), start=1):
        op = OpNode(f"op{number}", node, [], scope=scopes.get(node, ""))
        op_ids[id(node)] = op.id
        for x in _flat_inputs(node):
            if x is None:
                continue
            x = _alive(x)
            if isinstance(x, Tensor):
                op.inputs.append(tensor_id(x))
                tensors[op.inputs[-1]].consumers.append(op.id)
            else:
                op.inputs.append(("const", x))
        ops[op.id] = op
    for t in outputs:
        tensor_id(t)
    for node in tensors.values():  # link each op to the tensor it made
        producer = node.tensor.grad_fn
        if producer is not None and id(producer) in op_ids:
            node.producer = op_ids[id(producer)]
            ops[node.producer].output = node.id
    return Graph(tensors, ops, [by_object[id(t)] for t in outputs], list(ops), [], [])


# --------------------------------------------------------------------------- the recorded pass
def _record_backward(graph: Graph, outputs: list[Tensor]) -> None:
    """The engine's loop (``engine.propagate``), writing down every gradient instead of
    accumulating into ``.grad``."""
    roots = [t for t in outputs if t.requires_grad]
    op_of_node = {id(op.node): op for op in graph.ops.values()}
    tensor_of = {id(node.tensor): node for node in graph.tensors.values()}
    pending: dict[str, list[tuple[str | None, Any]]] = {}
    for t in roots:
        if t.grad_fn is None:
            tensor_of[id(t)].grad = np.ones(t.shape, dtype=t.dtype)
        else:
            pending.setdefault(op_of_node[id(t.grad_fn)].id, []).append(
                (None, np.ones(t.shape, dtype=t.dtype)))
    received: dict[str, list[Any]] = {}  # leaf tensor id -> its contributions, summed at the end
    with np.errstate(all="ignore"):
        for node in backward_order(roots):
            op = op_of_node[id(node)]
            graph.engine_order.append(op.id)
            contributions = pending.pop(op.id, None)
            if contributions is None:  # no consumer sent a gradient: the engine skips it too
                continue
            grad = _sum(contributions)
            _tensor_of_op(graph, op).grad = grad
            step = BackwardStep(op.id, contributions, grad, [])
            for position, x, g in _input_gradients(node, grad):
                target = tensor_of.get(id(_alive(x)))
                if target is None:
                    continue
                step.sent.append((position, target.id, g))
                if target.producer is None:
                    received.setdefault(target.id, []).append(g)
                else:
                    pending.setdefault(target.producer, []).append((op.id, g))
            graph.backward_steps.append(step)
    for tensor_id, grads in received.items():
        graph.tensors[tensor_id].grad = _sum([(None, g) for g in grads])


def _tensor_of_op(graph: Graph, op: OpNode) -> TensorNode:
    assert op.output is not None, f"{op.node.op_name} has no output tensor in the graph"
    return graph.tensors[op.output]


def _input_gradients(node: Any, grad: Any) -> list[tuple[int, Tensor, np.ndarray]]:
    """dL/d(input) for each input that requires grad, shaped and typed as the engine does."""
    try:
        input_grads = node.run_backward(grad, False)
    except RuntimeError as error:
        if "freed" in str(error) or "second time" in str(error):
            raise RuntimeError(
                "explore: the graph's saved values were freed by an earlier backward(); call "
                "mt.viz.explore(...) before loss.backward(), or call "
                "loss.backward(retain_graph=True)"
            ) from error
        raise
    result = []
    for position, (x, g) in enumerate(zip(node.inputs, input_grads)):
        if g is None or not isinstance(x, Tensor) or not x._requires_grad:
            continue
        g = np.asarray(g)
        if g.shape != x._data.shape or g.dtype != x._data.dtype:
            g = np.asarray(as_dtype_of(sum_to_shape(g, x._data.shape), x))
        result.append((position, x, g))
    return result


def _sum(contributions: list[tuple[Any, Any]]) -> np.ndarray:
    """The sum in arrival order, as the engine adds them (so the floats are the same)."""
    total = contributions[0][1]
    for _, g in contributions[1:]:
        total = total + g
    return np.asarray(total)


# --------------------------------------------------------------------------- module scopes
def record_modules(model: Any, run: Callable[[], Any]
                   ) -> tuple[Any, dict[Any, str], dict[str, str]]:
    """Call ``run()`` with forward hooks on every submodule of ``model``; return its result, the
    module each graph node ran in (the innermost one), and each module's class name.

    A module's nodes are those reachable backwards from its output without passing through its
    inputs. Modules finish innermost first, so a node is claimed by the innermost one.
    """
    scopes: dict[Any, str] = {}
    classes: dict[str, str] = {}
    inputs_of: dict[int, list[tuple[Any, ...]]] = {}
    handles = []

    def before(module: Any, args: tuple[Any, ...]) -> None:
        inputs_of.setdefault(id(module), []).append(args)

    def after_for(name: str) -> Callable[..., None]:
        def after(module: Any, args: tuple[Any, ...], output: Any) -> None:
            stack = inputs_of.get(id(module)) or [args]
            call_inputs = stack.pop()
            _claim(scopes, name, _tensors_in(output), _tensors_in(call_inputs))
        return after

    for name, module in model.named_modules():
        if not name:  # the model itself: its nodes are the top level
            continue
        classes[name] = type(module).__name__
        handles.append(module.register_forward_pre_hook(before))
        handles.append(module.register_forward_hook(after_for(name)))
    try:
        result = run()
    finally:
        for handle in handles:
            handle.remove()
    return result, scopes, classes


def _tensors_in(value: Any) -> list[Tensor]:
    if isinstance(value, Tensor):
        return [value]
    if isinstance(value, list | tuple):
        return [t for item in value for t in _tensors_in(item)]
    if isinstance(value, dict):
        return [t for item in value.values() for t in _tensors_in(item)]
    return []


def _claim(scopes: dict[Any, str], name: str, outputs: list[Tensor], inputs: list[Tensor]) -> None:
    """Give the unclaimed nodes between ``inputs`` and ``outputs`` to module ``name``."""
    boundary = {id(t) for t in inputs}
    stack = [t.grad_fn for t in outputs if t.grad_fn is not None and id(t) not in boundary]
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        scopes.setdefault(node, name)
        for x in _flat_inputs(node):
            if isinstance(x, Tensor) and x.grad_fn is not None and id(x) not in boundary:
                stack.append(x.grad_fn)


def is_freed(t: Tensor) -> bool:
    return isinstance(t, FreedTensor)
