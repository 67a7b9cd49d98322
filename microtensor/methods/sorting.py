"""Tensor methods: sort, topk, kthvalue, unique, searchsorted.

The ops are in ``ops/sorting.py``; each method is a one-line call into it.
"""

from __future__ import annotations

from typing import Any

from microtensor import ops


class SortingMethods:
    """The Tensor methods of this family."""

    __slots__ = ()

    def sort(self, dim: int = -1, descending: bool = False, stable: bool = False,
             **keywords: Any) -> Any:
        return ops.sorting.sort(self, dim, descending, stable, **keywords)

    def argsort(self, dim: int = -1, descending: bool = False, stable: bool = False) -> Any:
        return ops.sorting.argsort(self, dim, descending, stable)

    def msort(self) -> Any:
        return ops.sorting.msort(self)

    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:
        return ops.sorting.topk(self, k, dim, largest, sorted)

    def kthvalue(self, k: int, dim: int = -1, keepdim: bool = False) -> Any:
        return ops.sorting.kthvalue(self, k, dim, keepdim)

    def unique(self, sorted: bool = True, return_inverse: bool = False,
               return_counts: bool = False, dim: int | None = None) -> Any:
        return ops.sorting.unique(self, sorted, return_inverse, return_counts, dim)

    def unique_consecutive(self, return_inverse: bool = False, return_counts: bool = False,
                           dim: int | None = None) -> Any:
        return ops.sorting.unique_consecutive(self, return_inverse, return_counts, dim)
