"""Matrix products (ops/linalg.py) and the matrix functions of mt.linalg (ops/decompositions.py):
gradient checks with NumPy references, values against np.linalg, and the errors.

Decompositions are unique up to signs, so the cases that differentiate them use sign-free
functions of the factors (squares of U, V and eigenvectors; Q and R with R's diagonal made
positive), computed the same way in the NumPy references.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import microtensor as mt
from tests.gradcheck_cases import Case


# --------------------------------------------------------------------------- helpers
def _spd(a):
    """a·aᵀ + n·I (symmetric positive-definite), for Tensors and arrays."""
    n = a.shape[-1]
    if isinstance(a, mt.Tensor):
        return a @ a.mT + n * mt.eye(n, dtype=a.dtype)
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


def _sym(a):
    return a + (a.mT if isinstance(a, mt.Tensor) else np.swapaxes(a, -1, -2))


def _qr_signless(q, r):
    """Q and R with R's diagonal made positive (torch.sign and np.sign agree off 0)."""
    k = min(r.shape[-2:])
    if isinstance(r, mt.Tensor):
        signs = (r[..., :k, :k] * mt.eye(k, dtype=r.dtype)).sum(-1).sign()
        return q[..., :k] * signs.unsqueeze(-2), r[..., :k, :] * signs.unsqueeze(-1)
    signs = np.sign(np.diagonal(r[..., :k, :k], axis1=-2, axis2=-1))
    return q[..., :k] * signs[..., None, :], r[..., :k, :] * signs[..., :, None]


def _svd_signless(u, s, vh):
    k = s.shape[-1]
    u, vh = u[..., :k], vh[..., :k, :]
    return u * u, s, vh * vh


def _np_slogdet_abs(a):
    return np.linalg.slogdet(a)[1]


def _np_cross(a, b, axis):
    return np.cross(a, b, axis=axis)


def _np_kron(a, b):
    return np.kron(a, b)


def _np_pinv(a, hermitian=False):
    return np.linalg.pinv(a, hermitian=hermitian)


def _np_expm(a):
    """exp(A) from the eigendecomposition (a random A is diagonalizable), in complex numbers."""
    w, v = np.linalg.eig(a)
    return np.real((v * np.exp(w)[..., None, :]) @ np.linalg.inv(v))


def _np_matrix_norm(a, ord_):
    return np.linalg.norm(a, ord_, axis=(-2, -1))


