"""Tensor methods: comparisons, predicates (isnan, ...), logical and bitwise operations.

The ops are in ``ops/logical.py``.
"""

from __future__ import annotations


class LogicalMethods:
    """The Tensor methods of this family."""

    __slots__ = ()
