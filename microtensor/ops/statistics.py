"""Statistics and everyday math: diff, cov, corrcoef, quantile, histograms, distances, set
membership, combinatorics, scatter-into-a-copy ops and a few elementwise functions.

Nearly everything here is a *composition* of differentiable ops that exist already (indexing,
``cat``, ``sort``, ``gather``, ``lerp``, ``vector_norm``, arithmetic), so it needs no backward
of its own: the gradient is the chain rule through the pieces, and double backward comes free.
Each docstring gives the formula and so the gradient. Counting ops (``histc``, ``histogram``,
``bincount``, ``isin``, ``gcd`` ...) return constants, as in PyTorch.
"""

from __future__ import annotations

import builtins
import itertools
import math
from collections import namedtuple
from collections.abc import Sequence
from typing import Any

import numpy as np

from microtensor import _dtypes, ops
from microtensor.autograd.function import Op
from microtensor.tensor import Tensor

QUIET = {"divide": "ignore", "invalid": "ignore", "over": "ignore"}


def _tensor(value: Any, op: str, name: str = "input") -> Tensor:
    if isinstance(value, Tensor):
        return value
    raise TypeError(f"{op}(): argument '{name}' must be a Tensor, not {type(value).__name__}")


def _dim(dim: int, ndim: int, op: str) -> int:
    return ops.shape.normalize_dim(dim, builtins.max(ndim, 1), op)


def _kind_name(t: Tensor) -> str:
    return _dtypes.legacy_name(t._data.dtype)


def _float(t: Tensor) -> Tensor:
    """Integer and bool tensors in the default float dtype (PyTorch's int → float rule)."""
    return t if t._data.dtype.kind == "f" else t.to(_dtypes.get_default_dtype())


def _constant(values: Any, dtype: Any = None) -> Tensor:
    array = np.asarray(values)
    return Tensor._make(array if dtype is None else array.astype(dtype))


# --------------------------------------------------------------------------- differences


def _diff_once(x: Tensor, dim: int) -> Tensor:
    """out[i] = x[i + 1] - x[i] along ``dim`` (bool: x[i + 1] != x[i], as PyTorch)."""
    length = x.shape[dim]
    if length == 0:
        return x
    later, earlier = x.narrow(dim, 1, length - 1), x.narrow(dim, 0, length - 1)
    return later != earlier if x._data.dtype.kind == "b" else later - earlier


def diff(input: Tensor, n: int = 1, dim: int = -1, prepend: Tensor | None = None,
         append: Tensor | None = None) -> Tensor:
    """The n-th forward difference along ``dim``, after gluing ``prepend``/``append`` on.

    Each difference is x[1:] - x[:-1], so dL/dx is -g at i and +g at i - 1 (the chain rule
    through ``narrow`` and ``sub``)."""
    input = _tensor(input, "diff")
    if input.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    dim = _dim(dim, input.ndim, "diff")
    pieces = [p for p in (prepend, input, append) if p is not None]
    if len(pieces) > 1:
        pieces = [_expand_for_diff(p, input, dim) for p in pieces]
        input = ops.shape.cat(pieces, dim)
    for _ in range(n):
        input = _diff_once(input, dim)
    return input


def _expand_for_diff(piece: Any, input: Tensor, dim: int) -> Tensor:
    """A number to prepend/append becomes a length-1 slice; tensors must match except on dim."""
    if not isinstance(piece, Tensor):
        shape = list(input.shape)
        shape[dim] = 1
        return Tensor._make(np.full(shape, piece, dtype=input._data.dtype))
    if piece.ndim != input.ndim:
        raise RuntimeError(f"diff expects prepend or append to be the same dimension as input "
                           f"({input.ndim}), got {piece.ndim}")
    return piece


# --------------------------------------------------------------------------- cov, corrcoef


def _check_cov_weights(weights: Tensor | None, name: str, observations: int,
                       integral: bool) -> None:
    if weights is None:
        return
    if weights.ndim > 1:
        raise RuntimeError(f"cov(): expected {name} to have one or fewer dimensions but got "
                           f"{name} with {weights.ndim} dimensions")
    if weights.numel() != observations:
        raise RuntimeError(f"cov(): expected {name} to have the same numel as there are "
                           f"observations in the input but got {weights.numel()} != "
                           f"{observations}")
    if integral and weights._data.dtype.kind not in "iu":
        raise RuntimeError(f"cov(): expected {name} to have integral dtype but got "
                           f"{_dtypes.torch_name(weights._data.dtype)}")
    if not integral and weights._data.dtype.kind != "f":
        raise RuntimeError(f"cov(): expected {name} to have floating point dtype but got "
                           f"{_dtypes.torch_name(weights._data.dtype)}")
    if (weights._data < 0).any():
        raise RuntimeError(f"cov(): {name} cannot be negative")


def cov(input: Tensor, *, correction: int = 1, fweights: Tensor | None = None,
        aweights: Tensor | None = None) -> Tensor:
    """Covariance of the variables in the rows of ``input`` (observations in columns).

    With w = fweights · aweights: mean μ = Σ w x / Σ w, C = (x - μ) diag(w) (x - μ)ᵀ / N,
    N = Σ w - correction · (Σ w·aweights / Σ w) (or Σ w - correction without aweights).
    A composition of sums and a matmul, so the gradient is the chain rule through them."""
    input = _tensor(input, "cov")
    if input.ndim > 2:
        raise RuntimeError("cov(): expected input to have two or fewer dimensions but got an "
                           f"input with {input.ndim} dimensions")
    x = _float(input.reshape(1, -1) if input.ndim < 2 else input)
    observations = x.shape[1]
    _check_cov_weights(fweights, "fweights", observations, integral=True)
    _check_cov_weights(aweights, "aweights", observations, integral=False)
    weights = _cov_weights(fweights, aweights, x)
    if weights is None:
        total = observations
        mean = x.mean(1, keepdim=True)
        norm = total - correction
    else:
        total = weights.sum()
        mean = (x * weights).sum(1, keepdim=True) / total
        norm = total - correction * ((weights * aweights).sum() / total
                                     if aweights is not None else 1)
    norm = _clamp_norm(norm)
    centred = x - mean
    scaled = centred if weights is None else centred * weights
    covariance = (scaled @ centred.t()) / norm
    return covariance.squeeze() if input.ndim < 2 else covariance


