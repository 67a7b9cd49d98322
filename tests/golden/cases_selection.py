"""Golden cases of the selection family (see ``cases.py`` for the registry and its helpers).

gather/scatter*, index_select/index_add/index_copy/index_fill, masked_select/masked_scatter,
take, take_along_dim, nonzero/argwhere and one-argument where: ordinary shapes, negative dims,
0-d and size-0 inputs, repeated indices, int and bool data, and PyTorch's errors.
"""

from __future__ import annotations


def _long(*values: int, shape: tuple[int, ...] | None = None) -> object:
    from tests.golden.cases import vals

    return vals(*values, shape=shape, dtype="int64")


def _gather_cases() -> None:
    from tests.golden.cases import add, f, ints

    g = "selection"
    add(g, "gather.dim1", lambda lib, x, i: lib.gather(x, 1, i), f(3, 4), ints(3, 2, high=4))
    add(g, "gather.dim0_longer_index", lambda lib, x, i: x.gather(-2, i), f(3, 4),
        ints(5, 4, high=3))
    add(g, "gather.smaller_index", lambda lib, x, i: x.gather(1, i), f(3, 4), ints(2, 3, high=4))
    add(g, "gather.3d", lambda lib, x, i: x.gather(2, i), f(2, 3, 4), ints(2, 3, 6, high=4))
    add(g, "gather.repeats", lambda lib, x, i: x.gather(0, i), f(3), _long(0, 0, 2, 2, 2))
    add(g, "gather.0d", lambda lib, x, i: lib.gather(x, 0, i), f(), _long(0, shape=()))
    add(g, "gather.empty_index", lambda lib, x, i: x.gather(1, i), f(2, 3), ints(2, 0))
    add(g, "gather.empty_input", lambda lib, x, i: x.gather(0, i), f(0, 3), ints(0, 3))
    add(g, "gather.int_input", lambda lib, x, i: x.gather(1, i), ints(3, 4), ints(3, 5, high=4))
    add(g, "gather.bool_input", lambda lib, x, i: x.gather(0, i), ints(4, dtype="bool", high=2),
        ints(6, high=4))
    add(g, "gather.int32_index", lambda lib, x, i: x.gather(1, i), f(3, 4),
        ints(3, 2, high=4, dtype="int32"))
    add(g, "gather.error_out_of_range", lambda lib, x, i: x.gather(0, i), f(3), _long(0, 3),
        match="out of bounds for dimension 0 with size 3")
    add(g, "gather.error_negative_index", lambda lib, x, i: x.gather(0, i), f(3), _long(-1),
        match="out of bounds")
    add(g, "gather.error_float_index", lambda lib, x, i: x.gather(0, i), f(3), f(2),
        match="for index")
    add(g, "gather.error_ndim", lambda lib, x, i: x.gather(1, i), f(2, 3), _long(0, 1),
        match="same number of dimensions")
    add(g, "gather.error_too_large", lambda lib, x, i: x.gather(1, i), f(2, 3), ints(3, 1),
        match="to be no larger than self")
    add(g, "gather.error_dim", lambda lib, x, i: x.gather(2, i), f(2, 3), ints(2, 3),
        match="out of range")


