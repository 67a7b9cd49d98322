"""Golden cases of the scans family (see ``cases.py`` for the registry and its helpers).

Groups: ``scans`` (cumsum, cumprod, cummax, cummin, logcumsumexp) and ``scans_reduce`` (any/all
with dims, median, nanmedian, mode, nansum, nanmean, std_mean, var_mean, aminmax,
count_nonzero, dtype= and axis= of the older reductions).
"""

from __future__ import annotations

from typing import Any

inf, nan = float("inf"), float("nan")


def register() -> None:
    """Append this family's cases to ``cases.CASES`` (called once, from ``cases.py``)."""
    _cumulative_sums()
    _cumulative_extremes()
    _logcumsumexp()
    _logical()
    _medians()
    _modes()
    _nan_reductions()
    _spreads_and_extremes()
    _dtypes_and_aliases()


def _cumulative_sums() -> None:
    from tests.golden.cases import add, f, ints, mask, pos, vals

    g = "scans"
    for op in ("cumsum", "cumprod"):
        add(g, f"{op}.dim1", lambda lib, x, op=op: getattr(lib, op)(x, 1), f(3, 4))
        add(g, f"{op}.dim0_method", lambda lib, x, op=op: getattr(x, op)(0), f(3, 4))
        add(g, f"{op}.neg_dim_3d", lambda lib, x, op=op: getattr(x, op)(-2), f(2, 3, 4))
        add(g, f"{op}.keyword_dim", lambda lib, x, op=op: getattr(lib, op)(x, dim=-1), f(5))
        add(g, f"{op}.axis", lambda lib, x, op=op: getattr(lib, op)(x, axis=1), f(2, 3))
        add(g, f"{op}.0d", lambda lib, x, op=op: getattr(x, op)(0), f())
        add(g, f"{op}.size1", lambda lib, x, op=op: getattr(x, op)(1), f(3, 1))
        add(g, f"{op}.empty", lambda lib, x, op=op: getattr(x, op)(0), f(0, 3))
        add(g, f"{op}.empty_other_dim", lambda lib, x, op=op: getattr(x, op)(1), f(0, 3))
        add(g, f"{op}.int", lambda lib, x, op=op: getattr(x, op)(0), ints(4, 3, low=-3))
        add(g, f"{op}.int32", lambda lib, x, op=op: getattr(x, op)(1),
            ints(2, 3, dtype="int32"))
        add(g, f"{op}.bool", lambda lib, x, op=op: getattr(x, op)(0), mask(6))
        add(g, f"{op}.dtype_float", lambda lib, x, op=op: getattr(x, op)(0, dtype=lib.float64),
            ints(5, low=1))
        add(g, f"{op}.dtype_up", lambda lib, x, op=op: getattr(x, op)(1, dtype=lib.float64),
            f(2, 3, dtype="float32"))
        add(g, f"{op}.dtype_int32", lambda lib, x, op=op: getattr(x, op)(0, dtype=lib.int32),
            ints(4, low=1))
        add(g, f"{op}.float32", lambda lib, x, op=op: getattr(x, op)(1), f(2, 4, dtype="float32"))
        add(g, f"{op}.nonfinite", lambda lib, x, op=op: getattr(x, op)(0),
            vals(1.0, inf, 2.0, -inf, nan, 3.0), double=False)
        add(g, f"{op}.dim_out_of_range", lambda lib, x, op=op: getattr(x, op)(2), f(2, 3),
            match="out of range")
    add(g, "cumsum.then_square", lambda lib, x: x.cumsum(1) ** 2, f(2, 5))
    add(g, "cumprod.positive_long", lambda lib, x: x.cumprod(0), pos(12))
    add(g, "cumprod.one_zero", lambda lib, x: x.cumprod(1),
        vals(1.5, 0.0, -2.0, 0.5, 3.0, -1.0, 2.0, 0.7, shape=(2, 4)))
    add(g, "cumprod.two_zeros", lambda lib, x: x.cumprod(1),
        vals(0.0, 2.0, 0.0, 1.5, -1.0, 0.0, 2.0, 0.0, shape=(2, 4)))
    add(g, "cumprod.leading_zero_3d", lambda lib, x: x.cumprod(-1),
        vals(0.0, 1.5, -2.0, 0.5, 0.0, 0.0, 2.0, 3.0, shape=(2, 1, 4)))
    add(g, "cumprod.last_zero", lambda lib, x: (x.cumprod(0) ** 2).sum(),
        vals(1.2, -0.7, 0.0))
    add(g, "cumsum.in_place", lambda lib, x: (x * 1.0).cumsum_(1), f(2, 3))
    add(g, "cumprod.in_place", lambda lib, x: (x * 1.0).cumprod_(0), f(3, 2))


