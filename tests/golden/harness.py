"""What a golden case is, how it runs on either library, and how results are compared.

A case is a function ``fn(lib, *tensors)`` written once against the shared API (``lib`` is the
``microtensor`` or the ``torch`` module) and the specs of its inputs. Both the generator
(``tests/make_golden.py``, on PyTorch) and the test (``tests/test_golden.py``, on microtensor)
run it through the same three steps:

1. forward:  outputs = fn(lib, *inputs)  (a tensor or a sequence of tensors);
2. first derivatives:  gᵢ = ∂/∂xᵢ Σⱼ sum(outputⱼ · wⱼ)  for the floating outputs that require
   grad, wⱼ seeded random weights (PyTorch's ``autograd.grad`` with ``grad_outputs=w``);
3. second derivatives:  hᵢ = ∂/∂xᵢ Σₖ sum(gₖ · vₖ)  with seeded random vₖ, where the case allows
   double backward (``Case.double``) — a Hessian-vector product for a scalar output.

The weights are drawn by the generator and stored with the results, so both sides use the same.
A derivative that PyTorch reports as unused (None) is compared as zeros.
"""

from __future__ import annotations

import hashlib
import warnings
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

# rtol, atol by dtype: float64 is the golden standard (round-off only); the few float32 cases
# check dtypes and promotion, and get float32 round-off
TOLERANCES = {"float64": (1e-10, 1e-12), "float32": (1e-5, 1e-6), "float16": (1e-3, 1e-3)}


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class In:
    """One input: its shape, how its values are drawn, its dtype and whether it requires grad.

    kinds: ``normal`` N(0, 1); ``positive`` U(0.5, 2); ``unit`` U(0.05, 0.95) (probabilities);
    ``distinct`` well separated values (no ties); ``ties`` small integers as floats (many ties);
    ``int`` integers in [low, high); ``bool`` fair coin; ``values`` the given values (reshaped).
    """

    shape: tuple[int, ...] = ()
    kind: str = "normal"
    dtype: str = "float64"
    grad: bool | None = None  # default: floating inputs require grad
    values: tuple[Any, ...] | None = None
    low: int = 0
    high: int = 5

    @property
    def requires_grad(self) -> bool:
        return self.dtype.startswith("float") if self.grad is None else self.grad

    def make(self, rng: np.random.Generator) -> np.ndarray:
        """The input's values (drawn from ``rng``), as an array of its dtype."""
        size = int(np.prod(self.shape))
        if self.kind == "values":
            array = np.array(self.values).reshape(self.shape)
        elif self.kind == "normal":
            array = rng.standard_normal(self.shape)
        elif self.kind == "positive":
            array = rng.uniform(0.5, 2.0, self.shape)
        elif self.kind == "unit":
            array = rng.uniform(0.05, 0.95, self.shape)
        elif self.kind == "distinct":
            array = ((rng.permutation(size) - size / 2) * 0.37
                     + rng.uniform(-0.1, 0.1, size)).reshape(self.shape)
        elif self.kind == "ties":
            array = rng.integers(-2, 3, self.shape).astype(np.float64)
        elif self.kind == "int":
            array = rng.integers(self.low, self.high, self.shape)
        elif self.kind == "bool":
            array = rng.random(self.shape) < 0.5
        else:
            raise ValueError(f"unknown input kind {self.kind!r}")
        return np.asarray(array).astype(self.dtype)


@dataclass(frozen=True)
class Case:
    """A golden case: ``fn(lib, *inputs)`` (``torch_fn`` replaces it on PyTorch if given).

    ``double``: also compare second derivatives (False for ops that support first-order
    gradients only). ``match``: a fragment that the exception messages of both libraries must
    contain, when PyTorch raises. ``check_warnings``: microtensor must emit no warning that
    PyTorch does not (NumPy's RuntimeWarnings, say).
    """

    name: str
    group: str
    fn: Callable[..., Any]
    inputs: tuple[In, ...]
    torch_fn: Callable[..., Any] | None = None
    double: bool = True
    match: str | None = None
    check_warnings: bool = False

    def call(self, lib: Any, inputs: Sequence[Any]) -> Any:
        """The case's result on ``lib`` (``torch_fn`` on PyTorch, if the case has one)."""
        fn = self.torch_fn if self.torch_fn is not None and lib.__name__ == "torch" else self.fn
        return fn(lib, *inputs)

    def fingerprint(self) -> str:
        """A digest of the case's specs: golden data made from other specs is stale."""
        text = repr((self.name, self.inputs, self.double, self.match, self.check_warnings))
        return hashlib.sha1(text.encode()).hexdigest()[:16]

    def seed(self) -> int:
        return zlib.crc32(self.name.encode())


# --------------------------------------------------------------------------- running a case


def as_tensors(lib: Any, arrays: Sequence[np.ndarray], specs: Sequence[In]) -> list[Any]:
    return [lib.tensor(np.array(a, copy=True), requires_grad=s.requires_grad)
            for a, s in zip(arrays, specs)]


def as_list(result: Any) -> list[Any]:
    """The outputs of a case: a tensor, or the tensors of a tuple/list/named tuple."""
    if isinstance(result, tuple | list):
        return list(result)
    return [result]