def _scatter_cases() -> None:
    from tests.golden.cases import add, const, f, ints

    g = "selection"
    add(g, "scatter.src", lambda lib, x, i, s: lib.scatter(x, 1, i, s), f(3, 4),
        _long(0, 2, 1, 3, 3, 0, shape=(3, 2)), f(3, 2))
    # (src larger than index: PyTorch's backward fails for src, so src is a constant here)
    add(g, "scatter.src_larger", lambda lib, x, i, s: x.scatter(-1, i, s), f(3, 4),
        _long(0, 2, 1, 3, shape=(2, 2)), const(3, 5))
    add(g, "scatter.value", lambda lib, x, i: x.scatter(0, i, 2.5), f(3, 4),
        _long(0, 2, 1, 0, shape=(1, 4)))
    add(g, "scatter.value_int", lambda lib, x, i: x.scatter(0, i, 2.7), ints(3, 2),
        _long(0, 2, shape=(1, 2)))
    add(g, "scatter.0d", lambda lib, x, i, s: x.scatter(0, i, s), f(), _long(0, shape=()), f())
    add(g, "scatter.empty", lambda lib, x, i, s: x.scatter(1, i, s), f(2, 3), ints(2, 0), f(2, 0))
    add(g, "scatter.inplace", lambda lib, x, i, s: x.clone().scatter_(1, i, s), f(2, 4),
        _long(3, 1, 0, 2, shape=(2, 2)), f(2, 2))
    add(g, "scatter.inplace_value", lambda lib, x, i: x.clone().scatter_(1, i, -1.0), f(2, 4),
        _long(3, 1, shape=(2, 1)))
    add(g, "scatter.reduce_add", lambda lib, x, i, s: x.scatter(0, i, s, reduce="add"),
        ints(3), _long(0, 0, 2), ints(3))
    add(g, "scatter.reduce_multiply", lambda lib, x, i, s: x.scatter(0, i, s, reduce="multiply"),
        ints(3, low=1), _long(0, 0, 2), ints(3, low=1))
    add(g, "scatter.error_dtype", lambda lib, x, i, s: x.scatter(0, i, s), f(3), _long(0, 1),
        ints(2), match="dtype")
    add(g, "scatter.error_out_of_range", lambda lib, x, i, s: x.scatter(0, i, s), f(3),
        _long(0, 5), f(2), match="out of bounds for dimension 0 with size 3")
    add(g, "scatter.error_reduce", lambda lib, x, i, s: x.scatter(0, i, s, reduce="mean"),
        ints(3), _long(0, 0), ints(2), match="add or multiply")
    add(g, "scatter_add.dim1", lambda lib, x, i, s: lib.scatter_add(x, 1, i, s), f(3, 4),
        ints(3, 5, high=4), f(3, 5))
    add(g, "scatter_add.repeats", lambda lib, x, i, s: x.scatter_add(0, i, s), f(3),
        _long(0, 0, 0, 2), f(4))
    add(g, "scatter_add.src_larger", lambda lib, x, i, s: x.scatter_add(0, i, s), f(3, 2),
        ints(2, 1, high=3), const(4, 2))
    add(g, "scatter_add.int", lambda lib, x, i, s: x.scatter_add(1, i, s), ints(2, 3),
        ints(2, 4, high=3), ints(2, 4))
    add(g, "scatter_add.inplace", lambda lib, x, i, s: x.clone().scatter_add_(0, i, s), f(4),
        _long(1, 1, 3), f(3))
    add(g, "scatter_add.empty", lambda lib, x, i, s: x.scatter_add(0, i, s), f(0, 2), ints(0, 2),
        f(0, 2))
    add(g, "scatter_add.error_src_small", lambda lib, x, i, s: x.scatter_add(0, i, s), f(3),
        _long(0, 1), f(1), match="no larger")


