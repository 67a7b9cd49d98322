"""``Module`` and ``Parameter``: the building blocks of every network.

A **Parameter** is a Tensor that a module owns and an optimizer updates: it requires a gradient
by default, and assigning one to a module attribute registers it.

A **Module** is a container of three kinds of named state, each kept in its own dict in the order
the attributes were assigned:

* ``_parameters``: Parameters (learned: weights, biases);
* ``_buffers``: Tensors that are part of the state but not learned (BatchNorm's running mean);
* ``_modules``: sub-modules, which have their own parameters, buffers and sub-modules.

``self.fc = Linear(2, 3)`` in ``__init__`` goes through ``__setattr__``, which sees a Module and
stores it in ``_modules["fc"]``; reading ``self.fc`` back goes through ``__getattr__`` (Python
calls it only when normal lookup fails), which finds it there. Everything else follows from these
three dicts by walking the tree: ``parameters()``, ``named_parameters()`` with dotted names
(``"fc.weight"``), ``train()``/``eval()``, ``state_dict()`` and ``load_state_dict()``.

Calling a module, ``model(x)``, runs its ``forward(x)`` (and any forward hooks around it).
"""

from __future__ import annotations

from collections import OrderedDict, namedtuple
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np

from microtensor import _dtypes
from microtensor.autograd.grad_mode import no_grad
from microtensor.autograd.versions import VersionCounter
from microtensor.device import check_device
from microtensor.ops.shape import cat, reshape
from microtensor.tensor import Tensor, to_arguments

__all__ = ["Module", "Parameter", "IncompatibleKeys", "RemovableHandle"]


class Parameter(Tensor):
    """A Tensor that is a module's learnable state; ``requires_grad`` is True by default.

    ``Parameter(t)`` shares ``t``'s memory (as in PyTorch) and is always a leaf, even when ``t``
    was computed by tracked operations. Arithmetic on a Parameter gives plain Tensors.
    """

    __slots__ = ()

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:
            array = np.empty(0, dtype=_dtypes.get_default_dtype())
            counter = VersionCounter()
        elif isinstance(data, Tensor):
            array, counter = data._data, data._counter()
        else:
            array = np.asarray(data)
            if array.dtype == np.float64 and not isinstance(data, np.ndarray):
                array = array.astype(_dtypes.get_default_dtype())  # Python floats
            counter = VersionCounter()
        self._data = array
        self._grad = None
        self._requires_grad = False
        self.grad_fn = None
        self._version_counter = counter
        self._hooks = None
        self.requires_grad = requires_grad  # the setter refuses integer data

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo: dict[int, Any]) -> Parameter:
        if id(self) in memo:
            return memo[id(self)]
        copied = Parameter(self._data.copy(), self._requires_grad)
        if self._grad is not None:
            copied._grad = Tensor._make(self._grad._data.copy())
        memo[id(self)] = copied
        return copied


