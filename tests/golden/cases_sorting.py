"""Golden cases of the sorting family (see ``cases.py`` for the registry and its helpers).

sort/argsort/msort/topk/kthvalue (values differentiable), unique/unique_consecutive,
searchsorted/bucketize: 0-d and size-0 inputs, negative dims, ties (with ``stable=True``, or
values only where PyTorch's choice among ties is unspecified), NaN, int and bool inputs, errors.
"""

from __future__ import annotations

nan, inf = float("nan"), float("inf")
# NaNs, infinities, signed zeros and ties: PyTorch sorts NaN as the largest value
SPECIAL = (3.0, 1.0, nan, 1.0, -inf, 2.0, inf, 3.0, nan, -0.0, 0.0)


def _values_only(fn: object) -> object:
    """A case whose indices may differ among ties: compare the values only."""
    return lambda lib, *xs: fn(lib, *xs).values  # type: ignore[operator]


def _sort_cases() -> None:
    from tests.golden.cases import add, dist, f, ints, mask, ties, vals

    g = "sorting"
    add(g, "sort.last_dim", lambda lib, x: lib.sort(x), dist(3, 5))
    add(g, "sort.dim0_descending", lambda lib, x: x.sort(0, descending=True), dist(4, 3))
    add(g, "sort.neg_dim", lambda lib, x: x.sort(dim=-2), dist(2, 3, 4))
    add(g, "sort.0d", lambda lib, x: x.sort(), f())
    add(g, "sort.size1", lambda lib, x: x.sort(1), f(3, 1))
    add(g, "sort.empty", lambda lib, x: x.sort(1), f(2, 0, 3))
    add(g, "sort.stable_ties", lambda lib, x: lib.sort(x, stable=True), ties(40))
    add(g, "sort.stable_ties_descending",
        lambda lib, x: lib.sort(x, stable=True, descending=True), ties(3, 40))
    add(g, "sort.special", lambda lib, x: x.sort(stable=True), vals(*SPECIAL, grad=False))
    add(g, "sort.special_descending", lambda lib, x: x.sort(descending=True, stable=True),
        vals(*SPECIAL, grad=False))
    add(g, "sort.special_grad", lambda lib, x: x.sort().values,
        vals(3.0, 1.0, nan, -inf, 2.0, inf))
    add(g, "sort.int", lambda lib, x: x.sort(stable=True, descending=True), ints(2, 30))
    add(g, "sort.bool", lambda lib, x: x.sort(stable=True), mask(20))
    add(g, "sort.error_dim", lambda lib, x: x.sort(2), f(2, 3), match="out of range")
    add(g, "argsort.last_dim", lambda lib, x: lib.argsort(x), dist(3, 4))
    add(g, "argsort.descending", lambda lib, x: x.argsort(0, descending=True), dist(4, 2))
    add(g, "argsort.stable", lambda lib, x: lib.argsort(x, stable=True), ties(50))
    add(g, "argsort.0d", lambda lib, x: x.argsort(), f())
    add(g, "msort.2d", lambda lib, x: lib.msort(x), dist(4, 3))
    add(g, "msort.int", lambda lib, x: x.msort(), ints(5, 2))


