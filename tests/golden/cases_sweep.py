"""Golden cases of the everyday-API sweep (issue 13; see ``cases.py`` for the registry).

Groups: ``sweep_inplace`` (the in-place methods ``abs_`` ... ``fill_diagonal_``, ``index_put``,
``put`` on non-leaf tensors in a graph, and their errors), ``sweep_index`` (a ``range`` as an
index, a 0-d index in ``scatter``), ``sweep_toplevel`` (the ``torch.*`` names: queries, and the
functional ops with their ``torch.*`` signatures, values and gradients).
"""

from __future__ import annotations

from typing import Any

inf, nan = float("inf"), float("nan")


def register() -> None:
    """Append this family's cases to ``cases.CASES`` (called once, from ``cases.py``)."""
    _unary_in_place()
    _other_in_place()
    _index_put_and_put()
    _indexing()
    _queries()
    _functional_aliases()
    _losses()


def _in_graph(method: str, *args: Any) -> Any:
    """``(x * 1).method_(*args)`` and then used again: the in-place op inside a graph."""
    def fn(lib: Any, x: Any) -> Any:
        z = x * 1
        getattr(z, method)(*args)
        return z * x

    return fn


UNARY_IN_PLACE = [("abs_", "distinct"), ("cos_", "normal"), ("sin_", "normal"),
                  ("exp_", "normal"), ("log_", "positive"), ("neg_", "normal"),
                  ("sigmoid_", "normal"), ("sign_", "distinct"), ("sqrt_", "positive"),
                  ("tanh_", "normal"), ("relu_", "distinct"), ("erf_", "normal")]


def _unary_in_place() -> None:
    from tests.golden.cases import In, f, ints, mask, vals

    g = "sweep_inplace"
    for method, kind in UNARY_IN_PLACE:
        add_case = _adder(g)
        add_case(f"{method}.graph", _in_graph(method), In((2, 3), kind))
        add_case(f"{method}.0d", _in_graph(method), In((), kind))
        add_case(f"{method}.empty", _in_graph(method), f(0, 3))
        add_case(f"{method}.leaf", lambda lib, x, m=method: getattr(x, m)(), f(3),
                 match="leaf")
        add_case(f"{method}.no_grad_leaf",
                 lambda lib, x, m=method: getattr(x.detach().clone(), m)(), In((4,), kind))
    for method in ("abs_", "neg_", "sign_"):
        _adder(g)(f"{method}.int", lambda lib, x, m=method: getattr(x.clone(), m)(),
                  ints(5, low=-3))
    for method in ("sqrt_", "exp_", "sigmoid_", "tanh_", "erf_"):
        _adder(g)(f"{method}.int_refused", lambda lib, x, m=method: getattr(x.clone(), m)(),
                  ints(4), match="can't be cast")
    _adder(g)("relu_.int", lambda lib, x: x.clone().relu_(), ints(5, low=-3))
    _adder(g)("abs_.bool_refused", lambda lib, x: x.clone().neg_(), mask(3),
              match="Negation")
    _adder(g)("sqrt_.nonfinite", lambda lib, x: x.detach().clone().sqrt_(),
              vals(-1.0, 0.0, -0.0, inf, nan, 4.0))
    _adder(g)("log_.edges", lambda lib, x: x.detach().clone().log_(),
              vals(-1.0, 0.0, -0.0, inf, nan, 1.0))
    _adder(g)("sign_.edges", lambda lib, x: x.detach().clone().sign_(),
              vals(-2.0, 0.0, -0.0, inf, -inf, nan))
    _adder(g)("exp_.float32", _in_graph("exp_"), f(2, 2, dtype="float32"))

    def through_row(lib: Any, x: Any) -> Any:
        base = x * 1
        base[1].tanh_()
        return base * x

    def through_column(lib: Any, x: Any) -> Any:
        base = x * 1
        base[:, 0].exp_()
        return base

    _adder(g)("tanh_.through_row", through_row, f(3, 2))
    _adder(g)("exp_.through_column", through_column, f(3, 2))
    # (tanh_ then exp_ through overlapping views: PyTorch refuses the backward, microtensor gives
    # the right gradient, a deliberate difference: tests/test_views.py checks it)


def _adder(group: str) -> Any:
    from tests.golden.cases import add

    return lambda name, fn, *inputs, **options: add(group, name, fn, *inputs, **options)


