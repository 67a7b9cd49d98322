"""Graph nodes: ``Op`` (the built-in primitives, on NumPy arrays) and ``Function`` (custom ops).

Every differentiable operation is a class with two static methods that stand side by side:

* ``forward(ctx, *inputs, **params)`` computes the result and stores in ``ctx`` what the backward
  pass will need (``ctx.save_for_backward(...)`` for arrays, plain attributes for the rest);
* ``backward(ctx, grad)`` receives dL/d(output) and returns dL/d(input), one per positional input
  (``None`` where an input needs no gradient).

Calling ``SomeOp.apply(*inputs, **params)`` runs ``forward`` and, when recording is on and an input
requires grad, makes the ``ctx`` object the new tensor's ``grad_fn``: the *node* of the graph. The
node remembers its inputs, so following ``grad_fn.inputs`` from the loss walks the whole graph
backwards; that is all the engine (``engine.py``) needs.

Two flavours:

``Op``
    The built-in primitives (``ops/``). ``forward`` receives and returns NumPy arrays, so the
    first-order backward pass is plain NumPy, with no Tensor overhead. When a backward pass is
    itself recorded (``create_graph=True``) the engine calls the *same* ``backward`` with
    Tensors instead: ``grad`` is a Tensor and ``ctx.saved_tensors`` hands back the graph's
    Tensors in place of the arrays, so the formula (written with operators and the helpers of
    ``ops/array_or_tensor.py``, which work on both) builds a differentiable graph. One formula
    serves first and higher order.

``Function``
    The public base for custom ops, with PyTorch's semantics: ``forward`` receives the input Tensors
    (with recording switched off) and returns a Tensor; ``backward`` receives and returns Tensors.
"""

from __future__ import annotations

import itertools
import weakref
from typing import Any

import numpy as np

from microtensor.autograd.grad_mode import (
    anomaly_mode,
    grad_state,
    recording_off,
    set_grad_enabled,
    switch_recording,
)
from microtensor.autograd.inplace import link_view
from microtensor.autograd.profiler import profiling, timed_backward, timed_forward
from microtensor.autograd.versions import write_clock, written_since
from microtensor.tensor import Tensor


class _Freed:
    """What ``saved`` holds once a backward pass released the saved values (``_FREED``): a
    backward that reads them (``a, b = ctx.saved_tensors``) gets the error that says why."""

    __slots__ = ()

    def __bool__(self) -> bool:
        return True

    def __iter__(self) -> Any:
        raise _freed_error(None)

    def __getitem__(self, index: Any) -> Any:
        raise _freed_error(None)

    def __len__(self) -> int:
        raise _freed_error(None)


_FREED = _Freed()
_new_object = object.__new__  # an instance without running __init__ (nodes are made per op)
# seq of the next node recorded: a node's consumers always get a higher one, so the engine runs
# nodes from the highest seq down (engine.py); next() of a count is one cheap C call
_sequence = itertools.count()


