"""Linear algebra: matrix multiplication (batched, with PyTorch's rules for 1-D operands) and the
affine map of a Linear layer.

For Z = A B (A: n×k, B: k×m) and incoming gradient G = dL/dZ (n×m):
dL/dA = G Bᵀ and dL/dB = Aᵀ G. With batch dimensions the same holds per matrix of the batch, and
the engine sums the gradient of a broadcast operand over the batch dims it was broadcast along.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from microtensor._out import write_out
from microtensor.autograd.function import Op
from microtensor.ops import blas
from microtensor.ops.shape import reshape
from microtensor.tensor import Tensor


def _rows(x: Any) -> Any:
    """x (*, n) as a matrix of rows (R, n), R = ∏*; also when n = 0, where reshape(-1, 0)
    could not tell R."""
    n = x.shape[-1]
    return x.reshape((-1, n)) if n else x.reshape((int(np.prod(x.shape[:-1])), 0))


class MatMulOp(Op):
    """Z = A @ B for operands of >= 2 dims.  dL/dA = G @ Bᵀ,  dL/dB = Aᵀ @ G."""

    saved_for_gradient_of = (1, 0)  # a is needed only for dL/db, b only for dL/da

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return blas.matmul(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        grad_a = blas.matmul(grad, b.swapaxes(-1, -2))
        if b.ndim == 2 and a.ndim > 2:
            # a batch of inputs times one matrix: fold the batch into rows so that dL/dB is a
            # single matrix product instead of a batch of products summed afterwards
            grad_b = blas.matmul(_rows(a).swapaxes(-1, -2), _rows(grad))
        else:
            grad_b = blas.matmul(a.swapaxes(-1, -2), grad)
        return grad_a, grad_b


def matmul(input: Any, other: Any, *, out: Tensor | None = None) -> Tensor:
    """Matrix product with PyTorch's semantics.

    1-D @ 1-D is the dot product (a 0-d tensor); a 1-D first operand is treated as a row vector
    and a 1-D second operand as a column vector, the added dim being removed from the result;
    leading (batch) dims broadcast.
    """
    if out is not None:  # (_out.py)
        return write_out(out, matmul(input, other), "matmul", exact=True)
    a = input if isinstance(input, Tensor) else Tensor._make(np.asarray(input))
    b = other if isinstance(other, Tensor) else Tensor._make(np.asarray(other))
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(
            f"matmul: both arguments need to be at least 1-D, but they are {a.ndim}-D and "
            f"{b.ndim}-D; use * for multiplication by a scalar"
        )
    inner_a = a.shape[-1]
    inner_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if inner_a != inner_b:
        raise RuntimeError(
            f"matmul: shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be multiplied "
            f"({inner_a} columns in the first, {inner_b} rows in the second)"
        )
    _refuse_bool("matmul", a, b)
    if a.dtype != b.dtype:  # as PyTorch: matmul does not promote
        raise RuntimeError(
            f"matmul: expected m1 and m2 to have the same dtype, but got: {a.dtype} != {b.dtype}"
            f" (shapes {tuple(a.shape)} and {tuple(b.shape)}); convert one, e.g. b.to(a.dtype)"
        )
    squeeze_first, squeeze_last = a.ndim == 1, b.ndim == 1
    if squeeze_first:
        a = reshape(a, (1, inner_a))
    if squeeze_last:
        b = reshape(b, (inner_b, 1))
    try:
        out = MatMulOp.apply(a, b)
    except ValueError:
        raise RuntimeError(
            f"matmul: the batch dims of {tuple(a.shape)} and {tuple(b.shape)} cannot be broadcast"
        ) from None
    if squeeze_first or squeeze_last:
        shape = out.shape
        shape = shape[:-2] + ((shape[-2],) if not squeeze_first else ()) + (
            (shape[-1],) if not squeeze_last else ())
        out = reshape(out, shape)
    return out


# --------------------------------------------------------------------------- the affine map
# The affine map of a Linear layer as one primitive: y = x Wᵀ + b. Doing it in one op (instead of
# a transpose, a matmul and a broadcast add) saves two graph nodes and the sum over the batch that
# un-broadcasting the bias would need. Inputs of shape (N, *, in) are handled by folding the
# leading dims into rows: X is (R, in) with R = N·∏*, G = dL/dy (R, out).
class LinearOp(Op):
    """y = x Wᵀ + b, with x (*, in), W (out, in), b (out,) or None.

    dL/dx = G W,   dL/dW = Gᵀ X,   dL/db = Σ_rows G   (X, G: x and dL/dy folded to rows).
    The formulas use only @, reshape, swapaxes and sum, so they also run on Tensors: the op
    supports double backward.
    """

    saved_for_gradient_of = (1, 0)  # x is needed only for dL/dW, W only for dL/dx

    @staticmethod
    def forward(ctx, x, weight, bias):
        ctx.save_for_backward(x, weight)
        out = blas.matmul(_rows(x), weight.T)
        if bias is not None:
            out += bias
        return out.reshape(x.shape[:-1] + (weight.shape[0],))

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        needs_x, needs_weight, needs_bias = ctx.needs_input_grad
        rows_grad = _rows(grad)
        grad_x = grad_weight = grad_bias = None
        if needs_x:
            grad_x = blas.matmul(rows_grad, weight).reshape(x.shape)
        if needs_weight:
            grad_weight = blas.matmul(rows_grad.swapaxes(0, 1), _rows(x))
        if needs_bias:
            grad_bias = rows_grad.sum(axis=0)
        return grad_x, grad_weight, grad_bias


# --------------------------------------------------------------------------- checks
def _as_tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor._make(np.asarray(x))


def _require_ndim(x: Tensor, ndim: int, message: str) -> None:
    if x.ndim != ndim:
        raise RuntimeError(message)


def _refuse_bool(op: str, *tensors: Tensor) -> None:
    """Matrix products of bool tensors do not exist in PyTorch (its BLAS kernels have none)."""
    if any(t.dtype.kind == "b" for t in tensors):
        raise NotImplementedError(f'"{op}" not implemented for \'Bool\'; convert to an integer '
                                  "or floating dtype first")


def _require_same_dtype(a: Tensor, b: Tensor, op: str) -> None:
    if a.dtype != b.dtype:
        raise RuntimeError(
            f"{op}: expected both operands to have the same dtype, but got {a.dtype} and "
            f"{b.dtype}; convert one, e.g. b.to(a.dtype)")


def _scaled_sum(input: Tensor, product: Tensor, beta: Any, alpha: Any, op: str) -> Tensor:
    """beta·input + alpha·product, input broadcast to product's shape; beta = 0 ignores input
    (nan and inf in it are not propagated), as in PyTorch's BLAS convention."""
    try:
        fits = np.broadcast_shapes(input.shape, product.shape) == tuple(product.shape)
    except ValueError:
        fits = False
    if not fits:
        raise RuntimeError(
            f"{op}: the input of shape {tuple(input.shape)} cannot be broadcast to the shape "
            f"of the product {tuple(product.shape)}")
    if input.dtype != product.dtype:
        raise RuntimeError(
            f"{op}: self and the matrices must have the same dtype, but got {input.dtype} and "
            f"{product.dtype}")
    if product.dtype.kind in "iu":  # as PyTorch: the scalars are cast to the integer dtype
        beta, alpha = int(beta), int(alpha)
    if alpha != 1:
        product = product * alpha
    if beta == 0:
        return product
    return (input * beta if beta != 1 else input) + product


