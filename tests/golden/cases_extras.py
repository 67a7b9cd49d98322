"""Golden cases of the extras family (see ``cases.py`` for the registry and its helpers).

Groups: ``extras`` (diff, cov, corrcoef, quantile, distances, addcmul/addcdiv and the small
pointwise functions), ``extras_counts`` (histc, histogram, bincount, isin, gcd/lcm, frexp,
nextafter, index factories) and ``extras_scatter`` (select, *_scatter, narrow_copy,
split_with_sizes, sum_to_size, ravel, cartesian_prod, combinations, block_diag). The random
samplers have no golden cases: their values follow PyTorch's distributions, not its stream.
"""

from __future__ import annotations

from tests.golden.harness import In

inf, nan = float("inf"), float("nan")


def register() -> None:
    """Append this family's cases to ``cases.CASES`` (called once, from ``cases.py``)."""
    _differences()
    _covariances()
    _quantiles()
    _distances()
    _pointwise()
    _counts()
    _scatters()
    _products()
    _gamma_functions()


def _differences() -> None:
    from tests.golden.cases import add, f, ints, mask

    g = "extras"
    add(g, "diff.default", lambda lib, x: lib.diff(x), f(3, 5))
    add(g, "diff.n2_dim0", lambda lib, x: lib.diff(x, n=2, dim=0), f(5, 3))
    add(g, "diff.method_neg_dim", lambda lib, x: x.diff(dim=-2), f(2, 4, 3))
    add(g, "diff.prepend_append", lambda lib, x, p, a: lib.diff(x, 1, 1, p, a),
        f(2, 3), f(2, 2), f(2, 1))
    add(g, "diff.n_too_large", lambda lib, x: lib.diff(x, n=5), f(3))
    add(g, "diff.n0", lambda lib, x: lib.diff(x, n=0), f(3))
    add(g, "diff.empty", lambda lib, x: lib.diff(x, dim=0), f(0, 3))
    add(g, "diff.int", lambda lib, x: lib.diff(x), ints(6, low=-4, high=9))
    add(g, "diff.bool", lambda lib, x: lib.diff(x), mask(7))
    add(g, "diff.0d_error", lambda lib, x: lib.diff(x), f(), match="one-dimensional")
    add(g, "diff.bad_dim", lambda lib, x: lib.diff(x, dim=2), f(2, 3), match="range")


def _covariances() -> None:
    from tests.golden.cases import add, f, ints, vals, weight

    g = "extras"
    add(g, "cov.2d", lambda lib, x: lib.cov(x), f(3, 6))
    add(g, "cov.1d", lambda lib, x: lib.cov(x), f(6))
    add(g, "cov.correction0", lambda lib, x: lib.cov(x, correction=0), f(2, 5))
    add(g, "cov.fweights", lambda lib, x, w: lib.cov(x, fweights=w), f(2, 4),
        ints(4, low=1, high=4))
    add(g, "cov.aweights", lambda lib, x, w: lib.cov(x, aweights=w), f(3, 4), weight(4))
    add(g, "cov.both_weights", lambda lib, x, fw, aw: x.cov(fweights=fw, aweights=aw),
        f(2, 5), ints(5, low=1, high=3), weight(5))
    add(g, "cov.int", lambda lib, x: lib.cov(x), ints(2, 5))
    add(g, "cov.3d_error", lambda lib, x: lib.cov(x), f(2, 2, 2), match="two or fewer")
    add(g, "corrcoef.2d", lambda lib, x: lib.corrcoef(x), f(3, 6))
    add(g, "corrcoef.method", lambda lib, x: x.corrcoef(), f(2, 4))
    add(g, "corrcoef.1d", lambda lib, x: lib.corrcoef(x), f(5), double=False)
    add(g, "corrcoef.constant_row", lambda lib, x: lib.corrcoef(x),
        vals(1.0, 1.0, 1.0, 0.5, 2.0, -1.0, shape=(2, 3), grad=False))


