"""Tensor methods: trigonometric, hyperbolic, exp/log variants, rounding and other pointwise math.

The ops are in ``ops/pointwise.py``.
"""

from __future__ import annotations


class PointwiseMethods:
    """The Tensor methods of this family."""

    __slots__ = ()