def _cov_weights(fweights: Tensor | None, aweights: Tensor | None, x: Tensor) -> Tensor | None:
    if fweights is None and aweights is None:
        return None
    if fweights is None:
        return aweights.to(x.dtype)
    if aweights is None:
        return fweights.to(x.dtype)
    return fweights.to(x.dtype) * aweights.to(x.dtype)


def _clamp_norm(norm: Any) -> Any:
    """A normaliser ≤ 0 (too few observations) becomes 0, giving inf/nan as in PyTorch."""
    if isinstance(norm, Tensor):
        return ops.elementwise.clamp(norm, min=0)
    return builtins.max(norm, 0)


def corrcoef(input: Tensor) -> Tensor:
    """Pearson correlation coefficients: C_ij / sqrt(C_ii C_jj) with C = cov(input), clipped to
    [-1, 1] (round-off can step outside)."""
    input = _tensor(input, "corrcoef")
    if input.ndim > 2:
        raise RuntimeError("corrcoef(): expected input to have two or fewer dimensions but got "
                           f"an input with {input.ndim} dimensions")
    c = cov(input)
    if c.ndim == 0:
        with np.errstate(**QUIET):
            return c / c
    std = c.diagonal().sqrt()
    with np.errstate(**QUIET):
        c = c / std.unsqueeze(1) / std.unsqueeze(0)
    return ops.elementwise.clamp(c, -1, 1)


# --------------------------------------------------------------------------- histograms


def _range_of(values: np.ndarray, low: float, high: float, op: str) -> tuple[float, float]:
    if low > high:
        raise RuntimeError(f"{op}(): max must be larger than min (got min={low}, max={high})")
    if low == high and values.size:
        low, high = float(values.min()), float(values.max())
    if low == high:
        low, high = low - 1, high + 1
    if not (math.isfinite(low) and math.isfinite(high)):
        raise RuntimeError(f"{op}(): range of [{low}, {high}] is not finite")
    return low, high


def _require_float_hist(input: Tensor, op: str) -> None:
    if input._data.dtype.kind != "f":
        raise NotImplementedError(f'{op}: "histogram_cpu" not implemented for '
                                  f"'{_kind_name(input)}'; convert the input with .float()")