def _quantiles() -> None:
    from tests.golden.cases import add, dist, f, ties, vals

    g = "extras"
    for how in ("linear", "lower", "higher", "midpoint", "nearest"):
        add(g, f"quantile.{how}", lambda lib, x, how=how: lib.quantile(
            x, lib.tensor([0.0, 0.25, 0.5, 0.7, 1.0], dtype=lib.float64), dim=1,
            interpolation=how), dist(3, 6))
        add(g, f"nanquantile.{how}", lambda lib, x, how=how: lib.nanquantile(
            x, 0.4, dim=0, interpolation=how),
            vals(1.0, nan, 3.0, 2.0, -1.0, nan, 0.5, 4.0, nan, shape=(3, 3)), double=False)
    add(g, "quantile.float_all", lambda lib, x: lib.quantile(x, 0.3), dist(4, 5))
    add(g, "quantile.keepdim_all", lambda lib, x: lib.quantile(x, 0.3, keepdim=True), dist(2, 3))
    add(g, "quantile.keepdim_dim", lambda lib, x: x.quantile(
        lib.tensor([0.1, 0.9], dtype=lib.float64), dim=-1, keepdim=True), dist(2, 3, 4))
    add(g, "quantile.ties", lambda lib, x: lib.quantile(x, 0.5, dim=0), ties(5, 3))
    add(g, "quantile.0d", lambda lib, x: lib.quantile(x, 0.5), f())
    add(g, "quantile.0d_q_tensor", lambda lib, x: lib.quantile(
        x, lib.tensor(0.25, dtype=lib.float64), dim=0), dist(5))
    add(g, "quantile.nan_row", lambda lib, x: lib.quantile(x, 0.5, dim=1),
        vals(1.0, nan, 2.0, 3.0, 4.0, 5.0, shape=(2, 3)), double=False)
    add(g, "nanquantile.all_nan_row", lambda lib, x: lib.nanquantile(x, 0.5, dim=1),
        vals(nan, nan, 2.0, 3.0, shape=(2, 2)), double=False)
    add(g, "quantile.float32", lambda lib, x: lib.quantile(x, 0.5, dim=0), f(4, 2,
                                                                               dtype="float32"))
    add(g, "quantile.q_out_of_range", lambda lib, x: lib.quantile(x, 1.5), f(3),
        match="range [0, 1]")
    add(g, "quantile.empty", lambda lib, x: lib.quantile(x, 0.5), f(0), match="non-empty")
    add(g, "quantile.bad_interp", lambda lib, x: lib.quantile(x, 0.5, interpolation="cubic"),
        f(3), match="interpolation")
    add(g, "quantile.q_dtype", lambda lib, x: lib.quantile(x, lib.tensor([0.5])), f(3),
        match="same dtype")
    add(g, "quantile.q_2d", lambda lib, x: lib.quantile(
        x, lib.tensor([[0.5]], dtype=lib.float64)), f(3), match="scalar or 1D")
    add(g, "quantile.int", lambda lib, x: lib.quantile(x, 0.5), In(
        (3,), "int", "int64"), match="float or double")