# --------------------------------------------------------------------------- gradcheck cases
GRADCHECK_CASES = [
    # products (compositions of matmul, einsum, mul and indexing)
    Case("mm", lambda a, b: mt.mm(a, b), [(2, 3), (3, 4)], reference=np.matmul),
    Case("bmm", lambda a, b: mt.bmm(a, b), [(2, 2, 3), (2, 3, 4)], reference=np.matmul),
    Case("mv", lambda a, v: mt.mv(a, v), [(2, 3), (3,)], reference=np.matmul),
    Case("dot", lambda a, b: mt.dot(a, b), [(4,), (4,)], reference=np.dot),
    Case("outer", lambda a, b: mt.outer(a, b), [(3,), (2,)], reference=np.outer),
    Case("inner", lambda a, b: mt.inner(a, b), [(2, 3), (4, 3)], reference=np.inner),
    Case("addmm", lambda x, a, b: mt.addmm(x, a, b, beta=0.5, alpha=2.0),
         [(3,), (2, 4), (4, 3)], reference=lambda x, a, b: 0.5 * x + 2.0 * a @ b),
    Case("addmv", lambda x, a, v: mt.addmv(x, a, v, beta=-1.0), [(2,), (2, 3), (3,)],
         reference=lambda x, a, v: -x + a @ v),
    Case("addr", lambda x, a, b: mt.addr(x, a, b, alpha=3.0), [(2, 3), (2,), (3,)],
         reference=lambda x, a, b: x + 3.0 * np.outer(a, b)),
    Case("addbmm", lambda x, a, b: mt.addbmm(x, a, b, beta=2.0), [(2, 4), (3, 2, 5), (3, 5, 4)],
         reference=lambda x, a, b: 2.0 * x + np.einsum("bij,bjk->ik", a, b)),
    Case("baddbmm", lambda x, a, b: mt.baddbmm(x, a, b, alpha=0.5), [(2, 4), (3, 2, 5),
                                                                      (3, 5, 4)],
         reference=lambda x, a, b: x + 0.5 * (a @ b)),
    Case("einsum_matmul", lambda a, b: mt.einsum("ij,jk->ik", a, b), [(2, 3), (3, 4)],
         reference=lambda a, b: a @ b),
    Case("einsum_diagonal", lambda a: mt.einsum("ii->i", a), [(3, 3)], reference=np.diagonal),
    Case("einsum_batch_trace", lambda a: mt.einsum("...ii", a), [(2, 3, 3)],
         reference=lambda a: np.trace(a, axis1=-2, axis2=-1)),
    Case("einsum_repeated_and_summed", lambda a, b: mt.einsum("iij,jk->ik", a, b),
         [(3, 3, 2), (2, 4)], reference=lambda a, b: np.einsum("iij,jk->ik", a, b)),
    Case("einsum_letter_in_one_operand", lambda a, b: mt.einsum("ij,k->ik", a, b),
         [(2, 3), (4,)], reference=lambda a, b: np.einsum("ij,k->ik", a, b)),
    Case("einsum_broadcast_ellipsis", lambda a, b: mt.einsum("...ij,...jk->...ik", a, b),
         [(2, 1, 2, 3), (4, 3, 2)], reference=lambda a, b: a @ b),
    Case("einsum_three", lambda a, b, c: mt.einsum("bn,anm,bm->ba", a, b, c),
         [(2, 3), (4, 3, 5), (2, 5)], reference=lambda a, b, c: np.einsum("bn,anm,bm->ba", a,
                                                                          b, c)),
    Case("tensordot", lambda a, b: mt.tensordot(a, b, ([1, 0], [0, 2])), [(2, 3, 4), (3, 5, 2)],
         reference=lambda a, b: np.tensordot(a, b, ([1, 0], [0, 2]))),
    Case("kron", lambda a, b: mt.kron(a, b), [(2, 3), (3, 2)], reference=_np_kron),
    Case("cross", lambda a, b: mt.linalg.cross(a, b), [(4, 3), (1, 3)],
         reference=lambda a, b: _np_cross(a, b, -1)),
    Case("trace", lambda a: mt.trace(a), [(3, 4)], reference=np.trace),
    Case("multi_dot", lambda a, b, c: mt.linalg.multi_dot([a, b, c]), [(3,), (3, 4), (4, 2)],
         reference=lambda a, b, c: a @ b @ c),
    # matrix functions
    Case("det", lambda a: mt.linalg.det(a), [(2, 3, 3)], reference=np.linalg.det),
    Case("det_singular", lambda a: mt.linalg.det(a),
         [mt.tensor([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.5, -1.0, 2.0]], dtype=mt.float64,
                    requires_grad=True)], reference=np.linalg.det),
    Case("slogdet", lambda a: mt.linalg.slogdet(a).logabsdet, [(2, 3, 3)],
         reference=_np_slogdet_abs),
    Case("slogdet_sign", lambda a: tuple(mt.linalg.slogdet(a)), [(3, 3)],
         reference=lambda a: tuple(np.linalg.slogdet(a))),
    Case("inv", lambda a: mt.linalg.inv(a), [(2, 3, 3)], reference=np.linalg.inv),
    Case("solve", lambda a, b: mt.linalg.solve(a, b), [(2, 3, 3), (3, 2)],
         reference=np.linalg.solve),
    Case("solve_vector", lambda a, b: mt.linalg.solve(a, b), [(2, 3, 3), (2, 3)],
         reference=lambda a, b: np.linalg.solve(a, b[..., None])[..., 0]),
    Case("solve_right", lambda a, b: mt.linalg.solve(a, b, left=False), [(3, 3), (2, 3)],
         reference=lambda a, b: np.linalg.solve(a.T, b.T).T),
    Case("cholesky", lambda a: mt.linalg.cholesky(_spd(a)), [(2, 3, 3)],
         reference=lambda a: np.linalg.cholesky(_spd(a))),
    Case("cholesky_upper", lambda a: mt.linalg.cholesky(_spd(a), upper=True), [(3, 3)],
         reference=lambda a: np.linalg.cholesky(_spd(a)).T),
    Case("qr_tall", lambda a: _qr_signless(*mt.linalg.qr(a)), [(4, 3)],
         reference=lambda a: _qr_signless(*np.linalg.qr(a))),
    Case("qr_wide_batched", lambda a: _qr_signless(*mt.linalg.qr(a)), [(2, 2, 4)],
         reference=lambda a: _qr_signless(*np.linalg.qr(a))),
    Case("svd_tall", lambda a: _svd_signless(*mt.linalg.svd(a, full_matrices=False)), [(4, 3)],
         reference=lambda a: _svd_signless(*np.linalg.svd(a, full_matrices=False))),
    Case("svd_wide_full", lambda a: _svd_signless(*mt.linalg.svd(a)), [(2, 2, 4)],
         reference=lambda a: _svd_signless(*np.linalg.svd(a))),
    Case("svdvals", lambda a: mt.linalg.svdvals(a), [(3, 2)],
         reference=lambda a: np.linalg.svd(a, compute_uv=False)),
    Case("eigh", lambda a: (lambda w, v: (w, v * v))(*mt.linalg.eigh(_sym(a))), [(2, 3, 3)],
         reference=lambda a: (lambda w, v: (w, v * v))(*np.linalg.eigh(_sym(a)))),
    Case("eigvalsh_upper", lambda a: mt.linalg.eigvalsh(_sym(a), UPLO="U"), [(4, 4)],
         reference=lambda a: np.linalg.eigvalsh(_sym(a))),
    Case("pinv_tall", lambda a: mt.linalg.pinv(a), [(4, 3)], reference=_np_pinv),
    Case("pinv_wide_batched", lambda a: mt.linalg.pinv(a), [(2, 2, 3)], reference=_np_pinv),
    Case("pinv_hermitian", lambda a: mt.linalg.pinv(_sym(a), hermitian=True), [(3, 3)],
         reference=lambda a: _np_pinv(_sym(a), hermitian=True)),
    Case("lstsq", lambda a, b: mt.linalg.lstsq(a, b).solution, [(5, 3), (5, 2)],
         reference=lambda a, b: np.linalg.lstsq(a, b, rcond=None)[0]),
    Case("matrix_power", lambda a: mt.linalg.matrix_power(a, 5), [(2, 3, 3)],
         reference=lambda a: np.linalg.matrix_power(a, 5)),
    Case("matrix_power_negative", lambda a: mt.linalg.matrix_power(a, -2), [(3, 3)],
         reference=lambda a: np.linalg.matrix_power(a, -2)),
    Case("matrix_norm_nuc", lambda a: mt.linalg.matrix_norm(a, "nuc"), [(2, 3, 4)],
         reference=lambda a: _np_matrix_norm(a, "nuc")),
    Case("matrix_norm_2", lambda a: mt.linalg.matrix_norm(a, 2), [(3, 4)],
         reference=lambda a: _np_matrix_norm(a, 2)),
    Case("matrix_norm_inf", lambda a: mt.linalg.matrix_norm(a, float("inf")), [(3, 4)],
         reference=lambda a: _np_matrix_norm(a, np.inf)),
    Case("solve_triangular", lambda a, b: mt.linalg.solve_triangular(a, b, upper=True),
         [(3, 3), (3, 2)], reference=lambda a, b: np.linalg.solve(np.triu(a), b)),
    Case("cond_nuc", lambda a: mt.linalg.cond(a, "nuc"), [(3, 3)],
         reference=lambda a: np.linalg.cond(a, "nuc")),
    Case("matrix_exp", lambda a: mt.linalg.matrix_exp(a), [(2, 3, 3)],
         reference=lambda a: _np_expm(a)),
    Case("cholesky_solve", lambda b, a: mt.cholesky_solve(b, mt.linalg.cholesky(_spd(a))),
         [(3, 2), (3, 3)], reference=lambda b, a: np.linalg.solve(_spd(a), b)),
    Case("cholesky_inverse", lambda a: mt.cholesky_inverse(mt.linalg.cholesky(_spd(a))),
         [(3, 3)], reference=lambda a: np.linalg.inv(_spd(a))),
    Case("tensorsolve", lambda a, b: mt.linalg.tensorsolve(a, b), [(2, 3, 6), (2, 3)],
         reference=np.linalg.tensorsolve),
    Case("tensorinv", lambda a: mt.linalg.tensorinv(a, ind=1), [(6, 2, 3)],
         reference=lambda a: np.linalg.tensorinv(a, ind=1)),
    Case("vander", lambda x: mt.linalg.vander(x, N=4), [(2, 3)],
         reference=lambda x: x[..., None] ** np.arange(4)),
    Case("linalg_norm", lambda a: mt.linalg.norm(a, dim=1), [(3, 4)],
         reference=lambda a: np.linalg.norm(a, axis=1)),
]


