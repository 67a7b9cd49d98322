"""Matrix functions and decompositions of ``mt.linalg``: det, slogdet, inv, solve, cholesky, qr,
svd, eigh, pinv, and what is built from them (lstsq, matrix_rank, matrix_power, norms).

Every function takes a batch of matrices, shape (*, m, n); the leading dims are batch dims.
The backward formulas are the standard results of matrix calculus, written for real matrices
with Xᵀ the transpose of the last two dims and ∘ the elementwise product. Each is written with
operators, ``swapaxes`` and the differentiable functions of this module (``_inv``, ``_solve``,
``_tril``, ``_diag_embed``), which run on arrays and on Tensors: so every op here supports
double backward.

Decompositions with several results (qr, svd, eigh) are one op whose output is the results
flattened side by side in one array (``_pack``); the public function slices them out again. The
gradient that reaches the op is then the gradients of all results, side by side (zeros for a
result the loss does not use), and in a recorded backward the saved output gives all results as
graph tensors.

Decompositions are unique only up to signs (the columns of U and V of an SVD, the eigenvectors
of eigh): a loss must not depend on that choice (it may use U·diag(S)·Vh, |U|, projections
U Uᵀ, ...) for its gradient to be defined; that is also what the golden cases compare.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import numpy as np

from microtensor import ops
from microtensor.autograd.function import Op
from microtensor.ops import array_or_tensor as either
from microtensor.tensor import Tensor


class LinAlgError(RuntimeError):
    """A matrix the algorithm cannot handle: singular for inv/solve, not positive-definite for
    cholesky (``torch.linalg.LinAlgError``, also a RuntimeError)."""


class return_types:  # (lower case: PyTorch's torch.return_types)
    """The named tuples of the functions with several results."""

    slogdet = namedtuple("slogdet", ["sign", "logabsdet"])
    qr = namedtuple("qr", ["Q", "R"])
    svd = namedtuple("svd", ["U", "S", "Vh"])
    svd_legacy = namedtuple("svd", ["U", "S", "V"])
    eigh = namedtuple("eigh", ["eigenvalues", "eigenvectors"])
    lstsq = namedtuple("lstsq", ["solution", "residuals", "rank", "singular_values"])


# --------------------------------------------------------------------------- checks
def _matrices(A: Any, op: str, square: bool = True) -> Tensor:
    """A as a floating Tensor of (batches of) matrices, with PyTorch's errors otherwise."""
    A = A if isinstance(A, Tensor) else Tensor._make(np.asarray(A))
    if A.ndim < 2:
        raise RuntimeError(f"{op}: The input tensor A must have at least 2 dimensions.")
    if A.dtype.name not in ("float16", "float32", "float64"):
        raise RuntimeError(
            f"{op}: Expected a floating point or complex tensor as input. Got {A.dtype.name} "
            "(convert it, e.g. A.double())")
    if A.dtype.name == "float16":  # LAPACK has no half precision
        if op == "linalg.inv":
            raise RuntimeError("linalg.inv: Low precision dtypes not supported. Got Half; "
                               "convert A to float32 first")
        raise NotImplementedError(
            f"{op}: not implemented for 'Half' (float16); convert A to float32 first")
    if square and A.shape[-1] != A.shape[-2]:
        raise RuntimeError(
            f"{op}: A must be batches of square matrices, but they are {A.shape[-2]} by "
            f"{A.shape[-1]} matrices")
    return A


def _batch_element(mask: np.ndarray) -> str:
    """'(Batch element k): ' for the first True of a batch mask, '' for a single matrix."""
    if mask.ndim == 0:
        return ""
    return f"(Batch element {int(np.argmax(mask.reshape(-1)))}): "


# --------------------------------------------------------------------------- array-or-Tensor
def _t(x: Any) -> Any:
    """Xᵀ: the transpose of the last two dims (of every matrix of a batch)."""
    return x.swapaxes(-1, -2)


def _inv(a: Any) -> Any:
    return InvOp.apply(a) if isinstance(a, Tensor) else np.linalg.inv(a)


def _solve(a: Any, b: Any) -> Any:
    """A⁻¹B for a matrix (batch) B. In a backward formula A may be exactly singular (the R of
    a rank-deficient QR): then adj(A)·B / det(A), whose infinities and nans stand where
    PyTorch's LU-based solve gives them."""
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        return SolveOp.apply(a, b)
    try:
        return np.linalg.solve(a, b)
    except np.linalg.LinAlgError:
        with np.errstate(all="ignore"):
            return (_t(_adjugate_t(a)) @ b) / np.linalg.det(a)[..., None, None]


def _tril(x: Any, diagonal: int = 0) -> Any:
    """The lower triangle (entries on and below ``diagonal``), zeros above."""
    lower = np.tri(x.shape[-2], x.shape[-1], diagonal, dtype=bool)
    return either.keep(x, np.broadcast_to(lower, x.shape))


def _diag_embed(v: Any) -> Any:
    """(*, k) -> (*, k, k) with v on the diagonal."""
    k = v.shape[-1]
    eye = np.eye(k, dtype=bool)
    spread = either.broadcast_to(v.reshape(v.shape + (1,)), v.shape + (k,))
    return either.keep(_t(spread), np.broadcast_to(eye, v.shape + (k,)))


def _off_diagonal_reciprocal(d: Any) -> Any:
    """F with F_ij = 1/d_ij off the diagonal and 0 on it (where d_ii = 0 would divide by 0)."""
    eye = np.broadcast_to(np.eye(d.shape[-1], dtype=bool), d.shape)
    with np.errstate(divide="ignore", invalid="ignore"):  # inf where values repeat, as PyTorch
        return either.keep(1 / either.masked_fill(d, eye, 1.0), ~eye)


def _is_zero_constant(g: Any) -> bool:
    """True when g is zeros that depend on nothing: a result the loss did not use."""
    if isinstance(g, Tensor) and g.requires_grad:
        return False
    return not np.any(either.data(g))


def _converged(decompose: Any, op: str, a: np.ndarray, **options: Any) -> Any:
    """np.linalg.svd / eigh, with LAPACK's failure (NaN or inf entries) raised as PyTorch's
    LinAlgError instead of NumPy's (a ValueError)."""
    try:
        with np.errstate(all="ignore"):
            return decompose(a, **options)
    except np.linalg.LinAlgError:
        raise LinAlgError(
            f"{op}: The algorithm failed to converge because the input matrix contained "
            "non-finite values (nan or inf).") from None


# --------------------------------------------------------------------------- several results
def _pack(*arrays: np.ndarray, batch: tuple[int, ...]) -> np.ndarray:
    """The arrays (each batch + its own dims) flattened side by side along one last axis."""
    flat = [a.reshape(batch + (int(np.prod(a.shape[len(batch):])),)) for a in arrays]
    return np.concatenate(flat, axis=-1)


