"""Tensor methods: random sampling (``bernoulli_``, ``random_``, ``exponential_`` ...) and the
statistics and everyday math of ``ops/statistics.py`` (``diff``, ``quantile``, ``addcmul`` ...).

Each method calls the function of the same name in ``ops/sampling.py`` or ``ops/statistics.py``
with the tensor as its first argument; the ``_`` forms write the result into the tensor.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from microtensor import ops

if TYPE_CHECKING:
    from microtensor.random import Generator
    from microtensor.tensor import Tensor


class ExtrasMethods:
    """The Tensor methods of this family."""

    __slots__ = ()

    # ------------------------------------------------------------------ random
    def bernoulli(self, p: float | None = None, *, generator: Generator | None = None) -> Tensor:
        return ops.sampling.bernoulli(self, p, generator=generator)

    def bernoulli_(self, p: Any = 0.5, *, generator: Generator | None = None) -> Tensor:
        return ops.sampling.bernoulli_(self, p, generator=generator)

    def multinomial(self, num_samples: int, replacement: bool = False, *,
                    generator: Generator | None = None) -> Tensor:
        return ops.sampling.multinomial(self, num_samples, replacement, generator=generator)

    def random_(self, from_: int | None = None, to: int | None = None, *,
                generator: Generator | None = None, **aliases: Any) -> Tensor:
        """Fill in place with integers uniform in
        [from, to): ``random_(to)`` is [0, to), ``random_()`` the range the dtype holds exactly."""
        from_ = aliases.pop("from", from_)
        return ops.sampling.random_(self, from_, to, generator=generator)

    def exponential_(self, lambd: float = 1.0, *, generator: Generator | None = None) -> Tensor:
        """Fill in place with Exp(lambd) samples
        (density lambd · e^(-lambd · x), x ≥ 0)."""
        return ops.sampling.exponential_(self, lambd, generator=generator)

    def geometric_(self, p: float, *, generator: Generator | None = None) -> Tensor:
        """Fill in place with the number of
        Bernoulli(p) trials up to the first success: P(k) = (1 - p)^(k - 1) · p, k = 1, 2, ..."""
        return ops.sampling.geometric_(self, p, generator=generator)

    def log_normal_(self, mean: float = 1.0, std: float = 2.0, *,
                    generator: Generator | None = None) -> Tensor:
        """Fill in place with exp(N(mean, std²))
        samples."""
        return ops.sampling.log_normal_(self, mean, std, generator=generator)

    def cauchy_(self, median: float = 0.0, sigma: float = 1.0, *,
                generator: Generator | None = None) -> Tensor:
        """Fill in place with Cauchy samples:
        median + sigma · tan(π (U - 1/2)), U uniform in [0, 1)."""
        return ops.sampling.cauchy_(self, median, sigma, generator=generator)

    # ------------------------------------------------------------------ statistics
    def diff(self, n: int = 1, dim: int = -1, prepend: Tensor | None = None,
             append: Tensor | None = None) -> Tensor:
        return ops.statistics.diff(self, n, dim, prepend, append)

    def cov(self, *, correction: int = 1, fweights: Tensor | None = None,
            aweights: Tensor | None = None) -> Tensor:
        return ops.statistics.cov(self, correction=correction, fweights=fweights,
                                  aweights=aweights)

    def corrcoef(self) -> Tensor:
        return ops.statistics.corrcoef(self)

    def histc(self, bins: int = 100, min: float = 0, max: float = 0) -> Tensor:
        return ops.statistics.histc(self, bins, min, max)

    def histogram(self, bins: Any = 100, *, range: Any = None, weight: Tensor | None = None,
                  density: bool = False) -> Any:
        return ops.statistics.histogram(self, bins, range=range, weight=weight,
                                        density=density)

    def bincount(self, weights: Tensor | None = None, minlength: int = 0) -> Tensor:
        return ops.statistics.bincount(self, weights, minlength)

    def quantile(self, q: Any, dim: int | None = None, keepdim: bool = False, *,
                 interpolation: str = "linear") -> Tensor:
        return ops.statistics.quantile(self, q, dim, keepdim, interpolation=interpolation)

    def nanquantile(self, q: Any, dim: int | None = None, keepdim: bool = False, *,
                    interpolation: str = "linear") -> Tensor:
        return ops.statistics.nanquantile(self, q, dim, keepdim, interpolation=interpolation)

    def dist(self, other: Tensor, p: float = 2) -> Tensor:
        return ops.statistics.dist(self, other, p)

    # ------------------------------------------------------------------ pointwise
    def addcmul(self, tensor1: Tensor, tensor2: Tensor, *, value: Any = 1) -> Tensor:
        return ops.statistics.addcmul(self, tensor1, tensor2, value=value)

    def addcmul_(self, tensor1: Tensor, tensor2: Tensor, *, value: Any = 1) -> Tensor:
        return self._inplace("addcmul_", lambda t: ops.statistics.addcmul(
            t, tensor1, tensor2, value=value), arithmetic=True)

    def addcdiv(self, tensor1: Tensor, tensor2: Tensor, *, value: Any = 1) -> Tensor:
        return ops.statistics.addcdiv(self, tensor1, tensor2, value=value)

    def addcdiv_(self, tensor1: Tensor, tensor2: Tensor, *, value: Any = 1) -> Tensor:
        return self._inplace("addcdiv_", lambda t: ops.statistics.addcdiv(
            t, tensor1, tensor2, value=value), arithmetic=True)

    def float_power(self, exponent: Any) -> Tensor:
        return ops.statistics.float_power(self, exponent)

    def float_power_(self, exponent: Any) -> Tensor:
        if self._data.dtype != np.float64:
            raise RuntimeError("the base given to float_power_ has dtype "
                               f"{_legacy(self)} but the operation's result requires dtype "
                               "Double; convert the tensor first (x = x.double())")
        return self._inplace("float_power_", lambda t: ops.statistics.float_power(t, exponent))

    def deg2rad(self) -> Tensor:
        return ops.statistics.deg2rad(self)

    def deg2rad_(self) -> Tensor:
        return self._inplace("deg2rad_", ops.statistics.deg2rad, arithmetic=True)

    def rad2deg(self) -> Tensor:
        return ops.statistics.rad2deg(self)

    def rad2deg_(self) -> Tensor:
        return self._inplace("rad2deg_", ops.statistics.rad2deg, arithmetic=True)

    def sinc(self) -> Tensor:
        return ops.statistics.sinc(self)

    def sinc_(self) -> Tensor:
        return self._inplace("sinc_", ops.statistics.sinc, arithmetic=True)

    def gcd(self, other: Tensor) -> Tensor:
        return ops.statistics.gcd(self, other)

    def gcd_(self, other: Tensor) -> Tensor:
        return self._inplace("gcd_", lambda t: ops.statistics.gcd(t, other), arithmetic=True)

    def lcm(self, other: Tensor) -> Tensor:
        return ops.statistics.lcm(self, other)

    def lcm_(self, other: Tensor) -> Tensor:
        return self._inplace("lcm_", lambda t: ops.statistics.lcm(t, other), arithmetic=True)

    def ldexp(self, other: Tensor) -> Tensor:
        return ops.statistics.ldexp(self, other)

    def ldexp_(self, other: Tensor) -> Tensor:
        return self._inplace("ldexp_", lambda t: ops.statistics.ldexp(t, other), arithmetic=True)

    def frexp(self) -> Any:
        return ops.statistics.frexp(self)

    def nextafter(self, other: Tensor) -> Tensor:
        return ops.statistics.nextafter(self, other)

    def nextafter_(self, other: Tensor) -> Tensor:
        return self._inplace("nextafter_", lambda t: ops.statistics.nextafter(t, other),
                             arithmetic=True)

    def renorm(self, p: float, dim: int, maxnorm: float) -> Tensor:
        return ops.statistics.renorm(self, p, dim, maxnorm)

    def renorm_(self, p: float, dim: int, maxnorm: float) -> Tensor:
        return self._inplace("renorm_", lambda t: ops.statistics.renorm(t, p, dim, maxnorm))

    def positive(self) -> Tensor:
        return ops.statistics.positive(self)

    def lgamma(self) -> Tensor:
        return ops.statistics.lgamma(self)

    def lgamma_(self) -> Tensor:
        return self._inplace("lgamma_", ops.statistics.lgamma, arithmetic=True)

    def digamma(self) -> Tensor:
        return ops.statistics.digamma(self)

    def digamma_(self) -> Tensor:
        return self._inplace("digamma_", ops.statistics.digamma, arithmetic=True)

    def polygamma(self, n: int) -> Tensor:
        return ops.statistics.polygamma(n, self)

    def polygamma_(self, n: int) -> Tensor:
        return self._inplace("polygamma_", lambda t: ops.statistics.polygamma(n, t),
                             arithmetic=True)

    def mvlgamma(self, p: int) -> Tensor:
        return ops.statistics.mvlgamma(self, p)

    def mvlgamma_(self, p: int) -> Tensor:
        return self._inplace("mvlgamma_", lambda t: ops.statistics.mvlgamma(t, p),
                             arithmetic=True)

    # ------------------------------------------------------------------ select and scatter
    def select(self, dim: int, index: int) -> Tensor:
        return ops.statistics.select(self, dim, index)

    def select_scatter(self, src: Tensor, dim: int, index: int) -> Tensor:
        return ops.statistics.select_scatter(self, src, dim, index)

    def slice_scatter(self, src: Tensor, dim: int = 0, start: int | None = None,
                      end: int | None = None, step: int = 1) -> Tensor:
        return ops.statistics.slice_scatter(self, src, dim, start, end, step)

    def diagonal_scatter(self, src: Tensor, offset: int = 0, dim1: int = 0,
                         dim2: int = 1) -> Tensor:
        return ops.statistics.diagonal_scatter(self, src, offset, dim1, dim2)

    def narrow_copy(self, dim: int, start: int, length: int) -> Tensor:
        return ops.statistics.narrow_copy(self, dim, start, length)

    def split_with_sizes(self, split_sizes: Any, dim: int = 0) -> tuple[Tensor, ...]:
        return ops.statistics.split_with_sizes(self, split_sizes, dim)

    def sum_to_size(self, *size: Any) -> Tensor:
        """Sum down to ``size``, which must
        broadcast to this tensor's shape (the reverse of ``expand``).  dL/dx = g expanded back."""
        return ops.statistics.sum_to_size(self, *size)

    def ravel(self) -> Tensor:
        return ops.statistics.ravel(self)

    # ------------------------------------------------------------------ memory layout
    def stride(self, dim: int | None = None) -> Any:
        """Steps between neighbours along each dim, in elements (NumPy's byte strides / the
        item size)."""
        steps = tuple(s // self._data.itemsize for s in self._data.strides)
        if dim is None:
            return steps
        return steps[ops.shape.normalize_dim(dim, max(self.ndim, 1), "stride")]

    def storage_offset(self) -> int:
        """Where this tensor's first element sits in the memory it shares with its base, in
        elements."""
        root = self._data
        while isinstance(root.base, np.ndarray):
            root = root.base
        start = self._data.__array_interface__["data"][0]
        return (start - root.__array_interface__["data"][0]) // self._data.itemsize

    def new(self, *args: Any) -> Tensor:
        """The legacy constructor: ``x.new(2, 3)`` (uninitialised, x's dtype), ``x.new(data)``
        (a tensor of x's dtype) or ``x.new()`` (empty)."""
        from microtensor.tensor import Tensor

        if len(args) == 1 and not isinstance(args[0], int) and not _is_size(args[0]):
            data = args[0]._data if isinstance(args[0], Tensor) else args[0]
            return Tensor._make(np.array(data, dtype=self._data.dtype))
        shape = ops.shape.shape_arg(args) if args else (0,)
        return Tensor._make(np.zeros(shape, dtype=self._data.dtype))


def _is_size(value: Any) -> bool:
    from microtensor.tensor import Size

    return isinstance(value, Size)


def _legacy(t: Any) -> str:
    from microtensor import _dtypes

    return _dtypes.legacy_name(t._data.dtype)
