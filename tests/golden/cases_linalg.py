"""Golden cases of the linalg family (see ``cases.py`` for the registry and its helpers).

Groups: ``linalg_products`` (mm, bmm, einsum, tensordot, kron, cross, ...) and ``linalg_decomp``
(``linalg.*`` matrix functions and decompositions).

Decompositions are unique only up to the signs of singular vectors / eigenvectors / the columns
of Q, which LAPACK may choose differently in NumPy and in PyTorch. Their cases therefore compare
sign-free functions of the factors: squares of entries (U², V²), Q and R normalised so that R
has a positive diagonal, reconstructions (U·diag(S)·Vh, Q·R), the eigenvalues and singular
values themselves, and the first k columns of U only for full_matrices=True (the others are not
determined by A).
"""

from __future__ import annotations

from typing import Any


def _spd(lib: Any, a: Any) -> Any:
    """A symmetric positive-definite matrix made from a: a·aᵀ + n·I."""
    n = a.shape[-1]
    return a @ a.mT + n * lib.eye(n, dtype=a.dtype)


def _sym(a: Any) -> Any:
    return a + a.mT


def _diagonal(lib: Any, r: Any) -> Any:
    k = min(r.shape[-2], r.shape[-1])
    return (r[..., :k, :k] * lib.eye(k, dtype=r.dtype)).sum(-1)


def _qr_signless(lib: Any, q: Any, r: Any) -> tuple[Any, ...]:
    """Q and R with R's diagonal made positive (the unique factors), and Q·R."""
    signs = _diagonal(lib, r).sign()
    k = signs.shape[-1]
    return (q[..., :k] * signs.unsqueeze(-2), r[..., :k, :] * signs.unsqueeze(-1),
            q[..., :k] @ r[..., :k, :])


def _svd_signless(u: Any, s: Any, vh: Any) -> tuple[Any, ...]:
    k = s.shape[-1]
    u, vh = u[..., :k], vh[..., :k, :]
    return u * u, s, vh * vh, (u * s.unsqueeze(-2)) @ vh


def register() -> None:
    """Append this family's cases to ``cases.CASES`` (called once, from ``cases.py``)."""
    _products()
    _einsum_and_friends()
    _determinants_and_inverses()
    _factorizations()
    _pseudo_inverse_and_least_squares()
    _built_from_them()
    _exponential_and_tensor_forms()
    _nonfinite()
    _powers_and_norms()