# --------------------------------------------------------------------------- helpers for tests
def _rand(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape)


def _t(a: np.ndarray, grad: bool = False) -> mt.Tensor:
    return mt.tensor(a, dtype=mt.float64, requires_grad=grad)


# --------------------------------------------------------------------------- products
def test_products_match_numpy() -> None:
    a, b, v = _rand(2, 3), _rand(3, 4, seed=1), _rand(3, seed=2)
    np.testing.assert_allclose(mt.mm(_t(a), _t(b)).numpy(), a @ b)
    np.testing.assert_allclose(_t(a).mv(_t(v)).numpy(), a @ v)
    np.testing.assert_allclose(mt.tensordot(_t(a), _t(b), 1).numpy(), a @ b)
    np.testing.assert_allclose(mt.einsum("ij->ji", _t(a)).numpy(), a.T)
    np.testing.assert_allclose(mt.einsum("ij,jk", [_t(a), _t(b)]).numpy(), a @ b)
    np.testing.assert_allclose(mt.kron(_t(a), _t(v)).numpy(), np.kron(a, v))
    np.testing.assert_allclose(mt.trace(_t(b)).numpy(), np.trace(b))
    assert mt.dot(mt.tensor([1, 2]), mt.tensor([3, 4])).item() == 11


def test_integer_products_keep_integers() -> None:
    a = mt.tensor([[1, 2], [3, 4]])
    assert mt.mm(a, a).dtype == mt.int64
    assert mt.trace(a).item() == 5
    assert mt.einsum("ij,jk->ik", a, a).tolist() == [[7, 10], [15, 22]]
    assert mt.linalg.matrix_power(a, 3).tolist() == [[37, 54], [81, 118]]


