"""The backward formula of an op, with the local numbers plugged in.

The formula itself is the op's docstring (one source: ``TanhOp.__doc__`` says
``z = tanh x.  dL/dx = g * (1 - z²).``). For the common ops this module also writes the formula
with the numbers of one element put in, e.g. for ``tanh`` at ``g = 0.25``, ``z = 0.76``::

    dL/dx = g · (1 − z²) = 0.25 · (1 − 0.76²) = 0.1056

The element shown is the first one of the output (``[0]`` in flat order); each input is read at
the position that element came from (after broadcasting). The result printed is the formula's
value at that element, before the engine sums a broadcast input's gradient back to its shape.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from microtensor.viz.graph import _format_number

__all__ = ["docstring_of", "formula_of", "plug_numbers"]


def docstring_of(node: Any) -> str:
    """The op's docstring, dedented ("" when it has none)."""
    return inspect.cleandoc(type(node).__doc__ or "")


def formula_of(node: Any) -> str:
    """The first paragraph of the op's docstring: by convention the forward and backward math."""
    return docstring_of(node).split("\n\n")[0].replace("\n", " ")


def _n(value: Any) -> str:
    text = _format_number(value)
    return f"({text})" if text.startswith("-") else text


class Element:
    """The numbers at the first output element: ``g``, ``z`` and each input (``a``, ``b``)."""

    def __init__(self, grad: np.ndarray, output: np.ndarray | None,
                 inputs: list[np.ndarray | None]) -> None:
        shape = grad.shape
        self.g = grad.flat[0]
        self.z = None if output is None or output.size == 0 else output.flat[0]
        self.values = [None if x is None else _first_broadcast(x, shape) for x in inputs]

    def input(self, k: int) -> Any:
        return self.values[k] if k < len(self.values) else None


def _first_broadcast(x: np.ndarray, shape: tuple[int, ...]) -> Any:
    array = np.asarray(x)
    try:
        return np.broadcast_to(array, shape).flat[0] if array.size else None
    except ValueError:  # not elementwise (matmul, reductions): its own first element
        return array.flat[0] if array.size else None


def _unary(template: str, value: Callable[[Any, Any, Any], Any]) -> Callable[[Element], list[str]]:
    """A one-input op: ``template`` gets g, x, z (formatted); ``value`` computes the result."""
    def plug(e: Element) -> list[str]:
        x = e.input(0)
        if x is None:
            return []
        result = value(e.g, x, e.z)
        return [template.format(g=_n(e.g), x=_n(x), z=_n(e.z)) + f" = {_format_number(result)}"]
    return plug


def _add(e: Element) -> list[str]:
    return [f"dL/da = g = {_format_number(e.g)}", f"dL/db = g = {_format_number(e.g)}"]


def _sub(e: Element) -> list[str]:
    return [f"dL/da = g = {_format_number(e.g)}",
            f"dL/db = −g = −{_n(e.g)} = {_format_number(-e.g)}"]


def _mul(e: Element) -> list[str]:
    a, b = e.input(0), e.input(1)
    return [f"dL/da = g · b = {_n(e.g)} · {_n(b)} = {_format_number(e.g * b)}",
            f"dL/db = g · a = {_n(e.g)} · {_n(a)} = {_format_number(e.g * a)}"]


def _div(e: Element) -> list[str]:
    a, b = e.input(0), e.input(1)
    return [f"dL/da = g / b = {_n(e.g)} / {_n(b)} = {_format_number(e.g / b)}",
            f"dL/db = −g · a / b² = −{_n(e.g)} · {_n(a)} / {_n(b)}² = "
            f"{_format_number(-e.g * a / (b * b))}"]


def _pow_scalar(exponent: Any) -> Callable[[Element], list[str]]:
    def plug(e: Element) -> list[str]:
        x = e.input(0)
        p = exponent
        result = e.g * p * x ** (p - 1)
        return [f"dL/dx = g · p · x^(p−1) = {_n(e.g)} · {_n(p)} · {_n(x)}^{_n(p - 1)} = "
                f"{_format_number(result)}"]
    return plug