class Function:
    """Base class of every graph node; subclass it to write a custom differentiable op.

    Example (PyTorch's own pattern works unchanged)::

        class Cube(mt.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x ** 3

            @staticmethod
            def backward(ctx, grad):
                (x,) = ctx.saved_tensors
                return grad * 3 * x ** 2          # d(x^3)/dx = 3x^2

        y = Cube.apply(x)
    """

    # inputs: the tensors (and constants) the op was applied to -- the graph's edges
    # saved: what forward kept for backward; output: the result's array
    # recorded_at: write_clock.now (the count of in-place writes so far) when recorded
    # seq: the node's number in the order of recording (the engine's order; PyTorch's
    # sequence_nr)
    # hooks: functions called with the gradient of the output (register_hook, retain_grad);
    # a class-level None until a hook is registered (one store fewer per op)
    __slots__ = ("inputs", "saved", "output", "recorded_at", "seq", "__dict__")
    hooks: list[Any] | None = None
    # can the backward be recorded for double backward (create_graph=True)? An op whose backward
    # works on arrays only sets it False; the engine then refuses create_graph with a clear error
    supports_double_backward = True
    # which input's gradient each saved value is needed for, by position in ``ctx.saved``
    # (None: for any). A saved value only some gradient needs is not checked for in-place
    # changes when that input needs no gradient: MulOp saves (a, b) and needs b only for dL/da.
    saved_for_gradient_of: tuple[int | None, ...] | None = None

    inputs: tuple[Any, ...]

    # ----------------------------------------------------------------- what subclasses write
    @staticmethod
    def forward(ctx: Any, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("a Function subclass must define forward(ctx, *inputs)")

    @staticmethod
    def backward(ctx: Any, *grad_outputs: Any) -> Any:
        raise NotImplementedError("a Function subclass must define backward(ctx, grad)")

    # ----------------------------------------------------------------- ctx helpers
    def save_for_backward(self, *values: Any) -> None:
        """Keep values for ``backward`` (read them back with ``ctx.saved_tensors``)."""
        self.saved = values

    @property
    def saved_tensors(self) -> tuple[Any, ...]:
        if self.saved is _FREED:
            raise _freed_error(self)
        return self.saved

    @property
    def needs_input_grad(self) -> tuple[bool, ...]:
        """One flag per positional input: does that input require a gradient?"""
        return tuple(isinstance(x, Tensor) and x._requires_grad for x in self.inputs)

    @property
    def next_functions(self) -> tuple[tuple[Any, int], ...]:
        """Where each input's gradient goes next, as PyTorch's ``(node, input_nr)`` pairs: the
        input's ``grad_fn``; for a leaf that requires grad its ``AccumulateGrad`` node; ``None``
        for an input that needs no gradient (a constant, or a number as the 2 of ``2 * x``,
        which PyTorch lists too). Computed when read, so recording a node costs nothing more."""
        return tuple((next_node(x), 0) for x in self.inputs)

    @property
    def op_name(self) -> str:
        """The op's short name, as errors and graph drawings show it (``MulOp`` is ``Mul``)."""
        return display_name(type(self))

    def name(self) -> str:
        """The node's name, as PyTorch's ``grad_fn.name()``: ``'MulBackward'`` (PyTorch says
        ``'MulBackward0'``; microtensor has one backward per op, so no number)."""
        return display_name(type(self)) + "Backward"

    def __repr__(self) -> str:
        return f"<{self.name()}>"

    def __lt__(self, other: Any) -> bool:
        """Any order between two nodes with the same ``seq``: the engine's heap compares nodes
        only then, which happens only in a deep-copied graph (the copies keep their seq)."""
        return id(self) < id(other)

    # ----------------------------------------------------------------- graph construction
    @classmethod
    def apply(cls, *inputs: Any, **params: Any) -> Tensor:
        """Run ``forward`` on Tensors with recording off; record a node if any input needs grad."""
        ctx = _new_node(cls, inputs)
        with set_grad_enabled(False):
            result = cls.forward(ctx, *inputs, **params)
        if not isinstance(result, Tensor):
            result = Tensor._make(np.asarray(result))  # keeps the dtype (Tensor() would cast)
        if grad_state.enabled and any(isinstance(x, Tensor) and x._requires_grad for x in inputs):
            if any(result is x for x in inputs):  # forward returned an input unchanged
                result = Tensor._make(result._data)
            # The returned tensor itself becomes the graph output, so a saved output (as in
            # ctx.save_for_backward(result)) is connected to the graph for double backward.
            result._requires_grad = True
            result.grad_fn = ctx
        _check_anomaly_forward(cls, result._data)
        return result

    # ----------------------------------------------------------------- used by the engine
    def run_backward(self, grad: Any, create_graph: bool, release: bool = False
                     ) -> tuple[Any, ...]:
        """dL/d(inputs) from dL/d(output); ``grad`` is an array, or a Tensor if create_graph.
        ``release``: then free what was saved (``release_saved``; the engine's default unless
        ``retain_graph``)."""
        check_ready_for_backward(self, create_graph)
        if not isinstance(grad, Tensor):
            grad = Tensor._make(grad)
        with set_grad_enabled(create_graph):
            grads = self.backward(self, grad)
        if not isinstance(grads, tuple):
            grads = (grads,)
        _check_gradient_count(self, grads)
        if release:
            self.release_saved()
        if create_graph:
            return grads
        return tuple(g._data if isinstance(g, Tensor) else g for g in grads)

    def release_saved(self) -> None:
        """Free what was saved for backward (done after a backward pass unless retain_graph).

        Also lets go of the values of large inputs, as PyTorch's graph keeps no tensors after
        ``backward()``: a loss kept for later must not hold the activations (or the input
        batch) of its forward pass. Each such input is replaced by its ``freed_twin`` (same
        shape, dtype, ``grad_fn``; no values), so the graph can still be walked and drawn.
        Tensors that receive gradients (leaves with ``requires_grad``, parameters) and tensors
        of at most ``KEEP_BYTES`` stay as they are.
        """
        if self.saved:
            self.saved = _FREED
        self.output = None
        for x in self.inputs:  # (inlined _can_let_go: this loop runs for every node)
            if x.__class__ is Tensor and x._data.nbytes > KEEP_BYTES and (
                    x.grad_fn is not None or not x._requires_grad):
                self.inputs = tuple(freed_twin(x) if _can_let_go(x) else x for x in self.inputs)
                return


def next_node(x: Any) -> Any:
    """The node that receives the gradient of input ``x`` (see ``Function.next_functions``)."""
    if not isinstance(x, Tensor) or not x._requires_grad:
        return None
    if x.grad_fn is not None:
        return x.grad_fn
    return AccumulateGrad.of(x)


class AccumulateGrad:
    """The graph's end for a leaf that requires grad: its gradient is added into
    ``variable.grad`` (the engine does it directly; this node is what ``next_functions`` shows).

    As in PyTorch, the leaf holds its node weakly: the same object is returned for the same leaf
    while anyone holds it.
    """

    __slots__ = ("variable", "__weakref__")
    next_functions: tuple[Any, ...] = ()

    def __init__(self, variable: Tensor) -> None:
        self.variable = variable

    @staticmethod
    def of(leaf: Tensor) -> AccumulateGrad:
        held = getattr(leaf, "_grad_accumulator", None)
        node = held() if held is not None else None
        if node is None:
            node = AccumulateGrad(leaf)
            leaf._grad_accumulator = weakref.ref(node)
        return node

    def name(self) -> str:
        return "AccumulateGrad"

    op_name = property(name)

    def __repr__(self) -> str:
        return f"<AccumulateGrad of a leaf of shape {tuple(self.variable._data.shape)}>"


class Op(Function):
    """A built-in primitive: ``forward`` and ``backward`` work on NumPy arrays (see module doc)."""

    __slots__ = ()

    @classmethod
    def apply(cls, *inputs: Any, **params: Any) -> Tensor:
        ctx = _new_object(cls)
        ctx.saved = ()
        try:
            # One or two inputs and no keyword (x * y, x.tanh()): call forward directly. A call
            # with *args costs ~100 ns more than one with the arguments spelled out (CPython
            # inlines only the latter), ~2 % of a small op's whole forward and backward.
            count = len(inputs)
            if count == 2 and not (params or profiling.active):
                a, b = inputs
                out = cls.forward(ctx, a._data if isinstance(a, Tensor) else a,
                                  b._data if isinstance(b, Tensor) else b)
            elif count == 1 and not (params or profiling.active):
                a = inputs[0]
                out = cls.forward(ctx, a._data if isinstance(a, Tensor) else a)
            else:
                out = _run_forward(cls, ctx, inputs, params)
        except ValueError as error:
            raise _shape_error(cls, inputs, error) from None
        if out.__class__ is not np.ndarray:  # NumPy turns 0-d results into scalars
            out = _as_array(ctx, out)
        if anomaly_mode.enabled:
            _check_anomaly_forward(cls, out)
        if recording_off.value == 0 or grad_state.enabled:  # (see recording_off)
            for x in inputs:
                if isinstance(x, Tensor) and x._requires_grad:
                    ctx.inputs = inputs
                    ctx.output = out
                    ctx.recorded_at = write_clock.now
                    ctx.seq = next(_sequence)
                    # Tensor._make(out, True, ctx), written out: one call fewer per op
                    t = _new_object(Tensor)
                    t._data, t._grad, t._requires_grad = out, None, True
                    t.grad_fn, t._version_counter, t._hooks = ctx, None, None
                    return t
        return Tensor._make(out)

    # ``ctx.saved_tensors`` in a built-in op's backward is the slot ``saved`` itself, read
    # through the slot's own descriptor under PyTorch's name: Function's property costs a
    # Python call per read, 2.2 % of the instructions of a small op's forward and backward
    # (callgrind, ``benchmarks/bench_overhead.py``'s chain). What the property adds is done
    # elsewhere: ``run_backward`` checks that the values were not freed before a backward runs
    # (a later read meets ``_FREED``, which raises when used), and a create_graph backward gets
    # a ``GraphContext`` whose ``saved_tensors`` are the graph's Tensors.
    saved_tensors = Function.saved

    def graph_tensor(self, value: Any) -> Any:
        """A saved value as the create_graph backward uses it: an input's data becomes that
        input Tensor, the saved output a Tensor whose ``grad_fn`` is this node, and anything
        else (masks, indices) stays a constant."""
        if not isinstance(value, np.ndarray):
            return value
        for x in self.inputs:
            if isinstance(x, Tensor) and x._data is value:
                return x
        if value is self.output:
            return Tensor._make(value, True, self)
        return value

    def run_backward(self, grad: Any, create_graph: bool, release: bool = False
                     ) -> tuple[Any, ...]:
        """dL/d(inputs) from dL/d(output): arrays in, arrays out (Tensors if create_graph);
        ``release``: then free what was saved (``release_saved``)."""
        if self.recorded_at != write_clock.now or self.saved is _FREED or create_graph:
            check_ready_for_backward(self, create_graph)  # (the test skips a call per node)
        if not create_graph:
            grads = self.backward(self, grad) if not profiling.active else timed_backward(
                self, grad)
        else:  # the formulas on Tensors, recorded: ctx hands out the graph's Tensors
            previous = grad_state.enabled
            switch_recording(True)
            try:
                ctx = GraphContext(self)
                grads = self.backward(ctx, grad) if not profiling.active else timed_backward(
                    self, grad, ctx)
            finally:
                switch_recording(previous)
        if release:  # release_saved(), written out for the common case of small inputs
            if self.saved:
                self.saved = _FREED
            self.output = None
            for x in self.inputs:  # (the size test last: leaves that require grad skip it)
                if (x.__class__ is Tensor and (x.grad_fn is not None or not x._requires_grad)
                        and x._data.nbytes > KEEP_BYTES):
                    self.release_saved()  # (lets go of large inputs)
                    break
        return grads if isinstance(grads, tuple) else (grads,)


class GraphContext:
    """The ``ctx`` a built-in op's backward gets in a create_graph=True backward: its node, but
    with ``saved_tensors`` the graph's Tensors in place of the saved arrays
    (``Op.graph_tensor``), so that the formulas, run on Tensors, are recorded back to the
    inputs. Every other attribute is read from the node."""

    def __init__(self, node: Op) -> None:
        self.node = node
        self.saved_tensors = tuple(node.graph_tensor(value) for value in node.saved)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.node, name)