@pytest.mark.parametrize("call, message", [
    (lambda: mt.mm(mt.ones(3), mt.ones(3, 2)), "self must be a matrix"),
    (lambda: mt.mm(mt.ones(2, 3), mt.ones(2, 3)), "cannot be multiplied"),
    (lambda: mt.bmm(mt.ones(2, 3), mt.ones(3, 2)), "must be a 3D tensor"),
    (lambda: mt.dot(mt.ones(3), mt.ones(4)), "inconsistent tensor size"),
    (lambda: mt.dot(mt.ones(3), mt.ones(3, dtype=mt.float64)), "same dtype"),
    (lambda: mt.einsum("ij,jk->ik", mt.ones(2, 3)), "operands"),
    (lambda: mt.einsum("ijk", mt.ones(2, 3)), "number of dimensions"),
    (lambda: mt.linalg.cross(mt.ones(2, 4), mt.ones(2, 4)), "must have length 3"),
    (lambda: mt.trace(mt.ones(3)), "expected a matrix"),
    (lambda: mt.linalg.multi_dot([mt.ones(2, 2)]), "at least 2 tensors"),
    (lambda: mt.addmm(mt.ones(3, 4), mt.ones(2, 3), mt.ones(3, 4)), "cannot be broadcast"),
    (lambda: mt.linalg.solve(mt.eye(3), mt.ones(3), left=False), r"XA = B \(3x3 and 3x1\)"),
])
def test_product_errors(call, message) -> None:
    with pytest.raises(RuntimeError, match=message):
        call()