def _counts(values: np.ndarray, edges: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
    """Counts per bin, the last bin closed on the right (values outside are dropped)."""
    bins = len(edges) - 1
    index = np.searchsorted(edges, values, side="right") - 1
    index[values == edges[-1]] = bins - 1
    inside = (index >= 0) & (index < bins) & ~np.isnan(values)
    chosen = None if weights is None else weights[inside]
    return np.bincount(index[inside], weights=chosen, minlength=bins)


def histc(input: Tensor, bins: int = 100, min: float = 0, max: float = 0) -> Tensor:
    """Counts of ``input``'s values in ``bins`` equal bins over [min, max] (the data's range
    when min == max). Values outside are ignored. Result in ``input``'s dtype."""
    input = _tensor(input, "histc")
    _require_float_hist(input, "histc")
    if bins <= 0:
        raise RuntimeError(f"torch.histc(): bins must be > 0, but got {bins} for dimension 0")
    values = input._data.ravel()
    low, high = _range_of(values, float(min), float(max), "torch.histc")
    edges = np.linspace(low, high, bins + 1).astype(values.dtype)
    return _constant(_counts(values, edges, None), input._data.dtype)


histogram_result = namedtuple("histogram", ["hist", "bin_edges"])


def histogram(input: Tensor, bins: Any = 100, *, range: Sequence[float] | None = None,
              weight: Tensor | None = None, density: bool = False) -> histogram_result:
    """(hist, bin_edges): counts (or summed ``weight``) in each bin; ``bins`` is a count of
    equal bins over ``range`` (default: the data's range) or a tensor of increasing edges.
    ``density=True`` divides by the total and the bin widths (the histogram integrates to 1)."""
    input = _tensor(input, "histogram")
    _require_float_hist(input, "histogram")
    values = input._data.ravel()
    edges = _edges(values, bins, range)
    weights = None if weight is None else np.asarray(weight._data, np.float64).ravel()
    hist = _counts(values, edges, weights).astype(np.float64)
    if density:
        with np.errstate(**QUIET):
            hist = hist / hist.sum() / np.diff(edges)
    dtype = input._data.dtype
    return histogram_result(_constant(hist, dtype), _constant(edges, dtype))


def _edges(values: np.ndarray, bins: Any, range: Sequence[float] | None) -> np.ndarray:
    if isinstance(bins, Tensor):
        if bins.ndim != 1 or bins.numel() < 1:
            raise RuntimeError("histogram(): bins tensor should have one dimension and at least "
                               f"1 element, but got shape {tuple(bins.shape)}")
        return bins._data.astype(values.dtype)
    if bins <= 0:
        raise RuntimeError(f"histogram(): bins must be > 0, but got {bins} for dimension 0")
    low, high = (0.0, 0.0) if range is None else (float(range[0]), float(range[1]))
    low, high = _range_of(values, low, high, "histogram")
    return np.linspace(low, high, bins + 1).astype(values.dtype)


def bincount(input: Tensor, weights: Tensor | None = None, minlength: int = 0) -> Tensor:
    """How often each value 0, 1, ..., max occurs in the 1-d non-negative ``input`` (summing
    ``weights`` instead of ones, if given). At least ``minlength`` bins."""
    input = _tensor(input, "bincount")
    if input._data.dtype.kind not in "iub":
        raise NotImplementedError(f'bincount: "bincount_cpu" not implemented for '
                                  f"'{_kind_name(input)}'; the input must hold integers")
    if input.ndim != 1 or (input._data < 0).any():
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if minlength < 0:
        raise RuntimeError("bincount: minlength should be >= 0")
    if weights is None:
        return _constant(np.bincount(input._data, minlength=minlength).astype(np.int64))
    if weights.shape != input.shape:
        raise RuntimeError("bincount: weights should be 1-d and have the same length as input")
    dtype = np.float32 if weights._data.dtype == np.float32 else np.float64
    counts = np.bincount(input._data, weights=weights._data.astype(np.float64),
                         minlength=minlength)
    return _constant(counts, dtype)


# --------------------------------------------------------------------------- quantiles

_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _check_quantile(input: Tensor, q: Any, interpolation: str, op: str) -> Tensor:
    if input._data.dtype not in (np.float32, np.float64):
        raise RuntimeError(f"{op}() input tensor must be either float or double dtype")
    if input.numel() == 0:
        raise RuntimeError(f"{op}() input tensor must be non-empty")
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(f"{op}() interpolation must be one of linear, lower, higher, "
                           f"midpoint or nearest, but got {interpolation}")
    if isinstance(q, Tensor):
        if q.ndim > 1:
            raise RuntimeError(f"{op}() q must be a scalar or 1D tensor")
        if q._data.dtype != input._data.dtype:
            raise RuntimeError(f"{op}() q tensor must be same dtype as the input tensor")
        q_values = q._data
    else:
        q_values = np.asarray(q, dtype=input._data.dtype)
    if not ((q_values >= 0) & (q_values <= 1)).all():
        raise RuntimeError(f"{op}() q values must be in the range [0, 1]")
    return q_values


def _ranks(q: np.ndarray, sorted_values: np.ndarray, ignore_nan: bool,
           interpolation: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each q and row: the lower and upper positions in the sorted row and the weight
    between them. NaN sorts last; a row whose answer is NaN points at its last element."""
    nans = np.isnan(sorted_values)
    size = sorted_values.shape[-1]
    if ignore_nan:
        valid = size - nans.sum(axis=-1, keepdims=True)
        rank = q.reshape(-1, *[1] * sorted_values.ndim) * (valid - 1)
        rank = np.maximum(rank, 0)  # a row of only NaN: its first (NaN) element
    else:
        rank = q.reshape(-1, *[1] * sorted_values.ndim) * (size - 1)
        rank = np.where(nans[..., -1:], size - 1, rank)
    if interpolation == "lower":
        rank = np.floor(rank)
    elif interpolation == "higher":
        rank = np.ceil(rank)
    elif interpolation == "nearest":
        rank = np.round(rank)
    lower = np.floor(rank).astype(np.int64)
    upper = np.ceil(rank).astype(np.int64)
    weight = 0.5 if interpolation == "midpoint" else rank - lower
    return lower, upper, np.broadcast_to(weight, rank.shape).astype(sorted_values.dtype)


def _quantile(input: Tensor, q: Any, dim: int | None, keepdim: bool, interpolation: str,
              op: str) -> Tensor:
    input = _tensor(input, op)
    q_values = _check_quantile(input, q, interpolation, op)
    x = input.reshape(-1) if dim is None else input.movedim(_dim(dim, input.ndim, op), -1)
    if x.ndim == 0:
        x = x.reshape(1)
    sorted_values = x.sort(-1).values
    lower, upper, weight = _ranks(q_values, sorted_values._data, op == "nanquantile",
                                  interpolation)
    expanded = sorted_values.unsqueeze(0).expand(lower.shape[0], *sorted_values.shape)
    low = expanded.gather(-1, _constant(lower))
    high = expanded.gather(-1, _constant(upper))
    result = ops.pointwise.lerp(low, high, _constant(weight)).squeeze(-1)
    result = _quantile_shape(result, input, dim, keepdim)
    return result.squeeze(0) if np.ndim(q_values) == 0 else result


def _quantile_shape(result: Tensor, input: Tensor, dim: int | None, keepdim: bool) -> Tensor:
    """(Q, *kept dims) with the reduced dim(s) restored as size 1 when ``keepdim``."""
    if not keepdim:
        return result
    if dim is None:
        return result.reshape(result.shape[0], *[1] * input.ndim)
    if input.ndim == 0:
        return result
    return result.unsqueeze(_dim(dim, input.ndim, "quantile") + 1)


def quantile(input: Tensor, q: Any, dim: int | None = None, keepdim: bool = False, *,
             interpolation: str = "linear") -> Tensor:
    """The q-th quantiles of ``input`` (along ``dim``, or of all values): sort, then take
    sorted[⌊r⌋] + (r - ⌊r⌋)(sorted[⌈r⌉] - sorted[⌊r⌋]) with r = q (n - 1) (``linear``; the
    other interpolations move r or the weight). NaN anywhere in a row makes it NaN. The gradient
    flows to the one or two values picked (through ``sort``, ``gather`` and ``lerp``)."""
    return _quantile(input, q, dim, keepdim, interpolation, "quantile")


def nanquantile(input: Tensor, q: Any, dim: int | None = None, keepdim: bool = False, *,
                interpolation: str = "linear") -> Tensor:
    """``quantile`` ignoring NaN values (a row of only NaN gives NaN)."""
    return _quantile(input, q, dim, keepdim, interpolation, "nanquantile")


# --------------------------------------------------------------------------- distances


def _check_distance_input(x: Tensor, name: str, op: str) -> None:
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"{op} only supports floating-point dtypes, {name} got: "
                           f"{_kind_name(x)}")


def _check_p(p: float, op: str) -> None:
    if not p >= 0:
        raise RuntimeError(f"{op} only supports non-negative p values")


def cdist(x1: Tensor, x2: Tensor, p: float = 2.0,
          compute_mode: str = "use_mm_for_euclid_dist_if_necessary") -> Tensor:
    """Pairwise p-norm distances between the rows of x1 (…, P, M) and x2 (…, R, M): out[…, i, j]
    = ‖x1[…, i] - x2[…, j]‖_p. Computed directly (``compute_mode`` is accepted and the exact
    difference form is always used), so its gradient is that of ``vector_norm``, 0 at a zero
    distance."""
    x1, x2 = _tensor(x1, "cdist", "x1"), _tensor(x2, "cdist", "x2")
    _check_distance_input(x1, "X1", "cdist")
    _check_distance_input(x2, "X2", "cdist")
    for x, name in ((x1, "X1"), (x2, "X2")):
        if x.ndim < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: {x.ndim}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: "
                           f"{x1.shape[-1]} X2: {x2.shape[-1]}")
    _check_p(p, "cdist")
    differences = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    return ops.decompositions.vector_norm(differences, p, dim=-1)


def pdist(input: Tensor, p: float = 2) -> Tensor:
    """The p-norm distances between each pair of rows i < j of an (N, M) input, in row-major
    order of the pairs (the upper triangle of ``cdist(input, input)``)."""
    input = _tensor(input, "pdist")
    if input.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.ndim}D")
    _check_distance_input(input, "X1", "pdist")
    _check_p(p, "pdist")
    rows, columns = np.triu_indices(input.shape[0], 1)
    differences = input[_constant(rows)] - input[_constant(columns)]
    return ops.decompositions.vector_norm(differences, p, dim=-1)


def dist(input: Tensor, other: Tensor, p: float = 2) -> Tensor:
    """‖input - other‖_p over all elements (the two broadcast).

    For p = 0 (the count of non-zero differences) the gradient is 0; PyTorch's backward raises
    an internal error ("Expected a proper Tensor but got None") there instead."""
    difference = _tensor(input, "dist") - _tensor(other, "dist", "other")
    return ops.decompositions.vector_norm(difference, p)


# --------------------------------------------------------------------------- sets, products


def _values(x: Any) -> np.ndarray:
    return x._data if isinstance(x, Tensor) else np.asarray(x)


def isin(elements: Any, test_elements: Any, *, assume_unique: bool = False,
         invert: bool = False) -> Tensor:
    """Whether each of ``elements`` occurs in ``test_elements`` (either may be a number); a
    bool tensor of ``elements``' shape."""
    if not isinstance(elements, Tensor) and not isinstance(test_elements, Tensor):
        raise TypeError("isin(): elements or test_elements must be a Tensor")
    found = np.isin(_values(elements), _values(test_elements), assume_unique=assume_unique,
                    invert=invert)
    return _constant(np.asarray(found, dtype=bool))


def _check_vectors(tensors: Sequence[Tensor], op: str) -> None:
    for t in tensors:
        if _tensor(t, op, "tensors").ndim != 1:
            raise RuntimeError(f"{op}: Expect a 1D vector, but got shape {list(t.shape)}")


def cartesian_prod(*tensors: Tensor) -> Tensor:
    """All tuples (a, b, …) with a from the first vector, b from the second, …: an (N, k) tensor
    in row-major order (one vector: itself). Built from ``meshgrid`` and ``stack``."""
    _check_vectors(tensors, "cartesian_prod")
    if len(tensors) == 1:
        return tensors[0]
    grids = ops.rearrange.meshgrid(*tensors, indexing="ij")
    return ops.shape.stack([g.reshape(-1) for g in grids], 1)


def combinations(input: Tensor, r: int = 2, with_replacement: bool = False) -> Tensor:
    """The r-length combinations of the vector's elements, as rows (itertools' order)."""
    _check_vectors([input], "combinations")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return Tensor._make(np.empty(0, dtype=input._data.dtype))
    chooser = itertools.combinations_with_replacement if with_replacement else \
        itertools.combinations
    index = np.fromiter(itertools.chain.from_iterable(chooser(range(input.shape[0]), r)),
                        dtype=np.int64).reshape(-1, r)
    return input[_constant(index)]


def block_diag(*tensors: Tensor) -> Tensor:
    """A block-diagonal matrix with the given 0-, 1- or 2-d tensors as its blocks (a 0-d tensor
    is a 1×1 block, a vector a 1×n one), zeros elsewhere, in their promoted dtype."""
    blocks = []
    for position, t in enumerate(tensors):
        t = _tensor(t, "block_diag", "tensors")
        if t.ndim > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer "
                               f"dimensions. Input {position} has {t.ndim} dimensions")
        blocks.append(t.reshape(1, -1) if t.ndim < 2 else t)
    dtype = np.result_type(*[b._data.dtype for b in blocks]) if blocks else \
        _dtypes.get_default_dtype()
    width = builtins.sum(b.shape[1] for b in blocks)
    rows, left = [], 0
    for b in blocks:
        before = Tensor._make(np.zeros((b.shape[0], left), dtype))
        after = Tensor._make(np.zeros((b.shape[0], width - left - b.shape[1]), dtype))
        rows.append(ops.shape.cat([before, b.to(dtype), after], 1))
        left += b.shape[1]
    if not rows:
        return Tensor._make(np.zeros((1, 0), dtype))
    return ops.shape.cat(rows, 0)


def _triangle_indices(row: int, col: int, offset: int, dtype: Any, upper: bool) -> Tensor:
    if row < 0 or col < 0:
        raise RuntimeError(f"row must be non-negative, got{row}" if row < 0 else
                           f"col must be non-negative, got{col}")
    make = np.triu_indices if upper else np.tril_indices
    target = _dtypes.int64 if dtype is None else _dtypes.resolve(dtype)
    return _constant(np.stack(make(row, offset, col)).reshape(2, -1), target)


def tril_indices(row: int, col: int, offset: int = 0, *, dtype: Any = None,
                 device: Any = None, layout: Any = None) -> Tensor:
    """The (2, N) row and column indices of the lower triangle of a row × col matrix."""
    return _triangle_indices(row, col, offset, dtype, upper=False)


def triu_indices(row: int, col: int, offset: int = 0, *, dtype: Any = None,
                 device: Any = None, layout: Any = None) -> Tensor:
    """The (2, N) row and column indices of the upper triangle of a row × col matrix."""
    return _triangle_indices(row, col, offset, dtype, upper=True)


def logspace(start: float, end: float, steps: int, base: float = 10.0, *, dtype: Any = None,
             device: Any = None, requires_grad: bool = False, out: Tensor | None = None
             ) -> Tensor:
    """``steps`` values base^e with e evenly spaced from ``start`` to ``end``."""
    if steps < 0:
        raise RuntimeError(f"number of steps must be non-negative (got {steps})")
    target = _dtypes.get_default_dtype() if dtype is None else _dtypes.resolve(dtype)
    with np.errstate(**QUIET):
        values = np.power(float(base), np.linspace(float(start), float(end), steps))
    if target.kind in "iu":
        values = np.trunc(values)
    result = _constant(values, target)
    return result.requires_grad_(True) if requires_grad else result


# --------------------------------------------------------------------------- pointwise


def addcmul(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: Any = 1) -> Tensor:
    """input + value · tensor1 · tensor2 (gradients: g, value·g·tensor2, value·g·tensor1)."""
    return input + value * (tensor1 * tensor2)


def addcdiv(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: Any = 1) -> Tensor:
    """input + value · tensor1 / tensor2 (floating point only, as in PyTorch)."""
    if all(isinstance(t, Tensor) and t._data.dtype.kind in "iub" for t in (tensor1, tensor2)):
        raise RuntimeError("Integer division with addcdiv is no longer supported, and in a "
                           "future release addcdiv will perform a true division of tensor1 and "
                           "tensor2. The historic addcdiv behavior can be implemented as "
                           "(input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) "
                           "for integer inputs and as (input + value * tensor1 / tensor2) for "
                           "float inputs. The future addcdiv behavior is just the latter "
                           "implementation: (input + value * tensor1 / tensor2), for all dtypes.")
    return input + value * (tensor1 / tensor2)


def float_power(input: Any, exponent: Any) -> Tensor:
    """input ** exponent computed in float64 (both operands converted first)."""
    if not isinstance(input, Tensor) and not isinstance(exponent, Tensor):
        raise TypeError("float_power(): input or exponent must be a Tensor")
    base = input.double() if isinstance(input, Tensor) else float(input)
    power = exponent.double() if isinstance(exponent, Tensor) else float(exponent)
    if not isinstance(base, Tensor):
        return ops.elementwise.pow(Tensor._make(np.asarray(base)), power)
    return ops.elementwise.pow(base, power)


def deg2rad(input: Tensor) -> Tensor:
    """input · π/180 (integers become the default float dtype)."""
    return _float(_tensor(input, "deg2rad")) * (math.pi / 180)


def rad2deg(input: Tensor) -> Tensor:
    """input · 180/π (integers become the default float dtype)."""
    return _float(_tensor(input, "rad2deg")) * (180 / math.pi)


def sinc(input: Tensor) -> Tensor:
    """sin(πx)/(πx), and 1 at x = 0. Written with the "double where": the division runs on x
    with its zeros replaced by 1, so the branch not taken has no 0/0 to poison the gradient;
    the derivative at 0 is then 0 (the true value, as sinc is even)."""
    x = _float(_tensor(input, "sinc"))
    zero = x._data == 0
    safe = ops.elementwise.where(zero, 1.0, x) * math.pi
    with np.errstate(**QUIET):  # sin(±inf) is nan, silently as in PyTorch
        return ops.elementwise.where(zero, 1.0, safe.sin() / safe)


def _integer_pair(name: str, input: Any, other: Any) -> tuple[np.ndarray, np.ndarray, Any]:
    a, b = _values(input), _values(other)
    dtype = ops.promotion.result_type(input, other)
    if np.dtype(dtype).kind not in "iu":
        raise NotImplementedError(f'{name}: "{name}_cpu" not implemented for '
                                  f"'{_dtypes.legacy_name(np.dtype(dtype))}'; "
                                  "gcd and lcm take integer tensors")
    return a.astype(dtype), b.astype(dtype), dtype


def gcd(input: Tensor, other: Tensor) -> Tensor:
    """Greatest common divisor, elementwise (integers; gcd(0, 0) = 0)."""
    a, b, dtype = _integer_pair("gcd", input, other)
    return _constant(np.gcd(a, b), dtype)


def lcm(input: Tensor, other: Tensor) -> Tensor:
    """Least common multiple, elementwise (integers; lcm with 0 is 0)."""
    a, b, dtype = _integer_pair("lcm", input, other)
    return _constant(np.lcm(a, b), dtype)


def ldexp(input: Tensor, other: Tensor) -> Tensor:
    """input · 2^other (a float result), PyTorch's own definition. dL/dinput = g · 2^other.

    PyTorch's backward computes 2^other in the integer dtype of ``other``, so its gradient is
    0 wherever an integer exponent is negative; here it is the true 2^other."""
    other = _float(other) if isinstance(other, Tensor) else float(other)
    return _float(_tensor(input, "ldexp")) * ops.elementwise.pow(2.0, other)


frexp_result = namedtuple("frexp", ["mantissa", "exponent"])


def frexp(input: Tensor) -> frexp_result:
    """input = mantissa · 2^exponent with 0.5 ≤ |mantissa| < 1 (int32 exponent). The mantissa
    is input / 2^exponent with a constant exponent, so its gradient is g / 2^exponent."""
    input = _tensor(input, "frexp")
    if input._data.dtype.kind != "f":
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    _, exponent = np.frexp(input._data)
    scale = np.ldexp(np.ones((), input._data.dtype), exponent).astype(input._data.dtype)
    return frexp_result(input / _constant(scale), _constant(exponent, np.int32))


def nextafter(input: Tensor, other: Tensor) -> Tensor:
    """The next float after ``input`` toward ``other`` (floating point only)."""
    a, b = _tensor(input, "nextafter"), _tensor(other, "nextafter", "other")
    dtype = ops.promotion.result_type(a, b)
    if np.dtype(dtype).kind != "f":
        raise NotImplementedError(f'nextafter: "nextafter_cpu" not implemented for '
                                  f"'{_dtypes.legacy_name(np.dtype(dtype))}'")
    return _constant(np.nextafter(a._data.astype(dtype), b._data.astype(dtype)), dtype)


def renorm(input: Tensor, p: float, dim: int, maxnorm: float) -> Tensor:
    """Each slice input.select(dim, i) whose p-norm exceeds ``maxnorm`` is scaled to norm
    ``maxnorm``: out = x · maxnorm / (‖x‖_p + 1e-7) there (PyTorch's 1e-7), x elsewhere. The
    gradient flows through the norm too."""
    input = _tensor(input, "renorm")
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"renorm: expected a floating point tensor, got {_kind_name(input)}")
    if not p > 0:
        raise RuntimeError(f"renorm: non-positive-norm not supported (p={p})")
    if not maxnorm >= 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    dim = _dim(dim, input.ndim, "renorm")
    others = tuple(d for d in range(input.ndim) if d != dim)
    norm = ops.decompositions.vector_norm(input, p, dim=others, keepdim=True)
    too_long = norm._data > maxnorm
    factor = ops.elementwise.where(too_long, maxnorm / (norm + 1e-7), 1.0)
    return input * factor.to(input.dtype)


