"""Golden cases of the losses2 family (see ``cases.py`` for the registry and its helpers)."""

from __future__ import annotations

from typing import Any


def _fn(op: str, **kwargs: Any) -> Any:
    return lambda lib, *xs: getattr(lib.nn.functional, op)(*xs, **kwargs)


def register() -> None:
    """Append this family's cases to ``cases.CASES`` (called once, from ``cases.py``)."""
    _regression()
    _divergences()
    _likelihoods()
    _margins()
    _multiclass()
    _distances()
    _one_hot()


def _regression() -> None:
    from tests.golden.cases import NONFINITE, add, const, f, vals, weight

    g = "losses2"
    for op, options in (("huber_loss", {}), ("huber_loss", {"delta": 0.5}),
                        ("smooth_l1_loss", {}), ("smooth_l1_loss", {"beta": 0.3}),
                        ("smooth_l1_loss", {"beta": 0.0})):
        label = op + "".join(f"_{k}{v}" for k, v in options.items())
        for reduction in ("mean", "sum", "none"):
            add(g, f"{label}.{reduction}", _fn(op, reduction=reduction, **options),
                f(3, 4), f(3, 4))
        add(g, f"{label}.0d", _fn(op, **options), f(), f())
        add(g, f"{label}.empty", _fn(op, **options), f(0, 2), f(0, 2))
        add(g, f"{label}.constant_target", _fn(op, **options), f(5), const(5))
        add(g, f"{label}.broadcast", _fn(op, **options), f(3, 4), f(4), check_warnings=True)
        add(g, f"{label}.kinks", _fn(op, reduction="none", **options),
            vals(1.0, -1.0, 0.5, -0.5, 0.3, 0.0, 2.0), vals(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0))
        add(g, f"{label}.nonfinite", _fn(op, reduction="none", **options), vals(*NONFINITE),
            vals(0.0, 0.0, 0.0, 0.0, 0.0), double=False)
    add(g, "huber_loss.weight", lambda lib, x, y, w: lib.nn.functional.huber_loss(
        x, y, weight=w), f(3, 4), f(3, 4), weight(3, 4))
    add(g, "huber_loss.weight_shape", lambda lib, x, y, w: lib.nn.functional.huber_loss(
        x, y, weight=w), f(3, 4), f(3, 4), weight(4))
    add(g, "huber_loss.bad_delta", _fn("huber_loss", delta=0.0), f(3), f(3))
    add(g, "smooth_l1_loss.negative_beta", _fn("smooth_l1_loss", beta=-1.0), f(3), f(3))
    add(g, "smooth_l1_loss.bad_reduction", _fn("smooth_l1_loss", reduction="avg"), f(3), f(3))
    add(g, "smooth_l1_loss.no_broadcast", _fn("smooth_l1_loss"), f(3), f(2))
    add(g, "HuberLoss.module", lambda lib, x, y: lib.nn.HuberLoss(delta=0.7)(x, y), f(2, 3),
        f(2, 3))
    add(g, "SmoothL1Loss.module", lambda lib, x, y: lib.nn.SmoothL1Loss(
        reduction="sum", beta=2.0)(x, y), f(2, 3), f(2, 3))


def _divergences() -> None:
    from tests.golden.cases import add, f, unit, vals

    g = "losses2"
    for reduction in ("sum", "none", "batchmean", "mean"):
        add(g, f"kl_div.{reduction}", _fn("kl_div", reduction=reduction), f(3, 4), unit(3, 4),
            check_warnings=True)
        add(g, f"kl_div.log_target.{reduction}", _fn(
            "kl_div", reduction=reduction, log_target=True), f(3, 4), f(3, 4))
    add(g, "kl_div.batchmean_0d", _fn("kl_div", reduction="batchmean"), f(), unit())
    add(g, "kl_div.batchmean_3d", _fn("kl_div", reduction="batchmean"), f(2, 3, 2),
        unit(2, 3, 2))
    # a zero target: the loss term is 0; its derivative in the target differs on purpose
    add(g, "kl_div.zero_target", _fn("kl_div", reduction="sum"), f(4),
        vals(0.0, 0.5, 0.0, 0.25, grad=False))
    add(g, "kl_div.from_log_softmax", lambda lib, x, y: lib.nn.functional.kl_div(
        x.log_softmax(1), y.softmax(1), reduction="batchmean"), f(3, 5), f(3, 5))
    add(g, "KLDivLoss.module", lambda lib, x, y: lib.nn.KLDivLoss(
        reduction="batchmean", log_target=True)(x, y), f(2, 3), f(2, 3))


