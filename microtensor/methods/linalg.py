"""Tensor methods: matrix products and decompositions.

The ops are in ``ops/linalg.py`` and ``ops/decompositions.py``. Each method is the function of
the same name with the tensor as its first argument (``a.mm(b)`` is ``mt.mm(a, b)``); the ``_``
forms (``addmm_``) write the result into the tensor.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from microtensor import ops

if TYPE_CHECKING:
    from microtensor.tensor import Tensor


class LinalgMethods:
    """The Tensor methods of this family."""

    __slots__ = ()

    # ------------------------------------------------------------------ products
    def mm(self, mat2: Any) -> Tensor:
        return ops.linalg.mm(self, mat2)

    def bmm(self, mat2: Any) -> Tensor:
        return ops.linalg.bmm(self, mat2)

    def mv(self, vec: Any) -> Tensor:
        return ops.linalg.mv(self, vec)

    def dot(self, other: Any) -> Tensor:
        return ops.linalg.dot(self, other)

    def vdot(self, other: Any) -> Tensor:
        return ops.linalg.vdot(self, other)

    def outer(self, vec2: Any) -> Tensor:
        return ops.linalg.outer(self, vec2)

    def ger(self, vec2: Any) -> Tensor:
        return ops.linalg.outer(self, vec2)

    def inner(self, other: Any) -> Tensor:
        return ops.linalg.inner(self, other)

    def kron(self, other: Any) -> Tensor:
        return ops.linalg.kron(self, other)

    def cross(self, other: Any, dim: int | None = None) -> Tensor:
        return ops.linalg.cross(self, other, dim)

    def trace(self) -> Tensor:
        return ops.linalg.trace(self)

    # ------------------------------------------------------------------ beta·self + alpha·product
    def addmm(self, mat1: Any, mat2: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        return ops.linalg.addmm(self, mat1, mat2, beta=beta, alpha=alpha)

    def addmv(self, mat: Any, vec: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        return ops.linalg.addmv(self, mat, vec, beta=beta, alpha=alpha)

    def addr(self, vec1: Any, vec2: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        return ops.linalg.addr(self, vec1, vec2, beta=beta, alpha=alpha)

    def addbmm(self, batch1: Any, batch2: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        return ops.linalg.addbmm(self, batch1, batch2, beta=beta, alpha=alpha)

    def baddbmm(self, batch1: Any, batch2: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        return ops.linalg.baddbmm(self, batch1, batch2, beta=beta, alpha=alpha)

    def addmm_(self, mat1: Any, mat2: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        return self._inplace(
            "addmm_", lambda t: ops.linalg.addmm(t, mat1, mat2, beta=beta, alpha=alpha))

    def addmv_(self, mat: Any, vec: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        return self._inplace(
            "addmv_", lambda t: ops.linalg.addmv(t, mat, vec, beta=beta, alpha=alpha))

    def addr_(self, vec1: Any, vec2: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        return self._inplace(
            "addr_", lambda t: ops.linalg.addr(t, vec1, vec2, beta=beta, alpha=alpha))

    def addbmm_(self, batch1: Any, batch2: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        return self._inplace(
            "addbmm_", lambda t: ops.linalg.addbmm(t, batch1, batch2, beta=beta, alpha=alpha))

    def baddbmm_(self, batch1: Any, batch2: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        return self._inplace(
            "baddbmm_", lambda t: ops.linalg.baddbmm(t, batch1, batch2, beta=beta, alpha=alpha))

    # ------------------------------------------------------------------ matrix functions
    def det(self) -> Tensor:
        return ops.decompositions.det(self)

    def logdet(self) -> Tensor:
        return ops.decompositions.logdet(self)

    def slogdet(self) -> Any:
        return ops.decompositions.slogdet(self)

    def inverse(self) -> Tensor:
        return ops.decompositions.inv(self)

    def pinverse(self, rcond: float = 1e-15) -> Tensor:
        return ops.decompositions.pinverse(self, rcond)

    def matrix_power(self, n: int) -> Tensor:
        return ops.decompositions.matrix_power(self, n)

    def cholesky(self, upper: bool = False) -> Tensor:
        return ops.decompositions.cholesky_legacy(self, upper)

    def qr(self, some: bool = True) -> Any:
        return ops.decompositions.qr_legacy(self, some)

    def svd(self, some: bool = True, compute_uv: bool = True) -> Any:
        return ops.decompositions.svd_legacy(self, some, compute_uv)

    def matrix_exp(self) -> Tensor:
        return ops.decompositions.matrix_exp(self)

    def cholesky_solve(self, input2: Any, upper: bool = False) -> Tensor:
        return ops.decompositions.cholesky_solve(self, input2, upper)

    def cholesky_inverse(self, upper: bool = False) -> Tensor:
        return ops.decompositions.cholesky_inverse(self, upper)