def positive(input: Tensor) -> Tensor:
    """+input: the tensor itself (bool tensors are refused, as in PyTorch)."""
    input = _tensor(input, "positive")
    if input._data.dtype.kind == "b":
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


# --------------------------------------------------------------------------- select and scatter


def select(input: Tensor, dim: int, index: int) -> Tensor:
    """The slice at ``index`` along ``dim`` (one dimension fewer; a view)."""
    input = _tensor(input, "select")
    if input.ndim == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    dim = _dim(dim, input.ndim, "select")
    size = input.shape[dim]
    if not -size <= index < size:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{list(input.shape)} at dimension {dim}")
    return input[(slice(None),) * dim + (index,)]


def _scatter_into(op: str, input: Tensor, src: Tensor, region: Any) -> Tensor:
    """A copy of ``input`` with ``region(copy)`` (a view) overwritten by ``src``; gradients go to
    ``input`` outside the region and to ``src`` inside it."""
    target_shape = tuple(region(input).shape)
    if tuple(src.shape) != target_shape:
        raise RuntimeError(f"{op}: expected src to have a size equal to the slice of self. src "
                           f"size = {list(src.shape)}, slice size = {list(target_shape)}")
    result = input.clone()
    region(result).copy_(src)
    return result


def select_scatter(input: Tensor, src: Tensor, dim: int, index: int) -> Tensor:
    """``input`` with ``select(dim, index)`` replaced by ``src`` (out of place)."""
    return _scatter_into("select_scatter", _tensor(input, "select_scatter"),
                         _tensor(src, "select_scatter", "src"),
                         lambda t: select(t, dim, index))


