"""Differential fuzzing: random chains of ops on random shapes, against NumPy (and PyTorch).

A chain starts from a random float64 leaf (0-d, size-0 and size-1 dims included) and applies one
to four random steps: elementwise functions, binary ops with a new leaf of a broadcastable shape
(and matmul, cat, stack), reductions with random ``dim``/``keepdim``, and shape ops (reshape,
transpose, permute, squeeze, unsqueeze, flatten, expand, repeat, indexing, pad). The leaves are
either smooth (N(0, 1)) or full of edge values (±0, ties, values at kinks, huge and tiny numbers,
±inf, NaN).

The reference is NumPy: every op has a NumPy forward and a NumPy vector-Jacobian product written
with PyTorch's conventions at kinks (relu'(0) = 0, |x|'(0) = 0, max(dim) sends the gradient to the
first maximum, maximum and amax split it evenly among ties, clamp passes it at its bounds). For
each chain the test compares

* the forward values everywhere (NaN positions and the signs of infinities must match);
* the gradients of Σ output·w (w seeded random) with respect to every leaf, wherever the
  reference's intermediate values and gradients are all finite (the behaviour of each op at
  ±inf and NaN is pinned by the golden cases of tests/golden/ instead);
* on smooth chains, the reference gradient itself against central finite differences (a
  directional derivative, where two step sizes agree, i.e. away from kinks).

Values are compared with rtol 1e-9 and an absolute tolerance of 1e-11 times the largest magnitude
met in the chain: the reference is written independently (other formulas, other summation
orders), and the round-off of a large intermediate value survives a cancellation.

Left out on purpose, as round-off decides them: 1/x of a zero (the sign of a zero made by, say,
maximum(-0.0, 0.0) is each library's choice, and with it the sign of the infinity); log, sqrt
and 1/x of a computed value within 1e-12 of 0 (log(1) - log(1) may come out as ±1e-16); the
extremes (amax, max(dim), ...) of computed values that tie (PyTorch's elu can map two equal
inputs to results a last bit apart, one from its vectorised loop and one from the scalar tail,
and then only one of them is the extreme and gets the gradient); and sin/cos
of large arguments (beyond 1e3 for computed values, 1e6 for leaves: they turn the round-off
of their argument into their own absolute error); and products of huge and tiny factors (which
partial product overflows or underflows first depends on the order of multiplication).
Ties of leaf values are exact and stay in. Ops whose edge
behaviour is a known difference (an entry of ``tests/golden/cases.XFAIL``, see ``VALUE_GATES``)
are kept away from the values that entry covers; when the fix lands and the entry goes, the
fuzzing covers them again by itself.

``MICROTENSOR_FUZZ_CHAINS`` sets the number of chains (default 50,000: about 20 s on a 2-core
machine) and ``MICROTENSOR_FUZZ_SEED`` the seed. ``test_fuzz_against_pytorch`` runs the same
chains against PyTorch when it is installed, comparing both microtensor and the NumPy reference
with it, for the longer runs done locally, e.g.
``MICROTENSOR_FUZZ_CHAINS=200000 MICROTENSOR_FUZZ_SEED=7 pytest tests/test_fuzz.py``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np
import pytest

import microtensor as mt
from tests.golden.cases import BY_NAME, XFAIL
from tests.golden.harness import mismatch

# NumPy's warnings for log(0), 0/0, ... in the reference (microtensor's own are a golden case)
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

CHAINS = int(os.environ.get("MICROTENSOR_FUZZ_CHAINS", "50000"))
SEED = int(os.environ.get("MICROTENSOR_FUZZ_SEED", "0"))
RTOL = 1e-9  # chains of up to four float64 ops, compared with a differently written reference
ATOL = 1e-11  # times the largest magnitude involved (see ``compare``)

Shape = tuple[int, ...]
Params = dict[str, Any]


def _open(*golden_cases: str) -> bool:
    """Whether a known difference (a golden case still marked xfail) covers this situation."""
    return any(name in XFAIL for name in golden_cases)


# --------------------------------------------------------------------------- the ops


@dataclass(frozen=True)
class FuzzOp:
    """An op of the fuzzing: how to draw its parameters and run it on a library and in NumPy.

    ``draw(rng, shape)`` returns the parameters for an input of ``shape`` (None if the op does
    not apply); a binary op's parameters hold ``other``, the shape of the leaf that joins.
    ``run(lib, x, y, p)`` calls microtensor or PyTorch; ``forward(x, y, p)`` computes the same
    in NumPy and ``backward(x, y, out, g, p)`` returns the NumPy (dL/dx, dL/dy) for dL/dout = g.
    """

    name: str
    draw: Callable[[np.random.Generator, Shape], Params | None]
    run: Callable[[Any, Any, Any, Params], Any]
    forward: Callable[[np.ndarray, Any, Params], np.ndarray]
    backward: Callable[[np.ndarray, Any, np.ndarray, np.ndarray, Params], tuple[Any, Any]]
    binary: bool = False


def _always(rng: np.random.Generator, shape: Shape) -> Params:
    return {}


def _sign_torch(x: np.ndarray) -> np.ndarray:
    return np.where(np.isnan(x), 0.0, np.sign(x))  # PyTorch: sign(nan) = 0


_ERF = np.vectorize(math.erf, otypes=[np.float64])


def _sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + e⁻ˣ), through e^-|x| so that tiny values keep their precision."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def _unary(name: str, run: Callable[..., Any], forward: Callable[..., np.ndarray],
           derivative: Callable[..., np.ndarray],
           draw: Callable[[np.random.Generator, Shape], Params | None] = _always) -> FuzzOp:
    """An elementwise op z = f(x): the VJP is g · f'(x) (``derivative(x, z, params)``)."""
    return FuzzOp(name, draw, lambda lib, x, y, p: run(lib, x, p),
                  lambda x, y, p: forward(x, p),
                  lambda x, y, out, g, p: (g * derivative(x, out, p), None))


def _draw_clamp(rng: np.random.Generator, shape: Shape) -> Params:
    low, high = sorted(rng.choice([-1.0, -0.5, 0.0, 0.5, 1.0], 2, replace=False))
    which = rng.integers(3)
    return {"min": low if which != 2 else None, "max": high if which != 1 else None}


def _clamp_forward(x: np.ndarray, p: Params) -> np.ndarray:
    """PyTorch's min(max(x, low), high): x is kept unless it is beyond a bound (-0 stays -0)."""
    if p["min"] is not None:
        x = np.where(x < p["min"], p["min"], x)
    if p["max"] is not None:
        x = np.where(x > p["max"], p["max"], x)
    return x


def _clamp_derivative(x: np.ndarray, out: np.ndarray, p: Params) -> np.ndarray:
    inside = np.ones(x.shape, bool)
    if p["min"] is not None:
        inside &= x >= p["min"]
    if p["max"] is not None:
        inside &= x <= p["max"]
    return inside.astype(np.float64)


def _pow_derivative(x: np.ndarray, out: np.ndarray, p: Params) -> np.ndarray:
    e = p["exponent"]
    return np.zeros_like(x) if e == 0 else e * x ** (e - 1)


def _softplus_forward(x: np.ndarray, p: Params) -> np.ndarray:
    return np.where(x > 20, x, np.log1p(np.exp(np.minimum(x, 20))))