def _products() -> None:
    from tests.golden.cases import add, f, ints, mask, vals

    g = "linalg_products"
    add(g, "mm", lambda lib, a, b: lib.mm(a, b), f(2, 3), f(3, 4))
    add(g, "mm.method", lambda lib, a, b: a.mm(b), f(1, 3), f(3, 1))
    add(g, "mm.empty_rows", lambda lib, a, b: lib.mm(a, b), f(0, 3), f(3, 2))
    add(g, "mm.empty_inner", lambda lib, a, b: lib.mm(a, b), f(2, 0), f(0, 3))
    add(g, "mm.int", lambda lib, a, b: lib.mm(a, b), ints(2, 3), ints(3, 2))
    add(g, "mm.vector", lambda lib, a, b: lib.mm(a, b), f(3), f(3, 2),
        match="self must be a matrix")
    add(g, "mm.mismatch", lambda lib, a, b: lib.mm(a, b), f(2, 3), f(2, 3),
        match="cannot be multiplied")
    add(g, "mm.dtypes", lambda lib, a, b: lib.mm(a, b), f(2, 3), f(3, 2, dtype="float32"))
    add(g, "bmm", lambda lib, a, b: lib.bmm(a, b), f(2, 3, 4), f(2, 4, 2))
    add(g, "bmm.method", lambda lib, a, b: a.bmm(b), f(1, 1, 1), f(1, 1, 3))
    add(g, "bmm.empty_batch", lambda lib, a, b: lib.bmm(a, b), f(0, 3, 4), f(0, 4, 2))
    add(g, "bmm.2d", lambda lib, a, b: lib.bmm(a, b), f(3, 4), f(4, 2),
        match="must be a 3D tensor")
    add(g, "bmm.batch_mismatch", lambda lib, a, b: lib.bmm(a, b), f(2, 3, 4), f(3, 4, 2),
        match="Expected size for first two dimensions of batch2")
    add(g, "mv", lambda lib, a, v: lib.mv(a, v), f(2, 3), f(3))
    add(g, "mv.method", lambda lib, a, v: a.mv(v), f(0, 3), f(3))
    add(g, "mv.mismatch", lambda lib, a, v: lib.mv(a, v), f(2, 3), f(4))
    add(g, "mv.matrix", lambda lib, a, v: lib.mv(a, v), f(2, 3), f(3, 1))
    add(g, "dot", lambda lib, a, b: lib.dot(a, b), f(5), f(5))
    add(g, "dot.method_empty", lambda lib, a, b: a.dot(b), f(0), f(0))
    add(g, "dot.int", lambda lib, a, b: lib.dot(a, b), ints(4), ints(4))
    add(g, "dot.sizes", lambda lib, a, b: lib.dot(a, b), f(3), f(4),
        match="inconsistent tensor size")
    add(g, "dot.2d", lambda lib, a, b: lib.dot(a, b), f(3), f(1, 3), match="1D tensors expected")
    add(g, "dot.dtypes", lambda lib, a, b: lib.dot(a, b), f(3), f(3, dtype="float32"))
    add(g, "vdot", lambda lib, a, b: lib.vdot(a, b), f(4), f(4))
    add(g, "vdot.method", lambda lib, a, b: a.vdot(b), f(1), f(1))
    add(g, "outer", lambda lib, a, b: lib.outer(a, b), f(3), f(4))
    add(g, "outer.promotes", lambda lib, a, b: lib.outer(a, b), ints(3), f(2, dtype="float32"))
    add(g, "ger", lambda lib, a, b: lib.ger(a, b), f(2), f(0))
    add(g, "outer.method", lambda lib, a, b: a.outer(b), f(1), f(3))
    add(g, "ger.method", lambda lib, a, b: a.ger(b), f(2), f(2))
    add(g, "inner.vectors", lambda lib, a, b: lib.inner(a, b), f(4), f(4))
    add(g, "inner.nd", lambda lib, a, b: lib.inner(a, b), f(2, 3), f(4, 1, 3))
    add(g, "inner.scalar", lambda lib, a, b: lib.inner(a, b), f(), f(2, 3))
    add(g, "inner.method", lambda lib, a, b: a.inner(b), f(2, 3), f(3))
    add(g, "inner.mismatch", lambda lib, a, b: lib.inner(a, b), f(2, 3), f(2))
    add(g, "addmm", lambda lib, x, a, b: lib.addmm(x, a, b), f(2, 4), f(2, 3), f(3, 4))
    add(g, "addmm.scaled", lambda lib, x, a, b: lib.addmm(x, a, b, beta=0.5, alpha=-2.0),
        f(4), f(2, 3), f(3, 4))
    add(g, "addmm.beta_zero_ignores_nan", lambda lib, x, a, b: lib.addmm(x, a, b, beta=0),
        vals(float("nan"), 1.0, shape=(2, 1)), f(2, 3), f(3, 2))
    add(g, "addmm.method", lambda lib, x, a, b: x.addmm(a, b, alpha=3), f(1, 1), f(2, 3),
        f(3, 1))
    add(g, "addmm.in_place", lambda lib, x, a, b: (x * 1).addmm_(a, b, beta=2), f(2, 2),
        f(2, 3), f(3, 2))
    add(g, "addmm.bad_input", lambda lib, x, a, b: lib.addmm(x, a, b), f(3, 4), f(2, 3),
        f(3, 4))
    add(g, "addmv", lambda lib, x, a, v: lib.addmv(x, a, v, beta=2.0, alpha=0.5), f(2), f(2, 3),
        f(3))
    add(g, "addmv.method_in_place", lambda lib, x, a, v: (x * 1).addmv_(a, v), f(2), f(2, 3),
        f(3))
    add(g, "addr", lambda lib, x, a, b: lib.addr(x, a, b, alpha=2), f(3, 2), f(3), f(2))
    add(g, "addr.method", lambda lib, x, a, b: x.addr(a, b), f(2), f(3), f(2))
    add(g, "addbmm", lambda lib, x, a, b: lib.addbmm(x, a, b, beta=0.5, alpha=2.0), f(2, 4),
        f(3, 2, 5), f(3, 5, 4))
    add(g, "addbmm.method_in_place", lambda lib, x, a, b: (x * 1).addbmm_(a, b), f(2, 4),
        f(1, 2, 5), f(1, 5, 4))
    add(g, "addbmm.empty_batch", lambda lib, x, a, b: lib.addbmm(x, a, b), f(2, 4),
        f(0, 2, 5), f(0, 5, 4))
    add(g, "baddbmm", lambda lib, x, a, b: lib.baddbmm(x, a, b, beta=-1.0, alpha=0.5),
        f(3, 2, 4), f(3, 2, 5), f(3, 5, 4))
    add(g, "baddbmm.broadcast_input", lambda lib, x, a, b: x.baddbmm(a, b), f(4), f(3, 2, 5),
        f(3, 5, 4))
    add(g, "baddbmm.in_place", lambda lib, x, a, b: (x * 1).baddbmm_(a, b, alpha=2),
        f(3, 2, 4), f(3, 2, 5), f(3, 5, 4))
    add(g, "vecdot", lambda lib, a, b: lib.linalg.vecdot(a, b), f(2, 3), f(3))
    add(g, "mm.bool", lambda lib, a, b: lib.mm(a, b), mask(2, 2), mask(2, 2))
    add(g, "matmul.bool", lambda lib, a, b: a @ b, mask(2, 2), mask(2))
    add(g, "dot.bool", lambda lib, a, b: lib.dot(a, b), mask(3), mask(3))
    add(g, "outer.bool", lambda lib, a, b: lib.outer(a, b), mask(3), mask(2))
    add(g, "addmm.int_scalars", lambda lib, x, a, b: lib.addmm(x, a, b, beta=2.7, alpha=0.5),
        ints(2, 2), ints(2, 3), ints(3, 2))
    add(g, "addmm.float16", lambda lib, x, a, b: lib.addmm(x, a, b), f(2, 2, dtype="float16"),
        f(2, 3, dtype="float16"), f(3, 2, dtype="float16"), double=False)
    add(g, "vecdot.int", lambda lib, a, b: lib.linalg.vecdot(a, b), ints(3), ints(3),
        match="Expected a floating point")
    add(g, "vecdot.dim", lambda lib, a, b: lib.linalg.vecdot(a, b, dim=0), f(2, 3), f(2, 1))


