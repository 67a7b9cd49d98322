"""``mt.special``: PyTorch's ``torch.special`` names for functions that live elsewhere.

Each name is the same function as its ``mt.*`` twin (the ops are in ``ops/pointwise.py``,
``ops/special.py`` and ``ops/elementwise.py``); ``expit`` is the sigmoid.
"""

from __future__ import annotations

from microtensor.ops.elementwise import sigmoid as expit
from microtensor.ops.pointwise import erfc, erfinv, exp2, expm1, log1p, logit, xlogy
from microtensor.ops.special import erf

__all__ = ["erf", "erfc", "erfinv", "exp2", "expit", "expm1", "log1p", "logit", "xlogy"]