def test_addmm_with_beta_zero_ignores_nan_input() -> None:
    x = mt.tensor([[float("nan")]])
    out = mt.addmm(x, mt.ones(1, 2), mt.ones(2, 1), beta=0)
    assert out.item() == 2.0


def test_einsum_gradient_of_a_diagonal_is_on_the_diagonal() -> None:
    a = _t(_rand(3, 3), grad=True)
    mt.einsum("ii->i", a).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), np.eye(3))


def test_in_place_addmm_writes_into_the_tensor() -> None:
    x = mt.zeros(2, 2)
    result = x.addmm_(mt.ones(2, 3), mt.ones(3, 2))
    assert result is x
    np.testing.assert_array_equal(x.numpy(), np.full((2, 2), 3.0))


# --------------------------------------------------------------------------- matrix functions
def test_linalg_error_is_a_runtime_error() -> None:
    assert issubclass(mt.linalg.LinAlgError, RuntimeError)
    with pytest.raises(mt.linalg.LinAlgError, match="singular"):
        mt.linalg.inv(mt.zeros(2, 2))
    with pytest.raises(mt.linalg.LinAlgError, match=r"\(Batch element 1\)"):
        mt.linalg.inv(mt.stack([mt.eye(2), mt.zeros(2, 2)]))
    with pytest.raises(mt.linalg.LinAlgError, match="singular"):
        mt.linalg.solve(mt.zeros(2, 2), mt.ones(2))
    with pytest.raises(mt.linalg.LinAlgError, match="leading minor of order 2"):
        mt.linalg.cholesky(mt.tensor([[1.0, 2.0], [2.0, 1.0]]))


@pytest.mark.parametrize("function", [mt.linalg.det, mt.linalg.inv, mt.linalg.cholesky,
                                      mt.linalg.svd, mt.linalg.eigh, mt.linalg.qr])
def test_integer_matrices_are_refused(function) -> None:
    with pytest.raises(RuntimeError, match="Expected a floating point"):
        function(mt.tensor([[1, 2], [3, 4]]))


def test_decompositions_reconstruct_their_input() -> None:
    a = _rand(2, 4, 3)
    u, s, vh = mt.linalg.svd(_t(a), full_matrices=False)
    np.testing.assert_allclose((u.numpy() * s.numpy()[..., None, :]) @ vh.numpy(), a,
                               atol=1e-12)
    q, r = mt.linalg.qr(_t(a))
    np.testing.assert_allclose(q.numpy() @ r.numpy(), a, atol=1e-12)
    np.testing.assert_allclose(np.swapaxes(q.numpy(), -1, -2) @ q.numpy(),
                               np.broadcast_to(np.eye(3), (2, 3, 3)), atol=1e-12)
    sym = _sym(_rand(3, 3))
    w, v = mt.linalg.eigh(_t(sym))
    np.testing.assert_allclose((v.numpy() * w.numpy()) @ v.numpy().T, sym, atol=1e-12)
    lower = mt.linalg.cholesky(_t(_spd(_rand(3, 3)))).numpy()
    np.testing.assert_allclose(lower @ lower.T, _spd(_rand(3, 3)), atol=1e-12)
    assert np.all(np.triu(lower, 1) == 0)


def test_legacy_svd_returns_v() -> None:
    a = _rand(4, 3)
    u, s, v = mt.svd(_t(a))
    assert u.shape == (4, 3) and v.shape == (3, 3)
    np.testing.assert_allclose((u.numpy() * s.numpy()) @ v.numpy().T, a, atol=1e-12)
    u_full, _, _ = mt.svd(_t(a), some=False)
    assert u_full.shape == (4, 4)


def test_det_gradient_at_a_singular_matrix_is_the_adjugate() -> None:
    a = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.5, -1.0, 2.0]])
    x = _t(a, grad=True)
    mt.linalg.det(x).backward()
    cofactors = np.array([[np.linalg.det(np.delete(np.delete(a, i, 0), j, 1)) * (-1) ** (i + j)
                           for j in range(3)] for i in range(3)])
    np.testing.assert_allclose(x.grad.numpy(), cofactors, atol=1e-12)