def _scatter_reduce_cases() -> None:
    from tests.golden.cases import add, dist, f, ints, vals

    g = "selection_reduce"
    for reduce in ("sum", "mean", "amax", "amin"):
        for include_self in (True, False):
            name = f"{reduce}.{'self' if include_self else 'no_self'}"
            add(g, name, lambda lib, x, i, s, r=reduce, k=include_self: lib.scatter_reduce(
                x, 1, i, s, r, include_self=k), dist(3, 4), ints(3, 6, high=4), dist(3, 6))
    add(g, "prod.self", lambda lib, x, i, s: x.scatter_reduce(0, i, s, "prod"), f(4),
        ints(6, high=3), f(6))
    add(g, "prod.no_self", lambda lib, x, i, s: x.scatter_reduce(0, i, s, "prod",
                                                                include_self=False),
        f(4), ints(6, high=3), f(6))
    add(g, "prod.zeros", lambda lib, x, i, s: x.scatter_reduce(0, i, s, "prod"),
        vals(2.0, 0.0, 3.0), _long(0, 0, 1, 1, 2, 2), vals(0.0, 5.0, 4.0, 0.0, 0.0, 0.5))
    add(g, "prod.zeros_no_self", lambda lib, x, i, s: x.scatter_reduce(
        0, i, s, "prod", include_self=False), vals(2.0, 0.0, 3.0), _long(0, 0, 1, 1, 2, 2),
        vals(0.0, 5.0, 4.0, 0.0, 0.0, 0.5))
    add(g, "amax.ties", lambda lib, x, i, s: x.scatter_reduce(0, i, s, "amax"),
        vals(1.0, 2.0), _long(0, 0, 1, 1), vals(1.0, 5.0, 2.0, 2.0))
    add(g, "amax.nan", lambda lib, x, i, s: x.scatter_reduce(0, i, s, "amax"),
        vals(0.0, 0.0, 0.0, grad=False), _long(0, 0, 1), vals(3.0, float("nan"), 5.0,
                                                            grad=False))
    add(g, "mean.int", lambda lib, x, i, s: x.scatter_reduce(0, i, s, "mean"), ints(3),
        _long(0, 0, 1), vals(-3, -4, 5, dtype="int64"))
    add(g, "mean.int_no_self", lambda lib, x, i, s: x.scatter_reduce(
        0, i, s, "mean", include_self=False), ints(3), _long(0, 0, 1),
        vals(-3, -4, 5, dtype="int64"))
    add(g, "amin.int", lambda lib, x, i, s: x.scatter_reduce(1, i, s, "amin", include_self=False),
        ints(2, 3), ints(2, 4, high=3), ints(2, 4, low=-3))
    add(g, "sum.inplace", lambda lib, x, i, s: x.clone().scatter_reduce_(0, i, s, "sum"), f(3),
        _long(2, 2, 0), f(3))
    add(g, "sum.0d", lambda lib, x, i, s: x.scatter_reduce(0, i, s, "sum"), f(), _long(0),
        f(1))
    add(g, "error_reduce", lambda lib, x, i, s: x.scatter_reduce(0, i, s, "foo"), f(3),
        _long(0), f(1), match="reduce argument must be either sum, prod, mean, amax or amin")
    add(g, "error_dtype", lambda lib, x, i, s: x.scatter_reduce(0, i, s, "sum"), f(3),
        _long(0), ints(1), match="dtype")


