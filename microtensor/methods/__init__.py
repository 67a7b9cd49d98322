"""The long tail of ``Tensor`` methods, one mixin class per family of ops.

``Tensor`` (``microtensor/tensor.py``) holds the core: construction, autograd state, Python's
operators and the most used methods. The families below add the rest of PyTorch's methods; each
method is a one-line call into the op that computes it (``x.cumsum(0)`` is
``ops.scans.cumsum(x, 0)``), so to read an op, follow the call into ``microtensor/ops``.
The mixins have no state (``__slots__ = ()``).
"""

from __future__ import annotations

from microtensor.methods.extras import ExtrasMethods
from microtensor.methods.linalg import LinalgMethods
from microtensor.methods.logical import LogicalMethods
from microtensor.methods.pointwise import PointwiseMethods
from microtensor.methods.rearrange import RearrangeMethods
from microtensor.methods.scans import ScanMethods
from microtensor.methods.selection import SelectionMethods
from microtensor.methods.sorting import SortingMethods

__all__ = [
    "ExtrasMethods",
    "LinalgMethods",
    "LogicalMethods",
    "PointwiseMethods",
    "RearrangeMethods",
    "ScanMethods",
    "SelectionMethods",
    "SortingMethods",
]