def _cumulative_extremes() -> None:
    from tests.golden.cases import add, dist, f, ints, ties, vals

    g = "scans"
    for op in ("cummax", "cummin"):
        add(g, f"{op}.dim1", lambda lib, x, op=op: getattr(lib, op)(x, 1), dist(3, 5))
        add(g, f"{op}.dim0_method", lambda lib, x, op=op: getattr(x, op)(0), dist(4, 3))
        add(g, f"{op}.neg_dim", lambda lib, x, op=op: getattr(x, op)(dim=-1), dist(2, 2, 4))
        add(g, f"{op}.ties", lambda lib, x, op=op: getattr(x, op)(1), ties(4, 6))
        add(g, f"{op}.named", lambda lib, x, op=op: getattr(x, op)(0).indices, dist(5))
        add(g, f"{op}.values_only", lambda lib, x, op=op: getattr(x, op)(0).values * 2.0,
            dist(5))
        add(g, f"{op}.nan", lambda lib, x, op=op: getattr(x, op)(0),
            vals(1.0, nan, 0.0, 3.0, nan, -1.0))
        add(g, f"{op}.inf", lambda lib, x, op=op: getattr(x, op)(0),
            vals(-inf, 1.0, inf, 2.0, -inf))
        add(g, f"{op}.0d", lambda lib, x, op=op: getattr(x, op)(0), f())
        add(g, f"{op}.empty", lambda lib, x, op=op: getattr(x, op)(0), f(0, 2))
        add(g, f"{op}.int", lambda lib, x, op=op: getattr(x, op)(1), ints(3, 5))
        add(g, f"{op}.axis", lambda lib, x, op=op: getattr(lib, op)(x, axis=0), dist(3, 2))
        add(g, f"{op}.dim_out_of_range", lambda lib, x, op=op: getattr(x, op)(-3), f(2, 3),
            match="out of range")


def _logcumsumexp() -> None:
    from tests.golden.cases import add, f, ints, vals

    g = "scans"
    add(g, "logcumsumexp.dim1", lambda lib, x: lib.logcumsumexp(x, 1), f(3, 4))
    add(g, "logcumsumexp.method_neg", lambda lib, x: x.logcumsumexp(-3), f(3, 2, 2))
    add(g, "logcumsumexp.0d", lambda lib, x: x.logcumsumexp(0), f())
    add(g, "logcumsumexp.empty", lambda lib, x: x.logcumsumexp(1), f(2, 0))
    add(g, "logcumsumexp.large", lambda lib, x: x.logcumsumexp(0),
        vals(1000.0, 1000.5, -1000.0, 999.0))
    add(g, "logcumsumexp.very_negative", lambda lib, x: x.logcumsumexp(0),
        vals(-1000.0, -1001.0, -999.5))
    add(g, "logcumsumexp.mixed_scales", lambda lib, x: x.logcumsumexp(1),
        vals(-30.0, 0.0, 30.0, 1.0, 2.0, -5.0, shape=(2, 3)))
    add(g, "logcumsumexp.leading_neg_inf", lambda lib, x: x.logcumsumexp(0),
        vals(-inf, 1.0, 2.0), double=False)
    add(g, "logcumsumexp.float32", lambda lib, x: x.logcumsumexp(0), f(4, dtype="float32"))
    add(g, "logcumsumexp.int", lambda lib, x: x.logcumsumexp(0), ints(4), match="Long")


