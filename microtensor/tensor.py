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

import operator
import threading
import warnings
import weakref
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

from microtensor import _dtypes, ops
from microtensor import device as _device  # the module (mt.device is its class)
from microtensor.methods import (
    ExtrasMethods,
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


# The ops behind ``+ - * /`` and ``.tanh()`` on the common path (two Tensors of one dtype), as
# bound methods ``MulOp.apply`` &c. made once. Written ``ops.elementwise.MulOp.apply(...)`` the
# call looks up two attributes and binds the classmethod anew every time: 1.4 % of the
# instructions of a small op's forward and backward (``bench_overhead.py``). They are module
# globals (the cheapest lookup) that ``ops/elementwise.py`` sets at its end through
# ``bind_operator_ops``: it imports this module, so this one cannot import it.
_add_op: Callable[..., Tensor]
_sub_op: Callable[..., Tensor]
_mul_op: Callable[..., Tensor]
_div_op: Callable[..., Tensor]
_tanh_op: Callable[..., Tensor]


def bind_operator_ops(add: type, sub: type, mul: type, div: type, tanh: type) -> None:
    """Bind the ops behind ``+ - * /`` and ``.tanh()`` (see the comment above)."""
    global _add_op, _sub_op, _mul_op, _div_op, _tanh_op
    _add_op, _sub_op, _mul_op, _div_op = add.apply, sub.apply, mul.apply, div.apply
    _tanh_op = tanh.apply


class Size(tuple):
    """The shape of a tensor (``x.shape``, ``x.size()``): a tuple of ints, as ``torch.Size``.

    It is a plain tuple in every way (indexing, unpacking, ``== (2, 3)``, NumPy accepts it),
    plus ``numel()``; slicing it, or adding or repeating it, gives a ``Size`` again. It prints as
    ``microtensor.Size([2, 3])`` (PyTorch prints ``torch.Size([2, 3])``): the name says which
    library made it, as in a tensor's repr (``dtype=microtensor.float64``). A dtype itself is a
    NumPy dtype: ``print(x.dtype)`` shows ``float32`` (PyTorch shows ``torch.float32``).
    """

    __slots__ = ()

    def __new__(cls, sizes: Iterable[Any] = ()) -> Size:
        items = tuple(sizes)
        for k, size in enumerate(items):
            if isinstance(size, bool) or not hasattr(size, "__index__"):
                raise TypeError(f"Size() takes an iterable of 'int' (item {k} is "
                                f"'{type(size).__name__}')")
        return tuple.__new__(cls, [operator.index(size) for size in items])

    def numel(self) -> int:
        """The number of elements of a tensor of this shape (1 for ``Size([])``)."""
        count = 1
        for size in self:
            count *= size
        return count

    def __repr__(self) -> str:
        return f"microtensor.Size({list(self)})"

    def __format__(self, format_spec: str) -> str:
        """In an f-string a Size reads as the tuple it is, ``(2, 3)``: the form every error
        message of microtensor uses for shapes (``str()`` and ``print`` show the repr)."""
        return tuple.__repr__(self).__format__(format_spec)

    def __getitem__(self, index: Any) -> Any:
        item = tuple.__getitem__(self, index)
        return _new_size(Size, item) if isinstance(index, slice) else item

    def __add__(self, other: Any) -> Size:
        if not isinstance(other, tuple):
            return NotImplemented
        return _new_size(Size, tuple.__add__(self, other))

    def __radd__(self, other: Any) -> Size:
        if not isinstance(other, tuple):
            return NotImplemented
        return _new_size(Size, tuple.__add__(other, self))

    def __mul__(self, times: Any) -> Size:
        return _new_size(Size, tuple.__mul__(self, times))

    __rmul__ = __mul__

    def __reduce__(self) -> tuple[Any, ...]:
        return (Size, (tuple(self),))


_new_size = tuple.__new__  # Size from a tuple of ints, unchecked (the fast path of .shape)
NONLEAF_GRAD_WARNING = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
    "attribute won't be populated during autograd.backward(). If you indeed want the .grad field "
    "to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If you "
    "access the non-leaf Tensor by mistake, make sure you access the leaf Tensor instead."
)