def _unpack(packed: Any, batch: tuple[int, ...], shapes: tuple[tuple[int, ...], ...]) -> list:
    """The arrays (or Tensors) that ``_pack`` put side by side."""
    parts, start = [], 0
    for shape in shapes:
        size = int(np.prod(shape))
        parts.append(packed[..., start:start + size].reshape(batch + shape))
        start += size
    return parts


# --------------------------------------------------------------------------- inverse
class InvOp(Op):
    """Z = A⁻¹.  dL/dA = −Zᵀ G Zᵀ   (from dZ = −Z dA Z)."""

    @staticmethod
    def forward(ctx, a):
        inverse = _checked_inverse(a)
        ctx.save_for_backward(inverse)
        return inverse

    @staticmethod
    def backward(ctx, grad):
        (inverse,) = ctx.saved_tensors
        inverse_t = _t(inverse)
        return (-(inverse_t @ grad @ inverse_t),)


def _checked_inverse(a: np.ndarray) -> np.ndarray:
    try:
        with np.errstate(all="ignore"):
            return np.linalg.inv(a)
    except np.linalg.LinAlgError:
        with np.errstate(all="ignore"):
            singular = np.linalg.det(a) == 0
        raise LinAlgError(
            f"linalg.inv: {_batch_element(singular)}the inversion could not be completed "
            "because the input matrix is singular (its LU factorization has a zero pivot). "
            "Use linalg.pinv for the pseudo-inverse, or linalg.lstsq/solve.") from None


def inv(A: Any) -> Tensor:
    """The inverse of a square matrix (batch); raises ``LinAlgError`` for a singular one."""
    return InvOp.apply(_matrices(A, "linalg.inv"))


# --------------------------------------------------------------------------- solve
class SolveOp(Op):
    """X = A⁻¹B (solves AX = B).  dL/dB = A⁻ᵀG,  dL/dA = −(dL/dB) Xᵀ
    (from dX = A⁻¹(dB − dA X)). Batch dims broadcast; the engine sums the gradients back."""

    @staticmethod
    def forward(ctx, a, b):
        try:
            with np.errstate(all="ignore"):
                x = np.linalg.solve(a, b)
        except np.linalg.LinAlgError:
            raise LinAlgError(
                "torch.linalg.solve: The solver failed because the input matrix is singular. "
                "Use linalg.lstsq for a least-squares solution.") from None
        ctx.save_for_backward(a, x)
        return x

    @staticmethod
    def backward(ctx, grad):
        a, x = ctx.saved_tensors
        grad_b = _solve(_t(a), grad)
        grad_a = -(grad_b @ _t(x)) if ctx.needs_input_grad[0] else None
        return grad_a, grad_b


def solve(A: Any, B: Any, *, left: bool = True) -> Tensor:
    """X with AX = B (``left=False``: XA = B). B is a batch of vectors (*, n) when it is 1-D or
    has A's shape without its last dim; otherwise a batch of matrices (*, n, k). Batch dims
    broadcast."""
    A = _matrices(A, "linalg.solve")
    B = B if isinstance(B, Tensor) else Tensor._make(np.asarray(B))
    if A.dtype != B.dtype:
        raise RuntimeError(
            f"linalg.solve: Expected A and B to have the same dtype, but found A of type "
            f"{A.dtype} and B of type {B.dtype} instead")
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
    if vector:
        B = B.unsqueeze(-1)
    inner = B.shape[-2] if left else B.shape[-1]
    if inner != A.shape[-1]:
        raise RuntimeError(
            f"linalg.solve: Incompatible shapes of A and B for the equation "
            f"{'AX = B' if left else 'XA = B'} ({A.shape[-2]}x{A.shape[-1]} and "
            f"{B.shape[-2]}x{B.shape[-1]})")
    if not left:  # XA = B  <=>  Aᵀ Xᵀ = Bᵀ
        return _t(SolveOp.apply(_t(A), _t(B)))
    X = SolveOp.apply(A, B)
    return X.squeeze(-1) if vector else X


# --------------------------------------------------------------------------- determinants
class DetOp(Op):
    """d = det(A).  dL/dA = g·d·A⁻ᵀ (Jacobi's formula: d det = det·tr(A⁻¹ dA)).

    For a singular A (d = 0, where A⁻¹ does not exist) the same derivative, the adjugate
    transposed, is computed from the SVD A = U S Vᵀ, as in PyTorch:
    dL/dA = g·det(U)det(V)·U diag(∏_{j≠i} s_j) Vᵀ (zero when the rank is below n − 1).
    """

    @staticmethod
    def forward(ctx, a):
        with np.errstate(all="ignore"):
            d = np.linalg.det(a)
        ctx.save_for_backward(a, d)
        return d

    @staticmethod
    def backward(ctx, grad):
        a, d = ctx.saved_tensors
        scale = (grad * d).reshape(grad.shape + (1, 1))
        if np.all(either.data(d) != 0):
            return (scale * _t(_inv(a)),)
        return (_adjugate_t(a) * grad.reshape(grad.shape + (1, 1)),)


def _adjugate_t(a: Any) -> Any:
    """adj(A)ᵀ = det(U)det(V)·U diag(∏_{j≠i} s_j) Vᵀ, defined also for singular A."""
    if isinstance(a, Tensor):
        u, s, vh = svd(a)
    else:
        u, s, vh = np.linalg.svd(a)
    signs = np.linalg.det(either.data(u)) * np.linalg.det(either.data(vh))
    k = s.shape[-1]
    eye = np.broadcast_to(np.eye(k, dtype=bool), s.shape + (k,))
    others = either.masked_fill(either.broadcast_to(s.reshape(s.shape + (1,)), s.shape + (k,)),
                                eye, 1.0)
    products = others.prod(-2) if isinstance(others, Tensor) else others.prod(axis=-2)
    return (u * products.reshape(s.shape[:-1] + (1, k))) @ vh * signs.reshape(
        signs.shape + (1, 1))


def det(A: Any) -> Tensor:
    """The determinant of a square matrix (batch)."""
    return DetOp.apply(_matrices(A, "linalg.det"))


class LogAbsDetOp(Op):
    """l = log|det A|.  dL/dA = g·A⁻ᵀ (d log|det A| = tr(A⁻¹ dA)). ``value`` is l, computed
    with the sign by ``slogdet``."""

    @staticmethod
    def forward(ctx, a, *, value):
        ctx.save_for_backward(a)
        return value

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        grad = grad.reshape(grad.shape + (1, 1))
        with np.errstate(all="ignore"):
            d = np.linalg.det(either.data(a))
        if np.all(d != 0):
            return (grad * _t(_inv(a)),)
        # singular: A⁻ᵀ = adj(A)ᵀ/det(A) is infinite (as in PyTorch; log|det| is −inf there)
        with np.errstate(all="ignore"):
            return (grad * _adjugate_t(a) / d[..., None, None],)