def _other_in_place() -> None:
    from tests.golden.cases import f, ints, mask

    add_case = _adder("sweep_inplace")
    add_case("clip_.graph", _in_graph("clip_", -0.5, 0.5), f(3, 4))
    add_case("clip_.min_only", _in_graph("clip_", 0.0), f(5))
    add_case("clip_.leaf", lambda lib, x: x.clip_(0, 1), f(2), match="leaf")

    def masked(lib: Any, x: Any, m: Any) -> Any:
        z = x * 2
        z.masked_fill_(m, -1.5)
        return z * x

    add_case("masked_fill_.graph", masked, f(3, 4), mask(3, 4))
    add_case("masked_fill_.broadcast_mask", masked, f(3, 4), mask(4))
    add_case("masked_fill_.0d_mask", masked, f(2, 3), mask())
    add_case("masked_fill_.int", lambda lib, x, m: x.clone().masked_fill_(m, 7), ints(2, 3),
             mask(2, 3))
    add_case("masked_fill_.tensor_value",
             lambda lib, x, m: x.clone().masked_fill_(m, lib.tensor(2.5, dtype=lib.float64)),
             f(4), mask(4))
    add_case("masked_fill_.leaf", lambda lib, x, m: x.masked_fill_(m, 0.0), f(3), mask(3),
             match="leaf")

    def diagonal(shape_wrap: bool) -> Any:
        def fn(lib: Any, x: Any) -> Any:
            z = x * 1
            z.fill_diagonal_(-2.0, wrap=shape_wrap)
            return z * x
        return fn

    add_case("fill_diagonal_.square", diagonal(False), f(3, 3))
    add_case("fill_diagonal_.tall", diagonal(False), f(7, 3))
    add_case("fill_diagonal_.tall_wrap", diagonal(True), f(7, 3))
    add_case("fill_diagonal_.wide_wrap", diagonal(True), f(3, 7))
    add_case("fill_diagonal_.cube", diagonal(False), f(3, 3, 3))
    add_case("fill_diagonal_.empty", diagonal(False), f(0, 3))
    add_case("fill_diagonal_.int", lambda lib, x: x.clone().fill_diagonal_(9), ints(3, 4))
    add_case("fill_diagonal_.1d", lambda lib, x: x.detach().clone().fill_diagonal_(1.0), f(4),
             match="dimensions must larger than 1")
    add_case("fill_diagonal_.unequal_3d",
             lambda lib, x: x.detach().clone().fill_diagonal_(1.0), f(2, 3, 3),
             match="all dimensions of input must be of equal length")
    add_case("fill_diagonal_.leaf", lambda lib, x: x.fill_diagonal_(1.0), f(2, 2),
             match="leaf")