def _einsum_and_friends() -> None:
    from tests.golden.cases import add, f, ints, mask

    g = "linalg_products"
    equations = {
        "matmul": ("ij,jk->ik", [(2, 3), (3, 4)]),
        "implicit": ("ij,jk", [(2, 3), (3, 4)]),
        "batch": ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]),
        "ellipsis": ("...ij,...jk->...ik", [(2, 1, 2, 3), (4, 3, 2)]),
        "ellipsis_implicit": ("...ij,jk", [(2, 2, 3), (3, 4)]),
        "trace": ("ii", [(3, 3)]),
        "batch_trace": ("...ii->...", [(2, 3, 3)]),
        "diagonal": ("ii->i", [(3, 3)]),
        "repeated_and_summed": ("iij,jk->ik", [(3, 3, 2), (2, 4)]),
        "outer": ("i,j->ij", [(3,), (4,)]),
        "transpose": ("ij->ji", [(2, 3)]),
        "sum_all": ("ij->", [(2, 3)]),
        "only_in_one": ("ij,k->ik", [(2, 3), (4,)]),
        "three_operands": ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
        "bilinear": ("bn,anm,bm->ba", [(2, 3), (4, 3, 5), (2, 5)]),
        "spaces": ("i j , j k -> i k", [(2, 3), (3, 2)]),
        "empty": ("ij,jk->ik", [(0, 3), (3, 2)]),
        "scalar": (",i->i", [(), (3,)]),
    }
    for name, (equation, shapes) in equations.items():
        add(g, f"einsum.{name}",
            lambda lib, *xs, eq=equation: lib.einsum(eq, *xs), *[f(*s) for s in shapes])
    add(g, "einsum.operand_list", lambda lib, a, b: lib.einsum("ij,j->i", [a, b]), f(2, 3), f(3))
    add(g, "einsum.int", lambda lib, a, b: lib.einsum("ij,j->i", a, b), ints(2, 3), ints(3))
    add(g, "einsum.too_few_operands", lambda lib, a: lib.einsum("ij,jk->ik", a), f(2, 3),
        match="operands")
    add(g, "einsum.wrong_ndim", lambda lib, a: lib.einsum("ijk->i", a), f(2, 3),
        match="does not match the number of dimensions")
    add(g, "einsum.size_mismatch", lambda lib, a, b: lib.einsum("ij,jk->ik", a, b), f(2, 3),
        f(2, 3))
    add(g, "einsum.bool", lambda lib, a, b: lib.einsum("ij,jk", a, b), mask(2, 2), mask(2, 2))
    add(g, "tensordot.bool", lambda lib, a, b: lib.tensordot(a, b, 1), mask(2, 2), mask(2, 2))
    add(g, "trace.bool", lambda lib, a: lib.trace(a), mask(2, 2))
    add(g, "kron.bool", lambda lib, a, b: lib.kron(a, b), mask(2), mask(2, 2))
    add(g, "einsum.dtypes", lambda lib, a, b: lib.einsum("i,i->", a, b), f(3),
        f(3, dtype="float32"))

    add(g, "tensordot.default", lambda lib, a, b: lib.tensordot(a, b), f(2, 3, 4), f(3, 4, 5))
    add(g, "tensordot.int", lambda lib, a, b: lib.tensordot(a, b, 1), f(2, 3), f(3, 4))
    add(g, "tensordot.zero", lambda lib, a, b: lib.tensordot(a, b, 0), f(2), f(3))
    add(g, "tensordot.lists", lambda lib, a, b: lib.tensordot(a, b, ([1, 0], [0, 2])),
        f(2, 3, 4), f(3, 5, 2))
    add(g, "tensordot.negative", lambda lib, a, b: lib.tensordot(a, b, ([-1], [-2])),
        f(2, 3), f(4, 3, 2))
    add(g, "tensordot.mismatch", lambda lib, a, b: lib.tensordot(a, b, ([0], [0])), f(2, 3),
        f(3, 2), match="contracted dimensions need to match")

    add(g, "kron.2d", lambda lib, a, b: lib.kron(a, b), f(2, 3), f(3, 2))
    add(g, "kron.1d", lambda lib, a, b: lib.kron(a, b), f(3), f(2))
    add(g, "kron.mixed_ndim", lambda lib, a, b: lib.kron(a, b), f(2), f(2, 3, 2))
    add(g, "kron.promotes", lambda lib, a, b: lib.kron(a, b), ints(2, 2), f(2, dtype="float32"))
    add(g, "kron.method_empty", lambda lib, a, b: a.kron(b), f(0, 2), f(2, 2))

    add(g, "cross.linalg", lambda lib, a, b: lib.linalg.cross(a, b), f(4, 3), f(4, 3))
    add(g, "cross.broadcast", lambda lib, a, b: lib.linalg.cross(a, b), f(2, 1, 3), f(4, 3))
    add(g, "cross.dim", lambda lib, a, b: lib.cross(a, b, dim=0), f(3, 2), f(3, 2))
    add(g, "cross.linalg_dim", lambda lib, a, b: lib.linalg.cross(a, b, dim=-2), f(3, 4),
        f(3, 4))
    add(g, "cross.method", lambda lib, a, b: a.cross(b, dim=1), f(2, 3), f(2, 3))
    add(g, "cross.int", lambda lib, a, b: lib.linalg.cross(a, b), ints(3), ints(3))
    add(g, "cross.length", lambda lib, a, b: lib.linalg.cross(a, b), f(2, 4), f(2, 4),
        match="must have length 3")

    add(g, "trace", lambda lib, a: lib.trace(a), f(3, 3))
    add(g, "trace.rectangular", lambda lib, a: a.trace(), f(2, 4))
    add(g, "trace.int", lambda lib, a: lib.trace(a), ints(3, 3))
    add(g, "trace.empty", lambda lib, a: lib.trace(a), f(0, 3))
    add(g, "trace.vector", lambda lib, a: lib.trace(a), f(3), match="expected a matrix")

    add(g, "multi_dot", lambda lib, a, b, c: lib.linalg.multi_dot([a, b, c]), f(2, 3), f(3, 4),
        f(4, 2))
    add(g, "multi_dot.vectors", lambda lib, a, b, c, d: lib.linalg.multi_dot([a, b, c, d]),
        f(3), f(3, 4), f(4, 2), f(2))
    add(g, "multi_dot.two", lambda lib, a, b: lib.linalg.multi_dot([a, b]), f(2, 3), f(3))
    add(g, "multi_dot.one", lambda lib, a: lib.linalg.multi_dot([a]), f(2, 3),
        match="expected at least 2 tensors")
    add(g, "multi_dot.3d", lambda lib, a, b: lib.linalg.multi_dot([a, b]), f(2, 2, 3), f(3, 2))
    add(g, "linalg.matmul", lambda lib, a, b: lib.linalg.matmul(a, b), f(2, 2, 3), f(3, 2))


