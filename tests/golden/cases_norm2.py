"""Golden cases of the norm2 family (see ``cases.py`` for the registry and its helpers):
``F.layer_norm``, ``F.rms_norm``, ``F.group_norm``, ``F.instance_norm``, ``F.embedding`` and their
layers (``LayerNorm``, ``RMSNorm``, ``GroupNorm``, ``InstanceNorm1d/2d``, ``BatchNorm1d`` on
(N, C, L), ``Embedding``)."""

from __future__ import annotations

from typing import Any

inf, nan = float("inf"), float("nan")


def _F(lib: Any) -> Any:
    return lib.nn.functional


def _layer_norm() -> None:
    from tests.golden.cases import add, const, f, ints, vals

    g = "norm2"

    def ln(shape: tuple[int, ...], **kwargs: Any) -> Any:
        return lambda lib, x, *wb: _F(lib).layer_norm(x, shape, *wb, **kwargs)

    add(g, "layer_norm.affine_3d", ln((4,)), f(2, 3, 4), f(4), f(4))
    add(g, "layer_norm.two_dims", ln((3, 4)), f(2, 3, 4), f(3, 4), f(3, 4))
    add(g, "layer_norm.no_affine", ln((5,)), f(3, 5))
    add(g, "layer_norm.weight_only", ln((5,)), f(3, 5), f(5))
    add(g, "layer_norm.whole_input", ln((2, 3), eps=1e-3), f(2, 3), f(2, 3), f(2, 3))
    add(g, "layer_norm.1d", ln((4,)), f(4))
    add(g, "layer_norm.size1_dim", ln((1,)), f(3, 1), f(1), f(1))
    add(g, "layer_norm.empty_batch", ln((4,)), f(0, 4), f(4), f(4))
    add(g, "layer_norm.empty_normalized", ln((0,)), f(3, 0), f(0), f(0))
    add(g, "layer_norm.constant_rows", ln((3,)), vals(2.0, 2.0, 2.0, 1.0, -1.0, 0.0,
                                                     shape=(2, 3)), f(3), f(3))
    add(g, "layer_norm.huge_values", ln((3,)), vals(1e150, -2e150, 3e150, 1.0, 2.0, 4.0,
                                                   shape=(2, 3)))
    add(g, "layer_norm.nonfinite", ln((3,)), vals(inf, 0.0, 1.0, nan, 1.0, 2.0, shape=(2, 3)),
        double=False)
    add(g, "layer_norm.float32", ln((4,)), f(3, 4, dtype="float32"), f(4, dtype="float32"),
        f(4, dtype="float32"))
    add(g, "layer_norm.int_shape", lambda lib, x: _F(lib).layer_norm(x, [4]), f(2, 4))
    add(g, "layer_norm.module", lambda lib, x: lib.nn.LayerNorm(4, dtype=lib.float64)(x),
        f(2, 3, 4))
    add(g, "layer_norm.module_no_bias",
        lambda lib, x: lib.nn.LayerNorm((3, 4), bias=False, dtype=lib.float64)(x), f(2, 3, 4))
    add(g, "layer_norm.module_no_affine",
        lambda lib, x: lib.nn.LayerNorm(4, elementwise_affine=False, dtype=lib.float64)(x),
        f(3, 4))
    add(g, "layer_norm.error_shape", ln((3,)), f(2, 4), match="normalized_shape")
    add(g, "layer_norm.error_empty_shape", ln(()), f(2, 4), match="at least 1-dimensional")
    add(g, "layer_norm.error_weight_shape", ln((4,)), f(2, 4), f(3),
        match="Expected weight to be of same shape as normalized_shape")
    add(g, "layer_norm.error_mixed_dtype", ln((4,)), f(2, 4), f(4, dtype="float32"),
        match="mixed dtype")
    add(g, "layer_norm.error_int", ln((4,)), ints(2, 4))
    add(g, "layer_norm.const_affine", ln((4,)), f(2, 4), const(4), const(4))


def _rms_norm() -> None:
    from tests.golden.cases import add, f, vals

    g = "norm2"

    def rms(shape: tuple[int, ...], **kwargs: Any) -> Any:
        return lambda lib, x, *w: _F(lib).rms_norm(x, shape, *w, **kwargs)

    add(g, "rms_norm.weight", rms((4,)), f(2, 3, 4), f(4))
    add(g, "rms_norm.no_weight", rms((3, 4)), f(2, 3, 4))
    add(g, "rms_norm.eps", rms((4,), eps=0.5), f(3, 4), f(4))
    add(g, "rms_norm.1d", rms((4,)), f(4))
    add(g, "rms_norm.empty_batch", rms((4,)), f(0, 4), f(4))
    add(g, "rms_norm.zeros", rms((3,)), vals(0.0, 0.0, 0.0, 1.0, -2.0, 0.0, shape=(2, 3)))
    add(g, "rms_norm.float32_default_eps", rms((3,)),
        vals(1e-4, -2e-4, 3e-5, 1.0, 2.0, 3.0, shape=(2, 3), dtype="float32"))
    add(g, "rms_norm.module", lambda lib, x: lib.nn.RMSNorm(4, dtype=lib.float64)(x), f(2, 4))
    add(g, "rms_norm.module_no_affine",
        lambda lib, x: lib.nn.RMSNorm([2, 4], eps=1e-3, elementwise_affine=False,
                                      dtype=lib.float64)(x), f(3, 2, 4))
    add(g, "rms_norm.error_shape", rms((3,)), f(2, 4), match="normalized_shape")


