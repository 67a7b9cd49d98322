"""The ``Optimizer`` base class: parameter groups, per-parameter state, checkpoints.

An optimizer owns

* ``param_groups``: a list of dicts. Each has ``"params"`` (a list of tensors) and every
  hyperparameter of the algorithm (``"lr"``, ``"momentum"``, ...). Values given in the group win;
  the rest come from the constructor's keyword arguments (``defaults``). Schedulers change
  ``group["lr"]`` between steps.
* ``state``: a dict keyed by the parameter tensor itself (a ``defaultdict(dict)``, so
  ``state[p]`` starts empty). ``state[p]`` holds whatever the algorithm remembers about ``p``:
  buffers shaped like ``p`` such as ``"momentum_buffer"`` or ``"exp_avg"`` (stored as ``Tensor``,
  as in PyTorch) and plain Python numbers such as a step count.

A subclass fills in ``_update()`` (or ``step()``). The update arithmetic of every algorithm lives
in a plain function on NumPy arrays (``sgd_update``, ``adam_update``, ...) next to its class, so
the math can be read, tested and reused apart from the bookkeeping. Everything an algorithm knows
about its own state stays in its own file: a class whose state holds numbers declares them, with
their type, in the class attribute ``_scalar_state`` (NAdam: ``{"step": int, "mu_product":
float}``). The base class names no algorithm's state.

``state_dict()`` turns all of this into nested dicts and lists of numbers, strings and tensors that
``mt.save`` can write; parameters are referred to by their position (0, 1, 2, ... counted across
the groups in order), as PyTorch does. Numbers stay Python numbers, which ``mt.save`` writes
exactly; buffers become tensors. ``load_state_dict()`` restores it exactly, step counts included,
so training resumes bit for bit. A state dict from elsewhere may hold a number as a 0-d tensor
(PyTorch keeps ``step`` so); the names a class lists in ``_scalar_state`` turn back into numbers
of the declared type. Without the declaration a 0-d tensor could not be told from the buffer of
a 0-d parameter.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar

import numpy as np

from microtensor.autograd.grad_mode import enable_grad
from microtensor.tensor import Tensor

__all__ = ["Optimizer"]

# What the constructor accepts: tensors, (name, tensor) pairs, or dicts that describe groups.
ParamsT = Iterable[Tensor] | Iterable[dict[str, Any]] | Iterable[tuple[str, Tensor]]


def _as_tensor_state(value: Any) -> Any:
    """A copy of one state entry in a form ``mt.save`` writes (arrays become tensors)."""
    if isinstance(value, Tensor):
        return Tensor._make(value._data.copy())
    if isinstance(value, np.ndarray):
        return Tensor._make(value.copy())
    if isinstance(value, np.generic):
        return value.item()
    return value


class Optimizer:
    """Base class of all optimizers (``torch.optim.Optimizer``).

    Args:
        params: an iterable of tensors, of ``(name, tensor)`` pairs, or of dicts that each
            define a parameter group: ``{"params": [...], "lr": 0.1, ...}``.
        defaults: the hyperparameters used by groups that do not set them.

    Differences from PyTorch, on purpose: a parameter listed twice (in one group or in two) is an
    error, not a warning; ``state_dict()`` returns copies of the state buffers (a snapshot), not
    the live tensors; hyperparameters of groups added later are validated as well.
    """

    # The per-parameter state entries that are numbers, not buffers, with their type; each
    # algorithm declares its own in its own file (Adam: {"step": int}). load_state_dict uses it
    # to turn a 0-d tensor from a file back into a number. The base class has no state.
    _scalar_state: ClassVar[Mapping[str, type]] = {}

    def __init__(self, params: ParamsT, defaults: dict[str, Any]) -> None:
        self.defaults: dict[str, Any] = dict(defaults)
        # A defaultdict, as in PyTorch: ``self.state[p]`` is an empty dict until filled.
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []

        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or "
                f"dicts, but got a single Tensor of shape {tuple(params.shape)}; wrap it in a "
                "list: [tensor]"
            )
        if isinstance(params, (set, frozenset)):
            raise TypeError(
                "optimizer parameters need to be in an ordered collection (the order of a set "
                "changes between runs); use a list instead"
            )
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    # ------------------------------------------------------------------ groups
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Append a parameter group, filling missing hyperparameters from ``defaults``.

        Useful when fine-tuning: unfreeze layers and hand their parameters to the optimizer,
        possibly with their own learning rate.
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError("a parameter group must have a 'params' entry")
        group = dict(param_group)
        params = group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError(
                "optimizer parameters need to be in an ordered collection (the order of a set "
                "changes between runs); use a list instead"
            )
        params = list(params)

        names = [p[0] for p in params if isinstance(p, tuple)]
        if names:
            if len(names) != len(params):
                raise ValueError(
                    "all optimizer params should be given with names or all without; "
                    "some names are missing"
                )
            group["param_names"] = names
            params = [p[1] for p in params]
        group["params"] = params

        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"optimizer can only optimize Tensors, but parameter {i} of the group is a "
                    f"{type(p).__name__}"
                )
            if not p.is_leaf:
                raise ValueError(
                    f"can't optimize a non-leaf Tensor (parameter {i} of the group was computed "
                    f"by {type(p.grad_fn).__name__}); optimize the leaf it came from, or use "
                    ".detach().requires_grad_()"
                )
            if not np.issubdtype(p.dtype, np.floating):
                raise TypeError(
                    f"optimizer can only optimize floating point tensors, but parameter {i} of "
                    f"the group has dtype {p.dtype}"
                )

        seen: set[int] = set()
        for i, p in enumerate(params):
            if id(p) in seen:
                raise ValueError(
                    f"parameter {i} (shape {tuple(p.shape)}) appears twice in the same parameter "
                    "group; give each parameter once"
                )
            seen.add(id(p))
        for g_index, other in enumerate(self.param_groups):
            if any(id(q) in seen for q in other["params"]):
                raise ValueError(
                    f"some parameters appear in more than one parameter group (already in group "
                    f"{g_index}); give each parameter to one group only"
                )
            if ("param_names" in other) != ("param_names" in group):
                raise ValueError(
                    "all optimizer parameter groups should be given with names or all without"
                )

        for name, default in self.defaults.items():
            group.setdefault(name, default)
        self._validate_group(group)
        self.param_groups.append(group)

    def _validate_group(self, group: dict[str, Any]) -> None:
        """Raise ``ValueError`` for a hyperparameter out of range (subclasses extend this)."""
        lr = group.get("lr")
        if isinstance(lr, Tensor):
            raise TypeError("lr must be a Python number, not a Tensor")
        if lr is not None and not lr >= 0.0:
            raise ValueError(f"Invalid learning rate: {lr} (it must be a number >= 0)")
        wd = group.get("weight_decay")
        if wd is not None and not wd >= 0.0:
            raise ValueError(f"Invalid weight_decay value: {wd} (it must be >= 0)")
        eps = group.get("eps")
        if eps is not None and not eps >= 0.0:
            raise ValueError(f"Invalid epsilon value: {eps} (it must be >= 0)")
        betas = group.get("betas")
        if betas is not None:
            if len(betas) != 2:
                raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
            for i, beta in enumerate(betas):
                if not 0.0 <= beta < 1.0:
                    raise ValueError(
                        f"Invalid beta parameter at index {i}: {beta} (need 0 <= beta < 1)"
                    )

    # ------------------------------------------------------------------ stepping
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients of all parameters before the next ``backward()``.

        ``set_to_none=True`` (the default) sets ``p.grad = None``: cheaper, and the next
        ``backward()`` allocates a fresh gradient. ``set_to_none=False`` fills the existing
        gradient arrays with zeros in place.
        """
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    g = p.grad
                    if g.grad_fn is not None or not g._data.flags.writeable:
                        # a gradient with history (create_graph=True) or a read-only view
                        p.grad = Tensor._make(np.zeros_like(g._data))
                        continue
                    g._data[...] = 0
                    g._bump_version()

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; return ``closure()``'s loss if given.

        ``closure`` re-evaluates the model and returns the loss (it usually calls
        ``zero_grad()`` and ``backward()`` itself). It runs with gradient recording enabled even
        if ``step`` is called inside ``no_grad()``.

        The loop is the same for every algorithm; each subclass supplies ``_update``, the math
        for one parameter. (A custom optimizer may instead override ``step``, as in PyTorch.)
        """
        loss = self._evaluate_closure(closure)
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                self._update(p, self.state[p], group)
                # changed in place: a backward through a graph that saved p now raises, naming us
                p._bump_version(f"{type(self).__name__}.step()")
        return loss

    def _update(self, p: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        """Update one parameter in place from ``p.grad``, its ``state`` and its group's
        hyperparameters."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement _update(p, state, group) or step()"
        )

    @staticmethod
    def _zeros_like(p: Tensor) -> Tensor:
        """A zero state buffer shaped like parameter ``p``."""
        return Tensor._make(np.zeros_like(p._data))

    def _evaluate_closure(self, closure: Callable[[], Any] | None) -> Any:
        if closure is None:
            return None
        with enable_grad():
            return closure()

    # ------------------------------------------------------------------ checkpoints
    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state as nested dicts/lists of numbers, strings and tensors.

        ``{"state": {index: {name: value}}, "param_groups": [{..., "params": [indices]}]}``:
        parameters are numbered 0, 1, 2, ... in the order the groups list them. Buffers are
        copied, so later steps do not change a state dict already taken.
        """
        index_of: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {
                k: (list(v) if k == "param_names" else v) for k, v in group.items() if k != "params"
            }
            indices = []
            for p in group["params"]:
                if id(p) not in index_of:
                    index_of[id(p)] = len(index_of)
                indices.append(index_of[id(p)])
            packed["params"] = indices
            groups.append(packed)
        state = {
            index_of[id(p)]: {k: _as_tensor_state(v) for k, v in s.items()}
            for p, s in self.state.items()
            if id(p) in index_of
        }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a state produced by ``state_dict()`` (possibly via ``mt.save``/``mt.load``).

        The optimizer must have been built over parameters of the same shapes, grouped the same
        way. Buffers are copied and cast to each parameter's dtype; step counts are kept exactly.
        """
        if not isinstance(state_dict, dict) or "param_groups" not in state_dict:
            raise ValueError(
                "load_state_dict expects a dict made by Optimizer.state_dict(), with keys "
                "'state' and 'param_groups'"
            )
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"loaded state dict has {len(saved_groups)} parameter groups, but the optimizer "
                f"has {len(self.param_groups)}"
            )
        for i, (saved, group) in enumerate(zip(saved_groups, self.param_groups, strict=True)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(
                    f"loaded state dict's parameter group {i} has {len(saved['params'])} "
                    f"parameters, but the optimizer's group {i} has {len(group['params'])}"
                )

        param_of: dict[int, Tensor] = {}
        for saved, group in zip(saved_groups, self.param_groups, strict=True):
            for index, p in zip(saved["params"], group["params"], strict=True):
                param_of[int(index)] = p

        new_state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        for key, saved_state in state_dict.get("state", {}).items():
            index = int(key)  # keys may come back as strings from a file
            if index not in param_of:
                raise ValueError(
                    f"loaded state dict has state for parameter {index}, which no group lists"
                )
            p = param_of[index]
            new_state[p] = {
                name: self._restore_state_value(p, name, value)
                for name, value in saved_state.items()
            }

        new_groups = []
        for saved, group in zip(saved_groups, self.param_groups, strict=True):
            restored = {k: v for k, v in group.items() if k != "params"}  # keys the file lacks
            for k, v in saved.items():
                if k == "params":
                    continue
                if isinstance(group.get(k), tuple) and isinstance(v, list):
                    v = tuple(v)  # e.g. betas, which a file may store as a list
                restored[k] = v
            restored["params"] = group["params"]
            new_groups.append(restored)

        self.state = new_state
        self.param_groups = new_groups

    def _restore_state_value(self, p: Tensor, name: str, value: Any) -> Any:
        """One loaded state entry of parameter ``p``, as ``_update`` expects to find it."""
        if isinstance(value, Tensor):
            value = value._data
        kind = self._scalar_state.get(name)
        if kind is not None:  # a number this class declared
            if isinstance(value, np.ndarray) and value.ndim != 0:
                raise ValueError(
                    f"loaded state '{name}' of {type(self).__name__} must be a number (or a 0-d "
                    f"tensor), but it has shape {tuple(value.shape)}"
                )
            number = value.item() if isinstance(value, (np.ndarray, np.generic)) else value
            return kind(number)
        if isinstance(value, np.ndarray):
            if value.shape != p.shape:
                hint = (
                    f"; if '{name}' is a number rather than a buffer, list it in "
                    f"{type(self).__name__}._scalar_state"
                    if value.ndim == 0
                    else ""
                )
                raise ValueError(
                    f"loaded state '{name}' has shape {tuple(value.shape)}, but its parameter "
                    f"has shape {tuple(p.shape)}{hint}"
                )
            dtype = p.dtype if np.issubdtype(value.dtype, np.floating) else value.dtype
            return Tensor._make(np.array(value, dtype=dtype, copy=True))
        if isinstance(value, np.generic):
            return value.item()
        return value

    # ------------------------------------------------------------------ display
    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(group):
                if key != "params":
                    lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)