def slogdet(A: Any) -> Any:
    """(sign, logabsdet) with det(A) = sign·exp(logabsdet), without overflow; sign is 0 and
    logabsdet −inf for a singular matrix. Only logabsdet has a gradient."""
    A = _matrices(A, "linalg.slogdet")
    with np.errstate(all="ignore"):
        sign, value = np.linalg.slogdet(A._data)
    sign = np.where(np.isnan(value), 0, sign)  # as PyTorch: the sign of a nan determinant is 0
    logabsdet = LogAbsDetOp.apply(A, value=np.asarray(value, dtype=A.dtype))
    sign = DetSignOp.apply(A, value=np.asarray(sign, dtype=A.dtype))
    return return_types.slogdet(sign, logabsdet)


class DetSignOp(Op):
    """s = sign(det A) (±1, or 0 for a singular A): piecewise constant, so dL/dA = 0. It is an
    op (not a constant) because in PyTorch the sign is part of the graph: it requires grad,
    with gradient 0."""

    @staticmethod
    def forward(ctx, a, *, value):
        ctx.save_for_backward(a)
        return value

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return (either.zeros_like(a),)


def logdet(A: Any) -> Tensor:
    """log det(A): nan where det(A) < 0, −inf where it is 0 (as PyTorch)."""
    sign, logabsdet = slogdet(_matrices(A, "logdet"))
    negative = sign._data < 0
    if not negative.any():
        return logabsdet
    return ops.elementwise.where(negative, float("nan"), logabsdet)


# --------------------------------------------------------------------------- cholesky
class CholeskyOp(Op):
    """L = cholesky(A), A = L Lᵀ with L lower triangular (A symmetric positive-definite).

    dL/dA = ½ L⁻ᵀ (P + P_{strict lower}ᵀ) L⁻¹ with P = tril(Lᵀ Ḡ)   (Ḡ = dL/dL; Murray 2016,
    "Differentiation of the Cholesky decomposition"): the symmetric gradient, as PyTorch's.
    """

    @staticmethod
    def forward(ctx, a):
        try:
            lower = np.linalg.cholesky(a)
        except np.linalg.LinAlgError:
            raise _not_positive_definite(a) from None
        ctx.save_for_backward(lower)
        return lower

    @staticmethod
    def backward(ctx, grad):
        (lower,) = ctx.saved_tensors
        p = _tril(_t(lower) @ grad)
        symmetric = (p + _t(_tril(p, -1))) * 0.5
        return (_cholesky_sandwich(lower, symmetric),)


def _cholesky_sandwich(lower: Any, s: Any) -> Any:
    """L⁻ᵀ S L⁻¹, as two solves with Lᵀ: Y = L⁻ᵀS, then (L⁻ᵀYᵀ)ᵀ = Y L⁻¹."""
    y = _solve(_t(lower), s)
    return _t(_solve(_t(lower), _t(y)))


def _not_positive_definite(a: np.ndarray) -> LinAlgError:
    batch = a.reshape((-1,) + a.shape[-2:]) if a.size else a.reshape((0,) + a.shape[-2:])
    for k, matrix in enumerate(batch):
        for order in range(1, matrix.shape[-1] + 1):
            try:
                np.linalg.cholesky(matrix[:order, :order])
            except np.linalg.LinAlgError:
                where = f"(Batch element {k}): " if a.ndim > 2 else ""
                return LinAlgError(
                    f"linalg.cholesky: {where}The factorization could not be completed because "
                    f"the input is not positive-definite (the leading minor of order {order} is "
                    "not positive-definite).")
    return LinAlgError("linalg.cholesky: the input is not positive-definite.")


def cholesky(A: Any, *, upper: bool = False) -> Tensor:
    """L with A = L Lᵀ (``upper=True``: U = Lᵀ with A = Uᵀ U). Only the lower triangle of A is
    read; raises ``LinAlgError`` if A is not positive-definite."""
    lower = CholeskyOp.apply(_matrices(A, "linalg.cholesky"))
    return _t(lower) if upper else lower


def cholesky_legacy(input: Any, upper: bool = False) -> Tensor:
    """``torch.cholesky`` (deprecated in PyTorch): ``linalg.cholesky`` with a positional upper."""
    return cholesky(input, upper=upper)


# --------------------------------------------------------------------------- qr
def _row(v: Any) -> Any:
    """(*, k) -> (*, 1, k): scales the columns of a matrix when multiplied."""
    return v.reshape(v.shape[:-1] + (1, v.shape[-1]))


def _column(v: Any) -> Any:
    """(*, k) -> (*, k, 1): scales the rows of a matrix when multiplied."""
    return v.reshape(v.shape + (1,))


class QrOp(Op):
    """A = QR (Q with orthonormal columns, R upper triangular); the output is Q and R packed.

    For m ≥ n (Liao et al. 2019, "Differentiable programming tensor networks", eq. 9; Walter
    and Lehmann 2018): with M = R Ḡ_Rᵀ − Ḡ_Qᵀ Q and copyltu(M) = tril(M) + tril(M, −1)ᵀ,
        dL/dA = (Ḡ_Q + Q copyltu(M)) R⁻ᵀ.
    For m < n, A = [X | Y] with X square, R = [U | V]: dL/dY = Q Ḡ_V and dL/dX is the square
    formula with Ḡ_Q replaced by Ḡ_Q + Y Ḡ_Vᵀ. Not defined when mode='r' (no Q) or
    mode='complete' with m > n (the extra columns of Q are not determined by A), where it raises
    as PyTorch. Needs R invertible (A of full rank).
    """

    @staticmethod
    def forward(ctx, a, *, mode):
        q, r = np.linalg.qr(a, mode="complete" if mode == "complete" else "reduced")
        if mode == "r":
            q = q[..., :0]
        ctx.mode, ctx.batch, ctx.shapes = mode, a.shape[:-2], (q.shape[-2:], r.shape[-2:])
        packed = _pack(q, r, batch=ctx.batch)
        ctx.save_for_backward(a, packed)
        return packed

    @staticmethod
    def backward(ctx, grad):
        a, packed = ctx.saved_tensors
        m, n = a.shape[-2:]
        if ctx.mode == "r":
            raise RuntimeError(
                "The derivative of linalg.qr depends on Q, which is not computed when "
                "mode='r'. Please use linalg.qr(A, mode='reduced') if you are going to "
                "differentiate through linalg.qr.")
        if ctx.mode == "complete" and m > n:
            raise RuntimeError(
                "The QR decomposition is not differentiable when mode='complete' and "
                "nrows > ncols.")
        q, r = _unpack(packed, ctx.batch, ctx.shapes)
        grad_q, grad_r = _unpack(grad, ctx.batch, ctx.shapes)
        if m >= n:
            return (_qr_square_or_tall(q, r, grad_q, grad_r),)
        # A = [X | Y] with X the first m columns, R = [U | V]: X = QU, Y = QV
        grad_square, grad_extra = grad_r[..., :m], grad_r[..., m:]
        grad_x = _qr_square_or_tall(q, r[..., :m], grad_q + a[..., m:] @ _t(grad_extra),
                                    grad_square)
        grad_y = q @ grad_extra
        return (ops.shape.cat([grad_x, grad_y], -1) if isinstance(grad_x, Tensor)
                else np.concatenate([grad_x, grad_y], axis=-1),)