def _index_put_and_put() -> None:
    from tests.golden.cases import f, ints, mask

    add_case = _adder("sweep_inplace")

    def index_put(accumulate: bool, in_place: bool) -> Any:
        def fn(lib: Any, x: Any, v: Any) -> Any:
            rows, cols = lib.tensor([0, 2, 0, -1]), lib.tensor([1, 3, 1, 0])
            z = x * 1
            if in_place:
                z.index_put_((rows, cols), v, accumulate=accumulate)
                return z * x
            return z.index_put((rows, cols), v, accumulate=accumulate)
        return fn

    add_case("index_put.accumulate", index_put(True, False), f(3, 4), f(4))
    add_case("index_put_.accumulate", index_put(True, True), f(3, 4), f(4))
    add_case("index_put_.accumulate_scalar_value", index_put(True, True), f(3, 4), f())
    add_case("index_put.unique_positions",
             lambda lib, x, v: x.index_put((lib.tensor([2, 0]),), v), f(3, 4), f(4))
    add_case("index_put_.rows_accumulate",
             lambda lib, x, v: (x * 1).index_put_((lib.tensor([2, 0, 2]),), v,
                                                  accumulate=True), f(3, 4), f(3, 4))
    add_case("index_put_.bool_accumulate",
             lambda lib, x, m, v: (x * 1).index_put_((m,), v, accumulate=True), f(5),
             mask(5), f())
    add_case("index_put.bool", lambda lib, x, m: x.index_put((m,), lib.tensor(0.5).double()),
             f(2, 3), mask(2, 3))
    add_case("index_put.int", lambda lib, x: x.index_put((lib.tensor([1, 1]),),
                                                         lib.tensor([3, 4]), accumulate=True),
             ints(3))
    add_case("index_put.not_tuple", lambda lib, x, v: x.index_put(lib.tensor([1]), v),
             f(3), f(), match="tuple of Tensors")
    add_case("index_put.number_value", lambda lib, x: x.index_put((lib.tensor([1]),), 2.0),
             f(3), match="must be Tensor")
    add_case("index_put_.leaf", lambda lib, x, v: x.index_put_((lib.tensor([1]),), v), f(3),
             f(), match="leaf")

    def put(accumulate: bool) -> Any:
        def fn(lib: Any, x: Any, v: Any) -> Any:
            z = x * 1
            z.put_(lib.tensor([[0, -1], [5, 0]]), v, accumulate=accumulate)
            return z * x
        return fn

    add_case("put_.graph", put(False), f(2, 3), f(2, 2))
    add_case("put_.accumulate", put(True), f(2, 3), f(4))
    add_case("put.out_of_place", lambda lib, x, v: x.put(lib.tensor([1, 4]), v), f(5), f(2))
    add_case("put.int", lambda lib, x: x.put(lib.tensor([0, 0]), lib.tensor([2, 3]),
                                             accumulate=True), ints(2, 2))
    add_case("put_.out_of_range",
             lambda lib, x, v: x.detach().clone().put_(lib.tensor([6]), v), f(2, 3), f(1),
             match="out of range")
    add_case("put_.leaf", lambda lib, x, v: x.put_(lib.tensor([0]), v), f(3), f(1),
             match="leaf")


def _indexing() -> None:
    from tests.golden.cases import const, f, ints

    add_case = _adder("sweep_index")
    add_case("range.with_list", lambda lib, x: x[range(2), [0, 2]], f(2, 3))
    add_case("range.nll_pattern", lambda lib, x, t: -x[range(t.shape[0]), t].mean(),
             f(4, 5), ints(4))
    add_case("range.alone", lambda lib, x: x[range(1, 3)], f(4, 2))
    add_case("range.empty", lambda lib, x: x[range(0)], f(3, 2))
    add_case("range.step", lambda lib, x: x[:, range(0, 4, 2)], f(2, 4))
    add_case("range.negative_step", lambda lib, x: x[range(2, -1, -1)], f(3))
    add_case("range.out_of_bounds", lambda lib, x: x[range(5)], f(3), match="out of bounds")

    def set_range(lib: Any, x: Any, v: Any) -> Any:
        z = x * 1
        z[range(3), [1, 0, 1]] = v
        return z

    add_case("range.setitem", set_range, f(3, 2), f(3))

    add_case("scatter.0d_index_value", lambda lib, x: x.scatter(0, lib.tensor(3), value=1.0),
             f(6))
    add_case("scatter_.0d_index_one_hot",
             lambda lib: lib.zeros(10).scatter_(0, lib.tensor(3), value=1))
    # src constant: PyTorch's gradient for a 1-d src with a 0-d index is 0-d and its backward
    # fails ("ScatterBackward0 returned an invalid gradient"); microtensor's is src-shaped
    add_case("scatter.0d_index_src", lambda lib, x, s: x.scatter(0, lib.tensor(1), s),
             f(4), const(3))
    add_case("scatter.0d_index_0d_src", lambda lib, x, s: x.scatter(-1, lib.tensor(2), s),
             f(4), f())
    add_case("scatter.0d_index_positional_value",
             lambda lib, x: x.scatter(0, lib.tensor(0), 2.5), f(3))
    add_case("scatter.0d_index_2d_input",
             lambda lib, x: x.scatter(0, lib.tensor(1), value=1.0), f(2, 3),
             match="number of dimensions")
    add_case("scatter.0d_index_out_of_bounds",
             lambda lib, x: x.scatter(0, lib.tensor(6), value=1.0), f(4),
             match="out of bounds")
    add_case("scatter_add.0d_index", lambda lib, x, s: x.scatter_add(0, lib.tensor(2), s),
             f(4), const(3))


