"""The backward pass: reverse-mode automatic differentiation over the recorded graph.

The graph is made of nodes (``grad_fn``, one per op result); each node knows its ``inputs``.
Backpropagation from a loss L is two ideas, one function each:

1. **The order** (``backward_order``). A node may run only once *all* its consumers have sent
   their contribution dL/d(output). Every node carries ``seq``, a number that grows with each
   node recorded, and a consumer is always recorded after the values it consumes: so running
   the nodes from the highest ``seq`` down is an order in which every node comes after all of
   its consumers (PyTorch's engine orders its ready queue by the same "sequence number").
2. **The chain rule** (``run_backward``). In that order: pop a node, call its ``backward`` to
   turn dL/d(output) into dL/d(input) for each input, and hand each input its gradient. A tensor
   used twice receives the *sum* of its gradients (the multivariate chain rule). Gradients that
   reach leaves (tensors created by the user, with ``requires_grad=True``) accumulate into
   ``leaf.grad``.

``backward_order`` lists that order for the whole graph (a walk that collects every node, then
a sort by ``seq``): it is the plain statement of the idea, and what ``mt.viz`` shows. The loop
(``propagate``) does not build the list: it keeps the nodes that have received a gradient in a
heap keyed by ``seq`` and always takes the newest. That visits the nodes in the same order but
saves a whole pass over the graph before the first backward runs (on a graph of small ops
that pass costs a good part of what the loop does per node), and nodes no gradient reaches
are never touched.

Broadcasting is undone in one place, ``sum_to_shape``: if ``x`` of shape (3, 1) was broadcast to
(2, 3, 4) by an op, the gradient arriving for ``x`` has shape (2, 3, 4) and is summed over the
broadcast axes, because each element of ``x`` was used once per broadcast copy.

Read this file top-down: the two entry points (``backward``, which ``Tensor.backward`` calls, and
``autograd.grad``) check their arguments and call ``run_backward``; then the two ideas; then, at
the end, the small named helpers the loop hands off to (``GradientStore``: pending sums, hooks,
``autograd.grad``'s targets, accumulation into ``.grad``; in-place bookkeeping; dtype casts;
anomaly checks).

In the first-order case gradients are NumPy arrays. With ``create_graph=True`` they are Tensors
and the backward formulas are recorded too, so the result can be differentiated again.
"""

from __future__ import annotations

from collections.abc import Sequence
from heapq import heapify, heappop, heappush
from typing import Any

import numpy as np

from microtensor.autograd.function import Function
from microtensor.autograd.grad_mode import anomaly_mode
from microtensor.autograd.versions import write_clock
from microtensor.tensor import Tensor

# =========================================================================== entry points


def backward(
    tensors: Any,
    grad_tensors: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    inputs: Any = None,
) -> None:
    """Accumulate d(tensors)/d(leaf) into the ``.grad`` of every leaf that requires grad.

    ``inputs``, if given, restricts accumulation to those tensors (as in PyTorch).
    """
    outputs = _as_sequence(tensors)
    seeds = _root_gradients(outputs, _as_sequence(grad_tensors), create_graph, "backward")
    retain = create_graph if retain_graph is None else retain_graph
    only = _as_sequence(inputs)
    if only:
        grads = run_backward(outputs, seeds, retain, create_graph, targets=only)
        for tensor, grad in zip(only, grads):
            if grad is not None:
                tensor.grad = grad if tensor.grad is None else tensor.grad + grad
        return
    run_backward(outputs, seeds, retain, create_graph)