def _qr_square_or_tall(q: Any, r: Any, grad_q: Any, grad_r: Any) -> Any:
    """(Ḡ_Q + Q copyltu(M)) R⁻ᵀ with M = R Ḡ_Rᵀ − Ḡ_Qᵀ Q."""
    m_ = r @ _t(grad_r) - _t(grad_q) @ q
    copied = _tril(m_) + _t(_tril(m_, -1))
    return _t(_solve(r, _t(grad_q + q @ copied)))


def qr(A: Any, mode: str = "reduced") -> Any:
    """(Q, R) with A = QR. mode: 'reduced' (Q m×k, R k×n, k = min(m, n)), 'complete' (Q m×m,
    R m×n) or 'r' (R only; Q is empty). Signs are LAPACK's (the diagonal of R may be negative)."""
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(
            f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), "
            "'r', or 'complete'")
    A = _matrices(A, "linalg.qr", square=False)
    packed = QrOp.apply(A, mode=mode)
    m, n = A.shape[-2:]
    rows_of_r = m if mode == "complete" else min(m, n)
    q_shape = (m, 0) if mode == "r" else (m, rows_of_r)
    q, r = _unpack(packed, tuple(A.shape[:-2]), (q_shape, (rows_of_r, n)))
    if mode == "r":  # Q is not computed: an empty 1-D tensor, as in PyTorch
        q = Tensor._make(np.zeros((0,), dtype=A.dtype))
    return return_types.qr(q, r)


def qr_legacy(input: Any, some: bool = True) -> Any:
    """``torch.qr``: ``linalg.qr`` with some=True for mode 'reduced', False for 'complete'."""
    return qr(input, "reduced" if some else "complete")


# --------------------------------------------------------------------------- svd
class SvdOp(Op):
    """A = U diag(S) Vᵀ; the output is U, S and Vh = Vᵀ packed.

    With k = min(m, n), F_ij = 1/(s_j² − s_i²) (i ≠ j, 0 on the diagonal), Ū, S̄, V̄ the
    gradients (Townsend 2016, "Differentiating the singular value decomposition"):
        dL/dA = U [ (F∘(UᵀŪ − ŪᵀU)) S + diag(S̄) + S (F∘(VᵀV̄ − V̄ᵀV)) ] Vᵀ
                + (I − UUᵀ) Ū S⁻¹ Vᵀ + U S⁻¹ V̄ᵀ (I − VVᵀ).
    Only the first k columns of U and V enter (full_matrices=True: the others are not determined
    by A). Undefined where two singular values are equal (F is infinite) or, when m ≠ n, where
    one is 0, unless the loss uses S only (then dL/dA = U diag(S̄) Vᵀ); defined only for losses
    that do not depend on the signs of the singular vectors.
    """

    @staticmethod
    def forward(ctx, a, *, full_matrices):
        u, s, vh = _converged(np.linalg.svd, "linalg.svd", a, full_matrices=full_matrices)
        ctx.batch, ctx.shapes = a.shape[:-2], (u.shape[-2:], s.shape[-1:], vh.shape[-2:])
        packed = _pack(u, s, vh, batch=ctx.batch)
        ctx.save_for_backward(packed)
        return packed

    @staticmethod
    def backward(ctx, grad):
        (packed,) = ctx.saved_tensors
        u, s, vh = _unpack(packed, ctx.batch, ctx.shapes)
        grad_u, grad_s, grad_vh = _unpack(grad, ctx.batch, ctx.shapes)
        k = s.shape[-1]
        u, vh, grad_u, grad_vh = u[..., :k], vh[..., :k, :], grad_u[..., :k], grad_vh[..., :k, :]
        inner = _diag_embed(grad_s)
        if _is_zero_constant(grad_u) and _is_zero_constant(grad_vh):
            return (u @ inner @ vh,)
        v, grad_v = _t(vh), _t(grad_vh)
        squares = s * s
        f = _off_diagonal_reciprocal(_row(squares) - _column(squares))
        ut_grad_u, vt_grad_v = _t(u) @ grad_u, _t(v) @ grad_v
        inner = (inner + f * (ut_grad_u - _t(ut_grad_u)) * _row(s)
                 + _column(s) * (f * (vt_grad_v - _t(vt_grad_v))))
        grad_a = u @ inner @ vh
        m, n = u.shape[-2], vh.shape[-1]
        with np.errstate(divide="ignore", invalid="ignore"):  # S⁻¹ at a zero singular value
            if m > k:
                grad_a = grad_a + ((grad_u - u @ ut_grad_u) / _row(s)) @ vh
            if n > k:
                grad_a = grad_a + (u / _row(s)) @ _t(grad_v - v @ vt_grad_v)
        return (grad_a,)


def svd(A: Any, full_matrices: bool = True) -> Any:
    """(U, S, Vh) with A = U diag(S) Vh, S descending. full_matrices=False: U m×k, Vh k×n
    (k = min(m, n)); True: U m×m, Vh n×n. See ``SvdOp`` for where the gradient is defined."""
    A = _matrices(A, "linalg.svd", square=False)
    packed = SvdOp.apply(A, full_matrices=bool(full_matrices))
    m, n = A.shape[-2:]
    k = min(m, n)
    shapes = ((m, m if full_matrices else k), (k,), (n if full_matrices else k, n))
    return return_types.svd(*_unpack(packed, tuple(A.shape[:-2]), shapes))


def svdvals(A: Any) -> Tensor:
    """The singular values, descending. dL/dA = U diag(S̄) Vᵀ: defined also where they repeat."""
    return svd(_matrices(A, "linalg.svdvals", square=False), full_matrices=False).S