def _group_norm() -> None:
    from tests.golden.cases import add, f, ints

    g = "norm2"

    def gn(groups: int, **kwargs: Any) -> Any:
        return lambda lib, x, *wb: _F(lib).group_norm(x, groups, *wb, **kwargs)

    add(g, "group_norm.3d", gn(2), f(2, 4, 3), f(4), f(4))
    add(g, "group_norm.4d", gn(3, eps=1e-3), f(2, 6, 2, 2), f(6), f(6))
    add(g, "group_norm.2d", gn(2), f(3, 4), f(4), f(4))
    add(g, "group_norm.one_group", gn(1), f(2, 3, 4))
    add(g, "group_norm.one_per_channel", gn(3), f(2, 3, 4), f(3))
    add(g, "group_norm.empty_batch", gn(2), f(0, 4, 3), f(4), f(4))
    add(g, "group_norm.module", lambda lib, x: lib.nn.GroupNorm(2, 4, dtype=lib.float64)(x),
        f(2, 4, 3))
    add(g, "group_norm.module_no_affine",
        lambda lib, x: lib.nn.GroupNorm(2, 4, affine=False, dtype=lib.float64)(x), f(2, 4, 2, 2))
    add(g, "group_norm.error_groups", gn(2), f(2, 3, 4), match="divisible by num_groups")
    add(g, "group_norm.error_weight", gn(1), f(2, 3, 4), f(2), match="Expected weight")
    add(g, "group_norm.error_1d", gn(1), f(4), match="Expected at least 2 dimensions")
    add(g, "group_norm.error_int", gn(1), ints(2, 3, 4))
    add(g, "group_norm.error_module_groups",
        lambda lib, x: lib.nn.GroupNorm(3, 4)(x), f(2, 4, 3), match="must be divisible")


def _instance_norm() -> None:
    from tests.golden.cases import add, const, f, weight

    g = "norm2"

    def instance(lib: Any, x: Any, *rest: Any, **kwargs: Any) -> Any:
        return _F(lib).instance_norm(x, *rest, **kwargs)

    def with_stats(use_input_stats: bool) -> Any:
        def fn(lib: Any, x: Any, rm: Any, rv: Any, w: Any, b: Any) -> Any:
            rm, rv = rm.clone(), rv.clone()
            y = _F(lib).instance_norm(x, rm, rv, w, b, use_input_stats, 0.3, 1e-3)
            return y, rm, rv
        return fn

    add(g, "instance_norm.3d", instance, f(2, 3, 4))
    add(g, "instance_norm.4d_affine",
        lambda lib, x, w, b: instance(lib, x, None, None, w, b), f(2, 3, 2, 2), f(3), f(3))
    add(g, "instance_norm.running_stats", with_stats(True), f(2, 3, 4), const(3), weight(3),
        f(3), f(3))
    add(g, "instance_norm.use_running_stats", with_stats(False), f(2, 3, 4), const(3),
        weight(3), f(3), f(3))
    add(g, "instance_norm.error_one_position", instance, f(2, 3, 1),
        match="Expected more than 1 spatial element")
    add(g, "instance_norm.module_1d",
        lambda lib, x: lib.nn.InstanceNorm1d(3, dtype=lib.float64)(x), f(2, 3, 4))
    add(g, "instance_norm.module_1d_unbatched",
        lambda lib, x: lib.nn.InstanceNorm1d(3, dtype=lib.float64)(x), f(3, 4))
    add(g, "instance_norm.module_2d",
        lambda lib, x: lib.nn.InstanceNorm2d(2, dtype=lib.float64)(x), f(2, 2, 3, 3))
    add(g, "instance_norm.module_2d_unbatched_affine",
        lambda lib, x: lib.nn.InstanceNorm2d(2, affine=True, dtype=lib.float64)(x), f(2, 3, 3))

    def tracked(lib: Any, x: Any) -> Any:
        m = lib.nn.InstanceNorm1d(3, affine=True, track_running_stats=True, dtype=lib.float64)
        y = m(x)
        m.eval()
        return y, m(x), m.running_mean, m.running_var, m.num_batches_tracked

    add(g, "instance_norm.module_tracked", tracked, f(2, 3, 4))
    add(g, "instance_norm.module_error_dim",
        lambda lib, x: lib.nn.InstanceNorm1d(3)(x), f(3), match="expected 2D or 3D input")


