"""The backward pass: reverse-mode automatic differentiation over the recorded graph.

The graph is made of nodes (``grad_fn``, one per op result); each node knows its ``inputs``.
Backpropagation from a loss L applies the chain rule node by node, in an order where a node runs
only once *all* its consumers have sent their contribution dL/d(output):

1. Walk the graph from the roots and count, for every node, how many consumers it has.
2. Start with the roots' gradients (dL/dL = 1 for a scalar loss). Pop a node whose count reached
   zero, call its ``backward`` to turn dL/d(output) into dL/d(input) for each input, and add each
   of those into the input's pending gradient (a tensor used twice receives the *sum*, which is
   the multivariate chain rule). Every input node whose count drops to zero becomes ready.
3. Gradients that reach leaves (tensors created by the user, with ``requires_grad=True``)
   accumulate into ``leaf.grad``.

Both walks are iterative (explicit stacks), so a chain of 100,000 ops needs no recursion.

Broadcasting is undone in one place, here: if ``x`` of shape (3, 1) was broadcast to (2, 3, 4) by
an op, the gradient arriving for ``x`` has shape (2, 3, 4) and is summed over the broadcast axes
(``sum_to_shape``), because each element of ``x`` was used once per broadcast copy.

In the first-order case gradients are NumPy arrays. With ``create_graph=True`` they are Tensors
and the backward formulas are recorded too, so the result can be differentiated again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from microtensor.autograd.function import Function
from microtensor.autograd.grad_mode import grad_state
from microtensor.tensor import Tensor


def sum_to_shape(grad: Any, shape: tuple[int, ...]) -> Any:
    """Undo broadcasting: sum ``grad`` over the axes along which ``shape`` was broadcast.

    Works on arrays and on Tensors (both have ``.sum(axis=..., keepdims=...)`` and ``.reshape``).
    """
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra < 0:  # a gradient with fewer dims than its input: broadcast it up (rare)
        return grad.reshape((1,) * -extra + tuple(grad.shape)) + np.zeros(shape, grad.dtype)
    axes = tuple(range(extra)) + tuple(
        extra + i for i, size in enumerate(shape) if size == 1 and grad.shape[extra + i] != 1
    )
    return grad.sum(axis=axes, keepdims=True).reshape(shape)


def _add(existing: Any, new: Any) -> Any:
    return new if existing is None else existing + new


def run_backward(
    roots: Sequence[Tensor],
    root_grads: Sequence[Any],
    retain_graph: bool,
    create_graph: bool,
    targets: Sequence[Tensor] | None = None,
) -> list[Any] | None:
    """Backpropagate from ``roots`` (seeded with ``root_grads``).

    With ``targets=None`` gradients accumulate into the ``.grad`` of leaves (``Tensor.backward``).
    Otherwise nothing is accumulated and the gradients of ``targets`` are returned in order
    (``autograd.grad``); a target not reached gets ``None``.
    """
    # 1. count consumers of every node reachable from the roots
    consumers: dict[Function, int] = {}
    stack = []
    for root in roots:
        node = root.grad_fn
        if node is not None and node not in consumers:
            consumers[node] = 0
            stack.append(node)
    mutations = grad_state.mutations
    while stack:
        node = stack.pop()
        if node.epoch != mutations:  # in-place changes since it was recorded (rare)
            _inputs_at_record_time(node)
        for x in node.inputs:
            parent = x.grad_fn if isinstance(x, Tensor) else None
            if parent is None:
                continue
            if parent in consumers:
                consumers[parent] += 1
            else:
                consumers[parent] = 1
                stack.append(parent)

    # where gradients for the targets of autograd.grad are caught
    target_nodes: dict[Function, list[int]] = {}  # node -> positions in targets (may repeat)
    target_leaves: dict[int, list[int]] = {}
    captured: list[Any] = []
    if targets is not None:
        captured = [None] * len(targets)
        for i, t in enumerate(targets):
            if t.grad_fn is None:
                target_leaves.setdefault(id(t), []).append(i)
            else:
                target_nodes.setdefault(t.grad_fn, []).append(i)

    # 2. seed the roots and process nodes in dependency order
    pending: dict[Function, Any] = {}
    leaf_grads: dict[int, list[Any]] = {}
    for root, grad in zip(roots, root_grads):
        if root.grad_fn is None:
            _collect_leaf(leaf_grads, root, grad)
        else:
            pending[root.grad_fn] = _add(pending.get(root.grad_fn), grad)
    ready = [node for node in pending if consumers[node] == 0]

    anomaly = grad_state.anomaly
    while ready:
        node = ready.pop()
        grad = pending.pop(node)
        if node.hooks is not None:
            grad = _run_hooks(node.hooks, grad)
        if target_nodes and node in target_nodes:
            for index in target_nodes[node]:
                captured[index] = grad
        input_grads = node._backward(grad, create_graph)
        if not retain_graph:
            node._release()
        for x, g in zip(node.inputs, input_grads):
            if g is None or x.__class__ is not Tensor and not isinstance(x, Tensor):
                continue
            if not x._requires_grad:
                continue
            if anomaly:
                _check_anomaly_backward(node, g)
            data = x._data
            if g.shape != data.shape:
                g = sum_to_shape(g, data.shape)
            if g.dtype != data.dtype:
                g = g.astype(data.dtype) if isinstance(g, np.ndarray) else g.to(x.dtype)
            parent = x.grad_fn
            if parent is None:
                _collect_leaf(leaf_grads, x, g)
            elif parent in pending:
                pending[parent] = pending[parent] + g
                consumers[parent] -= 1
                if consumers[parent] == 0:
                    ready.append(parent)
            else:
                pending[parent] = g
                consumers[parent] -= 1
                if consumers[parent] == 0:
                    ready.append(parent)

    # 3. deliver gradients to the leaves (or to the caller of autograd.grad)
    if targets is not None:
        for leaf, grad in leaf_grads.values():
            indices = target_leaves.get(id(leaf))
            if indices is not None:
                grad = _run_hooks(leaf._hooks, grad) if leaf._hooks else grad
                for index in indices:
                    captured[index] = grad
        return [_as_tensor(g) if g is not None else None for g in captured]
    shared = {id(g) for g in root_grads}  # arrays someone else may hold or write to
    for leaf, grad in leaf_grads.values():
        private = not leaf._hooks and _is_private(grad, shared)
        if leaf._hooks:
            grad = _run_hooks(leaf._hooks, grad)
        shared.add(id(grad))
        _accumulate_leaf(leaf, grad, create_graph, private)
    return None


def _is_private(grad: Any, shared: set[int]) -> bool:
    """Is ``grad`` an array nothing else refers to, so ``.grad`` may keep and later modify it?

    Fresh results of NumPy operations are; a view (``base`` set), a read-only broadcast, the
    caller's root gradient, or an array already handed to another leaf in this pass (``Add``
    gives the same array to both inputs) is not, and gets copied.
    """
    return (isinstance(grad, np.ndarray) and grad.base is None and grad.flags.writeable
            and id(grad) not in shared)


def _inputs_at_record_time(node: Function) -> None:
    """Point ``node.inputs`` back at the values the node used.

    An in-place op that needs a graph (``y += 1`` on a non-leaf) re-points the Tensor object at a
    new value and a new ``grad_fn``; nodes recorded earlier still hold that object but used its
    old value. The tensor's ``_previous_version`` = (stamp, snapshot of the old value) chain
    leads to the version current when the node was recorded (``epoch``).
    """
    epoch = node.epoch
    inputs = list(node.inputs)
    changed = False
    for k, x in enumerate(inputs):
        if not isinstance(x, Tensor):
            continue
        version = x
        previous = getattr(version, "_previous_version", None)
        while previous is not None and previous[0] > epoch:
            version = previous[1]
            previous = getattr(version, "_previous_version", None)
        if version is not x:
            inputs[k] = version
            changed = True
    if changed:
        node.inputs = tuple(inputs)


def _collect_leaf(leaf_grads: dict[int, list[Any]], leaf: Tensor, grad: Any) -> None:
    if isinstance(grad, np.generic):  # NumPy turns 0-d results into scalars
        grad = np.asarray(grad)
    entry = leaf_grads.get(id(leaf))
    if entry is None:
        leaf_grads[id(leaf)] = [leaf, grad]
    else:
        entry[1] = entry[1] + grad


def _accumulate_leaf(leaf: Tensor, grad: Any, create_graph: bool, private: bool) -> None:
    """leaf.grad += grad, in place when possible (the ``.grad`` tensor keeps its identity)."""
    if isinstance(grad, Tensor):  # create_graph: keep the graph of the gradient
        leaf._grad = grad if leaf._grad is None else leaf._grad + grad
        return
    current = leaf._grad
    if current is None:
        # .grad is modified in place later (accumulation, clip_grad_norm_), so it must own its
        # array: a shared or read-only one is copied (see _is_private)
        leaf._grad = Tensor._make(grad if private else np.array(grad, copy=True))
    elif current.grad_fn is None and current._data.flags.writeable:
        np.add(current._data, grad, out=current._data)
        current._bump_version()
    else:
        leaf._grad = Tensor._make(current._data + grad)


def _run_hooks(hooks: list[Any], grad: Any) -> Any:
    """Call each hook with the gradient (as a Tensor); a hook may return a replacement."""
    is_array = not isinstance(grad, Tensor)
    value = Tensor._make(np.asarray(grad)) if is_array else grad
    for hook in hooks:
        result = hook(value)
        if result is not None:
            if not isinstance(result, Tensor):
                raise TypeError(f"a gradient hook must return a Tensor or None, got {type(result)}")
            if result.shape != value.shape:
                raise RuntimeError(
                    f"a gradient hook changed the gradient's shape from {tuple(value.shape)} "
                    f"to {tuple(result.shape)}"
                )
            value = result
    return value._data if is_array else value


def _as_tensor(value: Any) -> Tensor:
    if isinstance(value, Tensor):
        return value
    # the array may be a read-only broadcast view, or shared with another target's gradient
    return Tensor._make(np.array(value, copy=True))


def _check_anomaly_backward(node: Function, grad: Any) -> None:
    array = grad._data if isinstance(grad, Tensor) else grad
    if array.dtype.kind in "fc" and not np.isfinite(array).all():
        kind = "nan" if np.isnan(array).any() else "inf"
        raise RuntimeError(
            f"detect_anomaly: the backward pass of {node.name} returned {kind} values "
            f"in a gradient of shape {array.shape}"
        )