def svd_legacy(input: Any, some: bool = True, compute_uv: bool = True) -> Any:
    """``torch.svd``: (U, S, V) with V (not Vh); some=True gives the reduced factors;
    compute_uv=False gives zero-filled U and V."""
    A = _matrices(input, "svd", square=False)
    if not compute_uv:
        m, n = A.shape[-2:]
        S = svdvals(A)
        zeros = Tensor._make(np.zeros(tuple(A.shape[:-2]) + (m, m), dtype=A.dtype))
        return return_types.svd_legacy(zeros, S, Tensor._make(np.zeros(
            tuple(A.shape[:-2]) + (n, n), dtype=A.dtype)))
    U, S, Vh = svd(A, full_matrices=not some)
    return return_types.svd_legacy(U, S, _t(Vh))


# --------------------------------------------------------------------------- eigh
class EighOp(Op):
    """A = V diag(λ) Vᵀ for symmetric A (λ ascending); the output is λ and V packed.

    With F_ij = 1/(λ_j − λ_i) (i ≠ j, 0 on the diagonal) and λ̄, V̄ the gradients:
        dL/dA = V (diag(λ̄) + ½ F∘(VᵀV̄ − V̄ᵀV)) Vᵀ,
    the symmetric gradient (as PyTorch's; only one triangle of A is read, but A is taken to be
    symmetric). Undefined where eigenvalues repeat (F is infinite) unless the loss uses λ only;
    defined only for losses that do not depend on the signs of the eigenvectors.
    """

    @staticmethod
    def forward(ctx, a, *, uplo):
        w, v = _converged(np.linalg.eigh, "linalg.eigh", a, UPLO=uplo)
        ctx.batch, ctx.shapes = a.shape[:-2], (w.shape[-1:], v.shape[-2:])
        packed = _pack(w, v, batch=ctx.batch)
        ctx.save_for_backward(packed)
        return packed

    @staticmethod
    def backward(ctx, grad):
        (packed,) = ctx.saved_tensors
        w, v = _unpack(packed, ctx.batch, ctx.shapes)
        grad_w, grad_v = _unpack(grad, ctx.batch, ctx.shapes)
        inner = _diag_embed(grad_w)
        if not _is_zero_constant(grad_v):
            f = _off_diagonal_reciprocal(_row(w) - _column(w))
            vt_grad_v = _t(v) @ grad_v
            inner = inner + f * (vt_grad_v - _t(vt_grad_v)) * 0.5
        return (v @ inner @ _t(v),)


def eigh(A: Any, UPLO: str = "L") -> Any:
    """(eigenvalues ascending, eigenvectors as columns) of a symmetric matrix (batch), read from
    its lower (UPLO='L') or upper ('U') triangle."""
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    A = _matrices(A, "linalg.eigh")
    packed = EighOp.apply(A, uplo=UPLO)
    n = A.shape[-1]
    return return_types.eigh(*_unpack(packed, tuple(A.shape[:-2]), ((n,), (n, n))))


def eigvalsh(A: Any, UPLO: str = "L") -> Tensor:
    """The eigenvalues (ascending) of a symmetric matrix. dL/dA = V diag(λ̄) Vᵀ."""
    return eigh(_matrices(A, "linalg.eigvalsh"), UPLO).eigenvalues


# --------------------------------------------------------------------------- pinv and rank
def _tolerance(s_max: np.ndarray, atol: Any, rtol: Any, shape: tuple[int, ...],
               dtype: np.dtype) -> np.ndarray:
    """max(atol, rtol·σ₁) with PyTorch's defaults: atol = 0; rtol = ε·max(m, n) when neither
    is given or atol is not positive, 0 when a positive atol is given."""
    data = [x._data if isinstance(x, Tensor) else x for x in (atol, rtol)]
    atol_value = np.zeros((), dtype) if data[0] is None else np.asarray(data[0], dtype)
    if data[1] is not None:
        rtol_value = np.asarray(data[1], dtype)
    else:
        default = np.finfo(dtype).eps * max(shape[-2:])
        rtol_value = np.where(atol_value > 0, 0, default).astype(dtype)
    return np.maximum(atol_value, rtol_value * s_max)


def _spectrum(a: np.ndarray, hermitian: bool) -> tuple[np.ndarray, ...]:
    """(values, left, right) with A = left diag(values) right: the SVD, or for a symmetric A
    the eigendecomposition (values may be negative)."""
    if hermitian:
        w, v = _converged(np.linalg.eigh, "linalg.eigh", a)
        return w, v, np.swapaxes(v, -1, -2)
    u, s, vh = _converged(np.linalg.svd, "linalg.svd", a, full_matrices=False)
    return s, u, vh


class PinvOp(Op):
    """X = A⁺ (the Moore–Penrose pseudo-inverse), singular values at most the tolerance
    counted as 0.

    dL/dA = −Xᵀ G Xᵀ + (I − A X) Gᵀ X Xᵀ + Xᵀ X Gᵀ (I − X A)   (Golub and Pereyra 1973:
    dX = −X dA X + X Xᵀ dAᵀ (I − A X) + (I − X A) dAᵀ Xᵀ X), valid where the rank of A does not
    change (not at a singular value equal to the tolerance).
    """

    @staticmethod
    def forward(ctx, a, *, atol, rtol, hermitian):
        values, left, right = _spectrum(a, hermitian)
        magnitude = np.abs(values)
        s_max = magnitude.max(axis=-1, initial=0.0, keepdims=True)
        tolerance = _tolerance(s_max, _batch_column(atol), _batch_column(rtol), a.shape, a.dtype)
        kept = magnitude > tolerance
        with np.errstate(all="ignore"):
            reciprocal = np.where(kept, 1 / np.where(kept, values, 1), 0).astype(a.dtype)
        x = (np.swapaxes(right, -1, -2) * reciprocal[..., None, :]) @ np.swapaxes(left, -1, -2)
        ctx.save_for_backward(a, x)
        return x

    @staticmethod
    def backward(ctx, grad):
        a, x = ctx.saved_tensors
        grad_t, x_t = _t(grad), _t(x)
        return (-(x_t @ grad @ x_t) + (grad_t - a @ (x @ grad_t)) @ (x @ x_t)
                + (x_t @ x) @ (grad_t - (grad_t @ x) @ a),)


def _batch_column(tolerance: Any) -> Any:
    """A tolerance per matrix as a column (*, 1), to compare with the singular values."""
    if tolerance is None:
        return None
    data = tolerance._data if isinstance(tolerance, Tensor) else np.asarray(tolerance)
    return data[..., None]


def pinv(A: Any, *, atol: Any = None, rtol: Any = None, hermitian: bool = False) -> Tensor:
    """The pseudo-inverse A⁺ of a (batch of) matrices, singular values σ ≤ max(atol, rtol·σ₁)
    dropped (defaults as PyTorch: see ``_tolerance``). hermitian=True: A is symmetric, and its
    eigendecomposition is used."""
    A = _pinv_input(A, "linalg.pinv")
    return PinvOp.apply(A, atol=atol, rtol=rtol, hermitian=bool(hermitian))