def slice_scatter(input: Tensor, src: Tensor, dim: int = 0, start: int | None = None,
                  end: int | None = None, step: int = 1) -> Tensor:
    """``input`` with the slice start:end:step along ``dim`` replaced by ``src``."""
    input = _tensor(input, "slice_scatter")
    dim = _dim(dim, input.ndim, "slice_scatter")
    if step <= 0:
        raise RuntimeError("slice step must be positive")
    index = (slice(None),) * dim + (slice(start, end, step),)
    return _scatter_into("slice_scatter", input, _tensor(src, "slice_scatter", "src"),
                         lambda t: t[index])


def diagonal_scatter(input: Tensor, src: Tensor, offset: int = 0, dim1: int = 0,
                     dim2: int = 1) -> Tensor:
    """``input`` with the diagonal (offset, dim1, dim2) replaced by ``src``."""
    return _scatter_into("diagonal_scatter", _tensor(input, "diagonal_scatter"),
                         _tensor(src, "diagonal_scatter", "src"),
                         lambda t: t.diagonal(offset, dim1, dim2))


def narrow_copy(input: Tensor, dim: int, start: int, length: int) -> Tensor:
    """``narrow`` as a new tensor (not a view)."""
    return ops.rearrange.narrow(_tensor(input, "narrow_copy"), dim, start, length).clone()