class ViewOp(Op):
    """A built-in op whose output may be a *view* of its first input: ``x[0]``, ``reshape``,
    ``permute``, ``expand``. When NumPy returned a view (shared memory), the result is linked to
    its base (``autograd/inplace.py``): it shares the version counter, and in-place changes of
    either are seen by both and rebase the graph, as in PyTorch."""

    __slots__ = ()

    @classmethod
    def apply(cls, *inputs: Any, **params: Any) -> Tensor:
        result = super().apply(*inputs, **params)
        source = inputs[0]
        if isinstance(source, Tensor):
            link_view(result, source, lambda t: cls.apply(t, *inputs[1:], **params))
        return result


# --------------------------------------------------------------------------- helpers
KEEP_BYTES = 4096  # inputs up to this size keep their values after backward()


def _can_let_go(x: Any) -> bool:
    """A large input that receives no gradient itself: an intermediate, or data (a leaf that
    receives a gradient, and any twin, is kept). ``__class__ is`` is the cheapest test and
    excludes parameters and twins."""
    return (x.__class__ is Tensor and x._data.nbytes > KEEP_BYTES
            and (x.grad_fn is not None or not x._requires_grad))


class FreedTensor(Tensor):
    """What a released graph holds in place of a large intermediate tensor: its shape, dtype
    and ``grad_fn``, no values (a zero-stride array takes no memory), and a weak reference to
    the tensor it stands for. ``mt.viz.draw_graph`` draws that tensor while someone still holds
    it, and otherwise a box that says "values freed by backward()"."""

    __slots__ = ("origin",)

    def original(self) -> Tensor | None:
        """The tensor this stands for, if it is still alive."""
        return self.origin()