def _gelu_forward(x: np.ndarray, p: Params) -> np.ndarray:
    return 0.5 * x * (1 + _ERF(x / math.sqrt(2)))


def _gelu_derivative(x: np.ndarray, out: np.ndarray, p: Params) -> np.ndarray:
    return 0.5 * (1 + _ERF(x / math.sqrt(2))) + x * np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)


UNARY = [
    _unary("neg", lambda lib, x, p: -x, lambda x, p: -x, lambda x, z, p: -np.ones_like(x)),
    _unary("exp", lambda lib, x, p: lib.exp(x), lambda x, p: np.exp(x), lambda x, z, p: z),
    _unary("log", lambda lib, x, p: x.log(), lambda x, p: np.log(x), lambda x, z, p: 1 / x),
    _unary("sqrt", lambda lib, x, p: lib.sqrt(x), lambda x, p: np.sqrt(x),
           lambda x, z, p: 1 / (2 * z)),
    _unary("abs", lambda lib, x, p: x.abs(), lambda x, p: np.abs(x),
           lambda x, z, p: np.sign(x)),
    _unary("sin", lambda lib, x, p: lib.sin(x), lambda x, p: np.sin(x),
           lambda x, z, p: np.cos(x)),
    _unary("cos", lambda lib, x, p: x.cos(), lambda x, p: np.cos(x),
           lambda x, z, p: -np.sin(x)),
    _unary("tanh", lambda lib, x, p: x.tanh(), lambda x, p: np.tanh(x),
           lambda x, z, p: 1 - z * z),
    _unary("sigmoid", lambda lib, x, p: lib.sigmoid(x), lambda x, p: _sigmoid(x),
           lambda x, z, p: z * (1 - z)),
    _unary("relu", lambda lib, x, p: x.relu(), lambda x, p: np.where(x < 0, 0.0, x),
           lambda x, z, p: (z > 0).astype(np.float64)),
    _unary("sign", lambda lib, x, p: x.sign(), lambda x, p: _sign_torch(x),
           lambda x, z, p: np.zeros_like(x)),
    _unary("square", lambda lib, x, p: x.square(), lambda x, p: x * x,
           lambda x, z, p: 2 * x),
    _unary("reciprocal", lambda lib, x, p: x.reciprocal(), lambda x, p: 1 / x,
           lambda x, z, p: -z * z),
    _unary("erf", lambda lib, x, p: lib.erf(x), lambda x, p: _ERF(x),
           lambda x, z, p: 2 / math.sqrt(math.pi) * np.exp(-x * x)),
    _unary("clamp", lambda lib, x, p: x.clamp(p["min"], p["max"]), _clamp_forward,
           _clamp_derivative, _draw_clamp),
    _unary("pow", lambda lib, x, p: x ** p["exponent"], lambda x, p: x ** p["exponent"],
           _pow_derivative, lambda rng, s: {"exponent": rng.choice([2, 3, 0.5, -1, 1.5, 0])}),
    _unary("affine", lambda lib, x, p: x * p["a"] + p["b"], lambda x, p: x * p["a"] + p["b"],
           lambda x, z, p: np.full_like(x, p["a"]),
           lambda rng, s: {"a": float(rng.choice([-2.0, 0.5, 3.0])),
                           "b": float(rng.choice([0.0, 1.5]))}),
    _unary("rsub", lambda lib, x, p: 1.5 - x, lambda x, p: 1.5 - x,
           lambda x, z, p: -np.ones_like(x)),
    _unary("rdiv", lambda lib, x, p: 2.0 / x, lambda x, p: 2.0 / x,
           lambda x, z, p: -2.0 / (x * x)),
    _unary("softplus", lambda lib, x, p: lib.nn.functional.softplus(x), _softplus_forward,
           lambda x, z, p: np.where(x > 20, 1.0, _sigmoid(x))),
    _unary("leaky_relu", lambda lib, x, p: lib.nn.functional.leaky_relu(x, 0.1),
           lambda x, p: np.where(x > 0, x, 0.1 * x), lambda x, z, p: np.where(x > 0, 1.0, 0.1)),
    _unary("elu", lambda lib, x, p: lib.nn.functional.elu(x),
           lambda x, p: np.where(x > 0, x, np.expm1(np.minimum(x, 0))),
           lambda x, z, p: np.where(x > 0, 1.0, z + 1)),
    _unary("gelu", lambda lib, x, p: lib.nn.functional.gelu(x), _gelu_forward,
           _gelu_derivative),
    _unary("silu", lambda lib, x, p: lib.nn.functional.silu(x), lambda x, p: x * _sigmoid(x),
           lambda x, z, p: _sigmoid(x) * (1 + x * (1 - _sigmoid(x)))),
]


# binary ops: a new leaf of a shape that broadcasts with the current one


def sum_to_shape(g: np.ndarray, shape: Shape) -> np.ndarray:
    """Undo broadcasting: sum ``g`` over the dims that were added or stretched from size 1."""
    g = g.sum(axis=tuple(range(g.ndim - len(shape)))) if g.ndim > len(shape) else g
    stretched = tuple(i for i, s in enumerate(shape) if s == 1 and g.shape[i] != 1)
    return g.sum(axis=stretched, keepdims=True) if stretched else g


def _broadcast_partner(rng: np.random.Generator, shape: Shape) -> Params:
    """The shape of a leaf that broadcasts with ``shape`` (fewer, as many or more dims)."""
    ndim = int(rng.integers(0, len(shape) + 2))
    other = []
    for k in range(ndim):
        i = len(shape) - ndim + k
        if i < 0:
            other.append(int(rng.integers(1, 4)))
        elif shape[i] == 1:
            other.append(int(rng.choice([1, 1, 2, 3, 0])))
        else:
            other.append(shape[i] if rng.random() < 0.7 else 1)
    return {"other": tuple(other)}


def _binary(name: str, run: Callable[..., Any], forward: Callable[..., np.ndarray],
            partials: Callable[..., tuple[np.ndarray, np.ndarray]]) -> FuzzOp:
    """z = f(x, y) with broadcasting: dL/dx = sum_to_shape(g · ∂f/∂x), likewise for y."""

    def backward(x: np.ndarray, y: np.ndarray, out: np.ndarray, g: np.ndarray,
                 p: Params) -> tuple[np.ndarray, np.ndarray]:
        dx, dy = partials(x, y, out, g)
        return sum_to_shape(dx, x.shape), sum_to_shape(dy, y.shape)

    return FuzzOp(name, _broadcast_partner, lambda lib, x, y, p: run(lib, x, y),
                  lambda x, y, p: forward(x, y), backward, binary=True)


def _maximum_partials(x: np.ndarray, y: np.ndarray, out: np.ndarray, g: np.ndarray,
                      larger: bool) -> tuple[np.ndarray, np.ndarray]:
    wins = (x > y) if larger else (x < y)
    share = np.where(x == y, 0.5, wins.astype(np.float64))  # ties: half each, as PyTorch
    return g * share, g * np.where(x == y, 0.5, 1.0 - share)


def _where_forward(x: np.ndarray, y: np.ndarray, p: Params) -> np.ndarray:
    return np.where(p["condition"], x, y)


def _draw_where(rng: np.random.Generator, shape: Shape) -> Params:
    params = _broadcast_partner(rng, shape)
    out = np.broadcast_shapes(shape, params["other"])
    params["condition"] = rng.random(out[len(out) - min(len(out), 2):]) < 0.5
    return params