def _determinants_and_inverses() -> None:
    from tests.golden.cases import add, f, ints, vals

    g = "linalg_decomp"
    singular = vals(1.0, 2.0, 3.0, 2.0, 4.0, 6.0, 0.5, -1.0, 2.0, shape=(3, 3))
    rank_one = vals(1.0, 2.0, 3.0, 2.0, 4.0, 6.0, -1.0, -2.0, -3.0, shape=(3, 3))
    negative = vals(0.0, 1.0, 1.0, 0.0, shape=(2, 2))
    add(g, "det", lambda lib, a: lib.linalg.det(a), f(3, 3))
    add(g, "det.batched", lambda lib, a: lib.linalg.det(a), f(2, 3, 3))
    add(g, "det.1x1", lambda lib, a: lib.linalg.det(a), f(1, 1))
    add(g, "det.0x0", lambda lib, a: lib.linalg.det(a), f(2, 0, 0))
    add(g, "det.empty_batch", lambda lib, a: lib.linalg.det(a), f(0, 3, 3))
    add(g, "det.float32", lambda lib, a: lib.linalg.det(a), f(2, 2, dtype="float32"))
    add(g, "det.singular", lambda lib, a: lib.linalg.det(a), singular, check_warnings=True)
    add(g, "det.rank_one", lambda lib, a: lib.linalg.det(a), rank_one, check_warnings=True)
    add(g, "det.torch_det", lambda lib, a: lib.det(a), f(3, 3))
    add(g, "det.method", lambda lib, a: a.det(), f(2, 2, 2))
    add(g, "det.then_log", lambda lib, a: lib.linalg.det(_spd(lib, a)).log(), f(3, 3))
    add(g, "det.float16", lambda lib, a: lib.linalg.det(a), f(2, 2, dtype="float16"))
    add(g, "inv.float16", lambda lib, a: lib.linalg.inv(a), f(2, 2, dtype="float16"))
    add(g, "svd.float16", lambda lib, a: lib.linalg.svd(a), f(2, 2, dtype="float16"))
    add(g, "det.int", lambda lib, a: lib.linalg.det(a), ints(2, 2),
        match="Expected a floating point or complex tensor as input")
    add(g, "det.non_square", lambda lib, a: lib.linalg.det(a), f(2, 3),
        match="must be batches of square matrices")
    add(g, "det.vector", lambda lib, a: lib.linalg.det(a), f(3),
        match="must have at least 2 dimensions")
    add(g, "slogdet", lambda lib, a: tuple(lib.linalg.slogdet(a)), f(3, 3))
    add(g, "slogdet.batched", lambda lib, a: lib.linalg.slogdet(a).logabsdet, f(2, 3, 3))
    add(g, "slogdet.sign_negative", lambda lib, a: tuple(lib.linalg.slogdet(a)), negative)
    add(g, "slogdet.singular", lambda lib, a: tuple(lib.linalg.slogdet(a)),
        vals(1.0, 2.0, 2.0, 4.0, shape=(2, 2), grad=False))
    add(g, "slogdet.torch_and_method", lambda lib, a: (lib.slogdet(a)[1], a.slogdet()[0]),
        f(2, 2))
    add(g, "logdet", lambda lib, a: lib.logdet(_spd(lib, a)), f(2, 3, 3))
    add(g, "logdet.negative_is_nan", lambda lib, a: a.logdet(), negative, check_warnings=True)
    add(g, "logdet.singular", lambda lib, a: lib.logdet(a),
        vals(1.0, 2.0, 2.0, 4.0, shape=(2, 2), grad=False), check_warnings=True)
    add(g, "inv", lambda lib, a: lib.linalg.inv(a), f(3, 3))
    add(g, "inv.batched", lambda lib, a: lib.linalg.inv(a), f(2, 2, 3, 3))
    add(g, "inv.1x1", lambda lib, a: lib.linalg.inv(a), f(1, 1))
    add(g, "inv.empty", lambda lib, a: lib.linalg.inv(a), f(0, 2, 2))
    add(g, "inv.float32", lambda lib, a: lib.linalg.inv(a), f(3, 3, dtype="float32"))
    add(g, "inv.inverse", lambda lib, a: (lib.inverse(a), a.inverse()), f(2, 2))
    add(g, "inv.singular", lambda lib, a: lib.linalg.inv(a), singular, match="singular")
    add(g, "inv.singular_batch", lambda lib, a, b: lib.linalg.inv(lib.stack([a, b])), f(3, 3),
        singular, match="singular")
    add(g, "inv.int", lambda lib, a: lib.linalg.inv(a), ints(2, 2),
        match="Expected a floating point")
    add(g, "solve", lambda lib, a, b: lib.linalg.solve(a, b), f(3, 3), f(3, 2))
    add(g, "solve.vector", lambda lib, a, b: lib.linalg.solve(a, b), f(3, 3), f(3))
    add(g, "solve.batched_vectors", lambda lib, a, b: lib.linalg.solve(a, b), f(2, 3, 3),
        f(2, 3))
    add(g, "solve.broadcast", lambda lib, a, b: lib.linalg.solve(a, b), f(2, 1, 3, 3),
        f(4, 3, 2))
    add(g, "solve.right", lambda lib, a, b: lib.linalg.solve(a, b, left=False), f(3, 3),
        f(2, 3))
    add(g, "solve.empty", lambda lib, a, b: lib.linalg.solve(a, b), f(0, 2, 2), f(0, 2, 1))
    add(g, "solve.singular", lambda lib, a, b: lib.linalg.solve(a, b), singular, f(3),
        match="singular")
    add(g, "solve.dtypes", lambda lib, a, b: lib.linalg.solve(a, b), f(2, 2),
        f(2, dtype="float32"), match="same dtype")
    add(g, "solve.shapes", lambda lib, a, b: lib.linalg.solve(a, b), f(3, 3), f(2, 2))
    add(g, "solve.right_vector", lambda lib, a, b: lib.linalg.solve(a, b, left=False), f(3, 3),
        f(3), match="Incompatible shapes of A and B for the equation XA = B")
    add(g, "solve.right_shapes", lambda lib, a, b: lib.linalg.solve(a, b, left=False), f(3, 3),
        f(3, 2), match="Incompatible shapes of A and B for the equation XA = B")