def freed_twin(x: Tensor) -> Tensor:
    """The value-less stand-in for ``x`` (one per tensor, shared by all the nodes that used it)."""
    twin = getattr(x, "_freed_twin", None)
    if twin is None:
        empty = np.broadcast_to(np.zeros((), dtype=x._data.dtype), x._data.shape)
        twin = object.__new__(FreedTensor)
        twin._data, twin._grad, twin._requires_grad = empty, None, x._requires_grad
        twin.grad_fn, twin._version_counter, twin._hooks = x.grad_fn, None, None
        twin.origin = weakref.ref(x)
        x._freed_twin = twin  # (a slot, not a dict: tensors compare elementwise, not as keys)
    return twin


def display_name(cls: type) -> str:
    """``MulOp`` -> ``Mul``: built-in ops end in ``Op`` in the source, not in messages."""
    name = cls.__name__
    return name[:-2] if issubclass(cls, Op) and name.endswith("Op") else name


def _as_array(ctx: Any, out: Any) -> np.ndarray:
    """Make a 0-d result an array, and save that same object if the op saved the scalar."""
    array = np.asarray(out)
    if any(value is out for value in ctx.saved):
        ctx.saved = tuple(array if value is out else value for value in ctx.saved)
    return array


def _new_node(cls: type, inputs: tuple[Any, ...]) -> Any:
    ctx = _new_object(cls)
    ctx.inputs = inputs
    ctx.saved = ()
    ctx.output = None
    ctx.recorded_at = write_clock.now
    ctx.seq = next(_sequence)
    return ctx