def _index_cases() -> None:
    from tests.golden.cases import add, f, ints

    g = "selection_index"
    add(g, "index_select.dim0", lambda lib, x, i: lib.index_select(x, 0, i), f(4, 3),
        _long(3, 0, 0, 2))
    add(g, "index_select.neg_dim", lambda lib, x, i: x.index_select(-1, i), f(2, 4),
        _long(1, 1, 3))
    add(g, "index_select.0d_index", lambda lib, x, i: x.index_select(1, i), f(2, 4),
        _long(2, shape=()))
    add(g, "index_select.empty_index", lambda lib, x, i: x.index_select(0, i), f(3, 2),
        ints(0))
    add(g, "index_select.0d_input", lambda lib, x, i: x.index_select(0, i), f(), _long(0))
    add(g, "index_select.int", lambda lib, x, i: x.index_select(1, i), ints(2, 3),
        _long(2, 0, 2))
    add(g, "index_select.int32", lambda lib, x, i: x.index_select(0, i), f(3),
        ints(4, high=3, dtype="int32"))
    add(g, "index_select.error_range", lambda lib, x, i: x.index_select(0, i), f(3),
        _long(0, 3), match="index")
    add(g, "index_select.error_negative", lambda lib, x, i: x.index_select(0, i), f(3),
        _long(-1), match="index")
    add(g, "index_add.error_negative", lambda lib, x, i, s: x.index_add(0, i, s), f(3),
        _long(-1), f(1), match="index")
    add(g, "index_copy.error_negative", lambda lib, x, i, s: x.index_copy(0, i, s), f(3),
        _long(-1), f(1), match="out of bounds")
    add(g, "index_select.error_2d", lambda lib, x, i: x.index_select(0, i), f(3),
        _long(0, 1, shape=(1, 2)), match="vector")
    add(g, "index_add.dim0", lambda lib, x, i, s: lib.index_add(x, 0, i, s), f(4, 3),
        _long(3, 0, 0), f(3, 3))
    add(g, "index_add.alpha", lambda lib, x, i, s: x.index_add(1, i, s, alpha=-2.5), f(2, 4),
        _long(1, 1, 3), f(2, 3))
    add(g, "index_add.int", lambda lib, x, i, s: x.index_add(0, i, s, alpha=3), ints(4),
        _long(1, 1, 3), ints(3))
    add(g, "index_add.inplace", lambda lib, x, i, s: x.clone().index_add_(0, i, s), f(3),
        _long(2, 0), f(2))
    add(g, "index_add.0d", lambda lib, x, i, s: x.index_add(0, i, s), f(), _long(0, shape=()),
        f())
    add(g, "index_add.error_count", lambda lib, x, i, s: x.index_add(0, i, s), f(3),
        _long(0, 0), f(3))
    add(g, "index_add.error_dtype", lambda lib, x, i, s: x.index_add(0, i, s), f(3), _long(0),
        f(1, dtype="float32"))
    add(g, "index_copy.dim1", lambda lib, x, i, s: lib.index_copy(x, 1, i, s), f(2, 4),
        _long(3, 0), f(2, 2))
    add(g, "index_copy.inplace", lambda lib, x, i, s: x.clone().index_copy_(0, i, s), f(3, 2),
        _long(2, 1), f(2, 2))
    add(g, "index_copy.int", lambda lib, x, i, s: x.index_copy(0, i, s), ints(4), _long(1, 3),
        ints(2))
    add(g, "index_copy.error_int32", lambda lib, x, i, s: x.index_copy(0, i, s), f(3),
        ints(1, high=3, dtype="int32"), f(1))
    add(g, "index_copy.error_range", lambda lib, x, i, s: x.index_copy(0, i, s), f(3),
        _long(3), f(1), match="out of bounds")
    add(g, "index_fill.dim0", lambda lib, x, i: lib.index_fill(x, 0, i, -1.5), f(3, 2),
        _long(2, 2))
    add(g, "index_fill.neg_index", lambda lib, x, i: x.index_fill(-1, i, 2.0), f(2, 3),
        _long(-1, 0))
    add(g, "index_fill.tensor_value", lambda lib, x, i, v: x.index_fill(1, i, v), f(2, 3),
        _long(1), f())
    add(g, "index_fill.int", lambda lib, x, i: x.index_fill(0, i, 2.7), ints(3), _long(0))
    add(g, "index_fill.inplace", lambda lib, x, i: x.clone().index_fill_(0, i, 0.0), f(3),
        _long(1))
    add(g, "index_fill.error_int32", lambda lib, x, i: x.index_fill(0, i, 1.0), f(3),
        ints(1, high=3, dtype="int32"), match="int64")