# The result of load_state_dict(strict=False), as in PyTorch.
class _IncompatibleKeys(namedtuple("_IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` returns: the keys it missed and those it did not expect (a
    named tuple; prints ``<All keys matched successfully>`` when both are empty, as in
    PyTorch)."""

    __slots__ = ()

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


IncompatibleKeys = _IncompatibleKeys


class RemovableHandle:
    """Returned by ``register_forward_hook`` & co.; ``handle.remove()`` takes the hook away."""

    _next_id = 0

    def __init__(self, hooks: dict[int, Callable[..., Any]],
                 flag_sets: tuple[set[int], ...] = ()) -> None:
        self._hooks = hooks
        self._flag_sets = flag_sets  # sets of ids (with_kwargs, always_call) to clean up
        self.id = RemovableHandle._next_id
        RemovableHandle._next_id += 1

    def remove(self) -> None:
        self._hooks.pop(self.id, None)
        for flags in self._flag_sets:
            flags.discard(self.id)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


class Module:
    """Base class of all layers and models (``torch.nn.Module``).

    Subclass it, assign layers and Parameters as attributes in ``__init__`` (after calling
    ``super().__init__()``), and define ``forward``::

        class MLP(nn.Module):
            def __init__(self):
                super().__init__()
                self.hidden = nn.Linear(784, 128)
                self.out = nn.Linear(128, 10)

            def forward(self, x):
                return self.out(self.hidden(x).relu())
    """

    training: bool

    def __init__(self) -> None:
        # object.__setattr__ skips our own __setattr__, which needs these dicts to exist.
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "_non_persistent_buffers", set())
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "_forward_pre_hooks", {})
        object.__setattr__(self, "_forward_hooks", {})
        object.__setattr__(self, "_backward_pre_hooks", {})
        object.__setattr__(self, "_backward_hooks", {})
        # ids of the hooks registered with_kwargs=True / always_call=True
        object.__setattr__(self, "_hooks_with_kwargs", set())
        object.__setattr__(self, "_hooks_always_called", set())

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            f'Module [{type(self).__name__}] is missing the required "forward" function'
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not (self._forward_pre_hooks or self._forward_hooks or self._backward_hooks
                or self._backward_pre_hooks):
            return self.forward(*args, **kwargs)  # the common case: no hooks, no overhead
        return self._call_with_hooks(args, kwargs)

    def _call_with_hooks(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """``forward`` with PyTorch's hook order: forward pre-hooks; the backward hooks' wrapping
        of the inputs; ``forward``; forward hooks; the backward hooks' wrapping of the output."""
        args, kwargs = self._run_forward_pre_hooks(args, kwargs)
        backward_hooks = None
        if self._backward_hooks or self._backward_pre_hooks:
            backward_hooks = _BackwardHooks(self)
            args = backward_hooks.wrap_inputs(args)
        try:
            output = self.forward(*args, **kwargs)
        except Exception:
            for key, hook in list(self._forward_hooks.items()):
                if key in self._hooks_always_called:  # always_call=True: run, then re-raise
                    self._call_forward_hook(key, hook, args, kwargs, None)
            raise
        for key, hook in list(self._forward_hooks.items()):
            result = self._call_forward_hook(key, hook, args, kwargs, output)
            if result is not None:
                output = result
        if backward_hooks is not None:
            output = backward_hooks.wrap_outputs(output)
        return output

    def _run_forward_pre_hooks(self, args: tuple[Any, ...], kwargs: dict[str, Any]
                               ) -> tuple[tuple[Any, ...], dict[str, Any]]:
        for key, hook in list(self._forward_pre_hooks.items()):
            if key in self._hooks_with_kwargs:
                result = hook(self, args, kwargs)
                if result is None:
                    continue
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise RuntimeError("forward pre-hook must return None or a tuple of "
                                       f"(new_args, new_kwargs), but got {result}.")
                args, kwargs = result
            else:
                result = hook(self, args)
                if result is not None:
                    args = result if isinstance(result, tuple) else (result,)
        return args, kwargs

    def _call_forward_hook(self, key: int, hook: Callable[..., Any], args: tuple[Any, ...],
                           kwargs: dict[str, Any], output: Any) -> Any:
        if key in self._hooks_with_kwargs:
            return hook(self, args, kwargs, output)
        return hook(self, args, output)

    def _add_hook(self, hooks: dict[int, Callable[..., Any]], hook: Callable[..., Any],
                  prepend: bool, with_kwargs: bool = False, always_call: bool = False
                  ) -> RemovableHandle:
        handle = RemovableHandle(hooks, (self._hooks_with_kwargs, self._hooks_always_called))
        if prepend:  # rebuild the dict in place: the handle holds this very dict
            others = list(hooks.items())
            hooks.clear()
            hooks[handle.id] = hook
            hooks.update(others)
        else:
            hooks[handle.id] = hook
        if with_kwargs:
            self._hooks_with_kwargs.add(handle.id)
        if always_call:
            self._hooks_always_called.add(handle.id)
        return handle

    def register_forward_pre_hook(self, hook: Callable[..., Any], *, prepend: bool = False,
                                  with_kwargs: bool = False) -> RemovableHandle:
        """``hook(module, args)`` runs before ``forward`` and may return replacement args (a
        tuple, or one value that becomes a 1-tuple). With ``with_kwargs=True`` it is called as
        ``hook(module, args, kwargs)`` and may return ``(new_args, new_kwargs)``.
        ``prepend=True`` runs it before the hooks registered earlier."""
        return self._add_hook(self._forward_pre_hooks, hook, prepend, with_kwargs)

    def register_forward_hook(self, hook: Callable[..., Any], *, prepend: bool = False,
                              with_kwargs: bool = False, always_call: bool = False
                              ) -> RemovableHandle:
        """``hook(module, args, output)`` runs after ``forward`` and may return a new output
        (``hook(module, args, kwargs, output)`` with ``with_kwargs=True``). With
        ``always_call=True`` it also runs, with ``output=None``, when ``forward`` raises."""
        return self._add_hook(self._forward_hooks, hook, prepend, with_kwargs, always_call)

    def register_full_backward_pre_hook(self, hook: Callable[..., Any], prepend: bool = False
                                        ) -> RemovableHandle:
        """``hook(module, grad_output)`` runs when the gradients of the module's outputs are
        known, before they flow into the module; it may return a replacement ``grad_output``.

        ``grad_output`` has one entry per output tensor (the output itself or the tensors of a
        returned tuple/list).
        """
        return self._add_hook(self._backward_pre_hooks, hook, prepend)

    def register_full_backward_hook(self, hook: Callable[..., Any], prepend: bool = False
                                    ) -> RemovableHandle:
        """``hook(module, grad_input, grad_output)`` runs when the gradients with respect to the
        module's positional inputs are known; it may return a replacement ``grad_input``.

        ``grad_input`` has one entry per positional argument of the call (``None`` for
        arguments that are not floating point tensors, and all ``None`` when no input requires a
        gradient; then the hook runs as soon as ``grad_output`` is known). Gradients of
        parameters are not in ``grad_input``: use ``param.register_hook`` for those.
        """
        return self._add_hook(self._backward_hooks, hook, prepend)

    # ------------------------------------------------------------------ registration
    def __setattr__(self, name: str, value: Any) -> None:
        params = self.__dict__.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError(
                    "cannot assign parameters before Module.__init__() call; call "
                    "super().__init__() first in your module's __init__"
                )
            self._forget(name, keep="_parameters")  # a replaced parameter keeps its place
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                    "(mt.nn.Parameter or None expected); wrap it: nn.Parameter(tensor)"
                )
            params[name] = None
        elif isinstance(value, Module):
            if params is None:
                raise AttributeError(
                    "cannot assign a module before Module.__init__() call; call "
                    "super().__init__() first in your module's __init__"
                )
            self._forget(name, keep="_modules")
            self._modules[name] = value
        elif params is not None and name in self._modules:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as child module '{name}' "
                    "(mt.nn.Module or None expected)"
                )
            self._modules[name] = None
        elif params is not None and name in self._buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as buffer '{name}' "
                    "(mt.Tensor or None expected)"
                )
            self._buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name: str, keep: str) -> None:
        """Remove ``name`` from the instance dict and every registry but ``keep`` (the one it is
        about to be stored in again, where it keeps its place in the order)."""
        self.__dict__.pop(name, None)
        for registry in ("_parameters", "_modules", "_buffers"):
            if registry != keep:
                getattr(self, registry).pop(name, None)
        self._non_persistent_buffers.discard(name)

    def __getattr__(self, name: str) -> Any:
        # Only called when normal lookup fails. Read the dicts through __dict__: during copying
        # an instance may not have them yet, and self._parameters would recurse here.
        state = self.__dict__
        for registry in ("_parameters", "_buffers", "_modules"):
            found = state.get(registry)
            if found is not None and name in found:
                return found[name]
        hint = ""
        if "_parameters" not in state and not name.startswith("__"):
            hint = (f" (did {type(self).__name__}.__init__ forget to call "
                    "super().__init__()?)")
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'{hint}")

    def __delattr__(self, name: str) -> None:
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry:
                del registry[name]
                self._non_persistent_buffers.discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self) -> list[str]:
        names = set(super().__dir__())
        names.update(self._parameters, self._buffers, self._modules)
        return sorted(names)

    def _check_new_name(self, name: Any, kind: str) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot assign {kind} before Module.__init__() call")
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string, got {type(name).__name__}")
        if name == "":
            raise KeyError(f'{kind} name can\'t be empty string ""')
        if "." in name:
            raise KeyError(f'{kind} name can\'t contain ".", got {name!r}')

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a parameter (or a ``None`` placeholder, e.g. a missing bias) under ``name``."""
        self._check_new_name(name, "parameter")
        if hasattr(self, name) and name not in self._parameters:
            raise KeyError(f"attribute '{name}' already exists")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign '{type(param).__name__}' object to parameter '{name}' "
                "(mt.nn.Parameter or None required)"
            )
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Add a tensor that is state but not learned (saved in ``state_dict`` if persistent)."""
        self._check_new_name(name, "buffer")
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' "
                "(mt.Tensor or None required)"
            )
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers.discard(name)
        else:
            self._non_persistent_buffers.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Add a child module under ``name`` (what ``self.name = module`` does)."""
        self._check_new_name(name, "module")
        if not isinstance(module, Module) and module is not None:
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        self._modules[name] = module

    register_module = add_module

    def get_submodule(self, target: str) -> Module:
        """The module at a dotted path such as ``"features.0"`` (``""`` is this module)."""
        module = self
        for item in target.split(".") if target else []:
            if not hasattr(module, item):
                raise AttributeError(f"{module._get_name()} has no attribute `{item}` "
                                     f"(no submodule `{item}`)")
            module = getattr(module, item)
            if not isinstance(module, Module):
                raise AttributeError(f"`{item}` is not an nn.Module")
        return module

    def _owner_and_name(self, target: str) -> tuple[Module, str]:
        module_path, _, name = target.rpartition(".")
        module = self.get_submodule(module_path)
        if not hasattr(module, name):
            raise AttributeError(f"{module._get_name()} has no attribute `{name}`")
        return module, name

    def get_parameter(self, target: str) -> Parameter:
        """The parameter at a dotted path such as ``"features.0.weight"``."""
        module, name = self._owner_and_name(target)
        param = getattr(module, name)
        if not isinstance(param, Parameter):
            raise AttributeError(f"`{name}` is not an nn.Parameter")
        return param

    def get_buffer(self, target: str) -> Tensor:
        """The buffer at a dotted path such as ``"bn.running_mean"``."""
        module, name = self._owner_and_name(target)
        if name not in module._buffers:
            raise AttributeError(f"`{name}` is not a buffer")
        return module._buffers[name]

    # ------------------------------------------------------------------ walking the tree
    def named_modules(self, memo: set[int] | None = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Module]]:
        """(dotted name, module) for this module and every descendant, parents first."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is not None:
                child_prefix = prefix + ("." if prefix else "") + name
                yield from module.named_modules(memo, child_prefix, remove_duplicate)

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """(name, module) for the direct children only."""
        seen: set[int] = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self) -> Iterator[Module]:
        for _, module in self.named_children():
            yield module

    def _named_members(self, registry: str, prefix: str, recurse: bool,
                       remove_duplicate: bool = True) -> Iterator[tuple[str, Any]]:
        modules = (self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
                   if recurse else [(prefix, self)])
        seen: set[int] = set()
        for module_prefix, module in modules:
            for name, value in getattr(module, registry).items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                seen.add(id(value))
                yield module_prefix + ("." if module_prefix else "") + name, value

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, parameter) pairs; a parameter shared by two modules appears once."""
        yield from self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        yield from self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    # ------------------------------------------------------------------ modes and bulk changes
    def train(self, mode: bool = True) -> Module:
        """Set training mode here and in every descendant (Dropout, BatchNorm act on it)."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        object.__setattr__(self, "training", mode)
        for module in self.children():
            module.train(mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode: ``train(False)``."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Switch gradient tracking of every parameter on or off (e.g. to freeze a layer)."""
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all parameters: to None (default) or to zeros in place."""
        for param in self.parameters():
            grad = param.grad
            if grad is None:
                continue
            if set_to_none:
                param.grad = None
            else:
                grad.detach_()
                grad._data[...] = 0
                grad._bump_version()

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn`` on every descendant (children first) and then on this module."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    def _apply_to_tensors(self, convert: Callable[[np.ndarray], np.ndarray]) -> Module:
        """Replace the values of every parameter, gradient and buffer by ``convert(values)``.

        Parameters keep their identity (an optimizer built earlier still holds them).
        """
        for module in self.modules():
            for param in module._parameters.values():
                if param is not None:
                    param._data = convert(param._data)
                    if param._grad is not None:
                        param._grad = Tensor._make(convert(param._grad._data))
            for name, buffer in module._buffers.items():
                if buffer is not None:
                    module._buffers[name] = Tensor._make(convert(buffer._data))
        return self

    def to(self, *args: Any, **kwargs: Any) -> Module:
        """Cast the floating point parameters, gradients and buffers to a dtype, in place.

        PyTorch's forms: ``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(tensor)``
        and keywords. The only device is the CPU: ``"cpu"``/``mt.device("cpu")`` change
        nothing, ``"cuda"`` raises like a CPU-only PyTorch. Integer buffers (BatchNorm's
        ``num_batches_tracked``) keep their dtype.
        """
        dtype, _ = to_arguments(args, dict(kwargs))
        if dtype is None:
            return self
        if dtype.kind not in "fc":
            raise TypeError("nn.Module.to only accepts floating point or complex dtypes, but "
                            f"got desired dtype=torch.{dtype}")
        converted_kinds = "fc" if dtype.kind == "c" else "f"
        return self._apply_to_tensors(
            lambda a: a.astype(dtype) if a.dtype.kind in converted_kinds and a.dtype != dtype
            else a
        )

    def double(self) -> Module:
        """Cast floating point parameters and buffers to float64."""
        return self.to(_dtypes.float64)

    def float(self) -> Module:
        """Cast floating point parameters and buffers to float32."""
        return self.to(_dtypes.float32)

    def half(self) -> Module:
        """Cast floating point parameters and buffers to float16."""
        return self.to(_dtypes.float16)

    def bfloat16(self) -> Module:
        """Raises: NumPy has no bfloat16 (``mt.bfloat16`` explains what to use instead)."""
        return self.to(_dtypes.bfloat16)

    def cpu(self) -> Module:
        """Nothing to move: microtensor's tensors live on the CPU."""
        return self

    def cuda(self, device: Any = None) -> Module:
        """Raises like a CPU-only PyTorch (no GPU here)."""
        check_device("cuda" if device is None else device)
        return self

    # ------------------------------------------------------------------ checkpoints
    def state_dict(self, *, destination: dict[str, Any] | None = None, prefix: str = "",
                   keep_vars: bool = False) -> OrderedDict[str, Tensor]:
        """Parameters and persistent buffers of the whole tree, by dotted name, in order.

        The values are detached tensors that share memory with the module (as in PyTorch):
        copy them (``{k: v.clone() ...}``) or ``mt.save`` them to keep a snapshot.
        ``keep_vars=True`` returns the Parameters themselves.
        """
        if destination is None:
            destination = OrderedDict()
        for name, param in self._parameters.items():
            if param is not None:
                destination[prefix + name] = param if keep_vars else param.detach()
        for name, buffer in self._buffers.items():
            if buffer is not None and name not in self._non_persistent_buffers:
                destination[prefix + name] = buffer if keep_vars else buffer.detach()
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(destination=destination, prefix=prefix + name + ".",
                                  keep_vars=keep_vars)
        return destination

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True,
                        assign: bool = False) -> IncompatibleKeys:
        """Copy values from ``state_dict`` into the existing parameters and buffers, in place.

        Every problem is collected before raising one ``RuntimeError`` that names them all:
        missing keys and unexpected keys (only when ``strict``), and, always, values that are
        not tensors (a Python list or number, as in PyTorch) and shape mismatches.
        Returns ``(missing_keys, unexpected_keys)`` as a named tuple.

        ``assign=True`` stores the given tensors themselves instead of copying into the
        existing ones (each parameter keeps its ``requires_grad``), as in PyTorch; an optimizer
        built before then holds the old parameters.

        A value may be a Tensor or, unlike in PyTorch (which accepts tensors only), a NumPy
        array of booleans or numbers, the data of microtensor's tensors; it is cast to the
        target's dtype as ``Tensor.copy_`` would.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"expected a mapping for state_dict, got {type(state_dict).__name__}")
        own = self.state_dict(keep_vars=True)
        missing = [key for key in own if key not in state_dict]
        unexpected = [key for key in state_dict if key not in own]
        errors = []
        with no_grad():
            for key, target in own.items():
                if key not in state_dict:
                    continue
                value = state_dict[key]
                if isinstance(value, Tensor):
                    array = value._data
                elif isinstance(value, np.ndarray) and value.dtype.kind in "biufc":
                    array = value
                else:
                    received = f"{type(value)}" + (f" of dtype {value.dtype}"
                                                   if isinstance(value, np.ndarray) else "")
                    errors.append(
                        f'While copying the parameter named "{key}", expected Tensor or '
                        f"Tensor-like object from checkpoint but received {received}"
                    )
                    continue
                if array.shape != target.shape:
                    errors.append(
                        f"size mismatch for {key}: copying a param with shape "
                        f"{tuple(array.shape)} from checkpoint, the shape in current model is "
                        f"{tuple(target.shape)}."
                    )
                    continue
                if assign and isinstance(value, Tensor):
                    self._assign(key, value, target)
                    continue
                np.copyto(target._data, array, casting="unsafe")
                target._bump_version()
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: "
                              + ", ".join(f'"{k}"' for k in unexpected) + ". ")
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: "
                              + ", ".join(f'"{k}"' for k in missing) + ". ")
        if errors:
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                + "\n\t".join(errors)
            )
        return IncompatibleKeys(missing, unexpected)

    def _assign(self, key: str, value: Tensor, target: Tensor) -> None:
        """``load_state_dict(assign=True)`` for one entry: ``value`` replaces ``target``."""
        owner, name = self._owner_and_name(key)
        if isinstance(target, Parameter):
            owner._parameters[name] = Parameter(value, requires_grad=target.requires_grad)
        else:
            owner._buffers[name] = value

    # ------------------------------------------------------------------ display
    def extra_repr(self) -> str:
        """One line of settings shown inside this module's repr; layers override it."""
        return ""

    def _get_name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({name}): " + _indent(repr(module), 2)
                       for name, module in self._modules.items()]
        lines = extra_lines + child_lines
        body = ""
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                body = extra_lines[0]
            else:
                body = "\n  " + "\n  ".join(lines) + "\n"
        return f"{self._get_name()}({body})"