def _likelihoods() -> None:
    from tests.golden.cases import add, f, pos, unit, vals

    g = "losses2"
    nll = _fn("gaussian_nll_loss")
    for reduction in ("mean", "sum", "none"):
        add(g, f"gaussian_nll.{reduction}", _fn("gaussian_nll_loss", reduction=reduction),
            f(3, 4), f(3, 4), pos(3, 4))
    add(g, "gaussian_nll.full", _fn("gaussian_nll_loss", full=True), f(3, 4), f(3, 4),
        pos(3, 4))
    add(g, "gaussian_nll.per_sample_var", nll, f(3, 4), f(3, 4), pos(3))
    add(g, "gaussian_nll.per_sample_var_kept", nll, f(3, 4), f(3, 4), pos(3, 1))
    add(g, "gaussian_nll.float_var", lambda lib, x, y: lib.nn.functional.gaussian_nll_loss(
        x, y, 0.5), f(3, 4), f(3, 4))
    add(g, "gaussian_nll.var_below_eps", _fn("gaussian_nll_loss", eps=0.01), f(4), f(4),
        vals(0.0, 1e-4, 0.5, 2.0))
    add(g, "gaussian_nll.bad_var_shape", nll, f(3, 4), f(3, 4), pos(4))
    add(g, "gaussian_nll.negative_var", nll, f(2), f(2), vals(-1.0, 1.0))
    add(g, "gaussian_nll.bad_reduction", _fn("gaussian_nll_loss", reduction="avg"), f(2),
        f(2), pos(2))
    add(g, "GaussianNLLLoss.module", lambda lib, x, y, v: lib.nn.GaussianNLLLoss(full=True)(
        x, y, v), f(2, 3), f(2, 3), pos(2, 3))
    for reduction in ("mean", "sum", "none"):
        add(g, f"poisson_nll.{reduction}", _fn("poisson_nll_loss", reduction=reduction),
            f(3, 4), pos(3, 4))
    add(g, "poisson_nll.rate_input", _fn("poisson_nll_loss", log_input=False), pos(3, 4),
        pos(3, 4))
    add(g, "poisson_nll.full", _fn("poisson_nll_loss", full=True), f(6),
        vals(0.0, 1.0, 2.0, 3.0, 5.0, 10.0, grad=False))
    add(g, "poisson_nll.full_rate", _fn("poisson_nll_loss", log_input=False, full=True),
        pos(5), vals(1.5, 2.0, 3.0, 4.0, 7.0))
    add(g, "poisson_nll.zero_rate", _fn("poisson_nll_loss", log_input=False,
                                        reduction="none"), vals(0.0, 1.0), unit(2))
    add(g, "PoissonNLLLoss.module", lambda lib, x, y: lib.nn.PoissonNLLLoss(
        log_input=False, eps=1e-3)(x, y), pos(2, 3), pos(2, 3))