def grad(
    outputs: Any,
    inputs: Any,
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple[Tensor | None, ...]:
    """d(outputs)/d(inputs), returned rather than accumulated into ``.grad``.

    With ``create_graph=True`` the returned gradients are themselves part of a graph, so they can
    be differentiated again (Hessians, gradient penalties, ``autograd.functional``).
    """
    output_list = _as_sequence(outputs)
    input_list = _as_sequence(inputs)
    for k, x in enumerate(input_list):
        if not isinstance(x, Tensor) or not x.requires_grad:
            raise RuntimeError(f"grad: input {k} does not require grad")
    seeds = _root_gradients(output_list, _as_sequence(grad_outputs), create_graph, "grad")
    retain = create_graph if retain_graph is None else retain_graph
    grads = run_backward(output_list, seeds, retain, create_graph, targets=input_list)
    assert grads is not None
    for k, g in enumerate(grads):
        if g is None and not allow_unused:
            raise RuntimeError(
                f"grad: input {k} (shape {tuple(input_list[k].shape)}) was not used to compute "
                "the outputs; pass allow_unused=True to get None for it"
            )
    return tuple(grads)


# =========================================================================== the two ideas


def backward_order(roots: Sequence[Tensor]) -> list[Function]:
    """Every node reachable from ``roots``, each one after all of its consumers: the newest
    (highest ``seq``) first, as ``propagate`` runs them."""
    seen = {root.grad_fn for root in roots if root.grad_fn is not None}
    stack = list(seen)
    now = write_clock.now
    while stack:  # a depth-first walk that collects the nodes
        node = stack.pop()
        if node.recorded_at != now:  # (the test here saves a call per node in the common case)
            point_at_recorded_inputs(node)
        for x in node.inputs:
            parent = x.grad_fn if isinstance(x, Tensor) else None
            if parent is not None and parent not in seen:
                seen.add(parent)
                stack.append(parent)
    return sorted(seen, key=_seq_of, reverse=True)


def _seq_of(node: Function) -> int:
    return node.seq


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
    store = GradientStore(roots, root_grads, targets)
    # inf + (-inf) where a tensor used twice receives both is NaN, silently, as in PyTorch
    with np.errstate(invalid="ignore", over="ignore"):
        propagate(store, roots, retain_graph, create_graph)
        return store.deliver(root_grads, create_graph)


def propagate(store: GradientStore, roots: Sequence[Tensor], retain_graph: bool,
              create_graph: bool) -> None:
    """The chain rule, node by node in ``backward_order``: each node's total incoming gradient
    goes through its ``backward``; the results are summed into its inputs' pending gradients.

    The order comes from a heap of the nodes that have a pending gradient, keyed by ``-seq``
    (``heapq`` pops the smallest): the node popped is the newest one, so all its consumers,
    which are newer, have run and its gradient is complete (see the module docstring).
    """
    pending = store.pending  # node -> the sum of dL/d(output) its consumers have sent so far
    heap = [(-node.seq, node) for node in pending]
    heapify(heap)
    anomaly = anomaly_mode.enabled
    now = write_clock.now
    release = not retain_graph
    leaves = store.leaves
    watched = store.target_nodes
    while heap:
        node = heappop(heap)[1]
        grad = pending.pop(node)
        if node.recorded_at != now or node.hooks is not None or watched:
            grad = store.at_node(node, grad)  # in-place changes since, hooks, grad's targets
        # (the node frees what it saved itself unless retain_graph: one call fewer per node)
        input_grads = node.run_backward(grad, create_graph, release)
        if anomaly:
            check_anomaly_backward(node, input_grads)
        for x, g in zip(node.inputs, input_grads):
            if g is None or not isinstance(x, Tensor) or not x._requires_grad:
                continue
            # undo broadcasting, cast (dtypes compared by identity first: NumPy's != is slow)
            data = x._data
            if g.shape != data.shape or (g.dtype is not data.dtype and g.dtype != data.dtype):
                g = as_dtype_of(sum_to_shape(g, data.shape), x)
            parent = x.grad_fn
            if parent is None:  # a leaf: its gradients are summed until the end of the pass
                entry = leaves.get(id(x))
                if entry is not None and entry[2]:  # a sum of this pass: add in place (no new
                    entry[1] += g  # array: 1.4 % of bench_overhead's instructions)
                else:
                    store.add_leaf(x, g)
            elif parent in pending:  # the sum rule: a tensor used twice receives the sum
                pending[parent] = pending[parent] + g
            else:  # its first gradient: the node joins the heap
                pending[parent] = g
                heappush(heap, (-parent.seq, parent))


def sum_to_shape(grad: Any, shape: tuple[int, ...]) -> Any:
    """Undo broadcasting: sum ``grad`` over the axes along which ``shape`` was broadcast.

    Works on arrays and on Tensors (both have ``.sum(axis=..., keepdims=...)`` and ``.reshape``).
    """
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra < 0:  # a gradient with fewer dims than its input: broadcast it up (rare)
        return broadcast_up(grad, shape)
    axes = tuple(range(extra)) + tuple(
        extra + i for i, size in enumerate(shape) if size == 1 and grad.shape[extra + i] != 1
    )
    return grad.sum(axis=axes, keepdims=True).reshape(shape)


# =========================================================================== helpers of the loop


def _as_sequence(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, Tensor):
        return [value]
    return list(value)


def _root_gradients(
    outputs: list[Tensor], grad_outputs: list[Any], create_graph: bool, op: str
) -> list[Any]:
    """dL/d(output) to start from: ones for a scalar output (dL/dL = 1), else the given one."""
    if grad_outputs and len(grad_outputs) != len(outputs):
        raise RuntimeError(f"{op}: got {len(grad_outputs)} gradients for {len(outputs)} outputs")
    seeds = []
    for k, output in enumerate(outputs):
        given = grad_outputs[k] if grad_outputs else None
        _check_root(output, given, k, op)
        if given is None:
            seed = np.ones(output.shape, dtype=output.dtype)
            seeds.append(Tensor._make(seed) if create_graph else seed)
        else:
            seeds.append(_given_gradient(given, output, create_graph, op))
    return seeds


def _check_root(output: Tensor, given: Any, k: int, op: str) -> None:
    """A root must be in a graph, and without a given gradient it must be a scalar."""
    if not output.requires_grad:
        raise RuntimeError(
            f"{op}: element {k} of tensors does not require grad and does not have a "
            "grad_fn; did you create it under no_grad, or forget requires_grad=True on an "
            "input?"
        )
    if given is None and output.numel() != 1:
        raise RuntimeError(
            f"{op}: grad can be implicitly created only for scalar outputs, but the "
            f"output has shape {tuple(output.shape)}; pass gradient=... (a tensor of "
            "that shape), or reduce the output first (e.g. .sum())"
        )


def _given_gradient(given: Any, output: Tensor, create_graph: bool, op: str) -> Any:
    """The caller's dL/d(output), checked and in the output's dtype."""
    given = given if isinstance(given, Tensor) else Tensor._make(np.asarray(given))
    if given.shape != output.shape:
        raise RuntimeError(
            f"{op}: gradient has shape {tuple(given.shape)} but the output has shape "
            f"{tuple(output.shape)}; they must match"
        )
    if create_graph:
        return given if given.dtype == output.dtype else given.to(output.dtype)
    return given._data.astype(output.dtype, copy=False)  # the engine never writes to it


class GradientStore:
    """Pending gradients of nodes and leaves during one backward pass, seeded with the roots'.

    ``targets`` (for ``autograd.grad``) are the tensors whose gradients are returned instead of
    accumulated: a target that is a non-leaf is caught when its node runs.
    """

    __slots__ = ("pending", "leaves", "targets", "target_nodes", "captured")

    def __init__(self, roots: Sequence[Tensor], root_grads: Sequence[Any],
                 targets: Sequence[Tensor] | None) -> None:
        self.pending: dict[Function, Any] = {}  # node -> sum of dL/d(output) received so far
        self.leaves: dict[int, list[Any]] = {}  # id(leaf) -> [leaf, sum of dL/d(leaf), own]
        self.targets = targets
        self.target_nodes: dict[Function, list[int]] = {}  # node -> positions in targets
        self.captured: list[Any] = []
        if targets is not None:
            self.captured = [None] * len(targets)
            for i, t in enumerate(targets):
                if t.grad_fn is not None:
                    self.target_nodes.setdefault(t.grad_fn, []).append(i)
        for root, grad in zip(roots, root_grads):
            self.add(root, grad)

    def add(self, tensor: Tensor, grad: Any) -> None:
        """Add ``grad`` to what ``tensor`` has received (the sum rule of the chain rule)."""
        node = tensor.grad_fn
        if node is None:
            self.add_leaf(tensor, grad)
        else:
            pending = self.pending
            pending[node] = grad if node not in pending else pending[node] + grad

    def add_leaf(self, leaf: Tensor, grad: Any) -> None:
        """Add ``grad`` to what ``leaf`` has received in this pass."""
        entry = self.leaves.get(id(leaf))
        if entry is None:
            if isinstance(grad, np.generic):  # NumPy turns 0-d results into scalars
                grad = np.asarray(grad)
            # [leaf, its sum so far, is that sum an array made by this pass?]: the first
            # gradient may be shared (AddOp hands the same array to both inputs), a sum is not
            self.leaves[id(leaf)] = [leaf, grad, False]
        else:
            total = entry[1] = entry[1] + grad
            entry[2] = total.__class__ is np.ndarray  # (Tensors, with create_graph: never)

    def at_node(self, node: Function, grad: Any) -> Any:
        """The total gradient of ``node``'s output after its hooks; kept if it is a target.

        Also points the node's inputs back at the values it used, if something was modified
        in place since it was recorded (``point_at_recorded_inputs``)."""
        point_at_recorded_inputs(node)
        if node.hooks is not None:
            grad = run_hooks(node.hooks, grad)
        if node in self.target_nodes:
            for index in self.target_nodes[node]:
                self.captured[index] = grad
        return grad

    def deliver(self, root_grads: Sequence[Any], create_graph: bool) -> list[Any] | None:
        """End of the pass: return the targets' gradients, or accumulate into leaves' ``.grad``."""
        if self.targets is not None:
            return self._targets_grads()
        shared = {id(g) for g in root_grads}  # arrays someone else may hold or write to
        for leaf, grad, _ in self.leaves.values():
            private = not leaf._hooks and _is_private(grad, shared)
            if leaf._hooks:
                grad = run_hooks(leaf._hooks, grad)
            shared.add(id(grad))
            accumulate_into_grad(leaf, grad, create_graph, private)
        return None

    def _targets_grads(self) -> list[Any]:
        assert self.targets is not None
        for i, target in enumerate(self.targets):
            entry = self.leaves.get(id(target)) if target.grad_fn is None else None
            if entry is not None:
                self.captured[i] = run_hooks(target._hooks, entry[1]) if target._hooks else entry[1]
        return [_private_tensor(g) if g is not None else None for g in self.captured]


def _is_private(grad: Any, shared: set[int]) -> bool:
    """Is ``grad`` an array nothing else refers to, so ``.grad`` may keep and later modify it?

    Fresh results of NumPy operations are; a view (``base`` set), a read-only broadcast, the
    caller's root gradient, or an array already handed to another leaf in this pass (``Add``
    gives the same array to both inputs) is not, and gets copied.
    """
    return (isinstance(grad, np.ndarray) and grad.base is None and grad.flags.writeable
            and id(grad) not in shared)


def accumulate_into_grad(leaf: Tensor, grad: Any, create_graph: bool, private: bool) -> None:
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


def run_hooks(hooks: list[Any], grad: Any) -> Any:
    """Call each hook with the gradient (as a Tensor); a hook may return a replacement.

    In a first-order pass the hooks see a private copy, and a replacement is copied too: the
    gradient that flows on may become a leaf's ``.grad``, which later passes and ``zero_()``
    write into, and what a hook stored must not change (as in PyTorch).
    """
    is_array = not isinstance(grad, Tensor)
    value = Tensor._make(np.array(grad, copy=True)) if is_array else grad
    replaced = False
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
            value, replaced = result, True
    if not is_array:
        return value
    return np.array(value._data, copy=True) if replaced else grad


def _private_tensor(value: Any) -> Tensor:
    if isinstance(value, Tensor):
        return value
    # the array may be a read-only broadcast view, or shared with another target's gradient
    return Tensor._make(np.array(value, copy=True))


def point_at_recorded_inputs(node: Function) -> None:
    """Point ``node.inputs`` back at the values the node used, if something changed in place.

    An in-place op that needs a graph (``y += 1`` on a non-leaf) re-points the Tensor object at a
    new value and a new ``grad_fn``; nodes recorded earlier still hold that object but used its
    old value. The tensor's ``_previous_version`` = (stamp, snapshot of the old value) chain
    leads to the version current when the node was recorded (``recorded_at``).
    """
    recorded_at = node.recorded_at
    if recorded_at == write_clock.now:  # nothing was modified in place since (the rule)
        return
    inputs = list(node.inputs)
    for k, x in enumerate(inputs):
        if not isinstance(x, Tensor):
            continue
        version = x
        previous = getattr(version, "_previous_version", None)
        while previous is not None and previous[0] > recorded_at:
            version = previous[1]
            previous = getattr(version, "_previous_version", None)
        inputs[k] = version
    node.inputs = tuple(inputs)


def as_dtype_of(grad: Any, x: Tensor) -> Any:
    """The gradient in the dtype of the tensor it belongs to (dL/dx has x's dtype)."""
    if grad.dtype == x._data.dtype:
        return grad
    if isinstance(grad, Tensor):
        return grad.to(x.dtype)
    return np.asarray(grad, dtype=x._data.dtype)  # an array, or a NumPy scalar from 0-d math


def broadcast_up(grad: Any, shape: tuple[int, ...]) -> Any:
    """A gradient with fewer dims than its tensor (rare): broadcast it to ``shape``."""
    return grad.reshape((1,) * (len(shape) - grad.ndim) + tuple(grad.shape)) + np.zeros(
        shape, grad.dtype)


def check_anomaly_backward(node: Function, grads: Sequence[Any]) -> None:
    """``detect_anomaly``: refuse a gradient with NaN or inf, naming the op that made it."""
    for grad in grads:
        array = grad._data if isinstance(grad, Tensor) else grad
        if array is None or array.dtype.kind not in "fc" or np.isfinite(array).all():
            continue
        kind = "nan" if np.isnan(array).any() else "inf"
        raise RuntimeError(
            f"detect_anomaly: the backward pass of {node.op_name} returned {kind} values "
            f"in a gradient of shape {array.shape}"
        )