def _logical() -> None:
    from tests.golden.cases import add, ints, mask, vals

    g = "scans_reduce"
    for op in ("any", "all"):
        add(g, f"{op}.all_elements", lambda lib, x, op=op: getattr(x, op)(), mask(3, 4))
        add(g, f"{op}.dim", lambda lib, x, op=op: getattr(lib, op)(x, 1), mask(3, 4))
        add(g, f"{op}.neg_dim_keepdim", lambda lib, x, op=op: getattr(x, op)(-1, keepdim=True),
            mask(2, 3))
        add(g, f"{op}.dim_tuple", lambda lib, x, op=op: getattr(x, op)((0, 2)), mask(2, 3, 4))
        add(g, f"{op}.axis", lambda lib, x, op=op: getattr(lib, op)(x, axis=0, keepdims=True),
            mask(3, 2))
        add(g, f"{op}.int", lambda lib, x, op=op: getattr(x, op)(0), ints(3, 4, low=0, high=2))
        add(g, f"{op}.uint8", lambda lib, x, op=op: getattr(x, op)(1),
            ints(2, 3, low=0, high=3, dtype="uint8"))
        add(g, f"{op}.float", lambda lib, x, op=op: getattr(x, op)(1),
            vals(0.0, -0.0, nan, 0.0, 0.0, 0.0, grad=False, shape=(2, 3)))
        add(g, f"{op}.empty_dim", lambda lib, x, op=op: getattr(x, op)(1),
            ints(2, 0))
        add(g, f"{op}.0d_dim", lambda lib, x, op=op: getattr(x, op)(0),
            ints(low=0, high=2))
        add(g, f"{op}.dim_out_of_range", lambda lib, x, op=op: getattr(x, op)(2), mask(2, 3),
            match="out of range")
    add(g, "count_nonzero.all", lambda lib, x: lib.count_nonzero(x),
        vals(1.0, 0.0, -0.0, nan, 2.0, 0.0, grad=False, shape=(2, 3)))
    add(g, "count_nonzero.dim", lambda lib, x: x.count_nonzero(0), ints(3, 4, high=2))
    add(g, "count_nonzero.dims", lambda lib, x: x.count_nonzero((0, -1)), ints(2, 3, 4, high=2))
    add(g, "count_nonzero.bool", lambda lib, x: x.count_nonzero(dim=1), mask(3, 4))
    add(g, "count_nonzero.0d", lambda lib, x: x.count_nonzero(), ints(low=1, high=3))