def test_slogdet_and_logdet_signs() -> None:
    a = mt.tensor([[0.0, 1.0], [1.0, 0.0]])
    sign, logabsdet = mt.linalg.slogdet(a)
    assert sign.item() == -1.0 and logabsdet.item() == 0.0
    assert np.isnan(mt.logdet(a).item())
    assert mt.logdet(mt.zeros(2, 2)).item() == float("-inf")


def test_qr_derivative_errors_like_pytorch() -> None:
    a = _t(_rand(4, 2), grad=True)
    with pytest.raises(RuntimeError, match="mode='r'"):
        mt.linalg.qr(a, mode="r").R.sum().backward()
    with pytest.raises(RuntimeError, match="mode='complete' and nrows > ncols"):
        mt.linalg.qr(a, mode="complete").Q.sum().backward()
    assert mt.linalg.qr(a, mode="r").Q.shape == (0,)


def test_svdvals_gradient_is_defined_at_repeated_singular_values() -> None:
    x = mt.eye(3, dtype=mt.float64, requires_grad=True)
    mt.linalg.svdvals(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.eye(3))
    y = mt.eye(3, dtype=mt.float64, requires_grad=True)
    mt.linalg.eigvalsh(y).sum().backward()
    np.testing.assert_allclose(y.grad.numpy(), np.eye(3))


def test_lstsq_outputs_follow_the_driver() -> None:
    a, b = _rand(5, 3), _rand(5, 2, seed=1)
    solution, residuals, rank, values = mt.linalg.lstsq(_t(a), _t(b))
    expected, expected_residuals, _, expected_values = np.linalg.lstsq(a, b, rcond=None)
    np.testing.assert_allclose(solution.numpy(), expected, atol=1e-12)
    assert residuals.shape == (0,) and values.shape == (0,) and rank.item() == 3
    _, residuals, _, values = mt.linalg.lstsq(_t(a), _t(b), driver="gelsd")
    np.testing.assert_allclose(residuals.numpy(), expected_residuals)
    np.testing.assert_allclose(values.numpy(), expected_values)


def test_matrix_rank_and_pinv_tolerances() -> None:
    a = np.array([[1.0, 2.0], [2.0, 4.0 + 1e-10]])
    assert mt.linalg.matrix_rank(_t(a)).item() == 2
    assert mt.linalg.matrix_rank(_t(a), atol=1e-6).item() == 1
    assert mt.linalg.matrix_rank(_t(a), hermitian=True, rtol=1e-6).item() == 1
    np.testing.assert_allclose(mt.linalg.pinv(_t(a), atol=1e-6).numpy(),
                               np.linalg.pinv(a, rcond=1e-6), atol=1e-12)


def test_matrix_power_zero_is_the_identity() -> None:
    out = mt.linalg.matrix_power(mt.ones(2, 3, 3), 0)
    np.testing.assert_array_equal(out.numpy(), np.broadcast_to(np.eye(3), (2, 3, 3)))