def _where_backward(x: np.ndarray, y: np.ndarray, out: np.ndarray, g: np.ndarray,
                    p: Params) -> tuple[np.ndarray, np.ndarray]:
    cond = np.broadcast_to(p["condition"], g.shape)
    return (sum_to_shape(np.where(cond, g, 0.0), x.shape),
            sum_to_shape(np.where(cond, 0.0, g), y.shape))


BINARY = [
    _binary("add", lambda lib, x, y: x + y, np.add, lambda x, y, z, g: (g, g)),
    _binary("sub", lambda lib, x, y: lib.sub(x, y), np.subtract, lambda x, y, z, g: (g, -g)),
    _binary("mul", lambda lib, x, y: x * y, np.multiply, lambda x, y, z, g: (g * y, g * x)),
    _binary("div", lambda lib, x, y: x / y, np.divide,
            lambda x, y, z, g: (g / y, -g * x / (y * y))),
    _binary("maximum", lambda lib, x, y: lib.maximum(x, y), np.maximum,
            lambda x, y, z, g: _maximum_partials(x, y, z, g, True)),
    _binary("minimum", lambda lib, x, y: x.minimum(y), np.minimum,
            lambda x, y, z, g: _maximum_partials(x, y, z, g, False)),
    FuzzOp("where", _draw_where,
           lambda lib, x, y, p: lib.where(lib.tensor(p["condition"]), x, y),
           _where_forward, _where_backward, binary=True),
]


def _draw_matmul(rng: np.random.Generator, shape: Shape) -> Params | None:
    if not shape:
        return None
    n = shape[-1]
    choices = [(n,), (n, int(rng.integers(0, 4)))] if len(shape) == 1 else [(n,)]
    if len(shape) >= 2:  # a batch of products
        columns = int(rng.integers(0, 4))
        choices.append((1, n, columns))
        choices.append((n, columns))
    return {"other": choices[int(rng.integers(len(choices)))]}


def _matmul_backward(x: np.ndarray, y: np.ndarray, out: np.ndarray, g: np.ndarray,
                     p: Params) -> tuple[np.ndarray, np.ndarray]:
    """dL/dX = G Yᵀ, dL/dY = Xᵀ G on the operands made ≥ 2-D, then summed back to their shapes."""
    x2 = x[None, :] if x.ndim == 1 else x
    y2 = y[:, None] if y.ndim == 1 else y
    g2 = g.reshape(np.matmul(x2, y2).shape)
    dx = sum_to_shape(g2 @ np.swapaxes(y2, -1, -2), x2.shape).reshape(x.shape)
    dy = sum_to_shape(np.swapaxes(x2, -1, -2) @ g2, y2.shape).reshape(y.shape)
    return dx, dy


def _draw_cat(rng: np.random.Generator, shape: Shape) -> Params | None:
    if not shape:
        return None
    dim = int(rng.integers(-len(shape), len(shape)))
    other = list(shape)
    other[dim] = int(rng.integers(0, 4))
    return {"dim": dim, "other": tuple(other)}


def _cat_backward(x: np.ndarray, y: np.ndarray, out: np.ndarray, g: np.ndarray,
                  p: Params) -> tuple[np.ndarray, np.ndarray]:
    dim = p["dim"] % x.ndim
    return np.split(g, [x.shape[dim]], axis=dim)  # type: ignore[return-value]


def _draw_stack(rng: np.random.Generator, shape: Shape) -> Params:
    return {"dim": int(rng.integers(-len(shape) - 1, len(shape) + 1)), "other": shape}


def _stack_backward(x: np.ndarray, y: np.ndarray, out: np.ndarray, g: np.ndarray,
                    p: Params) -> tuple[np.ndarray, np.ndarray]:
    dim = p["dim"] % (x.ndim + 1)
    return np.take(g, 0, axis=dim), np.take(g, 1, axis=dim)


JOINS = [
    FuzzOp("matmul", _draw_matmul, lambda lib, x, y, p: x @ y,
           lambda x, y, p: np.matmul(x, y), _matmul_backward, binary=True),
    FuzzOp("cat", _draw_cat, lambda lib, x, y, p: lib.cat([x, y], p["dim"]),
           lambda x, y, p: np.concatenate([x, y], p["dim"]), _cat_backward, binary=True),
    FuzzOp("stack", _draw_stack, lambda lib, x, y, p: lib.stack([x, y], p["dim"]),
           lambda x, y, p: np.stack([x, y], p["dim"]), _stack_backward, binary=True),
]


# reductions


def _axes(dim: Any, ndim: int) -> tuple[int, ...]:
    if dim is None:
        return tuple(range(ndim))
    dims = dim if isinstance(dim, tuple) else (dim,)
    return tuple(sorted(d % ndim for d in dims)) if ndim else ()


def _keep(g: np.ndarray, shape: Shape, p: Params) -> np.ndarray:
    """A reduction's output (or its gradient) reshaped to keep the reduced dims as size 1."""
    axes = _axes(p["dim"], len(shape))
    return g.reshape(tuple(1 if i in axes else s for i, s in enumerate(shape)))


def _draw_dims(rng: np.random.Generator, shape: Shape, single: bool = False,
               allow_none: bool = True) -> Params:
    ndim = len(shape)
    choices: list[Any] = [None] if allow_none else []
    if ndim:
        choices += list(range(-ndim, ndim))
        if not single and ndim >= 2:
            choices.append(tuple(sorted(rng.choice(ndim, 2, replace=False).tolist())))
    else:
        choices += [0, -1]
    return {"dim": choices[int(rng.integers(len(choices)))], "keepdim": bool(rng.random() < 0.5)}


def _reduced_size(shape: Shape, dim: Any) -> int:
    return int(np.prod([shape[a] for a in _axes(dim, len(shape))]))


def _reduction(name: str, run: Callable[..., Any], forward: Callable[..., np.ndarray],
               vjp: Callable[..., np.ndarray],
               draw: Callable[[np.random.Generator, Shape], Params | None]) -> FuzzOp:
    """A reduction over ``dim`` (NumPy forward on keepdims, squeezed unless ``keepdim``)."""

    def numpy_forward(x: np.ndarray, y: Any, p: Params) -> np.ndarray:
        axes = _axes(p["dim"], x.ndim)
        out = forward(x, axes, p)
        return out if p["keepdim"] else out.reshape(
            tuple(s for i, s in enumerate(x.shape) if i not in axes))

    def backward(x: np.ndarray, y: Any, out: np.ndarray, g: np.ndarray,
                 p: Params) -> tuple[np.ndarray, None]:
        axes = _axes(p["dim"], x.ndim)
        return np.broadcast_to(vjp(x, axes, _keep(out, x.shape, p), _keep(g, x.shape, p), p),
                               x.shape).copy(), None

    return FuzzOp(name, draw, lambda lib, x, y, p: run(lib, x, p), numpy_forward, backward)


def _extreme_share(x: np.ndarray, axes: tuple[int, ...], out: np.ndarray) -> np.ndarray:
    """amax/amin: the gradient split evenly among the elements equal to the extreme."""
    hit = (x == out).astype(np.float64)
    return hit / hit.sum(axis=axes, keepdims=True)