def _queries() -> None:
    from tests.golden.cases import f, ints, mask

    add_case = _adder("sweep_toplevel")
    add_case("clone", lambda lib, x: lib.clone(x) * x, f(2, 3))
    add_case("detach", lambda lib, x: lib.detach(x) * x, f(2, 3))
    add_case("numel", lambda lib, x: lib.tensor(lib.numel(x)), f(2, 3, 4))
    for name, spec in (("float", f(2)), ("int", ints(2)), ("bool", mask(2)),
                       ("uint8", ints(2, dtype="uint8")), ("int8", ints(2, dtype="int8"))):
        add_case(f"is_floating_point.{name}",
                 lambda lib, x: lib.tensor(lib.is_floating_point(x)), spec)
        add_case(f"is_signed.{name}", lambda lib, x: lib.tensor(lib.is_signed(x)), spec)
        add_case(f"is_complex.{name}", lambda lib, x: lib.tensor(lib.is_complex(x)), spec)
    add_case("is_nonzero.zero", lambda lib, x: lib.tensor(lib.is_nonzero(x)),
             _values(0.0, shape=(1,)))
    add_case("is_nonzero.nonzero_0d", lambda lib, x: lib.tensor(lib.is_nonzero(x)),
             _values(-0.5, shape=()))
    add_case("is_nonzero.nan", lambda lib, x: lib.tensor(lib.is_nonzero(x)),
             _values(nan, shape=(1, 1)))
    add_case("is_nonzero.many", lambda lib, x: lib.tensor(lib.is_nonzero(x)), f(2),
             match="more than one value")
    add_case("is_nonzero.empty", lambda lib, x: lib.tensor(lib.is_nonzero(x)), f(0),
             match="no values")
    add_case("is_same_size.same", lambda lib, x, y: lib.tensor(lib.is_same_size(x, y)),
             f(2, 3), f(2, 3))
    add_case("is_same_size.other", lambda lib, x, y: lib.tensor(lib.is_same_size(x, y)),
             f(2, 3), f(3, 2))
    add_case("scalar_tensor.int", lambda lib: lib.scalar_tensor(3))
    add_case("scalar_tensor.dtype", lambda lib: lib.scalar_tensor(3, dtype=lib.int64))
    add_case("scalar_tensor.bool", lambda lib: lib.scalar_tensor(True))
    add_case("scalar_tensor.float64", lambda lib: lib.scalar_tensor(-1.5, dtype=lib.float64))
    add_case("asarray.list", lambda lib: lib.asarray([1, 2, 3]))
    add_case("asarray.floats", lambda lib: lib.asarray([[1.0, 2.5]]))
    add_case("asarray.dtype", lambda lib: lib.asarray([1, 2], dtype=lib.float64))
    add_case("asarray.tensor_cast", lambda lib, x: lib.asarray(x, dtype=lib.float32), ints(3))
    add_case("asarray.tensor_keeps_grad", lambda lib, x: lib.asarray(x, requires_grad=True) * 2,
             f(3))


def _values(*values: Any, shape: tuple[int, ...]) -> Any:
    from tests.golden.cases import vals

    return vals(*values, shape=shape)


