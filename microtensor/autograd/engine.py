"""The backward pass: reverse-mode automatic differentiation over the recorded graph.

The graph is made of nodes (``grad_fn``, one per op result); each node knows its ``inputs``.
Backpropagation from a loss L is two ideas, one function each:

1. **The order** (``backward_order``). A node may run only once *all* its consumers have sent
   their contribution dL/d(output). Count each node's consumers, start from the roots, and
   release a node when its last consumer is done (Kahn's topological sort). The walk is
   iterative, so a chain of 100,000 ops needs no recursion.
2. **The chain rule** (``run_backward``). In that order: pop a node, call its ``backward`` to
   turn dL/d(output) into dL/d(input) for each input, and hand each input its gradient. A tensor
   used twice receives the *sum* of its gradients (the multivariate chain rule). Gradients that
   reach leaves (tensors created by the user, with ``requires_grad=True``) accumulate into
   ``leaf.grad``.

Broadcasting is undone in one place, ``sum_to_shape``: if ``x`` of shape (3, 1) was broadcast to
(2, 3, 4) by an op, the gradient arriving for ``x`` has shape (2, 3, 4) and is summed over the
broadcast axes, because each element of ``x`` was used once per broadcast copy.

Everything else (hooks, the targets of ``autograd.grad``, anomaly checks, in-place bookkeeping,
accumulating into ``.grad``) is a small named helper in ``engine_helpers.py`` that the loop calls.

In the first-order case gradients are NumPy arrays. With ``create_graph=True`` they are Tensors
and the backward formulas are recorded too, so the result can be differentiated again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from microtensor.autograd import engine_helpers as helpers
from microtensor.autograd.function import Function
from microtensor.autograd.grad_mode import grad_state
from microtensor.tensor import Tensor


def backward_order(roots: Sequence[Tensor]) -> list[Function]:
    """Every node reachable from ``roots``, each one after all of its consumers."""
    # node -> how many reachable nodes use its output (a root may be given twice: count it once)
    consumers = dict.fromkeys([root.grad_fn for root in roots if root.grad_fn is not None], 0)
    stack = list(consumers)
    while stack:  # 1. count consumers (a depth-first walk of the graph)
        node = stack.pop()
        helpers.point_at_recorded_inputs(node)
        for x in node.inputs:
            parent = x.grad_fn if isinstance(x, Tensor) else None
            if parent is None:  # a leaf or a constant
                continue
            if parent not in consumers:
                consumers[parent] = 0
                stack.append(parent)
            consumers[parent] += 1
    order = []  # 2. release nodes whose consumers are all done
    ready = [node for node, count in consumers.items() if count == 0]
    while ready:
        node = ready.pop()
        order.append(node)
        for x in node.inputs:
            parent = x.grad_fn if isinstance(x, Tensor) else None
            if parent is not None:
                consumers[parent] -= 1
                if consumers[parent] == 0:
                    ready.append(parent)
    return order


def sum_to_shape(grad: Any, shape: tuple[int, ...]) -> Any:
    """Undo broadcasting: sum ``grad`` over the axes along which ``shape`` was broadcast.

    Works on arrays and on Tensors (both have ``.sum(axis=..., keepdims=...)`` and ``.reshape``).
    """
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra < 0:  # a gradient with fewer dims than its input: broadcast it up (rare)
        return helpers.broadcast_up(grad, shape)
    axes = tuple(range(extra)) + tuple(
        extra + i for i, size in enumerate(shape) if size == 1 and grad.shape[extra + i] != 1
    )
    return grad.sum(axis=axes, keepdims=True).reshape(shape)


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
    # the gradients of leaves, hooks, autograd.grad's targets; seeded with the roots' gradients
    store = helpers.GradientStore(roots, root_grads, targets)
    pending = store.pending  # node -> the sum of dL/d(output) its consumers have sent so far
    anomaly = grad_state.anomaly
    for node in backward_order(roots):
        grad = pending.pop(node, None)
        if grad is None:  # no consumer sent a gradient (they all returned None)
            continue
        if node.hooks is not None or store.target_nodes:
            grad = store.at_node(node, grad)  # run hooks; catch autograd.grad's targets
        input_grads = node.run_backward(grad, create_graph)
        if not retain_graph:
            node.release_saved()
        if anomaly:
            helpers.check_anomaly_backward(node, input_grads)
        for x, g in zip(node.inputs, input_grads):
            if g is None or not isinstance(x, Tensor) or not x._requires_grad:
                continue
            if g.shape != x._data.shape or g.dtype != x._data.dtype:  # undo broadcasting, cast
                g = helpers.as_dtype_of(sum_to_shape(g, x._data.shape), x)
            parent = x.grad_fn
            if parent is None:  # a leaf: its gradients are summed until the end of the pass
                store.add_leaf(x, g)
            else:  # the sum rule: a tensor used twice receives the sum of its gradients
                pending[parent] = g if parent not in pending else pending[parent] + g
    return store.deliver(root_grads, create_graph)
