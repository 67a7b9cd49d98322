"""In-place changes and views, with PyTorch's semantics.

**Views.** ``base[0]``, ``base.reshape(...)``, ``base.T``, ``base.expand(...)`` share their base's
memory (they are NumPy views) and its version counter. A view remembers its *root* base
(``_base``) and how to make it again from that base (``_view_replay``), and the base keeps a weak
list of its views (``_views``). ``link_view`` sets this up when a view op runs.

**An in-place change** (``t.add_(1)``, ``t += 1``, ``t[i] = v``, ``t.clamp_(...)``) always writes
into ``t``'s memory, so the base and every view of it see the new values, recording or not. When
the change is recorded (grad mode on and something requires grad), the graph is *rebased*, as
PyTorch does:

1. the op runs out of place on a private copy of the old values (``result``);
2. the new values are copied into the memory;
3. the root base's history becomes "old base with the changed region replaced by ``result``"
   (``ViewScatterOp``; just ``result`` when ``t`` is the base itself), and every live view of the
   base gets a fresh ``grad_fn`` that replays the view from the new base;
4. nodes recorded earlier keep the old history: each rebased tensor keeps
   ``_previous_version = (time, snapshot with the old grad_fn)``, which the engine follows
   (``engine.point_at_recorded_inputs``);
5. the shared version counter is bumped, so a backward pass through an op that saved the old
   values raises (as in PyTorch) instead of being silently wrong.

Refused, as in PyTorch: an in-place change of a leaf that requires grad, or of a view of one, while
recording; of one output of a function that returns several views (``split``, ``chunk``,
``unbind``); of an expanded tensor whose elements share memory.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from microtensor import ops
from microtensor.autograd.grad_mode import grad_state
from microtensor.autograd.versions import memory_owner, write_clock
from microtensor.tensor import Tensor, _add_node_hook, _RetainGrad

Replay = Callable[[Tensor], Tensor]


# --------------------------------------------------------------------------- views
def link_view(view: Tensor, source: Tensor, replay: Replay) -> None:
    """Record that ``view`` (just made from ``source`` by a view op) shares its memory.

    ``replay(t)`` makes the same view of another tensor ``t`` shaped like ``source``.
    """
    array = view._data
    if array.base is None or memory_owner(array) is not memory_owner(source._data):
        return  # the op had to copy (advanced indexing, a reshape of a non-contiguous tensor)
    source_replay = getattr(source, "_view_replay", None)
    base = getattr(source, "_base", None)
    if base is None:
        base, whole_replay = source, replay
    else:  # a view of a view: replay both steps from the root base
        def whole_replay(t: Tensor, first: Replay = source_replay, then: Replay = replay) -> Tensor:
            return then(first(t))
    view._base = base
    view._view_replay = whole_replay
    view._version_counter = base._counter()
    views = getattr(base, "_views", None)
    if views is None:
        views = base._views = weakref.WeakSet()
    views.add(view)


def mark_multi_output_views(views: tuple[Tensor, ...], function: str) -> tuple[Tensor, ...]:
    """``split``/``chunk``/``unbind`` return several views; PyTorch refuses to modify them in
    place while recording (their shared history could not be rebased)."""
    for k, view in enumerate(views):
        if getattr(view, "_base", None) is not None:
            view._multi_output_of = (function, k)
    return views


# --------------------------------------------------------------------------- in-place changes
def apply_inplace(t: Tensor, name: str, out_of_place: Callable[[Tensor], Tensor],
                  cast: Callable[[Tensor], Tensor]) -> Tensor:
    """Change ``t`` in place to ``out_of_place(old t)`` (see the module docstring)."""
    recording = grad_state.enabled
    if recording:
        _refuse_unrecordable(t, name)
    # the op reads a private copy of the old values when recording: what it saves for its own
    # backward (mul_ saves the old t) must survive the write below
    old = Tensor._make(t._data.copy() if recording else t._data, t._requires_grad, t.grad_fn)
    result = out_of_place(old)
    if result.shape != t.shape:
        raise RuntimeError(
            f"{name}: the result of shape {tuple(result.shape)} doesn't match the shape "
            f"{tuple(t.shape)} of the tensor being modified in place"
        )
    if result._data.dtype != t._data.dtype:
        result = cast(result)
    if recording and result.grad_fn is None and t._requires_grad:
        result = _overwrite_history(old, result)
    _write(t, result._data, name)
    t._bump_version(name)  # before the rebase: the nodes it makes come after the write
    if result.grad_fn is not None:
        _rebase(t, result)
    return t


def _overwrite_history(old: Tensor, result: Tensor) -> Tensor:
    """New values that do not depend on the old ones (``fill_``, ``zero_``, ``copy_`` of a
    constant) still get a history, as in PyTorch: "the old tensor, every element replaced", whose
    gradient with respect to the old values is 0. Without it the tensor would keep its old
    ``grad_fn`` and backpropagate into what it used to be computed from."""
    everywhere = Tensor._make(np.ones((), dtype=bool))
    return ops.elementwise.where(everywhere, result, old)


def _refuse_unrecordable(t: Tensor, name: str) -> None:
    if t._requires_grad and t.grad_fn is None:
        raise RuntimeError(
            f"{name}: a leaf Variable that requires grad is being used in an in-place "
            "operation; wrap the update in `with mt.no_grad():` (as optimizers do) or use an "
            "out-of-place operation"
        )
    base = getattr(t, "_base", None)
    if base is not None and base._requires_grad and base.grad_fn is None:
        raise RuntimeError(
            f"{name}: a view of a leaf Variable that requires grad is being used in an in-place "
            "operation; wrap the update in `with mt.no_grad():` or change a clone()"
        )
    multi = getattr(t, "_multi_output_of", None)
    if multi is not None and t._requires_grad:
        function, k = multi
        raise RuntimeError(
            f"{name}: output {k} of {function} is a view and is being modified inplace. This "
            "view is the output of a function that returns multiple views. Such functions do "
            "not allow the output views to be modified inplace. You should replace the inplace "
            "operation by an out-of-place one."
        )


def _write(t: Tensor, values: np.ndarray, name: str) -> None:
    try:
        np.copyto(t._data, values, casting="unsafe")
    except ValueError:  # a read-only array: an expanded tensor (zero strides) or shared data
        raise RuntimeError(
            f"{name}: unsupported operation: more than one element of the written-to tensor "
            "refers to a single memory location (or its memory is read-only). Please clone() "
            "the tensor before performing the operation."
        ) from None


def _rebase(t: Tensor, result: Tensor) -> None:
    """Give the root base and all its live views their new history (steps 3 and 4)."""
    from microtensor.ops.views import ViewScatterOp, view_positions

    base = getattr(t, "_base", None)
    if base is None:
        root, root_history = t, result.grad_fn
    else:  # the old base with the view's region replaced by the result
        old_base = Tensor._make(base._data, base._requires_grad, base.grad_fn)
        index = view_positions(t._view_replay, base)
        root, root_history = base, ViewScatterOp.apply(old_base, result, index=index).grad_fn
        root_history.output = None  # (its copy of the new values is not needed: nothing saved)
    _set_history(root, root_history)
    for view in list(getattr(root, "_views", ())):
        _set_history(view, view._view_replay(root).grad_fn)


def _set_history(t: Tensor, grad_fn: Any) -> None:
    """``t`` continues with ``grad_fn``; earlier nodes keep its old history (a snapshot)."""
    snapshot = Tensor._make(t._data, t._requires_grad, t.grad_fn)
    snapshot._version_counter = t._version_counter
    previous = getattr(t, "_previous_version", None)
    if previous is not None:
        snapshot._previous_version = previous
    old_node = t.grad_fn
    t.grad_fn = grad_fn
    t._requires_grad = True
    t._previous_version = (write_clock.now, snapshot)  # nodes recorded before now use snapshot
    if old_node is not None and old_node.hooks:  # retain_grad follows the tensor
        _move_retain_grad_hooks(old_node, grad_fn)


def _move_retain_grad_hooks(old_node: Any, new_node: Any) -> None:
    for hook in [h for h in old_node.hooks if isinstance(h, _RetainGrad)]:
        old_node.hooks.remove(hook)
        _add_node_hook(new_node, hook)


__all__ = ["apply_inplace", "link_view", "mark_multi_output_views"]