def _medians() -> None:
    from tests.golden.cases import add, dist, f, ints, ties, vals

    g = "scans_reduce"
    for op in ("median", "nanmedian"):
        add(g, f"{op}.all_odd", lambda lib, x, op=op: getattr(x, op)(), dist(3, 5))
        add(g, f"{op}.all_even", lambda lib, x, op=op: getattr(lib, op)(x), dist(2, 4))
        add(g, f"{op}.all_ties", lambda lib, x, op=op: getattr(x, op)(),
            vals(1.0, 2.0, 2.0, 3.0, 2.0))
        add(g, f"{op}.dim", lambda lib, x, op=op: getattr(x, op)(1), dist(3, 5))
        add(g, f"{op}.dim_even", lambda lib, x, op=op: getattr(lib, op)(x, 0), dist(4, 3))
        add(g, f"{op}.neg_dim_keepdim", lambda lib, x, op=op: getattr(x, op)(-1, keepdim=True),
            dist(2, 3, 4))
        add(g, f"{op}.dim_ties", lambda lib, x, op=op: getattr(x, op)(1),
            vals(2.0, 1, 2, 1, 3, 3.0, 3, 1, 1, 1, 5.0, 4, 4, 5, 0, 1.0, 1, 2, 2, 2,
                 shape=(4, 5)))
        add(g, f"{op}.nan_dim", lambda lib, x, op=op: getattr(x, op)(1),
            vals(1.0, nan, 3.0, 2.0, nan, nan, 0.0, 1.0, 4.0, 5.0, 6.0, 7.0, shape=(3, 4)))
        add(g, f"{op}.nan_all", lambda lib, x, op=op: getattr(x, op)(),
            vals(1.0, nan, 3.0, 2.0))
        add(g, f"{op}.only_nan", lambda lib, x, op=op: getattr(x, op)(0), vals(nan, nan))
        add(g, f"{op}.inf", lambda lib, x, op=op: getattr(x, op)(0), vals(inf, -inf, 1.0))
        add(g, f"{op}.0d", lambda lib, x, op=op: getattr(x, op)(), f())
        add(g, f"{op}.0d_dim", lambda lib, x, op=op: getattr(x, op)(0), f())
        add(g, f"{op}.size1", lambda lib, x, op=op: getattr(x, op)(1), f(3, 1))
        add(g, f"{op}.empty_all", lambda lib, x, op=op: getattr(x, op)(), f(0))
        add(g, f"{op}.empty_dim", lambda lib, x, op=op: getattr(x, op)(1), f(2, 0),
            match="non-zero size")
        add(g, f"{op}.int", lambda lib, x, op=op: getattr(x, op)(1), ints(3, 4))
        add(g, f"{op}.int_all", lambda lib, x, op=op: getattr(x, op)(), ints(6))
        add(g, f"{op}.ties_random", lambda lib, x, op=op: getattr(x, op)(0), ties(7, 4))
        add(g, f"{op}.axis", lambda lib, x, op=op: getattr(lib, op)(x, axis=1, keepdims=True),
            dist(2, 3))


def _modes() -> None:
    from tests.golden.cases import add, dist, f, ints, mask, ties, vals

    g = "scans_reduce"
    add(g, "mode.default_last_dim", lambda lib, x: x.mode(), ties(3, 6))
    add(g, "mode.dim0", lambda lib, x: lib.mode(x, 0), ties(7, 3))
    add(g, "mode.keepdim", lambda lib, x: x.mode(1, keepdim=True), ties(2, 3, 5))
    add(g, "mode.distinct", lambda lib, x: x.mode(1), dist(2, 4))
    add(g, "mode.known", lambda lib, x: x.mode(1),
        vals(2.0, 1, 2, 1, 3, 1.0, 1, 2, 2, 0, 3.0, 3, 1, 1, 1, shape=(3, 5)))
    add(g, "mode.inf", lambda lib, x: x.mode(0), vals(inf, -inf, inf, 1.0, -inf))
    add(g, "mode.0d", lambda lib, x: x.mode(), f())
    add(g, "mode.size1", lambda lib, x: x.mode(0), f(1, 3))
    add(g, "mode.int", lambda lib, x: x.mode(1), ints(4, 9, high=3))
    add(g, "mode.bool", lambda lib, x: x.mode(0), mask(5, 2))
    add(g, "mode.axis", lambda lib, x: lib.mode(x, axis=0, keepdims=True), ties(5, 2))
    add(g, "mode.empty_dim", lambda lib, x: x.mode(1), f(2, 0), match="non-zero size")