def _margins() -> None:
    from tests.golden.cases import add, f, unit, vals

    g = "losses2"
    labels = vals(1, -1, 1, -1, dtype="int64")
    for reduction in ("mean", "sum", "none"):
        add(g, f"cosine_embedding.{reduction}", _fn("cosine_embedding_loss",
                                                    reduction=reduction), f(4, 3), f(4, 3),
            labels)
        add(g, f"margin_ranking.{reduction}", _fn("margin_ranking_loss", reduction=reduction),
            f(4), f(4), vals(1.0, -1.0, 1.0, -1.0))
        add(g, f"hinge_embedding.{reduction}", _fn("hinge_embedding_loss",
                                                   reduction=reduction), f(2, 4),
            vals(1.0, -1.0, 1.0, -1.0, 1.0, 1.0, -1.0, -1.0, shape=(2, 4)))
        add(g, f"soft_margin.{reduction}", _fn("soft_margin_loss", reduction=reduction),
            f(3, 4), vals(*([1.0, -1.0] * 6), shape=(3, 4), grad=False))
    add(g, "cosine_embedding.margin", _fn("cosine_embedding_loss", margin=0.2), f(4, 3),
        f(4, 3), labels)
    add(g, "cosine_embedding.1d", _fn("cosine_embedding_loss"), f(5), f(5),
        vals(-1, shape=(), dtype="int64"))
    add(g, "cosine_embedding.zero_vector", _fn("cosine_embedding_loss", reduction="none"),
        vals(0.0, 0.0, 1.0, 2.0, shape=(2, 2), grad=False), f(2, 2), vals(1, -1, dtype="int64"))
    add(g, "cosine_embedding.float_labels", _fn("cosine_embedding_loss"), f(3, 2), f(3, 2),
        vals(1.0, -1.0, 0.0, grad=False))
    add(g, "cosine_embedding.target_2d", _fn("cosine_embedding_loss"), f(3, 4), f(3, 4),
        vals(1, -1, 1, shape=(1, 3), dtype="int64"))
    add(g, "cosine_embedding.input_dims", _fn("cosine_embedding_loss"), f(3, 4), f(4),
        labels)
    add(g, "cosine_embedding.batch_mismatch", _fn("cosine_embedding_loss"), f(3, 4), f(3, 4),
        vals(1, -1, dtype="int64"))
    add(g, "margin_ranking.margin_ties", _fn("margin_ranking_loss", margin=0.5),
        vals(1.0, 0.0, 2.0), vals(0.5, 0.5, 1.0), vals(1.0, -1.0, 1.0))
    add(g, "margin_ranking.dims", _fn("margin_ranking_loss"), f(3), f(3), f(1, 3))
    add(g, "margin_ranking.sizes", _fn("margin_ranking_loss"), f(3), f(3), f(4))
    add(g, "hinge_embedding.margin_other_labels", _fn("hinge_embedding_loss", margin=0.5,
                                                      reduction="none"),
        vals(0.2, 0.7, -0.3, 0.4), vals(1.0, -1.0, -1.0, 0.0))
    add(g, "hinge_embedding.broadcast_labels", _fn("hinge_embedding_loss"), f(2, 3),
        vals(1.0, -1.0, 1.0))
    add(g, "soft_margin.large", _fn("soft_margin_loss", reduction="none"),
        vals(30.0, -30.0, 800.0, -800.0), vals(1.0, 1.0, -1.0, -1.0, grad=False))
    add(g, "soft_margin.probability_target", _fn("soft_margin_loss"), f(3), unit(3, grad=False))
    add(g, "soft_margin.target_requires_grad", _fn("soft_margin_loss"), f(3), unit(3))
    weights = vals(0.5, 2.0, 1.0, 1.5, grad=False)
    for reduction in ("mean", "sum", "none"):
        add(g, f"multilabel_soft_margin.{reduction}", _fn(
            "multilabel_soft_margin_loss", reduction=reduction), f(3, 4), unit(3, 4))
    add(g, "multilabel_soft_margin.weight", lambda lib, x, y, w:
        lib.nn.functional.multilabel_soft_margin_loss(x, y, weight=w), f(3, 4), unit(3, 4),
        weights)
    add(g, "multilabel_soft_margin.1d", _fn("multilabel_soft_margin_loss"), f(4), unit(4))
    add(g, "multilabel_soft_margin.0d", _fn("multilabel_soft_margin_loss"), f(), unit())
    add(g, "multilabel_soft_margin.3d", _fn("multilabel_soft_margin_loss", reduction="none"),
        f(2, 3, 4), unit(2, 3, 4))
    for name, module in {
        "CosineEmbeddingLoss": lambda lib, a, b, t: lib.nn.CosineEmbeddingLoss(0.1)(a, b, t),
        "MarginRankingLoss": lambda lib, a, b, t: lib.nn.MarginRankingLoss(0.3)(
            a, b, t.sign()),
    }.items():
        add(g, f"{name}.module", module, f(4, 3) if name.startswith("Cos") else f(4),
            f(4, 3) if name.startswith("Cos") else f(4),
            labels if name.startswith("Cos") else f(4))
    add(g, "HingeEmbeddingLoss.module", lambda lib, x, t: lib.nn.HingeEmbeddingLoss(2.0)(x, t),
        f(4), vals(1.0, -1.0, -1.0, 1.0))
    add(g, "SoftMarginLoss.module", lambda lib, x, t: lib.nn.SoftMarginLoss(reduction="sum")(
        x, t), f(4), vals(1.0, -1.0, -1.0, 1.0, grad=False))
    add(g, "MultiLabelSoftMarginLoss.module", lambda lib, x, t, w:
        lib.nn.MultiLabelSoftMarginLoss(w)(x, t), f(3, 4), unit(3, 4), weights)