def _topk_cases() -> None:
    from tests.golden.cases import add, const, dist, f, ints, mask, vals

    g = "sorting_topk"
    add(g, "topk.largest", lambda lib, x: lib.topk(x, 3), dist(2, 6))
    add(g, "topk.smallest_dim0", lambda lib, x: x.topk(2, 0, largest=False), dist(5, 3))
    add(g, "topk.neg_dim", lambda lib, x: x.topk(1, dim=-2), dist(2, 4, 3))
    add(g, "topk.k0", lambda lib, x: x.topk(0), f(2, 3))
    add(g, "topk.all", lambda lib, x: x.topk(4), dist(4))
    add(g, "topk.0d", lambda lib, x: x.topk(1), f())
    add(g, "topk.empty", lambda lib, x: x.topk(0, dim=1), f(2, 0, 3))
    add(g, "topk.ties_values", _values_only(lambda lib, x: x.topk(5)),
        const(3, 20, kind="ties"))
    add(g, "topk.nan_values", _values_only(lambda lib, x: x.topk(4)),
        vals(3.0, 1.0, nan, -inf, 2.0, inf, nan, 0.5, grad=False))
    add(g, "topk.nan_smallest", lambda lib, x: x.topk(3, largest=False),
        vals(3.0, 1.0, nan, -inf, 2.0, inf))
    add(g, "topk.int", lambda lib, x: x.topk(2), vals(4, -1, 7, 0, dtype="int64"))
    add(g, "topk.error_k", lambda lib, x: x.topk(4), f(3), match="k out of range")
    add(g, "topk.error_bool", lambda lib, x: x.topk(1), mask(3), match="bool")
    add(g, "kthvalue.last_dim", lambda lib, x: lib.kthvalue(x, 2), dist(3, 5))
    add(g, "kthvalue.keepdim", lambda lib, x: x.kthvalue(3, 0, True), dist(4, 2))
    add(g, "kthvalue.neg_dim", lambda lib, x: x.kthvalue(1, -2), dist(2, 3, 2))
    add(g, "kthvalue.0d", lambda lib, x: x.kthvalue(1), f())
    add(g, "kthvalue.0d_keepdim", lambda lib, x: x.kthvalue(1, 0, True), f())
    add(g, "kthvalue.ties_values", _values_only(lambda lib, x: x.kthvalue(7)),
        const(2, 15, kind="ties"))
    add(g, "kthvalue.nan", lambda lib, x: x.kthvalue(5), vals(3.0, nan, 1.0, -inf, 2.0))
    add(g, "kthvalue.int", lambda lib, x: x.kthvalue(2), vals(4, -1, 7, 0, dtype="int64"))
    add(g, "kthvalue.error_k", lambda lib, x: x.kthvalue(4), f(3), match="k out of range")
    add(g, "kthvalue.error_k0", lambda lib, x: x.kthvalue(0), f(3), match="k out of range")
    add(g, "kthvalue.error_empty", lambda lib, x: x.kthvalue(1), f(0), match="non-zero size")
    add(g, "kthvalue.error_bool", lambda lib, x: x.kthvalue(1), mask(3), match="Bool")
    add(g, "kthvalue.ints_input", lambda lib, x: x.kthvalue(3, 1), ints(2, 6))


def _unique_cases() -> None:
    from tests.golden.cases import add, const, ints, mask, vals

    g = "sorting_unique"
    add(g, "unique.plain", lambda lib, x: lib.unique(x), ints(3, 4))
    add(g, "unique.all_outputs", lambda lib, x: lib.unique(x, return_inverse=True,
                                                           return_counts=True), ints(3, 4))
    add(g, "unique.unsorted", lambda lib, x: x.unique(sorted=False, return_inverse=True),
        ints(7))
    add(g, "unique.nan", lambda lib, x: lib.unique(x, return_inverse=True, return_counts=True),
        vals(3.0, 1.0, nan, 1.0, nan, -0.0, 0.0, grad=False))
    add(g, "unique.dim0", lambda lib, x: lib.unique(x, dim=0, return_inverse=True,
                                                    return_counts=True),
        vals(1, 2, 1, 2, 0, 5, 1, 0, shape=(4, 2), dtype="int64"))
    add(g, "unique.dim1", lambda lib, x: x.unique(dim=-1, return_inverse=True,
                                                  return_counts=True), ints(2, 6, high=2))
    add(g, "unique.0d", lambda lib, x: x.unique(return_inverse=True), const())
    add(g, "unique.empty", lambda lib, x: x.unique(return_inverse=True, return_counts=True),
        const(0))
    add(g, "unique.empty_dim", lambda lib, x: x.unique(dim=0, return_inverse=True,
                                                       return_counts=True), const(0, 3))
    add(g, "unique.bool", lambda lib, x: x.unique(return_counts=True), mask(9))
    add(g, "unique.error_zero_sized_dim", lambda lib, x: x.unique(dim=0), const(2, 0),
        match="unique cannot be applied")
    add(g, "unique_consecutive.plain", lambda lib, x: lib.unique_consecutive(
        x, return_inverse=True, return_counts=True), ints(12, high=3))
    add(g, "unique_consecutive.2d_flat", lambda lib, x: x.unique_consecutive(
        return_inverse=True), ints(3, 4, high=2))
    add(g, "unique_consecutive.nan", lambda lib, x: lib.unique_consecutive(
        x, return_inverse=True, return_counts=True),
        vals(1.0, 1.0, 2.0, nan, nan, -0.0, 0.0, grad=False))
    add(g, "unique_consecutive.dim0", lambda lib, x: lib.unique_consecutive(
        x, dim=0, return_inverse=True, return_counts=True),
        vals(1, 2, 1, 2, 0, 5, 1, 2, shape=(4, 2), dtype="int64"))
    add(g, "unique_consecutive.dim1", lambda lib, x: x.unique_consecutive(
        dim=1, return_counts=True), ints(2, 5, high=2))
    add(g, "unique_consecutive.empty", lambda lib, x: x.unique_consecutive(
        return_inverse=True, return_counts=True), const(0))
    add(g, "unique_consecutive.0d", lambda lib, x: x.unique_consecutive(return_counts=True),
        const())