def _distances() -> None:
    from tests.golden.cases import add, const, f, ints, vals

    g = "extras"
    for p in (2.0, 1.0, 0.0, 3.0, inf):
        add(g, f"cdist.p{p}", lambda lib, a, b, p=p: lib.cdist(a, b, p=p), f(4, 3), f(5, 3),
            double=p not in (0.0, inf))
    add(g, "cdist.batched", lambda lib, a, b: lib.cdist(a, b), f(2, 3, 4), f(2, 2, 4))
    add(g, "cdist.broadcast_batch", lambda lib, a, b: lib.cdist(a, b), f(2, 3, 4), f(1, 2, 4))
    add(g, "cdist.compute_mode", lambda lib, a, b: lib.cdist(
        a, b, compute_mode="donot_use_mm_for_euclid_dist"), f(3, 2), f(2, 2))
    add(g, "cdist.zero_distance", lambda lib, a, b: lib.cdist(a, b),
        vals(1.0, 2.0, 3.0, 4.0, shape=(2, 2)), vals(1.0, 2.0, 0.0, 0.0, shape=(2, 2)),
        double=False)
    add(g, "cdist.columns_error", lambda lib, a, b: lib.cdist(a, b), f(2, 3), f(2, 4),
        match="same number of columns")
    add(g, "cdist.1d_error", lambda lib, a, b: lib.cdist(a, b), f(3), f(3), match="2D")
    add(g, "cdist.int_error", lambda lib, a, b: lib.cdist(a, b), ints(2, 2), ints(2, 2),
        match="floating-point")
    add(g, "cdist.negative_p", lambda lib, a, b: lib.cdist(a, b, p=-1.0), f(2, 2), f(2, 2),
        match="non-negative p")
    for p in (2, 1, inf):
        add(g, f"pdist.p{p}", lambda lib, x, p=p: lib.nn.functional.pdist(x, p)
            if lib.__name__ == "torch" else lib.pdist(x, p), f(4, 3), double=p != inf)
    add(g, "pdist.one_row", lambda lib, x: lib.pdist(x), f(1, 3))
    add(g, "pdist.1d_error", lambda lib, x: lib.pdist(x), f(3), match="2D")
    for p in (2, 1, 3.5, inf, -inf):
        add(g, f"dist.p{p}", lambda lib, a, b, p=p: lib.dist(a, b, p), f(3, 4), f(4),
            double=p not in (inf, -inf))
    # p = 0: PyTorch's backward raises an internal error; the forward only (tests/test_statistics
    # checks the zero gradient)
    add(g, "dist.p0", lambda lib, a, b: lib.dist(a, b, 0), const(3, 4), const(4))
    add(g, "dist.method", lambda lib, a, b: a.dist(b), f(2, 3), f(2, 3))