def split_with_sizes(input: Tensor, split_sizes: Sequence[int], dim: int = 0
                     ) -> tuple[Tensor, ...]:
    """Pieces of the given sizes along ``dim`` (they must add up to its length)."""
    input = _tensor(input, "split_with_sizes")
    dim_index = _dim(dim, input.ndim, "split_with_sizes")
    length = input.shape[dim_index]
    sizes = [int(s) for s in split_sizes]
    if builtins.sum(sizes) != length or builtins.any(s < 0 for s in sizes):
        raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {length} "
                           f"(input tensor's size at dimension {dim}), but got "
                           f"split_sizes={sizes}")
    return ops.shape.split(input, sizes, dim_index)


def sum_to_size(input: Tensor, *size: Any) -> Tensor:
    """Sums ``input`` down to ``size``, which must broadcast to input's shape (the reverse of
    ``expand``; the gradient expands back)."""
    shape = tuple(ops.shape.shape_arg(size))
    if len(shape) > input.ndim or builtins.any(
            s not in (1, n) for s, n in zip(shape, input.shape[input.ndim - len(shape):],
                                            strict=True)):
        raise RuntimeError(f"size {{{list(shape)}}} is not expandable to size "
                           f"{{{list(input.shape)}}}.")
    leading = input.ndim - len(shape)
    result = input.sum(tuple(range(leading))) if leading else input
    squeezed = tuple(i for i, s in enumerate(shape) if s == 1 and result.shape[i] != 1)
    return result.sum(squeezed, keepdim=True) if squeezed else result


