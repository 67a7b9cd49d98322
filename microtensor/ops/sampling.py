"""Random sampling: ``bernoulli``, ``multinomial``, ``normal``, ``poisson`` and the in-place
fillers ``random_``, ``exponential_``, ``geometric_``, ``log_normal_``, ``cauchy_``, ``bernoulli_``.

Every sampler draws from ``microtensor.random``: the global generator that ``mt.manual_seed``
seeds, or the ``generator=`` given. The values follow the same distributions as PyTorch's but
not the same stream of numbers (NumPy's PCG64 is not PyTorch's Mersenne Twister), so a seed
repeats a microtensor run, not a PyTorch one.

The samples carry no gradient: a draw is a constant of the graph. (PyTorch attaches a gradient
of zero to ``bernoulli``, ``normal`` and ``poisson`` outputs; here they simply do not require
grad. For a reparameterised normal sample write ``mean + std * mt.randn_like(std)``.)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from microtensor import _dtypes
from microtensor import random as _random
from microtensor.random import Generator
from microtensor.tensor import Tensor

# --------------------------------------------------------------------------- helpers


def _rng(generator: Generator | None) -> np.random.Generator:
    return _random.generator(generator)


def _require_float(op: str, kernel: str, x: Tensor) -> None:
    if x._data.dtype.kind != "f":
        raise NotImplementedError(
            f'{op}: "{kernel}" not implemented for \'{_dtypes.torch_name(x._data.dtype)}\'; '
            "the input must be a floating point tensor (convert it with .double() or .float())"
        )


def _as_tensor(value: Any, op: str, name: str) -> Tensor:
    if isinstance(value, Tensor):
        return value
    raise TypeError(f"{op}(): argument '{name}' must be a Tensor, not {type(value).__name__}")


# --------------------------------------------------------------------------- bernoulli


def _check_probabilities(op: str, p: np.ndarray) -> None:
    with np.errstate(invalid="ignore"):
        inside = (p >= 0) & (p <= 1)
    if not inside.all():
        raise RuntimeError(f"{op}: expected all probabilities p to be in [0, 1], but got "
                           f"{p[~inside].ravel()[0]!r}; clamp them first (p.clamp(0, 1))")


def bernoulli(input: Tensor, p: float | None = None, *,
              generator: Generator | None = None) -> Tensor:
    """Draws 1 with probability ``input`` (or ``p``, if given) and 0 otherwise, elementwise.

    The result has ``input``'s shape and dtype; ``input`` must be floating point."""
    input = _as_tensor(input, "bernoulli", "input")
    _require_float("bernoulli", "bernoulli_tensor_cpu_p_", input)
    if p is None:
        probabilities = input._data
        _check_probabilities("bernoulli", probabilities)
    else:
        _check_scalar_probability("bernoulli", p)
        probabilities = p
    draws = _rng(generator).random(input.shape) < probabilities
    return Tensor._make(draws.astype(input._data.dtype))


def _check_scalar_probability(op: str, p: float) -> None:
    if not 0 <= p <= 1:
        raise RuntimeError(f"{op} expects p to be in [0, 1], but got p={p}")


def bernoulli_(self: Tensor, p: Any = 0.5, *, generator: Generator | None = None) -> Tensor:
    """Fills ``self`` with 0/1 draws, 1 with probability ``p`` (a number or a tensor that
    broadcasts to ``self``). Any dtype of ``self``."""
    if isinstance(p, Tensor):
        _require_float("bernoulli_", "bernoulli_tensor_cpu_p_", p)
        _check_probabilities("bernoulli_", p._data)
        try:
            probabilities = np.broadcast_to(p._data, self.shape)
        except ValueError:
            raise RuntimeError(f"bernoulli_: p of shape {tuple(p.shape)} cannot be broadcast to "
                               f"the tensor's shape {tuple(self.shape)}") from None
    else:
        _check_scalar_probability("bernoulli_", p)
        probabilities = p
    draws = _rng(generator).random(self.shape) < probabilities
    return _fill(self, "bernoulli_", draws)


def _fill(self: Tensor, name: str, values: np.ndarray) -> Tensor:
    """Writes ``values`` into ``self`` (in place, keeping its dtype)."""
    return self._inplace(name, lambda t: Tensor._make(np.asarray(values).astype(t._data.dtype)))


# --------------------------------------------------------------------------- multinomial