def _pointwise() -> None:
    from tests.golden.cases import add, const, f, ints, pos, vals

    g = "extras"
    add(g, "addcmul.default", lambda lib, x, a, b: lib.addcmul(x, a, b), f(2, 3), f(2, 3), f(3))
    add(g, "addcmul.value", lambda lib, x, a, b: x.addcmul(a, b, value=-0.5), f(2, 3), f(1, 3),
        f(2, 1))
    add(g, "addcmul.in_place", lambda lib, x, a, b: (x * 1).addcmul_(a, b, value=2), f(3),
        f(3), f(3))
    add(g, "addcmul.int", lambda lib, x, a, b: lib.addcmul(x, a, b, value=2), ints(3), ints(3),
        ints(3))
    add(g, "addcdiv.default", lambda lib, x, a, b: lib.addcdiv(x, a, b), f(2, 3), f(2, 3),
        pos(2, 3))
    add(g, "addcdiv.value", lambda lib, x, a, b: x.addcdiv(a, b, value=0.25), f(3), f(3), pos(3))
    add(g, "addcdiv.in_place", lambda lib, x, a, b: (x * 1).addcdiv_(a, b, value=-1), f(3),
        f(3), pos(3))
    add(g, "addcdiv.int_error", lambda lib, x, a, b: lib.addcdiv(x, a, b), f(3), ints(3),
        ints(3, low=1), match="Integer division")
    add(g, "float_power.tensor", lambda lib, x, y: lib.float_power(x, y), pos(3), f(3))
    add(g, "float_power.float32", lambda lib, x: lib.float_power(x, 2),
        f(3, dtype="float32"))
    add(g, "float_power.int", lambda lib, x: lib.float_power(x, 3), ints(4, low=-3))
    add(g, "float_power.scalar_base", lambda lib, x: lib.float_power(2, x), f(3))
    add(g, "float_power.method", lambda lib, x: x.float_power(0.5), pos(3))
    add(g, "float_power.in_place", lambda lib, x: (x * 1).float_power_(2), f(3))
    add(g, "float_power.in_place_float32", lambda lib, x: (x * 1).float_power_(2),
        f(3, dtype="float32"), match="float_power_")
    for op in ("deg2rad", "rad2deg"):
        add(g, f"{op}.float", lambda lib, x, op=op: getattr(lib, op)(x), f(2, 3))
        add(g, f"{op}.int", lambda lib, x, op=op: getattr(x, op)(), ints(4, low=-2))
        add(g, f"{op}.in_place", lambda lib, x, op=op: getattr(x * 1, op + "_")(), f(3))
        add(g, f"{op}.float32", lambda lib, x, op=op: getattr(lib, op)(x), f(3, dtype="float32"))
    add(g, "sinc.float", lambda lib, x: lib.sinc(x), f(2, 4))
    add(g, "sinc.zero_and_ints", lambda lib, x: lib.sinc(x),
        vals(0.0, -0.0, 1.0, -2.0, 0.5, 1e-9, inf, nan), double=False)
    add(g, "sinc.int", lambda lib, x: x.sinc(), ints(4, low=-2))
    add(g, "sinc.in_place", lambda lib, x: (x * 1).sinc_(), f(3))
    for op in ("deg2rad_", "rad2deg_", "sinc_"):
        add(g, f"{op}.function", lambda lib, x, op=op: getattr(lib, op)(x * 1), f(3))
    for op in ("gcd_", "lcm_"):
        add(g, f"{op}.function", lambda lib, a, b, op=op: getattr(lib, op)(a.clone(), b),
            ints(4, high=30), ints(4, high=30))
    add(g, "ldexp_.function", lambda lib, x, e: lib.ldexp_(x * 1, e), f(3), ints(3))
    add(g, "ldexp.tensor", lambda lib, x, e: lib.ldexp(x, e), f(4), ints(4, low=0))
    add(g, "ldexp.method", lambda lib, x, e: x.ldexp(e), f(2, 3), ints(3, low=1))
    add(g, "ldexp.float_exponent", lambda lib, x, e: lib.ldexp(x, e), f(3), f(3))
    # negative integer exponents: PyTorch's gradient is wrongly 0 there (2^e computed in
    # integers); the forward only (tests/test_statistics checks the gradient 2^e)
    add(g, "ldexp.negative_exponent", lambda lib, x, e: lib.ldexp(x, e), const(4),
        ints(4, low=-3, high=0))
    add(g, "ldexp.int", lambda lib, x, e: lib.ldexp(x, e), ints(3), ints(3))
    add(g, "renorm.dim0", lambda lib, x: lib.renorm(x, 2, 0, 1.0), f(3, 4))
    add(g, "renorm.p1_dim1", lambda lib, x: x.renorm(1, 1, 0.5), f(3, 4))
    add(g, "renorm.neg_dim", lambda lib, x: x.renorm(3, -1, 0.8), f(2, 3, 2))
    add(g, "renorm.big_maxnorm", lambda lib, x: x.renorm(2, 0, 100.0), f(2, 3))
    add(g, "renorm.in_place", lambda lib, x: (x * 1).renorm_(2, 0, 1.0), f(3, 2))
    add(g, "positive.float", lambda lib, x: lib.positive(x), f(3))
    add(g, "positive.int", lambda lib, x: x.positive(), ints(3))
    add(g, "positive.bool", lambda lib, x: lib.positive(x), vals(True, False, dtype="bool"),
        match="bool tensor")
    add(g, "logspace.default", lambda lib: lib.logspace(-2, 2, 5))
    add(g, "logspace.base2", lambda lib: lib.logspace(0, 10, 11, base=2))
    add(g, "logspace.float64", lambda lib: lib.logspace(0.5, 1.5, 4, dtype=lib.float64))
    add(g, "logspace.one_step", lambda lib: lib.logspace(3, 5, 1, dtype=lib.float64))
    add(g, "logspace.zero_steps", lambda lib: lib.logspace(3, 5, 0))
    add(g, "logspace.int", lambda lib: lib.logspace(0, 3, 4, dtype=lib.int64))


