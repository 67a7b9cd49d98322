"""Tensor methods: gather, scatter, index_*, masked_*, take, nonzero.

The ops are in ``ops/selection.py``.
"""

from __future__ import annotations


class SelectionMethods:
    """The Tensor methods of this family."""

    __slots__ = ()
