"""Tensor methods: matrix products and decompositions.

The ops are in ``ops/linalg.py`` and ``ops/decompositions.py``.
"""

from __future__ import annotations


class LinalgMethods:
    """The Tensor methods of this family."""

    __slots__ = ()