# --------------------------------------------------------------------------- products
def mm(input: Any, mat2: Any) -> Tensor:
    """The matrix product of two matrices (n×m)(m×p) -> n×p; no broadcasting, no 1-D operands
    (use matmul for those). Gradients as matmul's: dL/dA = G Bᵀ, dL/dB = Aᵀ G."""
    a, b = _as_tensor(input), _as_tensor(mat2)
    _require_ndim(a, 2, f"mm: self must be a matrix, but got a {a.ndim}-D tensor")
    _require_ndim(b, 2, f"mm: mat2 must be a matrix, but got a {b.ndim}-D tensor")
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(
            f"mm: mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x{a.shape[1]} and "
            f"{b.shape[0]}x{b.shape[1]})")
    return matmul(a, b)


def bmm(input: Any, mat2: Any) -> Tensor:
    """A batch of matrix products (b×n×m)(b×m×p) -> b×n×p, without broadcasting."""
    a, b = _as_tensor(input), _as_tensor(mat2)
    _check_batches(a, b, "bmm")
    return matmul(a, b)


def _check_batches(a: Tensor, b: Tensor, op: str) -> None:
    _require_ndim(a, 3, f"{op}: batch1 must be a 3D tensor, but got a {a.ndim}-D tensor")
    _require_ndim(b, 3, f"{op}: batch2 must be a 3D tensor, but got a {b.ndim}-D tensor")
    if b.shape[:2] != (a.shape[0], a.shape[2]):
        raise RuntimeError(
            f"{op}: Expected size for first two dimensions of batch2 tensor to be: "
            f"[{a.shape[0]}, {a.shape[2]}] but got: [{b.shape[0]}, {b.shape[1]}].")
    _require_same_dtype(a, b, op)