def _pinv_input(A: Any, op: str) -> Tensor:
    A = A if isinstance(A, Tensor) else Tensor._make(np.asarray(A))
    if A.ndim < 2 or A.dtype.name not in ("float32", "float64"):
        raise RuntimeError(
            f"{op}({A.dtype.name}{list(A.shape)}): expected a tensor with 2 or more dimensions "
            "of float, double, cfloat or cdouble types")
    return A


def pinverse(input: Any, rcond: float = 1e-15) -> Tensor:
    """``torch.pinverse``: ``linalg.pinv`` with rtol = rcond."""
    return pinv(_pinv_input(input, "pinverse"), rtol=rcond)


def matrix_rank(A: Any, *, atol: Any = None, rtol: Any = None, hermitian: bool = False) -> Tensor:
    """The number of singular values above max(atol, rtol·σ₁) (int64; no gradient)."""
    A = A if isinstance(A, Tensor) else Tensor._make(np.asarray(A))
    if A.dtype.name not in ("float32", "float64"):
        raise RuntimeError(
            f"linalg.matrix_rank: This function doesn't handle types other than float and "
            f"double (got {A.dtype.name})")
    A = _matrices(A, "linalg.matrix_rank", square=hermitian)
    values = np.abs(_spectrum(A._data, hermitian)[0])
    s_max = values.max(axis=-1, initial=0.0, keepdims=True)
    tolerance = _tolerance(s_max, _batch_column(atol), _batch_column(rtol), A.shape, A.dtype)
    return Tensor._make(np.sum(values > tolerance, axis=-1).astype(np.int64))


# --------------------------------------------------------------------------- lstsq
LSTSQ_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")


def lstsq(A: Any, B: Any, rcond: float | None = None, *, driver: str | None = None) -> Any:
    """The least-squares solution X = argmin ‖AX − B‖ (minimum norm if A is rank-deficient),
    as (solution, residuals, rank, singular_values), like PyTorch on the CPU.

    The solution is computed as pinv(A) @ B (the same minimum-norm solution LAPACK's drivers
    give, with rank cut-off rcond·σ₁, default ε·max(m, n)), so its gradient is pinv's and
    matmul's. residuals (‖AX − B‖² per column) are computed for m > n and full rank, except
    with the default driver 'gelsy' (then empty); rank for all drivers but 'gels';
    singular_values for 'gelsd' and 'gelss' only (otherwise empty), as PyTorch.
    """
    driver = "gelsy" if driver is None else driver
    if driver not in LSTSQ_DRIVERS:
        raise RuntimeError(
            f"torch.linalg.lstsq: parameter `driver` should be one of (gels, gelsy, gelsd, "
            f"gelss), but got {driver}")
    A = _matrices(A, "torch.linalg.lstsq", square=False)
    B = B if isinstance(B, Tensor) else Tensor._make(np.asarray(B))
    if A.dtype != B.dtype:
        raise RuntimeError(
            f"torch.linalg.lstsq: Expected input and other to have the same dtype, but got "
            f"input's dtype {A.dtype} and other's dtype {B.dtype}")
    vector = B.ndim == A.ndim - 1
    if vector:
        B = B.unsqueeze(-1)
    if B.ndim < 2 or B.shape[-2] != A.shape[-2]:
        raise RuntimeError(
            f"torch.linalg.lstsq: input.size(-2) should match other.size(-2), got "
            f"{tuple(A.shape)} and {tuple(B.shape)}")
    m, n = A.shape[-2:]
    rtol = np.finfo(A.dtype).eps * max(m, n) if rcond is None else rcond
    solution = ops.linalg.matmul(pinv(A, rtol=rtol), B)
    rank = matrix_rank(A.detach(), rtol=rtol)
    residuals = _empty(A.dtype)
    if driver != "gelsy" and m > n and bool(np.all(rank._data == n)):
        residuals = ((ops.linalg.matmul(A, solution) - B) ** 2).sum(-2)
    if driver == "gels":
        rank = _empty(np.int64)
    values = svdvals(A.detach()) if driver in ("gelsd", "gelss") else _empty(A.dtype)
    if vector:
        solution = solution.squeeze(-1)
        residuals = residuals.squeeze(-1) if residuals.ndim else residuals
    return return_types.lstsq(solution, residuals, rank, values)


def _empty(dtype: Any) -> Tensor:
    return Tensor._make(np.zeros((0,), dtype=dtype))


# --------------------------------------------------------------------------- matrix_power
def matrix_power(A: Any, n: int) -> Tensor:
    """A multiplied by itself n times (repeated squaring: about log₂ n products); n = 0 gives the
    identity, n < 0 the power of inv(A) (A floating and invertible). Integer matrices allowed
    for n ≥ 0. Gradients are matmul's (and inv's)."""
    A = A if isinstance(A, Tensor) else Tensor._make(np.asarray(A))
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise RuntimeError(
            f"linalg.matrix_power: A must be batches of square matrices, but they are "
            f"{A.shape[-2] if A.ndim > 1 else 1} by {A.shape[-1] if A.ndim else 1} matrices")
    if not isinstance(n, int | np.integer):
        raise TypeError(f"matrix_power(): argument 'n' must be int, not {type(n).__name__}")
    if n == 0:  # the identity; still a (constant) function of A, as in PyTorch
        identity = np.broadcast_to(np.eye(A.shape[-1], dtype=A.dtype), A.shape)
        return ops.elementwise.where(np.True_, identity, A) if A.requires_grad else Tensor._make(
            identity.copy())
    if n < 0:
        A, n = inv(A), -n
    result, square = None, A
    while n:
        if n & 1:
            result = square if result is None else ops.linalg.matmul(result, square)
        n >>= 1
        if n:
            square = ops.linalg.matmul(square, square)
    return result


# --------------------------------------------------------------------------- norms
def vector_norm(x: Any, ord: Any = 2, dim: Any = None, keepdim: bool = False, *,
                dtype: Any = None) -> Tensor:
    """(Σ|x|^ord)^(1/ord) over ``dim`` (all elements if None); ord may be inf, -inf or 0."""
    x = x if isinstance(x, Tensor) else Tensor._make(np.asarray(x))
    if dtype is not None:
        x = x.to(dtype)
    if isinstance(ord, str):
        raise RuntimeError(f"linalg.vector_norm: ord must be a number, got {ord!r}")
    return ops.reduce.norm(x, ord, dim, keepdim)


MATRIX_ORDS = ("fro", "nuc", 1, -1, 2, -2, float("inf"), float("-inf"))


