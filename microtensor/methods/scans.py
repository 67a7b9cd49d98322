"""Tensor methods: cumulative scans and the reductions beyond sum/mean/max.

The ops are in ``ops/scans.py`` and ``ops/reduce.py``.
"""

from __future__ import annotations


class ScanMethods:
    """The Tensor methods of this family."""

    __slots__ = ()