def mv(input: Any, vec: Any) -> Tensor:
    """Matrix times vector (n×m)(m) -> n."""
    a, v = _as_tensor(input), _as_tensor(vec)
    if a.ndim != 2 or v.ndim != 1:
        raise RuntimeError(
            f"mv: vector + matrix @ vector expected, got {a.ndim}-D matrix and {v.ndim}-D vector")
    if a.shape[1] != v.shape[0]:
        raise RuntimeError(
            f"mv: size mismatch, got mat ({a.shape[0]}x{a.shape[1]}), vec ({v.shape[0]})")
    return matmul(a, v)


def dot(input: Any, other: Any) -> Tensor:
    """The dot product Σᵢ xᵢyᵢ of two 1-D tensors of the same size and dtype (a 0-d tensor)."""
    a, b = _as_tensor(input), _as_tensor(other)
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"dot: 1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if a.shape[0] != b.shape[0]:
        raise RuntimeError(
            f"dot: inconsistent tensor size, expected tensor [{a.shape[0]}] and src "
            f"[{b.shape[0]}] to have the same number of elements, but got {a.shape[0]} and "
            f"{b.shape[0]} elements respectively")
    if a.dtype != b.dtype:
        raise RuntimeError(
            f"dot : expected both vectors to have same dtype, but found {a.dtype} and {b.dtype}")
    return matmul(a, b)


def vdot(input: Any, other: Any) -> Tensor:
    """dot(conj(x), y); for the real tensors of microtensor, the same as dot."""
    return dot(input, other)


def outer(input: Any, vec2: Any) -> Tensor:
    """The outer product zᵢⱼ = xᵢyⱼ of two 1-D tensors (dtypes promote, as for *)."""
    a, b = _as_tensor(input), _as_tensor(vec2)
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"outer: expected 1-D tensors, but got {a.ndim}-D and {b.ndim}-D")
    return reshape(a, (a.shape[0], 1)) * b


ger = outer


def inner(input: Any, other: Any) -> Tensor:
    """Σ over the last dims: z[i..., j...] = Σₖ x[i..., k] y[j..., k]; a 0-d operand scales."""
    a, b = _as_tensor(input), _as_tensor(other)
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    if a.dtype != b.dtype:
        raise RuntimeError(
            f"inner: both inputs should have same dtype, got {a.dtype} and {b.dtype}")
    if a.shape[-1] != b.shape[-1]:
        raise RuntimeError(
            f"inner: the last dimensions of the inputs must match, got {tuple(a.shape)} and "
            f"{tuple(b.shape)}")
    return tensordot(a, b, ([a.ndim - 1], [b.ndim - 1]))