def _multiclass() -> None:
    from tests.golden.cases import add, const, f, ints, vals

    g = "losses2"
    targets = vals(0, 3, 1, 2, 3, dtype="int64")
    weights = vals(0.5, 2.0, 1.0, 1.5, grad=False)
    # PyTorch has no double backward for multi_margin_loss (microtensor's composition has one,
    # checked by gradgradcheck in tests/test_losses2.py)
    first = {"double": False}
    for p in (1, 2):
        for reduction in ("mean", "sum", "none"):
            add(g, f"multi_margin.p{p}.{reduction}", _fn("multi_margin_loss", p=p,
                                                         reduction=reduction),
                f(5, 4), targets, **first)
        add(g, f"multi_margin.p{p}.weight", lambda lib, x, t, w, p=p:
            lib.nn.functional.multi_margin_loss(x, t, p=p, weight=w, margin=0.5),
            f(5, 4), targets, weights, **first)
    add(g, "multi_margin.1d_0d_target", _fn("multi_margin_loss", reduction="none"), f(4),
        vals(2, shape=(), dtype="int64"), **first)
    add(g, "multi_margin.1d_1_target", _fn("multi_margin_loss", reduction="none"), f(4),
        vals(1, dtype="int64"), **first)
    add(g, "multi_margin.1d_mean", _fn("multi_margin_loss"), f(4),
        vals(1, shape=(), dtype="int64"), **first)
    add(g, "multi_margin.exact_margin", _fn("multi_margin_loss", reduction="none"),
        vals(1.0, 0.0, 0.5, 2.0, 1.0, 1.0, shape=(2, 3)), vals(0, 1, dtype="int64"), **first)
    add(g, "multi_margin.one_class", _fn("multi_margin_loss"), f(3, 1),
        vals(0, 0, 0, dtype="int64"), **first)
    add(g, "multi_margin.constant_input", _fn("multi_margin_loss"), const(3, 4),
        ints(3, high=4), **first)
    add(g, "multi_margin.target_out_of_range", _fn("multi_margin_loss"), f(2, 3),
        vals(0, 3, dtype="int64"), **first)
    add(g, "multi_margin.target_negative", _fn("multi_margin_loss"), f(2, 3),
        vals(0, -1, dtype="int64"), **first)
    add(g, "multi_margin.target_size", _fn("multi_margin_loss"), f(3, 4),
        vals(1, 2, dtype="int64"), **first)
    add(g, "multi_margin.target_float", _fn("multi_margin_loss"), f(2, 3),
        vals(0.0, 1.0, grad=False), **first)
    add(g, "multi_margin.p3", _fn("multi_margin_loss", p=3), f(2, 3), vals(0, 1, dtype="int64"),
        **first)
    add(g, "multi_margin.weight_size", lambda lib, x, t, w:
        lib.nn.functional.multi_margin_loss(x, t, weight=w), f(5, 4), targets,
        vals(1.0, 2.0, 3.0, grad=False), **first)
    add(g, "multi_margin.3d", _fn("multi_margin_loss"), f(2, 3, 4), ints(2, high=3), **first)
    add(g, "multi_margin.no_classes", _fn("multi_margin_loss"), f(2, 0),
        vals(0, 0, dtype="int64"), **first)
    add(g, "multi_margin.empty_batch_sum", _fn("multi_margin_loss", reduction="sum"), f(0, 4),
        ints(0, high=4), **first)
    labels = vals(3, 0, -1, 1, 1, 2, 3, -1, 3, 3, -1, 0, -1, 0, 1, 2, shape=(4, 4),
                  dtype="int64")
    for reduction in ("mean", "sum", "none"):
        add(g, f"multilabel_margin.{reduction}", _fn("multilabel_margin_loss",
                                                     reduction=reduction), f(4, 4), labels,
            **first)
    add(g, "multilabel_margin.1d", _fn("multilabel_margin_loss", reduction="none"), f(4),
        vals(2, 0, -1, 3, dtype="int64"), **first)
    add(g, "multilabel_margin.all_listed", _fn("multilabel_margin_loss"), f(2, 3),
        vals(0, 1, 2, 2, 1, 0, shape=(2, 3), dtype="int64"), **first)
    add(g, "multilabel_margin.exact_margin", _fn("multilabel_margin_loss", reduction="none"),
        vals(1.0, 0.0, 0.5, shape=(1, 3)), vals(0, -1, 2, shape=(1, 3), dtype="int64"), **first)
    add(g, "multilabel_margin.empty_batch", _fn("multilabel_margin_loss", reduction="none"),
        f(0, 4), ints(0, 4, high=4), **first)
    add(g, "multilabel_margin.0d", _fn("multilabel_margin_loss"), f(),
        vals(0, shape=(), dtype="int64"), **first)
    add(g, "multilabel_margin.out_of_range", _fn("multilabel_margin_loss"), f(2, 3),
        vals(0, 3, -1, 1, -1, 0, shape=(2, 3), dtype="int64"), **first)
    add(g, "multilabel_margin.negative", _fn("multilabel_margin_loss"), f(1, 3),
        vals(-2, 0, -1, shape=(1, 3), dtype="int64"), **first)
    add(g, "multilabel_margin.target_size", _fn("multilabel_margin_loss"), f(2, 3),
        vals(0, 1, -1, shape=(1, 3), dtype="int64"), **first)
    add(g, "multilabel_margin.int32", _fn("multilabel_margin_loss"), f(1, 3),
        vals(0, 1, -1, shape=(1, 3), dtype="int32"), **first)
    add(g, "multilabel_margin.3d", _fn("multilabel_margin_loss"), f(2, 3, 2),
        ints(2, 3, 2, high=2), **first)
    add(g, "MultiLabelMarginLoss.module", lambda lib, x, t: lib.nn.MultiLabelMarginLoss(
        reduction="sum")(x, t), f(4, 4), labels, **first)
    add(g, "MultiMarginLoss.module", lambda lib, x, t: lib.nn.MultiMarginLoss(
        p=2, margin=0.8)(x, t), f(5, 4), targets, **first)


