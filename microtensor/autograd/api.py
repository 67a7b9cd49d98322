"""``Tensor.backward`` and ``autograd.grad``: checking arguments, then calling the engine."""

from __future__ import annotations

from typing import Any

import numpy as np

from microtensor.autograd.engine import run_backward
from microtensor.tensor import Tensor


def _as_sequence(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, Tensor):
        return [value]
    return list(value)


def _root_gradients(
    outputs: list[Tensor], grad_outputs: list[Any], create_graph: bool, op: str
) -> list[Any]:
    """dL/d(output) to start from: ones for scalars, else the given ``gradient``."""
    if grad_outputs and len(grad_outputs) != len(outputs):
        raise RuntimeError(
            f"{op}: got {len(grad_outputs)} gradients for {len(outputs)} outputs"
        )
    seeds = []
    for k, output in enumerate(outputs):
        if not output.requires_grad:
            raise RuntimeError(
                f"{op}: element {k} of tensors does not require grad and does not have a "
                "grad_fn; did you create it under no_grad, or forget requires_grad=True on an "
                "input?"
            )
        given = grad_outputs[k] if grad_outputs else None
        if given is None:
            if output.numel() != 1:
                raise RuntimeError(
                    f"{op}: grad can be implicitly created only for scalar outputs, but the "
                    f"output has shape {tuple(output.shape)}; pass gradient=... (a tensor of "
                    "that shape), or reduce the output first (e.g. .sum())"
                )
            seed = np.ones(output.shape, dtype=output.dtype)
            seeds.append(Tensor._make(seed) if create_graph else seed)
            continue
        given = given if isinstance(given, Tensor) else Tensor._make(np.asarray(given))
        if given.shape != output.shape:
            raise RuntimeError(
                f"{op}: gradient has shape {tuple(given.shape)} but the output has shape "
                f"{tuple(output.shape)}; they must match"
            )
        data = given._data.astype(output.dtype, copy=False)  # the engine never writes to it
        seeds.append((given if given.dtype == output.dtype else given.to(output.dtype))
                     if create_graph else data)
    return seeds


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