def _check_weights(weights: Tensor, num_samples: int, replacement: bool) -> np.ndarray:
    if weights.ndim not in (1, 2):
        raise RuntimeError(f"multinomial: prob_dist must be 1 or 2 dim, got a tensor of shape "
                           f"{tuple(weights.shape)} (one row of weights per distribution)")
    if weights._data.dtype.kind != "f":
        raise RuntimeError("multinomial only supports floating-point dtypes for input, got: "
                           f"{_dtypes.legacy_name(weights._data.dtype)}")
    if num_samples <= 0:
        raise RuntimeError("multinomial: cannot sample n_sample <= 0 samples")
    if not replacement and num_samples > weights.shape[-1]:
        raise RuntimeError("multinomial: cannot sample n_sample > prob_dist.size(-1) samples "
                           f"without replacement (n_sample={num_samples}, "
                           f"{weights.shape[-1]} categories); pass replacement=True")
    rows = weights._data.reshape(-1, weights.shape[-1]).astype(np.float64)
    if not (np.isfinite(rows) & (rows >= 0)).all():
        raise RuntimeError("multinomial: probability tensor contains either `inf`, `nan` or "
                           "element < 0")
    if rows.shape[0] and rows.shape[1] and not (rows.sum(axis=1) > 0).all():
        raise RuntimeError("multinomial: invalid multinomial distribution (sum of probabilities "
                           "<= 0); every row needs a positive weight")
    return rows


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *,
                generator: Generator | None = None) -> Tensor:
    """Indices drawn from the categorical distribution of each row of weights (int64).

    Weights need not sum to 1. With replacement, each draw inverts the row's cumulative
    distribution at a uniform number. Without replacement, the draws are the ``num_samples``
    smallest keys E_i / w_i with E_i ~ Exp(1) (an exponential race: category i "arrives" at
    rate w_i), which picks categories one by one with probability proportional to the weight
    left, exactly as sequential sampling would; zero weights arrive last."""
    input = _as_tensor(input, "multinomial", "input")
    rows = _check_weights(input, num_samples, replacement)
    rng = _rng(generator)
    if replacement:
        chosen = _with_replacement(rows, num_samples, rng)
    else:
        chosen = _without_replacement(rows, num_samples, rng)
    return Tensor._make(chosen.reshape(*input.shape[:-1], num_samples).astype(np.int64))


def _with_replacement(rows: np.ndarray, num_samples: int,
                      rng: np.random.Generator) -> np.ndarray:
    """Inverse-CDF sampling of all rows at once: row r's CDF is shifted to [r, r + 1], so one
    ``searchsorted`` on the concatenated CDFs serves every row."""
    count, categories = rows.shape
    cdf = np.cumsum(rows, axis=1)
    cdf = cdf / cdf[:, -1:]
    offsets = np.arange(count)[:, None]
    uniforms = rng.random((count, num_samples))
    flat = np.searchsorted((cdf + offsets).ravel(), (uniforms + offsets).ravel(), side="right")
    chosen = flat.reshape(count, num_samples) - offsets * categories
    return np.minimum(chosen, categories - 1)  # round-off at the top of a row's CDF


def _without_replacement(rows: np.ndarray, num_samples: int,
                         rng: np.random.Generator) -> np.ndarray:
    with np.errstate(divide="ignore"):
        keys = rng.standard_exponential(rows.shape) / rows
    return np.argsort(keys, axis=1, kind="stable")[:, :num_samples]


# --------------------------------------------------------------------------- normal, poisson


def normal(mean: Any = 0.0, std: Any = 1.0, size: Any = None, *,
           generator: Generator | None = None, dtype: Any = None,
           requires_grad: bool = False) -> Tensor:
    """Normal samples, in PyTorch's four forms: ``normal(mean_tensor, std_tensor)``,
    ``normal(mean_tensor, std=1.0)``, ``normal(mean=0.0, std_tensor)`` (the tensors broadcast;
    the result takes the dtype of the mean tensor, else of std) and
    ``normal(mean_float, std_float, size)`` (default dtype, or ``dtype=``)."""
    tensors = [x for x in (mean, std) if isinstance(x, Tensor)]
    if not tensors:
        if size is None:
            raise TypeError("normal(): with a float mean and a float std, give the size too: "
                            "normal(mean, std, size)")
        return _normal_of_size(mean, std, size, generator, dtype, requires_grad)
    for x in tensors:
        _require_float("normal", "normal_kernel_cpu", x)
    mean_values = mean._data if isinstance(mean, Tensor) else mean
    std_values = std._data if isinstance(std, Tensor) else std
    _check_std(std_values, isinstance(std, Tensor))
    try:
        shape = np.broadcast_shapes(np.shape(mean_values), np.shape(std_values))
    except ValueError:
        raise RuntimeError(f"normal: the shapes of mean {np.shape(mean_values)} and std "
                           f"{np.shape(std_values)} cannot be broadcast together") from None
    values = mean_values + std_values * _rng(generator).standard_normal(shape)
    return Tensor._make(np.asarray(values).astype(tensors[0]._data.dtype))