def addmm(input: Any, mat1: Any, mat2: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """beta·input + alpha·(mat1 @ mat2), input broadcast to n×p."""
    return _scaled_sum(_as_tensor(input), mm(mat1, mat2), beta, alpha, "addmm")


def addmv(input: Any, mat: Any, vec: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """beta·input + alpha·(mat @ vec)."""
    return _scaled_sum(_as_tensor(input), mv(mat, vec), beta, alpha, "addmv")


def addr(input: Any, vec1: Any, vec2: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """beta·input + alpha·outer(vec1, vec2)."""
    return _scaled_sum(_as_tensor(input), outer(vec1, vec2), beta, alpha, "addr")


def baddbmm(input: Any, batch1: Any, batch2: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """beta·input + alpha·bmm(batch1, batch2)."""
    return _scaled_sum(_as_tensor(input), bmm(batch1, batch2), beta, alpha, "baddbmm")


def addbmm(input: Any, batch1: Any, batch2: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """beta·input + alpha·Σ_b batch1[b] @ batch2[b], computed as one product: the batch is
    folded into the inner dimension, (n, b·m) @ (b·m, p)."""
    a, b = _as_tensor(batch1), _as_tensor(batch2)
    _check_batches(a, b, "addbmm")
    count, n, m = a.shape
    folded_a = reshape(a.permute(1, 0, 2), (n, count * m))
    folded_b = reshape(b, (count * m, b.shape[2]))
    return _scaled_sum(_as_tensor(input), matmul(folded_a, folded_b), beta, alpha, "addbmm")


# --------------------------------------------------------------------------- einsum
# Einstein summation: each operand's dims are named by letters; letters that are not in the
# output are summed over. The gradient of operand k is again an einsum: the product of the
# incoming gradient (named by the output's letters) with every other operand, kept on operand k's
# letters. Two details make that exact:
#   * a letter only operand k has (summed within it, as j in "ij->i") is in no other term: the
#     gradient does not depend on it and is broadcast along that dim;
#   * a letter repeated within operand k ("ii->i" takes a diagonal) gets its gradient on that
#     diagonal only: the gradient on the distinct letters is spread with identity matrices,
#     G[i, i'] = g[i]·δ(i, i').
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _split_terms(equation: str, count: int) -> tuple[list[str], str]:
    """The operands' subscripts and the output's; an implicit output is the letters that occur
    once, in alphabetical order, after '...' if any operand has one (as in PyTorch)."""
    equation = equation.replace(" ", "")
    left, arrow, output = equation.partition("->")
    terms = left.split(",")
    if len(terms) != count:
        more = "more" if count > len(terms) else "fewer"
        raise RuntimeError(
            f"einsum(): {more} operands were provided than specified in the equation "
            f"({count} operands, {len(terms)} terms in {equation!r})")
    if not arrow:
        letters = "".join(terms).replace(".", "")
        once = sorted(c for c in set(letters) if letters.count(c) == 1)
        output = ("..." if "..." in left else "") + "".join(once)
    return terms, output


def _letters(term: str) -> list[str]:
    """A term as a list of letters and '...'."""
    head, dots, tail = term.partition("...")
    return list(head) + (["..."] if dots else []) + list(tail)


def _einsum_either(equation: str, *operands: Any) -> Any:
    """np.einsum on arrays; the differentiable einsum when any operand is a Tensor."""
    if any(isinstance(x, Tensor) for x in operands):
        return EinsumOp.apply(*operands, equation=equation)
    return blas.einsum(equation, *operands)


def _operand_gradient(terms: list[str], output: str, operands: tuple[Any, ...], grad: Any,
                      k: int) -> Any:
    """dL/d(operand k) of z = einsum(terms -> output)."""
    others = [(t, x) for j, (t, x) in enumerate(zip(terms, operands)) if j != k]
    others.append((output, grad))
    available = {p for t, _ in others for p in _letters(t)}
    parts = _letters(terms[k])
    distinct = list(dict.fromkeys(parts))
    kept = [p for p in distinct if p in available]
    equation = ",".join(t for t, _ in others) + "->" + "".join(kept)
    g = _einsum_either(equation, *[x for _, x in others])
    if len(kept) < len(distinct):
        g = _broadcast_missing(g, distinct, kept, parts, operands[k].shape)
    if len(distinct) < len(parts):
        g = _spread_to_diagonals(g, distinct, parts, operands[k].shape)
    return g


def _sizes(parts: list[str], shape: tuple[int, ...]) -> dict[str, Any]:
    """Each letter's size, and the dims under '...', for an operand named by ``parts``."""
    dots = len(shape) - (len(parts) - ("..." in parts))
    sizes: dict[str, Any] = {}
    axis = 0
    for p in parts:
        width = dots if p == "..." else 1
        sizes[p] = tuple(shape[axis:axis + width]) if p == "..." else shape[axis]
        axis += width
    return sizes


def _broadcast_missing(g: Any, distinct: list[str], kept: list[str], parts: list[str],
                       shape: tuple[int, ...]) -> Any:
    """Insert (and broadcast along) the dims of the letters the gradient does not depend on."""
    sizes = _sizes(parts, shape)
    g_sizes = _sizes(kept, g.shape)
    with_ones: list[int] = []
    full: list[int] = []
    for p in distinct:
        size = sizes[p] if p not in kept else g_sizes[p]
        dims = size if p == "..." else (size,)
        full.extend(dims)
        with_ones.extend(dims if p in kept else (1,) * len(dims))
    from microtensor.ops import array_or_tensor as either

    return either.broadcast_to(g.reshape(tuple(with_ones)), tuple(full))


def _spread_to_diagonals(g: Any, distinct: list[str], parts: list[str],
                         shape: tuple[int, ...]) -> Any:
    """G[..., i, i', ...] = g[..., i, ...]·δ(i, i') for each repeated letter."""
    unused = iter(c for c in _LETTERS if c not in parts)
    sizes = _sizes(parts, shape)
    renamed, identities, seen = [], [], set()
    for p in parts:
        if p in seen and p != "...":
            fresh = next(unused)
            identities.append((p + fresh, np.eye(sizes[p], dtype=g.dtype)))
            renamed.append(fresh)
        else:
            renamed.append(p)
        seen.add(p)
    equation = ",".join(["".join(distinct)] + [t for t, _ in identities]) + "->" + "".join(renamed)
    return _einsum_either(equation, g, *[eye for _, eye in identities])


class EinsumOp(Op):
    """z = einsum(equation, x₁, ..., xₙ).

    dL/dxₖ = einsum(of G and every xⱼ, j ≠ k, onto xₖ's letters): z is linear in each operand,
    so its gradient is the same sum of products with xₖ left out. Letters only xₖ has are
    broadcast; letters repeated in xₖ put the gradient on the diagonal (see above). The
    formula is itself an einsum, so it supports double backward.
    """

    @staticmethod
    def forward(ctx, *operands, equation):
        ctx.save_for_backward(*operands)
        ctx.terms, ctx.output_term = _split_terms(equation, len(operands))
        return blas.einsum(equation, *operands)

    @staticmethod
    def backward(ctx, grad):
        operands = ctx.saved_tensors
        return tuple(
            _operand_gradient(ctx.terms, ctx.output_term, operands, grad, k) if needed else None
            for k, needed in enumerate(ctx.needs_input_grad))


def einsum(equation: str, *operands: Any) -> Tensor:
    """Einstein summation, as ``torch.einsum``: ``einsum("ij,jk->ik", a, b)`` is ``a @ b``.

    Operands may also be passed as one list. All must have the same dtype. Letters may repeat
    within an operand (``"ii->i"``, the diagonal) and ``...`` names broadcast batch dims. The
    product is evaluated by ``np.einsum(optimize=True)`` (a contraction order that uses BLAS).
    """
    if len(operands) == 1 and isinstance(operands[0], list | tuple):
        operands = tuple(operands[0])
    tensors = tuple(_as_tensor(x) for x in operands)
    _refuse_bool("einsum", *tensors)
    terms, _ = _split_terms(equation, len(tensors))
    for k, (term, x) in enumerate(zip(terms, tensors)):
        named = len(term.replace("...", ""))
        if named != x.ndim and not ("..." in term and named <= x.ndim):
            raise RuntimeError(
                f"einsum(): the number of subscripts in the equation ({named}) does not match "
                f"the number of dimensions ({x.ndim}) for operand {k}"
                + ("" if "..." in term else " and no ellipsis was given"))
        if x.dtype != tensors[0].dtype:
            raise RuntimeError(
                f"einsum(): expected scalar type {tensors[0].dtype} but found {x.dtype} "
                f"(operand {k}); convert the operands to one dtype")
    try:
        return EinsumOp.apply(*tensors, equation=equation)
    except ValueError as error:
        shapes = ", ".join(str(tuple(x.shape)) for x in tensors)
        raise RuntimeError(
            f"einsum(): operands of shapes {shapes} do not fit the equation {equation!r}: "
            f"{error}") from None


def tensordot(a: Any, b: Any, dims: Any = 2) -> Tensor:
    """Σ over paired dims: ``dims`` = n (the last n dims of a with the first n of b) or a pair
    of lists ``([dims of a], [dims of b])``. Computed as an einsum."""
    a, b = _as_tensor(a), _as_tensor(b)
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, int | np.integer):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > min(a.ndim, b.ndim):
            raise RuntimeError(
                f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        dims_a, dims_b = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        dims_a, dims_b = ([d] if isinstance(d, int) else list(d) for d in dims)
    if len(dims_a) != len(dims_b):
        raise RuntimeError("both dimension lists should have same length")
    dims_a = [d % a.ndim if a.ndim else d for d in dims_a]
    dims_b = [d % b.ndim if b.ndim else d for d in dims_b]
    for da, db in zip(dims_a, dims_b):
        if a.shape[da] != b.shape[db]:
            raise RuntimeError(
                f"tensordot: contracted dimensions need to match, but first has size "
                f"{a.shape[da]} in dim {da} and second has size {b.shape[db]} in dim {db}")
    letters = iter(_LETTERS)
    term_a = [next(letters) for _ in range(a.ndim)]
    term_b = [next(letters) for _ in range(b.ndim)]
    for da, db in zip(dims_a, dims_b):
        term_b[db] = term_a[da]
    out = ([c for i, c in enumerate(term_a) if i not in dims_a]
           + [c for i, c in enumerate(term_b) if i not in dims_b])
    return einsum(f"{''.join(term_a)},{''.join(term_b)}->{''.join(out)}", a, b)


def kron(input: Any, other: Any) -> Tensor:
    """The Kronecker product: block (i, j) of the result is input[i, j]·other. Operands are
    padded to one ndim; computed as a broadcast product (a[i, 1, j, 1]·b[1, k, 1, l]) reshaped,
    so dtypes promote as for *."""
    a, b = _as_tensor(input), _as_tensor(other)
    ndim = max(a.ndim, b.ndim)
    shape_a = (1,) * (ndim - a.ndim) + tuple(a.shape)
    shape_b = (1,) * (ndim - b.ndim) + tuple(b.shape)
    spread_a = tuple(s for size in shape_a for s in (size, 1))
    spread_b = tuple(s for size in shape_b for s in (1, size))
    product = reshape(a, spread_a) * reshape(b, spread_b)
    return reshape(product, tuple(x * y for x, y in zip(shape_a, shape_b)))


def cross(input: Any, other: Any, dim: int | None = None) -> Tensor:
    """The cross product of 3-vectors along ``dim`` (operands broadcast):
    z = (a₂b₃ − a₃b₂, a₃b₁ − a₁b₃, a₁b₂ − a₂b₁). ``dim=None`` (torch.cross's deprecated default)
    takes the first dim of size 3."""
    a, b = _as_tensor(input), _as_tensor(other)
    _require_same_dtype(a, b, "linalg.cross")
    if a.ndim != b.ndim:
        raise RuntimeError(
            f"linalg.cross: inputs must have the same number of dimensions (got {a.ndim} and "
            f"{b.ndim}); unsqueeze the smaller one")
    shape = np.broadcast_shapes(a.shape, b.shape)
    if dim is None:
        dim = next((d for d, size in enumerate(shape) if size == 3), None)
        if dim is None:
            raise RuntimeError(f"cross: no dimension of size 3 in input of shape {shape}")
    if not -len(shape) <= dim < len(shape):
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-len(shape)}, "
            f"{len(shape) - 1}], but got {dim})")
    if shape[dim] != 3:
        raise RuntimeError(
            f"linalg.cross: inputs dimension {dim} must have length 3. Got {a.shape[dim]} and "
            f"{b.shape[dim]}")
    from microtensor.ops.shape import expand

    a, b = expand(a, shape), expand(b, shape)
    after = (slice(None),) * (len(shape) - 1 - dim % len(shape))
    # component i of the result is a[i+1]·b[i+2] − a[i+2]·b[i+1] (indices mod 3)
    plus_one = (Ellipsis, np.array([1, 2, 0])) + after
    plus_two = (Ellipsis, np.array([2, 0, 1])) + after
    return a[plus_one] * b[plus_two] - a[plus_two] * b[plus_one]


def trace(input: Any) -> Tensor:
    """The sum of the main diagonal of a matrix. dL/dx = g on the diagonal, 0 elsewhere."""
    x = _as_tensor(input)
    if x.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {x.ndim}")
    _refuse_bool("trace", x)
    diagonal = np.arange(min(x.shape))
    from microtensor.ops.reduce import sum as reduce_sum

    return reduce_sum(x[diagonal, diagonal])


def multi_dot(tensors: Any) -> Tensor:
    """A chain of matrix products A₁A₂⋯Aₙ; the first may be a 1-D row vector and the last a 1-D
    column vector (as in ``linalg.multi_dot``). The products are done in the order that needs
    the fewest multiplications (``_cheapest_order``)."""
    tensors = [_as_tensor(t) for t in tensors]
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    for k, t in enumerate(tensors):
        allowed = (1, 2) if k in (0, len(tensors) - 1) else (2,)
        if t.ndim not in allowed:
            where = {0: "the first", len(tensors) - 1: "the last"}.get(k, f"tensor {k}")
            raise RuntimeError(
                f"multi_dot(): {where} tensor must be {' or '.join(f'{n}D' for n in allowed)} "
                f"but got {t.ndim}D")
        _require_same_dtype(tensors[0], t, "multi_dot()")
    first, last = tensors[0], tensors[-1]
    matrices = list(tensors)
    if first.ndim == 1:
        matrices[0] = reshape(first, (1, first.shape[0]))
    if last.ndim == 1:
        matrices[-1] = reshape(last, (last.shape[0], 1))
    for k, (left, right) in enumerate(zip(matrices, matrices[1:])):
        if left.shape[1] != right.shape[0]:
            raise RuntimeError(
                f"multi_dot(): tensors {k} and {k + 1} with shapes {tuple(tensors[k].shape)} "
                f"and {tuple(tensors[k + 1].shape)} cannot be multiplied")
    sizes = [m.shape[0] for m in matrices] + [matrices[-1].shape[1]]
    split = _cheapest_order(sizes)
    result = _multiply_in_order(matrices, split, 0, len(matrices) - 1)
    shape = tuple(result.shape)
    return reshape(result, shape[first.ndim == 1:2 - (last.ndim == 1)])


def _cheapest_order(sizes: list[int]) -> list[list[int]]:
    """The classic matrix-chain dynamic programme: for matrices of shapes sizes[i]×sizes[i+1],
    split[i][j] is where the product of matrices i..j is best split in two."""
    count = len(sizes) - 1
    cost = [[0] * count for _ in range(count)]
    split = [[0] * count for _ in range(count)]
    for length in range(1, count):
        for i in range(count - length):
            j = i + length
            cost[i][j], split[i][j] = min(
                (cost[i][k] + cost[k + 1][j] + sizes[i] * sizes[k + 1] * sizes[j + 1], k)
                for k in range(i, j))
    return split


def _multiply_in_order(matrices: list[Tensor], split: list[list[int]], i: int, j: int) -> Tensor:
    if i == j:
        return matrices[i]
    k = split[i][j]
    return matmul(_multiply_in_order(matrices, split, i, k),
                  _multiply_in_order(matrices, split, k + 1, j))


def vecdot(x: Any, y: Any, *, dim: int = -1) -> Tensor:
    """``linalg.vecdot``: Σ x·y along ``dim`` (operands broadcast)."""
    x, y = _as_tensor(x), _as_tensor(y)
    if x.dtype.kind != "f":
        raise RuntimeError(
            f"linalg.vecdot: Expected a floating point or complex tensor as input. Got {x.dtype}")
    _require_same_dtype(x, y, "linalg.vecdot")
    return (x * y).sum(dim)