def _counts() -> None:
    from tests.golden.cases import add, const, ints, vals

    g = "extras_counts"
    add(g, "histc.default", lambda lib, x: lib.histc(x), const(50))
    add(g, "histc.bins_range", lambda lib, x: lib.histc(x, bins=4, min=-1, max=1), const(30))
    add(g, "histc.method", lambda lib, x: x.histc(5, 0, 3),
        vals(0.0, 3.0, 1.5, -1.0, 4.0, 0.6, 2.4, 1.2, grad=False))
    add(g, "histc.constant", lambda lib, x: lib.histc(x, 3),
        vals(2.0, 2.0, 2.0, grad=False))
    add(g, "histc.empty", lambda lib, x: lib.histc(x, 3), vals(shape=(0,), grad=False))
    add(g, "histc.float32", lambda lib, x: lib.histc(x, 6), In(
        (20,), "normal", "float32", False))
    add(g, "histc.int_error", lambda lib, x: lib.histc(x), ints(3), match="not implemented")
    add(g, "histc.min_gt_max", lambda lib, x: lib.histc(x, 3, 2, 1), const(3),
        match="max must be larger than min")
    add(g, "histogram.int_bins", lambda lib, x: lib.histogram(x, 5), const(40))
    add(g, "histogram.range_weight", lambda lib, x, w: lib.histogram(
        x, 4, range=(-1.0, 1.0), weight=w), const(20), const(20, kind="positive"))
    add(g, "histogram.density", lambda lib, x: lib.histogram(x, 6, density=True), const(30))
    add(g, "histogram.edges", lambda lib, x: lib.histogram(
        x, lib.tensor([-2.0, -0.5, 0.0, 1.0, 3.0], dtype=lib.float64)), const(25))
    add(g, "histogram.edges_density", lambda lib, x: x.histogram(
        lib.tensor([-2.0, -0.5, 0.0, 1.0, 3.0], dtype=lib.float64), density=True), const(25))
    add(g, "bincount.default", lambda lib, x: lib.bincount(x), ints(20, high=7))
    add(g, "bincount.minlength", lambda lib, x: x.bincount(minlength=10), ints(5, high=4))
    add(g, "bincount.weights", lambda lib, x, w: lib.bincount(x, w), ints(8, high=4), const(8))
    add(g, "bincount.weights_float32", lambda lib, x, w: lib.bincount(x, w), ints(8, high=4),
        In((8,), "normal", "float32", False))
    add(g, "bincount.weights_int", lambda lib, x, w: lib.bincount(x, w), ints(6, high=4),
        ints(6))
    add(g, "bincount.empty", lambda lib, x: lib.bincount(x), ints(0))
    add(g, "bincount.negative", lambda lib, x: lib.bincount(x), ints(3, low=-3, high=-1),
        match="non-negative")
    add(g, "bincount.2d", lambda lib, x: lib.bincount(x), ints(2, 2), match="1-d")
    add(g, "bincount.float_error", lambda lib, x: lib.bincount(x), const(3),
        match="not implemented")
    add(g, "isin.tensor", lambda lib, x, t: lib.isin(x, t), ints(3, 4, high=8), ints(5, high=8))
    add(g, "isin.invert", lambda lib, x, t: lib.isin(x, t, invert=True), ints(6, high=5),
        ints(3, high=5))
    add(g, "isin.scalar_test", lambda lib, x: lib.isin(x, 2), ints(6))
    add(g, "isin.scalar_element", lambda lib, t: lib.isin(3, t), ints(6))
    add(g, "isin.float", lambda lib, x, t: lib.isin(x, t),
        vals(1.0, 2.5, nan, -0.0, grad=False), vals(0.0, 2.5, nan, grad=False))
    add(g, "isin.assume_unique", lambda lib, x, t: lib.isin(x, t, assume_unique=True),
        ints(5, high=9),
        vals(1, 3, 5, dtype="int64"))
    for op in ("gcd", "lcm"):
        add(g, f"{op}.ints", lambda lib, a, b, op=op: getattr(lib, op)(a, b),
            ints(8, low=-12, high=13), ints(8, low=-12, high=13))
        add(g, f"{op}.broadcast_int32", lambda lib, a, b, op=op: getattr(a, op)(b),
            ints(2, 3, low=0, high=20, dtype="int32"), ints(3, low=1, high=10))
        add(g, f"{op}.in_place", lambda lib, a, b, op=op: getattr(a.clone(), op + "_")(b),
            ints(4, high=30), ints(4, high=30))
        add(g, f"{op}.float_error", lambda lib, a, b, op=op: getattr(lib, op)(a, b), const(3),
            const(3), match="not implemented")
    add(g, "frexp.values", lambda lib, x: lib.frexp(x),
        vals(0.0, -0.0, 1.0, -3.5, 1e-310, 1e300, inf, nan, 0.75), double=False)
    add(g, "frexp.float32", lambda lib, x: x.frexp(), In(
        (2, 3), "normal", "float32", False))
    add(g, "frexp.int_error", lambda lib, x: lib.frexp(x), ints(3), match="floating-point")
    add(g, "nextafter.values", lambda lib, a, b: lib.nextafter(a, b),
        vals(0.0, 1.0, 1.0, -1.0, inf, grad=False), vals(1.0, 2.0, 0.0, -1.0, 0.0, grad=False))
    add(g, "nextafter.float32", lambda lib, a, b: a.nextafter(b),
        In((3,), "normal", "float32", False),
        In((3,), "normal", "float32", False))
    add(g, "nextafter.int_error", lambda lib, a, b: lib.nextafter(a, b), ints(2), ints(2),
        match="not implemented")
    for op in ("tril_indices", "triu_indices"):
        add(g, f"{op}.square", lambda lib, op=op: getattr(lib, op)(4, 4))
        add(g, f"{op}.wide_offset", lambda lib, op=op: getattr(lib, op)(3, 5, 1))
        add(g, f"{op}.tall_neg_offset", lambda lib, op=op: getattr(lib, op)(5, 3, -1))
        add(g, f"{op}.int32", lambda lib, op=op: getattr(lib, op)(3, 3, dtype=lib.int32))
        add(g, f"{op}.empty", lambda lib, op=op: getattr(lib, op)(0, 3))