def _indent(text: str, spaces: int) -> str:
    """Indent every line but the first (how nested modules are shown)."""
    first, *rest = text.split("\n")
    return "\n".join([first] + [" " * spaces + line for line in rest])


# ---------------------------------------------------------------------------------- backward hooks
class _BackwardHooks:
    """The full backward (pre-)hooks of one module call, built on tensor hooks.

    The floating point tensors among the inputs are joined into one flat tensor (``cat`` of
    their flattened values) and handed to ``forward`` as slices of it; the output tensors are
    joined the same way. A tensor hook on a joined tensor then sees the gradients of all the
    pieces at once, complete (the engine runs a node's hooks after every consumer has sent its
    gradient): for the outputs that is ``grad_output``, for the inputs ``grad_input``.
    Joining copies the values, so modules without backward hooks never pay for it.
    """

    def __init__(self, module: Module) -> None:
        self.module = module
        self.n_inputs = 0
        self.input_positions: list[int] = []
        self.grad_output: tuple[Any, ...] = ()

    def wrap_inputs(self, args: tuple[Any, ...]) -> tuple[Any, ...]:
        self.n_inputs = len(args)
        positions = [i for i, a in enumerate(args) if _is_float_tensor(a)]
        if not any(args[i]._requires_grad for i in positions) or not _recording():
            return args
        self.input_positions = positions
        pieces = _join_through_hook([args[i] for i in positions], self._on_grad_input)
        wrapped = list(args)
        for i, piece in zip(positions, pieces):
            wrapped[i] = piece
        return tuple(wrapped)

    def wrap_outputs(self, output: Any) -> Any:
        tensors = [output] if isinstance(output, Tensor) else (
            list(output) if isinstance(output, tuple | list) else [])
        positions = [i for i, t in enumerate(tensors)
                     if _is_float_tensor(t) and t._requires_grad]
        if not positions or not _recording():
            return output
        self.n_outputs = len(tensors)
        self.output_positions = positions
        pieces = _join_through_hook([tensors[i] for i in positions], self._on_grad_output)
        for i, piece in zip(positions, pieces):
            tensors[i] = piece
        return tensors[0] if isinstance(output, Tensor) else type(output)(tensors)

    def _on_grad_output(self, grads: list[Tensor]) -> list[Any]:
        grad_output = _spread(grads, self.output_positions, self.n_outputs)
        for hook in list(self.module._backward_pre_hooks.values()):
            result = hook(self.module, grad_output)
            if result is not None:
                grad_output = _checked_grads(result, len(grad_output), "grad_output")
        self.grad_output = grad_output
        if not self.input_positions:  # no input needs a gradient: the full hooks run now
            self._run_full_hooks((None,) * self.n_inputs)
        return [grad_output[i] for i in self.output_positions]

    def _on_grad_input(self, grads: list[Tensor]) -> list[Any]:
        grad_input = self._run_full_hooks(_spread(grads, self.input_positions, self.n_inputs))
        return [grad_input[i] for i in self.input_positions]

    def _run_full_hooks(self, grad_input: tuple[Any, ...]) -> tuple[Any, ...]:
        for hook in list(self.module._backward_hooks.values()):
            result = hook(self.module, grad_input, self.grad_output)
            if result is not None:
                grad_input = _checked_grads(result, len(grad_input), "grad_input")
        return grad_input