def test_norms_match_numpy() -> None:
    a = _rand(3, 4)
    for ord_ in ("fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf):
        np.testing.assert_allclose(mt.linalg.matrix_norm(_t(a), ord_).item(),
                                   np.linalg.norm(a, ord_))
    np.testing.assert_allclose(mt.linalg.norm(_t(a)).item(), np.linalg.norm(a))
    np.testing.assert_allclose(mt.linalg.vector_norm(_t(a), 3, dim=0).numpy(),
                               np.linalg.norm(a, 3, axis=0))


def test_no_numpy_warnings_on_singular_inputs() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mt.linalg.slogdet(mt.zeros(2, 2))
        mt.linalg.det(mt.zeros(2, 2))
        mt.linalg.pinv(mt.zeros(2, 2))
        mt.linalg.matrix_rank(mt.zeros(2, 2))


def test_methods_are_the_functions() -> None:
    a = _t(_spd(_rand(3, 3)))
    np.testing.assert_allclose(a.det().numpy(), mt.linalg.det(a).numpy())
    np.testing.assert_allclose(a.inverse().numpy(), mt.linalg.inv(a).numpy())
    np.testing.assert_allclose(a.cholesky().numpy(), mt.linalg.cholesky(a).numpy())
    np.testing.assert_allclose(a.pinverse().numpy(), mt.linalg.pinv(a, rtol=1e-15).numpy())
    np.testing.assert_allclose(a.matrix_power(2).numpy(), (a @ a).numpy())
    np.testing.assert_allclose(a.logdet().numpy(), mt.linalg.slogdet(a).logabsdet.numpy())


def test_bool_products_and_half_decompositions_are_refused() -> None:
    flags = mt.ones(2, 2, dtype=mt.bool)
    for call in (lambda: mt.mm(flags, flags), lambda: flags @ flags,
                 lambda: mt.einsum("ij,jk", flags, flags), lambda: mt.trace(flags)):
        with pytest.raises(NotImplementedError, match="Bool"):
            call()
    with pytest.raises(NotImplementedError, match="Half"):
        mt.linalg.det(mt.ones(2, 2, dtype=mt.float16))
    with pytest.raises(RuntimeError, match="Low precision"):
        mt.linalg.inv(mt.ones(2, 2, dtype=mt.float16))


def test_integer_addmm_truncates_its_scalars() -> None:
    ones = mt.ones(2, 2, dtype=mt.int64)
    out = mt.addmm(ones, ones, ones, beta=2.7, alpha=1.5)
    assert out.dtype == mt.int64 and out.tolist() == [[4, 4], [4, 4]]


def test_nonfinite_inputs() -> None:
    with_nan = mt.tensor([[1.0, float("nan")], [2.0, 3.0]], dtype=mt.float64)
    with pytest.raises(mt.linalg.LinAlgError, match="failed to converge"):
        mt.linalg.svdvals(with_nan)
    assert mt.linalg.slogdet(with_nan).sign.item() == 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(mt.linalg.matrix_exp(with_nan).numpy()).all()
        assert np.isnan(mt.linalg.matrix_exp(with_nan * float("inf")).numpy()).all()


def test_matrix_exp_of_a_rotation_generator() -> None:
    angle = 0.7
    generator = mt.tensor([[0.0, -angle], [angle, 0.0]], dtype=mt.float64)
    expected = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    np.testing.assert_allclose(mt.linalg.matrix_exp(generator).numpy(), expected, atol=1e-15)
    big = mt.tensor([[0.0, -40.0], [40.0, 0.0]], dtype=mt.float64)  # needs many squarings
    np.testing.assert_allclose(mt.linalg.matrix_exp(big).numpy(),
                               [[np.cos(40), -np.sin(40)], [np.sin(40), np.cos(40)]], atol=1e-12)


def test_multi_dot_picks_the_cheapest_order_with_the_same_result() -> None:
    from microtensor.ops.linalg import _cheapest_order

    # (10×100)(100×5)(5×50): (AB)C costs 7500 multiplications, A(BC) 75000
    assert _cheapest_order([10, 100, 5, 50])[0][2] == 1
    assert _cheapest_order([50, 5, 100, 10])[0][2] == 0
    arrays = [_rand(3), _rand(3, 10, seed=1), _rand(10, 2, seed=2), _rand(2, seed=3)]
    np.testing.assert_allclose(mt.linalg.multi_dot([_t(a) for a in arrays]).numpy(),
                               np.linalg.multi_dot(arrays))


def test_vander_gradient_at_zero_is_finite() -> None:
    x = mt.tensor([0.0, 2.0], dtype=mt.float64, requires_grad=True)
    mt.linalg.vander(x, N=3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 5.0])  # d(1 + x + x²)/dx = 1 + 2x


def test_the_linalg_namespace() -> None:
    for name in mt.linalg.__all__:
        assert callable(getattr(mt.linalg, name)), name
    for name in ("mm", "bmm", "mv", "dot", "vdot", "outer", "ger", "inner", "addmm", "addmv",
                 "addr", "addbmm", "baddbmm", "einsum", "tensordot", "kron", "cross", "trace",
                 "det", "logdet", "slogdet", "inverse", "pinverse", "cholesky", "qr", "svd",
                 "matrix_power", "matrix_exp", "cholesky_solve", "cholesky_inverse", "vander"):
        assert callable(getattr(mt, name)), name