def _first_extreme(x: np.ndarray, axis: int, largest: bool) -> np.ndarray:
    """max/min(dim): a one-hot of the first extreme along ``axis`` (NaN counts as extreme)."""
    index = np.argmax(x, axis=axis) if largest else np.argmin(x, axis=axis)
    positions = np.arange(x.shape[axis]).reshape([-1 if i == axis else 1 for i in range(x.ndim)])
    return (positions == np.expand_dims(index, axis)).astype(np.float64)


def _at_first_extreme(x: np.ndarray, axes: tuple[int, ...], largest: bool) -> np.ndarray:
    """max/min(dim) values: the element at the index they report (which decides ±0)."""
    if not axes:
        return x.copy()
    pick = np.argmax(x, axis=axes[0]) if largest else np.argmin(x, axis=axes[0])
    return np.take_along_axis(x, np.expand_dims(pick, axes[0]), axis=axes[0])


def _draw_nonempty(rng: np.random.Generator, shape: Shape) -> Params | None:
    p = _draw_dims(rng, shape)
    return p if _reduced_size(shape, p["dim"]) > 0 else None


def _draw_along(rng: np.random.Generator, shape: Shape) -> Params | None:
    """One dim, not empty (PyTorch raises for an empty one)."""
    p = _draw_dims(rng, shape, single=True, allow_none=False)
    return p if _reduced_size(shape, p["dim"]) > 0 else None


def _draw_prod(rng: np.random.Generator, shape: Shape) -> Params | None:
    p = _draw_dims(rng, shape, single=True)
    if p["dim"] is None:
        p["keepdim"] = False  # prod() over all elements has no keepdim argument
    return p


def _prod_vjp(x: np.ndarray, axes: tuple[int, ...], out: np.ndarray, g: np.ndarray,
              p: Params) -> np.ndarray:
    """dz/dxᵢ = product of the other elements (exact with zeros: products before and after)."""
    rest = tuple(s for i, s in enumerate(x.shape) if i not in axes)
    flat = np.moveaxis(x, axes, tuple(range(len(axes)))).reshape(
        (_reduced_size(x.shape, axes),) + rest) if axes else x[None]
    ones = np.ones_like(flat[:1])
    before = np.cumprod(np.concatenate([ones, flat[:-1]]), axis=0)
    after = np.flip(np.cumprod(np.flip(np.concatenate([flat[1:], ones]), 0), axis=0), 0)
    others = before * after
    if not axes:
        return g * others[0]
    moved = others.reshape(tuple(x.shape[a] for a in axes) + rest)
    return g * np.moveaxis(moved, tuple(range(len(axes))), axes)


def _draw_softmax(rng: np.random.Generator, shape: Shape) -> Params:
    return _draw_dims(rng, shape, single=True, allow_none=False)


def _draw_logsumexp(rng: np.random.Generator, shape: Shape) -> Params:
    return _draw_dims(rng, shape, allow_none=False)


def _logsumexp(x: np.ndarray, axes: tuple[int, ...], p: Params) -> np.ndarray:
    """log Σ eˣ, shifted by a finite max (PyTorch: inf with an inf, -inf for all -inf)."""
    if not axes:
        return x.copy()
    if x.size == 0:
        return np.log(np.sum(np.exp(x), axis=axes, keepdims=True))
    shift = np.max(x, axis=axes, keepdims=True)
    shift = np.where(np.isfinite(shift), shift, 0.0)
    return np.log(np.sum(np.exp(x - shift), axis=axes, keepdims=True)) + shift