def _check_std(std: Any, is_tensor: bool) -> None:
    with np.errstate(invalid="ignore"):
        negative = np.any(np.asarray(std) < 0)
    if negative and is_tensor:
        raise RuntimeError("normal expects all elements of std >= 0.0")
    if negative:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")


def _normal_of_size(mean: float, std: float, size: Any, generator: Generator | None,
                    dtype: Any, requires_grad: bool) -> Tensor:
    from microtensor.ops.shape import shape_arg

    _check_std(std, False)
    target = _dtypes.get_default_dtype() if dtype is None else _dtypes.resolve(dtype)
    values = _rng(generator).normal(mean, std, shape_arg((size,)))
    result = Tensor._make(values.astype(target))
    return result.requires_grad_(requires_grad) if requires_grad else result


def poisson(input: Tensor, generator: Generator | None = None) -> Tensor:
    """Poisson counts with rates ``input`` (floating point, non-negative), in its dtype."""
    input = _as_tensor(input, "poisson", "input")
    _require_float("poisson", "poisson_cpu", input)
    with np.errstate(invalid="ignore"):
        valid = (input._data >= 0).all()
    if not valid:
        raise RuntimeError("poisson: invalid Poisson rate, expected rate to be non-negative")
    return Tensor._make(_rng(generator).poisson(input._data).astype(input._data.dtype))


# --------------------------------------------------------------------------- in-place fillers


def _integer_bounds(self: Tensor, start: int, end: int | None) -> tuple[int, int]:
    """[start, end) of ``random_``; without ``end``, everything the dtype holds exactly
    (floats: the integers up to 2^mantissa, as PyTorch)."""
    dtype = self._data.dtype
    if end is None:
        if dtype.kind == "b":
            return start, 2
        if dtype.kind == "f":
            return start, 2 ** (np.finfo(dtype).nmant + 1) + 1
        return start, int(np.iinfo(dtype).max) + 1
    if start >= end:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={start} "
                           f">= to={end}")
    if dtype.kind in "iu" and not np.iinfo(dtype).min <= end - 1 <= np.iinfo(dtype).max:
        raise RuntimeError(f"random_: to - 1 is out of bounds for "
                           f"{_dtypes.torch_name(dtype)} (to={end})")
    return start, end


def random_(self: Tensor, from_: int | None = None, to: int | None = None, *,
            generator: Generator | None = None) -> Tensor:
    """Fills ``self`` with integers uniform in [from, to): ``random_(to)`` is [0, to),
    ``random_()`` the whole range the dtype represents exactly."""
    if to is None and from_ is not None:  # random_(to)
        from_, to = 0, from_
    from_ = 0 if from_ is None else from_
    low, high = _integer_bounds(self, from_, to)
    return _fill(self, "random_", _rng(generator).integers(low, high, self.shape))


def _require_float_fill(self: Tensor, name: str, distribution: str) -> None:
    if self._data.dtype.kind != "f":
        raise RuntimeError(f"{name}: {distribution} distribution is a continuous probability "
                           "distribution. dtype must be a floating point but you specified "
                           f"{_dtypes.legacy_name(self._data.dtype)}")


def exponential_(self: Tensor, lambd: float = 1.0, *,
                 generator: Generator | None = None) -> Tensor:
    """Fills ``self`` with Exp(lambd) samples (density lambd·e^(-lambd·x), x ≥ 0)."""
    _require_float_fill(self, "exponential_", "Exponential")
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
    return _fill(self, "exponential_", _rng(generator).exponential(1 / lambd, self.shape))


def geometric_(self: Tensor, p: float, *, generator: Generator | None = None) -> Tensor:
    """Fills ``self`` with the number of Bernoulli(p) trials up to the first success (1, 2, ...)."""
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p}")
    return _fill(self, "geometric_", _rng(generator).geometric(p, self.shape))


def log_normal_(self: Tensor, mean: float = 1.0, std: float = 2.0, *,
                generator: Generator | None = None) -> Tensor:
    """Fills ``self`` with exp(N(mean, std²)) samples."""
    _require_float_fill(self, "log_normal_", "LogNormal")
    if not std > 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std}")
    return _fill(self, "log_normal_", _rng(generator).lognormal(mean, std, self.shape))


def cauchy_(self: Tensor, median: float = 0.0, sigma: float = 1.0, *,
            generator: Generator | None = None) -> Tensor:
    """Fills ``self`` with Cauchy samples: median + sigma · tan(π (U - 1/2))."""
    _require_float_fill(self, "cauchy_", "Cauchy")
    if not sigma > 0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={sigma}")
    values = median + sigma * _rng(generator).standard_cauchy(self.shape)
    return _fill(self, "cauchy_", values)
