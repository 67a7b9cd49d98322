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
    entry is one product).
    """
    if (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.ndim >= 2 and b.ndim >= 2
            and a.shape[-1] == 1 and b.shape[-2] == 1):
        return np.multiply(a, b, out=out)
    if _threads.policy_is_adaptive() and isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        threads = _threads.product_threads(product_flops(a, b))
        if threads > 1:
            return _threads.run_with_threads(threads, lambda: np.matmul(a, b, out=out))
    return a @ b if out is None else np.matmul(a, b, out=out)


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
