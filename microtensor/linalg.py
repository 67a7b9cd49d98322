"""``mt.linalg``: the functions of ``torch.linalg``.

The products live in ``ops/linalg.py`` and the decompositions (with their backward formulas) in
``ops/decompositions.py``; this module only gathers them under PyTorch's names.
"""

from __future__ import annotations

from typing import Any

from microtensor.ops.decompositions import (
    LinAlgError,
    cholesky,
    cond,
    det,
    diagonal,
    eigh,
    eigvalsh,
    inv,
    lstsq,
    matrix_exp,
    matrix_norm,
    matrix_power,
    matrix_rank,
    norm,
    pinv,
    qr,
    slogdet,
    solve,
    solve_triangular,
    svd,
    svdvals,
    tensorinv,
    tensorsolve,
    vander,
    vector_norm,
)
from microtensor.ops.linalg import cross as _cross
from microtensor.ops.linalg import matmul, multi_dot, vecdot
from microtensor.tensor import Tensor

__all__ = [
    "LinAlgError", "cholesky", "cond", "cross", "det", "diagonal", "eigh", "eigvalsh", "inv",
    "lstsq", "matmul", "matrix_exp", "matrix_norm", "matrix_power", "matrix_rank", "multi_dot",
    "norm", "pinv", "qr", "slogdet", "solve", "solve_triangular", "svd", "svdvals", "tensorinv",
    "tensorsolve", "vander", "vecdot", "vector_norm",
]


def cross(input: Any, other: Any, *, dim: int = -1) -> Tensor:
    """The cross product of 3-vectors along ``dim`` (default the last; operands broadcast)."""
    return _cross(input, other, dim)