def _distances() -> None:
    from tests.golden.cases import add, f, vals

    g = "losses2"
    for p in (1.0, 2.0, 3.0):
        add(g, f"pairwise_distance.p{p:g}", _fn("pairwise_distance", p=p), f(4, 3), f(4, 3))
    add(g, "pairwise_distance.keepdim", _fn("pairwise_distance", keepdim=True), f(4, 3),
        f(3))
    add(g, "pairwise_distance.1d", _fn("pairwise_distance"), f(5), f(5))
    add(g, "pairwise_distance.equal", _fn("pairwise_distance"),
        vals(1.0, 2.0, 3.0, shape=(1, 3)), vals(1.0, 2.0, 3.0, shape=(1, 3)))
    add(g, "pairwise_distance.eps", _fn("pairwise_distance", eps=0.1), f(2, 3), f(2, 3))
    add(g, "pairwise_distance.no_broadcast", _fn("pairwise_distance"), f(3, 4), f(2, 4))
    for reduction in ("mean", "sum", "none"):
        add(g, f"triplet_margin.{reduction}", _fn("triplet_margin_loss", reduction=reduction),
            f(4, 3), f(4, 3), f(4, 3))
    add(g, "triplet_margin.swap", _fn("triplet_margin_loss", swap=True, margin=2.0), f(4, 3),
        f(4, 3), f(4, 3))
    add(g, "triplet_margin.p1", _fn("triplet_margin_loss", p=1, eps=1e-3), f(4, 3), f(4, 3),
        f(4, 3))
    add(g, "triplet_margin.1d", _fn("triplet_margin_loss"), f(3), f(3), f(3))
    add(g, "triplet_margin.dims", _fn("triplet_margin_loss"), f(2, 3), f(2, 3), f(3))
    add(g, "TripletMarginLoss.module", lambda lib, a, p, n: lib.nn.TripletMarginLoss(
        margin=0.5, p=1.0, swap=True)(a, p, n), f(3, 2), f(3, 2), f(3, 2))
    for dim in (1, 0, -1):
        add(g, f"normalize.dim{dim}", _fn("normalize", dim=dim), f(3, 4))
    add(g, "normalize.p1", _fn("normalize", p=1.0), f(3, 4))
    add(g, "normalize.zero_row", _fn("normalize"), vals(0.0, 0.0, 1.0, 2.0, shape=(2, 2)))
    add(g, "normalize.tiny_eps", _fn("normalize", eps=0.5), vals(0.1, 0.2, 3.0, 4.0,
                                                                   shape=(2, 2)))
    add(g, "normalize.1d", _fn("normalize", dim=0), f(4))
    add(g, "normalize.bad_dim", _fn("normalize", dim=3), f(3, 4))
    cos = _fn("cosine_similarity")
    add(g, "cosine_similarity.2d", cos, f(4, 3), f(4, 3))
    add(g, "cosine_similarity.dim0", _fn("cosine_similarity", dim=0), f(4, 3), f(4, 3))
    add(g, "cosine_similarity.broadcast", _fn("cosine_similarity", dim=-1), f(4, 3), f(3))
    add(g, "cosine_similarity.3d", cos, f(2, 3, 2), f(2, 3, 2))
    add(g, "cosine_similarity.zero_vector", cos, vals(0.0, 0.0, 1.0, 2.0, shape=(2, 2)),
        f(2, 2))
    add(g, "cosine_similarity.tiny", _fn("cosine_similarity", eps=1e-3),
        vals(1e-5, 2e-5, 1.0, 2.0, shape=(2, 2)), f(2, 2))
    # (second derivatives: float32 round-off, in another order of operations than PyTorch's)
    add(g, "cosine_similarity.float32_float64", cos, f(2, 3, dtype="float32"), f(2, 3),
        double=False)
    add(g, "cosine_similarity.ints", cos, vals(1, 2, 3, 4, shape=(2, 2), dtype="int64"),
        vals(1, 0, 0, 1, shape=(2, 2), dtype="int64"))
    add(g, "cosine_similarity.shapes", cos, f(3, 4), f(2, 4))


def _one_hot() -> None:
    from tests.golden.cases import add, ints, vals

    g = "losses2"
    one_hot = _fn("one_hot")
    add(g, "one_hot.empty_infer", one_hot, ints(0))
    add(g, "one_hot.empty_given", _fn("one_hot", num_classes=3), ints(0))
    add(g, "one_hot.empty_zero_classes", _fn("one_hot", num_classes=0), ints(2, 0))
    add(g, "one_hot.zero_classes", _fn("one_hot", num_classes=0), vals(0, 1, dtype="int64"))
    add(g, "one_hot.negative_infer", one_hot, vals(0, -1, dtype="int64"))
    add(g, "one_hot.too_large", _fn("one_hot", num_classes=2), vals(0, 2, dtype="int64"))
    add(g, "one_hot.int32", _fn("one_hot", num_classes=4), vals(0, 3, dtype="int32"))
    add(g, "one_hot.bool", _fn("one_hot", num_classes=2), vals(True, False, dtype="bool"))
    add(g, "one_hot.3d", one_hot, ints(2, 2, 3, high=4))
    add(g, "one_hot.0d_infer", one_hot, vals(3, shape=(), dtype="int64"))