class Tensor(PointwiseMethods, LogicalMethods, ScanMethods, SelectionMethods, SortingMethods,
             RearrangeMethods, LinalgMethods, ExtrasMethods):
    """An n-dimensional array that can record the operations applied to it.

    ``Tensor(data)`` makes a float tensor (as ``torch.Tensor``); prefer ``mt.tensor(data)``, which
    keeps integer and bool data as such. PyTorch's legacy forms work too: ``Tensor(2, 3)`` (or
    ``Tensor(mt.Size([2, 3]))``) is an uninitialised 2x3 tensor, ``Tensor()`` an empty one,
    ``Tensor(t)`` shares ``t``'s memory and dtype. (``dtype=`` and ``requires_grad=`` are
    microtensor's additions; PyTorch's ``torch.Tensor`` takes neither.)
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
        "_grad_accumulator",  # a weak reference to this leaf's AccumulateGrad node, if any
        "_inference",  # True for a tensor made inside inference_mode()
        "__weakref__",
    )

    # NumPy arrays and scalars defer to the Tensor's reflected operators (np.float64(2) * t is a
    # Tensor in the graph, not an ndarray), as in PyTorch
    __array_priority__ = 1000

    def __init__(self, *data: Any, dtype: Any = None, requires_grad: bool = False,
                 device: Any = None) -> None:
        _device.factory_device(device)
        target = _dtypes.resolve(dtype) if dtype is not None else _dtypes.get_default_dtype()
        self._data = legacy_array(data, target, dtype is not None, "Tensor")
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
    def shape(self) -> Size:
        """The size of each dimension, a ``Size`` (a tuple): ``x.size()``."""
        return _new_size(Size, self._data.shape)

    @property
    def dtype(self) -> np.dtype:
        """The element type (``mt.float32``, ``mt.int64``, ...; a NumPy dtype)."""
        return self._data.dtype

    @property
    def ndim(self) -> int:
        """The number of dimensions (0 for a scalar tensor): ``x.dim()``."""
        return self._data.ndim

    @property
    def device(self) -> _device.device:
        """Where the tensor lives: always ``device(type='cpu')`` (NumPy computes on the CPU)."""
        return _device.CPU

    is_cuda = False
    is_cpu = True
    is_mps = False
    is_meta = False

    def get_device(self) -> int:
        """The CUDA device index, or -1 for a CPU tensor (always -1 here)."""
        return -1

    @property
    def is_leaf(self) -> bool:
        """True for tensors not produced by a recorded op (user-created, or not requiring grad)."""
        return self.grad_fn is None

    @property
    def requires_grad(self) -> bool:
        """Does autograd record the ops on this tensor? Settable on leaves;
        only floating-point (and complex) tensors can require grad."""
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
        """dL/d(self) accumulated by ``backward()`` (leaves, and non-leaves with retain_grad).

        Reading it on a non-leaf that did not call ``retain_grad()`` warns, as in PyTorch: the
        engine never stores it there, so ``None`` is almost always a mistake.
        """
        grad = self._grad
        if grad is None and self.grad_fn is not None and not self.retains_grad:
            warnings.warn(NONLEAF_GRAD_WARNING, UserWarning, stacklevel=2)
        return grad

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

    # ------------------------------------------------------------------ conversion
    def size(self, dim: int | None = None) -> Any:
        """The shape (a ``Size``), or the length of dimension ``dim`` (an int)."""
        if dim is None:
            return _new_size(Size, self._data.shape)
        return self._data.shape[ops.shape.normalize_dim(dim, self.ndim, "size")]

    def dim(self) -> int:
        """The number of dimensions (0 for a scalar tensor); ``ndimension`` is the
        same method."""
        return self._data.ndim

    ndimension = dim

    def numel(self) -> int:
        """The number of elements (the product of the shape; 1 for a 0-d tensor);
        ``nelement`` is the same method."""
        return int(self._data.size)

    nelement = numel

    def element_size(self) -> int:
        """Bytes per element (4 for float32)."""
        return int(self._data.itemsize)

    @property
    def itemsize(self) -> int:
        """Bytes per element (4 for float32): ``element_size()``."""
        return int(self._data.itemsize)

    @property
    def nbytes(self) -> int:
        """Bytes of all the elements (``numel() * element_size()``)."""
        return int(self._data.nbytes)

    def data_ptr(self) -> int:
        """The address of the first element: the NumPy buffer's (views share their base's
        memory, so ``x[1:].data_ptr() - x.data_ptr()`` is one element's size)."""
        return int(self._data.__array_interface__["data"][0])

    def item(self) -> Scalar:
        """The value of a one-element tensor as a Python number (an error for any
        other number of elements)."""
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
        """The values as nested Python lists of Python numbers (a number for a
        0-d tensor)."""
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

    def clone(self, *, memory_format: Any = None) -> Tensor:
        """A copy of the values that stays in the graph (gradient passes straight through).

        ``memory_format`` is accepted for PyTorch's signature; the copy is always row-major
        (see ``_dtypes.check_memory_format``).
        """
        _dtypes.check_memory_format(memory_format, "clone", self._data.ndim)
        return ops.elementwise.clone(self)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` (default True) in place; returns
        ``self``."""
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
        """True once ``retain_grad()`` was called on this non-leaf tensor
        (``backward()`` then stores its ``.grad``); False for leaves."""
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
        """Backpropagate from this tensor: add d(self)/d(leaf) to the ``.grad`` of every leaf
        that requires grad (reverse-mode automatic differentiation, the chain rule applied from
        the output back).

        The engine visits the ops of the graph that produced ``self`` in reverse topological
        order, and each op's ``backward`` turns the gradient of its output into gradients of
        its inputs (vector-Jacobian products): for y = f(x), dL/dx = (∂y/∂x)ᵀ dL/dy.

        Args:
            gradient: dL/d(self), the same shape as ``self``. May be omitted only when ``self``
                has one element (a loss): it is then 1. For a non-scalar ``self`` the result is
                the gradient of Σ gradient · self.
            retain_graph: keep the saved intermediate values so that backward can run through
                this graph again; default ``create_graph``. Without it a second ``backward``
                raises RuntimeError.
            create_graph: record the backward pass itself as a graph, so the gradients can be
                differentiated again (Hessian-vector products, gradient penalties).
            inputs: a tensor or sequence of tensors: accumulate only into these ``.grad``s.

        Gradients *accumulate*: ``.grad`` is added to, not replaced, which is why a training
        loop calls ``optimizer.zero_grad()`` before each ``loss.backward()``. Non-leaf tensors
        get a ``.grad`` only after ``retain_grad()``.

        Example::

            w = mt.tensor([1.0, 2.0], requires_grad=True)
            loss = (w ** 2).sum()
            loss.backward()
            w.grad                      # tensor([2., 4.]) = 2w
        """
        from microtensor.autograd.engine import backward

        backward(self, gradient, retain_graph, create_graph, inputs)

    def to(self, *args: Any, **kwargs: Any) -> Tensor:
        """This tensor with another dtype and/or on another device, as PyTorch's forms:
        ``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other_tensor)`` (its dtype
        and device), keywords ``dtype=``, ``device=``, ``non_blocking=`` (ignored: nothing is
        asynchronous here), ``copy=`` (a new tensor even when nothing changes).

        Returns ``self`` when nothing changes; a cast is recorded in the graph. The only device
        is the CPU: ``"cuda"`` raises PyTorch's CPU-only error.
        """
        dtype, copy = to_arguments(args, kwargs)
        if dtype is None or dtype == self._data.dtype:
            return ops.elementwise.clone(self) if copy else self
        return ops.elementwise.cast(self, dtype)

    def type(self, dtype: Any = None, non_blocking: bool = False, **kwargs: Any) -> Any:
        """Without an argument, the legacy type name (``'torch.FloatTensor'``: the string
        PyTorch code compares with, so it keeps PyTorch's prefix); with a dtype, a type name
        (``'torch.LongTensor'``) or a legacy class (``mt.LongTensor``), the cast tensor."""
        if dtype is None:
            return "torch." + _dtypes.legacy_name(self._data.dtype)
        return self.to(_dtypes.resolve_type_name(dtype))

    def type_as(self, other: Tensor) -> Tensor:
        """``self.to(other.dtype)``: converted to ``other``'s dtype
        (differentiable between floating dtypes)."""
        return self.to(other.dtype)

    def float(self) -> Tensor:
        """``self.to(mt.float32)`` (``self`` itself if already float32)."""
        return self.to(_dtypes.float32)

    def double(self) -> Tensor:
        """``self.to(mt.float64)`` (``self`` itself if already float64)."""
        return self.to(_dtypes.float64)

    def half(self) -> Tensor:
        """``self.to(mt.float16)`` (``self`` itself if already float16)."""
        return self.to(_dtypes.float16)

    def bfloat16(self) -> Tensor:
        """``self.to(mt.bfloat16)``: an error here, as NumPy has no bfloat16."""
        return self.to(_dtypes.bfloat16)  # raises: NumPy has no bfloat16

    def long(self) -> Tensor:
        """``self.to(mt.int64)`` (``self`` itself if already int64)."""
        return self.to(_dtypes.int64)

    def int(self) -> Tensor:
        """``self.to(mt.int32)`` (``self`` itself if already int32)."""
        return self.to(_dtypes.int32)

    def short(self) -> Tensor:
        """``self.to(mt.int16)`` (``self`` itself if already int16)."""
        return self.to(_dtypes.int16)

    def char(self) -> Tensor:
        """``self.to(mt.int8)`` (``self`` itself if already int8)."""
        return self.to(_dtypes.int8)

    def byte(self) -> Tensor:
        """``self.to(mt.uint8)`` (``self`` itself if already uint8)."""
        return self.to(_dtypes.uint8)

    def bool(self) -> Tensor:
        """``self.to(mt.bool)``: True where nonzero (``self`` itself if already
        bool)."""
        return self.to(_dtypes.bool)

    def cpu(self, memory_format: Any = None) -> Tensor:
        """This tensor (it is on the CPU already)."""
        return self

    def cuda(self, device: Any = None, non_blocking: bool = False,
             memory_format: Any = None) -> Tensor:
        """Refused as by a CPU-only PyTorch build: there is no GPU here."""
        if isinstance(device, int):
            raise RuntimeError(_device.NO_ACCELERATOR)
        raise AssertionError(_device.CUDA_ERROR)

    # ------------------------------------------------------------------ new tensors like this one
    def new_tensor(self, data: Any, dtype: Any = None, device: Any = None,
                   requires_grad: bool = False) -> Tensor:
        """A copy of ``data`` with this tensor's dtype (unless ``dtype`` is given)."""
        from microtensor import creation

        return creation.tensor(data, dtype=self._data.dtype if dtype is None else dtype,
                               device=device, requires_grad=requires_grad)

    def new_zeros(self, *size: Any, dtype: Any = None, device: Any = None,
                  requires_grad: bool = False) -> Tensor:
        """Zeros of shape ``size`` with this tensor's dtype unless ``dtype``
        is given: ``x.new_zeros(2, 3)``."""
        return self._new("zeros", size, dtype, device, requires_grad)

    def new_ones(self, *size: Any, dtype: Any = None, device: Any = None,
                 requires_grad: bool = False) -> Tensor:
        """Ones of shape ``size`` with this tensor's dtype unless ``dtype`` is
        given: ``x.new_ones(2, 3)``."""
        return self._new("ones", size, dtype, device, requires_grad)

    def new_empty(self, *size: Any, dtype: Any = None, device: Any = None,
                  requires_grad: bool = False) -> Tensor:
        """Uninitialised values of shape ``size`` with this tensor's dtype
        unless ``dtype`` is given (see ``mt.empty``)."""
        return self._new("empty", size, dtype, device, requires_grad)

    def new_full(self, size: Any, fill_value: Scalar, dtype: Any = None, device: Any = None,
                 requires_grad: bool = False) -> Tensor:
        """A tensor of ``size`` filled with ``fill_value``, in this tensor's dtype."""
        from microtensor import creation

        return creation.full(size, fill_value, dtype=self._data.dtype if dtype is None else dtype,
                             device=device, requires_grad=requires_grad)

    def _new(self, factory: str, size: tuple[Any, ...], dtype: Any, device: Any,
             requires_grad: bool) -> Tensor:
        from microtensor import creation

        return getattr(creation, factory)(*size, dtype=self._data.dtype if dtype is None else dtype,
                                          device=device, requires_grad=requires_grad)

    def contiguous(self, memory_format: Any = None) -> Tensor:
        """This tensor if it is contiguous, else a contiguous copy (in the graph: a copy, whose
        gradient passes through unchanged)."""
        _dtypes.check_memory_format(memory_format, "contiguous", self._data.ndim)
        return self if self._data.flags.c_contiguous else ops.elementwise.clone(self)

    def is_contiguous(self, memory_format: Any = None) -> bool:
        """Are the elements laid out in row-major order without gaps? PyTorch's definition on
        NumPy's strides (bytes / itemsize): stride[d] = product of the later sizes for every dim
        of size > 1; a tensor without elements is contiguous. With
        ``memory_format=mt.channels_last`` (4-D tensors): is it laid out as N, H, W, C?"""
        if memory_format is _dtypes.channels_last:
            return _dtypes.is_channels_last(self._data)
        return bool(self._data.flags.c_contiguous)

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def is_complex(self) -> bool:
        return self._data.dtype.kind == "c"

    def is_signed(self) -> bool:
        """Can the dtype hold negative values? (False for bool and uint8.)"""
        return self._data.dtype.kind in "ifc"

    def is_inference(self) -> bool:
        """Was this tensor made inside ``inference_mode()``? (See ``autograd/grad_mode.py``.)"""
        return getattr(self, "_inference", False)

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
        """``if t:`` -- only for a tensor of one element (of any shape), as in PyTorch."""
        size = self._data.size
        if size != 1:
            how_many = "no values" if size == 0 else "more than one value"
            raise RuntimeError(f"Boolean value of Tensor with {how_many} is ambiguous; use "
                               ".any() or .all() to reduce it to one value first")
        return bool(self._data.item())

    def __float__(self) -> float:
        return float(self._one_element("float"))

    def __int__(self) -> int:
        """``int(t)``: the one element, truncated toward zero like ``int(2.7)``."""
        return int(self._one_element("int"))

    def _one_element(self, conversion: str) -> Scalar:
        if self._data.size != 1:
            raise ValueError(f"only one element tensors can be converted to Python scalars; "
                             f"{conversion}() got a tensor of shape {list(self._data.shape)}")
        return self._data.item()

    def __index__(self) -> int:
        """Use as an index (``xs[t]``, ``range(t)``): integer or bool tensors of one element."""
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an "
                            f"index (got dtype {self._data.dtype}, shape "
                            f"{list(self._data.shape)})")
        return int(self._data.item())

    def __hash__(self) -> int:
        return id(self)

    # ------------------------------------------------------------------ arithmetic
    def __add__(self, other: Any) -> Tensor:
        if isinstance(other, Tensor) and other._data.dtype is self._data.dtype:  # common case
            return _add_op(self, other)
        return ops.elementwise.add(self, other)

    def __radd__(self, other: Any) -> Tensor:
        return ops.elementwise.add(self, other)  # 1 + x is add(x, 1) in PyTorch's graph too

    def __sub__(self, other: Any) -> Tensor:
        if isinstance(other, Tensor) and other._data.dtype is self._data.dtype:  # common case
            return _sub_op(self, other)
        return ops.elementwise.sub(self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return ops.elementwise.sub(other, self)

    def __mul__(self, other: Any) -> Tensor:
        if isinstance(other, Tensor) and other._data.dtype is self._data.dtype:  # common case
            return _mul_op(self, other)
        return ops.elementwise.mul(self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return ops.elementwise.mul(self, other)  # 2 * x is mul(x, 2) in PyTorch's graph too

    def __truediv__(self, other: Any) -> Tensor:
        if isinstance(other, Tensor) and other._data.dtype is self._data.dtype is _FLOAT32:
            return _div_op(self, other)
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

    # comparisons give bool tensors, outside the graph (eq, lt, ..., &, |, ^: methods/logical.py)
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

    def pow_(self, exponent: Any) -> Tensor:
        return self._inplace("pow_", lambda t: ops.elementwise.pow(t, exponent),
                             arithmetic=True)

    def clamp_(self, min: Any = None, max: Any = None) -> Tensor:
        return self._inplace("clamp_", lambda t: ops.elementwise.clamp(t, min, max),
                             arithmetic=True)

    def copy_(self, source: Any) -> Tensor:
        """Copy ``source`` into this tensor in place, broadcast to its shape and
        converted to its dtype.  dL/dsource = g summed to source's shape; the old values get 0."""
        source_tensor = source if isinstance(source, Tensor) else Tensor._make(np.asarray(source))

        def copied(t: Tensor) -> Tensor:
            value = ops.elementwise.cast(ops.shape.expand(source_tensor, t.shape), t.dtype)
            # a new node and array: this tensor must not share the source's graph node or memory
            return ops.elementwise.clone(value) if value is source_tensor else value

        return self._inplace("copy_", copied)

    def fill_(self, value: Scalar) -> Tensor:
        """Set every element to ``value`` in place.  The old values get no
        gradient (dL/dself = 0)."""
        return self._inplace("fill_", lambda t: Tensor._make(np.full_like(t._data, value)))

    def zero_(self) -> Tensor:
        """Set every element to 0 in place: ``fill_(0)``."""
        return self.fill_(0)

    def uniform_(self, a: float = 0.0, b: float = 1.0) -> Tensor:
        """Fill in place with samples uniform in [a, b), from the global
        generator."""
        from microtensor.random import generator

        values = generator().uniform(a, b, self.shape)
        return self._inplace("uniform_", lambda t: Tensor._make(values.astype(t.dtype)))

    def normal_(self, mean: float = 0.0, std: float = 1.0) -> Tensor:
        from microtensor.random import generator

        values = generator().normal(mean, std, self.shape)
        return self._inplace("normal_", lambda t: Tensor._make(values.astype(t.dtype)))

    # the in-place forms of the elementwise ops: the result keeps this tensor's dtype (an int
    # tensor's sqrt_() raises, as in PyTorch); recorded in the graph like ``add_``
    def abs_(self) -> Tensor:
        return self._inplace("abs_", ops.elementwise.abs, arithmetic=True)

    def cos_(self) -> Tensor:
        return self._inplace("cos_", ops.elementwise.cos, arithmetic=True)

    def sin_(self) -> Tensor:
        return self._inplace("sin_", ops.elementwise.sin, arithmetic=True)

    def exp_(self) -> Tensor:
        return self._inplace("exp_", ops.elementwise.exp, arithmetic=True)

    def log_(self) -> Tensor:
        return self._inplace("log_", ops.elementwise.log, arithmetic=True)

    def neg_(self) -> Tensor:
        return self._inplace("neg_", ops.elementwise.neg, arithmetic=True)

    def sigmoid_(self) -> Tensor:
        return self._inplace("sigmoid_", ops.elementwise.sigmoid, arithmetic=True)

    def sign_(self) -> Tensor:
        return self._inplace("sign_", ops.elementwise.sign, arithmetic=True)

    def sqrt_(self) -> Tensor:
        return self._inplace("sqrt_", ops.elementwise.sqrt, arithmetic=True)

    def tanh_(self) -> Tensor:
        return self._inplace("tanh_", ops.elementwise.tanh, arithmetic=True)

    def relu_(self) -> Tensor:
        return self._inplace("relu_", ops.activations.relu, arithmetic=True)

    def erf_(self) -> Tensor:
        return self._inplace("erf_", ops.special.erf, arithmetic=True)

    def clip_(self, min: Any = None, max: Any = None) -> Tensor:
        return self.clamp_(min, max)

    def masked_fill_(self, mask: Any, value: Scalar) -> Tensor:
        return self._inplace("masked_fill_",
                             lambda t: ops.elementwise.masked_fill(t, mask, value))

    def index_put(self, indices: tuple[Any, ...], values: Any,
                  accumulate: bool = False) -> Tensor:
        """``self`` with ``self[indices] = values`` (``+=`` with ``accumulate=True``, where a
        repeated index adds every value). ``indices`` is a tuple of index tensors (long or bool),
        one per leading dimension, as in PyTorch."""
        checked = _index_put_indices(indices)
        if not isinstance(values, Tensor):
            raise TypeError("index_put(): argument 'values' must be Tensor, not "
                            f"{type(values).__name__}")
        if accumulate:
            return _index_put_accumulate(self, checked, values)
        return ops.shape.index_put(self, checked, values)

    def index_put_(self, indices: tuple[Any, ...], values: Any,
                   accumulate: bool = False) -> Tensor:
        """``index_put`` in place: ``self[indices] = values`` (``+=`` with
        ``accumulate=True``, where a repeated index adds every value)."""
        return self._inplace("index_put_", lambda t: t.index_put(indices, values, accumulate))

    def put(self, index: Any, source: Any, accumulate: bool = False) -> Tensor:
        """``self`` seen as 1-d, with ``flat[index] = source`` (``+=`` with ``accumulate``);
        negative indices count from the end, as in PyTorch."""
        flat_index = _put_positions(self, index)
        source = source if isinstance(source, Tensor) else Tensor._make(np.asarray(source))
        if source._data.size != flat_index.size:
            raise RuntimeError(f"put_(): Expected source and index to have the same number of "
                               f"elements, but got source.numel() = {source._data.size}, "
                               f"index.numel() = {flat_index.size}")
        flat = self.reshape(-1)
        indices = (Tensor._make(flat_index),)
        values = source.reshape(-1)
        result = (_index_put_accumulate(flat, indices, values) if accumulate
                  else ops.shape.index_put(flat, indices, values))
        return result.reshape(self.shape)

    def put_(self, index: Any, source: Any, accumulate: bool = False) -> Tensor:
        """``put`` in place: ``self`` seen as 1-d, ``flat[index] = source``
        (``+=`` with ``accumulate=True``)."""
        return self._inplace("put_", lambda t: t.put(index, source, accumulate))

    def fill_diagonal_(self, fill_value: Scalar, wrap: bool = False) -> Tensor:
        """Write ``fill_value`` on the main diagonal (of a 2-d tensor, or of one whose dims are
        all equal); ``wrap=True``, for a tall matrix, starts again every ``cols + 1`` rows."""
        mask = Tensor._make(_diagonal_mask(self._data.shape, wrap))
        return self._inplace("fill_diagonal_",
                             lambda t: ops.elementwise.masked_fill(t, mask, fill_value))

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
        if self._data.dtype.kind == "f":  # (skips two calls of argument checks: ~4 % of a tanh)
            return _tanh_op(self)
        return ops.elementwise.tanh(self)

    def sigmoid(self) -> Tensor:
        return ops.elementwise.sigmoid(self)

    def relu(self) -> Tensor:
        return ops.activations.relu(self)

    def erf(self) -> Tensor:
        return ops.special.erf(self)

    def hardshrink(self, lambd: float = 0.5) -> Tensor:
        return ops.activations.hardshrink(self, lambd)

    def prelu(self, weight: Tensor) -> Tensor:
        return ops.activations.prelu(self, weight)

    def sign(self) -> Tensor:
        return ops.elementwise.sign(self)

    def neg(self) -> Tensor:
        return ops.elementwise.neg(self)

    def pow(self, exponent: Any) -> Tensor:
        return ops.elementwise.pow(self, exponent)

    def add(self, other: Any, alpha: float = 1) -> Tensor:
        return ops.elementwise.add(self, other, alpha=alpha)

    def sub(self, other: Any, alpha: float = 1) -> Tensor:
        return ops.elementwise.sub(self, other, alpha=alpha)

    def mul(self, other: Any) -> Tensor:
        return ops.elementwise.mul(self, other)

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
    # (sum, mean, prod, max, min, amax, amin, argmax, argmin, var, std, logsumexp, any, all and
    # the scans are in methods/scans.py)
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
        """``self.view(other.shape)``: a view with ``other``'s shape."""
        return ops.shape.view(self, other.shape)

    def reshape_as(self, other: Tensor) -> Tensor:
        """``self.reshape(other.shape)``: ``other``'s shape, a view when
        possible."""
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

    def permute(self, *dims: Any) -> Tensor:
        return ops.shape.permute(self, ops.shape.shape_arg(dims))

    def expand(self, *sizes: Any) -> Tensor:
        return ops.shape.expand(self, ops.shape.shape_arg(sizes))

    def expand_as(self, other: Tensor) -> Tensor:
        """``self.expand(other.shape)``: size-1 dims repeated without copying
        (a view).  dL/dx = g summed over the expanded dims."""
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


def _index_put_indices(indices: Any) -> tuple[Any, ...]:
    """The indices of ``index_put``: a tuple (or list) of tensors, as PyTorch requires."""
    if not isinstance(indices, tuple | list) or not all(isinstance(i, Tensor) for i in indices):
        raise TypeError("index_put(): argument 'indices' must be tuple of Tensors, got "
                        f"{type(indices).__name__}; e.g. x.index_put((rows, cols), values)")
    return tuple(indices)


def _index_put_accumulate(input: Tensor, indices: tuple[Tensor, ...], values: Any) -> Tensor:
    """``input[indices] += values`` where repeated positions add up (``index_put`` with
    ``accumulate=True``): the indexed leading dims are flattened into one, and ``index_add``
    (differentiable in both) adds the values at the flat positions."""
    arrays = []
    for index, size in zip(indices, input._data.shape, strict=False):
        array = index._data
        if array.dtype == np.bool_:
            array = np.nonzero(array)[0] if array.ndim == 1 else None
        if array is None or array.dtype.kind not in "iu":
            raise IndexError("index_put(): tensors used as indices must be long or 1-d bool "
                             "tensors when accumulate=True")
        if array.size and (array.max() >= size or array.min() < -size):
            raise IndexError(f"index_put(): index {int(array.max())} is out of bounds for a "
                             f"dimension of size {size}")
        arrays.append(np.where(array < 0, array + size, array))
    if len(arrays) > input._data.ndim:
        raise IndexError(f"index_put(): too many indices for a tensor of dimension "
                         f"{input._data.ndim} (got {len(arrays)})")
    leading = input._data.shape[:len(arrays)]
    rest = input._data.shape[len(arrays):]
    positions = np.ravel_multi_index(np.broadcast_arrays(*arrays), leading).reshape(-1)
    flat = input.reshape(-1, *rest)
    values = values if isinstance(values, Tensor) else Tensor._make(
        np.asarray(values, input._data.dtype))
    added = ops.shape.expand(values, (positions.size, *rest))
    summed = ops.selection.index_add(flat, 0, Tensor._make(positions.astype(np.int64)),
                                     added.to(input._data.dtype))
    return summed.reshape(input._data.shape)


def _put_positions(input: Tensor, index: Any) -> np.ndarray:
    """The flat positions of ``put``: a long tensor's values, negative ones from the end."""
    array = index._data if isinstance(index, Tensor) else np.asarray(index)
    if array.dtype.kind not in "iu":
        raise RuntimeError(f"put_(): Expected a long tensor for index, but got "
                           f"{_dtypes.torch_name(array.dtype)}")
    size = input._data.size
    flat = array.reshape(-1).astype(np.int64)
    if flat.size and (flat.max() >= size or flat.min() < -size):
        bad = flat[(flat >= size) | (flat < -size)][0]
        raise IndexError(f"put_(): index {bad} out of range for tensor of size "
                         f"{list(input._data.shape)}")
    return np.where(flat < 0, flat + size, flat)


def _diagonal_mask(shape: tuple[int, ...], wrap: bool) -> np.ndarray:
    """True on the main diagonal (``fill_diagonal_``): every ``cols + 1``-th element of the
    flat 2-d tensor (past the square part only with ``wrap``), or the ``(i, i, ..., i)``."""
    if len(shape) < 2:
        raise RuntimeError(f"fill_diagonal_(): dimensions must larger than 1 (got a "
                           f"{len(shape)}-d tensor)")
    if len(shape) > 2 and len(set(shape)) != 1:
        raise RuntimeError(f"fill_diagonal_(): all dimensions of input must be of equal length "
                           f"(got shape {list(shape)})")
    size = int(np.prod(shape))
    mask = np.zeros(size, dtype=bool)
    if len(shape) == 2:
        rows, cols = shape
        step = cols + 1
        end = size if wrap else min(rows, cols) * cols
        mask[np.arange(0, end, step)] = True
    else:
        step = sum(shape[0] ** k for k in range(len(shape)))
        mask[np.arange(shape[0]) * step] = True
    return mask.reshape(shape)


def legacy_array(args: tuple[Any, ...], dtype: np.dtype, cast_tensor: bool,
                 name: str) -> np.ndarray:
    """The array of PyTorch's legacy constructors (``torch.Tensor(...)``,
    ``torch.FloatTensor(...)``): sizes as ints or one ``Size`` give an uninitialised tensor of
    that shape; one sequence or array gives its values in ``dtype``; one tensor gives its own
    array (its memory, and its dtype unless ``cast_tensor``); nothing gives an empty tensor."""
    if len(args) == 1 and isinstance(args[0], Tensor):
        data = args[0]._data
        return data.astype(dtype) if cast_tensor and data.dtype != dtype else data
    if args and (isinstance(args[0], Size) or _is_size(args[0])):
        sizes = tuple(args[0]) if isinstance(args[0], Size) and len(args) == 1 else args
        if not all(_is_size(s) for s in sizes):
            raise TypeError(f"{name}(): the sizes must all be ints, got {sizes}")
        if any(s < 0 for s in sizes):
            raise RuntimeError(f"Trying to create tensor with negative dimension "
                               f"{min(sizes)}: {list(sizes)}")
        return np.empty(sizes, dtype)
    if len(args) > 1:
        raise TypeError(f"{name}(): expected sizes (ints) or one sequence of data, got {args}")
    if not args:
        return np.empty(0, dtype)
    if isinstance(args[0], float | complex | bool):
        raise TypeError(f"{name}(): data must be a sequence (got {type(args[0]).__name__}); "
                        f"use mt.tensor({args[0]!r}) for a 0-d tensor")
    return np.array(args[0], dtype=dtype)


def _is_size(value: Any) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def to_arguments(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, bool]:
    """The target dtype (None: keep) and ``copy`` flag of a ``Tensor.to(...)`` call, after
    checking its device (PyTorch's forms: ``(dtype)``, ``(device, dtype)``, ``(tensor)``, each
    followed by ``non_blocking, copy``; or keywords)."""
    dtype, device = kwargs.pop("dtype", None), kwargs.pop("device", None)
    flags = [kwargs.pop("non_blocking", False), kwargs.pop("copy", False)]
    kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to() got an unexpected keyword argument {next(iter(kwargs))!r}")
    rest = list(args)
    if rest and isinstance(rest[0], Tensor):
        dtype = rest.pop(0)._data.dtype
    elif rest and isinstance(rest[0], str | _device.device | int):
        device = rest.pop(0)
        if rest and not isinstance(rest[0], bool):
            dtype = rest.pop(0)
    elif rest:
        dtype = rest.pop(0)
    if len(rest) > 2:
        raise TypeError(f"to() takes at most 4 positional arguments ({len(args)} given)")
    flags[: len(rest)] = rest
    _device.check_device(device)
    return (None if dtype is None else _dtypes.resolve(dtype)), bool(flags[1])


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


_plain_make = Tensor._make
_inference_contexts = [0]  # how many inference_mode() blocks are open, in all threads
_inference_lock = threading.Lock()


def _make_marking_inference(data: np.ndarray, requires_grad: bool = False,
                            grad_fn: Any = None) -> Tensor:
    """``Tensor._make`` while some ``inference_mode()`` is open: also marks the tensors this
    thread makes inside one (``is_inference()``)."""
    from microtensor.autograd.grad_mode import grad_state

    t = _plain_make(data, requires_grad, grad_fn)
    if grad_state.inference:
        t._inference = True
    return t


def mark_inference_tensors(entering: bool) -> None:
    """Called by ``inference_mode`` on entry and exit: while any block is open, every new tensor
    passes through ``_make_marking_inference``; otherwise ``_make`` costs nothing extra."""
    with _inference_lock:
        _inference_contexts[0] += 1 if entering else -1
        maker = _make_marking_inference if _inference_contexts[0] else _plain_make
        Tensor._make = staticmethod(maker)  # type: ignore[method-assign]