def _run_forward(cls: type, ctx: Any, inputs: tuple[Any, ...], params: dict[str, Any]) -> Any:
    """``cls.forward`` on the inputs' arrays, for any number of inputs and keywords (and timed
    inside a ``profiler.profile()`` block); ``Op.apply`` calls forward itself in the common
    case."""
    arrays = [x._data if isinstance(x, Tensor) else x for x in inputs]
    if profiling.active:  # (mt.autograd.profiler: off unless in a profile() block)
        return timed_forward(cls, ctx, arrays, params)
    return cls.forward(ctx, *arrays, **params)


def _shape_error(cls: type, inputs: tuple[Any, ...], error: ValueError) -> Exception:
    """NumPy's broadcasting ValueError, restated with the op's name and the shapes involved."""
    if "broadcast" not in str(error):
        return error
    shapes = " and ".join(str(tuple(np.shape(x._data if isinstance(x, Tensor) else x)))
                          for x in inputs)
    return RuntimeError(
        f"{display_name(cls)}: shapes {shapes} cannot be broadcast together. Broadcasting aligns "
        "shapes from the right; each pair of sizes must be equal or one of them 1. Reshape or "
        "unsqueeze an operand."
    )


def check_ready_for_backward(node: Function, create_graph: bool) -> None:
    """The checks every node passes before its backward runs (the one place they are made).

    * The saved values still exist (a second backward without ``retain_graph=True`` finds them
      released).
    * None of them was modified in place after it was saved.
    * ``create_graph=True`` only for ops whose backward can be recorded.
    """
    if node.saved is _FREED:
        raise _freed_error(node)
    if node.recorded_at != write_clock.now:  # something was modified in place since
        _check_saved_versions(node)
    if create_graph and not node.supports_double_backward:
        raise NotImplementedError(
            f"{node.op_name} supports first-order gradients only: its backward cannot be recorded "
            "for double backward (create_graph=True)"
        )