def _scatters() -> None:
    from tests.golden.cases import add, f, ints

    g = "extras_scatter"
    add(g, "select.dim0", lambda lib, x: lib.select(x, 0, 1), f(3, 4))
    add(g, "select.neg", lambda lib, x: x.select(-1, -2), f(2, 3, 4))
    add(g, "select.out_of_range", lambda lib, x: x.select(0, 3), f(3, 4), match="out of range")
    add(g, "select_scatter.dim1", lambda lib, x, s: lib.select_scatter(x, s, 1, 0),
        f(2, 3), f(2))
    add(g, "select_scatter.method", lambda lib, x, s: x.select_scatter(s, 0, -1),
        f(3, 2, 2), f(2, 2))
    add(g, "select_scatter.bad_src", lambda lib, x, s: lib.select_scatter(x, s, 1, 0),
        f(2, 3), f(3), match="expected src to have a size equal to the slice of self")
    add(g, "slice_scatter.default", lambda lib, x, s: lib.slice_scatter(x, s, start=1),
        f(4, 3), f(3, 3))
    add(g, "slice_scatter.step", lambda lib, x, s: x.slice_scatter(s, 1, 0, 6, 2),
        f(2, 6), f(2, 3))
    add(g, "slice_scatter.end", lambda lib, x, s: lib.slice_scatter(x, s, dim=-1, end=2),
        f(3, 4), f(3, 2))
    add(g, "slice_scatter.bad_src", lambda lib, x, s: lib.slice_scatter(x, s, 0, 0, 2),
        f(4), f(3), match="expected src to have a size equal to the slice of self")
    add(g, "diagonal_scatter.main", lambda lib, x, s: lib.diagonal_scatter(x, s), f(3, 3), f(3))
    add(g, "diagonal_scatter.offset", lambda lib, x, s: x.diagonal_scatter(s, 1), f(3, 4),
        f(3))
    add(g, "diagonal_scatter.dims", lambda lib, x, s: lib.diagonal_scatter(x, s, -1, 1, 2),
        f(2, 3, 3), f(2, 2))
    add(g, "narrow_copy.dim1", lambda lib, x: lib.narrow_copy(x, 1, 1, 2), f(3, 4))
    add(g, "narrow_copy.method", lambda lib, x: x.narrow_copy(0, 0, 1), f(3, 4))
    add(g, "split_with_sizes.dim0", lambda lib, x: lib.split_with_sizes(x, [1, 3, 0]), f(4, 2))
    add(g, "split_with_sizes.method_dim", lambda lib, x: x.split_with_sizes([2, 1], dim=-1),
        f(2, 3))
    add(g, "split_with_sizes.bad_sum", lambda lib, x: x.split_with_sizes([2, 2]), f(5),
        match="split_sizes to sum exactly to 5")
    add(g, "sum_to_size.rows", lambda lib, x: x.sum_to_size(1, 4), f(3, 4))
    add(g, "sum_to_size.leading", lambda lib, x: x.sum_to_size(3, 1), f(2, 3, 4))
    add(g, "sum_to_size.tuple", lambda lib, x: x.sum_to_size((4,)), f(2, 4))
    add(g, "sum_to_size.same", lambda lib, x: x.sum_to_size(2, 4), f(2, 4))
    add(g, "sum_to_size.bad", lambda lib, x: x.sum_to_size(3), f(2, 4),
        match="is not expandable to size")
    add(g, "ravel.function", lambda lib, x: lib.ravel(x), f(2, 3))
    add(g, "ravel.transposed", lambda lib, x: x.t().ravel(), f(2, 3))
    add(g, "ravel.0d", lambda lib, x: x.ravel(), f())
    add(g, "ravel.int", lambda lib, x: lib.ravel(x), ints(2, 2))
    add(g, "stride.contiguous", lambda lib, x: lib.tensor(x.stride()), f(2, 3, 4))
    add(g, "stride.transposed", lambda lib, x: lib.tensor(x.t().stride()), f(3, 5))
    add(g, "stride.dim", lambda lib, x: lib.tensor(x.stride(-1)), f(3, 5))
    add(g, "storage_offset.slice", lambda lib, x: lib.tensor(x[1:, 2:].storage_offset()),
        f(3, 5))
    add(g, "new.sizes", lambda lib, x: x.new(2, 3).shape[0] + 0 * x.sum(), f(2))