def matrix_norm(A: Any, ord: Any = "fro", dim: Any = (-2, -1), keepdim: bool = False, *,
                dtype: Any = None) -> Tensor:
    """A matrix norm over the two dims ``dim``: 'fro' (√Σa²), 'nuc' (Σσ), 2 / −2 (largest /
    smallest σ), 1 / −1 (max / min column sum of |a|), inf / −inf (max / min row sum)."""
    A = _matrices(A, "linalg.matrix_norm", square=False)
    if dtype is not None:
        A = A.to(dtype)
    if ord not in MATRIX_ORDS:
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    dims = [d % A.ndim for d in dim] if len(dim) == 2 else None
    if dims is None or dims[0] == dims[1]:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple of different dims, "
                           f"got {dim}")
    if ord == "fro":
        return ops.reduce.norm(A, 2, tuple(dims), keepdim)
    rest = [d for d in range(A.ndim) if d not in dims]
    matrices = A.permute(*rest, *dims)
    result = _matrix_norm_last_two(matrices, ord)
    if keepdim:
        for d in sorted(dims):
            result = result.unsqueeze(d)
    return result


def _matrix_norm_last_two(A: Tensor, ord: Any) -> Tensor:
    if ord == "nuc":
        return svdvals(A).sum(-1)
    if ord in (2, -2):
        values = svdvals(A)
        return values.amax(-1) if ord == 2 else values.amin(-1)
    sums = A.abs().sum(-2 if ord in (1, -1) else -1)
    return sums.amax(-1) if ord > 0 else sums.amin(-1)


def norm(A: Any, ord: Any = None, dim: Any = None, keepdim: bool = False, *,
         dtype: Any = None) -> Tensor:
    """``linalg.norm``: a vector norm when dim is an int (or ord is given for a 1-D input), a
    matrix norm when dim is a pair (or ord is given for a 2-D input); with neither, the 2-norm
    of all elements."""
    A = A if isinstance(A, Tensor) else Tensor._make(np.asarray(A))
    if isinstance(dim, int | np.integer):
        dim = (int(dim),)
    if dim is not None:
        dim = tuple(dim)
        if len(dim) not in (1, 2):
            raise RuntimeError(
                f"linalg.norm: If dim is specified, it must be of length 1 or 2. Got {list(dim)}")
    elif ord is not None:
        if A.ndim not in (1, 2):
            raise RuntimeError(
                "linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. "
                f"Got {A.ndim}D.")
        dim = tuple(range(A.ndim))
    if dim is not None and len(dim) == 2:
        return matrix_norm(A, "fro" if ord is None else ord, dim, keepdim, dtype=dtype)
    return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)


# --------------------------------------------------------------------------- built from the above
def solve_triangular(A: Any, B: Any, *, upper: bool, left: bool = True,
                     unitriangular: bool = False) -> Tensor:
    """X with AX = B (``left=False``: XA = B) for a triangular A: only A's upper (``upper=True``)
    or lower triangle is read, and with ``unitriangular=True`` its diagonal is taken to be 1.

    Computed as ``solve`` of the masked triangle, so the gradient of A is, as in PyTorch,
    confined to the entries that are read: dL/dA = triangle of (−A⁻ᵀ G Xᵀ)."""
    A = _matrices(A, "linalg.solve_triangular")
    B = B if isinstance(B, Tensor) else Tensor._make(np.asarray(B))
    if B.ndim < 2:
        raise RuntimeError(
            "linalg.solve_triangular: The input tensor B must have at least 2 dimensions.")
    n = A.shape[-1]
    read = np.triu(np.ones((n, n), bool), 1 if unitriangular else 0) if upper else np.tril(
        np.ones((n, n), bool), -1 if unitriangular else 0)
    triangle = either.keep(A, np.broadcast_to(read, A.shape))
    if unitriangular:
        triangle = triangle + np.eye(n, dtype=A.dtype)
    return solve(triangle, B, left=left)


def cond(A: Any, p: Any = None) -> Tensor:
    """The condition number: σ₁/σₙ for p = None or 2 (σₙ/σ₁ for −2, from the singular values,
    any shape); otherwise ‖A‖_p·‖A⁻¹‖_p for p in 'fro', 'nuc', ±1, ±inf (square A; inf where
    A is singular, as PyTorch)."""
    A = _matrices(A, "linalg.cond", square=p not in (None, 2, -2))
    if p in (None, 2, -2):
        values = svdvals(A)
        ratio = values[..., 0] / values[..., -1]
        return ratio if p != -2 else 1 / ratio
    with np.errstate(all="ignore"):
        singular = np.linalg.det(A._data) == 0
    if singular.any():
        safe = ops.elementwise.where(singular[..., None, None], np.eye(A.shape[-1], dtype=A.dtype),
                                     A)
        finite = matrix_norm(safe, p) * matrix_norm(inv(safe), p)
        return ops.elementwise.where(singular, float("inf"), finite)
    return matrix_norm(A, p) * matrix_norm(inv(A), p)