def ravel(input: Tensor) -> Tensor:
    """The elements as a 1-d tensor (a view where possible)."""
    return _tensor(input, "ravel").reshape(-1)


# --------------------------------------------------------------------------- gamma functions
#
# lgamma is Python's ``math.lgamma`` (correctly rounded to ~1 ulp) applied element by element:
# exact, about 8x slower than PyTorch's kernel. digamma ψ and polygamma ψ⁽ⁿ⁾ are computed here
# (NumPy has neither and SciPy is not a dependency): shift x up with the recurrence
# ψ⁽ⁿ⁾(x) = ψ⁽ⁿ⁾(x + 1) - (-1)ⁿ n! / x^(n+1) until x is large, then sum the asymptotic
# (Euler–Maclaurin) series, whose error there is below float64 round-off.

# B₂ₖ, k = 1 … 9 (Bernoulli numbers)
_BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510,
              43867 / 798)
_LGAMMA = np.frompyfunc(math.lgamma, 1, 1)


def _lgamma_array(x: np.ndarray) -> np.ndarray:
    """log|Γ(x)|, with +inf at the poles 0, -1, -2, … (``math.lgamma`` raises there)."""
    x = np.asarray(x)
    pole = (x <= 0) & (x == np.floor(x))
    safe = np.where(pole, 1.0, x).astype(np.float64)
    values = np.asarray(_LGAMMA(safe), dtype=np.float64)
    return np.where(pole, np.inf, values).astype(x.dtype)


def _digamma_positive(x: np.ndarray) -> np.ndarray:
    """ψ(x) for x ≥ 0.5: ψ(x) = ψ(x + 1) - 1/x up to x ≥ 10, then
    ψ(x) ≈ log x - 1/(2x) - Σₖ B₂ₖ / (2k x^2k)."""
    shift = np.zeros_like(x)
    x = x.copy()
    small = x < 10
    while small.any():
        shift[small] -= 1 / x[small]
        x[small] += 1
        small = x < 10
    inverse_square = 1 / (x * x)
    series = np.zeros_like(x)
    for k in range(len(_BERNOULLI), 0, -1):  # Horner's rule in 1/x²
        series = (series + _BERNOULLI[k - 1] / (2 * k)) * inverse_square
    return shift + np.log(x) - 0.5 / x - series


def _digamma_array(x: np.ndarray) -> np.ndarray:
    """ψ(x) = d/dx log Γ(x). For x < 0.5 the reflection ψ(x) = ψ(1 - x) - π / tan(π x), with
    tan taken of x's fractional part (exact) rather than of x. ψ(±0) = ∓inf, nan at the
    negative integers and at -inf, as in PyTorch."""
    x64 = np.asarray(x, dtype=np.float64)
    with np.errstate(**QUIET):
        reflect = x64 < 0.5
        fraction = x64 - np.trunc(x64)
        base = np.where(reflect, 1 - x64, x64)
        base = np.where(np.isfinite(base), base, 1.0)
        result = _digamma_positive(base)
        result = np.where(reflect, result - np.pi / np.tan(np.pi * fraction), result)
        result = np.where(x64 == np.inf, np.inf, result)
        result = np.where((x64 < 0) & (x64 == np.floor(x64)), np.nan, result)
        result = np.where(x64 == 0, np.copysign(np.inf, -x64), result)
        result = np.where(np.isnan(x64), np.nan, result)
    return result.astype(np.asarray(x).dtype)


def _hurwitz_tail(s: int, y: np.ndarray) -> np.ndarray:
    """ζ(s, y) = Σₖ (y + k)^-s for large y (Euler–Maclaurin):
    y^(1-s)/(s-1) + y^-s/2 + Σⱼ B₂ⱼ/(2j)! · s(s+1)…(s+2j-2) · y^(-s-2j+1)."""
    total = y ** (1 - s) / (s - 1) + 0.5 * y ** (-s)
    rising, factorial, power = float(s), 2.0, y ** (-s - 1)
    for j, bernoulli in enumerate(_BERNOULLI, start=1):
        total = total + bernoulli / factorial * rising * power
        rising *= (s + 2 * j - 1) * (s + 2 * j)
        factorial *= (2 * j + 1) * (2 * j + 2)
        power = power / (y * y)
    return total