def _take_and_mask_cases() -> None:
    from tests.golden.cases import add, f, ints, mask, vals

    g = "selection_mask"
    add(g, "take.2d", lambda lib, x, i: lib.take(x, i), f(2, 3),
        _long(0, 5, -1, -6, 2, 2, shape=(2, 3)))
    add(g, "take.0d_index", lambda lib, x, i: x.take(i), f(2, 3), _long(4, shape=()))
    add(g, "take.empty", lambda lib, x, i: x.take(i), f(2, 3), ints(0, 2))
    add(g, "take.int", lambda lib, x, i: x.take(i), ints(2, 3), _long(1, 1, 5))
    add(g, "take.error_range", lambda lib, x, i: x.take(i), f(2, 3), _long(6),
        match="out of range")
    add(g, "take_along_dim.dim1", lambda lib, x, i: lib.take_along_dim(x, i, 1), f(2, 3),
        _long(0, 2, 2, 1, shape=(2, 2)))
    add(g, "take_along_dim.broadcast", lambda lib, x, i: lib.take_along_dim(x, i, 1),
        f(2, 3), _long(0, 2, shape=(1, 2)))
    add(g, "take_along_dim.broadcast_input", lambda lib, x, i: x.take_along_dim(i, 0),
        f(3, 1), ints(2, 4, high=3))
    add(g, "take_along_dim.none", lambda lib, x, i: x.take_along_dim(i), f(2, 3),
        _long(0, 5, 5, shape=(1, 3)))
    add(g, "take_along_dim.negative", lambda lib, x, i: lib.take_along_dim(x, i, 0), f(3),
        _long(0, -1))
    add(g, "take_along_dim.error_0d", lambda lib, x, i: lib.take_along_dim(x, i, 0), f(),
        _long(0, shape=()), match="has no dimensions")
    add(g, "take_along_dim.0d_flat", lambda lib, x, i: lib.take_along_dim(x, i), f(),
        _long(0, 0))
    add(g, "take_along_dim.error_ndim", lambda lib, x, i: lib.take_along_dim(x, i, 1),
        f(2, 3), _long(0, 1))
    add(g, "masked_select.same_shape", lambda lib, x, m: lib.masked_select(x, m), f(3, 4),
        mask(3, 4))
    add(g, "masked_select.broadcast_mask", lambda lib, x, m: x.masked_select(m), f(2, 3),
        vals(True, False, True, dtype="bool"))
    add(g, "masked_select.broadcast_input", lambda lib, x, m: x.masked_select(m), f(3),
        mask(2, 3))
    add(g, "masked_select.0d", lambda lib, x, m: x.masked_select(m), f(), mask())
    add(g, "masked_select.empty", lambda lib, x, m: x.masked_select(m), f(0, 3), mask(0, 3))
    add(g, "masked_select.int", lambda lib, x, m: x.masked_select(m), ints(4), mask(4))
    add(g, "masked_select.error_mask_dtype", lambda lib, x, m: x.masked_select(m), f(3),
        ints(3, high=2))
    add(g, "masked_scatter.same_shape", lambda lib, x, m, s: x.masked_scatter(m, s), f(3, 4),
        mask(3, 4), f(13))
    add(g, "masked_scatter.broadcast", lambda lib, x, m, s: x.masked_scatter(m, s), f(2, 3),
        vals(True, False, True, dtype="bool"), f(3, 2))
    add(g, "masked_scatter.inplace", lambda lib, x, m, s: x.clone().masked_scatter_(m, s),
        f(4), mask(4), f(4))
    add(g, "masked_scatter.int", lambda lib, x, m, s: x.masked_scatter(m, s), ints(4),
        mask(4), ints(5))
    add(g, "masked_scatter.error_too_few", lambda lib, x, m, s: x.masked_scatter(m, s), f(3),
        vals(True, False, True, dtype="bool"), f(1))
    add(g, "masked_scatter.error_dtype", lambda lib, x, m, s: x.masked_scatter(m, s), f(3),
        mask(3), ints(3))


def _nonzero_cases() -> None:
    from tests.golden.cases import add, f, ints, mask, vals

    g = "selection_nonzero"
    add(g, "nonzero.2d", lambda lib, x: lib.nonzero(x), ints(3, 4, high=2))
    add(g, "nonzero.float", lambda lib, x: x.nonzero(),
        vals(0.0, -0.0, 1.5, float("nan"), float("inf"), 0.0, grad=False))
    add(g, "nonzero.as_tuple", lambda lib, x: lib.nonzero(x, as_tuple=True), mask(2, 3, 2))
    add(g, "nonzero.0d", lambda lib, x: x.nonzero(), vals(5.0, shape=(), grad=False))
    add(g, "nonzero.0d_zero", lambda lib, x: x.nonzero(), vals(0.0, shape=(), grad=False))
    add(g, "nonzero.0d_as_tuple", lambda lib, x: x.nonzero(as_tuple=True),
        vals(5, shape=(), dtype="int64"))
    add(g, "nonzero.empty", lambda lib, x: x.nonzero(), ints(2, 0))
    add(g, "nonzero.empty_as_tuple", lambda lib, x: x.nonzero(as_tuple=True), ints(0, 3))
    add(g, "argwhere.2d", lambda lib, x: lib.argwhere(x), mask(3, 3))
    add(g, "argwhere.method", lambda lib, x: x.argwhere(), ints(5, high=2))
    add(g, "where.one_argument", lambda lib, x: lib.where(x), ints(2, 3, high=2))
    add(g, "where.one_argument_bool", lambda lib, x: lib.where(x), mask(4))
    add(g, "where.error_two_arguments", lambda lib, m, x: lib.where(m, x), mask(3), f(3))


def register() -> None:
    """Append this family's cases to ``cases.CASES`` (called once, from ``cases.py``)."""
    _gather_cases()
    _scatter_cases()
    _scatter_reduce_cases()
    _index_cases()
    _take_and_mask_cases()
    _nonzero_cases()