def _functional_aliases() -> None:
    from tests.golden.cases import In, const, f, ints, pos, weight

    add_case = _adder("sweep_toplevel")
    add_case("conv1d", lambda lib, x, w, b: lib.conv1d(x, w, b, padding=1), f(2, 3, 6),
             f(4, 3, 3), f(4), double=False)
    add_case("conv2d", lambda lib, x, w: lib.conv2d(x, w, stride=2), f(1, 2, 5, 5),
             f(3, 2, 3, 3), double=False)
    add_case("conv_transpose1d", lambda lib, x, w: lib.conv_transpose1d(x, w, stride=2),
             f(2, 3, 4), f(3, 2, 3), double=False)
    add_case("conv_transpose2d", lambda lib, x, w: lib.conv_transpose2d(x, w, padding=1),
             f(1, 2, 3, 3), f(2, 3, 3, 3), double=False)
    add_case("max_pool1d", lambda lib, x: lib.max_pool1d(x, 2), In((2, 3, 6), "distinct"),
             double=False)
    add_case("max_pool2d", lambda lib, x: lib.max_pool2d(x, 2, 1),
             In((1, 2, 4, 4), "distinct"), double=False)
    add_case("avg_pool1d", lambda lib, x: lib.avg_pool1d(x, 3, 2, 1), f(2, 3, 7), double=False)
    add_case("adaptive_avg_pool1d", lambda lib, x: lib.adaptive_avg_pool1d(x, 3), f(2, 3, 7))
    add_case("adaptive_max_pool1d", lambda lib, x: lib.adaptive_max_pool1d(x, 3),
             In((2, 3, 7), "distinct"))
    add_case("pixel_shuffle", lambda lib, x: lib.pixel_shuffle(x, 2), f(1, 8, 2, 3))
    add_case("pixel_unshuffle", lambda lib, x: lib.pixel_unshuffle(x, 2), f(1, 2, 4, 6))
    add_case("dropout.eval", lambda lib, x: lib.dropout(x, 0.3, False), f(3, 4))
    add_case("dropout.p0_train", lambda lib, x: lib.dropout(x, 0.0, True), f(3, 4))
    add_case("dropout.train_required", lambda lib, x: lib.dropout(x, 0.5), f(3),
             match="train")
    add_case("alpha_dropout.eval", lambda lib, x: lib.alpha_dropout(x, 0.5, False), f(3, 4))
    add_case("feature_alpha_dropout.eval",
             lambda lib, x: lib.feature_alpha_dropout(x, 0.5, False), f(2, 3, 4))
    add_case("embedding", lambda lib, w, i: lib.embedding(w, i), f(5, 3), ints(2, 4))
    add_case("embedding.padding_idx", lambda lib, w, i: lib.embedding(w, i, 2), f(5, 3),
             ints(2, 4))
    add_case("layer_norm", lambda lib, x, w, b: lib.layer_norm(x, [4], w, b, 1e-5, False),
             f(2, 3, 4), f(4), f(4))
    add_case("layer_norm.defaults", lambda lib, x: lib.layer_norm(x, (3, 4)), f(2, 3, 4))
    add_case("group_norm", lambda lib, x, w, b: lib.group_norm(x, 2, w, b, 1e-5, True),
             f(2, 4, 3), f(4), f(4))
    add_case("group_norm.defaults", lambda lib, x: lib.group_norm(x, 1), f(2, 4, 3))
    add_case("batch_norm.train",
             lambda lib, x, w, b: lib.batch_norm(x, w, b, None, None, True, 0.1, 1e-5, False),
             f(4, 3), f(3), f(3))
    add_case("batch_norm.running",
             lambda lib, x, m, v: lib.batch_norm(x, None, None, m, v, False, 0.1, 1e-5, False),
             f(4, 3, 2), const(3), weight(3))
    add_case("instance_norm",
             lambda lib, x, w, b: lib.instance_norm(x, w, b, None, None, True, 0.1, 1e-5,
                                                    False), f(2, 3, 5), f(3), f(3))
    add_case("rms_norm", lambda lib, x, w: lib.rms_norm(x, [4], w), f(2, 3, 4), f(4))
    add_case("rms_norm.eps", lambda lib, x: lib.rms_norm(x, [3, 4], eps=1e-3), f(2, 3, 4))
    add_case("selu", lambda lib, x: lib.selu(x), f(3, 4))
    add_case("celu", lambda lib, x: lib.celu(x, 0.5), f(3, 4))
    add_case("prelu", lambda lib, x, w: lib.prelu(x, w), In((2, 3, 4), "distinct"), f(3))
    add_case("prelu.method", lambda lib, x, w: x.prelu(w), In((2, 3), "distinct"), f(1))
    add_case("rrelu.eval", lambda lib, x: lib.rrelu(x), In((3, 4), "distinct"))
    add_case("rrelu.eval_bounds", lambda lib, x: lib.rrelu(x, 0.1, 0.3),
             In((3, 4), "distinct"))
    add_case("hardshrink", lambda lib, x: lib.hardshrink(x, 0.4), In((3, 4), "distinct"))
    add_case("hardshrink.method", lambda lib, x: x.hardshrink(), In((5,), "distinct"))
    add_case("hardshrink.method_lambd", lambda lib, x: x.hardshrink(lambd=1.0),
             In((2, 3), "distinct"))
    add_case("relu_.method", _in_graph("relu_"), In((2, 3), "distinct"))
    add_case("threshold", lambda lib, x: lib.threshold(x, 0.1, -2.0), In((3, 4), "distinct"))
    add_case("cosine_similarity", lambda lib, x, y: lib.cosine_similarity(x, y), f(2, 3, 4),
             f(2, 3, 4))
    add_case("cosine_similarity.dim_eps", lambda lib, x, y: lib.cosine_similarity(x, y, -1, 1e-6),
             f(3, 4), f(4))
    add_case("pairwise_distance", lambda lib, x, y: lib.pairwise_distance(x, y), f(3, 4),
             f(3, 4))
    add_case("pairwise_distance.p1_keepdim",
             lambda lib, x, y: lib.pairwise_distance(x, y, 1.0, 1e-6, True), f(3, 4), pos(4))