def _nan_reductions() -> None:
    from tests.golden.cases import add, f, ints, vals

    g = "scans_reduce"
    with_nans = vals(1.0, nan, 3.0, nan, nan, 2.0, 0.5, -2.0, 4.0, shape=(3, 3))
    for op in ("nansum", "nanmean"):
        add(g, f"{op}.all", lambda lib, x, op=op: getattr(x, op)(), with_nans)
        add(g, f"{op}.dim", lambda lib, x, op=op: getattr(lib, op)(x, 1), with_nans)
        add(g, f"{op}.dim0_keepdim", lambda lib, x, op=op: getattr(x, op)(0, keepdim=True),
            with_nans)
        add(g, f"{op}.dims", lambda lib, x, op=op: getattr(x, op)((0, -1)), f(2, 3, 4))
        add(g, f"{op}.no_nan", lambda lib, x, op=op: getattr(x, op)(1), f(3, 4))
        add(g, f"{op}.inf", lambda lib, x, op=op: getattr(x, op)(),
            vals(inf, nan, 1.0, -2.0))
        add(g, f"{op}.0d", lambda lib, x, op=op: getattr(x, op)(), f())
        add(g, f"{op}.empty", lambda lib, x, op=op: getattr(x, op)(1), f(2, 0))
        add(g, f"{op}.axis", lambda lib, x, op=op: getattr(lib, op)(x, axis=0, keepdims=True),
            with_nans)
        add(g, f"{op}.dtype", lambda lib, x, op=op: getattr(x, op)(dtype=lib.float32), f(3))
    # a slice of nans only: nansum 0 and nanmean nan, as PyTorch; the gradient of nanmean there
    # is 0 here (selected), nan in PyTorch (nansum's backward multiplies g / 0 by the mask):
    # values only, the gradient is tested in tests/test_scans.py
    add(g, "nanmean.all_nan_row", lambda lib, x: x.nanmean(1),
        vals(nan, nan, 1.0, nan, shape=(2, 2), grad=False))
    add(g, "nansum.all_nan_row", lambda lib, x: x.nansum(1), vals(nan, nan, 1.0, nan, shape=(2, 2)))
    add(g, "nansum.int", lambda lib, x: x.nansum(0), ints(3, 2))
    add(g, "nansum.int32", lambda lib, x: x.nansum(), ints(4, dtype="int32"))
    add(g, "nanmean.int", lambda lib, x: x.nanmean(), ints(3), match="floating point")
    add(g, "nanmean.int_dtype", lambda lib, x: lib.nanmean(x, dtype=lib.float64), ints(3))
    add(g, "nansum.float32", lambda lib, x: x.nansum(1), f(2, 3, dtype="float32"))


def _spreads_and_extremes() -> None:
    from tests.golden.cases import add, dist, f, ties, vals

    g = "scans_reduce"
    for op in ("std_mean", "var_mean"):
        add(g, f"{op}.all", lambda lib, x, op=op: getattr(lib, op)(x), f(3, 4))
        add(g, f"{op}.dim", lambda lib, x, op=op: getattr(lib, op)(x, 1), f(3, 4))
        add(g, f"{op}.dims_keepdim", lambda lib, x, op=op: getattr(lib, op)(
            x, (0, 2), keepdim=True), f(2, 3, 4))
        add(g, f"{op}.correction0", lambda lib, x, op=op: getattr(lib, op)(
            x, 0, correction=0), f(3, 4))
        add(g, f"{op}.unbiased_false", lambda lib, x, op=op: getattr(lib, op)(x, 1, False),
            f(3, 4))
        add(g, f"{op}.unbiased_positional", lambda lib, x, op=op: getattr(lib, op)(x, False),
            f(5))
        add(g, f"{op}.constant", lambda lib, x, op=op: getattr(lib, op)(x, 1),
            vals(0.1, 0.1, 0.1, 0.7, 0.7, 0.7, shape=(2, 3)))
        add(g, f"{op}.axis", lambda lib, x, op=op: getattr(lib, op)(x, axis=1, keepdims=True),
            f(2, 3))
    for op in ("var", "std"):
        add(g, f"{op}.unbiased_positional", lambda lib, x, op=op: getattr(x, op)(0, False),
            f(3, 4))
        add(g, f"{op}.axis", lambda lib, x, op=op: getattr(lib, op)(x, axis=0, keepdims=True),
            f(3, 4))
        add(g, f"{op}.constant_large", lambda lib, x, op=op: getattr(x, op)(1),
            vals(1e8 + 0.1, 1e8 + 0.1, 1e8 + 0.1, 1e8 + 0.1, 1.0, 2.0, 3.0, 4.0,
                 shape=(2, 4)))
        # values only: the gradient here is more accurate than PyTorch's (x - x̄ after a shift
        # by x₀ is exact; PyTorch's x - mean(x) has the mean's rounding, ~1e-7 relative)
        add(g, f"{op}.large_offset", lambda lib, x, op=op: getattr(x, op)(),
            vals(1e9 + 1.0, 1e9 + 2.0, 1e9 + 4.0, grad=False))
    add(g, "aminmax.all", lambda lib, x: lib.aminmax(x), dist(3, 4))
    add(g, "aminmax.dim", lambda lib, x: lib.aminmax(x, dim=1), dist(3, 4))
    add(g, "aminmax.method_keepdim", lambda lib, x: x.aminmax(dim=-1, keepdim=True),
        dist(2, 3))
    add(g, "aminmax.ties", lambda lib, x: x.aminmax(dim=1), ties(3, 5))
    add(g, "aminmax.named", lambda lib, x: x.aminmax().max, dist(4))
    add(g, "aminmax.nan", lambda lib, x: x.aminmax(dim=0), vals(1.0, nan, 3.0), double=False)
    add(g, "aminmax.0d", lambda lib, x: x.aminmax(), f())
    add(g, "aminmax.empty", lambda lib, x: x.aminmax(), f(0), match="aminmax")
    add(g, "aminmax.empty_dim", lambda lib, x: x.aminmax(dim=1), f(2, 0))


