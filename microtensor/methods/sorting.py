"""Tensor methods: sort, topk, kthvalue, unique, searchsorted.

The ops are in ``ops/sorting.py``.
"""

from __future__ import annotations


class SortingMethods:
    """The Tensor methods of this family."""

    __slots__ = ()
