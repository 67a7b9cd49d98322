"""Tensor methods: cumulative scans and the reductions (sum, mean, max, var, median, ...).

The ops are in ``ops/scans.py`` and ``ops/reduce.py``. Each method is the function of the same
name with the tensor as its first argument (``x.cumsum(0)`` is ``mt.cumsum(x, 0)``); PyTorch's
``axis=``/``keepdims=`` spellings pass through to it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from microtensor import ops

if TYPE_CHECKING:
    from microtensor.tensor import Tensor


class ScanMethods:
    """The Tensor methods of this family."""

    __slots__ = ()

    # ------------------------------------------------------------------ sums and means
    def sum(self, dim: Any = None, keepdim: bool = False, *, dtype: Any = None,
            **aliases: Any) -> Tensor:
        return ops.reduce.sum(self, dim, keepdim, dtype=dtype, **aliases)

    def mean(self, dim: Any = None, keepdim: bool = False, *, dtype: Any = None,
             **aliases: Any) -> Tensor:
        return ops.reduce.mean(self, dim, keepdim, dtype=dtype, **aliases)

    def nansum(self, dim: Any = None, keepdim: bool = False, *, dtype: Any = None,
               **aliases: Any) -> Tensor:
        return ops.reduce.nansum(self, dim, keepdim, dtype=dtype, **aliases)

    def nanmean(self, dim: Any = None, keepdim: bool = False, *, dtype: Any = None,
                **aliases: Any) -> Tensor:
        return ops.reduce.nanmean(self, dim, keepdim, dtype=dtype, **aliases)

    def prod(self, dim: int | None = None, keepdim: bool = False, *, dtype: Any = None,
             **aliases: Any) -> Tensor:
        return ops.reduce.prod(self, dim, keepdim, dtype=dtype, **aliases)

    def logsumexp(self, dim: Any = None, keepdim: bool = False, **aliases: Any) -> Tensor:
        return ops.reduce.logsumexp(self, dim, keepdim, **aliases)

    def count_nonzero(self, dim: Any = None, **aliases: Any) -> Tensor:
        return ops.reduce.count_nonzero(self, dim, **aliases)

    # ------------------------------------------------------------------ extremes
    def max(self, dim: Any = None, keepdim: bool = False, **aliases: Any) -> Any:
        return ops.reduce.max(self, dim, keepdim, **aliases)

    def min(self, dim: Any = None, keepdim: bool = False, **aliases: Any) -> Any:
        return ops.reduce.min(self, dim, keepdim, **aliases)

    def amax(self, dim: Any = (), keepdim: bool = False, **aliases: Any) -> Tensor:
        return ops.reduce.amax(self, dim, keepdim, **aliases)

    def amin(self, dim: Any = (), keepdim: bool = False, **aliases: Any) -> Tensor:
        return ops.reduce.amin(self, dim, keepdim, **aliases)

    def aminmax(self, *, dim: int | None = None, keepdim: bool = False, **aliases: Any) -> Any:
        return ops.reduce.aminmax(self, dim=dim, keepdim=keepdim, **aliases)

    def argmax(self, dim: int | None = None, keepdim: bool = False, **aliases: Any) -> Tensor:
        return ops.reduce.argmax(self, dim, keepdim, **aliases)

    def argmin(self, dim: int | None = None, keepdim: bool = False, **aliases: Any) -> Tensor:
        return ops.reduce.argmin(self, dim, keepdim, **aliases)

    # ------------------------------------------------------------------ order statistics
    def median(self, dim: Any = None, keepdim: bool = False, **aliases: Any) -> Any:
        return ops.reduce.median(self, dim, keepdim, **aliases)

    def nanmedian(self, dim: Any = None, keepdim: bool = False, **aliases: Any) -> Any:
        return ops.reduce.nanmedian(self, dim, keepdim, **aliases)

    def mode(self, dim: int = -1, keepdim: bool = False, **aliases: Any) -> Any:
        return ops.reduce.mode(self, dim, keepdim, **aliases)

    # ------------------------------------------------------------------ spread
    def var(self, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *,
            correction: int | None = None, **aliases: Any) -> Tensor:
        return ops.reduce.var(self, dim, unbiased, keepdim, correction=correction, **aliases)

    def std(self, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *,
            correction: int | None = None, **aliases: Any) -> Tensor:
        return ops.reduce.std(self, dim, unbiased, keepdim, correction=correction, **aliases)

    # ------------------------------------------------------------------ logical
    def any(self, dim: Any = None, keepdim: bool = False, **aliases: Any) -> Tensor:
        return ops.reduce.any(self, dim, keepdim, **aliases)

    def all(self, dim: Any = None, keepdim: bool = False, **aliases: Any) -> Tensor:
        return ops.reduce.all(self, dim, keepdim, **aliases)

    # ------------------------------------------------------------------ scans
    def cumsum(self, dim: int | None = None, *, dtype: Any = None, **aliases: Any) -> Tensor:
        return ops.scans.cumsum(self, dim, dtype=dtype, **aliases)

    def cumsum_(self, dim: int | None = None, *, dtype: Any = None, **aliases: Any) -> Tensor:
        """In-place cumsum: the result is written back in this tensor's dtype."""
        return self._inplace("cumsum_", lambda t: ops.scans.cumsum(t, dim, dtype=dtype,
                                                                  **aliases))

    def cumprod(self, dim: int | None = None, *, dtype: Any = None, **aliases: Any) -> Tensor:
        return ops.scans.cumprod(self, dim, dtype=dtype, **aliases)

    def cumprod_(self, dim: int | None = None, *, dtype: Any = None, **aliases: Any) -> Tensor:
        """In-place cumprod: the result is written back in this tensor's dtype."""
        return self._inplace("cumprod_", lambda t: ops.scans.cumprod(t, dim, dtype=dtype,
                                                                    **aliases))

    def cummax(self, dim: int | None = None, **aliases: Any) -> Any:
        return ops.scans.cummax(self, dim, **aliases)

    def cummin(self, dim: int | None = None, **aliases: Any) -> Any:
        return ops.scans.cummin(self, dim, **aliases)

    def logcumsumexp(self, dim: int | None = None, **aliases: Any) -> Tensor:
        return ops.scans.logcumsumexp(self, dim, **aliases)