def _max_axis(lib: Any, x: Any) -> Any:
    return lib.max(x, axis=1, keepdims=True)


def _dtypes_and_aliases() -> None:
    from tests.golden.cases import add, dist, f, ints, mask, pos

    g = "scans_reduce"
    add(g, "sum.dtype_float64", lambda lib, x: x.sum(dtype=lib.float64), ints(3, 4))
    add(g, "sum.dtype_int32", lambda lib, x: lib.sum(x, 1, dtype=lib.int32), ints(3, 4))
    add(g, "sum.dtype_float32_grad", lambda lib, x: x.sum(0, dtype=lib.float32), f(3, 2))
    add(g, "sum.bool_dtype", lambda lib, x: x.sum(dtype=lib.float64), mask(5))
    add(g, "mean.dtype_int", lambda lib, x: x.mean(dtype=lib.float64), ints(4))
    add(g, "mean.dtype_dim", lambda lib, x: lib.mean(x, 1, dtype=lib.float32), f(2, 3))
    add(g, "prod.dtype", lambda lib, x: x.prod(dtype=lib.float64), ints(4, low=1))
    add(g, "prod.axis", lambda lib, x: lib.prod(x, axis=1, keepdims=True), pos(2, 3))
    add(g, "max.axis", _max_axis, dist(2, 3))
    add(g, "min.axis", lambda lib, x: x.min(axis=0), dist(2, 3))
    add(g, "amax.axis_tuple", lambda lib, x: x.amax(axis=(0, 1)), dist(2, 3, 2))
    add(g, "amin.axis", lambda lib, x: lib.amin(x, axis=-1, keepdims=True), dist(2, 3))
    add(g, "argmax.axis", lambda lib, x: x.argmax(axis=1), dist(3, 4))
    add(g, "argmin.axis", lambda lib, x: lib.argmin(x, axis=0, keepdims=True), dist(3, 4))
    add(g, "logsumexp.axis", lambda lib, x: lib.logsumexp(x, axis=1), f(2, 3))
    add(g, "logsumexp.no_dim", lambda lib, x: lib.logsumexp(x), f(2, 3), match="dim")
    add(g, "mean.axis_tuple", lambda lib, x: x.mean(axis=(0, 1), keepdims=True), f(2, 3, 2))