def _check_saved_versions(node: Function) -> None:
    """Refuse to backpropagate through values that were overwritten after being saved.

    Every in-place change ticks the global write clock and stores its time in the tensor's
    version counter (``last_write``), and in the memory's record (``versions.note_write``). A node
    remembers the clock when it was recorded (``recorded_at``): a saved value written later
    carries a later time. Values the backward will not use (``saved_for_gradient_of``) are not
    checked, as in PyTorch, which does not even save them.
    """
    for k, value in enumerate(node.saved):
        if not _saved_value_is_used(node, k):
            continue
        changed = _input_changed_since(node, value)
        if changed is not None:
            raise _modified_error(node, changed)
        array = value._data if isinstance(value, Tensor) else value
        # saved outputs, and saved arrays whose memory was written through another tensor
        if isinstance(array, np.ndarray) and written_since(array, node.recorded_at):
            raise _modified_error(node, Tensor._make(array))


def _saved_value_is_used(node: Function, k: int) -> bool:
    needed_for = node.saved_for_gradient_of
    if needed_for is None or needed_for[k] is None:
        return True
    x = node.inputs[needed_for[k]]
    return isinstance(x, Tensor) and x._requires_grad


def _input_changed_since(node: Function, value: Any) -> Tensor | None:
    """The input whose data ``value`` is, if it was changed in place since ``node`` was made."""
    for x in node.inputs:
        if isinstance(x, Tensor) and (value is x._data or value is x):
            counter = x._version_counter
            if counter is not None and counter.last_write > node.recorded_at:
                return x
    return None


def _modified_error(node: Function, tensor: Tensor) -> RuntimeError:
    counter = tensor._version_counter
    writer = counter.last_writer if counter is not None else None
    what = "a Parameter" if type(tensor).__name__ == "Parameter" else "a tensor"
    described = f"{what} of shape {tuple(tensor.shape)}"
    if writer is not None and writer.endswith(".step()"):
        by = f" by {writer}"
        advice = ("Call backward() before optimizer.step(), or run the forward pass again "
                  "after the step.")
    else:
        by = f" by {writer}" if writer else ""
        advice = ("Use an out-of-place operation (x = x + y instead of x += y), or .clone() "
                  "the tensor before modifying it.")
    version = f" (it is now at version {counter.version})" if counter is not None else ""
    return RuntimeError(
        f"{node.op_name}: one of the variables needed for gradient computation has been "
        f"modified by an in-place operation: {described} was changed{by} after {node.op_name} "
        f"saved it{version}. {advice}"
    )


def _check_gradient_count(node: Function, grads: tuple[Any, ...]) -> None:
    if len(grads) != len(node.inputs):
        raise RuntimeError(
            f"{node.op_name}.backward returned {len(grads)} gradients but forward took "
            f"{len(node.inputs)} inputs; return one gradient (or None) per input"
        )


def _freed_error(node: Function | None) -> RuntimeError:
    where = f"{node.op_name}: " if node is not None else ""
    return RuntimeError(
        f"{where}trying to backward through the graph a second time (or to read saved "
        "tensors after they were freed). The saved values are released after .backward() to save "
        "memory; pass retain_graph=True to the first .backward() call if you need to backward "
        "through the same graph again."
    )


def _check_anomaly_forward(cls: type, out: Any) -> None:
    if anomaly_mode.enabled and isinstance(out, np.ndarray) and out.dtype.kind in "fc":
        if not np.isfinite(out).all():
            raise RuntimeError(
                f"detect_anomaly: the forward pass of {display_name(cls)} produced "
                f"{_nonfinite_kind(out)} values (output shape {out.shape})"
            )


def _nonfinite_kind(array: np.ndarray) -> str:
    return "nan" if np.isnan(array).any() else "inf"
