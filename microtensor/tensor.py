"""The Tensor: a NumPy array plus what autograd needs to know about it.

A Tensor holds

* ``_data``: the values, a ``numpy.ndarray`` (float32 unless asked otherwise);
* ``requires_grad``: should gradients flow to this tensor?
* ``grad_fn``: the graph node (an ``Op``/``Function`` instance) that produced it, or ``None`` for a
  *leaf* (a tensor the user created);
* ``grad``: after ``backward()``, dL/d(this tensor) for leaves (and for non-leaves that called
  ``retain_grad()``);
* a version counter, bumped by every in-place change, so the engine can refuse to backpropagate
  through a value that was overwritten after an op saved it.

Everything that computes is an op in ``microtensor/ops``; the methods here only call them, as
``ops.<kind>.<function>`` (``ops.elementwise.mul``), which also says where each op lives. The ops
import this module (they make Tensors); this module imports only the ``ops`` *package*, whose
submodules ``microtensor/__init__.py`` loads, so the modules can be imported in any order. The
autograd bookkeeping that in-place changes need is imported where it is used.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from microtensor import _dtypes, ops
from microtensor.methods import (
    LinalgMethods,
    LogicalMethods,
    PointwiseMethods,
    RearrangeMethods,
    ScanMethods,
    SelectionMethods,
    SortingMethods,
)

Scalar = int | float | bool
_FLOAT32 = np.dtype(np.float32)


class Tensor(PointwiseMethods, LogicalMethods, ScanMethods, SelectionMethods, SortingMethods,
             RearrangeMethods, LinalgMethods):
    """An n-dimensional array that can record the operations applied to it.

    ``Tensor(data)`` makes a float tensor (as ``torch.Tensor``); prefer ``mt.tensor(data)``, which
    keeps integer and bool data as such.
    """

    __slots__ = (
        "_data",
        "_grad",
        "_requires_grad",
        "grad_fn",
        "_version_counter",
        "_hooks",
        # set only when needed (read with getattr): see autograd/inplace.py
        "_previous_version",  # (time, snapshot): the history before an in-place change
        "_base",  # for a view: the tensor whose memory it shares
        "_view_replay",  # for a view: how to make it again from its base
        "_views",  # for a base: its live views (a WeakSet)
        "_multi_output_of",  # for an output of split/chunk/unbind: (function, index)
        "_freed_twin",  # the value-less stand-in a released graph holds (autograd/function.py)
        "__weakref__",
    )

    # NumPy arrays and scalars defer to the Tensor's reflected operators (np.float64(2) * t is a
    # Tensor in the graph, not an ndarray), as in PyTorch
    __array_priority__ = 1000

    def __init__(self, data: Any = (), dtype: Any = None, requires_grad: bool = False) -> None:
        if isinstance(data, Tensor):
            data = data._data
        target = _dtypes.resolve(dtype) if dtype is not None else _dtypes.get_default_dtype()
        self._data = np.array(data, dtype=target)
        self._grad = None
        self._requires_grad = False
        self.grad_fn = None
        self._version_counter = None  # made on first use: see _counter
        self._hooks = None
        if requires_grad:
            self.requires_grad = True

    @staticmethod
    def _make(data: np.ndarray, requires_grad: bool = False, grad_fn: Any = None) -> Tensor:
        """Wrap an existing array without copying (the fast path every op uses)."""
        t = object.__new__(Tensor)
        t._data = data
        t._grad = None
        t._requires_grad = requires_grad
        t.grad_fn = grad_fn
        t._version_counter = None  # most tensors are never changed in place: no counter yet
        t._hooks = None
        return t

    # ------------------------------------------------------------------ attributes
    @property
    def shape(self) -> tuple[int, ...]:
        return self._data.shape

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def device(self) -> str:
        return "cpu"

    @property
    def is_leaf(self) -> bool:
        """True for tensors not produced by a recorded op (user-created, or not requiring grad)."""
        return self.grad_fn is None

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if value and self._data.dtype.kind not in "fc":
            raise RuntimeError(
                "only Tensors of floating point dtype can require gradients, but this tensor "
                f"has dtype {self._data.dtype}; convert it first, e.g. x.float()"
            )
        if not value and self.grad_fn is not None:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf tensors; use .detach() to get a "
                "tensor without history"
            )
        self._requires_grad = bool(value)

    @property
    def grad(self) -> Tensor | None:
        """dL/d(self) accumulated by ``backward()`` (leaves, and non-leaves with retain_grad)."""
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad must be a Tensor or None, got {type(value)}")
            if value.shape != self.shape:
                raise RuntimeError(
                    f"assigned grad has shape {tuple(value.shape)} but the tensor has shape "
                    f"{tuple(self.shape)}"
                )
        self._grad = value

    @property
    def data(self) -> Tensor:
        """The same values as a tensor detached from the graph (changes to it are not tracked)."""
        return Tensor._make(self._data)

    @data.setter
    def data(self, value: Tensor | np.ndarray) -> None:
        self._data = value._data if isinstance(value, Tensor) else np.asarray(value)

    def _counter(self) -> Any:
        """The version counter (a ``VersionCounter``), made on first use (saves an object per op
        result; most tensors are never changed in place)."""
        if self._version_counter is None:
            from microtensor.autograd.versions import VersionCounter

            self._version_counter = VersionCounter()
        return self._version_counter

    @property
    def _version(self) -> int:
        """How many times the values were changed in place (PyTorch's ``tensor._version``)."""
        return 0 if self._version_counter is None else self._version_counter.version

    def _bump_version(self, writer: str | None = None) -> None:
        """Record an in-place change of the values, made by ``writer`` (see
        ``autograd/versions.py``; the name appears in the error of a later backward)."""
        from microtensor.autograd.versions import note_write

        self._counter().bump(writer)
        note_write(self._data)  # views of the same memory have their own counters

    @property
    def T(self) -> Tensor:
        """The tensor with its dimensions reversed (the transpose for a matrix)."""
        return ops.shape.permute(self, tuple(range(self.ndim - 1, -1, -1)))

    @property
    def mT(self) -> Tensor:
        """Transpose of the last two dimensions (a batch of matrices transposed)."""
        return ops.shape.transpose(self, -2, -1)

    # ------------------------------------------------------------------ conversion
    def size(self, dim: int | None = None) -> Any:
        if dim is None:
            return self._data.shape
        return self._data.shape[ops.shape.normalize_dim(dim, self.ndim, "size")]

    def dim(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return int(self._data.size)

    def element_size(self) -> int:
        return int(self._data.itemsize)

    def item(self) -> Scalar:
        if self._data.size != 1:
            raise RuntimeError(
                f"item(): a Tensor with {self._data.size} elements cannot be converted to a "
                "Python number; only one-element tensors can"
            )
        return self._data.item()

    def numpy(self) -> np.ndarray:
        """The underlying array (shared memory). Like PyTorch, refused while it requires grad."""
        if self._requires_grad:
            raise RuntimeError(
                "can't call numpy() on a Tensor that requires grad; use tensor.detach().numpy()"
            )
        return self._data

    def tolist(self) -> Any:
        return self._data.tolist()

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return self._data if dtype is None else self._data.astype(dtype)

    def detach(self) -> Tensor:
        """A new tensor on the same values, cut from the graph (shares the version counter)."""
        t = Tensor._make(self._data)
        t._version_counter = self._counter()
        return t

    def detach_(self) -> Tensor:
        self.grad_fn = None
        self._requires_grad = False
        return self

    def clone(self) -> Tensor:
        """A copy of the values that stays in the graph (gradient passes straight through)."""
        return ops.elementwise.clone(self)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        self.requires_grad = requires_grad
        return self

    def retain_grad(self) -> None:
        """Ask ``backward()`` to also store ``.grad`` on this non-leaf tensor."""
        if self.grad_fn is None:
            if not self._requires_grad:
                raise RuntimeError("can't retain_grad on a Tensor that has requires_grad=False")
            return  # leaves keep their grad anyway
        if not self.retains_grad:
            _add_node_hook(self.grad_fn, _RetainGrad(self))

    @property
    def retains_grad(self) -> bool:
        hooks = self.grad_fn.hooks if self.grad_fn is not None else None
        return bool(hooks) and any(isinstance(h, _RetainGrad) for h in hooks)

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> Callable[[], None]:
        """Call ``hook(grad)`` when this tensor's gradient is computed; it may return a new grad.

        Returns a function that removes the hook (PyTorch returns a handle with ``.remove()``;
        the returned object has that method too).
        """
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is None:
            if self._hooks is None:
                self._hooks = []
            hooks = self._hooks
            hooks.append(hook)
        else:
            hooks = _add_node_hook(self.grad_fn, hook)
        return _HookHandle(hooks, hook)

    def backward(
        self,
        gradient: Tensor | None = None,
        retain_graph: bool | None = None,
        create_graph: bool = False,
        inputs: Any = None,
    ) -> None:
        """Backpropagate from this tensor, accumulating dself/dleaf into every leaf's ``.grad``."""
        from microtensor.autograd.engine import backward

        backward(self, gradient, retain_graph, create_graph, inputs)

    def to(self, dtype: Any = None, *args: Any, **kwargs: Any) -> Tensor:
        """Cast to ``dtype`` (device arguments such as "cpu" are accepted and ignored)."""
        if "dtype" in kwargs:
            dtype = kwargs["dtype"]
        if dtype is None or isinstance(dtype, str) and dtype in ("cpu", "cuda"):
            return self
        return ops.elementwise.cast(self, _dtypes.resolve(dtype))

    def type(self, dtype: Any = None) -> Any:
        if dtype is None:
            return f"microtensor.{self.dtype}"
        return self.to(dtype)

    def type_as(self, other: Tensor) -> Tensor:
        return self.to(other.dtype)

    def float(self) -> Tensor:
        return self.to(np.float32)

    def double(self) -> Tensor:
        return self.to(np.float64)

    def long(self) -> Tensor:
        return self.to(np.int64)

    def int(self) -> Tensor:
        return self.to(np.int32)

    def bool(self) -> Tensor:
        return self.to(np.bool_)

    def cpu(self) -> Tensor:
        return self

    def contiguous(self) -> Tensor:
        """This tensor if it is contiguous, else a contiguous copy (in the graph: a copy, whose
        gradient passes through unchanged)."""
        return self if self._data.flags.c_contiguous else ops.elementwise.clone(self)

    def is_contiguous(self) -> bool:
        """Are the elements laid out in row-major order without gaps? PyTorch's definition on
        NumPy's strides (bytes / itemsize): stride[d] = product of the later sizes for every dim
        of size > 1; a tensor without elements is contiguous."""
        return bool(self._data.flags.c_contiguous)

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    # ------------------------------------------------------------------ Python protocol
    def __repr__(self) -> str:
        from microtensor.tensor_repr import format_tensor

        return format_tensor(self)

    def __format__(self, format_spec: str) -> str:
        """``f"{loss:.4f}"``: a 0-d tensor formats as its number, as in PyTorch (this is how
        training loops print their loss); other tensors take only an empty spec (their repr)."""
        if self._data.ndim == 0:
            return self.item().__format__(format_spec)
        if format_spec:
            raise TypeError("unsupported format string passed to Tensor.__format__")
        return repr(self)

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(
                f"the truth value of a tensor with {self._data.size} elements is ambiguous; "
                "use .any() or .all()"
            )
        return bool(self._data)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be used as an index")
        return int(self._data)

    def __hash__(self) -> int:
        return id(self)

    # ------------------------------------------------------------------ arithmetic
    def __add__(self, other: Any) -> Tensor:
        if isinstance(other, Tensor) and other._data.dtype is self._data.dtype:  # common case
            return ops.elementwise.AddOp.apply(self, other)
        return ops.elementwise.add(self, other)

    def __radd__(self, other: Any) -> Tensor:
        return ops.elementwise.add(other, self)

    def __sub__(self, other: Any) -> Tensor:
        if isinstance(other, Tensor) and other._data.dtype is self._data.dtype:  # common case
            return ops.elementwise.SubOp.apply(self, other)
        return ops.elementwise.sub(self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return ops.elementwise.sub(other, self)

    def __mul__(self, other: Any) -> Tensor:
        if isinstance(other, Tensor) and other._data.dtype is self._data.dtype:  # common case
            return ops.elementwise.MulOp.apply(self, other)
        return ops.elementwise.mul(self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return ops.elementwise.mul(other, self)

    def __truediv__(self, other: Any) -> Tensor:
        if isinstance(other, Tensor) and other._data.dtype is self._data.dtype is _FLOAT32:
            return ops.elementwise.DivOp.apply(self, other)
        return ops.elementwise.div(self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return ops.elementwise.div(other, self)

    def __pow__(self, exponent: Any) -> Tensor:
        return ops.elementwise.pow(self, exponent)

    def __rpow__(self, base: Any) -> Tensor:
        return ops.elementwise.pow(base, self)

    def __matmul__(self, other: Any) -> Tensor:
        return ops.linalg.matmul(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return ops.linalg.matmul(other, self)

    def __neg__(self) -> Tensor:
        return ops.elementwise.neg(self)

    def __pos__(self) -> Tensor:
        return self

    def __abs__(self) -> Tensor:
        return ops.elementwise.abs(self)

    def __floordiv__(self, other: Any) -> Tensor:
        return ops.elementwise.constant_result("floor_divide", np.floor_divide, self, other)

    def __rfloordiv__(self, other: Any) -> Tensor:
        return ops.elementwise.constant_result("floor_divide", np.floor_divide, other, self)

    def __mod__(self, other: Any) -> Tensor:
        return ops.elementwise.constant_result("remainder", np.remainder, self, other)

    # comparisons and logic give bool tensors, outside the graph
    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return ops.elementwise.constant_result("eq", np.equal, self, other)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return ops.elementwise.constant_result("ne", np.not_equal, self, other)

    def __lt__(self, other: Any) -> Tensor:
        return ops.elementwise.constant_result("lt", np.less, self, other)

    def __le__(self, other: Any) -> Tensor:
        return ops.elementwise.constant_result("le", np.less_equal, self, other)

    def __gt__(self, other: Any) -> Tensor:
        return ops.elementwise.constant_result("gt", np.greater, self, other)

    def __ge__(self, other: Any) -> Tensor:
        return ops.elementwise.constant_result("ge", np.greater_equal, self, other)

    def __invert__(self) -> Tensor:
        return ops.elementwise.constant_result("bitwise_not", np.invert, self)

    def __and__(self, other: Any) -> Tensor:
        return ops.elementwise.constant_result("bitwise_and", np.bitwise_and, self, other)

    def __or__(self, other: Any) -> Tensor:
        return ops.elementwise.constant_result("bitwise_or", np.bitwise_or, self, other)

    def __xor__(self, other: Any) -> Tensor:
        return ops.elementwise.constant_result("bitwise_xor", np.bitwise_xor, self, other)

    def eq(self, other: Any) -> Tensor:
        return self.__eq__(other)

    def ne(self, other: Any) -> Tensor:
        return self.__ne__(other)

    def lt(self, other: Any) -> Tensor:
        return self.__lt__(other)

    def le(self, other: Any) -> Tensor:
        return self.__le__(other)

    def gt(self, other: Any) -> Tensor:
        return self.__gt__(other)

    def ge(self, other: Any) -> Tensor:
        return self.__ge__(other)

    def equal(self, other: Tensor) -> bool:
        return self.shape == other.shape and bool(np.array_equal(self._data, other._data))

    def allclose(self, other: Any, rtol: float = 1e-5, atol: float = 1e-8) -> bool:
        other_data = other._data if isinstance(other, Tensor) else other
        return bool(np.allclose(self._data, other_data, rtol=rtol, atol=atol))

    def any(self) -> Tensor:
        return Tensor._make(np.asarray(self._data.any()))

    def all(self) -> Tensor:
        return Tensor._make(np.asarray(self._data.all()))

    def isnan(self) -> Tensor:
        return Tensor._make(np.isnan(self._data))

    def isfinite(self) -> Tensor:
        return Tensor._make(np.isfinite(self._data))

    # ------------------------------------------------------------------ in-place operations
    def _inplace(self, name: str, out_of_place: Callable[[Tensor], Tensor],
                 arithmetic: bool = False) -> Tensor:
        """Shared logic of the in-place ops (``+=``, ``add_``, ``x[i] = v`` ...): write
        ``out_of_place(old self)`` into this tensor's memory, and rebase the graph when the
        change is recorded (views and bases see it too; see ``autograd/inplace.py``).

        The tensor keeps its dtype. For the arithmetic ops (``arithmetic=True``) the result's
        type must be castable to it, as in PyTorch: ``int_t /= 2`` or ``bool_t += 1`` raise,
        ``float32_t += float64_t`` computes in float64 and stores float32 (also while recording).
        """
        from microtensor.autograd.inplace import apply_inplace

        return apply_inplace(self, name, out_of_place,
                             lambda result: self._cast_inplace_result(name, result, arithmetic))

    def _cast_inplace_result(self, name: str, result: Tensor, arithmetic: bool) -> Tensor:
        """The result of an in-place op in this tensor's dtype (refused where PyTorch refuses)."""
        if arithmetic and not _dtypes.can_cast(result._data.dtype, self._data.dtype):
            raise RuntimeError(
                f"{name}: result type {_dtypes.torch_name(result._data.dtype)} can't be cast to "
                f"the desired output type {_dtypes.torch_name(self._data.dtype)}; an in-place "
                "op keeps the tensor's dtype, so use the out-of-place form (x = x / 2) or "
                "convert the tensor first (x = x.float())"
            )
        if result.grad_fn is None:
            return Tensor._make(result._data.astype(self._data.dtype))
        return ops.elementwise.cast(result, self._data.dtype)

    def __iadd__(self, other: Any) -> Tensor:
        return self._inplace("add_", lambda t: ops.elementwise.add(t, other), arithmetic=True)

    def __isub__(self, other: Any) -> Tensor:
        return self._inplace("sub_", lambda t: ops.elementwise.sub(t, other), arithmetic=True)

    def __imul__(self, other: Any) -> Tensor:
        return self._inplace("mul_", lambda t: ops.elementwise.mul(t, other), arithmetic=True)

    def __itruediv__(self, other: Any) -> Tensor:
        return self._inplace("div_", lambda t: ops.elementwise.div(t, other), arithmetic=True)

    def add_(self, other: Any, alpha: float = 1) -> Tensor:
        scaled = other if alpha == 1 else other * alpha
        return self._inplace("add_", lambda t: ops.elementwise.add(t, scaled), arithmetic=True)

    def sub_(self, other: Any, alpha: float = 1) -> Tensor:
        scaled = other if alpha == 1 else other * alpha
        return self._inplace("sub_", lambda t: ops.elementwise.sub(t, scaled), arithmetic=True)

    def mul_(self, other: Any) -> Tensor:
        return self._inplace("mul_", lambda t: ops.elementwise.mul(t, other), arithmetic=True)

    def div_(self, other: Any) -> Tensor:
        return self._inplace("div_", lambda t: ops.elementwise.div(t, other), arithmetic=True)

    def pow_(self, exponent: Any) -> Tensor:
        return self._inplace("pow_", lambda t: ops.elementwise.pow(t, exponent),
                             arithmetic=True)

    def clamp_(self, min: Any = None, max: Any = None) -> Tensor:
        return self._inplace("clamp_", lambda t: ops.elementwise.clamp(t, min, max),
                             arithmetic=True)

    def copy_(self, source: Any) -> Tensor:
        source_tensor = source if isinstance(source, Tensor) else Tensor._make(np.asarray(source))

        def copied(t: Tensor) -> Tensor:
            value = ops.elementwise.cast(ops.shape.expand(source_tensor, t.shape), t.dtype)
            # a new node and array: this tensor must not share the source's graph node or memory
            return ops.elementwise.clone(value) if value is source_tensor else value

        return self._inplace("copy_", copied)

    def fill_(self, value: Scalar) -> Tensor:
        return self._inplace("fill_", lambda t: Tensor._make(np.full_like(t._data, value)))

    def zero_(self) -> Tensor:
        return self.fill_(0)

    def uniform_(self, a: float = 0.0, b: float = 1.0) -> Tensor:
        from microtensor.random import generator

        values = generator().uniform(a, b, self.shape)
        return self._inplace("uniform_", lambda t: Tensor._make(values.astype(t.dtype)))

    def normal_(self, mean: float = 0.0, std: float = 1.0) -> Tensor:
        from microtensor.random import generator

        values = generator().normal(mean, std, self.shape)
        return self._inplace("normal_", lambda t: Tensor._make(values.astype(t.dtype)))

    def __setitem__(self, index: Any, value: Any) -> None:
        self._inplace("__setitem__", lambda t: ops.shape.index_put(t, index, value))

    # ------------------------------------------------------------------ elementwise
    def exp(self) -> Tensor:
        return ops.elementwise.exp(self)

    def log(self) -> Tensor:
        return ops.elementwise.log(self)

    def sqrt(self) -> Tensor:
        return ops.elementwise.sqrt(self)

    def abs(self) -> Tensor:
        return ops.elementwise.abs(self)

    def sin(self) -> Tensor:
        return ops.elementwise.sin(self)

    def cos(self) -> Tensor:
        return ops.elementwise.cos(self)

    def tanh(self) -> Tensor:
        return ops.elementwise.tanh(self)

    def sigmoid(self) -> Tensor:
        return ops.elementwise.sigmoid(self)

    def relu(self) -> Tensor:
        return ops.activations.relu(self)

    def sign(self) -> Tensor:
        return ops.elementwise.sign(self)

    def square(self) -> Tensor:
        return ops.elementwise.pow(self, 2)

    def neg(self) -> Tensor:
        return ops.elementwise.neg(self)

    def reciprocal(self) -> Tensor:
        return ops.elementwise.div(1.0, self)

    def pow(self, exponent: Any) -> Tensor:
        return ops.elementwise.pow(self, exponent)

    def add(self, other: Any, alpha: float = 1) -> Tensor:
        return ops.elementwise.add(self, other, alpha=alpha)

    def sub(self, other: Any, alpha: float = 1) -> Tensor:
        return ops.elementwise.sub(self, other, alpha=alpha)

    def mul(self, other: Any) -> Tensor:
        return ops.elementwise.mul(self, other)

    def div(self, other: Any) -> Tensor:
        return ops.elementwise.div(self, other)

    def clamp(self, min: Any = None, max: Any = None) -> Tensor:
        return ops.elementwise.clamp(self, min, max)

    clip = clamp

    def maximum(self, other: Any) -> Tensor:
        return ops.elementwise.maximum(self, other)

    def minimum(self, other: Any) -> Tensor:
        return ops.elementwise.minimum(self, other)

    def masked_fill(self, mask: Any, value: Scalar) -> Tensor:
        """``value`` where ``mask`` is True; keeps this tensor's dtype (as PyTorch)."""
        return ops.elementwise.masked_fill(self, mask, value)

    # ------------------------------------------------------------------ reductions
    def sum(self, dim: Any = None, keepdim: bool = False, **aliases: Any) -> Tensor:
        return ops.reduce.sum(self, dim, keepdim, **aliases)

    def mean(self, dim: Any = None, keepdim: bool = False, **aliases: Any) -> Tensor:
        return ops.reduce.mean(self, dim, keepdim, **aliases)

    def prod(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        return ops.reduce.prod(self, dim, keepdim)

    def max(self, dim: Any = None, keepdim: bool = False) -> Any:
        return ops.reduce.max(self, dim, keepdim)

    def min(self, dim: Any = None, keepdim: bool = False) -> Any:
        return ops.reduce.min(self, dim, keepdim)

    def amax(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        return ops.reduce.amax(self, dim, keepdim)

    def amin(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        return ops.reduce.amin(self, dim, keepdim)

    def argmax(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        return ops.reduce.argmax(self, dim, keepdim)

    def argmin(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        return ops.reduce.argmin(self, dim, keepdim)

    def var(self, dim: Any = None, *, correction: int = 1, keepdim: bool = False,
            unbiased: bool | None = None) -> Tensor:
        return ops.reduce.var(self, dim, correction=correction, keepdim=keepdim, unbiased=unbiased)

    def std(self, dim: Any = None, *, correction: int = 1, keepdim: bool = False,
            unbiased: bool | None = None) -> Tensor:
        return ops.reduce.std(self, dim, correction=correction, keepdim=keepdim, unbiased=unbiased)

    def logsumexp(self, dim: Any, keepdim: bool = False) -> Tensor:
        return ops.reduce.logsumexp(self, dim, keepdim)

    def softmax(self, dim: int) -> Tensor:
        return ops.reduce.softmax(self, dim)

    def log_softmax(self, dim: int) -> Tensor:
        return ops.reduce.log_softmax(self, dim)

    def norm(self, p: float = 2, dim: Any = None, keepdim: bool = False) -> Tensor:
        return ops.reduce.norm(self, p, dim, keepdim)

    # ------------------------------------------------------------------ shape and indexing
    def reshape(self, *shape: Any) -> Tensor:
        return ops.shape.reshape(self, ops.shape.shape_arg(shape))

    def view(self, *shape: Any) -> Tensor:
        """The same memory seen with a new shape; a RuntimeError if that needs a copy (a tensor
        that is not contiguous: use ``reshape``), as in PyTorch (``ops.shape.can_view``)."""
        return ops.shape.view(self, ops.shape.shape_arg(shape))

    def view_as(self, other: Tensor) -> Tensor:
        return ops.shape.view(self, other.shape)

    def reshape_as(self, other: Tensor) -> Tensor:
        return ops.shape.reshape(self, other.shape)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        return ops.shape.flatten(self, start_dim, end_dim)

    def unsqueeze(self, dim: int) -> Tensor:
        return ops.shape.unsqueeze(self, dim)

    def squeeze(self, dim: Any = None) -> Tensor:
        return ops.shape.squeeze(self, dim)

    def transpose(self, dim0: int, dim1: int) -> Tensor:
        return ops.shape.transpose(self, dim0, dim1)

    swapaxes = transpose
    swapdims = transpose

    def t(self) -> Tensor:
        if self.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dims, but self is {self.ndim}-D")
        return self.T

    def permute(self, *dims: Any) -> Tensor:
        return ops.shape.permute(self, ops.shape.shape_arg(dims))

    def expand(self, *sizes: Any) -> Tensor:
        return ops.shape.expand(self, ops.shape.shape_arg(sizes))

    def expand_as(self, other: Tensor) -> Tensor:
        return ops.shape.expand(self, other.shape)

    def broadcast_to(self, shape: Any) -> Tensor:
        return ops.shape.expand(self, tuple(shape))

    def repeat(self, *repeats: Any) -> Tensor:
        return ops.shape.repeat(self, ops.shape.shape_arg(repeats))

    def split(self, split_size_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
        return ops.shape.split(self, split_size_or_sections, dim)

    def chunk(self, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
        return ops.shape.chunk(self, chunks, dim)

    def __getitem__(self, index: Any) -> Tensor:
        return ops.shape.getitem(self, index)

    def matmul(self, other: Any) -> Tensor:
        return ops.linalg.matmul(self, other)

    def mm(self, other: Any) -> Tensor:
        return ops.linalg.matmul(self, other)

    def dot(self, other: Any) -> Tensor:
        return ops.linalg.matmul(self, other)


def _add_node_hook(node: Any, hook: Any) -> list[Any]:
    if node.hooks is None:
        node.hooks = []
    hooks = node.hooks
    hooks.append(hook)
    # retain_grad stores the gradient after all other hooks have run, whatever the order in
    # which they were registered (as in PyTorch)
    hooks.sort(key=lambda h: isinstance(h, _RetainGrad))
    return hooks


class _RetainGrad:
    """The hook behind ``retain_grad()``: stores the gradient on the (non-leaf) tensor.

    Holds the tensor weakly, so the graph does not keep its outputs alive.
    """

    __slots__ = ("tensor",)

    def __init__(self, tensor: Tensor) -> None:
        self.tensor = weakref.ref(tensor)

    def __call__(self, grad: Tensor) -> None:
        tensor = self.tensor()
        if tensor is None:
            return None
        if grad.grad_fn is None:  # plain backward: keep a private copy
            grad = Tensor._make(np.array(grad._data, copy=True))
        tensor._grad = grad if tensor._grad is None else tensor._grad + grad
        return None


class _HookHandle:
    """Returned by ``register_hook``; call it or its ``remove()`` to take the hook away."""

    __slots__ = ("_hooks", "_hook")

    def __init__(self, hooks: list[Any], hook: Any) -> None:
        self._hooks = hooks
        self._hook = hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)

    __call__ = remove
