"""Numerical gradient checks: compare autograd's derivatives with central differences.

For an input element x_j, the central difference

    ∂f/∂x_j ≈ (f(x + ε e_j) - f(x - ε e_j)) / (2ε)

has truncation error O(ε²) and round-off error O(machine-eps / ε); in float64 with ε = 1e-6 both
are around 1e-10, far below the tolerances, which is why checks run in float64. ``gradcheck``
builds the full Jacobian both ways (one backward pass per output element for the analytical one)
and compares them element by element: |analytical - numerical| <= atol + rtol * |numerical|.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from microtensor.autograd.engine import grad
from microtensor.autograd.grad_mode import enable_grad, no_grad
from microtensor.random import Generator
from microtensor.tensor import Tensor


class GradcheckError(RuntimeError):
    """Raised by gradcheck when the analytical and numerical Jacobians disagree."""


def _as_tuple(value: Any) -> tuple[Any, ...]:
    return tuple(value) if isinstance(value, list | tuple) else (value,)


def _differentiable_outputs(function: Callable[..., Any], inputs: Sequence[Any]) -> list[Tensor]:
    outputs = _as_tuple(function(*inputs))
    return [o for o in outputs if isinstance(o, Tensor) and o.dtype.kind == "f"]


def _flat_outputs(function: Callable[..., Any], inputs: Sequence[Any]) -> np.ndarray:
    with no_grad():
        outputs = _differentiable_outputs(function, inputs)
    return np.concatenate([o._data.reshape(-1).astype(np.float64) for o in outputs]) \
        if outputs else np.zeros(0)


def numerical_jacobian(function: Callable[..., Any], inputs: Sequence[Any], eps: float = 1e-6
                       ) -> list[np.ndarray]:
    """One (n_outputs, n_input_elements) matrix per input that requires grad."""
    jacobians = []
    for x in inputs:
        if not (isinstance(x, Tensor) and x.requires_grad):
            continue
        values = x._data
        columns = []
        for j in range(values.size):
            original = values.flat[j]
            values.flat[j] = original + eps
            plus = _flat_outputs(function, inputs)
            values.flat[j] = original - eps
            minus = _flat_outputs(function, inputs)
            values.flat[j] = original
            columns.append((plus - minus) / (2 * eps))
        n_out = _flat_outputs(function, inputs).size
        jacobians.append(np.stack(columns, axis=1) if columns else np.zeros((n_out, 0)))
    return jacobians


def analytical_jacobian(function: Callable[..., Any], inputs: Sequence[Any]) -> list[np.ndarray]:
    """The same matrices from autograd: row k is the gradient of output element k."""
    targets = [x for x in inputs if isinstance(x, Tensor) and x.requires_grad]
    outputs = _differentiable_outputs(function, inputs)
    sizes = [o.numel() for o in outputs]
    total = int(sum(sizes))
    jacobians = [np.zeros((total, t.numel())) for t in targets]
    row = 0
    for o_index, output in enumerate(outputs):
        for k in range(output.numel()):
            if not output.requires_grad:
                row += 1
                continue
            seeds = [Tensor._make(np.zeros(o.shape, dtype=o.dtype)) for o in outputs]
            seeds[o_index]._data.flat[k] = 1.0
            grads = grad(outputs, targets, grad_outputs=seeds, retain_graph=True,
                         allow_unused=True)
            for j, g in enumerate(grads):
                if g is not None:
                    jacobians[j][row] = g._data.reshape(-1)
            row += 1
    return jacobians


def gradcheck(
    func: Callable[..., Any],
    inputs: Any,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """Check the gradients of ``func`` at ``inputs`` against central differences.

    Inputs that require grad must be float64. Returns True, or raises ``GradcheckError`` naming
    the input, the output and the element that disagree with both values (returns False instead
    with ``raise_exception=False``).
    """
    inputs = _as_tuple(inputs)
    for k, x in enumerate(inputs):
        if isinstance(x, Tensor) and x.requires_grad and x.dtype != np.float64:
            raise ValueError(
                f"gradcheck: input {k} has dtype {x.dtype}; finite differences need float64 "
                "inputs (use x.double() or mt.float64)"
            )
    if not any(isinstance(x, Tensor) and x.requires_grad for x in inputs):
        raise ValueError("gradcheck: no input requires grad, so there is nothing to check")
    numerical = numerical_jacobian(func, inputs, eps)
    analytical = analytical_jacobian(func, inputs)
    positions = [k for k, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    for index, (num, ana) in enumerate(zip(numerical, analytical)):
        bad = np.abs(ana - num) > atol + rtol * np.abs(num)
        if bad.any():
            row, col = (int(i) for i in np.argwhere(bad)[0])
            x = inputs[positions[index]]
            element = np.unravel_index(col, x.shape) if x.ndim else ()
            message = (
                f"gradcheck: Jacobian mismatch for input {positions[index]} (shape "
                f"{tuple(x.shape)}) at element {tuple(int(e) for e in element)}, output element "
                f"{row}: numerical {num[row, col]:.10g} vs analytical {ana[row, col]:.10g} "
                f"({int(bad.sum())} of {bad.size} entries differ; atol={atol}, rtol={rtol})"
            )
            if raise_exception:
                raise GradcheckError(message)
            return False
    return True


def gradgradcheck(
    func: Callable[..., Any],
    inputs: Any,
    grad_outputs: Any = None,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    seed: int = 0,
) -> bool:
    """Check second derivatives: gradcheck of (inputs, v) ↦ vᵀ ∂func/∂inputs.

    The first derivatives are computed with ``create_graph=True``, so this verifies that each op's
    backward is itself correctly differentiable. ``grad_outputs`` (v) default to random float64
    tensors (seeded), and are checked as inputs too.
    """
    inputs = _as_tuple(inputs)
    with no_grad():
        outputs = _differentiable_outputs(func, inputs)
    if grad_outputs is None:
        rng = Generator(seed).numpy
        grad_outputs = [Tensor(rng.standard_normal(o.shape), dtype=np.float64,
                               requires_grad=True) for o in outputs]
    grad_outputs = list(_as_tuple(grad_outputs))
    n_inputs = len(inputs)
    targets = [k for k, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]

    def first_derivatives(*args: Any) -> tuple[Tensor, ...]:
        xs, vs = args[:n_inputs], args[n_inputs:]
        with enable_grad():  # also while gradcheck evaluates this under no_grad
            outs = _differentiable_outputs(func, xs)
            grads = grad(outs, [xs[k] for k in targets], grad_outputs=list(vs),
                         create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(first_derivatives, (*inputs, *grad_outputs), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
