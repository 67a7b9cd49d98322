"""The small jobs the backward loop (``engine.py``) hands off, each a named helper.

* ``GradientStore``: where gradients wait. Each node's incoming gradients are summed until the
  node runs; leaves' gradients are summed until the end of the pass, then accumulated into
  ``.grad`` (or returned, for ``autograd.grad``). Hooks run here.
* ``point_at_recorded_inputs``: in-place bookkeeping (a node whose input tensor was later
  modified in place and re-pointed at a new value must use the value it saw).
* ``as_dtype_of``, ``broadcast_up``: gradients take the dtype and shape of their tensor.
* ``check_anomaly_backward``: ``detect_anomaly``'s check of every gradient.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from microtensor.autograd.function import Function
from microtensor.autograd.grad_mode import grad_state
from microtensor.tensor import Tensor


class GradientStore:
    """Pending gradients of nodes and leaves during one backward pass, seeded with the roots'.

    ``targets`` (for ``autograd.grad``) are the tensors whose gradients are returned instead of
    accumulated: a target that is a non-leaf is caught when its node runs.
    """

    __slots__ = ("pending", "leaves", "targets", "target_nodes", "captured")

    def __init__(self, roots: Sequence[Tensor], root_grads: Sequence[Any],
                 targets: Sequence[Tensor] | None) -> None:
        self.pending: dict[Function, Any] = {}  # node -> sum of dL/d(output) received so far
        self.leaves: dict[int, list[Any]] = {}  # id(leaf) -> [leaf, sum of dL/d(leaf)]
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
            self.leaves[id(leaf)] = [leaf, grad]
        else:
            entry[1] = entry[1] + grad

    def at_node(self, node: Function, grad: Any) -> Any:
        """The total gradient of ``node``'s output after its hooks; kept if it is a target."""
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
        for leaf, grad in self.leaves.values():
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
    if recorded_at == grad_state.mutations:  # nothing was modified in place since (the rule)
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
    return grad.astype(x._data.dtype) if isinstance(grad, np.ndarray) else grad.to(x.dtype)


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
            f"detect_anomaly: the backward pass of {node.name} returned {kind} values "
            f"in a gradient of shape {array.shape}"
        )