def diagonal(A: Any, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """``linalg.diagonal``: ``torch.diagonal`` with the defaults dim1=-2, dim2=-1 (the diagonal
    of each matrix of a batch)."""
    return ops.rearrange.diagonal(A, offset, dim1, dim2)


# --------------------------------------------------------------------------- matrix exponential
TAYLOR_DEGREE = 18  # after scaling ‖A‖₁ ≤ ½: the remainder is below ½¹⁹/19! ≈ 1.6e-23


def _expm_array(a: np.ndarray) -> np.ndarray:
    """exp(A) by scaling and squaring: exp(A) = exp(A/2ˢ)^(2ˢ), with s chosen per matrix so that
    ‖A/2ˢ‖₁ ≤ ½, and exp(A/2ˢ) from its Taylor series (degree 18, far below round-off)."""
    n = a.shape[-1]
    with np.errstate(all="ignore"):  # nan and inf entries give nan, as in PyTorch
        norm = np.abs(a).sum(axis=-2).max(axis=-1, initial=0.0)
        norm = np.where(np.isfinite(norm), norm, 0.0)
        squarings = np.maximum(0, np.ceil(np.log2(np.maximum(norm, 1e-300) / 0.5))).astype(int)
        scaled = a / np.ldexp(1.0, squarings)[..., None, None].astype(a.dtype)
        identity = np.broadcast_to(np.eye(n, dtype=a.dtype), a.shape)
        result, term = identity.copy(), identity
        for k in range(1, TAYLOR_DEGREE + 1):
            term = (term @ scaled) / a.dtype.type(k)
            result = result + term
        for step in range(int(squarings.max(initial=0))):
            result = np.where((squarings > step)[..., None, None], result @ result, result)
    # a matrix with a nan or inf entry has no exponential: all nan (as PyTorch)
    return np.where(np.isfinite(a).all(axis=(-2, -1))[..., None, None], result, np.nan).astype(
        a.dtype, copy=False)


def _expm_either(a: Any) -> Any:
    return MatrixExpOp.apply(a) if isinstance(a, Tensor) else _expm_array(a)


class MatrixExpOp(Op):
    """Z = exp(A) = Σ Aᵏ/k!.

    dL/dA is the Fréchet derivative of exp at Aᵀ in the direction G, read off the exponential
    of a block matrix (Najfeld and Havel 1995; Higham, "Functions of Matrices", thm. 3.6):
        exp([[Aᵀ, G], [0, Aᵀ]]) = [[exp(Aᵀ), L(Aᵀ, G)], [0, exp(Aᵀ)]],   dL/dA = L(Aᵀ, G).
    It is itself a matrix exponential, so the op supports double backward.
    """

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return _expm_array(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        n = a.shape[-1]
        a_t = _t(a)
        zeros = np.zeros(np.broadcast_shapes(a.shape, grad.shape), dtype=a.dtype)
        a_t = either.broadcast_to(a_t, zeros.shape)
        grad = either.broadcast_to(grad, zeros.shape)
        if isinstance(a_t, Tensor) or isinstance(grad, Tensor):
            cat = ops.shape.cat
            block = cat([cat([a_t, grad], -1), cat([Tensor._make(zeros), a_t], -1)], -2)
        else:
            block = np.block([[a_t, grad], [zeros, a_t]])
        return (_expm_either(block)[..., :n, n:],)


def matrix_exp(A: Any) -> Tensor:
    """The matrix exponential exp(A) = I + A + A²/2! + ... of a square matrix (batch)."""
    A = A if isinstance(A, Tensor) else Tensor._make(np.asarray(A))
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise RuntimeError(
            "linalg.matrix_exp: A must be batches of square matrices, but they are "
            f"{A.shape[-2] if A.ndim > 1 else 1} by {A.shape[-1] if A.ndim else 1} matrices")
    if A.dtype.name not in ("float16", "float32", "float64"):
        raise RuntimeError(f"linalg.matrix_exp: Expected a floating point or complex tensor as "
                           f"input. Got {A.dtype.name}")
    return MatrixExpOp.apply(A)


# --------------------------------------------------------------------------- more compositions
def cholesky_solve(B: Any, L: Any, upper: bool = False) -> Tensor:
    """``torch.cholesky_solve``: X with (L Lᵀ) X = B (``upper=True``: (Uᵀ U) X = B), given
    the Cholesky factor; two solves, so the gradient of L is that of a general matrix in
    L Lᵀ, as PyTorch's."""
    L = _matrices(L, "cholesky_solve")
    lower = _t(L) if upper else L
    return solve(_t(lower), solve(lower, B))


def cholesky_inverse(L: Any, upper: bool = False) -> Tensor:
    """``torch.cholesky_inverse``: (L Lᵀ)⁻¹ from the Cholesky factor L (U with upper=True)."""
    L = _matrices(L, "cholesky_inverse")
    lower = _t(L) if upper else L
    inverse = inv(lower)
    return ops.linalg.matmul(_t(inverse), inverse)


def tensorinv(A: Any, ind: int = 2) -> Tensor:
    """The inverse of ``tensordot(A, ·, ind)``: A (i₁..i_ind, j₁..) reshaped to a square matrix,
    inverted and reshaped to (j₁.., i₁..)."""
    A = A if isinstance(A, Tensor) else Tensor._make(np.asarray(A))
    if ind <= 0:
        raise RuntimeError(f"linalg.tensorinv: Expected a strictly positive integer for 'ind', "
                           f"but got {ind}")
    rows, columns = A.shape[:ind], A.shape[ind:]
    if int(np.prod(rows)) != int(np.prod(columns)):
        raise RuntimeError(
            f"linalg.tensorinv: Expected self to satisfy the requirement "
            f"prod(self.shape[ind:]) == prod(self.shape[:ind]), but got {int(np.prod(columns))} "
            f"!= {int(np.prod(rows))}")
    size = int(np.prod(rows))
    return inv(A.reshape(size, size)).reshape(tuple(columns) + tuple(rows))


def tensorsolve(A: Any, B: Any, dims: Any = None) -> Tensor:
    """X with ``tensordot(A, X, X.ndim) = B``: A's leading dims are B's shape, the rest X's
    (``dims``: dims of A moved to the end first)."""
    A = A if isinstance(A, Tensor) else Tensor._make(np.asarray(A))
    B = B if isinstance(B, Tensor) else Tensor._make(np.asarray(B))
    if dims is not None:
        dims = [d % A.ndim for d in dims]
        A = A.permute(*[d for d in range(A.ndim) if d not in dims], *dims)
    rest = tuple(A.shape[B.ndim:])
    size = int(np.prod(B.shape))
    if tuple(A.shape[:B.ndim]) != tuple(B.shape) or int(np.prod(rest)) != size:
        raise RuntimeError(
            f"linalg.tensorsolve: Expected self to satisfy the requirement "
            f"prod(result_shape) == prod(B.shape), got A of shape {tuple(A.shape)} and B of "
            f"shape {tuple(B.shape)}")
    return solve(A.reshape(size, size), B.reshape(size)).reshape(rest)


def vander(x: Any, N: int | None = None) -> Tensor:  # (PyTorch's argument name)
    """``linalg.vander``: the powers x⁰, x¹, ..., x^(N−1) of each element of the last dim as
    the columns of a matrix (N defaults to x.shape[-1]); built as a cumulative product, so the
    gradient at x = 0 is finite."""
    x = x if isinstance(x, Tensor) else Tensor._make(np.asarray(x))
    if x.ndim == 0:
        raise RuntimeError("linalg.vander: x must have at least one dimension.")
    N = x.shape[-1] if N is None else N
    if N <= 1:
        raise RuntimeError(f"N must be greater than 1. (linalg.vander got N={N})")
    ones = Tensor._make(np.ones(tuple(x.shape) + (1,), dtype=x.dtype))
    repeated = x.unsqueeze(-1).expand(*x.shape, N - 1)
    return ops.shape.cat([ones, ops.scans.cumprod(repeated, -1)], -1)


def vander_legacy(x: Any, N: int | None = None, increasing: bool = False) -> Tensor:
    """``torch.vander``: a 1-D x; powers descending unless ``increasing``."""
    x = x if isinstance(x, Tensor) else Tensor._make(np.asarray(x))
    if x.ndim != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    if N is not None and N < 0:
        raise RuntimeError("N must be non-negative.")
    N = x.shape[0] if N is None else N
    if N <= 1:  # no powers, or only x⁰
        return Tensor._make(np.ones((x.shape[0], N), dtype=x.dtype))
    powers = vander(x, N)
    return powers if increasing else powers.flip(-1)