def _shifted(x: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    """x - max x, as PyTorch's softmax computes it (NaN wherever the max is infinite)."""
    return x - np.max(x, axis=axes, keepdims=True) if x.size and axes else x - x


def _softmax(x: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    e = np.exp(_shifted(x, axes))
    return e / np.sum(e, axis=axes, keepdims=True)


def _log_softmax(x: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    shifted = _shifted(x, axes)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axes, keepdims=True))


def _draw_var(rng: np.random.Generator, shape: Shape) -> Params | None:
    p = _draw_dims(rng, shape)
    p["correction"] = int(rng.integers(0, 2))
    return p if _reduced_size(shape, p["dim"]) > p["correction"] else None


def _var(x: np.ndarray, axes: tuple[int, ...], p: Params) -> np.ndarray:
    n = _reduced_size(x.shape, axes)
    centered = x - x.mean(axis=axes, keepdims=True)
    return (centered * centered).sum(axis=axes, keepdims=True) / (n - p["correction"])


def _var_vjp(x: np.ndarray, axes: tuple[int, ...], out: np.ndarray, g: np.ndarray,
             p: Params) -> np.ndarray:
    n = _reduced_size(x.shape, axes)
    return g * 2 * (x - x.mean(axis=axes, keepdims=True)) / (n - p["correction"])


class Degenerate(Exception):
    """The gradient is decided by round-off here: the chain's gradients are not compared."""


def _std_vjp(x: np.ndarray, axes: tuple[int, ...], out: np.ndarray, g: np.ndarray,
             p: Params) -> np.ndarray:
    """(x - mean) / (n - c) / std, and 0 where std = 0 (PyTorch's choice at the kink).

    A std that is only round-off (a constant row whose mean is inexact) makes the quotient
    round-off over round-off: both libraries then return arbitrary values.
    """
    scale = np.max(np.abs(x), axis=axes, keepdims=True) if x.size else 0.0
    if ((out != 0) & (out < 1e-12 * (1 + scale))).any():
        raise Degenerate
    safe = np.where(out == 0, 1.0, out)
    return np.where(out == 0, 0.0, _var_vjp(x, axes, out, g, p) / (2 * safe))


def _norm(x: np.ndarray, axes: tuple[int, ...], p: Params) -> np.ndarray:
    """√Σx²; over a single element PyTorch returns |x| (no square to overflow or underflow),
    except for a 0-d tensor given a dim, which it squares like a vector."""
    if _reduced_size(x.shape, axes) == 1 and not (x.ndim == 0 and p["dim"] is not None):
        return np.abs(x).reshape(np.sum(x, axis=axes, keepdims=True).shape)
    return np.sqrt(_sum_over(x * x, axes))


def _norm_vjp(x: np.ndarray, axes: tuple[int, ...], out: np.ndarray, g: np.ndarray,
              p: Params) -> np.ndarray:
    return np.where(out == 0, 0.0, g * x / np.where(out == 0, 1.0, out))


def _sum_over(x: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    return np.sum(x, axis=axes, keepdims=True)


REDUCTIONS = [
    _reduction("sum", lambda lib, x, p: x.sum(p["dim"], keepdim=p["keepdim"]),
               lambda x, a, p: _sum_over(x, a), lambda x, a, z, g, p: g, _draw_dims),
    _reduction("mean", lambda lib, x, p: lib.mean(x, p["dim"], keepdim=p["keepdim"]),
               lambda x, a, p: np.mean(x, axis=a, keepdims=True),
               lambda x, a, z, g, p: g / max(_reduced_size(x.shape, a), 1), _draw_dims),
    _reduction("amax", lambda lib, x, p: x.amax(p["dim"], keepdim=p["keepdim"]),
               lambda x, a, p: np.max(x, axis=a, keepdims=True),
               lambda x, a, z, g, p: g * _extreme_share(x, a, z), _draw_nonempty),
    _reduction("amin", lambda lib, x, p: lib.amin(x, p["dim"], keepdim=p["keepdim"]),
               lambda x, a, p: np.min(x, axis=a, keepdims=True),
               lambda x, a, z, g, p: g * _extreme_share(x, a, z), _draw_nonempty),
    _reduction("max_dim", lambda lib, x, p: x.max(p["dim"], keepdim=p["keepdim"]).values,
               lambda x, a, p: _at_first_extreme(x, a, True),
               lambda x, a, z, g, p: g * (_first_extreme(x, a[0], True) if a else 1.0),
               _draw_along),
    _reduction("min_dim", lambda lib, x, p: lib.min(x, p["dim"], keepdim=p["keepdim"])[0],
               lambda x, a, p: _at_first_extreme(x, a, False),
               lambda x, a, z, g, p: g * (_first_extreme(x, a[0], False) if a else 1.0),
               _draw_along),
    _reduction("prod", lambda lib, x, p: x.prod(p["dim"], keepdim=p["keepdim"])
               if p["dim"] is not None else x.prod(),
               lambda x, a, p: np.prod(x, axis=a, keepdims=True), _prod_vjp,
               _draw_prod),
    _reduction("logsumexp", lambda lib, x, p: x.logsumexp(p["dim"], keepdim=p["keepdim"]),
               _logsumexp, lambda x, a, z, g, p: g * np.exp(x - z), _draw_logsumexp),
    FuzzOp("softmax", _draw_softmax, lambda lib, x, y, p: x.softmax(p["dim"]),
           lambda x, y, p: _softmax(x, _axes(p["dim"], x.ndim)),
           lambda x, y, z, g, p: (z * (g - (g * z).sum(axis=_axes(p["dim"], x.ndim),
                                                       keepdims=True)), None)),
    FuzzOp("log_softmax", _draw_softmax, lambda lib, x, y, p: lib.log_softmax(x, p["dim"]),
           lambda x, y, p: _log_softmax(x, _axes(p["dim"], x.ndim)),
           lambda x, y, z, g, p: (g - np.exp(z) * g.sum(axis=_axes(p["dim"], x.ndim),
                                                        keepdims=True), None)),
    _reduction("var", lambda lib, x, p: x.var(p["dim"], correction=p["correction"],
                                              keepdim=p["keepdim"]), _var, _var_vjp, _draw_var),
    _reduction("std", lambda lib, x, p: lib.std(x, p["dim"], correction=p["correction"],
                                                keepdim=p["keepdim"]),
               lambda x, a, p: np.sqrt(_var(x, a, p)), _std_vjp, _draw_var),
    _reduction("norm", lambda lib, x, p: x.norm(dim=p["dim"], keepdim=p["keepdim"]),
               _norm, _norm_vjp, _draw_dims),
]


# shape ops


def _reshape_target(rng: np.random.Generator, shape: Shape) -> Shape:
    n = int(np.prod(shape))
    if n == 0:
        sizes = [int(rng.integers(0, 4)) for _ in range(int(rng.integers(1, 4)))]
        sizes[int(rng.integers(len(sizes)))] = 0
        return tuple(sizes)
    factors = [f for f in range(2, n + 1) for _ in range(_multiplicity(n, f))]
    rng.shuffle(factors)
    dims: list[int] = []
    for f in factors:
        if dims and rng.random() < 0.5:
            dims[-1] *= f
        else:
            dims.append(f)
    for _ in range(int(rng.integers(0, 2))):
        dims.insert(int(rng.integers(len(dims) + 1)), 1)
    return tuple(dims)


def _multiplicity(n: int, f: int) -> int:
    if any(f % d == 0 for d in range(2, f)):
        return 0  # not prime
    count = 0
    while n % f == 0:
        n //= f
        count += 1
    return count


def _draw_reshape(rng: np.random.Generator, shape: Shape) -> Params:
    target = _reshape_target(rng, shape)
    if target and int(np.prod(shape)) and rng.random() < 0.3:
        target = tuple(-1 if i == 0 else s for i, s in enumerate(target))  # let it infer one
    return {"shape": target}


def _draw_transpose(rng: np.random.Generator, shape: Shape) -> Params:
    ndim = max(len(shape), 1)
    return {"dims": tuple(int(d) for d in rng.integers(-ndim, ndim, 2))}


def _transpose(x: np.ndarray, dims: tuple[int, int]) -> np.ndarray:
    return np.swapaxes(x, *dims) if x.ndim else x


def _draw_permute(rng: np.random.Generator, shape: Shape) -> Params:
    return {"dims": tuple(int(d) for d in rng.permutation(len(shape)))}


def _draw_unsqueeze(rng: np.random.Generator, shape: Shape) -> Params:
    return {"dim": int(rng.integers(-len(shape) - 1, len(shape) + 1))}


def _draw_squeeze(rng: np.random.Generator, shape: Shape) -> Params:
    if not shape or rng.random() < 0.4:
        return {"dim": None}
    return {"dim": int(rng.integers(-len(shape), len(shape)))}


def _squeeze(x: np.ndarray, dim: int | None) -> np.ndarray:
    if dim is None:
        return x.reshape(tuple(s for s in x.shape if s != 1))
    axis = dim % x.ndim
    return x.reshape(tuple(s for i, s in enumerate(x.shape) if not (i == axis and s == 1)))


def _draw_flatten(rng: np.random.Generator, shape: Shape) -> Params:
    ndim = max(len(shape), 1)
    start = int(rng.integers(0, ndim))
    return {"start": start, "end": int(rng.integers(start, ndim)) - ndim * int(rng.random() < .5)}


def _flatten(x: np.ndarray, p: Params) -> np.ndarray:
    if x.ndim == 0:
        return x.reshape(1)
    start, end = p["start"], p["end"] % x.ndim
    return x.reshape(x.shape[:start] + (-1 if x.size else int(np.prod(x.shape[start:end + 1])),)
                     + x.shape[end + 1:])


def _draw_expand(rng: np.random.Generator, shape: Shape) -> Params:
    target = [int(rng.integers(1, 4)) if s == 1 else (-1 if rng.random() < 0.3 else s)
              for s in shape]
    lead = [int(rng.integers(1, 3)) for _ in range(int(rng.integers(0, 2)))]
    return {"shape": tuple(lead + target)}


def _expand_shape(shape: Shape, target: Shape) -> Shape:
    lead = len(target) - len(shape)
    return tuple(shape[i - lead] if s == -1 else s for i, s in enumerate(target))


def _draw_repeat(rng: np.random.Generator, shape: Shape) -> Params:
    extra = int(rng.integers(0 if shape else 1, 2))
    return {"repeats": tuple(int(r) for r in rng.integers(0, 3, len(shape) + extra))
            if rng.random() < 0.1 else tuple(int(r) for r in rng.integers(1, 3,
                                                                         len(shape) + extra))}


def _repeat_backward(x: np.ndarray, y: Any, out: np.ndarray, g: np.ndarray,
                     p: Params) -> tuple[np.ndarray, None]:
    repeats = p["repeats"]
    shape = (1,) * (len(repeats) - x.ndim) + x.shape
    split = []
    for r, s in zip(repeats, shape):
        split += [r, s]
    summed = g.reshape(split).sum(axis=tuple(range(0, 2 * len(repeats), 2)))
    return summed.reshape(x.shape), None


def _draw_index(rng: np.random.Generator, shape: Shape) -> Params | None:
    """A basic index: per dim a slice (random start, stop and step) or an int, maybe Ellipsis."""
    if not shape:
        return {"index": (None,) if rng.random() < 0.5 else ()}
    index: list[Any] = []
    for size in shape[: int(rng.integers(1, len(shape) + 1))]:
        if size and rng.random() < 0.3:
            index.append(int(rng.integers(-size, size)))
        else:
            start = int(rng.integers(-size - 1, size + 2)) if rng.random() < 0.6 else None
            stop = int(rng.integers(-size - 1, size + 2)) if rng.random() < 0.6 else None
            index.append(slice(start, stop, int(rng.choice([1, 1, 2, 3]))))
    if rng.random() < 0.2:
        index.insert(int(rng.integers(len(index) + 1)), None)
    return {"index": tuple(index)}


def _draw_take(rng: np.random.Generator, shape: Shape) -> Params | None:
    """An index list on the first dim (repeats and negatives included)."""
    if not shape or shape[0] == 0:
        return None
    picks = rng.integers(-shape[0], shape[0], int(rng.integers(0, 5)))
    return {"index": [int(i) for i in picks]}


def _index_backward(x: np.ndarray, y: Any, out: np.ndarray, g: np.ndarray,
                    p: Params) -> tuple[np.ndarray, None]:
    """Scatter g back: basic indexes pick each element once, index lists may repeat."""
    grad = np.zeros_like(x)
    if isinstance(p["index"], list):
        np.add.at(grad, np.array(p["index"], dtype=np.int64), g)
    else:
        grad[p["index"]] += g
    return grad, None


def _draw_pad(rng: np.random.Generator, shape: Shape) -> Params | None:
    if not shape:
        return None
    return {"pad": tuple(int(w) for w in rng.integers(0, 3, 2)), "value": float(
        rng.choice([0.0, 1.5]))}


def _pad_forward(x: np.ndarray, y: Any, p: Params) -> np.ndarray:
    widths = [(0, 0)] * (x.ndim - 1) + [p["pad"]]
    return np.pad(x, widths, constant_values=p["value"])


def _pad_backward(x: np.ndarray, y: Any, out: np.ndarray, g: np.ndarray,
                  p: Params) -> tuple[np.ndarray, None]:
    before = p["pad"][0]
    return g[..., before: before + x.shape[-1]], None


def _same_shape_back(x: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, None]:
    return g.reshape(x.shape), None


SHAPE_OPS = [
    FuzzOp("reshape", _draw_reshape, lambda lib, x, y, p: x.reshape(p["shape"]),
           lambda x, y, p: x.reshape(p["shape"]),
           lambda x, y, z, g, p: _same_shape_back(x, g)),
    FuzzOp("transpose", _draw_transpose, lambda lib, x, y, p: x.transpose(*p["dims"]),
           lambda x, y, p: _transpose(x, p["dims"]),
           lambda x, y, z, g, p: (_transpose(g, p["dims"]), None)),
    FuzzOp("permute", _draw_permute, lambda lib, x, y, p: x.permute(p["dims"]),
           lambda x, y, p: np.transpose(x, p["dims"]),
           lambda x, y, z, g, p: (np.transpose(g, np.argsort(p["dims"])), None)),
    FuzzOp("unsqueeze", _draw_unsqueeze, lambda lib, x, y, p: x.unsqueeze(p["dim"]),
           lambda x, y, p: np.expand_dims(x, p["dim"]),
           lambda x, y, z, g, p: _same_shape_back(x, g)),
    FuzzOp("squeeze", _draw_squeeze, lambda lib, x, y, p: x.squeeze()
           if p["dim"] is None else x.squeeze(p["dim"]),
           lambda x, y, p: _squeeze(x, p["dim"]), lambda x, y, z, g, p: _same_shape_back(x, g)),
    FuzzOp("flatten", _draw_flatten, lambda lib, x, y, p: x.flatten(p["start"], p["end"]),
           lambda x, y, p: _flatten(x, p), lambda x, y, z, g, p: _same_shape_back(x, g)),
    FuzzOp("expand", _draw_expand, lambda lib, x, y, p: x.expand(p["shape"]),
           lambda x, y, p: np.broadcast_to(x, _expand_shape(x.shape, p["shape"])),
           lambda x, y, z, g, p: (sum_to_shape(g, x.shape), None)),
    FuzzOp("repeat", _draw_repeat, lambda lib, x, y, p: x.repeat(*p["repeats"]),
           lambda x, y, p: np.tile(x, p["repeats"]), _repeat_backward),
    FuzzOp("index", _draw_index, lambda lib, x, y, p: x[p["index"]],
           lambda x, y, p: x[p["index"]], _index_backward),
    FuzzOp("take", _draw_take, lambda lib, x, y, p: x[p["index"]],
           lambda x, y, p: x[p["index"]], _index_backward),
    FuzzOp("pad", _draw_pad, lambda lib, x, y, p: lib.nn.functional.pad(x, p["pad"],
                                                                        value=p["value"]),
           _pad_forward, _pad_backward),
]

ALL_OPS = UNARY + BINARY + JOINS + REDUCTIONS + SHAPE_OPS


# --------------------------------------------------------------------------- chains


@dataclass
class Step:
    op: FuzzOp
    params: Params
    leaf: int | None  # the leaf that joins at this step (binary ops)


@dataclass
class Chain:
    leaves: list[np.ndarray]
    steps: list[Step] = field(default_factory=list)
    weight: np.ndarray = field(default_factory=lambda: np.zeros(()))
    smooth: bool = True

    def describe(self) -> str:
        shapes = [a.shape for a in self.leaves]
        steps = ", ".join(f"{s.op.name}({_short(s.params)})" for s in self.steps)
        kind = "smooth" if self.smooth else "edge"
        return f"{kind} leaves {shapes}: {steps}\nleaf 0 = {self.leaves[0].tolist()!r:.300}"


def _short(params: Params) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in params.items() if k != "condition")


EDGE_VALUES = np.array([0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, -2.0, 1e-300, -1e-300, 1e150,
                        -1e150, 30.0, np.inf, -np.inf, np.nan])


def _values(rng: np.random.Generator, shape: Shape, smooth: bool) -> np.ndarray:
    if smooth:
        return rng.standard_normal(shape)
    pool = rng.choice(EDGE_VALUES, shape)
    ties = rng.integers(-2, 3, shape).astype(np.float64)
    pick = rng.random(shape)
    values = np.where(pick < 0.4, pool, np.where(pick < 0.7, ties, rng.standard_normal(shape)))
    return values


def _shape(rng: np.random.Generator) -> Shape:
    ndim = int(rng.choice(4, p=[0.15, 0.3, 0.35, 0.2]))
    return tuple(int(s) for s in rng.choice(5, ndim, p=[0.06, 0.2, 0.3, 0.27, 0.17]))


def _negative_zero(x: np.ndarray, p: Params) -> bool:
    return bool(((x == 0) & np.signbit(x)).any())


def _extreme(x: np.ndarray, p: Params) -> bool:
    a = np.abs(x[np.isfinite(x)])
    return bool(((a > 1e150) | ((a > 0) & (a < 1e-150))).any())


def _cancelling(x: np.ndarray, p: Params) -> bool:
    """Huge values of both signs: a sum's result is then round-off of the summation order,
    which differs between libraries (NumPy sums pairwise, PyTorch in its own blocks)."""
    finite = x[np.isfinite(x)]
    return bool((finite > 1e100).any() and (finite < -1e100).any())


def _zero(x: np.ndarray, p: Params) -> bool:
    return bool((x == 0).any())


def _zero_to_negative_power(x: np.ndarray, p: Params) -> bool:
    return p["exponent"] < 0 and _zero(x, p)


def _wide_angle(x: np.ndarray, p: Params) -> bool:
    """sin/cos turn an argument's absolute error into their own: beyond 1e6 (leaves) or 1e3
    (computed values, which carry the relative error of the ops before: 1/var of two close
    values is 3e4 with 1e-11 relative error) the last bits decide."""
    limit = 1e3 if p.get("computed", True) else 1e6
    return bool((np.abs(x) > limit).any())


def _constant_slice(x: np.ndarray, p: Params) -> bool:
    """A slice of equal values along the reduced dims (std is exactly 0 there in PyTorch)."""
    axes = _axes(p["dim"], x.ndim)
    if not x.size or _reduced_size(x.shape, axes) < 2:
        return False
    return bool((np.max(x, axis=axes) == np.min(x, axis=axes)).any())


def _computed_ties(x: np.ndarray, p: Params) -> bool:
    """Equal non-zero values made by ops: whether they still tie in another library is up to
    its last bit (PyTorch's elu of two equal inputs may differ there), and with it who gets the
    gradient of an extreme."""
    values = x[np.isfinite(x) & (x != 0)]
    return p.get("computed", True) and np.unique(values).size < values.size


def _order_dependent_product(x: np.ndarray, p: Params) -> bool:
    """A product of huge and tiny factors: whether a partial product overflows or underflows
    first (inf·0 = nan, or not) depends on the order each library multiplies in."""
    a = np.abs(x[np.isfinite(x) & (x != 0)])
    return bool(((a > 1e100) | (a < 1e-100)).any())


def _far_left(x: np.ndarray, p: Params) -> bool:
    return bool((x < -30).any())


def _round_off_from_zero(x: np.ndarray, p: Params) -> bool:
    """A computed value within round-off of 0: its sign and size are the libraries' accident."""
    return p.get("computed", True) and bool(((x != 0) & (np.abs(x) < 1e-12)).any())


# Ops not applied to values where a known difference (golden cases in XFAIL) lies: an op, the
# values that reach it, and the cases. With no cases, always: 1/x of a zero (the sign of a
# computed zero is left to each library, e.g. maximum(-0.0, 0.0), and so is the sign of the
# infinity), log, sqrt and 1/x of a computed value within round-off of 0 (log(1) - log(1) may
# come out as ±1e-16), extremes among ties of computed values (see ``_computed_ties``), products
# of huge and tiny factors (``_order_dependent_product``) and sin/cos of large arguments
# (``_wide_angle``)
VALUE_GATES: dict[str, tuple[Callable[[np.ndarray, Params], bool], tuple[str, ...]]] = {
    "relu": (_negative_zero, ("elementwise.relu.negative_zero",)),
    "elu": (_far_left, ("nn.elu.far_left_slope",)),
    "sum": (_cancelling, ()),
    "mean": (_cancelling, ()),
    "amax": (_computed_ties, ()),
    "amin": (_computed_ties, ()),
    "max_dim": (_computed_ties, ()),
    "min_dim": (_computed_ties, ()),
    "std": (_constant_slice, ("reduce.std.constant_inexact_mean",)),
    "log": (_round_off_from_zero, ()),
    "sqrt": (_round_off_from_zero, ()),
    "clamp": (_negative_zero, ("elementwise.clamp.negative_zero",)),
    "norm": (_extreme, ("reduce.norm.single_element_extremes", "reduce.norm.0d_huge")),
    "prod": (_order_dependent_product, ()),
    "sin": (_wide_angle, ()),
    "cos": (_wide_angle, ()),
    "reciprocal": (lambda x, p: _zero(x, p) or _round_off_from_zero(x, p), ()),
    "rdiv": (lambda x, p: _zero(x, p) or _round_off_from_zero(x, p), ()),
    "pow": (lambda x, p: _zero_to_negative_power(x, p) or _round_off_from_zero(x, p), ()),
}


def _drawable(op: FuzzOp, x: np.ndarray, params: Params, computed: bool) -> bool:
    """Whether ``op`` may take ``x`` (``computed``: x is an op's result, not a leaf)."""
    if op.name not in VALUE_GATES:
        return True
    risky, cases = VALUE_GATES[op.name]
    return not risky(x, {**params, "computed": computed}) or (bool(cases) and not _open(*cases))


def make_chain(rng: np.random.Generator) -> Chain:
    """A random chain: a leaf, 1 to 4 steps (each drawn until one applies), and the weights."""
    smooth = bool(rng.random() < 0.6)
    shape = _shape(rng)
    chain = Chain([_values(rng, shape, smooth)], smooth=smooth)
    x = chain.leaves[0]
    with np.errstate(all="ignore"):
        for _ in range(int(rng.integers(1, 5))):
            while True:
                op = ALL_OPS[int(rng.integers(len(ALL_OPS)))]
                params = op.draw(rng, x.shape)
                if params is not None and _drawable(op, x, params, bool(chain.steps)):
                    break
            leaf = None
            other = None
            if op.binary:
                other = _values(rng, params["other"], smooth)
                chain.leaves.append(other)
                leaf = len(chain.leaves) - 1
            chain.steps.append(Step(op, params, leaf))
            x = op.forward(x, other, params)
    chain.weight = rng.standard_normal(x.shape)
    return chain


@dataclass
class Reference:
    output: np.ndarray
    grads: list[np.ndarray]
    finite: bool  # intermediate values and gradients all finite (and well defined): compared
    scale: float  # the largest finite magnitude met (for the absolute tolerance)


def reference(chain: Chain) -> Reference:
    """The chain's output and gradients in NumPy (forward, then the VJPs in reverse)."""
    with np.errstate(all="ignore"):
        x = chain.leaves[0]
        saved = []
        for step in chain.steps:
            other = chain.leaves[step.leaf] if step.leaf is not None else None
            out = np.asarray(step.op.forward(x, other, step.params), dtype=np.float64)
            saved.append((x, other, out))
            x = out
        grads = [np.zeros_like(a) for a in chain.leaves]
        g = chain.weight
        arrays = [a for triple in saved for a in triple if a is not None] + [g]
        comparable = True
        for step, (x_in, other, out) in zip(reversed(chain.steps), reversed(saved)):
            try:
                g, g_other = step.op.backward(x_in, other, out, g, step.params)
            except Degenerate:
                comparable = False
                g, g_other = np.full(x_in.shape, np.nan), (
                    None if other is None else np.full(other.shape, np.nan))
            g = np.asarray(g, dtype=np.float64)
            arrays.append(g)
            if step.leaf is not None:
                grads[step.leaf] = np.asarray(g_other, dtype=np.float64).reshape(
                    chain.leaves[step.leaf].shape)
        grads[0] = g.reshape(chain.leaves[0].shape)
    finite = comparable and all(np.isfinite(a).all() for a in arrays + grads)
    return Reference(x, grads, finite, _largest(arrays + grads))


def _largest(arrays: list[np.ndarray]) -> float:
    """The largest finite magnitude in ``arrays`` (at least 1)."""
    return max([1.0] + [float(np.abs(a[np.isfinite(a)]).max()) for a in arrays
                        if np.isfinite(a).any()])


def _forward_only(chain: Chain, leaves: list[np.ndarray]) -> np.ndarray:
    with np.errstate(all="ignore"):
        x = leaves[0]
        for step in chain.steps:
            other = leaves[step.leaf] if step.leaf is not None else None
            x = step.op.forward(x, other, step.params)
    return np.asarray(x)


def finite_difference_problem(chain: Chain, ref: Reference, rng: np.random.Generator
                              ) -> str | None:
    """Check the reference gradient by a central difference along a random direction.

    Two step sizes must agree first (else the point is at or near a kink, and nothing is
    checked); then the difference quotient must match ⟨∇f, d⟩.
    """
    directions = [rng.standard_normal(a.shape) for a in chain.leaves]
    analytic = sum(float((g * d).sum()) for g, d in zip(ref.grads, directions))

    def quotient(eps: float) -> float:
        up = _forward_only(chain, [a + eps * d for a, d in zip(chain.leaves, directions)])
        down = _forward_only(chain, [a - eps * d for a, d in zip(chain.leaves, directions)])
        return float(((up - down) * chain.weight).sum() / (2 * eps))

    coarse, fine = quotient(1e-5), quotient(1e-6)
    size = 1.0 + abs(analytic) + sum(float(np.abs(g).sum()) for g in ref.grads)
    if not (math.isfinite(coarse) and math.isfinite(fine)) or abs(coarse - fine) > 1e-6 * size:
        return None  # not smooth here
    if abs(fine - analytic) > 1e-5 * size:
        return f"finite differences give {fine!r}, the reference gradient {analytic!r}"
    return None


def run_library(lib: Any, chain: Chain) -> tuple[np.ndarray, list[np.ndarray]]:
    """The chain's output and gradients computed by ``lib`` (microtensor or torch)."""
    leaves = [lib.tensor(a.copy(), requires_grad=True) for a in chain.leaves]
    x = leaves[0]
    for step in chain.steps:
        other = leaves[step.leaf] if step.leaf is not None else None
        x = step.op.run(lib, x, other, step.params)
    grads = lib.autograd.grad([x], leaves, [lib.tensor(chain.weight)], allow_unused=True)
    arrays = [np.zeros(a.shape) if g is None else np.array(g.detach().numpy())
              for g, a in zip(grads, chain.leaves)]
    return np.array(x.detach().numpy()), arrays


def compare(output: np.ndarray, grads: list[np.ndarray], expected: Reference,
            with_grads: bool) -> list[str]:
    """Differences of a library's results from ``expected``.

    The absolute tolerance follows the largest magnitude met in the chain: the round-off of a
    large intermediate value survives a cancellation (1e150 - 1e150 + x depends on the order).
    """
    problems = []
    why = mismatch(output, expected.output, RTOL, ATOL * expected.scale)
    if why:
        problems.append(f"forward: {why}")
    if with_grads:
        for k, (g, e) in enumerate(zip(grads, expected.grads)):
            why = mismatch(g, e, RTOL, ATOL * expected.scale)
            if why:
                problems.append(f"gradient of leaf {k}: {why}")
    return problems


def _report(failures: list[str], total: int, what: str) -> str:
    return (f"{len(failures)} of {total} chains differ from {what}:\n" + "\n\n".join(failures[:8]))


# --------------------------------------------------------------------------- the tests


@cache
def _chains(count: int = CHAINS) -> list[Chain]:
    rng = np.random.default_rng(SEED)
    return [make_chain(rng) for _ in range(count)]


def test_fuzz_against_numpy() -> None:
    rng = np.random.default_rng(SEED + 1)
    failures: list[str] = []
    compared_grads = checked_fd = 0
    for chain in _chains():
        ref = reference(chain)
        try:
            output, grads = run_library(mt, chain)
        except Exception as error:
            failures.append(f"{chain.describe()}\nmicrotensor raises {type(error).__name__}: "
                            f"{error}")
            continue
        problems = compare(output, grads, ref, ref.finite)
        compared_grads += ref.finite
        if chain.smooth and ref.finite:
            checked_fd += 1
            problem = finite_difference_problem(chain, ref, rng)
            if problem:
                problems.append(f"the NumPy reference is wrong: {problem}")
        if problems:
            failures.append(chain.describe() + "\n" + "\n".join(problems))
    assert not failures, _report(failures, CHAINS, "the NumPy reference")
    # the fuzzing reaches what it claims: gradients compared on most chains, every op drawn
    assert compared_grads > CHAINS // 2 and checked_fd > CHAINS // 4


def test_the_chains_reach_every_op_and_edge() -> None:
    chains = _chains(max(CHAINS, 3000))
    drawn = {step.op.name for chain in chains for step in chain.steps}
    assert drawn == {op.name for op in ALL_OPS}
    shapes = [a.shape for chain in chains for a in chain.leaves]
    assert () in shapes and any(0 in s for s in shapes) and any(1 in s for s in shapes)
    values = np.concatenate([a.ravel() for chain in chains for a in chain.leaves])
    assert np.isinf(values).any() and (values == 0).any()


def test_the_gates_name_golden_cases() -> None:
    named = {case for _, cases in VALUE_GATES.values() for case in cases}
    assert named <= set(BY_NAME), f"unknown golden cases: {sorted(named - set(BY_NAME))}"


def test_the_reference_catches_a_wrong_gradient() -> None:
    """The comparison can fail: a chain whose microtensor gradient is deliberately perturbed."""
    chain = next(c for c in _chains() if c.smooth and reference(c).finite
                 and c.leaves[0].size > 0)
    ref = reference(chain)
    output, grads = run_library(mt, chain)
    assert compare(output, grads, ref, True) == []
    grads[0] = grads[0] + 1e-6
    assert any("gradient of leaf 0" in p for p in compare(output, grads, ref, True))


@pytest.mark.filterwarnings("ignore::UserWarning")  # PyTorch's notes on empty reductions
def test_fuzz_against_pytorch() -> None:
    torch = pytest.importorskip("torch")
    failures: list[str] = []
    for chain in _chains():
        ref = reference(chain)
        try:
            theirs, their_grads = run_library(torch, chain)
        except Exception as error:  # PyTorch refuses: microtensor must refuse too
            try:
                run_library(mt, chain)
            except Exception:
                continue
            failures.append(f"{chain.describe()}\nPyTorch raises {type(error).__name__}: "
                            f"{error}; microtensor does not")
            continue
        torch_ref = Reference(theirs, their_grads, ref.finite, ref.scale)
        problems = [f"NumPy reference vs PyTorch: {p}" for p in compare(
            ref.output, ref.grads, torch_ref, ref.finite)]
        try:
            ours, our_grads = run_library(mt, chain)
            problems += [f"microtensor vs PyTorch: {p}" for p in compare(
                ours, our_grads, torch_ref, ref.finite)]
        except Exception as error:
            problems.append(f"microtensor raises {type(error).__name__}: {error}")
        if problems:
            failures.append(chain.describe() + "\n" + "\n".join(problems))
    assert not failures, _report(failures, CHAINS, "PyTorch")
