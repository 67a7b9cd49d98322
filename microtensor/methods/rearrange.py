"""Tensor methods: flips, rolls, triangles, diagonals, splits and stacks.

The ops are in ``ops/rearrange.py`` and ``ops/shape.py``.
"""

from __future__ import annotations


class RearrangeMethods:
    """The Tensor methods of this family."""

    __slots__ = ()