def _polygamma_array(n: int, x: np.ndarray) -> np.ndarray:
    """ψ⁽ⁿ⁾(x) = (-1)^(n+1) n! ζ(n + 1, x) for n ≥ 1: the first terms of ζ summed directly
    until x + k ≥ 20 + n, the rest by ``_hurwitz_tail``. ±inf at the poles 0, -1, …
    (the number of direct terms grows with -x for negative x)."""
    if n == 0:
        return _digamma_array(x)
    x64 = np.asarray(x, dtype=np.float64)
    s = n + 1
    with np.errstate(**QUIET):
        pole = (x64 <= 0) & (x64 == np.floor(x64))
        y = np.where(pole | ~np.isfinite(x64), 1.0, x64)
        head = np.zeros_like(y)
        low = y < 20 + n
        while low.any():
            head[low] += y[low] ** (-s)
            y[low] += 1
            low = y < 20 + n
        zeta = head + _hurwitz_tail(s, y)
        sign = 1.0 if n % 2 else -1.0
        result = sign * math.factorial(n) * zeta
        result = np.where(pole, sign * np.inf, result)
        result = np.where(x64 == np.inf, 0.0 * sign, result)
        result = np.where(np.isnan(x64) | (x64 == -np.inf), np.nan, result)
    return result.astype(np.asarray(x).dtype)


class LgammaOp(Op):
    """z = log|Γ(x)|.  dL/dx = g · ψ(x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _lgamma_array(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return (grad * _polygamma_either(0, x),)


class DigammaOp(Op):
    """z = ψ(x).  dL/dx = g · ψ⁽¹⁾(x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _digamma_array(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return (grad * _polygamma_either(1, x),)


class PolygammaOp(Op):
    """z = ψ⁽ⁿ⁾(x).  dL/dx = g · ψ⁽ⁿ⁺¹⁾(x)."""

    @staticmethod
    def forward(ctx, x, *, n):
        ctx.save_for_backward(x)
        ctx.n = n
        return _polygamma_array(n, x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return (grad * _polygamma_either(ctx.n + 1, x),)


def _polygamma_either(n: int, x: Any) -> Any:
    """ψ⁽ⁿ⁾ of an array, or the differentiable op on a Tensor (for double backward)."""
    if isinstance(x, Tensor):
        return polygamma(n, x)
    return _polygamma_array(n, x)


def lgamma(input: Tensor) -> Tensor:
    """log|Γ(x)| (integers become the default float dtype; +inf at the poles)."""
    return LgammaOp.apply(_float(_tensor(input, "lgamma")))


def digamma(input: Tensor) -> Tensor:
    """ψ(x) = Γ'(x)/Γ(x), the derivative of lgamma."""
    return DigammaOp.apply(_float(_tensor(input, "digamma")))


def polygamma(n: int, input: Tensor) -> Tensor:
    """ψ⁽ⁿ⁾(x), the n-th derivative of digamma (n = 0 is digamma)."""
    if int(n) != n or n < 0:
        raise RuntimeError(f"polygamma(n, x) does not support negative n (got n={n})")
    input = _float(_tensor(input, "polygamma"))
    if n == 0:
        return DigammaOp.apply(input)
    return PolygammaOp.apply(input, n=int(n))


def mvlgamma(input: Tensor, p: int) -> Tensor:
    """The multivariate log-gamma of dimension p:
    log Γ_p(x) = p(p-1)/4 · log π + Σᵢ₌₀^(p-1) log Γ(x - i/2). Defined for x > (p - 1)/2;
    below that a term may hit a pole of log Γ (+inf), as in PyTorch, which no longer raises."""
    input = _tensor(input, "mvlgamma")
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    x = _float(input)
    offsets = Tensor._make(-np.arange(p, dtype=x._data.dtype) / 2)
    return lgamma(x.unsqueeze(-1) + offsets).sum(-1) + p * (p - 1) / 4 * math.log(math.pi)


# --------------------------------------------------------------------------- in-place functions
# PyTorch also has these in-place forms as functions (``torch.deg2rad_(x)`` is ``x.deg2rad_()``).


def deg2rad_(input: Tensor) -> Tensor:
    """``input.deg2rad_()``: x · π/180 in place (see ``mt.deg2rad``)."""
    return input.deg2rad_()


def rad2deg_(input: Tensor) -> Tensor:
    """``input.rad2deg_()``: x · 180/π in place (see ``mt.rad2deg``)."""
    return input.rad2deg_()


def sinc_(input: Tensor) -> Tensor:
    """``input.sinc_()``: sin(πx)/(πx), 1 at x = 0, in place (see ``mt.sinc``)."""
    return input.sinc_()


def gcd_(input: Tensor, other: Tensor) -> Tensor:
    """``input.gcd_(other)``: the greatest common divisor, in place (integers; see
    ``mt.gcd``)."""
    return input.gcd_(other)


def lcm_(input: Tensor, other: Tensor) -> Tensor:
    """``input.lcm_(other)``: the least common multiple, in place (integers; see
    ``mt.lcm``)."""
    return input.lcm_(other)


def ldexp_(input: Tensor, other: Tensor) -> Tensor:
    """``input.ldexp_(other)``: input · 2^other in place (see ``mt.ldexp``)."""
    return input.ldexp_(other)