def _factorizations() -> None:
    from tests.golden.cases import add, const, f, vals

    g = "linalg_decomp"
    add(g, "cholesky", lambda lib, a: lib.linalg.cholesky(_spd(lib, a)), f(3, 3))
    add(g, "cholesky.upper", lambda lib, a: lib.linalg.cholesky(_spd(lib, a), upper=True),
        f(3, 3))
    add(g, "cholesky.batched", lambda lib, a: lib.linalg.cholesky(_spd(lib, a)), f(2, 3, 3))
    add(g, "cholesky.1x1_and_float32", lambda lib, a: lib.linalg.cholesky(a * a + 1),
        f(1, 1, dtype="float32"))
    add(g, "cholesky.empty", lambda lib, a: lib.linalg.cholesky(a), f(0, 2, 2))
    add(g, "cholesky.legacy", lambda lib, a: (lib.cholesky(_spd(lib, a)),
                                               _spd(lib, a).cholesky(True)), f(2, 2))
    add(g, "cholesky.not_positive_definite", lambda lib, a: lib.linalg.cholesky(-_spd(lib, a)),
        f(3, 3), match="not positive-definite")
    add(g, "cholesky.batch_not_positive_definite",
        lambda lib, a: lib.linalg.cholesky(lib.stack([_spd(lib, a), -_spd(lib, a)])), f(2, 2),
        match="not positive-definite")

    qr_forms = {"tall": (4, 3), "square": (3, 3), "wide": (2, 4), "batched": (2, 4, 2)}
    for name, shape in qr_forms.items():
        add(g, f"qr.{name}", lambda lib, a: _qr_signless(lib, *lib.linalg.qr(a)), f(*shape))
    add(g, "qr.complete_square", lambda lib, a: _qr_signless(lib, *lib.linalg.qr(
        a, mode="complete")), f(3, 3))
    add(g, "qr.complete_tall_values", lambda lib, a: lib.linalg.qr(a, mode="complete").R.abs(),
        const(4, 2))
    add(g, "qr.r_only", lambda lib, a: tuple(x.abs() for x in lib.linalg.qr(a, mode="r")),
        const(4, 3))
    add(g, "qr.legacy", lambda lib, a: _qr_signless(lib, *lib.qr(a)), f(3, 2))
    add(g, "qr.method", lambda lib, a: _qr_signless(lib, *a.qr()), f(2, 2))
    add(g, "qr.empty_batch", lambda lib, a: lib.linalg.qr(a), f(0, 3, 2))
    add(g, "qr.bad_mode", lambda lib, a: lib.linalg.qr(a, mode="full"), f(2, 2),
        match="unrecognized mode")
    add(g, "qr.int", lambda lib, a: lib.linalg.qr(a.long()), const(2, 2),
        match="Expected a floating point")

    svd_forms = {"tall": (4, 3), "wide": (2, 4), "square": (3, 3), "batched": (2, 3, 2)}
    for name, shape in svd_forms.items():
        add(g, f"svd.{name}", lambda lib, a: _svd_signless(*lib.linalg.svd(
            a, full_matrices=False)), f(*shape))
    add(g, "svd.full_square", lambda lib, a: _svd_signless(*lib.linalg.svd(a)), f(3, 3))
    add(g, "svd.full_tall", lambda lib, a: _svd_signless(*lib.linalg.svd(a)), f(4, 2))
    add(g, "svd.full_shapes", lambda lib, a: tuple(x * 0 for x in lib.linalg.svd(a)),
        const(4, 2))
    add(g, "svd.empty_batch", lambda lib, a: lib.linalg.svd(a), f(0, 3, 2))
    add(g, "svd.1x1", lambda lib, a: lib.linalg.svd(a).S, f(1, 1))
    add(g, "svdvals", lambda lib, a: lib.linalg.svdvals(a), f(2, 4, 3))
    add(g, "svdvals.float32", lambda lib, a: lib.linalg.svdvals(a), f(3, 2, dtype="float32"))
    add(g, "svdvals.repeated", lambda lib, a: lib.linalg.svdvals(a),
        vals(2.0, 0.0, 0.0, 0.0, 2.0, 0.0, 0.0, 0.0, 1.0, shape=(3, 3)), check_warnings=True)
    add(g, "svd.legacy", lambda lib, a: (lambda u, s, v: (u * u, s, v * v))(*lib.svd(a)),
        f(4, 3))
    add(g, "svd.legacy_method_full", lambda lib, a: tuple(
        x[..., :2] ** 2 if x.ndim == 2 else x for x in a.svd(some=False)), f(3, 2))
    add(g, "svd.legacy_values_only", lambda lib, a: tuple(lib.svd(a, compute_uv=False)),
        f(3, 2))
    add(g, "svd.int", lambda lib, a: lib.linalg.svd(a.long()), const(2, 2),
        match="Expected a floating point")

    add(g, "eigh", lambda lib, a: (lambda w, v: (w, v * v))(*lib.linalg.eigh(_sym(a))),
        f(3, 3))
    add(g, "eigh.batched", lambda lib, a: (lambda w, v: (w, v * v))(*lib.linalg.eigh(
        _sym(a))), f(2, 4, 4))
    add(g, "eigh.upper", lambda lib, a: (lambda w, v: (w, v * v))(*lib.linalg.eigh(
        _sym(a), UPLO="U")), f(3, 3))
    add(g, "eigh.reads_one_triangle", lambda lib, a: lib.linalg.eigh(a, UPLO="U")[0], const(3, 3))
    add(g, "eigh.1x1_empty", lambda lib, a: tuple(lib.linalg.eigh(a)), f(0, 1, 1))
    add(g, "eigh.bad_uplo", lambda lib, a: lib.linalg.eigh(a, UPLO="X"), f(2, 2),
        match="Expected UPLO argument to be 'L' or 'U'")
    add(g, "eigh.non_square", lambda lib, a: lib.linalg.eigh(a), f(2, 3),
        match="must be batches of square matrices")
    add(g, "eigvalsh", lambda lib, a: lib.linalg.eigvalsh(_sym(a)), f(2, 3, 3))
    add(g, "eigvalsh.repeated", lambda lib, a: lib.linalg.eigvalsh(a),
        vals(2.0, 0.0, 0.0, 0.0, 2.0, 0.0, 0.0, 0.0, 1.0, shape=(3, 3)), check_warnings=True)
    add(g, "eigvalsh.float32", lambda lib, a: lib.linalg.eigvalsh(_sym(a)),
        f(3, 3, dtype="float32"))