def to_array(t: Any) -> np.ndarray:
    if getattr(t, "_is_zerotensor", lambda: False)():  # PyTorch's lazy zeros
        return np.zeros(tuple(t.shape), to_dtype_name(t))
    return np.array(t.detach().numpy(), copy=True)


def is_floating(t: Any) -> bool:
    return to_dtype_name(t).startswith("float")


def to_dtype_name(t: Any) -> str:
    return str(t.dtype).replace("torch.", "")


def differentiable_outputs(outputs: Sequence[Any]) -> list[int]:
    """Indices of the outputs that enter Σ output·w: floating and requiring grad."""
    return [j for j, out in enumerate(outputs) if is_floating(out) and out.requires_grad]


def first_derivatives(lib: Any, inputs: Sequence[Any], outputs: Sequence[Any],
                      weights: dict[int, np.ndarray], create_graph: bool) -> list[Any]:
    """∂/∂x Σⱼ sum(outputⱼ · wⱼ) for every input that requires grad (None: unused)."""
    targets = [x for x in inputs if x.requires_grad]
    picked = sorted(weights)
    seeds = [lib.tensor(weights[j].astype(to_array(outputs[j]).dtype)) for j in picked]
    return list(lib.autograd.grad([outputs[j] for j in picked], targets, seeds,
                                  create_graph=create_graph, allow_unused=True))


def second_derivatives(lib: Any, inputs: Sequence[Any], grads: Sequence[Any],
                       weights: Sequence[np.ndarray]) -> list[Any]:
    """∂/∂x Σₖ sum(gₖ · vₖ); all None when no first derivative depends on the inputs."""
    targets = [x for x in inputs if x.requires_grad]
    live = [k for k, g in enumerate(grads) if g is not None and g.requires_grad]
    if not live:
        return [None] * len(targets)
    seeds = [lib.tensor(weights[k].astype(to_array(grads[k]).dtype)) for k in live]
    return list(lib.autograd.grad([grads[k] for k in live], targets, seeds, allow_unused=True))


def grad_arrays(grads: Sequence[Any], inputs: Sequence[Any]) -> list[np.ndarray]:
    """The derivatives as arrays; an unused input (None) gets zeros of its shape and dtype."""
    targets = [x for x in inputs if x.requires_grad]
    return [np.zeros(tuple(x.shape), to_array(x).dtype) if g is None else to_array(g)
            for g, x in zip(grads, targets)]


def error_type(error: BaseException) -> str:
    """The nearest built-in class of an exception (torch's own errors derive from them)."""
    for cls in type(error).__mro__:
        if cls.__module__ == "builtins":
            return cls.__name__
    return type(error).__name__


class Recorder(warnings.catch_warnings):
    """Collects the categories of the warnings raised inside the block."""

    def __init__(self) -> None:
        super().__init__(record=True)
        self.log: list[warnings.WarningMessage] = []

    def __enter__(self) -> Recorder:
        log = super().__enter__()
        assert log is not None  # record=True: the list the warnings are appended to
        self.log = log
        warnings.simplefilter("always")
        return self

    @property
    def categories(self) -> list[str]:
        return sorted({w.category.__name__ for w in self.log})


# --------------------------------------------------------------------------- comparing


def mismatch(actual: Any, expected: np.ndarray, rtol: float | None = None,
             atol: float | None = None) -> str | None:
    """Why ``actual`` differs from the golden ``expected`` (None if it does not).

    Shapes and dtypes must be equal; NaN positions must match, and infinities with their signs;
    the finite values of floating arrays must agree within ``rtol``/``atol`` (by default the
    ``TOLERANCES`` of their dtype), others exactly.
    """
    if not isinstance(actual, np.ndarray):
        return f"expected an array, got {type(actual).__name__}"
    if actual.shape != expected.shape:
        return f"shape {actual.shape}, expected {expected.shape}"
    if actual.dtype != expected.dtype:
        return f"dtype {actual.dtype}, expected {expected.dtype}"
    if expected.dtype.kind != "f":
        if not np.array_equal(actual, expected):
            return f"values {actual.tolist()}, expected {expected.tolist()}"
        return None
    nan_a, nan_e = np.isnan(actual), np.isnan(expected)
    if not np.array_equal(nan_a, nan_e):
        return f"NaN at {np.argwhere(nan_a).tolist()}, expected at {np.argwhere(nan_e).tolist()}"
    inf_a, inf_e = np.isinf(actual), np.isinf(expected)
    if not np.array_equal(inf_a, inf_e) or not np.array_equal(actual[inf_a], expected[inf_e]):
        return (f"infinities {actual[inf_a].tolist()} at {np.argwhere(inf_a).tolist()}, "
                f"expected {expected[inf_e].tolist()} at {np.argwhere(inf_e).tolist()}")
    default_rtol, default_atol = TOLERANCES[expected.dtype.name]
    rtol = default_rtol if rtol is None else rtol
    atol = default_atol if atol is None else atol
    finite = np.isfinite(expected)
    a, e = actual[finite].astype(np.float64), expected[finite].astype(np.float64)
    bad = np.abs(a - e) > atol + rtol * np.abs(e)
    if bad.any():
        worst = int(np.argmax(np.abs(a - e) - rtol * np.abs(e)))
        return (f"{int(bad.sum())} of {e.size} values differ (rtol {rtol}, atol {atol}); e.g. "
                f"{a[worst]!r} where PyTorch gives {e[worst]!r}")
    return None