def _search_cases() -> None:
    from tests.golden.cases import add, const, ints, vals

    g = "sorting_search"
    boundaries = vals(1.0, 2.0, 2.0, 3.0, grad=False)
    queries = vals(2.0, 0.0, 5.0, nan, 1.0, 3.0, -inf, inf, shape=(2, 4), grad=False)
    add(g, "searchsorted.left", lambda lib, b, v: lib.searchsorted(b, v), boundaries, queries)
    add(g, "searchsorted.right", lambda lib, b, v: lib.searchsorted(b, v, right=True),
        boundaries, queries)
    add(g, "searchsorted.side", lambda lib, b, v: lib.searchsorted(b, v, side="right"),
        boundaries, queries)
    add(g, "searchsorted.out_int32", lambda lib, b, v: lib.searchsorted(b, v, out_int32=True),
        boundaries, queries)
    add(g, "searchsorted.0d_values", lambda lib, b, v: lib.searchsorted(b, v), boundaries,
        vals(2.0, shape=(), grad=False))
    add(g, "searchsorted.nd", lambda lib, b, v: lib.searchsorted(b, v),
        vals(1.0, 2.0, 2.0, 3.0, 0.0, 1.0, 5.0, 6.0, shape=(2, 4), grad=False),
        vals(2.0, 5.0, 0.0, 6.0, 1.0, nan, shape=(2, 3), grad=False))
    add(g, "searchsorted.nd_right", lambda lib, b, v: lib.searchsorted(b, v, right=True),
        vals(1.0, 2.0, 2.0, 3.0, 0.0, 1.0, 5.0, 6.0, shape=(2, 4), grad=False),
        vals(2.0, 5.0, 0.0, 6.0, 1.0, nan, shape=(2, 3), grad=False))
    add(g, "searchsorted.sorter", lambda lib, b, v, s: lib.searchsorted(b, v, sorter=s),
        vals(3.0, 1.0, 2.0, grad=False), vals(2.0, 0.5, 3.5, grad=False),
        vals(1, 2, 0, dtype="int64"))
    add(g, "searchsorted.int", lambda lib, b, v: lib.searchsorted(b, v),
        vals(1, 3, 5, 7, dtype="int64"), ints(6, high=9))
    add(g, "searchsorted.empty", lambda lib, b, v: lib.searchsorted(b, v), const(0), const(3))
    add(g, "searchsorted.error_side", lambda lib, b, v: lib.searchsorted(b, v, side="middle"),
        boundaries, queries, match="side can only be")
    add(g, "searchsorted.error_opposite", lambda lib, b, v: lib.searchsorted(
        b, v, side="left", right=True), boundaries, queries, match="can't be set to opposites")
    add(g, "searchsorted.error_shapes", lambda lib, b, v: lib.searchsorted(b, v),
        const(2, 4), const(1, 1), match="boundaries tensor should be 1 dimension")
    add(g, "searchsorted.error_0d", lambda lib, b, v: lib.searchsorted(b, v), const(),
        const(2), match="positive dimension")
    add(g, "bucketize.left", lambda lib, x, b: lib.bucketize(x, b), queries, boundaries)
    add(g, "bucketize.right", lambda lib, x, b: lib.bucketize(x, b, right=True), queries,
        boundaries)
    add(g, "bucketize.out_int32", lambda lib, x, b: lib.bucketize(x, b, out_int32=True),
        queries, boundaries)
    add(g, "bucketize.int", lambda lib, x, b: lib.bucketize(x, b), ints(2, 3, high=9),
        vals(1, 3, 5, 7, dtype="int64"))
    add(g, "bucketize.0d", lambda lib, x, b: lib.bucketize(x, b),
        vals(2.5, shape=(), grad=False), boundaries)
    add(g, "bucketize.error_2d", lambda lib, x, b: lib.bucketize(x, b), const(2),
        const(2, 2), match="boundaries tensor must be 1 dimension")


def register() -> None:
    """Append this family's cases to ``cases.CASES`` (called once, from ``cases.py``)."""
    _sort_cases()
    _topk_cases()
    _unique_cases()
    _search_cases()