def _pseudo_inverse_and_least_squares() -> None:
    from tests.golden.cases import add, const, f, vals

    g = "linalg_decomp"
    rank_two = vals(1.0, 2.0, 3.0, 2.0, 4.0, 6.0, 0.5, -1.0, 2.0, 1.0, 1.0, 1.0, shape=(4, 3),
                    grad=False)
    add(g, "pinv.tall", lambda lib, a: lib.linalg.pinv(a), f(4, 3))
    add(g, "pinv.wide", lambda lib, a: lib.linalg.pinv(a), f(2, 4))
    add(g, "pinv.batched", lambda lib, a: lib.linalg.pinv(a), f(2, 3, 3))
    add(g, "pinv.hermitian", lambda lib, a: lib.linalg.pinv(_sym(a), hermitian=True), f(3, 3))
    add(g, "pinv.rank_deficient", lambda lib, a: lib.linalg.pinv(a), rank_two, check_warnings=True)
    add(g, "pinv.atol", lambda lib, a: lib.linalg.pinv(a, atol=0.5), rank_two)
    add(g, "pinv.rtol", lambda lib, a: lib.linalg.pinv(a, rtol=0.9), const(3, 3))
    add(g, "pinv.pinverse", lambda lib, a: (lib.pinverse(a), a.pinverse()), f(3, 2))
    add(g, "pinv.empty", lambda lib, a: lib.linalg.pinv(a), f(0, 2, 3))
    add(g, "pinv.int", lambda lib, a: lib.linalg.pinv(a.long()), const(2, 2),
        match="expected a tensor with 2 or more dimensions of float")
    add(g, "lstsq", lambda lib, a, b: lib.linalg.lstsq(a, b).solution, f(5, 3), f(5, 2))
    add(g, "lstsq.vector", lambda lib, a, b: lib.linalg.lstsq(a, b).solution, f(4, 2), f(4))
    add(g, "lstsq.batched", lambda lib, a, b: lib.linalg.lstsq(a, b).solution, f(2, 4, 3),
        f(2, 4, 1))
    add(g, "lstsq.underdetermined", lambda lib, a, b: lib.linalg.lstsq(a, b).solution,
        f(2, 4), f(2, 3))
    add(g, "lstsq.gelsy_outputs", lambda lib, a, b: tuple(lib.linalg.lstsq(a, b)),
        const(5, 3), const(5, 2))
    add(g, "lstsq.gelsd_outputs", lambda lib, a, b: tuple(lib.linalg.lstsq(
        a, b, driver="gelsd")), const(5, 3), const(5, 2))
    add(g, "lstsq.gels_outputs", lambda lib, a, b: tuple(lib.linalg.lstsq(
        a, b, driver="gels")), const(5, 3), const(5, 2))
    add(g, "lstsq.gelss_rank_deficient", lambda lib, a, b: tuple(lib.linalg.lstsq(
        a, b, driver="gelss")), rank_two, const(4, 2))
    add(g, "lstsq.rank_deficient", lambda lib, a, b: lib.linalg.lstsq(a, b).rank, rank_two,
        const(4, 2))
    add(g, "lstsq.bad_driver", lambda lib, a, b: lib.linalg.lstsq(a, b, driver="svd"), f(3, 2),
        f(3, 1), match="parameter `driver` should be one of")
    add(g, "lstsq.rows", lambda lib, a, b: lib.linalg.lstsq(a, b), f(3, 2), f(4, 1))
    add(g, "matrix_rank", lambda lib, a: lib.linalg.matrix_rank(a), rank_two)
    add(g, "matrix_rank.full", lambda lib, a: lib.linalg.matrix_rank(a), const(2, 3, 4))
    add(g, "matrix_rank.atol", lambda lib, a: lib.linalg.matrix_rank(a, atol=1.0, rtol=0.0),
        const(4, 4))
    add(g, "matrix_rank.hermitian", lambda lib, a: lib.linalg.matrix_rank(
        a @ a.mT, hermitian=True), const(4, 2))
    add(g, "matrix_rank.empty", lambda lib, a: lib.linalg.matrix_rank(a), const(0, 3))
    add(g, "matrix_rank.int", lambda lib, a: lib.linalg.matrix_rank(a.long()), const(2, 2))