def _products() -> None:
    from tests.golden.cases import add, f, ints

    g = "extras_scatter"
    add(g, "cartesian_prod.two", lambda lib, a, b: lib.cartesian_prod(a, b), f(3), f(2))
    add(g, "cartesian_prod.three", lambda lib, a, b, c: lib.cartesian_prod(a, b, c), f(2), f(2),
        f(3))
    add(g, "cartesian_prod.one", lambda lib, a: lib.cartesian_prod(a), f(4))
    add(g, "cartesian_prod.int", lambda lib, a, b: lib.cartesian_prod(a, b), ints(2), ints(3))
    add(g, "cartesian_prod.2d_error", lambda lib, a: lib.cartesian_prod(a), f(2, 2),
        match="1D vector")
    add(g, "combinations.default", lambda lib, x: lib.combinations(x), f(4))
    add(g, "combinations.r3", lambda lib, x: lib.combinations(x, 3), f(5))
    add(g, "combinations.replacement", lambda lib, x: lib.combinations(
        x, 2, with_replacement=True), f(3))
    add(g, "combinations.r_too_big", lambda lib, x: lib.combinations(x, 4), f(3))
    add(g, "combinations.r0", lambda lib, x: lib.combinations(x, 0), f(3))
    add(g, "combinations.int", lambda lib, x: lib.combinations(x), ints(4))
    add(g, "block_diag.mixed", lambda lib, a, b, c: lib.block_diag(a, b, c), f(2, 2), f(3),
        f())
    add(g, "block_diag.rect", lambda lib, a, b: lib.block_diag(a, b), f(2, 3), f(1, 2))
    add(g, "block_diag.int_float", lambda lib, a, b: lib.block_diag(a, b), ints(2, 2), f(1, 1))
    add(g, "block_diag.empty_block", lambda lib, a, b: lib.block_diag(a, b), f(0, 2), f(2, 1))
    add(g, "block_diag.none", lambda lib: lib.block_diag())
    add(g, "block_diag.3d_error", lambda lib, a: lib.block_diag(a), f(1, 1, 1),
        match="2 or fewer dimensions")