def _reduction(kind: str) -> Callable[[Element, int], list[str]]:
    def plug(e: Element, n: int) -> list[str]:
        if kind == "sum":
            return [f"dL/dx = g, copied to each of the {n} summed elements = "
                    f"{_format_number(e.g)}"]
        return [f"dL/dx = g / n = {_n(e.g)} / {n} = {_format_number(e.g / n)}"]
    return plug


_UNARY = {
    "Tanh": _unary("dL/dx = g · (1 − z²) = {g} · (1 − {z}²)", lambda g, x, z: g * (1 - z * z)),
    "Sigmoid": _unary("dL/dx = g · z · (1 − z) = {g} · {z} · (1 − {z})",
                      lambda g, x, z: g * z * (1 - z)),
    "Exp": _unary("dL/dx = g · z = {g} · {z}", lambda g, x, z: g * z),
    "Log": _unary("dL/dx = g / x = {g} / {x}", lambda g, x, z: g / x),
    "Neg": _unary("dL/dx = −g = −{g}", lambda g, x, z: -g),
    "Sqrt": _unary("dL/dx = g / (2z) = {g} / (2 · {z})", lambda g, x, z: g / (2 * z)),
    "ReLU": _unary("dL/dx = g if z > 0 else 0, with g = {g}, z = {z}",
                   lambda g, x, z: g if z > 0 else 0.0),
    "Sin": _unary("dL/dx = g · cos x = {g} · cos {x}", lambda g, x, z: g * np.cos(x)),
    "Cos": _unary("dL/dx = −g · sin x = −{g} · sin {x}", lambda g, x, z: -g * np.sin(x)),
}
_BINARY = {"Add": _add, "Sub": _sub, "Mul": _mul, "Div": _div}
_REDUCTIONS = {"Sum": _reduction("sum"), "Mean": _reduction("mean")}


def plug_numbers(node: Any, grad: np.ndarray, output: np.ndarray | None,
                 inputs: list[np.ndarray | None]) -> list[str]:
    """Lines like ``dL/dx = g · (1 − z²) = 0.25 · (1 − 0.76²) = 0.1056`` for the common ops;
    ``[]`` for the others (the page then shows the formula and the gradients' numbers)."""
    name = node.op_name
    if grad.size == 0:
        return []
    with np.errstate(all="ignore"):
        if name == "MatMul":
            return _matmul(grad, inputs)
        element = Element(grad, output, inputs)
        if name in _UNARY:
            return _UNARY[name](element)
        if name in _BINARY and len(inputs) == 2 and None not in element.values:
            needed = node.needs_input_grad  # no line for a constant operand
            return [line for line, needs in zip(_BINARY[name](element), needed) if needs]
        if name == "PowScalar" and getattr(node, "exponent", None) is not None:
            return _pow_scalar(node.exponent)(element)
        if name in _REDUCTIONS and inputs and inputs[0] is not None:
            n = max(inputs[0].size // max(grad.size, 1), 1)
            return _REDUCTIONS[name](element, n)
    return []


def _matmul(grad: np.ndarray, inputs: list[np.ndarray | None]) -> list[str]:
    if len(inputs) != 2 or inputs[0] is None or inputs[1] is None:
        return []
    a, b = inputs
    if a.ndim < 2 or b.ndim < 2:
        return []
    da = grad @ np.swapaxes(b, -1, -2)
    db = np.swapaxes(a, -1, -2) @ grad
    return [f"dL/dA = G @ Bᵀ: {grad.shape} @ {b.shape}ᵀ → {da.shape}; "
            f"dL/dA[0, 0] = Σₖ G[0, k] · B[0, k] = {_format_number(da.flat[0])}",
            f"dL/dB = Aᵀ @ G: {a.shape}ᵀ @ {grad.shape} → {db.shape}; "
            f"dL/dB[0, 0] = Σₖ A[k, 0] · G[k, 0] = {_format_number(db.flat[0])}"]