def _built_from_them() -> None:
    from tests.golden.cases import add, const, f, vals

    g = "linalg_decomp"
    for upper in (True, False):
        for unit in (True, False):
            add(g, f"solve_triangular.{'upper' if upper else 'lower'}{'_unit' if unit else ''}",
                lambda lib, a, b, u=upper, one=unit: lib.linalg.solve_triangular(
                    a + 3 * lib.eye(3, dtype=a.dtype), b, upper=u, unitriangular=one),
                f(3, 3), f(3, 2))
    add(g, "solve_triangular.right_batched", lambda lib, a, b: lib.linalg.solve_triangular(
        a + 3 * lib.eye(3, dtype=a.dtype), b, upper=False, left=False), f(2, 3, 3), f(2, 4, 3))
    add(g, "solve_triangular.vector", lambda lib, a, b: lib.linalg.solve_triangular(
        a, b, upper=True), f(3, 3), f(3), match="must have at least 2 dimensions")
    # PyTorch 2.13 cannot differentiate cond for p other than None and ±2 (its backward fails
    # with "modified by an inplace operation" on the output of LinalgInvEx): those cases
    # compare values only; tests/test_linalg.py gradchecks microtensor's gradient
    for name, p in {"none": None, "2": 2, "-2": -2, "fro": "fro", "nuc": "nuc", "1": 1,
                    "-inf": float("-inf")}.items():
        spec = f(2, 3, 3) if p in (None, 2, -2) else const(2, 3, 3)
        add(g, f"cond.{name}", lambda lib, a, p=p: lib.linalg.cond(a, p), spec)
    add(g, "cond.rectangular", lambda lib, a: lib.linalg.cond(a), f(4, 2))
    add(g, "cond.singular", lambda lib, a: lib.linalg.cond(a, 1),
        vals(1.0, 2.0, 2.0, 4.0, shape=(2, 2), grad=False), check_warnings=True)
    add(g, "cond.rectangular_fro", lambda lib, a: lib.linalg.cond(a, "fro"), const(2, 3),
        match="must be batches of square matrices")
    add(g, "diagonal", lambda lib, a: lib.linalg.diagonal(a), f(2, 3, 4))
    add(g, "diagonal.offset", lambda lib, a: lib.linalg.diagonal(a, offset=1, dim1=0, dim2=2),
        f(3, 2, 4))


def _exponential_and_tensor_forms() -> None:
    from tests.golden.cases import add, const, f, ints, vals

    g = "linalg_decomp"
    add(g, "matrix_exp", lambda lib, a: lib.linalg.matrix_exp(a), f(3, 3))
    add(g, "matrix_exp.batched", lambda lib, a: lib.linalg.matrix_exp(a), f(2, 4, 4))
    add(g, "matrix_exp.large_norm", lambda lib, a: lib.linalg.matrix_exp(a * 6), f(3, 3))
    add(g, "matrix_exp.1x1_float32", lambda lib, a: lib.matrix_exp(a), f(1, 1, dtype="float32"))
    add(g, "matrix_exp.method_empty", lambda lib, a: a.matrix_exp(), f(0, 2, 2))
    add(g, "matrix_exp.zero", lambda lib, a: lib.linalg.matrix_exp(a),
        vals(0.0, 0.0, 0.0, 0.0, shape=(2, 2)))
    add(g, "matrix_exp.non_square", lambda lib, a: lib.linalg.matrix_exp(a), f(2, 3),
        match="must be batches of square matrices")
    add(g, "cholesky_solve", lambda lib, b, a: lib.cholesky_solve(
        b, lib.linalg.cholesky(_spd(lib, a))), f(3, 2), f(3, 3))
    add(g, "cholesky_solve.factor_leaf_upper", lambda lib, b, u: b.cholesky_solve(
        u.triu() + 3 * lib.eye(3, dtype=u.dtype), upper=True), f(2, 3, 2), f(3, 3))
    add(g, "cholesky_inverse", lambda lib, a: lib.cholesky_inverse(
        lib.linalg.cholesky(_spd(lib, a))), f(3, 3))
    add(g, "cholesky_inverse.upper_method", lambda lib, u: (
        u.triu() + 3 * lib.eye(3, dtype=u.dtype)).cholesky_inverse(True), f(3, 3))
    add(g, "tensorinv", lambda lib, a: lib.linalg.tensorinv(a, ind=2), f(4, 2, 2, 4))
    add(g, "tensorinv.ind1", lambda lib, a: lib.linalg.tensorinv(a, ind=1), f(6, 2, 3))
    add(g, "tensorinv.bad_shape", lambda lib, a: lib.linalg.tensorinv(a), f(2, 3, 4),
        match="Expected self to satisfy the requirement")
    add(g, "tensorsolve", lambda lib, a, b: lib.linalg.tensorsolve(a, b), f(2, 3, 6), f(2, 3))
    add(g, "tensorsolve.dims", lambda lib, a, b: lib.linalg.tensorsolve(a, b, dims=(0,)),
        f(6, 2, 3), f(2, 3))
    add(g, "vander", lambda lib, x: lib.linalg.vander(x), f(4))
    add(g, "vander.N_batched", lambda lib, x: lib.linalg.vander(x, N=3), f(2, 4))
    add(g, "vander.zeros", lambda lib, x: lib.linalg.vander(x, N=4), vals(0.0, 2.0, 0.0))
    add(g, "vander.int", lambda lib, x: lib.linalg.vander(x), ints(3))
    add(g, "vander.N1", lambda lib, x: lib.linalg.vander(x, N=1), f(3),
        match="N must be greater than 1")
    # torch.vander's backward fails in PyTorch 2.13 ("modified by an inplace operation"):
    # values only; microtensor differentiates it (it is linalg.vander, flipped)
    add(g, "vander.torch", lambda lib, x: (lib.vander(x), lib.vander(x, 2, increasing=True),
                                           lib.vander(x, 1), lib.vander(x, 0)), const(3))