def _gamma_functions() -> None:
    from tests.golden.cases import add, const, f, ints, pos, vals

    g = "extras"
    # PyTorch's trigamma (the derivative of digamma, the second of lgamma) is accurate to ~1e-9
    # only; ours to round-off. So: lgamma's first derivative (digamma) is compared, its second
    # is not, and digamma/polygamma compare forward values (tests/test_statistics.py checks
    # their gradients with gradcheck).
    add(g, "lgamma.positive", lambda lib, x: lib.lgamma(x), pos(2, 3), double=False)
    add(g, "lgamma.normal", lambda lib, x: x.lgamma(), f(6), double=False)
    add(g, "lgamma.edges", lambda lib, x: lib.lgamma(x),
        vals(0.0, -0.0, -1.0, -2.5, 1e-8, 1e10, 1.0, 2.0, inf, -inf, nan, grad=False))
    add(g, "lgamma.int", lambda lib, x: lib.lgamma(x), ints(4, low=1, high=9))
    add(g, "lgamma.float32", lambda lib, x: lib.lgamma(x), In((5,), "positive", "float32"),
        double=False)
    add(g, "lgamma.in_place", lambda lib, x: x.clone().lgamma_(), const(3, kind="positive"))
    add(g, "digamma.wide", lambda lib, x: lib.digamma(x * 10), const(4, 5))
    add(g, "digamma.edges", lambda lib, x: x.digamma(),
        vals(0.0, -0.0, -1.0, -2.5, 1e-8, 1.4616321449683622, 1e10, inf, -inf, nan,
             grad=False))
    add(g, "digamma.int", lambda lib, x: lib.digamma(x), ints(4, low=1, high=9))
    for n in (0, 2, 3):
        add(g, f"polygamma.n{n}", lambda lib, x, n=n: lib.polygamma(n, x * 5), const(3, 4))
        add(g, f"polygamma.n{n}_poles", lambda lib, x, n=n: x.polygamma(n),
            vals(0.0, -1.0, -2.5, 0.5, 30.0, grad=False))
    # with gradients, where PyTorch's trigamma is accurate (x ≥ 12: relative error < 1e-12)
    add(g, "digamma.grad_large", lambda lib, x: lib.digamma(x),
        vals(12.5, 20.0, 33.3, 47.0, grad=True))
    add(g, "polygamma.n1_grad_large", lambda lib, x: lib.polygamma(1, x),
        vals(15.0, 22.5, 40.0, grad=True))
    add(g, "polygamma.n2_grad", lambda lib, x: x.polygamma(2), pos(2, 3))
    add(g, "polygamma.negative_n", lambda lib, x: lib.polygamma(-1, x), const(3),
        match="negative n")
    add(g, "mvlgamma.p1", lambda lib, x: lib.mvlgamma(x, 1), pos(3), double=False)
    add(g, "mvlgamma.p3", lambda lib, x: lib.mvlgamma(x + 1, 3), pos(2, 3), double=False)
    add(g, "mvlgamma.method", lambda lib, x: x.mvlgamma(2), pos(4), double=False)
    add(g, "mvlgamma.small", lambda lib, x: lib.mvlgamma(x, 3), vals(0.5, 2.0, grad=False))
    add(g, "mvlgamma.p0", lambda lib, x: lib.mvlgamma(x, 0), vals(1.0, grad=False),
        match="p has to be greater than or equal to 1")
