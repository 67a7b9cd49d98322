"""The matrix products of matmul, Linear, einsum and the convolutions, on the right number of
threads.

``matmul(a, b, out=None)`` is ``np.matmul`` with the thread policy of ``microtensor._threads``:
a product of fewer than ``BIG_PRODUCT_FLOPS`` floating-point operations runs on the BLAS's
resting single thread (no switching, ~0.5 µs of bookkeeping); a bigger one gets the free cores
for its duration. On Tensors (a backward run with ``create_graph=True``) it is plain ``a @ b``,
whose forward comes back here with arrays.

The flop count of a (batched) product (*, m, k) @ (*, k, n) is 2·batch·m·k·n; batch·m·k is the
size of the first operand and batch·k·n that of the second (whichever carries the batch), so
2·max(a.size·n, b.size·m) counts it without building the broadcast shape. An einsum's is
bounded by 2·Πₗ nₗ over its distinct index letters (the cost of the naive loop nest; the
contraction order ``optimize=True`` picks costs at most that), which is what ``einsum`` uses.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np

from microtensor import _threads


def product_flops(a: np.ndarray, b: np.ndarray) -> int:
    """Floating-point operations of np.matmul(a, b) (2 per multiply-add)."""
    n = b.shape[-1] if b.ndim > 1 else 1
    m = a.shape[-2] if a.ndim > 1 else 1
    return 2 * max(a.size * n, b.size * m)


def matmul(a: Any, b: Any, out: np.ndarray | None = None) -> Any:
    """``a @ b`` (into ``out`` when given) with as many BLAS threads as the policy allows.

    An outer product (matrices with an inner dimension of 1, as the weight gradient of a
    one-row batch: (784, 1) @ (1, 256)) is a broadcast multiplication: NumPy's matmul does not
    hand it to the BLAS and took 225 µs where the multiplication takes ~20 (same values: each
    entry is one product). A few rows times a transposed weight (``Linear``'s ``x @ w.T``) may
    be computed the other way round (``_swap_operands``).
    """
    if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)):
        return a @ b if out is None else np.matmul(a, b, out=out)
    if a.ndim >= 2 and b.ndim >= 2 and a.shape[-1] == 1 and b.shape[-2] == 1:
        return np.multiply(a, b, out=out)
    if out is None and _swap_operands(a, b):  # (a @ b)ᵀ = bᵀ @ aᵀ, then back in row order
        return np.ascontiguousarray(_on_policy_threads(b.T, a.T, None).T)
    return _on_policy_threads(a, b, out)


def _on_policy_threads(a: np.ndarray, b: np.ndarray, out: np.ndarray | None) -> np.ndarray:
    """np.matmul(a, b, out=out) on the threads the policy gives its flops."""
    if _threads.policy_is_adaptive():
        threads = _threads.product_threads(product_flops(a, b))
        if threads > 1:
            return _threads.run_with_threads(threads, lambda: np.matmul(a, b, out=out))
    return np.matmul(a, b, out=out)


# OpenBLAS's names for its AVX-512 kernels (threadpoolctl's ``architecture``), on which
# ``_swap_operands`` was measured to pay
_AVX512_KERNELS = frozenset({"SkylakeX", "Cooperlake", "SapphireRapids"})
_SWAP_MOST_ROWS = 64  # a has at most this many rows
_SWAP_LEAST_WEIGHT = 2**16  # b has at least this many entries
_SWAP_LEAST_WORK = 2**20  # rows · b.size above OpenBLAS's small-matrix kernel (~10⁶ m·n·k)


def _swap_operands(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether a @ b, with a few rows a (m, k) and b (k, n) the transpose of a row-major
    matrix (``Linear``'s ``x @ w.T``), is faster as bᵀ @ aᵀ (b's own layout first) followed by
    a copy of the small (n, m) result into row order.

    With OpenBLAS's AVX-512 kernels (this CPU: a Zen 4), the product with a transposed second
    operand spends most of its time preparing that operand when a has few rows: 784 -> 256
    features, m = 16 rows, 159 µs against 84 µs the other way round; m = 8: 131 against 67;
    m = 64: 343 against 280; m = 256: the same (1 thread, ``benchmarks/RESULTS.md``, session
    8). Below ~10⁶ multiply-adds OpenBLAS's small-matrix kernel serves both orders alike, and
    for small weights (128 -> 64) the copy costs more than it saves. With its AVX2 kernels
    (``OPENBLAS_CORETYPE=Haswell``) the swap gains less at 2 - 16 rows (0.71 - 0.97 of the
    time) and nothing from 32 rows on (0.97 - 1.10), and in float64 the two orders tie (m = 8:
    124 against 140 µs; m = 64: 554 against 578), so the swap is made for float32 with the
    AVX-512 kernels only (``benchmarks/bench_product_order.py`` shows all of these). The
    values are the same products, summed in the BLAS's order for that layout: they may differ
    in the last bits.
    """
    return (a.ndim == 2 and b.ndim == 2 and a.dtype == b.dtype == np.float32
            and _blas_has_avx512_kernels()
            and a.shape[0] <= _SWAP_MOST_ROWS and b.size >= _SWAP_LEAST_WEIGHT
            and a.shape[0] * b.size > _SWAP_LEAST_WORK
            and b.flags.f_contiguous and not b.flags.c_contiguous)


@cache
def _blas_has_avx512_kernels() -> bool:
    """Is NumPy's BLAS an OpenBLAS running its AVX-512 kernels? (Asked once.)"""
    return any(getattr(library, "internal_api", None) == "openblas"
               and getattr(library, "architecture", None) in _AVX512_KERNELS
               for library in _threads.blas_libraries())


def einsum_flops(equation: str, operands: tuple[np.ndarray, ...]) -> int:
    """2 · the product of the sizes of the distinct index letters of ``equation`` (``...``
    counts as the largest broadcast part of any operand): an upper bound of the einsum's flops."""
    inputs = equation.replace(" ", "").split("->")[0].split(",")
    sizes: dict[str, int] = {}
    ellipsis = 1
    for term, operand in zip(inputs, operands):
        head, dots, tail = term.partition("...")
        shape = np.shape(operand)
        for letter, size in zip(head, shape):
            sizes[letter] = size
        for letter, size in zip(tail[::-1], shape[::-1]):
            sizes[letter] = size
        if dots:
            ellipsis = max(ellipsis, int(np.prod(shape[len(head):len(shape) - len(tail)])))
    return 2 * ellipsis * int(np.prod(list(sizes.values()), dtype=np.float64))


def einsum(equation: str, *operands: np.ndarray) -> np.ndarray:
    """``np.einsum(equation, *operands, optimize=True)`` with as many BLAS threads as the policy
    allows for its flop bound (one thread, with no switching, below ``BIG_PRODUCT_FLOPS``)."""
    if _threads.policy_is_adaptive():
        threads = _threads.product_threads(einsum_flops(equation, operands))
        if threads > 1:
            return _threads.run_with_threads(
                threads, lambda: np.einsum(equation, *operands, optimize=True))
    return np.einsum(equation, *operands, optimize=True)