def _nonfinite() -> None:
    from tests.golden.cases import add, vals

    g = "linalg_decomp"
    nan, inf = float("nan"), float("inf")
    with_nan = vals(1.0, nan, 2.0, 3.0, shape=(2, 2), grad=False)
    with_inf = vals(1.0, inf, 2.0, 3.0, shape=(2, 2), grad=False)
    for name in ("det", "inv", "slogdet", "matrix_exp", "qr", "svdvals", "pinv", "matrix_rank",
                 "eigvalsh", "cholesky"):
        for label, spec in (("nan", with_nan), ("inf", with_inf)):
            fails = name in ("svdvals", "pinv", "matrix_rank") and label == "nan"
            add(g, f"{name}.{label}", lambda lib, a, op=name: getattr(lib.linalg, op)(a), spec,
                check_warnings=True, match="failed to converge" if fails else None)


def _powers_and_norms() -> None:
    from tests.golden.cases import add, f, ints, vals

    g = "linalg_decomp"
    inf = float("inf")
    add(g, "matrix_power.3", lambda lib, a: lib.linalg.matrix_power(a, 3), f(3, 3))
    add(g, "matrix_power.6_batched", lambda lib, a: lib.linalg.matrix_power(a, 6), f(2, 2, 2))
    add(g, "matrix_power.1", lambda lib, a: lib.linalg.matrix_power(a, 1), f(2, 2))
    add(g, "matrix_power.0", lambda lib, a: lib.linalg.matrix_power(a, 0), f(2, 3, 3))
    add(g, "matrix_power.negative", lambda lib, a: lib.linalg.matrix_power(a, -2), f(3, 3))
    add(g, "matrix_power.method", lambda lib, a: (lib.matrix_power(a, 2), a.matrix_power(3)),
        f(2, 2))
    add(g, "matrix_power.int", lambda lib, a: lib.linalg.matrix_power(a, 3), ints(2, 2))
    add(g, "matrix_power.int_negative", lambda lib, a: lib.linalg.matrix_power(a, -1),
        ints(2, 2), match="Expected a floating point")
    add(g, "matrix_power.non_square", lambda lib, a: lib.linalg.matrix_power(a, 2), f(2, 3),
        match="must be batches of square matrices")

    vector_ords = {"2": 2, "1": 1, "inf": inf, "-inf": -inf, "0": 0, "3": 3, "half": 0.5}
    for name, ord_ in vector_ords.items():
        add(g, f"vector_norm.{name}", lambda lib, x, o=ord_: lib.linalg.vector_norm(x, o),
            f(2, 3))
    add(g, "vector_norm.dim_keepdim", lambda lib, x: lib.linalg.vector_norm(
        x, 2, dim=(0, -1), keepdim=True), f(2, 3, 4))
    add(g, "vector_norm.dtype", lambda lib, x: lib.linalg.vector_norm(x, dtype=lib.float64),
        f(3, dtype="float32"))
    add(g, "vector_norm.int", lambda lib, x: lib.linalg.vector_norm(x), ints(3),
        match="Expected a floating point or complex tensor")
    matrix_ords = {"fro": "fro", "nuc": "nuc", "1": 1, "-1": -1, "2": 2, "-2": -2, "inf": inf,
                   "-inf": -inf}
    for name, ord_ in matrix_ords.items():
        add(g, f"matrix_norm.{name}", lambda lib, x, o=ord_: lib.linalg.matrix_norm(x, o),
            f(2, 3, 4))
    add(g, "matrix_norm.dim_keepdim", lambda lib, x: lib.linalg.matrix_norm(
        x, "nuc", dim=(2, 0), keepdim=True), f(3, 2, 4))
    add(g, "matrix_norm.inf_keepdim", lambda lib, x: lib.linalg.matrix_norm(
        x, inf, dim=(-1, 0), keepdim=True), f(3, 2, 4))
    add(g, "matrix_norm.bad_ord", lambda lib, x: lib.linalg.matrix_norm(x, 3), f(2, 2),
        match="Order 3 not supported")
    add(g, "matrix_norm.vector", lambda lib, x: lib.linalg.matrix_norm(x), f(3),
        match="must have at least 2 dimensions")
    add(g, "norm.default", lambda lib, x: lib.linalg.norm(x), f(2, 3, 2))
    add(g, "norm.vector_ord", lambda lib, x: lib.linalg.norm(x, 3), f(4))
    add(g, "norm.matrix_ord", lambda lib, x: lib.linalg.norm(x, "nuc"), f(3, 2))
    add(g, "norm.matrix_2", lambda lib, x: lib.linalg.norm(x, 2), f(3, 2))
    add(g, "norm.dim", lambda lib, x: lib.linalg.norm(x, dim=1), f(2, 3))
    add(g, "norm.dims", lambda lib, x: lib.linalg.norm(x, -inf, dim=(0, 1), keepdim=True),
        f(2, 3, 2))
    add(g, "norm.3d_with_ord", lambda lib, x: lib.linalg.norm(x, 2), f(2, 2, 2),
        match="If dim is not specified but ord is")
    add(g, "norm.three_dims", lambda lib, x: lib.linalg.norm(x, dim=(0, 1, 2)), f(2, 2, 2),
        match="it must be of length 1 or 2")
    add(g, "norm.ties", lambda lib, x: lib.linalg.matrix_norm(x, 1),
        vals(1.0, -1.0, 1.0, 1.0, shape=(2, 2)))
    add(g, "norm.zero_matrix_fro", lambda lib, x: lib.linalg.matrix_norm(x),
        vals(0.0, 0.0, 0.0, 0.0, shape=(2, 2), grad=False))