def _is_float_tensor(value: Any) -> bool:
    return isinstance(value, Tensor) and value._data.dtype.kind in "fc"


def _recording() -> bool:
    from microtensor.autograd.grad_mode import grad_state

    return grad_state.enabled


def _spread(grads: list[Any], positions: list[int], length: int) -> tuple[Any, ...]:
    """The gradients at ``positions`` of a tuple of ``length`` entries, None elsewhere."""
    spread: list[Any] = [None] * length
    for i, grad in zip(positions, grads):
        spread[i] = grad
    return tuple(spread)


def _checked_grads(result: Any, expected: int, what: str) -> tuple[Any, ...]:
    if isinstance(result, Tensor):
        result = (result,)
    if not isinstance(result, tuple | list):
        raise TypeError(f"a backward hook must return None or a tuple of {what} tensors, got "
                        f"{type(result).__name__}")
    if len(result) != expected:
        raise RuntimeError(f"Backward hook returned an invalid number of {what}, got "
                           f"{len(result)}, but expected {expected}")
    return tuple(result)


def _join_through_hook(tensors: list[Tensor],
                       on_grads: Callable[[list[Tensor]], list[Any]]) -> list[Tensor]:
    """``tensors`` again, as pieces of one joined tensor whose gradient hook calls
    ``on_grads(gradients of the pieces)``; the gradients it returns (None: zeros) flow on."""
    shapes = [t.shape for t in tensors]
    bounds = np.cumsum([0] + [t.numel() for t in tensors]).tolist()
    joined = cat([reshape(t, (-1,)) for t in tensors])

    def hook(grad: Tensor) -> Tensor:
        pieces = [reshape(grad[a:b], shape) for a, b, shape in zip(bounds, bounds[1:], shapes)]
        replaced = on_grads(pieces)
        flat = [reshape(g, (-1,)) if g is not None
                else Tensor._make(np.zeros(b - a, dtype=grad.dtype))
                for g, a, b in zip(replaced, bounds, bounds[1:])]
        return cat(flat).to(grad.dtype)

    joined.register_hook(hook)
    return [reshape(joined[a:b], shape).to(t.dtype)
            for t, a, b, shape in zip(tensors, bounds, bounds[1:], shapes)]