def _batch_norm_3d() -> None:
    from tests.golden.cases import add, f

    g = "norm2"

    def bn(lib: Any, x: Any) -> Any:
        m = lib.nn.BatchNorm1d(3, dtype=lib.float64)
        y = m(x)
        m.eval()
        return y, m(x), m.running_mean, m.running_var, m.num_batches_tracked

    add(g, "batch_norm1d.ncl", bn, f(2, 3, 4))
    add(g, "batch_norm1d.error_4d", lambda lib, x: lib.nn.BatchNorm1d(3)(x), f(2, 3, 4, 1),
        match="expected 2D or 3D input")


def _embedding() -> None:
    from tests.golden.cases import add, const, f, ints, vals

    g = "norm2"

    def emb(**kwargs: Any) -> Any:
        return lambda lib, i, w: _F(lib).embedding(i, w, **kwargs)

    def emb_squared(**kwargs: Any) -> Any:  # nonlinear in w: second derivatives through scatter
        return lambda lib, i, w: _F(lib).embedding(i, w, **kwargs) ** 2

    add(g, "embedding.2d_indices", emb(), ints(2, 3, high=5), f(5, 3))
    add(g, "embedding.repeated", emb_squared(), vals(1, 1, 2, 0, 1, dtype="int64"), f(4, 3))
    add(g, "embedding.padding_idx", emb_squared(padding_idx=1),
        vals(1, 1, 2, 0, 3, dtype="int64"), f(4, 3))
    add(g, "embedding.negative_padding_idx", emb_squared(padding_idx=-1),
        vals(3, 1, 2, 3, dtype="int64"), f(4, 2))
    # PyTorch's double backward ignores scale_grad_by_freq (its gather back is unscaled), so
    # second derivatives are not compared; test_norm_layers.py checks ours numerically
    add(g, "embedding.scale_grad_by_freq", emb_squared(scale_grad_by_freq=True),
        vals(1, 1, 2, 0, 1, 1, dtype="int64"), f(4, 3), double=False)
    add(g, "embedding.scale_and_padding", emb(scale_grad_by_freq=True, padding_idx=0),
        vals(1, 1, 2, 0, 0, dtype="int64"), f(4, 3), double=False)
    add(g, "embedding.int32_indices", emb(), ints(4, high=5, dtype="int32"), f(5, 2))
    add(g, "embedding.0d_index", emb(), vals(2, shape=(), dtype="int64"), f(5, 2))
    add(g, "embedding.empty_indices", emb(), ints(0, high=5), f(5, 2))
    add(g, "embedding.int_weight", emb(), ints(3, high=4), ints(4, 2, high=9))

    def renormed(max_norm: float, norm_type: float = 2.0) -> Any:
        def fn(lib: Any, i: Any, w: Any) -> Any:
            w = w.clone()
            out = _F(lib).embedding(i, w, max_norm=max_norm, norm_type=norm_type)
            return out, w
        return fn

    add(g, "embedding.max_norm", renormed(1.0), vals(1, 1, 3, 0, dtype="int64"),
        const(5, 3))
    add(g, "embedding.max_norm_l1", renormed(0.5, 1.0), vals(4, 2, dtype="int64"), const(5, 3))
    add(g, "embedding.error_out_of_range", emb(), vals(1, 5, dtype="int64"), f(5, 2),
        match="index out of range in self")
    add(g, "embedding.error_negative_index", emb(), vals(1, -1, dtype="int64"), f(5, 2),
        match="index out of range in self")
    add(g, "embedding.error_float_indices", emb(), const(2), f(5, 2),
        match="Expected tensor for argument #1 'indices'")
    add(g, "embedding.error_1d_weight", emb(), ints(2, high=3), f(5), match="must be 2-D")
    add(g, "embedding.error_padding_idx", emb(padding_idx=5), ints(2, high=3), f(5, 2),
        match="Padding_idx must be within num_embeddings")
    add(g, "embedding.error_negative_padding_idx", emb(padding_idx=-6), ints(2, high=3),
        f(5, 2), match="Padding_idx must be within num_embeddings")

    def pretrained(lib: Any, i: Any, w: Any) -> Any:
        m = lib.nn.Embedding.from_pretrained(w, freeze=False, padding_idx=2)
        return m(i)

    add(g, "embedding.module_from_pretrained", pretrained, ints(2, 3, high=4), const(4, 3))
    add(g, "embedding.module_padding_row",
        lambda lib, i: lib.nn.Embedding(5, 3, padding_idx=-2, dtype=lib.float64)(i)[i == 3],
        vals(3, 3, 3, dtype="int64"))
    add(g, "embedding.module_error_weight_shape",
        lambda lib, w: lib.nn.Embedding(3, 2, _weight=w), const(4, 2),
        match="Shape of weight does not match")
    add(g, "embedding.module_error_pretrained_1d",
        lambda lib, w: lib.nn.Embedding.from_pretrained(w), const(4),
        match="Embeddings parameter is expected to be 2-dimensional")


def register() -> None:
    """Append this family's cases to ``cases.CASES`` (called once, from ``cases.py``)."""
    _layer_norm()
    _rms_norm()
    _group_norm()
    _instance_norm()
    _batch_norm_3d()
    _embedding()