def _losses() -> None:
    from tests.golden.cases import In, f, pos, unit, vals

    add_case = _adder("sweep_toplevel")
    sign = vals(1.0, -1.0, -1.0, 1.0, grad=False)
    signs_2x3 = vals(1.0, -1.0, -1.0, 1.0, 1.0, -1.0, shape=(2, 3), grad=False)
    for reduction in (0, 1, 2):
        r = reduction
        add_case(f"kl_div.r{r}", lambda lib, x, y, r=r: lib.kl_div(x, y, r), f(2, 3), unit(2, 3))
        add_case(f"hinge_embedding_loss.r{r}",
                 lambda lib, x, y, r=r: lib.hinge_embedding_loss(x, y, 0.5, r), f(2, 3),
                 signs_2x3)
        add_case(f"margin_ranking_loss.r{r}",
                 lambda lib, x, y, t, r=r: lib.margin_ranking_loss(x, y, t, 0.1, r), f(4), f(4),
                 sign)
        add_case(f"cosine_embedding_loss.r{r}",
                 lambda lib, x, y, t, r=r: lib.cosine_embedding_loss(x, y, t, 0.2, r),
                 f(4, 3), f(4, 3), sign)
        add_case(f"poisson_nll_loss.r{r}",
                 lambda lib, x, y, r=r: lib.poisson_nll_loss(x, y, True, False, 1e-8, r),
                 f(2, 3), In((2, 3), "positive", grad=False))
        add_case(f"triplet_margin_loss.r{r}",
                 lambda lib, a, p, n, r=r: lib.triplet_margin_loss(a, p, n, 1.0, 2.0, 1e-6,
                                                                   False, r),
                 f(3, 4), f(3, 4), f(3, 4))
        add_case(f"binary_cross_entropy_with_logits.r{r}",
                 lambda lib, x, y, r=r: lib.binary_cross_entropy_with_logits(x, y, None, None,
                                                                             r),
                 f(2, 3), unit(2, 3, grad=False))
    add_case("kl_div.default", lambda lib, x, y: lib.kl_div(x, y), f(2, 3), unit(2, 3))
    add_case("kl_div.log_target",
             lambda lib, x, y: lib.kl_div(x, y.log(), 2, log_target=True), f(2, 3), unit(2, 3))
    add_case("kl_div.string_reduction", lambda lib, x, y: lib.kl_div(x, y, "mean"), f(2),
             unit(2), match="reduction")
    add_case("hinge_embedding_loss.default", lambda lib, x, y: lib.hinge_embedding_loss(x, y),
             f(2, 3), signs_2x3)
    add_case("margin_ranking_loss.default",
             lambda lib, x, y, t: lib.margin_ranking_loss(x, y, t), f(4), f(4), sign)
    add_case("cosine_embedding_loss.default",
             lambda lib, x, y, t: lib.cosine_embedding_loss(x, y, t), f(4, 3), f(4, 3), sign)
    add_case("poisson_nll_loss.full",
             lambda lib, x, y: lib.poisson_nll_loss(x, y, False, True, 1e-8, 2), pos(2, 3),
             In((2, 3), "positive", grad=False))
    add_case("triplet_margin_loss.default_swap",
             lambda lib, a, p, n: lib.triplet_margin_loss(a, p, n, swap=True), f(3, 4),
             f(3, 4), f(3, 4))
    add_case("binary_cross_entropy_with_logits.default",
             lambda lib, x, y: lib.binary_cross_entropy_with_logits(x, y), f(2, 3),
             unit(2, 3, grad=False))
    add_case("binary_cross_entropy_with_logits.weights",
             lambda lib, x, y, w, p: lib.binary_cross_entropy_with_logits(x, y, w, p, 1),
             f(2, 3), unit(2, 3, grad=False), In((3,), "positive", grad=False),
             In((3,), "positive", grad=False))
