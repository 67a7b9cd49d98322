"""Higher-level derivatives built on ``autograd.grad``: jacobian, hessian, vjp, jvp-free hvp.

* ``vjp(f, x, v)``  = vᵀ J      (one backward pass)
* ``jacobian(f, x)`` = J        (one backward pass per output element)
* ``hvp(f, x, v)``  = H v       (double backward: the gradient of  ∇f(x)ᵀ v)
* ``hessian(f, x)`` = H         (one hvp-like pass per input element)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from microtensor.autograd.engine import grad
from microtensor.tensor import Tensor


def _prepare(inputs: Any, create_graph: bool) -> tuple[tuple[Tensor, ...], bool]:
    is_tuple = isinstance(inputs, tuple | list)
    items = tuple(inputs) if is_tuple else (inputs,)
    prepared = []
    for x in items:
        if not isinstance(x, Tensor):
            raise TypeError(f"autograd.functional: inputs must be Tensors, got {type(x).__name__}")
        copy = x if create_graph and x.requires_grad else x.detach()
        prepared.append(copy.requires_grad_(True) if not copy.requires_grad else copy)
    return tuple(prepared), is_tuple


def _zeros_if_none(grads: tuple[Any, ...], like: tuple[Tensor, ...]) -> tuple[Tensor, ...]:
    return tuple(g if g is not None else Tensor._make(np.zeros(x.shape, x.dtype))
                 for g, x in zip(grads, like))


def vjp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """(func(inputs), vᵀ · ∂func/∂inputs)."""
    xs, is_tuple = _prepare(inputs, create_graph)
    output = func(*xs)
    if v is None and output.numel() != 1:
        raise RuntimeError("vjp: v can be omitted only when func returns a single element")
    grads = grad(output, xs, grad_outputs=v, create_graph=create_graph, allow_unused=True)
    grads = _zeros_if_none(grads, xs)
    result = grads if is_tuple else grads[0]
    return (output if create_graph else output.detach()), result


def jacobian(func: Callable[..., Any], inputs: Any, create_graph: bool = False,
             strict: bool = False) -> Any:
    """J[i..., j...] = ∂ output[i...] / ∂ input[j...] (shape: output shape + input shape).

    With several inputs the result is a tuple, one Jacobian per input; with several outputs, a
    tuple over outputs (of tuples over inputs), as in PyTorch.
    """
    xs, inputs_tuple = _prepare(inputs, create_graph)
    outputs = func(*xs)
    outputs_tuple = isinstance(outputs, tuple | list)
    output_list = tuple(outputs) if outputs_tuple else (outputs,)
    per_output = []
    for output in output_list:
        rows: list[list[Tensor]] = [[] for _ in xs]
        for k in range(output.numel()):
            seed = np.zeros(output.shape, dtype=output.dtype)
            seed.flat[k] = 1.0
            if output.requires_grad:
                grads = grad(output, xs, grad_outputs=Tensor._make(seed), retain_graph=True,
                             create_graph=create_graph, allow_unused=True)
            else:
                grads = (None,) * len(xs)
            for j, g in enumerate(_zeros_if_none(grads, xs)):
                rows[j].append(g)
        from microtensor.ops.shape import reshape, stack

        jacobians = tuple(
            reshape(stack(r), tuple(output.shape) + tuple(x.shape)) if r else
            Tensor._make(np.zeros(tuple(output.shape) + tuple(x.shape), x.dtype))
            for r, x in zip(rows, xs)
        )
        per_output.append(jacobians if inputs_tuple else jacobians[0])
    return tuple(per_output) if outputs_tuple else per_output[0]


def hessian(func: Callable[..., Any], inputs: Any, create_graph: bool = False,
            strict: bool = False) -> Any:
    """H = ∂²func/∂inputs² for a scalar ``func``: the Jacobian of its gradient."""
    xs, is_tuple = _prepare(inputs, True)

    def gradient(*args: Tensor) -> Any:
        output = func(*args)
        if output.numel() != 1:
            raise RuntimeError(
                f"hessian: func must return a single element, got shape {tuple(output.shape)}"
            )
        grads = _zeros_if_none(grad(output, args, create_graph=True, allow_unused=True), args)
        return grads if is_tuple else grads[0]

    return jacobian(gradient, xs if is_tuple else xs[0], create_graph=create_graph)


def hvp(func: Callable[..., Any], inputs: Any, v: Any, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """(func(inputs), H v) without forming H: differentiate ∇func · v once more."""
    xs, is_tuple = _prepare(inputs, True)
    vs = tuple(v) if is_tuple else (v,)
    output = func(*xs)
    grads = _zeros_if_none(grad(output, xs, create_graph=True, allow_unused=True), xs)
    dot = None
    for g, direction in zip(grads, vs):
        term = (g * direction).sum()
        dot = term if dot is None else dot + term
    if dot is None or not dot.requires_grad:
        products = tuple(Tensor._make(np.zeros(x.shape, x.dtype)) for x in xs)
    else:
        products = _zeros_if_none(grad(dot, xs, create_graph=create_graph, allow_unused=True),
                                  xs)
    result = products if is_tuple else products[0]
    if not create_graph:
        result = tuple(p.detach() for p in products) if is_tuple else products[0].detach()
    return output.detach(), result
